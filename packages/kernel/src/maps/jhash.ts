// Bob Jenkins' lookup3 as include/linux/jhash.h has it: hash maps pick their bucket with
// it (htab_map_hash), so with BPF_F_ZERO_SEED a map iterates in exactly Linux's order.
// Words are read little-endian (x86_64); jhash() over a multiple of 4 bytes equals jhash2().

const JHASH_INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Up to 4 bytes at key[k] as a little-endian word (n >= 4: all four). */
function tail(key: Uint8Array, k: number, n: number): number {
  if (n >= 4) return key[k]! | (key[k + 1]! << 8) | (key[k + 2]! << 16) | (key[k + 3]! << 24);
  let v = key[k]!;
  if (n > 1) v |= key[k + 1]! << 8;
  if (n > 2) v |= key[k + 2]! << 16;
  return v;
}

/** jhash(key[off .. off+length), initval) as an unsigned 32-bit number. */
export function jhash(key: Uint8Array, off: number, length: number, initval: number): number {
  return jhashInt(key, off, length, initval) >>> 0;
}

/** jhash() as a signed 32-bit number (no heap number on the hot path). */
export function jhashInt(key: Uint8Array, off: number, length: number, initval: number): number {
  let a = (JHASH_INITVAL + length + initval) | 0;
  let b = a;
  let c = a;
  let k = off;
  while (length > 12) {
    a = (a + (key[k]! | (key[k + 1]! << 8) | (key[k + 2]! << 16) | (key[k + 3]! << 24))) | 0;
    b = (b + (key[k + 4]! | (key[k + 5]! << 8) | (key[k + 6]! << 16) | (key[k + 7]! << 24))) | 0;
    c = (c + (key[k + 8]! | (key[k + 9]! << 8) | (key[k + 10]! << 16) | (key[k + 11]! << 24))) | 0;
    // __jhash_mix
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    length -= 12;
    k += 12;
  }
  if (length === 0) return c;
  // The last block: bytes 0-3 feed a, 4-7 b, 8-11 c (the switch of jhash.h).
  a = (a + tail(key, k, length)) | 0;
  if (length > 4) b = (b + tail(key, k + 4, length - 4)) | 0;
  if (length > 8) c = (c + tail(key, k + 8, length - 8)) | 0;
  // __jhash_final
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c;
}
