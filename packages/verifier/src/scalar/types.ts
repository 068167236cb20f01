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
