// The simulation's future events: a binary min-heap ordered by (time, sequence), so events
// at the same instant run in the order they were scheduled — the property that makes a
// run reproducible byte for byte. Cancelled events stay in the heap and are skipped when
// they reach the top (lazy deletion: cancelling is O(1), as timers are cancelled often).
//
// Far-future events (TIME_WAIT's 60 s, keepalive) wait outside the heap, in buckets of
// FAR_BUCKET_NS by time, as Linux's timer wheel keeps long timers in coarse slots: every
// event earlier than `horizon` is in the heap, every later one in a bucket, and a bucket
// moves into the heap only when the heap runs dry. The order is unchanged — the heap holds
// all events before the horizon — but the heap stays small while thousands of long
// timers wait.

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
    /** Tie-breaker: the scheduling order (negative, and falling, for newest-first events). */
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

/** The width of a far bucket (and how far ahead the heap takes events directly). */
const FAR_BUCKET_NS = 10_000_000;

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private nextSeq = 0;
  private newestSeq = 0;
  private live = 0;
  /** Every event before this time is in the heap; later ones wait in `far`. */
  private horizon = FAR_BUCKET_NS;
  /** Far events by bucket (time / FAR_BUCKET_NS, floored), and the buckets' keys as a min-heap. */
  private readonly far = new Map<number, ScheduledEvent[]>();
  private readonly farKeys: number[] = [];

  /** Events scheduled and not yet run or cancelled. */
  get size(): number {
    return this.live;
  }

  /** Schedules `run` at `time`: after what is already due then, or — `newestFirst` — before
   * it and before every earlier newest-first event at that instant (a timer wheel bucket). */
  push(time: number, run: () => void, newestFirst = false): ScheduledEvent {
    const e = new ScheduledEvent(time, newestFirst ? --this.newestSeq : this.nextSeq++, run, this);
    this.live++;
    if (time >= this.horizon) {
      const key = Math.floor(time / FAR_BUCKET_NS);
      const bucket = this.far.get(key);
      if (bucket) bucket.push(e);
      else {
        this.far.set(key, [e]);
        heapPushNumber(this.farKeys, key);
      }
      return e;
    }
    this.heapPush(e);
    return e;
  }

  private heapPush(e: ScheduledEvent): void {
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
  }

  /** The heap ran dry: the earliest far bucket moves in, and the horizon past it. */
  private refill(): void {
    while (!this.heap.length && this.farKeys.length) {
      const key = heapPopNumber(this.farKeys);
      const bucket = this.far.get(key)!;
      this.far.delete(key);
      this.horizon = (key + 1) * FAR_BUCKET_NS;
      for (const e of bucket) if (!e.cancelled) this.heapPush(e);
    }
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
    for (;;) {
      while (this.heap.length && this.heap[0]!.cancelled) this.removeTop();
      if (this.heap.length || !this.farKeys.length) return;
      this.refill();
    }
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

/** A min-heap of plain numbers (the far buckets' keys). */
function heapPushNumber(h: number[], v: number): void {
  let i = h.length;
  h.push(v);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (h[p]! <= v) break;
    h[i] = h[p]!;
    i = p;
  }
  h[i] = v;
}

function heapPopNumber(h: number[]): number {
  const top = h[0]!;
  const last = h.pop()!;
  const n = h.length;
  if (n) {
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]! < h[l]! ? r : l;
      if (h[c]! >= last) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
  return top;
}
