// The map commands of bpf(2) (kernel/bpf/syscall.c): map_create, map_lookup_elem,
// map_update_elem, map_delete_elem, map_get_next_key, map_lookup_and_delete_elem,
// map_freeze. Each checks in the kernel's order: CHECK_ATTR, flags, the fd, the fd's
// access mode, then copies key and value and calls the map's ops.
//
// Attrs use the uapi names. Keys and values are Uint8Arrays; `null` (for inputs also an absent field) is
// the NULL pointer. A buffer shorter than the kernel copies fails EFAULT (copy_from_user
// or copy_to_user of unmapped user memory would, and bpfsim has no memory past the end of
// a Uint8Array). Outputs (`value` of a lookup, `next_key`) are written into the buffer
// given; when the field is absent (undefined) a buffer of the right size is made and set
// on the attr — a convenience, where Linux would fail EFAULT on a NULL pointer (pass
// `null` to get that). Per-CPU maps copy round_up(value_size, 8) bytes per CPU.
import { BPF_CMD, SysError } from '@bpfsim/isa';
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import { FMODE_READ, FMODE_WRITE } from '../fd-table';
import type { BpfCommand } from '../syscall';
import { command, fdMap, objName } from '../syscall';
import type { BpfMap, MapCreateAttr, MapSpec } from './map';
import { BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY } from './map';
import { BPF_F_TOKEN_FD, M } from './flags';
import { normFlags } from './errors';
import type { BuiltinMapTypeOps, MapAllocContext } from './ops';
import { isFdValueMap } from './fd-array';
import { htabMaxEntries } from './hash-map';
import { isMapInMapType, mapMetaAlloc } from './map-in-map';
import { BloomFilterMap } from './bloom-filter';

/** union bpf_attr for BPF_MAP_CREATE, all of it (LAST_FIELD excl_prog_hash_size). */
export interface MapCreateCmdAttr extends MapCreateAttr {
  map_ifindex?: number;
  btf_fd?: number;
  btf_key_type_id?: number;
  btf_value_type_id?: number;
  btf_vmlinux_value_type_id?: number;
  value_type_btf_obj_fd?: number;
  map_token_fd?: number;
  /** SHA-256 of the only program allowed to use the map. */
  excl_prog_hash?: Uint8Array | null;
  excl_prog_hash_size?: number;
}

/** BPF_MAP_LOOKUP_ELEM / UPDATE_ELEM / DELETE_ELEM / GET_NEXT_KEY / LOOKUP_AND_DELETE_ELEM */
export interface MapElemAttr {
  map_fd: number;
  key?: Uint8Array | null;
  /** In for updates, out for lookups (and in for bloom filter lookups). */
  value?: Uint8Array | null;
  /** Out for GET_NEXT_KEY (the same union slot as `value`). */
  next_key?: Uint8Array | null;
  flags?: number | bigint;
}

export interface MapFreezeAttr {
  map_fd: number;
}

const CREATE_FIELDS = [
  'map_type', 'key_size', 'value_size', 'max_entries', 'map_flags', 'inner_map_fd', 'numa_node', 'map_name', 'map_ifindex', 'btf_fd',
  'btf_key_type_id', 'btf_value_type_id', 'btf_vmlinux_value_type_id', 'map_extra', 'value_type_btf_obj_fd', 'map_token_fd', 'excl_prog_hash',
  'excl_prog_hash_size',
];

const isZero = (v: unknown): boolean => v === undefined || v === null || v === 0 || v === 0n || v === false || v === '';

/** CHECK_ATTR(): every field past the command's last one must be zero (EINVAL). */
function checkAttr(attr: object, fields: readonly string[], cmd: string): void {
  for (const [k, v] of Object.entries(attr)) {
    if (!fields.includes(k) && !isZero(v)) throw new SysError('EINVAL', `${cmd} takes no '${k}' (fields past its last one must be zero)`);
  }
}

const u32 = (v: number | undefined): number => (v ?? 0) >>> 0;

// ---- fd access modes ----------------------------------------------------------------------

/** map_get_sys_perms(): the fd's f_mode (FdTable), without write once the map is frozen. */
function sysPerms(proc: Process, fd: number, map: BpfMap): number {
  let mode = proc.fds.mode(fd) ?? FMODE_READ | FMODE_WRITE;
  if (map.frozen) mode &= ~FMODE_WRITE;
  return mode;
}

/** The access mode of a map fd (FMODE_READ = 1, FMODE_WRITE = 2), as the kernel checks it. */
export function mapFdMode(proc: Process, fd: number): number {
  return sysPerms(proc, fd, fdMap(proc, fd));
}

// ---- copies between "user memory" and the kernel -------------------------------------------

/** __bpf_copy_key(): key_size bytes, or NULL for keyless maps (a key given is EINVAL). */
function copyKey(map: BpfMap, key: Uint8Array | null | undefined): Uint8Array | null {
  if (map.keySize) {
    if (!key) throw new SysError('EFAULT', 'key is NULL');
    if (key.length < map.keySize) throw new SysError('EFAULT', `key holds ${key.length} bytes, key_size is ${map.keySize}`);
    return key.slice(0, map.keySize);
  }
  if (key) throw new SysError('EINVAL', 'this map has no keys: key must be NULL');
  return null;
}

/** copy_from_user() of `size` bytes. */
function copyIn(buf: Uint8Array | null | undefined, size: number, what: string): Uint8Array {
  if (!buf) throw new SysError('EFAULT', `${what} is NULL`);
  if (buf.length < size) throw new SysError('EFAULT', `${what} holds ${buf.length} bytes, ${size} are needed`);
  return buf.slice(0, size);
}

/** copy_to_user(): into the buffer given, or a new one when the field is absent. */
function copyOut<K extends 'value' | 'next_key'>(attr: MapElemAttr, field: K, data: Uint8Array): void {
  const buf = attr[field];
  if (buf === undefined) {
    attr[field] = data.slice();
    return;
  }
  if (!buf) throw new SysError('EFAULT', `${field} is NULL`);
  if (buf.length < data.length) throw new SysError('EFAULT', `${field} holds ${buf.length} bytes, ${data.length} are copied out`);
  buf.set(data);
}

/** bpf_map_value_size() */
export const mapValueSize = (map: BpfMap): number => map.syscallValueSize;

const EMPTY = new Uint8Array(0);

// ---- BPF_MAP_CREATE ---------------------------------------------------------------------------

/** Map types unprivileged users may create (map_create's switch); the rest need CAP_BPF,
 * and the socket/device maps CAP_NET_ADMIN. */
const UNPRIVILEGED_TYPES: readonly number[] = [
  M.BPF_MAP_TYPE_ARRAY, M.BPF_MAP_TYPE_PERCPU_ARRAY, M.BPF_MAP_TYPE_PROG_ARRAY, M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, M.BPF_MAP_TYPE_CGROUP_ARRAY,
  M.BPF_MAP_TYPE_ARRAY_OF_MAPS, M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_HASH_OF_MAPS, M.BPF_MAP_TYPE_RINGBUF,
  M.BPF_MAP_TYPE_USER_RINGBUF, M.BPF_MAP_TYPE_CGROUP_STORAGE, M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
];
const NET_ADMIN_TYPES: readonly number[] = [M.BPF_MAP_TYPE_SOCKMAP, M.BPF_MAP_TYPE_SOCKHASH, M.BPF_MAP_TYPE_DEVMAP, M.BPF_MAP_TYPE_DEVMAP_HASH, M.BPF_MAP_TYPE_XSKMAP];

/** The loopback device's ifindex. */
const LOOPBACK_IFINDEX = 1;
/** nr_node_ids of the simulated machine. */
const NR_NODE_IDS = 1;

/** map_create() */
export function mapCreate(kernel: Kernel, proc: Process, attr: MapCreateCmdAttr): number {
  checkAttr(attr, CREATE_FIELDS, 'BPF_MAP_CREATE');
  const type = u32(attr.map_type);
  let flags = u32(attr.map_flags);
  const tokenFlag = (flags & BPF_F_TOKEN_FD) !== 0;
  flags = (flags & ~BPF_F_TOKEN_FD) >>> 0;
  const a: MapCreateAttr = {
    map_type: type,
    key_size: u32(attr.key_size),
    value_size: u32(attr.value_size),
    max_entries: u32(attr.max_entries),
    map_flags: flags,
    inner_map_fd: u32(attr.inner_map_fd),
    numa_node: u32(attr.numa_node),
    map_extra: BigInt.asUintN(64, attr.map_extra ?? 0n),
    ...(attr.map_name !== undefined ? { map_name: attr.map_name } : {}),
  };
  const btfKey = u32(attr.btf_key_type_id);
  const btfValue = u32(attr.btf_value_type_id);
  const btfVmlinux = u32(attr.btf_vmlinux_value_type_id);
  if (btfVmlinux) {
    if (type !== M.BPF_MAP_TYPE_STRUCT_OPS || btfKey || btfValue) throw new SysError('EINVAL', 'btf_vmlinux_value_type_id is for struct_ops maps without key/value types');
  } else if (btfKey && !btfValue) throw new SysError('EINVAL', 'btf_key_type_id needs btf_value_type_id');
  if (type !== M.BPF_MAP_TYPE_BLOOM_FILTER && type !== M.BPF_MAP_TYPE_ARENA && a.map_extra !== 0n) throw new SysError('EINVAL', 'map_extra is for bloom filters and arenas');
  // bpf_get_file_flag()
  if (flags & BPF_F_RDONLY && flags & BPF_F_WRONLY) throw new SysError('EINVAL', 'BPF_F_RDONLY and BPF_F_WRONLY together');
  const mode = flags & BPF_F_RDONLY ? FMODE_READ : flags & BPF_F_WRONLY ? FMODE_WRITE : FMODE_READ | FMODE_WRITE;
  if (flags & BPF_F_NUMA_NODE) {
    const node = a.numa_node! | 0;
    if (node !== -1 && (node >>> 0) >= NR_NODE_IDS) throw new SysError('EINVAL', `NUMA node ${a.numa_node} is not online`);
  }
  const ops = kernel.mapTypes.get(type) as BuiltinMapTypeOps | undefined;
  if (!ops) throw new SysError('EINVAL', `map type ${type} is unknown to this kernel`);
  const ctx: MapAllocContext = { perfmon: proc.capable('CAP_PERFMON'), sysAdmin: proc.capable('CAP_SYS_ADMIN'), mapFlags: flags };
  if (ops.checkWith) ops.checkWith(a, kernel, ctx);
  else ops.check?.(a, kernel);
  const ifindex = u32(attr.map_ifindex);
  if (tokenFlag) {
    // bpf_token_get_from_fd(): bpfsim has no BPF tokens.
    const o = proc.fds.lookup(u32(attr.map_token_fd));
    throw new SysError(o ? 'EINVAL' : 'EBADF', `map_token_fd ${attr.map_token_fd} is not a BPF token`);
  }
  // The privilege checks of map_create().
  if (kernel.unprivilegedBpfDisabled && !proc.bpfCapable('CAP_BPF')) {
    throw new SysError('EPERM', `creating maps needs CAP_BPF (kernel.unprivileged_bpf_disabled=${kernel.unprivilegedBpfDisabled})`);
  }
  if (NET_ADMIN_TYPES.includes(type)) {
    if (!proc.bpfCapable('CAP_NET_ADMIN')) throw new SysError('EPERM', `map type ${type} needs CAP_NET_ADMIN`);
  } else if (!UNPRIVILEGED_TYPES.includes(type) && !proc.bpfCapable('CAP_BPF')) {
    throw new SysError('EPERM', `map type ${type} needs CAP_BPF`);
  }
  if (ifindex) {
    // bpf_map_offload_map_alloc(): no device offloads maps. The kernel package knows only
    // the loopback device (ifindex 1), which has no ndo_bpf (EOPNOTSUPP).
    if (!proc.capable('CAP_SYS_ADMIN')) throw new SysError('EPERM', 'offloaded maps need CAP_SYS_ADMIN');
    if (type !== M.BPF_MAP_TYPE_ARRAY && type !== M.BPF_MAP_TYPE_HASH) throw new SysError('EINVAL', 'only arrays and hash maps can be offloaded');
    if (ifindex === LOOPBACK_IFINDEX) throw new SysError('EOPNOTSUPP', 'the loopback device does not offload maps');
    throw new SysError('EINVAL', `no device with ifindex ${ifindex}`);
  }
  const spec: MapSpec = {
    type,
    keySize: a.key_size,
    valueSize: a.value_size,
    maxEntries: type === M.BPF_MAP_TYPE_LRU_HASH || type === M.BPF_MAP_TYPE_LRU_PERCPU_HASH ? htabMaxEntries(a.max_entries, flags & BPF_F_NO_COMMON_LRU, kernel.cpus) : a.max_entries,
    // bpf_map_flags_retain_permanent(): RDONLY/WRONLY belong to the fd.
    flags: (flags & ~(BPF_F_RDONLY | BPF_F_WRONLY)) >>> 0,
    name: '',
    extra: a.map_extra!,
  };
  let nameError: SysError | undefined;
  try {
    spec.name = objName(attr.map_name);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    nameError = e;
  }
  // map_alloc(): map-in-maps copy their template first.
  if (isMapInMapType(type)) spec.inner = mapMetaAlloc(kernel, proc.fds, a.inner_map_fd!);
  let map: BpfMap;
  try {
    ops.allocCheck?.(spec, kernel, ctx);
    map = ops.create(kernel, spec);
  } catch (e) {
    spec.inner?.put();
    throw e;
  }
  // Failures after the allocation free the map again (bpf_map_free).
  const fail = (err: SysError): never => {
    map.get();
    map.put();
    throw err;
  };
  if (nameError) fail(nameError);
  if (btfKey || btfValue || btfVmlinux) {
    // btf_get_by_fd(): bpfsim has no BTF objects.
    fail(new SysError(proc.fds.lookup(u32(attr.btf_fd)) ? 'EINVAL' : 'EBADF', `btf_fd ${attr.btf_fd} is not BTF`));
  }
  const hashSize = u32(attr.excl_prog_hash_size);
  if (attr.excl_prog_hash) {
    if (hashSize !== 32) fail(new SysError('EINVAL', 'excl_prog_hash_size must be 32 (SHA-256)'));
    if (attr.excl_prog_hash.length < 32) fail(new SysError('EFAULT', 'excl_prog_hash holds fewer than 32 bytes'));
  } else if (hashSize) fail(new SysError('EINVAL', 'excl_prog_hash_size without excl_prog_hash'));
  map.id = kernel.mapIds.alloc(map);
  map.onRelease = (m) => kernel.mapIds.free(m.id);
  return proc.fds.install(map.get(), mode);
}

// ---- element commands -------------------------------------------------------------------------

const LOOKUP_FIELDS = ['map_fd', 'key', 'value', 'flags'];
const DELETE_FIELDS = ['map_fd', 'key'];
const NEXT_KEY_FIELDS = ['map_fd', 'key', 'next_key', 'value'];

/** map_lookup_elem() */
export function mapLookupElem(_kernel: Kernel, proc: Process, attr: MapElemAttr): number {
  checkAttr(attr, LOOKUP_FIELDS, 'BPF_MAP_LOOKUP_ELEM');
  const flags = normFlags(attr.flags);
  if (flags & ~BPF_F_LOCK) throw new SysError('EINVAL', `unknown lookup flags 0x${flags.toString(16)}`);
  const map = fdMap(proc, attr.map_fd);
  if (!(sysPerms(proc, attr.map_fd, map) & FMODE_READ)) throw new SysError('EPERM', 'the map fd is write-only');
  if (flags & BPF_F_LOCK) throw new SysError('EINVAL', 'BPF_F_LOCK needs a bpf_spin_lock in the value (BTF)');
  const key = copyKey(map, attr.key) ?? EMPTY;
  if (map instanceof BloomFilterMap) {
    map.contains(copyIn(attr.value, map.valueSize, 'value'));
    return 0;
  }
  copyOut(attr, 'value', map.lookup(key, flags));
  return 0;
}

/** map_update_elem() and bpf_map_update_value() */
export function mapUpdateElem(_kernel: Kernel, proc: Process, attr: MapElemAttr): number {
  checkAttr(attr, LOOKUP_FIELDS, 'BPF_MAP_UPDATE_ELEM');
  const map = fdMap(proc, attr.map_fd);
  if (!(sysPerms(proc, attr.map_fd, map) & FMODE_WRITE)) throw new SysError('EPERM', map.frozen ? 'the map is frozen' : 'the map fd is read-only');
  const flags = normFlags(attr.flags);
  if (flags & BPF_F_LOCK) throw new SysError('EINVAL', 'BPF_F_LOCK needs a bpf_spin_lock in the value (BTF)');
  const key = copyKey(map, attr.key) ?? EMPTY;
  const value = copyIn(attr.value, mapValueSize(map), 'value');
  if (isFdValueMap(map)) map.updateFd(proc.fds, key, new DataView(value.buffer).getInt32(0, true), flags, value);
  else map.update(key, value, flags);
  return 0;
}

/** map_delete_elem() */
export function mapDeleteElem(_kernel: Kernel, proc: Process, attr: MapElemAttr): number {
  checkAttr(attr, DELETE_FIELDS, 'BPF_MAP_DELETE_ELEM');
  const map = fdMap(proc, attr.map_fd);
  if (!(sysPerms(proc, attr.map_fd, map) & FMODE_WRITE)) throw new SysError('EPERM', map.frozen ? 'the map is frozen' : 'the map fd is read-only');
  const key = copyKey(map, attr.key) ?? EMPTY;
  map.delete(key);
  return 0;
}

/** map_get_next_key(): a NULL key, or one not in the map, gives the first key. */
export function mapGetNextKey(_kernel: Kernel, proc: Process, attr: MapElemAttr): number {
  checkAttr(attr, NEXT_KEY_FIELDS, 'BPF_MAP_GET_NEXT_KEY');
  const map = fdMap(proc, attr.map_fd);
  if (!(sysPerms(proc, attr.map_fd, map) & FMODE_READ)) throw new SysError('EPERM', 'the map fd is write-only');
  const key = attr.key ? copyKey(map, attr.key) : null;
  const next = map.getNextKey(key);
  const field = attr.next_key === undefined && attr.value !== undefined ? 'value' : 'next_key';
  copyOut(attr, field, next.subarray(0, map.keySize));
  return 0;
}

const LOOKUP_AND_DELETE_TYPES: readonly number[] = [M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_LRU_PERCPU_HASH, M.BPF_MAP_TYPE_STACK_TRACE];

/** map_lookup_and_delete_elem(): pops queues and stacks, takes hash elements out. */
export function mapLookupAndDeleteElem(_kernel: Kernel, proc: Process, attr: MapElemAttr): number {
  checkAttr(attr, LOOKUP_FIELDS, 'BPF_MAP_LOOKUP_AND_DELETE_ELEM');
  const flags = normFlags(attr.flags);
  if (flags & ~BPF_F_LOCK) throw new SysError('EINVAL', `unknown flags 0x${flags.toString(16)}`);
  const map = fdMap(proc, attr.map_fd);
  const perms = sysPerms(proc, attr.map_fd, map);
  if (!(perms & FMODE_READ) || !(perms & FMODE_WRITE)) throw new SysError('EPERM', map.frozen ? 'the map is frozen' : 'the map fd is not read-write');
  const queue = map.type === M.BPF_MAP_TYPE_QUEUE || map.type === M.BPF_MAP_TYPE_STACK;
  if (flags && queue) throw new SysError('EINVAL', 'queues and stacks take no flags here');
  if (flags & BPF_F_LOCK) throw new SysError('EINVAL', 'BPF_F_LOCK needs a bpf_spin_lock in the value (BTF)');
  const key = copyKey(map, attr.key);
  let value: Uint8Array;
  if (queue) value = map.lookupAndDelete(null, 0);
  else if (LOOKUP_AND_DELETE_TYPES.includes(map.type)) value = map.lookupAndDelete(key, flags);
  else throw new SysError('ENOTSUPP', `lookup-and-delete is not supported by map type ${map.type}`);
  copyOut(attr, 'value', value);
  return 0;
}

/** map_freeze(): user space may no longer write the map (programs still may). */
export function mapFreeze(_kernel: Kernel, proc: Process, attr: MapFreezeAttr): number {
  checkAttr(attr, ['map_fd'], 'BPF_MAP_FREEZE');
  const map = fdMap(proc, attr.map_fd);
  if (map.type === M.BPF_MAP_TYPE_STRUCT_OPS) throw new SysError('ENOTSUPP', 'struct_ops maps cannot be frozen');
  if (!(sysPerms(proc, attr.map_fd, map) & FMODE_WRITE)) throw new SysError('EPERM', map.frozen ? 'the map is already frozen' : 'the map fd is read-only');
  if (map.frozen) throw new SysError('EBUSY', 'the map is already frozen');
  map.frozen = true;
  return 0;
}

/** The map commands, for the kernel's bpf() table (bpf-commands.ts). */
export const MAP_COMMANDS: readonly BpfCommand[] = [
  command(BPF_CMD.BPF_MAP_CREATE, mapCreate),
  command(BPF_CMD.BPF_MAP_LOOKUP_ELEM, mapLookupElem),
  command(BPF_CMD.BPF_MAP_UPDATE_ELEM, mapUpdateElem),
  command(BPF_CMD.BPF_MAP_DELETE_ELEM, mapDeleteElem),
  command(BPF_CMD.BPF_MAP_GET_NEXT_KEY, mapGetNextKey),
  command(BPF_CMD.BPF_MAP_LOOKUP_AND_DELETE_ELEM, mapLookupAndDeleteElem),
  command(BPF_CMD.BPF_MAP_FREEZE, mapFreeze),
];
