// bpfsim against the BPF_PROG_TEST_RUN results recorded from Linux (see test-run.kernel.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENGINES } from '../src';
import type { TestRunGolden } from './kernel-test-run-check';
import { bpfsimResult } from './kernel-test-run-check';

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-test-run.json'), 'utf8')) as TestRunGolden;

test('the golden data holds a few hundred kernel runs', () => {
  expect(golden.results.filter((r) => r.loaded && r.retval !== undefined).length).toBeGreaterThan(350);
});

describe.each(ENGINES)('%s engine matches Linux %s', (engine) => {
  const pairs = golden.cases.map((c, i) => [c.id, c, golden.results[i]!] as const).filter(([, , k]) => k.loaded);
  test.each(pairs)('%s', (_id, c, k) => {
    const { verifierError: _v, ...want } = k;
    expect(bpfsimResult(c, engine)).toEqual(want);
  });
});
