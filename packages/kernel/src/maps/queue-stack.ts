// BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): a ring of
// max_entries + 1 slots without keys. Programs push, pop and peek with helpers; user space
// pushes with UPDATE_ELEM, peeks with LOOKUP_ELEM and pops with LOOKUP_AND_DELETE_ELEM.
// BPF_EXIST on a push into a full map drops the oldest element to make room.
import { SysError } from '@bpfsim/isa';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_NOEXIST, BpfMap } from './map';
import { BPF_F_ACCESS_MASK, M, accessOk } from './flags';
import { E2BIG, EINVAL, ENOENT, check, checkMemory } from './errors';
import type { BuiltinMapTypeOps } from './ops';

const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const KMALLOC_MAX_SIZE = 1 << 22;

/** queue_stack_map_alloc_check() */
export function queueStackAllocCheck(attr: MapCreateAttr): void {
  const flags = attr.map_flags ?? 0;
  if (attr.max_entries === 0 || attr.key_size !== 0 || attr.value_size === 0 || flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !accessOk(flags)) {
    throw new SysError('EINVAL', 'queue and stack maps take key_size 0, value_size > 0 and max_entries > 0');
  }
  if (attr.value_size > KMALLOC_MAX_SIZE) throw new SysError('E2BIG', `value_size ${attr.value_size} is too large`);
}

export class QueueStackMap extends BpfMap {
  readonly isStack: boolean;
  /** max_entries + 1: one slot stays empty to tell full from empty. */
  private readonly size: number;
  private head = 0;
  private tail = 0;
  private readonly elements: Uint8Array;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    this.isStack = spec.type === M.BPF_MAP_TYPE_STACK;
    this.size = spec.maxEntries + 1;
    this.elements = new Uint8Array(this.size * spec.valueSize);
  }

  /** Elements held. */
  get length(): number {
    return (this.head - this.tail + this.size) % this.size;
  }

  private isFull(): boolean {
    let h = this.head + 1;
    if (h >= this.size) h = 0;
    return h === this.tail;
  }

  /** __queue_map_get() / __stack_map_get(): an empty map zeroes `out` and fails ENOENT. */
  private take(out: Uint8Array, remove: boolean): number {
    const vs = this.valueSize;
    if (this.head === this.tail) {
      out.fill(0, 0, vs);
      return -ENOENT;
    }
    let index: number;
    if (this.isStack) {
      index = this.head - 1;
      if (index < 0) index = this.size - 1;
      if (remove) this.head = index;
    } else {
      index = this.tail;
      if (remove && ++this.tail >= this.size) this.tail = 0;
    }
    out.set(this.elements.subarray(index * vs, (index + 1) * vs));
    return 0;
  }

  /** queue_stack_map_push_elem() */
  override pushElem(value: Uint8Array, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -EINVAL;
    if (this.isFull()) {
      if (!(flags & BPF_EXIST)) return -E2BIG;
      if (++this.tail >= this.size) this.tail = 0;
    }
    const vs = this.valueSize;
    this.elements.set(value.subarray(0, vs), this.head * vs);
    if (++this.head >= this.size) this.head = 0;
    return 0;
  }

  override popElem(out: Uint8Array): number {
    return this.take(out, true);
  }

  override peekElem(out: Uint8Array): number {
    return this.take(out, false);
  }

  // ---- syscalls ------------------------------------------------------------------------

  /** LOOKUP_ELEM peeks. */
  lookup(_key: Uint8Array, _flags: number): Uint8Array {
    const out = new Uint8Array(this.valueSize);
    check(this.peekElem(out), `the ${this.isStack ? 'stack' : 'queue'} is empty`);
    return out;
  }

  /** UPDATE_ELEM pushes. */
  update(_key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.pushElem(value, flags), `push onto the ${this.isStack ? 'stack' : 'queue'}`);
  }

  delete(_key: Uint8Array): void {
    throw new SysError('EINVAL', 'queue and stack maps have no keys to delete');
  }

  getNextKey(_key: Uint8Array | null): Uint8Array {
    throw new SysError('EINVAL', 'queue and stack maps have no keys');
  }

  /** LOOKUP_AND_DELETE_ELEM pops. */
  override lookupAndDelete(_key: Uint8Array | null, _flags: number): Uint8Array {
    const out = new Uint8Array(this.valueSize);
    check(this.popElem(out), `the ${this.isStack ? 'stack' : 'queue'} is empty`);
    return out;
  }

  // ---- programs (lookup/update/delete are refused by the verifier anyway) ---------------

  lookupElem(_key: Uint8Array): VmAddress | null {
    return null;
  }
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -EINVAL;
  }
  deleteElem(_key: Uint8Array): number {
    return -EINVAL;
  }

  protected freeMemory(): void {}
}

function qsOps(name: string): BuiltinMapTypeOps {
  return {
    name,
    check: queueStackAllocCheck,
    allocCheck: (spec) => checkMemory((spec.maxEntries + 1) * spec.valueSize, `a ${name} of ${spec.maxEntries} elements`),
    create: (host, spec) => new QueueStackMap(host, spec),
  };
}

export const QUEUE_OPS = qsOps('queue');
export const STACK_OPS = qsOps('stack');
