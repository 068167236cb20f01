// IPv4 headers (RFC 791): parse and build, header checksum, no options on output.
import { checksum } from './checksum';
import { claimHeadroom, offerHeadroom } from './headroom';

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export interface Ipv4Header {
  /** Header length in bytes (20 without options). */
  ihl: number;
  tos: number;
  totalLength: number;
  id: number;
  /** DF (0x4000), MF (0x2000) and the fragment offset in 8-byte units. */
  flagsFrag: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export const IP_DF = 0x4000;
export const IP_MF = 0x2000;

/** Parses an IPv4 header; undefined when `b` does not hold a valid one (the packet is dropped). */
export function parseIpv4(b: Uint8Array): Ipv4Header | undefined {
  if (b.length < 20 || b[0]! >> 4 !== 4) return undefined;
  const ihl = (b[0]! & 15) * 4;
  const totalLength = (b[2]! << 8) | b[3]!;
  if (ihl < 20 || totalLength < ihl || totalLength > b.length) return undefined;
  return {
    ihl,
    tos: b[1]!,
    totalLength,
    id: (b[4]! << 8) | b[5]!,
    flagsFrag: (b[6]! << 8) | b[7]!,
    ttl: b[8]!,
    protocol: b[9]!,
    checksum: (b[10]! << 8) | b[11]!,
    src: b.slice(12, 16),
    dst: b.slice(16, 20),
  };
}

/** Whether the header checksum is right (ip_fast_csum == 0). */
export function ipv4ChecksumOk(b: Uint8Array, ihl: number): boolean {
  return checksum(b, 0, ihl) === 0;
}

export interface Ipv4Build {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  ttl?: number;
  tos?: number;
  id?: number;
  df?: boolean;
}

/** An IPv4 datagram: a 20-byte header with its checksum, then `payload`. */
export function buildIpv4(h: Ipv4Build, payload: Uint8Array): Uint8Array {
  return buildIpv4Header(payload, h.src, h.dst, h.protocol, h.ttl ?? 64, h.tos ?? 0, h.id ?? 0, h.df !== false);
}

/** buildIpv4() with the fields as arguments: the header goes in the payload's headroom when
 * it has some (headroom.ts), and the datagram offers Ethernet's in turn. */
export function buildIpv4Header(payload: Uint8Array, src: Uint8Array, dst: Uint8Array, protocol: number, ttl: number, tos: number, id: number, df: boolean): Uint8Array {
  const room = claimHeadroom(payload, 20);
  const out = room ?? new Uint8Array(20 + payload.length);
  const len = out.length;
  out[0] = 0x45;
  out[1] = tos;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  out[4] = id >> 8;
  out[5] = id & 0xff;
  out[6] = df ? IP_DF >> 8 : 0;
  out[7] = 0;
  out[8] = ttl;
  out[9] = protocol;
  out[10] = out[11] = 0;
  out.set(src, 12);
  out.set(dst, 16);
  const sum = checksum(out, 0, 20);
  out[10] = sum >> 8;
  out[11] = sum & 0xff;
  if (!room) out.set(payload, 20);
  return room ? offerHeadroom(out) : out;
}
