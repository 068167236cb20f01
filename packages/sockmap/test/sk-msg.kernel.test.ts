// Records sk-msg-cases.ts from the live kernel with real loopback TCP sockets (npm run
// test:kernel) into golden/kernel-sk-msg.json, which sk-msg-golden.test.ts replays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { SkMsgGolden, SkMsgResult } from './sk-msg-cases';
import { comparable, skMsgCases } from './sk-msg-cases';
import { replaySkMsg } from './sk-msg-replay';

const why = kernelUnavailable();
if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = skMsgCases();
  const out = probe<{ results: SkMsgResult[] }>('probe_sk_msg.py', { cases });
  const golden: SkMsgGolden = { recordedBy: 'scripts/kernel/probe_sk_msg.py', kernel: os.release(), cases, results: out.results };
  fs.writeFileSync(path.join(__dirname, 'golden/kernel-sk-msg.json'), JSON.stringify(golden, null, 1) + '\n');
  test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('bpfsim agrees: %s', (_id, c, k) => {
    expect(comparable(c, replaySkMsg(c))).toEqual(comparable(c, k));
  });
}
