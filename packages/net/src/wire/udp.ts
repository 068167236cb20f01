// UDP (RFC 768): header with the pseudo-header checksum. A zero checksum is "none" on
// IPv4 and invalid on IPv6 (RFC 8200 §8.1); a computed zero is sent as 0xffff.
import { finish, pseudoSum4, pseudoSum6, sumBytes } from './checksum';
import { IPPROTO_UDP } from './ipv4';

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
  checksum: number;
}

export function parseUdp(b: Uint8Array): UdpHeader | undefined {
  if (b.length < 8) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const length = v.getUint16(4);
  if (length < 8 || length > b.length) return undefined;
  return { srcPort: v.getUint16(0), dstPort: v.getUint16(2), length, checksum: v.getUint16(6) };
}

function pseudo(src: Uint8Array, dst: Uint8Array, length: number): number {
  return src.length === 4 ? pseudoSum4(src, dst, IPPROTO_UDP, length) : pseudoSum6(src, dst, IPPROTO_UDP, length);
}

export function buildUdp(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, srcPort);
  v.setUint16(2, dstPort);
  v.setUint16(4, out.length);
  out.set(payload, 8);
  const c = finish(sumBytes(out, pseudo(src, dst, out.length)));
  v.setUint16(6, c === 0 ? 0xffff : c);
  return out;
}

/** Whether the datagram's checksum verifies (0 on IPv4 means none was sent). */
export function udpChecksumOk(src: Uint8Array, dst: Uint8Array, seg: Uint8Array): boolean {
  const h = parseUdp(seg);
  if (!h) return false;
  if (h.checksum === 0) return src.length === 4;
  return finish(sumBytes(seg, pseudo(src, dst, h.length), 0, h.length)) === 0;
}
