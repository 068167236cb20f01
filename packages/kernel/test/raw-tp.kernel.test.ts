// Records the raw tracepoint cases of raw-tp-cases.ts from the live kernel (npm run
// test:kernel) into golden/kernel-raw-tp.json, which raw-tp-golden.test.ts replays against
// bpfsim on every `npm test`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { RawTpGolden, RawTpResult } from './raw-tp-cases';
import { rawTpCases } from './raw-tp-cases';
import { replayRawTp } from './raw-tp-replay';

const why = kernelUnavailable();
const GOLDEN = path.join(__dirname, 'golden/kernel-raw-tp.json');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = rawTpCases();
  const out = probe<{ results: RawTpResult[] }>('probe_raw_tp.py', { cases });
  const golden: RawTpGolden = { recordedBy: 'scripts/kernel/probe_raw_tp.py', kernel: os.release(), cases, results: out.results };
  fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');

  test('the kernel answered every case', () => {
    expect(out.results).toHaveLength(cases.length);
  });
  test.each(cases.map((c, i) => [c.id, c, out.results[i]] as const))('bpfsim agrees: %s', (_id, c, k) => {
    expect(replayRawTp(c)).toEqual(k);
  });
}
