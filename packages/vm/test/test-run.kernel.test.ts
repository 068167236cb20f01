// Records BPF_PROG_TEST_RUN results of the live kernel (npm run test:kernel) and checks
// bpfsim against them; the recording is the golden data `npm test` uses.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ENGINES } from '../src';
import { kernelCases } from './kernel-cases';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { KernelResult, TestRunGolden } from './kernel-test-run-check';
import { bpfsimResult, digest } from './kernel-test-run-check';

const why = kernelUnavailable();
const GOLDEN = path.join(__dirname, 'golden/kernel-test-run.json');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = kernelCases();
  const results = probe<KernelResult[]>('probe_test_run.py', cases).map((r) => (r.dataOut ? { ...r, dataOut: digest(r.dataOut) } : r));
  const golden: TestRunGolden = { recordedBy: 'scripts/kernel/probe_test_run.py', kernel: os.release(), cases, results };
  fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
  fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');

  test('the kernel accepts almost every generated program', () => {
    const refused = results.filter((r) => !r.loaded);
    expect(refused.map((r) => `${r.id}: ${r.errno} ${r.verifierError}`)).toEqual([]);
  });

  describe.each(ENGINES)('%s engine matches the kernel', (engine) => {
    test.each(cases.map((c, i) => [c.id, c, results[i]!] as const))('%s', (_id, c, k) => {
      if (!k.loaded) return;
      const { verifierError: _v, ...want } = k;
      expect(bpfsimResult(c, engine)).toEqual(want);
    });
  });
}
