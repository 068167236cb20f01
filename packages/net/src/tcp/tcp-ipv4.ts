// The TCP protocol of a host (net/ipv4/tcp_ipv4.c, net/ipv6/tcp_ipv6.c: tcp_v4_rcv,
// __inet_lookup_established, inet_lookup_listener, tcp_v4_send_reset, tcp_v4_err,
// tcp_v4_connect): segments in are checked, matched to an established (or SYN_RECV,
// TIME_WAIT) socket by 4-tuple, else to the best listener, else answered with RST; ICMP
// errors reach the socket they concern. It is also the sockets' TcpEnv: what they need of
// the host goes through here.
import { SysError } from '@bpfsim/isa';
import type { Kernel, Process } from '@bpfsim/kernel';
import type { Host, IcmpError, InPacket, OutPacket, PathInfo } from '../iface/host';
import type { DropReason, NetEvents } from '../events';
import type { PortTable } from '../ports/port-table';
import { ipv6Only } from '../ports/port-table';
import type { Timer } from '../sim/simulation';
import type { SockAddr } from '../sock/sock';
import { SOCK_STREAM } from '../sock/sock';
import { TCP_STATE } from '../sock/state';
import type { TcpOpsInfo } from '../bpf/sock-ops';
import type { IpAddr } from '../wire/addr';
import { isAny, isV4Mapped, unmapV4, v4Mapped } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, buildTcp, parseTcp, tcpChecksumOk } from '../wire/tcp';
import { IPPROTO_TCP, TcpSock, tcpMssClamp } from './tcp-sock';
import { SK_RST_REASON, traceTcpProbe, traceTcpSendReset } from '../bpf/tracepoints';
import type { CongestionOps } from './tcp-cong';
import { CUBIC } from './tcp-cubic';
import { BBR } from './tcp-bbr';
import { CONGESTION_OPS, tcpRegisterCongestionControl } from './tcp-cong';

// The congestion control modules built in, registered as their module_init() would (reno
// is tcp_cong.c's own): net.ipv4.tcp_available_congestion_control.
for (const ops of [CUBIC, BBR]) if (!CONGESTION_OPS.has(ops.name)) tcpRegisterCongestionControl(ops);
import type { TcpEnv } from './tcp-env';
import type { TcpSysctls } from './tcp-sysctl';
import { BPF_SOCK_OPS } from '../bpf/sock-ops';
import { seqAdd } from './tcp-seq';
import { tcpRcv } from './tcp-input';
import { initSendSeq, routeMss, tcpInitializeRcvMss, tcpTwSynIsn } from './tcp-minisocks';
import { tcpFullSpace, tcpSelectInitialWindow, tcpSendSyn } from './tcp-output';
import { tcpCallBpf, tcpInitCallbacks } from './tcp-sock-ops';
import { JIFFY_NS, armRto, timerWheelExpiry } from './tcp-timer';
import { tcpDone, tcpSetState } from './tcp';

/** Same address (both already in wire form: v4-mapped addresses unmapped). */
function sameAddr(a: IpAddr, b: IpAddr): boolean {
  if (a === b) return true;
  const x = a.bytes;
  const y = b.bytes;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The socket's 4-tuple has these addresses (ports matched by the hash key). */
const matches = (sk: TcpSock, local: IpAddr, remote: IpAddr): boolean => sameAddr(sk.localWire, local) && sameAddr(sk.remoteWire, remote);
const wire = (a: IpAddr): IpAddr => (a.family === 6 && isV4Mapped(a) ? unmapV4(a) : a);

export class TcpProtocol implements TcpEnv {
  private readonly established = new Map<number, TcpSock | TcpSock[]>();
  /** The listening hash: listeners by port (children sharing the port are not in it). */
  private readonly listening = new Map<number, TcpSock[]>();
  /** net.ipv4.tcp_congestion_control: what new sockets use (Linux's default: cubic). */
  get defaultCongestion(): CongestionOps {
    return CONGESTION_OPS.get(this.host.tcpSysctl.tcpCongestionControl) ?? CUBIC;
  }
  /** net_secret of secure_tcp_seq(), drawn from the simulation's seeded RNG. */
  private readonly secret: number;
  readonly ports: PortTable;

  constructor(readonly host: Host) {
    this.secret = host.network.sim.rng.u32();
    this.ports = host.portTable('tcp');
  }

  // ---- TcpEnv: the host, as a socket sees it ----
  get now(): number {
    return this.host.network.sim.now;
  }
  get jiffies(): number {
    return Math.floor((this.host.network.sim.now + this.host.clockBase) / JIFFY_NS);
  }
  get clockBase(): number {
    return this.host.clockBase;
  }
  timerAt(expires: number, fn: () => void): Timer {
    return this.host.network.sim.timerAt(this.timerTime(expires), fn);
  }
  timerTime(expires: number): number {
    return Math.max(this.host.network.sim.now, timerWheelExpiry(this.jiffies, expires) * JIFFY_NS - this.host.clockBase);
  }
  random(n: number): number {
    return this.host.network.sim.rng.int(0, n - 1);
  }
  schedule(delay: number, fn: () => void): Timer {
    return this.host.network.sim.schedule(delay, fn);
  }
  ipOutput(p: OutPacket): number {
    return this.host.ipOutput(p);
  }
  route(dst: IpAddr, oif?: OutPacket['oif'], src?: IpAddr): PathInfo | undefined {
    return this.host.route(dst, oif, src);
  }
  drop(reason: DropReason, bytes: Uint8Array): void {
    this.host.drop(reason, bytes);
  }
  get sysctl(): TcpSysctls {
    return this.host.tcpSysctl;
  }
  get kernel(): Kernel {
    return this.host.kernel;
  }
  get hostName(): string {
    return this.host.name;
  }
  observed(event: keyof NetEvents): boolean {
    return this.host.network.events.listenerCount(event) > 0;
  }
  emit<K extends keyof NetEvents>(event: K, payload: Parameters<NetEvents[K]>[0]): void {
    (this.host.network.events.emit as (e: K, p: Parameters<NetEvents[K]>[0]) => void)(event, payload);
  }
  sockOps(sk: TcpSock, op: number, args: readonly number[], info: () => TcpOpsInfo, setCbFlags: (f: number) => void): number {
    const hooks = this.host.hooks;
    return hooks.sockOps ? hooks.sockOps(sk, op, args, info, setCbFlags) : -1;
  }

  /**
   * secure_tcp_seq(): the initial sequence number of a connection — a keyed hash of the
   * 4-tuple plus the clock in 64 ns units, so that a new incarnation of a 4-tuple starts
   * above the old one (which is what lets a SYN reopen a TIME_WAIT socket).
   */
  secureSeq(local: IpAddr, lport: number, remote: IpAddr, rport: number): number {
    let h = this.secret ^ 0x811c9dc5;
    const mix = (b: number): void => {
      h = Math.imul(h ^ b, 0x01000193);
    };
    for (const b of wire(local).bytes) mix(b);
    for (const b of wire(remote).bytes) mix(b);
    mix(lport >> 8);
    mix(lport & 0xff);
    mix(rport >> 8);
    mix(rport & 0xff);
    return (h + Math.floor(this.host.network.sim.now / 64)) >>> 0;
  }

  /**
   * secure_tcp_ts_off(): a connection's timestamp offset, a keyed hash of the two
   * addresses, so TSval does not tell the host's uptime.
   */
  tsOffset(local: IpAddr, remote: IpAddr): number {
    let h = (this.secret * 0x9e3779b1) ^ 0x811c9dc5;
    for (const b of wire(local).bytes) h = Math.imul(h ^ b, 0x01000193);
    for (const b of wire(remote).bytes) h = Math.imul(h ^ b, 0x01000193);
    return h >>> 0;
  }

  create(family: 4 | 6, owner: Process): TcpSock {
    return new TcpSock(this.host, family, owner, this);
  }

  /**
   * __inet_lookup_established(): the ehash, here keyed by the port pair (a number: no string
   * to build per segment). A pair almost always has one socket, stored as is; the few that
   * share one (different addresses) share an array.
   */
  lookupEstablished(local: IpAddr, lport: number, remote: IpAddr, rport: number): TcpSock | undefined {
    const slot = this.established.get(lport * 65536 + rport);
    if (slot === undefined) return undefined;
    const l = wire(local);
    const r = wire(remote);
    if (!Array.isArray(slot)) return matches(slot, l, r) ? slot : undefined;
    for (let i = 0; i < slot.length; i++) if (matches(slot[i]!, l, r)) return slot[i];
    return undefined;
  }

  hashEstablished(sk: TcpSock): void {
    const k = sk.localPort * 65536 + sk.peer!.port;
    const slot = this.established.get(k);
    const l = sk.localWire;
    const r = sk.remoteWire;
    if (slot === undefined || (!Array.isArray(slot) && matches(slot, l, r))) return void this.established.set(k, sk);
    const list = Array.isArray(slot) ? slot : [slot];
    const i = list.findIndex((x) => matches(x, l, r));
    if (i >= 0) list[i] = sk;
    else list.push(sk);
    this.established.set(k, list);
  }

  unhashEstablished(sk: TcpSock): void {
    if (!sk.peer) return;
    const k = sk.localPort * 65536 + sk.peer.port;
    const slot = this.established.get(k);
    if (slot === sk) return void this.established.delete(k);
    if (!Array.isArray(slot)) return;
    const i = slot.indexOf(sk);
    if (i < 0) return;
    slot.splice(i, 1);
    if (slot.length === 1) this.established.set(k, slot[0]!);
  }

  /** inet_hash() / inet_unhash() of a listener. */
  hashListener(sk: TcpSock): void {
    const list = this.listening.get(sk.localPort);
    if (list) list.push(sk);
    else this.listening.set(sk.localPort, [sk]);
  }
  unhashListener(sk: TcpSock): void {
    const list = this.listening.get(sk.localPort);
    if (!list) return;
    const i = list.indexOf(sk);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.listening.delete(sk.localPort);
  }

  /** Established connections (for inspection and benchmarks). */
  get connections(): number {
    return this.established.size;
  }

  /** inet_lookup_listener(): the listener with the best score for (daddr, dport). */
  /**
   * __inet_lookup() as bpf_sk_lookup_tcp() calls it, with no device (dif 0): the established
   * (or SYN_RECV, TIME_WAIT) socket of the 4-tuple, else the best listener of local:lport.
   */
  lookup(local: IpAddr, lport: number, remote: IpAddr, rport: number): TcpSock | undefined {
    return this.lookupEstablished(local, lport, remote, rport) ?? this.lookupListener(wire(local), lport, undefined);
  }

  private lookupListener(dst: IpAddr, dport: number, dev: InPacket['dev'] | undefined): TcpSock | undefined {
    let best: TcpSock | undefined;
    let bestScore = -1;
    for (const sk of this.listening.get(dport) ?? []) {
      if (sk.state !== TCP_STATE.TCP_LISTEN) continue;
      if (sk.family === 4 && dst.family !== 4) continue;
      if (sk.family === 6 && dst.family === 4 && ipv6Only(sk)) continue;
      let score = sk.family === dst.family ? 2 : 1;
      if (!isAny(sk.boundAddr)) {
        if (wire(sk.boundAddr).text !== dst.text) continue;
        score += 4;
      }
      if (sk.options.boundDev) {
        if (sk.options.boundDev !== dev) continue;
        score += 4;
      }
      if (score > bestScore) {
        best = sk;
        bestScore = score;
      }
    }
    return best;
  }

  receive(pkt: InPacket): void {
    const seg = parseTcp(pkt.payload);
    if (!seg) return this.host.drop('bad-header', pkt.datagram, pkt.dev);
    if (!tcpChecksumOk(pkt.src.bytes, pkt.dst.bytes, pkt.payload)) return this.host.drop('tcp-checksum', pkt.datagram, pkt.dev);
    let sk = this.lookupEstablished(pkt.dst, seg.dstPort, pkt.src, seg.srcPort);
    let twIsn: number | undefined;
    if (sk && sk.state === TCP_STATE.TCP_TIME_WAIT && (seg.flags & (TCP_SYN | TCP_RST | TCP_ACK)) === TCP_SYN) {
      // tcp_timewait_state_process(): TCP_TW_SYN — a SYN above the old connection's rcv_nxt
      // ends the TIME_WAIT and goes to the listener, whose reply starts at tw_snd_nxt + 65537.
      twIsn = tcpTwSynIsn(sk, seg.seq);
      if (twIsn !== undefined) {
        tcpDone(sk);
        sk = undefined;
      }
    }
    sk ??= this.lookupListener(pkt.dst, seg.dstPort, pkt.dev);
    if (!sk) {
      this.host.drop('no-socket', pkt.datagram, pkt.dev);
      this.sendReset(seg, pkt.dst, pkt.src);
      return;
    }
    if (sk.state === TCP_STATE.TCP_ESTABLISHED) traceTcpProbe(sk, pkt.payload);
    tcpRcv(sk, seg, pkt.src, pkt.dst, twIsn, (pkt.tos ?? 0) & 3);
  }

  /** tcp_v4_send_reset(): never in answer to a RST. */
  sendReset(seg: TcpSegment, local: IpAddr, remote: IpAddr, sk?: TcpSock, reason: number = SK_RST_REASON.NO_SOCKET): void {
    if (seg.flags & TCP_RST) return;
    const len = seg.payload.length + (seg.flags & TCP_SYN ? 1 : 0) + (seg.flags & TCP_FIN ? 1 : 0);
    const rst = seg.flags & TCP_ACK ? { seq: seg.ack, ack: 0, flags: TCP_RST } : { seq: 0, ack: (seg.seq + len) >>> 0, flags: TCP_RST | TCP_ACK };
    const out = buildTcp(local.bytes, remote.bytes, { srcPort: seg.dstPort, dstPort: seg.srcPort, window: 0, ...rst });
    traceTcpSendReset(this.host.kernel, sk, out, reason);
    this.host.ipOutput({ family: remote.family, src: local, dst: remote, protocol: IPPROTO_TCP, payload: out });
  }

  /** tcp_v4_err(): a hard error (port/proto unreachable) while connecting fails the connect. */
  error(err: IcmpError): void {
    const h = parseTcp(err.quoted.length >= 20 ? err.quoted : new Uint8Array(20));
    if (!h) return;
    const sk = this.lookupEstablished(err.src, h.srcPort, err.dst, h.dstPort);
    if (sk && sk.state === TCP_STATE.TCP_SYN_SENT && err.family === 4 && err.type === 3 && (err.code === 2 || err.code === 3)) {
      sk.error = 'ECONNREFUSED';
      tcpDone(sk);
    }
  }
}

/** tcp_v4_connect() / tcp_v6_connect(): route, pick the source and a port unique for the
 * 4-tuple, send the SYN. */
export function tcpConnect(tp: TcpSock, addr: SockAddr): void {
  const S = TCP_STATE;
  if (tp.state === S.TCP_LISTEN) throw new SysError('EINVAL', 'a listening socket cannot connect');
  if (tp.state === S.TCP_SYN_SENT) throw new SysError('EALREADY', 'a connect is in progress');
  if (tp.state !== S.TCP_CLOSE) throw new SysError('EISCONN', 'the socket is connected');
  const env = tp.env;
  const dstAddr = tp.family === 6 && addr.family === 4 ? v4Mapped(addr.addr) : addr.addr;
  // tcp_v6_connect(): a v4-mapped destination on an IPV6_V6ONLY socket.
  if (tp.family === 6 && isV4Mapped(dstAddr) && ipv6Only(tp)) throw new SysError('ENETUNREACH', 'an IPV6_V6ONLY socket cannot reach a v4-mapped address');
  const dst = wire(dstAddr);
  if (isAny(dst)) throw new SysError('ECONNREFUSED', 'connect to the wildcard address');
  const route = env.route(dst, tp.options.boundDev, isAny(tp.boundAddr) ? undefined : wire(tp.boundAddr));
  if (!route) throw new SysError('ENETUNREACH', `no route to ${dst.text}`);
  if (isAny(tp.boundAddr)) tp.srcAddr = tp.family === 6 && route.src.family === 4 ? v4Mapped(route.src) : route.src;
  tp.peer = { family: tp.family, addr: dstAddr, port: addr.port };
  if (!tp.localPort) {
    env.ports.connectBind(tp, (port) => !env.lookupEstablished(tp.localWire, port, dst, addr.port));
  } else if (env.lookupEstablished(tp.localWire, tp.localPort, dst, addr.port)) {
    tp.peer = undefined;
    throw new SysError('EADDRNOTAVAIL', 'the 4-tuple is in use');
  }
  // tcp_connect_init(): advmss is the route's MSS, or TCP_MAXSEG's if smaller.
  tp.mss = tcpMssClamp(tp, routeMss(route.dev.mtu, dst.family));
  tp.advMss = tp.mss;
  tp.iss = env.secureSeq(tp.localWire, tp.localPort, dst, addr.port) | 0;
  tp.sndUna = tp.iss;
  tp.sndNxt = seqAdd(tp.iss, 1);
  tp.sndMax = tp.sndNxt;
  initSendSeq(tp);
  // tcp_connect_init(): the window from the receive buffer (a locked SO_RCVBUF clamps it).
  const full = tcpFullSpace(tp);
  let clamp = tp.windowClamp;
  if (tp.rcvbufLocked && (clamp > full || clamp === 0)) clamp = full;
  const w = tcpSelectInitialWindow(tp, full, tp.advMss, clamp, env.sysctl.tcpWindowScaling === 1);
  tp.rcvWnd = w.rcvWnd;
  tp.windowClamp = w.windowClamp;
  tp.rcvWscale = w.rcvWscale;
  tp.rcvSsthresh = w.rcvWnd;
  tcpInitializeRcvMss(tp);
  env.hashEstablished(tp);
  tcpSetState(tp, S.TCP_SYN_SENT);
  // tcp_connect(): BPF_SOCK_OPS_TCP_CONNECT_CB before the SYN goes.
  tcpCallBpf(tp, BPF_SOCK_OPS.TCP_CONNECT_CB);
  tcpInitCallbacks(tp, false);
  tcpSendSyn(tp, false);
  armRto(tp);
}

/** Registers TCP with the host: the protocol handler and socket(…, SOCK_STREAM, 0/6). */
export function installTcp(host: Host): TcpProtocol {
  const proto = new TcpProtocol(host);
  host.protocols.set(IPPROTO_TCP, proto);
  host.tcp = proto;
  const f = { type: SOCK_STREAM, protocol: IPPROTO_TCP, create: (_h: Host, family: 4 | 6, owner: Process) => proto.create(family, owner) };
  host.protosw.set(`${SOCK_STREAM}:0`, f);
  host.protosw.set(`${SOCK_STREAM}:${IPPROTO_TCP}`, f);
  return proto;
}
