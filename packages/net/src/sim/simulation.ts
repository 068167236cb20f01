// A simulation: one virtual clock in nanoseconds, the event queue, the seeded RNG and the
// event emitter every observer listens on. Nothing in a simulation reads the wall clock;
// the same seed and the same inputs give the same run, event for event.
import EventEmitter from 'eventemitter3';
import { Rng } from '@bpfsim/kernel';
import type { ScheduledEvent } from './event-queue';
import { EventQueue } from './event-queue';

export const NS = 1;
export const US = 1_000;
export const MS = 1_000_000;
export const SEC = 1_000_000_000;

/** A handle to something scheduled; cancel() is idempotent. */
export interface Timer {
  readonly time: number;
  cancel(): void;
  readonly pending: boolean;
}

export interface SimulationOptions {
  seed?: number;
}

/** Why a run stopped. */
export type StopReason = 'time' | 'quiescent' | 'steps' | 'stopped';

export class Simulation<Events extends EventEmitter.ValidEventTypes = string | symbol> {
  /** Virtual time now, in ns (an integer). */
  private t = 0;
  private readonly queue = new EventQueue();
  readonly rng: Rng;
  readonly events = new EventEmitter<Events>();
  readonly seed: number;
  private stopRequested = false;
  /** Events run so far. */
  executed = 0;

  constructor(options: SimulationOptions = {}) {
    this.seed = options.seed ?? 1;
    this.rng = new Rng(this.seed);
  }

  get now(): number {
    return this.t;
  }

  /** now() as the kernel's Clock wants it. */
  nowBig(): bigint {
    return BigInt(this.t);
  }

  /** Runs `fn` after `delay` ns (0: at the current instant, after what is already due). */
  schedule(delay: number, fn: () => void): Timer {
    if (!(delay >= 0) || !Number.isFinite(delay)) throw new RangeError(`delay must be a finite number >= 0, got ${delay}`);
    return this.queue.push(this.t + Math.round(delay), fn);
  }

  /** Runs `fn` at absolute time `time` (not in the past). */
  at(time: number, fn: () => void): Timer {
    if (!(time >= this.t)) throw new RangeError(`cannot schedule at ${time}: the time is already ${this.t}`);
    return this.queue.push(Math.round(time), fn);
  }

  /**
   * A kernel timer at absolute time `time`: timers that expire at one instant run newest
   * first, as a timer wheel bucket's list does (enqueue_timer: hlist_add_head), and before
   * the other events of that instant (the tick's softirq).
   */
  timerAt(time: number, fn: () => void): Timer {
    if (!(time >= this.t)) throw new RangeError(`cannot schedule at ${time}: the time is already ${this.t}`);
    return this.queue.push(Math.round(time), fn, true);
  }

  /** When the next event runs (undefined when none is waiting). */
  nextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  /** Events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  /** Runs the next event; false when there is none. */
  step(): boolean {
    const e = this.queue.pop();
    if (!e) return false;
    this.t = e.time;
    this.executed++;
    e.run();
    return true;
  }

  /** Runs every event up to and including time `until`; the clock then reads `until`. */
  runUntil(until: number): StopReason {
    this.stopRequested = false;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      const e = this.queue.peek();
      if (!e || e.time > until) break;
      this.step();
    }
    if (until > this.t) this.t = until;
    return 'time';
  }

  /** Runs for `duration` ns of virtual time. */
  runFor(duration: number): StopReason {
    return this.runUntil(this.t + duration);
  }

  /** Runs until nothing is left to do (or `maxEvents` ran: a guard against endless timers). */
  run(maxEvents = Number.POSITIVE_INFINITY): StopReason {
    this.stopRequested = false;
    let n = 0;
    while (this.queue.size) {
      if (this.stopRequested) return 'stopped';
      if (n++ >= maxEvents) return 'steps';
      this.step();
    }
    return 'quiescent';
  }

  /** Ends the current run after the event that is running. */
  stop(): void {
    this.stopRequested = true;
  }
}
