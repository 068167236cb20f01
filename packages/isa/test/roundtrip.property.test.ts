// asm(disasm(bytes)) == bytes, and decode(encode(insns)) == insns, over random programs.
import fc from 'fast-check';
import type { Insn } from '../src';
import { ATOMIC_RMW_OPS, LD_IMM64, assemble, checkInsn, decode, disassemble, disasmText, encode } from '../src';
import { hexOf } from './helpers';

const SEED = 20261124;
const reg = fc.integer({ min: 0, max: 10 });
const s16 = fc.integer({ min: -32768, max: 32767 });
const s32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const SPECIAL_IMMS = [0, 1, 16, 32, 64, 0x10000, 0x100, 0x110, ...ATOMIC_RMW_OPS];

/** Every opcode byte that has at least one valid encoding. */
const VALID_CODES = Array.from({ length: 256 }, (_, c) => c).filter((code) =>
  [0, 1, 2, 3, 7].some((src) =>
    [0, 1, 8, 16, 32].some((off) =>
      SPECIAL_IMMS.some((imm) =>
        [0, 1].some((dst) => checkInsn([{ code, dst, src, off, imm }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }], 0) === undefined),
      ),
    ),
  ),
);

const single: fc.Arbitrary<Insn[]> = fc
  .record({
    code: fc.constantFrom(...VALID_CODES.filter((c) => c !== LD_IMM64)),
    dst: fc.oneof(reg, fc.constant(0)),
    src: fc.oneof(reg, fc.constantFrom(0, 1, 2)),
    off: fc.oneof(fc.constantFrom(0, 1, 8, 16, 32), s16),
    imm: fc.oneof(fc.constantFrom(...SPECIAL_IMMS), s32),
  })
  .filter((i) => checkInsn([i], 0) === undefined)
  .map((i) => [i]);

const wide: fc.Arbitrary<Insn[]> = fc
  .record({ dst: reg, src: fc.integer({ min: 0, max: 6 }), lo: s32, hi: fc.oneof(fc.constant(0), s32) })
  .map(({ dst, src, lo, hi }) => [
    { code: LD_IMM64, dst, src, off: 0, imm: lo },
    { code: 0, dst: 0, src: 0, off: 0, imm: hi },
  ])
  .filter((p) => checkInsn(p, 0) === undefined);

const validProgram = fc.array(fc.oneof({ weight: 9, arbitrary: single }, { weight: 1, arbitrary: wide }), { minLength: 1, maxLength: 40 }).map((parts) => parts.flat());

test('the opcode bytes with a valid encoding are exactly those of RFC 9669 and Linux', () => {
  // ALU 27 (14 ops × K/X, no NEG X) + ALU64 26 (no bswap X either) + JMP 27 (JA, 11 conditions
  // × K/X, CALL K/X, EXIT, JCOND) + JMP32 23 + LD 7 (ld_imm64, ABS, IND) + LDX 7 (MEM, MEMSX)
  // + ST 4 + STX 8 (MEM, ATOMIC in four sizes for load-acquire/store-release).
  expect(VALID_CODES.length).toBe(129);
  const perClass = [0, 1, 2, 3, 4, 5, 6, 7].map((c) => VALID_CODES.filter((code) => (code & 7) === c).length);
  expect(perClass).toEqual([7, 7, 4, 8, 27, 27, 23, 26]);
});

test('valid programs: decode(encode(p)) == p and asm(disasm(p)) == p', () => {
  fc.assert(
    fc.property(validProgram, (p) => {
      const bytes = encode(p);
      expect(decode(bytes)).toEqual(p);
      const text = disassemble(p).map((l) => l.text).join('\n');
      const back = assemble(text, { syntax: 'llvm' });
      expect(back.warnings).toEqual([]);
      expect(hexOf(encode(back.insns))).toBe(hexOf(bytes));
    }),
    { seed: SEED, numRuns: 3000 },
  );
});

test('the indexed listing of `bpfsim disasm` assembles back too', () => {
  fc.assert(
    fc.property(validProgram, (p) => {
      expect(hexOf(encode(assemble(disasmText(p), { syntax: 'llvm' }).insns))).toBe(hexOf(encode(p)));
    }),
    { seed: SEED + 1, numRuns: 500 },
  );
});

test('any bytes at all survive disassembly and reassembly (invalid slots as .8byte)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 * 16 }).map((b) => b.subarray(0, b.length - (b.length % 8))), (bytes) => {
      fc.pre(bytes.length > 0);
      const insns = decode(bytes, { validate: false });
      const text = disassemble(insns).map((l) => l.text).join('\n');
      expect(hexOf(encode(assemble(text, { syntax: 'llvm' }).insns))).toBe(hexOf(bytes));
    }),
    { seed: SEED + 2, numRuns: 3000 },
  );
});
