// The verifier log, level 2, of every program of every example object: bpfsim's loader and
// verifier against Linux 6.18 and libbpf 1.1 (golden/kernel-logs.json, recorded by
// scripts/kernel/probe_object_logs.py). The same instructions (subprograms appended, map
// fds and CO-RE offsets patched), the same line info (`; <source> @ file.c:N`), the same
// states, precision backtracking and counts.
//
// Two things are normalised: the map addresses ld_imm64 shows (kernel pointers), and the
// stack-liveness lines Linux 6.18 prints at level 2 (`(0) frame 0 insn 14 +live -8`,
// `(0) live stack update done in 2 iterations`, from kernel/bpf/liveness.c), which bpfsim
// does not model. Programs whose logs still differ would be listed in KNOWN with the reason;
// none do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import { ProgramLoadError, openObject } from '../src';
import golden from './golden/kernel-logs.json';

const progs = path.resolve(__dirname, '../../../scenarios/progs');

/** Where bpfsim's log is known to differ from Linux's, and why. */
const KNOWN: Record<string, string> = {};

const normalise = (log: string): string =>
  log
    .replace(/(\(18\) r\d+ = )0x[0-9a-f]+/g, '$1<map>')
    .split('\n')
    .filter((l) => !/^\(\d+\) (frame \d+ insn \d+ |live stack update done)/.test(l))
    .join('\n')
    .trimEnd();

function ours(object: string, program: string): { ok: boolean; log: string } {
  const obj = openObject(fs.readFileSync(path.join(progs, `${object}.bpf.o`)), { file: `scenarios/progs/${object}.bpf.o` });
  for (const p of obj.programs) p.autoload = p.name === program;
  const k = new Kernel();
  installSockmap(k);
  try {
    obj.load(new BpfClient(k, k.spawn({ comm: 'log-test' })), { logLevel: 2 });
    return { ok: true, log: obj.program(program).log };
  } catch (e) {
    if (!(e instanceof ProgramLoadError)) throw e;
    return { ok: false, log: e.log };
  }
}

const cases = Object.entries(golden.objects as Record<string, Record<string, { ok: boolean; log: string }>>).flatMap(([o, ps]) => Object.entries(ps).map(([p, rec]) => [`${o}/${p}`, rec] as const));

test('the recording covers the example objects libbpf can open', () => {
  expect(cases.length).toBeGreaterThanOrEqual(30);
});

describe.each(cases)('%s', (key, rec) => {
  const [object, program] = key.split('/') as [string, string];
  if (KNOWN[key]) {
    test(`differs for a known reason (${KNOWN[key]}); the verdict agrees where the type is modelled`, () => {
      const r = ours(object, program);
      if (!KNOWN[key]!.includes('not modelled')) expect(r.ok).toBe(rec.ok);
      expect(normalise(r.log)).not.toBe(normalise(rec.log));
    });
    return;
  }
  test('the level-2 log is the kernel\'s, line for line', () => {
    const r = ours(object, program);
    expect(r.ok).toBe(rec.ok);
    const a = normalise(rec.log).split('\n');
    const b = normalise(r.log).split('\n');
    const i = a.findIndex((l, n) => l !== b[n]);
    if (i >= 0 || a.length !== b.length) throw new Error(`first difference at line ${i + 1}:\n  linux : ${a[i]}\n  bpfsim: ${b[i]}`);
  });
});
