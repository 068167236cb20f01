// Tristate numbers (kernel/bpf/tnum.c, include/linux/tnum.h): a u64 whose bits are each
// known 0, known 1 or unknown. Every function returns a fresh Tnum and never mutates its
// arguments, so Tnum objects may be shared between register states.
import type { Tnum } from './types';
import { U32_MAX, U64_MAX, asIntN, asUintN, big, u32, u64 } from './int';

/** Shift amounts are `u8` in the kernel's prototypes. */
const u8 = (x: number | bigint): bigint => asUintN(8, big(x));

const TNUM = (value: bigint, mask: bigint): Tnum => ({ value: u64(value), mask: u64(mask) });

/** Number of the highest set bit, 1-based; 0 for 0 (fls64()). */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** mirrors tnum_const(): a known value (taken mod 2^64). */
export function tnumConst(value: bigint): Tnum {
  return TNUM(value, 0n);
}

/** mirrors tnum_unknown: every bit unknown. */
export function tnumUnknown(): Tnum {
  return { value: 0n, mask: U64_MAX };
}

/**
 * mirrors tnum_range(): the smallest tnum holding [min, max] that varies only the low bits
 * where min and max differ (so it may hold more: tnum_range(0, 2) also holds 3).
 */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const lo = u64(min);
  const chi = lo ^ u64(max);
  const bits = fls64(chi);
  // 1 << 64 would be undefined in C, so a span of all 64 bits is simply unknown.
  if (bits > 63) return tnumUnknown();
  const delta = (1n << big(bits)) - 1n;
  return TNUM(lo & ~delta, delta);
}

/** mirrors tnum_lshift() */
export function tnumLshift(a: Tnum, shift: number | bigint): Tnum {
  const s = u8(shift);
  return TNUM(a.value << s, a.mask << s);
}

/** mirrors tnum_rshift() (logical shift) */
export function tnumRshift(a: Tnum, shift: number | bigint): Tnum {
  const s = u8(shift);
  return TNUM(a.value >> s, a.mask >> s);
}

/**
 * mirrors tnum_arshift(): arithmetic shift by the smallest possible amount. For 32-bit
 * instructions the low word is shifted as an s32 and the result zero-extended.
 */
export function tnumArshift(a: Tnum, minShift: number | bigint, bitness: 32 | 64): Tnum {
  const s = u8(minShift);
  if (bitness === 32) {
    return TNUM(u32(asIntN(32, a.value) >> s), u32(asIntN(32, a.mask) >> s));
  }
  return TNUM(asIntN(64, a.value) >> s, asIntN(64, a.mask) >> s);
}

/** mirrors tnum_add(): carries out of unknown bits make the bits they reach unknown. */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return TNUM(sv & ~mu, mu);
}

/** mirrors tnum_sub() */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return TNUM(dv & ~mu, mu);
}

/** mirrors tnum_neg(): 0 - a. */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(TNUM(0n, 0n), a);
}

/** mirrors tnum_and() */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return TNUM(v, alpha & beta & ~v);
}

/** mirrors tnum_or() */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return TNUM(v, mu & ~v);
}

/** mirrors tnum_xor() */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return TNUM(v & ~mu, mu);
}

/**
 * mirrors tnum_mul() (the long-multiplication form of Linux 6.18): walk a's bits from the
 * bottom, adding the shifted b for a known 1 and joining "added" with "not added" for an
 * unknown bit.
 */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  let acc = TNUM(0n, 0n);
  let x = a;
  let y = b;
  while (x.value !== 0n || x.mask !== 0n) {
    if ((x.value & 1n) !== 0n) acc = tnumAdd(acc, y);
    else if ((x.mask & 1n) !== 0n) acc = tnumUnion(acc, tnumAdd(acc, y));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return acc;
}

/** mirrors tnum_overlap(): true when a and b agree on every bit both know. */
export function tnumOverlap(a: Tnum, b: Tnum): boolean {
  const mu = u64(~a.mask & ~b.mask);
  return (a.value & mu) === (b.value & mu);
}

/**
 * mirrors tnum_intersect(): the values in both. Where a and b know different values for a
 * bit (an empty intersection) the result says "known 1", as the kernel's does.
 */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return TNUM(v & ~mu, mu);
}

/** mirrors tnum_union(): every value of a or b (bits they disagree on become unknown). */
export function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const v = a.value & b.value;
  const mu = (a.value ^ b.value) | a.mask | b.mask;
  return TNUM(v & ~mu, mu);
}

/** mirrors tnum_cast(): keep the low `sizeBytes` bytes, clear the rest. */
export function tnumCast(a: Tnum, sizeBytes: number): Tnum {
  const m = (1n << big(sizeBytes * 8)) - 1n;
  return TNUM(a.value & m, a.mask & m);
}

/** mirrors tnum_is_aligned(): every value is a multiple of `size` (a power of two; 0 = any). */
export function tnumIsAligned(a: Tnum, size: number | bigint): boolean {
  const s = u64(big(size));
  if (s === 0n) return true;
  return ((a.value | a.mask) & u64(s - 1n)) === 0n;
}

/** mirrors tnum_in(): every value of b is a value of a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask) !== 0n) return false;
  return a.value === (b.value & u64(~a.mask));
}

/** swab16()/swab32()/swab64(): reverse the byte order of the low `bytes` bytes (the rest are dropped). */
function swab(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> big(8 * i)) & 0xffn);
  return r;
}

/** mirrors tnum_bswap16(): the low 16 bits byte-swapped; the rest known 0. */
export function tnumBswap16(a: Tnum): Tnum {
  return TNUM(swab(a.value & 0xffffn, 2), swab(a.mask & 0xffffn, 2));
}

/** mirrors tnum_bswap32(): the low 32 bits byte-swapped; the rest known 0. */
export function tnumBswap32(a: Tnum): Tnum {
  return TNUM(swab(a.value & U32_MAX, 4), swab(a.mask & U32_MAX, 4));
}

/** mirrors tnum_bswap64(): all 8 bytes swapped. */
export function tnumBswap64(a: Tnum): Tnum {
  return TNUM(swab(a.value, 8), swab(a.mask, 8));
}

/**
 * mirrors tnum_step() (Linux 6.18.35): the smallest member of t greater than z, for
 * t.value <= z < tmax (tmax = t.value | t.mask). Returns tmax when z >= tmax and t.value
 * when z < t.value, as the kernel does.
 */
export function tnumStep(t: Tnum, zIn: bigint): bigint {
  const z = u64(zIn);
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  // t's known bits, with its unknown bits taken from z
  const j = t.value | (z & t.mask);
  if (j > z) {
    // the most significant known-1 bit where z has a 0: keep z above it, t.value from it down
    const p = u64(~z) & t.value & u64(~t.mask);
    const k = big(fls64(p));
    const q = u64(U64_MAX << k);
    const r = q & z;
    const s = u64(~q) & t.value;
    return r | s;
  }
  // the most significant known-0 bit where z has a 1: above it, add 1 to the unknown bits
  const p = z & u64(~t.value) & u64(~t.mask);
  const k = big(fls64(p));
  const q = u64(U64_MAX << k);
  const r = q & t.mask & z;
  const s = q & u64(~t.mask);
  const v = r | s;
  const w = u64(v + (1n << k));
  return (w & t.mask) | t.value;
}

/** mirrors tnum_subreg(): the low 32 bits. */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}

/** mirrors tnum_clear_subreg(): the low 32 bits known 0. */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}

/** mirrors tnum_with_subreg(): reg's high half with subreg's low half. */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}

/** mirrors tnum_const_subreg(): a's high half with a known low half (value taken as u32). */
export function tnumConstSubreg(a: Tnum, value: bigint): Tnum {
  return tnumWithSubreg(a, tnumConst(u32(value)));
}

/** mirrors tnum_is_const() */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}

/** mirrors tnum_subreg_is_const() */
export function tnumSubregIsConst(a: Tnum): boolean {
  return (a.mask & U32_MAX) === 0n;
}

/** mirrors tnum_is_unknown() */
export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64_MAX;
}

/** mirrors tnum_equals_const() */
export function tnumEqualsConst(a: Tnum, b: bigint): boolean {
  return tnumIsConst(a) && a.value === u64(b);
}

/**
 * `%#llx` as the kernel's vsnprintf() prints it: unlike glibc, the kernel keeps the `0x`
 * prefix for zero (lib/vsprintf.c number()), which is why logs show `var_off=(0x0; 0xff)`.
 */
function hex(x: bigint): string {
  return `0x${x.toString(16)}`;
}

/**
 * mirrors tnum_strn() (kernel/bpf/log.c): a constant in decimal up to U16_MAX
 * (is_unum_decimal()), else in hex; otherwise `(value; mask)` in hex.
 */
export function tnumStr(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? a.value.toString(10) : hex(a.value);
  return `(${hex(a.value)}; ${hex(a.mask)})`;
}

/** mirrors tnum_sbin(): 64 characters, most significant first, `x` for an unknown bit. */
export function tnumSbin(a: Tnum): string {
  let s = '';
  for (let i = 63n; i >= 0n; i--) {
    const bit = 1n << i;
    s += (a.mask & bit) !== 0n ? 'x' : (a.value & bit) !== 0n ? '1' : '0';
  }
  return s;
}
