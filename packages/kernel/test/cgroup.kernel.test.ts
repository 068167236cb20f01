// Records cgroup attach scenarios, ctx-access verdicts, helper offers and verifier messages of the live kernel
// (scripts/kernel/probe_cgroup.py; npm run test:kernel) into golden/kernel-cgroup.json, which
// cgroup-golden.test.ts replays against bpfsim under `npm test`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { CgroupGolden, LogResult, StepResult } from './cgroup-cases';
import { cgroupCases, ctxCases, helperCases, knownLogDeviation, logCases } from './cgroup-cases';
import { replayCase, replayCtx, replayHelper, replayLog } from './cgroup-replay';

const CGROUP2 = '/sys/fs/cgroup/unified';
const GOLDEN = path.join(__dirname, 'golden/kernel-cgroup.json');

const why = kernelUnavailable() ?? (fs.existsSync(`${CGROUP2}/cgroup.procs`) ? undefined : `no cgroup v2 mounted at ${CGROUP2}`);

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = cgroupCases();
  const ctx = ctxCases();
  const helpers = helperCases();
  const logs = logCases();
  const out = probe<{ results: StepResult[][]; ctx: string[]; helpers: string[]; logs: LogResult[]; rootClean: boolean; bpffs: boolean }>('probe_cgroup.py', { cases, ctx, helpers, logs });

  test('the host root cgroup has nothing attached that the cases would see, and bpffs could be mounted', () => {
    expect(out.rootClean).toBe(true);
    expect(out.bpffs).toBe(true);
  });

  const golden: CgroupGolden = {
    recordedBy: 'scripts/kernel/probe_cgroup.py',
    kernel: os.release(),
    cases,
    results: out.results,
    ctx,
    ctxResults: out.ctx,
    helpers,
    helperResults: out.helpers,
    logs,
    logResults: out.logs,
  };
  fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
  fs.writeFileSync(GOLDEN, JSON.stringify(golden, null, 1) + '\n');

  describe('bpfsim matches the kernel', () => {
    test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('%s', (_id, c, want) => {
      expect(replayCase(c)).toEqual(want);
    });
    test('ctx accesses', () => {
      const differ = ctx.flatMap((c, i) => {
        const got = replayCtx(c);
        return got === out.ctx[i] ? [] : [`${c.id}: kernel ${out.ctx[i]}, bpfsim ${got}`];
      });
      expect(differ).toEqual([]);
    });
    test('helpers offered', () => {
      const differ = helpers.flatMap((c, i) => {
        const got = replayHelper(c);
        return got === out.helpers[i] ? [] : [`type ${c.type}/${c.eat} helper ${c.id}: kernel ${out.helpers[i]}, bpfsim ${got}`];
      });
      expect(differ).toEqual([]);
    });
    test('verifier messages (but the listed deviations)', () => {
      const differ = logs.flatMap((c, i) => {
        const got = replayLog(c);
        const want = out.logs[i]!;
        return got.ret === want.ret && got.msg === want.msg ? [] : [{ id: c.id, line: `${c.id}: kernel ${want.ret} "${want.msg}", bpfsim ${got.ret} "${got.msg}"` }];
      });
      expect(differ.filter((d) => !knownLogDeviation(d.id)).map((d) => d.line)).toEqual([]);
      expect(differ.length).toBe(logs.filter((c) => knownLogDeviation(c.id)).length);
    });
  });
}
