// Records the lossy-tcp sweep's extra case (tcp-wire-sweep-cases.ts: wireSweepExtraCase, 10 MB at
// RTT 1 ms with 20% random loss each way: does Linux finish it within 10 minutes?) into
// golden/tcp-wire-sweep.json beside the sweep (under its own id, replacing an earlier recording of
// it). Two runs of up to 10 minutes each, so only with BPFSIM_SWEEP_EXTRA=1:
//   BPFSIM_SWEEP_EXTRA=1 npx jest -c jest.kernel.config.js --runInBand tcp-wire-sweep-extra
import * as fs from 'node:fs';
import { kernelUnavailable } from '@bpfsim/test-support';
import { SWEEP_EXTRA_BYTES, SWEEP_EXTRA_ID, SWEEP_EXTRA_LIMIT_MS, sweepFinished, wireSweepExtraCase } from './tcp-wire-sweep-cases';
import { SWEEP_GOLDEN, recordWire } from './tcp-wire-sweep-record';
import type { SweepGolden } from './tcp-wire-sweep-report';
import { keptRuns, sweepDropsAsHashed } from './tcp-wire-sweep-report';

const why = kernelUnavailable() ?? (process.env.BPFSIM_SWEEP_EXTRA === '1' ? null : 'BPFSIM_SWEEP_EXTRA=1 not set (two runs of up to 10 minutes)');

if (why) {
  test.skip(`not recorded: ${why}`, () => {});
} else if (!fs.existsSync(SWEEP_GOLDEN)) {
  test.skip('golden/tcp-wire-sweep.json not there yet: record the sweep first (tcp-wire-sweep.kernel.test.ts)', () => {});
} else {
  const c = wireSweepExtraCase();
  const out = recordWire([c]);
  if (out.unavailable) {
    test.skip(`wire traces cannot be recorded here: ${out.unavailable}`, () => {});
  } else {
    const r = out.results[0]!;
    const golden = JSON.parse(fs.readFileSync(SWEEP_GOLDEN, 'utf8')) as SweepGolden;
    const keep = golden.cases.map((x, i) => i).filter((i) => golden.cases[i]!.id !== SWEEP_EXTRA_ID);
    golden.cases = [...keep.map((i) => golden.cases[i]!), c];
    golden.results = [...keep.map((i) => golden.results[i]!), { ...r, id: SWEEP_EXTRA_ID }];
    golden.extraWallSeconds = out.wallSeconds;
    golden.extraKernel = out.kernel;
    fs.writeFileSync(SWEEP_GOLDEN, JSON.stringify(golden) + '\n');
    const said = keptRuns(r).map((s, k) =>
      `run ${k + 1}: ${sweepFinished(s.transferMs, SWEEP_EXTRA_LIMIT_MS) ? `finished in ${(s.transferMs / 1000).toFixed(1)} s` : `not finished in ${SWEEP_EXTRA_LIMIT_MS / 1000} s (${s.bytes} bytes sent)`}, ${s.packets.c2s}/${s.packets.s2c} packets, ${s.dropped.c2s}/${s.dropped.s2c} dropped, ${s.retransmits} retransmits`,
    );
    console.log(`${SWEEP_EXTRA_ID} on Linux ${out.kernel}, ${out.wallSeconds} s:\n  ${said.join('\n  ')}`);

    test('recorded whole and real-time, the drops as hashed', () => {
      expect(r.recorderErrors).toBe(0);
      expect(r.realtime).toBe(true);
      for (const s of keptRuns(r)) {
        expect(sweepDropsAsHashed(c, s)).toBe('');
        if (sweepFinished(s.transferMs, SWEEP_EXTRA_LIMIT_MS)) expect(s.bytes).toBe(SWEEP_EXTRA_BYTES);
      }
    });
  }
}
