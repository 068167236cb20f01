// Each ALU and jump instruction on both engines against a reference written from RFC 9669's
// text with BigInt, for random operands: the engines share their 64-bit helpers, so this is
// what checks the helpers themselves.
import fc from 'fast-check';
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_DIV,
  BPF_END,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_K,
  BPF_LSH,
  BPF_MOD,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_X,
  BPF_XOR,
  assemble,
  ldImm64,
} from '@bpfsim/isa';
import { ENGINES, Memory, VmProgram, int64, run } from '../src';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);
const bswap = (v: bigint, bytes: number): bigint => {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
};
/** Truncating division and remainder, as C and RFC 9669 define them. */
const tdiv = (a: bigint, b: bigint): bigint => a / b;
const trem = (a: bigint, b: bigint): bigint => a % b;

/** RFC 9669 §4.1-4.2: the value of dst after `op` with operands a (dst) and b (src or imm). */
function alu(is64: boolean, op: number, off: number, a: bigint, b: bigint, imm: number): bigint {
  if (is64) {
    switch (op) {
      case BPF_ADD: return u64(a + b);
      case BPF_SUB: return u64(a - b);
      case BPF_MUL: return u64(a * b);
      case BPF_DIV:
        if (b === 0n) return 0n;
        return off === 1 ? u64(tdiv(s64(a), s64(b))) : a / b;
      case BPF_MOD:
        if (b === 0n) return a;
        return off === 1 ? u64(trem(s64(a), s64(b))) : a % b;
      case BPF_OR: return a | b;
      case BPF_AND: return a & b;
      case BPF_XOR: return a ^ b;
      case BPF_LSH: return u64(a << (b & 63n));
      case BPF_RSH: return a >> (b & 63n);
      case BPF_ARSH: return u64(s64(a) >> (b & 63n));
      case BPF_NEG: return u64(-a);
      case BPF_MOV:
        if (off === 8) return u64(BigInt.asIntN(8, b));
        if (off === 16) return u64(BigInt.asIntN(16, b));
        if (off === 32) return u64(BigInt.asIntN(32, b));
        return b;
      case BPF_END: return bswap(a, imm / 8);
    }
  } else {
    const x = u32(a);
    const y = u32(b);
    switch (op) {
      case BPF_ADD: return u32(x + y);
      case BPF_SUB: return u32(x - y);
      case BPF_MUL: return u32(x * y);
      case BPF_DIV:
        if (y === 0n) return 0n;
        return off === 1 ? u32(tdiv(s32(x), s32(y))) : x / y;
      case BPF_MOD:
        if (y === 0n) return x;
        return off === 1 ? u32(trem(s32(x), s32(y))) : x % y;
      case BPF_OR: return x | y;
      case BPF_AND: return x & y;
      case BPF_XOR: return x ^ y;
      case BPF_LSH: return u32(x << (y & 31n));
      case BPF_RSH: return x >> (y & 31n);
      case BPF_ARSH: return u32(s32(x) >> (y & 31n));
      case BPF_NEG: return u32(-x);
      case BPF_MOV:
        if (off === 8) return u32(BigInt.asIntN(8, y));
        if (off === 16) return u32(BigInt.asIntN(16, y));
        return y;
    }
  }
  throw new Error(`no reference for op ${op}`);
}

function cmp(is64: boolean, op: number, a: bigint, b: bigint): boolean {
  const [ua, ub] = is64 ? [a, b] : [u32(a), u32(b)];
  const [sa, sb] = is64 ? [s64(a), s64(b)] : [s32(a), s32(b)];
  switch (op) {
    case BPF_JEQ: return ua === ub;
    case BPF_JNE: return ua !== ub;
    case BPF_JGT: return ua > ub;
    case BPF_JGE: return ua >= ub;
    case BPF_JLT: return ua < ub;
    case BPF_JLE: return ua <= ub;
    case BPF_JSGT: return sa > sb;
    case BPF_JSGE: return sa >= sb;
    case BPF_JSLT: return sa < sb;
    case BPF_JSLE: return sa <= sb;
    case BPF_JSET: return (ua & ub) !== 0n;
  }
  throw new Error(`no reference for jump ${op}`);
}

const memory = new Memory();
const runBoth = (insns: Insn[]): bigint[] => {
  const p = new VmProgram(insns);
  return ENGINES.map((e) => run(p, e, memory, []).r0);
};
const exit: Insn = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

const edge = fc.constantFrom(0n, 1n, 2n, 3n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n);
const value = fc.oneof(edge, fc.bigInt({ min: 0n, max: M64 }), fc.bigInt({ min: 0n, max: 0xffffffffn }));
const imm = fc.oneof(fc.constantFrom(0, 1, -1, 2, 31, 32, 63, 0x7fffffff, -0x80000000), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH];

test('every ALU operation matches the RFC 9669 reference on both engines', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.constantFrom(...ALU_OPS), fc.boolean(), value, value, imm, fc.nat(3), (is64, op, useReg, a, b, k, variant) => {
      let off = 0;
      if ((op === BPF_DIV || op === BPF_MOD) && variant & 1) off = 1;
      if (op === BPF_MOV && useReg && variant) off = is64 ? [0, 8, 16, 32][variant]! : [0, 8, 16, 16][variant]!;
      const x = op !== BPF_NEG && useReg;
      const src = x ? b : u64(BigInt(k));
      const insns = [
        ...ldImm64(1, a),
        ...ldImm64(2, b),
        { code: (is64 ? BPF_ALU64 : BPF_ALU) | op | (x ? BPF_X : BPF_K), dst: 1, src: x ? 2 : 0, off, imm: x || op === BPF_NEG ? 0 : k },
        { code: BPF_ALU64 | BPF_MOV | BPF_X, dst: 0, src: 1, off: 0, imm: 0 },
        exit,
      ];
      const want = alu(is64, op, off, a, src, k);
      expect(runBoth(insns)).toEqual([want, want]);
    }),
    { seed: 9669, numRuns: 4000 },
  );
});

test('byte swaps and endianness conversions match the reference', () => {
  fc.assert(
    fc.property(value, fc.constantFrom(16, 32, 64), fc.constantFrom('le', 'be', 'bswap'), (a, width, kind) => {
      const code = kind === 'bswap' ? BPF_ALU64 | BPF_END | BPF_TO_LE : BPF_ALU | BPF_END | (kind === 'be' ? BPF_TO_BE : BPF_TO_LE);
      const insns = [...ldImm64(0, a), { code, dst: 0, src: 0, off: 0, imm: width }, exit];
      const mask = (1n << BigInt(width)) - 1n;
      // On a little-endian machine `le` only truncates; `be` and `bswap` swap.
      const want = kind === 'le' ? (width === 64 ? a : a & mask) : bswap(a, width / 8);
      expect(runBoth(insns)).toEqual([want, want]);
    }),
    { seed: 16, numRuns: 1000 },
  );
});

test('every conditional jump matches the reference on both engines', () => {
  const OPS = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JGE, BPF_JLT, BPF_JLE, BPF_JSGT, BPF_JSGE, BPF_JSLT, BPF_JSLE, BPF_JSET];
  fc.assert(
    fc.property(fc.boolean(), fc.constantFrom(...OPS), fc.boolean(), value, value, imm, (is64, op, useReg, a, b, k) => {
      const src = useReg ? b : u64(BigInt(k));
      const insns = [
        ...ldImm64(1, a),
        ...ldImm64(2, b),
        { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
        { code: (is64 ? BPF_JMP : BPF_JMP32) | op | (useReg ? BPF_X : BPF_K), dst: 1, src: useReg ? 2 : 0, off: 1, imm: useReg ? 0 : k },
        { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 },
        exit,
      ];
      const want = cmp(is64, op, a, src) ? 1n : 0n;
      expect(runBoth(insns)).toEqual([want, want]);
    }),
    { seed: 4242, numRuns: 3000 },
  );
});

test('the 64-bit helpers agree with BigInt', () => {
  const split = (v: bigint): [number, number] => [Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asIntN(32, v))];
  const got = (): bigint => int64.toBig(int64.OUT[1]!, int64.OUT[0]!);
  fc.assert(
    fc.property(value, value, (a, b) => {
      const [ah, al] = split(a);
      const [bh, bl] = split(b);
      int64.mul64(ah, al, bh, bl);
      expect(got()).toBe(u64(a * b));
      int64.udiv64(ah, al, bh, bl);
      expect(got()).toBe(b === 0n ? 0n : a / b);
      int64.umod64(ah, al, bh, bl);
      expect(got()).toBe(b === 0n ? a : a % b);
      int64.sdiv64(ah, al, bh, bl);
      expect(got()).toBe(b === 0n ? 0n : u64(s64(a) / s64(b)));
      int64.smod64(ah, al, bh, bl);
      expect(got()).toBe(b === 0n ? a : u64(s64(a) % s64(b)));
      const n = Number(b & 63n);
      int64.shl64(ah, al, n);
      expect(got()).toBe(u64(a << BigInt(n)));
      int64.shr64(ah, al, n);
      expect(got()).toBe(a >> BigInt(n));
      int64.sar64(ah, al, n);
      expect(got()).toBe(u64(s64(a) >> BigInt(n)));
      expect(BigInt(int64.mulhiU32(al, bl) >>> 0)).toBe((u32(a) * u32(b)) >> 32n);
    }),
    { seed: 64, numRuns: 5000 },
  );
});

test('assembly-level spot checks from RFC 9669 examples', () => {
  const r0 = (text: string): bigint[] => runBoth(assemble(text).insns);
  expect(r0('r0 = -1 ll\nr0 s/= -1\nexit')).toEqual([1n, 1n]);
  expect(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit')).toEqual([0x8000000000000000n, 0x8000000000000000n]);
  expect(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit')).toEqual([0n, 0n]);
  expect(r0('r0 = -7 ll\nw0 %= 0\nexit')).toEqual([0xfffffff9n, 0xfffffff9n]); // 32-bit mod by 0 zero-extends
  expect(r0('r0 = -7 ll\nr0 %= 0\nexit')).toEqual([u64(-7n), u64(-7n)]);
  expect(r0('r0 = 5\nr1 = 70\nr0 <<= r1\nexit')).toEqual([5n << 6n, 5n << 6n]); // masked shift count
});
