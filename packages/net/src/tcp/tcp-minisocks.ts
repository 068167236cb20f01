// The states of a connection that Linux keeps in mini sockets (net/ipv4/tcp_minisocks.c):
// the request socket a SYN makes (tcp_openreq_init, tcp_create_openreq_child: here the
// child itself, in SYN_RECV, from the SYN on) and TIME_WAIT (tcp_time_wait,
// tcp_timewait_state_process: a new SYN may end it).
import type { IpAddr } from '../wire/addr';
import { v4Mapped } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import { TCP_STATE } from '../sock/state';
import { F_SYNCOOKIE, TCP_MSS_DEFAULT, TcpSock, tcpMssClamp } from './tcp-sock';
import { before, seqAdd } from './tcp-seq';
import { TCPOLEN_TSTAMP_ALIGNED, tcpFullSpace, tcpSelectInitialWindow } from './tcp-output';
import { armTimeWait } from './tcp-timer';
import { tcpSetState } from './tcp';

/**
 * tcp_create_openreq_child() from the SYN (with tcp_openreq_init's choices): the child of
 * listener `lp` in SYN_RECV, its addresses, options inherited from the listener
 * (sk_clone_lock), the peer's window scale, MSS and timestamps, and its ISN — the one a
 * TIME_WAIT socket handed over (`twIsn`), else secure_tcp_seq(). A `cookie` child is what
 * a syncookie's final ACK would make (cookie_v4_check): the MSS the cookie could encode, and
 * without timestamps no window scale or SACK (tcp_conn_request clears the options).
 */
export function tcpCreateOpenreqChild(lp: TcpSock, seg: TcpSegment, src: IpAddr, dst: IpAddr, twIsn: number | undefined, cookie = false): TcpSock {
  const env = lp.env;
  const c = new TcpSock(lp.host, lp.family, lp.owner, env);
  c.boundAddr = lp.boundAddr;
  c.srcAddr = lp.family === 6 && src.family === 4 ? v4Mapped(dst) : dst;
  c.localPort = lp.localPort;
  c.peer = { family: lp.family, addr: lp.family === 6 && src.family === 4 ? v4Mapped(src) : src, port: seg.srcPort };
  c.inheritOptions(lp);
  c.nodelay = lp.nodelay;
  c.cc = lp.cc;
  // sk_clone_lock(): the child inherits SO_KEEPALIVE and the TCP_KEEP* settings.
  if (lp.ka) c.ka = { idle: lp.ka.idle, intvl: lp.ka.intvl, cnt: lp.ka.cnt, probesOut: 0, lastRcv: env.now, timer: undefined };
  c.parent = lp;
  c.rcvNxt = seqAdd(seg.seq | 0, 1);
  c.irs = c.rcvNxt;
  c.rcvWup = c.rcvNxt;
  const sys = env.sysctl;
  // tcp_openreq_init(): what the SYN offered and the sysctls allow.
  const keepOptions = !cookie || (!!seg.options.ts && sys.tcpTimestamps === 1);
  const wscaleOk = keepOptions && seg.options.wscale !== undefined && sys.tcpWindowScaling === 1;
  c.wscaleOk = wscaleOk;
  c.sndWscale = wscaleOk ? seg.options.wscale! : 0;
  c.sackOk = keepOptions && !!seg.options.sackPermitted && sys.tcpSack === 1;
  const route = env.route(src);
  // tcp_openreq_init_rwin(), tcp_parse_options(): TCP_MAXSEG (the child inherits it) clamps both.
  c.userMss = lp.userMss;
  c.advMss = tcpMssClamp(c, routeMss(route?.dev.mtu ?? 1500, src.family));
  c.mssClamp = tcpMssClamp(c, seg.options.mss ?? TCP_MSS_DEFAULT);
  if (cookie) {
    c.mssClamp = cookieMss(c.mssClamp, src.family);
    c.bits |= F_SYNCOOKIE;
  }
  c.mss = Math.min(c.advMss, c.mssClamp);
  if (seg.options.ts && sys.tcpTimestamps) {
    c.tsOk = true;
    c.tsRecent = seg.options.ts[0] | 0;
    c.mss -= TCPOLEN_TSTAMP_ALIGNED;
  }
  // tcp_openreq_init_rwin(): the window from the listener's buffer (a locked SO_RCVBUF
  // clamps it), in whole segments less the timestamp option.
  c.skRcvbuf = lp.skRcvbuf;
  c.skSndbuf = lp.skSndbuf;
  const full = tcpFullSpace(lp);
  let clamp = lp.windowClamp;
  if (lp.rcvbufLocked && (clamp > full || clamp === 0)) clamp = full;
  const w = tcpSelectInitialWindow(lp, full, c.advMss - (c.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0), clamp, wscaleOk);
  c.rcvWnd = w.rcvWnd;
  c.windowClamp = w.windowClamp;
  c.rcvWscale = w.rcvWscale;
  c.rcvSsthresh = w.rcvWnd;
  tcpInitializeRcvMss(c);
  c.iss = twIsn ?? env.secureSeq(dst, lp.localPort, src, seg.srcPort) | 0;
  c.sndUna = c.iss;
  c.sndNxt = seqAdd(c.iss, 1);
  c.sndMax = c.sndNxt;
  initSendSeq(c);
  // (max_window starts with the final ACK: Linux makes the child from that segment)
  c.sndWnd = seg.window;
  c.state = TCP_STATE.TCP_SYN_RECV;
  return c;
}

/** msstab (syncookies.c, and tcp_ipv6's): the MSS values a cookie can carry. */
const COOKIE_MSS4 = [536, 1300, 1440, 1460];
const COOKIE_MSS6 = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];

/** __cookie_v4_init_sequence(): the largest table MSS not above the peer's (else the least). */
function cookieMss(mss: number, family: 4 | 6): number {
  const tab = family === 4 ? COOKIE_MSS4 : COOKIE_MSS6;
  let i = tab.length - 1;
  while (i > 0 && mss < tab[i]!) i--;
  return tab[i]!;
}

/** inet_csk_reqsk_queue_len(): the listener's requests (its syncookie children are none). */
export function reqskQueueLen(lp: TcpSock): number {
  const q = lp.lq;
  return q ? q.synQ.size - q.cookies : 0;
}

/** inet_csk_reqsk_queue_added() */
export function reqskQueueAdded(lp: TcpSock, c: TcpSock): void {
  const q = lp.listenQueues;
  q.synQ.add(c);
  if (c.bits & F_SYNCOOKIE) q.cookies++;
}

/** reqsk_queue_removed(): a child leaves its listener's SYN queue (established, or gone). */
export function reqskQueueRemoved(lp: TcpSock, c: TcpSock): void {
  const q = lp.lq;
  if (q?.synQ.delete(c) && c.bits & F_SYNCOOKIE) q.cookies--;
}

/**
 * ipv4_default_advmss() / ip6_default_advmss(): the MTU less the headers, but never a
 * segment whose datagram would not fit the 16-bit length field (lo's MTU is 65536: MSS
 * 65495 over IPv4, as Linux advertises on loopback).
 */
export function routeMss(mtu: number, family: 4 | 6): number {
  return family === 4 ? Math.min(mtu - 40, 65535 - 40) : Math.min(mtu - 60, 65535 - 20);
}

/** tcp_time_wait(): the connection waits in TIME_WAIT for TCP_TIMEWAIT_LEN. */
export function tcpTimeWait(tp: TcpSock): void {
  tcpSetState(tp, TCP_STATE.TCP_TIME_WAIT);
  armTimeWait(tp);
}

/**
 * tcp_timewait_state_process() for a bare SYN: when its sequence is after our rcv_nxt, the
 * TIME_WAIT socket may go and the SYN opens a new connection; the ISN that connection
 * should use (tw_snd_nxt + 65535 + 2), or undefined when the SYN is an old duplicate.
 */
export function tcpTwSynIsn(tp: TcpSock, seq: number): number | undefined {
  if (tp.state !== TCP_STATE.TCP_TIME_WAIT || !before(tp.rcvNxt, seq | 0)) return undefined;
  return seqAdd(tp.sndNxt, 65537);
}

/** tcp_initialize_rcv_mss(): a first guess of the peer's segment size, at most 536. */
export function tcpInitializeRcvMss(tp: TcpSock): void {
  let hint = Math.min(tp.advMss, tp.mss, tp.rcvWnd >> 1, 536);
  hint = Math.max(hint, 88);
  tp.rcvMss = hint;
}

/** The send side's sequence marks at snd_nxt after the SYN (write_seq, pushed_seq, snd_sml). */
export function initSendSeq(tp: TcpSock): void {
  // (pushed_seq, snd_sml and cwnd_usage_seq start here too: TcpTx takes them from write_seq
  // when the first data is queued.)
  tp.writeSeq = tp.sndNxt;
}
