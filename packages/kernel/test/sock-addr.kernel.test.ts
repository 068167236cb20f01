// Records sock-addr-cases.ts from the live kernel (npm run test:kernel) into
// golden/kernel-sock-addr.json, which sock-addr-golden.test.ts replays against bpfsim.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { MatrixGolden } from './sock-addr-cases';
import { sockAddrCases } from './sock-addr-cases';
import { replayMatrix } from './sock-addr-replay';

const why = kernelUnavailable();
if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = sockAddrCases();
  const out = probe<{ results: string[] }>('probe_prog_matrix.py', { cases });
  const golden: MatrixGolden = { recordedBy: 'scripts/kernel/probe_prog_matrix.py', kernel: os.release(), cases, results: out.results };
  fs.writeFileSync(path.join(__dirname, 'golden/kernel-sock-addr.json'), JSON.stringify(golden) + '\n');
  test('bpfsim agrees on every case', () => {
    const bad = cases.map((c, i) => [c.id, out.results[i], replayMatrix(c)] as const).filter(([, k, m]) => k !== m);
    expect(bad).toEqual([]);
  });
}
