// Fixed-width integers on BigInt: the C types u64/s64/u32/s32 as casts (include/linux/types.h),
// their limits (include/linux/limits.h) and min()/max() (include/linux/minmax.h). The one
// home of these for the verifier; every wrap or cast of a bound goes through here.

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

/** (u64)x, (s64)x, (u32)x, (s32)x: x wrapped to the C type. */
export const u64 = (x: bigint): bigint => asUintN(64, x);
export const s64 = (x: bigint): bigint => asIntN(64, x);
export const u32 = (x: bigint): bigint => asUintN(32, x);
export const s32 = (x: bigint): bigint => asIntN(32, x);

/** max() and min() of two values of the same type. */
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
