// The simulation's future events: a binary min-heap ordered by (time, sequence), so events
// at the same instant run in the order they were scheduled — the property that makes a
// run reproducible byte for byte. Cancelled events stay in the heap and are skipped when
// they reach the top (lazy deletion: cancelling is O(1), as timers are cancelled often).

/**
 * An event in the queue; it is also the Timer the simulation hands out (one object per
 * scheduled event: no wrapper, no closures for cancel/pending).
 */
export class ScheduledEvent {
  cancelled = false;
  /** Taken off the queue to run. */
  done = false;
  constructor(
    /** When it runs, in virtual ns. */
    readonly time: number,
    /** Tie-breaker: the scheduling order. */
    readonly seq: number,
    readonly run: () => void,
    private readonly queue: EventQueue,
  ) {}
  cancel(): void {
    this.queue.cancel(this);
  }
  get pending(): boolean {
    return !this.cancelled && !this.done;
  }
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private live = 0;

  /** Events scheduled and not yet run or cancelled. */
  get size(): number {
    return this.live;
  }

  push(time: number, run: () => void): ScheduledEvent {
    const e = new ScheduledEvent(time, this.nextSeq++, run, this);
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
    this.live++;
    return e;
  }

  cancel(e: ScheduledEvent): void {
    if (e.cancelled || e.done) return;
    e.cancelled = true;
    this.live--;
  }

  /** The earliest live event, without removing it. */
  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  /** Removes and returns the earliest live event. */
  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    const e = this.removeTop();
    if (e) {
      this.live--;
      e.done = true;
    }
    return e;
  }

  private dropCancelled(): void {
    while (this.heap.length && this.heap[0]!.cancelled) this.removeTop();
  }

  private removeTop(): ScheduledEvent | undefined {
    const h = this.heap;
    const top = h[0];
    if (!top) return undefined;
    const last = h.pop()!;
    const n = h.length;
    if (n) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

const before = (a: ScheduledEvent, b: ScheduledEvent): boolean => a.time < b.time || (a.time === b.time && a.seq < b.seq);
