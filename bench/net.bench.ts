// bench/net: the simulated network stack's costs, as ratios taken in one run.
// - the scheduler: events per second in ns-3's "hold" model (a population of 100k pending
//   events; each event run schedules one more at a random later time; 1M events), beside
//   a bare numeric binary heap as the floor;
// - the real kernel's loopback connect + accept + 100-byte echo + close cycle
//   (scripts/kernel/loopback_cycle.c, compiled with cc in this run);
// - the simulated cycle, bulk transfer and memory per connection (sections below).
// `npm run bench:net` (`-- --quick` for a short run).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '@bpfsim/kernel';
import { Simulation } from '@bpfsim/net';
import type { Table } from './lib/report';
import { print, save } from './lib/report';
import { simulatedSections } from './lib/net-sim';

const quick = process.argv.includes('--quick');
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(2));

/** The hold model on the simulation's own queue: returns events per second. */
function holdSimulation(population: number, events: number): number {
  const sim = new Simulation({ seed: 7 });
  const rng = new Rng(11);
  let left = events;
  const tick = (): void => {
    if (left-- > 0) sim.schedule(rng.int(0, 999_999), tick);
  };
  for (let i = 0; i < population; i++) sim.schedule(rng.int(0, 999_999), tick);
  const t0 = performance.now();
  sim.run();
  const secs = (performance.now() - t0) / 1000;
  return (events + population) / secs;
}

/** The floor: the same model on a binary heap of (time, seq) numbers with no closures. */
function holdBareHeap(population: number, events: number): number {
  const cap = population + 1;
  const time = new Float64Array(cap);
  const seq = new Float64Array(cap);
  let n = 0;
  let nextSeq = 0;
  const less = (a: number, b: number): boolean => time[a]! < time[b]! || (time[a] === time[b] && seq[a]! < seq[b]!);
  const swap = (a: number, b: number): void => {
    const t = time[a]!;
    time[a] = time[b]!;
    time[b] = t;
    const s = seq[a]!;
    seq[a] = seq[b]!;
    seq[b] = s;
  };
  const push = (t: number): void => {
    let i = n++;
    time[i] = t;
    seq[i] = nextSeq++;
    while (i > 0 && less(i, (i - 1) >> 1)) {
      swap(i, (i - 1) >> 1);
      i = (i - 1) >> 1;
    }
  };
  const pop = (): number => {
    const t = time[0]!;
    n--;
    time[0] = time[n]!;
    seq[0] = seq[n]!;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && less(l, m)) m = l;
      if (r < n && less(r, m)) m = r;
      if (m === i) break;
      swap(i, m);
      i = m;
    }
    return t;
  };
  const rng = new Rng(11);
  for (let i = 0; i < population; i++) push(rng.int(0, 999_999));
  const t0 = performance.now();
  let left = events;
  while (n > 0) {
    const now = pop();
    if (left-- > 0) push(now + rng.int(0, 999_999));
  }
  return (events + population) / ((performance.now() - t0) / 1000);
}

/** Compiles and runs the C probe; undefined (with the reason) when it cannot. */
function kernelLoopbackCycle(cycles: number): { perCycleNs: number } | { why: string } {
  if (os.platform() !== 'linux') return { why: 'not Linux' };
  const src = path.resolve(__dirname, '../scripts/kernel/loopback_cycle.c');
  const bin = path.join(os.tmpdir(), `bpfsim-loopback-cycle-${process.pid}`);
  const cc = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' });
  if (cc.status !== 0) return { why: `cc failed: ${cc.error?.message ?? cc.stderr.trim()}` };
  try {
    const r = spawnSync(bin, [String(cycles)], { encoding: 'utf8' });
    if (r.status !== 0) return { why: r.stderr.trim() || `exit ${r.status}` };
    return JSON.parse(r.stdout) as { perCycleNs: number };
  } finally {
    fs.rmSync(bin, { force: true });
  }
}

async function main(): Promise<void> {
  const tables: Table[] = [];
  const population = 100_000;
  const events = quick ? 200_000 : 1_000_000;
  holdSimulation(10_000, 100_000); // warm-up
  const sim = holdSimulation(population, events);
  const bare = holdBareHeap(population, events);
  tables.push({
    title: `Scheduler: hold model, population ${population}, ${events} events`,
    columns: ['queue', 'events/s', 'ns/event', 'vs bare heap'],
    rows: [
      ['Simulation (EventQueue)', fmt(sim), fmt(1e9 / sim), `${(bare / sim).toFixed(2)}x slower`],
      ['bare numeric heap (floor)', fmt(bare), fmt(1e9 / bare), '1.00x'],
    ],
  });

  const kernel = kernelLoopbackCycle(quick ? 2000 : 20000);
  const sims = await simulatedSections({ quick });
  const cycleNs = sims.cycleNs;
  tables.push({
    title: 'TCP cycle: connect + accept + 100-byte echo + close',
    columns: ['stack', 'wall ns per cycle', 'vs Linux loopback'],
    rows: [
      ['bpfsim (simulated hosts over a link)', cycleNs === undefined ? 'n/a' : fmt(cycleNs), cycleNs !== undefined && 'perCycleNs' in kernel ? `${(cycleNs / kernel.perCycleNs).toFixed(2)}x` : 'n/a'],
      ['Linux loopback (real kernel, this machine)', 'perCycleNs' in kernel ? fmt(kernel.perCycleNs) : `n/a (${kernel.why})`, '1.00x'],
    ],
    notes: ['Target: the simulated cycle at least as fast as the real kernel loopback cycle.', ...sims.notes],
  });
  tables.push(...sims.tables);
  for (const t of tables) print(t);
  save('net', tables, { quick });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
