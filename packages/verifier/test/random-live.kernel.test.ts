// `npm run test:kernel` (2,000 programs) and `npm run fuzz -- verifier-live [RUNS] [SEED]`
// (as many as asked, from a fresh seed): random programs from both generators loaded into
// the live kernel and verified by bpfsim, side by side; every verdict must agree. Unlike
// random.kernel.test.ts this records nothing: it is the differential itself, on seeds the
// recorded slice does not cover.
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import { verify } from '../src';
import type { ProbeResult } from '@bpfsim/selfcheck';
import { PROG_TYPES, HELPERS } from './prog-types';
import { insnsHex, randomPrograms } from '@bpfsim/selfcheck';

const why = kernelUnavailable();
const RUNS = Number(process.env.BPFSIM_LIVE_RUNS ?? 2000);
const SEED = Number(process.env.BPFSIM_LIVE_SEED ?? 1_000_000);

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  test(`bpfsim and the kernel agree on ${RUNS} random programs and ${Math.ceil(RUNS / 4)} template programs from seed ${SEED}`, () => {
    const progs = randomPrograms(SEED, RUNS, Math.ceil(RUNS / 4));
    const results = probe<ProbeResult[]>(
      'probe_verifier.py',
      progs.map((p) => ({
        id: p.id,
        progType: p.progType === 'xdp' ? 6 : 1,
        expectedAttachType: 0,
        insns: insnsHex(p),
        maps: p.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0 })),
      })),
    );
    const byId = new Map(results.map((r) => [r.id, r]));
    const differ: string[] = [];
    for (const p of progs) {
      const k = byId.get(p.id);
      if (!k || k.setupError !== undefined) continue;
      const r = verify(p.insns, { progType: p.progType === 'xdp' ? 6 : 1, mapsByIdx: p.maps, privileged: true, progTypes: PROG_TYPES, helpers: HELPERS });
      if (r.accepted !== k.accepted) differ.push(`${p.id}: kernel ${k.accepted ? 'accepts' : `refuses (${k.error})`}, bpfsim ${r.accepted ? 'accepts' : `refuses (${r.error})`}`);
    }
    expect(differ).toEqual([]);
  });
}
