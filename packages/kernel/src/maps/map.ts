// A BPF map as the kernel holds it (struct bpf_map and its bpf_map_ops): the user-space
// side (the BPF_MAP_* commands copy keys and values in and out) and the program side
// (helpers get the address of a value in VM memory, so programs read and write values in
// place, atomics included). Each map type registers a factory (include/linux/bpf_types.h);
// SOCKMAP/SOCKHASH and STACK_TRACE register from their own packages.
import type { Memory, Region } from '@bpfsim/vm';
import { REGION_LO_BASE } from '@bpfsim/vm';
import type { MapInfo } from '@bpfsim/verifier';
import { ERRNO, SysError } from '@bpfsim/isa';
import { BpfObject } from '../object';

/** union bpf_attr for BPF_MAP_CREATE (the fields bpfsim models), uapi names. */
export interface MapCreateAttr {
  map_type: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  map_flags?: number;
  /** For ARRAY_OF_MAPS / HASH_OF_MAPS: an fd of a map whose shape the inner maps take. */
  inner_map_fd?: number;
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  map_name?: string;
  numa_node?: number;
  /** Type-specific (bloom filter hash count; arena address). */
  map_extra?: bigint;
}

/** What a map is, after BPF_MAP_CREATE checked it (struct bpf_map's fields). */
export interface MapSpec {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  extra: bigint;
  /** Map-in-map: the template inner map (its shape is what matters). */
  inner?: BpfMap;
}

/** What a map needs from the kernel it lives in. */
export interface MapHost {
  /** The address space programs run in (map values are regions of it). */
  readonly memory: Memory;
  /** CPUs of the simulated machine (per-CPU maps keep one value each). */
  readonly cpus: number;
  /** The CPU the running program is on (per-CPU lookups from programs). */
  currentCpu(): number;
  /** Monotonic virtual time in ns (LRU ages, ringbuf timestamps). */
  now(): bigint;
  /** The kernel's seeded generator (get_random_u32: hash seeds); 0 when absent. */
  prandomU32?(): number;
}

/** An address in VM memory: (hi, lo) as programs see it. */
export interface VmAddress {
  hi: number;
  lo: number;
}

/** Flags of BPF_MAP_UPDATE_ELEM. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** map_flags bits (include/uapi/linux/bpf.h). */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;

export abstract class BpfMap extends BpfObject {
  readonly kind = 'map' as const;
  /** The "map pointer" programs hold (CONST_PTR_TO_MAP): a region whose object is this map. */
  readonly handle: Region;
  /** Programs (and prog arrays, map-in-map slots) using the map hold references to it. */
  frozen = false;
  /** Called once when the map is freed (the kernel frees its id here). */
  onRelease?: (map: BpfMap) => void;

  constructor(
    readonly host: MapHost,
    readonly spec: MapSpec,
  ) {
    super();
    this.handle = host.memory.alloc(0, { kind: 'map', name: `map ${spec.name || spec.type}`, writable: false, object: this });
  }

  get type(): number {
    return this.spec.type;
  }
  get keySize(): number {
    return this.spec.keySize;
  }
  get valueSize(): number {
    return this.spec.valueSize;
  }
  get maxEntries(): number {
    return this.spec.maxEntries;
  }
  get flags(): number {
    return this.spec.flags;
  }
  get name(): string {
    return this.spec.name;
  }

  /** The size of a value as BPF_MAP_LOOKUP_ELEM copies it out (per-CPU maps: one rounded
   * value per CPU, bpf_map_value_size()). */
  get syscallValueSize(): number {
    return this.valueSize;
  }

  /** What the verifier needs to know about the map. */
  info(): MapInfo {
    return {
      type: this.type,
      keySize: this.keySize,
      valueSize: this.valueSize,
      maxEntries: this.maxEntries,
      flags: this.flags,
      name: this.name,
      ...(this.spec.inner ? { inner: this.spec.inner.info() } : {}),
      ...(this.isRdonlyForProgs() ? { rdonlyValue: this.directValue() } : {}),
    };
  }

  /** bpf_map_is_rdonly(): programs may only read it and user space froze it, so its
   * contents are constants the verifier may use. */
  isRdonlyForProgs(): boolean {
    return (this.flags & BPF_F_RDONLY_PROG) !== 0 && this.frozen && this.directValue() !== undefined;
  }

  /** The value map_direct_value_addr() points at (one-element arrays), for the verifier's
   * bpf_map_direct_read(); undefined for map types without direct value access. */
  directValue(): Uint8Array | undefined {
    return undefined;
  }

  /** The address of the map pointer (what ld_imm64 of the map loads). */
  get address(): VmAddress {
    return { hi: this.handle.hi, lo: REGION_LO_BASE };
  }

  // ---- the BPF_MAP_* commands (map->ops->map_lookup_elem etc. via syscall.c) --------

  /** Copies the value out; ENOENT when the key is absent. */
  abstract lookup(key: Uint8Array, flags: number): Uint8Array;
  abstract update(key: Uint8Array, value: Uint8Array, flags: number): void;
  abstract delete(key: Uint8Array): void;
  /** The key after `key` (the first key when `key` is null); ENOENT after the last. */
  abstract getNextKey(key: Uint8Array | null): Uint8Array;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack pop, hash lookup+delete). */
  lookupAndDelete(_key: Uint8Array | null, _flags: number): Uint8Array {
    throw new SysError('ENOTSUPP', 'lookup-and-delete is not supported by this map type', 'BPF_MAP_LOOKUP_AND_DELETE_ELEM');
  }

  // ---- the program side (helpers) ---------------------------------------------------

  /** bpf_map_lookup_elem(): the address of the value in VM memory, or null. */
  abstract lookupElem(key: Uint8Array): VmAddress | null;
  /** bpf_map_update_elem(): 0 or a negative errno. */
  abstract updateElem(key: Uint8Array, value: Uint8Array, flags: number): number;
  /** bpf_map_delete_elem(): 0 or a negative errno. */
  abstract deleteElem(key: Uint8Array): number;

  /** bpf_map_push_elem() (queue, stack, bloom filter): 0 or a negative errno. */
  pushElem(_value: Uint8Array, _flags: number): number {
    return -ERRNO.EOPNOTSUPP;
  }
  /** bpf_map_pop_elem(): copies the value into `out`; 0 or a negative errno. */
  popElem(_out: Uint8Array): number {
    return -ERRNO.EOPNOTSUPP;
  }
  /** bpf_map_peek_elem(): as popElem without removing. */
  peekElem(_out: Uint8Array): number {
    return -ERRNO.EOPNOTSUPP;
  }
  /** bpf_map_lookup_percpu_elem(): the value of `cpu`, or null. */
  lookupPercpuElem(_key: Uint8Array, _cpu: number): VmAddress | null {
    return null;
  }

  /** BPF_PSEUDO_MAP_VALUE: the address of byte `off` of the map's value (array maps only). */
  directValueAddr(_off: number): VmAddress {
    throw new SysError('EINVAL', 'no direct value access support for this map type');
  }

  /** The user-space fd commands check this before calling the ops. */
  protected release(): void {
    this.onRelease?.(this);
    this.freeMemory();
    this.host.memory.unmap(this.handle);
    this.spec.inner?.put();
  }

  /** Frees the map's value memory and what its slots hold (prog arrays, map-in-map). */
  protected abstract freeMemory(): void;
}

/** How a map type is created (its map_alloc_check + map_alloc). */
export interface MapTypeOps {
  /** The uapi name without BPF_MAP_TYPE_ (`hash`, `array`, …). */
  name: string;
  /** Checks the attributes (map_alloc_check) and throws SysError with the kernel's errno. */
  check?(attr: MapCreateAttr, host: MapHost): void;
  create(host: MapHost, spec: MapSpec): BpfMap;
}

/** The map types a kernel knows (find_and_alloc_map: unknown types are EINVAL). */
export class MapTypeRegistry {
  private readonly types = new Map<number, MapTypeOps>();

  register(type: number, ops: MapTypeOps): void {
    this.types.set(type, ops);
  }

  get(type: number): MapTypeOps | undefined {
    return this.types.get(type);
  }

  *[Symbol.iterator](): IterableIterator<[number, MapTypeOps]> {
    yield* this.types;
  }
}
