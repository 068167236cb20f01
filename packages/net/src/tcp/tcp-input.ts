// Segments in (net/ipv4/tcp_input.c): tcp_rcv_state_process() and tcp_rcv_established()
// with tcp_validate_incoming() (acceptability, PAWS, RST, SYN), tcp_ack() (NewReno with
// fast retransmit, RTT samples, the peer's window), tcp_data_queue() (in order, out of
// order, zero window, delayed ACKs), tcp_fin(), tcp_rcv_synsent_state_process(),
// tcp_conn_request() for a listener, and tcp_reset().
import type { ErrnoCode } from '@bpfsim/isa';
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_OPS } from '../bpf/sock-ops';
import { SK_RST_REASON, traceReceiveReset } from '../bpf/tracepoints';
import type { IpAddr } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../wire/tcp';
import type { RcvSpace, SackRx, TcpSock } from './tcp-sock';
import { CA_OPEN, F_ECN_OK, F_NOSPACE, F_SYNCOOKIE, NO_DATA, NO_SKBS, NO_TX, RxQueue, SKB_RETRANS, SKB_SACKED, TCP_INIT_CWND, TCP_MIN_MSS, TCP_MSS_DEFAULT, rbufAppend, sbufConsume, skbAccount, tcpMssClamp } from './tcp-sock';
import { SKB_TRUESIZE_OVERHEAD } from './tcp';
import { after, before, beforeEq, seqAdd, seqDiff } from './tcp-seq';
import { tcpCallBpf, tcpInitCallbacks } from './tcp-sock-ops';
import { TCP_RTO_INIT } from './tcp-rtt';
import { TCPOLEN_TSTAMP_ALIGNED, cwndSegs, packetsInFlight, sendMss, tcpFullSpace, tcpIsCwndLimited, tcpReceiveWindow, tcpRetransmitHead, tcpSelectInitialWindow, tcpSelectWindowRaw, tcpSendAck, tcpSendRst, tcpSendSyn, tcpSpace, tcpUpdatePacingRate, tcpWinFromSpace, tcpWriteXmit, tsVal } from './tcp-output';
import { HZ, ICSK_ACK_NOW, ICSK_TIME_RETRANS, tcpResetXmitTimer, ICSK_ACK_PUSHED, ICSK_ACK_PUSHED2, TCP_ATO_MIN, TCP_MAX_QUICKACKS, ackScheduled, armFinWait2, armRto, restartRto, resetKeepalive, scheduleAck, stopRto, tcpEnterQuickackMode, tcpIncrQuickack, tcpSendDelayedAck } from './tcp-timer';
import { keepalive, tcpAbort, tcpDone, tcpFail, tcpSetState } from './tcp';
import { reqskQueueAdded, reqskQueueLen, reqskQueueRemoved, tcpCreateOpenreqChild, tcpTimeWait } from './tcp-minisocks';
import type { SackState } from './tcp-recovery';
import type { RateSample } from './tcp-rate';
import { newRateSample, tcpRateGen, tcpRateSkbDelivered } from './tcp-rate';
import { tcpEcnAcceptCwr, tcpEcnCheckCe, tcpEcnCreateRequest, tcpEcnRcvEcnEcho, tcpEcnRcvSynack } from './tcp-ecn';
import { FLAG_CA_ALERT, FLAG_DATA, FLAG_ECE, tcpEnterCwr, FLAG_DATA_ACKED, FLAG_DSACKING_ACK, FLAG_NOT_DUP, FLAG_ORIG_SACK_ACKED, FLAG_RETRANS_DATA_ACKED, FLAG_SET_XMIT_TIMER, FLAG_SND_UNA_ADVANCED, FLAG_WIN_UPDATE, REXMIT_NONE, highestSackSeq, spuriousRetrans, tcpRackUpdateReoWnd, tcpCheckSackReordering, tcpCongControl, tcpCwrAck, tcpFastretransAlert, tcpProcessTlpAck, tcpRackAdvance, tcpSacktag, tcpSetXmitTimer, tcpXmitRecovery } from './tcp-recovery';

const S = TCP_STATE;
/** MAX_SKB_FRAGS (CONFIG_MAX_SKB_FRAGS): how many segments one skb coalesces. */
const MAX_SKB_FRAGS = 17;
/** TCP_FASTRETRANS_THRESH: duplicate ACKs sent at once before SACK compression holds them. */
const TCP_FASTRETRANS_THRESH = 3;
/** What a received skb costs beyond its payload (skb->truesize - len), as measured on this
 * machine's lo: the window fields of the wire traces fit 840 (the scaling_ratio a 1448-byte
 * segment gives, 162/256). */
export const RX_TRUESIZE_OVERHEAD = 840;
/** MAX_TCP_HEADER + SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) and
 * SKB_DATA_ALIGN(sizeof(struct sk_buff)) as tcp_sndbuf_expand counts them (46080 bytes of
 * send buffer after a connect with MSS 1460, as this machine gives). */
const SKB_HEAD_OVERHEAD = 576;
const SKB_STRUCT = 256;

/** Marks a FIN's position in the out-of-order queue. */
const FIN_MARK = new Uint8Array(0);
const NO_SEGMENTS: ReadonlyMap<number, Uint8Array> = new Map();

/**
 * The socket's half of tcp_v4_rcv(): tcp_rcv_state_process() / tcp_rcv_established().
 * `dst` is the segment's destination address (a listener's child takes it), `twIsn` the ISN
 * a TIME_WAIT socket handed to this SYN (TCP_SKB_CB()->tcp_tw_isn).
 */
export function tcpRcv(tp: TcpSock, seg: TcpSegment, src: IpAddr, dst: IpAddr, twIsn: number | undefined, ecn = 0): void {
  if (tp.state === S.TCP_LISTEN) return tcpConnRequest(tp, seg, src, dst, twIsn, ecn);
  if (tp.state === S.TCP_SYN_SENT) return synSentInput(tp, seg);
  if (tp.state === S.TCP_CLOSE) return;
  tp.segsIn++;
  const seq = seg.seq | 0;
  const ack = seg.ack | 0;
  if (tp.ka) {
    // tcp_ack(): rcv_tstamp = now, icsk_probes_out = 0.
    tp.ka.lastRcv = tp.now;
    if (seg.flags & TCP_ACK) tp.ka.probesOut = 0;
  }
  const len = seg.payload.length + (seg.flags & TCP_FIN ? 1 : 0);
  // Acceptability (RFC 793): the segment overlaps the receive window.
  const wnd = tcpReceiveWindow(tp);
  // tcp_sequence(): acceptable unless it ends before rcv_wup (wholly old: what our last ACK
  // already covered) or starts past the window. A retransmission of data we have but have
  // not yet ACKed since is accepted: its timestamp becomes the one to echo.
  const acceptable = !before(seqAdd(seq, len), tp.rcvWup) && !before(seqAdd(tp.rcvNxt, wnd), seq);
  // tcp_validate_incoming(): PAWS first (RFC 7323 5). A segment whose TSval is older than
  // ts_recent by more than TCP_PAWS_WINDOW (1) is an old duplicate: dropped with a
  // duplicate ACK, unless it is a RST, or a pure ACK that merely arrived out of order
  // (tcp_disordered_ack: nothing new, within about an RTO of ts_recent).
  const pawsRejected = tp.tsOk && !!seg.options.ts && !(seg.flags & TCP_RST) && pawsReject(tp, seg, seq, ack);
  // tcp_check_req(): a pure retransmission of the SYN gets the SYN-ACK again
  // (inet_rtx_syn_ack), at most one each 500 ms, and the SYN-ACK timer starts over.
  if (tp.state === S.TCP_SYN_RECV && seg.flags === TCP_SYN && seq === seqAdd(tp.irs, -1) && !pawsRejected) {
    // (ts_recent stays the first SYN's: the SYN-ACK echoes it again)
    // A syncookie child has no request: the listener answers each SYN with the cookie again.
    if (tp.bits & F_SYNCOOKIE) tcpRetransmitHead(tp, 'synack');
    else if (!tcpOowRateLimited(tp, seg)) {
      tcpRetransmitHead(tp, 'synack');
      if (tp.rtoTimer?.pending) {
        stopRto(tp);
        armRto(tp);
      }
    }
    return;
  }
  if (pawsRejected) {
    if (!tcpOowRateLimited(tp, seg)) tcpSendDupack(tp, seg, seq, len);
    return;
  }
  if (seg.flags & TCP_RST) {
    // RFC 5961-ish: only an in-window RST resets.
    if (acceptable || seq === tp.rcvNxt) tcpReset(tp);
    return;
  }
  if (!acceptable) {
    if (!tcpOowRateLimited(tp, seg)) tcpSendDupack(tp, seg, seq, len);
    return;
  }
  if (seg.flags & TCP_SYN && tp.state !== S.TCP_SYN_RECV) {
    // A SYN in the window: challenge ACK (RFC 5961).
    tcpSendAck(tp);
    return;
  }
  // tcp_replace_ts_recent(): the TSval of a segment that starts at or before the last
  // ACK we sent (rcv_wup) is the one to echo (RFC 7323 4.3). rcv_wup is rcv_nxt unless
  // data came in since that ACK (a delayed ACK is pending); an old segment starts before.
  // (tcp_replace_ts_recent: only forward, tcp_paws_check(rx_opt, 0), so a duplicate or a
  // reordered old segment never makes us echo an older TSval.)
  if (tp.tsOk && seg.options.ts && beforeEq(seq, tp.rcvWup) && seqDiff(seg.options.ts[0] | 0, tp.tsRecent) >= 0) tp.tsRecent = seg.options.ts[0] | 0;
  if (tp.tsOk && seg.options.ts) tp.rcvTsecr = seg.options.ts[1] | 0;
  if (!(seg.flags & TCP_ACK)) return;
  if (tp.state === S.TCP_SYN_RECV) {
    if (!(beforeEq(tp.sndUna, ack) && beforeEq(ack, tp.sndNxt))) {
      tcpSendRst(tp, ack);
      return;
    }
    // tcp_check_req() → tcp_v4_syn_recv_sock(): with the accept queue full
    // (sk_acceptq_is_full, LINUX_MIB_LISTENOVERFLOWS) no child is made. The ACK is dropped
    // and the request marked ACKed (inet_rsk(req)->acked): its SYN-ACK timer goes on, and
    // the peer's answer to the next SYN-ACK tries again. A syncookie's ACK has no request to
    // come back to: nothing remains. tcp_abort_on_overflow resets instead.
    const lp = tp.parent;
    if (lp && lp.acceptQueue.length > lp.backlog) {
      if (tp.env.sysctl.tcpAbortOnOverflow) {
        // embryonic_reset: the listener answers the ACK (tcp_v4_send_reset), the request goes.
        tp.env.sendReset(seg, dst, src, lp, SK_RST_REASON.INVALID_SYN);
        tcpFail(tp, undefined);
      } else if (tp.bits & F_SYNCOOKIE) tcpFail(tp, undefined);
      return;
    }
    tp.sndUna = ack;
    // tcp_synack_rtt_meas(): the SYN-ACK's round trip (after a retransmitted SYN-ACK, from
    // the echoed timestamp).
    if (tp.rttSample && tp.retries === 0) tp.rtt.sample(tp.now - tp.rttSample.at, tp.sndUna, tp.sndNxt);
    else {
      const r = tsRtt(tp, seg);
      if (r >= 0) tp.rtt.sample(r, tp.sndUna, tp.sndNxt);
    }
    tp.rttSample = undefined;
    tp.retries = 0;
    tcpUpdatePacingRate(tp);
    restartRto(tp);
    setSndWnd(tp, seg.window << tp.sndWscale);
    // tcp_rcv_state_process(): tcp_init_transfer() (BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB,
    // the socket still in SYN_RECV) comes before tcp_set_state(TCP_ESTABLISHED), so a
    // program that asks for STATE_CB there sees SYN_RECV → ESTABLISHED.
    tcpCallBpf(tp, BPF_SOCK_OPS.PASSIVE_ESTABLISHED_CB);
    if (tp.state !== S.TCP_SYN_RECV) return;
    if (tp.tsOk) tp.advMss -= TCPOLEN_TSTAMP_ALIGNED;
    tcpInitBufferSpace(tp);
    // tcp_init_transfer() → tcp_init_congestion_control()
    tp.cc.init?.(tp);
    tp.lsndtime = tp.env.jiffies;
    tcpSetState(tp, S.TCP_ESTABLISHED);
    if (tp.options.keepalive) resetKeepalive(tp, keepalive(tp).idle);
    const p = tp.parent;
    if (p) {
      reqskQueueRemoved(p, tp);
      p.acceptQueue.push(tp);
      p.wake();
    }
  }
  tcpAck(tp, seg, ack);
  if (tp.state === S.TCP_CLOSE) return;
  // tcp_rcv_state_process(): new data for a socket that will read no more (closed, or
  // shut for reading) in FIN_WAIT1/2 aborts it, and the segment is answered with a RST
  // (RFC 1122 4.2.2.13; LINUX_MIB_TCPABORTONDATA).
  if ((tp.state === S.TCP_FIN_WAIT1 || tp.state === S.TCP_FIN_WAIT2) && tp.shutRd && seg.payload.length > 0 && after(seqAdd(seq, seg.payload.length), tp.rcvNxt)) {
    tcpReset(tp);
    tp.env.sendReset(seg, dst, src, tp, SK_RST_REASON.TCP_ABORT_ON_DATA);
    return;
  }
  // tcp_ecn_check_ce() for the data (in order or not).
  if (seg.payload.length > 0) tcpEcnCheckCe(tp, ecn);
  tcpDataQueue(tp, seg, seq);
}

// ---- the receiver's SACK blocks (tcp_sack_new_ofo_skb, tcp_sack_remove, tcp_dsack_set) ----

/** TCP_NUM_SACKS: the blocks a receiver remembers. */
const TCP_NUM_SACKS = 4;

function sackRx(tp: TcpSock): SackRx {
  return (tp.sackRx ??= { blocks: [], dsackStart: 0, dsackEnd: 0, compressedAck: 0, compressedAckRcvNxt: 0, dupAckCounter: 0, compressedTimer: undefined });
}

/** tcp_sack_new_ofo_skb(): out-of-order data [seq, end) extends a block (which moves to the
 * front, merging with any it now touches), or makes a new first block; the oldest of more
 * than four is forgotten. */
function tcpSackNewOfoSkb(tp: TcpSock, seq: number, end: number): void {
  if (!tp.sackOk) return;
  const b = sackRx(tp).blocks;
  for (let i = 0; i < b.length; i += 2) {
    // tcp_sack_extend()
    if (!after(seq, b[i + 1]!) && !after(b[i]!, end)) {
      const s0 = before(seq, b[i]!) ? seq : b[i]!;
      const e0 = after(end, b[i + 1]!) ? end : b[i + 1]!;
      b.splice(i, 2);
      b.unshift(s0, e0);
      // tcp_sack_maybe_coalesce()
      for (let j = 2; j < b.length; ) {
        if (!after(b[0]!, b[j + 1]!) && !after(b[j]!, b[1]!)) {
          if (before(b[j]!, b[0]!)) b[0] = b[j]!;
          if (after(b[j + 1]!, b[1]!)) b[1] = b[j + 1]!;
          b.splice(j, 2);
        } else j += 2;
      }
      return;
    }
  }
  if (b.length >= 2 * TCP_NUM_SACKS) b.length = 2 * (TCP_NUM_SACKS - 1);
  b.unshift(seq, end);
}

/** tcp_sack_remove(): blocks rcv_nxt now covers are gone (all of them with the out-of-order
 * queue empty). */
function tcpSackRemove(tp: TcpSock): void {
  const r = tp.sackRx;
  if (!r || !r.blocks.length) return;
  if (!tp.oooMap?.size) {
    r.blocks.length = 0;
    return;
  }
  const b = r.blocks;
  for (let i = 0; i < b.length; ) {
    if (!before(tp.rcvNxt, b[i]!)) b.splice(i, 2);
    else i += 2;
  }
}

/** tcp_dsack_set(): report [seq, end) as duplicate data once (RFC 2883), if D-SACK is on. */
function tcpDsackSet(tp: TcpSock, seq: number, end: number): void {
  if (!tp.sackOk || !tp.env.sysctl.tcpDsack || !before(seq, end)) return;
  const r = sackRx(tp);
  r.dsackStart = seq;
  r.dsackEnd = end;
}

/** tcp_send_dupack(): old data again — a D-SACK for what we have, quick ACKs, an ACK now. */
function tcpSendDupack(tp: TcpSock, seg: TcpSegment, seq: number, len: number): void {
  const end = seqAdd(seq, len);
  if (len > 0 && before(seq, tp.rcvNxt)) {
    tcpEnterQuickackMode(tp, TCP_MAX_QUICKACKS);
    tcpDsackSet(tp, seq, after(end, tp.rcvNxt) ? tp.rcvNxt : end);
  }
  tcpSendAck(tp);
}

/** tcp_oow_rate_limited(): an ACK for an out-of-window segment goes at most once each
 * tcp_invalid_ratelimit (500 ms) — unless the segment carries data (no ACK loop then). */
function tcpOowRateLimited(tp: TcpSock, seg: TcpSegment): boolean {
  if (seg.payload.length > 0 && !(seg.flags & TCP_SYN)) return false;
  const now = tp.env.jiffies;
  const limit = Math.floor(tp.env.sysctl.tcpInvalidRatelimit / 1000 * HZ);
  if (tp.lastOowAck !== 0 && now - tp.lastOowAck < limit) return true;
  tp.lastOowAck = now || 1;
  return false;
}

/** tcp_ack_update_window(): the peer's window, and max_window while it bounds the MSS. */
function setSndWnd(tp: TcpSock, w: number): void {
  tp.sndWnd = w;
  if (w > tp.maxWindow) tp.maxWindow = w;
}

/**
 * tcp_ack(): what the peer acknowledges. With SACK, Linux's flow: the scoreboard
 * (tcp_sacktag_write_queue), the cumulative ACK (tcp_clean_rtx_queue, RTT samples), the
 * loss probe's outcome, the recovery state machine for an ACK that is not plain progress
 * (tcp_fastretrans_alert), the retransmission timer (loss probe or RTO), the window (PRR or
 * the congestion control), then what recovery sends (tcp_xmit_recovery). Without SACK,
 * NewReno (RFC 6582).
 */
function tcpAck(tp: TcpSock, seg: TcpSegment, ack: number): void {
  if (before(tp.sndMax, ack)) {
    tcpSendAck(tp);
    return;
  }
  // tcp_ecn_accept_cwr(): the peer answered our ECE.
  tcpEcnAcceptCwr(tp, seg, seg.payload.length);
  if (tp.sackOk && tp.tx !== NO_TX) tcpAckSack(tp, seg, ack);
  else tcpAckReno(tp, seg, ack);
  // tcp_ack(): icsk_probes_out = 0. A receiver that answers the window probes keeps the
  // connection (the probes count towards tcp_retries2 only while unanswered).
  if (seqDiff(tp.sndNxt, tp.sndUna) === 0) tp.retries = 0;
  // tcp_data_snd_check(): what the window now allows, then tcp_check_space() — on every
  // ACK, a duplicate too: a writer waiting for room may get a larger buffer.
  tcpWriteXmit(tp);
  if (tp.bits & F_NOSPACE) {
    tcpNewSpace(tp);
    if (!(tp.bits & F_NOSPACE)) tp.wake();
  }
}

/** tcp_snd_una_update(): snd_una moves to the ACK, the send buffer's head with it. */
function tcpSndUnaUpdate(tp: TcpSock, ack: number): number {
  const acked = seqDiff(ack, tp.sndUna);
  // Bytes of the buffer acknowledged (a FIN takes a sequence number, not a byte).
  const bytes = Math.min(acked, tp.sbufLen);
  // After a timeout snd_nxt went back; the peer may have had more than it covers.
  if (before(tp.sndNxt, ack)) tp.sndNxt = ack;
  tp.sndUna = ack;
  sbufConsume(tp, bytes);
  return bytes;
}

function tcpAckSack(tp: TcpSock, seg: TcpSegment, ack: number): void {
  const t = tp.tx;
  const priorUna = tp.sndUna;
  const priorPackets = t.packetsOut;
  const lost = t.lost;
  const wnd = seg.window << tp.sndWscale;
  let flag = seg.payload.length || seg.flags & TCP_FIN ? FLAG_DATA : 0;
  if (tcpEcnRcvEcnEcho(tp, seg)) flag |= FLAG_ECE;
  const advanced = before(priorUna, ack);
  if (advanced) flag |= FLAG_SND_UNA_ADVANCED;
  // tcp_ack_update_window(): a window update (approximated without snd_wl1: new data
  // acknowledged or carried, or a larger window).
  if (advanced || flag & FLAG_DATA || wnd > tp.sndWnd) flag |= FLAG_WIN_UPDATE;
  if (before(ack, priorUna)) {
    // An old ACK: only its SACK blocks count (old_ack).
    if (seg.options.sack) {
      const st = tcpSacktag(tp, seg.options.sack, ack, priorUna);
      const r = tcpFastretransAlert(tp, priorUna, 0, flag | st.flag);
      tcpXmitRecovery(tp, r.rexmit);
    }
    return;
  }
  const priorFack = highestSackSeq(tp);
  const priorInFlight = packetsInFlight(tp);
  const priorDelivered = t.delivered;
  const rs = newRateSample(priorInFlight);
  setSndWnd(tp, wnd);
  if (advanced) {
    tcpSndUnaUpdate(tp, ack);
    tp.retries = 0;
  }
  const st = tcpSacktag(tp, seg.options.sack, ack, priorUna, rs);
  flag |= st.flag;
  // tcp_count_delivered(): what the SACK blocks delivered (D-SACKed duplicates too).
  t.delivered += st.delivered;
  let rexmit = REXMIT_NONE;
  if (!priorPackets) {
    // no_queue: nothing was in flight; a D-SACK may still undo a reduction.
    if (flag & FLAG_DSACKING_ACK) tcpFastretransAlert(tp, priorUna, 0, flag);
    tcpProcessTlpAck(tp, ack, flag);
  } else {
    const ca = tcpCleanRtxQueue(tp, seg, ack, st, priorFack, rs);
    flag |= ca.flag;
    tcpRackUpdateReoWnd(tp, t, rs.priorDelivered);
    tcpProcessTlpAck(tp, ack, flag);
    // tcp_ack_is_dubious(): not plain progress, or not in Open.
    if (!(flag & FLAG_NOT_DUP) || flag & FLAG_CA_ALERT || t.caState !== CA_OPEN) {
      const numDupack = flag & (FLAG_SND_UNA_ADVANCED | FLAG_NOT_DUP | FLAG_DSACKING_ACK) ? 0 : 1;
      const r = tcpFastretransAlert(tp, priorUna, numDupack, flag);
      flag = r.flag;
      rexmit = r.rexmit;
    }
    // The loss probe or the RTO, unless RACK armed its reordering timer.
    if (flag & FLAG_SET_XMIT_TIMER) tcpSetXmitTimer(tp);
    // tcp_newly_delivered(), the rate sample, then the window: the congestion control's own
    // (BBR) or PRR and ->cong_avoid.
    const delivered = t.delivered - priorDelivered;
    tcpRateGen(tp, delivered, t.lost - lost, rs);
    if (tp.cc.congControl) tp.cc.congControl(tp, rs);
    else {
      tcpCongControl(tp, delivered, t.lost - lost, flag, priorInFlight >= cwndSegs(tp) || tcpIsCwndLimited(tp));
      tcpUpdatePacingRate(tp);
    }
    tcpXmitRecovery(tp, rexmit);
  }
  if (advanced) {
    tp.dupAcks = 0;
    if (seqDiff(tp.sndNxt, tp.sndUna) === 0) stopRto(tp);
    finAcked(tp);
    tcpNewSpace(tp);
    tp.wake();
  }
}

/** tcp_ack() for a connection without SACK: NewReno's fast retransmit and recovery. */
function tcpAckReno(tp: TcpSock, seg: TcpSegment, ack: number): void {
  const wnd = seg.window << tp.sndWscale;
  // An ECN echo: the window comes down once per window (tcp_try_to_open's tcp_enter_cwr).
  if (tcpEcnRcvEcnEcho(tp, seg) && tp.recover === undefined) tcpEnterCwr(tp);
  if (before(tp.sndUna, ack)) {
    const bytes = tcpSndUnaUpdate(tp, ack);
    const ackedSegs = tcpCleanRtxQueue(tp, seg, ack, undefined, ack).segs;
    if (tp.tx !== NO_TX) tp.tx.delivered += ackedSegs;
    setSndWnd(tp, wnd);
    tp.retries = 0;
    if (tp.recover !== undefined) {
      if (beforeEq(tp.recover, ack)) {
        tp.cwnd = Math.min(tp.ssthresh, Math.max(seqDiff(tp.sndNxt, tp.sndUna), tp.mss) + tp.mss);
        tp.recover = undefined;
      } else {
        tcpRetransmitHead(tp, 'fast');
        tp.cwnd = Math.max(tp.cwnd - bytes + tp.mss, tp.mss);
      }
    } else if (!tcpCwrAck(tp, tp.tx, ackedSegs, true) && tcpIsCwndLimited(tp)) tp.cc.congAvoid(tp, ackedSegs * tp.mss);
    // Out of recovery with nothing retransmitted left: the episode is over (retrans_stamp).
    if (tp.recover === undefined && tp.tx !== NO_TX && !(tp.sendHead > 0 && tp.wq[0]!.flags & SKB_RETRANS)) tp.tx.retransStamp = undefined;
    tcpUpdatePacingRate(tp);
    tp.dupAcks = 0;
    restartRto(tp);
    finAcked(tp);
    tcpNewSpace(tp);
    tp.wake();
  } else if (ack === tp.sndUna && seg.payload.length === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && seqDiff(tp.sndNxt, tp.sndUna) > 0 && wnd === tp.sndWnd) {
    tp.dupAcks++;
    if (tp.dupAcks === 3 && tp.recover === undefined) {
      tp.ssthresh = tp.cc.ssthresh(tp);
      tp.cwnd = tp.ssthresh + 3 * tp.mss;
      tp.recover = tp.sndNxt;
      tcpRetransmitHead(tp, 'fast');
    } else if (tp.dupAcks > 3) tp.cwnd += tp.mss;
    tcpUpdatePacingRate(tp);
  } else setSndWnd(tp, wnd);
}

/** tcp_clean_rtx_queue(): skbs wholly acknowledged leave the queue, one partly acknowledged
 * is trimmed (tcp_tso_acked); the segments they were, and the ACK's flags (FLAG_DATA_ACKED,
 * FLAG_RETRANS_DATA_ACKED, FLAG_ORIG_SACK_ACKED, FLAG_SET_XMIT_TIMER). The RTT sample:
 * from the oldest skb acknowledged (Karn: none if one was sent again), else the oldest newly
 * SACKed, else the echoed timestamp (tcp_ack_update_rtt). An ACK past snd_nxt (after a
 * timeout sent it back) also covers skbs not sent again: they go too. */
function tcpCleanRtxQueue(tp: TcpSock, seg: TcpSegment, ack: number, st: SackState | undefined, priorFack: number, rs?: RateSample): { segs: number; flag: number } {
  let segs = 0;
  let n = 0;
  let flag = 0;
  const mss = sendMss(tp);
  const t = tp.tx;
  const sack = st !== undefined;
  // When the oldest and the newest acknowledged skb were sent (first_ackt, last_ackt).
  let firstAckt = -1;
  let lastAckt = -1;
  // The lowest never-retransmitted, never-SACKed sequence acknowledged (reordering).
  let reord = tp.sndNxt;
  while (n < tp.wq.length) {
    const skb = tp.wq[n]!;
    const end = seqAdd(skb.seq, skb.len + (skb.flags & TCP_FIN ? 1 : 0));
    let acked = skb.pcount;
    const whole = !before(ack, end);
    const startSeq = skb.seq;
    if (!whole) {
      // tcp_tso_acked(): the acknowledged segments of an skb are trimmed off its head.
      if (!before(skb.seq, ack) || skb.pcount === 1) break;
      const cut = seqDiff(ack, skb.seq);
      const sent = n < tp.sendHead;
      if (sent) skbAccount(t, skb, -1);
      skb.seq = ack;
      skb.len -= cut;
      tp.wmemQueued -= cut;
      skb.pcount = Math.max(1, Math.ceil(skb.len / mss));
      if (sent) skbAccount(t, skb, 1);
      acked -= skb.pcount;
      if (acked <= 0) break;
    }
    segs += acked;
    const f = skb.flags;
    if (f & SKB_RETRANS) flag |= FLAG_RETRANS_DATA_ACKED;
    else if (!(f & SKB_SACKED)) {
      lastAckt = skb.sentAt;
      if (firstAckt < 0) firstAckt = lastAckt;
      if (before(startSeq, reord)) reord = startSeq;
      if (sack && !after(end, t.highSeq)) flag |= FLAG_ORIG_SACK_ACKED;
    }
    // tcp_rack_advance() for what the cumulative ACK delivers (a retransmission the echo
    // shows spurious aside).
    if (sack && !(f & SKB_SACKED)) {
      // tcp_count_delivered(): delivered now (a SACKed one was when SACKed).
      t.delivered += acked;
      if (!spuriousRetrans(tp, skb)) tcpRackAdvance(tp, t, f, seqAdd(skb.seq, skb.len), skb.sentAt);
    }
    if (rs) tcpRateSkbDelivered(tp, skb, rs, end);
    flag |= FLAG_DATA_ACKED;
    if (!whole) break;
    tp.wmemQueued -= skb.len + SKB_TRUESIZE_OVERHEAD;
    if (n < tp.sendHead) skbAccount(t, skb, -1);
    n++;
  }
  if (n) {
    tp.wq.splice(0, n);
    tp.sendHead = Math.max(0, tp.sendHead - n);
    if (!tp.wq.length) tp.wq = NO_SKBS;
  }
  // tcp_ack_update_rtt()
  let seqRtt = -1;
  let caRtt = -1;
  if (firstAckt >= 0 && !(flag & FLAG_RETRANS_DATA_ACKED)) {
    seqRtt = tp.now - firstAckt;
    caRtt = tp.now - lastAckt;
  }
  let sackRtt = -1;
  if (st?.firstSackt) {
    sackRtt = tp.now - st.firstSackt;
    caRtt = tp.now - st.lastSackt;
  }
  if (seqRtt < 0) seqRtt = sackRtt;
  // Without one, the echoed timestamp (RFC 7323's RTTM: only for an ACK of new data).
  if (seqRtt < 0 && flag & FLAG_DATA_ACKED) seqRtt = caRtt = tsRtt(tp, seg);
  if (seqRtt >= 0) tp.rtt.sample(seqRtt, tp.sndUna, tp.sndNxt, caRtt);
  if (rs) rs.rttUs = caRtt >= 0 ? Math.floor(caRtt / 1000) : -1;
  // ->pkts_acked() with the newest segment's RTT (rs->rtt_us).
  tp.cc.pktsAcked?.(tp, caRtt >= 0 ? Math.floor(caRtt / 1000) : -1);
  if (flag & FLAG_DATA_ACKED) {
    flag |= FLAG_SET_XMIT_TIMER;
    // A hole filled by data sent once: reordering.
    if (sack && before(reord, priorFack)) tcpCheckSackReordering(tp, t, reord);
  } else if (sack && sackRtt >= 0 && tp.sendHead > 0 && sackRtt > tp.now - tp.wq[0]!.sentAt) {
    // A SACK RTT from data sent after the head last went: restart the timer, or it keeps
    // moving out during recovery.
    flag |= FLAG_SET_XMIT_TIMER;
  }
  return { segs, flag };
}

/**
 * tcp_check_space() → tcp_new_space(): a writer that found the buffer full gets more
 * (tcp_sndbuf_expand, while the flow is not cwnd-bound) and is woken.
 */
function tcpNewSpace(tp: TcpSock): void {
  if (!(tp.bits & F_NOSPACE)) return;
  if (!tp.sndbufLocked && packetsInFlight(tp) < cwndSegs(tp)) tcpSndbufExpand(tp);
  if (tp.skSndbuf - tp.wmemQueued >= tp.wmemQueued >> 1) tp.bits &= ~F_NOSPACE;
}

/**
 * tcp_sndbuf_expand(): room for twice the window (CUBIC's 1.7, rounded up), of at least
 * TCP_INIT_CWND segments, each counted as the power-of-two head kmalloc gives a
 * full-sized skb: 46080 bytes for MSS 1460.
 */
export function tcpSndbufExpand(tp: TcpSock): void {
  const perMss = 2 ** Math.ceil(Math.log2(Math.max(tp.mssClamp, sendMss(tp)) + SKB_HEAD_OVERHEAD)) + SKB_STRUCT;
  const nrSegs = Math.max(TCP_INIT_CWND, cwndSegs(tp), 4);
  const sndmem = (tp.cc.sndbufExpand?.(tp) ?? 2) * nrSegs * perMss;
  if (tp.skSndbuf < sndmem) tp.skSndbuf = Math.min(sndmem, tp.env.sysctl.tcpWmem[2]);
}

/**
 * tcp_init_buffer_space() (from tcp_init_transfer): the send buffer expanded, and the
 * window clamp from the whole receive buffer, less 1/2^tcp_app_win of it and one segment
 * reserved (64088 of 65536 with MSS 1448); rcv_ssthresh no higher; rcvq_space of 10
 * segments.
 */
export function tcpInitBufferSpace(tp: TcpSock): void {
  if (!tp.sndbufLocked) tcpSndbufExpand(tp);
  const appWin = tp.env.sysctl.tcpAppWin;
  const maxwin = tcpFullSpace(tp);
  const adv = tp.advMss;
  if (tp.windowClamp >= maxwin) {
    tp.windowClamp = maxwin;
    if (appWin && maxwin > 4 * adv) tp.windowClamp = Math.max(maxwin - Math.floor(maxwin / 2 ** appWin), 4 * adv);
  }
  if (appWin && tp.windowClamp > 2 * adv && tp.windowClamp + adv > maxwin) tp.windowClamp = Math.max(2 * adv, maxwin - adv);
  tp.rcvSsthresh = Math.min(tp.rcvSsthresh, tp.windowClamp);
  tp.rcvSpace = Math.min(tp.rcvSsthresh, tp.rcvWnd, TCP_INIT_CWND * adv);
  tp.copiedSeq = tp.rcvNxt;
  // (rcvq_space.seq is copied_seq now, and still when the first data comes: the rest is
  // made then, from this time — an idle connection keeps only the time.)
  tp.rcvqTime = usNow(tp);
}

const usNow = (tp: TcpSock): number => Math.floor(tp.now / 1000);

/** tcp_space_from_win(): the buffer a window needs at the socket's payload ratio. */
const tcpSpaceFromWin = (tp: TcpSock, win: number): number => Math.floor((win * 256) / tp.scalingRatio);

/**
 * tcp_rcv_rtt_measure() and tcp_rcv_rtt_measure_ts(): the receiver's RTT estimate, from the
 * echoed timestamp of a full segment (or, without timestamps, a window's worth of data),
 * a minimum filter that takes larger samples only with the queue read.
 */
/** The receive autotuning state, made on first use (undefined before tcp_init_buffer_space). */
function rcvqOf(tp: TcpSock): RcvSpace | undefined {
  if (tp.rcvq || tp.rcvqTime < 0) return tp.rcvq;
  return (tp.rcvq = { seq: tp.copiedSeq, time: tp.rcvqTime, rttUs: 0, rttSeq: 0, rttTime: 0, lastTsecr: 0 });
}

/** tcp_rcv_rtt_update(): the smaller sample always; a larger one (timestamps only) only
 * with the receive queue read, smoothed by 1/8. */
function tcpRcvRttUpdate(tp: TcpSock, q: RcvSpace, sample: number, winDep: boolean): void {
  const m = sample * 8;
  if (q.rttUs === 0 || m < q.rttUs) q.rttUs = m;
  else if (!winDep && tp.rcvNxt === tp.copiedSeq) q.rttUs = q.rttUs - (q.rttUs >> 3) + sample;
}

function tcpRcvRttMeasure(tp: TcpSock, len: number): void {
  const q = rcvqOf(tp);
  if (!q) return;
  // tcp_rcv_rtt_measure(): a window's worth of data per sample, the smaller ones kept.
  if (q.rttTime === 0 || !before(tp.rcvNxt, q.rttSeq)) {
    if (q.rttTime !== 0) tcpRcvRttUpdate(tp, q, Math.max(1, usNow(tp) - q.rttTime), true);
    q.rttSeq = seqAdd(tp.rcvNxt, tp.rcvWnd);
    q.rttTime = usNow(tp);
  }
  if (!tp.tsOk) return;
  if (tp.rcvTsecr === q.lastTsecr) return;
  q.lastTsecr = tp.rcvTsecr;
  if (len >= tp.rcvMss) {
    const delta = seqDiff(tsVal(tp), tp.rcvTsecr) * 1000;
    if (delta > 0) tcpRcvRttUpdate(tp, q, delta, false);
  }
}

/**
 * tcp_rcv_space_adjust() (from recvmsg): once per receive RTT, if the application read more
 * than last time, the buffer grows to hold twice that, more while the sender is still
 * speeding up (slow start), up to tcp_rmem[2]; the window clamp follows (6.18's, with the
 * receive queue taken off what was read).
 */
export function tcpRcvSpaceAdjust(tp: TcpSock): void {
  const q = rcvqOf(tp);
  if (!q) return;
  const now = usNow(tp);
  if (now - q.time < q.rttUs >> 3 || q.rttUs === 0) return;
  // What the application read in the last RTT, less what still waits in the queue.
  const copied = seqDiff(tp.copiedSeq, q.seq) - seqDiff(tp.rcvNxt, tp.copiedSeq);
  if (copied > tp.rcvSpace) {
    // tcp_rcvbuf_grow(): DRS is one RTT late (twice what was read), and while the sender is
    // in slow start, twice again its growth.
    if (tp.env.sysctl.tcpModerateRcvbuf && !tp.rcvbufLocked) {
      let rcvwin = copied * 2;
      const grow = Math.floor((rcvwin * (copied - tp.rcvSpace)) / tp.rcvSpace);
      rcvwin += grow * 2;
      const rcvbuf = Math.min(tcpSpaceFromWin(tp, rcvwin), tp.env.sysctl.tcpRmem[2]);
      if (rcvbuf > tp.skRcvbuf) {
        tp.skRcvbuf = rcvbuf;
        tp.windowClamp = tcpWinFromSpace(tp, rcvbuf);
      }
    }
    tp.rcvSpace = copied;
  }
  q.seq = tp.copiedSeq;
  q.time = now;
}

/** tp->max_window: the largest window the peer has offered. */
export const tcpMaxWindow = (tp: TcpSock): number => tp.maxWindow;

/** Our FIN was acknowledged: FIN_WAIT1 → FIN_WAIT2, CLOSING → TIME_WAIT, LAST_ACK → CLOSE. */
function finAcked(tp: TcpSock): void {
  // The FIN is the last sequence number sent (snd_max - 1): acknowledged when snd_una
  // reaches snd_max with no data left (snd_nxt alone may have gone back after an RTO).
  if (!tp.finSent || tp.sbufLen !== 0 || tp.sndUna !== tp.sndMax) return;
  if (tp.state === S.TCP_FIN_WAIT1) {
    tcpSetState(tp, S.TCP_FIN_WAIT2);
    armFinWait2(tp);
  } else if (tp.state === S.TCP_CLOSING) tcpTimeWait(tp);
  else if (tp.state === S.TCP_LAST_ACK) tcpDone(tp);
}

/** !tcp_paws_check(rx_opt, TCP_PAWS_WINDOW) && !tcp_disordered_ack(). */
function pawsReject(tp: TcpSock, seg: TcpSegment, seq: number, ack: number): boolean {
  const recent = tp.tsRecent;
  const behind = seqDiff(recent, seg.options.ts![0]);
  if (behind <= 1 || recent === 0) return false;
  // tcp_disordered_ack(): a pure ACK of snd_una at rcv_nxt that changes no window, within
  // the RTO (in the timestamp clock's milliseconds, as icsk_rto * 1024 / HZ).
  const pureAck = seg.flags === TCP_ACK && seg.payload.length === 0 && seq === tp.rcvNxt && ack === tp.sndUna && seg.window << tp.sndWscale === tp.sndWnd;
  return !(pureAck && behind <= Math.floor((tp.rtt.rto / 1e6) * 1.024));
}

/**
 * tcp_rtt_tsopt_us(): the round trip from the echoed timestamp, in the timestamp clock's
 * milliseconds (at least one), ns; -1 without an echo.
 */
function tsRtt(tp: TcpSock, seg: TcpSegment): number {
  const ecr = seg.options.ts?.[1];
  if (!tp.tsOk || !ecr) return -1;
  const ms = seqDiff(tsVal(tp), ecr);
  return ms >= 0 ? Math.max(ms, 1) * 1e6 : -1;
}

/** tcp_data_queue(): data in order is delivered, out of order kept; then the ACK policy
 * (tcp_ack_snd_check). */
function tcpDataQueue(tp: TcpSock, seg: TcpSegment, segSeq: number): void {
  const fin = (seg.flags & TCP_FIN) !== 0;
  if (seg.payload.length === 0 && !fin) return;
  // tcp_rcv_state_process(): after the peer's FIN (CLOSE_WAIT, CLOSING, LAST_ACK) a
  // segment at or past rcv_nxt is dropped unanswered; an old one is a duplicate, ACKed.
  if (tp.finReceived) {
    if (before(segSeq, tp.rcvNxt)) {
      const end = seqAdd(segSeq, seg.payload.length + (fin ? 1 : 0));
      tcpDsackSet(tp, segSeq, after(end, tp.rcvNxt) ? tp.rcvNxt : end);
      tcpEnterQuickackMode(tp, TCP_MAX_QUICKACKS);
      tcpSendAck(tp);
    }
    return;
  }
  let data = seg.payload;
  let seq = segSeq;
  // Trim what we have already.
  if (before(seq, tp.rcvNxt)) {
    const skip = seqDiff(tp.rcvNxt, seq);
    if (skip >= data.length + (fin ? 1 : 0)) {
      // A duplicate (a retransmission): D-SACK it and ACK at once (tcp_data_queue: quick
      // ACK mode).
      tcpDsackSet(tp, seq, seqAdd(seq, data.length + (fin ? 1 : 0)));
      tcpEnterQuickackMode(tp, TCP_MAX_QUICKACKS);
      tcpSendAck(tp);
      return;
    }
    // Partly old: the old part is D-SACKed.
    tcpDsackSet(tp, seq, tp.rcvNxt);
    data = data.subarray(Math.min(skip, data.length));
    seq = tp.rcvNxt;
  }
  if (data.length && tcpReceiveWindow(tp) === 0) {
    // No room at all (tcp_receive_window() == 0): drop the segment
    // (SKB_DROP_REASON_TCP_ZEROWINDOW) and ACK, which tells the sender the window again.
    tp.env.drop('tcp-zerowindow', seg.payload);
    tcpSendAck(tp);
    return;
  }
  if (seq !== tp.rcvNxt) {
    // Out of order (tcp_data_queue_ofo): keep it, and ACK at once (a duplicate ACK).
    const end = seqAdd(seq, data.length + (fin ? 1 : 0));
    if (data.length && !tp.ooo.has(seq)) {
      tp.ooo.set(seq, data.slice());
      tp.rmemAlloc += data.length + RX_TRUESIZE_OVERHEAD;
    } else if (data.length) tcpDsackSet(tp, seq, end);
    if (fin) tp.ooo.set(seqAdd(seq, data.length), FIN_MARK);
    tcpSackNewOfoSkb(tp, seq, end);
    scheduleAck(tp);
    tcpAckSndCheck(tp, true);
    return;
  }
  let gotFin = fin;
  if (data.length) {
    deliver(tp, data);
    tcpEventDataRecv(tp, seg, data.length);
  }
  // Pull in what the out-of-order queue now continues.
  let fromOfo = false;
  for (let progress = true; progress; ) {
    progress = false;
    for (const [s, d] of tp.oooMap ?? NO_SEGMENTS) {
      if (d === FIN_MARK) {
        if (s === tp.rcvNxt) {
          tp.ooo.delete(s);
          gotFin = true;
        }
        continue;
      }
      const end = seqAdd(s, d.length);
      if (beforeEq(s, tp.rcvNxt)) {
        tp.ooo.delete(s);
        tp.rmemAlloc -= d.length + RX_TRUESIZE_OVERHEAD;
        if (before(tp.rcvNxt, end)) deliver(tp, d.subarray(seqDiff(tp.rcvNxt, s)));
        progress = true;
        fromOfo = true;
      }
    }
  }
  // The hole is filled: ACK now (ICSK_ACK_NOW).
  if (fromOfo && !tp.oooMap?.size) tp.ackPending |= ICSK_ACK_NOW;
  tcpSackRemove(tp);
  if (gotFin) tcpFin(tp);
  if (tp.state === S.TCP_CLOSE || tp.state === S.TCP_TIME_WAIT) return;
  tcpAckSndCheck(tp);
}

/**
 * tcp_event_data_recv(): data arrived in order. The ACK is scheduled; the ATO adapts to the
 * gaps between segments (the first data sets it to 40 ms and opens quick-ACK mode); the
 * window may grow (tcp_grow_window).
 */
function tcpEventDataRecv(tp: TcpSock, seg: TcpSegment, len: number): void {
  scheduleAck(tp);
  tcpMeasureRcvMss(tp, seg, len);
  const now = tp.env.jiffies;
  if (!tp.ackAto) {
    tcpIncrQuickack(tp, TCP_MAX_QUICKACKS);
    tp.ackAto = TCP_ATO_MIN;
  } else {
    const m = now - tp.ackLrcv;
    const rto = Math.ceil(tp.rtt.rto / 4_000_000);
    if (m <= TCP_ATO_MIN / 2) tp.ackAto = (tp.ackAto >> 1) + TCP_ATO_MIN / 2;
    else if (m < tp.ackAto) {
      tp.ackAto = (tp.ackAto >> 1) + m;
      if (tp.ackAto > rto) tp.ackAto = rto;
    } else if (m > rto) tcpIncrQuickack(tp, TCP_MAX_QUICKACKS);
  }
  tp.ackLrcv = now;
  tcpRcvRttMeasure(tp, len);
  if (len >= 128) tcpGrowWindow(tp, len);
}

/**
 * tcp_measure_rcv_mss(): the peer's segment size (icsk_ack.rcv_mss). A segment at least as
 * large as the estimate sets the payload-to-truesize ratio the windows are computed with
 * (scaling_ratio), and with it the window clamp; a full segment with PSH, or a short one,
 * marks the ACK pushed (tcp_cleanup_rbuf ACKs when the reader empties the queue).
 */
function tcpMeasureRcvMss(tp: TcpSock, seg: TcpSegment, len: number): void {
  const lss = tp.lastSegSize;
  tp.lastSegSize = 0;
  if (len >= tp.rcvMss) {
    if (len !== tp.rcvMss) {
      const old = tp.scalingRatio;
      tp.scalingRatio = Math.max(1, Math.floor((len * 256) / (len + RX_TRUESIZE_OVERHEAD)));
      if (old !== tp.scalingRatio) {
        tcpSetWindowClamp(tp, tcpWinFromSpace(tp, tp.skRcvbuf));
        if (tp.windowClamp < tp.rcvSpace) tp.rcvSpace = tp.windowClamp;
      }
    }
    tp.rcvMss = Math.min(len, tp.advMss);
    if (seg.flags & TCP_PSH) tp.ackPending |= ICSK_ACK_PUSHED;
  } else {
    // The segment with its TCP header: a full-sized one without PSH is an MSS estimate.
    const hdr = 20 + (tp.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
    const full = len + seg.headerLength;
    if (full >= TCP_MSS_DEFAULT + 20 || (full >= TCP_MIN_MSS + 20 && !(seg.flags & (TCP_PSH | TCP_URG | TCP_FIN | TCP_RST | TCP_SYN)))) {
      const l = full - hdr;
      tp.lastSegSize = l;
      if (l === lss) {
        tp.rcvMss = l;
        return;
      }
    }
    if (tp.ackPending & ICSK_ACK_PUSHED) tp.ackPending |= ICSK_ACK_PUSHED2;
    tp.ackPending |= ICSK_ACK_PUSHED;
  }
}

/** tcp_set_window_clamp() as tcp_measure_rcv_mss uses it: a larger clamp lets rcv_ssthresh
 * follow the window already offered. */
function tcpSetWindowClamp(tp: TcpSock, val: number): void {
  const old = tp.windowClamp;
  tp.windowClamp = Math.max(2304 / 2, val);
  if (tp.windowClamp < old) tp.rcvSsthresh = Math.min(tp.rcvSsthresh, tp.windowClamp);
  else tp.rcvSsthresh = Math.max(Math.min(tp.rcvWnd, tp.windowClamp), tp.rcvSsthresh);
}

/**
 * tcp_grow_window(): rcv_ssthresh rises towards what the buffer allows — by two segments
 * per segment that costs no more than its payload would in window (else by what
 * __tcp_grow_window finds), at least twice the segment — and one quick ACK more.
 */
function tcpGrowWindow(tp: TcpSock, len: number): void {
  const room = Math.min(tp.windowClamp, tcpSpace(tp)) - tp.rcvSsthresh;
  if (room <= 0) return;
  const truesize = len + RX_TRUESIZE_OVERHEAD;
  let incr: number;
  if (tcpWinFromSpace(tp, truesize) <= len) incr = 2 * tp.advMss;
  else incr = tcpGrowWindowSlow(tp, truesize, len);
  if (incr) {
    incr = Math.max(incr, 2 * len);
    tp.rcvSsthresh += Math.min(room, incr);
    tp.ackQuick = tp.ackQuick | 1;
  }
}

/** __tcp_grow_window(): with a poor payload ratio, grow only while the whole buffer's
 * worth of such segments would still fit. */
function tcpGrowWindowSlow(tp: TcpSock, truesize: number, len: number): number {
  let ts = tcpWinFromSpace(tp, truesize) >> 1;
  let window = tcpWinFromSpace(tp, tp.env.sysctl.tcpRmem[2]) >> 1;
  while (tp.rcvSsthresh <= window) {
    if (ts <= len) return 2 * tp.advMss;
    ts >>= 1;
    window >>= 1;
  }
  return 0;
}

/**
 * __tcp_ack_snd_check(): ACK now when more than a segment arrived since the last ACK and
 * the window moves on, in quick-ACK mode (not interactive), or when asked to; else delay.
 */
function tcpAckSndCheck(tp: TcpSock, ofoPossible = false): void {
  if (!ackScheduled(tp)) return;
  const quick = tp.ackQuick > 0 && !tp.pingpong;
  if ((seqDiff(tp.rcvNxt, tp.rcvWup) > tp.rcvMss && tcpSelectWindowRaw(tp) >= tp.rcvWnd) || quick || tp.ackPending & ICSK_ACK_NOW) {
    tcpSendAck(tp);
    return;
  }
  if (!ofoPossible || !tp.oooMap?.size) {
    tcpSendDelayedAck(tp);
    return;
  }
  // Out of order: a duplicate ACK — three at once for each rcv_nxt, then compressed.
  const sys = tp.env.sysctl;
  const r = sackRx(tp);
  if (!tp.sackOk || r.compressedAck >= sys.tcpCompSackNr) {
    tcpSendAck(tp);
    return;
  }
  if (r.compressedAckRcvNxt !== tp.rcvNxt) {
    r.compressedAckRcvNxt = tp.rcvNxt;
    r.dupAckCounter = 0;
  }
  if (r.dupAckCounter < TCP_FASTRETRANS_THRESH) {
    r.dupAckCounter++;
    tcpSendAck(tp);
    return;
  }
  r.compressedAck++;
  if (r.compressedTimer) return;
  // 5% of the RTT (the receive RTT, or srtt when smaller), at most tcp_comp_sack_delay_ns.
  let rtt8 = rcvqOf(tp)?.rttUs ?? 0;
  if (tp.rtt.srttUs8 && tp.rtt.srttUs8 < rtt8) rtt8 = tp.rtt.srttUs8;
  const delay = Math.min(sys.tcpCompSackDelayNs, Math.floor((rtt8 * 125) / 20));
  r.compressedTimer = tp.env.schedule(delay, () => tcpCompressedAckTimer(tp));
}

/** tcp_compressed_ack_kick(): the held duplicate ACK goes (if one is still held). */
function tcpCompressedAckTimer(tp: TcpSock): void {
  const r = tp.sackRx!;
  r.compressedTimer = undefined;
  if (r.compressedAck) tcpSendAck(tp);
}

/**
 * tcp_cleanup_rbuf(): after a read, ACK what is pending if more than a segment is
 * unacknowledged, or the read emptied the queue after a pushed segment (not in interactive
 * mode; always after two: ICSK_ACK_PUSHED2); and announce a window that at least doubled.
 */
export function tcpCleanupRbuf(tp: TcpSock, copied: number): void {
  let timeToAck = false;
  if (ackScheduled(tp)) {
    const p = tp.ackPending;
    if (seqDiff(tp.rcvNxt, tp.rcvWup) > tp.rcvMss || (copied > 0 && (p & ICSK_ACK_PUSHED2 || (p & ICSK_ACK_PUSHED && !tp.pingpong)) && tp.rmemAlloc === 0)) timeToAck = true;
  }
  if (copied > 0 && !timeToAck && !tp.finReceived) {
    const now = tcpReceiveWindow(tp);
    if (2 * now <= tp.windowClamp) {
      const next = tcpSelectWindowRaw(tp);
      if (next && next >= 2 * now) timeToAck = true;
    }
  }
  if (timeToAck) tcpSendAck(tp);
}

/** tcp_fin(): the peer's FIN, in order. */
function tcpFin(tp: TcpSock): void {
  scheduleAck(tp);
  tp.rcvNxt = seqAdd(tp.rcvNxt, 1);
  tp.finReceived = true;
  if (tp.state === S.TCP_ESTABLISHED || tp.state === S.TCP_SYN_RECV) {
    // CLOSE_WAIT and inet_csk_enter_pingpong_mode(): the FIN's ACK is delayed, so an
    // application that closes at once sends its FIN with it (FIN, FIN-ACK, ACK).
    tcpSetState(tp, S.TCP_CLOSE_WAIT);
    tp.pingpong = true;
  } else if (tp.state === S.TCP_FIN_WAIT1) {
    // A simultaneous close: ACK at once, CLOSING.
    tcpSendAck(tp);
    tcpSetState(tp, S.TCP_CLOSING);
  } else if (tp.state === S.TCP_FIN_WAIT2) {
    tcpSendAck(tp);
    tcpTimeWait(tp);
  }
  tp.wake();
}

/** Bytes in order into the receive queue (tcp_queue_rcv): merged into the tail skb while it
 * is unread (tcp_try_coalesce: only the payload is charged), else a new skb. */
function deliver(tp: TcpSock, d: Uint8Array): void {
  if (!d.length) return;
  tp.rcvNxt = seqAdd(tp.rcvNxt, d.length);
  if (tp.shutRd) return;
  if (tp.rq === NO_DATA) tp.rq = new RxQueue();
  const q = tp.rq;
  // Coalesced into an unread tail with room for frags (MAX_SKB_FRAGS 17): kept as its own
  // entry here, charged only its bytes.
  const tail = q.skbs[q.skbs.length - 1];
  const frags = tail ? tail.frags + 1 : 1;
  const coalesce = tail !== undefined && frags < MAX_SKB_FRAGS;
  const truesize = d.length + (coalesce ? 0 : RX_TRUESIZE_OVERHEAD);
  rbufAppend(q, tp.rqBytes, d);
  q.skbs.push({ len: d.length, truesize, frags: coalesce ? frags : 1 });
  tp.rmemAlloc += truesize;
  tp.rqBytes += d.length;
  tp.wake();
}

/** tcp_rcv_synsent_state_process(): the SYN-ACK completes the handshake; RST refuses. */
function synSentInput(tp: TcpSock, seg: TcpSegment): void {
  const ack = seg.ack | 0;
  if (seg.flags & TCP_ACK && (beforeEq(ack, tp.iss) || before(tp.sndNxt, ack))) {
    if (!(seg.flags & TCP_RST)) tcpSendRst(tp, ack);
    return;
  }
  if (seg.flags & TCP_RST) {
    // tcp_reset(): ECONNREFUSED (traced as a reset).
    if (seg.flags & TCP_ACK) tcpReset(tp);
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  tp.rcvNxt = seqAdd(seg.seq | 0, 1);
  tp.irs = tp.rcvNxt;
  tp.rcvWup = tp.rcvNxt;
  const sys = tp.env.sysctl;
  // What the SYN-ACK answered of what our SYN offered (tcp_parse_options).
  if (seg.options.wscale !== undefined && sys.tcpWindowScaling) {
    tp.wscaleOk = true;
    tp.sndWscale = seg.options.wscale;
  } else {
    tp.sndWscale = 0;
    tp.rcvWscale = 0;
    tp.windowClamp = Math.min(tp.windowClamp, 65535);
  }
  tp.sackOk = !!seg.options.sackPermitted && sys.tcpSack === 1;
  tcpEcnRcvSynack(tp, seg);
  // tcp_parse_options(): mss_clamp is the peer's MSS, or TCP_MAXSEG's if smaller.
  tp.mssClamp = tcpMssClamp(tp, seg.options.mss ?? TCP_MSS_DEFAULT);
  tp.mss = Math.min(tp.mss, tp.mssClamp);
  // Timestamps are on when the SYN-ACK has them too (our SYN offered them);
  // tcp_sync_mss() then takes their 12 bytes from every segment, and from advmss.
  if (seg.options.ts && sys.tcpTimestamps) {
    tp.tsOk = true;
    tp.tsRecent = seg.options.ts[0] | 0;
    tp.mss -= TCPOLEN_TSTAMP_ALIGNED;
    tp.advMss -= TCPOLEN_TSTAMP_ALIGNED;
  }
  tp.cwnd = TCP_INIT_CWND * tp.mss;
  if (seg.flags & TCP_ACK) {
    tp.sndUna = ack;
    // snd_wnd = ntohs(th->window): a SYN-ACK's window is never scaled (RFC 7323 2.2);
    // scaling starts with the next segment.
    setSndWnd(tp, seg.window);
    stopRto(tp);
    // tcp_ack_update_rtt() on the SYN-ACK: the SYN's round trip; after a retransmitted SYN
    // (Karn) only the echoed timestamp gives one.
    if (tp.rttSample && tp.retries === 0) tp.rtt.sample(tp.now - tp.rttSample.at, tp.sndUna, tp.sndNxt);
    else {
      const r = tsRtt(tp, seg);
      if (r >= 0) tp.rtt.sample(r, tp.sndUna, tp.sndNxt);
    }
    tp.rttSample = undefined;
    tp.retries = 0;
    tcpUpdatePacingRate(tp);
    if (!tp.rtt.srtt) tp.rtt.rto = TCP_RTO_INIT;
    tp.lsndtime = tp.env.jiffies;
    tcpSetState(tp, S.TCP_ESTABLISHED);
    if (tp.options.keepalive) resetKeepalive(tp, keepalive(tp).idle);
    // tcp_finish_connect() → tcp_init_transfer(): BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB.
    tcpCallBpf(tp, BPF_SOCK_OPS.ACTIVE_ESTABLISHED_CB);
    if (tp.state !== S.TCP_ESTABLISHED) return;
    tcpInitBufferSpace(tp);
    // tcp_init_transfer() → tcp_init_congestion_control()
    tp.cc.init?.(tp);
    tcpSendAck(tp);
    tcpWriteXmit(tp);
  } else {
    // Simultaneous open.
    tcpSetState(tp, S.TCP_SYN_RECV);
    tcpSendSyn(tp, true);
  }
}

/** tcp_conn_request(): a SYN to a listener makes a child in SYN_RECV and a SYN-ACK. */
function tcpConnRequest(tp: TcpSock, seg: TcpSegment, src: IpAddr, dst: IpAddr, twIsn: number | undefined, ecn: number): void {
  if (seg.flags & TCP_RST) return;
  if (seg.flags & TCP_ACK) {
    tp.env.sendReset(seg, dst, src);
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  // More requests than the backlog (inet_csk_reqsk_queue_is_full; 4.17: as many), or
  // tcp_syncookies=2: the SYN is answered with a cookie, or dropped without syncookies. A
  // full accept queue drops it (sk_acceptq_is_full, LINUX_MIB_LISTENOVERFLOWS).
  const sys = tp.env.sysctl;
  const qlen = reqskQueueLen(tp);
  const reqsFull = tp.env.kernel.profile === '4.17' ? qlen >= tp.backlog : qlen > tp.backlog;
  const cookie = (sys.tcpSyncookies === 2 || reqsFull) && twIsn === undefined;
  if (cookie && sys.tcpSyncookies === 0) return;
  if (tp.acceptQueue.length > tp.backlog) return;
  const c = tcpCreateOpenreqChild(tp, seg, src, dst, twIsn, cookie);
  tcpEcnCreateRequest(c, seg, ecn);
  // (a cookie carries ECN only in the timestamp: cookie_ecn_ok)
  if (cookie && !c.tsOk) c.bits &= ~F_ECN_OK;
  c.cwnd = TCP_INIT_CWND * c.mss;
  reqskQueueAdded(tp, c);
  tp.env.hashEstablished(c);
  // __inet_inherit_port(): the child joins the listener's port without a conflict check.
  tp.env.ports.inherit(c, tp.localPort);
  // The request socket's sock_ops callbacks, before the SYN-ACK.
  tcpInitCallbacks(c, true);
  tcpSendSyn(c, true);
  // A cookie is good for TCP_SYNCOOKIE_VALID (two minutes); its child goes then.
  if (cookie) tcpResetXmitTimer(c, ICSK_TIME_RETRANS, TCP_SYNCOOKIE_VALID * HZ);
  else armRto(c);
}

/** TCP_SYNCOOKIE_VALID, s: how long a syncookie's final ACK is accepted. */
const TCP_SYNCOOKIE_VALID = 2 * 60;

/** tcp_reset(): the peer reset the connection. */
function tcpReset(tp: TcpSock): void {
  traceReceiveReset(tp);
  const err: ErrnoCode = tp.state === S.TCP_SYN_SENT ? 'ECONNREFUSED' : tp.state === S.TCP_CLOSE_WAIT ? 'EPIPE' : 'ECONNRESET';
  if (tp.state === S.TCP_TIME_WAIT) return tcpDone(tp);
  tcpFail(tp, err);
}
