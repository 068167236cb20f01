// The arrays whose values user space gives as fds (kernel/bpf/arraymap.c, fd_array_*):
// PROG_ARRAY, PERF_EVENT_ARRAY, ARRAY_OF_MAPS. A slot holds a reference to an object; an
// update takes the object behind the fd in the caller's table, a delete or a replacement
// puts the old one, and freeing the map puts them all. Syscall lookups return the object's
// id where the type has one (map_fd_sys_lookup_elem), else ENOTSUPP.
import { SysError } from '@bpfsim/isa';
import type { BpfObject } from '../object';
import type { MapCreateAttr, VmAddress } from './map';
import { BPF_ANY, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BpfMap } from './map';
import { arrayMapAllocCheck, keyIndex } from './array-map';
import { EOPNOTSUPP } from './errors';

/** Where fds are resolved: the calling process's fd table. */
export interface FdSource {
  lookup(fd: number): BpfObject | undefined;
}

/** A map whose syscall updates take an fd as the value (IS_FD_MAP). */
export interface FdValueMap {
  /** bpf_fd_array_map_update_elem() / bpf_fd_htab_map_update_elem() */
  updateFd(fds: FdSource, key: Uint8Array, fd: number, flags: number, value?: Uint8Array): void;
}

export const isFdValueMap = (m: BpfMap): m is BpfMap & FdValueMap => typeof (m as Partial<FdValueMap>).updateFd === 'function';

/** fd_array_map_alloc_check() */
export function fdArrayMapAllocCheck(attr: MapCreateAttr): void {
  if (attr.value_size !== 4) throw new SysError('EINVAL', 'the values of this map are fds: value_size must be 4');
  if ((attr.map_flags ?? 0) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) throw new SysError('EINVAL', 'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG are not for fd maps');
  arrayMapAllocCheck(attr);
}

/** The object behind an fd of a bpf map (__bpf_map_get: EBADF, or EINVAL for another kind). */
export function fdToMap(fds: FdSource, fd: number): BpfMap {
  const o = fds.lookup(fd);
  if (!o) throw new SysError('EBADF', `fd ${fd} is not open`);
  if (o.kind !== 'map') throw new SysError('EINVAL', `fd ${fd} is not a map`);
  return o as BpfMap;
}

export const u32le = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};

export abstract class FdArrayMap<T> extends BpfMap implements FdValueMap {
  protected readonly slots: (T | undefined)[] = [];

  /** map_fd_get_ptr(): the referenced object behind `fd` (throws the kernel's errno). */
  protected abstract getPtr(fds: FdSource, fd: number): T;
  /** map_fd_put_ptr() */
  protected abstract putPtr(ptr: T): void;
  /** map_fd_sys_lookup_elem(): the id user space sees; null when the type has none. */
  protected abstract readonly sysLookupId: ((ptr: T) => number) | null;

  override get syscallValueSize(): number {
    return 4;
  }

  /** What slot `index` holds. */
  slot(index: number): T | undefined {
    return this.slots[index];
  }

  /** bpf_fd_array_map_lookup_elem() */
  lookup(key: Uint8Array, _flags: number): Uint8Array {
    if (!this.sysLookupId) throw new SysError('ENOTSUPP', 'this map type does not show its values to user space');
    const i = keyIndex(key);
    const p = i < this.maxEntries ? this.slots[i] : undefined;
    if (p === undefined) throw new SysError('ENOENT', `slot ${i} is empty`);
    return u32le(this.sysLookupId(p));
  }

  update(_key: Uint8Array, _value: Uint8Array, _flags: number): void {
    throw new SysError('EINVAL', 'the values of this map are fds; use BPF_MAP_UPDATE_ELEM');
  }

  /** bpf_fd_array_map_update_elem() */
  updateFd(fds: FdSource, key: Uint8Array, fd: number, flags: number): void {
    if (flags !== BPF_ANY) throw new SysError('EINVAL', 'fd maps take BPF_ANY only');
    const i = keyIndex(key);
    if (i >= this.maxEntries) throw new SysError('E2BIG', `index ${i} is beyond max_entries ${this.maxEntries}`);
    const p = this.getPtr(fds, fd);
    this.replace(i, p);
  }

  /** Puts `p` (already referenced) in slot i and puts what was there. */
  protected replace(i: number, p: T | undefined): T | undefined {
    const old = this.slots[i];
    this.slots[i] = p;
    if (old !== undefined) this.putPtr(old);
    return old;
  }

  /** __fd_array_map_delete_elem() */
  delete(key: Uint8Array): void {
    const i = keyIndex(key);
    if (i >= this.maxEntries) throw new SysError('E2BIG', `index ${i} is beyond max_entries ${this.maxEntries}`);
    if (this.replace(i, undefined) === undefined) throw new SysError('ENOENT', `slot ${i} is empty`);
  }

  /** array_map_get_next_key() */
  getNextKey(key: Uint8Array | null): Uint8Array {
    const i = key ? keyIndex(key) : 0xffffffff;
    if (i >= this.maxEntries) return u32le(0);
    if (i === this.maxEntries - 1) throw new SysError('ENOENT', 'no key after the last index');
    return u32le(i + 1);
  }

  lookupElem(_key: Uint8Array): VmAddress | null {
    return null;
  }
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -EOPNOTSUPP;
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

  /** bpf_fd_array_map_clear() */
  protected freeMemory(): void {
    for (let i = 0; i < this.slots.length; i++) this.replace(i, undefined);
  }
}
