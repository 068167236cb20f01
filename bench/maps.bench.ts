// bench/maps: ns per map lookup and update in hash, array and LRU hash maps of 1Ki and 1Mi
// entries, from JavaScript (the bpf() command path and the map's own ops) and from a
// JIT-compiled program (bpf_map_lookup_elem / bpf_map_update_elem through
// BPF_PROG_TEST_RUN), beside Linux's JIT running the same bytecode, taken in one run.
// `npm run bench:maps` (`-- --quick` for a short run).
//
// A program's cost per operation is its run time minus that of a baseline program doing
// everything but the map call (drawing a random key, storing it on the stack), so the
// numbers are the helper call and the map operation alone, on both sides.
import { Bench } from 'tinybench';
import { assemble, encode } from '@bpfsim/isa';
import type { MapHandle } from '@bpfsim/kernel';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { kernelUnavailable, probe } from '@bpfsim/test-support';
import type { Table } from './lib/report';
import { print, save } from './lib/report';

const quick = process.argv.includes('--quick');
const KIND = { hash: 1, array: 2, lru: 9 } as const;
type Kind = keyof typeof KIND;
const SIZES = [1 << 10, 1 << 20];
const VALUE_SIZE = 8;

/** The body of each program; r0 holds a random key below `entries` on entry. */
const OPS = {
  baseline: '',
  lookup: `
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem`,
  update: `
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r1 = m ll
    r4 = 0
    call bpf_map_update_elem`,
} as const;
type Op = keyof typeof OPS;

function program(kind: Kind, entries: number, op: Op): string {
  return `
    .map m type=${kind === 'lru' ? 'lru_hash' : kind} key_size=4 value_size=${VALUE_SIZE} max_entries=${entries}
    call bpf_get_prandom_u32
    r0 &= ${entries - 1}
    *(u32 *)(r10 - 4) = r0
    ${OPS[op]}
    r0 = 2
    exit`;
}

interface KernelTiming {
  name: string;
  retval?: number;
  durationsNs?: number[];
  errno?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
const PACKET = new Uint8Array(64);

/** Fills a hash or LRU map with keys 0..n-1 (arrays have every key already). */
function fill(m: MapHandle, kind: Kind, n: number): void {
  if (kind === 'array') return;
  const map = m.map;
  const v = new Uint8Array(VALUE_SIZE);
  for (let i = 0; i < n; i++) map.update(key(i), v, 0);
}

async function timeIt(fn: () => void, batch: number): Promise<number> {
  const bench = new Bench({ time: quick ? 100 : 600, warmupTime: quick ? 30 : 150 });
  bench.add('x', fn);
  await bench.run();
  return ((bench.tasks[0]!.result as { latency: { p50: number } }).latency.p50 * 1e6) / batch;
}

async function main(): Promise<void> {
  const kinds: Kind[] = ['hash', 'array', 'lru'];
  const cases = kinds.flatMap((kind) => SIZES.map((entries) => ({ kind, entries })));
  const repeat = quick ? 2000 : 20000;

  // Linux first, so the simulation is not measured while the kernel works.
  const why = kernelUnavailable();
  const linux = new Map<string, number>();
  if (!why) {
    const input = cases.flatMap(({ kind, entries }) =>
      (Object.keys(OPS) as Op[]).map((op) => ({
        name: `${kind}/${entries}/${op}`,
        map: { type: KIND[kind], keySize: 4, valueSize: VALUE_SIZE, maxEntries: entries, fill: kind === 'array' ? 0 : entries },
        insns: Buffer.from(encode(assemble(program(kind, entries, op)).insns)).toString('hex'),
        data: Buffer.from(PACKET).toString('hex'),
        repeat: quick ? 10000 : 200000,
        samples: quick ? 3 : 7,
      })),
    );
    for (const t of probe<KernelTiming[]>('bench_maps.py', input)) {
      if (t.durationsNs) linux.set(t.name, median(t.durationsNs));
      else console.error(`Linux refused ${t.name}: ${t.errno} ${t.errno ? '' : ''}`);
    }
  }

  const kernel = new Kernel({ seed: 1, cpus: 2 });
  const client = new BpfClient(kernel, kernel.spawn({ comm: 'bench', uid: 0 }));
  const rows: (string | number)[][] = [];
  const memRows: (string | number)[][] = [];
  const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : n >= 100 ? n.toFixed(0) : n.toFixed(1));
  // Memory first, each map alone: made, filled, measured after a gc, closed.
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = (): number => {
    gc?.();
    const u = process.memoryUsage();
    return u.heapUsed + u.arrayBuffers;
  };
  for (const { kind, entries } of cases) {
    const before = used();
    const m = client.createMap({ type: kind === 'lru' ? 'lru_hash' : kind, keySize: 4, valueSize: VALUE_SIZE, maxEntries: entries });
    fill(m, kind, entries);
    const bytes = used() - before;
    m.close();
    memRows.push([kind, entries, (bytes / entries).toFixed(1)]);
  }
  if (!gc) memRows.push(['(run with --expose-gc for stable numbers)', '', '']);

  for (const { kind, entries } of cases) {
    const m = client.createMap({ type: kind === 'lru' ? 'lru_hash' : kind, keySize: 4, valueSize: VALUE_SIZE, maxEntries: entries });
    fill(m, kind, entries);

    // From JS: the bpf() command path (what a loader does), and the map's ops directly.
    const keys = Array.from({ length: 4096 }, (_, i) => key((i * 2654435761) % entries));
    const v = new Uint8Array(VALUE_SIZE);
    let i = 0;
    const jsLookup = await timeIt(() => {
      for (let j = 0; j < 256; j++) m.lookup(keys[i++ & 4095]!);
    }, 256);
    const jsUpdate = await timeIt(() => {
      for (let j = 0; j < 256; j++) m.update(keys[i++ & 4095]!, v);
    }, 256);
    const map = m.map;
    const opsLookup = await timeIt(() => {
      for (let j = 0; j < 256; j++) map.lookupElem(keys[i++ & 4095]!);
    }, 256);

    // From a JIT-compiled program, minus the baseline program.
    const perRun: Partial<Record<Op, number>> = {};
    for (const op of Object.keys(OPS) as Op[]) {
      const p = client.loadProgram({ type: 'xdp', insns: program(kind, entries, op), maps: { m } });
      if (p.testRun(PACKET).retval !== 2) throw new Error(`${kind}/${entries}/${op}: unexpected retval`);
      perRun[op] = await timeIt(() => p.testRun(PACKET, { repeat }), repeat);
      p.close();
    }
    const progLookup = perRun.lookup! - perRun.baseline!;
    const progUpdate = perRun.update! - perRun.baseline!;
    const l = (op: Op): number | undefined => linux.get(`${kind}/${entries}/${op}`);
    const linuxLookup = l('lookup') !== undefined ? l('lookup')! - l('baseline')! : undefined;
    const linuxUpdate = l('update') !== undefined ? l('update')! - l('baseline')! : undefined;
    const ratio = (a: number, b: number | undefined): string => (b === undefined ? 'n/a' : `${(a / Math.max(b, 1)).toFixed(1)}x`);
    rows.push([
      kind,
      entries,
      fmt(jsLookup),
      fmt(jsUpdate),
      fmt(opsLookup),
      fmt(progLookup),
      fmt(progUpdate),
      fmt(linuxLookup),
      fmt(linuxUpdate),
      ratio(progLookup, linuxLookup),
      ratio(progUpdate, linuxUpdate),
    ]);
    m.close();
  }
  const table: Table = {
    title: 'Maps: ns per operation (median), 4-byte keys, 8-byte values, random keys',
    columns: ['map', 'entries', 'JS bpf() lookup', 'JS bpf() update', 'JS ops lookup', 'prog lookup', 'prog update', 'Linux lookup', 'Linux update', 'lookup / Linux', 'update / Linux'],
    rows,
    notes: [
      'prog: a JIT-compiled XDP program through BPF_PROG_TEST_RUN, minus a baseline program without the map call; Linux: the same bytecode in its JIT, BPF_PROG_TEST_RUN duration, minus its baseline.',
      why ? `Linux: not measured (${why}).` : 'Linux maps were filled with the same keys (BPF_MAP_UPDATE_BATCH) before the runs.',
    ],
  };
  const mem: Table = { title: 'Maps: bytes per entry after filling (JS heap + ArrayBuffers, after gc)', columns: ['map', 'entries', 'bytes/entry'], rows: memRows };
  print(table);
  print(mem);
  save('maps', [table, mem], { quick });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
