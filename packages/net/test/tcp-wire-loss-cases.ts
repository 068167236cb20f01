// The loss cases of the wire suite (tcp-wire-loss.kernel.test.ts records them into
// golden/tcp-wire-loss.json; tcp-wire-loss-golden.test.ts replays them in bpfsim): bulk
// transfers of 500 KB at RTT 10 ms where the delay line drops, holds or duplicates chosen
// packets, each under cubic and bbr, over IPv4 and IPv6; and rate cases, 10 MB at RTT 1 ms
// with random loss, kept only in summary (WireSummary).
//
// Where the rules hit, read off this machine's recordings of the same transfer without loss
// (Linux 6.18, lo at MTU 1500): the client's packets are its SYN (ordinal 1), the handshake's
// ACK (2) and then data segments only, full-sized (1448 B over IPv4, 1428 B over IPv6: MSS
// less 12 B of timestamps) until the last, so c2s ordinal n is the data segment that starts at
// 1 + (n - 3) * MSS. Cubic sends rounds of 10, 20, 40 and 80 segments (ordinals 3-12, 13-32,
// 33-72, 73-152), then the rest of the 500 KB in three more; bbr paces the same ordinals out in
// smaller groups (13-26 and 27-32 in the second round). So:
// - ordinal 100 is a data segment in the fourth round, after three rounds of slow start, with
//   more than 250 segments still to come (losses, and the retransmission dropped by sequence);
// - ordinal 30 is the third-last segment of the second round under both: held 3 ms, it is
//   overtaken by the round's last two (31 and 32), and arrives before the next round is sent;
// - ordinal 40 (the third round) is the duplicated one;
// - the tail drop is the transfer's last data segment, by sequence: the one carrying its last
//   byte (segments late in the transfer are not always full-sized: where a write ran dry);
// - the ACK dropped after a recovery is s2c ordinal 110: the hole of ordinal 100 is filled by
//   s2c ordinal 75-92 (cubic, bbr), and every variant sends more than 140 ACKs.
import type { CaseSpec, WireCase, WireDrop, WirePacket, WireResult } from './tcp-wire-cases';
import { bulk, mk, wireRandomDrop } from './tcp-wire-cases';

/** The loss cases' transfer. */
export const LOSS_BYTES = 500_000;
/** The rate cases' transfer. */
export const RATE_BYTES = 10_000_000;

/** Payload bytes of a full segment (MSS 1460 / 1440 less the timestamp option). */
export const segPayload = (family: 4 | 6): number => (family === 6 ? 1428 : 1448);
/** Relative sequence number of c2s ordinal `nth` in a loss-free bulk transfer (see above). */
export const seqOfOrdinal = (family: 4 | 6, nth: number): number => 1 + (nth - 3) * segPayload(family);

type LossSpec = Omit<CaseSpec, 'drops' | 'steps'> & { drops: (family: 4 | 6) => WireDrop[] };

/** A loss case under cubic and bbr, over IPv4 and IPv6. */
function variants(spec: LossSpec): WireCase[] {
  const out: WireCase[] = [];
  for (const cc of ['cubic', 'bbr'] as const) {
    for (const family of [4, 6] as const) {
      const id = `${spec.id}${cc === 'bbr' ? '-bbr' : ''}${family === 6 ? '-v6' : ''}`;
      const notes = [cc === 'bbr' ? 'bbr' : '', family === 6 ? 'IPv6: MSS 1440' : ''].filter(Boolean).join(', ');
      out.push(
        mk({
          ...spec,
          id,
          lesson: notes ? `${spec.lesson} (${notes})` : spec.lesson,
          family,
          ...(cc === 'bbr' ? { cc } : {}),
          drops: spec.drops(family),
          steps: bulk(LOSS_BYTES),
        }),
      );
    }
  }
  return out;
}

const SACK = 'fast retransmit from SACK blocks (RACK loss detection), recovery (PRR), the congestion response';

export function wireLossCases(): WireCase[] {
  return [
    ...variants({
      id: 'loss-one',
      lesson: 'one data segment of 500 KB lost in the fourth round: SACKed duplicate ACKs, fast retransmit, recovery, then the stream goes on',
      needsSack: SACK,
      drops: () => [{ dir: 'c2s', nth: 100 }],
    }),
    ...variants({
      id: 'loss-two-adjacent',
      lesson: 'two adjacent data segments lost: one SACK hole of two segments, both retransmitted in one recovery',
      needsSack: SACK,
      drops: () => [{ dir: 'c2s', nth: 100, count: 2 }],
    }),
    ...variants({
      id: 'loss-burst5',
      lesson: 'a burst of five data segments lost: a hole of five, retransmitted as PRR allows, one cwnd reduction',
      needsSack: SACK,
      drops: () => [{ dir: 'c2s', nth: 100, count: 5 }],
    }),
    ...variants({
      id: 'loss-tail',
      lesson: 'the last data segment of the transfer lost (it carries the FIN: the client closed once all was written): nothing follows it to SACK, and Linux resends it at the RTO, about 225 ms later (no loss probe)',
      needsSack: 'the RTO of a lost tail, with the FIN on it (Linux sends no loss probe for it here)',
      drops: () => [{ kind: 'seq', dir: 'c2s', seq: LOSS_BYTES, covers: true }],
    }),
    ...variants({
      id: 'loss-both-dirs',
      lesson: 'a data segment lost, and later, after its recovery, an ACK: the next ACK covers the lost one (cumulative), nothing is resent for it',
      needsSack: SACK,
      drops: () => [
        { dir: 'c2s', nth: 100 },
        { dir: 's2c', nth: 110 },
      ],
    }),
    ...variants({
      id: 'loss-retransmission',
      lesson: 'a data segment and its first (fast) retransmission lost, by sequence: RACK marks the retransmission lost a round later and sends it a third time (no RTO)',
      needsSack: 'RACK detection of a lost retransmission (its transmit time against later SACKed ones)',
      drops: (family) => [{ kind: 'seq', dir: 'c2s', seq: seqOfOrdinal(family, 100), count: 2 }],
    }),
    ...variants({
      id: 'reorder-hold',
      lesson: 'reordering, not loss: one data segment of the second round held 3 ms, the last two of the round overtake it; two SACKed duplicate ACKs, then the late segment fills the hole: nothing is retransmitted',
      needsSack: 'SACK reordering: the RACK reordering window, no retransmission (or an undo by D-SACK)',
      drops: () => [{ kind: 'hold', dir: 'c2s', nth: 30, extraMs: 3 }],
    }),
    ...variants({
      id: 'dup-data',
      lesson: 'a data segment of the third round delivered twice: the receiver answers the copy with a D-SACK block',
      needsSack: 'D-SACK: the receiver reports the duplicate (tcp_dsack_set), the sender counts it (dsack_dups)',
      drops: () => [{ kind: 'dup', dir: 'c2s', nth: 40 }],
    }),
    ...[1, 2].map((seed) =>
      mk({
        id: `rate-10m-loss10-seed${seed}`,
        lesson: `10 MB at RTT 1 ms with 10% random loss in both directions (hash seed ${seed}): completion time, packets, retransmissions (kept in summary)`,
        delayMs: 0.5,
        summary: true,
        waitLimitMs: 180_000,
        needsSack: 'loss recovery at 10% loss: RACK, PRR, TLP, RTOs with backoff',
        drops: [
          { kind: 'random', dir: 'c2s', permille: 100, seed },
          { kind: 'random', dir: 's2c', permille: 100, seed },
        ],
        steps: bulk(RATE_BYTES),
      }),
    ),
  ];
}

const isData = (p: WirePacket): boolean => p.len > 0;
const sackBlocks = (p: WirePacket): number[][] => (p.opts.find((o) => o[0] === 'sack')?.slice(1) as number[][] | undefined) ?? [];
/** Whether an ACK carries a D-SACK block (RFC 2883: the first block below the cumulative ACK, or inside the second). */
export const hasDsack = (p: WirePacket): boolean => {
  const b = sackBlocks(p);
  const first = b[0];
  if (!first) return false;
  const second = b[1];
  return first[1]! <= p.ack || (!!second && first[0]! >= second[0]! && first[1]! <= second[1]!);
};

/**
 * Whether a recorded trace shows what the case's rules meant to do: '' when it does, else
 * why not. Drops by ordinal or sequence hit data segments (an s2c drop: an ACK), as many as
 * the rule says; a held data segment is overtaken (an ACK SACKs data sent after it before
 * it arrives); a duplicate is in the trace as its own packet and a D-SACK comes back for it;
 * random drops fall on the ordinals wireRandomDrop gives (the summary's first 20 per
 * direction), in both directions.
 */
export function wireLossIntent(c: WireCase, r: WireResult): string {
  const ps = r.packets;
  const ordinals = new Map<WirePacket, number>();
  const n = { c2s: 0, s2c: 0 };
  for (const p of ps) if (!p.copy) ordinals.set(p, ++n[p.dir]);
  const byOrdinal = (dir: 'c2s' | 's2c', k: number): WirePacket | undefined => ps.find((p) => p.dir === dir && ordinals.get(p) === k);
  for (const d of c.drops ?? []) {
    if (d.kind === undefined || d.kind === 'nth') {
      for (let k = d.nth; k < d.nth + (d.count ?? 1); k++) {
        const p = byOrdinal(d.dir, k);
        if (!p?.dropped) return `${d.dir} #${k} was not dropped`;
        if (d.dir === 'c2s' ? !isData(p) : isData(p) || !p.flags.includes('.')) return `${d.dir} #${k} is not a ${d.dir === 'c2s' ? 'data segment' : 'pure ACK'}: ${p.flags} len ${p.len}`;
      }
    } else if (d.kind === 'seq') {
      const hits = ps.filter((p) => p.dir === d.dir && p.dropped && isData(p) && (d.covers ? p.seq <= d.seq && d.seq < p.seq + p.len : p.seq === d.seq));
      if (hits.length !== (d.count ?? 1)) return `seq ${d.seq}: ${hits.length} transmissions dropped, not ${d.count ?? 1}`;
      const later = ps.find((p) => p.dir === d.dir && !p.dropped && isData(p) && p.seq <= d.seq && d.seq < p.seq + p.len && p.t > hits[hits.length - 1]!.t);
      if (!later) return `seq ${d.seq}: never delivered`;
    } else if (d.kind === 'hold') {
      const h = byOrdinal(d.dir, d.nth);
      if (!h?.held || !isData(h)) return `${d.dir} #${d.nth} is not a held data segment`;
      const other = d.dir === 'c2s' ? 's2c' : 'c2s';
      const i = ps.indexOf(h);
      // An ACK that SACKs data beyond the held segment while still acknowledging only up to it.
      const overtaken = ps.slice(i).some((p) => p.dir === other && p.ack <= h.seq && sackBlocks(p).some((b) => b[0]! >= h.seq + h.len));
      if (!overtaken) return `${d.dir} #${d.nth} (seq ${h.seq}) was not overtaken`;
    } else if (d.kind === 'dup') {
      const p = byOrdinal(d.dir, d.nth);
      if (!p || p.dropped || !isData(p)) return `${d.dir} #${d.nth} is not a delivered data segment`;
      const i = ps.indexOf(p);
      const copies = ps.slice(i + 1).filter((q) => q.copy && q.dir === d.dir && q.seq === p.seq && q.len === p.len);
      if (copies.length !== (d.copies ?? 1)) return `${copies.length} copies of ${d.dir} #${d.nth}, not ${d.copies ?? 1}`;
      const other = d.dir === 'c2s' ? 's2c' : 'c2s';
      const j = ps.indexOf(copies[0]!);
      if (!ps.slice(j).some((q) => q.dir === other && hasDsack(q) && sackBlocks(q)[0]![0] === p.seq)) return `no D-SACK for the copy of seq ${p.seq}`;
    } else if (d.kind === 'random') {
      const s = r.summary;
      if (!s) return 'a rate case without a summary';
      if (!s.dropped[d.dir]) return `no ${d.dir} packet dropped`;
      const want: number[] = [];
      for (let k = 1; want.length < s.firstDropped[d.dir].length; k++) if (wireRandomDrop(d.dir, k, d.seed, d.permille)) want.push(k);
      if (want.join() !== s.firstDropped[d.dir].join()) return `${d.dir} dropped ordinals ${s.firstDropped[d.dir].join()}, the hash says ${want.join()}`;
    }
  }
  return '';
}
