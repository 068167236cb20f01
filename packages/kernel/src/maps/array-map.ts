// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries
// preallocated zeroed values indexed by a u32 key; elements can be neither added nor
// deleted. Values live in VM memory, so programs use them in place; a per-CPU array keeps
// one value per CPU and a program sees the value of the CPU it runs on.
import { SysError } from '@bpfsim/isa';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import type { BuiltinMapTypeOps } from './ops';
import { BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY_PROG, BPF_NOEXIST, BpfMap } from './map';
import { BPF_F_ACCESS_MASK, M, NUMA_NO_NODE, accessOk, numaNode } from './flags';
import { E2BIG, EEXIST, EINVAL, check, checkMemory, checkRegion } from './errors';
import { ValueStore, roundUp8 } from './value-store';

/** ARRAY_CREATE_FLAG_MASK */
export const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
const INT_MAX = 0x7fffffff;

/** array_map_alloc_check() */
export function arrayMapAllocCheck(attr: MapCreateAttr): void {
  const percpu = attr.map_type === M.BPF_MAP_TYPE_PERCPU_ARRAY;
  const flags = attr.map_flags ?? 0;
  const numa = numaNode(attr);
  if (attr.max_entries === 0 || attr.key_size !== 4 || attr.value_size === 0 || flags & ~ARRAY_CREATE_FLAG_MASK || !accessOk(flags) || (percpu && numa !== NUMA_NO_NODE)) {
    throw new SysError('EINVAL', 'array maps take key_size 4, value_size > 0, max_entries > 0 and array flags only');
  }
  if (attr.map_type !== M.BPF_MAP_TYPE_ARRAY && flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) throw new SysError('EINVAL', 'BPF_F_MMAPABLE and BPF_F_INNER_MAP are for plain arrays');
  if (attr.map_type !== M.BPF_MAP_TYPE_PERF_EVENT_ARRAY && flags & BPF_F_PRESERVE_ELEMS) throw new SysError('EINVAL', 'BPF_F_PRESERVE_ELEMS is for perf event arrays');
  if (attr.value_size > INT_MAX) throw new SysError('E2BIG', `value_size ${attr.value_size} is too large`);
  if (percpu && roundUp8(attr.value_size) > PCPU_MIN_UNIT_SIZE) throw new SysError('E2BIG', `a per-CPU value is at most ${PCPU_MIN_UNIT_SIZE} bytes`);
}

/**
 * array_map_alloc()'s size checks: without the Spectre v1 bypass (CAP_PERFMON) max_entries
 * rounds up to a power of two for index masking, and must not overflow doing so.
 */
export function arrayMapAllocSize(spec: MapSpec, perElement: number, bypassSpecV1: boolean): void {
  let entries = spec.maxEntries;
  if (!bypassSpecV1) {
    let p = 1;
    while (p < entries) p *= 2;
    if (p > 0xffffffff) throw new SysError('E2BIG', `max_entries ${spec.maxEntries} overflows when rounded up to a power of two`);
    entries = p;
  }
  checkMemory(entries * roundUp8(spec.valueSize) * perElement, `an array of ${spec.maxEntries} elements`);
  checkRegion(roundUp8(spec.valueSize) * perElement, 'an array element');
}

/** The u32 index a key holds (little-endian, as the kernel reads *(u32 *)key). */
export const keyIndex = (key: Uint8Array): number => (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;

export class ArrayMap extends BpfMap {
  readonly percpu: boolean;
  readonly values: ValueStore;
  /** The address a lookup returns; reused, read it before the next lookup. */
  private readonly addr: VmAddress = { hi: 0, lo: 0 };

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    this.percpu = spec.type === M.BPF_MAP_TYPE_PERCPU_ARRAY;
    this.values = new ValueStore({
      memory: host.memory,
      capacity: spec.maxEntries,
      valueSize: spec.valueSize,
      perElement: this.percpu ? host.cpus : 1,
      name: `map ${spec.name || 'array'}`,
      object: this,
      writable: !(spec.flags & BPF_F_RDONLY_PROG),
    });
  }

  override get syscallValueSize(): number {
    return this.percpu ? roundUp8(this.valueSize) * this.host.cpus : this.valueSize;
  }

  // ---- syscalls ------------------------------------------------------------------------

  /** bpf_map_copy_value(): the value (per-CPU: every CPU's, rounded to 8 bytes each). */
  lookup(key: Uint8Array, _flags: number): Uint8Array {
    const i = keyIndex(key);
    if (i >= this.maxEntries) throw new SysError('ENOENT', `index ${i} is beyond max_entries ${this.maxEntries}`);
    return this.percpu ? this.values.element(i).slice() : this.values.value(i).slice();
  }

  update(key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.percpu ? this.percpuUpdate(key, value, flags) : this.updateElem(key, value, flags), `array update of index ${keyIndex(key)}`);
  }

  /** bpf_percpu_array_update(): every CPU's value from round_up(value_size, 8)-byte slices. */
  private percpuUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const i = keyIndex(key);
    if (flags > BPF_EXIST) return -EINVAL;
    if (i >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    this.values.element(i).set(value.subarray(0, this.values.stride * this.host.cpus));
    return 0;
  }

  delete(_key: Uint8Array): void {
    throw new SysError('EINVAL', 'array elements cannot be deleted');
  }

  /** array_map_get_next_key(): 0 after a null or out-of-range key; ENOENT after the last. */
  getNextKey(key: Uint8Array | null): Uint8Array {
    const i = key ? keyIndex(key) : 0xffffffff;
    const out = new Uint8Array(4);
    if (i >= this.maxEntries) return out;
    if (i === this.maxEntries - 1) throw new SysError('ENOENT', 'no key after the last index');
    new DataView(out.buffer).setUint32(0, i + 1, true);
    return out;
  }

  // ---- programs --------------------------------------------------------------------------

  /** array_map_lookup_elem() / percpu_array_map_lookup_elem() */
  lookupElem(key: Uint8Array): VmAddress | null {
    const i = keyIndex(key);
    if (i >= this.maxEntries) return null;
    const a = this.addr;
    a.hi = this.values.region(i).hi;
    a.lo = this.values.lo(i, this.percpu ? this.host.currentCpu() : 0);
    return a;
  }

  override lookupPercpuElem(key: Uint8Array, cpu: number): VmAddress | null {
    if (!this.percpu) return null;
    const i = keyIndex(key);
    if (cpu >= this.host.cpus || i >= this.maxEntries) return null;
    return { hi: this.values.region(i).hi, lo: this.values.lo(i, cpu) };
  }

  /** array_map_update_elem(): per-CPU arrays update the running CPU's value only. */
  updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    const i = keyIndex(key);
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    if (i >= this.maxEntries) return -E2BIG;
    if (flags & BPF_NOEXIST) return -EEXIST;
    if (flags & BPF_F_LOCK) return -EINVAL; // no bpf_spin_lock without BTF
    this.values.write(i, this.percpu ? this.host.currentCpu() : 0, value);
    return 0;
  }

  deleteElem(_key: Uint8Array): number {
    return -EINVAL;
  }

  /** array_map_direct_value_addr(): one-element arrays only. */
  override directValueAddr(off: number): VmAddress {
    if (this.percpu || this.maxEntries !== 1) throw new SysError('ENOTSUPP', 'direct value access needs a one-element array');
    if (off >= this.valueSize) throw new SysError('EINVAL', `offset ${off} is beyond value_size ${this.valueSize}`);
    return { hi: this.values.region(0).hi, lo: this.values.lo(0) + off };
  }

  override directValue(): Uint8Array | undefined {
    if (this.percpu || this.maxEntries !== 1) return undefined;
    return this.values.value(0).slice();
  }

  protected freeMemory(): void {
    this.values.free();
  }
}

function arrayOps(name: string): BuiltinMapTypeOps {
  const perElement = (spec: MapSpec, host: MapHost): number => (spec.type === M.BPF_MAP_TYPE_PERCPU_ARRAY ? host.cpus : 1);
  return {
    name,
    check: arrayMapAllocCheck,
    allocCheck: (spec, host, ctx) => arrayMapAllocSize(spec, perElement(spec, host), ctx.perfmon),
    create(host, spec) {
      arrayMapAllocSize(spec, perElement(spec, host), true);
      return new ArrayMap(host, spec);
    },
  };
}

export const ARRAY_OPS = arrayOps('array');
export const PERCPU_ARRAY_OPS = arrayOps('percpu_array');
