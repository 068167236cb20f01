// ICMP and ICMPv6: echo replies, errors handed to the transport that sent the quoted
// datagram, and errors sent about a datagram received. Mirrors net/ipv4/icmp.c (icmp_rcv,
// icmp_echo, icmp_unreach, icmp_send) and net/ipv6/icmp.c (icmpv6_rcv, icmpv6_echo_reply,
// icmpv6_notify, icmpv6_send); neighbour discovery messages go to ndisc (neighbour.ts).
import type { IpAddr } from '../wire/addr';
import { addrFromBytes, isAny, isMulticast } from '../wire/addr';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_TIME_EXCEED,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_TIME_EXCEEDED,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  buildIcmp,
  buildIcmp6,
  icmp6ChecksumOk,
  icmpChecksumOk,
  parseIcmp,
  quote,
} from '../wire/icmp';
import { IPPROTO_ICMP, IPPROTO_ICMPV6 } from '../wire/ipv4';
import type { Host, InPacket } from './host';
import type { Neighbours } from './neighbour';

/** The errors icmpSend() sends: destination unreachable (port or protocol), time exceeded. */
export type IcmpErrorKind = 'port-unreachable' | 'proto-unreachable' | 'ttl';

export class Icmp {
  constructor(
    private readonly host: Host,
    private readonly neigh: Neighbours,
  ) {}

  /** icmp_rcv(): echo requests are answered, errors go to the transport. */
  rcv(pkt: InPacket): void {
    if (!icmpChecksumOk(pkt.payload)) return this.host.drop('icmp-checksum', pkt.datagram, pkt.dev);
    const m = parseIcmp(pkt.payload)!;
    if (m.type === ICMP_ECHO) {
      const reply = buildIcmp(ICMP_ECHOREPLY, 0, m.rest, m.body);
      this.host.ipOutput({ family: 4, src: pkt.dst, dst: pkt.src, protocol: IPPROTO_ICMP, payload: reply });
      return;
    }
    if (m.type === ICMP_DEST_UNREACH || m.type === ICMP_TIME_EXCEEDED) this.notify(4, m.type, m.code, m.body);
  }

  /** icmpv6_rcv(): as icmp_rcv(), and neighbour discovery goes to ndisc_rcv(). */
  rcv6(pkt: InPacket): void {
    if (!icmp6ChecksumOk(pkt.src.bytes, pkt.dst.bytes, pkt.payload)) return this.host.drop('icmp-checksum', pkt.datagram, pkt.dev);
    const m = parseIcmp(pkt.payload)!;
    if (m.type === NDISC_NEIGHBOUR_SOLICITATION || m.type === NDISC_NEIGHBOUR_ADVERTISEMENT) return this.neigh.ndiscRcv(pkt, m.type, m.body);
    if (m.type === ICMPV6_ECHO_REQUEST) {
      const reply = buildIcmp6(pkt.dst.bytes, pkt.src.bytes, ICMPV6_ECHO_REPLY, 0, m.rest, m.body);
      this.host.ipOutput({ family: 6, src: pkt.dst, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: reply });
      return;
    }
    if (m.type === ICMPV6_DEST_UNREACH || m.type === ICMPV6_TIME_EXCEED) this.notify(6, m.type, m.code, m.body);
  }

  /** icmp_unreach / icmpv6_notify → the transport's err handler: the quoted header says which socket. */
  private notify(family: 4 | 6, type: number, code: number, body: Uint8Array): void {
    const inner = family === 4 ? parseIpv4Quoted(body) : parseIpv6Quoted(body);
    if (!inner) return;
    const proto = this.host.protocols.get(inner.protocol);
    proto?.error?.({ family, type, code, src: inner.src, dst: inner.dst, protocol: inner.protocol, quoted: inner.transport });
  }

  /** icmp_send / icmpv6_send: an error about `pkt` back to its sender. */
  send(pkt: InPacket, what: IcmpErrorKind): void {
    if (isMulticast(pkt.dst) || isAny(pkt.src)) return;
    const host = this.host;
    if (pkt.family === 4) {
      if (pkt.protocol === IPPROTO_ICMP && pkt.payload[0] !== ICMP_ECHO && pkt.payload[0] !== ICMP_ECHOREPLY) return; // never about ICMP errors
      const [type, code] = what === 'ttl' ? [ICMP_TIME_EXCEEDED, 0] : [ICMP_DEST_UNREACH, what === 'port-unreachable' ? 3 : 2];
      const body = buildIcmp(type, code, 0, quote(pkt.datagram, 576 - 20 - 8));
      const src = host.isLocal(pkt.dst) ? pkt.dst : host.route(pkt.src)?.src;
      if (!src) return;
      host.ipOutput({ family: 4, src, dst: pkt.src, protocol: IPPROTO_ICMP, payload: body });
    } else {
      const [type, code] = what === 'ttl' ? [ICMPV6_TIME_EXCEED, 0] : [ICMPV6_DEST_UNREACH, what === 'port-unreachable' ? 4 : 1];
      const src = host.isLocal(pkt.dst) ? pkt.dst : host.route(pkt.src)?.src;
      if (!src) return;
      const body = buildIcmp6(src.bytes, pkt.src.bytes, type, code, 0, quote(pkt.datagram, 1280 - 40 - 8));
      host.ipOutput({ family: 6, src, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: body });
    }
  }
}

interface Quoted {
  src: IpAddr;
  dst: IpAddr;
  protocol: number;
  transport: Uint8Array;
}

/** The IPv4 header an ICMP error quotes (it may be cut short after 8 transport bytes). */
function parseIpv4Quoted(b: Uint8Array): Quoted | undefined {
  if (b.length < 20 || b[0]! >> 4 !== 4) return undefined;
  const ihl = (b[0]! & 15) * 4;
  if (b.length < ihl + 8) return undefined;
  return { src: addrFromBytes(b.subarray(12, 16)), dst: addrFromBytes(b.subarray(16, 20)), protocol: b[9]!, transport: b.subarray(ihl) };
}

function parseIpv6Quoted(b: Uint8Array): Quoted | undefined {
  if (b.length < 48 || b[0]! >> 4 !== 6) return undefined;
  return { src: addrFromBytes(b.subarray(8, 24)), dst: addrFromBytes(b.subarray(24, 40)), protocol: b[6]!, transport: b.subarray(40) };
}
