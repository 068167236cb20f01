// BPF links (kernel/bpf/syscall.c: struct bpf_link, bpf_link_ops): an fd-backed object that
// keeps a program attached to a hook for as long as something holds the link (its fds and
// bpffs pins). Each link type supplies its ops (release, detach, update_prog, link info);
// the commands BPF_LINK_CREATE / BPF_LINK_UPDATE / BPF_LINK_DETACH dispatch to them.
import { BPF_CMD, SysError } from '@bpfsim/isa';
import type { Kernel } from './kernel';
import { BpfObject } from './object';
import type { Process } from './process';
import type { BpfProg } from './prog';
import type { BpfCommand } from './syscall';
import { command, fdObject, fdProg } from './syscall';

/** BPF_F_REPLACE (link_update.flags) */
const BPF_F_REPLACE = 1 << 2;

/** struct bpf_link_info: the common part; each link type adds its own union member. */
export interface LinkInfo {
  type: number;
  id: number;
  prog_id: number;
  [member: string]: unknown;
}

export abstract class BpfLink extends BpfObject {
  readonly kind = 'link' as const;

  protected constructor(
    protected readonly kernel: Kernel,
    /** enum bpf_link_type */
    readonly type: number,
    /** The program; the link holds a reference to it (dropped when the link is freed). */
    public prog: BpfProg | null,
    /** enum bpf_attach_type */
    readonly attachType: number,
  ) {
    super();
  }

  /** ops->release: takes the program off its hook (called once, when the last reference goes). */
  protected abstract detachFromHook(): void;

  /** ops->detach (BPF_LINK_DETACH): EOPNOTSUPP for link types without it. */
  detach(): void {
    throw new SysError('EOPNOTSUPP', 'this link type cannot be detached');
  }

  /** ops->update_prog (BPF_LINK_UPDATE): EINVAL for link types without it. */
  updateProg(_newProg: BpfProg, _oldProg: BpfProg | null): void {
    throw new SysError('EINVAL', 'this link type cannot change its program');
  }

  /** ops->fill_link_info: the type's union member of bpf_link_info. */
  protected fillInfo(): Record<string, unknown> {
    return {};
  }

  /** BPF_OBJ_GET_INFO_BY_FD on the link (bpf_link_get_info_by_fd). */
  info(): LinkInfo {
    return { type: this.type, id: this.id, prog_id: this.prog?.id ?? 0, ...this.fillInfo() };
  }

  /**
   * bpf_link_prime() … bpf_link_settle(): the link gets its fd (EMFILE comes first) and its
   * id before `attach` runs, so a failed attach has used an id up, as in Linux (ids are
   * cyclic). On success the link takes a reference to its program and becomes visible by
   * id; on failure it is dropped without detaching (bpf_link_cleanup) and the fd is freed.
   */
  static settle(kernel: Kernel, proc: Process, link: BpfLink, attach: () => void): number {
    const fd = proc.fds.install(link.get());
    const id = kernel.linkIds.alloc(link);
    try {
      attach();
    } catch (e) {
      kernel.linkIds.free(id);
      link.prog = null;
      proc.fds.close(fd);
      throw e;
    }
    link.id = id;
    link.prog?.get();
    return fd;
  }

  /** bpf_link_free(): off the id table, off the hook, then the program reference goes. */
  protected release(): void {
    if (this.id) this.kernel.linkIds.free(this.id);
    if (this.prog) this.detachFromHook();
    this.prog?.put();
  }
}

/** bpf_link_get_from_fd(): EBADF when the fd is not open, EINVAL when it is not a link. */
export function fdLink(proc: Process, fd: number): BpfLink {
  const o = fdObject(proc, fd);
  if (o.kind !== 'link') throw new SysError('EINVAL', `fd ${fd} is not a bpf link`);
  return o as BpfLink;
}

// ---- BPF_LINK_CREATE ------------------------------------------------------------------

export interface LinkCreateAttr {
  prog_fd: number;
  target_fd?: number;
  attach_type: number;
  flags?: number;
  /** link_create.cgroup: where a cgroup link goes in the list, and the expected revision. */
  cgroup?: { relative_fd?: number; relative_id?: number; expected_revision?: number | bigint };
  [typeSpecific: string]: unknown;
}

/** A link type's creator: attaches `prog` (which the caller has verified exists) and returns the link fd. */
export type LinkCreator = (kernel: Kernel, proc: Process, prog: BpfProg, attr: LinkCreateAttr) => number;

/** link_create(): the program by fd, then the program type's attach (Kernel.linkCreators,
 * built from the static list in bpf-commands.ts). */
export function linkCreate(kernel: Kernel, proc: Process, attr: LinkCreateAttr): number {
  const prog = fdProg(proc, attr.prog_fd);
  const create = kernel.linkCreators.get(prog.type);
  if (!create) throw new SysError('EINVAL', `bpfsim has no links for program type ${prog.type}`);
  return create(kernel, proc, prog, attr);
}

// ---- BPF_LINK_UPDATE / BPF_LINK_DETACH --------------------------------------------------

export interface LinkUpdateAttr {
  link_fd: number;
  new_prog_fd: number;
  flags?: number;
  old_prog_fd?: number;
}

/** link_update() */
export function linkUpdate(_kernel: Kernel, proc: Process, attr: LinkUpdateAttr): number {
  const flags = attr.flags ?? 0;
  if (flags & ~BPF_F_REPLACE) throw new SysError('EINVAL', `link_update flags 0x${flags.toString(16)}: only BPF_F_REPLACE is valid`);
  const link = fdLink(proc, attr.link_fd);
  const newProg = fdProg(proc, attr.new_prog_fd);
  let oldProg: BpfProg | null = null;
  if (flags & BPF_F_REPLACE) oldProg = fdProg(proc, attr.old_prog_fd ?? 0);
  else if (attr.old_prog_fd) throw new SysError('EINVAL', 'old_prog_fd is given without BPF_F_REPLACE');
  link.updateProg(newProg, oldProg);
  return 0;
}

/** link_detach() */
export function linkDetach(_kernel: Kernel, proc: Process, attr: { link_fd: number }): number {
  fdLink(proc, attr.link_fd).detach();
  return 0;
}

/** The link commands, for the kernel's bpf() table (bpf-commands.ts). */
export const LINK_COMMANDS: readonly BpfCommand[] = [
  command(BPF_CMD.BPF_LINK_CREATE, linkCreate),
  command(BPF_CMD.BPF_LINK_UPDATE, linkUpdate),
  command(BPF_CMD.BPF_LINK_DETACH, linkDetach),
];
