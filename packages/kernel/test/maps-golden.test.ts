// Replays the map cases recorded from Linux (golden/kernel-maps.json, written by
// `npm run test:kernel`) against bpfsim: every step's errno or output must match.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MapsGolden } from './maps-golden-cases';
import { replayCase } from './maps-golden-run';
import { compareStep } from './maps-golden-compare';

const GOLDEN = path.join(__dirname, 'golden/kernel-maps.json');
const golden: MapsGolden | undefined = fs.existsSync(GOLDEN) ? (JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as MapsGolden) : undefined;

if (!golden) {
  test.skip('golden/kernel-maps.json has not been recorded (npm run test:kernel)', () => {});
} else {
  test(`recorded on ${golden.kernel} with ${golden.cpus} CPUs: ${golden.cases.length} cases`, () => {
    expect(golden.cases.length).toBe(golden.results.length);
    expect(golden.cases.length).toBeGreaterThanOrEqual(150);
  });
  test.each(golden.cases.map((c, i) => [c.id, c, golden.results[i]!] as const))('%s', (_id, c, k) => {
    const mine = replayCase(c, golden.cpus);
    c.steps.forEach((s, i) => compareStep(s, mine[i]!, k.steps[i]!, i));
  });
}
