// 64-bit integer arithmetic on (hi, lo) int32 pairs, exact (two's complement wrap-around),
// as the eBPF ISA defines it (RFC 9669 §4). Results go to OUT: OUT[0] = lo, OUT[1] = hi.
// The interpreter calls these; the JIT inlines the simple ones and calls the rest. BigInt
// appears only on rare paths (64-bit division with operands beyond 32 bits).

export const OUT = new Int32Array(2);

/**
 * High 32 bits of the unsigned product of two u32 (given as int32), from 16-bit limbs:
 * every partial product and sum stays below 2^53, so double arithmetic is exact. (Twice as
 * fast in V8 as splitting only one operand and dividing the 48-bit partial products.)
 */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const m = a1 * b0 + ((a0 * b0) >>> 16); // < 2^32
  const n = a0 * b1 + (m % 65536); // < 2^32
  return (a1 * b1 + Math.floor(m / 65536) + Math.floor(n / 65536)) | 0;
}

export function mul64(ah: number, al: number, bh: number, bl: number): void {
  OUT[0] = Math.imul(al, bl);
  OUT[1] = (Math.imul(ah, bl) + Math.imul(al, bh) + mulhiU32(al, bl)) | 0;
}

export const toBig = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
export const toSignedBig = (hi: number, lo: number): bigint => (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0);

export function fromBig(v: bigint): void {
  OUT[0] = Number(BigInt.asIntN(32, v));
  OUT[1] = Number(BigInt.asIntN(32, v >> 32n));
}

/** Unsigned 64-bit division; a zero divisor gives 0 (RFC 9669). */
export function udiv64(ah: number, al: number, bh: number, bl: number): void {
  if (bh === 0 && bl === 0) {
    OUT[0] = 0;
    OUT[1] = 0;
  } else if (ah === 0 && bh === 0) {
    OUT[0] = Math.floor((al >>> 0) / (bl >>> 0)) | 0;
    OUT[1] = 0;
  } else {
    fromBig(toBig(ah, al) / toBig(bh, bl));
  }
}

/** Unsigned 64-bit modulo; a zero divisor leaves the dividend (RFC 9669). */
export function umod64(ah: number, al: number, bh: number, bl: number): void {
  if (bh === 0 && bl === 0) {
    OUT[0] = al;
    OUT[1] = ah;
  } else if (ah === 0 && bh === 0) {
    OUT[0] = (al >>> 0) % (bl >>> 0) | 0;
    OUT[1] = 0;
  } else {
    fromBig(toBig(ah, al) % toBig(bh, bl));
  }
}

/** Signed 64-bit division truncating toward zero; /0 gives 0 and INT64_MIN / -1 wraps to INT64_MIN. */
export function sdiv64(ah: number, al: number, bh: number, bl: number): void {
  if (bh === 0 && bl === 0) {
    OUT[0] = 0;
    OUT[1] = 0;
  } else if (ah === al >> 31 && bh === bl >> 31) {
    // Both fit in int32: the quotient fits in 33 bits, exact as a double.
    const q = Math.trunc(al / bl); // in [-2^31, 2^31]: 2^31 only for INT32_MIN / -1
    OUT[0] = q | 0;
    OUT[1] = q < 0 ? -1 : 0;
  } else {
    fromBig(BigInt.asIntN(64, toSignedBig(ah, al) / toSignedBig(bh, bl)));
  }
}

/** Signed 64-bit modulo (sign of the dividend); %0 leaves the dividend, % -1 gives 0. */
export function smod64(ah: number, al: number, bh: number, bl: number): void {
  if (bh === 0 && bl === 0) {
    OUT[0] = al;
    OUT[1] = ah;
  } else if (ah === al >> 31 && bh === bl >> 31) {
    const r = al % bl; // |r| < 2^31, sign of the dividend
    OUT[0] = r | 0;
    OUT[1] = r < 0 ? -1 : 0;
  } else {
    fromBig(toSignedBig(ah, al) % toSignedBig(bh, bl));
  }
}

/** 32-bit unsigned division and modulo, zero-extended (b = 0: div gives 0, mod keeps a). */
export const udiv32 = (a: number, b: number): number => (b === 0 ? 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0);
export const umod32 = (a: number, b: number): number => (b === 0 ? a : (a >>> 0) % (b >>> 0) | 0);
/** 32-bit signed division and modulo; INT32_MIN / -1 wraps, % -1 gives 0. */
export const sdiv32 = (a: number, b: number): number => (b === 0 ? 0 : Math.trunc((a | 0) / (b | 0)) | 0);
export const smod32 = (a: number, b: number): number => (b === 0 ? a : (a | 0) % (b | 0) | 0);

/** Shifts by n in 0..63 (callers mask). */
export function shl64(h: number, l: number, n: number): void {
  if (n === 0) {
    OUT[0] = l;
    OUT[1] = h;
  } else if (n < 32) {
    OUT[1] = (h << n) | (l >>> (32 - n));
    OUT[0] = l << n;
  } else {
    OUT[1] = l << (n - 32);
    OUT[0] = 0;
  }
}

export function shr64(h: number, l: number, n: number): void {
  if (n === 0) {
    OUT[0] = l;
    OUT[1] = h;
  } else if (n < 32) {
    OUT[0] = (l >>> n) | (h << (32 - n));
    OUT[1] = h >>> n;
  } else {
    OUT[0] = h >>> (n - 32);
    OUT[1] = 0;
  }
}

export function sar64(h: number, l: number, n: number): void {
  if (n === 0) {
    OUT[0] = l;
    OUT[1] = h;
  } else if (n < 32) {
    OUT[0] = (l >>> n) | (h << (32 - n));
    OUT[1] = h >> n;
  } else {
    OUT[0] = h >> (n - 32);
    OUT[1] = h >> 31;
  }
}

export const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
export const bswap32 = (x: number): number => ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

/** Unsigned and signed 64-bit comparisons. */
export const ltU64 = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah === bh ? al >>> 0 < bl >>> 0 : ah >>> 0 < bh >>> 0;
export const ltS64 = (ah: number, al: number, bh: number, bl: number): boolean => (ah === bh ? al >>> 0 < bl >>> 0 : ah < bh);
