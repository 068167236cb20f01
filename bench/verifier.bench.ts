// bench/verifier: ns per verification of programs of 100, 1,000 and 10,000 instructions and
// of a bounded loop that processes 100,000, in bpfsim and in Linux's verifier (BPF_PROG_LOAD
// with BPF_LOG_STATS), with the ratios, taken in one run; and of a loop that runs into the
// 1,000,000 processed-instruction limit (E2BIG), with bpfsim's memory. `npm run bench:verifier`.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bench } from 'tinybench';
import type { Insn, MapDef } from '@bpfsim/isa';
import { BPF_PROG_TYPE, assemble, encode } from '@bpfsim/isa';
import { verify } from '@bpfsim/verifier';
import { XDP as XDP_TYPE, builtinHelpers } from '@bpfsim/kernel';
import { SCRIPTS, kernelUnavailable, probe } from '@bpfsim/test-support';
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
/** A loop the verifier walks until BPF_COMPLEXITY_LIMIT_INSNS: both verifiers refuse it with
 * E2BIG after 1,000,001 processed instructions (the corpus case loops/bounded-1000000-iterations-too-complex). */
const LIMIT_PROGRAM = {
  name: 'loop to the 1M-insn limit (E2BIG)',
  source: 'r1 = 0\nloop:\nr1 += 1\nif r1 < 1000000 goto loop\nr0 = 0\nexit\n',
};
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

/** Linux on a refused program (bench_verifier.py times accepted ones only): its Loader, at
 * BPF_LOG_STATS for "verification time" and at level 0 for the load's wall time. */
const LINUX_REFUSED = `
import errno, json, sys
sys.path.insert(0, sys.argv[1])
import bpfsys
from bench_verifier import Loader, PROCESSED, VERIFY_TIME
c = json.load(sys.stdin)
insns = bytes.fromhex(c["insns"])
rec = {"runs": []}
for level in (4, 0):
    loader = Loader(c["progType"], insns, level)
    wall, usec = [], []
    for k in range(c["samples"] + 1):
        fd, ns = loader.load()
        if fd >= 0:
            bpfsys.close(fd)
            rec["accepted"] = True
        else:
            rec["accepted"] = False
            rec["errno"] = errno.errorcode.get(-fd, str(-fd))
        text = loader.log_text()
        if level & 4:
            m = PROCESSED.search(text)
            if m:
                rec["insnProcessed"] = int(m.group(1))
        if k == 0:
            continue
        wall.append(ns)
        if level & 4:
            t = VERIFY_TIME.search(text)
            usec.append(int(t.group(1)) if t else None)
    rec["runs"].append({"logLevel": level, "wallNs": wall, "verifyUsec": usec, "logBytes": 0})
json.dump(rec, sys.stdout)
`;

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
  // The limit program's memory first, in a fresh heap: the process's peak RSS around one
  // verification, and the heap it leaves before collection (the states it kept).
  const limit = assemble(LIMIT_PROGRAM.source, { file: 'limit.s' });
  const verifyLimit = () => verify(limit.insns, { progType: XDP, progTypes: [XDP_TYPE], helpers: HELPERS, mapsByIdx: limit.maps, logLevel: 0 });
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const heapBefore = process.memoryUsage().heapUsed;
  const limitResult = verifyLimit();
  const heapAfter = process.memoryUsage().heapUsed;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  if (limitResult.accepted || limitResult.errno !== 'E2BIG') throw new Error(`${LIMIT_PROGRAM.name}: bpfsim says ${limitResult.accepted ? 'accepted' : limitResult.errno}, not E2BIG`);
  gc?.();

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
    const input = JSON.stringify({ progType: XDP, insns: Buffer.from(encode(limit.insns)).toString('hex'), samples: quick ? 3 : 11 });
    const r = spawnSync('python3', ['-c', LINUX_REFUSED, SCRIPTS], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`Linux timing of ${LIMIT_PROGRAM.name} failed: ${r.stderr}`);
    kernel.set(LIMIT_PROGRAM.name, { name: LIMIT_PROGRAM.name, ...(JSON.parse(r.stdout) as Omit<KernelTiming, 'name'>) });
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
  const limitNs = await bench(LIMIT_PROGRAM.name, limit.insns, limit.maps, 0);
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
  const kLimit = kernel.get(LIMIT_PROGRAM.name);
  const kLimitNs = kernelVerifyNs(LIMIT_PROGRAM.name, 0);
  const sec = (ns: number | undefined): string => (ns === undefined ? 'n/a' : (ns / 1e9).toFixed(3));
  const mb = (bytes: number): string => (bytes / 1e6).toFixed(0);
  const limitTable: Table = {
    title: `Verifier at the complexity limit: ${LIMIT_PROGRAM.name}, XDP, privileged, bpfsim at log level 0`,
    columns: ['program', 'insns', 'processed', 'Linux processed', 'bpfsim errno', 'Linux errno', 'bpfsim s', 'Linux s', 'Linux load s', 'bpfsim / Linux', 'bpfsim peak RSS MB', 'bpfsim RSS growth MB', 'bpfsim heap kept MB'],
    rows: [[
      LIMIT_PROGRAM.name,
      limit.insns.length,
      limitResult.insnProcessed,
      kLimit?.insnProcessed ?? 'n/a',
      limitResult.errno ?? '',
      kLimit ? (kLimit.accepted ? 'accepted' : kLimit.errno ?? '?') : 'n/a',
      sec(limitNs),
      sec(kLimitNs),
      sec(kernelWallNs(LIMIT_PROGRAM.name, 0)),
      ratio(limitNs, kLimitNs),
      mb(peakRss),
      mb(Math.max(0, peakRss - rssBefore)),
      mb(heapAfter - heapBefore),
    ]],
    notes: [
      why ? `Linux: not measured (${why}).` : `Linux s: the kernel's "verification time" (BPF_LOG_STATS), median of ${quick ? 3 : 11} loads; Linux load s: BPF_PROG_LOAD wall time at level 0, median.`,
      'bpfsim s: median verify() time. Memory from the first verification in the process: peak RSS of the process (Node included), its growth over that verification, and the heap still in use when verify() returned (before collection).',
    ],
  };
  print(perProgram);
  print(logCost);
  print(limitTable);
  save('verifier', [perProgram, logCost, limitTable], {
    quick,
    programs: [
      ...progs.map((p) => ({ name: p.name, insns: p.insns.length, insnProcessed: p.insnProcessed, linuxInsnProcessed: kernel.get(p.name)?.insnProcessed })),
      { name: LIMIT_PROGRAM.name, insns: limit.insns.length, insnProcessed: limitResult.insnProcessed, linuxInsnProcessed: kLimit?.insnProcessed, errno: limitResult.errno, linuxErrno: kLimit?.errno },
    ],
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
