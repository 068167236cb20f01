// Records Linux's points of the lossy-tcp sweep (tcp-wire-sweep-cases.ts) from the live kernel with
// the wire suite's probe (scripts/kernel/probe_tcp_wire.py: a private network namespace over its
// lo, every TCP packet held 5 ms by the NFQUEUE delay line, which drops by the random rule), two
// runs per case, into golden/tcp-wire-sweep.json and docs/lossy-tcp-linux.csv (one row per case
// per kept run, for `bpfsim sweep lossy-tcp ... --svg F --reference docs/lossy-tcp-linux.csv`).
// The extra case (10 MB at 20% loss) is recorded apart (tcp-wire-sweep-extra.kernel.test.ts) and
// kept here when the golden file has it. npm run test:kernel; about 5-10 minutes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelUnavailable } from '@bpfsim/test-support';
import { SWEEP_BYTES, SWEEP_EXTRA_ID, SWEEP_LIMIT_MS, sweepFinished, wireSweepCases } from './tcp-wire-sweep-cases';
import { ROOT, SWEEP_GOLDEN as GOLDEN, recordWire } from './tcp-wire-sweep-record';
import type { SweepGolden } from './tcp-wire-sweep-report';
import { caseLoss, keptRuns, sweepCsv, sweepDropsAsHashed, sweepStats, sweepTable } from './tcp-wire-sweep-report';

const why = kernelUnavailable();

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  // All 60 (the whole recording took about 6 minutes here: short not needed).
  const cases = wireSweepCases();
  const out = recordWire(cases);
  if (out.unavailable) {
    test.skip(`wire traces cannot be recorded here: ${out.unavailable}`, () => {});
  } else {
    // The extra case, when an earlier recording has it.
    const old: SweepGolden | null = fs.existsSync(GOLDEN) ? (JSON.parse(fs.readFileSync(GOLDEN, 'utf8')) as SweepGolden) : null;
    const ex = old ? old.cases.findIndex((c) => c.id === SWEEP_EXTRA_ID) : -1;
    const golden: SweepGolden = {
      recordedBy: 'scripts/kernel/probe_tcp_wire.py',
      kernel: out.kernel,
      hz: out.hz,
      sysctls: out.sysctls,
      setup: out.setup,
      wallSeconds: out.wallSeconds,
      cases: ex >= 0 ? [...cases, old!.cases[ex]!] : cases,
      results: ex >= 0 ? [...out.results, old!.results[ex]!] : out.results,
      ...(ex >= 0 && old!.extraWallSeconds !== undefined ? { extraWallSeconds: old!.extraWallSeconds, extraKernel: old!.extraKernel } : {}),
    };
    fs.writeFileSync(GOLDEN, JSON.stringify(golden) + '\n');
    fs.writeFileSync(path.join(ROOT, 'docs/lossy-tcp-linux.csv'), sweepCsv(cases, out.results));
    const stats = sweepStats(cases, out.results);
    const notFinished = stats.reduce((n, s) => n + s.runs - s.finished, 0);
    console.log(`lossy-tcp sweep on Linux ${out.kernel}: ${cases.length} cases, ${out.wallSeconds} s; ${notFinished} runs not finished within ${SWEEP_LIMIT_MS / 1000} s\n${sweepTable(stats)}`);

    test.each(cases.map((c, i) => [c.id, c, out.results[i]!] as const))('recorded whole and real-time, the drops as hashed: %s', (_id, c, r) => {
      expect(r.recorderErrors).toBe(0);
      expect(r.realtime).toBe(true);
      const runs = keptRuns(r);
      expect(runs).toHaveLength(2);
      for (const s of runs) {
        expect(sweepDropsAsHashed(c, s)).toBe('');
        // A finished run moved the whole transfer over the first (only) connection.
        if (sweepFinished(s.transferMs, SWEEP_LIMIT_MS)) expect(s.bytes).toBe(SWEEP_BYTES);
      }
      // Run 1's transfer time agrees with when its server read end of file (events: ms from the
      // case start; the packets' time base is the first packet, firstPacketMs later).
      const eof = r.events.find((e) => e.sock === 's' && e.ev === 'eof');
      if (sweepFinished(r.summary!.transferMs, SWEEP_LIMIT_MS)) {
        expect(eof).toBeDefined();
        const lag = eof!.t - r.firstPacketMs! - r.summary!.transferMs;
        expect(lag).toBeGreaterThan(-1);
        expect(lag).toBeLessThan(5 + r.holdLateUs / 1000);
      }
    });

    test('the drop rates are the loss rates, roughly (both directions, all kept runs of a point)', () => {
      for (const s of stats) {
        if (s.loss === 0) expect(s.dropRate).toBe(0);
        else expect(Math.abs(s.dropRate - s.loss)).toBeLessThan(Math.max(0.3 * s.loss, 0.01));
      }
      expect(new Set(cases.map(caseLoss)).size).toBe(6);
    });
  }
}
