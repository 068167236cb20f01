// bench/loader: what loading a clang-built object costs, bpfsim beside libbpf + Linux, in one
// run. For each example object (scenarios/progs/*.bpf.o): opening it (ELF, BTF, .BTF.ext,
// programs, maps, relocation records) and opening + loading + closing it (maps created,
// CO-RE and relocations applied, subprograms linked, every program verified, everything
// released) — in bpfsim's loader and simulated kernel, and with libbpf.so.1 into the live
// kernel (scripts/kernel/bench_loader.py) where bpf() works. Medians. `npm run bench:loader`
// (`-- --quick` for a short run).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { openObject } from '@bpfsim/loader';
import { installSockmap } from '@bpfsim/sockmap';
import type { Table } from './lib/report';
import { print, save } from './lib/report';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 5 : 40;
const progs = path.resolve(__dirname, '../scenarios/progs');
const objects = fs.readdirSync(progs).filter((f) => f.endsWith('.bpf.o')).sort();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Median of ROUNDS runs after a warm-up of at least 30 runs and 300 ms (the verifier and
 * loader are JIT-compiled by V8 meanwhile: the first loads of a process are 2-3x slower). */
function timeIt(fn: () => void): number {
  const warm = performance.now() + (quick ? 50 : 300);
  for (let i = 0; i < 30 || performance.now() < warm; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    xs.push(Number(process.hrtime.bigint() - t0));
  }
  return median(xs);
}

function linux(): Record<string, { open_ns: number; load_ns: number }> | string {
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('python3', [path.resolve(__dirname, '../scripts/kernel/bench_loader.py'), String(quick ? 5 : 20)], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) return (r.stderr || 'bench_loader.py failed').trim().split('\n').pop()!;
  return JSON.parse(r.stdout) as Record<string, { open_ns: number; load_ns: number }>;
}

const us = (ns: number): string => (ns / 1000).toFixed(ns < 100_000 ? 1 : 0);

async function main(): Promise<void> {
  const kernel = linux();
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  for (const f of objects) {
    const name = f.slice(0, -'.bpf.o'.length);
    const bytes = fs.readFileSync(path.join(progs, f));
    const probe = openObject(bytes, { file: f });
    const skip: string[] = [];
    const open = timeIt(() => void openObject(bytes, { file: f }));
    let k = 0;
    const load = timeIt(() => {
      const obj = openObject(bytes, { file: f, pinRoot: `/sys/fs/bpf/bench${k++}` });
      for (const p of obj.programs) if (skip.includes(p.name)) p.autoload = false;
      const kern = new Kernel();
      installSockmap(kern);
      obj.load(new BpfClient(kern, kern.spawn({ comm: 'bench' })));
      obj.close();
    });
    const l = typeof kernel === 'string' ? undefined : kernel[name];
    rows.push([
      name,
      `${(bytes.length / 1024).toFixed(1)} KiB`,
      probe.programs.length,
      us(open),
      us(load),
      l ? us(l.open_ns) : '—',
      l ? us(l.load_ns) : '—',
      l ? `${(load / l.load_ns).toFixed(2)}x` : '—',
    ]);
  }
  if (typeof kernel === 'string') notes.push(`Linux column empty: ${kernel}.`);
  notes.push('bpfsim: open = ELF + BTF + .BTF.ext + programs + maps + relocation records; load = open + a fresh simulated kernel + maps + relocations + linking + the verifier for every program + close. Linux: libbpf.so.1 1.1 from Python (ctypes), open_file, and open + load + close.');
  notes.push('Warm numbers: each bpfsim figure follows a warm-up (V8 compiles the loader and verifier meanwhile; a process\'s first loads take 2-3x longer).');
  notes.push('map_in_map and trace are slow on Linux for the kernel\'s own reasons (map-in-map and stack-map allocation), not libbpf\'s.');
  const t: Table = { title: `Loading an example object: µs, median of ${ROUNDS} (${quick ? 'quick' : 'full'} run)`, columns: ['object', 'size', 'programs', 'bpfsim open', 'bpfsim open+load', 'libbpf open', 'libbpf+Linux open+load', 'load ratio'], rows, notes };
  print(t);
  save('loader', [t]);
}

void main();
