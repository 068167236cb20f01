// Replays the cgroup attach scenarios and ctx-access loads recorded on Linux 6.18
// (golden/kernel-cgroup.json, written by cgroup.kernel.test.ts) against bpfsim.
import type { CgroupGolden } from './cgroup-cases';
import { replayCase, replayCtx, replayHelper } from './cgroup-replay';
import golden from './golden/kernel-cgroup.json';

const g = golden as unknown as CgroupGolden;

test('the recording holds enough cases', () => {
  expect(g.cases.length).toBeGreaterThanOrEqual(120);
  expect(g.results).toHaveLength(g.cases.length);
  expect(g.ctxResults).toHaveLength(g.ctx.length);
});

describe(`attach scenarios as Linux ${g.kernel} ran them`, () => {
  test.each(g.cases.map((c, i) => [c.id, c, g.results[i]!] as const))('%s', (_id, c, want) => {
    expect(replayCase(c)).toEqual(want);
  });
});

test(`ctx accesses of cgroup skb and cgroup sock programs as Linux ${g.kernel} verified them`, () => {
  const differ = g.ctx.flatMap((c, i) => {
    const got = replayCtx(c);
    return got === g.ctxResults[i] ? [] : [`${c.id}: kernel ${g.ctxResults[i]}, bpfsim ${got}`];
  });
  expect(differ).toEqual([]);
});

test(`helpers cgroup skb and cgroup sock programs may call, as Linux ${g.kernel} offers them`, () => {
  const differ = g.helpers.flatMap((c, i) => {
    const got = replayHelper(c);
    return got === g.helperResults[i] ? [] : [`type ${c.type}/${c.eat} helper ${c.id}: kernel ${g.helperResults[i]}, bpfsim ${got}`];
  });
  expect(differ).toEqual([]);
});
