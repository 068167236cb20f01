// bpf(2) (kernel/bpf/syscall.c: __sys_bpf): the command surface user space sees. Each
// command takes a union bpf_attr-shaped object (uapi field names); outputs (log_buf,
// next_key, info…) are written back into it, as the kernel copies to user memory. A
// failure throws SysError with the kernel's errno. The commands served here (prog load, pin,
// ids, info, test run) are SYSCALL_COMMANDS; maps/commands.ts, cgroup/commands.ts, link.ts and
// tracing/raw-tp.ts export the others, and bpf-commands.ts makes each kernel's table of them.
import type { Insn } from '@bpfsim/isa';
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_EXIT, BPF_JA, BPF_JMP, BPF_MAP_TYPE, BPF_PROG_TYPE, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, LD_IMM64, SysError, decode, encode, uapiName } from '@bpfsim/isa';
import { PrepareError, VmProgram } from '@bpfsim/vm';
import type { BtfFuncInfo, MapInfo } from '@bpfsim/verifier';
import { isGplCompatible, verify } from '@bpfsim/verifier';
import type { Kernel } from './kernel';
import type { BpfMap } from './maps/map';
import type { BpfObject } from './object';
import type { Process } from './process';
import { BpfProg } from './prog';
import { sha1 } from './sha1';

/** A command handler: returns the syscall's non-negative result (an fd, 0…). Each takes its
 * own attr type; the table holds them as taking `never`, and bpf() passes the caller's attr. */
export type CommandHandler = (kernel: Kernel, proc: Process, attr: never) => number;

/** One entry of the bpf() command table: the command number and what serves it. */
export interface BpfCommand {
  readonly cmd: number;
  readonly handler: CommandHandler;
}

/** An entry of a command module's static list (the attr type checked against the handler). */
export const command = <A>(cmd: number, handler: (kernel: Kernel, proc: Process, attr: A) => number): BpfCommand => ({ cmd, handler });

export const cmdName = (cmd: number): string => uapiName(BPF_CMD, cmd) ?? `bpf command ${cmd}`;

/** bpf(cmd, attr) as `proc`: the command from the kernel's table (Kernel.commands). Throws SysError. */
export function bpf(kernel: Kernel, proc: Process, cmd: number, attr: object): number {
  const h = kernel.commands.get(cmd);
  if (!h) throw new SysError('EINVAL', `${cmdName(cmd)} is not supported by bpfsim`, cmdName(cmd));
  try {
    return h(kernel, proc, attr as never);
  } catch (e) {
    if (e instanceof SysError && e.syscall === undefined) throw new SysError(e.code, e.message.replace(/^[A-Z0-9]+: /, ''), cmdName(cmd));
    throw e;
  }
}

// ---- fds and objects ------------------------------------------------------------------

/** The object behind an fd, or EBADF. */
export function fdObject(proc: Process, fd: number): BpfObject {
  const o = proc.fds.lookup(fd);
  if (!o) throw new SysError('EBADF', `fd ${fd} is not open`);
  return o;
}

/** bpf_map_get(): the map behind an fd (EBADF if not open, EINVAL if not a map). */
export function fdMap(proc: Process, fd: number): BpfMap {
  const o = fdObject(proc, fd);
  if (o.kind !== 'map') throw new SysError('EINVAL', `fd ${fd} is not a map`);
  return o as BpfMap;
}

/** bpf_prog_get(): the program behind an fd (EBADF / EINVAL). */
export function fdProg(proc: Process, fd: number): BpfProg {
  const o = fdObject(proc, fd);
  if (o.kind !== 'prog') throw new SysError('EINVAL', `fd ${fd} is not a program`);
  return o as BpfProg;
}

/** bpf_obj_name_cpy(): up to 15 characters of [A-Za-z0-9_.]. */
export function objName(name: string | undefined): string {
  if (!name) return '';
  if (name.length > 15) throw new SysError('EINVAL', `object name '${name}' is longer than 15 characters`);
  if (!/^[A-Za-z0-9_.]*$/.test(name)) throw new SysError('EINVAL', `object name '${name}' may hold only letters, digits, '_' and '.'`);
  return name;
}

// ---- BPF_PROG_LOAD ------------------------------------------------------------------------

export interface ProgLoadAttr {
  prog_type: number;
  /** The instructions (or their bytes, as struct bpf_insn[]). */
  insns: readonly Insn[] | Uint8Array;
  license?: string;
  log_level?: number;
  /** Size of the log buffer; 0: no log buffer. */
  log_size?: number;
  /** Out: the verifier log, as the buffer would hold it. */
  log_buf?: string;
  /** Out: the size the whole log needed (log_true_size). */
  log_true_size?: number;
  prog_flags?: number;
  prog_name?: string;
  expected_attach_type?: number;
  /** BPF_PSEUDO_MAP_IDX references index this list of map fds. */
  fd_array?: readonly number[];
  kern_version?: number;
  prog_ifindex?: number;
  /**
   * struct bpf_line_info records with their strings resolved. On Linux they come with
   * prog_btf_fd and name offsets into that BTF; bpfsim has no BPF_BTF_LOAD, so a loader
   * passes the file name and source line themselves. The verifier log shows them as
   * `; <source line> @ <file>:<line>` (verbose_linfo).
   */
  line_info?: readonly LineInfoAttr[];
  /** struct bpf_func_info records with their FUNC types resolved (see BtfFuncInfo): one per
   * subprogram. With them global functions are verified on their own, as on Linux. */
  func_info?: readonly BtfFuncInfo[];
}

export interface LineInfoAttr {
  insn_off: number;
  file_name: string;
  line: number;
  col: number;
  line_text: string;
}

/** check_btf_line(): offsets start at 0, strictly increase, stay in the program and never
 * point at the second half of an ld_imm64. */
function checkLineInfo(lines: readonly LineInfoAttr[], insns: readonly Insn[]): void {
  const second = new Uint8Array(insns.length);
  for (let i = 0; i + 1 < insns.length; i++) if (insns[i]!.code === LD_IMM64) second[++i] = 1;
  let prev = -1;
  lines.forEach((l, i) => {
    if ((i === 0 && l.insn_off !== 0) || (i > 0 && l.insn_off <= prev) || l.insn_off >= insns.length)
      throw new SysError('EINVAL', `Invalid line_info[${i}].insn_off:${l.insn_off} (prev_offset:${Math.max(prev, 0)} prog->len:${insns.length})`);
    if (second[l.insn_off]) throw new SysError('EINVAL', `Invalid insn code at line_info[${i}].insn_off`);
    prev = l.insn_off;
  });
}

/** prog_flags bpfsim accepts (the kernel accepts more; they change nothing simulated). */
const BPF_F_STRICT_ALIGNMENT = 1 << 0;
const BPF_F_ANY_ALIGNMENT = 1 << 1;
const BPF_F_TEST_RND_HI32 = 1 << 2;
const BPF_F_TEST_STATE_FREQ = 1 << 3;
const BPF_F_SLEEPABLE = 1 << 4;
const BPF_F_XDP_HAS_FRAGS = 1 << 5;
const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
const PROG_FLAGS_ALL =
  BPF_F_STRICT_ALIGNMENT | BPF_F_ANY_ALIGNMENT | BPF_F_TEST_RND_HI32 | BPF_F_TEST_STATE_FREQ | BPF_F_SLEEPABLE | BPF_F_XDP_HAS_FRAGS | BPF_F_XDP_DEV_BOUND_ONLY | BPF_F_TEST_REG_INVARIANTS;

const BPF_LOG_MASK = 1 | 2 | 4 | 8;
const BPF_LOG_FIXED = 8;

function loadInsns(attr: ProgLoadAttr): Insn[] {
  if (attr.insns instanceof Uint8Array) {
    if (attr.insns.length % 8) throw new SysError('EINVAL', `insns is ${attr.insns.length} bytes, not a whole number of instructions`);
    return decode(attr.insns, { validate: false });
  }
  return attr.insns.map((i) => ({ ...i }));
}

/** bpf_prog_load_fixup_attach_type(): types whose attach type was optional before get
 * their default. */
function fixupAttachType(progType: number, attach: number): number {
  if (attach) return attach;
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK) return BPF_ATTACH_TYPE.BPF_CGROUP_INET_SOCK_CREATE;
  if (progType === BPF_PROG_TYPE.BPF_PROG_TYPE_SK_REUSEPORT) return BPF_ATTACH_TYPE.BPF_SK_REUSEPORT_SELECT;
  return attach;
}

/** The engines' program; an instruction the verifier let through but the engines cannot run
 * is a bpfsim bug, reported as EFAULT (the verifier's "verifier bug" errno) with the reason. */
function engineProgram(run: Insn[]): VmProgram {
  try {
    return new VmProgram(run);
  } catch (e) {
    if (e instanceof PrepareError) throw new SysError('EFAULT', `bpfsim bug: the verifier accepted an instruction the engines cannot run (${e.message})`);
    throw e;
  }
}

/** bpf_prog_load() */
export function progLoad(kernel: Kernel, proc: Process, attr: ProgLoadAttr): number {
  const flags = attr.prog_flags ?? 0;
  if (flags & ~PROG_FLAGS_ALL) throw new SysError('EINVAL', `unknown prog_flags 0x${(flags & ~PROG_FLAGS_ALL).toString(16)}`);
  const insns = loadInsns(attr);
  const bpfCap = proc.bpfCapable('CAP_BPF');
  if (kernel.unprivilegedBpfDisabled && !bpfCap) {
    throw new SysError('EPERM', `loading programs needs CAP_BPF (kernel.unprivileged_bpf_disabled=${kernel.unprivilegedBpfDisabled})`);
  }
  if (insns.length === 0 || insns.length > (bpfCap ? 1_000_000 : 4096)) throw new SysError('E2BIG', `a program has 1 to ${bpfCap ? 1_000_000 : 4096} instructions, this one ${insns.length}`);
  const entry = kernel.progTypes.get(attr.prog_type);
  if (!entry?.unprivileged && !bpfCap) throw new SysError('EPERM', 'loading this program type needs CAP_BPF');
  if (entry?.netAdmin && !proc.bpfCapable('CAP_NET_ADMIN')) throw new SysError('EPERM', 'loading this program type needs CAP_NET_ADMIN');
  if (entry?.perfmon && !proc.bpfCapable('CAP_PERFMON')) throw new SysError('EPERM', 'loading this program type needs CAP_PERFMON');
  if (!entry) throw new SysError('EINVAL', `program type ${attr.prog_type} is unknown to this kernel`);
  const attach = fixupAttachType(attr.prog_type, attr.expected_attach_type ?? 0);
  if (entry.descriptor.attachTypes && !entry.descriptor.attachTypes.includes(attach)) {
    throw new SysError('EINVAL', `expected_attach_type ${attach} is not valid for ${entry.descriptor.name} programs`);
  }
  const name = objName(attr.prog_name);
  const license = attr.license ?? '';
  // bpf_vlog_init(): buffer and size together; a buffer needs a level; known level bits.
  const level = attr.log_level ?? 0;
  const logSize = attr.log_size ?? 0;
  if ((logSize && !level) || level & ~BPF_LOG_MASK || logSize > 0xffffffff >>> 2) {
    throw new SysError('EINVAL', 'log_level, log_buf and log_size do not go together');
  }

  // Maps the program names: resolve_pseudo_ldimm64() looks fds up in the caller's table.
  const byFd = new Map<number, BpfMap>();
  const byIdx: BpfMap[] = [];
  for (const [i, ins] of insns.entries()) {
    if (ins.code !== LD_IMM64 || i + 1 >= insns.length) continue;
    if (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_VALUE) {
      const o = proc.fds.lookup(ins.imm);
      if (o?.kind === 'map') byFd.set(ins.imm, o as BpfMap);
    }
  }
  for (const fd of attr.fd_array ?? []) {
    const o = proc.fds.lookup(fd);
    if (!o || o.kind !== 'map') throw new SysError('EBADF', `fd_array: fd ${fd} is not a map`);
    byIdx.push(o as BpfMap);
  }
  const mapsByFd = new Map<number, MapInfo>([...byFd].map(([fd, m]) => [fd, m.info()]));
  if (attr.line_info?.length) checkLineInfo(attr.line_info, insns);
  const result = verify(insns, {
    ...(attr.func_info?.length ? { funcInfo: attr.func_info } : {}),
    ...(attr.line_info?.length ? { lineInfo: attr.line_info.map((l) => ({ insnOff: l.insn_off, fileName: l.file_name, line: l.line, lineText: l.line_text })) } : {}),
    progType: attr.prog_type,
    expectedAttachType: attach,
    mapsByFd,
    mapsByIdx: byIdx.map((m) => m.info()),
    logLevel: (level & 3) === 0 ? 0 : level & 2 ? 2 : 1,
    license,
    privileged: bpfCap,
    progTypes: kernel.progTypes.descriptors(),
    helpers: kernel.helpers.protos(),
    nrCpuIds: kernel.cpus,
  });

  // bpf_vlog_finalize(): the log as the buffer holds it; ENOSPC when it did not fit.
  let logErr: SysError | undefined;
  if (level) {
    const full = result.log;
    attr.log_true_size = full.length + 1;
    if (logSize) {
      if (full.length + 1 > logSize) {
        attr.log_buf = level & BPF_LOG_FIXED ? full.slice(0, logSize - 1) : full.slice(full.length - (logSize - 1));
        logErr = new SysError('ENOSPC', `the verifier log needs ${full.length + 1} bytes, log_size is ${logSize}`);
      } else attr.log_buf = full;
    }
  }
  if (!result.accepted) throw new SysError(result.errno!, result.error || 'the program was refused before verification');
  if (logErr) throw logErr;

  // The loader's work after verification: map references become addresses.
  const used = new Set<BpfMap>();
  const run = insns.map((i) => ({ ...i }));
  const tagInsns = insns.map((i) => ({ ...i }));
  for (let i = 0; i + 1 < run.length; i++) {
    const ins = run[i]!;
    if (ins.code !== LD_IMM64) continue;
    const src = ins.src;
    if (src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_VALUE || src === BPF_PSEUDO_MAP_IDX_VALUE) {
      const map = src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE ? byFd.get(ins.imm)! : byIdx[ins.imm]!;
      const value = src === BPF_PSEUDO_MAP_VALUE || src === BPF_PSEUDO_MAP_IDX_VALUE;
      const addr = value ? map.directValueAddr(run[i + 1]!.imm >>> 0) : map.address;
      used.add(map);
      run[i] = { ...ins, src: 0, imm: addr.lo };
      run[i + 1] = { ...run[i + 1]!, imm: addr.hi };
      // bpf_prog_calc_tag() hashes with map references zeroed.
      tagInsns[i] = { ...tagInsns[i]!, imm: 0 };
      tagInsns[i + 1] = { ...tagInsns[i + 1]!, imm: 0 };
    }
    i++;
  }
  // sanitize_dead_code(): an instruction no path reaches becomes `ja -1`, so whatever its
  // bytes (the verifier checks only what it reaches) the engines never see them. And fields
  // Linux ignores in what it does reach (exit's off) are cleared for the engines.
  const facts = result.facts;
  if (facts) {
    for (let i = 0; i < run.length; i++) {
      const ins = run[i]!;
      if (!facts[i]?.reached) run[i] = { code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: -1, imm: 0 };
      else if (ins.code === LD_IMM64) i++;
      else if (ins.code === (BPF_JMP | BPF_EXIT)) run[i] = { ...ins, off: 0 };
    }
  }
  // A program that tail-calls through a prog array must match its owner's type
  // (__bpf_prog_map_compatible at load).
  const probe = { type: attr.prog_type, expectedAttachType: attach, spec: { type: attr.prog_type, expectedAttachType: attach } } as unknown as BpfProg;
  for (const m of used) {
    const pa = m as BpfMap & { compatible?(p: BpfProg): boolean };
    if (m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY && pa.compatible && !pa.compatible(probe)) {
      throw new SysError('EINVAL', `the prog array is owned by programs of another type or attach type`);
    }
  }
  const usedMaps = [...used].map((m) => m.get());
  const prog = new BpfProg(
    {
      type: attr.prog_type,
      expectedAttachType: attach,
      name,
      license,
      gplCompatible: isGplCompatible(license),
      origInsns: insns,
      tag: sha1(encode(tagInsns)).slice(0, 8),
      verifiedInsns: result.insnProcessed,
      facts: result.facts,
      enforceExpectedAttachType: !!result.enforceExpectedAttachType,
      maxCtxOffset: result.maxCtxOffset ?? 0,
      loadTime: kernel.now(),
      uid: proc.uid,
    },
    engineProgram(run),
    usedMaps,
    () => kernel.engine,
    (p) => kernel.progIds.free(p.id),
  );
  prog.id = kernel.progIds.alloc(prog);
  return proc.fds.install(prog.get());
}

// ---- BPF_OBJ_PIN / BPF_OBJ_GET ------------------------------------------------------------

export interface ObjPinAttr {
  pathname: string;
  bpf_fd?: number;
  file_flags?: number;
}

/** bpf_obj_pin() */
function objPin(kernel: Kernel, proc: Process, attr: ObjPinAttr): number {
  if (attr.file_flags) throw new SysError('EINVAL', 'file_flags must be 0 for BPF_OBJ_PIN');
  kernel.bpffs.pin(attr.pathname, fdObject(proc, attr.bpf_fd ?? -1));
  return 0;
}

/** bpf_obj_get() */
function objGet(kernel: Kernel, proc: Process, attr: ObjPinAttr): number {
  if ((attr.bpf_fd ?? 0) !== 0) throw new SysError('EINVAL', 'bpf_fd must be 0 for BPF_OBJ_GET');
  const obj = kernel.bpffs.get(attr.pathname);
  return proc.fds.install(obj.get());
}

// ---- ids ------------------------------------------------------------------------------------

export interface GetIdAttr {
  start_id?: number;
  /** Out (BPF_*_GET_NEXT_ID). */
  next_id?: number;
  prog_id?: number;
  map_id?: number;
  link_id?: number;
  open_flags?: number;
}

function nextId(table: { nextAfter(n: number): number | undefined }, proc: Process, attr: GetIdAttr): number {
  if (!proc.capable('CAP_SYS_ADMIN')) throw new SysError('EPERM', 'walking object ids needs CAP_SYS_ADMIN');
  const n = table.nextAfter(attr.start_id ?? 0);
  if (n === undefined) throw new SysError('ENOENT', 'no more ids');
  attr.next_id = n;
  return 0;
}

function fdById(table: { get(id: number): BpfObject | undefined }, proc: Process, id: number | undefined, what: string): number {
  if (!proc.capable('CAP_SYS_ADMIN')) throw new SysError('EPERM', `opening a ${what} by id needs CAP_SYS_ADMIN`);
  const o = table.get(id ?? 0);
  if (!o) throw new SysError('ENOENT', `no ${what} with id ${id}`);
  return proc.fds.install(o.get());
}

// ---- BPF_OBJ_GET_INFO_BY_FD -------------------------------------------------------------------

export interface ProgInfo {
  type: number;
  id: number;
  tag: Uint8Array;
  name: string;
  load_time: bigint;
  created_by_uid: number;
  nr_map_ids: number;
  map_ids: number[];
  xlated_prog_len: number;
  xlated_prog_insns: Uint8Array;
  gpl_compatible: boolean;
  verified_insns: number;
  run_cnt: bigint;
  run_time_ns: bigint;
  attach_btf_id: number;
}

export interface MapInfoOut {
  type: number;
  id: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  map_flags: number;
  name: string;
  map_extra: bigint;
}

export interface InfoAttr {
  bpf_fd: number;
  /** Out: what the object is. */
  info?: ProgInfo | MapInfoOut | Record<string, unknown>;
}

/** bpf_obj_get_info_by_fd() */
function objGetInfoByFd(_kernel: Kernel, proc: Process, attr: InfoAttr): number {
  const o = fdObject(proc, attr.bpf_fd);
  if (o.kind === 'prog') {
    const p = o as BpfProg;
    const xlated = encode(p.spec.origInsns);
    attr.info = {
      type: p.type,
      id: p.id,
      tag: p.spec.tag,
      name: p.name,
      load_time: p.spec.loadTime,
      created_by_uid: p.spec.uid,
      nr_map_ids: p.usedMaps.length,
      map_ids: p.usedMaps.map((m) => m.id),
      xlated_prog_len: xlated.length,
      xlated_prog_insns: xlated,
      gpl_compatible: p.spec.gplCompatible,
      verified_insns: p.spec.verifiedInsns,
      run_cnt: p.runCnt,
      run_time_ns: p.runTimeNs,
      attach_btf_id: 0,
    } satisfies ProgInfo;
  } else if (o.kind === 'map') {
    const m = o as BpfMap;
    attr.info = {
      type: m.type,
      id: m.id,
      key_size: m.keySize,
      value_size: m.valueSize,
      max_entries: m.maxEntries,
      map_flags: m.flags,
      name: m.name,
      map_extra: m.spec.extra,
    } satisfies MapInfoOut;
  } else {
    attr.info = (o as BpfObject & { info(): Record<string, unknown> }).info();
  }
  return 0;
}

// ---- BPF_PROG_TEST_RUN ----------------------------------------------------------------------

export interface TestRunAttr {
  prog_fd: number;
  data_in?: Uint8Array;
  /** Room for data_out; 0 or absent: no copy back. */
  data_size_out?: number;
  /** Out */
  data_out?: Uint8Array;
  repeat?: number;
  /** Out */
  retval?: number;
  /** Out: ns per run (virtual time does not advance in a test run: 0). */
  duration?: number;
  ctx_in?: Uint8Array;
  ctx_out?: Uint8Array;
  flags?: number;
  cpu?: number;
}

/** bpf_prog_test_run(): the program type's own test_run (bpf_prog_ops), ENOTSUPP without one. */
function progTestRun(kernel: Kernel, proc: Process, attr: TestRunAttr): number {
  const prog = fdProg(proc, attr.prog_fd);
  const entry = kernel.progTypes.get(prog.type);
  if (!entry?.testRun) throw new SysError('ENOTSUPP', `BPF_PROG_TEST_RUN is not supported for ${entry?.descriptor.name ?? `program type ${prog.type}`}`);
  return entry.testRun(kernel, proc, prog, attr);
}

// ---- the commands served here -----------------------------------------------------------------

/** The commands of this file, for the kernel's table (bpf-commands.ts). */
export const SYSCALL_COMMANDS: readonly BpfCommand[] = [
  command(BPF_CMD.BPF_PROG_LOAD, progLoad),
  command(BPF_CMD.BPF_OBJ_PIN, objPin),
  command(BPF_CMD.BPF_OBJ_GET, objGet),
  command<GetIdAttr>(BPF_CMD.BPF_PROG_GET_NEXT_ID, (k, p, a) => nextId(k.progIds, p, a)),
  command<GetIdAttr>(BPF_CMD.BPF_MAP_GET_NEXT_ID, (k, p, a) => nextId(k.mapIds, p, a)),
  command<GetIdAttr>(BPF_CMD.BPF_LINK_GET_NEXT_ID, (k, p, a) => nextId(k.linkIds, p, a)),
  command<GetIdAttr>(BPF_CMD.BPF_PROG_GET_FD_BY_ID, (k, p, a) => fdById(k.progIds, p, a.prog_id, 'program')),
  command<GetIdAttr>(BPF_CMD.BPF_MAP_GET_FD_BY_ID, (k, p, a) => fdById(k.mapIds, p, a.map_id, 'map')),
  command<GetIdAttr>(BPF_CMD.BPF_LINK_GET_FD_BY_ID, (k, p, a) => fdById(k.linkIds, p, a.link_id, 'link')),
  command(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, objGetInfoByFd),
  command(BPF_CMD.BPF_PROG_TEST_RUN, progTestRun),
];
