// The numeric abstract domain of a scalar register, as struct bpf_reg_state holds it:
// a tristate number (kernel/bpf/tnum.c) and signed/unsigned 64- and 32-bit bounds.
// All values are BigInt: verification is load-time work, and exactness matters more.

/** A tristate number: bits set in `mask` are unknown; `value` holds the known bits (value & mask == 0). */
export interface Tnum {
  /** u64 */
  value: bigint;
  /** u64 */
  mask: bigint;
}

export interface ScalarBounds {
  varOff: Tnum;
  /** s64 (a signed BigInt) */
  smin: bigint;
  smax: bigint;
  /** u64 */
  umin: bigint;
  umax: bigint;
  /** s32 (a signed BigInt) */
  s32min: bigint;
  s32max: bigint;
  /** u32 */
  u32min: bigint;
  u32max: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

/** BigInt.asUintN / asIntN captured once: a global lookup per call is slow where code runs
 * in a vm context (Jest), and these run several times per verified instruction. */
export const asUintN: (bits: number, x: bigint) => bigint = BigInt.asUintN;
export const asIntN: (bits: number, x: bigint) => bigint = BigInt.asIntN;
/** The BigInt constructor, captured for the same reason. */
export const big: (x: number | bigint | string | boolean) => bigint = BigInt;
