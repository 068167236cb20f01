// ICMP (RFC 792) and ICMPv6 (RFC 4443) messages the stack sends and reads: echo, and the
// errors that quote the offending datagram (destination/port unreachable, time exceeded),
// plus ICMPv6 neighbour discovery (RFC 4861) for address resolution.
import { checksum, finish, pseudoSum6, sumBytes } from './checksum';
import { IPPROTO_ICMPV6 } from './ipv4';

export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_TIME_EXCEEDED = 11;
/** Codes of ICMP_DEST_UNREACH. */
export const ICMP_NET_UNREACH = 0;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
export const ICMP_FRAG_NEEDED = 4;

export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_PKT_TOOBIG = 2;
export const ICMPV6_TIME_EXCEED = 3;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
/** Codes of ICMPV6_DEST_UNREACH. */
export const ICMPV6_NOROUTE = 0;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_PORT_UNREACH = 4;

export interface IcmpMessage {
  type: number;
  code: number;
  checksum: number;
  /** The 4 bytes after the checksum (echo id/seq, next-hop MTU, …). */
  rest: number;
  body: Uint8Array;
}

export function parseIcmp(b: Uint8Array): IcmpMessage | undefined {
  if (b.length < 8) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { type: b[0]!, code: b[1]!, checksum: v.getUint16(2), rest: v.getUint32(4), body: b.subarray(8) };
}

/** An ICMPv4 message with its checksum. */
export function buildIcmp(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const v = new DataView(out.buffer);
  out[0] = type;
  out[1] = code;
  v.setUint32(4, rest >>> 0);
  out.set(body, 8);
  v.setUint16(2, checksum(out));
  return out;
}

/** An ICMPv6 message with its pseudo-header checksum. */
export function buildIcmp6(src: Uint8Array, dst: Uint8Array, type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const v = new DataView(out.buffer);
  out[0] = type;
  out[1] = code;
  v.setUint32(4, rest >>> 0);
  out.set(body, 8);
  v.setUint16(2, finish(sumBytes(out, pseudoSum6(src, dst, IPPROTO_ICMPV6, out.length))));
  return out;
}

export function icmpChecksumOk(b: Uint8Array): boolean {
  return checksum(b) === 0;
}

export function icmp6ChecksumOk(src: Uint8Array, dst: Uint8Array, b: Uint8Array): boolean {
  return finish(sumBytes(b, pseudoSum6(src, dst, IPPROTO_ICMPV6, b.length))) === 0;
}

/** What an ICMP error quotes of the datagram that caused it: its IP header and at least
 * 8 bytes after (icmp_send quotes as much as fits in 576 bytes; ICMPv6 up to 1280). */
export function quote(datagram: Uint8Array, limit: number): Uint8Array {
  return datagram.subarray(0, Math.min(datagram.length, limit));
}
