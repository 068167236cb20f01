// Golden data recorded from this machine's LLVM (14.0.6) by scripts/golden/llvm-disasm.mjs.
import { assemble, decode, formatInsn } from '../src';
import golden from './golden/llvm-disasm.json';
import { bytesOf, hexOfInsns } from './helpers';

interface DisasmVector {
  hex: string;
  llvm: string | null;
  reassembly?: 'same' | 'different' | 'error';
}

const vectors = golden.disasm as DisasmVector[];

// Encodings where bpfsim prints something other than LLVM 14 on purpose:
// - callx: LLVM 14 takes the register from imm; current LLVM, gcc, uBPF and bpfsim from dst.
// - ld_imm64 pseudo sources: LLVM's `ld_pseudo rX, SRC, IMM` drops the second slot's imm;
//   bpfsim prints map[fd:N] / map[idx:N]+OFF / btf_id[N] / func[pc+N], which keep every field.
const DELIBERATE = (v: DisasmVector): boolean => v.hex.startsWith('8d ') || (v.llvm ?? '').startsWith('ld_pseudo');

describe('disassembly matches llvm-objdump', () => {
  const comparable = vectors.filter((v) => v.llvm !== null && v.reassembly !== 'different' && !DELIBERATE(v));

  test('the golden set covers most of the ISA LLVM 14 knows', () => {
    expect(comparable.length).toBeGreaterThan(400);
  });

  test.each(comparable.map((v) => [v.hex, v.llvm!]))('%s → %s', (hex, llvm) => {
    expect(formatInsn(decode(bytesOf(hex)), 0)).toBe(llvm);
  });
});

describe('assembling LLVM-printed text gives the bytes back', () => {
  const printable = vectors.filter((v) => v.llvm !== null && v.reassembly !== 'different' && !DELIBERATE(v));
  test.each(printable.map((v) => [v.llvm!, v.hex]))('%s', (text, hex) => {
    expect(hexOfInsns(assemble(text, { syntax: 'llvm' }).insns)).toBe(hex);
  });

  test("LLVM's ld_pseudo form assembles with the source and first imm it names", () => {
    const pseudo = vectors.filter((v) => (v.llvm ?? '').startsWith('ld_pseudo'));
    expect(pseudo.length).toBe(6);
    for (const v of pseudo) {
      const got = assemble(v.llvm!, { syntax: 'llvm' }).insns;
      const want = decode(bytesOf(v.hex));
      expect(got[0]).toEqual(want[0]);
      expect(got[1]).toEqual({ ...want[1]!, imm: 0 });
    }
  });
});

describe('assembly matches llvm-mc -show-encoding', () => {
  const accepted = golden.asm.filter((a) => a.hex !== null);
  test('most lines are accepted by LLVM 14', () => expect(accepted.length).toBeGreaterThan(50));
  test.each(accepted.map((a) => [a.text, a.hex!]))('%s', (text, hex) => {
    expect(hexOfInsns(assemble(text, { syntax: 'llvm' }).insns)).toBe(hex);
  });
  // LLVM 14 prints these forms but its parser predates them; bpfsim reads what LLVM prints.
  test.each(golden.asm.filter((a) => a.hex === null).map((a) => [a.text]))('%s (refused by LLVM 14, read by bpfsim)', (text) => {
    const printed = vectors.find((v) => v.llvm === text);
    const r = assemble(text, { syntax: 'llvm' });
    if (printed) expect(hexOfInsns(r.insns)).toBe(printed.hex);
    else expect(r.insns.length).toBe(1);
  });
});
