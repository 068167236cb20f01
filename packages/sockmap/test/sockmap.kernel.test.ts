// Records sockmap-cases.ts from the live kernel with real loopback sockets (npm run
// test:kernel) into golden/kernel-sockmap.json, which sockmap-golden.test.ts replays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { SockmapGolden, StepResult } from './sockmap-cases';
import { sockmapCases } from './sockmap-cases';
import { replaySockmap } from './sockmap-replay';

const why = kernelUnavailable();
if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = sockmapCases();
  const out = probe<{ results: StepResult[][] }>('probe_sockmap.py', { cases });
  const golden: SockmapGolden = { recordedBy: 'scripts/kernel/probe_sockmap.py', kernel: os.release(), cases, results: out.results };
  fs.mkdirSync(path.join(__dirname, 'golden'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'golden/kernel-sockmap.json'), JSON.stringify(golden, null, 1) + '\n');
  test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('bpfsim agrees: %s', (_id, c, k) => {
    expect(replaySockmap(c)).toEqual(k);
  });
}
