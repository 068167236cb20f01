// A process's file descriptors (fs/file.c: alloc_fd picks the lowest free number). bpf
// objects are files: an fd holds one reference, closing it puts that reference, and each
// open file has its f_mode (FMODE_READ | FMODE_WRITE unless opened read- or write-only).
import { SysError } from '@bpfsim/isa';
import type { BpfObject } from './object';

/** RLIMIT_NOFILE's usual soft limit. */
export const DEFAULT_NOFILE = 1024;

/** f_mode bits (include/linux/fs.h). */
export const FMODE_READ = 1;
export const FMODE_WRITE = 2;
const FMODE_RW = FMODE_READ | FMODE_WRITE;

export class FdTable {
  private readonly files: (BpfObject | null | undefined)[] = [];
  /** files->next_fd: no fd below this is free (so install does not rescan from 3). */
  private nextFd: number;
  /** file->f_mode of the fds not opened read-write (BPF_MAP_CREATE with BPF_F_RDONLY or
   * BPF_F_WRONLY); an fd absent here is FMODE_READ | FMODE_WRITE. Dropped at close. */
  private readonly modes = new Map<number, number>();

  constructor(
    /** fds below this are taken by stdin/stdout/stderr (never handed out here). */
    private readonly reserved = 3,
    private readonly limit = DEFAULT_NOFILE,
  ) {
    this.nextFd = reserved;
  }

  /** anon_inode_getfd(): a new fd for `obj`, which takes over one reference to it, opened
   * with `mode` (f_mode; read-write unless told). */
  install(obj: BpfObject, mode = FMODE_RW): number {
    for (let fd = this.nextFd; fd < this.limit; fd++) {
      if (!this.files[fd]) {
        this.files[fd] = obj;
        if (mode !== FMODE_RW) this.modes.set(fd, mode);
        this.nextFd = fd + 1;
        return fd;
      }
    }
    throw new SysError('EMFILE', 'too many open files');
  }

  /** The object behind fd, or undefined (fdget). */
  lookup(fd: number): BpfObject | undefined {
    if (!Number.isInteger(fd) || fd < 0) return undefined;
    return this.files[fd] ?? undefined;
  }

  /** The open fd's f_mode (FMODE_READ | FMODE_WRITE bits); undefined when not open. */
  mode(fd: number): number | undefined {
    if (!this.lookup(fd)) return undefined;
    return this.modes.get(fd) ?? FMODE_RW;
  }

  /** close(2): puts the fd's reference. */
  close(fd: number): void {
    const obj = this.lookup(fd);
    if (!obj) throw new SysError('EBADF', `fd ${fd} is not open`, 'close');
    this.files[fd] = null;
    this.modes.delete(fd);
    if (fd < this.nextFd) this.nextFd = fd;
    obj.put();
  }

  /** The open fds and their objects. */
  *entries(): IterableIterator<[number, BpfObject]> {
    for (let fd = 0; fd < this.files.length; fd++) {
      const o = this.files[fd];
      if (o) yield [fd, o];
    }
  }

  /** Closes every fd (a process exits). */
  closeAll(): void {
    for (const [fd] of [...this.entries()]) this.close(fd);
  }
}
