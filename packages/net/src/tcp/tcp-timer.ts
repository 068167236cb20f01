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
import { seqAdd, seqDiff } from './tcp-seq';
import { tcpCallBpf } from './tcp-sock-ops';
import { sendMss, tcpRetransmitHead, tcpSendAck, tcpSendActiveReset, tcpXmitProbe } from './tcp-output';
import { keepaliveActive, tcpDone, tcpFail } from './tcp';

const S = TCP_STATE;
/** One jiffy at this machine's CONFIG_HZ=250 (what sock_ops sees timeouts in). */
export const JIFFY = 4 * MS;
/** TCP_DELACK_MAX / the delayed-ACK timeout bpfsim uses. */
export const TCP_DELACK = 40 * MS;
/** TCP_TIMEWAIT_LEN, and tcp_fin_timeout for an orphan in FIN_WAIT2. */
export const TCP_TIMEWAIT = 60 * 1000 * MS;
const TCP_SYN_RETRIES = 6;
const TCP_SYNACK_RETRIES = 5;
const TCP_RETRIES2 = 15;

// ---- the retransmission timer ----

/** inet_csk_reset_xmit_timer(ICSK_TIME_RETRANS, rto) unless it is already running. */
export function armRto(tp: TcpSock): void {
  if (tp.rtoTimer?.pending) return;
  tp.rtoTimer = tp.env.schedule(tp.rtt.rto, () => tcpRetransmitTimer(tp));
}

/** tcp_rearm_rto(): restart it while data is in flight (or a closed window waits). */
export function restartRto(tp: TcpSock): void {
  stopRto(tp);
  if (seqDiff(tp.sndNxt, tp.sndUna) > 0 || (tp.sbufLen > 0 && tp.sndWnd === 0)) armRto(tp);
}

/** inet_csk_clear_xmit_timer(ICSK_TIME_RETRANS) */
export function stopRto(tp: TcpSock): void {
  tp.rtoTimer?.cancel();
  tp.rtoTimer = undefined;
}

/** tcp_retransmit_timer() and tcp_probe_timer() */
function tcpRetransmitTimer(tp: TcpSock): void {
  tp.rtoTimer = undefined;
  const limit = tp.state === S.TCP_SYN_SENT ? TCP_SYN_RETRIES : tp.state === S.TCP_SYN_RECV ? TCP_SYNACK_RETRIES : TCP_RETRIES2;
  if (tp.retries >= limit) {
    tcpFail(tp, tp.state === S.TCP_SYN_RECV ? undefined : 'ETIMEDOUT');
    return;
  }
  tp.retries++;
  // tcp_write_timeout(): BPF_SOCK_OPS_RTO_CB (retransmits, rto in jiffies, expired).
  if (tp.cbFlags & BPF_SOCK_OPS_CB.RTO) tcpCallBpf(tp, BPF_SOCK_OPS.RTO_CB, tp.retries - 1, Math.ceil(tp.rtt.rto / JIFFY), 0);
  const handshake = tp.state === S.TCP_SYN_SENT || tp.state === S.TCP_SYN_RECV;
  if (seqDiff(tp.sndNxt, tp.sndUna) > 0 || handshake) {
    // tcp_enter_loss(): ->ssthresh(), cwnd to one segment, ->set_state(TCP_CA_Loss); then
    // NewReno goes back to snd_una.
    tp.ssthresh = tp.cc.ssthresh(tp);
    tp.cwnd = tp.mss;
    tp.cc.onLoss?.(tp);
    tp.recover = undefined;
    tp.dupAcks = 0;
    tcpRetransmitHead(tp, tp.state === S.TCP_SYN_SENT ? 'syn' : tp.state === S.TCP_SYN_RECV ? 'synack' : 'rto');
    if (!handshake) {
      const head = Math.min(sendMss(tp), tp.sbufLen);
      tp.sndNxt = seqAdd(tp.sndUna, head + (head === tp.sbufLen && tp.finSent ? 1 : 0) + (head === 0 && tp.finSent ? 1 : 0));
    }
  } else if (tp.sbufLen > 0) {
    // The window is closed and nothing is in flight: tcp_probe_timer() → tcp_write_wakeup()
    // → tcp_xmit_probe_skb(sk, 0): a bare ACK at snd_una - 1, an old sequence number the
    // receiver answers with an ACK that carries its window.
    tcpXmitProbe(tp);
  }
  tp.rtt.backoff();
  armRto(tp);
}

// ---- the delayed-ACK timer ----

/** tcp_send_delayed_ack(): an ACK within TCP_DELACK, unless one is already due. */
export function scheduleDelack(tp: TcpSock): void {
  if (!tp.delackTimer?.pending) tp.delackTimer = tp.env.schedule(TCP_DELACK, () => tcpSendAck(tp));
}

/** inet_csk_clear_xmit_timer(ICSK_TIME_DACK): an ACK went out. */
export function cancelDelack(tp: TcpSock): void {
  tp.delackTimer?.cancel();
  tp.delackTimer = undefined;
  tp.unackedSegs = 0;
}

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
}
