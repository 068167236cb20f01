// SACK-based loss recovery (net/ipv4/tcp_input.c: tcp_sacktag_write_queue(),
// tcp_fastretrans_alert(), tcp_enter_recovery(), tcp_cwnd_reduction() (PRR, RFC 6937),
// tcp_enter_loss() / tcp_timeout_mark_lost(); net/ipv4/tcp_recovery.c: RACK, RFC 8985;
// net/ipv4/tcp_output.c: tcp_xmit_retransmit_queue()). For connections that negotiated
// SACK; one without it keeps NewReno (tcp-input.ts). Not yet modelled: tail-loss probes,
// F-RTO, undo (D-SACK or timestamps), D-SACK's reordering-window growth.
import type { TcpSock, TcpTx, TxSkb } from './tcp-sock';
import { CA_CWR, CA_DISORDER, CA_LOSS, CA_OPEN, CA_RECOVERY, SKB_LOST, SKB_RETRANS, SKB_RETRANS_OUT, SKB_SACKED, skbMark, tcpInCwndReduction } from './tcp-sock';
import { after, before, seqAdd, seqDiff } from './tcp-seq';
import { JIFFY_NS } from './tcp-timer';
import { cwndSegs, packetsInFlight, sendMss, splitSkb, tcpRetransmitSkb, tcpTsoSegs } from './tcp-output';
import { TCP_FIN } from '../wire/tcp';

/** net.ipv4.tcp_reordering: the duplicate-ACK threshold RACK starts from. */
const TCP_REORDERING = 3;
/** TCP_TIMEOUT_MIN: what the reordering timer adds (2 jiffies). */
const TCP_TIMEOUT_MIN = 2;

const endOf = (skb: { seq: number; len: number; flags: number }): number => seqAdd(skb.seq, skb.len + (skb.flags & TCP_FIN ? 1 : 0));

/** tcp_skb_sent_after(): t1/seq1 sent after t2/seq2. */
const sentAfter = (t1: number, t2: number, seq1: number, seq2: number): boolean => t1 > t2 || (t1 === t2 && after(seq1, seq2));

/** tcp_rack_advance(): a delivered skb (SACKed or cumulatively ACKed) sent at `xmit`. */
export function tcpRackAdvance(tp: TcpSock, t: TcpTx, flags: number, endSeq: number, xmit: number): void {
  const rtt = tp.now - xmit;
  // A retransmitted skb delivered sooner than the path's minimum RTT: the original was.
  if (flags & SKB_RETRANS && rtt < tp.rtt.minRtt) return;
  t.rackAdvanced = true;
  t.rackRtt = rtt;
  if (sentAfter(xmit, t.rackMstamp, endSeq, t.rackEndSeq)) {
    t.rackMstamp = xmit;
    t.rackEndSeq = endSeq;
  }
}

/**
 * tcp_sacktag_write_queue(): the SACK blocks of an ACK (wire u32s) mark the skbs they cover
 * (split at the blocks' edges); returns the segments newly SACKed. A block at or below the
 * cumulative ACK is a D-SACK (RFC 2883) and marks nothing.
 */
export function tcpSacktag(tp: TcpSock, blocks: readonly [number, number][], ack: number): number {
  const t = tp.txw();
  let newly = 0;
  const mss = sendMss(tp);
  for (const [l0, r0] of blocks) {
    const l = l0 | 0;
    const r = r0 | 0;
    if (!after(r, ack) || !before(l, r) || after(r, tp.sndNxt)) continue;
    for (let i = firstEndingAfter(tp, l); i < tp.sendHead && i < tp.wq.length; i++) {
      let skb = tp.wq[i]!;
      const end = endOf(skb);
      if (!after(end, l)) continue;
      if (!before(skb.seq, r)) break;
      if (skb.flags & SKB_SACKED) continue;
      // Only whole segments are SACKed: cut the skb at the block's edges.
      if (before(skb.seq, l)) {
        const cut = seqDiff(l, skb.seq);
        if (cut % mss !== 0 && cut < skb.len) continue;
        splitSkb(tp, i, cut);
        continue;
      }
      if (after(end, r)) {
        const keep = seqDiff(r, skb.seq);
        if (keep <= 0 || keep >= skb.len) continue;
        splitSkb(tp, i, keep);
        skb = tp.wq[i]!;
      }
      const f = skb.flags;
      // Reordering: a segment sent once, SACKed below what was SACKed before.
      if (!(f & SKB_RETRANS) && before(endOf(skb), t.fack)) t.reordSeen = true;
      skbMark(t, skb, (f | SKB_SACKED) & ~(SKB_LOST | SKB_RETRANS_OUT));
      newly += skb.pcount;
      tcpRackAdvance(tp, t, f, endOf(skb), skb.sentAt);
      if (after(endOf(skb), t.fack)) t.fack = endOf(skb);
    }
  }
  return newly;
}

/** The first sent skb that ends after `seq` (the queue is in sequence order): where a SACK
 * block's walk starts (tcp_sacktag_skip). */
function firstEndingAfter(tp: TcpSock, seq: number): number {
  const wq = tp.wq;
  let lo = 0;
  let hi = Math.min(tp.sendHead, wq.length);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (after(endOf(wq[mid]!), seq)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** tcp_rack_reo_wnd(): the reordering RACK allows — none before any was seen, once in
 * recovery or with a duplicate-ACK threshold's worth SACKed; else a quarter of min_rtt. */
function rackReoWnd(tp: TcpSock, t: TcpTx, sacked: number): number {
  if (!t.reordSeen && (t.caState >= CA_RECOVERY || sacked >= TCP_REORDERING)) return 0;
  return Math.min(Math.floor(tp.rtt.minRtt / 4), tp.rtt.srtt);
}

/** tcp_mark_skb_lost() */
function markLost(t: TcpTx, skb: TxSkb): void {
  if (skb.flags & SKB_SACKED) return;
  skbMark(t, skb, (skb.flags | SKB_LOST) & ~SKB_RETRANS_OUT);
}

/**
 * tcp_rack_detect_loss(): every skb sent before the most recently delivered one, and not
 * delivered within its RTT plus the reordering window, is lost; returns how long (ns) the
 * next one still has, 0 when none waits.
 */
function rackDetectLoss(tp: TcpSock, t: TcpTx): number {
  const reo = rackReoWnd(tp, t, t.sackedOut);
  let wait = 0;
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    const skb = tp.wq[i]!;
    const f = skb.flags;
    if (!sentAfter(t.rackMstamp, skb.sentAt, t.rackEndSeq, endOf(skb))) {
      // Sent once and after the delivered one: so was everything behind it (the walk of
      // Linux's tsorted_sent_queue stops here too).
      if (!(f & SKB_RETRANS)) break;
      continue;
    }
    if (f & SKB_SACKED || (f & SKB_LOST && !(f & SKB_RETRANS_OUT))) continue;
    const remaining = t.rackRtt + reo - (tp.now - skb.sentAt);
    if (remaining <= 0) markLost(t, skb);
    else wait = Math.max(wait, remaining);
  }
  return wait;
}

/** tcp_rack_mark_lost(): after a delivery moved RACK on; arms the reordering timer for
 * what may still arrive. */
function rackMarkLost(tp: TcpSock, t: TcpTx): void {
  if (!t.rackAdvanced) return;
  t.rackAdvanced = false;
  const wait = rackDetectLoss(tp, t);
  t.reoTimer?.cancel();
  t.reoTimer = undefined;
  if (wait > 0) {
    const jiffies = Math.ceil(wait / JIFFY_NS) + TCP_TIMEOUT_MIN;
    t.reoTimer = tp.env.timerAt(tp.env.jiffies + jiffies, () => tcpRackReoTimeout(tp));
  }
}

/** tcp_rack_reo_timeout(): the reordering window ran out. */
function tcpRackReoTimeout(tp: TcpSock): void {
  const t = tp.tx;
  t.reoTimer = undefined;
  const prior = packetsInFlight(tp);
  rackDetectLoss(tp, t);
  if (prior !== packetsInFlight(tp)) {
    if (t.caState !== CA_RECOVERY) {
      tcpEnterRecovery(tp, t);
      tcpCwndReduction(tp, t, 1, false);
    }
    tcpXmitRetransmitQueue(tp);
  }
}

/** tcp_init_cwnd_reduction(): PRR starts from the window as it is. */
function tcpInitCwndReduction(tp: TcpSock, t: TcpTx): void {
  t.highSeq = tp.sndNxt;
  t.cwndCnt = 0;
  t.priorCwnd = cwndSegs(tp);
  t.prrDelivered = 0;
  t.prrOut = 0;
  tp.ssthresh = tp.cc.ssthresh(tp);
}

/** tcp_enter_recovery(): a reduction already under way (CWR) carries on. */
function tcpEnterRecovery(tp: TcpSock, t: TcpTx): void {
  if (!tcpInCwndReduction(tp) && t.caState < CA_RECOVERY) tcpInitCwndReduction(tp, t);
  t.caState = CA_RECOVERY;
}

/**
 * tcp_enter_cwr(): a local congestion signal — the device's queue refused a segment
 * (NET_XMIT_DROP from __tcp_transmit_skb). Nothing is lost; the window comes down by PRR
 * until what was in flight is acknowledged (CA_CWR), once per window.
 */
export function tcpEnterCwr(tp: TcpSock): void {
  const t = tp.txw();
  if (t.caState >= CA_CWR) return;
  tcpInitCwndReduction(tp, t);
  t.caState = CA_CWR;
}

/**
 * An ACK in CWR (tcp_fastretrans_alert's exit test, tcp_cong_control's PRR): the window
 * comes down with what is delivered until something above high_seq is acknowledged, then
 * stays at ssthresh (tcp_end_cwnd_reduction). True while the reduction runs.
 */
export function tcpCwrAck(tp: TcpSock, t: TcpTx, delivered: number, unaAdvanced: boolean): boolean {
  if (t.caState !== CA_CWR) return false;
  if (after(tp.sndUna, t.highSeq)) {
    tp.cwnd = Math.max(tp.ssthresh, tp.mss);
    t.caState = CA_OPEN;
    return false;
  }
  tcpCwndReduction(tp, t, delivered, unaAdvanced);
  return true;
}

/** tcp_cwnd_reduction(): PRR — cwnd follows what is delivered, down to ssthresh. */
function tcpCwndReduction(tp: TcpSock, t: TcpTx, delivered: number, unaAdvanced: boolean): void {
  if (delivered <= 0 || !t.priorCwnd) return;
  const mss = Math.max(1, tp.mss);
  const ssthresh = Math.floor(tp.ssthresh / mss);
  const inflight = packetsInFlight(tp);
  const delta = ssthresh - inflight;
  t.prrDelivered += delivered;
  let sndcnt: number;
  if (delta < 0) sndcnt = Math.floor((ssthresh * t.prrDelivered + t.priorCwnd - 1) / t.priorCwnd) - t.prrOut;
  else {
    sndcnt = Math.max(t.prrDelivered - t.prrOut, delivered);
    if (unaAdvanced) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // A fast retransmit goes at once when recovery begins.
  sndcnt = Math.max(sndcnt, t.prrOut ? 0 : 1);
  tp.cwnd = (inflight + sndcnt) * mss;
}

/**
 * The SACK half of tcp_ack(): after the scoreboard and the cumulative ACK, RACK's loss
 * marks, the state (Open / Disorder / Recovery / Loss, tcp_fastretrans_alert), the window
 * (PRR in recovery, the congestion control otherwise) and the lost skbs sent again.
 * Returns false when the ordinary window growth should run (nothing to recover from).
 */
export function tcpSackRecovery(tp: TcpSock, delivered: number, ackedSegs: number, unaAdvanced: boolean): boolean {
  const t = tp.tx;
  rackMarkLost(tp, t);
  if (t.caState === CA_RECOVERY || t.caState === CA_LOSS) {
    if (!before(tp.sndUna, t.highSeq)) {
      // tcp_end_cwnd_reduction(): recovery ends with cwnd at ssthresh.
      if (t.caState === CA_RECOVERY && tp.ssthresh < 0x7fffffff) tp.cwnd = Math.max(tp.ssthresh, tp.mss);
      t.caState = CA_OPEN;
      return false;
    }
  } else if (t.lostOut > 0) tcpEnterRecovery(tp, t);
  else if (t.caState === CA_CWR) return tcpCwrAck(tp, t, delivered, unaAdvanced);
  else t.caState = t.sackedOut > 0 ? CA_DISORDER : CA_OPEN;
  if (t.caState === CA_RECOVERY) {
    tcpCwndReduction(tp, t, delivered, unaAdvanced);
    tcpXmitRetransmitQueue(tp);
    return true;
  }
  if (t.caState === CA_LOSS) {
    // Slow start in Loss: the window grows with what is delivered, lost skbs go first.
    if (ackedSegs > 0 || delivered > 0) tp.cc.congAvoid(tp, Math.max(ackedSegs, delivered) * tp.mss);
    tcpXmitRetransmitQueue(tp);
    return true;
  }
  return false;
}

/** tcp_xmit_retransmit_queue(): the lost skbs, in order, as far as cwnd allows. */
export function tcpXmitRetransmitQueue(tp: TcpSock): void {
  const t = tp.tx;
  const mss = sendMss(tp);
  const maxSegs = tcpTsoSegs(tp, mss);
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    const skb = tp.wq[i]!;
    const f = skb.flags;
    if (!(f & SKB_LOST) || f & (SKB_SACKED | SKB_RETRANS_OUT)) continue;
    const room = cwndSegs(tp) - packetsInFlight(tp);
    if (room <= 0) break;
    // (split off, the rest keeps its lost mark for the next round)
    if (!tcpRetransmitSkb(tp, i, Math.min(room, maxSegs), t.caState === CA_LOSS ? 'rto' : 'fast')) break;
    if (tcpInCwndReduction(tp)) t.prrOut += tp.wq[i]!.pcount;
  }
}

/**
 * tcp_enter_loss() with tcp_timeout_mark_lost(): an RTO — every skb not SACKed is lost
 * (but those sent within the last RACK RTT, the head aside), the window is what is in
 * flight plus one, and recovery runs until snd_una reaches snd_nxt.
 */
export function tcpEnterLoss(tp: TcpSock): void {
  const t = tp.txw();
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    const skb = tp.wq[i]!;
    if (skb.flags & SKB_SACKED) continue;
    if (i > 0 && t.rackRtt - (tp.now - skb.sentAt) > 0) continue;
    markLost(t, skb);
  }
  // A new ssthresh unless this timeout comes in the middle of a recovery (or a second in a row).
  if (t.caState <= CA_DISORDER || !after(t.highSeq, tp.sndUna) || (t.caState === CA_LOSS && tp.retries <= 1)) tp.ssthresh = tp.cc.ssthresh(tp);
  tp.cwnd = (packetsInFlight(tp) + 1) * Math.max(1, tp.mss);
  t.cwndCnt = 0;
  t.highSeq = tp.sndNxt;
  t.caState = CA_LOSS;
  tcpClearRecoveryTimers(t);
}

/** The head after an RTO with SACK: one segment of it again (tcp_retransmit_timer). */
export function tcpRetransmitLossHead(tp: TcpSock): void {
  if (tp.wq[0]) tcpRetransmitSkb(tp, 0, 1, 'rto');
}

/** The send side's recovery timer, off (tcp_done). */
export function tcpClearRecoveryTimers(t: TcpTx): void {
  if (!t.reoTimer) return;
  t.reoTimer.cancel();
  t.reoTimer = undefined;
}
