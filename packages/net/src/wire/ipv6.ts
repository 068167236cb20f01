// IPv6 headers (RFC 8200): the fixed 40-byte header; extension headers are not generated
// and, on input, only the common case (the transport header next) is handled.

import { claimHeadroom, offerHeadroom } from './headroom';

export interface Ipv6Header {
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export function parseIpv6(b: Uint8Array): Ipv6Header | undefined {
  if (b.length < 40 || b[0]! >> 4 !== 6) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const payloadLength = v.getUint16(4);
  if (40 + payloadLength > b.length) return undefined;
  const w = v.getUint32(0);
  return {
    trafficClass: (w >>> 20) & 0xff,
    flowLabel: w & 0xfffff,
    payloadLength,
    nextHeader: b[6]!,
    hopLimit: b[7]!,
    src: b.slice(8, 24),
    dst: b.slice(24, 40),
  };
}

export interface Ipv6Build {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
}

export function buildIpv6(h: Ipv6Build, payload: Uint8Array): Uint8Array {
  // The header goes in the payload's headroom when it has some (headroom.ts).
  const room = claimHeadroom(payload, 40);
  const out = room ?? new Uint8Array(40 + payload.length);
  const w0 = ((6 << 28) | ((h.trafficClass ?? 0) << 20) | ((h.flowLabel ?? 0) & 0xfffff)) >>> 0;
  out[0] = w0 >>> 24;
  out[1] = (w0 >>> 16) & 0xff;
  out[2] = (w0 >>> 8) & 0xff;
  out[3] = w0 & 0xff;
  out[4] = (payload.length >> 8) & 0xff;
  out[5] = payload.length & 0xff;
  out[6] = h.nextHeader;
  out[7] = h.hopLimit ?? 64;
  out.set(h.src, 8);
  out.set(h.dst, 24);
  if (!room) out.set(payload, 40);
  return room ? offerHeadroom(out) : out;
}
