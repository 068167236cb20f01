// Records hooks-cases.ts from the live kernel — programs attached to a real cgroup v2 under
// /sys/fs/cgroup/unified, real sockets on loopback (scripts/kernel/probe_hooks.py; npm run
// test:kernel) — into golden/hooks.json, which hooks-golden.test.ts replays against bpfsim.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { HookResult, HooksGolden } from './hooks-cases';
import { hookCases } from './hooks-cases';
import { replayHooks } from './hooks-replay';

const CGROUP2 = '/sys/fs/cgroup/unified';
const why = kernelUnavailable() ?? (fs.existsSync(`${CGROUP2}/cgroup.procs`) ? undefined : `no cgroup v2 mounted at ${CGROUP2}`);

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = hookCases();
  const out = probe<{ results: HookResult[]; rootClean: boolean }>('probe_hooks.py', { cases });
  test('the host root cgroup has no socket hooks attached that the cases would meet', () => {
    expect(out.rootClean).toBe(true);
  });
  const golden: HooksGolden = { recordedBy: 'scripts/kernel/probe_hooks.py', kernel: os.release(), cases, results: out.results };
  fs.writeFileSync(path.join(__dirname, 'golden/hooks.json'), JSON.stringify(golden, null, 1) + '\n');
  test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('bpfsim agrees: %s', (_id, c, k) => {
    expect(replayHooks(c)).toEqual(k);
  });
}
