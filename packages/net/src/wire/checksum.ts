// The Internet checksum (RFC 1071): the ones'-complement of the ones'-complement sum of
// 16-bit big-endian words. Computed incrementally so a pseudo-header and a payload can be
// summed without copying them together.

/** Adds the bytes of `b` (as big-endian 16-bit words) to a running 32-bit sum. */
export function sumBytes(b: Uint8Array, sum = 0, start = 0, end = b.length): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a running sum to 16 bits and complements it. */
export function finish(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The checksum of `b[start, end)`. */
export function checksum(b: Uint8Array, start = 0, end = b.length): number {
  return finish(sumBytes(b, 0, start, end));
}

/** The sum of the IPv4 pseudo-header (RFC 793/768). */
export function pseudoSum4(src: Uint8Array, dst: Uint8Array, proto: number, length: number): number {
  return sumBytes(src) + sumBytes(dst) + proto + length;
}

/** The sum of the IPv6 pseudo-header (RFC 8200 §8.1). */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  return sumBytes(src) + sumBytes(dst) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

/** Whether this machine stores a 16-bit word low byte first (every JavaScript engine's
 * host in practice; checked, with the byte loop as the fallback). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * sumBytes() for a checksum only: a running sum congruent to sumBytes()'s modulo 0xffff, so
 * finish() of it (plus any other terms) is the same checksum (RFC 1071 §2: the sum is
 * independent of byte order). Words are read in the machine's order, four at a time, and the
 * folded sum swapped back, instead of two byte loads per word.
 */
export function sumBytesFast(b: Uint8Array, sum: number): number {
  const len = b.length;
  const off = b.byteOffset;
  if (!LITTLE_ENDIAN || off & 1 || len < 64) return sumBytes(b, sum);
  const n = len >> 1;
  const w = new Uint16Array(b.buffer, off, n);
  let s = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) s += w[k]! + w[k + 1]! + w[k + 2]! + w[k + 3]!;
  for (; k < n; k++) s += w[k]!;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  sum += ((s & 0xff) << 8) | (s >> 8);
  if (len & 1) sum += b[len - 1]! << 8;
  return sum;
}
