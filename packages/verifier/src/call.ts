// Calls: helpers (check_helper_call, check_func_arg, check_map_func_compatibility) and
// bpf-to-bpf calls (check_func_call / prepare_func_exit), and the exit checks
// (check_return_code, reference leaks).
import type { Insn } from '@bpfsim/isa';
import { BPF_FUNC_NAMES, BPF_MAP_TYPE, BPF_PROG_TYPE, helperId } from '@bpfsim/isa';
import type { MapInfo } from './api';
import type { Env } from './env';
import { VerifyError, fail } from './env';
import type { ArgType, HelperProto } from './helper-protos';
import { checkHelperMemAccess, checkMemAccess, mapProgFlags, checkPacketAccess, checkPtrOffReg } from './mem';
import type { RegState } from './reg';
import { isPktPointer, notInit, ptrReg, regTypeStr, unknownReg } from './reg';
import { S64_MAX, S64_MIN, asIntN, big } from './scalar/int';
import { regBoundsSync, tnumIn, tnumIsConst, tnumRange } from './scalar';
import { checkRegArg } from './regs';
import { checkSubprogCall, subprogIsGlobal, subprogName } from './btf-func';
import { markChainPrecision } from './precision';
import type { FuncState } from './state';
import { BPF_REG_SIZE, STACK_SPILL, STACK_ZERO, isSpilledScalarReg, newFrame } from './state';

const MAX_CALL_FRAMES = 8;
const M = BPF_MAP_TYPE;
const fname = (id: number): string => {
  const n = id >= 0 && id < BPF_FUNC_NAMES.length ? BPF_FUNC_NAMES[id] : undefined;
  return n ? `bpf_${n}` : 'unknown';
};
const registerIsNull = (r: RegState): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

interface CallMeta {
  map?: MapInfo;
  constMapKey: bigint;
  rawRegno: number;
  rawSize: number;
  refObjId: number;
  releaseRegno: number;
  /** ringbuf_reserve's size, the size of the memory it returns. */
  memSize: number;
  /** meta->msize_max_value: the largest value of the last size argument (check_mem_size_reg). */
  msizeMax: bigint;
}

/** reg types each argument kind accepts (compatible_reg_types). */
const MEM_TYPES = ['PTR_TO_STACK', 'PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_MAP_KEY', 'PTR_TO_MAP_VALUE', 'PTR_TO_MEM', 'PTR_TO_BUF', 'PTR_TO_BTF_ID'];
const MEM_TYPE_STRS = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem', 'ringbuf_mem', 'buf', 'trusted_ptr_'];
const SOCK_COMMON_TYPES = ['PTR_TO_SOCK_COMMON', 'PTR_TO_SOCKET', 'PTR_TO_TCP_SOCK', 'PTR_TO_XDP_SOCK'];

function compatible(arg: ArgType): { types: string[]; strs: string[] } | undefined {
  switch (arg) {
    case 'map_key':
    case 'map_value':
    case 'map_value_uninit':
    case 'mem_ro':
    case 'mem_ro_or_null':
    case 'mem_uninit':
    case 'mem':
      return { types: MEM_TYPES, strs: MEM_TYPE_STRS };
    case 'size':
    case 'size_or_zero':
    case 'alloc_size_or_zero':
      return { types: ['SCALAR_VALUE'], strs: ['scalar'] };
    case 'map':
      return { types: ['CONST_PTR_TO_MAP'], strs: ['map_ptr'] };
    case 'ctx':
    case 'ctx_or_null':
      return { types: ['PTR_TO_CTX'], strs: ['ctx'] };
    case 'sock_common':
      return { types: SOCK_COMMON_TYPES, strs: ['sock_common', 'sock', 'tcp_sock', 'xdp_sock'] };
    case 'sock_common_release':
      return { types: [...SOCK_COMMON_TYPES, 'PTR_TO_BTF_ID'], strs: ['sock_common', 'sock', 'tcp_sock', 'xdp_sock', 'ptr_', 'trusted_ptr_'] };
    case 'ringbuf_mem_release':
      return { types: ['PTR_TO_MEM'], strs: ['ringbuf_mem'] };
    case 'func':
      return { types: ['PTR_TO_FUNC'], strs: ['func'] };
    case 'stack_or_null':
      return { types: ['PTR_TO_STACK'], strs: ['fp'] };
    case 'const_str':
      return { types: ['PTR_TO_MAP_VALUE'], strs: ['map_value'] };
    case 'long_uninit':
      return { types: MEM_TYPES, strs: MEM_TYPE_STRS };
    case 'spin_lock':
      // spin_lock_types: a map value, or an object of the program's own allocation.
      return { types: ['PTR_TO_MAP_VALUE', 'PTR_TO_BTF_ID'], strs: ['map_value', 'ptr_'] };
    default:
      return undefined;
  }
}

const mayBeNull = (a: ArgType): boolean => a === 'ctx_or_null' || a === 'mem_ro_or_null' || a === 'stack_or_null';

/** check_reg_type() */
function checkRegType(env: Env, regno: number, arg: ArgType): void {
  const reg = env.regs[regno]!;
  const c = compatible(arg)!;
  let ok = c.types.includes(reg.type) && (!reg.maybeNull || mayBeNull(arg));
  if (arg === 'ringbuf_mem_release') ok = reg.type === 'PTR_TO_MEM' && reg.ringbuf && !reg.maybeNull;
  else if (reg.type === 'PTR_TO_MEM' && reg.rdonly && !(arg === 'mem_ro' || arg === 'mem_ro_or_null')) ok = false;
  if (!ok) fail('EACCES', `R${regno} type=${regTypeStr(reg)} expected=${c.strs.join(', ')}`);
}

/** check_mem_size_reg(): a size argument, and the memory of the argument before it. */
function checkMemSize(env: Env, regno: number, zeroOk: boolean, t: 'read' | 'write', rawMode: boolean): void {
  const reg = env.regs[regno]!;
  if (!tnumIsConst(reg.varOff)) rawMode = false;
  if (reg.smin < 0n) fail('EACCES', `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (reg.umin === 0n && !zeroOk) {
    fail('EACCES', `R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
  }
  if (reg.umax >= 1n << 29n) fail('EACCES', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  checkHelperMemAccess(env, regno - 1, Number(reg.umax), t, zeroOk, rawMode);
  markChainPrecision(env, regno);
}

/** get_constant_map_key(): a key on the stack whose value is known. */
function constantMapKey(env: Env, key: RegState, keySize: number): bigint | undefined {
  if (!env.privileged || key.type !== 'PTR_TO_STACK' || !tnumIsConst(key.varOff)) return undefined;
  const f = env.frameOf(key);
  const stackOff = key.off + Number(asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = Math.floor(slot / BPF_REG_SIZE);
  const off = slot % BPF_REG_SIZE;
  const s = f.stack[spi];
  if (!s) return undefined;
  let zero = 0;
  for (let i = off; i >= 0 && s.slotType[i] === STACK_ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (!isSpilledScalarReg(s)) return undefined;
  let spill = 0;
  for (let i = off; i >= 0 && s.slotType[i] === STACK_SPILL; i--) spill++;
  if (spill !== keySize) return undefined;
  if (!tnumIsConst(s.spilled.varOff)) return undefined;
  // The lookup relies on the key's exact value.
  markChainPrecision(env, { slots: [{ frameno: key.frameno, spi }] });
  return s.spilled.varOff.value;
}

/** check_func_arg() */
function checkFuncArg(env: Env, i: number, fn: HelperProto, meta: CallMeta): void {
  const arg = fn.args[i];
  if (arg === undefined) return;
  const regno = i + 1;
  checkRegArg(env, regno, 'src');
  const reg = env.regs[regno]!;
  if (arg === 'any') {
    if (reg.type !== 'SCALAR_VALUE' && !env.privileged) fail('EACCES', `R${regno} leaks addr into helper function`);
    return;
  }
  if (isPktPointer(reg) && !(env.prog.packetAccess && fn.pktAccess)) fail('EACCES', 'helper access to the packet is not allowed');
  let effective = arg;
  if ((arg === 'map_value' || arg === 'map_value_uninit') && meta.map && (meta.map.type === M.BPF_MAP_TYPE_SOCKMAP || meta.map.type === M.BPF_MAP_TYPE_SOCKHASH)) {
    if (arg !== 'map_value') fail('EINVAL', 'invalid arg_type for sockmap/sockhash');
    effective = 'sock_common';
  }
  if (!(registerIsNull(reg) && mayBeNull(effective))) {
    checkRegType(env, regno, effective);
    // check_func_arg_reg_off(): most pointers must be unmodified; memory may carry an offset.
    if (effective === 'ctx' || effective === 'ctx_or_null' || effective === 'sock_common' || effective === 'sock_common_release') checkPtrOffReg(env, reg, regno, false);
    if (effective === 'ringbuf_mem_release' && (reg.off || !tnumIsConst(reg.varOff) || reg.varOff.value !== 0n)) fail('EACCES', `R${regno} must have zero offset when passed to release func`);
  }
  if (effective === 'ringbuf_mem_release' || effective === 'sock_common_release') {
    if (!reg.refObjId && !registerIsNull(reg)) fail('EINVAL', `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) {
    if (meta.refObjId) fail('EACCES', `more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    meta.refObjId = reg.refObjId;
  }
  switch (effective) {
    case 'map':
      meta.map = reg.map;
      break;
    case 'map_key':
      checkHelperMemAccess(env, regno, meta.map!.keySize, 'read', false, false);
      if (meta.map!.type === M.BPF_MAP_TYPE_ARRAY || meta.map!.type === M.BPF_MAP_TYPE_PERCPU_ARRAY) {
        meta.constMapKey = constantMapKey(env, reg, meta.map!.keySize) ?? -1n;
      }
      break;
    case 'map_value':
      checkHelperMemAccess(env, regno, meta.map!.valueSize, 'read', false, false);
      break;
    case 'map_value_uninit':
      checkHelperMemAccess(env, regno, meta.map!.valueSize, 'write', false, true);
      if (reg.type === 'PTR_TO_STACK') {
        meta.rawRegno = regno;
        meta.rawSize = meta.map!.valueSize;
      }
      break;
    case 'size':
    case 'size_or_zero': {
      const memArg = fn.args[i - 1];
      const write = memArg === 'mem_uninit' || memArg === 'mem';
      const raw = memArg === 'mem_uninit';
      checkMemSize(env, regno, effective === 'size_or_zero', write ? 'write' : 'read', raw);
      meta.msizeMax = reg.umax;
      if (raw && env.regs[regno - 1]!.type === 'PTR_TO_STACK' && tnumIsConst(reg.varOff)) {
        meta.rawRegno = regno - 1;
        meta.rawSize = Number(reg.umax);
      }
      break;
    }
    case 'alloc_size_or_zero':
      if (!tnumIsConst(reg.varOff)) fail('EACCES', `R${regno} is not a known constant'`);
      meta.memSize = Number(reg.varOff.value);
      markChainPrecision(env, regno);
      break;
    case 'spin_lock':
      processSpinLock(env, regno);
      break;
    case 'long_uninit':
      checkHelperMemAccess(env, regno, 8, 'write', false, true);
      if (reg.type === 'PTR_TO_STACK') {
        meta.rawRegno = regno;
        meta.rawSize = 8;
      }
      break;
    case 'func':
      meta.memSize = meta.memSize; // callbacks arrive with bpf_loop support
      break;
  }
}

/** process_spin_lock(): the lock sits at a constant offset of a map value whose BTF says
 * where its struct bpf_spin_lock is. bpfsim's maps carry no BTF, so a map value is refused
 * as Linux refuses a map created without it. */
function processSpinLock(env: Env, regno: number): void {
  const reg = env.regs[regno]!;
  if (!tnumIsConst(reg.varOff)) fail('EINVAL', `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  if (reg.type === 'PTR_TO_MAP_VALUE') fail('EINVAL', `map '${reg.map?.name ?? ''}' has to have BTF in order to use bpf_spin_lock`);
  fail('EINVAL', 'bpf_spin_lock on an allocated object is not modelled');
}

/** check_map_func_compatibility(), both directions. */
function checkMapFuncCompat(env: Env, map: MapInfo | undefined, id: number): void {
  if (!map) return;
  const t = map.type;
  const err = (): never => fail('EINVAL', `cannot pass map_type ${t} into func ${fname(id)}#${id}`);
  const h = (n: string): number => helperId(n)!;
  const only = (...names: string[]): void => {
    if (!names.map(h).includes(id)) err();
  };
  switch (t) {
    case M.BPF_MAP_TYPE_PROG_ARRAY:
      only('tail_call');
      break;
    case M.BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      only('perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output');
      break;
    case M.BPF_MAP_TYPE_RINGBUF:
      only('ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr');
      break;
    case M.BPF_MAP_TYPE_STACK_TRACE:
      only('get_stackid');
      break;
    case M.BPF_MAP_TYPE_CGROUP_ARRAY:
      only('skb_under_cgroup', 'current_task_under_cgroup');
      break;
    case M.BPF_MAP_TYPE_CGROUP_STORAGE:
    case M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      only('get_local_storage');
      break;
    case M.BPF_MAP_TYPE_DEVMAP:
    case M.BPF_MAP_TYPE_DEVMAP_HASH:
    case M.BPF_MAP_TYPE_XSKMAP:
      only('redirect_map', 'map_lookup_elem');
      break;
    case M.BPF_MAP_TYPE_CPUMAP:
      only('redirect_map');
      break;
    case M.BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case M.BPF_MAP_TYPE_HASH_OF_MAPS:
      only('map_lookup_elem');
      break;
    case M.BPF_MAP_TYPE_SOCKMAP:
    case M.BPF_MAP_TYPE_SOCKHASH: {
      const hash = t === M.BPF_MAP_TYPE_SOCKHASH;
      const allowed = (hash ? ['sk_redirect_hash', 'sock_hash_update', 'msg_redirect_hash'] : ['sk_redirect_map', 'sock_map_update', 'msg_redirect_map'])
        .concat(['sk_select_reuseport', 'map_lookup_elem'])
        .map(h);
      if (!allowed.includes(id)) {
        const updating = id === h('map_update_elem') || id === h('map_delete_elem');
        const safe = [BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE.BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, BPF_PROG_TYPE.BPF_PROG_TYPE_SK_REUSEPORT, BPF_PROG_TYPE.BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_PROG_TYPE.BPF_PROG_TYPE_SK_LOOKUP].includes(env.prog.type as never);
        const sockOpsDelete = env.prog.type === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCK_OPS && id === h('map_delete_elem');
        if (!(updating && (safe || sockOpsDelete))) {
          if (updating) env.verbose('cannot update sockmap in this context\n');
          err();
        }
      }
      break;
    }
    case M.BPF_MAP_TYPE_QUEUE:
    case M.BPF_MAP_TYPE_STACK:
      only('map_peek_elem', 'map_pop_elem', 'map_push_elem');
      break;
    case M.BPF_MAP_TYPE_BLOOM_FILTER:
      only('map_peek_elem', 'map_push_elem');
      break;
  }
  const isT = (...types: number[]): boolean => types.includes(t);
  const name = BPF_FUNC_NAMES[id];
  switch (name) {
    case 'tail_call':
      if (!isT(M.BPF_MAP_TYPE_PROG_ARRAY)) err();
      break;
    case 'perf_event_read':
    case 'perf_event_output':
    case 'perf_event_read_value':
    case 'skb_output':
    case 'xdp_output':
      if (!isT(M.BPF_MAP_TYPE_PERF_EVENT_ARRAY)) err();
      break;
    case 'ringbuf_output':
    case 'ringbuf_reserve':
    case 'ringbuf_query':
      if (!isT(M.BPF_MAP_TYPE_RINGBUF)) err();
      break;
    case 'get_stackid':
      if (!isT(M.BPF_MAP_TYPE_STACK_TRACE)) err();
      break;
    case 'current_task_under_cgroup':
    case 'skb_under_cgroup':
      if (!isT(M.BPF_MAP_TYPE_CGROUP_ARRAY)) err();
      break;
    case 'redirect_map':
      if (!isT(M.BPF_MAP_TYPE_DEVMAP, M.BPF_MAP_TYPE_DEVMAP_HASH, M.BPF_MAP_TYPE_CPUMAP, M.BPF_MAP_TYPE_XSKMAP)) err();
      break;
    case 'map_pop_elem':
      if (!isT(M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK)) err();
      break;
    case 'map_peek_elem':
    case 'map_push_elem':
      if (!isT(M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK, M.BPF_MAP_TYPE_BLOOM_FILTER)) err();
      break;
    case 'map_lookup_percpu_elem':
      if (!isT(M.BPF_MAP_TYPE_PERCPU_ARRAY, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_LRU_PERCPU_HASH)) err();
      break;
  }
}

/** clear_all_pkt_pointers(): packet pointers are stale after a helper that changes the packet. */
function clearAllPktPointers(env: Env): void {
  for (const f of env.cur.frames) {
    f.regs = f.regs.map((r) => (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END' ? (env.privileged ? unknownReg() : notInit()) : r));
    for (const s of f.stack) {
      const r = s.spilled;
      if (s.slotType[7] === STACK_SPILL && (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META' || r.type === 'PTR_TO_PACKET_END')) {
        s.spilled = env.privileged ? unknownReg() : notInit();
      }
    }
  }
}

/** release_reference(): the reference and every register holding it; false when the
 * reference is not held. */
function releaseReference(env: Env, refObjId: number): boolean {
  const before = env.cur.refs.length;
  env.cur.refs = env.cur.refs.filter((x) => x !== refObjId);
  if (env.cur.refs.length === before) return false;
  for (const f of env.cur.frames) {
    f.regs = f.regs.map((r) => (r.refObjId === refObjId ? (env.privileged ? unknownReg() : notInit()) : r));
    for (const s of f.stack) if (s.spilled.refObjId === refObjId) s.spilled = env.privileged ? unknownReg() : notInit();
  }
  return true;
}

/** The map helpers that change a map (record_func_map refuses them on a read-only one). */
const MAP_WRITERS = new Set(['map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem']);

/** record_func_map(): a helper that writes to a map programs may only read
 * (BPF_F_RDONLY_PROG) is refused, as a direct store into its value is. */
function recordFuncMap(env: Env, meta: CallMeta, id: number): void {
  if (!MAP_WRITERS.has(BPF_FUNC_NAMES[id]!) || !meta.map) return;
  if (mapProgFlags(meta.map) & (1 << 7)) fail('EACCES', 'write into map forbidden');
}

/** record_func_key(): bpf_tail_call needs a prog array. (The kernel's message has no
 * newline, so the log runs it into the next line; bpfsim's log does the same.) */
function recordFuncKey(env: Env, meta: CallMeta, id: number): void {
  if (BPF_FUNC_NAMES[id] !== 'tail_call') return;
  if (!meta.map || meta.map.type !== M.BPF_MAP_TYPE_PROG_ARRAY) throw new VerifyError('EINVAL', 'expected prog array map for tail call', false);
  // A constant in-range index lets the JIT call the program directly; it must stay exact.
  const key = env.regs[3]!;
  if (key.type === 'SCALAR_VALUE' && tnumIsConst(key.varOff) && key.varOff.value < big(meta.map.maxEntries)) markChainPrecision(env, 3);
}

/** check_helper_call() */
export function checkHelperCall(env: Env, insn: Insn, idx: number): void {
  const id = insn.imm;
  const offered = env.prog.helpers.find((h) => h.id === id && (!h.attachTypes || h.attachTypes.includes(env.attachType)));
  if (id < 0 || id >= BPF_FUNC_NAMES.length) fail('EINVAL', `invalid func ${fname(id)}#${id}`);
  if (!offered) fail('EINVAL', `program of this type cannot use helper ${fname(id)}#${id}`);
  const fn = env.helperProto(id);
  if (!fn) fail('ENOTSUPP', `bpfsim does not model helper ${fname(id)}#${id} yet`);
  if (!env.gplCompatible && fn!.gplOnly) fail('EINVAL', 'cannot call GPL-restricted function from non-GPL compatible program');
  const meta: CallMeta = { constMapKey: -1n, rawRegno: -1, rawSize: 0, refObjId: 0, releaseRegno: 0, memSize: 0, msizeMax: 0n };
  for (let i = 0; i < 5; i++) checkFuncArg(env, i, fn!, meta);
  recordFuncMap(env, meta, id);
  recordFuncKey(env, meta, id);
  // Raw-mode (uninitialised) stack memory is now written by the helper: byte writes of an
  // unknown value, made "by" the call instruction itself (as check_helper_call passes
  // insn_idx), so they turn STACK_ZERO bytes into STACK_MISC — never a store of 0.
  if (meta.rawRegno >= 0) {
    const callInsn = env.insns[env.insnIdx]!;
    for (let i = 0; i < meta.rawSize; i++) checkMemAccess(env, meta.rawRegno, i, 1, 'write', -1, false, false, callInsn);
  }
  if (meta.releaseRegno) {
    const released = meta.refObjId ? releaseReference(env, meta.refObjId) : registerIsNull(env.regs[meta.releaseRegno]!);
    if (!released) fail('EINVAL', `func ${fname(id)}#${id} reference has not been acquired before`);
  }
  if (BPF_FUNC_NAMES[id] === 'tail_call') checkResourceLeak(env, 'tail_call');
  const regs = env.regs;
  for (let r = 0; r <= 5; r++) regs[r] = notInit();
  let r0: RegState;
  switch (fn!.ret) {
    case 'integer':
      r0 = unknownReg();
      refineRetvalRange(env, id, meta, r0);
      break;
    case 'void':
      r0 = notInit();
      break;
    case 'map_value_or_null': {
      const elide = BPF_FUNC_NAMES[id] === 'map_lookup_elem' && meta.map && (meta.map.type === M.BPF_MAP_TYPE_ARRAY || meta.map.type === M.BPF_MAP_TYPE_PERCPU_ARRAY) && meta.constMapKey >= 0n && meta.constMapKey < big(meta.map.maxEntries);
      // A map-in-map's lookup gives the inner map, or NULL (6.18.44: CONST_PTR_TO_MAP |
      // PTR_MAYBE_NULL at the call, the inner map's shape without a name).
      const t = meta.map?.type;
      if ((t === M.BPF_MAP_TYPE_ARRAY_OF_MAPS || t === M.BPF_MAP_TYPE_HASH_OF_MAPS) && meta.map!.inner) {
        const { name: _name, ...inner } = meta.map!.inner;
        r0 = ptrReg('CONST_PTR_TO_MAP', { map: inner, maybeNull: true });
      } else r0 = ptrReg('PTR_TO_MAP_VALUE', { map: meta.map, maybeNull: !elide });
      break;
    }
    case 'socket_or_null':
      r0 = ptrReg('PTR_TO_SOCKET', { maybeNull: true });
      break;
    case 'sock_common_or_null':
      r0 = ptrReg('PTR_TO_SOCK_COMMON', { maybeNull: true });
      break;
    case 'ringbuf_mem_or_null':
      r0 = ptrReg('PTR_TO_MEM', { maybeNull: true, ringbuf: true, memSize: meta.memSize });
      break;
  }
  if (r0!.maybeNull) r0!.id = env.newId();
  // is_acquire_function(): sockmap/sockhash lookups hand out a socket reference.
  const sockLookup = BPF_FUNC_NAMES[id] === 'map_lookup_elem' && (meta.map?.type === M.BPF_MAP_TYPE_SOCKMAP || meta.map?.type === M.BPF_MAP_TYPE_SOCKHASH);
  if (fn!.acquires || sockLookup) {
    const ref = env.newId();
    r0!.id = ref;
    r0!.refObjId = ref;
    env.cur.refs.push(ref);
    env.refAllocInsn.set(ref, idx);
  }
  regs[0] = r0!;
  checkMapFuncCompat(env, meta.map, id);
  if (fn!.changesPktData) clearAllPktPointers(env);
}

/** The helpers whose result is at most their size argument, or a negative errno. */
const SIZE_BOUNDED = new Set(['get_stack', 'get_task_stack', 'probe_read_str', 'probe_read_kernel_str', 'probe_read_user_str']);

/**
 * do_refine_retval_range(): what some helpers' results are known to lie in —
 * bpf_get_smp_processor_id() in [0, nr_cpu_ids - 1]; the string reads and stack copies in
 * [-MAX_ERRNO, the size argument's largest value].
 */
function refineRetvalRange(env: Env, id: number, meta: CallMeta, r0: RegState): void {
  const name = BPF_FUNC_NAMES[id];
  if (name === 'get_smp_processor_id') {
    const max = BigInt(env.nrCpuIds - 1);
    r0.umin = r0.u32min = r0.smin = r0.s32min = 0n;
    r0.umax = r0.u32max = r0.smax = r0.s32max = max;
    regBoundsSync(r0);
  } else if (name !== undefined && SIZE_BOUNDED.has(name)) {
    r0.smax = r0.s32max = meta.msizeMax;
    r0.smin = r0.s32min = -4095n;
    regBoundsSync(r0);
  }
}

/** check_resource_leak(): references must be released before exit and tail calls. */
export function checkResourceLeak(env: Env, prefix: string): void {
  // check_reference_leak(): a subprogram may exit holding references; its caller is checked.
  if (env.cur.curframe && prefix === 'BPF_EXIT instruction in main prog') return;
  if (!env.cur.refs.length) return;
  for (const id of env.cur.refs) env.verbose(`Unreleased reference id=${id} alloc_insn=${env.refAllocInsn.get(id) ?? 0}\n`);
  fail('EINVAL', `${prefix} would lead to reference leak`);
}

/**
 * check_func_call(): a bpf-to-bpf call. A static function enters a new frame (returns the
 * callee's first insn); a global one (BTF func info says so) is checked against its
 * prototype only, leaves an unknown scalar in R0 and is verified later on its own (-1).
 */
export function checkFuncCall(env: Env, insn: Insn, idx: number): number {
  const st = env.cur;
  const target = idx + insn.imm + 1;
  const subprogno = env.subprogs.findIndex((s) => s.start === target);
  if (env.subprogBtf) {
    const err = checkSubprogCall(env, subprogno);
    if (subprogIsGlobal(env, subprogno)) {
      const name = subprogName(env, subprogno);
      if (err) fail('EINVAL', `Caller passes invalid args into func#${subprogno} ('${name}')`);
      env.verbose(`Func#${subprogno} ('${name}') is global and assumed valid.\n`);
      env.subprogBtf[subprogno]!.called = true;
      const caller = st.frames[st.curframe]!;
      for (let r = 0; r <= 5; r++) {
        caller.regs[r] = notInit();
        env.markRegScratched(r);
      }
      // All global functions return a 64-bit scalar.
      caller.regs[0] = unknownReg();
      return -1;
    }
  }
  if (st.curframe + 1 >= MAX_CALL_FRAMES) fail('E2BIG', `the call stack of ${st.curframe + 2} frames is too deep`);
  const callee: FuncState = newFrame(st.curframe + 1, idx, subprogno);
  const caller = st.frames[st.curframe]!;
  for (let r = 1; r <= 5; r++) callee.regs[r] = { ...caller.regs[r]! };
  callee.regs[10] = ptrReg('PTR_TO_STACK', { frameno: callee.frameno });
  st.frames.push(callee);
  st.curframe++;
  // Caller-saved registers are scratched in the caller's frame.
  for (let r = 0; r <= 5; r++) caller.regs[r] = notInit();
  // init_func_state() → mark_verifier_state_scratched(): the callee's first instruction
  // prints its whole state (`35: frame1: R1=... R10=fp0`).
  env.markAllScratched();
  return target;
}

/** prepare_func_exit(): back to the caller with r0. Returns the insn after the call. */
export function prepareFuncExit(env: Env): number {
  const st = env.cur;
  const callee = st.frames[st.curframe]!;
  const r0 = callee.regs[0]!;
  // A static subprogram returns whatever r0 holds, except its own stack.
  if (r0.type === 'PTR_TO_STACK') fail('EINVAL', 'cannot return stack pointer to the caller');
  st.frames.pop();
  st.curframe--;
  const caller = st.frames[st.curframe]!;
  caller.regs[0] = r0;
  return callee.callsite + 1;
}

/** check_return_code() at the main program's exit. */
export function checkReturnCode(env: Env): void {
  checkRegArg(env, 0, 'src');
  const r0 = env.regs[0]!;
  if (r0.type !== 'SCALAR_VALUE' && !env.privileged) fail('EACCES', 'R0 leaks addr as return value');
  const range = env.prog.returnRange?.(env.attachType);
  if (!range) return;
  if (r0.type !== 'SCALAR_VALUE') fail('EINVAL', `At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
  markChainPrecision(env, 0);
  if (r0.smin < big(range[0]) || r0.smax > big(range[1])) {
    let s = 'At program exit the register R0 has';
    let unknown = true;
    if (r0.smin > S64_MIN) {
      s += ` smin=${r0.smin}`;
      unknown = false;
    }
    if (r0.smax < S64_MAX) {
      s += ` smax=${r0.smax}`;
      unknown = false;
    }
    if (unknown) s += ' unknown scalar value';
    fail('EINVAL', `${s} should have been in [${range[0]}, ${range[1]}]`);
  }
  const enforce = env.prog.enforceAttachTypeRange?.(env.attachType);
  if (enforce && tnumIn(tnumRange(big(enforce[0]), big(enforce[1])), r0.varOff)) env.enforceExpectedAttachType = true;
}

