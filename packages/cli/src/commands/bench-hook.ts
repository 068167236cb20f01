// `bpfsim bench-hook PROG --attach-type T`: what your cgroup program adds to the socket call
// its hook sits on, in the simulation on both engines, next to an empty program (the cost of
// the hook itself) and — where bpf() works (root) — the same bytecode on this machine's
// kernel (scripts/kernel/bench_hooks.py). Programs without maps only.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { encode } from '@bpfsim/isa';
import type { Insn } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import type { EngineName } from '@bpfsim/vm';
import { AF_INET, MS, Network, SOCK_DGRAM, SOCK_STREAM, SocketApi, installCgroupHooks } from '@bpfsim/net';
import type { Io } from '../io';
import { UsageError } from '../io';
import { readProgramUnit } from '../program-input';

/** The socket call each attach type's hook runs in, and how to make one. */
const OPS: Record<string, { op: 'connect' | 'bind' | 'sendto'; type: 'cgroup_sock_addr' }> = {
  cgroup_inet4_connect: { op: 'connect', type: 'cgroup_sock_addr' },
  cgroup_inet4_bind: { op: 'bind', type: 'cgroup_sock_addr' },
  cgroup_udp4_sendmsg: { op: 'sendto', type: 'cgroup_sock_addr' },
};

function world(engine: EngineName) {
  const net = new Network({ seed: 4 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 10_000, bandwidth: 10_000_000_000 });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  installCgroupHooks(a);
  a.kernel.engine = engine;
  a.kernel.cgroups.create('/app');
  const admin = new BpfClient(a.kernel, a.kernel.spawn({ comm: 'admin' }));
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'app', nofile: 1 << 16, cgroup: a.kernel.cgroups.lookup('/app') }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'server', nofile: 1 << 16 }));
  const l = B.socket(AF_INET, SOCK_STREAM);
  B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  B.listen(l, 4096);
  const u = B.socket(AF_INET, SOCK_DGRAM);
  B.bind(u, { family: 4, addr: '0.0.0.0', port: 9 });
  const s = A.socket(AF_INET, SOCK_DGRAM);
  const dgram = new Uint8Array(8);
  let n = 0;
  const ops = {
    connect: (): void => {
      const c = A.socket(AF_INET, SOCK_STREAM);
      try {
        A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
        net.sim.runFor(1 * MS);
        B.close(B.accept(l));
        net.sim.runFor(1 * MS);
      } catch {
        /* a refusing program: the connect fails, which is what it costs */
      }
      A.close(c);
      net.sim.runFor(1 * MS);
    },
    bind: (): void => {
      const fd = A.socket(AF_INET, SOCK_DGRAM);
      try {
        A.bind(fd, { family: 4, addr: '0.0.0.0', port: 0 });
      } catch {
        /* refused */
      }
      A.close(fd);
    },
    sendto: (): void => {
      try {
        A.sendto(s, dgram, { family: 4, addr: '10.0.0.2', port: 9 });
      } catch {
        /* refused */
      }
      if (++n % 64 === 0) {
        net.sim.runFor(1 * MS);
        for (;;) {
          try {
            B.recvfrom(u);
          } catch {
            break;
          }
        }
      }
    },
  };
  return { admin, ops };
}

/** Median ns per call over `rounds` rounds of ~`ms` each. */
function nsPerCall(fn: () => void, ms: number, rounds = 5): number {
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < ms) {
      for (let i = 0; i < 16; i++) fn();
      n += 16;
    }
    out.push(((performance.now() - t0) * 1e6) / n);
  }
  return out.sort((x, y) => x - y)[Math.floor(out.length / 2)]!;
}

const EMPTY: Insn[] = [
  { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
  { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
];

export function registerBenchHook(program: Command, io: Io): void {
  program
    .command('bench-hook')
    .description('measure what a cgroup sock_addr program adds to its socket call, on both engines and on the real kernel')
    .argument('<prog>', 'the program: assembly, .bin bytecode, or hex with --hex (no maps)')
    .requiredOption('--attach-type <type>', `where it runs: ${Object.keys(OPS).join(', ')}`)
    .option('--hex', 'the program file is hex text')
    .option('--quick', 'a short run')
    .option('--no-kernel', 'skip the measurement on this machine\'s kernel')
    .addHelpText(
      'after',
      `
Prints ns per call with no program, and what an empty program (return 1) and yours add, on
the JIT and the interpreter (the three measured in turns, medians), and the same on this
machine's kernel when run as root. Differences smaller than the run-to-run noise (a few %
of the call) are noise.

Example:
  bpfsim bench-hook rewrite.s --attach-type cgroup_inet4_connect`,
    )
    .action((file: string, flags: { attachType: string; hex?: boolean; quick?: boolean; kernel?: boolean }) => {
      const spec = OPS[flags.attachType];
      if (!spec) throw new UsageError(`--attach-type takes one of ${Object.keys(OPS).join(', ')}, not '${flags.attachType}'`);
      const unit = readProgramUnit(io, file, { hex: !!flags.hex });
      if (unit.maps.length) throw new UsageError('programs with maps are not supported by bench-hook yet', unit.name);
      const ms = flags.quick ? 40 : 150;
      const rows: string[][] = [];
      const fmt = (n: number): string => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(1));
      for (const engine of ['jit', 'interp'] as const) {
        const w = world(engine);
        const fn = w.ops[spec.op];
        const progs = {
          empty: w.admin.loadProgram({ type: spec.type, attachType: flags.attachType, insns: EMPTY }),
          yours: w.admin.loadProgram({ type: spec.type, attachType: flags.attachType, insns: unit.insns }),
        };
        // Warm up each variant, then measure them in turns (drift cancels), medians.
        const variants = ['none', 'empty', 'yours'] as const;
        const samples: Record<(typeof variants)[number], number[]> = { none: [], empty: [], yours: [] };
        for (let round = 0; round < 6; round++) {
          for (const v of variants) {
            if (v !== 'none') progs[v].attach('/app', flags.attachType);
            const t = nsPerCall(fn, ms, 1);
            if (round > 0) samples[v].push(t);
            if (v !== 'none') progs[v].detach('/app', flags.attachType);
          }
        }
        const med = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
        const [none, empty, yours] = [med(samples.none), med(samples.empty), med(samples.yours)];
        const signed = (n: number): string => `${n >= 0 ? '+' : ''}${fmt(n)}`;
        rows.push([`bpfsim ${engine}`, fmt(none), signed(empty - none), signed(yours - none), signed(yours - empty)]);
      }
      const real = flags.kernel === false ? { why: 'skipped (--no-kernel)' } : realKernel(spec.op, unit.insns, flags.quick);
      if ('results' in real) {
        const r = real.results[spec.op] ?? {};
        const none = r.none as number;
        const signed = (n: number): string => `${n >= 0 ? '+' : ''}${fmt(n)}`;
        rows.push(['Linux', fmt(none), signed((r.empty as number) - none), signed((r.yours as number) - none), signed((r.yours as number) - (r.empty as number))]);
      } else rows.push([`Linux: ${real.why}`, '', '', '', '']);
      const head = ['stack', 'no program ns', 'empty program', 'your program', 'yours - empty'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      io.stdout(`${unit.name} on ${flags.attachType} (${spec.op}): ns per call, median\n${line(head)}\n${line(rows[0]!.map((_, i) => '-'.repeat(widths[i]!)))}\n`);
      for (const r of rows) io.stdout(`${line(r)}\n`);
    });
}

function realKernel(op: string, insns: Insn[], quick?: boolean): { results: Record<string, Record<string, number | object>> } | { why: string } {
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (process.getuid?.() !== 0) return { why: 'n/a (needs root for bpf())' };
  const script = [path.resolve(__dirname, '../../../scripts/kernel/bench_hooks.py'), path.resolve(process.cwd(), 'scripts/kernel/bench_hooks.py')].find((f) => fs.existsSync(f));
  if (!script) return { why: 'n/a (scripts/kernel/bench_hooks.py not found)' };
  const hex = (i: Insn[]): string => Buffer.from(encode(i)).toString('hex');
  const r = spawnSync('python3', [script], { input: JSON.stringify({ programs: { [`${op}:empty`]: hex(EMPTY), [`${op}:yours`]: hex(insns) }, seconds: quick ? 0.1 : 0.4 }), encoding: 'utf8', cwd: path.dirname(script), timeout: 120_000 });
  if (r.status !== 0) return { why: `n/a (${(r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0]})` };
  return JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> };
}
