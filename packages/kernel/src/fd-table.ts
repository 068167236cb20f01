// A process's file descriptors (fs/file.c: alloc_fd picks the lowest free number). bpf
// objects are files: an fd holds one reference, closing it puts that reference.
import { SysError } from '@bpfsim/isa';
import type { BpfObject } from './object';

/** RLIMIT_NOFILE's usual soft limit. */
export const DEFAULT_NOFILE = 1024;

export class FdTable {
  private readonly files: (BpfObject | null | undefined)[] = [];
  /** files->next_fd: no fd below this is free (so install does not rescan from 3). */
  private nextFd: number;

  constructor(
    /** fds below this are taken by stdin/stdout/stderr (never handed out here). */
    private readonly reserved = 3,
    private readonly limit = DEFAULT_NOFILE,
  ) {
    this.nextFd = reserved;
  }

  /** anon_inode_getfd(): a new fd for `obj`, which takes over one reference to it. */
  install(obj: BpfObject): number {
    for (let fd = this.nextFd; fd < this.limit; fd++) {
      if (!this.files[fd]) {
        this.files[fd] = obj;
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

  /** close(2): puts the fd's reference. */
  close(fd: number): void {
    const obj = this.lookup(fd);
    if (!obj) throw new SysError('EBADF', `fd ${fd} is not open`, 'close');
    this.files[fd] = null;
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
