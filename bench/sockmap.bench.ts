// bench/sockmap: what the SK_MSG layer costs a TCP sender, taken in one run. MB/s of
// send() on a loopback connection of the simulated stack — no program, an SK_PASS program,
// and a program redirecting each message into the receiving socket (BPF_F_INGRESS) — for
// 64 B, 4 KiB and 1 MiB messages; and the same three on the real kernel with the same
// bytecode (scripts/kernel/bench_sockmap.py) where bpf() works. Throughput counts bytes
// the receiver read, the simulation's clock and delivery included. `npm run bench:sockmap`
// (`-- --quick` for a short run).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { assemble, encode } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import { AF_INET, Network, SOCK_STREAM, SocketApi } from '@bpfsim/net';
import { installSockmap } from '@bpfsim/sockmap';
import type { Table } from './lib/report';
import { print, save } from './lib/report';

const quick = process.argv.includes('--quick');
const SIZES = [64, 4096, 1 << 20];
const MAP = '.map m type=sockmap key_size=4 value_size=8 max_entries=2';
const PASS = `${MAP}\nr0 = 1\nexit`;
const REDIRECT = `${MAP}\nr2 = m ll\nr3 = 1\nr4 = 1\ncall bpf_msg_redirect_map\nexit`;
type Mode = 'plain' | 'pass' | 'redirect';

/** MB/s the receiver reads while the sender sends `size`-byte messages for `ms` of wall time. */
async function simulated(mode: Mode, size: number, ms: number): Promise<number> {
  const net = new Network({ seed: 5 });
  const h = net.addHost('h');
  installSockmap(h.kernel);
  const proc = h.kernel.spawn({ comm: 'bench', nofile: 1024 });
  const api = new SocketApi(h, proc);
  const l = api.socket(AF_INET, SOCK_STREAM);
  api.bind(l, { family: 4, addr: '127.0.0.1', port: 9000 });
  api.listen(l);
  const tx = api.socket(AF_INET, SOCK_STREAM);
  api.setsockopt(tx, 6, 1, 1); // TCP_NODELAY: each message goes when sent, as a streaming sender sets it
  api.connectStart(tx, { family: 4, addr: '127.0.0.1', port: 9000 });
  net.sim.run(1000);
  const rx = api.accept(l);
  if (mode !== 'plain') {
    const c = new BpfClient(h.kernel, proc);
    const m = c.createMap({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 2 });
    c.loadProgram({ type: 'sk_msg', maps: { m }, insns: mode === 'pass' ? PASS : REDIRECT }).attachToMap(m, 'sk_msg_verdict');
    m.update(0, BigInt(tx));
    m.update(1, BigInt(rx));
  }
  const msg = new Uint8Array(size).fill(0x61);
  let got = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  let off = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 64; i++) {
      try {
        off += api.send(tx, off ? msg.subarray(off) : msg);
        if (off >= size) off = 0;
      } catch {
        break; // the send buffer is full: let the stack move
      }
    }
    // Deliver everything in flight (virtual time does not count here, wall time does).
    net.sim.run(100_000);
    for (;;) {
      try {
        const r = api.recvfrom(rx, 1 << 22);
        if (!r.data.length) break;
        got += r.data.length;
      } catch {
        break;
      }
    }
  }
  return got / ((performance.now() - t0) / 1000) / 1e6;
}

function realKernel(): { results: Record<string, Record<Mode, number>> } | { why: string } {
  if (process.platform !== 'linux') return { why: 'not Linux' };
  if (process.getuid?.() !== 0) return { why: 'needs root for bpf()' };
  const hex = (s: string): string => Buffer.from(encode(assemble(s).insns)).toString('hex');
  const script = path.resolve(__dirname, '../scripts/kernel/bench_sockmap.py');
  const r = spawnSync('python3', [script], { input: JSON.stringify({ pass: hex(PASS), redirect: hex(REDIRECT), sizes: SIZES, seconds: quick ? 0.1 : 0.5 }), encoding: 'utf8', cwd: path.dirname(script), timeout: 300_000 });
  if (r.status !== 0) return { why: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-1)[0]! };
  return JSON.parse(r.stdout) as { results: Record<string, Record<Mode, number>> };
}

async function main(): Promise<void> {
  const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const rows: (string | number)[][] = [];
  const sim: Record<string, Record<Mode, number>> = {};
  for (const size of SIZES) {
    const cell = {} as Record<Mode, number>;
    for (const mode of ['plain', 'pass', 'redirect'] as const) cell[mode] = await simulated(mode, size, quick ? 150 : 800);
    sim[size] = cell;
  }
  const real = realKernel();
  for (const size of SIZES) {
    const s = sim[size]!;
    const label = size >= 1 << 20 ? '1 MiB' : size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    rows.push([label, 'bpfsim', fmt(s.plain), `${fmt(s.pass)} (${(s.pass / s.plain).toFixed(2)}x)`, `${fmt(s.redirect)} (${(s.redirect / s.plain).toFixed(2)}x)`]);
    if ('results' in real) {
      const k = real.results[String(size)]!;
      rows.push([label, 'Linux', fmt(k.plain), `${fmt(k.pass)} (${(k.pass / k.plain).toFixed(2)}x)`, `${fmt(k.redirect)} (${(k.redirect / k.plain).toFixed(2)}x)`]);
    }
  }
  if (!('results' in real)) rows.push(['-', `Linux: n/a (${real.why})`, '', '', '']);
  const table: Table = {
    title: 'SK_MSG on a loopback TCP connection: MB/s the receiver reads (ratio to no program)',
    columns: ['message', 'stack', 'no program', 'SK_PASS program', 'redirect to the receiver (ingress)'],
    rows,
    notes: [
      'bpfsim: the simulated stack on one host, TCP_NODELAY, the simulation run to quiescence after every 64 sends, wall time; Linux: scripts/kernel/bench_sockmap.py (Python send loop, a forked reader), same bytecode.',
      'Redirect with BPF_F_INGRESS puts the bytes straight into the receiving socket: no TCP segments at all.',
    ],
  };
  print(table);
  save('sockmap', [table], { quick, simulated: sim, ...('results' in real ? { linux: real.results } : {}) });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
