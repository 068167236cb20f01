// bench/verifier: ns per verification of programs of 100, 1,000 and 10,000 instructions and
// of a bounded loop that processes 100,000, in bpfsim and in Linux's verifier (BPF_PROG_LOAD
// with BPF_LOG_STATS), with the ratios, taken in one run. `npm run bench:verifier`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bench } from 'tinybench';
import type { Insn, MapDef } from '@bpfsim/isa';
import { BPF_PROG_TYPE, assemble, encode } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import { XDP as XDP_TYPE, builtinHelpers } from '@bpfsim/kernel';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { Table } from './lib/report';
import { print, save } from './lib/report';
import { synthXdp } from './lib/synth-xdp';

const HELPERS = builtinHelpers();

const quick = process.argv.includes('--quick');
const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
/** The program whose log-level cost is measured. */
const LOG_PROGRAM = 'XDP parser, 1,000 insns';
const PROGRAMS: { name: string; source: () => string }[] = [
  { name: 'XDP parser, 100 insns', source: () => synthXdp(100, 100) },
  { name: LOG_PROGRAM, source: () => synthXdp(1000, 1000) },
  { name: 'XDP parser, 10,000 insns', source: () => synthXdp(10000, 10000) },
  { name: 'bounded loop, 50,000 iterations', source: () => fs.readFileSync(path.join(__dirname, 'programs', 'loop50k.s'), 'utf8') },
];
const LEVELS = [0, 1, 2] as const;
/** BPF_LOG_STATS: Linux prints "verification time N usec" (print_verification_stats()). */
const BPF_LOG_STATS = 4;

interface KernelRun {
  logLevel: number;
  wallNs: number[];
  verifyUsec: (number | null)[];
  logBytes: number;
}
interface KernelTiming {
  name: string;
  accepted?: boolean;
  insnProcessed?: number;
  errno?: string;
  error?: string;
  runs?: KernelRun[];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Verifies once and refuses to time a program the verifier rejects. */
function mustAccept(name: string, insns: Insn[], maps: MapDef[], logLevel: 0 | 1 | 2): { insnProcessed: number; logBytes: number } {
  const r = verify(insns, { progType: XDP, progTypes: [XDP_TYPE], helpers: HELPERS, mapsByIdx: maps, logLevel });
  if (!r.accepted) {
    throw new Error(`${name}: bpfsim rejects it (${r.errno}: ${r.error}); a rejected program has no verification time to measure\n${r.log.split('\n').slice(-12).join('\n')}`);
  }
  return { insnProcessed: r.insnProcessed, logBytes: Buffer.byteLength(r.log) };
}

async function main(): Promise<void> {
  const progs = PROGRAMS.map((p) => {
    const a = assemble(p.source(), { file: `${p.name}.s` });
    return { ...p, insns: a.insns, maps: a.maps, ...mustAccept(p.name, a.insns, a.maps, 0) };
  });

  // Linux first, so the simulation's numbers are not taken while the kernel runs.
  const why = kernelUnavailable();
  const kernel = new Map<string, KernelTiming>();
  if (!why) {
    const cases = progs.map((p) => ({
      name: p.name,
      progType: XDP,
      insns: Buffer.from(encode(p.insns)).toString('hex'),
      maps: p.maps,
      samples: quick ? 5 : 41,
      logLevels: p.name === LOG_PROGRAM ? [0, ...LEVELS.map((l) => l | BPF_LOG_STATS)] : [0, BPF_LOG_STATS],
    }));
    for (const t of probe<KernelTiming[]>('bench_verifier.py', cases)) kernel.set(t.name, t);
  }
  const kernelRun = (name: string, level: number): KernelRun | undefined => kernel.get(name)?.runs?.find((r) => r.logLevel === level);
  const kernelVerifyNs = (name: string, level: number): number | undefined => {
    const us = kernelRun(name, level | BPF_LOG_STATS)?.verifyUsec.filter((u): u is number => u !== null);
    return us?.length ? median(us) * 1000 : undefined;
  };
  const kernelWallNs = (name: string, level: number): number | undefined => {
    const r = kernelRun(name, level);
    return r?.wallNs.length ? median(r.wallNs) : undefined;
  };

  // bpfsim: ns per verify() call, median over the samples.
  const perProg = new Map<string, number>();
  const bench = async (name: string, insns: Insn[], maps: MapDef[], logLevel: 0 | 1 | 2): Promise<number> => {
    const b = new Bench({ time: quick ? 300 : 3000, iterations: quick ? 3 : 10, warmupTime: quick ? 100 : 500, warmupIterations: 2 });
    b.add(name, () => {
      verify(insns, { progType: XDP, progTypes: [XDP_TYPE], helpers: HELPERS, mapsByIdx: maps, logLevel });
    });
    await b.run();
    return (b.tasks[0]!.result as { latency: { p50: number } }).latency.p50 * 1e6;
  };
  for (const p of progs) perProg.set(p.name, await bench(p.name, p.insns, p.maps, 0));
  const logProg = progs.find((p) => p.name === LOG_PROGRAM)!;
  const perLevel = new Map<number, { ns: number; logBytes: number }>();
  for (const level of LEVELS) {
    const { logBytes } = mustAccept(logProg.name, logProg.insns, logProg.maps, level);
    // Level 0 again, next to the others, so the ratios compare neighbouring measurements.
    perLevel.set(level, { ns: await bench(logProg.name, logProg.insns, logProg.maps, level), logBytes });
  }

  const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const linuxMissing = (name: string): string => {
    const k = kernel.get(name);
    return k && k.accepted === false ? `rejected (${k.errno})` : 'n/a';
  };

  const rows = progs.map((p) => {
    const sim = perProg.get(p.name)!;
    const k = kernel.get(p.name);
    const linux = kernelVerifyNs(p.name, 0);
    const kProcessed = k?.accepted ? k.insnProcessed : undefined;
    return [
      p.name,
      p.insns.length,
      p.insnProcessed,
      kProcessed ?? linuxMissing(p.name),
      fmt(sim),
      fmt(sim / p.insnProcessed),
      linux !== undefined ? fmt(linux) : linuxMissing(p.name),
      linux !== undefined && kProcessed ? fmt(linux / kProcessed) : 'n/a',
      fmt(kernelWallNs(p.name, 0)),
      ratio(sim, linux),
      linux !== undefined && kProcessed ? ratio(sim / p.insnProcessed, linux / kProcessed) : 'n/a',
    ];
  });
  const mismatched = progs.filter((p) => kernel.get(p.name)?.accepted && kernel.get(p.name)!.insnProcessed !== p.insnProcessed).map((p) => p.name);
  const perProgram: Table = {
    title: 'Verifier: ns per verification (median), XDP, privileged, bpfsim at log level 0',
    columns: ['program', 'insns', 'processed', 'Linux processed', 'bpfsim ns', 'bpfsim ns/insn', 'Linux ns', 'Linux ns/insn', 'Linux load ns', 'bpfsim / Linux', 'per insn'],
    rows,
    notes: [
      why
        ? `Linux: not measured (${why}).`
        : 'Linux ns: the kernel\'s "verification time N usec" (BPF_LOG_STATS; bpf_check() without the JIT, whole microseconds), median of the loads. Linux load ns: wall time of BPF_PROG_LOAD at log level 0 (verifier, JIT, syscall), median.',
      'ns/insn: per processed instruction (insn_processed, each verifier its own count). "per insn": the ratio of the two ns/insn columns.',
      'The programs are generated (bench/lib/synth-xdp.ts, fixed seeds): bounds-checked packet loads, IHL-relative loads, spills and fills, scalar ALU, array and hash lookups with NULL checks, if/else diamonds.',
      ...(mismatched.length ? [`insn_processed differs from Linux on: ${mismatched.join(', ')}: bpfsim prunes differently there; compare the ns/insn columns.`] : []),
    ],
  };

  const base = perLevel.get(0)!;
  const kBase = kernelVerifyNs(LOG_PROGRAM, 0);
  const logRows = LEVELS.map((level) => {
    const s = perLevel.get(level)!;
    const k = kernelVerifyNs(LOG_PROGRAM, level);
    return [
      level,
      fmt(s.ns),
      ratio(s.ns, base.ns),
      s.logBytes,
      k !== undefined ? fmt(k) : linuxMissing(LOG_PROGRAM),
      ratio(k, kBase),
      kernelRun(LOG_PROGRAM, level | BPF_LOG_STATS)?.logBytes ?? 'n/a',
      fmt(kernelWallNs(LOG_PROGRAM, level | BPF_LOG_STATS)),
      ratio(s.ns, k),
    ];
  });
  const logCost: Table = {
    title: `Verifier log cost: ${LOG_PROGRAM}, ns per verification (median) by log level`,
    columns: ['log level', 'bpfsim ns', 'vs level 0', 'bpfsim log bytes', 'Linux ns', 'vs level 0', 'Linux log bytes', 'Linux load ns', 'bpfsim / Linux'],
    rows: logRows,
    notes: [
      why ? `Linux: not measured (${why}).` : 'Linux: loaded at level | BPF_LOG_STATS (level 0 row: BPF_LOG_STATS alone) to read its verification time; its log bytes include the stats lines. Linux load ns: BPF_PROG_LOAD wall time at that level.',
    ],
  };
  print(perProgram);
  print(logCost);
  save('verifier', [perProgram, logCost], {
    quick,
    programs: progs.map((p) => ({ name: p.name, insns: p.insns.length, insnProcessed: p.insnProcessed, linuxInsnProcessed: kernel.get(p.name)?.insnProcessed })),
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
