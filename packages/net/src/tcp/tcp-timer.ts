// TCP's timers (net/ipv4/tcp_timer.c; inet_connection_sock.h: inet_csk_reset_xmit_timer,
// inet_csk_clear_xmit_timer): the retransmission timer (tcp_retransmit_timer, and
// tcp_probe_timer for a closed window), the delayed-ACK timer, the keepalive timer
// (tcp_keepalive_timer), and FIN_WAIT2's and TIME_WAIT's. Every timer of a socket is
// armed and cleared here, on the environment's clock.
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_OPS, BPF_SOCK_OPS_CB } from '../bpf/sock-ops';
import { SK_RST_REASON } from '../bpf/tracepoints';
import { MS } from '../sim/simulation';
import type { TcpSock } from './tcp-sock';
import { F_SYNCOOKIE, SKB_RETRANS, skbAccount } from './tcp-sock';
import { tcpEnterLoss, tcpRackReoTimeout, tcpRetransmitLossHead, tcpSendLossProbe } from './tcp-recovery';
import { TCP_RTO_MAX, TCP_RTO_MIN } from './tcp-rtt';
import { seqAdd, seqDiff } from './tcp-seq';
import { TCP_FIN } from '../wire/tcp';
import { tcpCallBpf } from './tcp-sock-ops';
import { tcpRetransmitHead, tcpSendAck, tcpSendActiveReset, tcpWriteWakeup, tcpXmitProbe, tsVal } from './tcp-output';
import { keepaliveActive, tcpDone, tcpFail } from './tcp';

const S = TCP_STATE;
/** CONFIG_HZ of this machine's kernel, and one jiffy (what TCP's timers count in). */
export const HZ = 250;
export const JIFFY_NS = 1_000_000_000 / HZ;
export const JIFFY = JIFFY_NS;
/** TCP_ATO_MIN, TCP_DELACK_MIN (HZ / 25: 40 ms) and TCP_DELACK_MAX (HZ / 5: 200 ms), jiffies. */
export const TCP_ATO_MIN = HZ / 25;
export const TCP_DELACK_MIN = HZ / 25;
export const TCP_DELACK_MAX = HZ / 5;

/**
 * The jiffy a timer armed now (`clk`) for `expires` runs at (kernel/time/timer.c:
 * calc_wheel_index, calc_index): the wheel has levels of 64 slots, each 8 times coarser
 * than the one below (1, 8, 64 … jiffies); a timer goes on the level its distance falls in
 * and is rounded up to the next slot of that level, so it never fires early: one jiffy
 * late at level 0 (under 63 jiffies), up to 8 jiffies (32 ms) late from 252 ms on, up to
 * 64 (256 ms) from 2 s on.
 */
export function timerWheelExpiry(clk: number, expires: number): number {
  const delta = expires - clk;
  if (delta < 0) return clk;
  let lvl = 0;
  // LVL_START(n) = 63 << (3 * (n - 1))
  while (lvl < 8 && delta >= 63 * 2 ** (3 * lvl)) lvl++;
  const shift = 3 * lvl;
  return (Math.floor(expires / 2 ** shift) + 1) * 2 ** shift;
}
/** TCP_TIMEWAIT_LEN, and tcp_fin_timeout for an orphan in FIN_WAIT2. */
export const TCP_TIMEWAIT = 60 * 1000 * MS;

// ---- the retransmission timer ----
// One timer (icsk_retransmit_timer) for four purposes, icsk_pending telling which: the RTO,
// the zero-window probe, the tail loss probe and RACK's reordering timeout. Arming it for
// one disarms the others, as in Linux.

/** icsk_pending: what the retransmission timer is armed for (ICSK_TIME_*). */
export const ICSK_TIME_RETRANS = 1;
export const ICSK_TIME_LOSS_PROBE = 5;
export const ICSK_TIME_REO_TIMEOUT = 6;
/** TCP_RTO_MAX in jiffies: no timer of TCP's is armed further out. */
const TCP_RTO_MAX_JIFFIES = Math.round(TCP_RTO_MAX / JIFFY_NS);

/** inet_csk_reset_xmit_timer(): the retransmission timer, armed for `what` in `when`
 * jiffies (at most TCP_RTO_MAX), on the timer wheel. */
export function tcpResetXmitTimer(tp: TcpSock, what: number, when: number): void {
  if (what !== ICSK_TIME_RETRANS) tp.txw().xmitPending = what;
  else if (tp.tx.xmitPending) tp.tx.xmitPending = 0;
  const expires = tp.env.jiffies + Math.min(Math.max(when, 0), TCP_RTO_MAX_JIFFIES);
  // mod_timer() to the slot it is already in changes nothing (the handler reads icsk_pending).
  if (tp.rtoTimer?.pending && tp.rtoTimer.time === tp.env.timerTime(expires)) return;
  tp.rtoTimer?.cancel();
  tp.rtoTimer = tp.env.timerAt(expires, () => tcpWriteTimer(tp));
}

/** The RTO in whole jiffies (icsk_rto). */
const rtoJiffies = (tp: TcpSock): number => Math.ceil(tp.rtt.rto / JIFFY_NS);

/** tcp_event_new_data_sent()'s re-arm: data went out; the RTO starts unless it runs
 * already (a loss probe pending gives way to it: the probe is scheduled after). */
export function armRto(tp: TcpSock): void {
  if (tp.rtoTimer?.pending && tp.tx.xmitPending !== ICSK_TIME_LOSS_PROBE) return;
  rearmRto(tp);
}

/** The time until the RTO of the head of the retransmission queue (tcp_rto_delta_us), ns. */
export function tcpRtoDelta(tp: TcpSock): number {
  const head = tp.sendHead > 0 ? tp.wq[0] : undefined;
  return head ? head.sentAt + tp.rtt.rto - tp.now : tp.rtt.rto;
}

/** tcp_rearm_rto(): restart it while data is in flight (or a closed window waits); after a
 * loss probe or reordering timeout it keeps the head's deadline rather than a fresh RTO. */
export function restartRto(tp: TcpSock): void {
  if (!(seqDiff(tp.sndNxt, tp.sndUna) > 0 || (tp.sbufLen > 0 && tp.sndWnd === 0))) return stopRto(tp);
  rearmRto(tp);
}

function rearmRto(tp: TcpSock): void {
  let rto = rtoJiffies(tp);
  const k = tp.tx.xmitPending;
  if (k === ICSK_TIME_REO_TIMEOUT || k === ICSK_TIME_LOSS_PROBE) rto = Math.ceil(Math.max(tcpRtoDelta(tp), 1000) / JIFFY_NS);
  tcpResetXmitTimer(tp, ICSK_TIME_RETRANS, rto);
}

/** inet_csk_clear_xmit_timer(ICSK_TIME_RETRANS) */
export function stopRto(tp: TcpSock): void {
  tp.rtoTimer?.cancel();
  tp.rtoTimer = undefined;
  if (tp.tx.xmitPending) tp.tx.xmitPending = 0;
}

/** tcp_write_timer_handler(): what the timer was armed for. */
function tcpWriteTimer(tp: TcpSock): void {
  tp.rtoTimer = undefined;
  const k = tp.tx.xmitPending;
  if (k === ICSK_TIME_REO_TIMEOUT) return tcpRackReoTimeout(tp);
  if (k === ICSK_TIME_LOSS_PROBE) return tcpSendLossProbe(tp);
  tcpRetransmitTimer(tp);
}

/** tcp_model_timeout(): how long `boundary` timeouts take from `rtoBase` jiffies, doubling
 * up to TCP_RTO_MAX, in ms. */
export function tcpModelTimeout(boundary: number, rtoBase: number): number {
  const linear = Math.floor(Math.log2(TCP_RTO_MAX_JIFFIES / rtoBase));
  const jiffies = boundary <= linear ? (2 * 2 ** boundary - 1) * rtoBase : (2 * 2 ** linear - 1) * rtoBase + (boundary - linear) * TCP_RTO_MAX_JIFFIES;
  return jiffies * (JIFFY_NS / 1e6);
}

/** retransmits_timed_out(): retransmitting since retrans_stamp for longer than the model. */
function retransmitsTimedOut(tp: TcpSock, boundary: number): boolean {
  if (!tp.retries) return false;
  const start = tp.tx.retransStamp;
  if (start === undefined) return tp.retries >= boundary;
  return seqDiff(tsVal(tp), start) - tcpModelTimeout(boundary, Math.round(TCP_RTO_MIN / JIFFY_NS)) >= 0;
}

/** tcp_retransmit_timer() and tcp_probe_timer() */
function tcpRetransmitTimer(tp: TcpSock): void {
  const sys = tp.env.sysctl;
  const handshake = tp.state === S.TCP_SYN_SENT || tp.state === S.TCP_SYN_RECV;
  // A syncookie child's time is up: Linux never had a request to time out.
  if (tp.state === S.TCP_SYN_RECV && tp.bits & F_SYNCOOKIE) return tcpFail(tp, undefined);
  if (!handshake && seqDiff(tp.sndNxt, tp.sndUna) === 0) return tcpProbeTimer(tp);
  // tcp_write_timeout(): a SYN gets tcp_syn_retries plus its linear retries (counted); data
  // gives up when the time since its first retransmission passes what tcp_retries2
  // timeouts from tcp_rto_min would take (retransmits_timed_out).
  const expired = handshake ? tp.retries >= (tp.state === S.TCP_SYN_SENT ? sys.tcpSynRetries + sys.tcpSynLinearTimeouts : sys.tcpSynackRetries) : retransmitsTimedOut(tp, sys.tcpRetries2);
  if (expired) {
    tcpFail(tp, tp.state === S.TCP_SYN_RECV ? undefined : 'ETIMEDOUT');
    return;
  }
  // tcp_write_timeout(): BPF_SOCK_OPS_RTO_CB (retransmits, rto in jiffies, expired).
  if (tp.cbFlags & BPF_SOCK_OPS_CB.RTO) tcpCallBpf(tp, BPF_SOCK_OPS.RTO_CB, tp.retries, rtoJiffies(tp), 0);
  if (!handshake && tp.sackOk) {
    // tcp_enter_loss(): what was not SACKed is lost, and goes again as the window opens;
    // then tcp_update_rto_stats() counts the timeout and the head goes again.
    tcpEnterLoss(tp);
    tp.retries++;
    tcpRetransmitLossHead(tp);
  } else {
    // Without SACK (and for a SYN): ->ssthresh(), cwnd to one segment, ->set_state
    // (TCP_CA_Loss); the head goes again and the rest follows as ACKs open the window.
    tp.ssthresh = tp.cc.ssthresh(tp);
    tp.cwnd = tp.mss;
    tp.cwndCnt = 0;
    tp.cc.onLoss?.(tp);
    tp.recover = undefined;
    tp.dupAcks = 0;
    tp.retries++;
    tcpRetransmitHead(tp, tp.state === S.TCP_SYN_SENT ? 'syn' : tp.state === S.TCP_SYN_RECV ? 'synack' : 'rto');
    if (!handshake) goBack(tp);
  }
  // tcp_retransmit_timer(): the backoff, up to TCP_RTO_MAX — except a SYN's first
  // tcp_syn_linear_timeouts timeouts (total_rto), which keep the initial RTO: SYNs at 1, 2,
  // 3, 4, 5, then 7, 11, 19 … s.
  const linear = tp.state === S.TCP_SYN_SENT && tp.retries <= sys.tcpSynLinearTimeouts;
  if (!linear) tp.rtt.backoff();
  tcpResetXmitTimer(tp, ICSK_TIME_RETRANS, rtoJiffies(tp));
}

/**
 * tcp_probe_timer() → tcp_send_probe0(): nothing in flight and data waiting (a shut window,
 * or TCP_CORK past its ceiling). tcp_write_wakeup() sends what the window takes; when it
 * is shut, a bare ACK at snd_una - 1 (an old sequence number the receiver answers with its
 * window), backing off, until tcp_retries2 probes went unanswered.
 */
function tcpProbeTimer(tp: TcpSock): void {
  if (tp.sendHead >= tp.wq.length) {
    tp.retries = 0;
    return;
  }
  if (tp.retries >= tp.env.sysctl.tcpRetries2) return void tcpFail(tp, 'ETIMEDOUT');
  if (tcpWriteWakeup(tp)) {
    tp.retries = 0;
    return;
  }
  tp.retries++;
  tp.rtt.backoff();
  armRto(tp);
}

/** After the head's retransmission: what followed it counts as not sent (snd_nxt is the
 * head's end; the write queue starts after it), so ACKs send it again in order. */
function goBack(tp: TcpSock): void {
  const head = tp.wq[0];
  if (!head) return;
  // What was sent goes again: a retransmission each (TCPCB_RETRANS), no RTT sample.
  for (let i = 1; i < tp.sendHead && i < tp.wq.length; i++) {
    skbAccount(tp.tx, tp.wq[i]!, -1);
    tp.wq[i]!.flags |= SKB_RETRANS;
  }
  tp.sndNxt = seqAdd(head.seq, head.len + (head.flags & TCP_FIN ? 1 : 0));
  tp.sendHead = 1;
}

// ---- delayed ACKs (tcp_send_delayed_ack, tcp_delack_timer_handler) ----

/** inet_csk_schedule_ack() */
export const scheduleAck = (tp: TcpSock): void => void (tp.ackPending |= ICSK_ACK_SCHED);
export const ackScheduled = (tp: TcpSock): boolean => (tp.ackPending & ICSK_ACK_SCHED) !== 0;

/**
 * tcp_send_delayed_ack(): an ACK within the ATO (40 ms at first; bounded by the RTT and by
 * 200 ms), on the timer wheel; an ACK already due keeps its earlier time, and one about to
 * fire goes now.
 */
export function tcpSendDelayedAck(tp: TcpSock): void {
  let ato = tp.ackAto;
  const jiffies = tp.env.jiffies;
  if (ato > TCP_DELACK_MIN) {
    let maxAto = HZ / 2;
    if (tp.pingpong || tp.ackPending & ICSK_ACK_PUSHED) maxAto = TCP_DELACK_MAX;
    if (tp.rtt.srtt) {
      const rtt = Math.max(Math.ceil(tp.rtt.srtt / JIFFY_NS), TCP_DELACK_MIN);
      if (rtt < maxAto) maxAto = rtt;
    }
    ato = Math.min(ato, maxAto);
  }
  ato = Math.min(ato, TCP_DELACK_MAX);
  let timeout = jiffies + ato;
  if (tp.ackPending & ICSK_ACK_TIMER) {
    if (tp.ackTimeout - (jiffies + (ato >> 2)) <= 0) {
      tcpSendAck(tp);
      return;
    }
    if (timeout - tp.ackTimeout >= 0) timeout = tp.ackTimeout;
  }
  tp.ackPending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
  tp.ackTimeout = timeout;
  tp.delackTimer?.cancel();
  tp.delackTimer = tp.env.timerAt(timeout, () => tcpDelackTimer(tp));
}

/** tcp_delack_timer_handler(): the ACK was not sent with data in time; a missed delayed
 * ACK inflates the ATO, or ends interactive mode. */
function tcpDelackTimer(tp: TcpSock): void {
  tp.delackTimer = undefined;
  if (tp.state === S.TCP_CLOSE || !(tp.ackPending & ICSK_ACK_TIMER)) return;
  if (tp.ackTimeout - tp.env.jiffies > 0) {
    tp.delackTimer = tp.env.timerAt(tp.ackTimeout, () => tcpDelackTimer(tp));
    return;
  }
  tp.ackPending &= ~ICSK_ACK_TIMER;
  if (!ackScheduled(tp)) return;
  if (!tp.pingpong) tp.ackAto = Math.min(tp.ackAto << 1, Math.ceil(tp.rtt.rto / JIFFY_NS));
  else {
    tp.pingpong = false;
    tp.ackAto = TCP_ATO_MIN;
  }
  tcpSendAck(tp);
}

/** inet_csk_clear_xmit_timer(ICSK_TIME_DACK): an ACK went out, nothing is pending. */
export function cancelDelack(tp: TcpSock): void {
  tp.delackTimer?.cancel();
  tp.delackTimer = undefined;
  tp.ackPending = 0;
}

/** tcp_dec_quickack_mode(): an ACK of new data was sent; one quick ACK fewer. Leaving quick
 * mode deflates the ATO. */
export function tcpDecQuickackMode(tp: TcpSock): void {
  const quick = tp.ackQuick;
  if (!quick) return;
  const pkts = ackScheduled(tp) ? 1 : 0;
  if (pkts >= quick) {
    tp.ackQuick = 0;
    tp.ackAto = TCP_ATO_MIN;
  } else tp.ackQuick = quick - pkts;
}

/** tcp_incr_quickack(): up to `max` ACKs at once, as many as half the window holds segments. */
export function tcpIncrQuickack(tp: TcpSock, max: number): void {
  let quick = Math.floor(tp.rcvWnd / (2 * Math.max(1, tp.rcvMss)));
  if (quick === 0) quick = 2;
  quick = Math.min(quick, max);
  if (quick > tp.ackQuick) tp.ackQuick = quick;
}

/** tcp_enter_quickack_mode(): ACK at once for a while, interactive mode off. */
export function tcpEnterQuickackMode(tp: TcpSock, max: number): void {
  tcpIncrQuickack(tp, max);
  tp.pingpong = false;
  tp.ackAto = TCP_ATO_MIN;
}

/** icsk_ack.pending bits (include/net/inet_connection_sock.h). */
export const ICSK_ACK_SCHED = 1;
export const ICSK_ACK_TIMER = 2;
export const ICSK_ACK_PUSHED = 4;
export const ICSK_ACK_PUSHED2 = 8;
export const ICSK_ACK_NOW = 16;
/** TCP_MAX_QUICKACKS */
export const TCP_MAX_QUICKACKS = 16;

// ---- keepalive (tcp_keepalive_timer) ----

export function resetKeepalive(tp: TcpSock, after: number): void {
  const k = tp.ka!;
  k.timer?.cancel();
  k.timer = tp.env.schedule(after, () => tcpKeepaliveTimer(tp));
}

export function stopKeepalive(tp: TcpSock): void {
  tp.ka?.timer?.cancel();
  if (tp.ka) tp.ka.timer = undefined;
}

/**
 * tcp_keepalive_timer(): with nothing in flight or queued and the peer silent for the idle
 * time, a probe (a bare ACK one below snd_una, which the peer must answer) every interval;
 * after `cnt` unanswered probes, a reset and ETIMEDOUT.
 */
function tcpKeepaliveTimer(tp: TcpSock): void {
  const k = tp.ka;
  if (!k) return;
  k.timer = undefined;
  if (!keepaliveActive(tp) || tp.state === S.TCP_TIME_WAIT) return;
  if (seqDiff(tp.sndNxt, tp.sndUna) > 0 || tp.sbufLen > 0) return resetKeepalive(tp, k.idle);
  const elapsed = tp.now - k.lastRcv;
  if (elapsed < k.idle) return resetKeepalive(tp, k.idle - elapsed);
  if (k.probesOut >= k.cnt) {
    tcpSendActiveReset(tp, SK_RST_REASON.TCP_KEEPALIVE_TIMEOUT);
    tcpFail(tp, 'ETIMEDOUT');
    return;
  }
  tcpXmitProbe(tp);
  k.probesOut++;
  resetKeepalive(tp, k.intvl);
}

// ---- FIN_WAIT2 and TIME_WAIT ----

/** tcp_fin_timeout: an orphan in FIN_WAIT2 goes after 60 s. */
export function armFinWait2(tp: TcpSock): void {
  tp.twTimer = tp.env.schedule(TCP_TIMEWAIT, () => tp.state === S.TCP_FIN_WAIT2 && tcpDone(tp));
}

/** inet_twsk_schedule(): TIME_WAIT lasts TCP_TIMEWAIT_LEN. */
export function armTimeWait(tp: TcpSock): void {
  stopRto(tp);
  tp.twTimer?.cancel();
  tp.twTimer = tp.env.schedule(TCP_TIMEWAIT, () => tcpDone(tp));
}

/** tcp_clear_xmit_timers() and the rest: every timer off (tcp_done). */
export function clearAllTimers(tp: TcpSock): void {
  tp.ka?.timer?.cancel();
  tp.rtoTimer?.cancel();
  tp.delackTimer?.cancel();
  tp.twTimer?.cancel();
  if (tp.tx.pacingTimer) {
    tp.tx.pacingTimer.cancel();
    tp.tx.pacingTimer = undefined;
  }
  if (tp.sackRx?.compressedTimer) {
    tp.sackRx.compressedTimer.cancel();
    tp.sackRx.compressedTimer = undefined;
  }
}
