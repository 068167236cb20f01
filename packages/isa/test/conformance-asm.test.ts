// Every bpf_conformance test program assembles (to its `-- raw` bytes where it has them), and
// every negative case is rejected by the parser, the assembler or the decoder.
import { assemble, decode, parseConformanceData } from '../src';
import { conformanceDir, dataFiles } from '@bpfsim/test-support';
import { hexOf, hexOfInsns } from './helpers';

const dir = conformanceDir();

// Negative cases that are well-formed programs: the conformance runner (VM issue) rejects them
// when the run does not give the expected error/result.
const RUNTIME_NEGATIVES = new Set(['error.data', 'incorrect_return_value_high_bits.data']);

if (!dir) {
  test.skip('bpf_conformance data not found beside the repository (../shared/conformance): skipped', () => {});
} else {
  const tests = dataFiles(dir, 'tests');
  const negatives = dataFiles(dir, 'negative');

  describe('conformance tests assemble', () => {
    test('there are conformance tests to run', () => expect(tests.length).toBeGreaterThan(300));
    test.each(tests.map((t) => [t.name, t.text]))('%s', (name, text) => {
      const c = parseConformanceData(text, name);
      if (c.asm) {
        const r = assemble(c.asm.text, { syntax: 'ubpf', file: name, lineOffset: c.asm.lineOffset });
        expect(r.warnings).toEqual([]);
        expect(r.insns.length).toBeGreaterThan(0);
        if (c.raw) expect(hexOfInsns(r.insns)).toBe(hexOf(c.raw));
      } else {
        expect(() => decode(c.raw!)).not.toThrow();
      }
    });
  });

  describe('conformance negatives are rejected', () => {
    const rejectedEarly = negatives.filter((n) => !RUNTIME_NEGATIVES.has(n.name));
    test.each(rejectedEarly.map((n) => [n.name, n.text]))('%s', (name, text) => {
      const attempt = (): void => {
        const c = parseConformanceData(text, name);
        if (c.asm) assemble(c.asm.text, { syntax: 'ubpf', file: name, lineOffset: c.asm.lineOffset });
        if (c.raw) decode(c.raw);
      };
      expect(attempt).toThrow(/\S/);
    });
    test.each([...RUNTIME_NEGATIVES].map((n) => [n]))('%s is a valid program (its run is what fails)', (name) => {
      const n = negatives.find((x) => x.name === name)!;
      const c = parseConformanceData(n.text, name);
      expect(assemble(c.asm!.text, { syntax: 'ubpf' }).insns.length).toBeGreaterThan(0);
    });
  });
}
