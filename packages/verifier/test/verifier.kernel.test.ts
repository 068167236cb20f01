// Records what Linux's verifier says about every corpus case (npm run test:kernel): each
// case is assembled, loaded with BPF_PROG_LOAD by scripts/kernel/probe_verifier.py, and the
// verdict written to packages/selfcheck/data/kernel-verifier.json, which `npm test` checks bpfsim against.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import { ALL_CASES, PROG_TYPE_NUMBER, compileCase } from './corpus';
import type { KernelVerdict, ProbeResult, VerifierGolden, VerifierGoldenCase } from '@bpfsim/selfcheck';

const why = kernelUnavailable();
const GOLDEN = dataFile('kernel-verifier.json');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  const compiled = ALL_CASES.map((c) => ({ c, k: compileCase(c) }));
  const input = compiled.map(({ c, k }) => ({
    id: c.id,
    progType: PROG_TYPE_NUMBER[c.progType],
    expectedAttachType: c.attachType ?? 0,
    insns: k.insns,
    maps: k.maps,
    license: c.license ?? 'GPL',
  }));
  const results = probe<ProbeResult[]>('probe_verifier.py', input);
  const byId = new Map(results.map((r) => [r.id, r]));

  const cases: VerifierGoldenCase[] = compiled.map(({ c, k }) => {
    const r = byId.get(c.id);
    const kernel: KernelVerdict = { accepted: r?.accepted ?? false, insnProcessed: r?.insnProcessed ?? 0 };
    if (r && !r.accepted) {
      if (r.errno !== undefined) kernel.errno = r.errno;
      if (r.error !== undefined) kernel.error = r.error;
    }
    const g: VerifierGoldenCase = {
      id: c.id,
      category: c.category,
      progType: c.progType,
      attachType: c.attachType ?? 0,
      asm: c.asm,
      insns: k.insns,
      maps: k.maps,
      kernel,
    };
    if (c.license !== undefined) g.license = c.license;
    return g;
  });
  const golden: VerifierGolden = { recordedBy: 'scripts/kernel/probe_verifier.py', kernel: os.release(), cases };
  fs.mkdirSync(path.dirname(GOLDEN), { recursive: true });
  // One case a line: small, and a re-recording diffs case by case.
  const text = `{\n "recordedBy": ${JSON.stringify(golden.recordedBy)},\n "kernel": ${JSON.stringify(golden.kernel)},\n "cases": [\n${cases.map((g) => `  ${JSON.stringify(g)}`).join(',\n')}\n ]\n}\n`;
  fs.writeFileSync(GOLDEN, text);

  test('the kernel gave a verdict on every case', () => {
    const missing = ALL_CASES.filter((c) => !byId.has(c.id)).map((c) => c.id);
    expect(missing).toEqual([]);
    const setup = results.filter((r) => r.setupError !== undefined).map((r) => `${r.id}: ${r.setupError}`);
    expect(setup).toEqual([]);
    const noErrno = results.filter((r) => !r.accepted && !r.errno).map((r) => r.id);
    expect(noErrno).toEqual([]);
  });
}
