// Records the map-command cases of maps-golden-cases.ts from the live kernel (npm run
// test:kernel) into golden/kernel-maps.json, which maps-golden.test.ts replays against
// bpfsim on every `npm test`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { MapsGolden, StepResult } from './maps-golden-cases';
import { mapCases } from './maps-golden-cases';
import { replayCase } from './maps-golden-run';
import { compareStep } from './maps-golden-compare';

const why = kernelUnavailable();
const GOLDEN = path.join(__dirname, 'golden/kernel-maps.json');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = mapCases();
  const out = probe<{ cpus: number; results: { id: string; steps: StepResult[] }[] }>('probe_maps.py', { cases });
  const golden: MapsGolden = { recordedBy: 'scripts/kernel/probe_maps.py', kernel: os.release(), cpus: out.cpus, cases, results: out.results };
  fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
  fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');

  test('the kernel ran every case', () => {
    expect(out.results.map((r) => r.id)).toEqual(cases.map((c) => c.id));
  });

  test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('bpfsim agrees: %s', (_id, c, k) => {
    const mine = replayCase(c, out.cpus);
    c.steps.forEach((s, i) => compareStep(s, mine[i]!, k.steps[i]!, i));
  });
}
