// Soundness of the scalar domain (fixed seeds): abstract values are built from concrete
// sets or ranges, and every concrete result of the real operation (RFC 9669 semantics,
// computed with BigInt) must lie inside the abstract result: in var_off and in every bound.
import fc from 'fast-check';
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_DIV,
  BPF_END,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from '@bpfsim/isa';
import type { ScalarBounds } from '../src/scalar';
import {
  S64_MAX,
  U32_MAX,
  U64_MAX,
  boundsSane,
  cloneBounds,
  coerceRegToSize,
  constValue,
  containsValue,
  forkableMinusOneOrZero,
  isBranchTaken,
  isConst,
  knownScalar,
  markKnown,
  markKnown32,
  regBoundsSync,
  regSetMinMax,
  scalarAlu,
  scalarByteSwap,
  scalarFromValues,
  scalarMovReg,
  unknownScalar,
} from '../src/scalar';

const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

// ---- concrete semantics (RFC 9669) ----

/** dst <op> src; 32-bit ops work on the low words and zero-extend. */
function concreteAlu(op: number, alu32: boolean, off: number, dst: bigint, src: bigint): bigint {
  const bits = alu32 ? 32 : 64;
  const U = (x: bigint): bigint => BigInt.asUintN(bits, x);
  const S = (x: bigint): bigint => BigInt.asIntN(bits, x);
  const a = U(dst);
  const b = U(src);
  const sh = b & BigInt(bits - 1);
  switch (op) {
    case BPF_ADD: return U(a + b);
    case BPF_SUB: return U(a - b);
    case BPF_MUL: return U(a * b);
    case BPF_DIV:
      if (b === 0n) return 0n;
      return off === 1 ? U(S(a) / S(b)) : a / b;
    case BPF_MOD:
      if (b === 0n) return a;
      return off === 1 ? U(S(a) % S(b)) : a % b;
    case BPF_OR: return a | b;
    case BPF_AND: return a & b;
    case BPF_XOR: return a ^ b;
    case BPF_LSH: return U(a << sh);
    case BPF_RSH: return a >> sh;
    case BPF_ARSH: return U(S(a) >> sh);
    case BPF_NEG: return U(-a);
    default: throw new Error(`op ${op}`);
  }
}

function concreteCond(op: number, is32: boolean, x: bigint, y: bigint): boolean {
  const X = is32 ? u32(x) : x;
  const Y = is32 ? u32(y) : y;
  const SX = is32 ? s32(x) : s64(x);
  const SY = is32 ? s32(y) : s64(y);
  switch (op) {
    case BPF_JEQ: return X === Y;
    case BPF_JNE: return X !== Y;
    case BPF_JSET: return (X & Y) !== 0n;
    case BPF_JGT: return X > Y;
    case BPF_JGE: return X >= Y;
    case BPF_JLT: return X < Y;
    case BPF_JLE: return X <= Y;
    case BPF_JSGT: return SX > SY;
    case BPF_JSGE: return SX >= SY;
    case BPF_JSLT: return SX < SY;
    case BPF_JSLE: return SX <= SY;
    default: throw new Error(`op ${op}`);
  }
}

// ---- generators ----

const word32 = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn),
  fc.bigInt({ min: 0n, max: 40n }),
  fc.bigInt({ min: 0n, max: U32_MAX }),
);

/** Concrete u64 values, biased toward the edges the bounds logic cares about. */
const interesting: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(0n, 1n, 7n, 0xffn, 0x7fffffffn, 0x80000000n, U32_MAX, 1n << 32n, S64_MAX, 1n << 63n, U64_MAX, u64(-0x80000000n)),
  fc.bigInt({ min: 0n, max: 70n }),
  fc.bigInt({ min: -70n, max: -1n }).map(u64),
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.bigInt({ min: 0n, max: U32_MAX }),
  fc
    .tuple(fc.integer({ min: 0, max: 63 }), fc.bigInt({ min: -3n, max: 3n }), fc.boolean())
    .map(([k, d, neg]) => u64((neg ? -1n : 1n) * ((1n << BigInt(k)) + d))),
  fc.tuple(word32, word32).map(([h, l]) => (h << 32n) | l),
);

interface Abs {
  abs: ScalarBounds;
  /** concrete members */
  xs: bigint[];
}

/** A few more members of `abs`, picked from its var_off and its ranges, filtered. */
function withMoreMembers(abs: ScalarBounds, xs: bigint[], seeds: bigint[]): Abs {
  const out = [...xs];
  for (const f of seeds) {
    const cands = [
      abs.varOff.value | (f & abs.varOff.mask),
      abs.umin + (f % (abs.umax - abs.umin + 1n)),
      u64(abs.smin + (f % (abs.smax - abs.smin + 1n))),
    ];
    for (const c of cands) if (out.length < 6 && containsValue(abs, c) && !out.includes(c)) out.push(c);
  }
  return { abs, xs: out };
}

const seeds = fc.array(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: 0, maxLength: 3 });

/** From a concrete set: a value and values near it or anywhere. */
const fromSet: fc.Arbitrary<Abs> = fc
  .tuple(interesting, fc.array(fc.oneof(fc.bigInt({ min: -40n, max: 40n }).map((d) => ({ d })), interesting.map((v) => ({ v }))), { maxLength: 3 }), seeds)
  .map(([base, rest, sd]) => {
    const xs = [base, ...rest.map((r) => ('d' in r ? u64(base + r.d) : r.v))];
    return withMoreMembers(scalarFromValues(xs), [...new Set(xs)], sd);
  });

/** From a range in one of the four domains (or a tnum), the rest unknown, then synced. */
const fromRange: fc.Arbitrary<Abs> = fc
  .tuple(fc.constantFrom('u64', 's64', 'u32', 's32', 'tnum'), interesting, interesting, fc.array(fc.bigInt({ min: 0n, max: U64_MAX }), { minLength: 1, maxLength: 4 }))
  .map(([kind, p, q, fs]) => {
    const abs = unknownScalar();
    const xs: bigint[] = [];
    if (kind === 'u64') {
      const [lo, hi] = p <= q ? [p, q] : [q, p];
      abs.umin = lo;
      abs.umax = hi;
      xs.push(lo, hi, ...fs.map((f) => lo + (f % (hi - lo + 1n))));
    } else if (kind === 's64') {
      const [lo, hi] = s64(p) <= s64(q) ? [s64(p), s64(q)] : [s64(q), s64(p)];
      abs.smin = lo;
      abs.smax = hi;
      xs.push(u64(lo), u64(hi), ...fs.map((f) => u64(lo + (f % (hi - lo + 1n)))));
    } else if (kind === 'u32') {
      const [lo, hi] = u32(p) <= u32(q) ? [u32(p), u32(q)] : [u32(q), u32(p)];
      abs.u32min = lo;
      abs.u32max = hi;
      xs.push(...fs.map((f) => (f & ~U32_MAX & U64_MAX) | (lo + (f % (hi - lo + 1n)))));
    } else if (kind === 's32') {
      const [lo, hi] = s32(p) <= s32(q) ? [s32(p), s32(q)] : [s32(q), s32(p)];
      abs.s32min = lo;
      abs.s32max = hi;
      xs.push(...fs.map((f) => (f & ~U32_MAX & U64_MAX) | u32(lo + (f % (hi - lo + 1n)))));
    } else {
      abs.varOff = { value: p & ~q & U64_MAX, mask: q };
      xs.push(...fs.map((f) => abs.varOff.value | (f & q)));
    }
    regBoundsSync(abs);
    return { abs, xs: [...new Set(xs)] };
  });

/** A known constant, as a BPF_K operand or a shift amount would be. */
const constant: fc.Arbitrary<Abs> = fc
  .oneof(fc.bigInt({ min: 0n, max: 70n }), interesting, fc.integer().map((i) => u64(BigInt(i))))
  .map((v) => ({ abs: knownScalar(v), xs: [v] }));

const absValue: fc.Arbitrary<Abs> = fc.oneof(fromSet, fromRange, constant);

const show = (b: ScalarBounds): string =>
  JSON.stringify(b, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${u64(v).toString(16)}` : v));

function expectContains(b: ScalarBounds, x: bigint, what: string | (() => string)): void {
  if (!containsValue(b, x)) {
    throw new Error(`${typeof what === 'string' ? what : what()}: 0x${u64(x).toString(16)} not in ${show(b)}`);
  }
}

// ---- properties ----

describe('abstract values built for the tests', () => {
  test('reg_bounds_sync keeps every member of a set or range', () => {
    fc.assert(
      fc.property(absValue, ({ abs, xs }) => {
        const bad = boundsSane(abs);
        if (bad !== undefined) throw new Error(`${bad}: ${show(abs)}`);
        for (const x of xs) expectContains(abs, x, 'member');
      }),
      { seed: 2024, numRuns: 1000 },
    );
  });
});

const aluOps: [string, number, number][] = [
  ['add', BPF_ADD, 0],
  ['sub', BPF_SUB, 0],
  ['mul', BPF_MUL, 0],
  ['div', BPF_DIV, 0],
  ['sdiv', BPF_DIV, 1],
  ['mod', BPF_MOD, 0],
  ['smod', BPF_MOD, 1],
  ['or', BPF_OR, 0],
  ['and', BPF_AND, 0],
  ['xor', BPF_XOR, 0],
  ['lsh', BPF_LSH, 0],
  ['rsh', BPF_RSH, 0],
  ['arsh', BPF_ARSH, 0],
  ['neg', BPF_NEG, 0],
];
const aluCases = aluOps.flatMap(([n, op, off]) => [
  [`${n} (alu64)`, op, off, false] as const,
  [`${n} (alu32)`, op, off, true] as const,
]);
const isShift = (op: number): boolean => op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH;

describe('scalarAlu soundness', () => {
  test.each(aluCases)('%s', (_name, op, off, alu32) => {
    const src = isShift(op) ? fc.oneof({ arbitrary: constant, weight: 3 }, { arbitrary: absValue, weight: 1 }) : absValue;
    fc.assert(
      fc.property(absValue, src, (d, s) => {
        const r = cloneBounds(d.abs);
        if (scalarAlu(r, s.abs, op, alu32, off) !== undefined) throw new Error('scalarAlu failed');
        const bad = boundsSane(r);
        if (bad !== undefined) throw new Error(`${bad}: ${show(d.abs)} op ${show(s.abs)} = ${show(r)}`);
        for (const x of d.xs) {
          for (const y of s.xs) expectContains(r, concreteAlu(op, alu32, off, x, y), () => `${show(d.abs)} op ${show(s.abs)}`);
        }
      }),
      { seed: 0x5ca1a + op + off * 7 + (alu32 ? 1000 : 0), numRuns: 150 },
    );
  });

  test('constants fold to the constant result (div/mod and out-of-range shifts excepted)', () => {
    fc.assert(
      fc.property(interesting, interesting, fc.constantFrom(...aluOps), fc.boolean(), (x, y, [, op, off], alu32) => {
        if (op === BPF_DIV || op === BPF_MOD) return;
        if (isShift(op) && y >= (alu32 ? 32n : 64n)) return;
        const r = knownScalar(x);
        scalarAlu(r, knownScalar(y), op, alu32, off);
        expect(isConst(r)).toBe(true);
        expect(constValue(r)).toBe(concreteAlu(op, alu32, off, x, y));
      }),
      { seed: 12, numRuns: 1000 },
    );
  });

  test('neg with dst passed as its own source', () => {
    fc.assert(
      fc.property(absValue, fc.boolean(), ({ abs, xs }, alu32) => {
        const r = cloneBounds(abs);
        scalarAlu(r, r, BPF_NEG, alu32, 0);
        for (const x of xs) expectContains(r, concreteAlu(BPF_NEG, alu32, 0, x, 0n), 'neg');
      }),
      { seed: 88, numRuns: 200 },
    );
  });

  test('mov, movsx and truncation', () => {
    fc.assert(
      fc.property(absValue, ({ abs, xs }) => {
        for (const [alu32, off] of [[false, 0], [false, 8], [false, 16], [false, 32], [true, 0], [true, 8], [true, 16]] as const) {
          const r = unknownScalar();
          scalarMovReg(r, abs, alu32, off);
          const bad = boundsSane(r);
          if (bad !== undefined) throw new Error(`${bad}: mov ${show(abs)}`);
          for (const x of xs) {
            const v = off === 0 ? x : BigInt.asIntN(off, x);
            expectContains(r, alu32 ? u32(v) : u64(v), () => `mov${alu32 ? 32 : 64} off ${off}`);
          }
        }
        for (const size of [1, 2, 4]) {
          const r = cloneBounds(abs);
          coerceRegToSize(r, size);
          const bad = boundsSane(r);
          if (bad !== undefined) throw new Error(`${bad}: coerce ${show(abs)}`);
          for (const x of xs) expectContains(r, BigInt.asUintN(size * 8, x), () => `coerce ${size}`);
        }
      }),
      { seed: 3030, numRuns: 400 },
    );
  });
});

// ---- Linux 6.18.35: BPF_END, the single-value refinement, maybe_fork_scalars() ----

/** Byte-swap the low `bytes` bytes of x; higher bytes are dropped (swab16/32/64). */
const swab = (x: bigint, bytes: number): bigint => {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
};

/**
 * BPF_END on a little-endian machine (RFC 9669 4.3): bswap (BPF_ALU64) and to_be swap the
 * low imm bits; to_le only truncates to them; both zero the rest.
 */
function concreteEnd(kind: 'bswap' | 'le' | 'be', imm: 16 | 32 | 64, x: bigint): bigint {
  return kind === 'le' ? BigInt.asUintN(imm, x) : swab(x, imm / 8);
}

const endCases = (['bswap', 'le', 'be'] as const).flatMap((kind) => ([16, 32, 64] as const).map((imm) => [`${kind}${imm}`, kind, imm] as const));

describe('BPF_END soundness (6.18.35)', () => {
  test.each(endCases)('%s', (_name, kind, imm) => {
    fc.assert(
      fc.property(absValue, ({ abs, xs }) => {
        const r = cloneBounds(abs);
        const insn = { toLe: kind !== 'be', imm };
        if (scalarAlu(r, r, BPF_END, kind !== 'bswap', 0, undefined, insn) !== undefined) throw new Error('scalarAlu failed');
        const bad = boundsSane(r);
        if (bad !== undefined) throw new Error(`${bad}: ${kind}${imm} ${show(abs)} = ${show(r)}`);
        for (const x of xs) expectContains(r, concreteEnd(kind, imm, x), () => `${kind}${imm} ${show(abs)}`);
        // a known value stays known
        if (isConst(abs)) expect(constValue(r)).toBe(concreteEnd(kind, imm, abs.varOff.value));
        // only le64 leaves the register as it was (and its id alone)
        const q = cloneBounds(abs);
        const mutated = scalarByteSwap(q, kind === 'bswap', kind !== 'be', imm);
        expect(mutated).toBe(!(kind === 'le' && imm === 64));
        if (!mutated) expect(q).toEqual(abs);
      }),
      { seed: 0xe4d + imm + kind.length * 1000, numRuns: 200 },
    );
  });
});

/**
 * A tnum with at most 8 unknown bits and a u64 range placed around some of its members
 * (often just one or two), with the exact set of values in both.
 */
const tnumAndRange = fc
  .tuple(
    fc.bigInt({ min: 0n, max: U64_MAX }),
    fc.uniqueArray(fc.integer({ min: 0, max: 63 }), { maxLength: 8 }),
    fc.nat(),
    fc.nat(),
    fc.bigInt({ min: -3n, max: 3n }),
    fc.bigInt({ min: -3n, max: 3n }),
  )
  .map(([v, bits, i, span, dlo, dhi]) => {
    const mask = bits.reduce((m, b) => m | (1n << BigInt(b)), 0n);
    const varOff = { value: v & ~mask & U64_MAX, mask };
    let members = [varOff.value];
    for (const b of bits) members = members.flatMap((m) => [m, m | (1n << BigInt(b))]);
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const lo = members[i % members.length]!;
    const hi = members[Math.min(members.length - 1, (i % members.length) + (span % 3))]!;
    const clamp = (x: bigint): bigint => (x < 0n ? 0n : x > U64_MAX ? U64_MAX : x);
    const umin = clamp(lo + dlo);
    const umax = clamp(hi + dhi);
    return { varOff, umin, umax, inBoth: members.filter((m) => m >= umin && m <= umax) };
  });

describe('reg_bounds_sync() with a u64 range meeting var_off in few values (6.18.35)', () => {
  test('keeps every common value, and a single common value becomes the constant', () => {
    let singles = 0;
    fc.assert(
      fc.property(tnumAndRange, ({ varOff, umin, umax, inBoth }) => {
        if (inBoth.length === 0) return; // an impossible state: nothing to check
        const b = unknownScalar();
        b.varOff = varOff;
        b.umin = umin;
        b.umax = umax;
        regBoundsSync(b);
        const bad = boundsSane(b);
        if (bad !== undefined) throw new Error(`${bad}: ${show(b)}`);
        for (const x of inBoth) expectContains(b, x, () => `tnum ${show(b)}`);
        if (inBoth.length === 1) {
          singles++;
          expect(isConst(b)).toBe(true);
          expect(constValue(b)).toBe(inBoth[0]);
        }
      }),
      { seed: 0x5eed35, numRuns: 1500 },
    );
    // the generator does reach the interesting case
    expect(singles).toBeGreaterThan(200);
  });
});

/** Sets whose members are all -1 or 0 in the low word, or in all 64 bits, and some that are not. */
const minusOneOrZero: fc.Arbitrary<Abs> = fc
  .uniqueArray(fc.constantFrom(0n, U64_MAX, U32_MAX, 1n << 32n, 0x5_ffffffffn, 0xffffffff_00000000n, 1n, 0xfffffffen), { minLength: 1, maxLength: 4 })
  .map((xs) => ({ abs: scalarFromValues(xs), xs }));

describe('maybe_fork_scalars() soundness (6.18.35)', () => {
  test.each([['and', BPF_AND], ['or', BPF_OR]] as const)('%s with a constant: the two forks cover every result', (_n, op) => {
    fc.assert(
      fc.property(fc.oneof(minusOneOrZero, absValue), interesting, fc.boolean(), ({ abs, xs }, k, alu32) => {
        const kind = forkableMinusOneOrZero(abs);
        // the fork is only taken when dst really is {-1, 0} (as s64, or as s32)
        for (const x of xs) {
          if (kind === 'alu64') expect([0n, U64_MAX]).toContain(x);
          if (kind === 'alu32') expect([0n, U32_MAX]).toContain(u32(x));
        }
        if (kind === undefined) return;
        const cur = cloneBounds(abs);
        const pushed = cloneBounds(abs);
        if (kind === 'alu64') {
          markKnown(cur, -1n);
          markKnown(pushed, 0n);
        } else {
          markKnown32(cur, -1n);
          markKnown32(pushed, 0n);
        }
        scalarAlu(cur, knownScalar(k), op, alu32, 0);
        scalarAlu(pushed, knownScalar(k), op, alu32, 0);
        for (const x of xs) {
          const want = concreteAlu(op, alu32, 0, x, k);
          if (!containsValue(cur, want) && !containsValue(pushed, want)) {
            throw new Error(`0x${want.toString(16)} in neither fork: ${show(cur)} / ${show(pushed)}`);
          }
        }
      }),
      { seed: 0xf0 + op, numRuns: 400 },
    );
  });
});

const jmpOps: [string, number][] = [
  ['jeq', BPF_JEQ],
  ['jne', BPF_JNE],
  ['jset', BPF_JSET],
  ['jgt', BPF_JGT],
  ['jge', BPF_JGE],
  ['jlt', BPF_JLT],
  ['jle', BPF_JLE],
  ['jsgt', BPF_JSGT],
  ['jsge', BPF_JSGE],
  ['jslt', BPF_JSLT],
  ['jsle', BPF_JSLE],
];
const jmpCases = jmpOps.flatMap(([n, op]) => [[`${n} (jmp)`, op, false] as const, [`${n} (jmp32)`, op, true] as const]);

/** Two operands, often related: b a constant taken from a, or a set sharing a's values. */
const operandPair: fc.Arbitrary<[Abs, Abs]> = fc
  .tuple(absValue, absValue, fc.integer({ min: 0, max: 3 }), fc.nat(), fc.integer())
  .map(([a, b, mode, k, imm]): [Abs, Abs] => {
    const pick = a.xs[k % a.xs.length]!;
    if (mode === 1) return [a, { abs: knownScalar(pick), xs: [pick] }];
    if (mode === 2) return [a, { abs: scalarFromValues([pick, ...b.xs]), xs: [pick, ...b.xs] }];
    if (mode === 3) return [a, { abs: knownScalar(BigInt(imm)), xs: [u64(BigInt(imm))] }];
    return [a, b];
  });

describe('branch soundness', () => {
  test.each(jmpCases)('%s: isBranchTaken and regSetMinMax', (_name, op, is32) => {
    fc.assert(
      fc.property(operandPair, ([a, b]) => {
        const pred = isBranchTaken(a.abs, b.abs, op, is32);
        const tA = cloneBounds(a.abs);
        const tB = cloneBounds(b.abs);
        const fA = cloneBounds(a.abs);
        const fB = cloneBounds(b.abs);
        const log = regSetMinMax(tA, tB, fA, fB, op, is32) ?? '';
        let sawTrue = false;
        let sawFalse = false;
        for (const x of a.xs) {
          for (const y of b.xs) {
            const c = concreteCond(op, is32, x, y);
            if (pred !== -1 && c !== (pred === 1)) throw new Error(`isBranchTaken said ${pred} for 0x${x.toString(16)}, 0x${y.toString(16)}`);
            if (c) {
              sawTrue = true;
              expectContains(tA, x, 'true a');
              expectContains(tB, y, 'true b');
            } else {
              sawFalse = true;
              expectContains(fA, x, 'false a');
              expectContains(fB, y, 'false b');
            }
          }
        }
        // a live branch never trips reg_bounds_sanity_check() (the kernel calls this only undecided)
        if (pred === -1 && sawTrue && log.includes('true_reg')) throw new Error(log);
        if (pred === -1 && sawFalse && log.includes('false_reg')) throw new Error(log);
      }),
      { seed: 0xb4a9c + op + (is32 ? 1 : 0), numRuns: 150 },
    );
  });

  test.each(jmpCases)('%s with one register on both sides', (_name, op, is32) => {
    fc.assert(
      fc.property(absValue, ({ abs, xs }) => {
        const pred = isBranchTaken(abs, abs, op, is32);
        const t = cloneBounds(abs);
        const f = cloneBounds(abs);
        regSetMinMax(t, t, f, f, op, is32);
        for (const x of xs) {
          const c = concreteCond(op, is32, x, x);
          if (pred !== -1 && c !== (pred === 1)) throw new Error(`isBranchTaken said ${pred} for 0x${x.toString(16)}`);
          expectContains(c ? t : f, x, c ? 'true' : 'false');
        }
      }),
      { seed: 0x5a3e + op + (is32 ? 1 : 0), numRuns: 50 },
    );
  });
});
