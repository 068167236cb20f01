// Records tcp-wire-cases.ts from the live kernel — each case's socket calls run in a private
// network namespace over its lo (MTU 1500, offloads off), every TCP packet held by an NFQUEUE
// delay line that is also the capture (scripts/kernel/probe_tcp_wire.py; npm run test:kernel)
// — into golden/tcp-wire.json, which tcp-wire-golden.test.ts replays against bpfsim.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { WireGolden } from './tcp-wire-cases';
import { wireCases } from './tcp-wire-cases';

const why = kernelUnavailable();

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = wireCases();
  const out = probe<Omit<WireGolden, 'cases' | 'recordedBy'> & { unavailable?: string }>('probe_tcp_wire.py', { cases });
  if (out.unavailable) {
    test.skip(`wire traces cannot be recorded here: ${out.unavailable}`, () => {});
  } else {
    const golden: WireGolden = { recordedBy: 'scripts/kernel/probe_tcp_wire.py', kernel: out.kernel, hz: out.hz, sysctls: out.sysctls, setup: out.setup, wallSeconds: out.wallSeconds, cases, results: out.results };
    fs.writeFileSync(path.join(__dirname, 'golden/tcp-wire.json'), JSON.stringify(golden) + '\n');
    test.each(cases.map((c, i) => [c.id, out.results[i]!] as const))('recorded whole and real-time: %s', (_id, r) => {
      expect(r.recorderErrors).toBe(0);
      expect(r.realtime).toBe(true);
      expect(r.packets.length).toBeGreaterThan(0);
    });
  }
}
