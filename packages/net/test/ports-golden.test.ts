// bpfsim's bind and port rules against the live kernel's loopback (golden/ports.json,
// recorded by npm run test:kernel). Cases that need TCP are counted and skipped, with that
// reason, until the stack has TCP.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PortsGolden } from './ports-cases';
import { SKIPPED, replayPorts } from './ports-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/ports.json'), 'utf8')) as PortsGolden;
const runnable = g.cases.map((c, i) => [c.id, c, i, g.results[i]!] as const).filter(([, c, i]) => replayPorts(c, i) !== SKIPPED);

test(`the recording has its cases; ${g.cases.length - runnable.length} need TCP (${SKIPPED})`, () => {
  expect(g.cases.length).toBeGreaterThanOrEqual(40);
  expect(runnable.length).toBeGreaterThanOrEqual(25);
});

describe(`bind and ports as Linux ${g.kernel} answered`, () => {
  test.each(runnable)('%s', (_id, c, i, k) => {
    expect(replayPorts(c, i)).toEqual(k);
  });
});
