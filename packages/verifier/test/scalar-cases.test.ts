// Exact results Linux 6.18 gives: register states from the kernel's BPF selftests
// (tools/testing/selftests/bpf/progs/verifier_bounds.c, prog_tests/align.c, …) replayed
// through the domain, and the examples in kernel/bpf/verifier.c's comments.
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
  BPF_X,
  BPF_XOR,
} from '@bpfsim/isa';
import type { ByteSwapInsn, ScalarBounds } from '../src/scalar';
import {
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  U32_MAX,
  U64_MAX,
  boundsSane,
  cloneBounds,
  coerceRegToSize,
  coerceRegToSizeSx,
  coerceSubregToSizeSx,
  constValue,
  flipOpcode,
  forkableMinusOneOrZero,
  isBranchTaken,
  isConst,
  isSafeToComputeDstRegRange,
  knownScalar,
  markKnown,
  markKnown32,
  movsxIsNoSext,
  regBoundsSanityCheck,
  regBoundsSync,
  regSetMinMax,
  regWidth,
  revOpcode,
  scalarAddConst,
  scalarAlu,
  scalarByteSwap,
  scalarMovImm,
  scalarMovReg,
  tnumStr,
  unknownScalar,
  zext32To64,
} from '../src/scalar';

/**
 * A scalar as the verifier log prints it (print_scalar_ranges()): `smin=smin32=0,umax=0xff,
 * var_off=(0x0; 0xff)`; fields left out are unbounded, var_off left out is unknown; a bare
 * number is a constant.
 */
function parseScalar(spec: string): ScalarBounds {
  if (/^-?(0x[0-9a-f]+|\d+)$/.test(spec)) return knownScalar(BigInt(spec.startsWith('-') ? -BigInt(spec.slice(1)) : BigInt(spec)));
  const b = unknownScalar();
  if (spec === '') return b;
  const names: Record<string, keyof ScalarBounds> = {
    smin: 'smin', smax: 'smax', umin: 'umin', umax: 'umax',
    smin32: 's32min', smax32: 's32max', umin32: 'u32min', umax32: 'u32max', var_off: 'varOff',
  };
  for (const item of spec.split(',')) {
    const parts = item.split('=');
    const text = parts.pop()!;
    for (const n of parts) {
      const key = names[n];
      if (key === undefined) throw new Error(`unknown field ${n}`);
      if (key === 'varOff') {
        const m = /^\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(text);
        if (!m) throw new Error(`bad var_off ${text}`);
        b.varOff = { value: BigInt(m[1]!), mask: BigInt(m[2]!) };
        continue;
      }
      const v = text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
      // hex prints of signed fields are the two's complement bits
      b[key] = key === 'smin' || key === 'smax' ? BigInt.asIntN(64, v) : key === 's32min' || key === 's32max' ? BigInt.asIntN(32, v) : v;
    }
  }
  return b;
}

const expectScalar = (b: ScalarBounds, spec: string): void => expect(cloneBounds(b)).toEqual(parseScalar(spec));

// Instruction helpers: what check_alu_op() does to a scalar destination.
const alu = (dst: ScalarBounds, op: number, src: ScalarBounds, alu32 = false): void => {
  expect(scalarAlu(dst, src, op, alu32, 0)).toBeUndefined();
};
/** BPF_K: the s32 immediate, sign-extended (__mark_reg_known(&off_reg, insn->imm)). */
const aluK = (dst: ScalarBounds, op: number, imm: number, alu32 = false): void => alu(dst, op, knownScalar(BigInt(imm | 0)), alu32);
const movImm = (imm: number, alu32 = false): ScalarBounds => {
  const r = unknownScalar();
  scalarMovImm(r, imm | 0, alu32);
  return r;
};
const mov = (src: ScalarBounds, alu32 = false, off = 0): ScalarBounds => {
  const r = unknownScalar();
  scalarMovReg(r, src, alu32, off);
  return r;
};
/** A byte load from the packet: mark_reg_unknown() then coerce_reg_to_size(). */
const loadByte = (): ScalarBounds => {
  const r = unknownScalar();
  coerceRegToSize(r, 1);
  return r;
};
/** The fall-through copy of dst after `if dst <op> src`. */
const fallThrough = (dst: ScalarBounds, op: number, src: ScalarBounds, is32 = false): ScalarBounds => {
  expect(isBranchTaken(dst, src, op, is32)).toBe(-1);
  const t = [cloneBounds(dst), cloneBounds(src)] as const;
  const f = [cloneBounds(dst), cloneBounds(src)] as const;
  expect(regSetMinMax(t[0], t[1], f[0], f[1], op, is32, true)).toBeUndefined();
  return f[0];
};

describe('selftests: verifier_bounds.c', () => {
  test('non-const xor, or and mul of two masked unknowns', () => {
    for (const op of [BPF_XOR, BPF_OR]) {
      const r6 = unknownScalar();
      const r0 = unknownScalar();
      aluK(r6, BPF_AND, 0xaf);
      aluK(r0, BPF_AND, 0x1a0);
      alu(r0, op, r6);
      expectScalar(r0, 'smin=smin32=0,smax=umax=smax32=umax32=431,var_off=(0x0; 0x1af)');
    }
    const r6 = unknownScalar();
    const r0 = unknownScalar();
    aluK(r6, BPF_AND, 0xff);
    aluK(r0, BPF_AND, 0x0f);
    alu(r0, BPF_MUL, r6);
    expectScalar(r0, 'smin=smin32=0,smax=umax=smax32=umax32=3825,var_off=(0x0; 0xfff)');
  });

  test('multiply mixed sign bounds', () => {
    let r6 = unknownScalar();
    let r7 = unknownScalar();
    aluK(r6, BPF_AND, 0xf);
    aluK(r6, BPF_SUB, 1000000000);
    aluK(r7, BPF_AND, 0xf);
    aluK(r7, BPF_SUB, 2000000000);
    alu(r6, BPF_MUL, r7);
    expectScalar(r6, 'smin=umin=0x1bc16d5cd4927ee1,smax=umax=0x1bc16d674ec80000,smax32=0x7ffffeff,umax32=0xfffffeff,var_off=(0x1bc16d4000000000; 0x3ffffffeff)');

    r6 = unknownScalar();
    r7 = unknownScalar();
    aluK(r6, BPF_AND, 0xf);
    aluK(r6, BPF_SUB, 0xa);
    aluK(r7, BPF_AND, 0xf);
    aluK(r7, BPF_SUB, 0x14);
    alu(r6, BPF_MUL, r7);
    expectScalar(r6, 'smin=smin32=-100,smax=smax32=200');
  });

  test('multiply negative bounds', () => {
    const r8 = movImm(0x7fff);
    const r6 = unknownScalar();
    const r7 = unknownScalar();
    aluK(r6, BPF_AND, 0xa);
    alu(r6, BPF_SUB, r8);
    aluK(r7, BPF_AND, 0xf);
    alu(r7, BPF_SUB, r8);
    alu(r6, BPF_MUL, r7);
    expectScalar(r6, 'smin=umin=smin32=umin32=0x3ff280b0,smax=umax=smax32=umax32=0x3fff0001,var_off=(0x3ff00000; 0xf81ff)');
  });

  test("multiply bounds that don't cross the signed boundary", () => {
    const r6 = movImm(0xb);
    const r8 = knownScalar(0xb3c3f8c99262687n);
    alu(r6, BPF_AND, unknownScalar());
    alu(r8, BPF_MUL, r6);
    expectScalar(r6, 'smin=smin32=0,smax=umax=smax32=umax32=11,var_off=(0x0; 0xb)');
    expectScalar(r8, 'smin=0,smax=umax=0x7b96bb0a94a3a7cd,var_off=(0x0; 0x7fffffffffffffff)');
  });

  test('multiplication overflow gives an unbounded register', () => {
    let r6 = unknownScalar();
    let r7 = unknownScalar();
    aluK(r6, BPF_AND, 0x7fffffff);
    alu(r7, BPF_AND, knownScalar(0x7ffffffffffn));
    alu(r6, BPF_MUL, r7);
    expectScalar(r6, '');

    r6 = unknownScalar();
    r7 = unknownScalar();
    aluK(r6, BPF_AND, 0xa);
    alu(r6, BPF_SUB, knownScalar(0x7ffffffffn));
    aluK(r7, BPF_AND, 0x7fffffff);
    alu(r6, BPF_MUL, r7);
    expectScalar(r6, '');
  });

  test('64-bit and 32-bit addition overflow', () => {
    let r3 = knownScalar(0xa000000000000000n);
    alu(r3, BPF_OR, unknownScalar());
    alu(r3, BPF_ADD, r3);
    expectScalar(r3, 'umin=0x4000000000000000,umax=0xfffffffffffffffe');

    r3 = movImm(2);
    alu(r3, BPF_OR, unknownScalar());
    alu(r3, BPF_ADD, r3);
    expectScalar(r3, '');

    const w4 = mov(unknownScalar(), true);
    r3 = movImm(0xa0000000, true);
    alu(r3, BPF_OR, w4, true);
    alu(r3, BPF_ADD, r3, true);
    expectScalar(r3, 'smin=umin=umin32=0x40000000,smax=umax=umax32=0xfffffffe,var_off=(0x0; 0xffffffff)');

    r3 = movImm(2, true);
    alu(r3, BPF_OR, w4, true);
    alu(r3, BPF_ADD, r3, true);
    expectScalar(r3, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)');
  });

  test('64-bit and 32-bit subtraction underflow', () => {
    let r1 = unknownScalar();
    alu(r1, BPF_OR, knownScalar(0x8000000000000000n));
    let r3 = movImm(0);
    alu(r3, BPF_SUB, r1);
    expectScalar(r3, 'umin=1,umax=0x8000000000000000');

    r3 = unknownScalar();
    alu(r3, BPF_SUB, movImm(1));
    expectScalar(r3, '');

    r1 = mov(unknownScalar(), true);
    alu(r1, BPF_OR, movImm(0x80000000, true), true);
    r3 = movImm(0, true);
    alu(r3, BPF_SUB, r1, true);
    expectScalar(r3, 'smin=umin=umin32=1,smax=umax=umax32=0x80000000,var_off=(0x0; 0xffffffff)');

    r3 = mov(unknownScalar(), true);
    alu(r3, BPF_SUB, movImm(1, true), true);
    expectScalar(r3, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)');
  });

  test('dead branch on jset does not violate the invariants', () => {
    const r0 = fallThrough(unknownScalar(), BPF_JEQ, knownScalar(0n));
    const t = [cloneBounds(r0), knownScalar(0xffffffffn)] as const;
    const f = [cloneBounds(r0), knownScalar(0xffffffffn)] as const;
    expect(regSetMinMax(t[0], t[1], f[0], f[1], BPF_JSET, false, true)).toBeUndefined();
  });

  test('bounds deduction across the sign boundary, negative overlap', () => {
    const r0 = unknownScalar();
    const w6 = mov(r0, true, 8); // w6 = (s8)w0
    const r0sx = mov(r0, false, 8); // r0 = (s8)r0
    // if w6 >= 0xf0000000 goto l0 (the immediate is sign-extended, jmp32 reads its low word)
    const r6 = fallThrough(w6, BPF_JGE, knownScalar(BigInt(0xf0000000 | 0)), true);
    alu(r0sx, BPF_ADD, r6);
    aluK(r6, BPF_ADD, 400);
    alu(r0sx, BPF_SUB, r6);
    expectScalar(
      r0sx,
      'smin=smin32=-655,smax=smax32=-146,umin=0xfffffffffffffd71,umax=0xffffffffffffff6e,umin32=0xfffffd71,umax32=0xffffff6e,var_off=(0xfffffffffffffc00; 0x3ff)',
    );
  });

  test('bounds deduction across the sign boundary, positive and two overlaps', () => {
    const r0 = mov(unknownScalar(), false, 8);
    expectScalar(fallThrough(r0, BPF_JGT, movImm(-256)), 'smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f)');
    expectScalar(fallThrough(r0, BPF_JGT, movImm(-128)), 'smin=smin32=-128,smax=smax32=127,umax=0xffffffffffffff80');
  });
});

describe('selftests: align.c, verifier_ldsx.c, verifier_precision.c', () => {
  test('unknown shift', () => {
    const r3 = loadByte();
    expect(tnumStr(r3.varOff)).toBe('(0x0; 0xff)');
    for (const want of ['(0x0; 0x1fe)', '(0x0; 0x3fc)', '(0x0; 0x7f8)', '(0x0; 0xff0)']) {
      aluK(r3, BPF_LSH, 1);
      expect(tnumStr(r3.varOff)).toBe(want);
    }
    const r4 = loadByte();
    aluK(r4, BPF_LSH, 5);
    expect(tnumStr(r4.varOff)).toBe('(0x0; 0x1fe0)');
    for (const want of ['(0x0; 0xff0)', '(0x0; 0x7f8)', '(0x0; 0x3fc)', '(0x0; 0x1fe)']) {
      aluK(r4, BPF_RSH, 1);
      expect(tnumStr(r4.varOff)).toBe(want);
    }
  });

  test('unknown mul', () => {
    const r3 = loadByte();
    const cases: [number, string][] = [[1, '(0x0; 0xff)'], [2, '(0x0; 0x1fe)'], [4, '(0x0; 0x3fc)'], [8, '(0x0; 0x7f8)']];
    for (const [k, want] of cases) {
      const r4 = mov(r3);
      aluK(r4, BPF_MUL, k);
      expect(tnumStr(r4.varOff)).toBe(want);
      if (k === 8) {
        aluK(r4, BPF_MUL, 2);
        expect(tnumStr(r4.varOff)).toBe('(0x0; 0xff0)');
      }
    }
  });

  test('known constants', () => {
    const r3 = movImm(1);
    for (const want of [2n, 4n, 8n, 16n]) {
      aluK(r3, BPF_LSH, 1);
      expect(constValue(r3)).toBe(want);
    }
    aluK(r3, BPF_RSH, 4);
    expectScalar(r3, '1');
    const r = movImm(4);
    aluK(r, BPF_ADD, 4);
    aluK(r, BPF_ADD, 2);
    expectScalar(r, '10');
    const m = movImm(7);
    aluK(m, BPF_MUL, 2);
    aluK(m, BPF_MUL, 4);
    expectScalar(m, '56');
  });

  test('a sign-extending byte load', () => {
    const r1 = unknownScalar();
    coerceRegToSizeSx(r1, 1);
    expectScalar(r1, 'smin=smin32=-128,smax=smax32=127');
  });

  test('neg of a constant', () => {
    const r0 = movImm(1);
    expect(scalarAlu(r0, r0, BPF_NEG, true, 0)).toBeUndefined();
    expectScalar(r0, '0xffffffff');
    const r1 = movImm(1);
    expect(scalarAlu(r1, r1, BPF_NEG, false, 0)).toBeUndefined();
    expectScalar(r1, '-1');
  });
});

describe('adjust_scalar_min_max_vals()', () => {
  test('5 + 7 folds to 12', () => {
    const r = knownScalar(5n);
    alu(r, BPF_ADD, knownScalar(7n));
    expect(cloneBounds(r)).toEqual(knownScalar(12n));
  });

  test('AND with 0xff', () => {
    const r = unknownScalar();
    aluK(r, BPF_AND, 0xff);
    expectScalar(r, 'smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)');
    expect(tnumStr(r.varOff)).toBe('(0x0; 0xff)');
  });

  test('div and mod (also sdiv/smod, and of constants) give an unknown result in 6.18', () => {
    for (const op of [BPF_DIV, BPF_MOD]) {
      for (const off of [0, 1]) {
        const r = knownScalar(100n);
        expect(scalarAlu(r, knownScalar(7n), op, false, off)).toBeUndefined();
        expectScalar(r, '');
      }
    }
  });

  test('a shift by an unknown or out-of-range amount gives an unknown result', () => {
    const amt = unknownScalar();
    aluK(amt, BPF_AND, 7);
    expect(isSafeToComputeDstRegRange(amt, BPF_LSH, false)).toBe(false);
    const r = movImm(1);
    alu(r, BPF_LSH, amt);
    expectScalar(r, '');
    // a 32-bit shift by a register whose low word is 1 but which is 2^32 + 1 as a whole:
    // the kernel checks the 64-bit umax against 32
    const big = knownScalar(0x100000001n);
    expect(isSafeToComputeDstRegRange(big, BPF_LSH, true)).toBe(false);
    expect(isSafeToComputeDstRegRange(knownScalar(31n), BPF_LSH, true)).toBe(true);
    expect(isSafeToComputeDstRegRange(knownScalar(32n), BPF_LSH, true)).toBe(false);
    expect(isSafeToComputeDstRegRange(knownScalar(63n), BPF_ARSH, false)).toBe(true);
    expect(isSafeToComputeDstRegRange(knownScalar(64n), BPF_RSH, false)).toBe(false);
  });

  test('<<32 then s>>32 of a non-negative subregister keeps its range', () => {
    const r = unknownScalar();
    aluK(r, BPF_AND, 100);
    aluK(r, BPF_LSH, 32);
    expect([r.smin, r.smax]).toEqual([0n, 100n << 32n]);
    aluK(r, BPF_ARSH, 32);
    expectScalar(r, 'smin=smin32=0,smax=umax=smax32=umax32=100,var_off=(0x0; 0x64)');
  });

  test('lsh: bounds survive only if the top bit cannot be shifted out', () => {
    const r = unknownScalar();
    r.umin = 1n;
    r.umax = 1n << 59n;
    regBoundsSync(r);
    aluK(r, BPF_LSH, 4);
    expect([r.umin, r.umax]).toEqual([16n, 1n << 63n]);
    const q = unknownScalar();
    q.umin = 1n;
    q.umax = (1n << 59n) + 1n;
    regBoundsSync(q);
    aluK(q, BPF_LSH, 4);
    expect([q.umin, q.umax]).toEqual([0n, U64_MAX - 0xfn]);
  });

  test('32-bit ops zero-extend', () => {
    const r = knownScalar(0xffffffff_00000005n);
    aluK(r, BPF_ADD, 1, true);
    expectScalar(r, '6');
    const q = unknownScalar();
    aluK(q, BPF_ARSH, 4, true);
    expectScalar(q, 'smin=0,smax=umax=0xffffffff,smin32=-134217728,smax32=134217727,var_off=(0x0; 0xffffffff)');
  });

  test('the sanitize hook runs for add/sub only, where the kernel calls sanitize_val_alu()', () => {
    const calls: number[] = [];
    const hook = (): string => {
      calls.push(1);
      return 'R1 tried to add from different maps, paths or scalars, pointer arithmetic with it prohibited for !root';
    };
    const r = knownScalar(1n);
    expect(scalarAlu(r, knownScalar(2n), BPF_ADD, false, 0, hook)).toMatch(/different maps/);
    expectScalar(r, '1');
    expect(scalarAlu(r, knownScalar(2n), BPF_MUL, false, 0, hook)).toBeUndefined();
    expect(scalarAlu(r, unknownScalar(), BPF_LSH, false, 0, hook)).toBeUndefined();
    expect(calls).toHaveLength(1);
  });

  test('scalarAddConst: the linked-register delta step, without a sync', () => {
    const r = unknownScalar();
    aluK(r, BPF_AND, 0xff);
    scalarAddConst(r, 1n);
    expect([r.umin, r.umax, r.smin, r.smax]).toEqual([1n, 256n, 1n, 256n]);
    expect(r.varOff).toEqual({ value: 0n, mask: 0x1ffn });
  });
});

describe('mov', () => {
  test('movsx of constants', () => {
    expectScalar(mov(knownScalar(0x80n), false, 8), '-128');
    expectScalar(mov(knownScalar(0x1234_8000n), false, 16), '-32768');
    expectScalar(mov(knownScalar(0x8000_0000n), false, 32), String(S32_MIN));
    // w = (s8)w: sign-extended to 32 bits, then zero-extended
    expectScalar(mov(knownScalar(0x80n), true, 8), '0xffffff80');
    const c = knownScalar(0x180n);
    coerceSubregToSizeSx(c, 1);
    expect(c.varOff).toEqual({ value: U64_MAX - 0x7fn, mask: 0n });
    expect([c.s32min, c.u32max]).toEqual([-128n, 0xffffff80n]);
    zext32To64(c);
    regBoundsSync(c);
    expectScalar(c, '0xffffff80');
  });

  test('movsx of ranges', () => {
    const r = loadByte();
    expectScalar(mov(r, false, 8), 'smin=smin32=-128,smax=smax32=127');
    aluK(r, BPF_AND, 0x7f);
    // both ends non-negative after the sign extension: the range is kept
    expectScalar(mov(r, false, 8), 'smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f)');
    expectScalar(mov(r, true, 16), 'smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f)');
    expect(movsxIsNoSext(r, 8)).toBe(true);
    expect(movsxIsNoSext(loadByte(), 8)).toBe(false);
  });

  test('mov32 zero-extends; mov imm sign-extends (64) or not (32)', () => {
    expectScalar(mov(knownScalar(-1n), true), '0xffffffff');
    expectScalar(movImm(-1), '-1');
    expectScalar(movImm(-1, true), '0xffffffff');
    const w = mov(unknownScalar(), true);
    expectScalar(w, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)');
    expect(regWidth(w)).toBe(32);
  });

  test('coerce_reg_to_size', () => {
    const r = knownScalar(0x1234_5678_9abcn);
    coerceRegToSize(r, 2);
    expectScalar(r, '0x9abc');
    const q = unknownScalar();
    q.umin = 0x1_0000_0010n;
    q.umax = 0x1_0000_0020n;
    regBoundsSync(q);
    coerceRegToSize(q, 4);
    expect([q.umin, q.umax, q.u32min, q.u32max]).toEqual([0x10n, 0x20n, 0x10n, 0x20n]);
  });
});

describe('reg_bounds_sync() examples from the kernel comments', () => {
  test('__reg32_deduce_bounds(): u64 range with equal upper words', () => {
    const r = unknownScalar();
    r.umin = 0x10000000an;
    r.umax = 0x10000000fn;
    regBoundsSync(r);
    expect([r.u32min, r.u32max, r.s32min, r.s32max]).toEqual([0xan, 0xfn, 0xan, 0xfn]);
  });

  test('__reg32_deduce_bounds(): s64 ranges through upper words that differ by one', () => {
    const r = unknownScalar();
    r.smin = -1n;
    r.smax = 1n;
    regBoundsSync(r);
    expect([r.s32min, r.s32max]).toEqual([-1n, 1n]);
    const q = unknownScalar();
    q.smin = BigInt.asIntN(64, 0xfffffff0fffffff0n);
    q.smax = BigInt.asIntN(64, 0xfffffff100000010n);
    regBoundsSync(q);
    expect([q.s32min, q.s32max]).toEqual([-16n, 16n]);
  });

  test('__reg_deduce_mixed_bounds(): 32-bit knowledge tightens the 64-bit ends', () => {
    const r = unknownScalar();
    r.umin = 0x1_00000000n;
    r.umax = 0x3_80000000n;
    r.s32min = 1n;
    r.s32max = 0x7fffffffn;
    regBoundsSync(r);
    expect([r.umin, r.umax]).toEqual([0x1_00000001n, 0x3_7fffffffn]);
  });

  test('__reg_deduce_mixed_bounds(): a sign-extended value with a non-negative low word', () => {
    const r = unknownScalar();
    r.smin = S32_MIN;
    r.smax = S32_MAX;
    r.s32min = 0n;
    regBoundsSync(r);
    expectScalar(r, 'smin=smin32=0,smax=umax=smax32=umax32=0x7fffffff,var_off=(0x0; 0x7fffffff)');
  });

  test('__reg64_deduce_bounds(): u64 overlapping one end of a sign-crossing s64 range', () => {
    const r = unknownScalar();
    r.smin = -128n;
    r.smax = 127n;
    r.umax = 0xffffffffffffff00n;
    regBoundsSync(r);
    expectScalar(r, 'smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f)');
  });

  test('reg_bounds_sync(): var_off learned from umax improves umax again', () => {
    const r = unknownScalar();
    r.umax = S64_MAX;
    r.varOff = { value: 0n, mask: U64_MAX - 3n };
    regBoundsSync(r);
    expect(r.varOff).toEqual({ value: 0n, mask: S64_MAX - 3n });
    expect(r.umax).toBe(S64_MAX - 3n);
  });
});

describe('reg_bounds_sanity_check()', () => {
  test('names the broken invariant', () => {
    expect(boundsSane(unknownScalar())).toBeUndefined();
    expect(boundsSane(knownScalar(-5n))).toBeUndefined();
    const a = unknownScalar();
    a.umin = 5n;
    a.umax = 4n;
    expect(boundsSane(a)).toBe('range bounds violation');
    const b = knownScalar(7n);
    b.umax = 8n;
    expect(boundsSane(b)).toBe('const tnum out of sync with range bounds');
    const c = unknownScalar();
    markKnown32(c, 3n);
    expect(boundsSane(c)).toBeUndefined();
    c.s32max = 4n;
    expect(boundsSane(c)).toBe('const subreg tnum out of sync with range bounds');
  });

  test("logs the kernel's line and forgets the bounds", () => {
    const a = knownScalar(0n);
    a.umin = 1n;
    const line = regBoundsSanityCheck(a, 'alu');
    expect(line).toBe(
      'verifier bug: REG INVARIANTS VIOLATION (alu): range bounds violation u64=[0x1, 0x0] s64=[0x0, 0x0] u32=[0x0, 0x0] s32=[0x0, 0x0] var_off=(0x0, 0x0)',
    );
    expect([a.umin, a.umax, a.smin, a.smax]).toEqual([0n, U64_MAX, S64_MIN, S64_MAX]);
    const b = knownScalar(0n);
    b.umin = 1n;
    regBoundsSanityCheck(b, 'alu', true);
    expect(b.umin).toBe(1n);
  });
});

describe('branches', () => {
  test('flip and reverse opcodes', () => {
    expect(flipOpcode(BPF_JLT)).toBe(BPF_JGT);
    expect(flipOpcode(BPF_JSLE)).toBe(BPF_JSGE);
    expect(flipOpcode(BPF_JSET)).toBe(BPF_JSET);
    expect(revOpcode(BPF_JLT)).toBe(BPF_JGE);
    expect(revOpcode(BPF_JSET)).toBe(BPF_JSET | BPF_X);
    expect(revOpcode(BPF_JSET | BPF_X)).toBe(BPF_JSET);
  });

  test('isBranchTaken', () => {
    const byte = loadByte();
    expect(isBranchTaken(byte, knownScalar(256n), BPF_JLT, false)).toBe(1);
    expect(isBranchTaken(byte, knownScalar(255n), BPF_JGT, false)).toBe(0);
    expect(isBranchTaken(byte, knownScalar(100n), BPF_JGT, false)).toBe(-1);
    expect(isBranchTaken(knownScalar(3n), knownScalar(3n), BPF_JEQ, false)).toBe(1);
    expect(isBranchTaken(knownScalar(3n), knownScalar(4n), BPF_JNE, false)).toBe(1);
    // var_off says even, so never equal to 1
    const even = loadByte();
    aluK(even, BPF_LSH, 1);
    expect(isBranchTaken(even, knownScalar(1n), BPF_JEQ, false)).toBe(0);
    expect(isBranchTaken(even, knownScalar(1n), BPF_JSET, false)).toBe(0);
    expect(isBranchTaken(knownScalar(1n), even, BPF_JSET, false)).toBe(0);
    expect(isBranchTaken(even, knownScalar(6n), BPF_JSET, false)).toBe(-1);
    // jmp32 compares the low words only
    expect(isBranchTaken(knownScalar(0x1_00000005n), knownScalar(5n), BPF_JEQ, true)).toBe(1);
    expect(isBranchTaken(knownScalar(0x1_00000005n), knownScalar(5n), BPF_JEQ, false)).toBe(0);
    // 64-bit JEQ also uses disjoint 32-bit ranges
    const hiUnknown = unknownScalar();
    aluK(hiUnknown, BPF_AND, 0xf, true);
    alu(hiUnknown, BPF_OR, knownScalar(0xffffffff_00000000n));
    expect(isBranchTaken(hiUnknown, knownScalar(0x100n), BPF_JEQ, false)).toBe(0);
    expect(isBranchTaken(knownScalar(-1n), knownScalar(0n), BPF_JSGT, false)).toBe(0);
    expect(isBranchTaken(knownScalar(-1n), knownScalar(0n), BPF_JGT, false)).toBe(1);
  });

  test('regSetMinMax: r < 10', () => {
    const t = [unknownScalar(), knownScalar(10n)] as const;
    const f = [unknownScalar(), knownScalar(10n)] as const;
    expect(regSetMinMax(t[0], t[1], f[0], f[1], BPF_JLT, false)).toBeUndefined();
    expectScalar(t[0], 'smin=smin32=0,smax=umax=smax32=umax32=9,var_off=(0x0; 0xf)');
    expectScalar(f[0], 'umin=10');
    expectScalar(t[1], '10');
  });

  test('regSetMinMax: JNE against a bound, JEQ, JSET, JSLE', () => {
    const r = loadByte();
    const neq = fallThrough(r, BPF_JEQ, knownScalar(0n));
    expectScalar(neq, 'smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff)');

    const t = [loadByte(), knownScalar(4n)] as const;
    const f = [loadByte(), knownScalar(4n)] as const;
    regSetMinMax(t[0], t[1], f[0], f[1], BPF_JSET, false);
    expectScalar(t[0], 'smin=umin=smin32=umin32=4,smax=umax=smax32=umax32=255,var_off=(0x4; 0xfb)');
    expectScalar(f[0], 'smin=smin32=0,smax=umax=smax32=umax32=251,var_off=(0x0; 0xfb)');

    // jmp32 equality narrows only the low word
    const a = [unknownScalar(), knownScalar(7n)] as const;
    const b = [unknownScalar(), knownScalar(7n)] as const;
    regSetMinMax(a[0], a[1], b[0], b[1], BPF_JEQ, true);
    expect(a[0].varOff).toEqual({ value: 7n, mask: 0xffffffff_00000000n });
    expect([a[0].u32min, a[0].u32max]).toEqual([7n, 7n]);

    const s = fallThrough(unknownScalar(), BPF_JSGT, knownScalar(-5n));
    expectScalar(s, 'smax=-5,umin=0x8000000000000000,umax=0xfffffffffffffffb,var_off=(0x8000000000000000; 0x7fffffffffffffff)');
    expect(isConst(s)).toBe(false);
    const s2 = fallThrough(unknownScalar(), BPF_JSLE, knownScalar(-5n));
    expectScalar(s2, 'smin=-4');
  });

  test('one register on both sides', () => {
    const t = loadByte();
    const f = loadByte();
    regSetMinMax(t, t, f, f, BPF_JLT, false);
    // r < r never holds: the kernel only sees this when the branch is undecided
    expect(t.umax).toBe(254n);
    expect(boundsSane(f)).toBeUndefined();
  });
});

// ---- Linux 6.18.35 additions. Expected states are the kernel selftests' log lines (and
// the same programs' log_level 2 output on a 6.18.44 kernel, which has these changes). ----

type EndKind = 'bswap' | 'le' | 'be';
/**
 * check_alu_op() on a scalar BPF_END in 6.18.35: adjust_scalar_min_max_vals() with dst as
 * its own source; bswap is BPF_ALU64 (source bit BPF_TO_LE), le/be are BPF_ALU.
 */
const endian = (dst: ScalarBounds, kind: EndKind, imm: 16 | 32 | 64): void => {
  const insn: ByteSwapInsn = { toLe: kind !== 'be', imm };
  expect(scalarAlu(dst, dst, BPF_END, kind !== 'bswap', 0, undefined, insn)).toBeUndefined();
};

/** The taken copy of dst after `if dst <op> src`. */
const taken = (dst: ScalarBounds, op: number, src: ScalarBounds, is32 = false): ScalarBounds => {
  expect(isBranchTaken(dst, src, op, is32)).toBe(-1);
  const t = [cloneBounds(dst), cloneBounds(src)] as const;
  const f = [cloneBounds(dst), cloneBounds(src)] as const;
  expect(regSetMinMax(t[0], t[1], f[0], f[1], op, is32, true)).toBeUndefined();
  return t[0];
};

/** `r = bpf_get_prandom_u32()`: an unknown scalar. */
const prandom = unknownScalar;

describe('BPF_END (scalar_byte_swap(), 6.18.35): verifier_bswap.c, verifier_subreg.c', () => {
  test('BSWAP 16, 32, 64 of constants', () => {
    const r16 = movImm(0xff23);
    endian(r16, 'bswap', 16);
    expectScalar(r16, '0x23ff');
    const r32 = movImm(0xff23);
    endian(r32, 'bswap', 32);
    expectScalar(r32, '0x23ff0000');
    const r64 = knownScalar(0xff12ff34ff56ff78n);
    endian(r64, 'bswap', 64);
    expectScalar(r64, '0x78ff56ff34ff12ff');
    // __retval(0x34ff12ff): the low word
    expect(constValue(r64, true)).toBe(0x34ff12ffn);
  });

  // BSWAP_RANGE_TEST(): r0 &= 0x3f00; r0 = <op> r0; the trap `if r0 > out` is dead.
  const rangeCases: [EndKind, 16 | 32 | 64, string, string][] = [
    ['bswap', 16, '0x3f', 'smin=smin32=0,smax=umax=smax32=umax32=63,var_off=(0x0; 0x3f)'],
    ['bswap', 32, '0x3f0000', 'smin=smin32=0,smax=umax=smax32=umax32=0x3f0000,var_off=(0x0; 0x3f0000)'],
    ['bswap', 64, '0x3f000000000000', 'smin=smin32=0,smax=umax=0x3f000000000000,smax32=umax32=0,var_off=(0x0; 0x3f000000000000)'],
    ['be', 16, '0x3f', 'smin=smin32=0,smax=umax=smax32=umax32=63,var_off=(0x0; 0x3f)'],
    ['be', 32, '0x3f0000', 'smin=smin32=0,smax=umax=smax32=umax32=0x3f0000,var_off=(0x0; 0x3f0000)'],
    ['be', 64, '0x3f000000000000', 'smin=smin32=0,smax=umax=0x3f000000000000,smax32=umax32=0,var_off=(0x0; 0x3f000000000000)'],
    ['le', 16, '0x3f00', 'smin=smin32=0,smax=umax=smax32=umax32=16128,var_off=(0x0; 0x3f00)'],
    ['le', 32, '0x3f00', 'smin=smin32=0,smax=umax=smax32=umax32=16128,var_off=(0x0; 0x3f00)'],
    ['le', 64, '0x3f00', 'smin=smin32=0,smax=umax=smax32=umax32=16128,var_off=(0x0; 0x3f00)'],
  ];
  test.each(rangeCases)('BSWAP_RANGE_TEST %s%i: var_off (0x0; %s)', (kind, imm, out, state) => {
    const r0 = prandom();
    aluK(r0, BPF_AND, 0x3f00);
    endian(r0, kind, imm);
    expect(tnumStr(r0.varOff)).toBe(`(0x0; ${out})`);
    expectScalar(r0, state);
    expect(isBranchTaken(r0, knownScalar(BigInt(out)), BPF_JGT, false)).toBe(0);
  });

  test('end16/end32 (to_le, to_be) zero-extend: the high word becomes 0', () => {
    for (const [kind, imm, want] of [
      ['le', 16, 'smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff)'],
      ['le', 32, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)'],
      ['be', 16, 'smin=smin32=0,smax=umax=smax32=umax32=0xffff,var_off=(0x0; 0xffff)'],
      ['be', 32, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)'],
    ] as const) {
      // r6 = prandom << 32; r0 = prandom | r6
      const r6 = prandom();
      aluK(r6, BPF_LSH, 32);
      const r0 = prandom();
      alu(r0, BPF_OR, r6);
      endian(r0, kind, imm);
      expectScalar(r0, want);
      aluK(r0, BPF_RSH, 32);
      expectScalar(r0, '0');
    }
  });

  test('64-bit swaps keep all 64 bits (no zero extension, even for BPF_ALU class le64/be64)', () => {
    const le = knownScalar(0x1234_5678_9abc_def0n);
    endian(le, 'le', 64);
    expectScalar(le, '0x123456789abcdef0');
    const be = knownScalar(0x1234_5678_9abc_def0n);
    endian(be, 'be', 64);
    expectScalar(be, '0xf0debc9a78563412');
    for (const kind of ['le', 'be', 'bswap'] as const) {
      const r = prandom();
      endian(r, kind, 64);
      expectScalar(r, '');
    }
  });

  test('scalarByteSwap() says when the kernel clears the id (need_bswap || imm 16/32)', () => {
    const cases: [boolean, boolean, 16 | 32 | 64, boolean][] = [
      // alu64, toLe, imm, mutated
      [true, true, 16, true],
      [true, true, 32, true],
      [true, true, 64, true],
      [false, false, 16, true],
      [false, false, 32, true],
      [false, false, 64, true],
      [false, true, 16, true],
      [false, true, 32, true],
      [false, true, 64, false],
    ];
    for (const [alu64, toLe, imm, mutated] of cases) {
      const r = knownScalar(0x0102_0304_0506_0708n);
      expect(scalarByteSwap(r, alu64, toLe, imm)).toBe(mutated);
    }
    // le64 on a little-endian machine: nothing happens at all
    const r = loadByte();
    const before = cloneBounds(r);
    expect(scalarByteSwap(r, false, true, 64)).toBe(false);
    expect(cloneBounds(r)).toEqual(before);
  });

  test('BPF_END is always safe to compute, and scalarAlu needs its fields', () => {
    expect(isSafeToComputeDstRegRange(unknownScalar(), BPF_END, false)).toBe(true);
    expect(isSafeToComputeDstRegRange(unknownScalar(), BPF_END, true)).toBe(true);
    const r = unknownScalar();
    expect(() => scalarAlu(r, r, BPF_END, true, 0)).toThrow(RangeError);
  });
});

describe('__update_reg64_bounds(): a u64 range meeting var_off in one value (6.18.35, verifier_bounds.c)', () => {
  test('bounds refinement with single-value tnum on umax', () => {
    const r0 = prandom();
    aluK(r0, BPF_OR, 0xe0);
    aluK(r0, BPF_AND, 0xf0);
    expectScalar(r0, 'smin=umin=smin32=umin32=224,smax=umax=smax32=umax32=240,var_off=(0xe0; 0x10)');
    // 3: if r0 == 0xe0 goto ... ; R0=240
    const r = fallThrough(r0, BPF_JEQ, knownScalar(0xe0n));
    expectScalar(r, '240');
    expectScalar(taken(r0, BPF_JEQ, knownScalar(0xe0n)), '224');
    expect(isBranchTaken(r, knownScalar(0xf0n), BPF_JEQ, false)).toBe(1);
  });

  test('bounds refinement with single-value tnum on umin', () => {
    const r0 = prandom();
    aluK(r0, BPF_OR, 0xe1);
    aluK(r0, BPF_AND, 0xf1);
    expectScalar(r0, 'smin=umin=smin32=umin32=225,smax=umax=smax32=umax32=241,var_off=(0xe1; 0x10)');
    const r = fallThrough(r0, BPF_JEQ, knownScalar(0xf1n));
    expectScalar(r, '225');
    expect(isBranchTaken(r, knownScalar(0xe1n), BPF_JEQ, false)).toBe(1);
  });

  test('bounds refinement with single-value tnum in middle of range', () => {
    let r0 = fallThrough(prandom(), BPF_JSET, knownScalar(0xfn));
    expectScalar(r0, 'smax=0x7ffffffffffffff0,umax=0xfffffffffffffff0,smax32=0x7ffffff0,umax32=0xfffffff0,var_off=(0x0; 0xfffffffffffffff0)');
    r0 = fallThrough(r0, BPF_JGT, knownScalar(0x7dfn));
    expectScalar(r0, 'smin=smin32=0,smax=umax=smax32=umax32=2015,var_off=(0x0; 0x7f0)');
    expectScalar(taken(r0, BPF_JLT, knownScalar(0x7cfn)), 'smin=smin32=0,smax=umax=smax32=umax32=1998,var_off=(0x0; 0x7f0)');
    r0 = fallThrough(r0, BPF_JLT, knownScalar(0x7cfn));
    expectScalar(r0, '2000');
    expect(isBranchTaken(r0, knownScalar(0x7d0n), BPF_JEQ, false)).toBe(1);
  });

  test('several and multiple overlaps: nothing more to learn', () => {
    const r0 = prandom();
    expect(isBranchTaken(r0, knownScalar(0n), BPF_JLT, false)).toBe(0);
    const a = fallThrough(r0, BPF_JGT, knownScalar(1n));
    expectScalar(a, 'smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1)');
    expect(isBranchTaken(a, knownScalar(1n), BPF_JEQ, false)).toBe(-1);
    const b = fallThrough(fallThrough(prandom(), BPF_JLT, knownScalar(0xfn)), BPF_JGT, knownScalar(0x10n));
    expectScalar(b, 'smin=umin=smin32=umin32=15,smax=umax=smax32=umax32=16,var_off=(0x0; 0x1f)');
    expect(isBranchTaken(b, knownScalar(0x10n), BPF_JEQ, false)).toBe(-1);
  });

  test('each of the three cases, set up directly', () => {
    // only umin is a member
    const a = unknownScalar();
    a.varOff = { value: 0xe1n, mask: 0x10n };
    a.umin = 0xe1n;
    a.umax = 0xf0n;
    regBoundsSync(a);
    expectScalar(a, '225');
    // only the tnum's largest member (tmax) is in range
    const b = unknownScalar();
    b.varOff = { value: 0xe0n, mask: 0x10n };
    b.umin = 0xe1n;
    regBoundsSync(b);
    expectScalar(b, '240');
    // only one member strictly inside (umin excluded)
    const c = unknownScalar();
    c.varOff = { value: 0n, mask: U64_MAX - 0xfn };
    c.umin = 0x7cfn;
    c.umax = 0x7dfn;
    regBoundsSync(c);
    expectScalar(c, '2000');
    // the 32-bit bounds are set too (___mark_reg_known()), even when they said otherwise
    const d = unknownScalar();
    d.varOff = { value: 0x1_0000_0000n, mask: 0x1_0000_0000n };
    d.umin = 0x1_0000_0000n;
    d.u32min = 0n;
    d.u32max = 5n;
    regBoundsSync(d);
    expectScalar(d, '0x100000000');
  });
});

describe('__reg32_deduce_bounds(): an s32 range crossing the sign boundary (6.18.35, verifier_bounds.c)', () => {
  test('signed_unsigned_intersection32_case1: u32 [3, U32_MAX] and s32 [S32_MIN, 1] give s32 [S32_MIN, -1]', () => {
    const r0 = prandom();
    aluK(r0, BPF_AND, -1, true);
    expectScalar(r0, 'smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)');
    const a = fallThrough(r0, BPF_JLT, knownScalar(3n), true);
    expectScalar(a, 'smin=umin=umin32=3,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)');
    const b = fallThrough(a, BPF_JSGT, knownScalar(1n), true);
    expectScalar(b, 'smin=umin=umin32=0x80000000,smax=umax=0xffffffff,smax32=-1,var_off=(0x80000000; 0x7fffffff)');
    expect(isBranchTaken(b, knownScalar(0n), BPF_JSLT, true)).toBe(1);
  });

  test('signed_unsigned_intersection32_case2: u32 [0, S32_MIN+3] and s32 [-3, S32_MAX] give [0, S32_MAX]', () => {
    const r0 = prandom();
    aluK(r0, BPF_AND, -1, true);
    const a = fallThrough(r0, BPF_JGT, knownScalar(BigInt(0x80000003 | 0)), true);
    expectScalar(a, 'smin=0,smax=umax=umax32=0x80000003,var_off=(0x0; 0xffffffff)');
    const b = fallThrough(a, BPF_JSLT, knownScalar(-3n), true);
    expectScalar(b, 'smin=smin32=0,smax=umax=umax32=0x7fffffff,var_off=(0x0; 0x7fffffff)');
    const c = fallThrough(b, BPF_JSGT, knownScalar(5n), true);
    expectScalar(c, 'smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7)');
    expect(isBranchTaken(c, knownScalar(5n), BPF_JLE, true)).toBe(1);
  });

  test('the two new branches, set up directly', () => {
    // u32 range below the negative half of a wrapping s32 range
    const a = unknownScalar();
    a.varOff = { value: 0n, mask: U32_MAX };
    a.u32min = 3n;
    a.u32max = 0x9000_0000n;
    a.s32min = -5n;
    a.s32max = 10n;
    regBoundsSync(a);
    expect([a.u32min, a.u32max, a.s32min, a.s32max]).toEqual([3n, 10n, 3n, 10n]);
    // u32 range above the non-negative half
    const b = unknownScalar();
    b.varOff = { value: 0n, mask: U32_MAX };
    b.u32min = 0x7000_0000n;
    b.u32max = 0xffff_fff0n;
    b.s32min = -100n;
    b.s32max = 10n;
    regBoundsSync(b);
    expect([b.u32min, b.u32max, b.s32min, b.s32max]).toEqual([0xffff_ff9cn, 0xffff_fff0n, -100n, -16n]);
  });
});

describe('<<32 s>>32 sign extension of a subregister (6.18.35, verifier_subreg.c)', () => {
  test('arsh32 imm sign positive extend check', () => {
    const r6 = prandom();
    aluK(r6, BPF_AND, 4095);
    expectScalar(r6, 'smin=smin32=0,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff)');
    aluK(r6, BPF_LSH, 32);
    expectScalar(r6, 'smin=smin32=0,smax=umax=0xfff00000000,smax32=umax32=0,var_off=(0x0; 0xfff00000000)');
    aluK(r6, BPF_ARSH, 32);
    expectScalar(r6, 'smin=smin32=0,smax=umax=smax32=umax32=4095,var_off=(0x0; 0xfff)');
  });

  test('arsh32 imm sign negative extend check', () => {
    const r6 = prandom();
    aluK(r6, BPF_AND, 4095);
    aluK(r6, BPF_SUB, 4095);
    expectScalar(r6, 'smin=smin32=-4095,smax=smax32=0');
    aluK(r6, BPF_LSH, 32);
    expectScalar(r6, 'smin=0xfffff00100000000,smax=smax32=umax32=0,umax=0xffffffff00000000,smin32=0,var_off=(0x0; 0xffffffff00000000)');
    aluK(r6, BPF_ARSH, 32);
    expectScalar(r6, 'smin=smin32=-4095,smax=smax32=0');
  });

  test('arsh32 imm sign extend check (a range through zero)', () => {
    const r6 = prandom();
    aluK(r6, BPF_AND, 4095);
    aluK(r6, BPF_SUB, 2047);
    expectScalar(r6, 'smin=smin32=-2047,smax=smax32=2048');
    aluK(r6, BPF_LSH, 32);
    expectScalar(r6, 'smin=0xfffff80100000000,smax=0x80000000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000)');
    aluK(r6, BPF_ARSH, 32);
    expectScalar(r6, 'smin=smin32=-2047,smax=smax32=2048');
  });

  test('a shift other than exactly 32 still forgets the signed bounds', () => {
    const r6 = prandom();
    aluK(r6, BPF_AND, 4095);
    aluK(r6, BPF_SUB, 4095);
    aluK(r6, BPF_LSH, 31);
    expectScalar(r6, 'smax=0x7fffffff80000000,umax=0xffffffff80000000,smax32=0,umax32=0x80000000,var_off=(0x0; 0xffffffff80000000)');
  });
});

describe('maybe_fork_scalars() (6.18.35): forkableMinusOneOrZero() and the caller-side fork', () => {
  /**
   * What adjust_scalar_min_max_vals() does for an AND/OR with a constant, with the fork
   * done the way forkableMinusOneOrZero() documents: [current path, pushed path].
   */
  const forkingAlu = (dst: ScalarBounds, op: number, imm: number, alu32 = false): [ScalarBounds, ScalarBounds | undefined] => {
    const src = knownScalar(BigInt(imm | 0));
    const kind = isConst(src) ? forkableMinusOneOrZero(dst) : undefined;
    let pushed: ScalarBounds | undefined;
    if (kind !== undefined) {
      pushed = cloneBounds(dst);
      if (kind === 'alu64') {
        markKnown(pushed, 0n);
        markKnown(dst, -1n);
      } else {
        markKnown32(pushed, 0n);
        markKnown32(dst, -1n);
      }
      // the pushed state re-runs the instruction, no longer forkable
      expect(forkableMinusOneOrZero(pushed)).toBeUndefined();
      alu(pushed, op, src, alu32);
    }
    alu(dst, op, src, alu32);
    return [dst, pushed];
  };

  test('OR with a constant: -1 (current) or 8 (pushed)', () => {
    const r6 = prandom();
    aluK(r6, BPF_ARSH, 63);
    expectScalar(r6, 'smin=smin32=-1,smax=smax32=0');
    expect(forkableMinusOneOrZero(r6)).toBe('alu64');
    const [cur, pushed] = forkingAlu(r6, BPF_OR, 8);
    expectScalar(cur, '-1');
    expectScalar(pushed!, '8');
    expect(isBranchTaken(cur, knownScalar(0n), BPF_JSLT, false)).toBe(1);
    expect(isBranchTaken(pushed!, knownScalar(0n), BPF_JSLT, false)).toBe(0);
  });

  test('AND with a constant: 4 (current) or 0 (pushed)', () => {
    const r6 = prandom();
    aluK(r6, BPF_ARSH, 63);
    const [cur, pushed] = forkingAlu(r6, BPF_AND, 4);
    expectScalar(cur, '4');
    expectScalar(pushed!, '0');
  });

  test('arsh_31_and / arsh_31_or (verifier_subreg.c): an s32 {-1, 0} forks as alu32', () => {
    const w2 = mov(prandom(), true);
    aluK(w2, BPF_ARSH, 31, true);
    expectScalar(w2, 'smin=0,smax=umax=0xffffffff,smin32=-1,smax32=0,var_off=(0x0; 0xffffffff)');
    expect(forkableMinusOneOrZero(w2)).toBe('alu32');
    const [cur, pushed] = forkingAlu(cloneBounds(w2), BPF_AND, -134, true);
    expectScalar(cur, '0xffffff7a');
    expectScalar(pushed!, '0');
    // if w2 s> -1 goto +2: not taken on the current path, where w2 != -136 is then certain
    expect(isBranchTaken(cur, knownScalar(-1n), BPF_JSGT, true)).toBe(0);
    expect(isBranchTaken(cur, knownScalar(-136n), BPF_JNE, true)).toBe(1);
    expect(isBranchTaken(pushed!, knownScalar(-1n), BPF_JSGT, true)).toBe(1);
    const [cur2, pushed2] = forkingAlu(cloneBounds(w2), BPF_OR, 134, true);
    expectScalar(cur2, '0xffffffff');
    expectScalar(pushed2!, '134');
  });

  test('arsh_63_and / arsh_63_or: an s64 {-1, 0} forks as alu64', () => {
    const r2 = prandom();
    aluK(r2, BPF_LSH, 32);
    aluK(r2, BPF_ARSH, 63);
    expectScalar(r2, 'smin=smin32=-1,smax=smax32=0');
    const [cur, pushed] = forkingAlu(cloneBounds(r2), BPF_AND, -134);
    expectScalar(cur, '-134');
    expectScalar(pushed!, '0');
    const [cur2, pushed2] = forkingAlu(cloneBounds(r2), BPF_OR, 134);
    expectScalar(cur2, '-1');
    expectScalar(pushed2!, '134');
  });

  test('only exactly {-1, 0} forks', () => {
    expect(forkableMinusOneOrZero(unknownScalar())).toBeUndefined();
    expect(forkableMinusOneOrZero(knownScalar(-1n))).toBeUndefined();
    expect(forkableMinusOneOrZero(knownScalar(0n))).toBeUndefined();
    const r = prandom();
    aluK(r, BPF_AND, 2);
    aluK(r, BPF_SUB, 1);
    expectScalar(r, 'smin=smin32=-1,smax=smax32=1,umin=umin32=1,var_off=(0x1; 0xfffffffffffffffe)');
    expect(forkableMinusOneOrZero(r)).toBeUndefined();
    // the 64-bit test comes first
    const both = prandom();
    aluK(both, BPF_ARSH, 63);
    expect([both.s32min, both.s32max]).toEqual([-1n, 0n]);
    expect(forkableMinusOneOrZero(both)).toBe('alu64');
  });
});
