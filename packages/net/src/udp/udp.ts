import { traceErrorReport, traceUdpFailQueue } from '../bpf/tracepoints';
// UDP (net/ipv4/udp.c, net/ipv6/udp.c): datagram sockets over the host's IP layer.
// Sending builds real UDP headers with checksums (mandatory over IPv6); receiving finds the
// socket as __udp4_lib_lookup() scores candidates (a connected socket's exact 4-tuple beats
// a bound address, which beats a wildcard; a bound device must match), queues the datagram
// against the receive buffer, or answers with ICMP port unreachable; ICMP errors reach
// connected sockets only, as a pending error (ECONNREFUSED …) for their next call.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { Process } from '@bpfsim/kernel';
import type { Host, IcmpError, InPacket } from '../iface/host';
import { ipv6Only } from '../ports/port-table';
import type { PollState, SockAddr } from '../sock/sock';
import { SOCK_DGRAM, Sock } from '../sock/sock';
import { TCP_STATE } from '../sock/state';
import type { IpAddr } from '../wire/addr';
import { ANY4, ANY6, isAny, isV4Mapped, unmapV4, v4Mapped } from '../wire/addr';
import { buildUdp, parseUdp, udpChecksumOk } from '../wire/udp';

export const IPPROTO_UDP = 17;
/** The largest UDP payload: 65535 - IP header - UDP header (IPv4: 65507; IPv6: 65527). */
const MAX_PAYLOAD = { 4: 65507, 6: 65527 } as const;
/** What a queued datagram costs against SO_RCVBUF (skb truesize, roughly: data + overhead). */
const SKB_OVERHEAD = 768;

interface Datagram {
  data: Uint8Array;
  from: SockAddr;
  truesize: number;
}

export class UdpSock extends Sock {
  private readonly queue: Datagram[] = [];
  private queued = 0;

  constructor(host: Host, family: 4 | 6, owner: Process) {
    super(host, family, SOCK_DGRAM, IPPROTO_UDP, owner, family === 4 ? ANY4 : ANY6);
  }

  poll(): PollState {
    return { readable: this.queue.length > 0 || this.error !== undefined, writable: true, error: this.error !== undefined, hup: false };
  }

  /** The API binds through inetBind() and the port table; nothing protocol-specific here. */
  bind(_addr: SockAddr): void {}

  /** ip4_datagram_connect() / ip6_datagram_connect(): route to pick the source, autobind. */
  connect(addr: SockAddr): void {
    const dst = this.family === 6 && addr.family === 4 ? v4Mapped(addr.addr) : addr.addr;
    // __ip6_datagram_connect(): a v4-mapped destination on an IPV6_V6ONLY socket.
    if (this.family === 6 && isV4Mapped(dst) && ipv6Only(this)) throw new SysError('ENETUNREACH', 'an IPV6_V6ONLY socket cannot reach a v4-mapped address');
    const route = this.host.route(wireAddr(dst), this.options.boundDev, isAny(this.boundAddr) ? undefined : wireAddr(this.boundAddr));
    if (!route) throw new SysError('ENETUNREACH', `no route to ${addr.addr.text}`);
    if (!this.localPort) this.host.portTable('udp').bind(this, 0);
    if (isAny(this.boundAddr)) this.srcAddr = this.family === 6 && route.src.family === 4 ? v4Mapped(route.src) : route.src;
    this.peer = { family: this.family, addr: dst, port: addr.port };
    this.state = TCP_STATE.TCP_ESTABLISHED;
  }

  /** udp_disconnect(): AF_UNSPEC connect. */
  disconnect(): void {
    this.peer = undefined;
    this.state = TCP_STATE.TCP_CLOSE;
    this.srcAddr = this.boundAddr;
  }

  listen(): void {
    throw new SysError('EOPNOTSUPP', 'listen() is for stream sockets');
  }
  accept(): undefined {
    throw new SysError('EOPNOTSUPP', 'accept() is for stream sockets');
  }

  /** udp_sendmsg(): one datagram to `to` (or the peer); the source may come from a hook. */
  sendmsg(data: Uint8Array, to: SockAddr | undefined, _flags: number, src?: IpAddr): number {
    const dest = to ?? this.peer;
    if (!dest) throw new SysError('EDESTADDRREQ', 'the socket is not connected and no address was given');
    const dst = wireAddr(dest.addr);
    if (data.length > MAX_PAYLOAD[dst.family]) throw new SysError('EMSGSIZE', `${data.length} bytes do not fit one datagram`);
    if (!this.localPort) this.host.portTable('udp').bind(this, 0);
    const from = src ?? (isAny(this.srcAddr) ? undefined : wireAddr(this.srcAddr));
    const route = this.host.route(dst, this.options.boundDev, from);
    if (!route) throw new SysError('ENETUNREACH', `no route to ${dst.text}`);
    const s = from ?? route.src;
    const seg = buildUdp(s.bytes, dst.bytes, this.localPort, dest.port, data);
    const err = this.host.ipOutput({ family: dst.family, src: s, dst, protocol: IPPROTO_UDP, payload: seg, ...(this.options.ttl >= 0 ? { ttl: this.options.ttl } : {}), tos: this.options.tos, ...(this.options.boundDev ? { oif: this.options.boundDev } : {}) });
    if (err < 0) throw new SysError(err === -ERRNO.ENETUNREACH ? 'ENETUNREACH' : 'EHOSTUNREACH', `cannot send to ${dst.text}`);
    return data.length;
  }

  /** udp_recvmsg(): the next datagram (truncated to maxBytes unless MSG_PEEK keeps it). */
  recvmsg(maxBytes: number, flags: number): { data: Uint8Array; from: SockAddr } | undefined {
    const d = this.queue[0];
    if (!d) return undefined;
    const MSG_PEEK = 2;
    if (!(flags & MSG_PEEK)) {
      this.queue.shift();
      this.queued -= d.truesize;
    }
    return { data: d.data.slice(0, maxBytes), from: d.from };
  }

  shutdown(): void {}

  close(): void {
    this.host.portTable('udp').unbind(this);
    this.queue.length = 0;
    this.queued = 0;
  }

  /** __udp_queue_rcv_skb(): queues against SO_RCVBUF; false when it does not fit. */
  deliver(data: Uint8Array, from: SockAddr): boolean {
    const truesize = data.length + SKB_OVERHEAD;
    if (this.queued + truesize > this.options.rcvbuf && this.queue.length) return false;
    this.queue.push({ data, from, truesize });
    this.queued += truesize;
    this.wake();
    return true;
  }
}

/** An address as the wire carries it (v4-mapped IPv6 becomes IPv4). */
const wireAddr = (a: IpAddr): IpAddr => (a.family === 6 && isV4Mapped(a) ? unmapV4(a) : a);

/** compute_score(): how well `sk` matches a datagram, -1 for not at all. */
/** compute_score() of __udp4_lib_lookup(): -1 when sk cannot take the datagram. */
function score(sk: UdpSock, src: IpAddr, dst: IpAddr, dev: InPacket['dev'] | undefined, sport: number): number {
  if (sk.family === 4 && dst.family !== 4) return -1;
  if (sk.family === 6 && dst.family === 4 && ipv6Only(sk)) return -1;
  let s = sk.family === dst.family ? 2 : 1;
  const bound = wireAddr(sk.boundAddr);
  if (!isAny(sk.boundAddr)) {
    if (bound.text !== dst.text) return -1;
    s += 4;
  }
  if (sk.peer) {
    const peer = wireAddr(sk.peer.addr);
    if (peer.text !== src.text || sk.peer.port !== sport) return -1;
    s += 4;
  }
  if (sk.options.boundDev) {
    if (sk.options.boundDev !== dev && !(dev === sk.host.lo)) return -1;
    s += 4;
  }
  return s;
}

/** The UDP protocol of a host (udp_rcv, __udp4_lib_err). */
export class UdpProtocol {
  constructor(readonly host: Host) {}

  receive(pkt: InPacket): void {
    const h = parseUdp(pkt.payload);
    if (!h) return this.host.drop('bad-header', pkt.datagram, pkt.dev);
    if ((pkt.family === 6 || h.checksum !== 0) && !udpChecksumOk(pkt.src.bytes, pkt.dst.bytes, pkt.payload.subarray(0, h.length))) {
      return this.host.drop('udp-checksum', pkt.datagram, pkt.dev);
    }
    const best = this.lookup(pkt.src, h.srcPort, pkt.dst, h.dstPort, pkt.dev);
    if (!best) {
      this.host.drop('no-socket', pkt.datagram, pkt.dev);
      return this.host.icmpSend(pkt, 'port-unreachable');
    }
    const fromAddr = best.family === 6 && pkt.src.family === 4 ? v4Mapped(pkt.src) : pkt.src;
    const data = pkt.payload.slice(8, h.length);
    if (!best.deliver(data, { family: best.family, addr: fromAddr, port: h.srcPort })) {
      // __udp_queue_rcv_skb(): the enqueue failed (rcvbuf full: -ENOMEM).
      traceUdpFailQueue(best, -12, pkt.datagram);
      this.host.drop('socket-rcvbuf', pkt.datagram, pkt.dev);
    }
  }

  /** __udp4_lib_lookup(): the socket with the best score for a datagram src:sport → dst:dport
   * arriving on `dev` (undefined: no device, as bpf_sk_lookup_udp() asks). */
  lookup(src: IpAddr, sport: number, dst: IpAddr, dport: number, dev?: InPacket['dev']): UdpSock | undefined {
    let best: UdpSock | undefined;
    let bestScore = -1;
    for (const sk of this.host.portTable('udp').owners(dport)) {
      if (!(sk instanceof UdpSock)) continue;
      const sc = score(sk, src, dst, dev, sport);
      if (sc > bestScore) {
        best = sk;
        bestScore = sc;
      }
    }
    return best;
  }

  /** __udp4_lib_err(): the error goes to the connected socket the quoted datagram came from. */
  error(err: IcmpError): void {
    const h = parseUdp(err.quoted);
    if (!h) return;
    for (const sk of this.host.portTable('udp').owners(h.srcPort)) {
      if (!(sk instanceof UdpSock) || !sk.peer) continue;
      if (wireAddr(sk.peer.addr).text !== err.dst.text || sk.peer.port !== h.dstPort) continue;
      sk.error = icmpErrno(err);
      traceErrorReport(sk);
      sk.wake();
      return;
    }
  }
}

/** icmp_err_convert[]: port unreachable is ECONNREFUSED, other unreachables EHOSTUNREACH… */
function icmpErrno(err: IcmpError): 'ECONNREFUSED' | 'EHOSTUNREACH' | 'ENETUNREACH' | 'EPROTO' {
  if (err.family === 4) {
    if (err.type === 3) return err.code === 3 ? 'ECONNREFUSED' : err.code === 0 ? 'ENETUNREACH' : err.code === 2 ? 'EPROTO' : 'EHOSTUNREACH';
    return 'EHOSTUNREACH';
  }
  return err.type === 1 && err.code === 4 ? 'ECONNREFUSED' : 'EHOSTUNREACH';
}

/** Registers UDP with the host: the protocol handler and socket(…, SOCK_DGRAM, 0/17). */
export function installUdp(host: Host): void {
  const proto = new UdpProtocol(host);
  host.protocols.set(IPPROTO_UDP, proto);
  host.protosw.set(`${SOCK_DGRAM}:0`, { type: SOCK_DGRAM, protocol: IPPROTO_UDP, create: (h, family, owner) => new UdpSock(h, family, owner) });
  host.protosw.set(`${SOCK_DGRAM}:${IPPROTO_UDP}`, { type: SOCK_DGRAM, protocol: IPPROTO_UDP, create: (h, family, owner) => new UdpSock(h, family, owner) });
}

