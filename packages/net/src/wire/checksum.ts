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
