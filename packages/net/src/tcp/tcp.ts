// The socket calls of TCP (net/ipv4/tcp.c: tcp_sendmsg_locked, tcp_recvmsg, tcp_shutdown,
// tcp_close, do_tcp_setsockopt, tcp_poll, tcp_set_state, tcp_done; inet_connection_sock.c:
// inet_csk_listen_start, inet_csk_accept), over the control block (tcp-sock.ts).
import type { ErrnoCode } from '@bpfsim/isa';
import { SysError } from '@bpfsim/isa';
import type { PollState, Sock } from '../sock/sock';
import { wouldBlock } from '../sock/sock';
import { TCP_STATE, tcpStateName } from '../sock/state';
import { SK_RST_REASON, releaseSockObject, traceErrorReport, traceSetState } from '../bpf/tracepoints';
import { BPF_SOCK_OPS, BPF_SOCK_OPS_CB } from '../bpf/sock-ops';
import { SEC } from '../sim/simulation';
import { seqAdd, seqDiff } from './tcp-seq';
import { CONGESTION_OPS } from './tcp-cong';
import type { TcpSock } from './tcp-sock';
import type { TxSkb } from './tcp-sock';
import { tcpRateCheckAppLimited } from './tcp-rate';
import { reqskQueueRemoved } from './tcp-minisocks';
import { F_ECN_OK, F_ECN_SEEN, F_NOSPACE, MAX_TCP_WINDOW, NO_SKBS, NO_TX, TCP_MIN_MSS, newTxSkb, rbufCopy, sbufAppend } from './tcp-sock';
import { tcpCallBpf } from './tcp-sock-ops';
import { NAGLE_OFF, NAGLE_PUSH, sendMss, tcpSendAck, tcpSendActiveReset, tcpSlowStartAfterIdleCheck, tcpWriteXmit } from './tcp-output';
import { tcpCleanupRbuf, tcpMaxWindow, tcpRcvSpaceAdjust } from './tcp-input';
import { TCP_FIN, TCP_PSH } from '../wire/tcp';
import { TCP_MAX_QUICKACKS, clearAllTimers, resetKeepalive, stopKeepalive, tcpEnterQuickackMode } from './tcp-timer';

const S = TCP_STATE;
const SOL_TCP = 6;
const MSG_PEEK = 2;
/** TCP_NODELAY, TCP_MAXSEG, TCP_CORK … (include/uapi/linux/tcp.h) */
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_INFO = 11;
export const TCP_QUICKACK = 12;
export const TCP_CONGESTION = 13;

/** net.ipv4.tcp_keepalive_time / _intvl / _probes defaults (7200 s, 75 s, 9). */
export const TCP_KEEPALIVE_TIME = 7200 * SEC;
export const TCP_KEEPALIVE_INTVL = 75 * SEC;
export const TCP_KEEPALIVE_PROBES = 9;
/** MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL (s), MAX_TCP_KEEPCNT */
const MAX_TCP_KEEPIDLE = 32767;
const MAX_TCP_KEEPCNT = 127;

/** tcp_set_state(): the state change, its trace point, sock_ops STATE_CB and the hashes. */
export function tcpSetState(tp: TcpSock, to: number): void {
  if (tp.state === to) return;
  const from = tp.state;
  traceSetState(tp, from, to);
  // BPF_SOCK_OPS_STATE_CB (when asked for), before the state changes. TIME_WAIT is a
  // separate mini socket in Linux (tcp_time_wait): the full socket the program sees goes to
  // CLOSE (tcp_done), as this machine's kernel reports FIN_WAIT2 → CLOSE (hooks golden
  // 'sock-ops-state-cb'); the mini socket's end calls no program.
  if (tp.cbFlags & BPF_SOCK_OPS_CB.STATE && from !== S.TCP_TIME_WAIT) tcpCallBpf(tp, BPF_SOCK_OPS.STATE_CB, from, to === S.TCP_TIME_WAIT ? S.TCP_CLOSE : to);
  tp.state = to;
  if (to === S.TCP_LISTEN) {
    tp.env.hashListener(tp);
    // __inet_listen_sk(): BPF_SOCK_OPS_TCP_LISTEN_CB.
    tcpCallBpf(tp, BPF_SOCK_OPS.TCP_LISTEN_CB);
  } else if (from === S.TCP_LISTEN) tp.env.unhashListener(tp);
  if (tp.env.observed('tcp:state')) tp.env.emit('tcp:state', { time: tp.env.now, host: tp.env.hostName, socket: tp.describe(), from: tcpStateName(from), to: tcpStateName(to) });
  tp.wake();
}

/** tcp_poll() */
export function tcpPoll(tp: TcpSock): PollState {
  const readable = tp.rqBytes > 0 || tp.finReceived || (tp.lq?.acceptQ.length ?? 0) > 0 || tp.error !== undefined || tp.state === S.TCP_CLOSE;
  // sk_stream_is_writeable(): free space at least half of what is queued.
  const open = tp.state === S.TCP_ESTABLISHED || tp.state === S.TCP_CLOSE_WAIT;
  const writable = open && tp.skSndbuf - tp.wmemQueued >= tp.wmemQueued >> 1;
  // A poller waiting to write marks the socket (SOCK_NOSPACE): ACKs then grow the send
  // buffer for it and wake it (tcp_check_space).
  if (open && !writable) tp.bits |= F_NOSPACE;
  return { readable, writable, error: tp.error !== undefined, hup: tp.finReceived || tp.state === S.TCP_CLOSE };
}

/** inet_listen() → inet_csk_listen_start(). */
export function tcpListen(tp: TcpSock, backlog: number): void {
  if (tp.state !== S.TCP_CLOSE && tp.state !== S.TCP_LISTEN) throw new SysError('EINVAL', 'only a closed socket can listen');
  // net.core.somaxconn = 4096 clamps the backlog.
  tp.listenQueues.backlog = Math.max(0, Math.min(backlog, 4096));
  if (tp.state === S.TCP_LISTEN) return;
  const prev = tp.state;
  tp.state = S.TCP_LISTEN;
  try {
    // inet_csk_listen_start(): the port is checked again, now as a listener.
    tp.env.ports.bind(tp, tp.localPort);
  } catch (e) {
    tp.state = prev;
    throw e;
  }
  tp.state = prev;
  tcpSetState(tp, S.TCP_LISTEN);
}

/** inet_csk_accept(): a connection from the accept queue, or undefined (would block). */
export function tcpAccept(tp: TcpSock): Sock | undefined {
  if (tp.state !== S.TCP_LISTEN) throw new SysError('EINVAL', 'the socket is not listening');
  const c = tp.acceptQueue.shift();
  if (c) c.parent = undefined;
  return c;
}

/** tcp_sendmsg(): the state checks, then the SK_MSG hook or the send buffer. */
export function tcpSendmsg(tp: TcpSock, data: Uint8Array): number {
  if (tp.error) {
    const e = tp.takeError()!;
    throw new SysError(e, 'the connection failed');
  }
  if (tp.shutWr || (tp.state !== S.TCP_ESTABLISHED && tp.state !== S.TCP_CLOSE_WAIT)) {
    if (tp.state === S.TCP_SYN_SENT || tp.state === S.TCP_SYN_RECV) throw wouldBlock('EAGAIN', 'the connection is not established yet');
    throw new SysError(tp.shutWr || tp.state !== S.TCP_CLOSE ? 'EPIPE' : 'ENOTCONN', 'the socket cannot send');
  }
  // tcp_bpf_sendmsg() while the socket's psock has a verdict program (TCP_BPF_TX).
  if (tp.psock?.tx) return tp.psock.sendmsg(data);
  return tcpSendData(tp, data);
}

/**
 * sendfile(2) of `data` (the file's bytes) to this socket: splice into tcp_sendmsg with
 * MSG_SPLICE_PAGES on current Linux; a psock's program sees the bytes as the profile says
 * (4.17: tcp_bpf_sendpage, shared pages until pull_data).
 */
export function tcpSendfile(tp: TcpSock, data: Uint8Array): number {
  if (tp.psock?.tx && (tp.state === S.TCP_ESTABLISHED || tp.state === S.TCP_CLOSE_WAIT) && !tp.shutWr && !tp.error) return tp.psock.sendmsg(data, { sendfile: true });
  return tcpSendmsg(tp, data);
}

/** What the send buffer is charged per skb beyond its bytes (skb->truesize overhead). */
export const SKB_TRUESIZE_OVERHEAD = 840;

/**
 * tcp_sendmsg_locked(): the bytes go into skbs of size_goal (tcp_xmit_size_goal: as many
 * segments as half the peer's largest window holds, for GSO), appended to the tail skb
 * while it is not yet sent; a new skb only while the send buffer (sk_wmem_queued, bytes plus
 * per-skb overhead) is under sk_sndbuf. A full skb goes out at once when it heads the queue
 * (tcp_push_one), or with PSH when half a window was written since the last PSH
 * (forced_push); the write's last skb gets PSH (tcp_push). What does not fit is refused:
 * EAGAIN when nothing fit.
 */
export function tcpSendData(tp: TcpSock, data: Uint8Array): number {
  // tcp_rate_check_app_limited(): is the flow application-limited?
  tcpRateCheckAppLimited(tp);
  const mss = sendMss(tp);
  const sizeGoal = tcpXmitSizeGoal(tp, mss);
  let copied = 0;
  while (copied < data.length) {
    let skb = tp.wq[tp.wq.length - 1];
    const tailOpen = skb !== undefined && tp.sendHead < tp.wq.length && !(skb.flags & TCP_FIN);
    let room = tailOpen ? sizeGoal - skb!.len : 0;
    if (room <= 0) {
      if (tp.wmemQueued >= tp.skSndbuf) {
        tp.bits |= F_NOSPACE;
        break;
      }
      skb = newTxSkb(tp.writeSeq, 0, 0, 1, 0);
      if (tp.wq === NO_SKBS) tp.wq = [];
      tp.wq.push(skb);
      tcpSlowStartAfterIdleCheck(tp);
      tp.wmemQueued += SKB_TRUESIZE_OVERHEAD;
      room = sizeGoal;
    }
    const n = Math.min(room, data.length - copied);
    sbufAppend(tp, data.subarray(copied, copied + n));
    skb!.len += n;
    tp.writeSeq = seqAdd(tp.writeSeq, n);
    tp.wmemQueued += n;
    copied += n;
    if (skb!.len < sizeGoal) continue;
    if (forcedPush(tp)) {
      markPush(tp, skb!);
      tcpWriteXmit(tp, tp.nonagleBits | NAGLE_PUSH);
    } else if (tp.wq.length - 1 === tp.sendHead) tcpWriteXmit(tp, tp.nonagleBits | NAGLE_PUSH, 1);
  }
  if (copied === 0) throw wouldBlock('EAGAIN', 'the send buffer is full');
  // tcp_push(): PSH on the tail, then what Nagle and cork allow.
  const tail = tp.wq[tp.wq.length - 1];
  if (tail && tp.sendHead < tp.wq.length) markPush(tp, tail);
  tcpWriteXmit(tp);
  return copied;
}

/** forced_push(): half the peer's largest window written since the last PSH. */
const forcedPush = (tp: TcpSock): boolean => seqDiff(tp.writeSeq, seqAdd(tp.pushedSeq, tcpMaxWindow(tp) >> 1)) > 0;
/** tcp_mark_push() */
function markPush(tp: TcpSock, skb: TxSkb): void {
  skb.flags |= TCP_PSH;
  tp.pushedSeq = tp.writeSeq;
}

/** tcp_xmit_size_goal(): GSO skbs of the segments that fit half the largest window (lo's
 * sk_gso_max_size is 64 KiB: tcp_bound_to_half_wnd). */
function tcpXmitSizeGoal(tp: TcpSock, mss: number): number {
  const maxWin = tcpMaxWindow(tp);
  let goal = 65536;
  const cutoff = maxWin > 536 ? maxWin >> 1 : maxWin;
  if (cutoff && goal > cutoff) goal = Math.max(cutoff, 68 - (tp.tsOk ? 32 : 20));
  return Math.max(mss, Math.floor(goal / mss) * mss);
}

/** tcp_recvmsg(), then tcp_rcv_space_adjust() and tcp_cleanup_rbuf(). */
export function tcpRecvmsg(tp: TcpSock, maxBytes: number, flags: number): { data: Uint8Array } | undefined {
  // tcp_bpf_recvmsg(): a psock's ingress queue comes first.
  const redirected = tp.psock?.recvmsg(maxBytes);
  if (redirected) return { data: redirected };
  if (tp.rqBytes === 0) {
    if (tp.error) {
      const e = tp.takeError()!;
      throw new SysError(e, 'the connection failed');
    }
    if (tp.finReceived || tp.shutRd || tp.state === S.TCP_CLOSE) return { data: new Uint8Array(0) };
    if (tp.state === S.TCP_LISTEN || tp.state === S.TCP_SYN_SENT) throw new SysError('ENOTCONN', 'the socket is not connected');
    return undefined;
  }
  const n = Math.min(maxBytes, tp.rqBytes);
  const out = new Uint8Array(n);
  const q = tp.rq;
  rbufCopy(q, n, out, 0);
  if (!(flags & MSG_PEEK)) {
    q.head = tp.rqBytes === n ? 0 : (q.head + n) % q.buf.length;
    let at = 0;
    while (at < n) {
      const c = q.skbs[0]!;
      const k = Math.min(c.len, n - at);
      at += k;
      tp.rqBytes -= k;
      tp.copiedSeq = seqAdd(tp.copiedSeq, k);
      if (k === c.len) {
        q.skbs.shift();
        // skb freed: its truesize leaves the receive buffer.
        tp.rmemAlloc -= c.truesize;
      } else c.len -= k;
      // tcp_recvmsg_locked() measures after each skb it copies from (the rest of the queue
      // still counts as not read).
      const next = q.skbs[0];
      if (at === n || !next || next.frags === 1) tcpRcvSpaceAdjust(tp);
    }
  }
  if (!(flags & MSG_PEEK)) tcpCleanupRbuf(tp, n);
  return { data: out };
}
/** tcp_shutdown() (SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2). */
export function tcpShutdown(tp: TcpSock, how: number): void {
  if (tp.state === S.TCP_CLOSE || tp.state === S.TCP_LISTEN || tp.state === S.TCP_SYN_SENT) {
    if (tp.state !== S.TCP_LISTEN) throw new SysError('ENOTCONN', 'the socket is not connected');
  }
  if (how === 0 || how === 2) tp.shutRd = true;
  if (how === 1 || how === 2) closeWrite(tp);
  tp.wake();
}

/** tcp_close_state() + tcp_send_fin(): ESTABLISHED → FIN_WAIT1, CLOSE_WAIT → LAST_ACK. */
function closeWrite(tp: TcpSock): void {
  if (tp.shutWr) return;
  tp.shutWr = true;
  if (tp.state === S.TCP_ESTABLISHED) tcpSetState(tp, S.TCP_FIN_WAIT1);
  else if (tp.state === S.TCP_CLOSE_WAIT) tcpSetState(tp, S.TCP_LAST_ACK);
  else return;
  tp.finQueued = true;
  tcpSendFin(tp);
}

/**
 * tcp_send_fin(): the FIN rides on the last skb if it is not sent yet, else it is an skb of
 * its own; then it goes as the windows allow (__tcp_push_pending_frames, TCP_NAGLE_OFF).
 */
function tcpSendFin(tp: TcpSock): void {
  const tail = tp.wq[tp.wq.length - 1];
  if (tail && tp.sendHead < tp.wq.length) tail.flags |= TCP_FIN;
  else {
    if (tp.wq === NO_SKBS) tp.wq = [];
    tp.wq.push(newTxSkb(tp.writeSeq, 0, TCP_FIN, 1, 0));
    tp.wmemQueued += SKB_TRUESIZE_OVERHEAD;
  }
  tp.writeSeq = seqAdd(tp.writeSeq, 1);
  tcpWriteXmit(tp, tp.nonagleBits | NAGLE_OFF);
}

/** tcp_close(): listeners drop their queues; unread data or SO_LINGER 0 resets; else FIN. */
export function tcpClose(tp: TcpSock): void {
  if (tp.state === S.TCP_LISTEN) {
    for (const c of [...tp.acceptQueue, ...tp.synQueue]) tcpAbort(c);
    tp.acceptQueue.length = 0;
    tp.synQueue.clear();
    tcpSetState(tp, S.TCP_CLOSE);
    tp.env.ports.unbind(tp);
    return;
  }
  if (tp.state === S.TCP_CLOSE) {
    tp.env.ports.unbind(tp);
    return;
  }
  if (tp.state === S.TCP_SYN_SENT) {
    tcpDone(tp);
    return;
  }
  const linger0 = tp.options.linger?.onoff && tp.options.linger.seconds === 0;
  if (tp.rqBytes > 0 || linger0) {
    // tcp_close(): unread data is TCP_ABORT_ON_CLOSE, SO_LINGER 0 TCP_ABORT_ON_LINGER.
    tcpAbort(tp, tp.rqBytes > 0 ? SK_RST_REASON.TCP_ABORT_ON_CLOSE : SK_RST_REASON.TCP_ABORT_ON_LINGER);
    return;
  }
  tp.shutRd = true;
  closeWrite(tp);
}

/** tcp_send_active_reset() then tcp_done(). */
export function tcpAbort(tp: TcpSock, reason: number = SK_RST_REASON.NOT_SPECIFIED): void {
  if (tp.state !== S.TCP_CLOSE && tp.state !== S.TCP_LISTEN && tp.state !== S.TCP_SYN_SENT && tp.peer) tcpSendActiveReset(tp, reason);
  tcpDone(tp);
}

/** tcp_done() with an error for the user (undefined: silently, a SYN_RECV child). */
export function tcpFail(tp: TcpSock, err: ErrnoCode | undefined): void {
  if (err) {
    tp.error = err;
    traceErrorReport(tp);
  }
  if (tp.parent) reqskQueueRemoved(tp.parent, tp);
  tcpDone(tp);
}

/** tcp_done(): to TCP_CLOSE, off the tables, timers off. */
export function tcpDone(tp: TcpSock): void {
  clearAllTimers(tp);
  tp.env.unhashEstablished(tp);
  const wasListenerChild = !!tp.parent;
  tcpSetState(tp, S.TCP_CLOSE);
  tp.tx = NO_TX;
  // The port goes with the socket unless the user still holds it (close() unbinds then).
  if (wasListenerChild || tp.refcnt === 0) tp.env.ports.unbind(tp);
  releaseSockObject(tp);
  tp.wake();
}

/** do_tcp_setsockopt() for the options bpfsim models. */
export function tcpSetOption(tp: TcpSock, level: number, name: number, value: number): boolean {
  if (level !== SOL_TCP) return false;
  if (name === TCP_NODELAY) {
    tp.nodelay = value !== 0;
    if (tp.nodelay) tcpWriteXmit(tp);
  } else if (name === TCP_CORK) {
    tp.cork = value !== 0;
    if (!tp.cork) tcpWriteXmit(tp);
  } else if (name === TCP_QUICKACK) {
    // __tcp_sock_set_quickack(): 1 sends the ACKs due now and ACKs the next segments at once
    // (leaving pingpong); 0 goes interactive (delayed ACKs).
    if (value) {
      tcpEnterQuickackMode(tp, TCP_MAX_QUICKACKS);
      // __tcp_cleanup_rbuf(sk, 1)-ish: an ACK that is due goes now.
      if (tp.ackPending & 1) tcpSendAck(tp);
    } else tp.pingpong = true;
  } else if (name === TCP_MAXSEG) {
    // do_tcp_setsockopt(): 0 clears it; otherwise TCP_MIN_MSS..MAX_TCP_WINDOW. It takes
    // effect when a connection is set up (tcp_connect_init, tcp_openreq_init_rwin).
    if (value !== 0 && (value < TCP_MIN_MSS || value > MAX_TCP_WINDOW)) throw new SysError('EINVAL', `TCP_MAXSEG takes 0 or ${TCP_MIN_MSS}..${MAX_TCP_WINDOW}`);
    tp.userMss = value;
  }
  else if (name === TCP_KEEPIDLE || name === TCP_KEEPINTVL) {
    if (value < 1 || value > MAX_TCP_KEEPIDLE) throw new SysError('EINVAL', `${name === TCP_KEEPIDLE ? 'TCP_KEEPIDLE' : 'TCP_KEEPINTVL'} takes 1..${MAX_TCP_KEEPIDLE} seconds`);
    const k = keepalive(tp);
    if (name === TCP_KEEPINTVL) k.intvl = value * SEC;
    else {
      // tcp_sock_set_keepidle_locked(): a running timer is moved to the new idle time.
      k.idle = value * SEC;
      if (keepaliveActive(tp)) resetKeepalive(tp, Math.max(0, k.idle - (tp.now - k.lastRcv)));
    }
  } else if (name === TCP_KEEPCNT) {
    if (value < 1 || value > MAX_TCP_KEEPCNT) throw new SysError('EINVAL', `TCP_KEEPCNT takes 1..${MAX_TCP_KEEPCNT}`);
    keepalive(tp).cnt = value;
  } else return false;
  return true;
}

/** do_tcp_getsockopt() */
export function tcpGetOption(tp: TcpSock, level: number, name: number): number | undefined {
  if (level !== SOL_TCP) return undefined;
  if (name === TCP_NODELAY) return tp.nodelay ? 1 : 0;
  if (name === TCP_CORK) return tp.cork ? 1 : 0;
  // do_tcp_getsockopt(): mss_cache, or TCP_MAXSEG's value on a socket not connected.
  if (name === TCP_MAXSEG) return tp.userMss && (tp.state === TCP_STATE.TCP_CLOSE || tp.state === TCP_STATE.TCP_LISTEN) ? tp.userMss : sendMss(tp);
  if (name === TCP_QUICKACK) return tp.pingpong ? 0 : 1;
  if (name === TCP_KEEPIDLE) return Math.round((tp.ka?.idle ?? TCP_KEEPALIVE_TIME) / SEC);
  if (name === TCP_KEEPINTVL) return Math.round((tp.ka?.intvl ?? TCP_KEEPALIVE_INTVL) / SEC);
  if (name === TCP_KEEPCNT) return tp.ka?.cnt ?? TCP_KEEPALIVE_PROBES;
  return undefined;
}

/** TCP_CONGESTION: tcp_set_congestion_control() by name (ENOENT for one not available). */
export function tcpSetCongestion(tp: TcpSock, name: string): void {
  const ops = CONGESTION_OPS.get(name);
  if (!ops) throw new SysError('ENOENT', `no congestion control '${name}' (available: ${[...CONGESTION_OPS.keys()].join(' ')})`);
  if (ops === tp.cc) return;
  tp.cc = ops;
  tp.ccPriv = undefined;
  // tcp_reinit_congestion_control() on a connection already under way.
  if (tp.state === S.TCP_ESTABLISHED || tp.state === S.TCP_CLOSE_WAIT) ops.init?.(tp);
}

/** The keepalive settings, made on first use. */
export function keepalive(tp: TcpSock): NonNullable<TcpSock['ka']> {
  return (tp.ka ??= { idle: TCP_KEEPALIVE_TIME, intvl: TCP_KEEPALIVE_INTVL, cnt: TCP_KEEPALIVE_PROBES, probesOut: 0, lastRcv: tp.now, timer: undefined });
}

export function keepaliveActive(tp: TcpSock): boolean {
  return tp.options.keepalive && tp.state !== S.TCP_CLOSE && tp.state !== S.TCP_LISTEN && tp.state !== S.TCP_SYN_SENT;
}

/** tcp_set_keepalive(): SO_KEEPALIVE on arms the timer for the idle time, off stops it. */
export function tcpKeepaliveChanged(tp: TcpSock): void {
  if (keepaliveActive(tp)) resetKeepalive(tp, keepalive(tp).idle);
  else stopKeepalive(tp);
}

/**
 * struct tcp_info as getsockopt(TCP_INFO) fills it (tcp_get_info()), the fields people read,
 * with the kernel's names (tcpi_ dropped) and units: times in µs, sizes in bytes, windows in
 * segments. Fields bpfsim does not keep are absent rather than made up.
 */
export interface TcpInfo {
  state: string;
  ca_state: string;
  retransmits: number;
  backoff: number;
  /** TCPI_OPT_TIMESTAMPS 1 | TCPI_OPT_SACK 2 | TCPI_OPT_WSCALE 4 */
  options: number;
  snd_wscale: number;
  rcv_wscale: number;
  rto: number;
  ato: number;
  snd_mss: number;
  rcv_mss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  pmtu: number;
  rcv_ssthresh: number;
  rtt: number;
  rttvar: number;
  snd_ssthresh: number;
  snd_cwnd: number;
  advmss: number;
  rcv_space: number;
  total_retrans: number;
  bytes_acked: number;
  bytes_received: number;
  segs_out: number;
  segs_in: number;
  notsent_bytes: number;
  min_rtt: number;
  snd_wnd: number;
  rcv_wnd: number;
  /** tp->reordering, tp->delivered, dsack_dups (segments reported received twice). */
  reordering: number;
  delivered: number;
  dsack_dups: number;
  /** sk_pacing_rate, bytes/s (2^64 - 1, as Linux's ~0UL, before any is set). */
  pacing_rate: number;
  /** The last valid delivery-rate sample, bytes/s (tcp_compute_delivery_rate), and whether
   * it was application-limited. */
  delivery_rate: number;
  delivery_rate_app_limited: number;
}

const CA_STATE_NAMES = ['Open', 'Disorder', 'CWR', 'Recovery', 'Loss'];

/** tcp_get_info() */
export function tcpGetInfo(tp: TcpSock): TcpInfo {
  const mss = sendMss(tp);
  const us = (ns: number): number => Math.round(ns / 1000);
  const inFlight = Math.max(0, seqDiff(tp.sndNxt, tp.sndUna));
  return {
    state: tcpStateName(tp.state).replace(/^TCP_/, ''),
    ca_state: CA_STATE_NAMES[tp.sackOk || tp.recover === undefined ? tp.tx.caState : 3]!,
    retransmits: tp.retries,
    backoff: tp.retries,
    // TCPI_OPT_TIMESTAMPS 1, SACK 2, WSCALE 4, ECN 8, ECN_SEEN 16.
    options: (tp.tsOk ? 1 : 0) | (tp.sackOk ? 2 : 0) | (tp.rcvWscale || tp.sndWscale ? 4 : 0) | (tp.bits & F_ECN_OK ? 8 : 0) | (tp.bits & F_ECN_SEEN ? 16 : 0),
    snd_wscale: tp.sndWscale,
    rcv_wscale: tp.rcvWscale,
    rto: us(tp.rtt.rto),
    ato: Math.round(tp.ackAto * 4000),
    snd_mss: mss,
    rcv_mss: tp.rcvMss,
    unacked: tp.tx.packetsOut,
    sacked: tp.tx.sackedOut,
    lost: tp.tx.lostOut,
    retrans: tp.tx.retransOut,
    pmtu: tp.env.route(tp.remoteWire)?.dev.mtu ?? 0,
    rcv_ssthresh: tp.rcvSsthresh,
    rtt: us(tp.rtt.srtt),
    rttvar: us(tp.rtt.rttvar),
    snd_ssthresh: tp.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(tp.ssthresh / Math.max(1, tp.mss)),
    snd_cwnd: Math.floor(tp.cwnd / Math.max(1, tp.mss)),
    advmss: tp.advMss,
    rcv_space: tp.rcvSpace,
    total_retrans: tp.tx.totalRetrans,
    bytes_acked: Math.max(0, seqDiff(tp.sndUna, seqAdd(tp.iss, 1))),
    bytes_received: Math.max(0, seqDiff(tp.rcvNxt, tp.irs)),
    segs_out: tp.segsOut,
    segs_in: tp.segsIn,
    notsent_bytes: Math.max(0, tp.sbufLen - inFlight),
    min_rtt: us(tp.rtt.minRtt),
    snd_wnd: tp.sndWnd,
    rcv_wnd: tp.rcvWnd,
    reordering: tp.tx === NO_TX ? 3 : tp.tx.reordering,
    delivered: tp.tx.delivered,
    dsack_dups: tp.tx.dsackDups,
    pacing_rate: tp.tx.pacingRate || 2 ** 64 - 1,
    delivery_rate: tp.tx.rateDelivered && tp.tx.rateIntervalUs ? Math.floor((tp.tx.rateDelivered * mss * 1e6) / tp.tx.rateIntervalUs) : 0,
    delivery_rate_app_limited: tp.tx.rateAppLimited ? 1 : 0,
  };
}
