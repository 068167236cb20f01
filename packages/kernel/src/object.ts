// Kernel objects with reference counts (bpf_map_inc/put, bpf_prog_inc/put, bpf_link):
// an object lives while something holds it — an fd, a pin in bpffs, a cgroup attachment,
// a link, a map slot (prog arrays, map-in-map), a program that uses a map. The last put
// frees it: its id goes away, its memory is unmapped, what it held is put in turn.

/** What an fd refers to: bpf objects, and the other files bpf() takes fds of (an open cgroup
 * directory for attach targets, a socket for sockmap updates). */
export type ObjectKind = 'map' | 'prog' | 'link' | 'cgroup' | 'socket';

export abstract class BpfObject {
  abstract readonly kind: ObjectKind;
  /** The id user space sees (BPF_*_GET_FD_BY_ID, bpf_*_info.id); 0 once freed. */
  id = 0;
  /** References; -1 once freed (one field: sockets are objects too, and many). */
  private refs = 0;

  get refcnt(): number {
    return Math.max(0, this.refs);
  }

  get isFreed(): boolean {
    return this.refs < 0;
  }

  /** bpf_*_inc() */
  get(): this {
    if (this.refs < 0) throw new Error(`bpfsim bug: get() on a freed ${this.kind}`);
    this.refs++;
    return this;
  }

  /** bpf_*_put(): the last reference frees the object. */
  put(): void {
    if (this.refs <= 0) throw new Error(`bpfsim bug: put() on a ${this.kind} with no references`);
    if (--this.refs === 0) {
      this.refs = -1;
      this.release();
    }
  }

  /** Frees what the object holds (called once, when the last reference goes). */
  protected abstract release(): void;
}
