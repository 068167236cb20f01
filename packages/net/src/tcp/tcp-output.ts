// Segments out (net/ipv4/tcp_output.c): tcp_transmit_skb() with the options and the
// window (tcp_select_initial_window, __tcp_select_window, tcp_select_window),
// tcp_write_xmit() with Nagle (Minshall's variant), cork, TSO autosizing and deferral,
// tcp_send_ack() with tcp_event_ack_sent(), tcp_event_data_sent(), the SYN and SYN-ACK,
// tcp_retransmit_skb(), tcp_send_active_reset() and tcp_current_mss()
// (tcp_bound_to_half_wnd).
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_OPS, BPF_SOCK_OPS_CB } from '../bpf/sock-ops';
import { SK_RST_REASON, traceRetransmit, traceTcpSendReset } from '../bpf/tracepoints';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TcpOptsOut, buildTcpSegment } from '../wire/tcp';
import type { TcpSock, TcpTx, TxSkb } from './tcp-sock';
import { CA_RECOVERY, IPPROTO_TCP, NO_TX, SKB_RETRANS, SKB_RETRANS_OUT, TCP_INIT_CWND, sbufRead, skbAccount, skbMark, tcpInCwndReduction } from './tcp-sock';
import { tcpEnterCwr, tcpScheduleLossProbe, tcpXmitRetransmitQueue } from './tcp-recovery';
import { tcpRateSkbSent } from './tcp-rate';
import { ECN_SHIFT, INET_ECN_MASK, tcpEcnSend, tcpEcnSendSyn } from './tcp-ecn';
import { before, beforeEq, seqAdd, seqDiff } from './tcp-seq';
import { tcpCallBpf } from './tcp-sock-ops';
import { JIFFY_NS, armRto, cancelDelack, tcpDecQuickackMode } from './tcp-timer';

const S = TCP_STATE;
/** TCPOLEN_TSTAMP_ALIGNED: what the timestamp option takes from every segment. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;
/** TCP_MAX_WSCALE, and the largest window a SYN can say (U16_MAX << 14). */
const TCP_MAX_WSCALE = 14;
/** TCP_RMEM_TO_WIN_SCALE: scaling_ratio is payload per truesize in 1/256. */
const TCP_RMEM_TO_WIN_SCALE = 8;
/** sk_gso_max_size of lo (GSO_LEGACY_MAX_SIZE), and net.ipv4.tcp_min_tso_segs / tcp_tso_rtt_log. */
const GSO_MAX_SIZE = 65536;
const TCP_MIN_TSO_SEGS = 2;
const TCP_TSO_RTT_LOG = 9;
/** sk_pacing_shift: TSO chunks of about 1 ms of the pacing rate. */
const SK_PACING_SHIFT = 10;
/** net.ipv4.tcp_pacing_ss_ratio / tcp_pacing_ca_ratio (%). */
const PACING_SS_RATIO = 200;
const PACING_CA_RATIO = 120;
/** sysctl_tcp_tso_win_divisor */
const TSO_WIN_DIVISOR = 3;

/** tcp_win_from_space(): the window `space` bytes of buffer hold at the socket's payload ratio. */
export const tcpWinFromSpace = (tp: TcpSock, space: number): number => Math.floor((space * tp.scalingRatio) / (1 << TCP_RMEM_TO_WIN_SCALE));
/** tcp_space(): the window left in the receive buffer now. */
export const tcpSpace = (tp: TcpSock): number => tcpWinFromSpace(tp, tp.skRcvbuf - tp.rmemAlloc);
/** tcp_full_space(): the window a whole receive buffer holds. */
export const tcpFullSpace = (tp: TcpSock): number => tcpWinFromSpace(tp, tp.skRcvbuf);
/** tcp_receive_window(): what is left of the window last advertised. */
export const tcpReceiveWindow = (tp: TcpSock): number => Math.max(0, seqDiff(seqAdd(tp.rcvWup, tp.rcvWnd), tp.rcvNxt));

/**
 * tcp_select_initial_window(): a new connection's window (`rcvWnd`), its clamp and the
 * window scale to offer, from the space the buffer gives (tcp_full_space) and the MSS:
 * the space rounded down to whole segments (64240 = 44 × 1460 in a SYN on Ethernet), the
 * scale from the largest buffer autotuning may reach (tcp_rmem[2] or rmem_max, but not past
 * the clamp: 10 for 32 MiB; 0 under a locked small SO_RCVBUF).
 */
export function tcpSelectInitialWindow(tp: TcpSock, space: number, mss: number, windowClamp: number, wscaleOk: boolean): { rcvWnd: number; windowClamp: number; rcvWscale: number } {
  const sys = tp.env.sysctl;
  if (windowClamp === 0) windowClamp = 65535 * 2 ** TCP_MAX_WSCALE;
  space = Math.min(space, windowClamp, 65535 * 2 ** TCP_MAX_WSCALE);
  if (space > mss) space -= space % mss;
  const rcvWnd = space;
  let rcvWscale = 0;
  if (wscaleOk) {
    let max = Math.max(space, sys.tcpRmem[2], sys.rmemMax);
    max = Math.min(max, windowClamp, 65535 * 2 ** TCP_MAX_WSCALE);
    rcvWscale = Math.max(0, Math.min(TCP_MAX_WSCALE, Math.floor(Math.log2(max)) - 15));
  }
  return { rcvWnd, windowClamp: Math.min(65535 * 2 ** rcvWscale, windowClamp), rcvWscale };
}

/**
 * __tcp_select_window(): the window to offer now — the free space (tcp_space) but no more
 * than rcv_ssthresh, aligned up to the scale's unit (so it is not scaled away); under half
 * the buffer free it is rounded down instead, and under an MSS (or 1/16 of the buffer) it
 * is zero (silly window avoidance). Without a scale, whole segments, kept while within one.
 */
export function tcpSelectWindowRaw(tp: TcpSock): number {
  let mss = tp.rcvMss;
  let free = tcpSpace(tp);
  const allowed = tcpFullSpace(tp);
  const full = Math.min(tp.windowClamp, allowed);
  if (mss > full) {
    mss = full;
    if (mss <= 0) return 0;
  }
  const unit = 2 ** tp.rcvWscale;
  if (free < full >> 1) {
    tp.ackQuick = 0;
    free -= free % unit;
    if (free < allowed >> 4 || free < mss) return 0;
  }
  if (free > tp.rcvSsthresh) free = tp.rcvSsthresh;
  if (tp.rcvWscale) return Math.ceil(free / unit) * unit;
  let window = tp.rcvWnd;
  if (window <= free - mss || window > free) window = mss > 0 ? free - (free % mss) : free;
  else if (mss === full && free > window + (full >> 1)) window = free;
  return window;
}

/**
 * tcp_select_window(): the window field of a segment after the handshake. An offered
 * window never shrinks (net.ipv4.tcp_shrink_window = 0): what is left of the last one,
 * aligned up, is offered again. rcv_wnd and rcv_wup remember what was said.
 */
function tcpSelectWindow(tp: TcpSock): number {
  const cur = tcpReceiveWindow(tp);
  let win = tcpSelectWindowRaw(tp);
  const unit = 2 ** tp.rcvWscale;
  if (win < cur) win = Math.ceil(cur / unit) * unit;
  tp.rcvWnd = win;
  tp.rcvWup = tp.rcvNxt;
  return Math.min(win, 65535 * unit) >>> tp.rcvWscale;
}

/**
 * mss_cache as tcp_sync_mss() leaves it: the MSS, but no more than half the largest
 * window the peer has offered (tcp_bound_to_half_wnd), so a huge-MTU link (lo) still
 * sends two segments per window: 32741 right after a connect over lo, as Linux reads.
 */
export function sendMss(tp: TcpSock): number {
  const maxWnd = tp.maxWindow;
  const cut = maxWnd > 536 ? maxWnd >> 1 : maxWnd;
  return cut && tp.mss > cut ? Math.max(cut, 68 - (tp.tsOk ? 32 : 20)) : tp.mss;
}

/** tcp_time_stamp_ts(): the millisecond clock plus the connection's offset. */
export function tsVal(tp: TcpSock): number {
  return tsAt(tp, tp.now);
}

/** The TSval a segment sent at `t` (ns) carried (tcp_skb_timestamp_ts). */
export function tsAt(tp: TcpSock, t: number): number {
  return (Math.floor((t + tp.env.clockBase) / 1e6) + tp.env.tsOffset(tp.localWire, tp.remoteWire)) | 0;
}

/** enum sk_rst_reason of the next RST tcpTransmit() sends (set by whoever asks for it). */
let rstReason: number = SK_RST_REASON.NOT_SPECIFIED;

/** The options of the segment being built (tcpOptions() fills it for tcpTransmit(), which
 * writes it into the segment at once: one for the stack, reused). */
const OPTS = new TcpOptsOut();

/** tcp_syn_options() / tcp_synack_options() / tcp_established_options(), in Linux's order,
 * into OPTS: false when the segment has none. */
function tcpOptions(tp: TcpSock, flags: number, syn: boolean): boolean {
  const o = OPTS;
  o.clear();
  if (syn) {
    const sys = tp.env.sysctl;
    const request = !(flags & TCP_ACK);
    // A SYN offers what the sysctls allow; a SYN-ACK answers what the SYN offered.
    const ts = request ? sys.tcpTimestamps === 1 : tp.tsOk;
    const sack = request ? sys.tcpSack === 1 : tp.sackOk;
    const ws = request ? sys.tcpWindowScaling === 1 : tp.wscaleOk;
    o.mss = tp.advMss;
    o.sackPermitted = sack;
    if (ts) {
      o.ts = true;
      o.tsVal = tsVal(tp);
      o.tsEcr = request ? 0 : tp.tsRecent;
    }
    if (ws) o.wscale = tp.rcvWscale;
    return true;
  }
  if (tp.tsOk) {
    o.ts = true;
    o.tsVal = tsVal(tp);
    o.tsEcr = tp.tsRecent;
  }
  const r = tp.sackRx;
  if (!r || !tp.sackOk || (!r.blocks.length && r.dsackStart === r.dsackEnd)) return o.ts;
  // tcp_established_options(): as many blocks as the 40 bytes of options hold (3 beside
  // timestamps, 4 without), the D-SACK first; it is sent once (tcp_options_write).
  const room = o.ts ? 3 : 4;
  const sack = o.sack;
  let n = 0;
  if (r.dsackStart !== r.dsackEnd) {
    sack[0] = r.dsackStart;
    sack[1] = r.dsackEnd;
    n = 1;
    r.dsackStart = r.dsackEnd = 0;
  }
  for (let i = 0; i < r.blocks.length && n < room; i += 2, n++) {
    sack[2 * n] = r.blocks[i]!;
    sack[2 * n + 1] = r.blocks[i + 1]!;
  }
  o.nSack = n;
  return true;
}

/** tcp_transmit_skb(): header, options and window, then IP; the ACK it carries is sent. */
export function tcpTransmit(tp: TcpSock, seq: number, ack: number, flags: number, data: Uint8Array | undefined, syn: boolean): boolean {
  const bareRst = (flags & TCP_RST) !== 0 && !(flags & TCP_ACK);
  // RFC 7323 2.2: the window of a SYN or SYN-ACK is never scaled.
  const win = syn ? Math.min(tp.rcvWnd, 65535) : bareRst ? 0 : tcpSelectWindow(tp);
  // tcp_send_active_reset() sends the established options (timestamps); a bare RST to an
  // unacceptable segment none (tcp_v4_send_reset).
  const hasOptions = !bareRst && tcpOptions(tp, flags, syn);
  const src = tp.localWire;
  const dst = tp.remoteWire;
  // tcp_ecn_send(): ECT(0) on new data (with a queued CWR), ECE while the peer's CE waits.
  const e = syn && !(flags & TCP_ACK) ? flags : tcpEcnSend(tp, flags, data !== undefined && data.length > 0 && !before(seq, tp.sndNxt));
  const seg = buildTcpSegment(src.bytes, dst.bytes, tp.localPort, tp.peer!.port, seq, ack, e & 0xff, win, hasOptions ? OPTS : undefined, data);
  if (flags & TCP_RST) {
    traceTcpSendReset(tp.env.kernel, tp, seg, rstReason);
    rstReason = SK_RST_REASON.NOT_SPECIFIED;
  }
  tp.segsOut++;
  if (flags & TCP_ACK) tcpEventAckSent(tp);
  const o = tp.options;
  const rc = tp.env.ipOutput({ family: dst.family, src, dst, protocol: IPPROTO_TCP, payload: seg, ttl: o.ttl >= 0 ? o.ttl : undefined, tos: (o.tos & ~INET_ECN_MASK) | (e >>> ECN_SHIFT) });
  // __tcp_transmit_skb(): the device's queue refused it (NET_XMIT_DROP) — local
  // congestion: the window comes down (tcp_enter_cwr) and the segment counts as not sent.
  if (rc > 0) {
    tcpEnterCwr(tp);
    return false;
  }
  return true;
}

/** tcp_event_ack_sent(): the ACK due went out; one fewer quick ACK, the delayed ACK and the
 * compressed-SACK timer off. */
function tcpEventAckSent(tp: TcpSock): void {
  // Any ACK carries what SACK compression held back: its timer goes.
  const r = tp.sackRx;
  if (r?.compressedAck) {
    r.compressedAck = 0;
    r.compressedTimer?.cancel();
    r.compressedTimer = undefined;
  }
  tcpDecQuickackMode(tp);
  cancelDelack(tp);
}

/**
 * tcp_event_data_sent(): new data went out. A reply sent within the ATO of the last data
 * received counts towards interactive mode (inet_csk_inc_pingpong_cnt): from then on the
 * connection delays its ACKs, hoping to send them with the next reply.
 */
function tcpEventDataSent(tp: TcpSock): void {
  const now = tp.env.jiffies;
  // CA_EVENT_TX_START: sending again after nothing was in flight (cubic moves its epoch).
  if (packetsInFlight(tp) === 0) tp.cc.txStart?.(tp, now - tp.lsndtime);
  tp.lsndtime = now;
  if (now - tp.ackLrcv < tp.ackAto) tp.pingpong = true;
}

/**
 * tcp_slow_start_after_idle_check() (tcp_skb_entail, for each new skb): idle for more than
 * an RTO with nothing in flight, the window restarts (tcp_cwnd_restart, RFC 2861): halved
 * once per RTO idle, down to the initial window; ssthresh keeps 3/4 of what it was.
 */
export function tcpSlowStartAfterIdleCheck(tp: TcpSock): void {
  if (!tp.env.sysctl.tcpSlowStartAfterIdle || seqDiff(tp.sndNxt, tp.sndUna) > 0 || tp.cwnd === 0) return;
  let delta = tp.env.jiffies - tp.lsndtime;
  const rto = Math.ceil(tp.rtt.rto / JIFFY_NS);
  if (delta <= rto) return;
  const mss = Math.max(1, tp.mss);
  let cwnd = cwndSegs(tp);
  const restart = Math.min(TCP_INIT_CWND, cwnd);
  // tcp_current_ssthresh()
  if (tp.recover === undefined) tp.ssthresh = Math.max(tp.ssthresh, ((cwnd >> 1) + (cwnd >> 2)) * mss);
  while ((delta -= rto) > 0 && cwnd > restart) cwnd >>= 1;
  tp.cwnd = Math.max(cwnd, restart) * mss;
}

/** A RST (with ACK) from the socket, with its reason for the tcp_send_reset trace point. */
export function tcpSendActiveReset(tp: TcpSock, reason: number): void {
  rstReason = reason;
  tcpTransmit(tp, tp.sndNxt, tp.rcvNxt, TCP_RST | TCP_ACK, undefined, false);
}

/** A bare RST at `seq` (an unacceptable ACK in SYN_SENT or SYN_RECV). */
export function tcpSendRst(tp: TcpSock, seq: number): void {
  tcpTransmit(tp, seq, 0, TCP_RST, undefined, false);
}

/** tcp_connect() / tcp_make_synack(): the SYN, or SYN-ACK. */
export function tcpSendSyn(tp: TcpSock, ack: boolean): void {
  // tcp_ecn_send_syn() on the first SYN; a retransmitted one falls back (tcp_ecn_clear_syn).
  const ecn = !ack ? (tp.retries === 0 ? tcpEcnSendSyn(tp) : 0) : 0;
  tcpTransmit(tp, tp.iss, ack ? tp.rcvNxt : 0, (ack ? TCP_SYN | TCP_ACK : TCP_SYN) | ecn, undefined, true);
  // The handshake gives the first RTT sample (not after a retransmission: Karn).
  if (tp.retries === 0) tp.rttSample = { seq: seqAdd(tp.iss, 1), at: tp.now };
}

/** tcp_send_ack() */
export function tcpSendAck(tp: TcpSock): void {
  tcpTransmit(tp, tp.sndNxt, tp.rcvNxt, TCP_ACK, undefined, false);
}

/** tcp_xmit_probe_skb(sk, 0): a bare ACK at snd_una - 1 (zero-window and keepalive probes). */
export function tcpXmitProbe(tp: TcpSock): void {
  tcpTransmit(tp, seqAdd(tp.sndUna, -1), tp.rcvNxt, TCP_ACK, undefined, false);
}

/** Segments: a length in whole MSS, rounded up (tcp_skb_pcount). */
const pcount = (len: number, mss: number): number => Math.max(1, Math.ceil(len / mss));

/** tcp_packets_in_flight(), in segments: sent and not acknowledged, less what the SACK
 * scoreboard says has left the network (SACKed, or lost and not sent again). */
export function packetsInFlight(tp: TcpSock): number {
  const t = tp.tx;
  return t.packetsOut - (t.sackedOut + t.lostOut) + t.retransOut;
}

/** The congestion window in segments (snd_cwnd). */
export const cwndSegs = (tp: TcpSock): number => Math.max(1, Math.floor(tp.cwnd / Math.max(1, tp.mss)));

/**
 * tcp_update_pacing_rate() (tcp_cong_control, after each ACK that finds data in flight):
 * sk_pacing_rate, bytes/s — twice the window per RTT in slow start (tcp_pacing_ss_ratio),
 * 1.2 times after; unlimited before an RTT sample. Without fq nothing paces, but TSO
 * autosizing reads it (as it stood at the last ACK: not after an idle restart).
 */
export function tcpUpdatePacingRate(tp: TcpSock): void {
  const srtt8 = tp.rtt.srttUs8;
  if (!srtt8) return;
  const cwnd = cwndSegs(tp);
  const ratio = cwnd < Math.floor(Math.floor(tp.ssthresh / Math.max(1, tp.mss)) / 2) ? PACING_SS_RATIO : PACING_CA_RATIO;
  // mss_cache × (USEC_PER_SEC / 100 << 3) × ratio × max(cwnd, packets_out) / srtt_us.
  const rate = Math.floor((sendMss(tp) * 80_000 * ratio * Math.max(cwnd, packetsInFlight(tp))) / srtt8);
  // Kept >> sk_pacing_shift (all TSO autosizing reads): a small integer, unboxed; and whole
  // for TCP_INFO and HyStart (nothing paces a congestion control that does not ask).
  tp.pacingRateShifted = Math.max(1, Math.floor(rate / 2 ** SK_PACING_SHIFT));
  if (tp.tx !== NO_TX) tp.tx.pacingRate = rate;
}

/**
 * tcp_tso_segs() → tcp_tso_autosize(): how many segments one transmit may carry — about 1 ms
 * of the pacing rate (sk_pacing_shift), more on short paths, at least tcp_min_tso_segs.
 */
export function tcpTsoSegs(tp: TcpSock, mss: number): number {
  let bytes = Math.min(tp.pacingRateShifted || GSO_MAX_SIZE, GSO_MAX_SIZE);
  const r = Math.floor(Math.round(tp.rtt.minRtt / 1000) / 2 ** TCP_TSO_RTT_LOG);
  if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  bytes = Math.min(bytes, GSO_MAX_SIZE);
  return Math.max(Math.floor(bytes / mss), tp.cc.minTsoSegs?.(tp) ?? TCP_MIN_TSO_SEGS);
}

/** tcp_nagle_test(): may a runt go now? (TCP_NAGLE_PUSH, FIN, Minshall's check, cork) */
function tcpNagleTest(tp: TcpSock, skb: TxSkb, mss: number, nonagle: number): boolean {
  if (nonagle & NAGLE_PUSH) return true;
  if (skb.flags & TCP_FIN) return true;
  const partial = skb.len < mss;
  if (!partial) return true;
  if (nonagle & NAGLE_CORK) return false;
  if (nonagle & NAGLE_OFF) return true;
  // tcp_minshall_check(): a small segment is still unacknowledged.
  const minshall = before(tp.sndUna, tp.sndSml) && beforeEq(tp.sndSml, tp.sndNxt);
  return !(seqDiff(tp.sndNxt, tp.sndUna) > 0 && minshall);
}
/** tp->nonagle bits */
export const NAGLE_OFF = 1;
export const NAGLE_CORK = 2;
export const NAGLE_PUSH = 4;

/** tcp_tso_should_defer()'s answers: send now, wait, or wait for the congestion window. */
const SEND_NOW = 0;
const DEFER = 1;
const DEFER_CWND_LIMITED = 2;

/** tcp_tso_should_defer(): wait for more window rather than send a short TSO chunk. */
function tcpTsoShouldDefer(tp: TcpSock, skb: TxSkb, maxSegs: number, mss: number, isTail: boolean): number {
  if (tp.recover !== undefined || tp.tx.caState >= CA_RECOVERY) return SEND_NOW;
  // Only while the last transmit was recent (1 ms): no bursts after an idle.
  if (tp.now - tp.lastXmit > 1_000_000) return SEND_NOW;
  const inFlight = packetsInFlight(tp);
  const sendWin = seqDiff(seqAdd(tp.sndUna, tp.sndWnd), skb.seq);
  const congWin = (cwndSegs(tp) - inFlight) * mss;
  const limit = Math.min(sendWin, congWin);
  if (limit >= maxSegs * mss) return SEND_NOW;
  // In the middle of the queue an skb gets no more data: send what fits whole.
  if (!isTail && limit >= skb.len) return SEND_NOW;
  // At least a third of the window (tcp_tso_win_divisor) is there: use it.
  const chunk = Math.floor(Math.min(tp.sndWnd, cwndSegs(tp) * mss) / TSO_WIN_DIVISOR);
  if (limit >= chunk) return SEND_NOW;
  const head = tp.wq[0];
  if (!head || head === skb) return SEND_NOW;
  // If the next ACK is expected in more than min(1 ms, srtt / 2), do not wait for it.
  const srttNs = tp.rtt.srttUs8 * 125;
  const howFar = head.sentAt + srttNs - tp.now;
  if (howFar - Math.min(srttNs / 2, 1_000_000) > 0) return SEND_NOW;
  if (congWin < sendWin) {
    if (congWin <= skb.len) return DEFER_CWND_LIMITED;
  } else if (sendWin <= skb.len) return DEFER;
  // An skb that gets no more data (FIN) goes.
  if (skb.flags & TCP_FIN) return SEND_NOW;
  return DEFER;
}

/**
 * tcp_write_xmit(): send what the congestion and peer windows allow, from the send head:
 * a runt may wait (Nagle, cork), a TSO skb goes in chunks of tcp_tso_segs() segments (or
 * waits for more window: tcp_tso_should_defer), each chunk a burst of MSS segments. Every
 * multi-segment chunk ends with PSH (as this machine's lo sends them: GSO segmentation
 * marks its last segment), a single segment only where the application's write ended.
 */
export function tcpWriteXmit(tp: TcpSock, nonagle = tp.nonagleBits, pushOne: 0 | 1 | 2 = 0): void {
  if (tp.state !== S.TCP_ESTABLISHED && tp.state !== S.TCP_CLOSE_WAIT && tp.state !== S.TCP_FIN_WAIT1 && tp.state !== S.TCP_LAST_ACK && tp.state !== S.TCP_CLOSING) return;
  const mss = sendMss(tp);
  const maxSegs = tcpTsoSegs(tp, mss);
  let sentSegs = 0;
  let cwndLimited = false;
  for (;;) {
    const i = tp.sendHead;
    const skb = tp.wq[i];
    if (!skb) break;
    if (tcpPacingCheck(tp)) break;
    let quota = cwndSegs(tp) - packetsInFlight(tp);
    if (quota <= 0) {
      // A loss probe goes whatever the window (push_one 2).
      if (pushOne === 2) quota = 1;
      else {
        cwndLimited = true;
        break;
      }
    }
    // tcp_snd_wnd_test(): the first segment must fit the peer's window.
    const wndEnd = seqAdd(tp.sndUna, tp.sndWnd);
    const firstEnd = seqAdd(skb.seq, Math.min(skb.len, mss));
    if (skb.len > 0 && before(wndEnd, firstEnd)) break;
    const segs = pcount(skb.len, mss);
    const isTail = i === tp.wq.length - 1;
    if (segs === 1) {
      if (!tcpNagleTest(tp, skb, mss, isTail ? nonagle : nonagle | NAGLE_PUSH)) break;
    } else {
      const defer = pushOne ? SEND_NOW : tcpTsoShouldDefer(tp, skb, maxSegs, mss, isTail);
      if (defer !== SEND_NOW) {
        if (defer === DEFER_CWND_LIMITED) cwndLimited = true;
        break;
      }
    }
    // tcp_mss_split_point(): whole segments within the quota and the window.
    let limit = skb.len;
    if (segs > 1) {
      const room = seqDiff(wndEnd, skb.seq);
      limit = Math.min(skb.len, Math.min(quota, maxSegs) * mss, room - (room % mss) || mss);
      if (limit < skb.len && limit < mss) limit = mss;
    }
    if (limit < skb.len) splitSkb(tp, i, limit);
    const want = pcount(tp.wq[i]!.len, mss);
    const went = transmitChunk(tp, i, mss);
    if (!went) break;
    tp.sendHead = i + 1;
    skbAccount(tp.tx, tp.wq[i]!, 1);
    sentSegs += went;
    if (went < want || pushOne) break;
  }
  const sentAny = sentSegs > 0;
  // PRR counts what goes out while the window comes down (tcp_write_xmit's prr_out).
  if (sentAny && tcpInCwndReduction(tp)) tp.tx.prrOut += sentSegs;
  // tcp_write_xmit(): a window all in flight is cwnd-limited too.
  if (packetsInFlight(tp) >= cwndSegs(tp)) cwndLimited = true;
  if (sentAny || cwndLimited) tcpCwndValidate(tp, cwndLimited);
  if (sentAny) {
    armRto(tp);
    // One loss probe per tail loss episode: scheduled after anything new went out.
    if (pushOne !== 2) tcpScheduleLossProbe(tp, false);
  } else if (tp.sendHead < tp.wq.length && seqDiff(tp.sndNxt, tp.sndUna) === 0) {
    // tcp_check_probe_timer(): data waits (a shut window, TCP_CORK) with nothing in
    // flight: the probe timer (ICSK_TIME_PROBE0, the RTO's slot) sends it at the latest
    // after max(RTO, TCP_RTO_MIN) — cork's 200 ms ceiling.
    armRto(tp);
  }
}

/**
 * tcp_write_wakeup(): what the probe timer sends — the send head as far as the peer's
 * window and one MSS allow, with PSH; with the window shut, tcp_xmit_probe_skb()'s bare
 * ACK. True when data went (and the RTO runs for it).
 */
export function tcpWriteWakeup(tp: TcpSock): boolean {
  const skb = tp.wq[tp.sendHead];
  const wndEnd = seqAdd(tp.sndUna, tp.sndWnd);
  if (!skb || !before(skb.seq, wndEnd) || skb.len === 0) {
    tcpXmitProbe(tp);
    return false;
  }
  const mss = sendMss(tp);
  const size = Math.min(seqDiff(wndEnd, skb.seq), mss);
  if (size < skb.len) splitSkb(tp, tp.sendHead, size);
  const head = tp.wq[tp.sendHead]!;
  head.flags |= TCP_PSH;
  if (!transmitChunk(tp, tp.sendHead, mss)) return false;
  skbAccount(tp.tx, tp.wq[tp.sendHead]!, 1);
  tp.sendHead++;
  armRto(tp);
  return true;
}

/** tso_fragment(): the send head's first `len` bytes become an skb of their own. */
export function splitSkb(tp: TcpSock, i: number, len: number): void {
  const skb = tp.wq[i]!;
  const sent = i < tp.sendHead;
  if (sent) skbAccount(tp.tx, skb, -1);
  const rest: TxSkb = { seq: seqAdd(skb.seq, len), len: skb.len - len, flags: skb.flags, pcount: 0, sentAt: skb.sentAt, txFirstTx: skb.txFirstTx, txDeliveredMstamp: skb.txDeliveredMstamp, txDelivered: skb.txDelivered, txAppLimited: skb.txAppLimited };
  rest.pcount = pcount(rest.len, sendMss(tp));
  skb.len = len;
  skb.flags &= ~(TCP_FIN | TCP_PSH);
  skb.pcount = pcount(len, sendMss(tp));
  tp.wq.splice(i + 1, 0, rest);
  if (sent) {
    tp.sendHead++;
    skbAccount(tp.tx, skb, 1);
    skbAccount(tp.tx, rest, 1);
  }
}

/**
 * tcp_update_skb_after_send(): under internal pacing (BBR without fq) the next departure
 * moves on by the skb's time at the pacing rate, less up to half of it for a late start (OS
 * jitter's credit); the first 10 segments go unpaced, as sch_fq's.
 */
function tcpUpdateSkbAfterSend(tp: TcpSock, t: TcpTx, len: number, priorWstamp: number): void {
  if (!tp.cc.pacing) return;
  const rate = t.pacingRate;
  if (!rate || t.dataSegsOut < 10) return;
  let lenNs = Math.floor((len * 1e9) / rate);
  const credit = t.wstampNs - priorWstamp;
  lenNs -= Math.min(Math.floor(lenNs / 2), credit);
  t.wstampNs += lenNs;
}

/** tcp_pacing_check(): under internal pacing an skb waits for tcp_wstamp_ns; the pacing
 * timer (an hrtimer, tcp_pace_kick) sends it then. */
export function tcpPacingCheck(tp: TcpSock): boolean {
  if (!tp.cc.pacing) return false;
  const t = tp.tx;
  if (t.wstampNs <= tp.now) return false;
  if (!t.pacingTimer?.pending) t.pacingTimer = tp.env.schedule(t.wstampNs - tp.now, () => tcpPaceKick(tp));
  return true;
}

/** tcp_pace_kick() → tcp_tsq_write(): the lost skbs first, then new data. */
function tcpPaceKick(tp: TcpSock): void {
  const t = tp.tx;
  if (t.pacingTimer) t.pacingTimer = undefined;
  if (tp.state !== S.TCP_ESTABLISHED && tp.state !== S.TCP_FIN_WAIT1 && tp.state !== S.TCP_CLOSING && tp.state !== S.TCP_CLOSE_WAIT && tp.state !== S.TCP_LAST_ACK) return;
  if (t.lostOut > t.retransOut && cwndSegs(tp) > packetsInFlight(tp)) tcpXmitRetransmitQueue(tp);
  tcpWriteXmit(tp);
}

/**
 * One skb on the wire: its segments, PSH and FIN on the last (tcp_transmit_skb, then GSO).
 * Returns the segments that went out; when the device refused one (NET_XMIT_DROP) the skb
 * is cut there (tso_fragment), and what did not go stays queued for the caller to stop at.
 */
function transmitChunk(tp: TcpSock, i: number, mss: number): number {
  let skb = tp.wq[i]!;
  const segs = pcount(skb.len, mss);
  const t = tp.txw();
  // __tcp_transmit_skb(): the departure time is never in the past.
  const priorWstamp = t.wstampNs;
  t.wstampNs = Math.max(t.wstampNs, tp.now);
  const off = seqDiff(skb.seq, tp.sndUna);
  let went = 0;
  for (; went < segs; went++) {
    const from = went * mss;
    const len = Math.min(mss, skb.len - from);
    const last = went === segs - 1;
    let flags = TCP_ACK;
    if (last && (skb.flags & TCP_PSH || segs > 1)) flags |= TCP_PSH;
    if (last && skb.flags & TCP_FIN) flags |= TCP_FIN;
    const seq = seqAdd(skb.seq, from);
    const data = len > 0 ? sbufRead(tp, off + from, len) : undefined;
    if (!tcpTransmit(tp, seq, tp.rcvNxt, flags, data, false)) break;
    // tcp_minshall_update(): the end of a small segment.
    if (len > 0 && len < mss) tp.sndSml = seqAdd(seq, len);
  }
  if (!went) return 0;
  if (went < segs) splitSkb(tp, i, went * mss);
  skb = tp.wq[i]!;
  if (skb.pcount !== went) {
    // Sent again at another MSS: the skb's share of packets_out changes with it.
    const sent = i < tp.sendHead;
    if (sent) skbAccount(tp.tx, skb, -1);
    skb.pcount = went;
    if (sent) skbAccount(tp.tx, skb, 1);
  }
  skb.sentAt = tp.now;
  if (skb.len > 0) t.dataSegsOut += went;
  tcpUpdateSkbAfterSend(tp, t, skb.len, priorWstamp);
  tcpRateSkbSent(tp, skb);
  const end = seqAdd(skb.seq, skb.len + (skb.flags & TCP_FIN ? 1 : 0));
  if (before(tp.sndNxt, end)) {
    if (skb.len > 0) tcpEventDataSent(tp);
    tp.sndNxt = end;
  }
  if (before(tp.sndMax, tp.sndNxt)) tp.sndMax = tp.sndNxt;
  if (skb.flags & TCP_FIN) tp.finSent = true;
  tp.lastXmit = tp.now;
  return went;
}

/**
 * tcp_cwnd_validate(): whether the flow used its window, once per window of data
 * (cwnd_usage_seq): congestion control grows cwnd only for a flow that is cwnd-limited.
 */
function tcpCwndValidate(tp: TcpSock, isCwndLimited: boolean): void {
  const out = packetsInFlight(tp);
  if (!before(tp.sndUna, tp.cwndUsageSeq) || isCwndLimited || (!tp.cwndLimited && out > tp.maxPacketsOut)) {
    tp.cwndLimited = isCwndLimited;
    tp.maxPacketsOut = out;
    tp.cwndUsageSeq = tp.sndNxt;
  }
}

/** tcp_is_cwnd_limited(): in slow start, having had more than half the window out counts. */
export function tcpIsCwndLimited(tp: TcpSock): boolean {
  if (tp.cwndLimited) return true;
  if (tp.cwnd < tp.ssthresh) return cwndSegs(tp) < 2 * tp.maxPacketsOut;
  return false;
}

/**
 * tcp_retransmit_skb() of the sent skb at `i` (tcp_xmit_retransmit_queue's): at most `segs`
 * segments of it (tcp_fragment), marked retransmitted (TCPCB_RETRANS) and in flight again;
 * a loss probe's ('tlp') is __tcp_retransmit_skb()'s, marked but not counted in flight.
 */
export function tcpRetransmitSkb(tp: TcpSock, i: number, segs: number, reason: 'fast' | 'rto' | 'tlp'): boolean {
  const mss = sendMss(tp);
  let skb = tp.wq[i];
  if (!skb) return false;
  const t = tp.tx;
  if (before(skb.seq, tp.sndUna)) {
    // tcp_trim_head(): what is acknowledged goes.
    const cut = seqDiff(tp.sndUna, skb.seq);
    skbAccount(t, skb, -1);
    skb.seq = tp.sndUna;
    skb.len -= cut;
    tp.wmemQueued -= cut;
    skb.pcount = pcount(skb.len, mss);
    skbAccount(t, skb, 1);
  }
  if (skb.len > segs * mss) splitSkb(tp, i, segs * mss);
  if (!transmitChunk(tp, i, mss)) return false;
  skb = tp.wq[i]!;
  t.totalRetrans += skb.pcount;
  if (reason === 'tlp') {
    // __tcp_retransmit_skb() alone (a loss probe): TCPCB_EVER_RETRANS, not in retrans_out.
    skb.flags |= SKB_RETRANS;
  } else {
    // tcp_retransmit_skb(): in flight again (TCPCB_SACKED_RETRANS); the episode's first
    // retransmission's TSval (retrans_stamp) and its count for undo (undo_retrans).
    skbMark(t, skb, skb.flags | SKB_RETRANS | SKB_RETRANS_OUT);
    t.retransStamp ??= tsVal(tp);
    t.undoRetrans = Math.max(t.undoRetrans, 0) + skb.pcount;
  }
  tp.rttSample = undefined;
  traceRetransmit(tp);
  if (tp.cbFlags & BPF_SOCK_OPS_CB.RETRANS) tcpCallBpf(tp, BPF_SOCK_OPS.RETRANS_CB, skb.seq >>> 0, skb.pcount, 0);
  if (tp.env.observed('tcp:retransmit')) tp.env.emit('tcp:retransmit', { time: tp.now, host: tp.env.hostName, socket: tp.describe(), seq: skb.seq >>> 0, length: skb.len, reason });
  return true;
}

/** tcp_retransmit_skb() of the head: one segment from snd_una (or the SYN / FIN). */
export function tcpRetransmitHead(tp: TcpSock, reason: 'rto' | 'fast' | 'syn' | 'synack' | 'fin'): void {
  const mss = sendMss(tp);
  let length = 0;
  if (tp.state === S.TCP_SYN_SENT) {
    tcpSendSyn(tp, false);
  } else if (tp.state === S.TCP_SYN_RECV) {
    tcpSendSyn(tp, true);
  } else {
    if (!tp.wq[0]) return;
    // tcp_retransmit_skb(): the head, trimmed to what is unacknowledged (tcp_trim_head),
    // one MSS at most (tcp_fragment).
    if (tp.wq[0].len - seqDiff(tp.sndUna, tp.wq[0].seq) > mss) splitSkb(tp, 0, seqDiff(tp.sndUna, tp.wq[0].seq) + mss);
    const head = tp.wq[0];
    const off = seqDiff(tp.sndUna, head.seq);
    length = Math.min(mss, Math.max(0, head.len - off));
    const whole = off + length === head.len;
    let flags = TCP_ACK;
    if (whole && head.flags & TCP_PSH) flags |= TCP_PSH;
    if (whole && head.flags & TCP_FIN) flags |= TCP_FIN;
    if (length === 0 && !(flags & TCP_FIN)) return;
    if (!tcpTransmit(tp, tp.sndUna, tp.rcvNxt, flags, length ? sbufRead(tp, 0, length) : undefined, false)) return;
    head.sentAt = tp.now;
    head.flags |= SKB_RETRANS;
    tp.lastXmit = tp.now;
    // The episode's first retransmission (retrans_stamp), as tcp_retransmit_skb() keeps it.
    tp.txw().retransStamp ??= tsVal(tp);
  }
  tp.txw().totalRetrans++;
  tp.rttSample = undefined;
  traceRetransmit(tp);
  // tcp_retransmit_skb(): BPF_SOCK_OPS_RETRANS_CB (seq, segments, err).
  if (tp.cbFlags & BPF_SOCK_OPS_CB.RETRANS) tcpCallBpf(tp, BPF_SOCK_OPS.RETRANS_CB, tp.sndUna >>> 0, 1, 0);
  if (tp.env.observed('tcp:retransmit')) tp.env.emit('tcp:retransmit', { time: tp.now, host: tp.env.hostName, socket: tp.describe(), seq: tp.sndUna >>> 0, length, reason });
}
