// The verifier suites of selfcheck: the corpus (data/kernel-verifier.json: 1,300-odd cases,
// each a rule of the kernel's verifier) and random programs from the soundness generator
// and the templates (random.ts), verified by bpfsim and — live — loaded into the host's
// kernel with BPF_PROG_LOAD (scripts/kernel/probe_verifier.py, as root), or compared with
// the verdicts recorded on the reference machine when the kernel cannot be asked.
import type { Insn } from '@bpfsim/isa';
import { BPF_PROG_TYPE, decode, encode, parseHexBytes, uapiShortName } from '@bpfsim/isa';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { MapInfo } from '@bpfsim/verifier';
import { verify } from '@bpfsim/verifier';
import { readCorpus, readRandomSlice } from './data';
import { errorLine } from './error-line';
import type { ProbeResult } from './golden';
import { ctxProgramTypes, generateCtxProgram } from './gen/ctx-programs';
import { minimize } from './minimize';
import { digest, randomPrograms } from './random';
import { verifierTables } from './tables';

/** A program to verify on both sides. */
export interface CheckProgram {
  id: string;
  /** enum bpf_prog_type */
  progType: number;
  /** expected_attach_type */
  attachType: number;
  insns: readonly Insn[];
  maps: readonly MapInfo[];
  license?: string;
}

/** One side's verdict: accepted, or refused with the errno and the log's error sentence. */
export interface Verdict {
  accepted: boolean;
  errno?: string;
  error?: string;
}

/** How the two verdicts compare. */
export type Agreement = 'agree' | 'message' | 'bpfsim-accepts' | 'bpfsim-refuses';

/** One row of the table: a suite (and program type). */
export interface SuiteRow {
  suite: string;
  programs: number;
  agree: number;
  /** Same verdict, another errno or error sentence. */
  message: number;
  /** bpfsim accepts, the kernel refuses (unsound). */
  bpfsimAccepts: number;
  /** bpfsim refuses, the kernel accepts (too strict). */
  bpfsimRefuses: number;
  /** Not compared: a map of the program could not be created on the host, or the program
   * changed since the recording (a generator change). */
  skipped: number;
}

export interface Disagreement {
  suite: string;
  kind: Exclude<Agreement, 'agree'>;
  program: CheckProgram;
  kernel: Verdict;
  bpfsim: Verdict;
  /** The smallest program found with the same kind of disagreement (live, verdicts only). */
  minimized?: { program: CheckProgram; kernel: Verdict; bpfsim: Verdict };
}

export interface VerifierCheckOptions {
  /** Ask the host's kernel (root and bpf() needed); otherwise compare with the recordings. */
  live: boolean;
  /** Random programs from the generator (and a quarter as many from the templates, and a
   * tenth as many for each other program type, spread over its attach types), live only. */
  random: number;
  seed: number;
  /** Minimize each verdict disagreement (live only). Default true. */
  minimize?: boolean;
  /** Called as programs are done. */
  progress?: (done: number, total: number, what: string) => void;
}

export interface VerifierCheck {
  rows: SuiteRow[];
  disagreements: Disagreement[];
}

/** Why the host's kernel cannot be asked, or undefined when it can. */
export const liveUnavailable = (): string | undefined => kernelUnavailable();

const typeName = (t: number): string => uapiShortName(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', t) ?? `type ${t}`;

/** bpfsim's verdict (privileged, as root loads), with the error sentence as the probe reports it. */
export function bpfsimVerdict(p: CheckProgram): Verdict {
  const options = { ...verifierTables(), progType: p.progType, expectedAttachType: p.attachType, mapsByIdx: p.maps, license: p.license ?? 'GPL', privileged: true };
  let r = verify(p.insns, { ...options, logLevel: 0 });
  if (r.accepted) return { accepted: true };
  // The sentence needs the log; a 1M-instruction log is big, and E2BIG's sentence is fixed.
  if (r.errno !== 'E2BIG') r = verify(p.insns, { ...options, logLevel: 1 });
  return { accepted: false, ...(r.errno ? { errno: r.errno } : {}), error: r.errno === 'E2BIG' ? (r.error ?? '') : r.log ? errorLine(r.log) : '' };
}

/** The kernel's verdicts, by program id (undefined: the program could not be set up). */
export function kernelVerdicts(progs: readonly CheckProgram[]): Map<string, Verdict | undefined> {
  const hex = (insns: readonly Insn[]): string => Buffer.from(encode(insns)).toString('hex');
  const results = probe<ProbeResult[]>(
    'probe_verifier.py',
    progs.map((p) => ({ id: p.id, progType: p.progType, expectedAttachType: p.attachType, insns: hex(p.insns), maps: p.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags ?? 0 })), license: p.license ?? 'GPL' })),
  );
  const out = new Map<string, Verdict | undefined>();
  for (const r of results) out.set(r.id, r.setupError !== undefined ? undefined : r.accepted ? { accepted: true } : { accepted: false, ...(r.errno ? { errno: r.errno } : {}), error: cleanError(r.error ?? '') });
  return out;
}

/** A few kernel messages lack their newline: the "processed N insns" that follows goes. */
const cleanError = (e: string): string => e.replace(/processed \d+ insns \(limit.*$/, '');

export function compareVerdicts(kernel: Verdict, bpfsim: Verdict): Agreement {
  if (kernel.accepted !== bpfsim.accepted) return bpfsim.accepted ? 'bpfsim-accepts' : 'bpfsim-refuses';
  if (kernel.accepted) return 'agree';
  return kernel.errno === bpfsim.errno && kernel.error === bpfsim.error ? 'agree' : 'message';
}

const newRow = (suite: string): SuiteRow => ({ suite, programs: 0, agree: 0, message: 0, bpfsimAccepts: 0, bpfsimRefuses: 0, skipped: 0 });

function count(row: SuiteRow, a: Agreement | 'skipped'): void {
  row.programs++;
  if (a === 'agree') row.agree++;
  else if (a === 'message') row.message++;
  else if (a === 'bpfsim-accepts') row.bpfsimAccepts++;
  else if (a === 'bpfsim-refuses') row.bpfsimRefuses++;
  else row.skipped++;
}

/** The corpus cases as programs, with the verdicts recorded for them. */
function corpusPrograms(): { program: CheckProgram; recorded: Verdict }[] {
  return readCorpus().cases.map((c) => ({
    program: {
      id: c.id,
      progType: c.progType === 'xdp' ? BPF_PROG_TYPE.BPF_PROG_TYPE_XDP : BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
      attachType: c.attachType,
      insns: decode(parseHexBytes(c.insns, c.id), { validate: false }),
      maps: c.maps,
      ...(c.license ? { license: c.license } : {}),
    },
    recorded: c.kernel.accepted ? { accepted: true } : { accepted: false, ...(c.kernel.errno ? { errno: c.kernel.errno } : {}), error: cleanError(c.kernel.error ?? '') },
  }));
}

/** The live kernel's verdicts in chunks (so progress moves), as one map. */
function askKernel(progs: readonly CheckProgram[], report: (n: number) => void): Map<string, Verdict | undefined> {
  const out = new Map<string, Verdict | undefined>();
  const CHUNK = 400;
  for (let i = 0; i < progs.length; i += CHUNK) {
    for (const [id, v] of kernelVerdicts(progs.slice(i, i + CHUNK))) out.set(id, v);
    report(Math.min(progs.length, i + CHUNK));
  }
  return out;
}

/** Runs the verifier suites: the corpus, then the random programs. */
export function checkVerifier(options: VerifierCheckOptions): VerifierCheck {
  const rows: SuiteRow[] = [];
  const disagreements: Disagreement[] = [];
  const progress = options.progress ?? (() => {});

  // ---- the corpus ----
  const corpus = corpusPrograms();
  const row = newRow('verifier corpus');
  rows.push(row);
  const live = options.live ? askKernel(corpus.map((c) => c.program), (n) => progress(n, corpus.length, 'corpus: kernel')) : undefined;
  corpus.forEach(({ program, recorded }, i) => {
    const kernel = live ? live.get(program.id) : recorded;
    if (!kernel) return count(row, 'skipped');
    const bpfsim = bpfsimVerdict(program);
    const a = compareVerdicts(kernel, bpfsim);
    count(row, a);
    if (a !== 'agree') disagreements.push({ suite: row.suite, kind: a, program, kernel, bpfsim });
    if (i % 50 === 0) progress(i, corpus.length, 'corpus: bpfsim');
  });

  // ---- random programs ----
  let randoms: { program: CheckProgram; recorded?: Verdict; stale?: boolean }[];
  if (options.live) {
    randoms = randomPrograms(options.seed, options.random, Math.ceil(options.random / 4)).map((p) => ({ program: { id: p.id, progType: p.progType === 'xdp' ? 6 : 1, attachType: 0, insns: p.insns, maps: p.maps } }));
  } else {
    // The recorded slice: its programs regenerate from their seeds; a digest that no longer
    // matches means the generator changed since the recording, and the program is skipped.
    const slice = readRandomSlice();
    const recorded = new Map(slice.programs.map((v) => [v.id, v]));
    randoms = randomPrograms(slice.first, slice.count, slice.templates).map((p) => {
      const v = recorded.get(p.id);
      const program = { id: p.id, progType: p.progType === 'xdp' ? 6 : 1, attachType: 0, insns: p.insns, maps: p.maps };
      if (!v || v.digest !== digest(p)) return { program, stale: true };
      return { program, recorded: v.accepted ? { accepted: true } : { accepted: false, ...(v.errno ? { errno: v.errno } : {}), error: cleanError(v.error ?? '') } };
    });
  }
  const byType = new Map<number, SuiteRow>();
  const rowOf = (t: number): SuiteRow => {
    let r = byType.get(t);
    if (!r) byType.set(t, (r = newRow(`verifier random (${typeName(t)})`)));
    return r;
  };
  for (const t of [BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE.BPF_PROG_TYPE_XDP]) rows.push(rowOf(t));
  if (options.live) {
    // Every other program type, across its attach types: ctx access, helpers, return codes.
    const { progTypes, helpers } = verifierTables();
    const perType = Math.ceil(options.random / 10);
    const ids = helpers.map((h) => h.id);
    for (const { desc, attachTypes } of ctxProgramTypes(progTypes)) {
      for (let i = 0; i < perType; i++) {
        const attachType = attachTypes[i % attachTypes.length]!;
        const p = generateCtxProgram(desc, attachType, options.seed + i, ids);
        randoms.push({ program: { ...p, maps: [] } });
      }
    }
  }
  const kernelRandom = options.live ? askKernel(randoms.map((r) => r.program), (n) => progress(n, randoms.length, 'random: kernel')) : undefined;
  randoms.forEach(({ program, recorded, stale }, i) => {
    const r = rowOf(program.progType);
    const kernel = kernelRandom ? kernelRandom.get(program.id) : stale ? undefined : recorded;
    if (!kernel) return count(r, 'skipped');
    const bpfsim = bpfsimVerdict(program);
    const a = compareVerdicts(kernel, bpfsim);
    count(r, a);
    if (a !== 'agree') disagreements.push({ suite: r.suite, kind: a, program, kernel, bpfsim });
    if (i % 100 === 0) progress(i, randoms.length, 'random: bpfsim');
  });

  for (const r of byType.values()) if (!rows.includes(r)) rows.push(r);

  // ---- minimize the verdict disagreements (live) ----
  if (options.live && options.minimize !== false) {
    const verdictOnes = disagreements.filter((d) => d.kind === 'bpfsim-accepts' || d.kind === 'bpfsim-refuses');
    verdictOnes.forEach((d, i) => {
      progress(i, verdictOnes.length, 'minimizing');
      d.minimized = minimizeDisagreement(d);
    });
  }
  return { rows, disagreements };
}

/** The smallest program found that bpfsim and the live kernel still part on the same way. */
export function minimizeDisagreement(d: Disagreement): Disagreement['minimized'] {
  let n = 0;
  const programOf = (insns: readonly Insn[]): CheckProgram => ({ ...d.program, id: `${d.program.id}~${n++}`, insns });
  const insns = minimize(d.program.insns, (cands) => {
    const progs = cands.map(programOf);
    const k = kernelVerdicts(progs);
    return progs.map((p) => {
      const kv = k.get(p.id);
      return kv !== undefined && compareVerdicts(kv, bpfsimVerdict(p)) === d.kind;
    });
  });
  const program = { ...d.program, id: `${d.program.id} (minimized)`, insns };
  const kernel = kernelVerdicts([program]).get(program.id);
  if (!kernel) return undefined;
  return { program, kernel, bpfsim: bpfsimVerdict(program) };
}
