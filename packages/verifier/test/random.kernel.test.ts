// `npm run test:kernel`: loads the random-program slice (@bpfsim/selfcheck: random.ts) into the live
// kernel with scripts/kernel/probe_verifier.py and records each verdict in
// packages/selfcheck/data/kernel-random.json, which random-golden.test.ts replays in `npm test`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { ProbeResult } from '@bpfsim/selfcheck';
import type { RandomGolden } from '@bpfsim/selfcheck';
import { RANDOM_COUNT, RANDOM_FIRST, TEMPLATE_COUNT, digest, insnsHex, randomPrograms } from '@bpfsim/selfcheck';

const why = kernelUnavailable();
const GOLDEN = dataFile('kernel-random.json');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  test('the kernel gave a verdict on every random program', () => {
    const progs = randomPrograms();
    const input = progs.map((p) => ({
      id: p.id,
      progType: p.progType === 'xdp' ? 6 : 1,
      expectedAttachType: 0,
      insns: insnsHex(p),
      maps: p.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0 })),
    }));
    const results = probe<ProbeResult[]>('probe_verifier.py', input);
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(results.filter((r) => r.setupError !== undefined)).toEqual([]);
    const golden: RandomGolden = {
      recordedBy: 'scripts/kernel/probe_verifier.py',
      kernel: os.release(),
      first: RANDOM_FIRST,
      count: RANDOM_COUNT,
      templates: TEMPLATE_COUNT,
      programs: progs.map((p) => {
        const r = byId.get(p.id)!;
        return { id: p.id, digest: digest(p), accepted: r.accepted, ...(r.accepted ? {} : { errno: r.errno, error: r.error }) };
      }),
    };
    fs.writeFileSync(GOLDEN, `{\n "recordedBy": ${JSON.stringify(golden.recordedBy)},\n "kernel": ${JSON.stringify(golden.kernel)},\n "first": ${golden.first},\n "count": ${golden.count},\n "templates": ${golden.templates},\n "programs": [\n${golden.programs.map((g) => `  ${JSON.stringify(g)}`).join(',\n')}\n ]\n}\n`);
  });
}
