// Replays the cgroup attach scenarios, ctx-access loads, helper offers and verifier
// messages recorded on Linux 6.18 (golden/kernel-cgroup.json, written by
// cgroup.kernel.test.ts) against bpfsim, for cgroup skb, cgroup sock and cgroup sock_addr.
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CgroupGolden } from './cgroup-cases';
import { SOCK_ADDR_ATTACH, knownLogDeviation } from './cgroup-cases';
import { replayCase, replayCtx, replayHelper, replayLog } from './cgroup-replay';
import golden from './golden/kernel-cgroup.json';

const g = golden as unknown as CgroupGolden;
const ADDR = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
const TYPE_NAME: Record<number, string> = { 8: 'cgroup skb', 9: 'cgroup sock', [ADDR]: 'cgroup sock_addr' };

test('the recording holds enough cases', () => {
  expect(g.cases.length).toBeGreaterThanOrEqual(120);
  expect(g.results).toHaveLength(g.cases.length);
  expect(g.ctxResults).toHaveLength(g.ctx.length);
  expect(g.helperResults).toHaveLength(g.helpers.length);
  expect(g.logResults).toHaveLength(g.logs.length);
});

test('the recording covers every CGROUP_SOCK_ADDR attach type: 73 offsets x (4 reads, 3 ldsx, 4 stx, 4 st), 211 helpers', () => {
  for (const [, at] of SOCK_ADDR_ATTACH) {
    expect(g.ctx.filter((c) => c.type === ADDR && c.eat === at).length).toBeGreaterThanOrEqual(73 * 15);
    expect(g.helpers.filter((c) => c.type === ADDR && c.eat === at)).toHaveLength(211);
  }
});

describe(`attach scenarios as Linux ${g.kernel} ran them`, () => {
  test.each(g.cases.map((c, i) => [c.id, c, g.results[i]!] as const))('%s', (_id, c, want) => {
    expect(replayCase(c)).toEqual(want);
  });
});

describe.each([8, 9, ADDR])(`as Linux ${g.kernel} verified them: program type %i`, (type) => {
  test(`ctx accesses of ${TYPE_NAME[type]} programs`, () => {
    const differ = g.ctx.flatMap((c, i) => {
      if (c.type !== type) return [];
      const got = replayCtx(c);
      return got === g.ctxResults[i] ? [] : [`${c.id}: kernel ${g.ctxResults[i]}, bpfsim ${got}`];
    });
    expect(differ).toEqual([]);
  });

  test(`helpers ${TYPE_NAME[type]} programs may call`, () => {
    const differ = g.helpers.flatMap((c, i) => {
      if (c.type !== type) return [];
      const got = replayHelper(c);
      return got === g.helperResults[i] ? [] : [`type ${c.type}/${c.eat} helper ${c.id}: kernel ${g.helperResults[i]}, bpfsim ${got}`];
    });
    expect(differ).toEqual([]);
  });
});

test(`verifier messages word for word as Linux ${g.kernel} logged them (but the listed deviations)`, () => {
  const differ = g.logs.flatMap((c, i) => {
    const got = replayLog(c);
    const want = g.logResults[i]!;
    return got.ret === want.ret && got.msg === want.msg ? [] : [{ id: c.id, line: `${c.id}: kernel ${want.ret} "${want.msg}", bpfsim ${got.ret} "${got.msg}"` }];
  });
  expect(differ.filter((d) => !knownLogDeviation(d.id)).map((d) => d.line)).toEqual([]);
  // Every listed deviation still deviates (a fix must shorten the list).
  expect(differ.length).toBe(g.logs.filter((c) => knownLogDeviation(c.id)).length);
});
