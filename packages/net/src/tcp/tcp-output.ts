// Segments out (net/ipv4/tcp_output.c): tcp_transmit_skb() with the options and the
// window (tcp_select_initial_window, __tcp_select_window), tcp_write_xmit() with Nagle and
// cork, tcp_send_ack(), the SYN and SYN-ACK, tcp_retransmit_skb(), tcp_send_active_reset()
// and tcp_current_mss() (tcp_bound_to_half_wnd).
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_OPS, BPF_SOCK_OPS_CB } from '../bpf/sock-ops';
import { SK_RST_REASON, traceRetransmit, traceTcpSendReset } from '../bpf/tracepoints';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, buildTcp } from '../wire/tcp';
import type { TcpSock } from './tcp-sock';
import { F_MAXWND_BIG, F_RTX, IPPROTO_TCP, MAX_WINDOW } from './tcp-sock';
import { before, seqAdd, seqDiff } from './tcp-seq';
import { tcpCallBpf } from './tcp-sock-ops';
import { armRto, cancelDelack } from './tcp-timer';

const S = TCP_STATE;
/** TCPOLEN_TSTAMP_ALIGNED: what the timestamp option takes from every segment. */
export const TCPOLEN_TSTAMP_ALIGNED = 12;

/**
 * The window scale a host offers (tcp_select_initial_window: ilog2(max(tcp_rmem[2],
 * rmem_max)) - 15): 10 with 6.18's tcp_rmem[2] of 32 MiB (this machine's SYNs carry
 * wscale 10), 7 with 4.17's 6 MiB.
 */
export const wscaleOffer = (tp: TcpSock): number => (tp.env.kernel.profile === '4.17' ? 7 : 10);

/** The free receive buffer. */
export function rcvWindow(tp: TcpSock): number {
  return Math.max(0, tp.options.rcvbuf - tp.rqBytes);
}

/**
 * A SYN's or SYN-ACK's window (tcp_select_initial_window): the space, at most 65535
 * unscaled, quantized to a multiple of the MSS (less the timestamp option on a SYN-ACK
 * that has it): 64240 in a SYN on Ethernet, 65160 in its SYN-ACK, 65495/65483 on lo.
 */
function synWindow(tp: TcpSock, flags: number): number {
  const mss = tp.advMss - (flags & TCP_ACK && tp.tsOk ? TCPOLEN_TSTAMP_ALIGNED : 0);
  const space = Math.min(rcvWindow(tp), 65535);
  return space > mss ? space - (space % mss) : space;
}

/**
 * __tcp_select_window(): the window field of a segment after the handshake. Less free
 * space than an MSS (and under half the buffer) is a zero window (silly window
 * avoidance). Linux then rounds the free space up to the scale's unit and takes data
 * up to what it advertised; bpfsim, which checks arriving data against its free buffer,
 * rounds down, so it never offers more than it has.
 */
function advWindow(tp: TcpSock): number {
  const free = rcvWindow(tp);
  if (free < tp.mss && free < tp.options.rcvbuf >> 1) return 0;
  return Math.min(free >> tp.rcvWscale, 65535);
}

/**
 * mss_cache as tcp_sync_mss() leaves it: the MSS, but no more than half the largest
 * window the peer has offered (tcp_bound_to_half_wnd), so a huge-MTU link (lo) still
 * sends two segments per window: 32741 right after a connect over lo, as Linux reads.
 */
export function sendMss(tp: TcpSock): number {
  if (tp.bits & F_MAXWND_BIG) return tp.mss;
  const maxWnd = MAX_WINDOW.get(tp) ?? 0;
  const cut = maxWnd > 536 ? maxWnd >> 1 : maxWnd;
  return cut && tp.mss > cut ? Math.max(cut, 68 - (tp.tsOk ? 32 : 20)) : tp.mss;
}

/** tcp_time_stamp_ts(): the millisecond clock plus the connection's offset. */
export function tsVal(tp: TcpSock): number {
  return (Math.floor(tp.now / 1e6) + tp.env.tsOffset(tp.localWire, tp.remoteWire)) | 0;
}

/** enum sk_rst_reason of the next RST tcpTransmit() sends (set by whoever asks for it). */
let rstReason: number = SK_RST_REASON.NOT_SPECIFIED;

/** tcp_transmit_skb(): header, options and window, then IP. */
export function tcpTransmit(tp: TcpSock, s: { seq: number; ack: number; flags: number; data?: Uint8Array; syn?: boolean }): void {
  const win = s.syn ? synWindow(tp, s.flags) : advWindow(tp);
  // tcp_syn_options() / tcp_synack_options() / tcp_established_options(): a SYN offers
  // timestamps when the sysctl allows; after that both ends send them only if both did.
  const ts: [number, number] | undefined =
    tp.tsOk || (s.syn && !(s.flags & TCP_ACK) && tp.env.sysctl.tcpTimestamps) ? [tsVal(tp) >>> 0, s.syn && !(s.flags & TCP_ACK) ? 0 : tp.tsRecent >>> 0] : undefined;
  const options = s.syn ? { mss: tp.advMss, wscale: wscaleOffer(tp), ...(ts ? { ts } : {}) } : ts ? { ts } : undefined;
  const src = tp.localWire;
  const dst = tp.remoteWire;
  const seg = buildTcp(src.bytes, dst.bytes, { srcPort: tp.localPort, dstPort: tp.peer!.port, seq: s.seq >>> 0, ack: s.ack >>> 0, flags: s.flags, window: win, ...(options ? { options } : {}) }, s.data);
  if (s.flags & TCP_RST) {
    traceTcpSendReset(tp.env.kernel, tp, seg, rstReason);
    rstReason = SK_RST_REASON.NOT_SPECIFIED;
  }
  tp.env.ipOutput({ family: dst.family, src, dst, protocol: IPPROTO_TCP, payload: seg, ...(tp.options.ttl >= 0 ? { ttl: tp.options.ttl } : {}), tos: tp.options.tos });
  if (s.flags & TCP_ACK) cancelDelack(tp);
}

/** A RST (with ACK) from the socket, with its reason for the tcp_send_reset trace point. */
export function tcpSendActiveReset(tp: TcpSock, reason: number): void {
  rstReason = reason;
  tcpTransmit(tp, { seq: tp.sndNxt, ack: tp.rcvNxt, flags: TCP_RST | TCP_ACK });
}

/** A bare RST at `seq` (an unacceptable ACK in SYN_SENT or SYN_RECV). */
export function tcpSendRst(tp: TcpSock, seq: number): void {
  tcpTransmit(tp, { seq, ack: 0, flags: TCP_RST });
}

/** tcp_connect() / tcp_make_synack(): the SYN, or SYN-ACK. */
export function tcpSendSyn(tp: TcpSock, ack: boolean): void {
  tcpTransmit(tp, { seq: tp.iss, ack: ack ? tp.rcvNxt : 0, flags: ack ? TCP_SYN | TCP_ACK : TCP_SYN, syn: true });
  // The handshake gives the first RTT sample (not after a retransmission: Karn).
  if (tp.retries === 0) tp.rttSample = { seq: seqAdd(tp.iss, 1), at: tp.now };
}

/** tcp_send_ack() */
export function tcpSendAck(tp: TcpSock): void {
  tcpTransmit(tp, { seq: tp.sndNxt, ack: tp.rcvNxt, flags: TCP_ACK });
}

/** tcp_xmit_probe_skb(sk, 0): a bare ACK at snd_una - 1 (zero-window and keepalive probes). */
export function tcpXmitProbe(tp: TcpSock): void {
  tcpTransmit(tp, { seq: seqAdd(tp.sndUna, -1), ack: tp.rcvNxt, flags: TCP_ACK });
}

/** tcp_write_xmit(): send what the windows allow (Nagle and cork may hold a runt). */
export function tcpWriteXmit(tp: TcpSock): void {
  if (tp.state !== S.TCP_ESTABLISHED && tp.state !== S.TCP_CLOSE_WAIT && tp.state !== S.TCP_FIN_WAIT1 && tp.state !== S.TCP_LAST_ACK && tp.state !== S.TCP_CLOSING) return;
  for (;;) {
    const sent = seqDiff(tp.sndNxt, tp.sndUna);
    const unsent = tp.sbufLen - sent;
    const inflight = sent;
    const wnd = Math.min(tp.cwnd, tp.sndWnd);
    if (unsent > 0) {
      const mss = sendMss(tp);
      let len = Math.min(mss, unsent, wnd - inflight);
      if (len <= 0) {
        // Zero window with nothing in flight: probe with the RTO timer.
        if (inflight === 0) armRto(tp);
        break;
      }
      // Nagle: a runt waits while data is in flight (unless TCP_NODELAY); cork holds it.
      if (len < mss && len === unsent && (tp.cork || (!tp.nodelay && inflight > 0)) && !tp.finQueued) break;
      len = Math.max(len, 0);
      const data = tp.sbuf.slice(sent, sent + len);
      const last = len === unsent;
      // The FIN rides on the last segment; after a go-back (RTO) it is sent again at the
      // sequence number it had (snd_max - 1).
      const fin = last && tp.finQueued && (tp.finSent ? seqAdd(tp.sndNxt, len) === seqAdd(tp.sndMax, -1) : len + inflight < wnd);
      tcpTransmit(tp, { seq: tp.sndNxt, ack: tp.rcvNxt, flags: TCP_ACK | (last ? TCP_PSH : 0) | (fin ? TCP_FIN : 0), data });
      if (!tp.rttSample) tp.rttSample = { seq: seqAdd(tp.sndNxt, len), at: tp.now };
      tp.sndNxt = seqAdd(tp.sndNxt, len + (fin ? 1 : 0));
      if (before(tp.sndMax, tp.sndNxt)) tp.sndMax = tp.sndNxt;
      if (fin) tp.finSent = true;
      armRto(tp);
      continue;
    }
    if (tp.finQueued && (!tp.finSent || tp.sndNxt === seqAdd(tp.sndMax, -1))) {
      tcpTransmit(tp, { seq: tp.sndNxt, ack: tp.rcvNxt, flags: TCP_FIN | TCP_ACK });
      tp.sndNxt = seqAdd(tp.sndNxt, 1);
      if (before(tp.sndMax, tp.sndNxt)) tp.sndMax = tp.sndNxt;
      tp.finSent = true;
      armRto(tp);
    }
    break;
  }
}

/** tcp_retransmit_skb() of the head: one segment from snd_una (or the SYN / FIN). */
export function tcpRetransmitHead(tp: TcpSock, reason: 'rto' | 'fast' | 'syn' | 'synack' | 'fin'): void {
  if (tp.state === S.TCP_SYN_SENT) {
    tcpSendSyn(tp, false);
  } else if (tp.state === S.TCP_SYN_RECV) {
    tcpSendSyn(tp, true);
  } else {
    const len = Math.min(sendMss(tp), tp.sbufLen);
    if (len > 0) {
      const fin = len === tp.sbufLen && tp.finSent;
      tcpTransmit(tp, { seq: tp.sndUna, ack: tp.rcvNxt, flags: TCP_ACK | TCP_PSH | (fin ? TCP_FIN : 0), data: tp.sbuf.slice(0, len) });
    } else if (tp.finSent) tcpTransmit(tp, { seq: tp.sndUna, ack: tp.rcvNxt, flags: TCP_FIN | TCP_ACK });
    else return;
  }
  tp.rttSample = undefined;
  tp.bits |= F_RTX;
  traceRetransmit(tp);
  // tcp_retransmit_skb(): BPF_SOCK_OPS_RETRANS_CB (seq, segments, err).
  if (tp.cbFlags & BPF_SOCK_OPS_CB.RETRANS) tcpCallBpf(tp, BPF_SOCK_OPS.RETRANS_CB, tp.sndUna >>> 0, 1, 0);
  tp.env.emit('tcp:retransmit', { time: tp.now, host: tp.env.hostName, socket: tp.describe(), seq: tp.sndUna >>> 0, length: Math.min(sendMss(tp), tp.sbufLen), reason });
}
