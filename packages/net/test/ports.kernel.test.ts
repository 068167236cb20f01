// Records ports-cases.ts from the live kernel's loopback (npm run test:kernel) into
// golden/ports.json, which ports-golden.test.ts replays against bpfsim.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { PortResult, PortsGolden } from './ports-cases';
import { portCases } from './ports-cases';
import { SKIPPED, replayPorts } from './ports-replay';

const why = kernelUnavailable();
if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = portCases();
  const out = probe<{ results: PortResult[][] }>('ports_probe.py', { cases });
  const golden: PortsGolden = { recordedBy: 'scripts/kernel/ports_probe.py', kernel: os.release(), cases, results: out.results };
  fs.mkdirSync(path.join(__dirname, 'golden'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'golden/ports.json'), JSON.stringify(golden, null, 1) + '\n');
  test.each(cases.map((c, i) => [c.id, c, i, out.results[i]!] as const))('bpfsim agrees: %s', (_id, c, i, k) => {
    const mine = replayPorts(c, i);
    if (mine !== SKIPPED) expect(mine).toEqual(k);
  });
}
