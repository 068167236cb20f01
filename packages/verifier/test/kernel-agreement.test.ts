// bpfsim's verifier against what the live Linux kernel said about every corpus case
// (packages/selfcheck/data/kernel-verifier.json, recorded by `npm run test:kernel`): the verdict, the errno
// the error sentence (the log's last line before "processed N insns") and the number of
// instructions processed (the kernel's insn_processed, which pruning decides) must all match.
//
// KNOWN_DEVIATIONS lists the cases where bpfsim does not match yet, each with the reason;
// the test fails if one of them starts matching (then remove it from the list), so the list
// never hides a fixed case or a new regression.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { BPF_PROG_TYPE, decode, parseHexBytes } from '@bpfsim/isa';
import type { VerifyResult } from '../src';
import { verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';
import type { VerifierGolden, VerifierGoldenCase } from '@bpfsim/selfcheck';
import { errorLine } from '@bpfsim/selfcheck';

const golden = JSON.parse(fs.readFileSync(dataFile('kernel-verifier.json'), 'utf8')) as VerifierGolden;

const KNOWN_DEVIATIONS: Record<string, string> = {};


const results = new Map<string, VerifyResult>();

/** Each case is verified once; the tests below share the result. */
function run(c: VerifierGoldenCase): VerifyResult {
  const cached = results.get(c.id);
  if (cached) return cached;
  const once = (logLevel: 0 | 1): VerifyResult =>
    verify(decode(parseHexBytes(c.insns, c.id), { validate: false }), {
      progType: c.progType === 'xdp' ? BPF_PROG_TYPE.BPF_PROG_TYPE_XDP : BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
      progTypes: PROG_TYPES, helpers: HELPERS,
      expectedAttachType: c.attachType,
      mapsByIdx: c.maps,
      license: c.license ?? 'GPL',
      logLevel,
    });
  // The error line needs the log; a verdict does not (and a 1M-instruction log is big).
  let r = once(0);
  if (!r.accepted && r.errno !== 'E2BIG') r = once(1);
  else if (!r.accepted && r.insnProcessed > 0) r = { ...r, log: `${r.error}\nprocessed ${r.insnProcessed} insns (limit 1000000)\n` };
  results.set(c.id, r);
  return r;
}

/** What the kernel said, in the shape compared. */
function kernelView(c: VerifierGoldenCase): Record<string, unknown> {
  const k = c.kernel;
  const base = { insnProcessed: k.insnProcessed };
  return k.accepted ? { accepted: true, ...base } : { accepted: false, errno: k.errno, error: (k.error ?? '').replace(/processed \d+ insns \(limit.*$/, ''), ...base };
}

function bpfsimView(r: VerifyResult): Record<string, unknown> {
  // A load refused before the verifier runs leaves no log at all, as in the kernel.
  const base = { insnProcessed: r.insnProcessed };
  return r.accepted ? { accepted: true, ...base } : { accepted: false, errno: r.errno, error: r.log ? errorLine(r.log) : '', ...base };
}

const cases = golden.cases.filter((c) => !(c.id in KNOWN_DEVIATIONS));

describe('bpfsim agrees with the kernel on every corpus case', () => {
  test.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(bpfsimView(run(c))).toEqual(kernelView(c));
  });
});

describe('known deviations still deviate (remove them from the list when fixed)', () => {
  const listed = golden.cases.filter((c) => c.id in KNOWN_DEVIATIONS);
  test('every listed case exists', () => {
    expect(listed.map((c) => c.id).sort()).toEqual(Object.keys(KNOWN_DEVIATIONS).sort());
  });
  for (const c of listed) {
    test(c.id, () => {
      expect(bpfsimView(run(c))).not.toEqual(kernelView(c));
    });
  }
});
