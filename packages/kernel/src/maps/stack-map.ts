// BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): stacks by id. bpf_get_stackid() hashes
// the call chain (jhash2 over the u64 IPs), and the bucket index hash & (n_buckets - 1) is
// the id; a bucket holding another stack is kept unless BPF_F_REUSE_STACKID. With
// BPF_F_STACK_BUILD_ID each frame is a struct bpf_stack_build_id: the file's build id and
// the offset in it (user frames in a mapped binary whose note page is resident), or the raw
// IP (kernel frames, anonymous memory, a note that is not resident). bpf_get_stack() copies
// a stack into program memory instead.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { ExecContext, Helper } from '@bpfsim/vm';
import type { BpfFuncProto } from '../helpers/func-proto';
import { helper } from '../helpers/func-proto';
import { mapArg } from '../helpers/generic';
import { RunCtx, TraceRunCtx } from '../helpers/run-ctx';
import type { Process } from '../process';
import { PAGE_SIZE } from '../tracing/mm';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BpfMap } from './map';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { EEXIST, EINVAL, ENOMEM, checkMemory } from './errors';
import { jhash } from './jhash';
import type { BuiltinMapTypeOps } from './ops';

export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_SKIP_FIELD_MASK = 0xff;
export const BPF_F_USER_STACK = 1 << 8;
export const BPF_F_FAST_STACK_CMP = 1 << 9;
export const BPF_F_REUSE_STACKID = 1 << 10;
export const BPF_F_USER_BUILD_ID = 1 << 11;
const EFAULT = ERRNO.EFAULT;
const STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_STACK_BUILD_ID;
/** sizeof(struct bpf_stack_build_id) */
export const BUILD_ID_ELEM = 32;
export const BPF_STACK_BUILD_ID_EMPTY = 0;
export const BPF_STACK_BUILD_ID_VALID = 1;
export const BPF_STACK_BUILD_ID_IP = 2;

/** sysctl kernel.perf_event_max_stack (default 127). */
export const PERF_EVENT_MAX_STACK = 127;

/** stack_map_alloc()'s checks. */
export function stackMapAllocCheck(attr: MapCreateAttr): void {
  const flags = attr.map_flags ?? 0;
  const vs = attr.value_size;
  if (flags & ~STACK_CREATE_FLAG_MASK) throw new SysError('EINVAL', `map_flags 0x${flags.toString(16)} are not valid for a stack trace map`);
  if (attr.max_entries === 0 || attr.key_size !== 4 || vs < 8 || vs % 8) {
    throw new SysError('EINVAL', 'a stack trace map takes key_size 4, max_entries > 0 and a value_size that is a non-zero multiple of 8');
  }
  if (flags & BPF_F_STACK_BUILD_ID) {
    if (vs % BUILD_ID_ELEM || vs / BUILD_ID_ELEM > PERF_EVENT_MAX_STACK) throw new SysError('EINVAL', `with BPF_F_STACK_BUILD_ID value_size is a multiple of 32 up to ${32 * PERF_EVENT_MAX_STACK}`);
  } else if (vs / 8 > PERF_EVENT_MAX_STACK) throw new SysError('EINVAL', `value_size ${vs} holds more than ${PERF_EVENT_MAX_STACK} frames`);
  if (attr.max_entries > 2 ** 31) throw new SysError('E2BIG', `max_entries ${attr.max_entries} is too large`);
}

const roundupPow2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

interface Bucket {
  hash: number;
  /** Frames (u64 IPs, or 32-byte build-id entries), nr × elem bytes. */
  data: Uint8Array;
  nr: number;
}

/** The call chain a helper sees: kernel frames then user frames (get_perf_callchain). */
export interface Callchain {
  ips: bigint[];
  /** Where the IPs come from (user stacks resolve build ids). */
  user: boolean;
  process?: Process;
}

export class StackTraceMap extends BpfMap {
  readonly nBuckets: number;
  private readonly buckets: (Bucket | undefined)[];
  /** Free elements (the prealloc'd freelist: max_entries of them). */
  private free: number;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    this.nBuckets = roundupPow2(spec.maxEntries);
    this.buckets = new Array<Bucket | undefined>(this.nBuckets);
    this.free = spec.maxEntries;
  }

  get buildId(): boolean {
    return (this.flags & BPF_F_STACK_BUILD_ID) !== 0;
  }
  get elemSize(): number {
    return this.buildId ? BUILD_ID_ELEM : 8;
  }

  /** __bpf_get_stackid() on a captured call chain: the id, or a negative errno. */
  getStackId(chain: Callchain, flags: number): number {
    const skip = flags & BPF_F_SKIP_FIELD_MASK;
    if (chain.ips.length <= skip) return -EFAULT;
    const maxDepth = calcMaxDepth(this.valueSize, this.elemSize, flags);
    const nr = Math.min(chain.ips.length - skip, maxDepth - skip);
    const ips = chain.ips.slice(skip, skip + nr);
    const raw = new Uint8Array(nr * 8);
    const dv = new DataView(raw.buffer);
    ips.forEach((ip, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, ip), true));
    const hash = jhash(raw, 0, raw.length, 0);
    const id = hash & (this.nBuckets - 1);
    const bucket = this.buckets[id];
    const hashMatches = !!bucket && bucket.hash === hash;
    if (hashMatches && flags & BPF_F_FAST_STACK_CMP) return id;
    const data = this.buildId ? buildIdEntries(ips, chain.user, chain.process) : raw;
    if (hashMatches && bucket.nr === nr && equal(bucket.data, data)) return id;
    if (bucket && !(flags & BPF_F_REUSE_STACKID)) return -EEXIST;
    if (!bucket) {
      if (this.free === 0) return -ENOMEM;
      this.free--;
    }
    this.buckets[id] = { hash, data, nr };
    return id;
  }

  // ---- syscall side -----------------------------------------------------------------

  private keyId(key: Uint8Array): number {
    return new DataView(key.buffer, key.byteOffset, 4).getUint32(0, true);
  }

  /** bpf_stackmap_extract(): the frames, zero-filled to value_size. */
  lookup(key: Uint8Array): Uint8Array {
    const id = this.keyId(key);
    const b = id < this.nBuckets ? this.buckets[id] : undefined;
    if (!b) throw new SysError('ENOENT', `no stack with id ${id}`);
    const out = new Uint8Array(this.valueSize);
    out.set(b.data.subarray(0, Math.min(b.data.length, this.valueSize)));
    return out;
  }

  update(): void {
    throw new SysError('EINVAL', 'stack trace maps are filled by bpf_get_stackid() only');
  }

  delete(key: Uint8Array): void {
    const id = this.keyId(key);
    if (id >= this.nBuckets) throw new SysError('E2BIG', `stack id ${id} is beyond the ${this.nBuckets} buckets`);
    if (!this.buckets[id]) throw new SysError('ENOENT', `no stack with id ${id}`);
    this.buckets[id] = undefined;
    this.free++;
  }

  /** stack_map_get_next_key(): the occupied buckets in order; an unknown key restarts. */
  getNextKey(key: Uint8Array | null): Uint8Array {
    let id = 0;
    if (key) {
      const k = this.keyId(key);
      id = k >= this.nBuckets || !this.buckets[k] ? 0 : k + 1;
    }
    while (id < this.nBuckets && !this.buckets[id]) id++;
    if (id >= this.nBuckets) throw new SysError('ENOENT', 'no stack id after this one');
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, id, true);
    return out;
  }

  override lookupAndDelete(key: Uint8Array | null): Uint8Array {
    if (!key) throw new SysError('EINVAL', 'a key is needed');
    const v = this.lookup(key);
    this.delete(key);
    return v;
  }

  // The verifier refuses map_lookup/update/delete on stack maps from programs.
  lookupElem(): VmAddress | null {
    return null;
  }
  updateElem(): number {
    return -EINVAL;
  }
  deleteElem(): number {
    return -EINVAL;
  }

  protected freeMemory(): void {
    this.buckets.fill(undefined);
  }
}

/** stack_map_calculate_max_depth() (6.18: the skipped frames count towards the depth). */
function calcMaxDepth(size: number, elemSize: number, flags: number): number {
  const depth = Math.floor(size / elemSize) + (flags & BPF_F_SKIP_FIELD_MASK);
  return Math.min(depth, PERF_EVENT_MAX_STACK);
}

/** stack_map_get_build_id_offset(): one struct bpf_stack_build_id per frame. */
export function buildIdEntries(ips: readonly bigint[], user: boolean, process: Process | undefined): Uint8Array {
  const out = new Uint8Array(ips.length * BUILD_ID_ELEM);
  const dv = new DataView(out.buffer);
  ips.forEach((ip, i) => {
    const o = i * BUILD_ID_ELEM;
    const vma = user ? process?.mm.find(ip) : undefined;
    const file = vma?.file;
    if (vma && file?.buildId && file.noteResident !== false) {
      dv.setInt32(o, BPF_STACK_BUILD_ID_VALID, true);
      out.set(file.buildId.subarray(0, 20), o + 4);
      dv.setBigUint64(o + 24, vma.pgoff * BigInt(PAGE_SIZE) + ip - vma.start, true);
    } else {
      dv.setInt32(o, BPF_STACK_BUILD_ID_IP, true);
      dv.setBigUint64(o + 24, BigInt.asUintN(64, ip), true);
    }
  });
  return out;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const STACK_TRACE_OPS: BuiltinMapTypeOps = {
  name: 'stack_trace',
  check: stackMapAllocCheck,
  allocCheck: (spec) => checkMemory(spec.maxEntries * (spec.valueSize + 16), `a stack map of ${spec.maxEntries} stacks`),
  create: (host, spec) => new StackTraceMap(host, spec),
};

// ---- the helpers ------------------------------------------------------------------------

/** The call chain of the running program (get_perf_callchain): the kernel stack the hook
 * site recorded, or the process's user stack. */
export function callchain(run: ExecContext, user: boolean): Callchain | undefined {
  const ctx = run.env;
  if (user) {
    const p = ctx instanceof RunCtx ? ctx.process : undefined;
    if (!p || p.userStack.length === 0) return undefined;
    return { ips: [...p.userStack], user: true, process: p };
  }
  const k = ctx instanceof TraceRunCtx ? ctx.kstack : undefined;
  return k && k.length ? { ips: [...k], user: false } : undefined;
}

/** bpf_get_stackid(ctx, map, flags) */
export const getStackId: Helper = (run) => {
  const map = mapArg(run, 2) as StackTraceMap;
  const flags = run.argHi(3) === 0 ? run.argLo(3) >>> 0 : -1;
  if (flags < 0 || flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) {
    run.retInt(-EINVAL);
    return;
  }
  const chain = callchain(run, (flags & BPF_F_USER_STACK) !== 0);
  run.retInt(chain ? map.getStackId(chain, flags) : -EFAULT);
};

/** bpf_get_stack(ctx, buf, size, flags): bytes written, the rest of buf zeroed. */
export const getStack: Helper = (run) => {
  const size = run.argLo(3) >>> 0;
  const buf = run.argMem(2, size, true);
  const bytes = buf.region.bytes.subarray(buf.offset, buf.offset + size);
  const flags = run.argHi(4) === 0 ? run.argLo(4) >>> 0 : -1;
  const fail = (err: number): void => {
    bytes.fill(0);
    run.retInt(-err);
  };
  const user = (flags & BPF_F_USER_STACK) !== 0;
  const userBuildId = (flags & BPF_F_USER_BUILD_ID) !== 0;
  if (flags < 0 || flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID) || (!user && userBuildId)) return fail(EINVAL);
  const elem = userBuildId ? BUILD_ID_ELEM : 8;
  if (size % elem) return fail(EINVAL);
  const skip = flags & BPF_F_SKIP_FIELD_MASK;
  const chain = callchain(run, user);
  const maxDepth = calcMaxDepth(size, elem, flags);
  const ips = chain ? chain.ips.slice(0, maxDepth) : [];
  if (!chain || ips.length < skip) return fail(EFAULT);
  const frames = ips.slice(skip);
  let data: Uint8Array;
  if (userBuildId) data = buildIdEntries(frames, true, chain.process);
  else {
    data = new Uint8Array(frames.length * 8);
    const dv = new DataView(data.buffer);
    frames.forEach((ip, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, ip), true));
  }
  bytes.fill(0);
  bytes.set(data.subarray(0, Math.min(data.length, size)));
  run.retInt(Math.min(data.length, size));
};

/** bpf_get_stackid_proto, bpf_get_stack_proto */
export const STACK_HELPERS: readonly BpfFuncProto[] = [
  helper('get_stackid', ['ctx', 'map', 'any'], 'integer', getStackId, { gplOnly: true }),
  helper('get_stack', ['ctx', 'mem_uninit', 'size_or_zero', 'any'], 'integer', getStack, { gplOnly: true }),
];
