// bpfsim against the live kernel's answers on stack trace maps (golden/kernel-stack-map.json,
// recorded by npm run test:kernel): creation checks and the stack helpers' flag checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StackGolden } from './stack-map-cases';
import { replayCreate, replayRun } from './stack-map-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-stack-map.json'), 'utf8')) as StackGolden;

describe(`stack trace maps as Linux ${g.kernel} answered`, () => {
  test.each(g.creates.map((c, i) => [c.id, c, g.results.creates[i]] as const))('create %s', (_id, c, k) => expect(replayCreate(c)).toEqual(k));
  test.each(g.runs.map((c, i) => [c.id, c, g.results.runs[i]] as const))('run %s', (_id, c, k) => expect(replayRun(c)).toEqual(k));
});
