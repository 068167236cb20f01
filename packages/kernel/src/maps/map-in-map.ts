// BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c, arraymap.c,
// hashtab.c). The outer map is created with a template (inner_map_fd) whose shape it
// copies (bpf_map_meta_alloc: a meta map, not a reference to the template); every map put
// in later must match that shape (map_meta_equal), else EINVAL. User space updates with
// map fds and looks up map ids; a program's lookup yields the inner map itself, which it
// then passes to map helpers.
import { SysError } from '@bpfsim/isa';
import { REGION_LO_BASE } from '@bpfsim/vm';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { BPF_EXIST, BPF_F_INNER_MAP, BPF_F_ZERO_SEED, BpfMap } from './map';
import { M } from './flags';
import type { FdSource, FdValueMap } from './fd-array';
import { FdArrayMap, fdArrayMapAllocCheck, fdToMap, u32le } from './fd-array';
import { arrayMapAllocSize, keyIndex } from './array-map';
import { EINVAL } from './errors';
import { HashTable } from './hash-table';
import { SlotPool, htabAllocSize, htabMapAllocCheck } from './hash-map';
import type { BuiltinMapTypeOps } from './ops';

/**
 * Which map_meta_equal a map type has: 'array' (array_map_meta_equal, also compares
 * max_entries unless the template has BPF_F_INNER_MAP), 'generic' (bpf_map_meta_equal),
 * or none (prog arrays, map-in-maps, sockmaps, cgroup storage, struct_ops, cpumap: such a
 * map cannot be an inner map, ENOTSUPP).
 */
export function metaEqualKind(type: number): 'array' | 'generic' | null {
  switch (type) {
    case M.BPF_MAP_TYPE_ARRAY:
      return 'array';
    case M.BPF_MAP_TYPE_PERCPU_ARRAY:
    case M.BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case M.BPF_MAP_TYPE_CGROUP_ARRAY:
    case M.BPF_MAP_TYPE_HASH:
    case M.BPF_MAP_TYPE_LRU_HASH:
    case M.BPF_MAP_TYPE_PERCPU_HASH:
    case M.BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case M.BPF_MAP_TYPE_LPM_TRIE:
    case M.BPF_MAP_TYPE_QUEUE:
    case M.BPF_MAP_TYPE_STACK:
    case M.BPF_MAP_TYPE_RINGBUF:
    case M.BPF_MAP_TYPE_USER_RINGBUF:
    case M.BPF_MAP_TYPE_BLOOM_FILTER:
    case M.BPF_MAP_TYPE_STACK_TRACE:
    case M.BPF_MAP_TYPE_SK_STORAGE:
    case M.BPF_MAP_TYPE_INODE_STORAGE:
    case M.BPF_MAP_TYPE_TASK_STORAGE:
    case M.BPF_MAP_TYPE_CGRP_STORAGE:
    case M.BPF_MAP_TYPE_DEVMAP:
    case M.BPF_MAP_TYPE_DEVMAP_HASH:
    case M.BPF_MAP_TYPE_XSKMAP:
    case M.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
    case M.BPF_MAP_TYPE_ARENA:
      return 'generic';
    default:
      return null;
  }
}

/** The shape an outer map's inner maps must have (struct bpf_map of bpf_map_meta_alloc). */
export class InnerMapMeta extends BpfMap {
  constructor(
    host: MapHost,
    spec: MapSpec,
    readonly equalKind: 'array' | 'generic',
  ) {
    super(host, spec);
  }

  /** map_meta_equal(meta, map) */
  matches(m: BpfMap): boolean {
    const same = this.type === m.type && this.keySize === m.keySize && this.valueSize === m.valueSize && this.flags === m.flags;
    if (!same) return false;
    return this.equalKind === 'array' && !(this.flags & BPF_F_INNER_MAP) ? this.maxEntries === m.maxEntries : true;
  }

  lookup(): Uint8Array {
    throw new SysError('EINVAL', 'a map template has no elements');
  }
  update(): void {
    throw new SysError('EINVAL', 'a map template has no elements');
  }
  delete(): void {
    throw new SysError('EINVAL', 'a map template has no elements');
  }
  getNextKey(): Uint8Array {
    throw new SysError('EINVAL', 'a map template has no elements');
  }
  lookupElem(): VmAddress | null {
    return null;
  }
  updateElem(): number {
    return -EINVAL;
  }
  deleteElem(): number {
    return -EINVAL;
  }
  protected freeMemory(): void {}
}

/** bpf_map_meta_alloc(inner_map_fd): the template's shape, referenced once by the outer map. */
export function mapMetaAlloc(host: MapHost, fds: FdSource, innerFd: number): InnerMapMeta {
  const inner = fdToMap(fds, innerFd);
  if (inner.spec.inner) throw new SysError('EINVAL', 'an inner map cannot itself hold maps');
  const kind = metaEqualKind(inner.type);
  if (!kind) throw new SysError('ENOTSUPP', `a map of type ${inner.type} cannot be an inner map`);
  const { type, keySize, valueSize, maxEntries, flags } = inner.spec;
  return new InnerMapMeta(host, { type, keySize, valueSize, maxEntries, flags, name: '', extra: 0n }, kind).get();
}

/** bpf_map_fd_get_ptr(): the map behind `fd`, referenced, if it has the inner shape. */
function innerFromFd(meta: InnerMapMeta, fds: FdSource, fd: number): BpfMap {
  const m = fdToMap(fds, fd);
  if (!meta.matches(m)) throw new SysError('EINVAL', `map fd ${fd} does not have the inner map's type, sizes and flags`);
  return m.get();
}

const metaOf = (m: BpfMap): InnerMapMeta => m.spec.inner as unknown as InnerMapMeta;

export class ArrayOfMapsMap extends FdArrayMap<BpfMap> {
  protected readonly sysLookupId = (m: BpfMap): number => m.id;

  protected getPtr(fds: FdSource, fd: number): BpfMap {
    return innerFromFd(metaOf(this), fds, fd);
  }

  protected putPtr(m: BpfMap): void {
    m.put();
  }

  private readonly addr: VmAddress = { hi: 0, lo: REGION_LO_BASE };

  /** array_of_map_lookup_elem(): the inner map (the address is reused by the next lookup). */
  override lookupElem(key: Uint8Array): VmAddress | null {
    const i = keyIndex(key);
    const m = i < this.maxEntries ? this.slots[i] : undefined;
    if (!m) return null;
    this.addr.hi = m.handle.hi;
    return this.addr;
  }
}

export class HashOfMapsMap extends BpfMap implements FdValueMap {
  readonly table: HashTable;
  private readonly inner: (BpfMap | undefined)[] = [];
  private readonly pool: SlotPool;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    const seed = spec.flags & BPF_F_ZERO_SEED ? 0 : (host.prandomU32?.() ?? 0);
    const capacity = spec.maxEntries + host.cpus;
    this.table = new HashTable(spec.keySize, spec.maxEntries, capacity, seed | 0);
    this.pool = new SlotPool(capacity);
  }

  override get syscallValueSize(): number {
    return 4;
  }

  /** The inner map stored under `key`. */
  innerOf(key: Uint8Array): BpfMap | undefined {
    const s = this.table.find(key, 0, this.table.hash(key));
    return s < 0 ? undefined : this.inner[s];
  }

  /** bpf_fd_htab_map_lookup_elem(): the inner map's id. */
  lookup(key: Uint8Array, _flags: number): Uint8Array {
    const s = this.table.find(key, 0, this.table.hash(key));
    if (s < 0) throw new SysError('ENOENT', 'no such key');
    return u32le(this.inner[s]!.id);
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number): void {
    throw new SysError('EINVAL', 'the values of this map are map fds; use BPF_MAP_UPDATE_ELEM');
  }

  /** bpf_fd_htab_map_update_elem(): the fd is resolved first, then htab_map_update_elem_in_place(). */
  updateFd(fds: FdSource, key: Uint8Array, fd: number, flags: number): void {
    const m = innerFromFd(metaOf(this), fds, fd);
    try {
      if (flags > BPF_EXIST) throw new SysError('EINVAL', `unknown update flags ${flags}`);
      const t = this.table;
      const hash = t.hash(key);
      const old = t.find(key, 0, hash);
      if (old >= 0 && flags === 1) throw new SysError('EEXIST', 'the key exists (BPF_NOEXIST)');
      if (old < 0 && flags === BPF_EXIST) throw new SysError('ENOENT', 'no such key (BPF_EXIST)');
      if (old >= 0) {
        const prev = this.inner[old];
        this.inner[old] = m;
        prev?.put();
        return;
      }
      if (t.count >= this.maxEntries) throw new SysError('E2BIG', `the map is full (${this.maxEntries} elements)`);
      const slot = this.pool.alloc();
      this.inner[slot] = m;
      t.linkHead(slot, key, 0, hash);
    } catch (e) {
      m.put();
      throw e;
    }
  }

  delete(key: Uint8Array): void {
    const t = this.table;
    const s = t.find(key, 0, t.hash(key));
    if (s < 0) throw new SysError('ENOENT', 'no such key');
    t.unlink(s);
    const m = this.inner[s];
    this.inner[s] = undefined;
    this.pool.release(s);
    m?.put();
  }

  getNextKey(key: Uint8Array | null): Uint8Array {
    const s = this.table.nextSlot(key);
    if (s < 0) throw new SysError('ENOENT', 'no more keys');
    return this.table.keyOf(s);
  }

  private readonly addr: VmAddress = { hi: 0, lo: REGION_LO_BASE };

  /** htab_of_map_lookup_elem(): the inner map (the address is reused by the next lookup). */
  lookupElem(key: Uint8Array): VmAddress | null {
    const s = this.table.find(key, 0, this.table.hash(key));
    if (s < 0) return null;
    this.addr.hi = this.inner[s]!.handle.hi;
    return this.addr;
  }
  updateElem(): number {
    return -EINVAL;
  }
  deleteElem(key: Uint8Array): number {
    try {
      this.delete(key);
      return 0;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  }

  protected freeMemory(): void {
    for (const s of [...this.table.slots()]) {
      this.inner[s]?.put();
      this.inner[s] = undefined;
    }
  }
}

export const ARRAY_OF_MAPS_OPS: BuiltinMapTypeOps = {
  name: 'array_of_maps',
  check: fdArrayMapAllocCheck,
  allocCheck: (spec, _host, ctx) => arrayMapAllocSize(spec, 1, ctx.perfmon),
  create: (host, spec) => new ArrayOfMapsMap(host, spec),
};

/** fd_htab_map_alloc_check() */
function fdHtabCheck(attr: MapCreateAttr, sysAdmin: boolean): void {
  if (attr.value_size !== 4) throw new SysError('EINVAL', 'the values of this map are fds: value_size must be 4');
  htabMapAllocCheck(attr, sysAdmin);
}

export const HASH_OF_MAPS_OPS: BuiltinMapTypeOps = {
  name: 'hash_of_maps',
  check: (attr) => fdHtabCheck(attr, true),
  checkWith: (attr, _host, ctx) => fdHtabCheck(attr, ctx.sysAdmin),
  allocCheck: (spec, host) => htabAllocSize(spec, host.cpus, -1),
  create: (host, spec) => new HashOfMapsMap(host, spec),
};

/** Map-in-map types (their creation resolves inner_map_fd). */
export const isMapInMapType = (t: number): boolean => t === M.BPF_MAP_TYPE_ARRAY_OF_MAPS || t === M.BPF_MAP_TYPE_HASH_OF_MAPS;
