// Records stack-map-cases.ts from the live kernel (npm run test:kernel) into
// golden/kernel-stack-map.json, which stack-map-golden.test.ts replays on every npm test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { StackGolden } from './stack-map-cases';
import { stackCreateCases, stackRunCases } from './stack-map-cases';
import { replayCreate, replayRun } from './stack-map-replay';

const why = kernelUnavailable();
if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const creates = stackCreateCases();
  const runs = stackRunCases();
  const results = probe<StackGolden['results']>('probe_stack_map.py', { creates, runs });
  const golden: StackGolden = { recordedBy: 'scripts/kernel/probe_stack_map.py', kernel: os.release(), creates, runs, results };
  fs.writeFileSync(path.join(__dirname, 'golden/kernel-stack-map.json'), JSON.stringify(golden, null, 1) + '\n');
  test.each(creates.map((c, i) => [c.id, c, results.creates[i]] as const))('create %s', (_id, c, k) => expect(replayCreate(c)).toEqual(k));
  test.each(runs.map((c, i) => [c.id, c, results.runs[i]] as const))('run %s', (_id, c, k) => expect(replayRun(c)).toEqual(k));
}
