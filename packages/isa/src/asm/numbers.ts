// Integer literals of both assembly syntaxes and the range rules of each instruction field.

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** `123`, `-5`, `+7`, `0x1f`, `-0x10` → BigInt; undefined when the text is not an integer. */
export function parseIntLiteral(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|[0-9]+)$/.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/**
 * A 32-bit immediate as LLVM accepts it: any value in [-2^31, 2^32 - 1], stored as its low
 * 32 bits (so 0xffffffff is -1). Undefined when out of range.
 */
export function toImm32(v: bigint): number | undefined {
  if (v < INT32_MIN || v > UINT32_MAX) return undefined;
  return Number(BigInt.asIntN(32, v));
}

/** A value that must be a signed 32-bit integer (jump and call displacements). */
export function toS32(v: bigint): number | undefined {
  return v < INT32_MIN || v > INT32_MAX ? undefined : Number(v);
}

/** A signed 16-bit instruction offset. */
export function toS16(v: bigint): number | undefined {
  return v < -32768n || v > 32767n ? undefined : Number(v);
}

/** A 64-bit ld_imm64 constant: any value in [-2^63, 2^64 - 1]. */
export function toImm64(v: bigint): bigint | undefined {
  return v < INT64_MIN || v > UINT64_MAX ? undefined : BigInt.asUintN(64, v);
}
