// SACK-based loss recovery: net/ipv4/tcp_input.c's state machine (tcp_fastretrans_alert(),
// tcp_process_loss() with F-RTO (RFC 5682), the undo heuristics tcp_try_undo_*(), PRR
// (tcp_cwnd_reduction(), RFC 6937), tcp_enter_loss(), tcp_sacktag_write_queue() with
// D-SACK (RFC 2883)); net/ipv4/tcp_recovery.c's RACK (RFC 8985) loss detection and its
// reordering timer; net/ipv4/tcp_output.c's tail loss probe (tcp_schedule_loss_probe(),
// tcp_send_loss_probe()) and tcp_xmit_retransmit_queue(). For connections that negotiated
// SACK; one without it keeps NewReno (tcp-input.ts). Not modelled: SACK reneging.
import type { TcpSock, TcpTx, TxSkb } from './tcp-sock';
import { CA_CWR, CA_DISORDER, CA_LOSS, CA_OPEN, CA_RECOVERY, SKB_LOST, SKB_RETRANS, SKB_RETRANS_OUT, SKB_SACKED, skbMark, tcpInCwndReduction } from './tcp-sock';
import { after, before, seqAdd, seqDiff } from './tcp-seq';
import { ICSK_TIME_LOSS_PROBE, ICSK_TIME_REO_TIMEOUT, ICSK_TIME_RETRANS, JIFFY_NS, restartRto, tcpResetXmitTimer, tcpRtoDelta } from './tcp-timer';
import { NAGLE_OFF, cwndSegs, packetsInFlight, sendMss, splitSkb, tcpPacingCheck, tcpRetransmitSkb, tcpTsoSegs, tcpWriteXmit, tsAt } from './tcp-output';
import type { RateSample } from './tcp-rate';
import { tcpRateSkbDelivered } from './tcp-rate';
import { tcpEcnQueueCwr } from './tcp-ecn';
import { TCP_RTO_MIN } from './tcp-rtt';
import { TCP_FIN } from '../wire/tcp';

/** net.ipv4.tcp_reordering: where tp->reordering starts. */
export const TCP_REORDERING = 3;
/** net.ipv4.tcp_max_reordering */
const TCP_MAX_REORDERING = 300;
/** TCP_TIMEOUT_MIN: 2 jiffies. */
const TCP_TIMEOUT_MIN = 2;
/** TCP_TIMEOUT_INIT in jiffies (1 s): a loss probe before any RTT sample. */
const TCP_TIMEOUT_INIT_JIFFIES = 250;

/** What an ACK did (tcp_ack()'s FLAG_* of net/ipv4/tcp_input.c). */
export const FLAG_DATA = 0x01;
export const FLAG_WIN_UPDATE = 0x02;
export const FLAG_DATA_ACKED = 0x04;
export const FLAG_RETRANS_DATA_ACKED = 0x08;
export const FLAG_SYN_ACKED = 0x10;
export const FLAG_DATA_SACKED = 0x20;
export const FLAG_ECE = 0x40;
export const FLAG_LOST_RETRANS = 0x80;
export const FLAG_ORIG_SACK_ACKED = 0x200;
export const FLAG_SND_UNA_ADVANCED = 0x400;
export const FLAG_DSACKING_ACK = 0x800;
export const FLAG_SET_XMIT_TIMER = 0x1000;
export const FLAG_DSACK_TLP = 0x20000;
export const FLAG_ACKED = FLAG_DATA_ACKED | FLAG_SYN_ACKED;
export const FLAG_NOT_DUP = FLAG_DATA | FLAG_WIN_UPDATE | FLAG_ACKED;
export const FLAG_CA_ALERT = FLAG_DATA_SACKED | FLAG_ECE | FLAG_DSACKING_ACK;
export const FLAG_FORWARD_PROGRESS = FLAG_ACKED | FLAG_DATA_SACKED;

/** What tcp_xmit_recovery() sends after the ACK: nothing, the lost skbs, or new data (F-RTO). */
export const REXMIT_NONE = 0;
export const REXMIT_LOST = 1;
export const REXMIT_NEW = 2;

const endOf = (skb: { seq: number; len: number; flags: number }): number => seqAdd(skb.seq, skb.len + (skb.flags & TCP_FIN ? 1 : 0));

/** tcp_skb_sent_after(): t1/seq1 sent after t2/seq2. */
const sentAfter = (t1: number, t2: number, seq1: number, seq2: number): boolean => t1 > t2 || (t1 === t2 && after(seq1, seq2));

/** The echoed timestamp of the ACK being processed (rx_opt.rcv_tsecr; 0 when none). */
const ecrOf = (tp: TcpSock): number => (tp.tsOk ? tp.rcvTsecr : 0);

/** tcp_tsopt_ecr_before(): the ACK echoes a TSval from before `when`. */
const ecrBefore = (tp: TcpSock, when: number): boolean => {
  const ecr = ecrOf(tp);
  return ecr !== 0 && before(ecr, when);
};

/** tcp_skb_spurious_retrans(): a retransmitted skb whose ACK echoes a time before it went
 * again — the original was what arrived. */
export const spuriousRetrans = (tp: TcpSock, skb: TxSkb): boolean => (skb.flags & SKB_RETRANS) !== 0 && ecrBefore(tp, tsAt(tp, skb.sentAt));

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

/** What one ACK's SACK blocks did (struct tcp_sacktag_state). */
export interface SackState {
  flag: number;
  /** Segments newly SACKed (and D-SACKed retransmissions: sack_delivered). */
  delivered: number;
  /** Send times of the first and last never-retransmitted skb newly SACKed (0: none). */
  firstSackt: number;
  lastSackt: number;
  /** The lowest sequence newly SACKed below what was SACKed before (reordering). */
  reord: number;
}

/** tcp_highest_sack_seq(): how far SACKs reach (snd_una without any). */
export const highestSackSeq = (tp: TcpSock): number => (tp.tx.sackedOut ? tp.tx.fack : tp.sndUna);

/**
 * tcp_check_dsack() with tcp_dsack_seen(): the first block is a D-SACK when it lies below
 * the cumulative ACK or inside the second block. A plausible one (no longer than the peer's
 * window, no more duplicates than we ever retransmitted) marks the ACK as D-SACKing; one for
 * data already acknowledged counts a retransmission shown spurious (undo_retrans).
 */
function tcpCheckDsack(tp: TcpSock, t: TcpTx, blocks: readonly [number, number][], ack: number, priorUna: number, st: SackState): boolean {
  const [l0, r0] = blocks[0]!;
  const start = l0 | 0;
  const end = r0 | 0;
  if (before(start, ack)) {
    // below the cumulative ACK
  } else if (blocks.length > 1) {
    const [l1, r1] = blocks[1]!;
    if (after(end, r1 | 0) || before(start, l1 | 0)) return false;
  } else return false;
  if (!before(start, end)) return false;
  const len = seqDiff(end, start);
  if (len > tp.maxWindow) return false;
  const mss = Math.max(1, tp.mss);
  let dup = 1;
  if (len > mss) dup = Math.ceil(len / mss);
  else if (t.tlpHighSeq !== undefined && t.tlpHighSeq === end) st.flag |= FLAG_DSACK_TLP;
  t.dsackDups += dup;
  if (t.dsackDups > t.totalRetrans) return false;
  // A D-SACK after reordering (not a loss probe's) may mean RACK's window is too small.
  if (t.reordSeen && !(st.flag & FLAG_DSACK_TLP)) t.rackDsackSeen = true;
  st.flag |= FLAG_DSACKING_ACK;
  st.delivered += dup;
  // D-SACK for data already forgotten: count it against the undo.
  if (t.undoMarker !== undefined && t.undoRetrans > 0 && !after(end, priorUna) && after(end, t.undoMarker)) t.undoRetrans = Math.max(0, t.undoRetrans - dup);
  return true;
}

/**
 * tcp_sacktag_write_queue(): the SACK blocks of an ACK (wire u32s) mark the skbs they cover
 * (split at the blocks' edges, tcp_sacktag_one()); a D-SACK block marks a retransmission it
 * covers as not in flight and counts it towards the undo.
 */
export function tcpSacktag(tp: TcpSock, blocks: readonly [number, number][] | undefined, ack: number, priorUna: number, rs?: RateSample): SackState {
  const t = tp.txw();
  const st: SackState = { flag: 0, delivered: 0, firstSackt: 0, lastSackt: 0, reord: tp.sndNxt };
  if (!blocks || !blocks.length) return st;
  const dsack = tcpCheckDsack(tp, t, blocks, ack, priorUna, st);
  const mss = sendMss(tp);
  const fack = highestSackSeq(tp);
  for (let b = 0; b < blocks.length; b++) {
    const l = blocks[b]![0] | 0;
    const r = blocks[b]![1] | 0;
    const dup = dsack && b === 0;
    if (!before(l, r) || after(r, tp.sndNxt) || !after(r, priorUna)) continue;
    if (!dup && !after(r, ack)) continue;
    for (let i = firstEndingAfter(tp, l); i < tp.sendHead && i < tp.wq.length; i++) {
      let skb = tp.wq[i]!;
      const end = endOf(skb);
      if (!after(end, l)) continue;
      if (!before(skb.seq, r)) break;
      if (dup) {
        // A D-SACK of an skb still queued: its retransmission was a duplicate.
        if (before(skb.seq, l) || after(end, r)) continue;
        if (skb.flags & SKB_RETRANS && t.undoMarker !== undefined && t.undoRetrans > 0 && after(end, t.undoMarker)) t.undoRetrans = Math.max(0, t.undoRetrans - skb.pcount);
        if (skb.flags & SKB_RETRANS_OUT) skbMark(t, skb, skb.flags & ~SKB_RETRANS_OUT);
        continue;
      }
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
      if (!after(endOf(skb), ack)) continue;
      const f = skb.flags;
      tcpRackAdvance(tp, t, f, endOf(skb), skb.sentAt);
      if (!(f & SKB_RETRANS)) {
        // A segment sent once, SACKed below what was SACKed before: reordering.
        if (before(skb.seq, fack) && before(skb.seq, st.reord)) st.reord = skb.seq;
        if (!after(endOf(skb), t.highSeq)) st.flag |= FLAG_ORIG_SACK_ACKED;
        if (!st.firstSackt) st.firstSackt = skb.sentAt;
        st.lastSackt = skb.sentAt;
      }
      // A retransmission still in flight keeps its mark unless it was taken for lost.
      const clear = f & SKB_RETRANS_OUT && !(f & SKB_LOST) ? SKB_LOST : SKB_LOST | SKB_RETRANS_OUT;
      skbMark(t, skb, (f | SKB_SACKED) & ~clear);
      if (rs) tcpRateSkbDelivered(tp, skb, rs, endOf(skb));
      st.flag |= FLAG_DATA_SACKED;
      st.delivered += skb.pcount;
      if (after(endOf(skb), t.fack) || !t.sackedOut) t.fack = endOf(skb);
    }
  }
  if (t.caState !== CA_LOSS || t.undoMarker !== undefined) tcpCheckSackReordering(tp, t, st.reord);
  return st;
}

/** tcp_check_sack_reordering(): data below the highest SACK arrived late — the peer's path
 * reorders by that many segments (tp->reordering grows), and RACK allows for it. */
export function tcpCheckSackReordering(tp: TcpSock, t: TcpTx, lowSeq: number): void {
  const fack = highestSackSeq(tp);
  if (!before(lowSeq, fack)) return;
  const mss = Math.max(1, tp.mss);
  const metric = seqDiff(fack, lowSeq);
  if (metric > t.reordering * mss) t.reordering = Math.min(Math.ceil(metric / mss), TCP_MAX_REORDERING);
  t.reordSeen = true;
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
 * recovery or with tp->reordering's worth SACKed; else a quarter of min_rtt. */
function rackReoWnd(tp: TcpSock, t: TcpTx): number {
  if (!t.reordSeen && (t.caState >= CA_RECOVERY || t.sackedOut >= t.reordering)) return 0;
  return Math.min(Math.floor(tp.rtt.minRtt / 4) * t.reoWndSteps, tp.rtt.srtt);
}

/** TCP_RACK_RECOVERY_THRESH: recoveries the grown window is kept for. */
const TCP_RACK_RECOVERY_THRESH = 16;

/**
 * tcp_rack_update_reo_wnd(): a D-SACK (at most once per round trip) grows RACK's
 * reordering window by a quarter of min_rtt, kept for 16 recoveries; then back to one.
 */
export function tcpRackUpdateReoWnd(tp: TcpSock, t: TcpTx, priorDelivered: number): void {
  if (!priorDelivered) return;
  if (((priorDelivered - t.rackLastDelivered) | 0) < 0) t.rackDsackSeen = false;
  if (t.rackDsackSeen) {
    t.reoWndSteps = Math.min(0xff, t.reoWndSteps + 1);
    t.rackDsackSeen = false;
    t.rackLastDelivered = t.delivered;
    t.reoWndPersist = TCP_RACK_RECOVERY_THRESH;
  } else if (!t.reoWndPersist) t.reoWndSteps = 1;
}

/** tcp_mark_skb_lost(): lost (counted in tp->lost); a lost retransmission is lost again. */
function markLost(t: TcpTx, skb: TxSkb): void {
  const f = skb.flags;
  if (f & SKB_SACKED) return;
  if (f & SKB_LOST) {
    // A retransmission lost again counts as a loss too (tcp_notify_skb_loss_event).
    if (f & SKB_RETRANS_OUT) {
      skbMark(t, skb, f & ~SKB_RETRANS_OUT);
      t.lost += skb.pcount;
    }
    return;
  }
  skbMark(t, skb, f | SKB_LOST);
  t.lost += skb.pcount;
}

/**
 * tcp_rack_detect_loss(): every skb sent before the most recently delivered one, and not
 * delivered within its RTT plus the reordering window, is lost; returns how long (ns) the
 * next one still has, 0 when none waits.
 */
function rackDetectLoss(tp: TcpSock, t: TcpTx): number {
  const reo = rackReoWnd(tp, t);
  let wait = 0;
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    const skb = tp.wq[i]!;
    const f = skb.flags;
    if (f & SKB_SACKED || (f & SKB_LOST && !(f & SKB_RETRANS_OUT))) continue;
    if (!sentAfter(t.rackMstamp, skb.sentAt, t.rackEndSeq, endOf(skb))) {
      // Sent once and after the delivered one: so was everything behind it (the walk of
      // Linux's tsorted_sent_queue stops here too).
      if (!(f & SKB_RETRANS)) break;
      continue;
    }
    const remaining = t.rackRtt + reo - (tp.now - skb.sentAt);
    if (remaining <= 0) markLost(t, skb);
    else wait = Math.max(wait, remaining);
  }
  return wait;
}

/** tcp_rack_mark_lost(): after a delivery moved RACK on; arms the reordering timer (the
 * retransmission timer's ICSK_TIME_REO_TIMEOUT, at most an RTO away) for what may still
 * arrive. True when it did. */
function rackMarkLost(tp: TcpSock, t: TcpTx): boolean {
  if (!t.rackAdvanced) return false;
  t.rackAdvanced = false;
  const wait = rackDetectLoss(tp, t);
  if (wait <= 0) return false;
  const jiffies = Math.ceil(wait / JIFFY_NS) + TCP_TIMEOUT_MIN;
  tcpResetXmitTimer(tp, ICSK_TIME_REO_TIMEOUT, Math.min(jiffies, Math.ceil(tp.rtt.rto / JIFFY_NS)));
  return true;
}

/** tcp_rack_reo_timeout(): the reordering window ran out. */
export function tcpRackReoTimeout(tp: TcpSock): void {
  const t = tp.tx;
  const lost = t.lost;
  const prior = packetsInFlight(tp);
  rackDetectLoss(tp, t);
  if (prior !== packetsInFlight(tp)) {
    if (t.caState !== CA_RECOVERY) {
      tcpEnterRecovery(tp, t, false);
      if (!tp.cc.congControl) tcpCwndReduction(tp, t, 1, t.lost - lost, 0);
    }
    tcpXmitRetransmitQueue(tp);
  }
  if (!tp.rtoTimer?.pending || t.xmitPending) restartRto(tp);
}

/** tcp_current_ssthresh(): the ssthresh to go back to — in a reduction, the reduction's;
 * else at least three quarters of the window. */
function tcpCurrentSsthresh(tp: TcpSock): number {
  if (tcpInCwndReduction(tp)) return tp.ssthresh;
  const c = cwndSegs(tp);
  return Math.max(tp.ssthresh, ((c >> 1) + (c >> 2)) * Math.max(1, tp.mss));
}

/** tcp_init_undo(): a reduction begins that may prove needless. */
function tcpInitUndo(tp: TcpSock, t: TcpTx): void {
  t.undoMarker = tp.sndUna;
  t.undoRetrans = t.retransOut || -1;
}

/** tcp_init_cwnd_reduction(): PRR starts from the window as it is. */
function tcpInitCwndReduction(tp: TcpSock, t: TcpTx): void {
  t.highSeq = tp.sndNxt;
  t.tlpHighSeq = undefined;
  t.cwndCnt = 0;
  t.priorCwnd = cwndSegs(tp);
  t.prrDelivered = 0;
  t.prrOut = 0;
  tp.ssthresh = tp.cc.ssthresh(tp);
  tcpEcnQueueCwr(tp);
}

/** tcp_enter_recovery(): fast recovery; a reduction already under way (CWR) carries on. */
function tcpEnterRecovery(tp: TcpSock, t: TcpTx, ece: boolean): void {
  t.priorSsthresh = 0;
  tcpInitUndo(tp, t);
  if (!tcpInCwndReduction(tp)) {
    if (!ece) t.priorSsthresh = tcpCurrentSsthresh(tp);
    tcpInitCwndReduction(tp, t);
  }
  t.caState = CA_RECOVERY;
}

/**
 * tcp_enter_cwr(): a local congestion signal — the device's queue refused a segment
 * (NET_XMIT_DROP from __tcp_transmit_skb). Nothing is lost; the window comes down by PRR
 * until what was in flight is acknowledged (CA_CWR), once per window, with no undo.
 */
export function tcpEnterCwr(tp: TcpSock): void {
  const t = tp.txw();
  t.priorSsthresh = 0;
  if (t.caState >= CA_CWR) return;
  t.undoMarker = undefined;
  tcpInitCwndReduction(tp, t);
  t.caState = CA_CWR;
}

/**
 * An ACK in CWR on a connection without SACK (tcp_fastretrans_alert's exit test,
 * tcp_cong_control's PRR): the window comes down with what is delivered until something
 * above high_seq is acknowledged, then stays at ssthresh. True while the reduction runs.
 */
export function tcpCwrAck(tp: TcpSock, t: TcpTx, delivered: number, unaAdvanced: boolean): boolean {
  if (t.caState !== CA_CWR) return false;
  if (after(tp.sndUna, t.highSeq)) {
    tcpEndCwndReduction(tp, t);
    t.caState = CA_OPEN;
    return false;
  }
  tcpCwndReduction(tp, t, delivered, 0, unaAdvanced ? FLAG_SND_UNA_ADVANCED : 0);
  return true;
}

/** tcp_cwnd_reduction(): PRR — cwnd follows what is delivered, down to ssthresh. */
export function tcpCwndReduction(tp: TcpSock, t: TcpTx, delivered: number, newlyLost: number, flag: number): void {
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
    if (flag & FLAG_SND_UNA_ADVANCED && !newlyLost) sndcnt++;
    sndcnt = Math.min(delta, sndcnt);
  }
  // A fast retransmit goes at once when recovery begins.
  sndcnt = Math.max(sndcnt, t.prrOut ? 0 : 1);
  tp.cwnd = (inflight + sndcnt) * mss;
}

/** tcp_end_cwnd_reduction(): CWR or a recovery not undone ends with cwnd at ssthresh. */
function tcpEndCwndReduction(tp: TcpSock, t: TcpTx): void {
  if (tp.cc.congControl) return;
  if (tp.ssthresh < 0x7fffffff && (t.caState === CA_CWR || t.undoMarker !== undefined)) tp.cwnd = Math.max(tp.ssthresh, tp.mss);
}

// ---- undo (spurious retransmissions) ----

/** tcp_any_retrans_done(): a retransmission in flight, or the head ever sent again. */
function anyRetransDone(tp: TcpSock, t: TcpTx): boolean {
  return t.retransOut > 0 || (tp.sendHead > 0 && (tp.wq[0]!.flags & SKB_RETRANS) !== 0);
}

/** tcp_packet_delayed(): the ACK echoes a time before the first retransmission — what
 * arrived was the original. */
const packetDelayed = (tp: TcpSock, t: TcpTx): boolean => t.retransStamp !== undefined && ecrBefore(tp, t.retransStamp);

/** tcp_may_undo(): no retransmission was needed (all D-SACKed), or the original arrived. */
const mayUndo = (tp: TcpSock, t: TcpTx): boolean => t.undoMarker !== undefined && (t.undoRetrans === 0 || packetDelayed(tp, t));

/** tcp_undo_cwnd_reduction(): cwnd and ssthresh as before the reduction (the congestion
 * control's undo_cwnd: Reno's and CUBIC's, the larger of now and before); with
 * `unmarkLoss` nothing is taken for lost any more. */
function tcpUndoCwndReduction(tp: TcpSock, t: TcpTx, unmarkLoss: boolean): void {
  if (unmarkLoss) {
    for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
      const skb = tp.wq[i]!;
      if (skb.flags & SKB_LOST) skbMark(t, skb, skb.flags & ~SKB_LOST);
    }
  }
  if (t.priorSsthresh) {
    tp.cwnd = tp.cc.undoCwnd ? tp.cc.undoCwnd(tp) : Math.max(tp.cwnd, t.priorCwnd * Math.max(1, tp.mss));
    if (t.priorSsthresh > tp.ssthresh) tp.ssthresh = t.priorSsthresh;
  }
  t.undoMarker = undefined;
  t.rackAdvanced = true;
}

/** tcp_try_undo_recovery(): recovery (or loss) ends; undone if it proved needless. */
function tcpTryUndoRecovery(tp: TcpSock, t: TcpTx): void {
  if (mayUndo(tp, t)) tcpUndoCwndReduction(tp, t, false);
  else if (t.reoWndPersist) t.reoWndPersist--;
  t.caState = CA_OPEN;
}

/** tcp_try_undo_dsack(): D-SACKs showed every retransmission a duplicate. */
function tcpTryUndoDsack(tp: TcpSock, t: TcpTx): boolean {
  if (t.undoMarker !== undefined && t.undoRetrans === 0) {
    t.reoWndPersist = Math.min(TCP_RACK_RECOVERY_THRESH, t.reoWndPersist + 1);
    tcpUndoCwndReduction(tp, t, false);
    return true;
  }
  return false;
}

/** tcp_try_undo_loss(): after a timeout, a partial ACK or F-RTO shows it spurious. */
function tcpTryUndoLoss(tp: TcpSock, t: TcpTx, frtoUndo: boolean): boolean {
  if (!frtoUndo && !mayUndo(tp, t)) return false;
  tcpUndoCwndReduction(tp, t, true);
  tp.retries = 0;
  t.caState = CA_OPEN;
  return true;
}

/** tcp_try_undo_partial(): in recovery, a partial ACK echoing a time before the
 * retransmission: the hole was filled by a delayed original (reordering). */
function tcpTryUndoPartial(tp: TcpSock, t: TcpTx, priorUna: number): boolean {
  if (t.undoMarker !== undefined && packetDelayed(tp, t)) {
    tcpCheckSackReordering(tp, t, priorUna);
    if (t.retransOut) return true;
    if (!anyRetransDone(tp, t)) t.retransStamp = undefined;
    tcpUndoCwndReduction(tp, t, true);
    tcpTryKeepOpen(tp, t);
  }
  return false;
}

/** tcp_try_keep_open(): Open, or Disorder while something is SACKed, lost or sent again. */
function tcpTryKeepOpen(tp: TcpSock, t: TcpTx): void {
  const state = t.sackedOut + t.lostOut || anyRetransDone(tp, t) ? CA_DISORDER : CA_OPEN;
  if (t.caState !== state) {
    t.caState = state;
    t.highSeq = tp.sndNxt;
  }
}

/** tcp_try_to_open() */
function tcpTryToOpen(tp: TcpSock, t: TcpTx, flag: number): void {
  if (!anyRetransDone(tp, t)) t.retransStamp = undefined;
  if (flag & FLAG_ECE) tcpEnterCwr(tp);
  if (t.caState !== CA_CWR) tcpTryKeepOpen(tp, t);
}

// ---- the state machine ----

/** tcp_process_loss(): an ACK after a timeout — undo if it was spurious (F-RTO, timestamps),
 * new data first while F-RTO waits to tell, else the lost skbs again. */
function tcpProcessLoss(tp: TcpSock, t: TcpTx, flag: number, numDupack: number): number {
  const recovered = !before(tp.sndUna, t.highSeq);
  if (flag & FLAG_SND_UNA_ADVANCED && tcpTryUndoLoss(tp, t, false)) return REXMIT_NONE;
  if (t.frto) {
    // RFC 5682 3.1 step 3.b: never-retransmitted data (S)ACKed — the timeout was spurious.
    if (flag & FLAG_ORIG_SACK_ACKED && tcpTryUndoLoss(tp, t, true)) return REXMIT_NONE;
    if (after(tp.sndNxt, t.highSeq)) {
      // step 3.a: the new data did not get through alone — the loss was real.
      if (flag & FLAG_DATA_SACKED || numDupack) t.frto = false;
    } else if (flag & FLAG_SND_UNA_ADVANCED && !recovered) {
      t.highSeq = tp.sndNxt;
      // step 2.b: send new data rather than retransmit, if there is any and room for it.
      if (tp.sendHead < tp.wq.length && after(seqAdd(tp.sndUna, tp.sndWnd), tp.sndNxt)) return REXMIT_NEW;
      t.frto = false;
    }
  }
  if (recovered) {
    tcpTryUndoRecovery(tp, t);
    return REXMIT_NONE;
  }
  return REXMIT_LOST;
}

/** tcp_identify_packet_loss(): RACK; the xmit timer is left alone when RACK armed it. */
function tcpIdentifyPacketLoss(tp: TcpSock, t: TcpTx, flag: number): number {
  if (!tp.sendHead) return flag;
  const priorRetrans = t.retransOut;
  if (rackMarkLost(tp, t)) flag &= ~FLAG_SET_XMIT_TIMER;
  if (priorRetrans > t.retransOut) flag |= FLAG_LOST_RETRANS;
  return flag;
}

/**
 * tcp_fastretrans_alert(): an ACK that is not plain progress (or any ACK outside Open): the
 * state's exit test (recovery over at high_seq, undo), then the state's work; returns the
 * ACK's flags (RACK may clear FLAG_SET_XMIT_TIMER) and what tcp_xmit_recovery() sends.
 */
export function tcpFastretransAlert(tp: TcpSock, priorUna: number, numDupack: number, flag: number): { flag: number; rexmit: number } {
  const t = tp.tx;
  const ece = (flag & FLAG_ECE) !== 0;
  if (!t.packetsOut && t.sackedOut) t.sackedOut = 0;
  if (ece) t.priorSsthresh = 0;
  // D. Leave the state once high_seq is acknowledged.
  if (t.caState === CA_OPEN) t.retransStamp = undefined;
  else if (!before(tp.sndUna, t.highSeq)) {
    if (t.caState === CA_CWR) {
      if (tp.sndUna !== t.highSeq) {
        tcpEndCwndReduction(tp, t);
        t.caState = CA_OPEN;
      }
    } else if (t.caState === CA_RECOVERY) {
      tcpTryUndoRecovery(tp, t);
      tcpEndCwndReduction(tp, t);
    }
  }
  // E. The state's work.
  const state: number = t.caState;
  if (state === CA_RECOVERY) {
    if (flag & FLAG_SND_UNA_ADVANCED && tcpTryUndoPartial(tp, t, priorUna)) return { flag, rexmit: REXMIT_NONE };
    if (tcpTryUndoDsack(tp, t)) tcpTryKeepOpen(tp, t);
    flag = tcpIdentifyPacketLoss(tp, t, flag);
    if ((t.caState as number) !== CA_RECOVERY) {
      if (!t.lostOut) return { flag, rexmit: REXMIT_NONE };
      tcpEnterRecovery(tp, t, ece);
    }
    return { flag, rexmit: REXMIT_LOST };
  }
  if (state === CA_LOSS) {
    const rexmit = tcpProcessLoss(tp, t, flag, numDupack);
    flag = tcpIdentifyPacketLoss(tp, t, flag);
    // Unless the timeout's reduction was undone, or retransmissions were lost again, the
    // state stays.
    if (!((t.caState as number) === CA_OPEN || flag & FLAG_LOST_RETRANS)) return { flag, rexmit };
  }
  if ((t.caState as number) <= CA_DISORDER) tcpTryUndoDsack(tp, t);
  flag = tcpIdentifyPacketLoss(tp, t, flag);
  if (!t.lostOut) {
    tcpTryToOpen(tp, t, flag);
    return { flag, rexmit: REXMIT_NONE };
  }
  tcpEnterRecovery(tp, t, ece);
  return { flag, rexmit: REXMIT_LOST };
}

/** tcp_process_tlp_ack(): the ACK after a loss probe tells whether something was lost:
 * if so (the ACK covers the probe and more), a reduction as for one loss. */
export function tcpProcessTlpAck(tp: TcpSock, ack: number, flag: number): void {
  const t = tp.tx;
  if (t.tlpHighSeq === undefined || before(ack, t.tlpHighSeq)) return;
  if (!t.tlpRetrans) t.tlpHighSeq = undefined;
  else if (flag & FLAG_DSACK_TLP) t.tlpHighSeq = undefined;
  else if (after(ack, t.tlpHighSeq)) {
    tcpInitCwndReduction(tp, t);
    t.caState = CA_CWR;
    tcpEndCwndReduction(tp, t);
    tcpTryKeepOpen(tp, t);
  } else if (!(flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DATA_SACKED))) t.tlpHighSeq = undefined;
}

/** tcp_cong_control() without a cong_control op: PRR in a reduction, else the congestion
 * control's growth when the ACK delivered in order (tcp_may_raise_cwnd). */
export function tcpCongControl(tp: TcpSock, delivered: number, newlyLost: number, flag: number, cwndLimited: boolean): void {
  const t = tp.tx;
  if (tcpInCwndReduction(tp)) tcpCwndReduction(tp, t, delivered, newlyLost, flag);
  else if (flag & (t.reordering > TCP_REORDERING ? FLAG_FORWARD_PROGRESS : FLAG_DATA_ACKED) && cwndLimited) tp.cc.congAvoid(tp, delivered * tp.mss);
}

/** tcp_xmit_recovery(): what the ACK's recovery wants sent, after the window is updated. */
export function tcpXmitRecovery(tp: TcpSock, rexmit: number): void {
  if (rexmit === REXMIT_NONE) return;
  const t = tp.tx;
  if (rexmit === REXMIT_NEW) {
    tcpWriteXmit(tp, tp.nonagleBits | NAGLE_OFF);
    if (after(tp.sndNxt, t.highSeq)) return;
    t.frto = false;
  }
  tcpXmitRetransmitQueue(tp);
}

/** tcp_xmit_retransmit_queue(): the lost skbs, in order, as far as cwnd allows (and while
 * fewer are out again than are lost); the RTO restarts when the head went. */
export function tcpXmitRetransmitQueue(tp: TcpSock): void {
  const t = tp.tx;
  if (!t.packetsOut) return;
  const mss = sendMss(tp);
  const maxSegs = tcpTsoSegs(tp, mss);
  let rearm = false;
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    if (tcpPacingCheck(tp)) break;
    const room = cwndSegs(tp) - packetsInFlight(tp);
    if (room <= 0) break;
    if (t.retransOut >= t.lostOut) break;
    const f = tp.wq[i]!.flags;
    if (!(f & SKB_LOST) || f & (SKB_SACKED | SKB_RETRANS_OUT)) continue;
    // (split off, the rest keeps its lost mark for the next round)
    if (!tcpRetransmitSkb(tp, i, Math.min(room, maxSegs), t.caState === CA_LOSS ? 'rto' : 'fast')) break;
    if (tcpInCwndReduction(tp)) t.prrOut += tp.wq[i]!.pcount;
    if (i === 0 && t.xmitPending !== ICSK_TIME_REO_TIMEOUT) rearm = true;
  }
  if (rearm) tcpResetXmitTimer(tp, ICSK_TIME_RETRANS, Math.ceil(tp.rtt.rto / JIFFY_NS));
}

/**
 * tcp_enter_loss() with tcp_timeout_mark_lost(): an RTO — every skb not SACKed is lost
 * (but those sent within the last RACK RTT, the head aside), ssthresh comes down unless
 * this window already had its reduction, cwnd is what is in flight plus one, and F-RTO
 * watches whether the timeout was spurious.
 */
export function tcpEnterLoss(tp: TcpSock): void {
  const t = tp.txw();
  const newRecovery = t.caState < CA_RECOVERY;
  for (let i = 0; i < tp.sendHead && i < tp.wq.length; i++) {
    const skb = tp.wq[i]!;
    if (skb.flags & SKB_SACKED) continue;
    if (i > 0 && t.rackRtt - (tp.now - skb.sentAt) > 0) continue;
    markLost(t, skb);
  }
  if (t.caState <= CA_DISORDER || !after(t.highSeq, tp.sndUna) || (t.caState === CA_LOSS && !tp.retries)) {
    t.priorSsthresh = tcpCurrentSsthresh(tp);
    t.priorCwnd = cwndSegs(tp);
    tp.ssthresh = tp.cc.ssthresh(tp);
    tcpInitUndo(tp, t);
  }
  tp.cwnd = (packetsInFlight(tp) + 1) * Math.max(1, tp.mss);
  t.cwndCnt = 0;
  if (t.caState <= CA_DISORDER && t.sackedOut >= TCP_REORDERING) t.reordering = Math.min(t.reordering, TCP_REORDERING);
  t.caState = CA_LOSS;
  // ->set_state(TCP_CA_Loss): CUBIC starts over.
  tp.cc.onLoss?.(tp);
  t.highSeq = tp.sndNxt;
  tcpEcnQueueCwr(tp);
  t.frto = tp.env.sysctl.tcpFrto !== 0 && (newRecovery || tp.retries > 0);
}

/** The head after an RTO with SACK: one segment of it again (tcp_retransmit_timer). */
export function tcpRetransmitLossHead(tp: TcpSock): void {
  if (tp.wq[0]) tcpRetransmitSkb(tp, 0, 1, 'rto');
}

// ---- tail loss probe (RACK-TLP, RFC 8985 7) ----

/**
 * tcp_schedule_loss_probe(): with data in flight in Open or CWR, a probe after two RTTs
 * (plus tcp_rto_min with a single segment out, for a delayed ACK), sooner than the RTO
 * would fire; the retransmission timer is armed for it (ICSK_TIME_LOSS_PROBE).
 */
export function tcpScheduleLossProbe(tp: TcpSock, advancingRto: boolean): boolean {
  const t = tp.tx;
  const er = tp.env.sysctl.tcpEarlyRetrans;
  if ((er !== 3 && er !== 4) || !t.packetsOut || !tp.sackOk || (t.caState !== CA_OPEN && t.caState !== CA_CWR)) return false;
  let timeout: number;
  if (tp.rtt.srttUs8) {
    timeout = Math.ceil((tp.rtt.srttUs8 >> 2) / (JIFFY_NS / 1000));
    timeout += t.packetsOut === 1 ? Math.round(TCP_RTO_MIN / JIFFY_NS) : TCP_TIMEOUT_MIN;
  } else timeout = TCP_TIMEOUT_INIT_JIFFIES;
  const rtoDelta = advancingRto ? tp.rtt.rto : tcpRtoDelta(tp);
  if (rtoDelta > 0) timeout = Math.min(timeout, Math.ceil(rtoDelta / JIFFY_NS));
  tcpResetXmitTimer(tp, ICSK_TIME_LOSS_PROBE, timeout);
  return true;
}

/** tcp_set_xmit_timer(): after an ACK of new data, the loss probe, or else the RTO. */
export function tcpSetXmitTimer(tp: TcpSock): void {
  if (!tcpScheduleLossProbe(tp, true)) restartRto(tp);
}

/**
 * tcp_send_loss_probe(): the probe timeout fired — one new segment if the window takes it,
 * else the last segment sent goes again (its last MSS); at most one probe outstanding
 * (tlp_high_seq). Then the RTO, afresh.
 */
export function tcpSendLossProbe(tp: TcpSock): void {
  const t = tp.tx;
  let sent = false;
  if (t.tlpHighSeq === undefined) {
    t.tlpRetrans = false;
    const mss = sendMss(tp);
    const head = tp.wq[tp.sendHead];
    const wndEnd = seqAdd(tp.sndUna, tp.sndWnd);
    if (head && !after(seqAdd(head.seq, Math.min(head.len, mss)), wndEnd)) {
      const before = t.packetsOut;
      tcpWriteXmit(tp, NAGLE_OFF, 2);
      sent = t.packetsOut > before;
    } else if (tp.sendHead > 0) {
      let i = tp.sendHead - 1;
      let skb = tp.wq[i]!;
      if (skb.pcount > 1 && skb.len > (skb.pcount - 1) * mss) {
        splitSkb(tp, i, (skb.pcount - 1) * mss);
        i++;
        skb = tp.wq[i]!;
      }
      sent = tcpRetransmitSkb(tp, i, 1, 'tlp');
      t.tlpRetrans = sent;
    } else {
      t.xmitPending = 0;
      return;
    }
    if (sent) {
      t.tlpHighSeq = tp.sndNxt;
      t.xmitPending = 0;
    }
  }
  restartRto(tp);
}
