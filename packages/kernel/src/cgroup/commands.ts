// bpf() commands for attaching programs (kernel/bpf/syscall.c: bpf_prog_attach,
// bpf_prog_detach, bpf_prog_query, link_create) and their cgroup halves (kernel/bpf/cgroup.c:
// cgroup_bpf_prog_attach/_detach/_query, cgroup_bpf_link_attach). The generic checks run
// here in the kernel's order; program types that attach elsewhere (sockmap…) plug in with
// registerAttachTarget(). A cgroup is named by an fd from openCgroup() (target_fd).
import { BPF_ATTACH_TYPE as A, BPF_CMD, BPF_PROG_TYPE as T, SysError } from '@bpfsim/isa';
import type { Kernel } from '../kernel';
import type { LinkCreateAttr } from '../link';
import type { LinkCreator } from '../link';
import { BpfLink, fdLink } from '../link';
import type { Process } from '../process';
import type { BpfProg } from '../prog';
import { sockAttachType } from '../prog-types/cgroup-sock';
import type { BpfCommand } from '../syscall';
import { command, fdProg } from '../syscall';
import type { AnchorResolver, ProgQueryAttr } from './attach';
import {
  BPF_F_AFTER,
  BPF_F_ALLOW_MULTI,
  BPF_F_ALLOW_OVERRIDE,
  BPF_F_BEFORE,
  BPF_F_ID,
  BPF_F_LINK,
  BPF_F_PREORDER,
  BPF_F_QUERY_EFFECTIVE,
  BPF_F_REPLACE,
  CGROUP_ATTACH_TYPES,
  cgroupBpfAttach,
  cgroupBpfDetach,
  cgroupBpfQuery,
} from './attach';
import { fdCgroup } from './cgroup-file';
import { CgroupLink } from './cgroup-link';
import { enforceExpectedAttachType } from './enforce';

/** BPF_PROG_ATTACH / BPF_PROG_DETACH attr (the same struct for both). */
export interface ProgAttachAttr {
  /** The cgroup (an fd from openCgroup), or the map / ifindex of other attach kinds. */
  target_fd: number;
  attach_bpf_fd: number;
  attach_type: number;
  attach_flags?: number;
  replace_bpf_fd?: number;
  /** relative_fd and relative_id share one u32 in the uapi. */
  relative_fd?: number;
  relative_id?: number;
  expected_revision?: number | bigint;
}

/** attach_type_to_prog_type() */
export function attachTypeToProgType(attachType: number): number {
  switch (attachType) {
    case A.BPF_CGROUP_INET_INGRESS:
    case A.BPF_CGROUP_INET_EGRESS:
      return T.BPF_PROG_TYPE_CGROUP_SKB;
    case A.BPF_CGROUP_INET_SOCK_CREATE:
    case A.BPF_CGROUP_INET_SOCK_RELEASE:
    case A.BPF_CGROUP_INET4_POST_BIND:
    case A.BPF_CGROUP_INET6_POST_BIND:
      return T.BPF_PROG_TYPE_CGROUP_SOCK;
    case A.BPF_CGROUP_INET4_BIND:
    case A.BPF_CGROUP_INET6_BIND:
    case A.BPF_CGROUP_INET4_CONNECT:
    case A.BPF_CGROUP_INET6_CONNECT:
    case A.BPF_CGROUP_UNIX_CONNECT:
    case A.BPF_CGROUP_INET4_GETPEERNAME:
    case A.BPF_CGROUP_INET6_GETPEERNAME:
    case A.BPF_CGROUP_UNIX_GETPEERNAME:
    case A.BPF_CGROUP_INET4_GETSOCKNAME:
    case A.BPF_CGROUP_INET6_GETSOCKNAME:
    case A.BPF_CGROUP_UNIX_GETSOCKNAME:
    case A.BPF_CGROUP_UDP4_SENDMSG:
    case A.BPF_CGROUP_UDP6_SENDMSG:
    case A.BPF_CGROUP_UNIX_SENDMSG:
    case A.BPF_CGROUP_UDP4_RECVMSG:
    case A.BPF_CGROUP_UDP6_RECVMSG:
    case A.BPF_CGROUP_UNIX_RECVMSG:
      return T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
    case A.BPF_CGROUP_SOCK_OPS:
      return T.BPF_PROG_TYPE_SOCK_OPS;
    case A.BPF_CGROUP_DEVICE:
      return T.BPF_PROG_TYPE_CGROUP_DEVICE;
    case A.BPF_SK_MSG_VERDICT:
      return T.BPF_PROG_TYPE_SK_MSG;
    case A.BPF_SK_SKB_STREAM_PARSER:
    case A.BPF_SK_SKB_STREAM_VERDICT:
    case A.BPF_SK_SKB_VERDICT:
      return T.BPF_PROG_TYPE_SK_SKB;
    case A.BPF_LIRC_MODE2:
      return T.BPF_PROG_TYPE_LIRC_MODE2;
    case A.BPF_FLOW_DISSECTOR:
      return T.BPF_PROG_TYPE_FLOW_DISSECTOR;
    case A.BPF_CGROUP_SYSCTL:
      return T.BPF_PROG_TYPE_CGROUP_SYSCTL;
    case A.BPF_CGROUP_GETSOCKOPT:
    case A.BPF_CGROUP_SETSOCKOPT:
      return T.BPF_PROG_TYPE_CGROUP_SOCKOPT;
    case A.BPF_TRACE_ITER:
    case A.BPF_TRACE_RAW_TP:
    case A.BPF_TRACE_FENTRY:
    case A.BPF_TRACE_FEXIT:
    case A.BPF_MODIFY_RETURN:
      return T.BPF_PROG_TYPE_TRACING;
    case A.BPF_LSM_MAC:
    case A.BPF_LSM_CGROUP:
      return T.BPF_PROG_TYPE_LSM;
    case A.BPF_SK_LOOKUP:
      return T.BPF_PROG_TYPE_SK_LOOKUP;
    case A.BPF_XDP:
      return T.BPF_PROG_TYPE_XDP;
    case A.BPF_TCX_INGRESS:
    case A.BPF_TCX_EGRESS:
    case A.BPF_NETKIT_PRIMARY:
    case A.BPF_NETKIT_PEER:
      return T.BPF_PROG_TYPE_SCHED_CLS;
    default:
      return T.BPF_PROG_TYPE_UNSPEC;
  }
}

/** is_cgroup_prog_type() (BPF_PROG_TYPE_LSM with BPF_LSM_CGROUP is not modelled). */
export function isCgroupProgType(progType: number): boolean {
  switch (progType) {
    case T.BPF_PROG_TYPE_CGROUP_DEVICE:
    case T.BPF_PROG_TYPE_CGROUP_SKB:
    case T.BPF_PROG_TYPE_CGROUP_SOCK:
    case T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case T.BPF_PROG_TYPE_CGROUP_SOCKOPT:
    case T.BPF_PROG_TYPE_CGROUP_SYSCTL:
    case T.BPF_PROG_TYPE_SOCK_OPS:
      return true;
    default:
      return false;
  }
}

/** bpf_net_capable() / bpf_token_capable(CAP_NET_ADMIN): CAP_SYS_ADMIN will do too. */
export const netCapable = (proc: Process): boolean => proc.capable('CAP_NET_ADMIN') || proc.capable('CAP_SYS_ADMIN');

/** bpf_prog_get_type(): EBADF for a closed fd; EINVAL for a non-program or another type. */
export function fdProgOfType(proc: Process, fd: number, progType: number): BpfProg {
  const prog = fdProg(proc, fd);
  if (prog.type !== progType) throw new SysError('EINVAL', `fd ${fd} is a program of type ${prog.type}, not ${progType}`);
  return prog;
}

/**
 * bpf_prog_attach_check_attach_type(): undefined when `prog` may go to `attachType`, else
 * the errno. The expected_attach_type fixed at load must match for CGROUP_SOCK (0 meaning
 * SOCK_CREATE), SOCK_ADDR, SOCKOPT and SK_LOOKUP; cgroup skb programs may be loaded by
 * anyone, so attaching one needs CAP_NET_ADMIN, and one that returns 2 or 3 stays on egress.
 */
export function checkAttachType(proc: Process, prog: BpfProg, attachType: number): 'EINVAL' | 'EPERM' | undefined {
  switch (prog.type) {
    case T.BPF_PROG_TYPE_CGROUP_SOCK:
      return sockAttachType(prog.expectedAttachType) === attachType ? undefined : 'EINVAL';
    case T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
    case T.BPF_PROG_TYPE_CGROUP_SOCKOPT:
    case T.BPF_PROG_TYPE_SK_LOOKUP:
      return attachType === prog.expectedAttachType ? undefined : 'EINVAL';
    case T.BPF_PROG_TYPE_CGROUP_SKB:
      if (!netCapable(proc)) return 'EPERM';
      if (attachTypeToProgType(attachType) !== prog.type) return 'EINVAL';
      return prog.expectedAttachType !== attachType && enforceExpectedAttachType(prog) ? 'EINVAL' : undefined;
    case T.BPF_PROG_TYPE_EXT:
      return undefined;
    case T.BPF_PROG_TYPE_NETFILTER:
      return attachType === A.BPF_NETFILTER ? undefined : 'EINVAL';
    case T.BPF_PROG_TYPE_PERF_EVENT:
    case T.BPF_PROG_TYPE_TRACEPOINT:
      return attachType === A.BPF_PERF_EVENT ? undefined : 'EINVAL';
    case T.BPF_PROG_TYPE_SCHED_CLS:
      return MPROG_ATTACH_TYPES.has(attachType) ? undefined : 'EINVAL';
    default: {
      const ptype = attachTypeToProgType(attachType);
      return ptype === T.BPF_PROG_TYPE_UNSPEC || ptype !== prog.type ? 'EINVAL' : undefined;
    }
  }
}

const MPROG_ATTACH_TYPES: ReadonlySet<number> = new Set([A.BPF_TCX_INGRESS, A.BPF_TCX_EGRESS, A.BPF_NETKIT_PRIMARY, A.BPF_NETKIT_PEER]);

/** Anchors named by fd (the caller's table) or by id (the kernel's). */
export function anchorResolver(kernel: Kernel, proc: Process): AnchorResolver {
  return {
    prog(byId, idOrFd) {
      if (!byId) return fdProg(proc, idOrFd);
      const p = idOrFd ? kernel.progIds.get(idOrFd) : undefined;
      if (!p) throw new SysError('ENOENT', `no program with id ${idOrFd}`);
      return p;
    },
    link(byId, idOrFd) {
      if (!byId) return fdLink(proc, idOrFd);
      const l = idOrFd ? kernel.linkIds.get(idOrFd) : undefined;
      if (!l || l.kind !== 'link' || !l.id) throw new SysError('ENOENT', `no link with id ${idOrFd}`);
      return l as BpfLink;
    },
  };
}

/** How another kind of attach target (a sockmap, a netns…) takes BPF_PROG_ATTACH/DETACH/QUERY. */
export interface AttachTarget {
  attach?(kernel: Kernel, proc: Process, attr: ProgAttachAttr, prog: BpfProg): void;
  detach?(kernel: Kernel, proc: Process, attr: ProgAttachAttr, progType: number): void;
  query?(kernel: Kernel, proc: Process, attr: ProgQueryAttr): void;
}

const targets = new Map<number, AttachTarget>();

/** Plugs a non-cgroup program type into BPF_PROG_ATTACH / _DETACH / _QUERY. */
export function registerAttachTarget(progType: number, target: AttachTarget): void {
  targets.set(progType, target);
}

const BPF_F_ATTACH_MASK_BASE = BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI | BPF_F_REPLACE | BPF_F_PREORDER;
const BPF_F_ATTACH_MASK_MPROG = BPF_F_REPLACE | BPF_F_BEFORE | BPF_F_AFTER | BPF_F_ID | BPF_F_LINK;
/** bpf_mprog_supported(): tcx and netkit (not modelled: their attach is EINVAL here). */
const mprogSupported = (ptype: number): boolean => ptype === T.BPF_PROG_TYPE_SCHED_CLS;

const relative = (attr: { relative_fd?: number; relative_id?: number }): number => (attr.relative_fd ?? attr.relative_id ?? 0) >>> 0;

/** bpf_prog_attach() */
export function progAttach(kernel: Kernel, proc: Process, attr: ProgAttachAttr): number {
  const ptype = attachTypeToProgType(attr.attach_type);
  if (ptype === T.BPF_PROG_TYPE_UNSPEC) throw new SysError('EINVAL', `attach type ${attr.attach_type} is unknown`);
  const flags = attr.attach_flags ?? 0;
  if (mprogSupported(ptype)) {
    if (flags & ~BPF_F_ATTACH_MASK_MPROG) throw new SysError('EINVAL', `attach flags 0x${flags.toString(16)} are not valid here`);
  } else if (isCgroupProgType(ptype)) {
    if (flags & ~(BPF_F_ATTACH_MASK_BASE | BPF_F_ATTACH_MASK_MPROG)) throw new SysError('EINVAL', `attach flags 0x${flags.toString(16)} are not valid for a cgroup`);
  } else {
    if (flags & ~BPF_F_ATTACH_MASK_BASE) throw new SysError('EINVAL', `attach flags 0x${flags.toString(16)} are not valid here`);
    if (relative(attr) || attr.expected_revision) throw new SysError('EINVAL', 'relative_fd and expected_revision are for cgroups, tcx and netkit');
  }
  const prog = fdProgOfType(proc, attr.attach_bpf_fd, ptype);
  if (checkAttachType(proc, prog, attr.attach_type)) throw new SysError('EINVAL', `the program cannot be attached at attach type ${attr.attach_type}`);
  if (isCgroupProgType(ptype)) {
    // cgroup_bpf_prog_attach()
    const cg = fdCgroup(proc, attr.target_fd);
    const replace = flags & BPF_F_ALLOW_MULTI && flags & BPF_F_REPLACE ? fdProgOfType(proc, attr.replace_bpf_fd ?? 0, ptype) : null;
    cgroupBpfAttach(cg, prog, replace, null, attr.attach_type, flags, relative(attr), attr.expected_revision, anchorResolver(kernel, proc));
    return 0;
  }
  const t = targets.get(ptype)?.attach;
  if (!t) throw new SysError('EINVAL', `bpfsim cannot attach programs of type ${ptype} with BPF_PROG_ATTACH`);
  t(kernel, proc, attr, prog);
  return 0;
}

/** bpf_prog_detach() */
export function progDetach(kernel: Kernel, proc: Process, attr: ProgAttachAttr): number {
  const ptype = attachTypeToProgType(attr.attach_type);
  const flags = attr.attach_flags ?? 0;
  if (mprogSupported(ptype)) throw new SysError('EINVAL', 'tcx and netkit are not modelled');
  if (isCgroupProgType(ptype)) {
    if (flags || relative(attr)) throw new SysError('EINVAL', 'attach_flags and relative_fd must be 0 to detach');
    // cgroup_bpf_prog_detach(): an fd that is not a program of the type means "none".
    const cg = fdCgroup(proc, attr.target_fd);
    let prog: BpfProg | null = null;
    try {
      prog = fdProgOfType(proc, attr.attach_bpf_fd, ptype);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
    }
    cgroupBpfDetach(cg, prog, null, attr.attach_type, attr.expected_revision);
    return 0;
  }
  if (flags || relative(attr) || attr.expected_revision) throw new SysError('EINVAL', 'attach_flags, relative_fd and expected_revision must be 0 to detach');
  const t = targets.get(ptype)?.detach;
  if (!t) throw new SysError('EINVAL', `bpfsim cannot detach programs of type ${ptype} with BPF_PROG_DETACH`);
  t(kernel, proc, attr, ptype);
  return 0;
}

/** bpf_prog_query() */
export function progQuery(kernel: Kernel, proc: Process, attr: ProgQueryAttr): number {
  if (!netCapable(proc)) throw new SysError('EPERM', 'BPF_PROG_QUERY needs CAP_NET_ADMIN or CAP_SYS_ADMIN');
  if ((attr.query_flags ?? 0) & ~BPF_F_QUERY_EFFECTIVE) throw new SysError('EINVAL', `query_flags 0x${(attr.query_flags ?? 0).toString(16)}`);
  if (CGROUP_ATTACH_TYPES.includes(attr.attach_type)) {
    cgroupBpfQuery(fdCgroup(proc, attr.target_fd), attr);
    return 0;
  }
  const t = targets.get(attachTypeToProgType(attr.attach_type))?.query;
  if (!t) throw new SysError('EINVAL', `attach type ${attr.attach_type} cannot be queried`);
  t(kernel, proc, attr);
  return 0;
}

/** The attach commands, for the kernel's bpf() table (bpf-commands.ts). */
export const ATTACH_COMMANDS: readonly BpfCommand[] = [
  command(BPF_CMD.BPF_PROG_ATTACH, progAttach),
  command(BPF_CMD.BPF_PROG_DETACH, progDetach),
  command(BPF_CMD.BPF_PROG_QUERY, progQuery),
];

// ---- BPF_LINK_CREATE for cgroup program types -------------------------------------------

/** BPF_F_LINK_ATTACH_MASK: the flags a cgroup link may add to its implied ALLOW_MULTI. */
const BPF_F_LINK_ATTACH_MASK = BPF_F_ID | BPF_F_BEFORE | BPF_F_AFTER | BPF_F_PREORDER | BPF_F_LINK;

/** link_create() for a cgroup program: bpf_prog_attach_check_attach_type(), then cgroup_bpf_link_attach(). */
function cgroupLinkCreate(kernel: Kernel, proc: Process, prog: BpfProg, attr: LinkCreateAttr): number {
  const bad = checkAttachType(proc, prog, attr.attach_type);
  if (bad) throw new SysError(bad, `the program cannot be linked at attach type ${attr.attach_type}`);
  const flags = attr.flags ?? 0;
  if (flags & ~BPF_F_LINK_ATTACH_MASK) throw new SysError('EINVAL', `link_create flags 0x${flags.toString(16)} are not valid for a cgroup`);
  const cg = fdCgroup(proc, attr.target_fd ?? -1);
  const link = new CgroupLink(kernel, prog, attr.attach_type, cg);
  return BpfLink.settle(kernel, proc, link, () =>
    cgroupBpfAttach(cg, null, null, link, attr.attach_type, BPF_F_ALLOW_MULTI | flags, relative(attr.cgroup ?? {}), attr.cgroup?.expected_revision, anchorResolver(kernel, proc)),
  );
}

/** The program types whose links are cgroup links (link_create()'s cgroup_bpf_link_attach cases). */
export const CGROUP_LINK_CREATORS: readonly { progType: number; create: LinkCreator }[] = [
  T.BPF_PROG_TYPE_CGROUP_SKB,
  T.BPF_PROG_TYPE_CGROUP_SOCK,
  T.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
  T.BPF_PROG_TYPE_SOCK_OPS,
  T.BPF_PROG_TYPE_CGROUP_DEVICE,
  T.BPF_PROG_TYPE_CGROUP_SYSCTL,
  T.BPF_PROG_TYPE_CGROUP_SOCKOPT,
].map((progType) => ({ progType, create: cgroupLinkCreate }));
