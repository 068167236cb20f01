// Tristate numbers: every tnum operation contains every concrete result of the operation on
// members of its operands (fixed seeds), and exact results the kernel gives.
import fc from 'fast-check';
import type { Tnum } from '../src/scalar';
import {
  U64_MAX,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap16,
  tnumBswap32,
  tnumBswap64,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumConstSubreg,
  tnumEqualsConst,
  tnumIn,
  tnumIntersect,
  tnumIsAligned,
  tnumIsConst,
  tnumIsUnknown,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumOverlap,
  tnumRange,
  tnumRshift,
  tnumSbin,
  tnumStep,
  tnumStr,
  tnumSub,
  tnumSubreg,
  tnumUnion,
  tnumUnknown,
  tnumWithSubreg,
  tnumXor,
} from '../src/scalar';

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const T = (value: bigint, mask: bigint): Tnum => ({ value, mask });
const member = (t: Tnum, x: bigint): boolean => tnumIn(t, tnumConst(x));

/** A tnum and a few of its members (built by filling its unknown bits at random). */
const tnumWithMembers = fc
  .tuple(
    fc.bigInt({ min: 0n, max: U64_MAX }),
    fc.oneof(
      fc.bigInt({ min: 0n, max: U64_MAX }),
      fc.bigInt({ min: 0n, max: 0xffn }),
      fc.integer({ min: 0, max: 64 }).map((k) => (1n << BigInt(k)) - 1n),
      fc.constant(0n),
    ),
    fc.array(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: 1, maxLength: 4 }),
  )
  .map(([v, m, fills]) => {
    const t = T(v & ~m & U64_MAX, m);
    return { t, xs: fills.map((f) => t.value | (f & t.mask)) };
  });

const binOps: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
  ['add', tnumAdd, (x, y) => u64(x + y)],
  ['sub', tnumSub, (x, y) => u64(x - y)],
  ['mul', tnumMul, (x, y) => u64(x * y)],
  ['and', tnumAnd, (x, y) => x & y],
  ['or', tnumOr, (x, y) => x | y],
  ['xor', tnumXor, (x, y) => x ^ y],
  ['union', tnumUnion, (x) => x],
];

describe('tnum soundness', () => {
  test.each(binOps)('tnum %s contains every concrete result', (_name, abs, conc) => {
    fc.assert(
      fc.property(tnumWithMembers, tnumWithMembers, (a, b) => {
        const r = abs(a.t, b.t);
        expect(r.value & r.mask).toBe(0n);
        for (const x of a.xs) for (const y of b.xs) expect(member(r, conc(x, y))).toBe(true);
      }),
      { seed: 1818, numRuns: 300 },
    );
  });

  test('shifts, neg, cast, subreg helpers contain every concrete result', () => {
    fc.assert(
      fc.property(tnumWithMembers, tnumWithMembers, fc.integer({ min: 0, max: 63 }), (a, b, s) => {
        const S = BigInt(s);
        for (const x of a.xs) {
          expect(member(tnumLshift(a.t, s), u64(x << S))).toBe(true);
          expect(member(tnumRshift(a.t, s), x >> S)).toBe(true);
          expect(member(tnumArshift(a.t, s, 64), u64(BigInt.asIntN(64, x) >> S))).toBe(true);
          const s32 = S & 31n;
          expect(member(tnumArshift(a.t, s32, 32), BigInt.asUintN(32, BigInt.asIntN(32, x) >> s32))).toBe(true);
          expect(member(tnumNeg(a.t), u64(-x))).toBe(true);
          for (const size of [1, 2, 4]) expect(member(tnumCast(a.t, size), BigInt.asUintN(size * 8, x))).toBe(true);
          expect(member(tnumSubreg(a.t), x & 0xffffffffn)).toBe(true);
          expect(member(tnumClearSubreg(a.t), x & ~0xffffffffn & U64_MAX)).toBe(true);
          for (const y of b.xs) {
            const z = (x & ~0xffffffffn & U64_MAX) | (y & 0xffffffffn);
            expect(member(tnumWithSubreg(a.t, b.t), z)).toBe(true);
            // values in both are in the intersection; overlap is implied by a common member
            if (x === y) {
              expect(member(tnumIntersect(a.t, b.t), x)).toBe(true);
              expect(tnumOverlap(a.t, b.t)).toBe(true);
            }
          }
        }
      }),
      { seed: 4711, numRuns: 500 },
    );
  });

  test('tnumRange contains its whole range', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: 1n << 40n }), fc.bigInt({ min: 0n, max: U64_MAX }), (lo, span, f) => {
        const hi = lo + span > U64_MAX ? U64_MAX : lo + span;
        const r = tnumRange(lo, hi);
        for (const x of [lo, hi, lo + (f % (hi - lo + 1n))]) expect(member(r, x)).toBe(true);
      }),
      { seed: 77, numRuns: 500 },
    );
  });
});

/** Byte-swap the low `bytes` bytes of x (the concrete swab16/32/64); higher bytes are dropped. */
const swab = (x: bigint, bytes: number): bigint => {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
};

/** A tnum with at most 10 unknown bits, anywhere in the 64, and all its members in order. */
const sparseTnum = fc
  .tuple(fc.bigInt({ min: 0n, max: U64_MAX }), fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 10 }))
  .map(([v, bits]) => {
    const mask = bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);
    const t = T(v & ~mask & U64_MAX, mask);
    let members = [t.value];
    for (const b of bits) members = members.flatMap((m) => [m, m | (1n << BigInt(b))]);
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { t, members };
  });

describe('tnum byte swaps and tnum_step (6.18.35)', () => {
  test('tnum_bswap16/32/64 map every member to its swap, and lose nothing', () => {
    fc.assert(
      fc.property(tnumWithMembers, ({ t, xs }) => {
        const cases: [(a: Tnum) => Tnum, number][] = [[tnumBswap16, 2], [tnumBswap32, 4], [tnumBswap64, 8]];
        for (const [f, bytes] of cases) {
          const r = f(t);
          expect(r.value & r.mask).toBe(0n);
          for (const x of xs) expect(member(r, swab(x, bytes))).toBe(true);
          // a byte permutation: exactly the swapped low bytes of t, and its own inverse
          expect(r).toEqual(T(swab(t.value, bytes), swab(t.mask, bytes)));
          expect(f(r)).toEqual(tnumCast(t, bytes));
        }
      }),
      { seed: 1635, numRuns: 300 },
    );
  });

  test('tnum_bswap examples (verifier_bswap.c)', () => {
    expect(tnumBswap16(tnumConst(0xff23n))).toEqual(tnumConst(0x23ffn));
    expect(tnumBswap32(tnumConst(0xff23n))).toEqual(tnumConst(0x23ff0000n));
    expect(tnumBswap64(tnumConst(0xff12ff34ff56ff78n))).toEqual(tnumConst(0x78ff56ff34ff12ffn));
    expect(tnumBswap16(T(0n, 0x3f00n))).toEqual(T(0n, 0x3fn));
    expect(tnumBswap32(T(0n, 0x3f00n))).toEqual(T(0n, 0x3f0000n));
    expect(tnumBswap64(T(0n, 0x3f00n))).toEqual(T(0n, 0x3f000000000000n));
    // the bits above the swapped width are dropped, known or not
    expect(tnumBswap16(T(0x1234_0000_0001n, 0xffff_0000_0100n))).toEqual(T(0x100n, 0x1n));
  });

  test("tnum_step: the kernel comment's example", () => {
    // t = x11100x0, z = 11110001 (241) -> 11110010 (242)
    const t = T(0b01110000n, 0b10000010n);
    expect(tnumStep(t, 241n)).toBe(242n);
    // z below the smallest member gives it; z at or above the largest gives the largest
    expect(tnumStep(t, 0n)).toBe(0b01110000n);
    expect(tnumStep(t, 0xf2n)).toBe(0xf2n);
    expect(tnumStep(t, U64_MAX)).toBe(0xf2n);
    expect(tnumStep(tnumConst(5n), 3n)).toBe(5n);
    expect(tnumStep(tnumUnknown(), 41n)).toBe(42n);
    expect(tnumStep(tnumUnknown(), U64_MAX - 1n)).toBe(U64_MAX);
  });

  test('tnum_step is the next member above z (brute force over sparse tnums)', () => {
    const edge = (members: bigint[], f: bigint): bigint[] => {
      const m = members[Number(f % BigInt(members.length))]!;
      return [m, m - 1n, m + 1n].filter((z) => z >= 0n && z <= U64_MAX);
    };
    fc.assert(
      fc.property(sparseTnum, fc.array(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: 1, maxLength: 4 }), ({ t, members }, fs) => {
        const tmax = members[members.length - 1]!;
        for (const z of fs.flatMap((f) => [f, ...edge(members, f)])) {
          const want = z >= tmax ? tmax : z < t.value ? t.value : members.find((m) => m > z)!;
          expect(tnumStep(t, z)).toBe(want);
        }
      }),
      { seed: 2026, numRuns: 400 },
    );
  });
});

describe('tnum exact results', () => {
  test('tnumStr prints as the kernel log does', () => {
    expect(tnumStr(tnumConst(0n))).toBe('0');
    expect(tnumStr(tnumConst(65535n))).toBe('65535');
    expect(tnumStr(tnumConst(65536n))).toBe('0x10000');
    expect(tnumStr(tnumConst(-1n))).toBe('0xffffffffffffffff');
    // the kernel's vsnprintf keeps the 0x prefix on zero (selftests: "var_off=(0x0; 0xff)")
    expect(tnumStr(T(0n, 0xffn))).toBe('(0x0; 0xff)');
    expect(tnumStr(T(0x2n, 0x3fcn))).toBe('(0x2; 0x3fc)');
    expect(tnumStr(tnumUnknown())).toBe('(0x0; 0xffffffffffffffff)');
  });

  test('tnumRange', () => {
    expect(tnumRange(0n, 2n)).toEqual(T(0n, 3n));
    expect(tnumRange(5n, 5n)).toEqual(T(5n, 0n));
    expect(tnumRange(4n, 7n)).toEqual(T(4n, 3n));
    expect(tnumRange(8n, 9n)).toEqual(T(8n, 1n));
    expect(tnumRange(0x10000000an, 0x10000000fn)).toEqual(T(0x100000008n, 7n));
    expect(tnumRange(0n, U64_MAX)).toEqual(tnumUnknown());
    expect(tnumRange(1n << 63n, U64_MAX)).toEqual(T(1n << 63n, (1n << 63n) - 1n));
    // "could include values outside": 3 is in tnum_range(0, 2)
    expect(tnumIn(tnumRange(0n, 2n), tnumConst(3n))).toBe(true);
  });

  test('tnum_mul examples', () => {
    // the kernel comment's example: 11 * x1 = union(0011, 1001) = x0x1, walking x1's bits
    expect(tnumMul(T(0b01n, 0b10n), T(0b11n, 0n))).toEqual(T(0b0001n, 0b1010n));
    // the other way round tnum_add() loses a bit: x1 + x10 = xxx1
    expect(tnumMul(T(0b11n, 0n), T(0b01n, 0b10n))).toEqual(T(0b0001n, 0b1110n));
    expect(tnumMul(tnumConst(6n), tnumConst(7n))).toEqual(tnumConst(42n));
    expect(tnumMul(tnumConst(0n), tnumUnknown())).toEqual(tnumConst(0n));
  });

  test('arithmetic and predicates', () => {
    expect(tnumAdd(tnumConst(5n), tnumConst(7n))).toEqual(tnumConst(12n));
    expect(tnumAdd(T(0n, 1n), tnumConst(1n))).toEqual(T(0n, 3n));
    expect(tnumSub(tnumConst(0n), tnumConst(1n))).toEqual(tnumConst(U64_MAX));
    expect(tnumAnd(tnumUnknown(), tnumConst(0xffn))).toEqual(T(0n, 0xffn));
    expect(tnumOr(T(0n, 0xfn), tnumConst(0x10n))).toEqual(T(0x10n, 0xfn));
    expect(tnumLshift(T(0n, 0xffn), 1)).toEqual(T(0n, 0x1fen));
    expect(tnumArshift(T(0x80000000n, 0n), 4, 32)).toEqual(tnumConst(0xf8000000n));
    expect(tnumArshift(T(1n << 63n, 0xffn), 4, 64)).toEqual(T(0xf800000000000000n, 0xfn));
    expect(tnumIntersect(T(0n, 0xffn), T(0x10n, 0xf0fn))).toEqual(T(0x10n, 0xfn));
    expect(tnumCast(tnumConst(0x1234567890n), 2)).toEqual(tnumConst(0x7890n));
    expect(tnumConstSubreg(tnumUnknown(), 7n)).toEqual(T(7n, 0xffffffff00000000n));
    expect(tnumIsAligned(T(0x10n, 0x30n), 16)).toBe(true);
    expect(tnumIsAligned(T(0x10n, 0x38n), 16)).toBe(false);
    expect(tnumIsAligned(T(3n, 0n), 0)).toBe(true);
    expect(tnumIsConst(tnumConst(3n))).toBe(true);
    expect(tnumIsUnknown(tnumUnknown())).toBe(true);
    expect(tnumEqualsConst(tnumConst(-1n), U64_MAX)).toBe(true);
    expect(tnumOverlap(T(1n, 0n), T(0n, 0n))).toBe(false);
    expect(tnumOverlap(T(1n, 0n), T(0n, 1n))).toBe(true);
    expect(tnumSbin(T(0b10n, 0b100n)).slice(-4)).toBe('0x10');
  });
});
