// The map-command cases recorded from the live kernel (scripts/kernel/probe_maps.py, see
// maps.kernel.test.ts) and replayed against bpfsim (maps-golden.test.ts). A case is a list
// of steps on symbolic objects (m0, p0 …); each step's result is "ok" with its outputs or
// an errno. Byte strings are hex.
import { assemble, encode } from '@bpfsim/isa';

export type Hex = string;
export type ValueArg = Hex | null | { fd: string } | { rawfd: number };
/** An attr field past the usual ones: offset → [struct format, value]. */
export type Extra = Record<string, [string, number]>;

export interface CreateAttrJson {
  map_type: number;
  key_size?: number;
  value_size?: number;
  max_entries?: number;
  map_flags?: number;
  inner_map_fd?: string | number;
  numa_node?: number;
  map_name?: string;
  map_extra?: number;
  map_ifindex?: number;
  btf_fd?: string | number;
  btf_key_type_id?: number;
  btf_value_type_id?: number;
  btf_vmlinux_value_type_id?: number;
  map_token_fd?: string | number;
  excl_prog_hash_size?: number;
}

export type Step =
  | { op: 'create'; as: string; attr: CreateAttrJson }
  | { op: 'update'; map: string | number; key: Hex | null; value: ValueArg; flags?: number }
  | { op: 'lookup'; map: string | number; key: Hex | null; out: number | null; flags?: number; ids?: 'map' | 'prog' }
  | { op: 'bloom'; map: string | number; key?: null; value: Hex | null }
  | { op: 'delete'; map: string | number; key: Hex | null; extra?: Extra }
  | { op: 'next'; map: string | number; key: Hex | null; out: number | null; extra?: Extra }
  | { op: 'iterate'; map: string; sort?: boolean }
  | { op: 'lookup_and_delete'; map: string | number; key: Hex | null; out: number | null; flags?: number }
  | { op: 'freeze'; map: string | number; extra?: Extra }
  | { op: 'info'; map: string }
  | { op: 'close'; map: string }
  | { op: 'prog'; as: string; type: 'xdp' | 'socket_filter'; insns: Hex; fd_array?: string[]; expected_attach_type?: number }
  | { op: 'run'; prog: string; data: Hex };

export interface MapCase {
  id: string;
  steps: Step[];
}

export interface StepResult {
  ok?: true;
  errno?: string;
  value?: Hex;
  key?: Hex;
  keys?: Hex[];
  ref?: string;
  id?: number;
  retval?: number;
  info?: { type: number; key_size: number; value_size: number; max_entries: number; map_flags: number; name: string };
  /** The step named an object that an earlier step failed to create. */
  skip?: true;
  /** The verifier's last words when a program load failed (not compared). */
  log?: string;
}

export interface MapsGolden {
  recordedBy: string;
  kernel: string;
  /** num_possible_cpus() of the recording machine. */
  cpus: number;
  cases: MapCase[];
  results: { id: string; steps: StepResult[] }[];
}

// ---- constants --------------------------------------------------------------------------------

export const T = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6, LRU_HASH: 9, LRU_PERCPU_HASH: 10,
  ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, QUEUE: 22, STACK: 23, STRUCT_OPS: 26, RINGBUF: 27, BLOOM: 30,
} as const;
export const F = {
  NO_PREALLOC: 1, NO_COMMON_LRU: 2, NUMA_NODE: 4, RDONLY: 8, WRONLY: 16, ZERO_SEED: 64, RDONLY_PROG: 128, WRONLY_PROG: 256,
  MMAPABLE: 1024, PRESERVE_ELEMS: 2048, INNER_MAP: 4096, TOKEN_FD: 1 << 16,
} as const;
const ANY = 0;
const NOEXIST = 1;
const EXIST = 2;
const LOCK = 4;
const CPUS_IN_CASES = 2;

// ---- bytes -------------------------------------------------------------------------------------

const hexOf = (b: ArrayLike<number>): Hex => Array.from(b, (x) => (x & 0xff).toString(16).padStart(2, '0')).join('');
export const u32 = (n: number): Hex => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return hexOf(b);
};
export const u64 = (n: number | bigint): Hex => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return hexOf(b);
};
/** n bytes: byte i is (seed + i) & 0xff. */
export const bytes = (n: number, seed = 1): Hex => hexOf(Array.from({ length: n }, (_, i) => seed + i));
const zeros = (n: number): Hex => '00'.repeat(n);
const round8 = (n: number): number => (n + 7) & ~7;
/** A per-CPU value as user space writes it: one round_up(size, 8) slice per CPU. */
const percpu = (size: number, seeds: number[]): Hex => seeds.map((s) => bytes(size, s) + zeros(round8(size) - size)).join('');

// ---- programs ----------------------------------------------------------------------------------

const prog = (text: string): Hex => hexOf(encode(assemble(text).insns));
const PKT = zeros(64);

/** XDP: looks up u32 keys in map idx 0 (an LRU marks them referenced); returns how many were found. */
function lookupProg(keys: number[]): Hex {
  const body = keys
    .map((k, i) => `*(u32 *)(r10 - 4) = ${k}\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call bpf_map_lookup_elem\n if r0 == 0 goto skip${i}\n r6 += 1\nskip${i}:`)
    .join('\n');
  return prog(`r6 = 0\n${body}\n r0 = r6\n exit`);
}

/** XDP: bpf_map_update_elem(map idx 0, &key, &value, flags) with u32 key and u64 value; returns its result. */
function updateProg(key: number, value: number, flags: number): Hex {
  return prog(`*(u32 *)(r10 - 4) = ${key}
  *(u64 *)(r10 - 16) = ${value}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = ${flags}
  call bpf_map_update_elem
  exit`);
}

/** XDP: bpf_map_delete_elem(map idx 0, &key); returns its result. */
function deleteProg(key: number): Hex {
  return prog(`*(u32 *)(r10 - 4) = ${key}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  call bpf_map_delete_elem
  exit`);
}

/** XDP: adds `n` to the u64 at key in map idx 0 (in place); returns the new value's low word or 0xdead. */
function addProg(key: number, n: number): Hex {
  return prog(`*(u32 *)(r10 - 4) = ${key}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto miss
  r1 = ${n}
  lock *(u64 *)(r0 + 0) += r1
  r0 = *(u64 *)(r0 + 0)
  exit
miss:
  r0 = 0xdead
  exit`);
}

/** XDP: bpf_map_lookup_percpu_elem(map idx 0, &key, cpu); the u32 found, or 0xdead. */
function percpuLookupProg(key: number, cpu: number): Hex {
  return prog(`*(u32 *)(r10 - 4) = ${key}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  r3 = ${cpu}
  call bpf_map_lookup_percpu_elem
  if r0 == 0 goto miss
  r0 = *(u32 *)(r0 + 0)
  exit
miss:
  r0 = 0xdead
  exit`);
}

const retProg = (n: number): Hex => prog(`r0 = ${n}\nexit`);

/** XDP: bpf_tail_call(ctx, map idx 0, index); 77 when it falls through. */
const tailCallProg = (index: number): Hex =>
  prog(`r2 = map[idx:0] ll
  r3 = ${index}
  call bpf_tail_call
  r0 = 77
  exit`);

/** XDP: outer (map idx 0) [key 0] → inner map → inner [key k] u32, or 0xdead / 0xbeef on misses. */
const mapInMapProg = (k: number): Hex =>
  prog(`*(u32 *)(r10 - 4) = 0
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto nomap
  r1 = r0
  *(u32 *)(r10 - 8) = ${k}
  r2 = r10
  r2 += -8
  call bpf_map_lookup_elem
  if r0 == 0 goto nokey
  r0 = *(u32 *)(r0 + 0)
  exit
nomap:
  r0 = 0xdead
  exit
nokey:
  r0 = 0xbeef
  exit`);

/** XDP: push `v` (u32) onto map idx 0 with flags, then pop into the stack; returns push<<16 | pop result low bits, popped value in low byte. */
const pushPopProg = (v: number, flags: number, pop: boolean): Hex =>
  prog(`*(u32 *)(r10 - 4) = ${v}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  r3 = ${flags}
  call bpf_map_push_elem
  r6 = r0
  *(u32 *)(r10 - 8) = 0
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -8
  call bpf_map_${pop ? 'pop' : 'peek'}_elem
  r0 &= 0xff
  r6 &= 0xff
  r6 <<= 16
  r0 |= r6
  r1 = *(u32 *)(r10 - 8)
  r1 <<= 8
  r0 |= r1
  exit`);

/** XDP: bpf_map_pop_elem(map idx 0) into a u32; returns result<<8 | value (low byte). */
const popProg = prog(`*(u32 *)(r10 - 4) = 0x77
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  call bpf_map_pop_elem
  r0 &= 0xff
  r0 <<= 8
  r1 = *(u32 *)(r10 - 4)
  r1 &= 0xff
  r0 |= r1
  exit`);

/** XDP: n × bpf_ringbuf_output of `size` bytes (from array map idx 1's value) to ringbuf idx 0;
 * returns the last result, or, with `query`, bpf_ringbuf_query(flags) afterwards. */
function ringbufOutputProg(n: number, size: number, query?: number, flags = 0): Hex {
  const calls = Array.from({ length: n }, () => `r1 = map[idx:0] ll\n r2 = r7\n r3 = ${size}\n r4 = ${flags}\n call bpf_ringbuf_output\n r6 = r0`).join('\n');
  const tail = query === undefined ? 'r0 = r6' : `r1 = map[idx:0] ll\n r2 = ${query}\n call bpf_ringbuf_query`;
  return prog(`*(u32 *)(r10 - 4) = 0
  r1 = map[idx:1] ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = r0
  r6 = 0
  ${calls}
  ${tail}
  exit
out:
  r0 = 0xdead
  exit`);
}

/** XDP: bpf_ringbuf_reserve(ringbuf idx 0, size, flags); 1 when NULL, else writes and submits
 * (or discards) the sample and returns bpf_ringbuf_query(AVAIL_DATA) << 8 | 2. */
const ringbufReserveProg = (size: number, flags: number, discard: boolean): Hex =>
  prog(`r1 = map[idx:0] ll
  r2 = ${size}
  r3 = ${flags}
  call bpf_ringbuf_reserve
  if r0 == 0 goto null
  *(u32 *)(r0 + 0) = 0x11223344
  r1 = r0
  r2 = 0
  call bpf_ringbuf_${discard ? 'discard' : 'submit'}
  r1 = map[idx:0] ll
  r2 = 0
  call bpf_ringbuf_query
  r0 <<= 8
  r0 |= 2
  exit
null:
  r0 = 1
  exit`);

/** XDP: bpf_perf_event_output(ctx, perf array idx 0, flags, 8 stack bytes, 8). */
const perfOutputProg = (flags: bigint): Hex =>
  prog(`*(u64 *)(r10 - 8) = 0
  r2 = map[idx:0] ll
  r3 = ${flags} ll
  r4 = r10
  r4 += -8
  r5 = 8
  call bpf_perf_event_output
  exit`);

// ---- the cases ---------------------------------------------------------------------------------

class B {
  readonly steps: Step[] = [];
  create(as: string, attr: CreateAttrJson): this {
    this.steps.push({ op: 'create', as, attr });
    return this;
  }
  update(map: string | number, key: Hex | null, value: ValueArg, flags?: number): this {
    this.steps.push({ op: 'update', map, key, value, ...(flags !== undefined ? { flags } : {}) });
    return this;
  }
  lookup(map: string | number, key: Hex | null, out: number | null, flags?: number, ids?: 'map' | 'prog'): this {
    this.steps.push({ op: 'lookup', map, key, out, ...(flags !== undefined ? { flags } : {}), ...(ids ? { ids } : {}) });
    return this;
  }
  bloom(map: string, value: Hex | null): this {
    this.steps.push({ op: 'bloom', map, value });
    return this;
  }
  delete(map: string | number, key: Hex | null, extra?: Extra): this {
    this.steps.push({ op: 'delete', map, key, ...(extra ? { extra } : {}) });
    return this;
  }
  next(map: string | number, key: Hex | null, out: number | null, extra?: Extra): this {
    this.steps.push({ op: 'next', map, key, out, ...(extra ? { extra } : {}) });
    return this;
  }
  iterate(map: string, sort = false): this {
    this.steps.push({ op: 'iterate', map, ...(sort ? { sort } : {}) });
    return this;
  }
  lookupAndDelete(map: string | number, key: Hex | null, out: number | null, flags?: number): this {
    this.steps.push({ op: 'lookup_and_delete', map, key, out, ...(flags !== undefined ? { flags } : {}) });
    return this;
  }
  freeze(map: string | number, extra?: Extra): this {
    this.steps.push({ op: 'freeze', map, ...(extra ? { extra } : {}) });
    return this;
  }
  info(map: string): this {
    this.steps.push({ op: 'info', map });
    return this;
  }
  close(map: string): this {
    this.steps.push({ op: 'close', map });
    return this;
  }
  prog(as: string, insns: Hex, fdArray: string[] = [], type: 'xdp' | 'socket_filter' = 'xdp'): this {
    this.steps.push({ op: 'prog', as, type, insns, fd_array: fdArray });
    return this;
  }
  run(p: string): this {
    this.steps.push({ op: 'run', prog: p, data: PKT });
    return this;
  }
}

/** Creates m0 with `attr` and, when that works, reports its info. */
const createCase = (attr: CreateAttrJson): Step[] => new B().create('m0', attr).info('m0').steps;

export function mapCases(): MapCase[] {
  const cases: MapCase[] = [];
  const add = (id: string, steps: Step[] | B): void => void cases.push({ id, steps: steps instanceof B ? steps.steps : steps });
  const hash = (ks = 4, vs = 8, max = 16, flags = 0): CreateAttrJson => ({ map_type: T.HASH, key_size: ks, value_size: vs, max_entries: max, map_flags: flags });
  const array = (vs = 8, max = 4, flags = 0): CreateAttrJson => ({ map_type: T.ARRAY, key_size: 4, value_size: vs, max_entries: max, map_flags: flags });

  // ---- BPF_MAP_CREATE: each type's map_alloc_check / map_alloc ----
  const create: [string, CreateAttrJson][] = [
    ['hash', hash()],
    ['hash key_size 0', hash(0)],
    ['hash value_size 0', hash(4, 0)],
    ['hash max_entries 0', hash(4, 8, 0)],
    ['hash unknown flag', hash(4, 8, 16, 1 << 20)],
    ['hash NO_COMMON_LRU', hash(4, 8, 16, F.NO_COMMON_LRU)],
    ['hash NO_PREALLOC', hash(4, 8, 16, F.NO_PREALLOC)],
    ['hash ZERO_SEED', hash(4, 8, 16, F.ZERO_SEED)],
    ['hash RDONLY|WRONLY', hash(4, 8, 16, F.RDONLY | F.WRONLY)],
    ['hash RDONLY (fd flag, not kept)', hash(4, 8, 16, F.RDONLY)],
    ['hash RDONLY_PROG|WRONLY_PROG', hash(4, 8, 16, F.RDONLY_PROG | F.WRONLY_PROG)],
    ['hash RDONLY_PROG', hash(4, 8, 16, F.RDONLY_PROG)],
    ['hash MMAPABLE', hash(4, 8, 16, F.MMAPABLE)],
    ['hash INNER_MAP', hash(4, 8, 16, F.INNER_MAP)],
    ['hash key+value at the kmalloc bound', { ...hash(4, 4194252, 1), map_flags: F.NO_PREALLOC }],
    ['hash key+value just under the bound', { ...hash(4, 4194251, 1), map_flags: F.NO_PREALLOC }],
    ['hash max_entries 2^31+1', hash(4, 8, 0x80000001)],
    ['hash max_entries 2^28+1 (bucket array overflows)', hash(4, 8, 0x10000001)],
    ['hash NUMA node 0', { ...hash(), map_flags: F.NUMA_NODE, numa_node: 0 }],
    ['hash NUMA node 1 (offline)', { ...hash(), map_flags: F.NUMA_NODE, numa_node: 1 }],
    ['hash NUMA node -1', { ...hash(), map_flags: F.NUMA_NODE, numa_node: 0xffffffff }],
    ['hash numa_node without the flag', { ...hash(), numa_node: 7 }],
    ['percpu_hash', { ...hash(), map_type: T.PERCPU_HASH }],
    ['percpu_hash value 32768', { ...hash(4, 32768, 4), map_type: T.PERCPU_HASH }],
    ['percpu_hash value 32769', { ...hash(4, 32769, 4), map_type: T.PERCPU_HASH }],
    ['percpu_hash NUMA node 0', { ...hash(), map_type: T.PERCPU_HASH, map_flags: F.NUMA_NODE, numa_node: 0 }],
    ['percpu_hash NUMA node -1', { ...hash(), map_type: T.PERCPU_HASH, map_flags: F.NUMA_NODE, numa_node: 0xffffffff }],
    ['lru_hash', { ...hash(), map_type: T.LRU_HASH }],
    ['lru_hash NO_PREALLOC', { ...hash(4, 8, 16, F.NO_PREALLOC), map_type: T.LRU_HASH }],
    ['lru_hash NO_COMMON_LRU max 3', { ...hash(4, 8, 3, F.NO_COMMON_LRU), map_type: T.LRU_HASH }],
    ['lru_hash NO_COMMON_LRU NUMA', { ...hash(4, 8, 4, F.NO_COMMON_LRU | F.NUMA_NODE), map_type: T.LRU_HASH, numa_node: 0 }],
    ['lru_percpu_hash NO_COMMON_LRU max 5', { ...hash(4, 8, 5, F.NO_COMMON_LRU), map_type: T.LRU_PERCPU_HASH }],
    ['lru_percpu_hash', { ...hash(), map_type: T.LRU_PERCPU_HASH }],
    ['array', array()],
    ['array key_size 8', { ...array(), key_size: 8 }],
    ['array value_size 0', array(0)],
    ['array max_entries 0', array(8, 0)],
    ['array NO_PREALLOC', array(8, 4, F.NO_PREALLOC)],
    ['array MMAPABLE', array(8, 4, F.MMAPABLE)],
    ['array INNER_MAP', array(8, 4, F.INNER_MAP)],
    ['array PRESERVE_ELEMS', array(8, 4, F.PRESERVE_ELEMS)],
    ['array ZERO_SEED', array(8, 4, F.ZERO_SEED)],
    ['array value_size 2^31', array(0x80000000, 1)],
    ['array max_entries 2^32-1 (32 GiB)', array(8, 0xffffffff)],
    ['array NUMA node 0', { ...array(), map_flags: F.NUMA_NODE, numa_node: 0 }],
    ['percpu_array', { ...array(), map_type: T.PERCPU_ARRAY }],
    ['percpu_array MMAPABLE', { ...array(8, 4, F.MMAPABLE), map_type: T.PERCPU_ARRAY }],
    ['percpu_array value 32769', { ...array(32769), map_type: T.PERCPU_ARRAY }],
    ['percpu_array NUMA node 0', { ...array(), map_type: T.PERCPU_ARRAY, map_flags: F.NUMA_NODE, numa_node: 0 }],
    ['prog_array', { map_type: T.PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 4 }],
    ['prog_array value_size 8', { map_type: T.PROG_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }],
    ['prog_array RDONLY_PROG', { map_type: T.PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 4, map_flags: F.RDONLY_PROG }],
    ['prog_array key_size 8', { map_type: T.PROG_ARRAY, key_size: 8, value_size: 4, max_entries: 4 }],
    ['perf_event_array', { map_type: T.PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2 }],
    ['perf_event_array PRESERVE_ELEMS', { map_type: T.PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2, map_flags: F.PRESERVE_ELEMS }],
    ['perf_event_array value_size 8', { map_type: T.PERF_EVENT_ARRAY, key_size: 4, value_size: 8, max_entries: 2 }],
    ['queue', { map_type: T.QUEUE, value_size: 4, max_entries: 4 }],
    ['queue key_size 4', { map_type: T.QUEUE, key_size: 4, value_size: 4, max_entries: 4 }],
    ['queue value_size 0', { map_type: T.QUEUE, value_size: 0, max_entries: 4 }],
    ['queue max_entries 0', { map_type: T.QUEUE, value_size: 4, max_entries: 0 }],
    ['queue NO_PREALLOC', { map_type: T.QUEUE, value_size: 4, max_entries: 4, map_flags: F.NO_PREALLOC }],
    ['stack', { map_type: T.STACK, value_size: 8, max_entries: 4 }],
    ['stack value too large', { map_type: T.STACK, value_size: (1 << 22) + 1, max_entries: 1 }],
    ['ringbuf 4096', { map_type: T.RINGBUF, max_entries: 4096 }],
    ['ringbuf 4095', { map_type: T.RINGBUF, max_entries: 4095 }],
    ['ringbuf 12288 (not a power of two)', { map_type: T.RINGBUF, max_entries: 12288 }],
    ['ringbuf 2048 (below a page)', { map_type: T.RINGBUF, max_entries: 2048 }],
    ['ringbuf key_size 4', { map_type: T.RINGBUF, key_size: 4, max_entries: 4096 }],
    ['ringbuf value_size 4', { map_type: T.RINGBUF, value_size: 4, max_entries: 4096 }],
    ['ringbuf RDONLY', { map_type: T.RINGBUF, max_entries: 4096, map_flags: F.RDONLY }],
    ['ringbuf NUMA', { map_type: T.RINGBUF, max_entries: 4096, map_flags: F.NUMA_NODE, numa_node: 0 }],
    ['bloom', { map_type: T.BLOOM, value_size: 4, max_entries: 100 }],
    ['bloom key_size 4', { map_type: T.BLOOM, key_size: 4, value_size: 4, max_entries: 100 }],
    ['bloom map_extra 3', { map_type: T.BLOOM, value_size: 4, max_entries: 100, map_extra: 3 }],
    ['bloom map_extra 16', { map_type: T.BLOOM, value_size: 4, max_entries: 100, map_extra: 16 }],
    ['bloom NO_PREALLOC', { map_type: T.BLOOM, value_size: 4, max_entries: 100, map_flags: F.NO_PREALLOC }],
    ['hash map_extra', { ...hash(), map_extra: 1 }],
    ['unknown type 99', { ...hash(), map_type: 99 }],
    ['type 34 (one past the last)', { ...hash(), map_type: 34 }],
    ['type 0 (unspec)', { ...hash(), map_type: 0 }],
    ['name my_map.1', { ...hash(), map_name: 'my_map.1' }],
    ['name with a dash', { ...hash(), map_name: 'bad-name' }],
    ['name of 16 characters', { ...hash(), map_name: 'abcdefghijklmnop' }],
    ['name of 15 characters', { ...hash(), map_name: 'abcdefghijklmno' }],
    ['invalid name on an invalid map (alloc check first)', { ...hash(0), map_name: 'bad-name' }],
    ['btf key type without value type', { ...hash(), btf_key_type_id: 1 }],
    ['btf_vmlinux_value_type_id on a hash', { ...hash(), btf_vmlinux_value_type_id: 1 }],
    ['btf value type with a bad btf_fd', { ...hash(), btf_value_type_id: 1, btf_fd: 9999 }],
    ['excl_prog_hash_size without a hash', { ...hash(), excl_prog_hash_size: 32 }],
    ['map_ifindex 1 (no offload)', { ...hash(), map_ifindex: 1 }],
    ['map_ifindex 999 (no such device)', { ...array(), map_ifindex: 999 }],
    ['map_ifindex on a queue', { map_type: T.QUEUE, value_size: 4, max_entries: 4, map_ifindex: 1 }],
  ];
  for (const [id, attr] of create) add(`create: ${id}`, createCase(attr));
  add('create: TOKEN_FD with a map fd', new B().create('m1', array()).create('m0', { ...hash(), map_flags: F.TOKEN_FD, map_token_fd: 'm1' }));
  add('create: btf_fd naming a map', new B().create('m1', array()).create('m0', { ...hash(), btf_value_type_id: 1, btf_fd: 'm1' }));

  // ---- map-in-map creation ----
  const aom = (inner: string | number, extra: Partial<CreateAttrJson> = {}): CreateAttrJson => ({ map_type: T.ARRAY_OF_MAPS, key_size: 4, value_size: 4, max_entries: 4, inner_map_fd: inner, ...extra });
  const hom = (inner: string | number, extra: Partial<CreateAttrJson> = {}): CreateAttrJson => ({ map_type: T.HASH_OF_MAPS, key_size: 4, value_size: 4, max_entries: 4, inner_map_fd: inner, ...extra });
  add('map-in-map: array of arrays', new B().create('m1', array()).create('m0', aom('m1')).info('m0'));
  add('map-in-map: hash of hashes', new B().create('m1', hash()).create('m0', hom('m1')).info('m0'));
  add('map-in-map: inner fd not open', new B().create('m0', aom(9999)));
  add('map-in-map: inner fd a program', new B().prog('p0', retProg(1)).create('m0', aom('p0')));
  add('map-in-map: value_size 8', new B().create('m1', array()).create('m0', aom('m1', { value_size: 8 })));
  add('map-in-map: hash of maps value_size 8', new B().create('m1', array()).create('m0', hom('m1', { value_size: 8 })));
  add('map-in-map: prog array inner (no meta_equal)', new B().create('m1', { map_type: T.PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 4 }).create('m0', aom('m1')));
  add('map-in-map: nested outer as inner', new B().create('m2', array()).create('m1', aom('m2')).create('m0', aom('m1')));
  add('map-in-map: queue inner', new B().create('m1', { map_type: T.QUEUE, value_size: 4, max_entries: 4 }).create('m0', aom('m1')).info('m0'));
  add('map-in-map: ringbuf inner', new B().create('m1', { map_type: T.RINGBUF, max_entries: 4096 }).create('m0', hom('m1')).info('m0'));
  add('map-in-map: array of maps MMAPABLE', new B().create('m1', array()).create('m0', aom('m1', { map_flags: F.MMAPABLE })));
  add('map-in-map: inner fd given to a plain array (ignored)', new B().create('m0', { ...array(), inner_map_fd: 9999 }).info('m0'));

  // ---- update flags: hash ----
  add('hash: BPF_ANY inserts, lookup reads', new B().create('m0', hash()).update('m0', u32(1), bytes(8), ANY).lookup('m0', u32(1), 8));
  add('hash: NOEXIST on an existing key', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).update('m0', u32(1), bytes(8, 9), NOEXIST).lookup('m0', u32(1), 8));
  add('hash: EXIST on a missing key', new B().create('m0', hash()).update('m0', u32(1), bytes(8), EXIST).lookup('m0', u32(1), 8));
  add('hash: EXIST replaces', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).update('m0', u32(1), bytes(8, 50), EXIST).lookup('m0', u32(1), 8));
  add('hash: NOEXIST inserts', new B().create('m0', hash()).update('m0', u32(1), bytes(8), NOEXIST).lookup('m0', u32(1), 8));
  add('hash: flags 3', new B().create('m0', hash()).update('m0', u32(1), bytes(8), 3));
  add('hash: BPF_F_LOCK without a spin lock', new B().create('m0', hash()).update('m0', u32(1), bytes(8), LOCK));
  add('hash: flags 8', new B().create('m0', hash()).update('m0', u32(1), bytes(8), 8));
  add('hash: flags 2^32', new B().create('m0', hash()).update('m0', u32(1), bytes(8), 2 ** 32));
  add('hash: lookup flags 1', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), 8, 1));
  add('hash: lookup BPF_F_LOCK', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), 8, LOCK));
  add('hash: lookup missing', new B().create('m0', hash()).lookup('m0', u32(1), 8));
  add('hash: NULL key', new B().create('m0', hash()).update('m0', null, bytes(8)).lookup('m0', null, 8).delete('m0', null));
  add('hash: NULL value', new B().create('m0', hash()).update('m0', u32(1), null));
  add('hash: lookup into NULL', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), null));
  add('hash: lookup of a missing key into NULL (ENOENT first)', new B().create('m0', hash()).lookup('m0', u32(1), null));
  add('hash: delete', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).delete('m0', u32(1)).lookup('m0', u32(1), 8).delete('m0', u32(1)));
  add('hash: 3-byte keys', new B().create('m0', hash(3, 4, 8)).update('m0', bytes(3), bytes(4)).lookup('m0', bytes(3), 4).lookup('m0', bytes(3, 2), 4));
  add('hash: update of a NO_PREALLOC map', new B().create('m0', hash(4, 8, 4, F.NO_PREALLOC)).update('m0', u32(1), bytes(8)).update('m0', u32(1), bytes(8, 7)).lookup('m0', u32(1), 8));

  // ---- full maps ----
  const fill = (b: B, map: string, n: number, vs: number, value?: (i: number) => Hex): B => {
    for (let i = 1; i <= n; i++) b.update(map, u32(i), value ? value(i) : bytes(vs, i));
    return b;
  };
  add('hash full: E2BIG for a new key', fill(new B().create('m0', hash(4, 8, 4)), 'm0', 4, 8).update('m0', u32(5), bytes(8)).iterate('m0', true));
  add('hash full: an existing key still updates', fill(new B().create('m0', hash(4, 8, 4)), 'm0', 4, 8).update('m0', u32(2), bytes(8, 40)).update('m0', u32(2), bytes(8, 41), EXIST).lookup('m0', u32(2), 8));
  add('hash full: delete makes room', fill(new B().create('m0', hash(4, 8, 4)), 'm0', 4, 8).delete('m0', u32(3)).update('m0', u32(9), bytes(8)).update('m0', u32(10), bytes(8)).iterate('m0', true));
  add('hash NO_PREALLOC full', fill(new B().create('m0', hash(4, 8, 3, F.NO_PREALLOC)), 'm0', 3, 8).update('m0', u32(4), bytes(8)).update('m0', u32(1), bytes(8, 30)).lookup('m0', u32(1), 8));
  add('percpu_hash full', fill(new B().create('m0', { ...hash(4, 4, 2), map_type: T.PERCPU_HASH }), 'm0', 2, 4, (i) => percpu(4, [i, i + 10])).update('m0', u32(3), percpu(4, [1, 2])));
  add('hash max_entries 1', new B().create('m0', hash(4, 8, 1)).update('m0', u32(1), bytes(8)).update('m0', u32(2), bytes(8)).update('m0', u32(1), bytes(8, 5)).lookup('m0', u32(1), 8));

  // ---- array ----
  add('array: update and lookup', new B().create('m0', array()).update('m0', u32(2), bytes(8)).lookup('m0', u32(2), 8).lookup('m0', u32(0), 8));
  add('array: NOEXIST', new B().create('m0', array()).update('m0', u32(0), bytes(8), NOEXIST));
  add('array: EXIST', new B().create('m0', array()).update('m0', u32(0), bytes(8), EXIST).lookup('m0', u32(0), 8));
  add('array: index past the end', new B().create('m0', array()).update('m0', u32(4), bytes(8)).lookup('m0', u32(4), 8).lookup('m0', u32(0xffffffff), 8));
  add('array: flags 3 and BPF_F_LOCK', new B().create('m0', array()).update('m0', u32(0), bytes(8), 3).update('m0', u32(0), bytes(8), LOCK));
  add('array: delete', new B().create('m0', array()).delete('m0', u32(0)).delete('m0', u32(9)));
  add('array: value_size 5 copies 5 bytes', new B().create('m0', array(5)).update('m0', u32(1), bytes(5)).lookup('m0', u32(1), 5));
  add('array: get_next_key', new B().create('m0', array(8, 3)).next('m0', null, 4).next('m0', u32(0), 4).next('m0', u32(1), 4).next('m0', u32(2), 4).next('m0', u32(3), 4).next('m0', u32(100), 4).iterate('m0'));
  add('array: get_next_key into NULL', new B().create('m0', array()).next('m0', null, null));
  add('array: lookup_and_delete', new B().create('m0', array()).lookupAndDelete('m0', u32(0), 8));

  // ---- per-CPU value sizes ----
  const pa = (vs: number, max = 2): CreateAttrJson => ({ map_type: T.PERCPU_ARRAY, key_size: 4, value_size: vs, max_entries: max });
  for (const vs of [4, 8, 12]) {
    add(`percpu_array value ${vs}: update all CPUs, lookup`, new B().create('m0', pa(vs)).update('m0', u32(1), percpu(vs, [10, 20])).lookup('m0', u32(1), round8(vs) * CPUS_IN_CASES).lookup('m0', u32(0), round8(vs) * CPUS_IN_CASES));
  }
  add('percpu_array: padding bytes from user space come back', new B().create('m0', pa(4)).update('m0', u32(0), bytes(16, 100)).lookup('m0', u32(0), 16));
  add('percpu_array: NOEXIST, EXIST, flags 3, E2BIG', new B().create('m0', pa(4)).update('m0', u32(0), percpu(4, [1, 2]), NOEXIST).update('m0', u32(0), percpu(4, [1, 2]), EXIST).update('m0', u32(0), percpu(4, [1, 2]), 3).update('m0', u32(2), percpu(4, [1, 2])).lookup('m0', u32(0), 16));
  add('percpu_array: delete', new B().create('m0', pa(4)).delete('m0', u32(0)));
  const ph = (type: number, vs: number, max = 4, flags = 0): CreateAttrJson => ({ map_type: type, key_size: 4, value_size: vs, max_entries: max, map_flags: flags });
  for (const [name, type] of [['percpu_hash', T.PERCPU_HASH], ['lru_percpu_hash', T.LRU_PERCPU_HASH]] as const) {
    add(`${name}: update and lookup all CPUs`, new B().create('m0', ph(type, 12)).update('m0', u32(7), percpu(12, [1, 50])).lookup('m0', u32(7), 32).update('m0', u32(7), percpu(12, [3, 4]), EXIST).lookup('m0', u32(7), 32));
    add(`${name}: flags`, new B().create('m0', ph(type, 4)).update('m0', u32(1), percpu(4, [1, 2]), EXIST).update('m0', u32(1), percpu(4, [1, 2]), NOEXIST).update('m0', u32(1), percpu(4, [5, 6]), NOEXIST).update('m0', u32(1), percpu(4, [1, 2]), 3).lookup('m0', u32(1), 16));
    add(`${name}: lookup_and_delete`, new B().create('m0', ph(type, 4)).update('m0', u32(1), percpu(4, [1, 2])).lookupAndDelete('m0', u32(1), 16).lookup('m0', u32(1), 16));
  }
  add('percpu programs: update on CPU 0 zeroes the other CPUs', new B().create('m0', ph(T.PERCPU_HASH, 8)).prog('p0', updateProg(3, 0x55, ANY), ['m0']).run('p0').lookup('m0', u32(3), 16));
  add('percpu programs: an in-place add changes CPU 0 only', new B().create('m0', pa(8)).update('m0', u32(1), percpu(8, [1, 2])).prog('p0', addProg(1, 5), ['m0']).run('p0').lookup('m0', u32(1), 16));
  add('percpu programs: bpf_map_lookup_percpu_elem', new B().create('m0', pa(4)).update('m0', u32(1), percpu(4, [1, 9])).prog('p0', percpuLookupProg(1, 1), ['m0']).prog('p1', percpuLookupProg(1, 0), ['m0']).prog('p2', percpuLookupProg(1, 2), ['m0']).run('p0').run('p1').run('p2'));

  // ---- GET_NEXT_KEY on hash maps (BPF_F_ZERO_SEED: Linux's exact order) ----
  const zs = (ks: number, max: number, type: number = T.HASH, flags = 0): CreateAttrJson => ({ map_type: type, key_size: ks, value_size: 4, max_entries: max, map_flags: F.ZERO_SEED | flags });
  add('next: empty hash', new B().create('m0', hash()).next('m0', null, 4).next('m0', u32(5), 4));
  for (const [n, max] of [[5, 8], [16, 16], [40, 64], [100, 32]] as const) {
    const b = new B().create('m0', zs(4, max));
    for (let i = 0; i < n; i++) b.update('m0', u32(i * 7 + 1), u32(i));
    add(`next: zero-seed hash, ${n} keys in ${max} entries`, b.iterate('m0'));
  }
  for (const ks of [1, 3, 8, 13, 16]) {
    const b = new B().create('m0', zs(ks, 32));
    for (let i = 0; i < 12; i++) b.update('m0', bytes(ks, i * 3), u32(i));
    add(`next: zero-seed hash with ${ks}-byte keys`, b.iterate('m0'));
  }
  {
    const b = new B().create('m0', zs(4, 4));
    for (let i = 0; i < 4; i++) b.update('m0', u32(i), u32(i));
    add('next: chains, newest first; missing key restarts', b.iterate('m0').next('m0', u32(99), 4).next('m0', u32(2), 4).update('m0', u32(1), u32(9)).iterate('m0'));
  }
  {
    const b = new B().create('m0', zs(4, 16, T.HASH, F.NO_PREALLOC));
    for (let i = 0; i < 10; i++) b.update('m0', u32(i * 3), u32(i));
    add('next: zero-seed NO_PREALLOC hash, delete in the middle', b.delete('m0', u32(9)).delete('m0', u32(0)).iterate('m0'));
  }
  {
    const b = new B().create('m0', zs(4, 16, T.PERCPU_HASH));
    for (let i = 0; i < 9; i++) b.update('m0', u32(i + 100), percpu(4, [i, i]));
    add('next: zero-seed percpu hash', b.iterate('m0'));
  }
  {
    const b = new B().create('m0', hash(4, 4, 64));
    for (let i = 0; i < 30; i++) b.update('m0', u32(i * 11), u32(i));
    add('next: random-seed hash, sorted', b.iterate('m0', true));
  }
  add('next: key NULL pointer output', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).next('m0', null, null));
  add('next: GET_NEXT_KEY with flags set', new B().create('m0', hash()).next('m0', null, 4, { '24': ['<Q', 1] }));
  add('delete: value field set', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).delete('m0', u32(1), { '16': ['<Q', 1] }));
  add('delete: flags field set', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).delete('m0', u32(1), { '24': ['<Q', 1] }));
  add('freeze: attr past map_fd set', new B().create('m0', hash()).freeze('m0', { '8': ['<Q', 1] }));

  // ---- LRU ----
  const lru = (max: number, flags = 0, type: number = T.LRU_HASH, vs = 4): CreateAttrJson => ({ map_type: type, key_size: 4, value_size: vs, max_entries: max, map_flags: flags });
  const lruFill = (b: B, from: number, to: number, percpuValue = false): B => {
    for (let i = from; i <= to; i++) b.update('m0', u32(i), percpuValue ? percpu(4, [i, i]) : u32(i));
    return b;
  };
  for (const [max, n] of [[8, 9], [8, 12], [16, 20], [4, 10], [1, 3], [2, 5], [64, 100], [300, 700]] as const) {
    add(`lru: ${n} inserts into ${max} entries`, lruFill(new B().create('m0', lru(max)), 1, n).iterate('m0', true));
  }
  add('lru: updates of existing keys keep them', lruFill(new B().create('m0', lru(8)), 1, 8).update('m0', u32(1), u32(100)).update('m0', u32(2), u32(200)).update('m0', u32(9), u32(9)).update('m0', u32(10), u32(10)).iterate('m0', true));
  add('lru: references from a program keep keys', lruFill(new B().create('m0', lru(16)), 1, 16).prog('p0', lookupProg([1, 2, 3, 4, 5]), ['m0']).run('p0').update('m0', u32(17), u32(17)).update('m0', u32(18), u32(18)).iterate('m0', true));
  add('lru: references from a program, many evictions', lruFill(new B().create('m0', lru(16)), 1, 16).prog('p0', lookupProg([2, 4, 6, 8, 10, 12]), ['m0']).run('p0').run('p0'));
  {
    const b = lruFill(new B().create('m0', lru(16)), 1, 16).prog('p0', lookupProg([2, 4, 6, 8, 10, 12]), ['m0']).run('p0');
    lruFill(b, 17, 30).iterate('m0', true);
    add('lru: alternating references over 30 inserts', b);
  }
  add('lru: syscall lookups do not reference', lruFill(new B().create('m0', lru(8)), 1, 8).lookup('m0', u32(1), 4).lookup('m0', u32(2), 4).update('m0', u32(9), u32(9)).iterate('m0', true));
  add('lru: NOEXIST failure returns the node', lruFill(new B().create('m0', lru(8)), 1, 8).update('m0', u32(3), u32(0), NOEXIST).update('m0', u32(4), u32(0), NOEXIST).update('m0', u32(9), u32(9)).iterate('m0', true));
  add('lru: EXIST on a missing key still takes a node', lruFill(new B().create('m0', lru(8)), 1, 8).update('m0', u32(50), u32(0), EXIST).update('m0', u32(51), u32(0), EXIST).iterate('m0', true));
  add('lru: delete then insert', lruFill(new B().create('m0', lru(8)), 1, 8).delete('m0', u32(5)).delete('m0', u32(6)).update('m0', u32(9), u32(9)).update('m0', u32(10), u32(10)).update('m0', u32(11), u32(11)).iterate('m0', true));
  add('lru: lookup_and_delete', lruFill(new B().create('m0', lru(8)), 1, 4).lookupAndDelete('m0', u32(2), 4).lookupAndDelete('m0', u32(2), 4).iterate('m0', true));
  add('lru: flags 3 and BPF_F_LOCK', new B().create('m0', lru(8)).update('m0', u32(1), u32(1), 3).update('m0', u32(1), u32(1), LOCK));
  add('lru: program updates and deletes', new B().create('m0', lru(4, 0, T.LRU_HASH, 8)).prog('p0', updateProg(1, 7, ANY), ['m0']).prog('p1', updateProg(1, 8, NOEXIST), ['m0']).prog('p2', deleteProg(1), ['m0']).run('p0').run('p1').run('p2').run('p2').iterate('m0', true));
  for (const [max, n] of [[8, 12], [4, 9], [16, 40]] as const) {
    add(`lru NO_COMMON_LRU: ${n} inserts into ${max}`, lruFill(new B().create('m0', lru(max, F.NO_COMMON_LRU)), 1, n).iterate('m0', true).info('m0'));
  }
  add('lru NO_COMMON_LRU: references', lruFill(new B().create('m0', lru(8, F.NO_COMMON_LRU)), 1, 4).prog('p0', lookupProg([1, 2]), ['m0']).run('p0').update('m0', u32(5), u32(5)).update('m0', u32(6), u32(6)).update('m0', u32(7), u32(7)).iterate('m0', true));
  for (const [max, n] of [[8, 12], [16, 33]] as const) {
    add(`lru_percpu: ${n} inserts into ${max}`, lruFill(new B().create('m0', lru(max, 0, T.LRU_PERCPU_HASH)), 1, n, true).iterate('m0', true));
    add(`lru_percpu NO_COMMON_LRU: ${n} inserts into ${max}`, lruFill(new B().create('m0', lru(max, F.NO_COMMON_LRU, T.LRU_PERCPU_HASH)), 1, n, true).iterate('m0', true));
  }
  add('lru_percpu: EXIST on a missing key takes no node', lruFill(new B().create('m0', lru(8, 0, T.LRU_PERCPU_HASH)), 1, 8, true).update('m0', u32(77), percpu(4, [1, 1]), EXIST).iterate('m0', true));
  add('lru_percpu: updates reference in place', lruFill(new B().create('m0', lru(8, 0, T.LRU_PERCPU_HASH)), 1, 8, true).update('m0', u32(1), percpu(4, [9, 9])).update('m0', u32(9), percpu(4, [9, 9])).update('m0', u32(10), percpu(4, [9, 9])).iterate('m0', true).lookup('m0', u32(1), 16));
  {
    const b = new B().create('m0', { ...lru(16), map_flags: F.ZERO_SEED });
    lruFill(b, 1, 24);
    add('lru: zero-seed order after evictions', b.iterate('m0'));
  }

  // ---- freeze and fd modes ----
  add('freeze: writes fail, reads work', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).freeze('m0').update('m0', u32(2), bytes(8)).delete('m0', u32(1)).lookup('m0', u32(1), 8).next('m0', null, 4).lookupAndDelete('m0', u32(1), 8));
  add('freeze: twice', new B().create('m0', hash()).freeze('m0').freeze('m0'));
  add('freeze: programs still write', new B().create('m0', { ...hash(4, 8, 4) }).freeze('m0').prog('p0', updateProg(1, 9, ANY), ['m0']).run('p0').lookup('m0', u32(1), 8));
  add('freeze: array', new B().create('m0', array()).freeze('m0').update('m0', u32(0), bytes(8)).lookup('m0', u32(0), 8));
  add('freeze: queue', new B().create('m0', { map_type: T.QUEUE, value_size: 4, max_entries: 4 }).update('m0', null, u32(1)).freeze('m0').update('m0', null, u32(2)).lookup('m0', null, 4).lookupAndDelete('m0', null, 4));
  add('fd mode: RDONLY', new B().create('m0', hash(4, 8, 16, F.RDONLY)).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), 8).next('m0', null, 4).delete('m0', u32(1)).freeze('m0').lookupAndDelete('m0', u32(1), 8));
  add('fd mode: WRONLY', new B().create('m0', hash(4, 8, 16, F.WRONLY)).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), 8).next('m0', null, 4).delete('m0', u32(1)).freeze('m0').update('m0', u32(2), bytes(8)));
  add('fd mode: RDONLY_PROG is a program flag only', new B().create('m0', hash(4, 8, 16, F.RDONLY_PROG)).update('m0', u32(1), bytes(8)).lookup('m0', u32(1), 8).info('m0'));

  // ---- bad fds ----
  add('fd: not open', new B().lookup(9999, u32(0), 4).update(9999, u32(0), u32(0)).delete(9999, u32(0)).next(9999, null, 4).freeze(9999).lookupAndDelete(9999, u32(0), 4));
  add('fd: a program', new B().prog('p0', retProg(2)).lookup('p0', u32(0), 4).update('p0', u32(0), u32(0)).freeze('p0'));

  // ---- queue and stack ----
  const q = (type: number, max = 3, vs = 4): CreateAttrJson => ({ map_type: type, value_size: vs, max_entries: max });
  for (const [name, type] of [['queue', T.QUEUE], ['stack', T.STACK]] as const) {
    add(`${name}: push, peek, pop order`, new B().create('m0', q(type)).update('m0', null, u32(1)).update('m0', null, u32(2)).update('m0', null, u32(3)).lookup('m0', null, 4).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4).lookup('m0', null, 4));
    add(`${name}: full`, new B().create('m0', q(type)).update('m0', null, u32(1)).update('m0', null, u32(2)).update('m0', null, u32(3)).update('m0', null, u32(4)).update('m0', null, u32(5), EXIST).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4));
    add(`${name}: flags`, new B().create('m0', q(type)).update('m0', null, u32(1), NOEXIST).update('m0', null, u32(1), 3).update('m0', null, u32(1), LOCK).update('m0', null, u32(1), EXIST).lookup('m0', null, 4, 1).lookupAndDelete('m0', null, 4, 1).lookupAndDelete('m0', null, 4, LOCK));
    add(`${name}: keys are refused`, new B().create('m0', q(type)).update('m0', u32(0), u32(1)).lookup('m0', u32(0), 4).delete('m0', null).delete('m0', u32(0)).next('m0', null, 4).next('m0', u32(0), 4));
    add(`${name}: wrap around`, new B().create('m0', q(type, 2)).update('m0', null, u32(1)).update('m0', null, u32(2)).lookupAndDelete('m0', null, 4).update('m0', null, u32(3)).lookupAndDelete('m0', null, 4).update('m0', null, u32(4)).update('m0', null, u32(5), EXIST).lookupAndDelete('m0', null, 4).lookupAndDelete('m0', null, 4));
    add(`${name}: programs push and pop`, new B().create('m0', q(type)).update('m0', null, u32(9)).prog('p0', pushPopProg(5, ANY, true), ['m0']).prog('p1', pushPopProg(6, ANY, false), ['m0']).prog('p2', popProg, ['m0']).run('p0').run('p1').run('p2').run('p2').run('p2').run('p2'));
    add(`${name}: program push into a full map`, new B().create('m0', q(type, 1)).update('m0', null, u32(9)).prog('p0', pushPopProg(5, ANY, false), ['m0']).prog('p1', pushPopProg(6, EXIST, false), ['m0']).prog('p2', pushPopProg(7, NOEXIST, false), ['m0']).run('p0').run('p1').run('p2'));
  }

  // ---- bloom filter ----
  const bloom = (flags = F.ZERO_SEED, extra = 0): CreateAttrJson => ({ map_type: T.BLOOM, value_size: 4, max_entries: 16, map_flags: flags, map_extra: extra });
  add('bloom: push and test', new B().create('m0', bloom()).update('m0', null, u32(42)).update('m0', null, u32(7)).bloom('m0', u32(42)).bloom('m0', u32(7)).bloom('m0', u32(8)).bloom('m0', u32(1000)));
  add('bloom: one hash function', (() => {
    const b = new B().create('m0', bloom(F.ZERO_SEED, 1));
    for (let i = 0; i < 20; i++) b.update('m0', null, u32(i * 13));
    for (let i = 0; i < 40; i++) b.bloom('m0', u32(1000 + i));
    return b;
  })());
  add('bloom: refused operations', new B().create('m0', bloom()).update('m0', null, u32(1), NOEXIST).update('m0', null, u32(1), EXIST).update('m0', u32(0), u32(1)).delete('m0', null).next('m0', null, 4).lookupAndDelete('m0', null, 4).bloom('m0', null));
  add('bloom: value_size 3 (byte jhash)', (() => {
    const b = new B().create('m0', { ...bloom(), value_size: 3 });
    for (let i = 0; i < 10; i++) b.update('m0', null, bytes(3, i * 5));
    for (let i = 0; i < 30; i++) b.bloom('m0', bytes(3, i * 5 + 1));
    return b;
  })());

  // ---- ring buffer ----
  const rb = (size = 4096): CreateAttrJson => ({ map_type: T.RINGBUF, max_entries: size });
  add('ringbuf: no elements', new B().create('m0', rb()).lookup('m0', null, 4).update('m0', null, u32(0)).delete('m0', null).next('m0', null, 4).lookupAndDelete('m0', null, 4).freeze('m0'));
  add('ringbuf: output and query', new B().create('m0', rb()).create('m1', array(400, 1)).prog('p0', ringbufOutputProg(2, 8, 0), ['m0', 'm1']).prog('p1', ringbufOutputProg(1, 13, 3), ['m0', 'm1']).prog('p2', ringbufOutputProg(0, 0, 1), ['m0', 'm1']).run('p0').run('p1').run('p2'));
  add('ringbuf: output until full', new B().create('m0', rb()).create('m1', array(400, 1)).prog('p0', ringbufOutputProg(10, 400), ['m0', 'm1']).prog('p1', ringbufOutputProg(1, 400), ['m0', 'm1']).prog('p2', ringbufOutputProg(0, 0, 0), ['m0', 'm1']).run('p0').run('p1').run('p2'));
  add('ringbuf: output flags', new B().create('m0', rb()).create('m1', array(400, 1)).prog('p0', ringbufOutputProg(1, 8, undefined, 1), ['m0', 'm1']).prog('p1', ringbufOutputProg(1, 8, undefined, 2), ['m0', 'm1']).prog('p2', ringbufOutputProg(1, 8, undefined, 4), ['m0', 'm1']).run('p0').run('p1').run('p2'));
  add('ringbuf: reserve, submit, discard', new B().create('m0', rb()).prog('p0', ringbufReserveProg(16, 0, false), ['m0']).prog('p1', ringbufReserveProg(16, 0, true), ['m0']).prog('p2', ringbufReserveProg(16, 1, false), ['m0']).prog('p3', ringbufReserveProg(4088, 0, false), ['m0']).run('p0').run('p1').run('p2').run('p3'));
  add('ringbuf: reserve larger than the ring', new B().create('m0', rb()).prog('p0', ringbufReserveProg(4096, 0, false), ['m0']).run('p0'));

  // ---- prog array ----
  const pa4: CreateAttrJson = { map_type: T.PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 4 };
  add('prog_array: insert, lookup (id), delete', new B().create('m0', pa4).prog('p0', retProg(5)).update('m0', u32(1), { fd: 'p0' }).lookup('m0', u32(1), 4, undefined, 'prog').lookup('m0', u32(0), 4).delete('m0', u32(1)).delete('m0', u32(1)).lookup('m0', u32(1), 4));
  add('prog_array: errors', new B().create('m0', pa4).create('m1', array()).prog('p0', retProg(5)).update('m0', u32(4), { fd: 'p0' }).update('m0', u32(0), { fd: 'p0' }, NOEXIST).update('m0', u32(0), { fd: 'm1' }).update('m0', u32(0), { rawfd: 9999 }).delete('m0', u32(4)).lookup('m0', u32(4), 4));
  add('prog_array: program types must agree', new B().create('m0', pa4).prog('p0', retProg(1)).prog('p1', retProg(1), [], 'socket_filter').update('m0', u32(0), { fd: 'p0' }).update('m0', u32(1), { fd: 'p1' }).delete('m0', u32(0)).update('m0', u32(1), { fd: 'p1' }));
  add('prog_array: tail calls', new B().create('m0', pa4).prog('p0', retProg(42)).prog('p1', tailCallProg(1), ['m0']).prog('p2', tailCallProg(3), ['m0']).prog('p3', tailCallProg(9), ['m0']).update('m0', u32(1), { fd: 'p0' }).run('p1').run('p2').run('p3').delete('m0', u32(1)).run('p1'));
  add('prog_array: update flags', new B().create('m0', pa4).prog('p0', retProg(1)).update('m0', u32(0), { fd: 'p0' }, EXIST).update('m0', u32(0), { fd: 'p0' }, 3).update('m0', u32(0), { fd: 'p0' }, ANY).update('m0', u32(0), { fd: 'p0' }, ANY).iterate('m0'));
  add('prog_array: lookup_and_delete', new B().create('m0', pa4).lookupAndDelete('m0', u32(0), 4));

  // ---- perf event array ----
  const pe: CreateAttrJson = { map_type: T.PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 4 };
  add('perf_event_array: syscalls', new B().create('m0', pe).create('m1', array()).lookup('m0', u32(0), 4).update('m0', u32(0), { fd: 'm1' }).update('m0', u32(0), { rawfd: 9999 }).update('m0', u32(9), { fd: 'm1' }).update('m0', u32(0), { fd: 'm1' }, NOEXIST).delete('m0', u32(0)).delete('m0', u32(9)).next('m0', null, 4));
  add('perf_event_array: output without events', new B().create('m0', pe).prog('p0', perfOutputProg(0xffffffffn), ['m0']).prog('p1', perfOutputProg(2n), ['m0']).prog('p2', perfOutputProg(4n), ['m0']).prog('p3', perfOutputProg(1n << 60n), ['m0']).prog('p4', perfOutputProg((64n << 32n) | 0xffffffffn), ['m0']).prog('p5', perfOutputProg((65n << 32n) | 0xffffffffn), ['m0']).run('p0').run('p1').run('p2').run('p3').run('p4').run('p5'));

  // ---- map in map ----
  add('map-in-map: array of maps slots', new B().create('m1', array(4, 4)).create('m2', array(4, 4)).create('m3', array(8, 4)).create('m4', array(4, 8)).create('m5', hash(4, 4, 4)).create('m0', aom('m1'))
    .update('m0', u32(0), { fd: 'm2' }).lookup('m0', u32(0), 4, undefined, 'map').update('m0', u32(1), { fd: 'm3' }).update('m0', u32(1), { fd: 'm4' }).update('m0', u32(1), { fd: 'm5' })
    .update('m0', u32(1), { fd: 'm2' }, NOEXIST).update('m0', u32(9), { fd: 'm2' }).update('m0', u32(1), { rawfd: 9999 }).lookup('m0', u32(1), 4).delete('m0', u32(0)).delete('m0', u32(0)).iterate('m0'));
  add('map-in-map: BPF_F_INNER_MAP lets max_entries differ', new B().create('m1', array(4, 4, F.INNER_MAP)).create('m2', array(4, 100, F.INNER_MAP)).create('m3', array(4, 100)).create('m0', aom('m1')).update('m0', u32(0), { fd: 'm2' }).update('m0', u32(1), { fd: 'm3' }));
  add('map-in-map: hash inner max_entries may differ', new B().create('m1', hash(4, 4, 4)).create('m2', hash(4, 4, 64)).create('m3', hash(4, 4, 4, F.NO_PREALLOC)).create('m0', hom('m1')).update('m0', u32(5), { fd: 'm2' }).update('m0', u32(6), { fd: 'm3' }).lookup('m0', u32(5), 4, undefined, 'map'));
  add('map-in-map: hash of maps flags and full', new B().create('m1', array()).create('m2', array()).create('m0', hom('m1', { max_entries: 2 }))
    .update('m0', u32(1), { fd: 'm2' }, EXIST).update('m0', u32(1), { fd: 'm2' }).update('m0', u32(1), { fd: 'm1' }, NOEXIST).update('m0', u32(2), { fd: 'm1' }).update('m0', u32(3), { fd: 'm1' })
    .update('m0', u32(1), { fd: 'm1' }, EXIST).lookup('m0', u32(1), 4, undefined, 'map').update('m0', u32(3), { rawfd: 9999 }, 3).update('m0', u32(3), { fd: 'm1' }, 3).lookupAndDelete('m0', u32(1), 4).delete('m0', u32(1)).delete('m0', u32(1)));
  add('map-in-map: the template may close', new B().create('m1', array()).create('m2', array()).create('m0', aom('m1')).close('m1').update('m0', u32(0), { fd: 'm2' }).lookup('m0', u32(0), 4, undefined, 'map'));
  add('map-in-map: programs reach the inner map', new B().create('m1', array(4, 4)).create('m2', array(4, 4)).create('m0', aom('m1')).update('m2', u32(3), u32(0x1234)).prog('p0', mapInMapProg(3), ['m0']).prog('p1', mapInMapProg(7), ['m0']).run('p0').update('m0', u32(0), { fd: 'm2' }).run('p0').run('p1'));
  add('map-in-map: programs reach an inner hash', new B().create('m1', hash(4, 4, 4)).create('m2', hash(4, 4, 4)).create('m0', hom('m1')).update('m2', u32(3), u32(0x4321)).prog('p0', mapInMapProg(3), ['m0']).update('m0', u32(0), { fd: 'm2' }).run('p0').delete('m0', u32(0)).run('p0'));

  // ---- lookup and delete ----
  add('lookup_and_delete: hash', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookupAndDelete('m0', u32(1), 8).lookupAndDelete('m0', u32(1), 8).lookup('m0', u32(1), 8));
  add('lookup_and_delete: flags', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookupAndDelete('m0', u32(1), 8, 1).lookupAndDelete('m0', u32(1), 8, LOCK).lookupAndDelete('m0', null, 8));
  add('lookup_and_delete: into NULL', new B().create('m0', hash()).update('m0', u32(1), bytes(8)).lookupAndDelete('m0', u32(1), null).lookup('m0', u32(1), 8));
  add('lookup_and_delete: array of maps', new B().create('m1', array()).create('m0', aom('m1')).lookupAndDelete('m0', u32(0), 4));

  // ---- programs on hash maps ----
  add('programs: hash update flags', new B().create('m0', hash(4, 8, 2)).prog('p0', updateProg(1, 1, NOEXIST), ['m0']).prog('p1', updateProg(2, 2, EXIST), ['m0']).prog('p2', updateProg(3, 3, ANY), ['m0']).prog('p3', updateProg(4, 4, ANY), ['m0']).prog('p4', updateProg(1, 5, 5), ['m0'])
    .run('p0').run('p0').run('p1').run('p2').run('p3').run('p4').iterate('m0', true).lookup('m0', u32(1), 8));
  add('programs: hash delete', new B().create('m0', hash(4, 8, 2)).update('m0', u32(1), bytes(8)).prog('p0', deleteProg(1), ['m0']).run('p0').run('p0'));
  add('programs: in-place atomic add', new B().create('m0', hash(4, 8, 2)).update('m0', u32(1), u64(10)).prog('p0', addProg(1, 5), ['m0']).prog('p1', addProg(2, 5), ['m0']).run('p0').run('p0').run('p1').lookup('m0', u32(1), 8));
  add('programs: array update flags', new B().create('m0', array(8, 2)).prog('p0', updateProg(1, 9, NOEXIST), ['m0']).prog('p1', updateProg(5, 9, ANY), ['m0']).prog('p2', updateProg(1, 9, EXIST), ['m0']).prog('p3', deleteProg(0), ['m0']).run('p0').run('p1').run('p2').run('p3').lookup('m0', u32(1), 8));

  return cases;
}
