// Checks the verifier corpus and its golden recording (packages/selfcheck/data/kernel-verifier.json, made by
// `npm run test:kernel` on a machine where bpf() works): every case assembles, ids are
// unique, each category has cases Linux accepts and cases it refuses, and every case was
// recorded with exactly the instructions it assembles to now.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { ALL_CASES, compileCase } from './corpus';
import type { VerifierGolden } from '@bpfsim/selfcheck';

const GOLDEN = dataFile('kernel-verifier.json');
const golden = JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as VerifierGolden;
const recorded = new Map(golden.cases.map((g) => [g.id, g]));

test('case ids are unique', () => {
  const seen = new Set<string>();
  const dups = ALL_CASES.filter((c) => (seen.has(c.id) ? true : (seen.add(c.id), false))).map((c) => c.id);
  expect(dups).toEqual([]);
});

test('the corpus has at least 420 cases', () => {
  expect(ALL_CASES.length).toBeGreaterThanOrEqual(420);
});

test('ids are category/name', () => {
  expect(ALL_CASES.filter((c) => !c.id.startsWith(`${c.category}/`) || !/^[a-z0-9-]+\/[A-Za-z0-9_.-]+$/.test(c.id)).map((c) => c.id)).toEqual([]);
});

test.each(ALL_CASES.map((c) => [c.id, c] as const))('%s assembles as recorded', (_id, c) => {
  const k = compileCase(c);
  const g = recorded.get(c.id);
  expect(g).toBeDefined();
  expect({ insns: g?.insns, maps: g?.maps, asm: g?.asm, progType: g?.progType, attachType: g?.attachType, category: g?.category }).toEqual({
    insns: k.insns,
    maps: k.maps,
    asm: c.asm,
    progType: c.progType,
    attachType: c.attachType ?? 0,
    category: c.category,
  });
  expect(g?.license).toEqual(c.license);
});

test('the recording has no case the corpus lacks', () => {
  const ids = new Set(ALL_CASES.map((c) => c.id));
  expect(golden.cases.filter((g) => !ids.has(g.id)).map((g) => g.id)).toEqual([]);
});

test('every category has cases Linux accepts and cases it refuses', () => {
  const split = new Map<string, { accepted: number; rejected: number }>();
  for (const g of golden.cases) {
    const s = split.get(g.category) ?? { accepted: 0, rejected: 0 };
    if (g.kernel.accepted) s.accepted++;
    else s.rejected++;
    split.set(g.category, s);
  }
  const lopsided = [...split].filter(([, s]) => s.accepted === 0 || s.rejected === 0).map(([cat]) => cat);
  expect(lopsided).toEqual([]);
});

test('every refusal has an errno', () => {
  expect(golden.cases.filter((g) => !g.kernel.accepted && !g.kernel.errno).map((g) => g.id)).toEqual([]);
});
