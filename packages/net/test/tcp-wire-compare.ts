// Compares a wire trace recorded from the live kernel with bpfsim's replay of the same case:
// packet by packet, every field (direction, flags, seq, ack, length, window, options in
// order, dropped), and the gap since the previous packet within a tolerance that reflects
// the kernel's clock: the two recorded runs' jitter, a jiffy (4 ms at HZ=250) for gaps a
// timer may have made, and the timer wheel's slot for longer ones (8 jiffies from 252 ms,
// 64 from 2 s: a long timer fires at the end of its slot, whose phase is not ours to know).
// TSval/TSecr (ms) may differ by what the times differ, plus one tick.
import type { WirePacket } from './tcp-wire-cases';

export interface WireDiff {
  /** Packets of the kernel's trace, and of bpfsim's. */
  kernel: number;
  sim: number;
  /** Leading packets that agree. */
  prefix: number;
  /** Packets that agree in order (longest common subsequence). */
  aligned: number;
  /** The first difference, '' when the traces agree. */
  first: string;
  /** bpfsim's time to the last packet over the kernel's. */
  completionRatio: number;
}

const JIFFY_US = 4000;

/** How far the gap before a packet may differ (µs). */
export function gapTolerance(gapUs: number, jitterUs: number): number {
  let tol = 1000 + 2 * jitterUs;
  if (gapUs >= 36_000) tol += JIFFY_US;
  if (gapUs >= 252_000) tol += 8 * JIFFY_US;
  if (gapUs >= 2_016_000) tol += 64 * JIFFY_US;
  return tol;
}

/** Why packet b (bpfsim) differs from a (kernel) in its fields, '' when it does not. */
export function fieldDiff(a: WirePacket, b: WirePacket): string {
  for (const f of ['conn', 'dir', 'flags', 'seq', 'ack', 'len', 'win', 'dropped'] as const) {
    if ((a[f] ?? undefined) !== (b[f] ?? undefined)) return `${f} ${JSON.stringify(a[f])} != ${JSON.stringify(b[f])}`;
  }
  if (a.opts.length !== b.opts.length) return `opts ${JSON.stringify(a.opts)} != ${JSON.stringify(b.opts)}`;
  const slackMs = 1 + Math.ceil(Math.abs(a.t - b.t) / 1000);
  for (let i = 0; i < a.opts.length; i++) {
    const x = a.opts[i]!;
    const y = b.opts[i]!;
    if (x[0] === 'ts' && y[0] === 'ts') {
      if (Math.abs((x[1] as number) - (y[1] as number)) > slackMs || Math.abs((x[2] as number) - (y[2] as number)) > slackMs) return `ts ${JSON.stringify(x)} != ${JSON.stringify(y)}`;
    } else if (JSON.stringify(x) !== JSON.stringify(y)) return `opts ${JSON.stringify(a.opts)} != ${JSON.stringify(b.opts)}`;
  }
  return '';
}

const show = (p: WirePacket): string => `${p.dir} ${p.flags} seq ${p.seq} ack ${p.ack} len ${p.len} win ${p.win}${p.dropped ? ' (dropped)' : ''}`;

export function compareWire(kernel: WirePacket[], sim: WirePacket[], jitterUs: number[] = []): WireDiff {
  let first = '';
  let prefix = 0;
  for (let i = 0; i < Math.max(kernel.length, sim.length); i++) {
    const a = kernel[i];
    const b = sim[i];
    if (!a || !b) {
      first = a ? `#${i}: bpfsim sent nothing, Linux sent ${show(a)} at ${a.t} us` : `#${i}: Linux sent nothing, bpfsim sent ${show(b!)} at ${b!.t} us`;
      break;
    }
    let d = fieldDiff(a, b);
    if (!d && i > 0) {
      const gk = a.t - kernel[i - 1]!.t;
      const gs = b.t - sim[i - 1]!.t;
      const tol = gapTolerance(gk, jitterUs[i] ?? 0);
      if (Math.abs(gk - gs) > tol) d = `gap ${gk} us != ${gs} us (tolerance ${tol} us)`;
    }
    if (d) {
      first = `#${i} (${show(a)}): ${d}`;
      break;
    }
    prefix++;
  }
  const key = (p: WirePacket): string => `${p.conn ?? 0} ${p.dir} ${p.flags} ${p.seq} ${p.ack} ${p.len} ${p.win}`;
  const ka = kernel.map(key);
  const kb = sim.map(key);
  // LCS by rows (traces are a few thousand packets at most).
  let prev = new Uint32Array(kb.length + 1);
  for (let i = 1; i <= ka.length; i++) {
    const cur = new Uint32Array(kb.length + 1);
    for (let j = 1; j <= kb.length; j++) cur[j] = ka[i - 1] === kb[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  const lastK = kernel[kernel.length - 1]?.t ?? 0;
  const lastS = sim[sim.length - 1]?.t ?? 0;
  return { kernel: kernel.length, sim: sim.length, prefix, aligned: prev[kb.length] ?? 0, first, completionRatio: lastK ? lastS / lastK : lastS ? Infinity : 1 };
}
