// A link between two ports (a cable, or a path through a network we do not model): per
// direction, a bounded transmit queue drained at the link's bandwidth (serialisation),
// then the propagation delay; and seeded impairments — loss, duplication, reordering,
// corruption — and a way to cut and heal it. What leaves one end arrives at the other as
// the same bytes unless an impairment says otherwise.
import type { Rng } from '@bpfsim/kernel';
import type { Simulation } from '../sim/simulation';
// A link only schedules; it does not care what the simulation's events are.

/** Something a link delivers frames to (a device's or a bridge port's receive side). */
export interface Port {
  readonly name: string;
  receiveFrame(frame: Uint8Array): void;
}

export interface LinkOptions {
  /** One-way propagation delay, ns. Default 10 µs. */
  delay?: number;
  /** Bits per second; 0 (the default) serialises instantly. */
  bandwidth?: number;
  /** Frames the transmit queue holds per direction (txqueuelen); default 1000. */
  queue?: number;
  /** Probability a frame is lost. */
  loss?: number;
  /** Probability a frame is delivered twice. */
  duplicate?: number;
  /** Probability a frame is held back by `reorderDelay` (so later frames overtake it). */
  reorder?: number;
  /** Extra delay of a reordered frame, ns; default 2 × delay (at least 1 µs). */
  reorderDelay?: number;
  /** Probability one bit of a frame is flipped. */
  corrupt?: number;
  /** ECN marking (RFC 3168), as a qdisc with `ecn` does: an ECN-capable (ECT) IPv4 or IPv6
   * frame that finds at least this many frames queued ahead of it is marked CE instead of
   * waiting to be dropped; 0 (the default) never marks. */
  ecnThreshold?: number;
}

/** Why a link dropped a frame (the drop events' reason). */
export type LinkDropReason = 'link-loss' | 'link-queue-full' | 'link-down';

export interface LinkObserver {
  onDrop?(link: Link, from: Port, frame: Uint8Array, reason: LinkDropReason): void;
  onCorrupt?(link: Link, from: Port, frame: Uint8Array): void;
}

/** One direction of a link. */
class Direction {
  /** When the transmitter is free again (serialisation of queued frames). */
  busyUntil = 0;
  /** Frames queued or being serialised. */
  inFlight = 0;
  constructor(
    readonly from: Port,
    readonly to: Port,
  ) {}
}

export class Link {
  readonly options: Required<LinkOptions>;
  private up = true;
  private readonly ab: Direction;
  private readonly ba: Direction;
  /** Frames carried and dropped, for reports. */
  readonly stats = { sent: 0, delivered: 0, lost: 0, queueDrops: 0, downDrops: 0, duplicated: 0, reordered: 0, corrupted: 0, ceMarked: 0 };

  constructor(
    readonly name: string,
    private readonly sim: Pick<Simulation, 'now' | 'at' | 'schedule'>,
    private readonly rng: Rng,
    a: Port,
    b: Port,
    options: LinkOptions = {},
    private readonly observer: LinkObserver = {},
  ) {
    const delay = options.delay ?? 10_000;
    this.options = {
      delay,
      bandwidth: options.bandwidth ?? 0,
      queue: options.queue ?? 1000,
      loss: options.loss ?? 0,
      duplicate: options.duplicate ?? 0,
      reorder: options.reorder ?? 0,
      reorderDelay: options.reorderDelay ?? Math.max(1000, 2 * delay),
      corrupt: options.corrupt ?? 0,
      ecnThreshold: options.ecnThreshold ?? 0,
    };
    for (const [k, v] of Object.entries(this.options)) {
      if (!(typeof v === 'number' && v >= 0 && Number.isFinite(v))) throw new RangeError(`link ${name}: ${k} must be a finite number >= 0, got ${v}`);
    }
    for (const k of ['loss', 'duplicate', 'reorder', 'corrupt'] as const) {
      if (this.options[k] > 1) throw new RangeError(`link ${name}: ${k} is a probability (0..1), got ${this.options[k]}`);
    }
    this.ab = new Direction(a, b);
    this.ba = new Direction(b, a);
  }

  get isUp(): boolean {
    return this.up;
  }

  /** Cuts the link: frames in flight are lost, new ones dropped, until heal(). */
  cut(): void {
    this.up = false;
  }

  heal(): void {
    this.up = true;
  }

  /** Changes impairments on the fly (e.g. loss during part of a scenario). */
  set(options: LinkOptions): void {
    Object.assign(this.options, options);
  }

  /** `from` transmits a frame; false when the transmit queue is full (the sender's
   * qdisc refused it: NET_XMIT_DROP). A frame lost on the way returns true. */
  transmit(from: Port, frame: Uint8Array): boolean {
    const dir = from === this.ab.from ? this.ab : from === this.ba.from ? this.ba : undefined;
    if (!dir) throw new Error(`link ${this.name}: ${from.name} is not one of its ends`);
    this.stats.sent++;
    if (!this.up) {
      this.drop(dir, frame, 'link-down');
      return true;
    }
    if (dir.inFlight >= this.options.queue) {
      this.drop(dir, frame, 'link-queue-full');
      return false;
    }
    const mark = this.options.ecnThreshold;
    if (mark > 0 && dir.inFlight >= mark) {
      const marked = markCe(frame);
      if (marked) {
        frame = marked;
        this.stats.ceMarked++;
      }
    }
    const now = this.sim.now;
    const bw = this.options.bandwidth;
    const serialise = bw > 0 ? Math.ceil((frame.length * 8 * 1e9) / bw) : 0;
    const start = Math.max(now, dir.busyUntil);
    dir.busyUntil = start + serialise;
    dir.inFlight++;
    // The frame leaves the queue once serialised; then propagates.
    this.sim.at(dir.busyUntil, () => {
      dir.inFlight--;
      this.propagate(dir, frame);
    });
    return true;
  }

  private propagate(dir: Direction, frame: Uint8Array): void {
    const o = this.options;
    if (this.rng.chance(o.loss)) {
      this.stats.lost++;
      return this.drop(dir, frame, 'link-loss');
    }
    let copies = 1;
    if (this.rng.chance(o.duplicate)) {
      copies = 2;
      this.stats.duplicated++;
    }
    for (let c = 0; c < copies; c++) {
      let f = frame;
      if (this.rng.chance(o.corrupt)) {
        f = frame.slice();
        const bit = this.rng.int(0, f.length * 8 - 1);
        f[bit >> 3]! ^= 1 << (bit & 7);
        this.stats.corrupted++;
        this.observer.onCorrupt?.(this, dir.from, f);
      }
      let delay = o.delay;
      if (this.rng.chance(o.reorder)) {
        delay += o.reorderDelay;
        this.stats.reordered++;
      }
      this.sim.schedule(delay, () => {
        if (!this.up) return this.drop(dir, f, 'link-down');
        this.stats.delivered++;
        dir.to.receiveFrame(f);
      });
    }
  }

  private drop(dir: Direction, frame: Uint8Array, reason: LinkDropReason): void {
    if (reason === 'link-queue-full') this.stats.queueDrops++;
    if (reason === 'link-down') this.stats.downDrops++;
    this.observer.onDrop?.(this, dir.from, frame, reason);
  }
}

/** INET_ECN_set_ce(): an ECT frame's copy with the IP ECN field CE (the IPv4 header checksum
 * updated as RFC 1624's incremental update gives); undefined for a frame that is not ECT. */
function markCe(frame: Uint8Array): Uint8Array | undefined {
  if (frame.length < 14 + 20) return undefined;
  const type = (frame[12]! << 8) | frame[13]!;
  if (type === 0x0800) {
    const tos = frame[15]!;
    if ((tos & 3) === 0 || (tos & 3) === 3) return undefined;
    const f = frame.slice();
    f[15] = tos | 3;
    // The checksum over the header again (its 16-bit words, the checksum field as zero).
    const ihl = (f[14]! & 15) * 4;
    f[24] = 0;
    f[25] = 0;
    let sum = 0;
    for (let i = 14; i < 14 + ihl; i += 2) sum += (f[i]! << 8) | f[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    f[24] = c >> 8;
    f[25] = c & 0xff;
    return f;
  }
  if (type === 0x86dd) {
    // Traffic class: the low nibble of byte 0 and the high nibble of byte 1; ECN its low 2 bits.
    const ecn = (frame[15]! >> 4) & 3;
    if (ecn === 0 || ecn === 3) return undefined;
    const f = frame.slice();
    f[15] = f[15]! | 0x30;
    return f;
  }
  return undefined;
}
