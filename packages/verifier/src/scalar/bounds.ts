// The bounds half of a scalar's abstract value (the s64/u64/s32/u32 ranges of struct
// bpf_reg_state) and how they are kept consistent with each other and with var_off, as
// kernel/bpf/verifier.c does. Functions mutate their ScalarBounds argument in place, like
// the kernel's reg state; fields are normalised exactly where the C types wrap or cast.
import type { ScalarBounds, Tnum } from './types';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, asIntN, asUintN, big, max, min, s32, s64, u32, u64 } from './int';
import {
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSubreg,
  tnumSubregIsConst,
  tnumUnion,
  tnumUnknown,
} from './tnum';

const LOW32 = 0xffffffffn;

/** A fully unknown scalar (the numeric part of __mark_reg_unknown()). */
export function unknownScalar(): ScalarBounds {
  return {
    varOff: tnumUnknown(),
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32_MAX,
  };
}

/** A known constant, `v` taken mod 2^64 (the numeric part of __mark_reg_known()). */
export function knownScalar(v: bigint): ScalarBounds {
  const b = unknownScalar();
  markKnown(b, v);
  return b;
}

/** A copy of just the numeric fields. */
export function cloneBounds(b: ScalarBounds): ScalarBounds {
  return {
    varOff: { value: b.varOff.value, mask: b.varOff.mask },
    smin: b.smin,
    smax: b.smax,
    umin: b.umin,
    umax: b.umax,
    s32min: b.s32min,
    s32max: b.s32max,
    u32min: b.u32min,
    u32max: b.u32max,
  };
}

/** Overwrite dst's numeric fields with src's (the numeric part of copy_register_state()). */
export function copyBounds(dst: ScalarBounds, src: ScalarBounds): void {
  dst.varOff = { value: src.varOff.value, mask: src.varOff.mask };
  dst.smin = src.smin;
  dst.smax = src.smax;
  dst.umin = src.umin;
  dst.umax = src.umax;
  dst.s32min = src.s32min;
  dst.s32max = src.s32max;
  dst.u32min = src.u32min;
  dst.u32max = src.u32max;
}

/** mirrors __mark_reg_unbounded() */
export function markUnbounded(b: ScalarBounds): void {
  mark64Unbounded(b);
  mark32Unbounded(b);
}

/** mirrors __mark_reg64_unbounded() */
export function mark64Unbounded(b: ScalarBounds): void {
  b.smin = S64_MIN;
  b.smax = S64_MAX;
  b.umin = 0n;
  b.umax = U64_MAX;
}

/** mirrors __mark_reg32_unbounded() */
export function mark32Unbounded(b: ScalarBounds): void {
  b.s32min = S32_MIN;
  b.s32max = S32_MAX;
  b.u32min = 0n;
  b.u32max = U32_MAX;
}

/** The numeric part of __mark_reg_unknown(): var_off unknown and every bound open. */
export function markUnknown(b: ScalarBounds): void {
  b.varOff = tnumUnknown();
  markUnbounded(b);
}

/** mirrors ___mark_reg_known() (the numeric part of __mark_reg_known()) */
export function markKnown(b: ScalarBounds, v: bigint): void {
  const imm = u64(v);
  b.varOff = tnumConst(imm);
  b.smin = s64(imm);
  b.smax = s64(imm);
  b.umin = imm;
  b.umax = imm;
  b.s32min = s32(imm);
  b.s32max = s32(imm);
  b.u32min = u32(imm);
  b.u32max = u32(imm);
}

/** mirrors __mark_reg32_known(): the low 32 bits become known; the 64-bit bounds are left alone. */
export function markKnown32(b: ScalarBounds, v: bigint): void {
  b.varOff = tnumConstSubreg(b.varOff, v);
  b.s32min = s32(v);
  b.s32max = s32(v);
  b.u32min = u32(v);
  b.u32max = u32(v);
}

/** mirrors __update_reg32_bounds(): tighten the 32-bit bounds from the low half of var_off. */
export function update32Bounds(b: ScalarBounds): void {
  const t = tnumSubreg(b.varOff);
  // smallest signed value: sign bit set if it may be, other unknown bits clear
  b.s32min = max(b.s32min, s32(t.value | (t.mask & 0x80000000n)));
  // largest signed value: sign bit clear if it may be, other unknown bits set
  b.s32max = min(b.s32max, s32(t.value | (t.mask & 0x7fffffffn)));
  b.u32min = max(b.u32min, u32(t.value));
  b.u32max = min(b.u32max, u32(t.value | t.mask));
}

/**
 * mirrors __update_reg64_bounds() (Linux 6.18.35): tighten the 64-bit bounds from var_off,
 * then, when the u64 range and var_off have exactly one value in common, make the
 * register that constant (all of its bounds, 32-bit ones included).
 */
export function update64Bounds(b: ScalarBounds): void {
  const t = b.varOff;
  b.smin = max(b.smin, s64(t.value | (t.mask & (1n << 63n))));
  b.smax = min(b.smax, s64(t.value | (t.mask & S64_MAX)));
  b.umin = max(b.umin, t.value);
  b.umax = min(b.umax, t.value | t.mask);

  // Does the u64 range meet the tnum in a single value?
  const tnumNext = tnumStep(b.varOff, b.umin);
  const uminInTnum = (b.umin & u64(~b.varOff.mask)) === b.varOff.value;
  const tmax = b.varOff.value | b.varOff.mask;
  if (uminInTnum && tnumNext > b.umax) {
    // only at umin
    markKnown(b, b.umin);
  } else if (!uminInTnum && tnumNext === tmax) {
    // only at the tnum's largest member
    markKnown(b, tmax);
  } else if (!uminInTnum && tnumNext <= b.umax && tnumStep(b.varOff, tnumNext) > b.umax) {
    // only at one member strictly between umin and umax
    markKnown(b, tnumNext);
  }
}

/** mirrors __update_reg_bounds() */
export function updateBounds(b: ScalarBounds): void {
  update32Bounds(b);
  update64Bounds(b);
}

/** mirrors __reg32_deduce_bounds(): 32-bit bounds from the 64-bit ones and from each other. */
export function reg32DeduceBounds(b: ScalarBounds): void {
  // When the high words of both u64 ends agree, the low words form a range too.
  if (b.umin >> 32n === b.umax >> 32n) {
    b.u32min = max(b.u32min, u32(b.umin));
    b.u32max = min(b.u32max, u32(b.umax));
    if (s32(b.umin) <= s32(b.umax)) {
      b.s32min = max(b.s32min, s32(b.umin));
      b.s32max = min(b.s32max, s32(b.umax));
    }
  }
  // Likewise for the s64 ends (an arithmetic shift, as on an s64 in C).
  if (b.smin >> 32n === b.smax >> 32n) {
    if (u32(b.smin) <= u32(b.smax)) {
      b.u32min = max(b.u32min, u32(b.smin));
      b.u32max = min(b.u32max, u32(b.smax));
    }
    if (s32(b.smin) <= s32(b.smax)) {
      b.s32min = max(b.s32min, s32(b.smin));
      b.s32max = min(b.s32max, s32(b.smax));
    }
  }
  // High words that are two consecutive u32s (wrapping), with the low words running from
  // negative to non-negative, still give an s32 range.
  if (u32(u32(b.umin >> 32n) + 1n) === u32(b.umax >> 32n) && s32(b.umin) < 0n && s32(b.umax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.umin));
    b.s32max = min(b.s32max, s32(b.umax));
  }
  if (u32(u32(b.smin >> 32n) + 1n) === u32(b.smax >> 32n) && s32(b.smin) < 0n && s32(b.smax) >= 0n) {
    b.s32min = max(b.s32min, s32(b.smin));
    b.s32max = min(b.s32max, s32(b.smax));
  }
  // A u32 range on one side of the sign bit is also an s32 range, and vice versa.
  if (s32(b.u32min) <= s32(b.u32max)) {
    b.s32min = max(b.s32min, s32(b.u32min));
    b.s32max = min(b.s32max, s32(b.u32max));
  }
  if (u32(b.s32min) <= u32(b.s32max)) {
    b.u32min = max(u32(b.s32min), b.u32min);
    b.u32max = min(u32(b.s32max), b.u32max);
  } else if (b.u32max < u32(b.s32min)) {
    // (6.18.35) The s32 range wraps through the sign boundary, but the u32 range meets
    // only its non-negative part...
    b.s32min = s32(b.u32min);
    b.u32max = min(b.u32max, u32(b.s32max));
  } else if (u32(b.s32max) < b.u32min) {
    // ...or only its negative part, as __reg64_deduce_bounds() does for 64 bits.
    b.s32max = s32(b.u32max);
    b.u32min = max(b.u32min, u32(b.s32min));
  }
}

/** mirrors __reg64_deduce_bounds(): s64 and u64 bounds from each other. */
export function reg64DeduceBounds(b: ScalarBounds): void {
  // A u64 range within one half of the number line is the same range as s64.
  if (s64(b.umin) <= s64(b.umax)) {
    b.smin = max(b.smin, s64(b.umin));
    b.smax = min(b.smax, s64(b.umax));
  }
  if (u64(b.smin) <= u64(b.smax)) {
    b.umin = max(u64(b.smin), b.umin);
    b.umax = min(u64(b.smax), b.umax);
  } else if (b.umax < u64(b.smin)) {
    // The s64 range wraps through the sign boundary, but the u64 range meets only its
    // non-negative part...
    b.smin = s64(b.umin);
    b.umax = min(b.umax, u64(b.smax));
  } else if (u64(b.smax) < b.umin) {
    // ...or only its negative part.
    b.smax = s64(b.umax);
    b.umin = max(b.umin, u64(b.smin));
  }
}

/** mirrors __reg_deduce_mixed_bounds(): 64-bit bounds from the 32-bit ones. */
export function regDeduceMixedBounds(b: ScalarBounds): void {
  // Replacing the low word of each 64-bit end by the u32 bound always stays a valid range.
  const newUmin = (b.umin & ~LOW32) | b.u32min;
  const newUmax = (b.umax & ~LOW32) | b.u32max;
  b.umin = max(b.umin, newUmin);
  b.umax = min(b.umax, newUmax);
  const newSmin = s64((u64(b.smin) & ~LOW32) | b.u32min);
  const newSmax = s64((u64(b.smax) & ~LOW32) | b.u32max);
  b.smin = max(b.smin, newSmin);
  b.smax = min(b.smax, newSmax);
  // A value within [S32_MIN, S32_MAX] whose low word is non-negative as s32 cannot be
  // negative: it is its own low word (the case sign-extending loads leave behind).
  if (b.s32min >= 0n && b.smin >= S32_MIN && b.smax <= S32_MAX) {
    b.smin = b.s32min;
    b.smax = b.s32max;
    b.umin = b.s32min;
    b.umax = b.s32max;
    b.varOff = tnumIntersect(b.varOff, tnumRange(b.smin, b.smax));
  }
}

/** mirrors __reg_deduce_bounds() */
export function regDeduceBounds(b: ScalarBounds): void {
  reg32DeduceBounds(b);
  reg64DeduceBounds(b);
  regDeduceMixedBounds(b);
}

/** mirrors __reg_bound_offset(): learn var_off bits from the unsigned bounds. */
export function regBoundOffset(b: ScalarBounds): void {
  const var64 = tnumIntersect(b.varOff, tnumRange(b.umin, b.umax));
  const var32 = tnumIntersect(tnumSubreg(var64), tnumRange(b.u32min, b.u32max));
  b.varOff = tnumOr(tnumClearSubreg(var64), var32);
}

/** A known constant whose every bound already is that constant: a fixpoint of each step
 * of reg_bounds_sync() (every max/min keeps it, tnum_step() finds no other member, the
 * tnum intersections give it back), so syncing it changes nothing. */
export function isSyncedConst(b: ScalarBounds): boolean {
  const v = b.varOff.value;
  if (b.varOff.mask !== 0n || b.umin !== v || b.umax !== v) return false;
  const sv = asIntN(64, v);
  if (b.smin !== sv || b.smax !== sv) return false;
  const lo = asUintN(32, v);
  if (b.u32min !== lo || b.u32max !== lo) return false;
  const slo = asIntN(32, v);
  return b.s32min === slo && b.s32max === slo;
}

/** mirrors reg_bounds_sync(): update, deduce three times, bound the offset, update. */
export function regBoundsSync(b: ScalarBounds): void {
  if (isSyncedConst(b)) return;
  updateBounds(b);
  regDeduceBounds(b);
  regDeduceBounds(b);
  regDeduceBounds(b);
  regBoundOffset(b);
  updateBounds(b);
}

/**
 * The conditions of reg_bounds_sanity_check(): the message naming the first broken
 * invariant, or undefined when the bounds are consistent.
 */
export function boundsSane(b: ScalarBounds): string | undefined {
  if (b.umin > b.umax || b.smin > b.smax || b.u32min > b.u32max || b.s32min > b.s32max) {
    return 'range bounds violation';
  }
  if (tnumIsConst(b.varOff)) {
    const uval = b.varOff.value;
    const sval = s64(uval);
    if (b.umin !== uval || b.umax !== uval || b.smin !== sval || b.smax !== sval) {
      return 'const tnum out of sync with range bounds';
    }
  }
  if (tnumSubregIsConst(b.varOff)) {
    const uval32 = u32(b.varOff.value);
    const sval32 = s32(uval32);
    if (b.u32min !== uval32 || b.u32max !== uval32 || b.s32min !== sval32 || b.s32max !== sval32) {
      return 'const subreg tnum out of sync with range bounds';
    }
  }
  return undefined;
}

const hex = (x: bigint): string => `0x${x.toString(16)}`;

/**
 * mirrors reg_bounds_sanity_check(): on a broken invariant returns the kernel's log line
 * (`verifier bug: REG INVARIANTS VIOLATION (ctx): …`, without the newline) and, unless
 * `testRegInvariants` (BPF_F_TEST_REG_INVARIANTS, where the kernel fails with -EFAULT
 * instead), forgets the bounds as the kernel does.
 */
export function regBoundsSanityCheck(b: ScalarBounds, ctx: string, testRegInvariants = false): string | undefined {
  const msg = boundsSane(b);
  if (msg === undefined) return undefined;
  const line =
    `verifier bug: REG INVARIANTS VIOLATION (${ctx}): ${msg} ` +
    `u64=[${hex(b.umin)}, ${hex(b.umax)}] s64=[${hex(u64(b.smin))}, ${hex(u64(b.smax))}] ` +
    `u32=[${hex(b.u32min)}, ${hex(b.u32max)}] s32=[${hex(u32(b.s32min))}, ${hex(u32(b.s32max))}] ` +
    `var_off=(${hex(b.varOff.value)}, ${hex(b.varOff.mask)})`;
  if (!testRegInvariants) markUnbounded(b);
  return line;
}

/** mirrors __reg_assign_32_into_64(): 64-bit bounds from the 32-bit ones of a zero-extended value. */
export function regAssign32Into64(b: ScalarBounds): void {
  b.umin = b.u32min;
  b.umax = b.u32max;
  // mirrors __reg32_bound_s64(): only a non-negative s32 range carries over to s64
  const nonNeg = (a: bigint): boolean => a >= 0n && a <= S32_MAX;
  if (nonNeg(b.s32min) && nonNeg(b.s32max)) {
    b.smin = b.s32min;
    b.smax = b.s32max;
  } else {
    b.smin = 0n;
    b.smax = U32_MAX;
  }
}

/** mirrors zext_32_to_64(): what an ALU32 result looks like in the 64-bit register. */
export function zext32To64(b: ScalarBounds): void {
  b.varOff = tnumSubreg(b.varOff);
  regAssign32Into64(b);
}

/** mirrors coerce_reg_to_size(): truncate to `size` bytes (1, 2 or 4) with zero extension. */
export function coerceRegToSize(b: ScalarBounds, size: number): void {
  b.varOff = tnumCast(b.varOff, size);
  const mask = (1n << big(size * 8)) - 1n;
  if ((b.umin & ~mask) === (b.umax & ~mask)) {
    b.umin &= mask;
    b.umax &= mask;
  } else {
    b.umin = 0n;
    b.umax = mask;
  }
  b.smin = b.umin;
  b.smax = b.umax;
  // Below 32 bits the subregister is truncated too; the 64-bit bounds will refill it.
  if (size < 4) mark32Unbounded(b);
  regBoundsSync(b);
}

const sext = (x: bigint, size: number): bigint => asIntN(size * 8, x);

/** mirrors set_sext64_default_val() */
function setSext64DefaultVal(b: ScalarBounds, size: number): void {
  const bits = big(size * 8);
  b.smin = b.s32min = -(1n << (bits - 1n));
  b.smax = b.s32max = (1n << (bits - 1n)) - 1n;
  b.umin = b.u32min = 0n;
  b.umax = U64_MAX;
  b.u32max = U32_MAX;
  b.varOff = tnumUnknown();
}

/**
 * mirrors coerce_reg_to_size_sx(): sign-extend the low `size` bytes (1, 2 or 4) to 64 bits,
 * for movsx and sign-extending loads. Like the kernel, it does not end with reg_bounds_sync().
 */
export function coerceRegToSizeSx(b: ScalarBounds, size: number): void {
  const numBits = big(size * 8);
  if (tnumIsConst(b.varOff)) {
    b.varOff = tnumConst(sext(b.varOff.value, size));
    const v = b.varOff.value;
    b.smax = b.smin = s64(v);
    b.umax = b.umin = v;
    b.s32max = b.s32min = s32(v);
    b.u32max = b.u32min = u32(v);
    return;
  }
  if (size === 4) return coerceRegToS32(b);
  // The bounds the narrow value's sign extension gives: the 64-bit range itself when the
  // narrow type holds it whole (across zero too: [-1, 0] as s16 stays [-1, 0]), else the
  // 32-bit range when that fits (an s8 or s16 of a subregister bounded by jmp32), else the
  // two ends sign-extended when they differ only in the low bits (6.18.44's coerce_reg_to_size_sx).
  const half = 1n << (numBits - 1n);
  const fits = (lo: bigint, hi: bigint): boolean => lo >= -half && hi < half;
  let range: [bigint, bigint] | undefined;
  if (fits(b.smin, b.smax)) range = [b.smin, b.smax];
  else if (fits(b.s32min, b.s32max)) range = [b.s32min, b.s32max];
  else {
    const topSmax = (u64(b.smax) >> numBits) << numBits;
    const topSmin = (u64(b.smin) >> numBits) << numBits;
    if (topSmax === topSmin) {
      const initMax = sext(b.smax, size);
      const initMin = sext(b.smin, size);
      const hi = max(initMax, initMin);
      const lo = min(initMax, initMin);
      // Only when both ends land on the same side of zero is the result one range.
      if (hi >= 0n === lo >= 0n) range = [lo, hi];
    }
  }
  if (range) {
    const [lo, hi] = range;
    b.smin = lo;
    b.s32min = s32(lo);
    b.smax = hi;
    b.s32max = s32(hi);
    if (hi >= 0n === lo >= 0n) {
      b.umin = u64(lo);
      b.u32min = u32(lo);
      b.umax = u64(hi);
      b.u32max = u32(hi);
    } else {
      b.umin = 0n;
      b.umax = U64_MAX;
      b.u32min = 0n;
      b.u32max = U32_MAX;
    }
    b.varOff = tnumRange(u64(lo), u64(hi));
    return;
  }
  setSext64DefaultVal(b, size);
}

/** coerce_reg_to_size_sx() for s32: the low 32 bits are the value's, so its 32-bit bounds
 * stand; the 64-bit ones follow from them — the signed range is the 32-bit one, and the
 * unsigned range the sign extension of the u32 ends (a u32 range across 2^31 becomes the
 * hull from its low end up to its high end extended); the tnum is that range's. */
function coerceRegToS32(b: ScalarBounds): void {
  const sx = (v: bigint): bigint => u64(s32(v));
  b.smin = b.s32min;
  b.smax = b.s32max;
  const crosses = b.u32min < 1n << 31n && b.u32max >= 1n << 31n;
  b.umin = crosses ? b.u32min : sx(b.u32min);
  b.umax = sx(b.u32max);
  b.varOff = tnumRange(b.umin, b.umax);
}

/** mirrors set_sext32_default_val() */
function setSext32DefaultVal(b: ScalarBounds, size: number): void {
  const bits = big(size * 8);
  b.s32min = -(1n << (bits - 1n));
  b.s32max = (1n << (bits - 1n)) - 1n;
  b.u32min = 0n;
  b.u32max = U32_MAX;
  b.varOff = tnumSubreg(tnumUnknown());
}

/**
 * mirrors coerce_subreg_to_size_sx(): sign-extend the low `size` bytes (1 or 2) into the
 * 32-bit subregister, for 32-bit movsx. Only the 32-bit bounds are set; the caller
 * zero-extends (zext32To64) and syncs, as check_alu_op() does.
 */
export function coerceSubregToSizeSx(b: ScalarBounds, size: number): void {
  const numBits = big(size * 8);
  if (tnumIsConst(b.varOff)) {
    // As in the kernel, the constant is sign-extended to all 64 bits of var_off here;
    // the zero extension that follows cuts it back to 32.
    b.varOff = tnumConst(sext(b.varOff.value, size));
    const v = u32(b.varOff.value);
    b.s32min = b.s32max = s32(v);
    b.u32min = b.u32max = v;
    return;
  }
  const topSmax = (u32(b.s32max) >> numBits) << numBits;
  const topSmin = (u32(b.s32min) >> numBits) << numBits;
  if (topSmax === topSmin) {
    const initMax = sext(b.s32max, size);
    const initMin = sext(b.s32min, size);
    const hi = max(initMax, initMin);
    const lo = min(initMax, initMin);
    if (lo >= 0n === hi >= 0n) {
      b.s32min = lo;
      b.s32max = hi;
      b.u32min = u32(lo);
      b.u32max = u32(hi);
      b.varOff = tnumSubreg(tnumRange(lo, hi));
      return;
    }
  }
  setSext32DefaultVal(b, size);
}

/** mirrors is_reg_const() for a scalar: var_off (or its low half) is known. */
export function isConst(b: ScalarBounds, subreg32 = false): boolean {
  return tnumIsConst(subreg32 ? tnumSubreg(b.varOff) : b.varOff);
}

/** mirrors reg_const_value(): the known value (low half for subreg32); only meaningful when isConst(). */
export function constValue(b: ScalarBounds, subreg32 = false): bigint {
  return subreg32 ? tnumSubreg(b.varOff).value : b.varOff.value;
}

/** mirrors get_reg_width(): how many bits umax needs (fls64). */
export function regWidth(b: ScalarBounds): number {
  return b.umax === 0n ? 0 : b.umax.toString(2).length;
}

// --- Not from the kernel: building abstract values from concrete ones (tests, fuzzing). ---

/** True when the concrete value `v` (taken mod 2^64) is allowed by var_off and every bound. */
export function containsValue(b: ScalarBounds, v: bigint): boolean {
  const x = u64(v);
  const lo = u32(x);
  return (
    ((x ^ b.varOff.value) & ~b.varOff.mask) === 0n &&
    x >= b.umin && x <= b.umax &&
    s64(x) >= b.smin && s64(x) <= b.smax &&
    lo >= b.u32min && lo <= b.u32max &&
    s32(lo) >= b.s32min && s32(lo) <= b.s32max
  );
}

/**
 * The tightest ScalarBounds the domain expresses directly for a non-empty set of concrete
 * values (each bound the set's extreme, var_off their tnum union), then reg_bounds_sync()ed.
 */
export function scalarFromValues(values: readonly bigint[]): ScalarBounds {
  if (values.length === 0) throw new RangeError('scalarFromValues: no values');
  const xs = values.map(u64);
  const pick = (f: (x: bigint) => bigint, better: (a: bigint, c: bigint) => boolean): bigint =>
    xs.map(f).reduce((a, c) => (better(c, a) ? c : a));
  const lt = (a: bigint, c: bigint): boolean => a < c;
  const gt = (a: bigint, c: bigint): boolean => a > c;
  let t: Tnum = tnumConst(xs[0]!);
  for (const x of xs) t = tnumUnion(t, tnumConst(x));
  const b: ScalarBounds = {
    varOff: t,
    smin: pick(s64, lt),
    smax: pick(s64, gt),
    umin: pick((x) => x, lt),
    umax: pick((x) => x, gt),
    s32min: pick((x) => s32(x), lt),
    s32max: pick((x) => s32(x), gt),
    u32min: pick(u32, lt),
    u32max: pick(u32, gt),
  };
  regBoundsSync(b);
  return b;
}
