// Programs attached to cgroups and the effective arrays the hooks run (kernel/bpf/cgroup.c):
// per cgroup and attach type, the list of attached programs and links (bpf.progs), the
// attach mode (bpf.flags), a revision counter, and the effective array: the cgroup's own
// programs followed by those of its ALLOW_MULTI ancestors (compute_effective_progs()).
// Attach and detach recompute the arrays of the cgroup and all its descendants
// (update_effective_progs()); here a change marks them stale and the next reader recomputes,
// which gives the same arrays. Errors are the kernel's, checked in the kernel's order.
import { BPF_ATTACH_TYPE, SysError } from '@bpfsim/isa';
import type { BpfLink } from '../link';
import type { BpfProg } from '../prog';
import type { Cgroup } from './cgroup';

// Attach flags (include/uapi/linux/bpf.h).
export const BPF_F_ALLOW_OVERRIDE = 1 << 0;
export const BPF_F_ALLOW_MULTI = 1 << 1;
export const BPF_F_REPLACE = 1 << 2;
export const BPF_F_BEFORE = 1 << 3;
export const BPF_F_AFTER = 1 << 4;
export const BPF_F_ID = 1 << 5;
export const BPF_F_PREORDER = 1 << 6;
export const BPF_F_LINK = 1 << 13;
/** BPF_PROG_QUERY query_flags */
export const BPF_F_QUERY_EFFECTIVE = 1 << 0;

/** BPF_CGROUP_MAX_PROGS: programs (and links) one cgroup may hold per attach type. */
export const BPF_CGROUP_MAX_PROGS = 64;

const A = BPF_ATTACH_TYPE;

/** enum cgroup_bpf_attach_type: the attach types that are cgroup hooks (BPF_LSM_CGROUP aside). */
export const CGROUP_ATTACH_TYPES: readonly number[] = [
  A.BPF_CGROUP_INET_INGRESS, A.BPF_CGROUP_INET_EGRESS, A.BPF_CGROUP_INET_SOCK_CREATE, A.BPF_CGROUP_SOCK_OPS,
  A.BPF_CGROUP_DEVICE, A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET6_BIND, A.BPF_CGROUP_INET4_CONNECT,
  A.BPF_CGROUP_INET6_CONNECT, A.BPF_CGROUP_UNIX_CONNECT, A.BPF_CGROUP_INET4_POST_BIND, A.BPF_CGROUP_INET6_POST_BIND,
  A.BPF_CGROUP_UDP4_SENDMSG, A.BPF_CGROUP_UDP6_SENDMSG, A.BPF_CGROUP_UNIX_SENDMSG, A.BPF_CGROUP_SYSCTL,
  A.BPF_CGROUP_UDP4_RECVMSG, A.BPF_CGROUP_UDP6_RECVMSG, A.BPF_CGROUP_UNIX_RECVMSG, A.BPF_CGROUP_GETSOCKOPT,
  A.BPF_CGROUP_SETSOCKOPT, A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET6_GETPEERNAME,
  A.BPF_CGROUP_UNIX_GETPEERNAME, A.BPF_CGROUP_INET4_GETSOCKNAME, A.BPF_CGROUP_INET6_GETSOCKNAME,
  A.BPF_CGROUP_UNIX_GETSOCKNAME, A.BPF_CGROUP_INET_SOCK_RELEASE,
];
const isCgroupAtype = new Set(CGROUP_ATTACH_TYPES);

/** to_cgroup_bpf_attach_type() / bpf_cgroup_atype_find(): EINVAL for a non-cgroup attach type. */
function atypeOf(type: number): number {
  if (!isCgroupAtype.has(type)) throw new SysError('EINVAL', `attach type ${type} is not a cgroup hook`);
  return type;
}

/** Something a cgroup can hold for an attach type: a program or a link (struct bpf_prog_list). */
export interface ProgListEntry {
  prog: BpfProg | null;
  link: CgroupBpfLink | null;
  /** The flags it was attached with (BPF_F_PREORDER matters). */
  flags: number;
}

/** What cgroup/attach.ts needs of a cgroup link (struct bpf_cgroup_link). */
export interface CgroupBpfLink extends BpfLink {
  /** The cgroup it is attached to; null once detached or the cgroup is gone. */
  cgroup: Cgroup | null;
}

/** The entry's program, through its link when it is a link (prog_list_prog()). */
const entryProg = (pl: ProgListEntry): BpfProg | null => pl.prog ?? pl.link?.prog ?? null;

class AtypeState {
  readonly progs: ProgListEntry[] = [];
  /** BPF_F_ALLOW_OVERRIDE / BPF_F_ALLOW_MULTI of the last attach; 0 when empty. */
  flags = 0;
  /** Bumped by every attach, detach and link update. A new cgroup starts at 1 (Linux 6.18.44). */
  revision = 1;
  /** The effective array, or null when it must be recomputed. */
  effective: BpfProg[] | null = null;
}

/** struct cgroup_bpf: a cgroup's attach state, per attach type. */
export class CgroupBpf {
  private readonly types = new Map<number, AtypeState>();

  state(atype: number): AtypeState {
    let s = this.types.get(atype);
    if (!s) this.types.set(atype, (s = new AtypeState()));
    return s;
  }

  peek(atype: number): AtypeState | undefined {
    return this.types.get(atype);
  }

  /** Attach types with state. */
  atypes(): IterableIterator<[number, AtypeState]> {
    return this.types.entries();
  }
}

/** static_branch_inc/dec(&cgroup_bpf_enabled_key[atype]), per tree (CgroupTree.bpfEnabled). */
function enabledAdd(cg: Cgroup, atype: number, n: number): void {
  const keys = cg.tree.bpfEnabled;
  keys.set(atype, (keys.get(atype) ?? 0) + n);
}

/**
 * cgroup_bpf_enabled(atype): is a program of this attach type attached anywhere in the tree
 * of `cg`? Hooks are skipped when not (it decides, for one, whether pre_connect runs).
 */
export function cgroupBpfEnabled(cg: Cgroup, attachType: number): boolean {
  return (cg.tree.bpfEnabled.get(attachType) ?? 0) > 0;
}

/** The cgroup's BPF state (made on first use: a new cgroup inherits by computing lazily). */
export function cgroupBpf(cg: Cgroup): CgroupBpf {
  return (cg.bpf ??= new CgroupBpf());
}

const peek = (cg: Cgroup, atype: number): AtypeState | undefined => cg.bpf?.peek(atype);

/** prog_list_length() */
const listLength = (s: AtypeState | undefined): number => (s ? s.progs.filter((pl) => entryProg(pl)).length : 0);

/** hierarchy_allows_attach(): a parent's NONE-mode program forbids attaching below it. */
function hierarchyAllowsAttach(cg: Cgroup, atype: number): boolean {
  for (let p = cg.parent; p; p = p.parent) {
    const s = peek(p, atype);
    const flags = s?.flags ?? 0;
    if (flags & BPF_F_ALLOW_MULTI) return true;
    if (listLength(s) === 1) return !!(flags & BPF_F_ALLOW_OVERRIDE);
  }
  return true;
}

/**
 * compute_effective_progs(): walking up from `cg`, the nearest cgroup with programs counts
 * whatever its mode, further ones only in ALLOW_MULTI mode. Preorder programs run first,
 * the root-most level first; the rest run child first, each level in list order.
 */
export function computeEffective(cg: Cgroup, atype: number): BpfProg[] {
  let cnt = 0;
  let preorder = 0;
  for (let p: Cgroup | null = cg; p; p = p.parent) {
    const s = peek(p, atype);
    if (!s || (cnt && !(s.flags & BPF_F_ALLOW_MULTI))) continue;
    for (const pl of s.progs) {
      if (!entryProg(pl)) continue;
      cnt++;
      if (pl.flags & BPF_F_PREORDER) preorder++;
    }
  }
  const items: BpfProg[] = new Array<BpfProg>(cnt);
  let fstart = preorder;
  let bstart = preorder - 1;
  cnt = 0;
  for (let p: Cgroup | null = cg; p; p = p.parent) {
    const s = peek(p, atype);
    if (!s || (cnt && !(s.flags & BPF_F_ALLOW_MULTI))) continue;
    const initBstart = bstart;
    for (const pl of s.progs) {
      const prog = entryProg(pl);
      if (!prog) continue;
      if (pl.flags & BPF_F_PREORDER) items[bstart--] = prog;
      else items[fstart++] = prog;
      cnt++;
    }
    // This level's preorder programs were placed backwards: put them in list order.
    for (let i = bstart + 1, j = initBstart; i < j; i++, j--) [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** The effective array of `cg` for `attachType`: what the hook runs, in order. */
export function effectivePrograms(cg: Cgroup, attachType: number): readonly BpfProg[] {
  const s = cgroupBpf(cg).state(atypeOf(attachType));
  return (s.effective ??= computeEffective(cg, attachType));
}

/** update_effective_progs(): the arrays of `cg` and its descendants are recomputed. */
function updateEffective(cg: Cgroup, atype: number): void {
  for (const d of cg.descendants()) {
    const s = peek(d, atype);
    if (s) s.effective = null;
  }
}

/** How attach/link code names a program or link by fd or id (BPF_F_BEFORE/AFTER anchors). */
export interface AnchorResolver {
  /** bpf_prog_by_id() (ENOENT) or bpf_prog_get() (EBADF/EINVAL) */
  prog(byId: boolean, idOrFd: number): BpfProg;
  /** bpf_link_by_id() (ENOENT) or bpf_link_get_from_fd() (EBADF/EINVAL) */
  link(byId: boolean, idOrFd: number): BpfLink;
}

/** find_attach_entry() */
function findAttachEntry(s: AtypeState, prog: BpfProg | null, link: CgroupBpfLink | null, replace: BpfProg | null, multi: boolean): ProgListEntry | null {
  if (!multi) return s.progs[0] ?? null;
  for (const pl of s.progs) {
    if (prog && pl.prog === prog && prog !== replace) throw new SysError('EINVAL', 'the program is attached to this cgroup already');
    if (link && pl.link === link) throw new SysError('EINVAL', 'the link is attached to this cgroup already');
  }
  if (replace) {
    const pl = s.progs.find((e) => e.prog === replace);
    if (!pl) throw new SysError('ENOENT', 'the program to replace is not attached to this cgroup');
    return pl;
  }
  return null;
}

/** get_prog_list() + insert_pl_to_hlist(): where a new entry goes (BEFORE/AFTER an anchor, or at an end). */
function insertEntry(s: AtypeState, pl: ProgListEntry, prog: BpfProg | null, link: CgroupBpfLink | null, flags: number, idOrFd: number, anchors: AnchorResolver): void {
  const isLink = !!(flags & BPF_F_LINK);
  const isId = !!(flags & BPF_F_ID);
  const preorder = !!(flags & BPF_F_PREORDER);
  const before = !!(flags & BPF_F_BEFORE);
  const after = !!(flags & BPF_F_AFTER);
  if (isLink || isId || idOrFd) {
    if (before === after) throw new SysError('EINVAL', 'an anchor needs exactly one of BPF_F_BEFORE and BPF_F_AFTER');
    if ((isLink && !link) || (!isLink && !prog)) throw new SysError('EINVAL', 'a program is placed relative to a program, a link relative to a link');
  } else if (s.progs.length && before && after) {
    throw new SysError('EINVAL', 'BPF_F_BEFORE and BPF_F_AFTER together');
  }
  let anchorProg: BpfProg | null = null;
  let anchorLink: BpfLink | null = null;
  if (isLink) anchorLink = anchors.link(isId, idOrFd);
  else if (isId || idOrFd) anchorProg = anchors.prog(isId, idOrFd);
  if (!anchorProg && !anchorLink) {
    // Without an anchor: first with BEFORE, else after the last entry (or alone).
    if (before) s.progs.unshift(pl);
    else s.progs.push(pl);
    return;
  }
  const i = s.progs.findIndex((e) => (anchorProg && e.prog === anchorProg) || (anchorLink && e.link === anchorLink));
  if (i < 0) throw new SysError('ENOENT', 'the anchor is not attached to this cgroup');
  if (!!(s.progs[i]!.flags & BPF_F_PREORDER) !== preorder) throw new SysError('EINVAL', 'the anchor and the new entry differ in BPF_F_PREORDER');
  s.progs.splice(before ? i : i + 1, 0, pl);
}

const checkRevision = (s: AtypeState, revision: number | bigint | undefined): void => {
  if (revision && Number(revision) !== s.revision) throw new SysError('ESTALE', `expected revision ${revision}, the cgroup is at ${s.revision}`);
};

/**
 * __cgroup_bpf_attach(): attach `prog` (or `link`) to `cg`. The cgroup takes its own
 * reference to a program attached directly; a link holds its program itself.
 */
export function cgroupBpfAttach(
  cg: Cgroup,
  prog: BpfProg | null,
  replace: BpfProg | null,
  link: CgroupBpfLink | null,
  type: number,
  flags: number,
  idOrFd: number,
  revision: number | bigint | undefined,
  anchors: AnchorResolver,
): void {
  const savedFlags = flags & (BPF_F_ALLOW_OVERRIDE | BPF_F_ALLOW_MULTI);
  if ((flags & BPF_F_ALLOW_OVERRIDE && flags & BPF_F_ALLOW_MULTI) || (flags & BPF_F_REPLACE && !(flags & BPF_F_ALLOW_MULTI)))
    throw new SysError('EINVAL', 'invalid combination of attach flags');
  if (flags & BPF_F_REPLACE && flags & (BPF_F_BEFORE | BPF_F_AFTER)) throw new SysError('EINVAL', 'BPF_F_REPLACE does not go with BPF_F_BEFORE/AFTER');
  if (link && (prog || replace)) throw new SysError('EINVAL', 'a link or a program, not both');
  if (!!replace !== !!(flags & BPF_F_REPLACE)) throw new SysError('EINVAL', 'BPF_F_REPLACE and replace_bpf_fd go together');
  const atype = atypeOf(type);
  const s = cgroupBpf(cg).state(atype);
  checkRevision(s, revision);
  if (!hierarchyAllowsAttach(cg, atype)) throw new SysError('EPERM', 'an ancestor cgroup has a program that may not be overridden');
  if (s.progs.length && s.flags !== savedFlags) throw new SysError('EPERM', `the cgroup holds programs attached with flags ${s.flags}, not ${savedFlags}`);
  if (listLength(s) >= BPF_CGROUP_MAX_PROGS) throw new SysError('E2BIG', `a cgroup holds at most ${BPF_CGROUP_MAX_PROGS} programs per attach type`);
  let pl = findAttachEntry(s, prog, link, replace, !!(flags & BPF_F_ALLOW_MULTI));
  let old: BpfProg | null = null;
  if (pl) old = pl.prog;
  else {
    pl = { prog: null, link: null, flags: 0 };
    insertEntry(s, pl, prog, link, flags, idOrFd, anchors);
  }
  pl.prog = prog ? prog.get() : null;
  pl.link = link;
  pl.flags = flags;
  s.flags = savedFlags;
  updateEffective(cg, atype);
  s.revision++;
  if (old) old.put();
  else enabledAdd(cg, atype, 1);
}

/** find_detach_entry() */
function findDetachEntry(s: AtypeState, prog: BpfProg | null, link: CgroupBpfLink | null, multi: boolean): number {
  if (!multi) {
    if (!s.progs.length) throw new SysError('ENOENT', 'nothing is attached');
    // NONE and OVERRIDE cgroups detach their one program whatever fd is given (legacy).
    return 0;
  }
  if (!prog && !link) throw new SysError('EINVAL', 'detaching from an ALLOW_MULTI cgroup needs the program');
  const i = s.progs.findIndex((pl) => pl.prog === prog && pl.link === link);
  if (i < 0) throw new SysError('ENOENT', 'the program is not attached to this cgroup');
  return i;
}

/** __cgroup_bpf_detach(): detach `prog` (or `link`) from `cg`; the cgroup's program reference goes. */
export function cgroupBpfDetach(cg: Cgroup, prog: BpfProg | null, link: CgroupBpfLink | null, type: number, revision: number | bigint | undefined): void {
  const atype = atypeOf(type);
  const s = cgroupBpf(cg).state(atype);
  checkRevision(s, revision);
  if (prog && link) throw new SysError('EINVAL', 'a program or a link, not both');
  const i = findDetachEntry(s, prog, link, !!(s.flags & BPF_F_ALLOW_MULTI));
  const old = s.progs[i]!.prog;
  s.progs.splice(i, 1);
  updateEffective(cg, atype);
  s.revision++;
  if (!s.progs.length) s.flags = 0;
  old?.put();
  enabledAdd(cg, atype, -1);
}

/** __cgroup_bpf_replace(): the link's program becomes `newProg`, in place (BPF_LINK_UPDATE). */
export function cgroupBpfReplace(cg: Cgroup, link: CgroupBpfLink, newProg: BpfProg): void {
  const atype = atypeOf(link.attachType);
  const s = cgroupBpf(cg).state(atype);
  if (link.prog!.type !== newProg.type) throw new SysError('EINVAL', 'the new program is of another type');
  // 6.18.44 also refuses a program loaded for another expected_attach_type (this machine's
  // kernel, recorded in kernel-cgroup.json; earlier 6.18 builds took it).
  if (link.prog!.expectedAttachType !== newProg.expectedAttachType) throw new SysError('EINVAL', 'the new program was loaded for another expected_attach_type');
  if (!s.progs.some((pl) => pl.link === link)) throw new SysError('ENOENT', 'the link is not attached to its cgroup');
  s.revision++;
  const old = link.prog!;
  link.prog = newProg.get();
  updateEffective(cg, atype);
  old.put();
}

/** BPF_PROG_QUERY's attr (the `query` struct); outputs are written back. */
export interface ProgQueryAttr {
  target_fd: number;
  attach_type: number;
  query_flags?: number;
  /** Out: the cgroup's attach mode (0 with BPF_F_QUERY_EFFECTIVE). */
  attach_flags?: number;
  /** The user buffer for program ids: absent is a NULL pointer; up to prog_cnt ids are written. */
  prog_ids?: number[];
  /** In: room in prog_ids; out: how many programs there are. */
  prog_cnt?: number;
  /** Per program, the cgroup's attach mode (not with BPF_F_QUERY_EFFECTIVE: EINVAL). */
  prog_attach_flags?: number[];
  link_ids?: number[];
  link_attach_flags?: number[];
  /** Out: the revision (0 with BPF_F_QUERY_EFFECTIVE). */
  revision?: number;
}

/**
 * __cgroup_bpf_query(). The outputs are written before the copy, so they are there when the
 * call then fails with ENOSPC (fewer slots than programs: the first prog_cnt are copied).
 */
export function cgroupBpfQuery(cg: Cgroup, attr: ProgQueryAttr): void {
  const effectiveQuery = !!((attr.query_flags ?? 0) & BPF_F_QUERY_EFFECTIVE);
  if (effectiveQuery && attr.prog_attach_flags) throw new SysError('EINVAL', 'prog_attach_flags cannot be asked for with BPF_F_QUERY_EFFECTIVE');
  const atype = atypeOf(attr.attach_type);
  const s = peek(cg, atype);
  const ids = effectiveQuery ? effectivePrograms(cg, atype).map((p) => p.id) : (s?.progs ?? []).flatMap((pl) => (entryProg(pl) ? [entryProg(pl)!.id] : []));
  const total = ids.length;
  const flags = effectiveQuery ? 0 : (s?.flags ?? 0);
  const room = attr.prog_cnt ?? 0;
  attr.attach_flags = flags;
  attr.prog_cnt = total;
  attr.revision = effectiveQuery ? 0 : (s?.revision ?? 1);
  if (room === 0 || !attr.prog_ids || !total) return;
  const cnt = Math.min(room, total);
  for (let i = 0; i < cnt; i++) attr.prog_ids[i] = ids[i]!;
  if (attr.prog_attach_flags) for (let i = 0; i < cnt; i++) attr.prog_attach_flags[i] = flags;
  if (room < total) throw new SysError('ENOSPC', `${total} programs, room for ${room}`);
}

/**
 * cgroup_bpf_release() for a removed cgroup: its programs' references go and its links are
 * detached (they stay, with no cgroup, until their last fd closes).
 */
export function cgroupBpfRelease(cg: Cgroup): void {
  if (!cg.bpf) return;
  for (const [atype, s] of cg.bpf.atypes()) {
    const entries = s.progs.splice(0);
    s.effective = [];
    enabledAdd(cg, atype, -entries.length);
    for (const pl of entries) {
      pl.prog?.put();
      if (pl.link) pl.link.cgroup = null;
    }
  }
}
