// bpfsim's CGROUP_SOCK_ADDR against the live kernel's verifier (golden/kernel-sock-addr.json,
// recorded by npm run test:kernel): ctx access per attach type, field, size and
// read/write, the helpers per attach type, return values, load-time attach checks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MatrixGolden } from './sock-addr-cases';
import { replayMatrix } from './sock-addr-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-sock-addr.json'), 'utf8')) as MatrixGolden;

test(`all ${g.cases.length} cases agree with Linux ${g.kernel}`, () => {
  expect(g.cases.length).toBeGreaterThan(7000);
  const bad = g.cases.map((c, i) => [c.id, g.results[i], replayMatrix(c)] as const).filter(([, k, m]) => k !== m);
  expect(bad).toEqual([]);
});
