// A TCP socket (net/ipv4/tcp*.c) as it behaves from the outside: the RFC 793 state machine
// with Linux's timers and choices — SYN retries (tcp_syn_retries = 6) and SYN-ACK retries
// (5), RTO per RFC 6298 (initial 1 s, min 200 ms, max 120 s, doubling), tcp_retries2 = 15
// then ETIMEDOUT, delayed ACKs (40 ms, or every second full segment), Nagle unless
// TCP_NODELAY, NewReno congestion control with fast retransmit on three duplicate ACKs
// (initial cwnd 10), window scaling (shift 10 as 6.18 offers, 7 on the 4.17 profile), the
// initial window quantized to the MSS, RFC 7323 timestamps (net.ipv4.tcp_timestamps: RTT
// samples from TSecr after retransmissions), zero-window probes, MSS from the route's MTU,
// half-close, SO_LINGER 0 and unread data at close as RST, TIME_WAIT for 60 s.
// Keepalive (SO_KEEPALIVE, TCP_KEEPIDLE/INTVL/CNT) as tcp_keepalive_timer() runs it.
// Congestion control: CUBIC (Linux's default) or Reno, by TCP_CONGESTION (congestion.ts).
// PAWS rejects old duplicates by their timestamps; no segment exceeds half the largest
// window offered (tcp_bound_to_half_wnd). Not modelled yet: SACK (negotiated off),
// HyStart, urgent data, Linux's receive window growth (rcv_ssthresh: bpfsim offers its free
// buffer), TCP's own buffer sizes (tcp_rmem/tcp_wmem and their autotuning).
import type { ErrnoCode } from '@bpfsim/isa';
import { SysError } from '@bpfsim/isa';
import type { Process } from '@bpfsim/kernel';
import type { Host } from '../iface/host';
import { ipv6Only, portTable } from '../ports/port-table';
import type { Timer } from '../sim/simulation';
import type { PollState, SockAddr } from '../sock/sock';
import { SOCK_STREAM, Sock, wouldBlock } from '../sock/sock';
import { TCP_STATE, tcpStateName } from '../sock/state';
import type { IpAddr } from '../wire/addr';
import { ANY4, ANY6, isAny, isV4Mapped, unmapV4, v4Mapped } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, buildTcp } from '../wire/tcp';
import type { TcpProtocol } from './tcp';
import type { CongestionOps, CubicState } from './congestion';
import { CONGESTION_OPS } from './congestion';
import type { TcpOpsInfo } from '../bpf/sock-ops';
import { BPF_SOCK_OPS, BPF_SOCK_OPS_CB } from '../bpf/sock-ops';
import { SK_RST_REASON, releaseSockObject, traceErrorReport, traceReceiveReset, traceRetransmit, traceSetState, traceTcpSendReset } from '../bpf/tracepoints';

export const IPPROTO_TCP = 6;
const S = TCP_STATE;
const MS = 1_000_000;
/** One jiffy at this machine's CONFIG_HZ=250 (what sock_ops sees timeouts in). */
const JIFFY = 4 * MS;
const SEC = 1_000_000_000;
const TCP_RTO_INIT = 1 * SEC;
const TCP_RTO_MIN = 200 * MS;
const TCP_RTO_MAX = 120 * SEC;
const TCP_DELACK = 40 * MS;
const TCP_TIMEWAIT = 60 * SEC;
const TCP_SYN_RETRIES = 6;
const TCP_SYNACK_RETRIES = 5;
const TCP_RETRIES2 = 15;
const TCP_INIT_CWND = 10;
/**
 * The window scale a host offers (tcp_select_initial_window: ilog2(max(tcp_rmem[2],
 * rmem_max)) - 15): 10 with 6.18's tcp_rmem[2] of 32 MiB (this machine's SYNs carry
 * wscale 10), 7 with 4.17's 6 MiB.
 */
const wscaleOffer = (h: Host): number => (h.kernel.profile === '4.17' ? 7 : 10);
/** TCP_NODELAY, TCP_MAXSEG, TCP_CORK (include/uapi/linux/tcp.h) */
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_CONGESTION = 13;
/** net.ipv4.tcp_keepalive_time / _intvl / _probes defaults (7200 s, 75 s, 9). */
const TCP_KEEPALIVE_TIME = 7200 * SEC;
const TCP_KEEPALIVE_INTVL = 75 * SEC;
const TCP_KEEPALIVE_PROBES = 9;
/** MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (s), MAX_TCP_KEEPCNT */
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPCNT = 127;

/** Keepalive state, made when SO_KEEPALIVE or a TCP_KEEP* option is first set. */
interface Keepalive {
  idle: number;
  intvl: number;
  cnt: number;
  /** icsk_probes_out */
  probesOut: number;
  /** When the peer was last heard from (rcv_tstamp). */
  lastRcv: number;
  timer: Timer | undefined;
}
const SOL_TCP = 6;

/** TcpSock.bits */
const F_FIN_QUEUED = 1;
const F_FIN_SENT = 2;
const F_FIN_RECEIVED = 4;
const F_SHUT_WR = 8;
const F_SHUT_RD = 16;
const F_NODELAY = 32;
const F_CORK = 64;
const F_TS_OK = 128;
// (bits 8-15 hold the sock_ops callback flags: see cbFlags)
/** Retransmitted data is in flight: its ACK gives no sequence RTT sample (Karn). */
const F_RTX = 1 << 16;
/** The top two bits of ts_recent (TcpSock.tsr holds the low 30: a small integer). */
const F_TSR_SHIFT = 17;
const F_TSR_MASK = 3 << F_TSR_SHIFT;
/** The peer has offered a window of twice the MSS or more: tcp_bound_to_half_wnd no longer
 * cuts the MSS (max_window only grows), and MAX_WINDOW holds nothing for the socket. */
const F_MAXWND_BIG = 1 << 19;
/** TCPOLEN_TSTAMP_ALIGNED: what the timestamp option takes from every segment. */
const TCPOLEN_TSTAMP_ALIGNED = 12;

/**
 * tp->max_window, kept only while it is under twice the MSS (where it bounds the MSS: a
 * huge-MTU link such as lo, or a tiny window). Most sockets never have an entry, which
 * keeps an idle connection within bench/net's 2 KiB.
 */
const MAX_WINDOW = new WeakMap<TcpSock, number>();

/** Sequence-space comparisons (mod 2^32). */
const lt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
const le = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
const add = (a: number, n: number): number => (a + n) >>> 0;
const diff = (a: number, b: number): number => (a - b) | 0;

/** How a socket's bytes reach the wire: hooks (SK_MSG) may take them on the way. */
export type TcpSendHook = (sk: TcpSock, data: Uint8Array, opts?: { sendfile?: boolean }) => number;

export class TcpSock extends Sock {
  // ---- send side (snd_una … snd_nxt … end of sbuf) ----
  private iss = 0;
  private sndUna = 0;
  private sndNxt = 0;
  /** The highest sequence number sent (snd_nxt can go back to snd_una after a timeout). */
  private sndMax = 0;
  /** The peer's window, unscaled to bytes. */
  private sndWnd = 65535;
  private sndWscale = 0;
  /** Bytes from snd_una on: sent but unacknowledged, then unsent. */
  /** Allocated on first use: an idle connection holds no send buffer. */
  private sbuf = EMPTY;
  private sbufLen = 0;
  // ---- receive side ----
  private rcvNxt = 0;
  private rcvWscale = 0;
  /** Out-of-order segments by sequence number (made when the first one arrives). */
  private oooMap: Map<number, Uint8Array> | undefined;
  private get ooo(): Map<number, Uint8Array> {
    return (this.oooMap ??= new Map());
  }
  /** The receive queue (made when the first bytes arrive). */
  private rq: Uint8Array[] = NO_DATA;
  private rqBytes = 0;
  // ---- congestion and timers ----
  mss = 536;
  /** The MSS we advertise (from the route), whatever the peer's clamps us to. */
  private advMss = 536;
  /** tcp_incr_quickack(): segments ACKed at once at the start of a connection. */
  private quickAcks = 16;
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** The congestion control (icsk_ca_ops): the host's default, or TCP_CONGESTION. */
  cc: CongestionOps;
  /** Its private state (icsk_ca_priv). */
  ccPriv: CubicState | undefined = undefined;
  /** The smallest RTT sample, ns (cubic's delay_min). */
  minRtt = 0;
  private dupAcks = 0;
  private recover: number | undefined;
  private srtt = 0;
  private rttvar = 0;
  private rto = TCP_RTO_INIT;
  private retries = 0;
  private rtoTimer: Timer | undefined;
  private delackTimer: Timer | undefined;
  private twTimer: Timer | undefined;
  private ka: Keepalive | undefined;
  private rttSample: { seq: number; at: number } | undefined;
  /**
   * rx_opt.ts_recent, the TSval to echo: its low 30 bits here and the top two in `bits`, so
   * the field stays a small integer, unboxed (a u32 field costs a heap number, and bench/net
   * holds an idle connection to 2 KiB). tp->tsoffset is recomputed from the addresses
   * (TcpProto.tsOffset) rather than kept.
   */
  private tsr = 0;
  private get tsRecent(): number {
    return (((this.bits & F_TSR_MASK) << (30 - F_TSR_SHIFT)) | this.tsr) >>> 0;
  }
  private set tsRecent(v: number) {
    this.tsr = v & 0x3fffffff;
    this.bits = (this.bits & ~F_TSR_MASK) | ((v >>> 30) << F_TSR_SHIFT);
  }
  private unackedSegs = 0;
  // ---- one-bit state, packed (an idle socket is mostly its fields: see bench/net) ----
  private bits = 0;
  private get finQueued(): boolean {
    return (this.bits & F_FIN_QUEUED) !== 0;
  }
  private set finQueued(v: boolean) {
    this.bits = v ? this.bits | F_FIN_QUEUED : this.bits & ~F_FIN_QUEUED;
  }
  private get finSent(): boolean {
    return (this.bits & F_FIN_SENT) !== 0;
  }
  private set finSent(v: boolean) {
    this.bits = v ? this.bits | F_FIN_SENT : this.bits & ~F_FIN_SENT;
  }
  private get finReceived(): boolean {
    return (this.bits & F_FIN_RECEIVED) !== 0;
  }
  private set finReceived(v: boolean) {
    this.bits = v ? this.bits | F_FIN_RECEIVED : this.bits & ~F_FIN_RECEIVED;
  }
  private get shutWr(): boolean {
    return (this.bits & F_SHUT_WR) !== 0;
  }
  private set shutWr(v: boolean) {
    this.bits = v ? this.bits | F_SHUT_WR : this.bits & ~F_SHUT_WR;
  }
  private get shutRd(): boolean {
    return (this.bits & F_SHUT_RD) !== 0;
  }
  private set shutRd(v: boolean) {
    this.bits = v ? this.bits | F_SHUT_RD : this.bits & ~F_SHUT_RD;
  }
  get nodelay(): boolean {
    return (this.bits & F_NODELAY) !== 0;
  }
  set nodelay(v: boolean) {
    this.bits = v ? this.bits | F_NODELAY : this.bits & ~F_NODELAY;
  }
  /** tp->rx_opt.tstamp_ok: both ends sent timestamps in the handshake (RFC 7323). */
  get tsOk(): boolean {
    return (this.bits & F_TS_OK) !== 0;
  }
  private set tsOk(v: boolean) {
    this.bits = v ? this.bits | F_TS_OK : this.bits & ~F_TS_OK;
  }
  get cork(): boolean {
    return (this.bits & F_CORK) !== 0;
  }
  set cork(v: boolean) {
    this.bits = v ? this.bits | F_CORK : this.bits & ~F_CORK;
  }
  // ---- listening ----
  /** A listener's queues and backlog (made by listen(), or on first use). */
  private lq: { backlog: number; acceptQ: TcpSock[]; synQ: Set<TcpSock> } | undefined;
  private get listenQueues(): { backlog: number; acceptQ: TcpSock[]; synQ: Set<TcpSock> } {
    return (this.lq ??= { backlog: 0, acceptQ: [], synQ: new Set() });
  }
  private get backlog(): number {
    return this.lq?.backlog ?? 0;
  }
  /** Established children waiting for accept() (a listener's). */
  get acceptQueue(): TcpSock[] {
    return this.listenQueues.acceptQ;
  }
  /** Children in SYN_RECV (the request socks of a listener). */
  get synQueue(): Set<TcpSock> {
    return this.listenQueues.synQ;
  }
  parent: TcpSock | undefined;
  /** What the send path runs bytes through (SK_MSG), if anything (tcp_bpf_sendmsg). */
  sendHook: TcpSendHook | undefined;
  /** Bytes to read before the TCP receive queue (tcp_bpf_recvmsg: a psock's ingress). */
  recvHook: ((maxBytes: number) => Uint8Array | undefined) | undefined;

  constructor(
    host: Host,
    family: 4 | 6,
    owner: Process,
    proto: TcpProtocol,
  ) {
    super(host, family, SOCK_STREAM, IPPROTO_TCP, owner, family === 4 ? ANY4 : ANY6);
    this.cc = proto.defaultCongestion;
  }

  /** The host's TCP (through the host: one field fewer in every socket). */
  private get proto(): TcpProtocol {
    return this.host.tcp!;
  }

  /** For the congestion ops: the clock, and the bytes in flight. */
  get ccNow(): number {
    return this.now;
  }
  get flight(): number {
    return diff(this.sndNxt, this.sndUna);
  }

  private get now(): number {
    return this.host.network.sim.now;
  }

  private setState(to: number): void {
    if (this.state === to) return;
    const from = this.state;
    traceSetState(this, from, to);
    // tcp_set_state(): BPF_SOCK_OPS_STATE_CB (when asked for), before the state changes.
    // TIME_WAIT is a separate mini socket in Linux (tcp_time_wait): the full socket the
    // program sees goes to CLOSE (tcp_done), as this machine's kernel reports FIN_WAIT2 →
    // CLOSE (hooks golden 'sock-ops-state-cb'); the mini socket's end calls no program.
    if (this.cbFlags & BPF_SOCK_OPS_CB.STATE && from !== S.TCP_TIME_WAIT) this.callBpf(BPF_SOCK_OPS.STATE_CB, from, to === S.TCP_TIME_WAIT ? S.TCP_CLOSE : to);
    this.state = to;
    if (to === S.TCP_LISTEN) {
      this.proto.hashListener(this);
      // __inet_listen_sk(): BPF_SOCK_OPS_TCP_LISTEN_CB.
      this.callBpf(BPF_SOCK_OPS.TCP_LISTEN_CB);
    } else if (from === S.TCP_LISTEN) this.proto.unhashListener(this);
    const net = this.host.network;
    net.events.emit('tcp:state', { time: net.sim.now, host: this.host.name, socket: this.describe(), from: tcpStateName(from), to: tcpStateName(to) });
    this.wake();
  }

  poll(): PollState {
    const readable = this.rqBytes > 0 || this.finReceived || (this.lq?.acceptQ.length ?? 0) > 0 || this.error !== undefined || this.state === S.TCP_CLOSE;
    const writable = (this.state === S.TCP_ESTABLISHED || this.state === S.TCP_CLOSE_WAIT) && this.sbufLen < this.options.sndbuf;
    return { readable, writable, error: this.error !== undefined, hup: this.finReceived || this.state === S.TCP_CLOSE };
  }

  // ---- addresses on the wire ----
  private wire(a: IpAddr): IpAddr {
    return a.family === 6 && isV4Mapped(a) ? unmapV4(a) : a;
  }
  get localWire(): IpAddr {
    return this.wire(this.srcAddr);
  }
  get remoteWire(): IpAddr {
    return this.wire(this.peer!.addr);
  }

  // ---- user calls ----

  bind(_addr: SockAddr): void {}

  /** tcp_v4_connect(): route, pick the source and a port unique for the 4-tuple, send SYN. */
  connect(addr: SockAddr): void {
    if (this.state === S.TCP_LISTEN) throw new SysError('EINVAL', 'a listening socket cannot connect');
    if (this.state === S.TCP_SYN_SENT) throw new SysError('EALREADY', 'a connect is in progress');
    if (this.state !== S.TCP_CLOSE) throw new SysError('EISCONN', 'the socket is connected');
    const dstAddr = this.family === 6 && addr.family === 4 ? v4Mapped(addr.addr) : addr.addr;
    // tcp_v6_connect(): a v4-mapped destination on an IPV6_V6ONLY socket.
    if (this.family === 6 && isV4Mapped(dstAddr) && ipv6Only(this)) throw new SysError('ENETUNREACH', 'an IPV6_V6ONLY socket cannot reach a v4-mapped address');
    const dst = this.wire(dstAddr);
    if (isAny(dst)) throw new SysError('ECONNREFUSED', 'connect to the wildcard address');
    const route = this.host.route(dst, this.options.boundDev, isAny(this.boundAddr) ? undefined : this.wire(this.boundAddr));
    if (!route) throw new SysError('ENETUNREACH', `no route to ${dst.text}`);
    if (isAny(this.boundAddr)) this.srcAddr = this.family === 6 && route.src.family === 4 ? v4Mapped(route.src) : route.src;
    this.peer = { family: this.family, addr: dstAddr, port: addr.port };
    if (!this.localPort) {
      portTable(this.host, 'tcp').connectBind(this, (port) => !this.proto.lookupEstablished(this.localWire, port, dst, addr.port));
    } else if (this.proto.lookupEstablished(this.localWire, this.localPort, dst, addr.port)) {
      this.peer = undefined;
      throw new SysError('EADDRNOTAVAIL', 'the 4-tuple is in use');
    }
    this.mss = this.routeMss(route.dev.mtu, dst.family);
    this.advMss = this.mss;
    this.iss = this.proto.secureSeq(this.localWire, this.localPort, dst, addr.port);
    this.sndUna = this.iss;
    this.sndNxt = add(this.iss, 1);
    this.sndMax = this.sndNxt;
    this.proto.hashEstablished(this);
    this.setState(S.TCP_SYN_SENT);
    // tcp_connect(): BPF_SOCK_OPS_TCP_CONNECT_CB before the SYN goes.
    this.callBpf(BPF_SOCK_OPS.TCP_CONNECT_CB);
    this.initCallbacks(false);
    this.sendSyn(false);
    this.armRto();
  }

  private routeMss(mtu: number, family: 4 | 6): number {
    // ipv4_default_advmss() / ip6_default_advmss(): the MTU less the headers, but never a
    // segment whose datagram would not fit the 16-bit length field (lo's MTU is 65536:
    // MSS 65495 over IPv4, as Linux advertises on loopback).
    return family === 4 ? Math.min(mtu - 40, 65535 - 40) : Math.min(mtu - 60, 65535 - 20);
  }

  listen(backlog: number): void {
    if (this.state !== S.TCP_CLOSE && this.state !== S.TCP_LISTEN) throw new SysError('EINVAL', 'only a closed socket can listen');
    // net.core.somaxconn = 4096 clamps the backlog.
    this.listenQueues.backlog = Math.max(0, Math.min(backlog, 4096));
    if (this.state === S.TCP_LISTEN) return;
    const prev = this.state;
    this.state = S.TCP_LISTEN;
    try {
      // inet_csk_listen_start(): the port is checked again, now as a listener.
      portTable(this.host, 'tcp').bind(this, this.localPort);
    } catch (e) {
      this.state = prev;
      throw e;
    }
    this.state = prev;
    this.setState(S.TCP_LISTEN);
  }

  accept(): Sock | undefined {
    if (this.state !== S.TCP_LISTEN) throw new SysError('EINVAL', 'the socket is not listening');
    const c = this.acceptQueue.shift();
    if (c) c.parent = undefined;
    return c;
  }

  sendmsg(data: Uint8Array, _to: SockAddr | undefined, _flags: number): number {
    if (this.error) {
      const e = this.takeError()!;
      throw new SysError(e, 'the connection failed');
    }
    if (this.shutWr || (this.state !== S.TCP_ESTABLISHED && this.state !== S.TCP_CLOSE_WAIT)) {
      if (this.state === S.TCP_SYN_SENT || this.state === S.TCP_SYN_RECV) throw wouldBlock('EAGAIN', 'the connection is not established yet');
      throw new SysError(this.shutWr || this.state !== S.TCP_CLOSE ? 'EPIPE' : 'ENOTCONN', 'the socket cannot send');
    }
    if (this.sendHook) return this.sendHook(this, data);
    return this.queueData(data);
  }

  /**
   * sendfile(2) of `data` (the file's bytes) to this socket: splice into tcp_sendmsg with
   * MSG_SPLICE_PAGES on current Linux; a psock's program sees the bytes as the profile says
   * (4.17: tcp_bpf_sendpage, shared pages until pull_data).
   */
  sendfile(data: Uint8Array): number {
    if (this.sendHook && (this.state === S.TCP_ESTABLISHED || this.state === S.TCP_CLOSE_WAIT) && !this.shutWr && !this.error) return this.sendHook(this, data, { sendfile: true });
    return this.sendmsg(data, undefined, 0);
  }

  /** tcp_sendmsg_locked(): copy into the send buffer as far as SO_SNDBUF allows, then push. */
  queueData(data: Uint8Array): number {
    const room = this.options.sndbuf - this.sbufLen;
    if (room <= 0) throw wouldBlock('EAGAIN', 'the send buffer is full');
    const n = Math.min(room, data.length);
    this.ensure(this.sbufLen + n);
    this.sbuf.set(data.subarray(0, n), this.sbufLen);
    this.sbufLen += n;
    this.push();
    return n;
  }

  private ensure(cap: number): void {
    if (cap <= this.sbuf.length) return;
    // Start at what the first write needs (a 100-byte request gets 256 bytes, not 2 KiB).
    let size = Math.max(this.sbuf.length, 256);
    while (size < cap) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.sbuf.subarray(0, this.sbufLen));
    this.sbuf = b;
  }

  recvmsg(maxBytes: number, flags: number): { data: Uint8Array } | undefined {
    const redirected = this.recvHook?.(maxBytes);
    if (redirected) return { data: redirected };
    if (this.rqBytes === 0) {
      if (this.error) {
        const e = this.takeError()!;
        throw new SysError(e, 'the connection failed');
      }
      if (this.finReceived || this.shutRd || this.state === S.TCP_CLOSE) return { data: new Uint8Array(0) };
      if (this.state === S.TCP_LISTEN || this.state === S.TCP_SYN_SENT) throw new SysError('ENOTCONN', 'the socket is not connected');
      return undefined;
    }
    const MSG_PEEK = 2;
    const n = Math.min(maxBytes, this.rqBytes);
    const out = new Uint8Array(n);
    let at = 0;
    let i = 0;
    while (at < n) {
      const c = this.rq[i]!;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (flags & MSG_PEEK) {
        i++;
        continue;
      }
      if (k === c.length) this.rq.shift();
      else this.rq[0] = c.subarray(k);
    }
    if (!(flags & MSG_PEEK)) {
      const before = this.rcvWindow();
      this.rqBytes -= n;
      // Window update when the window opens from (nearly) closed.
      if (before < this.mss && this.rcvWindow() >= this.mss) this.sendAck();
    }
    return { data: out };
  }

  shutdown(how: number): void {
    // SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2
    if (this.state === S.TCP_CLOSE || this.state === S.TCP_LISTEN || this.state === S.TCP_SYN_SENT) {
      if (this.state !== S.TCP_LISTEN) throw new SysError('ENOTCONN', 'the socket is not connected');
    }
    if (how === 0 || how === 2) this.shutRd = true;
    if (how === 1 || how === 2) this.closeWrite();
    this.wake();
  }

  private closeWrite(): void {
    if (this.shutWr) return;
    this.shutWr = true;
    if (this.state === S.TCP_ESTABLISHED) this.setState(S.TCP_FIN_WAIT1);
    else if (this.state === S.TCP_CLOSE_WAIT) this.setState(S.TCP_LAST_ACK);
    else return;
    this.finQueued = true;
    this.push();
  }

  /** tcp_close(): listeners drop their queues; unread data or SO_LINGER 0 resets; else FIN. */
  close(): void {
    if (this.state === S.TCP_LISTEN) {
      for (const c of [...this.acceptQueue, ...this.synQueue]) c.abort();
      this.acceptQueue.length = 0;
      this.synQueue.clear();
      this.setState(S.TCP_CLOSE);
      portTable(this.host, 'tcp').unbind(this);
      return;
    }
    if (this.state === S.TCP_CLOSE) {
      portTable(this.host, 'tcp').unbind(this);
      return;
    }
    if (this.state === S.TCP_SYN_SENT) {
      this.teardown();
      return;
    }
    const linger0 = this.options.linger?.onoff && this.options.linger.seconds === 0;
    if (this.rqBytes > 0 || linger0) {
      // tcp_close(): unread data is TCP_ABORT_ON_CLOSE, SO_LINGER 0 TCP_ABORT_ON_LINGER.
      this.abort(this.rqBytes > 0 ? SK_RST_REASON.TCP_ABORT_ON_CLOSE : SK_RST_REASON.TCP_ABORT_ON_LINGER);
      return;
    }
    this.shutRd = true;
    this.closeWrite();
  }

  /** tcp_send_active_reset() then gone. */
  abort(reason: number = SK_RST_REASON.NOT_SPECIFIED): void {
    rstReason = reason;
    if (this.state !== S.TCP_CLOSE && this.state !== S.TCP_LISTEN && this.state !== S.TCP_SYN_SENT && this.peer) {
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK });
    }
    this.teardown();
  }

  override setProtoOption(level: number, name: number, value: number): boolean {
    if (level !== SOL_TCP) return false;
    if (name === TCP_NODELAY) {
      this.nodelay = value !== 0;
      if (this.nodelay) this.push();
    } else if (name === TCP_CORK) {
      this.cork = value !== 0;
      if (!this.cork) this.push();
    } else if (name === TCP_MAXSEG) this.mss = Math.max(88, Math.min(value, this.mss));
    else if (name === TCP_KEEPIDLE || name === TCP_KEEPINTVL) {
      if (value < 1 || value > MAX_TCP_KEEPIDLE) throw new SysError('EINVAL', `${name === TCP_KEEPIDLE ? 'TCP_KEEPIDLE' : 'TCP_KEEPINTVL'} takes 1..${MAX_TCP_KEEPIDLE} seconds`);
      if (name === TCP_KEEPINTVL) this.keep.intvl = value * SEC;
      else {
        // tcp_sock_set_keepidle_locked(): a running timer is moved to the new idle time.
        this.keep.idle = value * SEC;
        if (this.keepaliveActive()) this.resetKeepalive(Math.max(0, this.keep.idle - (this.now - this.keep.lastRcv)));
      }
    } else if (name === TCP_KEEPCNT) {
      if (value < 1 || value > MAX_TCP_KEEPCNT) throw new SysError('EINVAL', `TCP_KEEPCNT takes 1..${MAX_TCP_KEEPCNT}`);
      this.keep.cnt = value;
    } else return false;
    return true;
  }

  // ---- sock_ops (include/net/tcp.h: tcp_call_bpf) ----

  /** bpf_sock_ops_cb_flags (kept in the packed bits, 8..14). */
  private get cbFlags(): number {
    return (this.bits >> 8) & BPF_SOCK_OPS_CB.ALL;
  }

  /** tcp_call_bpf(sk, op, nargs, args): the reply of the cgroup's SOCK_OPS programs, or -1. */
  private callBpf(op: number, ...args: number[]): number {
    return this.callBpfAs(false, op, args);
  }

  /**
   * The sock_ops callbacks of a connection's first segment, in Linux's order (this
   * machine's kernel, hooks golden 'sock-ops-callbacks'): tcp_rwnd_init_bpf()
   * (RWND_INIT), tcp_timeout_init() (TIMEOUT_INIT: a positive reply is the SYN's or
   * SYN-ACK's RTO in jiffies) and tcp_bpf_ca_needs_ecn() (NEEDS_ECN). bpfsim has no ECN and
   * no initial-window growth to give RWND_INIT's reply to; those replies are not used.
   */
  private initCallbacks(request: boolean): void {
    const call = (op: number): number => (request ? this.callBpfRequest(op) : this.callBpf(op));
    call(BPF_SOCK_OPS.RWND_INIT);
    const timeout = call(BPF_SOCK_OPS.TIMEOUT_INIT);
    if (timeout > 0) this.rto = Math.min(timeout * JIFFY, TCP_RTO_MAX);
    call(BPF_SOCK_OPS.NEEDS_ECN);
  }

  /** tcp_call_bpf() on the request socket of a SYN (this is the child-to-be). */
  private callBpfRequest(op: number): number {
    return this.callBpfAs(true, op, []);
  }

  private callBpfAs(request: boolean, op: number, args: number[]): number {
    const hooks = this.host.hooks;
    if (!hooks.sockOps) return -1;
    return hooks.sockOps(
      this,
      op,
      args,
      () => (request ? { ...this.opsInfo(), request: true } : this.opsInfo()),
      (f) => (this.bits = (this.bits & ~(BPF_SOCK_OPS_CB.ALL << 8)) | ((f & BPF_SOCK_OPS_CB.ALL) << 8)),
    );
  }

  /** What struct bpf_sock_ops shows of the connection (tcp_sock's fields, in Linux units:
   * segments, µs, srtt_us << 3). bytes_received, total_retrans and the rate fields are not
   * kept by the simulation and read 0. */
  private opsInfo(): TcpOpsInfo {
    const mss = Math.max(1, this.mss);
    return {
      sndCwnd: Math.floor(this.cwnd / mss),
      srttUs: Math.round(this.srtt / 1000) << 3,
      rttMinUs: Math.round(this.minRtt / 1000),
      sndSsthresh: this.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(this.ssthresh / mss),
      rcvNxt: this.rcvNxt,
      sndNxt: this.sndNxt,
      sndUna: this.sndUna,
      mss: this.mss,
      packetsOut: Math.ceil(Math.max(0, diff(this.sndNxt, this.sndUna)) / mss),
      totalRetrans: 0,
      bytesReceived: 0,
      bytesAcked: this.state === S.TCP_SYN_SENT ? 0 : Math.max(0, diff(this.sndUna, add(this.iss, 1))),
      cbFlags: this.cbFlags,
    };
  }

  // ---- keepalive (net/ipv4/tcp_timer.c: tcp_keepalive_timer) ----

  private get keep(): Keepalive {
    return (this.ka ??= { idle: TCP_KEEPALIVE_TIME, intvl: TCP_KEEPALIVE_INTVL, cnt: TCP_KEEPALIVE_PROBES, probesOut: 0, lastRcv: this.now, timer: undefined });
  }

  private keepaliveActive(): boolean {
    return this.options.keepalive && this.state !== S.TCP_CLOSE && this.state !== S.TCP_LISTEN && this.state !== S.TCP_SYN_SENT;
  }

  /** tcp_set_keepalive(): SO_KEEPALIVE on arms the timer for the idle time, off stops it. */
  override keepaliveChanged(): void {
    if (this.keepaliveActive()) this.resetKeepalive(this.keep.idle);
    else {
      this.ka?.timer?.cancel();
      if (this.ka) this.ka.timer = undefined;
    }
  }

  private resetKeepalive(after: number): void {
    const k = this.keep;
    k.timer?.cancel();
    k.timer = this.host.network.sim.schedule(after, () => this.keepaliveTimer());
  }

  /**
   * tcp_keepalive_timer(): with nothing in flight or queued and the peer silent for the idle
   * time, a probe (a bare ACK one below snd_una, which the peer must answer) every interval;
   * after `cnt` unanswered probes, a reset and ETIMEDOUT.
   */
  private keepaliveTimer(): void {
    const k = this.ka;
    if (!k) return;
    k.timer = undefined;
    if (!this.keepaliveActive() || this.state === S.TCP_TIME_WAIT) return;
    if (diff(this.sndNxt, this.sndUna) > 0 || this.sbufLen > 0) return this.resetKeepalive(k.idle);
    const elapsed = this.now - k.lastRcv;
    if (elapsed < k.idle) return this.resetKeepalive(k.idle - elapsed);
    if (k.probesOut >= k.cnt) {
      rstReason = SK_RST_REASON.TCP_KEEPALIVE_TIMEOUT;
      this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_RST | TCP_ACK });
      this.fail('ETIMEDOUT');
      return;
    }
    this.emit({ seq: add(this.sndUna, -1), ack: this.rcvNxt, flags: TCP_ACK });
    k.probesOut++;
    this.resetKeepalive(k.intvl);
  }

  override getProtoOption(level: number, name: number): number | undefined {
    if (level !== SOL_TCP) return undefined;
    if (name === TCP_NODELAY) return this.nodelay ? 1 : 0;
    if (name === TCP_CORK) return this.cork ? 1 : 0;
    if (name === TCP_MAXSEG) return this.sendMss;
    if (name === TCP_KEEPIDLE) return Math.round((this.ka?.idle ?? TCP_KEEPALIVE_TIME) / SEC);
    if (name === TCP_KEEPINTVL) return Math.round((this.ka?.intvl ?? TCP_KEEPALIVE_INTVL) / SEC);
    if (name === TCP_KEEPCNT) return this.ka?.cnt ?? TCP_KEEPALIVE_PROBES;
    return undefined;
  }

  /** TCP_CONGESTION: tcp_set_congestion_control() by name (ENOENT for one not available). */
  setCongestion(name: string): void {
    const ops = CONGESTION_OPS.get(name);
    if (!ops) throw new SysError('ENOENT', `no congestion control '${name}' (available: ${[...CONGESTION_OPS.keys()].join(' ')})`);
    if (ops === this.cc) return;
    this.cc = ops;
    this.ccPriv = undefined;
  }

  // ---- segments out ----

  private rcvWindow(): number {
    return Math.max(0, this.options.rcvbuf - this.rqBytes);
  }

  /**
   * A SYN's or SYN-ACK's window (tcp_select_initial_window): the space, at most 65535
   * unscaled, quantized to a multiple of the MSS (less the timestamp option on a SYN-ACK
   * that has it): 64240 in a SYN on Ethernet, 65160 in its SYN-ACK, 65495/65483 on lo.
   */
  private synWindow(flags: number): number {
    const mss = this.advMss - (flags & TCP_ACK && this.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    const space = Math.min(this.rcvWindow(), 65535);
    return space > mss ? space - (space % mss) : space;
  }

  /**
   * __tcp_select_window(): the window field of a segment after the handshake. Less free
   * space than an MSS (and under half the buffer) is a zero window (silly window
   * avoidance). Linux then rounds the free space up to the scale's unit and takes data
   * up to what it advertised; bpfsim, which checks arriving data against its free buffer,
   * rounds down, so it never offers more than it has.
   */
  private advWindow(): number {
    const free = this.rcvWindow();
    if (free < this.mss && free < this.options.rcvbuf >> 1) return 0;
    return Math.min(free >> this.rcvWscale, 65535);
  }

  /**
   * mss_cache as tcp_sync_mss() leaves it: the MSS, but no more than half the largest
   * window the peer has offered (tcp_bound_to_half_wnd), so a huge-MTU link (lo) still
   * sends two segments per window: 32741 right after a connect over lo, as Linux reads.
   */
  private get sendMss(): number {
    if (this.bits & F_MAXWND_BIG) return this.mss;
    const maxWnd = MAX_WINDOW.get(this) ?? 0;
    const cut = maxWnd > 536 ? maxWnd >> 1 : maxWnd;
    return cut && this.mss > cut ? Math.max(cut, 68 - (this.tsOk ? 32 : 20)) : this.mss;
  }
  /** Records the peer's window (tcp_ack_update_window: max_window). */
  private setSndWnd(w: number): void {
    this.sndWnd = w;
    if (this.bits & F_MAXWND_BIG) return;
    if (w >= 2 * this.mss) {
      this.bits |= F_MAXWND_BIG;
      MAX_WINDOW.delete(this);
    } else if (w > (MAX_WINDOW.get(this) ?? 0)) MAX_WINDOW.set(this, w);
  }

  /** tcp_time_stamp_ts(): the millisecond clock plus the connection's offset. */
  private tsVal(): number {
    return (Math.floor(this.now / 1e6) + this.proto.tsOffset(this.localWire, this.remoteWire)) >>> 0;
  }

  private emit(s: { seq: number; ack: number; flags: number; data?: Uint8Array; syn?: boolean }): void {
    const win = s.syn ? this.synWindow(s.flags) : this.advWindow();
    // tcp_syn_options() / tcp_synack_options() / tcp_established_options(): a SYN offers
    // timestamps when the sysctl allows; after that both ends send them only if both did.
    const ts: [number, number] | undefined =
      this.tsOk || (s.syn && !(s.flags & TCP_ACK) && this.host.tcpTimestamps) ? [this.tsVal(), s.syn && !(s.flags & TCP_ACK) ? 0 : this.tsRecent] : undefined;
    const options = s.syn ? { mss: this.advMss, wscale: wscaleOffer(this.host), ...(ts ? { ts } : {}) } : ts ? { ts } : undefined;
    // tcp_select_window(): the window is advertised up to rcv_nxt.
    const src = this.localWire;
    const dst = this.remoteWire;
    const seg = buildTcp(src.bytes, dst.bytes, { srcPort: this.localPort, dstPort: this.peer!.port, seq: s.seq, ack: s.ack, flags: s.flags, window: win, ...(options ? { options } : {}) }, s.data);
    if (s.flags & TCP_RST) {
      traceTcpSendReset(this.host.kernel, this, seg, rstReason);
      rstReason = SK_RST_REASON.NOT_SPECIFIED;
    }
    this.host.ipOutput({ family: dst.family, src, dst, protocol: IPPROTO_TCP, payload: seg, ...(this.options.ttl >= 0 ? { ttl: this.options.ttl } : {}), tos: this.options.tos });
    if (s.flags & TCP_ACK) this.cancelDelack();
  }

  private sendSyn(ack: boolean): void {
    this.emit({ seq: this.iss, ack: ack ? this.rcvNxt : 0, flags: ack ? TCP_SYN | TCP_ACK : TCP_SYN, syn: true });
    // The handshake gives the first RTT sample (not after a retransmission: Karn).
    if (this.retries === 0) this.rttSample = { seq: add(this.iss, 1), at: this.now };
  }

  private sendAck(): void {
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_ACK });
  }

  /** tcp_write_xmit(): send what the windows allow (Nagle and cork may hold a runt). */
  private push(): void {
    if (this.state !== S.TCP_ESTABLISHED && this.state !== S.TCP_CLOSE_WAIT && this.state !== S.TCP_FIN_WAIT1 && this.state !== S.TCP_LAST_ACK && this.state !== S.TCP_CLOSING) return;
    for (;;) {
      const sent = diff(this.sndNxt, this.sndUna);
      const unsent = this.sbufLen - sent;
      const inflight = sent;
      const wnd = Math.min(this.cwnd, this.sndWnd);
      if (unsent > 0) {
        const mss = this.sendMss;
        let len = Math.min(mss, unsent, wnd - inflight);
        if (len <= 0) {
          // Zero window with nothing in flight: probe with the RTO timer.
          if (inflight === 0) this.armRto();
          break;
        }
        // Nagle: a runt waits while data is in flight (unless TCP_NODELAY); cork holds it.
        if (len < mss && len === unsent && (this.cork || (!this.nodelay && inflight > 0)) && !this.finQueued) break;
        len = Math.max(len, 0);
        const data = this.sbuf.slice(sent, sent + len);
        const last = len === unsent;
        // The FIN rides on the last segment; after a go-back (RTO) it is sent again at the
        // sequence number it had (snd_max - 1).
        const fin = last && this.finQueued && (this.finSent ? add(this.sndNxt, len) === add(this.sndMax, -1) : len + inflight < wnd);
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_ACK | (last ? TCP_PSH : 0) | (fin ? TCP_FIN : 0), data });
        if (!this.rttSample) this.rttSample = { seq: add(this.sndNxt, len), at: this.now };
        this.sndNxt = add(this.sndNxt, len + (fin ? 1 : 0));
        if (lt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        if (fin) this.finSent = true;
        this.armRto();
        continue;
      }
      if (this.finQueued && (!this.finSent || this.sndNxt === add(this.sndMax, -1))) {
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: TCP_FIN | TCP_ACK });
        this.sndNxt = add(this.sndNxt, 1);
        if (lt(this.sndMax, this.sndNxt)) this.sndMax = this.sndNxt;
        this.finSent = true;
        this.armRto();
      }
      break;
    }
  }

  /** Retransmits from snd_una: one segment (or the SYN / FIN). */
  private retransmitHead(reason: 'rto' | 'fast' | 'syn' | 'synack' | 'fin'): void {
    const net = this.host.network;
    if (this.state === S.TCP_SYN_SENT) {
      this.sendSyn(false);
    } else if (this.state === S.TCP_SYN_RECV) {
      this.sendSyn(true);
    } else {
      const len = Math.min(this.sendMss, this.sbufLen);
      if (len > 0) {
        const fin = len === this.sbufLen && this.finSent;
        this.emit({ seq: this.sndUna, ack: this.rcvNxt, flags: TCP_ACK | TCP_PSH | (fin ? TCP_FIN : 0), data: this.sbuf.slice(0, len) });
      } else if (this.finSent) this.emit({ seq: this.sndUna, ack: this.rcvNxt, flags: TCP_FIN | TCP_ACK });
      else return;
    }
    this.rttSample = undefined;
    this.bits |= F_RTX;
    traceRetransmit(this);
    // tcp_retransmit_skb(): BPF_SOCK_OPS_RETRANS_CB (seq, segments, err).
    if (this.cbFlags & BPF_SOCK_OPS_CB.RETRANS) this.callBpf(BPF_SOCK_OPS.RETRANS_CB, this.sndUna, 1, 0);
    net.events.emit('tcp:retransmit', { time: net.sim.now, host: this.host.name, socket: this.describe(), seq: this.sndUna, length: Math.min(this.sendMss, this.sbufLen), reason });
  }

  private armRto(): void {
    if (this.rtoTimer?.pending) return;
    this.rtoTimer = this.host.network.sim.schedule(this.rto, () => this.onRto());
  }

  private restartRto(): void {
    this.rtoTimer?.cancel();
    this.rtoTimer = undefined;
    if (diff(this.sndNxt, this.sndUna) > 0 || (this.sbufLen > 0 && this.sndWnd === 0)) this.armRto();
  }

  /** tcp_retransmit_timer() */
  private onRto(): void {
    this.rtoTimer = undefined;
    const limit = this.state === S.TCP_SYN_SENT ? TCP_SYN_RETRIES : this.state === S.TCP_SYN_RECV ? TCP_SYNACK_RETRIES : TCP_RETRIES2;
    if (this.retries >= limit) {
      this.fail(this.state === S.TCP_SYN_RECV ? undefined : 'ETIMEDOUT');
      return;
    }
    this.retries++;
    // tcp_write_timeout(): BPF_SOCK_OPS_RTO_CB (retransmits, rto in jiffies, expired).
    if (this.cbFlags & BPF_SOCK_OPS_CB.RTO) this.callBpf(BPF_SOCK_OPS.RTO_CB, this.retries - 1, Math.ceil(this.rto / JIFFY), 0);
    if (diff(this.sndNxt, this.sndUna) > 0 || this.state === S.TCP_SYN_SENT || this.state === S.TCP_SYN_RECV) {
      // Loss: NewReno's response to a timeout, then go back to snd_una.
      // tcp_enter_loss(): ->ssthresh(), cwnd to one segment, ->set_state(TCP_CA_Loss).
      this.ssthresh = this.cc.ssthresh(this);
      this.cwnd = this.mss;
      this.cc.onLoss?.(this);
      this.recover = undefined;
      this.dupAcks = 0;
      this.retransmitHead(this.state === S.TCP_SYN_SENT ? 'syn' : this.state === S.TCP_SYN_RECV ? 'synack' : 'rto');
      if (this.state !== S.TCP_SYN_SENT && this.state !== S.TCP_SYN_RECV) {
        const head = Math.min(this.sendMss, this.sbufLen);
        this.sndNxt = add(this.sndUna, head + (head === this.sbufLen && this.finSent ? 1 : 0) + (head === 0 && this.finSent ? 1 : 0));
      }
    } else if (this.sbufLen > 0) {
      // The window is closed and nothing is in flight: tcp_probe_timer() → tcp_write_wakeup()
      // → tcp_xmit_probe_skb(sk, 0): a bare ACK at snd_una - 1, an old sequence number the
      // receiver answers with an ACK that carries its window.
      this.emit({ seq: add(this.sndUna, -1), ack: this.rcvNxt, flags: TCP_ACK });
    }
    this.rto = Math.min(this.rto * 2, TCP_RTO_MAX);
    this.armRto();
  }

  private cancelDelack(): void {
    this.delackTimer?.cancel();
    this.delackTimer = undefined;
    this.unackedSegs = 0;
  }

  // ---- segments in ----

  /** The socket's half of tcp_rcv_state_process() / tcp_rcv_established(). */
  input(seg: TcpSegment, src: IpAddr): void {
    if (this.state === S.TCP_LISTEN) return this.listenInput(seg, src);
    if (this.state === S.TCP_SYN_SENT) return this.synSentInput(seg);
    if (this.state === S.TCP_CLOSE) return;
    if (this.ka) {
      // tcp_ack(): rcv_tstamp = now, icsk_probes_out = 0.
      this.ka.lastRcv = this.now;
      if (seg.flags & TCP_ACK) this.ka.probesOut = 0;
    }
    const len = seg.payload.length + (seg.flags & TCP_FIN ? 1 : 0);
    // Acceptability (RFC 793): the segment overlaps the receive window.
    const wnd = this.rcvWindow();
    const acceptable = len === 0 ? (wnd === 0 ? seg.seq === this.rcvNxt : le(this.rcvNxt, seg.seq) && lt(seg.seq, add(this.rcvNxt, Math.max(wnd, 1)))) : lt(seg.seq, add(this.rcvNxt, Math.max(wnd, 1))) && lt(this.rcvNxt, add(seg.seq, len));
    // tcp_validate_incoming(): PAWS first (RFC 7323 5). A segment whose TSval is older than
    // ts_recent by more than TCP_PAWS_WINDOW (1) is an old duplicate: dropped with a
    // duplicate ACK, unless it is a RST, or a pure ACK that merely arrived out of order
    // (tcp_disordered_ack: nothing new, within about an RTO of ts_recent).
    if (this.tsOk && seg.options.ts && !(seg.flags & TCP_RST) && this.pawsReject(seg)) {
      this.sendAck();
      return;
    }
    if (seg.flags & TCP_RST) {
      // RFC 5961-ish: only an in-window RST resets.
      if (acceptable || seg.seq === this.rcvNxt) this.reset();
      return;
    }
    if (!acceptable) {
      if (!(seg.flags & TCP_RST)) this.sendAck();
      return;
    }
    if (seg.flags & TCP_SYN && this.state !== S.TCP_SYN_RECV) {
      // A SYN in the window: challenge ACK (RFC 5961).
      this.sendAck();
      return;
    }
    // tcp_replace_ts_recent(): the TSval of a segment that starts at or before the last
    // ACK we sent (rcv_wup) is the one to echo (RFC 7323 4.3). rcv_wup is rcv_nxt unless
    // data came in since that ACK (a delayed ACK is pending); an old segment starts before.
    if (this.tsOk && seg.options.ts && (lt(seg.seq, this.rcvNxt) || (seg.seq === this.rcvNxt && this.unackedSegs === 0))) this.tsRecent = seg.options.ts[0];
    if (!(seg.flags & TCP_ACK)) return;
    if (this.state === S.TCP_SYN_RECV) {
      if (!(le(this.sndUna, seg.ack) && le(seg.ack, this.sndNxt))) {
        this.emit({ seq: seg.ack, ack: 0, flags: TCP_RST });
        return;
      }
      this.sndUna = seg.ack;
      // tcp_synack_rtt_meas(): the SYN-ACK's round trip (after a retransmitted SYN-ACK, from
      // the echoed timestamp).
      if (this.rttSample && this.retries === 0) this.rttUpdate(this.now - this.rttSample.at);
      else this.tsRtt(seg);
      this.rttSample = undefined;
      this.retries = 0;
      this.restartRto();
      this.setSndWnd(seg.window << this.sndWscale);
      // tcp_rcv_state_process(): tcp_init_transfer() (BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB,
      // the socket still in SYN_RECV) comes before tcp_set_state(TCP_ESTABLISHED), so a
      // program that asks for STATE_CB there sees SYN_RECV → ESTABLISHED.
      this.callBpf(BPF_SOCK_OPS.PASSIVE_ESTABLISHED_CB);
      if (this.state !== S.TCP_SYN_RECV) return;
      this.setState(S.TCP_ESTABLISHED);
      if (this.options.keepalive) this.resetKeepalive(this.keep.idle);
      const p = this.parent;
      if (p) {
        p.synQueue.delete(this);
        if (p.acceptQueue.length >= p.backlog + 1) {
          // The accept queue is full: Linux drops the ACK (the child stays half-open);
          // here the child is dropped with a reset.
          this.abort();
          return;
        }
        p.acceptQueue.push(this);
        p.wake();
      }
    }
    this.ackInput(seg);
    if (this.state === S.TCP_CLOSE) return;
    this.dataInput(seg);
  }

  private ackInput(seg: TcpSegment): void {
    const ack = seg.ack;
    if (lt(this.sndMax, ack)) {
      this.sendAck();
      return;
    }
    // After a timeout snd_nxt went back; the peer may have had more than it covers.
    if (lt(this.sndNxt, ack)) this.sndNxt = ack;
    const wnd = seg.window << this.sndWscale;
    if (lt(this.sndUna, ack)) {
      const acked = diff(ack, this.sndUna);
      // Bytes of the buffer acknowledged (a FIN takes a sequence number, not a byte).
      const bytes = Math.min(acked, this.sbufLen);
      this.sbuf.copyWithin(0, bytes, this.sbufLen);
      this.sbufLen -= bytes;
      this.sndUna = ack;
      this.setSndWnd(wnd);
      this.retries = 0;
      if (this.rttSample && le(this.rttSample.seq, ack)) {
        this.rttUpdate(this.now - this.rttSample.at);
        this.rttSample = undefined;
      } else if (this.bits & F_RTX) {
        this.tsRtt(seg);
        if (le(this.sndMax, ack)) this.bits &= ~F_RTX;
      }
      // NewReno (RFC 6582).
      if (this.recover !== undefined) {
        if (le(this.recover, ack)) {
          this.cwnd = Math.min(this.ssthresh, Math.max(diff(this.sndNxt, this.sndUna), this.mss) + this.mss);
          this.recover = undefined;
        } else {
          this.retransmitHead('fast');
          this.cwnd = Math.max(this.cwnd - bytes + this.mss, this.mss);
        }
      } else this.cc.congAvoid(this, bytes);
      this.dupAcks = 0;
      this.restartRto();
      this.finAcked();
      this.wake();
    } else if (ack === this.sndUna && seg.payload.length === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && diff(this.sndNxt, this.sndUna) > 0 && wnd === this.sndWnd) {
      this.dupAcks++;
      if (this.dupAcks === 3 && this.recover === undefined) {
        this.ssthresh = this.cc.ssthresh(this);
        this.cwnd = this.ssthresh + 3 * this.mss;
        this.recover = this.sndNxt;
        this.retransmitHead('fast');
      } else if (this.dupAcks > 3) this.cwnd += this.mss;
    } else this.setSndWnd(wnd);
    // tcp_ack(): icsk_probes_out = 0. A receiver that answers the window probes keeps the
    // connection (the probes count towards tcp_retries2 only while unanswered).
    if (diff(this.sndNxt, this.sndUna) === 0) this.retries = 0;
    this.push();
  }

  /** Our FIN was acknowledged: FIN_WAIT1 → FIN_WAIT2, CLOSING → TIME_WAIT, LAST_ACK → CLOSE. */
  private finAcked(): void {
    // The FIN is the last sequence number sent (snd_max - 1): acknowledged when snd_una
    // reaches snd_max with no data left (snd_nxt alone may have gone back after an RTO).
    if (!this.finSent || this.sbufLen !== 0 || this.sndUna !== this.sndMax) return;
    if (this.state === S.TCP_FIN_WAIT1) {
      this.setState(S.TCP_FIN_WAIT2);
      // tcp_fin_timeout: an orphan in FIN_WAIT2 goes after 60 s.
      this.twTimer = this.host.network.sim.schedule(TCP_TIMEWAIT, () => this.state === S.TCP_FIN_WAIT2 && this.teardown());
    } else if (this.state === S.TCP_CLOSING) this.timeWait();
    else if (this.state === S.TCP_LAST_ACK) this.teardown();
  }

  /** !tcp_paws_check(rx_opt, TCP_PAWS_WINDOW) && !tcp_disordered_ack(). */
  private pawsReject(seg: TcpSegment): boolean {
    const recent = this.tsRecent;
    const behind = diff(recent, seg.options.ts![0]);
    if (behind <= 1 || recent === 0) return false;
    // tcp_disordered_ack(): a pure ACK of snd_una at rcv_nxt that changes no window, within
    // the RTO (in the timestamp clock's milliseconds, as icsk_rto * 1024 / HZ).
    const pureAck = seg.flags === TCP_ACK && seg.payload.length === 0 && seg.seq === this.rcvNxt && seg.ack === this.sndUna && seg.window << this.sndWscale === this.sndWnd;
    return !(pureAck && behind <= Math.floor((this.rto / 1e6) * 1.024));
  }

  /**
   * tcp_ack_update_rtt() without a sequence sample (the data was retransmitted): the round
   * trip from the echoed timestamp, in the timestamp clock's milliseconds.
   */
  private tsRtt(seg: TcpSegment): void {
    const ecr = seg.options.ts?.[1];
    if (!this.tsOk || !ecr) return;
    const ms = diff(this.tsVal(), ecr);
    if (ms >= 0) this.rttUpdate(Math.max(ms, 1) * 1e6);
  }

  private rttUpdate(r: number): void {
    if (!this.minRtt || r < this.minRtt) this.minRtt = r;
    // Whole nanoseconds, as Linux keeps integer units (srtt_us << 3): small integers also
    // stay unboxed in the socket.
    if (!this.srtt) {
      this.srtt = r;
      this.rttvar = Math.round(r / 2);
    } else {
      this.rttvar = Math.round(0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r));
      this.srtt = Math.round(0.875 * this.srtt + 0.125 * r);
    }
    // __tcp_set_rto(): srtt + rttvar, where rttvar (4 × mdev) is at least tcp_rto_min.
    this.rto = Math.min(Math.round(this.srtt + Math.max(4 * this.rttvar, TCP_RTO_MIN)), TCP_RTO_MAX);
  }

  private dataInput(seg: TcpSegment): void {
    const fin = (seg.flags & TCP_FIN) !== 0;
    if (seg.payload.length === 0 && !fin) return;
    if (this.finReceived) {
      this.sendAck();
      return;
    }
    let data = seg.payload;
    let seq = seg.seq;
    // Trim what we have already.
    if (lt(seq, this.rcvNxt)) {
      const skip = diff(this.rcvNxt, seq);
      data = data.subarray(Math.min(skip, data.length));
      seq = this.rcvNxt;
    }
    if (data.length && this.rcvWindow() === 0) {
      // tcp_data_queue(): no room at all (tcp_receive_window() == 0): drop the segment
      // (SKB_DROP_REASON_TCP_ZEROWINDOW) and ACK, which tells the sender the window again.
      this.host.drop('tcp-zerowindow', seg.payload);
      this.sendAck();
      return;
    }
    if (seq !== this.rcvNxt) {
      // Out of order: keep it, and ACK at once (a duplicate ACK for the sender).
      if (data.length && !this.ooo.has(seq)) this.ooo.set(seq, data.slice());
      if (fin) this.ooo.set(add(seq, data.length), FIN_MARK);
      this.sendAck();
      return;
    }
    let gotFin = fin;
    this.deliver(data);
    // Pull in what the out-of-order queue now continues.
    for (let progress = true; progress; ) {
      progress = false;
      for (const [s, d] of this.oooMap ?? NO_SEGMENTS) {
        if (d === FIN_MARK) {
          if (s === this.rcvNxt) {
            this.ooo.delete(s);
            gotFin = true;
          }
          continue;
        }
        const end = add(s, d.length);
        if (le(end, this.rcvNxt)) {
          this.ooo.delete(s);
          progress = true;
        } else if (le(s, this.rcvNxt)) {
          this.ooo.delete(s);
          this.deliver(d.subarray(diff(this.rcvNxt, s)));
          progress = true;
        }
      }
    }
    if (gotFin) {
      this.rcvNxt = add(this.rcvNxt, 1);
      this.finReceived = true;
      if (this.state === S.TCP_ESTABLISHED) {
        // tcp_fin(): CLOSE_WAIT and inet_csk_enter_pingpong_mode(): the FIN's ACK is delayed,
        // so an application that closes at once sends its FIN with it (FIN, FIN-ACK, ACK, as
        // this machine's kernel does on lo).
        this.setState(S.TCP_CLOSE_WAIT);
        if (!this.delackTimer?.pending) this.delackTimer = this.host.network.sim.schedule(TCP_DELACK, () => this.sendAck());
      } else {
        // FIN_WAIT1 (a simultaneous close: CLOSING) and FIN_WAIT2 (TIME_WAIT): ACK at once.
        this.sendAck();
        if (this.state === S.TCP_FIN_WAIT1) this.setState(S.TCP_CLOSING);
        else if (this.state === S.TCP_FIN_WAIT2) this.timeWait();
      }
      this.wake();
      return;
    }
    // Delayed ACK: every second full segment at once, else within 40 ms; out-of-order
    // queues pending make it immediate.
    this.unackedSegs++;
    if (this.quickAcks > 0) {
      this.quickAcks--;
      this.sendAck();
    } else if (this.unackedSegs >= 2 || this.oooMap?.size) this.sendAck();
    else if (!this.delackTimer?.pending) this.delackTimer = this.host.network.sim.schedule(TCP_DELACK, () => this.sendAck());
  }

  private deliver(d: Uint8Array): void {
    if (!d.length) return;
    if (this.shutRd) {
      this.rcvNxt = add(this.rcvNxt, d.length);
      return;
    }
    if (this.rq === NO_DATA) this.rq = [];
    this.rq.push(d.slice());
    this.rqBytes += d.length;
    this.rcvNxt = add(this.rcvNxt, d.length);
    this.wake();
  }

  private timeWait(): void {
    this.setState(S.TCP_TIME_WAIT);
    this.rtoTimer?.cancel();
    this.twTimer?.cancel();
    this.twTimer = this.host.network.sim.schedule(TCP_TIMEWAIT, () => this.teardown());
  }

  /** A SYN_SENT socket's input: the SYN-ACK completes the handshake; RST refuses. */
  private synSentInput(seg: TcpSegment): void {
    if (seg.flags & TCP_ACK && (le(seg.ack, this.iss) || lt(this.sndNxt, seg.ack))) {
      if (!(seg.flags & TCP_RST)) this.emit({ seq: seg.ack, ack: 0, flags: TCP_RST });
      return;
    }
    if (seg.flags & TCP_RST) {
      // tcp_rcv_synsent_state_process() → tcp_reset(): ECONNREFUSED (traced as a reset).
      if (seg.flags & TCP_ACK) this.reset();
      return;
    }
    if (!(seg.flags & TCP_SYN)) return;
    this.rcvNxt = add(seg.seq, 1);
    this.sndWscale = seg.options.wscale ?? 0;
    this.rcvWscale = seg.options.wscale !== undefined ? wscaleOffer(this.host) : 0;
    if (seg.options.mss) this.mss = Math.min(this.mss, seg.options.mss);
    // tcp_rcv_synsent_state_process(): timestamps are on when the SYN-ACK has them too
    // (our SYN offered them); tcp_sync_mss() then takes their 12 bytes from every segment.
    if (seg.options.ts && this.host.tcpTimestamps) {
      this.tsOk = true;
      this.tsRecent = seg.options.ts[0];
      this.mss -= TCPOLEN_TSTAMP_ALIGNED;
    }
    this.cwnd = TCP_INIT_CWND * this.mss;
    if (seg.flags & TCP_ACK) {
      this.sndUna = seg.ack;
      // tcp_rcv_synsent_state_process(): snd_wnd = ntohs(th->window). A SYN-ACK's window
      // is never scaled (RFC 7323 2.2); scaling starts with the next segment.
      this.setSndWnd(seg.window);
      this.rtoTimer?.cancel();
      this.rtoTimer = undefined;
      // tcp_ack_update_rtt() on the SYN-ACK: the SYN's round trip; after a retransmitted SYN
      // (Karn) only the echoed timestamp gives one.
      if (this.rttSample && this.retries === 0) this.rttUpdate(this.now - this.rttSample.at);
      else this.tsRtt(seg);
      this.rttSample = undefined;
      this.retries = 0;
      if (!this.srtt) this.rto = TCP_RTO_INIT;
      this.setState(S.TCP_ESTABLISHED);
      if (this.options.keepalive) this.resetKeepalive(this.keep.idle);
      // tcp_finish_connect() → tcp_init_transfer(): BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB.
      this.callBpf(BPF_SOCK_OPS.ACTIVE_ESTABLISHED_CB);
      if (this.state !== S.TCP_ESTABLISHED) return;
      this.sendAck();
      this.push();
    } else {
      // Simultaneous open.
      this.setState(S.TCP_SYN_RECV);
      this.sendSyn(true);
    }
  }

  /** A listener's input: a SYN makes a child in SYN_RECV and a SYN-ACK. */
  private listenInput(seg: TcpSegment, src: IpAddr): void {
    if (seg.flags & TCP_RST) return;
    if (seg.flags & TCP_ACK) {
      this.proto.sendReset(seg, this.localWireFor(src), src);
      return;
    }
    if (!(seg.flags & TCP_SYN)) return;
    // The SYN queue and accept queue bound what a listener takes (tcp_conn_request drops).
    if (this.acceptQueue.length > this.backlog || this.synQueue.size >= Math.max(this.backlog, 1) * 2 + 8) return;
    const c = this.proto.createChild(this);
    c.boundAddr = this.boundAddr;
    c.srcAddr = this.family === 6 && src.family === 4 ? v4Mapped(this.proto.lastDst!) : this.proto.lastDst!;
    c.localPort = this.localPort;
    c.peer = { family: this.family, addr: this.family === 6 && src.family === 4 ? v4Mapped(src) : src, port: seg.srcPort };
    c.inheritOptions(this);
    c.nodelay = this.nodelay;
    c.cc = this.cc;
    // sk_clone_lock(): the child inherits SO_KEEPALIVE and the TCP_KEEP* settings.
    if (this.ka) c.ka = { idle: this.ka.idle, intvl: this.ka.intvl, cnt: this.ka.cnt, probesOut: 0, lastRcv: this.now, timer: undefined };
    c.parent = this;
    c.rcvNxt = add(seg.seq, 1);
    c.sndWscale = seg.options.wscale ?? 0;
    c.rcvWscale = seg.options.wscale !== undefined ? wscaleOffer(this.host) : 0;
    const route = this.host.route(src);
    c.advMss = c.routeMss(route?.dev.mtu ?? 1500, src.family);
    c.mss = Math.min(c.advMss, seg.options.mss ?? 536);
    // tcp_openreq_init(): the SYN offered timestamps and the sysctl allows them.
    if (seg.options.ts && this.host.tcpTimestamps) {
      c.tsOk = true;
      c.tsRecent = seg.options.ts[0];
      c.mss -= TCPOLEN_TSTAMP_ALIGNED;
    }
    c.cwnd = TCP_INIT_CWND * c.mss;
    c.iss = this.proto.twIsn ?? this.proto.secureSeq(this.proto.lastDst!, this.localPort, src, seg.srcPort);
    c.sndUna = c.iss;
    c.sndNxt = add(c.iss, 1);
    c.sndMax = c.sndNxt;
    // (max_window starts with the final ACK: Linux makes the child from that segment)
    c.sndWnd = seg.window;
    c.state = S.TCP_SYN_RECV;
    this.synQueue.add(c);
    this.proto.hashEstablished(c);
    // __inet_inherit_port(): the child joins the listener's port without a conflict check.
    portTable(this.host, 'tcp').inherit(c, this.localPort);
    // tcp_conn_request(): the request socket's sock_ops callbacks, before the SYN-ACK.
    c.initCallbacks(true);
    c.sendSyn(true);
    c.armRto();
  }

  private localWireFor(_src: IpAddr): IpAddr {
    return this.proto.lastDst!;
  }

  /**
   * tcp_timewait_state_process() for a bare SYN: when its sequence is after our rcv_nxt, the
   * TIME_WAIT socket may go and the SYN opens a new connection; the ISN that connection
   * should use (tw_snd_nxt + 65535 + 2), or undefined when the SYN is an old duplicate.
   */
  twSynIsn(seq: number): number | undefined {
    if (this.state !== S.TCP_TIME_WAIT || !lt(this.rcvNxt, seq)) return undefined;
    return add(this.sndNxt, 65537);
  }

  /** tcp_reset(): the peer reset the connection. */
  private reset(): void {
    traceReceiveReset(this);
    const err: ErrnoCode = this.state === S.TCP_SYN_SENT ? 'ECONNREFUSED' : this.state === S.TCP_CLOSE_WAIT ? 'EPIPE' : 'ECONNRESET';
    if (this.state === S.TCP_TIME_WAIT) return this.teardown();
    this.fail(err);
  }

  /** tcp_done() with an error for the user (undefined: silently, a SYN_RECV child). */
  private fail(err: ErrnoCode | undefined): void {
    if (err) {
      this.error = err;
      traceErrorReport(this);
    }
    if (this.parent) this.parent.lq?.synQ.delete(this);
    this.teardown();
  }

  /** tcp_done(): to TCP_CLOSE, off the tables, timers off. */
  teardown(): void {
    this.ka?.timer?.cancel();
    this.rtoTimer?.cancel();
    this.delackTimer?.cancel();
    this.twTimer?.cancel();
    this.proto.unhashEstablished(this);
    const wasListenerChild = !!this.parent;
    this.setState(S.TCP_CLOSE);
    this.sbufLen = 0;
    // The port goes with the socket unless the user still holds it (close() unbinds then).
    if (wasListenerChild || this.refcnt === 0) portTable(this.host, 'tcp').unbind(this);
    releaseSockObject(this);
    this.wake();
  }
}

const EMPTY = new Uint8Array(0);
/** enum sk_rst_reason of the next RST emit() sends (set by whoever asks for the reset). */
let rstReason: number = SK_RST_REASON.NOT_SPECIFIED;
/** The shared empty receive queue of a socket that has not received bytes (never pushed to). */
const NO_DATA: Uint8Array[] = [];
const NO_SEGMENTS: ReadonlyMap<number, Uint8Array> = new Map();

/** Marks a FIN's position in the out-of-order queue. */
const FIN_MARK = new Uint8Array(0);
