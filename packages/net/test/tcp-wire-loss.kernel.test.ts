// Records the loss cases (tcp-wire-loss-cases.ts) from the live kernel as tcp-wire.kernel.test.ts
// records the wire suite — the same probe (scripts/kernel/probe_tcp_wire.py), a private network
// namespace over its lo, every TCP packet held by the NFQUEUE delay line, which also drops,
// holds and duplicates the packets the cases' rules name — into golden/tcp-wire-loss.json, which
// tcp-wire-loss-golden.test.ts replays against bpfsim. npm run test:kernel.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { WireGolden } from './tcp-wire-cases';
import { wireLossCases, wireLossIntent } from './tcp-wire-loss-cases';

const why = kernelUnavailable();

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const cases = wireLossCases();
  // Up to 4 more runs for a case whose first two disagree (2 by default): loss recovery hangs on
  // µs-timed events (compressed SACKs, write boundaries), so agreeing runs are rarer here.
  const out = probe<Omit<WireGolden, 'cases' | 'recordedBy'> & { unavailable?: string }>('probe_tcp_wire.py', { cases, extraPasses: 4 });
  if (out.unavailable) {
    test.skip(`wire traces cannot be recorded here: ${out.unavailable}`, () => {});
  } else {
    const golden: WireGolden = { recordedBy: 'scripts/kernel/probe_tcp_wire.py', kernel: out.kernel, hz: out.hz, sysctls: out.sysctls, setup: out.setup, wallSeconds: out.wallSeconds, cases, results: out.results };
    fs.writeFileSync(path.join(__dirname, 'golden/tcp-wire-loss.json'), JSON.stringify(golden) + '\n');
    test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('recorded whole and real-time, the rules hit: %s', (_id, c, r) => {
      expect(r.recorderErrors).toBe(0);
      expect(r.realtime).toBe(true);
      // A rate case: all its data acknowledged within the recording.
      if (c.summary) expect(typeof r.summary?.dataAckedUs).toBe('number');
      else expect(r.packets.length).toBeGreaterThan(0);
      expect(wireLossIntent(c, r)).toBe('');
    });
  }
}
