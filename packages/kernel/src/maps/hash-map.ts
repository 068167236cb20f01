// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
// Elements are numbered slots: the bucket chains and keys are in HashTable, the values in
// VM memory (ValueStore), the LRU lists in BpfLru. Each update path mirrors its kernel
// function, including the order of its checks and where the new element goes (the head of
// its bucket), so GET_NEXT_KEY walks the map as Linux does.
import { SysError } from '@bpfsim/isa';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST, BpfMap } from './map';
import { BPF_F_ACCESS_MASK, M, NUMA_NO_NODE, accessOk, numaNode } from './flags';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, check, checkMemory } from './errors';
import { HashTable } from './hash-table';
import { BpfLru } from './lru';
import type { BuiltinMapTypeOps } from './ops';
import { PCPU_MIN_UNIT_SIZE } from './array-map';
import { ValueStore, roundUp8 } from './value-store';

/** HTAB_CREATE_FLAG_MASK */
export const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
/** KMALLOC_MAX_SIZE on x86_64 (4 MiB) and sizeof(struct htab_elem). */
const KMALLOC_MAX_SIZE = 1 << 22;
export const HTAB_ELEM_SIZE = 48;

const isPercpu = (t: number): boolean => t === M.BPF_MAP_TYPE_PERCPU_HASH || t === M.BPF_MAP_TYPE_LRU_PERCPU_HASH;
const isLru = (t: number): boolean => t === M.BPF_MAP_TYPE_LRU_HASH || t === M.BPF_MAP_TYPE_LRU_PERCPU_HASH;

/**
 * htab_map_alloc_check(). `sysAdmin` is capable(CAP_SYS_ADMIN), which BPF_F_ZERO_SEED
 * needs (EPERM), checked first.
 */
export function htabMapAllocCheck(attr: MapCreateAttr, sysAdmin: boolean): void {
  const flags = attr.map_flags ?? 0;
  const percpu = isPercpu(attr.map_type);
  const lru = isLru(attr.map_type);
  const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
  const prealloc = !(flags & BPF_F_NO_PREALLOC);
  const numa = numaNode(attr) !== NUMA_NO_NODE;
  if (flags & BPF_F_ZERO_SEED && !sysAdmin) throw new SysError('EPERM', 'BPF_F_ZERO_SEED needs CAP_SYS_ADMIN');
  if (flags & ~HTAB_CREATE_FLAG_MASK || !accessOk(flags)) throw new SysError('EINVAL', `map_flags 0x${flags.toString(16)} are not valid for a hash map`);
  if (!lru && percpuLru) throw new SysError('EINVAL', 'BPF_F_NO_COMMON_LRU is for LRU maps');
  if (lru && !prealloc) throw new SysError('ENOTSUPP', 'LRU maps are always preallocated');
  if (numa && (percpu || percpuLru)) throw new SysError('EINVAL', 'per-CPU maps take no NUMA node');
  if (attr.max_entries === 0 || attr.key_size === 0 || attr.value_size === 0) throw new SysError('EINVAL', 'hash maps need key_size, value_size and max_entries > 0');
  if (attr.key_size + attr.value_size >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) throw new SysError('E2BIG', 'key_size + value_size is too large');
  if (percpu && roundUp8(attr.value_size) > PCPU_MIN_UNIT_SIZE) throw new SysError('E2BIG', `a per-CPU value is at most ${PCPU_MIN_UNIT_SIZE} bytes`);
}

/** htab_map_alloc(): max_entries of a per-CPU-list LRU becomes a multiple of the CPUs. */
export function htabMaxEntries(maxEntries: number, flags: number, cpus: number): number {
  if (!(flags & BPF_F_NO_COMMON_LRU)) return maxEntries;
  const up = Math.ceil(maxEntries / cpus) * cpus;
  return up > 0xffffffff ? Math.floor(maxEntries / cpus) * cpus : up;
}

/** htab_map_alloc()'s size checks. */
export function htabAllocSize(spec: MapSpec, cpus: number, elemValueBytes: number): void {
  if (spec.maxEntries > 2 ** 31) throw new SysError('E2BIG', `max_entries ${spec.maxEntries} is beyond 2^31`);
  let n = 1;
  while (n < spec.maxEntries) n *= 2;
  // n_buckets > U32_MAX / sizeof(struct bucket)
  if (n > Math.floor(0xffffffff / 16)) throw new SysError('E2BIG', `${n} buckets overflow the bucket array`);
  // The bucket array (16 bytes a bucket in Linux) is allocated up front in Linux.
  checkMemory(n * 16, `a bucket array of ${n} buckets`);
  if (!(spec.flags & BPF_F_NO_PREALLOC)) {
    const extra = isPercpu(spec.type) || isLru(spec.type) || elemValueBytes < 0 ? 0 : cpus;
    checkMemory((spec.maxEntries + extra) * (HTAB_ELEM_SIZE + roundUp8(spec.keySize) + Math.max(elemValueBytes, 0)), `a preallocated hash map of ${spec.maxEntries} elements`);
  }
}

/**
 * Slots of a hash map without an LRU: a LIFO free list over slots numbered in order of
 * first use (pcpu_freelist / bpf_mem_alloc give no observable order of their own).
 */
export class SlotPool {
  private readonly free: number[] = [];
  private hwm = 0;
  constructor(readonly capacity: number) {}
  alloc(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    return this.hwm < this.capacity ? this.hwm++ : -1;
  }
  release(slot: number): void {
    this.free.push(slot);
  }
}

export class HashMap extends BpfMap {
  readonly table: HashTable;
  readonly values: ValueStore;
  readonly percpu: boolean;
  readonly lru: BpfLru | null;
  readonly prealloc: boolean;
  private readonly pool: SlotPool | null;
  /** htab->extra_elems: the spare element of each CPU (plain preallocated hash maps). */
  private readonly extra: Int32Array | null;
  /** The address a lookup returns; reused, read it before the next lookup. */
  private readonly addr: VmAddress = { hi: 0, lo: 0 };

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    const cpus = host.cpus;
    this.percpu = isPercpu(spec.type);
    this.prealloc = !(spec.flags & BPF_F_NO_PREALLOC);
    const lru = isLru(spec.type);
    const hasExtra = this.prealloc && !this.percpu && !lru;
    const capacity = spec.maxEntries + (lru ? 0 : cpus);
    // htab->hashrnd: get_random_u32() in Linux, the kernel's seeded generator here, so a
    // simulation iterates the same way every run; BPF_F_ZERO_SEED makes it Linux's order.
    const seed = spec.flags & BPF_F_ZERO_SEED ? 0 : (host.prandomU32?.() ?? 0);
    this.table = new HashTable(spec.keySize, spec.maxEntries, capacity, seed | 0);
    this.values = new ValueStore({
      memory: host.memory,
      capacity,
      valueSize: spec.valueSize,
      perElement: this.percpu ? cpus : 1,
      name: `map ${spec.name || 'hash'}`,
      object: this,
      writable: !(spec.flags & BPF_F_RDONLY_PROG),
    });
    if (lru) {
      this.lru = new BpfLru(spec.maxEntries, cpus, (spec.flags & BPF_F_NO_COMMON_LRU) !== 0, (node) => this.table.unlink(node));
      this.pool = null;
      this.extra = null;
    } else {
      this.lru = null;
      this.pool = new SlotPool(capacity);
      this.extra = hasExtra ? Int32Array.from({ length: cpus }, () => this.pool!.alloc()) : null;
    }
  }

  override get syscallValueSize(): number {
    return this.percpu ? roundUp8(this.valueSize) * this.host.cpus : this.valueSize;
  }

  /** Elements in the map. */
  get count(): number {
    return this.table.count;
  }

  // ---- element life ----------------------------------------------------------------------

  /** free_htab_elem() / htab_lru_push_free(): the slot's element left the map. */
  private releaseSlot(slot: number): void {
    if (this.lru) this.lru.pushFree(slot);
    else this.pool!.release(slot);
  }

  /** pcpu_init_value() / pcpu_copy_value(): from user space every CPU's rounded value;
   * from a program the running CPU's value (a new element zeroes the other CPUs). */
  private setPercpu(slot: number, value: Uint8Array, onAllCpus: boolean, fresh: boolean): void {
    const cpus = this.host.cpus;
    if (onAllCpus) {
      this.values.element(slot).set(value.subarray(0, this.values.stride * cpus));
      return;
    }
    const cur = this.host.currentCpu();
    for (let c = 0; c < cpus; c++) {
      if (c === cur) this.values.value(slot, c).set(value.subarray(0, this.valueSize));
      else if (fresh) this.values.value(slot, c).fill(0);
    }
  }

  /** htab_map_update_elem() */
  private updatePlain(key: Uint8Array, value: Uint8Array, flags: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    const t = this.table;
    const hash = t.hash(key);
    if (flags & BPF_F_LOCK) return -EINVAL; // no bpf_spin_lock without BTF
    const old = t.find(key, 0, hash);
    const err = checkFlags(old, flags);
    if (err) return err;
    let slot: number;
    if (this.prealloc) {
      if (old >= 0) {
        // Replacing: the CPU's spare element takes the value, the old one becomes the spare.
        const cpu = this.host.currentCpu();
        slot = this.extra![cpu]!;
        this.extra![cpu] = old;
      } else {
        if (t.count >= this.maxEntries) return -E2BIG;
        slot = this.pool!.alloc();
      }
    } else {
      if (t.count >= this.maxEntries && old < 0) return -E2BIG;
      slot = this.pool!.alloc();
      if (slot < 0) return -ENOMEM;
    }
    this.values.write(slot, 0, value);
    t.linkHead(slot, key, 0, hash);
    if (old >= 0) {
      t.unlink(old);
      if (!this.prealloc) this.pool!.release(old);
    }
    return 0;
  }

  /** htab_map_update_elem_in_place() for per-CPU maps. */
  private updatePercpu(key: Uint8Array, value: Uint8Array, flags: number, onAllCpus: boolean): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const t = this.table;
    const hash = t.hash(key);
    const old = t.find(key, 0, hash);
    const err = checkFlags(old, flags);
    if (err) return err;
    if (old >= 0) {
      this.setPercpu(old, value, onAllCpus, false);
      return 0;
    }
    if (t.count >= this.maxEntries) return -E2BIG;
    const slot = this.pool!.alloc();
    if (slot < 0) return -ENOMEM;
    this.setPercpu(slot, value, onAllCpus, true);
    t.linkHead(slot, key, 0, hash);
    return 0;
  }

  /** htab_lru_map_update_elem(): the new element is taken from the LRU first (which may
   * evict), even when the update then fails or replaces. */
  private updateLru(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const t = this.table;
    const lru = this.lru!;
    const hash = t.hash(key);
    const slot = lru.popFree(this.host.currentCpu());
    if (slot < 0) return -ENOMEM;
    this.values.write(slot, 0, value);
    const old = t.find(key, 0, hash);
    const err = checkFlags(old, flags);
    if (err) {
      lru.pushFree(slot);
      return err;
    }
    t.linkHead(slot, key, 0, hash);
    if (old >= 0) {
      lru.setRef(slot);
      t.unlink(old);
      lru.pushFree(old);
    }
    return 0;
  }

  /** __htab_lru_percpu_map_update_elem(): values change in place; BPF_EXIST takes no node. */
  private updateLruPercpu(key: Uint8Array, value: Uint8Array, flags: number, onAllCpus: boolean): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const t = this.table;
    const lru = this.lru!;
    const hash = t.hash(key);
    let slot = -1;
    if (flags !== BPF_EXIST) {
      slot = lru.popFree(this.host.currentCpu());
      if (slot < 0) return -ENOMEM;
    }
    const old = t.find(key, 0, hash);
    let err = checkFlags(old, flags);
    if (!err) {
      if (old >= 0) {
        lru.setRef(old);
        this.setPercpu(old, value, onAllCpus, false);
      } else {
        this.setPercpu(slot, value, onAllCpus, true);
        t.linkHead(slot, key, 0, hash);
        slot = -1;
      }
      err = 0;
    }
    if (slot >= 0) lru.pushFree(slot);
    return err;
  }

  private upd(key: Uint8Array, value: Uint8Array, flags: number, onAllCpus: boolean): number {
    if (this.lru) return this.percpu ? this.updateLruPercpu(key, value, flags, onAllCpus) : this.updateLru(key, value, flags);
    return this.percpu ? this.updatePercpu(key, value, flags, onAllCpus) : this.updatePlain(key, value, flags);
  }

  /** htab_map_delete_elem() / htab_lru_map_delete_elem() */
  deleteElem(key: Uint8Array): number {
    const t = this.table;
    const slot = t.find(key, 0, t.hash(key));
    if (slot < 0) return -ENOENT;
    t.unlink(slot);
    this.releaseSlot(slot);
    return 0;
  }

  // ---- syscalls ------------------------------------------------------------------------

  /** The value as BPF_MAP_LOOKUP_ELEM copies it (per-CPU: all CPUs, rounded). LRU: the
   * syscall lookup does not mark the element referenced. */
  private copyOut(slot: number): Uint8Array {
    return this.percpu ? this.values.element(slot).slice() : this.values.value(slot).slice();
  }

  lookup(key: Uint8Array, _flags: number): Uint8Array {
    const t = this.table;
    const slot = t.find(key, 0, t.hash(key));
    if (slot < 0) throw new SysError('ENOENT', 'no such key');
    return this.copyOut(slot);
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.upd(key, value, flags, true), 'hash map update');
  }

  delete(key: Uint8Array): void {
    check(this.deleteElem(key), 'hash map delete');
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    const s = this.table.nextSlot(key);
    if (s < 0) throw new SysError('ENOENT', 'no more keys');
    return this.table.keyOf(s);
  }

  /** __htab_map_lookup_and_delete_elem() */
  override lookupAndDelete(key: Uint8Array | null, flags: number): Uint8Array {
    if (!key) throw new SysError('EFAULT', 'a hash map needs a key');
    if (flags & BPF_F_LOCK) throw new SysError('EINVAL', 'BPF_F_LOCK needs a bpf_spin_lock in the value');
    const t = this.table;
    const slot = t.find(key, 0, t.hash(key));
    if (slot < 0) throw new SysError('ENOENT', 'no such key');
    const out = this.copyOut(slot);
    t.unlink(slot);
    this.releaseSlot(slot);
    return out;
  }

  // ---- programs --------------------------------------------------------------------------

  /** htab_map_lookup_elem() and the per-CPU / LRU variants (the LRU ones set the ref bit). */
  lookupElem(key: Uint8Array): VmAddress | null {
    const t = this.table;
    const slot = t.find(key, 0, t.hash(key));
    if (slot < 0) return null;
    if (this.lru) this.lru.setRef(slot);
    const a = this.addr;
    a.hi = this.values.region(slot).hi;
    a.lo = this.values.lo(slot, this.percpu ? this.host.currentCpu() : 0);
    return a;
  }

  /** htab_percpu_map_lookup_percpu_elem() */
  override lookupPercpuElem(key: Uint8Array, cpu: number): VmAddress | null {
    if (!this.percpu || cpu >= this.host.cpus) return null;
    const t = this.table;
    const slot = t.find(key, 0, t.hash(key));
    if (slot < 0) return null;
    if (this.lru) this.lru.setRef(slot);
    return { hi: this.values.region(slot).hi, lo: this.values.lo(slot, cpu) };
  }

  updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.upd(key, value, flags, false);
  }

  /** Keys in iteration order (tests, dumps). */
  keys(): Uint8Array[] {
    return [...this.table.slots()].map((s) => this.table.keyOf(s));
  }

  protected freeMemory(): void {
    this.values.free();
  }
}

/** check_flags() */
function checkFlags(old: number, flags: number): number {
  const f = flags & ~BPF_F_LOCK;
  if (old >= 0 && f === BPF_NOEXIST) return -EEXIST;
  if (old < 0 && f === BPF_EXIST) return -ENOENT;
  return 0;
}

function htabOps(name: string): BuiltinMapTypeOps {
  return {
    name,
    check: (attr) => htabMapAllocCheck(attr, true),
    checkWith: (attr, _host, ctx) => htabMapAllocCheck(attr, ctx.sysAdmin),
    allocCheck: (spec, host) => htabAllocSize(spec, host.cpus, isPercpu(spec.type) ? 8 + roundUp8(spec.valueSize) * host.cpus : roundUp8(spec.valueSize)),
    create: (host, spec) => new HashMap(host, spec),
  };
}

export const HASH_OPS = htabOps('hash');
export const PERCPU_HASH_OPS = htabOps('percpu_hash');
export const LRU_HASH_OPS = htabOps('lru_hash');
export const LRU_PERCPU_HASH_OPS = htabOps('lru_percpu_hash');
