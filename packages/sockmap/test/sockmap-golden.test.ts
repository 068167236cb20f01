// bpfsim's sockmaps against the live kernel's answers (golden/kernel-sockmap.json, recorded
// by npm run test:kernel with real loopback sockets).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SockmapGolden } from './sockmap-cases';
import { replaySockmap } from './sockmap-replay';

const g = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/kernel-sockmap.json'), 'utf8')) as SockmapGolden;

describe(`sockmaps as Linux ${g.kernel} answered`, () => {
  test.each(g.cases.map((c, i) => [c.id, c, g.results[i]!] as const))('%s', (_id, c, k) => {
    expect(replaySockmap(c)).toEqual(k);
  });
});
