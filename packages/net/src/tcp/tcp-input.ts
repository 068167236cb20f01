// Segments in (net/ipv4/tcp_input.c): tcp_rcv_state_process() and tcp_rcv_established()
// with tcp_validate_incoming() (acceptability, PAWS, RST, SYN), tcp_ack() (NewReno with
// fast retransmit, RTT samples, the peer's window), tcp_data_queue() (in order, out of
// order, zero window, delayed ACKs), tcp_fin(), tcp_rcv_synsent_state_process(),
// tcp_conn_request() for a listener, and tcp_reset().
import type { ErrnoCode } from '@bpfsim/isa';
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_OPS } from '../bpf/sock-ops';
import { traceReceiveReset } from '../bpf/tracepoints';
import type { IpAddr } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../wire/tcp';
import type { TcpSock } from './tcp-sock';
import { F_MAXWND_BIG, F_RTX, MAX_WINDOW, NO_DATA } from './tcp-sock';
import { before, beforeEq, seqAdd, seqDiff } from './tcp-seq';
import { tcpCallBpf, tcpInitCallbacks } from './tcp-sock-ops';
import { TCP_RTO_INIT } from './tcp-rtt';
import { TCPOLEN_TSTAMP_ALIGNED, rcvWindow, tcpRetransmitHead, tcpSendAck, tcpSendRst, tcpSendSyn, tcpWriteXmit, tsVal, wscaleOffer } from './tcp-output';
import { armFinWait2, armRto, restartRto, resetKeepalive, scheduleDelack, stopRto } from './tcp-timer';
import { keepalive, tcpAbort, tcpDone, tcpFail, tcpSetState } from './tcp';
import { tcpCreateOpenreqChild, tcpTimeWait } from './tcp-minisocks';

const S = TCP_STATE;
const TCP_INIT_CWND = 10;

/** Marks a FIN's position in the out-of-order queue. */
const FIN_MARK = new Uint8Array(0);
const NO_SEGMENTS: ReadonlyMap<number, Uint8Array> = new Map();

/**
 * The socket's half of tcp_v4_rcv(): tcp_rcv_state_process() / tcp_rcv_established().
 * `dst` is the segment's destination address (a listener's child takes it), `twIsn` the ISN
 * a TIME_WAIT socket handed to this SYN (TCP_SKB_CB()->tcp_tw_isn).
 */
export function tcpRcv(tp: TcpSock, seg: TcpSegment, src: IpAddr, dst: IpAddr, twIsn: number | undefined): void {
  if (tp.state === S.TCP_LISTEN) return tcpConnRequest(tp, seg, src, dst, twIsn);
  if (tp.state === S.TCP_SYN_SENT) return synSentInput(tp, seg);
  if (tp.state === S.TCP_CLOSE) return;
  const seq = seg.seq | 0;
  const ack = seg.ack | 0;
  if (tp.ka) {
    // tcp_ack(): rcv_tstamp = now, icsk_probes_out = 0.
    tp.ka.lastRcv = tp.now;
    if (seg.flags & TCP_ACK) tp.ka.probesOut = 0;
  }
  const len = seg.payload.length + (seg.flags & TCP_FIN ? 1 : 0);
  // Acceptability (RFC 793): the segment overlaps the receive window.
  const wnd = rcvWindow(tp);
  const acceptable =
    len === 0 ? (wnd === 0 ? seq === tp.rcvNxt : beforeEq(tp.rcvNxt, seq) && before(seq, seqAdd(tp.rcvNxt, Math.max(wnd, 1)))) : before(seq, seqAdd(tp.rcvNxt, Math.max(wnd, 1))) && before(tp.rcvNxt, seqAdd(seq, len));
  // tcp_validate_incoming(): PAWS first (RFC 7323 5). A segment whose TSval is older than
  // ts_recent by more than TCP_PAWS_WINDOW (1) is an old duplicate: dropped with a
  // duplicate ACK, unless it is a RST, or a pure ACK that merely arrived out of order
  // (tcp_disordered_ack: nothing new, within about an RTO of ts_recent).
  if (tp.tsOk && seg.options.ts && !(seg.flags & TCP_RST) && pawsReject(tp, seg, seq, ack)) {
    tcpSendAck(tp);
    return;
  }
  if (seg.flags & TCP_RST) {
    // RFC 5961-ish: only an in-window RST resets.
    if (acceptable || seq === tp.rcvNxt) tcpReset(tp);
    return;
  }
  if (!acceptable) {
    tcpSendAck(tp);
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
  if (tp.tsOk && seg.options.ts && (before(seq, tp.rcvNxt) || (seq === tp.rcvNxt && tp.unackedSegs === 0))) tp.tsRecent = seg.options.ts[0] | 0;
  if (!(seg.flags & TCP_ACK)) return;
  if (tp.state === S.TCP_SYN_RECV) {
    if (!(beforeEq(tp.sndUna, ack) && beforeEq(ack, tp.sndNxt))) {
      tcpSendRst(tp, ack);
      return;
    }
    tp.sndUna = ack;
    // tcp_synack_rtt_meas(): the SYN-ACK's round trip (after a retransmitted SYN-ACK, from
    // the echoed timestamp).
    if (tp.rttSample && tp.retries === 0) tp.rtt.sample(tp.now - tp.rttSample.at);
    else tsRtt(tp, seg);
    tp.rttSample = undefined;
    tp.retries = 0;
    restartRto(tp);
    setSndWnd(tp, seg.window << tp.sndWscale);
    // tcp_rcv_state_process(): tcp_init_transfer() (BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB,
    // the socket still in SYN_RECV) comes before tcp_set_state(TCP_ESTABLISHED), so a
    // program that asks for STATE_CB there sees SYN_RECV → ESTABLISHED.
    tcpCallBpf(tp, BPF_SOCK_OPS.PASSIVE_ESTABLISHED_CB);
    if (tp.state !== S.TCP_SYN_RECV) return;
    tcpSetState(tp, S.TCP_ESTABLISHED);
    if (tp.options.keepalive) resetKeepalive(tp, keepalive(tp).idle);
    const p = tp.parent;
    if (p) {
      p.synQueue.delete(tp);
      if (p.acceptQueue.length >= p.backlog + 1) {
        // The accept queue is full: Linux drops the ACK (the child stays half-open);
        // here the child is dropped with a reset.
        tcpAbort(tp);
        return;
      }
      p.acceptQueue.push(tp);
      p.wake();
    }
  }
  tcpAck(tp, seg, ack);
  if (tp.state === S.TCP_CLOSE) return;
  tcpDataQueue(tp, seg, seq);
}

/** tcp_ack_update_window(): the peer's window, and max_window while it bounds the MSS. */
function setSndWnd(tp: TcpSock, w: number): void {
  tp.sndWnd = w;
  if (tp.bits & F_MAXWND_BIG) return;
  if (w >= 2 * tp.mss) {
    tp.bits |= F_MAXWND_BIG;
    MAX_WINDOW.delete(tp);
  } else if (w > (MAX_WINDOW.get(tp) ?? 0)) MAX_WINDOW.set(tp, w);
}

/** tcp_ack(): what the peer acknowledges, NewReno's recovery, and the window. */
function tcpAck(tp: TcpSock, seg: TcpSegment, ack: number): void {
  if (before(tp.sndMax, ack)) {
    tcpSendAck(tp);
    return;
  }
  // After a timeout snd_nxt went back; the peer may have had more than it covers.
  if (before(tp.sndNxt, ack)) tp.sndNxt = ack;
  const wnd = seg.window << tp.sndWscale;
  if (before(tp.sndUna, ack)) {
    const acked = seqDiff(ack, tp.sndUna);
    // Bytes of the buffer acknowledged (a FIN takes a sequence number, not a byte).
    const bytes = Math.min(acked, tp.sbufLen);
    tp.sbuf.copyWithin(0, bytes, tp.sbufLen);
    tp.sbufLen -= bytes;
    tp.sndUna = ack;
    setSndWnd(tp, wnd);
    tp.retries = 0;
    if (tp.rttSample && beforeEq(tp.rttSample.seq, ack)) {
      tp.rtt.sample(tp.now - tp.rttSample.at);
      tp.rttSample = undefined;
    } else if (tp.bits & F_RTX) {
      tsRtt(tp, seg);
      if (beforeEq(tp.sndMax, ack)) tp.bits &= ~F_RTX;
    }
    // NewReno (RFC 6582).
    if (tp.recover !== undefined) {
      if (beforeEq(tp.recover, ack)) {
        tp.cwnd = Math.min(tp.ssthresh, Math.max(seqDiff(tp.sndNxt, tp.sndUna), tp.mss) + tp.mss);
        tp.recover = undefined;
      } else {
        tcpRetransmitHead(tp, 'fast');
        tp.cwnd = Math.max(tp.cwnd - bytes + tp.mss, tp.mss);
      }
    } else tp.cc.congAvoid(tp, bytes);
    tp.dupAcks = 0;
    restartRto(tp);
    finAcked(tp);
    tp.wake();
  } else if (ack === tp.sndUna && seg.payload.length === 0 && !(seg.flags & (TCP_SYN | TCP_FIN)) && seqDiff(tp.sndNxt, tp.sndUna) > 0 && wnd === tp.sndWnd) {
    tp.dupAcks++;
    if (tp.dupAcks === 3 && tp.recover === undefined) {
      tp.ssthresh = tp.cc.ssthresh(tp);
      tp.cwnd = tp.ssthresh + 3 * tp.mss;
      tp.recover = tp.sndNxt;
      tcpRetransmitHead(tp, 'fast');
    } else if (tp.dupAcks > 3) tp.cwnd += tp.mss;
  } else setSndWnd(tp, wnd);
  // tcp_ack(): icsk_probes_out = 0. A receiver that answers the window probes keeps the
  // connection (the probes count towards tcp_retries2 only while unanswered).
  if (seqDiff(tp.sndNxt, tp.sndUna) === 0) tp.retries = 0;
  tcpWriteXmit(tp);
}

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
 * tcp_ack_update_rtt() without a sequence sample (the data was retransmitted): the round
 * trip from the echoed timestamp, in the timestamp clock's milliseconds.
 */
function tsRtt(tp: TcpSock, seg: TcpSegment): void {
  const ecr = seg.options.ts?.[1];
  if (!tp.tsOk || !ecr) return;
  const ms = seqDiff(tsVal(tp), ecr);
  if (ms >= 0) tp.rtt.sample(Math.max(ms, 1) * 1e6);
}

/** tcp_data_queue(): data in order is delivered, out of order kept; then the ACK policy. */
function tcpDataQueue(tp: TcpSock, seg: TcpSegment, segSeq: number): void {
  const fin = (seg.flags & TCP_FIN) !== 0;
  if (seg.payload.length === 0 && !fin) return;
  if (tp.finReceived) {
    tcpSendAck(tp);
    return;
  }
  let data = seg.payload;
  let seq = segSeq;
  // Trim what we have already.
  if (before(seq, tp.rcvNxt)) {
    const skip = seqDiff(tp.rcvNxt, seq);
    data = data.subarray(Math.min(skip, data.length));
    seq = tp.rcvNxt;
  }
  if (data.length && rcvWindow(tp) === 0) {
    // No room at all (tcp_receive_window() == 0): drop the segment
    // (SKB_DROP_REASON_TCP_ZEROWINDOW) and ACK, which tells the sender the window again.
    tp.env.drop('tcp-zerowindow', seg.payload);
    tcpSendAck(tp);
    return;
  }
  if (seq !== tp.rcvNxt) {
    // Out of order: keep it, and ACK at once (a duplicate ACK for the sender).
    if (data.length && !tp.ooo.has(seq)) tp.ooo.set(seq, data.slice());
    if (fin) tp.ooo.set(seqAdd(seq, data.length), FIN_MARK);
    tcpSendAck(tp);
    return;
  }
  let gotFin = fin;
  deliver(tp, data);
  // Pull in what the out-of-order queue now continues.
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
      if (beforeEq(end, tp.rcvNxt)) {
        tp.ooo.delete(s);
        progress = true;
      } else if (beforeEq(s, tp.rcvNxt)) {
        tp.ooo.delete(s);
        deliver(tp, d.subarray(seqDiff(tp.rcvNxt, s)));
        progress = true;
      }
    }
  }
  if (gotFin) return tcpFin(tp);
  // Delayed ACK: every second full segment at once, else within 40 ms; out-of-order
  // queues pending make it immediate.
  tp.unackedSegs++;
  if (tp.quickAcks > 0) {
    tp.quickAcks--;
    tcpSendAck(tp);
  } else if (tp.unackedSegs >= 2 || tp.oooMap?.size) tcpSendAck(tp);
  else scheduleDelack(tp);
}

/** tcp_fin(): the peer's FIN, in order. */
function tcpFin(tp: TcpSock): void {
  tp.rcvNxt = seqAdd(tp.rcvNxt, 1);
  tp.finReceived = true;
  if (tp.state === S.TCP_ESTABLISHED) {
    // CLOSE_WAIT and inet_csk_enter_pingpong_mode(): the FIN's ACK is delayed, so an
    // application that closes at once sends its FIN with it (FIN, FIN-ACK, ACK, as this
    // machine's kernel does on lo).
    tcpSetState(tp, S.TCP_CLOSE_WAIT);
    scheduleDelack(tp);
  } else {
    // FIN_WAIT1 (a simultaneous close: CLOSING) and FIN_WAIT2 (TIME_WAIT): ACK at once.
    tcpSendAck(tp);
    if (tp.state === S.TCP_FIN_WAIT1) tcpSetState(tp, S.TCP_CLOSING);
    else if (tp.state === S.TCP_FIN_WAIT2) tcpTimeWait(tp);
  }
  tp.wake();
}

function deliver(tp: TcpSock, d: Uint8Array): void {
  if (!d.length) return;
  if (tp.shutRd) {
    tp.rcvNxt = seqAdd(tp.rcvNxt, d.length);
    return;
  }
  if (tp.rq === NO_DATA) tp.rq = [];
  tp.rq.push(d.slice());
  tp.rqBytes += d.length;
  tp.rcvNxt = seqAdd(tp.rcvNxt, d.length);
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
  tp.sndWscale = seg.options.wscale ?? 0;
  tp.rcvWscale = seg.options.wscale !== undefined ? wscaleOffer(tp) : 0;
  if (seg.options.mss) tp.mss = Math.min(tp.mss, seg.options.mss);
  // Timestamps are on when the SYN-ACK has them too (our SYN offered them);
  // tcp_sync_mss() then takes their 12 bytes from every segment.
  if (seg.options.ts && tp.env.sysctl.tcpTimestamps) {
    tp.tsOk = true;
    tp.tsRecent = seg.options.ts[0] | 0;
    tp.mss -= TCPOLEN_TSTAMP_ALIGNED;
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
    if (tp.rttSample && tp.retries === 0) tp.rtt.sample(tp.now - tp.rttSample.at);
    else tsRtt(tp, seg);
    tp.rttSample = undefined;
    tp.retries = 0;
    if (!tp.rtt.srtt) tp.rtt.rto = TCP_RTO_INIT;
    tcpSetState(tp, S.TCP_ESTABLISHED);
    if (tp.options.keepalive) resetKeepalive(tp, keepalive(tp).idle);
    // tcp_finish_connect() → tcp_init_transfer(): BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB.
    tcpCallBpf(tp, BPF_SOCK_OPS.ACTIVE_ESTABLISHED_CB);
    if (tp.state !== S.TCP_ESTABLISHED) return;
    tcpSendAck(tp);
    tcpWriteXmit(tp);
  } else {
    // Simultaneous open.
    tcpSetState(tp, S.TCP_SYN_RECV);
    tcpSendSyn(tp, true);
  }
}

/** tcp_conn_request(): a SYN to a listener makes a child in SYN_RECV and a SYN-ACK. */
function tcpConnRequest(tp: TcpSock, seg: TcpSegment, src: IpAddr, dst: IpAddr, twIsn: number | undefined): void {
  if (seg.flags & TCP_RST) return;
  if (seg.flags & TCP_ACK) {
    tp.env.sendReset(seg, dst, src);
    return;
  }
  if (!(seg.flags & TCP_SYN)) return;
  // The SYN queue and accept queue bound what a listener takes (tcp_conn_request drops).
  if (tp.acceptQueue.length > tp.backlog || tp.synQueue.size >= Math.max(tp.backlog, 1) * 2 + 8) return;
  const c = tcpCreateOpenreqChild(tp, seg, src, dst, twIsn);
  c.cwnd = TCP_INIT_CWND * c.mss;
  tp.synQueue.add(c);
  tp.env.hashEstablished(c);
  // __inet_inherit_port(): the child joins the listener's port without a conflict check.
  tp.env.ports.inherit(c, tp.localPort);
  // The request socket's sock_ops callbacks, before the SYN-ACK.
  tcpInitCallbacks(c, true);
  tcpSendSyn(c, true);
  armRto(c);
}

/** tcp_reset(): the peer reset the connection. */
function tcpReset(tp: TcpSock): void {
  traceReceiveReset(tp);
  const err: ErrnoCode = tp.state === S.TCP_SYN_SENT ? 'ECONNREFUSED' : tp.state === S.TCP_CLOSE_WAIT ? 'EPIPE' : 'ECONNRESET';
  if (tp.state === S.TCP_TIME_WAIT) return tcpDone(tp);
  tcpFail(tp, err);
}
