// An open cgroup v2 directory: what `open("/sys/fs/cgroup/app", O_RDONLY | O_DIRECTORY)`
// gives a process, so that BPF_PROG_ATTACH / _DETACH / _QUERY and BPF_LINK_CREATE name their
// target cgroup by fd (target_fd) exactly as in Linux. cgroup_get_from_fd() accepts only
// these: any other fd (a program, a map…) is EBADF, and a removed cgroup is ENOENT.
import { SysError } from '@bpfsim/isa';
import type { Kernel } from '../kernel';
import type { ObjectKind } from '../object';
import { BpfObject } from '../object';
import type { Process } from '../process';
import { fdObject } from '../syscall';
import { cgroupBpfRelease } from './attach';
import type { Cgroup } from './cgroup';

/** Where cgroup v2 is mounted; paths given to openCgroup may start with it. */
export const CGROUP2_MOUNT = '/sys/fs/cgroup';

/**
 * ObjectKind does not list 'cgroup' yet (object.ts belongs to the syscall layer); fds of this
 * kind are refused by fdMap/fdProg/fdLink (EINVAL), as bpf_*_get() refuse a directory fd.
 */
const CGROUP_KIND = 'cgroup' as string as ObjectKind;

export class CgroupFile extends BpfObject {
  readonly kind = CGROUP_KIND;

  constructor(readonly cgroup: Cgroup) {
    super();
  }

  /** BPF_OBJ_GET_INFO_BY_FD on a directory: not a bpf object. */
  info(): never {
    throw new SysError('EINVAL', 'the fd is a cgroup directory, not a bpf object');
  }

  protected release(): void {}
}

/** The cgroup path ('/app/web') of `path`, which may also be written under CGROUP2_MOUNT. */
export function cgroupPath(path: string): string {
  if (path === CGROUP2_MOUNT) return '/';
  return path.startsWith(`${CGROUP2_MOUNT}/`) ? path.slice(CGROUP2_MOUNT.length) : path;
}

/** open(2) of a cgroup v2 directory: a new fd in `proc`'s table (ENOENT when there is none). */
export function openCgroup(kernel: Kernel, proc: Process, path: string): number {
  const cg = kernel.cgroups.lookup(cgroupPath(path));
  if (!cg) throw new SysError('ENOENT', `no cgroup ${path}`, 'open');
  return proc.fds.install(new CgroupFile(cg).get());
}

/** cgroup_get_from_fd(): EBADF for a closed fd or one that is not a cgroup v2 directory. */
export function fdCgroup(proc: Process, fd: number): Cgroup {
  const o = fdObject(proc, fd);
  if (o.kind !== CGROUP_KIND) throw new SysError('EBADF', `fd ${fd} is not a cgroup v2 directory`);
  const cg = (o as CgroupFile).cgroup;
  if (!cg.online) throw new SysError('ENOENT', `cgroup ${cg.path} has been removed`);
  return cg;
}

/**
 * rmdir(2) of a cgroup: EBUSY while it has children or processes. What is attached to it is
 * released (cgroup_bpf_release: its programs' references go, its links lose their cgroup).
 */
export function removeCgroup(kernel: Kernel, path: string): void {
  const cg = kernel.cgroups.lookup(cgroupPath(path));
  kernel.cgroups.remove(cgroupPath(path), (c) => [...kernel.processes.values()].some((p) => p.cgroup === c));
  if (cg) cgroupBpfRelease(cg);
}
