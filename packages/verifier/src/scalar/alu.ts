// Scalar-with-scalar ALU operations on the abstract domain: adjust_scalar_min_max_vals()
// and its scalar{,32}_min_max_*() helpers (with scalar_byte_swap() for BPF_END, as of
// Linux 6.18.35), plus the scalar cases of BPF_MOV in check_alu_op(). Like the kernel,
// each 64-bit instruction also tracks the 32-bit bounds, and each 32-bit instruction
// computes both then zero-extends.
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_END,
  BPF_LSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from '@bpfsim/isa';
import type { ScalarBounds } from './types';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, asIntN, asUintN, big, max, min, s32, s64, u32, u64 } from './int';
import {
  cloneBounds,
  coerceRegToSize,
  isSyncedConst,
  coerceRegToSizeSx,
  coerceSubregToSizeSx,
  copyBounds,
  knownScalar,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  markKnown32,
  markUnbounded,
  markUnknown,
  regBoundsSync,
  update32Bounds,
  updateBounds,
  zext32To64,
} from './bounds';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap16,
  tnumBswap32,
  tnumBswap64,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
} from './tnum';

/**
 * check_{add,sub,mul}_overflow() on a C type of `bits` bits: the wrapped result and whether
 * the exact result did not fit.
 */
function wrapped(exact: bigint, bits: 32 | 64, signed: boolean): [bigint, boolean] {
  const r = signed ? asIntN(bits, exact) : asUintN(bits, exact);
  return [r, r !== exact];
}

// ---- add ----

/** mirrors scalar32_min_max_add() */
export function scalar32MinMaxAdd(dst: ScalarBounds, src: ScalarBounds): void {
  // check_add_overflow() on s32 and u32, written out (this runs for every add).
  const smin = asIntN(32, dst.s32min + src.s32min);
  // the kernel's `||` skips the second check once the first overflows
  const o1 = smin !== dst.s32min + src.s32min;
  dst.s32min = smin;
  if (!o1) {
    const exact = dst.s32max + src.s32max;
    const smax = asIntN(32, exact);
    dst.s32max = smax;
    if (smax !== exact) {
      dst.s32min = S32_MIN;
      dst.s32max = S32_MAX;
    }
  } else {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  }
  // Either every sum wraps or none does: then the wrapped ends are still a range.
  const uminExact = dst.u32min + src.u32min;
  const umaxExact = dst.u32max + src.u32max;
  const umin = asUintN(32, uminExact);
  const umax = asUintN(32, umaxExact);
  dst.u32min = umin;
  dst.u32max = umax;
  if (umin === uminExact && umax !== umaxExact) {
    dst.u32min = 0n;
    dst.u32max = U32_MAX;
  }
}

/** mirrors scalar_min_max_add() */
export function scalarMinMaxAdd(dst: ScalarBounds, src: ScalarBounds): void {
  const sminExact = dst.smin + src.smin;
  const smin = asIntN(64, sminExact);
  dst.smin = smin;
  if (smin === sminExact) {
    const exact = dst.smax + src.smax;
    const smax = asIntN(64, exact);
    dst.smax = smax;
    if (smax !== exact) {
      dst.smin = S64_MIN;
      dst.smax = S64_MAX;
    }
  } else {
    dst.smin = S64_MIN;
    dst.smax = S64_MAX;
  }
  const uminExact = dst.umin + src.umin;
  const umaxExact = dst.umax + src.umax;
  const umin = asUintN(64, uminExact);
  const umax = asUintN(64, umaxExact);
  dst.umin = umin;
  dst.umax = umax;
  if (umin === uminExact && umax !== umaxExact) {
    dst.umin = 0n;
    dst.umax = U64_MAX;
  }
}

// ---- sub ----

/** mirrors scalar32_min_max_sub() */
export function scalar32MinMaxSub(dst: ScalarBounds, src: ScalarBounds): void {
  const sminExact = dst.s32min - src.s32max;
  const smin = asIntN(32, sminExact);
  dst.s32min = smin;
  if (smin === sminExact) {
    const exact = dst.s32max - src.s32min;
    const smax = asIntN(32, exact);
    dst.s32max = smax;
    if (smax !== exact) {
      dst.s32min = S32_MIN;
      dst.s32max = S32_MAX;
    }
  } else {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  }
  // Either every difference underflows or none does: then the wrapped ends are a range.
  const uminExact = dst.u32min - src.u32max;
  const umaxExact = dst.u32max - src.u32min;
  const umin = asUintN(32, uminExact);
  const umax = asUintN(32, umaxExact);
  dst.u32min = umin;
  dst.u32max = umax;
  if (umin !== uminExact && umax === umaxExact) {
    dst.u32min = 0n;
    dst.u32max = U32_MAX;
  }
}

/** mirrors scalar_min_max_sub() */
export function scalarMinMaxSub(dst: ScalarBounds, src: ScalarBounds): void {
  const sminExact = dst.smin - src.smax;
  const smin = asIntN(64, sminExact);
  dst.smin = smin;
  if (smin === sminExact) {
    const exact = dst.smax - src.smin;
    const smax = asIntN(64, exact);
    dst.smax = smax;
    if (smax !== exact) {
      dst.smin = S64_MIN;
      dst.smax = S64_MAX;
    }
  } else {
    dst.smin = S64_MIN;
    dst.smax = S64_MAX;
  }
  const uminExact = dst.umin - src.umax;
  const umaxExact = dst.umax - src.umin;
  const umin = asUintN(64, uminExact);
  const umax = asUintN(64, umaxExact);
  dst.umin = umin;
  dst.umax = umax;
  if (umin !== uminExact && umax === umaxExact) {
    dst.umin = 0n;
    dst.umax = U64_MAX;
  }
}

// ---- mul ----

/** The four corner products, or undefined if any overflows (the kernel stops at the first). */
function cornerProducts(aMin: bigint, aMax: bigint, bMin: bigint, bMax: bigint, bits: 32 | 64): bigint[] | undefined {
  const out: bigint[] = [];
  for (const [x, y] of [[aMin, bMin], [aMin, bMax], [aMax, bMin], [aMax, bMax]] as const) {
    const [p, o] = wrapped(x * y, bits, true);
    if (o) return undefined;
    out.push(p);
  }
  return out;
}

/** mirrors scalar32_min_max_mul() */
export function scalar32MinMaxMul(dst: ScalarBounds, src: ScalarBounds): void {
  const [umax, o1] = wrapped(dst.u32max * src.u32max, 32, false);
  dst.u32max = umax;
  const [umin, o2] = o1 ? [dst.u32min, false] : wrapped(dst.u32min * src.u32min, 32, false);
  dst.u32min = umin;
  if (o1 || o2) {
    dst.u32min = 0n;
    dst.u32max = U32_MAX;
  }
  const p = cornerProducts(dst.s32min, dst.s32max, src.s32min, src.s32max, 32);
  if (p === undefined) {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  } else {
    dst.s32min = p.reduce(min);
    dst.s32max = p.reduce(max);
  }
}

/** mirrors scalar_min_max_mul() */
export function scalarMinMaxMul(dst: ScalarBounds, src: ScalarBounds): void {
  const [umax, o1] = wrapped(dst.umax * src.umax, 64, false);
  dst.umax = umax;
  const [umin, o2] = o1 ? [dst.umin, false] : wrapped(dst.umin * src.umin, 64, false);
  dst.umin = umin;
  if (o1 || o2) {
    dst.umin = 0n;
    dst.umax = U64_MAX;
  }
  const p = cornerProducts(dst.smin, dst.smax, src.smin, src.smax, 64);
  if (p === undefined) {
    dst.smin = S64_MIN;
    dst.smax = S64_MAX;
  } else {
    dst.smin = p.reduce(min);
    dst.smax = p.reduce(max);
  }
}

// ---- and / or / xor: dst.varOff already holds the result's tnum when these run ----

/** Signed bounds copied from unsigned ones that do not cross the sign bit, else open. */
function s32FromU32(dst: ScalarBounds): void {
  if (s32(dst.u32min) <= s32(dst.u32max)) {
    dst.s32min = s32(dst.u32min);
    dst.s32max = s32(dst.u32max);
  } else {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  }
}

function s64FromU64(dst: ScalarBounds): void {
  if (s64(dst.umin) <= s64(dst.umax)) {
    dst.smin = s64(dst.umin);
    dst.smax = s64(dst.umax);
  } else {
    dst.smin = S64_MIN;
    dst.smax = S64_MAX;
  }
}

/** mirrors scalar32_min_max_and() */
export function scalar32MinMaxAnd(dst: ScalarBounds, src: ScalarBounds): void {
  const t = tnumSubreg(dst.varOff);
  if (tnumSubregIsConst(src.varOff) && tnumSubregIsConst(dst.varOff)) {
    markKnown32(dst, t.value);
    return;
  }
  // The minimum comes from the known bits; the maximum is the smaller of the maxima.
  dst.u32min = t.value;
  dst.u32max = min(dst.u32max, src.u32max);
  s32FromU32(dst);
}

/** mirrors scalar_min_max_and() */
export function scalarMinMaxAnd(dst: ScalarBounds, src: ScalarBounds): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markKnown(dst, dst.varOff.value);
    return;
  }
  dst.umin = dst.varOff.value;
  dst.umax = min(dst.umax, src.umax);
  s64FromU64(dst);
  updateBounds(dst);
}

/** mirrors scalar32_min_max_or() */
export function scalar32MinMaxOr(dst: ScalarBounds, src: ScalarBounds): void {
  const t = tnumSubreg(dst.varOff);
  if (tnumSubregIsConst(src.varOff) && tnumSubregIsConst(dst.varOff)) {
    markKnown32(dst, t.value);
    return;
  }
  // The maximum comes from the possible bits; the minimum is the larger of the minima.
  dst.u32min = max(dst.u32min, src.u32min);
  dst.u32max = t.value | t.mask;
  s32FromU32(dst);
}

/** mirrors scalar_min_max_or() */
export function scalarMinMaxOr(dst: ScalarBounds, src: ScalarBounds): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markKnown(dst, dst.varOff.value);
    return;
  }
  dst.umin = max(dst.umin, src.umin);
  dst.umax = dst.varOff.value | dst.varOff.mask;
  s64FromU64(dst);
  updateBounds(dst);
}

/** mirrors scalar32_min_max_xor() */
export function scalar32MinMaxXor(dst: ScalarBounds, src: ScalarBounds): void {
  const t = tnumSubreg(dst.varOff);
  if (tnumSubregIsConst(src.varOff) && tnumSubregIsConst(dst.varOff)) {
    markKnown32(dst, t.value);
    return;
  }
  dst.u32min = t.value;
  dst.u32max = t.value | t.mask;
  s32FromU32(dst);
}

/** mirrors scalar_min_max_xor() */
export function scalarMinMaxXor(dst: ScalarBounds, src: ScalarBounds): void {
  if (tnumIsConst(src.varOff) && tnumIsConst(dst.varOff)) {
    markKnown(dst, dst.varOff.value);
    return;
  }
  dst.umin = dst.varOff.value;
  dst.umax = dst.varOff.value | dst.varOff.mask;
  s64FromU64(dst);
  updateBounds(dst);
}

// ---- shifts: the amount is a known constant below the width by the time these run ----

/** mirrors __scalar32_min_max_lsh() */
function scalar32MinMaxLshBounds(dst: ScalarBounds, uminVal: bigint, umaxVal: bigint): void {
  // The sign is lost, except what var_off will tell.
  dst.s32min = S32_MIN;
  dst.s32max = S32_MAX;
  // If the top bit may be shifted out, nothing is known.
  if (umaxVal > 31n || dst.u32max > 1n << (31n - umaxVal)) {
    dst.u32min = 0n;
    dst.u32max = U32_MAX;
  } else {
    dst.u32min = u32(dst.u32min << uminVal);
    dst.u32max = u32(dst.u32max << umaxVal);
  }
}

/** mirrors scalar32_min_max_lsh() */
export function scalar32MinMaxLsh(dst: ScalarBounds, src: ScalarBounds): void {
  const uminVal = src.u32min;
  const umaxVal = src.u32max;
  const subreg = tnumSubreg(dst.varOff);
  scalar32MinMaxLshBounds(dst, uminVal, umaxVal);
  dst.varOff = tnumSubreg(tnumLshift(subreg, uminVal));
  // The 64-bit bounds come back from var_off at the zero extension.
  mark64Unbounded(dst);
  update32Bounds(dst);
}

/** mirrors __scalar64_min_max_lsh() */
function scalar64MinMaxLshBounds(dst: ScalarBounds, uminVal: bigint, umaxVal: bigint): void {
  // `x << 32 s>> 32` is how compilers sign-extend a subregister. Since 6.18.35 any s32
  // range carries over (negative ones too): shifting left by exactly 32 flips no sign.
  if (uminVal === 32n && umaxVal === 32n) {
    dst.smax = dst.s32max << 32n;
    dst.smin = dst.s32min << 32n;
  } else {
    dst.smax = S64_MAX;
    dst.smin = S64_MIN;
  }
  if (dst.umax > 1n << (63n - umaxVal)) {
    dst.umin = 0n;
    dst.umax = U64_MAX;
  } else {
    dst.umin = u64(dst.umin << uminVal);
    dst.umax = u64(dst.umax << umaxVal);
  }
}

/** mirrors scalar_min_max_lsh() */
export function scalarMinMaxLsh(dst: ScalarBounds, src: ScalarBounds): void {
  const uminVal = src.umin;
  const umaxVal = src.umax;
  // the 64-bit part reads the unshifted 32-bit bounds, so it goes first
  scalar64MinMaxLshBounds(dst, uminVal, umaxVal);
  scalar32MinMaxLshBounds(dst, uminVal, umaxVal);
  dst.varOff = tnumLshift(dst.varOff, uminVal);
  updateBounds(dst);
}

/** mirrors scalar32_min_max_rsh() */
export function scalar32MinMaxRsh(dst: ScalarBounds, src: ScalarBounds): void {
  const subreg = tnumSubreg(dst.varOff);
  const umaxVal = src.u32max;
  const uminVal = src.u32min;
  // A logical shift may clear the sign bit: signed bounds are rebuilt from the rest.
  dst.s32min = S32_MIN;
  dst.s32max = S32_MAX;
  dst.varOff = tnumRshift(subreg, uminVal);
  dst.u32min >>= umaxVal;
  dst.u32max >>= uminVal;
  mark64Unbounded(dst);
  update32Bounds(dst);
}

/** mirrors scalar_min_max_rsh() */
export function scalarMinMaxRsh(dst: ScalarBounds, src: ScalarBounds): void {
  const umaxVal = src.umax;
  const uminVal = src.umin;
  dst.smin = S64_MIN;
  dst.smax = S64_MAX;
  dst.varOff = tnumRshift(dst.varOff, uminVal);
  dst.umin >>= umaxVal;
  dst.umax >>= uminVal;
  // The subregister receives bits from the high word: recomputed from var_off.
  mark32Unbounded(dst);
  updateBounds(dst);
}

/** mirrors scalar32_min_max_arsh() */
export function scalar32MinMaxArsh(dst: ScalarBounds, src: ScalarBounds): void {
  const uminVal = src.u32min;
  dst.s32min = dst.s32min >> uminVal;
  dst.s32max = dst.s32max >> uminVal;
  dst.varOff = tnumArshift(tnumSubreg(dst.varOff), uminVal, 32);
  // unsigned bounds come back from var_off
  dst.u32min = 0n;
  dst.u32max = U32_MAX;
  mark64Unbounded(dst);
  update32Bounds(dst);
}

/** mirrors scalar_min_max_arsh() */
export function scalarMinMaxArsh(dst: ScalarBounds, src: ScalarBounds): void {
  const uminVal = src.umin;
  dst.smin >>= uminVal;
  dst.smax >>= uminVal;
  dst.varOff = tnumArshift(dst.varOff, uminVal, 64);
  dst.umin = 0n;
  dst.umax = U64_MAX;
  mark32Unbounded(dst);
  updateBounds(dst);
}

// ---- byte swap (BPF_END) ----

/**
 * mirrors scalar_byte_swap() (Linux 6.18.35) on a little-endian machine, for
 * `BPF_END | (alu64 ? BPF_ALU64 : BPF_ALU) | (toLe ? BPF_TO_LE : BPF_TO_BE)` with `imm` bits:
 * bswap (alu64) and to_be always swap; to_le only truncates (16/32) or does nothing (64).
 * The bounds are then reset and left for reg_bounds_sync() to rebuild from var_off, which
 * adjust_scalar_min_max_vals() does after this (scalarAlu() with BPF_END does it all).
 *
 * Returns `mutated`: whether the kernel clears dst's scalar id here (`dst_reg->id = 0`),
 * which the caller does, since ids live outside ScalarBounds.
 */
export function scalarByteSwap(dst: ScalarBounds, alu64: boolean, toLe: boolean, imm: 16 | 32 | 64): boolean {
  // CONFIG_CPU_BIG_ENDIAN is off: bpfsim models a little-endian machine.
  const isBigEndian = false;
  const needBswap = alu64 || toLe === isBigEndian;
  const mutated = needBswap || imm === 16 || imm === 32;
  if (needBswap) {
    if (imm === 16) dst.varOff = tnumBswap16(dst.varOff);
    else if (imm === 32) dst.varOff = tnumBswap32(dst.varOff);
    else if (imm === 64) dst.varOff = tnumBswap64(dst.varOff);
    // the swap scrambles the ranges: they are re-derived from the new tnum
    markUnbounded(dst);
  }
  // bswap16/32 (and to_le16/32) truncate to the swapped size
  if (imm === 16 || imm === 32) coerceRegToSize(dst, imm / 8);
  return mutated;
}

// ---- maybe_fork_scalars() ----

/**
 * The first test of maybe_fork_scalars() (Linux 6.18.35): whether dst is exactly {-1, 0}
 * as an s64 ('alu64') or, failing that, as an s32 ('alu32'). For BPF_AND and BPF_OR whose
 * source has a constant 64-bit tnum (tnumIsConst(src.varOff), even for ALU32), the kernel
 * then splits the path in two before computing. That needs the verifier's branch stack,
 * so it is the caller's; doing it just before scalarAlu() is exact, since nothing in
 * adjust_scalar_min_max_vals() comes before it for AND/OR. The caller:
 *   1. pushes a copy of the current state at this same instruction
 *      (push_stack(env, insn_idx, insn_idx, false)), whose dst is then made 0:
 *      __mark_reg_known() ('alu64', markKnown(b, 0n)) or __mark_reg32_known() ('alu32',
 *      markKnown32(b, 0n));
 *   2. makes the current dst -1 the same way (markKnown(b, -1n), with the id/off clearing
 *      of __mark_reg_known(); or markKnown32(b, -1n), which keeps the id);
 *   3. calls scalarAlu() on the current state; the pushed copy re-runs the instruction.
 */
export function forkableMinusOneOrZero(dst: ScalarBounds): 'alu64' | 'alu32' | undefined {
  if (dst.smin === -1n && dst.smax === 0n) return 'alu64';
  if (dst.s32min === -1n && dst.s32max === 0n) return 'alu32';
  return undefined;
}

// ---- the dispatcher ----

/** The fields of a BPF_END instruction that scalarAlu() needs for op BPF_END. */
export interface ByteSwapInsn {
  /** BPF_SRC(code) === BPF_TO_LE (also true for the ALU64 bswap, whose source bit is 0) */
  toLe: boolean;
  /** insn->imm: the swapped width in bits */
  imm: 16 | 32 | 64;
}

/**
 * mirrors is_safe_to_compute_dst_reg_range(): whether adjust_scalar_min_max_vals() computes
 * a result range, or just makes dst unknown (div, mod, and shifts by anything but a known
 * amount below the width, in Linux 6.18.35; BPF_END is tracked since 6.18.35).
 */
export function isSafeToComputeDstRegRange(src: ScalarBounds, op: number, alu32: boolean): boolean {
  const bitness = alu32 ? 32n : 64n;
  const srcIsConst = alu32
    ? tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max
    : tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_NEG:
    case BPF_AND:
    case BPF_XOR:
    case BPF_OR:
    case BPF_MUL:
    case BPF_END:
      return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH:
      // as in the kernel, the 64-bit umax is compared even for 32-bit shifts
      return srcIsConst && src.umax < bitness;
    default:
      return false;
  }
}

/**
 * mirrors adjust_scalar_min_max_vals() (Linux 6.18.35): dst = dst <op> src for two
 * scalars, in place. `op` is BPF_OP(code); `alu32` is BPF_CLASS(code) != BPF_ALU64; `off`
 * is the instruction's off (1 = sdiv/smod, which 6.18 like div/mod does not track). src is
 * read as a copy first, as the kernel passes it by value, so dst and src may be the same
 * object (BPF_NEG and BPF_END pass dst as both).
 *
 * The only error the kernel can raise here is sanitize_val_alu()'s for ADD/SUB, which
 * depends on per-instruction state (insn_aux_data) outside this domain; a caller that
 * models it passes `sanitize`, called where the kernel calls it, and its message is
 * returned. Otherwise the result is always undefined. (maybe_fork_scalars()'s push_stack()
 * error is the caller's too: see forkableMinusOneOrZero(), which the caller checks and
 * acts on before calling this.)
 *
 * For op BPF_END pass `end` (toLe and imm of the instruction): the result is
 * scalarByteSwap() then reg_bounds_sync(), with no zero extension even for BPF_ALU class.
 * Whether the kernel clears dst's id is scalarByteSwap()'s return value for
 * (alu64 = !alu32, end.toLe, end.imm). BPF_END without `end` throws a RangeError.
 */
export function scalarAlu(
  dst: ScalarBounds,
  src: ScalarBounds,
  op: number,
  alu32: boolean,
  off: number,
  sanitize?: () => string | undefined,
  end?: ByteSwapInsn,
): string | undefined {
  void off; // sdiv/smod take the same (unknown-result) path as div/mod in 6.18
  if (op === BPF_END && end === undefined) throw new RangeError('scalarAlu: BPF_END needs the instruction\'s toLe and imm');
  // The operand's bounds as they were: a copy only when it is dst itself (rX op= rX).
  const s = src === dst ? cloneBounds(src) : src;
  if (!isSafeToComputeDstRegRange(s, op, alu32)) {
    markUnknown(dst);
    return undefined;
  }
  if (sanitize !== undefined && (op === BPF_ADD || op === BPF_SUB)) {
    const err = sanitize();
    if (err !== undefined) return err;
  }
  // Two synced constants: the sum or difference is a synced constant too. Each bound is the
  // wrapped result or, where it overflowed, unbounded until reg_bounds_sync() takes it from
  // the constant var_off (zero-extended for ALU32), so the result is that constant exactly.
  if ((op === BPF_ADD || op === BPF_SUB) && isSyncedConst(dst) && isSyncedConst(s)) {
    const v = op === BPF_ADD ? dst.varOff.value + s.varOff.value : dst.varOff.value - s.varOff.value;
    markKnown(dst, alu32 ? asUintN(32, v) : v);
    return undefined;
  }
  switch (op) {
    case BPF_ADD:
      scalar32MinMaxAdd(dst, s);
      scalarMinMaxAdd(dst, s);
      dst.varOff = tnumAdd(dst.varOff, s.varOff);
      break;
    case BPF_SUB:
      scalar32MinMaxSub(dst, s);
      scalarMinMaxSub(dst, s);
      dst.varOff = tnumSub(dst.varOff, s.varOff);
      break;
    case BPF_NEG: {
      // 0 - dst, with dst's old value as the subtrahend (the kernel's fake_reg[0])
      const old = cloneBounds(dst);
      markKnown(dst, 0n);
      scalar32MinMaxSub(dst, old);
      scalarMinMaxSub(dst, old);
      dst.varOff = tnumNeg(old.varOff);
      break;
    }
    case BPF_MUL:
      dst.varOff = tnumMul(dst.varOff, s.varOff);
      scalar32MinMaxMul(dst, s);
      scalarMinMaxMul(dst, s);
      break;
    case BPF_AND:
      dst.varOff = tnumAnd(dst.varOff, s.varOff);
      scalar32MinMaxAnd(dst, s);
      scalarMinMaxAnd(dst, s);
      break;
    case BPF_OR:
      dst.varOff = tnumOr(dst.varOff, s.varOff);
      scalar32MinMaxOr(dst, s);
      scalarMinMaxOr(dst, s);
      break;
    case BPF_XOR:
      dst.varOff = tnumXor(dst.varOff, s.varOff);
      scalar32MinMaxXor(dst, s);
      scalarMinMaxXor(dst, s);
      break;
    case BPF_LSH:
      if (alu32) scalar32MinMaxLsh(dst, s);
      else scalarMinMaxLsh(dst, s);
      break;
    case BPF_RSH:
      if (alu32) scalar32MinMaxRsh(dst, s);
      else scalarMinMaxRsh(dst, s);
      break;
    case BPF_ARSH:
      if (alu32) scalar32MinMaxArsh(dst, s);
      else scalarMinMaxArsh(dst, s);
      break;
    case BPF_END:
      scalarByteSwap(dst, !alu32, end!.toLe, end!.imm);
      break;
    default:
      break;
  }
  // ALU32 results are zero-extended, except BPF_END's: scalarByteSwap() already truncated,
  // and le64/be64 are BPF_ALU class yet 64-bit wide.
  if (alu32 && op !== BPF_END) zext32To64(dst);
  regBoundsSync(dst);
  return undefined;
}

/**
 * The "reg += delta" step of sync_linked_regs() for a register linked by `rX += const`:
 * both add helpers and tnum_add(). Since 6.18.35 the kernel then zero-extends (for a
 * BPF_ADD_CONST32 link) and calls reg_bounds_sync(); those are the caller's, as the link
 * flags live outside ScalarBounds.
 */
export function scalarAddConst(dst: ScalarBounds, delta: bigint): void {
  const k = knownScalar(delta);
  scalar32MinMaxAdd(dst, k);
  scalarMinMaxAdd(dst, k);
  dst.varOff = tnumAdd(dst.varOff, k.varOff);
}

// ---- BPF_MOV of scalars (check_alu_op()) ----

/**
 * The numeric effect of `dst = src` for a scalar src, as check_alu_op() computes it:
 * 64-bit mov copies; 64-bit movsx (off 8/16/32) copies then coerce_reg_to_size_sx() (no
 * sync, as in the kernel); 32-bit mov copies, and movsx (off 8/16) also
 * coerce_subreg_to_size_sx(), then zero-extends and syncs.
 */
export function scalarMovReg(dst: ScalarBounds, src: ScalarBounds, alu32: boolean, off: number): void {
  copyBounds(dst, src);
  if (!alu32) {
    if (off !== 0) coerceRegToSizeSx(dst, off >> 3);
    return;
  }
  if (off !== 0) coerceSubregToSizeSx(dst, off >> 3);
  zext32To64(dst);
  regBoundsSync(dst);
}

/** The numeric effect of `dst = imm`: the s32 immediate sign-extended (64-bit) or as a u32 (32-bit). */
export function scalarMovImm(dst: ScalarBounds, imm: number, alu32: boolean): void {
  markKnown(dst, alu32 ? u32(big(imm)) : big(imm));
}

/**
 * Whether a movsx of `offBits` (8/16/32) leaves src's value unchanged (its umax fits the
 * positive range), the `no_sext` test that decides whether dst keeps src's id.
 */
export function movsxIsNoSext(src: ScalarBounds, offBits: number): boolean {
  return src.umax < 1n << big(offBits - 1);
}
