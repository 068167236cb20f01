// bpfsim against the live kernel's answers on raw tracepoints (recorded by
// `npm run test:kernel` in golden/kernel-raw-tp.json): load-time ctx checks, the helper
// set, every tracepoint's argument count, open refusals, test runs, close-detaches.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RawTpGolden } from './raw-tp-cases';
import { replayRawTp } from './raw-tp-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-raw-tp.json'), 'utf8')) as RawTpGolden;

test('the recording covers every tracepoint bpfsim has and the helper set', () => {
  expect(g.cases.length).toBe(g.results.length);
  expect(g.cases.filter((c) => c.kind === 'helper')).toHaveLength(211);
  expect(g.cases.filter((c) => c.kind === 'open').length).toBeGreaterThan(150);
});

describe(`raw tracepoints as Linux ${g.kernel} answered`, () => {
  test.each(g.cases.map((c, i) => [c.id, c, g.results[i]] as const))('%s', (_id, c, k) => {
    expect(replayRawTp(c)).toEqual(k);
  });
});
