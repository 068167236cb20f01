// Object ids (kernel/bpf/syscall.c: idr_alloc_cyclic(&prog_idr, prog, 1, INT_MAX)): ids
// start at 1 and keep increasing; a freed id is not reused until the counter wraps.

export class IdAllocator<T> {
  private next = 1;
  private readonly live = new Map<number, T>();

  alloc(obj: T): number {
    for (let tries = 0; tries < 0x7fffffff; tries++) {
      const id = this.next;
      this.next = this.next >= 0x7ffffffe ? 1 : this.next + 1;
      if (!this.live.has(id)) {
        this.live.set(id, obj);
        return id;
      }
    }
    throw new Error('bpfsim: object ids exhausted');
  }

  free(id: number): void {
    this.live.delete(id);
  }

  get(id: number): T | undefined {
    return this.live.get(id);
  }

  /** Ids in increasing order after `start` (BPF_*_GET_NEXT_ID). */
  nextAfter(start: number): number | undefined {
    let best: number | undefined;
    for (const id of this.live.keys()) if (id > start && (best === undefined || id < best)) best = id;
    return best;
  }
}
