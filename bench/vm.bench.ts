// bench/vm: ns per run of the interpreter, the JIT and Linux's JIT (BPF_PROG_TEST_RUN) on
// the same bytecode and packet, with the ratios, taken in one run. `npm run bench:vm`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Bench } from 'tinybench';
import { assemble, encode } from '@bpfsim/isa';
import type { EngineName, Helper } from '@bpfsim/vm';
import { TestRunSession, VmProgram } from '@bpfsim/vm';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { Table } from './lib/report';
import { print, save } from './lib/report';

const quick = process.argv.includes('--quick');
const PROGRAMS: { name: string; file: string; alu: boolean }[] = [
  { name: 'FNV-1a-64 over 1 KiB', file: 'fnv1a64.s', alu: true },
  { name: 'xorshift64* x1000', file: 'xorshift64star.s', alu: true },
  { name: '32-bit checksum of 1 KiB', file: 'csum32.s', alu: true },
  { name: 'packet header parser', file: 'parse.s', alu: false },
  { name: 'bpf-to-bpf call chain x100', file: 'calls.s', alu: false },
  { name: 'helper-call loop x100', file: 'helpers.s', alu: false },
];

/** An Ethernet + IPv4 + TCP (to port 80) header, then a deterministic payload: 1 KiB. */
function packet(): Uint8Array {
  const p = new Uint8Array(1024);
  let x = 0x12345678;
  for (let i = 0; i < p.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    p[i] = x & 0xff;
  }
  p.set([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00], 0);
  p.set([0x45, 0x00, 0x03, 0xf2, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  p.set([0xc0, 0x01, 0x00, 0x50], 34);
  return p;
}

// bpf_get_prandom_u32 for the simulation: a seeded xorshift (the kernel's is per-CPU prandom).
let seed = 2463534242;
const helpers: Helper[] = [];
helpers[7] = (C) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  C.retInt(seed >>> 0);
};

interface KernelTiming {
  name: string;
  retval?: number;
  durationsNs?: number[];
  errno?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const data = packet();
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const progs = PROGRAMS.map((p) => {
    const insns = assemble(fs.readFileSync(path.join(__dirname, 'programs', p.file), 'utf8'), { file: p.file }).insns;
    return { ...p, insns, vm: new VmProgram(insns) };
  });

  // Linux first, so the simulation's numbers are not taken while the kernel runs.
  const why = kernelUnavailable();
  const kernel = new Map<string, KernelTiming>();
  if (!why) {
    const timings = probe<KernelTiming[]>('bench_test_run.py', progs.map((p) => ({ name: p.name, progType: 'xdp', insns: hex(encode(p.insns)), data: hex(data), repeat: quick ? 1000 : 100000, samples: quick ? 3 : 7 })));
    for (const t of timings) kernel.set(t.name, t);
  }

  const time = quick ? 100 : 1000;
  const perRun: Record<string, Record<EngineName, number>> = {};
  const retvals: Record<string, Record<EngineName, number>> = {};
  const counts: Record<string, number> = {};
  for (const p of progs) {
    perRun[p.name] = { interp: 0, jit: 0 };
    retvals[p.name] = { interp: 0, jit: 0 };
    for (const engine of ["interp", "jit"] as EngineName[]) {
      seed = 2463534242; // the same helper results on both engines
      const session = TestRunSession.create(p.vm, 'xdp', data, { engine, helpers });
      const first = session.run();
      if (first.fault) throw new Error(`${p.name} (${engine}): ${first.fault.message}`);
      retvals[p.name]![engine] = first.retval;
      counts[p.name] = first.insnCount;
      // Batches of runs per sample, so the harness's own cost is spread thin.
      const batch = Math.max(1, Math.round(20000 / first.insnCount));
      const bench = new Bench({ time, warmupTime: quick ? 50 : 300 });
      bench.add(engine, () => {
        session.run(batch);
      });
      await bench.run();
      perRun[p.name]![engine] = (bench.tasks[0]!.result as { latency: { p50: number } }).latency.p50 * 1e6 / batch;
      session.close();
    }
  }

  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const rows = progs.map((p) => {
    const s = perRun[p.name]!;
    const k = kernel.get(p.name);
    const linux = k?.durationsNs ? median(k.durationsNs) : undefined;
    const agree = retvals[p.name]!.interp === retvals[p.name]!.jit;
    const kernelAgrees = k?.retval === undefined || p.file === 'helpers.s' ? '' : k.retval === retvals[p.name]!.jit ? '' : ' (retval differs!)';
    return [
      p.name,
      counts[p.name]!,
      fmt(s.interp),
      fmt(s.jit),
      linux !== undefined ? fmt(linux) : k?.errno ?? 'n/a',
      `${(s.interp / s.jit).toFixed(1)}x`,
      linux !== undefined ? `${(s.jit / Math.max(linux, 0.5)).toFixed(2)}x${kernelAgrees}` : 'n/a',
      agree ? 'yes' : 'NO',
    ];
  });
  const table: Table = {
    title: 'VM: ns per run (median), one XDP BPF_PROG_TEST_RUN-style run on a 1 KiB packet',
    columns: ['program', 'insns', 'interp ns', 'JIT ns', 'Linux JIT ns', 'JIT vs interp', 'JIT / Linux', 'engines agree'],
    rows,
    notes: [
      why ? `Linux: not measured (${why}).` : 'Linux: BPF_PROG_TEST_RUN duration, median of the samples, bpf_jit_enable=1.',
      'Targets: JIT >= 20x the interpreter on the ALU-heavy programs (first three); JIT within 3x of Linux.',
    ],
  };
  print(table);
  save('vm', [table], { quick });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
