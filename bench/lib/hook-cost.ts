// bench/hooks, second part: what a cgroup sock_addr hook adds to whole syscalls, in the
// simulation (per engine) and on the real kernel (scripts/kernel/bench_hooks.py, same
// bytecode), for three programs: empty (return 1), a typical rewrite (compare the port,
// write the address and port back) and a 200-instruction straight-line program.
//
// The simulated operations, on host "a" (process in cgroup /app) talking to host "b" over a
// 10 µs link:
//   connect: socket + connect + handshake + accept + close both ends (INET4_CONNECT)
//   bind:    UDP socket + bind(0.0.0.0:0) + close (INET4_BIND)
//   sendto:  one 8-byte UDP datagram to b (UDP4_SENDMSG; the link runs every 64 sends)
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Bench } from 'tinybench';
import { assemble, encode } from '@bpfsim/isa';
import type { EngineName } from '@bpfsim/vm';
import { BpfClient } from '@bpfsim/kernel';
import { AF_INET, MS, Network, SOCK_DGRAM, SOCK_STREAM, SocketApi, installCgroupHooks } from '@bpfsim/net';
import type { Table } from './report';

/** user_port == htons(port) ? write user_ip4 = ip, user_port = htons(port) : nothing; return 1. */
function rewrite(ipLe: number, port: number): string {
  const be = ((port & 0xff) << 8) | (port >> 8);
  return `
  r2 = *(u32 *)(r1 + 24)
  if r2 != ${be} goto out
  r2 = ${ipLe}
  *(u32 *)(r1 + 4) = r2
  r2 = ${be}
  *(u32 *)(r1 + 24) = r2
out:
  r0 = 1
  exit`;
}

/** 200 instructions, straight line: ctx loads and ALU on them. */
const BIG = [
  'r3 = 0',
  ...Array.from({ length: 65 }, (_, i) => `r2 = *(u32 *)(r1 + ${[4, 24, 28, 32][i % 4]})\n  r3 += r2\n  r3 ^= ${i + 1}`),
  'r2 = *(u32 *)(r1 + 4)\n  r3 += r2',
  'r0 = 1\n  exit',
].join('\n  ');
const IP_10_0_0_2 = 0x0200000a;

interface OpSpec {
  op: 'connect' | 'bind' | 'sendto';
  attach: string;
  programs: Record<'empty' | 'rewrite' | 'big', string>;
}

export const HOOK_COST_OPS: OpSpec[] = [
  { op: 'connect', attach: 'cgroup_inet4_connect', programs: { empty: 'r0 = 1\nexit', rewrite: rewrite(IP_10_0_0_2, 80), big: BIG } },
  { op: 'bind', attach: 'cgroup_inet4_bind', programs: { empty: 'r0 = 1\nexit', rewrite: rewrite(0, 0), big: BIG } },
  { op: 'sendto', attach: 'cgroup_udp4_sendmsg', programs: { empty: 'r0 = 1\nexit', rewrite: rewrite(IP_10_0_0_2, 9), big: BIG } },
];

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
  A.bind(s, { family: 4, addr: '0.0.0.0', port: 0 });
  const dgram = new Uint8Array(8);
  let sends = 0;
  const ops: Record<OpSpec['op'], () => void> = {
    connect: () => {
      const c = A.socket(AF_INET, SOCK_STREAM);
      A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
      net.sim.runFor(1 * MS);
      const x = B.accept(l);
      B.close(x);
      net.sim.runFor(1 * MS);
      A.close(c);
      net.sim.runFor(1 * MS);
    },
    bind: () => {
      const fd = A.socket(AF_INET, SOCK_DGRAM);
      A.bind(fd, { family: 4, addr: '0.0.0.0', port: 0 });
      A.close(fd);
    },
    sendto: () => {
      A.sendto(s, dgram, { family: 4, addr: '10.0.0.2', port: 9 });
      if (++sends % 64 === 0) {
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

async function nsPerOp(fn: () => void, quick: boolean, batch: number): Promise<number> {
  const b = new Bench({ time: quick ? 150 : 700, warmupTime: quick ? 50 : 150 });
  b.add('x', () => {
    for (let i = 0; i < batch; i++) fn();
  });
  await b.run();
  const r = b.tasks[0]!.result as { latency?: { p50: number }; error?: unknown };
  if (!r.latency) throw r.error instanceof Error ? r.error : new Error(`benchmark failed: ${String(r.error)}`);
  return (r.latency.p50 * 1e6) / batch;
}

type Cell = Record<'none' | 'empty' | 'rewrite' | 'big', number>;

/** The real kernel's numbers from scripts/kernel/bench_hooks.py, or why there are none. */
function realKernel(quick: boolean): { results: Record<string, Partial<Record<string, number | { error: string }>>> } | { why: string } {
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (process.getuid?.() !== 0) return { why: 'needs root for bpf() and cgroup attach' };
  const programs: Record<string, string> = {};
  for (const s of HOOK_COST_OPS) for (const [k, src] of Object.entries(s.programs)) programs[`${s.op}:${k}`] = Buffer.from(encode(assemble(src).insns)).toString('hex');
  const script = path.resolve(__dirname, '../scripts/kernel/bench_hooks.py');
  const r = spawnSync('python3', [script], { input: JSON.stringify({ programs, seconds: quick ? 0.1 : 0.4 }), encoding: 'utf8', cwd: path.dirname(script), timeout: 300_000 });
  if (r.status !== 0) return { why: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0]! };
  return JSON.parse(r.stdout) as { results: Record<string, Record<string, number>> };
}

export async function hookCostSection(quick: boolean): Promise<{ table: Table; summary: Record<string, unknown> }> {
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const pct = (x: number, base: number): string => `${x >= base ? '+' : ''}${(((x - base) / base) * 100).toFixed(1)}%`;
  const rows: (string | number)[][] = [];
  const summary: Record<string, unknown> = {};
  for (const spec of HOOK_COST_OPS) {
    for (const engine of ['jit', 'interp'] as const) {
      const w = world(engine);
      const fn = w.ops[spec.op];
      const batch = spec.op === 'connect' ? 20 : 200;
      const cell = { none: 0, empty: 0, rewrite: 0, big: 0 } as Cell;
      await nsPerOp(fn, true, batch); // warm-up
      // No program, then each program, alternating (drift cancels); "none" is their median.
      const nones: number[] = [];
      for (const k of ['empty', 'rewrite', 'big'] as const) {
        nones.push(await nsPerOp(fn, quick, batch));
        const p = w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: spec.attach, insns: spec.programs[k] });
        p.attach('/app', spec.attach);
        cell[k] = await nsPerOp(fn, quick, batch);
        p.detach('/app', spec.attach);
        p.close();
      }
      cell.none = nones.sort((x, y) => x - y)[1]!;
      summary[`${spec.op}/${engine}`] = cell;
      rows.push([spec.op, spec.attach, `bpfsim ${engine}`, fmt(cell.none), `${fmt(cell.empty)} (${pct(cell.empty, cell.none)})`, `${fmt(cell.rewrite)} (${pct(cell.rewrite, cell.none)})`, `${fmt(cell.big)} (${pct(cell.big, cell.none)})`]);
    }
  }
  const real = realKernel(quick);
  if ('results' in real) {
    for (const spec of HOOK_COST_OPS) {
      const r = real.results[spec.op] ?? {};
      const v = (k: string): string => {
        const x = r[`${spec.op}:${k}`] ?? r[k];
        if (typeof x === 'number' && typeof r.none === 'number') return `${fmt(x)} (${pct(x, r.none)})`;
        return typeof x === 'object' ? x.error : 'n/a';
      };
      rows.push([spec.op, spec.attach, 'Linux (real sockets)', typeof r.none === 'number' ? fmt(r.none) : 'n/a', v('empty'), v('rewrite'), v('big')]);
    }
    summary.linux = real.results;
  } else {
    rows.push(['all', '-', 'Linux (real sockets)', `n/a: ${real.why}`, '', '', '']);
  }
  return {
    table: {
      title: 'What a sock_addr hook adds to a syscall: ns per operation (median), change from no program',
      columns: ['operation', 'attach type', 'stack', 'no program', 'empty program', 'rewrite program', '200-insn program'],
      rows,
      notes: [
        'connect = socket + connect + handshake + accept + close of both ends; bind = UDP socket + bind(port 0) + close; sendto = one 8-byte UDP datagram.',
        'The same bytecode runs in bpfsim (JIT and interpreter) and on the real kernel (scripts/kernel/bench_hooks.py: a cgroup under /sys/fs/cgroup/unified, loopback sockets).',
        'The Linux column is driven from Python, so its "no program" times include the interpreter\'s per-call overhead; the difference a program makes is the kernel\'s own.',
        'Target: an empty program adds at most 10% to the simulated connect cycle.',
      ],
    },
    summary,
  };
}
