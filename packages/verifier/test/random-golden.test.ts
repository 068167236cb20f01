// bpfsim's verifier on the random-program slice against the live kernel's recorded verdicts
// (packages/selfcheck/data/kernel-random.json; `npm run test:kernel` records it): every verdict the same,
// and the error sentence the same for nearly every refusal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';
import { errorLine } from '@bpfsim/selfcheck';
import type { RandomGolden } from '@bpfsim/selfcheck';
import { digest, randomPrograms } from '@bpfsim/selfcheck';

const golden = JSON.parse(fs.readFileSync(dataFile('kernel-random.json'), 'utf8')) as RandomGolden;
const progs = randomPrograms(golden.first, golden.count, golden.templates);

test('the slice is the programs the kernel saw (same seeds, same bytes)', () => {
  expect(progs.map((p) => `${p.id}:${digest(p)}`)).toEqual(golden.programs.map((g) => `${g.id}:${g.digest}`));
});

test('every verdict is the kernel\'s; error sentences agree for at least 99% of refusals', () => {
  const verdicts: string[] = [];
  let refused = 0;
  let sameError = 0;
  progs.forEach((p, i) => {
    const k = golden.programs[i]!;
    let r = verify(p.insns, { progType: p.progType === 'xdp' ? 6 : 1, mapsByIdx: p.maps, privileged: true, progTypes: PROG_TYPES, helpers: HELPERS });
    if (r.accepted !== k.accepted) verdicts.push(`${p.id}: kernel ${k.accepted ? 'accepts' : `refuses (${k.error})`}, bpfsim ${r.accepted ? 'accepts' : `refuses (${r.error})`}`);
    if (!k.accepted && !r.accepted) {
      refused++;
      if (r.errno !== 'E2BIG') r = verify(p.insns, { progType: p.progType === 'xdp' ? 6 : 1, mapsByIdx: p.maps, privileged: true, progTypes: PROG_TYPES, helpers: HELPERS, logLevel: 1 });
      if (errorLine(r.log) === (k.error ?? '').replace(/processed \d+ insns \(limit.*$/, '')) sameError++;
    }
  });
  expect(verdicts).toEqual([]);
  expect(refused).toBeGreaterThan(100);
  expect(sameError / refused).toBeGreaterThanOrEqual(0.99);
});
