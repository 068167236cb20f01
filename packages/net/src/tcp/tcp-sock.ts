// The TCP control block (include/linux/tcp.h: struct tcp_sock, with the parts of struct
// inet_connection_sock it uses): sequence space, windows, queues, congestion state, the
// RTT estimator, the timers and the one-bit flags. Its fields are the tcp/* modules'
// (tcp_input, tcp_output, tcp_timer, tcp_minisocks …), as tcp_sock's are Linux's; the
// socket calls (struct proto tcp_prot) delegate to tcp.ts.
//
// Memory is budgeted here, in one place: an idle established connection costs about 2 KiB
// for both ends (bench/net). Sequence numbers are int32 (tcp-seq.ts), one-bit state packs
// into `bits`, and what few sockets use (a listener's queues, keepalive, the out-of-order
// queue, a send buffer) is made on first use.
import type { Process } from '@bpfsim/kernel';
import type { Host } from '../iface/host';
import type { PollState, SockAddr } from '../sock/sock';
import { SOCK_RCVBUF_LOCK, SOCK_SNDBUF_LOCK, SOCK_STREAM, Sock } from '../sock/sock';
import { TCP_STATE } from '../sock/state';
import type { IpAddr } from '../wire/addr';
import { ANY4, ANY6, isV4Mapped, unmapV4 } from '../wire/addr';
import type { Timer } from '../sim/simulation';
import type { TcpEnv } from './tcp-env';
import type { CongestionOps } from './tcp-cong';
import { RttEstimator } from './tcp-rtt';
import { tcpConnect } from './tcp-ipv4';
import type { TcpInfo } from './tcp';
import { tcpGetInfo, tcpAccept, tcpClose, tcpGetOption, tcpKeepaliveChanged, tcpListen, tcpPoll, tcpRecvmsg, tcpSendData, tcpSendfile, tcpSendmsg, tcpSetCongestion, tcpSetOption, tcpShutdown } from './tcp';

export const IPPROTO_TCP = 6;
/** TCP_MSS_DEFAULT, TCP_MIN_MSS, MAX_TCP_WINDOW (include/net/tcp.h) */
export const TCP_MSS_DEFAULT = 536;
export const TCP_MIN_MSS = 88;
export const MAX_TCP_WINDOW = 32767;
/** TCP_INIT_CWND: the initial congestion window, segments (RFC 6928). */
export const TCP_INIT_CWND = 10;

/** TcpSock.bits */
export const F_FIN_QUEUED = 1;
export const F_FIN_SENT = 2;
export const F_FIN_RECEIVED = 4;
export const F_SHUT_WR = 8;
export const F_SHUT_RD = 16;
export const F_NODELAY = 32;
export const F_CORK = 64;
export const F_TS_OK = 128;
/** rx_opt.sack_ok: both ends offered SACK in the handshake. */
export const F_SACK_OK = 1 << 16;
/** icsk_ack.pingpong at or over tcp_pingpong_thresh: interactive, ACKs delayed. */
export const F_PINGPONG = 1 << 17;
/** Window scaling was negotiated (rx_opt.wscale_ok). */
export const F_WSCALE_OK = 1 << 18;
/** tp->is_cwnd_limited */
export const F_CWND_LIMITED = 1 << 19;
/** SOCK_NOSPACE: a writer found the send buffer full (tcp_new_space expands and wakes). */
export const F_NOSPACE = 1 << 20;
/** tp->ecn_flags (tcp-ecn.ts): ECN negotiated (TCP_ECN_OK), CWR to send on the next new
 * data (TCP_ECN_QUEUE_CWR), ECE to send until the peer's CWR (TCP_ECN_DEMAND_CWR), an ECT or
 * CE segment seen (TCP_ECN_SEEN). */
export const F_ECN_OK = 1 << 21;
export const F_ECN_QUEUE_CWR = 1 << 22;
export const F_ECN_DEMAND_CWR = 1 << 23;
export const F_ECN_SEEN = 1 << 24;
/** A child answered with a syncookie (cookie_v4_init_sequence): Linux keeps no request for
 * it, so it never retransmits its SYN-ACK and nothing remains if its final ACK is dropped. */
export const F_SYNCOOKIE = 1 << 25;
/** Bits 8-15 hold the sock_ops callback flags (bpf_sock_ops_cb_flags). */
export const CB_FLAGS_SHIFT = 8;

/** Keepalive state, made when SO_KEEPALIVE or a TCP_KEEP* option is first set. */
export interface Keepalive {
  idle: number;
  intvl: number;
  cnt: number;
  /** icsk_probes_out */
  probesOut: number;
  /** When the peer was last heard from (rcv_tstamp). */
  lastRcv: number;
  timer: Timer | undefined;
}

/** A listener's queues (inet_connection_sock's icsk_accept_queue and its request socks). */
export interface ListenQueues {
  backlog: number;
  acceptQ: TcpSock[];
  synQ: Set<TcpSock>;
  /** How many of synQ are syncookie children (not requests: reqsk_queue_len leaves them out). */
  cookies: number;
}

/**
 * A TCP socket's psock as the TCP layer calls it: the tcp_bpf proto (net/ipv4/tcp_bpf.c,
 * tcp_bpf_prots[][]) that tcp_bpf_update_proto() puts in place of tcp_prot while the socket
 * is in a sockmap. @bpfsim/sockmap's Psock (struct sk_psock) implements it and sets
 * TcpSock.psock when the socket joins a sockmap, clearing it when the socket leaves; net
 * only calls it (sockmap sits above net).
 */
export interface TcpPsock {
  /** TCP_BPF_TX: the psock has an SK_MSG verdict program, so send() and sendfile() go
   * through sendmsg(); without one (TCP_BPF_BASE) tcp_sendmsg() runs as usual. */
  readonly tx: boolean;
  /** tcp_bpf_sendmsg() (sendfile: tcp_bpf_sendpage() or MSG_SPLICE_PAGES): the bytes
   * through the verdict program; returns what sendmsg reports, throws its SysError. */
  sendmsg(data: Uint8Array, opts?: { sendfile?: boolean }): number;
  /** tcp_bpf_recvmsg(): bytes redirected into the psock's ingress queue, which recv()
   * reads before the socket's own receive queue; undefined when there are none. */
  recvmsg(maxBytes: number): Uint8Array | undefined;
}

export const EMPTY = new Uint8Array(0);

/**
 * One skb of the send queue (struct sk_buff with its tcp_skb_cb): `len` bytes from `seq`
 * (a FIN takes one sequence number more), the flags it carries (PSH, FIN), its segment
 * count at the MSS it was sent with, and when it was last sent. tcp_sendmsg() makes them
 * size_goal long; tcp_write_xmit() splits them into what goes out at once.
 */
export interface TxSkb {
  seq: number;
  len: number;
  flags: number;
  pcount: number;
  /** When it last went out, ns (skb_mstamp). */
  sentAt: number;
  /** tcp_skb_cb.tx (tcp-rate.ts): the delivery state when it was sent — the sample's
   * first send time (µs), tp->delivered and its time (µs; 0 once SACKed), app-limited. */
  txFirstTx: number;
  txDeliveredMstamp: number;
  txDelivered: number;
  txAppLimited: boolean;
}

/** A new skb at `seq` (its delivery state is set when it is sent). */
export const newTxSkb = (seq: number, len: number, flags: number, pcount: number, sentAt: number): TxSkb => ({ seq, len, flags, pcount, sentAt, txFirstTx: 0, txDeliveredMstamp: 0, txDelivered: 0, txAppLimited: false });
/** TxSkb.flags above the TCP header's: sent more than once (TCPCB_RETRANS), so its ACK
 * gives no RTT sample (Karn). */
export const SKB_RETRANS = 0x100;
/** The SACK scoreboard's marks on a sent skb (tcp_skb_cb.sacked): SACKed by the peer
 * (TCPCB_SACKED_ACKED), taken for lost (TCPCB_LOST), its retransmission in flight
 * (TCPCB_SACKED_RETRANS). */
export const SKB_SACKED = 0x200;
export const SKB_LOST = 0x400;
export const SKB_RETRANS_OUT = 0x800;
/**
 * A sent skb's share of packets_out, sacked_out, lost_out and retrans_out, added (+1) or
 * taken back (-1): around every change to a sent skb's marks or segment count, and as it
 * enters (sent) or leaves (acknowledged) the retransmit queue.
 */
export function skbAccount(t: TcpTx, skb: TxSkb, sign: 1 | -1): void {
  const p = sign * skb.pcount;
  const f = skb.flags;
  t.packetsOut += p;
  if (f & SKB_SACKED) t.sackedOut += p;
  if (f & SKB_LOST) t.lostOut += p;
  if (f & SKB_RETRANS_OUT) t.retransOut += p;
}
/** tcp_in_cwnd_reduction(): CWR or Recovery, where PRR sets the window. */
export const tcpInCwndReduction = (tp: { tx: TcpTx }): boolean => tp.tx.caState === CA_CWR || tp.tx.caState === CA_RECOVERY;
/** A sent skb's scoreboard marks set to `flags`, the counters kept. */
export function skbMark(t: TcpTx, skb: TxSkb, flags: number): void {
  skbAccount(t, skb, -1);
  skb.flags = flags;
  skbAccount(t, skb, 1);
}
/** icsk_ca_state: open, SACKed segments seen, the window coming down for a local or ECN
 * congestion signal (CWR), fast recovery, after a timeout. */
export const CA_OPEN = 0;
export const CA_DISORDER = 1;
export const CA_CWR = 2;
export const CA_RECOVERY = 3;
export const CA_LOSS = 4;
/**
 * The send side of a connection that has queued data (tcp_sock's write-path fields, apart
 * so an idle connection does not pay for them): the send buffer, the skb queue and the
 * counters tcp_write_xmit, Nagle and loss recovery keep.
 */
export class TcpTx {
  /** Bytes from snd_una on — sent but unacknowledged, then unsent — in a ring: sbufLen bytes
   * from sbufHead (an ACK moves the head; nothing is copied). See sbufAppend, sbufRead,
   * sbufConsume. */
  sbuf: Uint8Array = EMPTY;
  sbufHead = 0;
  sbufLen = 0;
  /** The send queue's skbs (retransmit queue, then write queue from sendHead on). */
  wq: TxSkb[] = NO_SKBS;
  sendHead = 0;
  /** sk_wmem_queued: what the send queue costs (bytes and per-skb overhead). */
  wmemQueued = 0;
  /** snd_sml: the end of the last small segment sent (Minshall's Nagle). */
  sndSml: number;
  /** pushed_seq: where PSH was last marked (forced_push). */
  pushedSeq: number;
  /** max_packets_out and cwnd_usage_seq (tcp_cwnd_validate). */
  maxPacketsOut = 0;
  cwndUsageSeq: number;
  /** The clock at the last transmit (tcp_wstamp_ns), ns. */
  lastXmit = 0;
  /** snd_cwnd_cnt (CcSock.cwndCnt). */
  cwndCnt = 0;
  /** Duplicate ACKs in a row, and NewReno's recovery point (undefined: not recovering). */
  dupAcks = 0;
  recover: number | undefined = undefined;
  // ---- SACK-based loss recovery (tcp-recovery.ts) ----
  /** icsk_ca_state: CA_OPEN, CA_DISORDER, CA_RECOVERY or CA_LOSS. */
  caState = 0;
  /** high_seq: snd_nxt when recovery began (it ends when snd_una reaches it). */
  highSeq = 0;
  /** PRR (RFC 6937): cwnd when recovery began, segments delivered and sent since. */
  priorCwnd = 0;
  prrDelivered = 0;
  prrOut = 0;
  /** RACK (RFC 8985): the most recently sent skb delivered (its send time, ns, and end), the
   * RTT it measured (ns), and whether it moved since the last loss check. */
  rackMstamp = 0;
  rackEndSeq = 0;
  rackRtt = 0;
  rackAdvanced = false;
  /** RACK's reordering window in quarters of min_rtt (rack.reo_wnd_steps, grown by D-SACKs
   * that show a recovery was spurious), the rounds it persists (reo_wnd_persist), a D-SACK
   * waiting to grow it (dsack_seen), and tp->delivered when it last grew (last_delivered). */
  reoWndSteps = 1;
  reoWndPersist = 0;
  rackDsackSeen = false;
  rackLastDelivered = 0;
  /** reord_seen: the peer has shown reordering; fack: the highest SACKed sequence. */
  reordSeen = false;
  fack = 0;
  /** tp->reordering: how many segments out of order the peer has shown (tcp_reordering at
   * first, raised by tcp_check_sack_reordering); RACK's window and cwnd growth read it. */
  reordering = 3;
  /** icsk_pending while the retransmission timer (TcpSock.rtoTimer) is armed for something
   * else than a retransmission: ICSK_TIME_LOSS_PROBE or ICSK_TIME_REO_TIMEOUT (0 otherwise). */
  xmitPending = 0;
  /** Tail loss probe (tcp_send_loss_probe): snd_nxt when the probe went (tlp_high_seq;
   * undefined: none outstanding), and whether it was a retransmission (tlp_retrans). */
  tlpHighSeq: number | undefined = undefined;
  tlpRetrans = false;
  /** Undo (tcp_init_undo): snd_una when the reduction began (undo_marker; undefined: no undo
   * possible), the retransmissions not yet shown spurious by a D-SACK (undo_retrans, -1:
   * none), and ssthresh before it (prior_ssthresh, 0: none). */
  undoMarker: number | undefined = undefined;
  undoRetrans = -1;
  priorSsthresh = 0;
  /** retrans_stamp: the TSval of the first retransmission of this episode (undefined: none),
   * so an echo from before it shows the original arrived (tcp_packet_delayed). */
  retransStamp: number | undefined = undefined;
  /** F-RTO (RFC 5682) under way after this timeout (tp->frto). */
  frto = false;
  /** dsack_dups: segments the peer reported received twice. */
  dsackDups = 0;
  /** tp->lost: segments ever marked lost (what an ACK newly found lost is a difference of). */
  lost = 0;
  // ---- delivery rate (tcp-rate.ts) and pacing ----
  /** tp->delivered: segments delivered (ACKed or SACKed) over the connection's life; when it
   * last grew (delivered_mstamp, µs); the send time of the newest delivered skb
   * (first_tx_mstamp, µs); app_limited (0: not; else the delivered count that ends it). */
  delivered = 0;
  deliveredMstamp = 0;
  firstTxMstamp = 0;
  appLimited = 0;
  /** The last valid (non-app-limited) sample: segments over µs, and whether app-limited. */
  rateDelivered = 0;
  rateIntervalUs = 0;
  rateAppLimited = false;
  /** Internal pacing (sk_pacing_status SK_PACING_NEEDED, no fq here): the earliest time the
   * next skb may leave (tcp_wstamp_ns), the rate the congestion control set (sk_pacing_rate,
   * bytes/s), data segments sent, and the pacing timer (tcp_pacing_timer). */
  wstampNs = 0;
  pacingRate = 0;
  dataSegsOut = 0;
  pacingTimer: Timer | undefined = undefined;
  /** packets_out, sacked_out, lost_out, retrans_out: segments of the sent skbs (those
   * before sendHead) and of those with each scoreboard mark, kept as marks change
   * (skbAccount) so the window arithmetic never walks the queue. total_retrans: segments
   * sent again over the connection's life. */
  packetsOut = 0;
  sackedOut = 0;
  lostOut = 0;
  retransOut = 0;
  totalRetrans = 0;
  /** Made at write_seq: nothing sent past it yet (what initSendSeq would have set). */
  constructor(writeSeq: number) {
    this.sndSml = writeSeq;
    this.pushedSeq = writeSeq;
    this.cwndUsageSeq = writeSeq;
    this.fack = writeSeq;
  }
}
/** The shared empty send queue of a socket that has not sent (never pushed to). */
export const NO_SKBS: TxSkb[] = [];
/** The send side of a connection that has queued nothing: every field at its default. */
export const NO_TX: TcpTx = Object.freeze(new TcpTx(0)) as TcpTx;
/** A received skb in the receive queue: how many of its bytes are not yet read, and its
 * truesize (what it costs the receive buffer until freed). */
export interface RxSkb {
  len: number;
  truesize: number;
  /** Segments coalesced into the skb this entry belongs to, counting this one. */
  frags: number;
}
/**
 * The receive queue: its skbs, and their unread bytes (TcpSock.rqBytes of them) in order in a
 * ring from `head` — copied in as segments arrive, so no segment's buffer is kept and no
 * buffer is made per segment (the ring grows in powers of two from 256 bytes, as the send
 * buffer does).
 */
export class RxQueue {
  readonly skbs: RxSkb[] = [];
  buf: Uint8Array = EMPTY;
  head = 0;
}
/** Receive-buffer autotuning state (tcp_sock's rcvq_space and rcv_rtt_est). */
export interface RcvSpace {
  /** rcvq_space.seq and .time (µs) */
  seq: number;
  time: number;
  /** rcv_rtt_est.rtt_us (<< 3), .seq, .time (µs), and the TSecr last sampled */
  rttUs: number;
  rttSeq: number;
  rttTime: number;
  lastTsecr: number;
}
/** What a receiver reports in SACK options: `blocks` as start/end pairs (int32 sequence
 * numbers), the D-SACK block (dsackStart < dsackEnd when one is due). */
export interface SackRx {
  blocks: number[];
  dsackStart: number;
  dsackEnd: number;
  /** SACK compression (tcp_sock's compressed_ack, compressed_ack_rcv_nxt, dup_ack_counter,
   * compressed_ack_timer): duplicate ACKs held back, the rcv_nxt they are for, the
   * duplicate ACKs sent at once for it, and the timer that sends the held one. */
  compressedAck: number;
  compressedAckRcvNxt: number;
  dupAckCounter: number;
  compressedTimer: Timer | undefined;
}
/** The shared empty receive queue of a socket that has not received bytes (never pushed to). */
export const NO_DATA: RxQueue = Object.freeze(new RxQueue()) as RxQueue;

export class TcpSock extends Sock {
  // ---- send side (snd_una … snd_nxt … end of sbuf); sequence numbers as int32 ----
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** The highest sequence number sent (snd_nxt can go back to snd_una after a timeout). */
  sndMax = 0;
  /** The peer's window, in bytes (snd_wnd). */
  sndWnd = 65535;
  /** max_window: the largest window the peer has offered. */
  maxWindow = 0;
  /** last_oow_ack_time (jiffies; 0: never): tcp_oow_rate_limited's. */
  lastOowAck = 0;
  /** rx_opt.rcv_tsecr: the TSecr of the last segment (receive RTT estimates). */
  rcvTsecr = 0;
  /** The send side's bulk state (TcpTx), made when the socket first queues data: an idle
   * connection holds none (NO_TX, shared and frozen). Reached through the accessors below. */
  tx: TcpTx = NO_TX;
  /** write_seq: the end of what the application has written. */
  writeSeq = 0;
  /** lsndtime: when data was last sent (jiffies). */
  lsndtime = 0;
  /** sk_sndbuf: the send buffer (tcp_wmem[1], SO_SNDBUF, or grown by tcp_sndbuf_expand). */
  skSndbuf = 0;
  // ---- receive side ----
  rcvNxt = 0;
  /** Out-of-order segments by sequence number (made when the first one arrives). */
  oooMap: Map<number, Uint8Array> | undefined;
  /** The SACK blocks we report (rx_opt.selective_acks, newest first, at most 4) and a D-SACK
   * to send once (duplicate_sack), made with the first out-of-order or duplicate segment. */
  sackRx: SackRx | undefined;
  /** The receive queue (made when the first bytes arrive): skbs of bytes not yet read. */
  rq: RxQueue = NO_DATA;
  rqBytes = 0;
  /** The peer's ISN + 1 (bytes_received counts from it). */
  irs = 0;
  /** rcv_wnd and rcv_wup: the window last advertised, and the rcv_nxt it counts from. */
  rcvWnd = 0;
  rcvWup = 0;
  /** rcv_ssthresh: the window's current ceiling (tcp_grow_window raises it). */
  rcvSsthresh = 0;
  /** window_clamp: the largest window ever offered. */
  windowClamp = 0;
  /** sk_rcvbuf: the receive buffer (tcp_rmem[1], SO_RCVBUF, or autotuned). */
  skRcvbuf = 0;
  /** sk_rmem_alloc: the truesize of what is queued (in order and out of order). */
  rmemAlloc = 0;
  /** rcvq_space.space: what the application read per RTT (receive autotuning). */
  rcvSpace = 0;
  /** copied_seq: what the application has read up to. */
  copiedSeq = 0;
  /** Receive autotuning's clocks (rcvq_space, rcv_rtt_est), made when the first data comes;
   * until then only when tcp_init_buffer_space ran (µs; -1: not yet). */
  rcvq: RcvSpace | undefined;
  rcvqTime = -1;
  /** icsk_ack: pending (ICSK_ACK_*) | quick << 8 | scaling_ratio << 16 (payload per
   * truesize, in 1/256: TCP_RMEM_TO_WIN_SCALE). */
  ackBits = 128 << 16;
  /** icsk_ack.rcv_mss | last_seg_size << 16 */
  ackMss = 0;
  /** icsk_ack.ato, .timeout, .lrcvtime (jiffies) */
  ackAto = 0;
  ackTimeout = 0;
  ackLrcv = 0;
  /** segs_in, segs_out (struct tcp_info). */
  segsIn = 0;
  segsOut = 0;
  // ---- segment sizes and ACKs ----
  /** mss_cache before tcp_bound_to_half_wnd (see sendMss()). */
  mss = 536;
  /** advMss and userMss, 16 bits each (see their accessors). */
  mssBits = 536;
  /** mssClamp (16 bits), sndWscale and rcvWscale (4 each), retries (8): see the accessors. */
  wsBits = 536;
  // ---- congestion ----
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** The congestion control (icsk_ca_ops): the host's default, or TCP_CONGESTION. */
  cc: CongestionOps;
  /** sk_pacing_rate >> sk_pacing_shift (10): bytes per 1/1024 s (0: unlimited, before the
   * first RTT sample). */
  pacingRateShifted = 0;
  /** Its private state (icsk_ca_priv). */
  ccPriv: object | undefined = undefined;

  // ---- RTT and timers ----
  readonly rtt = new RttEstimator();
  /** A sequence RTT sample in flight: its end sequence and when it was sent. */
  rttSample: { seq: number; at: number } | undefined;
  /** icsk_retransmit_timer (retransmission and zero-window probes). */
  rtoTimer: Timer | undefined;
  /** icsk_delack_timer */
  delackTimer: Timer | undefined;
  /** FIN_WAIT2's and TIME_WAIT's timer. */
  twTimer: Timer | undefined;
  ka: Keepalive | undefined;
  /** rx_opt.ts_recent, the TSval to echo (int32, as sequence numbers). */
  tsRecent = 0;
  // ---- one-bit state, packed (see the F_* bits) ----
  bits = 0;
  // ---- listening ----
  /** A listener's queues and backlog (made by listen(), or on first use). */
  lq: ListenQueues | undefined;
  parent: TcpSock | undefined;
  /** The socket's psock while it is in a sockmap (sk_psock(), and sk->sk_prot swapped to
   * tcp_bpf_prots): send and recv go through it. */
  psock: TcpPsock | undefined;

  constructor(
    host: Host,
    family: 4 | 6,
    owner: Process,
    /** What the socket needs from around it (the host's TCP gives it). */
    readonly env: TcpEnv,
  ) {
    super(host, family, SOCK_STREAM, IPPROTO_TCP, owner, family === 4 ? ANY4 : ANY6);
    this.cc = env.defaultCongestion;
    // tcp_init_sock(): the buffers start at tcp_wmem[1] / tcp_rmem[1].
    this.skSndbuf = env.sysctl.tcpWmem[1];
    this.skRcvbuf = env.sysctl.tcpRmem[1];
  }

  // ---- the send side (TcpTx, made on the first write of a value that is not its default) ----
  /** The send side to write to: made now if the socket had none. */
  txw(): TcpTx {
    if (this.tx === NO_TX) this.tx = new TcpTx(this.writeSeq);
    return this.tx;
  }
  get sbuf(): Uint8Array {
    return this.tx.sbuf;
  }
  set sbuf(v: Uint8Array) {
    this.txw().sbuf = v;
  }
  get sbufHead(): number {
    return this.tx.sbufHead;
  }
  set sbufHead(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().sbufHead = v;
  }
  get sbufLen(): number {
    return this.tx.sbufLen;
  }
  set sbufLen(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().sbufLen = v;
  }
  get wq(): TxSkb[] {
    return this.tx.wq;
  }
  set wq(v: TxSkb[]) {
    if (v !== NO_SKBS || this.tx !== NO_TX) this.txw().wq = v;
  }
  get sendHead(): number {
    return this.tx.sendHead;
  }
  set sendHead(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().sendHead = v;
  }
  get wmemQueued(): number {
    return this.tx.wmemQueued;
  }
  set wmemQueued(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().wmemQueued = v;
  }
  /** (Before the first write: write_seq, where nothing small was sent.) */
  get sndSml(): number {
    return this.tx === NO_TX ? this.writeSeq : this.tx.sndSml;
  }
  set sndSml(v: number) {
    this.txw().sndSml = v;
  }
  get pushedSeq(): number {
    return this.tx === NO_TX ? this.writeSeq : this.tx.pushedSeq;
  }
  set pushedSeq(v: number) {
    this.txw().pushedSeq = v;
  }
  get maxPacketsOut(): number {
    return this.tx.maxPacketsOut;
  }
  set maxPacketsOut(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().maxPacketsOut = v;
  }
  get cwndUsageSeq(): number {
    return this.tx === NO_TX ? this.writeSeq : this.tx.cwndUsageSeq;
  }
  set cwndUsageSeq(v: number) {
    if (v !== this.cwndUsageSeq || this.tx !== NO_TX) this.txw().cwndUsageSeq = v;
  }
  get lastXmit(): number {
    return this.tx.lastXmit;
  }
  set lastXmit(v: number) {
    this.txw().lastXmit = v;
  }
  get cwndCnt(): number {
    return this.tx.cwndCnt;
  }
  set cwndCnt(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().cwndCnt = v;
  }
  get dupAcks(): number {
    return this.tx.dupAcks;
  }
  set dupAcks(v: number) {
    if (v !== 0 || this.tx !== NO_TX) this.txw().dupAcks = v;
  }
  get recover(): number | undefined {
    return this.tx.recover;
  }
  set recover(v: number | undefined) {
    if (v !== undefined || this.tx !== NO_TX) this.txw().recover = v;
  }

  // ---- small numbers, packed two to four in a word ----
  /** The MSS we advertise (from the route, or TCP_MAXSEG's if smaller), whatever the peer's clamps us to. */
  get advMss(): number {
    return this.mssBits & 0xffff;
  }
  set advMss(v: number) {
    this.mssBits = (this.mssBits & ~0xffff) | (v & 0xffff);
  }
  /** rx_opt.user_mss: TCP_MAXSEG (0: none; 88..32767), applied when a connection is set up. */
  get userMss(): number {
    return this.mssBits >>> 16;
  }
  set userMss(v: number) {
    this.mssBits = (this.mssBits & 0xffff) | ((v & 0xffff) << 16);
  }
  /** rx_opt.mss_clamp: the MSS the peer offered (or TCP_MAXSEG's, if smaller). */
  get mssClamp(): number {
    return this.wsBits & 0xffff;
  }
  set mssClamp(v: number) {
    this.wsBits = (this.wsBits & ~0xffff) | (v & 0xffff);
  }
  /** The peer's window scale, and ours (0..14). */
  get sndWscale(): number {
    return (this.wsBits >>> 16) & 0xf;
  }
  set sndWscale(v: number) {
    this.wsBits = (this.wsBits & ~0xf0000) | ((v & 0xf) << 16);
  }
  get rcvWscale(): number {
    return (this.wsBits >>> 20) & 0xf;
  }
  set rcvWscale(v: number) {
    this.wsBits = (this.wsBits & ~0xf00000) | ((v & 0xf) << 20);
  }
  /** icsk_retransmits: timeouts (or unanswered probes) in a row, up to 255. */
  get retries(): number {
    return this.wsBits >>> 24;
  }
  set retries(v: number) {
    this.wsBits = (this.wsBits & 0xffffff) | (Math.min(v, 255) << 24);
  }

  // ---- the packed flags ----
  private flag(f: number): boolean {
    return (this.bits & f) !== 0;
  }
  private setFlag(f: number, v: boolean): void {
    this.bits = v ? this.bits | f : this.bits & ~f;
  }
  get finQueued(): boolean {
    return this.flag(F_FIN_QUEUED);
  }
  set finQueued(v: boolean) {
    this.setFlag(F_FIN_QUEUED, v);
  }
  get finSent(): boolean {
    return this.flag(F_FIN_SENT);
  }
  set finSent(v: boolean) {
    this.setFlag(F_FIN_SENT, v);
  }
  get finReceived(): boolean {
    return this.flag(F_FIN_RECEIVED);
  }
  set finReceived(v: boolean) {
    this.setFlag(F_FIN_RECEIVED, v);
  }
  get shutWr(): boolean {
    return this.flag(F_SHUT_WR);
  }
  set shutWr(v: boolean) {
    this.setFlag(F_SHUT_WR, v);
  }
  get shutRd(): boolean {
    return this.flag(F_SHUT_RD);
  }
  set shutRd(v: boolean) {
    this.setFlag(F_SHUT_RD, v);
  }
  /** TCP_NODELAY */
  get nodelay(): boolean {
    return this.flag(F_NODELAY);
  }
  set nodelay(v: boolean) {
    this.setFlag(F_NODELAY, v);
  }
  /** tp->rx_opt.tstamp_ok: both ends sent timestamps in the handshake (RFC 7323). */
  get tsOk(): boolean {
    return this.flag(F_TS_OK);
  }
  set tsOk(v: boolean) {
    this.setFlag(F_TS_OK, v);
  }
  /** TCP_CORK */
  get cork(): boolean {
    return this.flag(F_CORK);
  }
  set cork(v: boolean) {
    this.setFlag(F_CORK, v);
  }
  /** bpf_sock_ops_cb_flags */
  get cbFlags(): number {
    return (this.bits >> CB_FLAGS_SHIFT) & 0xff;
  }
  set cbFlags(f: number) {
    this.bits = (this.bits & ~(0xff << CB_FLAGS_SHIFT)) | ((f & 0xff) << CB_FLAGS_SHIFT);
  }

  get sackOk(): boolean {
    return this.flag(F_SACK_OK);
  }
  set sackOk(v: boolean) {
    this.setFlag(F_SACK_OK, v);
  }
  get pingpong(): boolean {
    return this.flag(F_PINGPONG);
  }
  set pingpong(v: boolean) {
    this.setFlag(F_PINGPONG, v);
  }
  get wscaleOk(): boolean {
    return this.flag(F_WSCALE_OK);
  }
  set wscaleOk(v: boolean) {
    this.setFlag(F_WSCALE_OK, v);
  }
  get cwndLimited(): boolean {
    return this.flag(F_CWND_LIMITED);
  }
  set cwndLimited(v: boolean) {
    this.setFlag(F_CWND_LIMITED, v);
  }
  /** tp->nonagle: TCP_NAGLE_OFF (TCP_NODELAY) | TCP_NAGLE_CORK (TCP_CORK). */
  get nonagleBits(): number {
    return (this.nodelay ? 1 : 0) | (this.cork ? 2 : 0);
  }
  // ---- buffers: TCP's own, autotuned unless SO_RCVBUF / SO_SNDBUF locked them ----
  override get rcvbuf(): number {
    return this.skRcvbuf;
  }
  override get sndbuf(): number {
    return this.skSndbuf;
  }
  override setBuffer(which: 'rcv' | 'snd', bytes: number): void {
    super.setBuffer(which, bytes);
    if (which === 'rcv') this.skRcvbuf = bytes;
    else this.skSndbuf = bytes;
  }
  get rcvbufLocked(): boolean {
    return (this.options.userlocks & SOCK_RCVBUF_LOCK) !== 0;
  }
  get sndbufLocked(): boolean {
    return (this.options.userlocks & SOCK_SNDBUF_LOCK) !== 0;
  }
  // ---- icsk_ack, packed ----
  /** icsk_ack.pending: ICSK_ACK_SCHED 1, TIMER 2, PUSHED 4, PUSHED2 8, NOW 16. */
  get ackPending(): number {
    return this.ackBits & 0xff;
  }
  set ackPending(v: number) {
    this.ackBits = (this.ackBits & ~0xff) | (v & 0xff);
  }
  /** icsk_ack.quick: ACKs still to send at once. */
  get ackQuick(): number {
    return (this.ackBits >> 8) & 0xff;
  }
  set ackQuick(v: number) {
    this.ackBits = (this.ackBits & ~0xff00) | ((v & 0xff) << 8);
  }
  /** tp->scaling_ratio */
  get scalingRatio(): number {
    return (this.ackBits >> 16) & 0xff;
  }
  set scalingRatio(v: number) {
    this.ackBits = (this.ackBits & ~0xff0000) | ((v & 0xff) << 16);
  }
  /** icsk_ack.rcv_mss: the MSS the peer seems to send. */
  get rcvMss(): number {
    return this.ackMss & 0xffff;
  }
  set rcvMss(v: number) {
    this.ackMss = (this.ackMss & ~0xffff) | (v & 0xffff);
  }
  /** icsk_ack.last_seg_size */
  get lastSegSize(): number {
    return this.ackMss >>> 16;
  }
  set lastSegSize(v: number) {
    this.ackMss = (this.ackMss & 0xffff) | ((v & 0xffff) << 16);
  }
  // ---- derived state ----
  get ooo(): Map<number, Uint8Array> {
    return (this.oooMap ??= new Map());
  }
  get listenQueues(): ListenQueues {
    return (this.lq ??= { backlog: 0, acceptQ: [], synQ: new Set(), cookies: 0 });
  }
  get backlog(): number {
    return this.lq?.backlog ?? 0;
  }
  /** Established children waiting for accept() (a listener's). */
  get acceptQueue(): TcpSock[] {
    return this.listenQueues.acceptQ;
  }
  /** Children in SYN_RECV (the request socks of a listener). */
  get synQueue(): Set<TcpSock> {
    return this.listenQueues.synQ;
  }
  /** For the congestion ops: the clock, bytes in flight, the smallest RTT. */
  get ccNow(): number {
    return this.env.now;
  }
  get flight(): number {
    return (this.sndNxt - this.sndUna) | 0;
  }
  get minRtt(): number {
    return this.rtt.minRtt;
  }
  get jiffies(): number {
    return this.env.jiffies;
  }
  get pacingRate(): number {
    return this.tx.pacingRate || this.pacingRateShifted * 1024;
  }
  set pacingRate(rate: number) {
    this.txw().pacingRate = rate;
    this.pacingRateShifted = Math.max(1, Math.floor(rate / 1024));
  }
  get srttUs8(): number {
    return this.rtt.srttUs8;
  }
  get minRttUs(): number {
    return Math.floor(this.rtt.minRtt / 1000);
  }
  get caState(): number {
    return this.tx.caState;
  }
  get inFlight(): number {
    const t = this.tx;
    return t.packetsOut - (t.sackedOut + t.lostOut) + t.retransOut;
  }
  get delivered(): number {
    return this.tx.delivered;
  }
  get lost(): number {
    return this.tx.lost;
  }
  get deliveredMstamp(): number {
    return this.tx.deliveredMstamp;
  }
  get wstampNs(): number {
    return this.tx.wstampNs;
  }
  get appLimited(): number {
    return this.tx.appLimited;
  }
  set appLimited(v: number) {
    this.txw().appLimited = v;
  }
  random(n: number): number {
    return this.env.random(n);
  }
  get now(): number {
    return this.env.now;
  }

  // ---- addresses on the wire ----
  private wire(a: IpAddr): IpAddr {
    return a.family === 6 && isV4Mapped(a) ? unmapV4(a) : a;
  }
  get localWire(): IpAddr {
    return this.wire(this.srcAddr);
  }
  get remoteWire(): IpAddr {
    return this.wire(this.peer!.addr);
  }

  // ---- struct proto tcp_prot (tcp.ts) ----
  poll(): PollState {
    return tcpPoll(this);
  }
  bind(_addr: SockAddr): void {}
  connect(addr: SockAddr): void {
    tcpConnect(this, addr);
  }
  listen(backlog: number): void {
    tcpListen(this, backlog);
  }
  accept(): Sock | undefined {
    return tcpAccept(this);
  }
  sendmsg(data: Uint8Array, _to: SockAddr | undefined, _flags: number): number {
    return tcpSendmsg(this, data);
  }
  /** sendfile(2) of `data` (the file's bytes) to this socket. */
  sendfile(data: Uint8Array): number {
    return tcpSendfile(this, data);
  }
  /** tcp_sendmsg_locked() past the hooks: what SK_MSG passes on. */
  queueData(data: Uint8Array): number {
    return tcpSendData(this, data);
  }
  recvmsg(maxBytes: number, flags: number): { data: Uint8Array } | undefined {
    return tcpRecvmsg(this, maxBytes, flags);
  }
  shutdown(how: number): void {
    tcpShutdown(this, how);
  }
  close(): void {
    tcpClose(this);
  }
  override setProtoOption(level: number, name: number, value: number): boolean {
    return tcpSetOption(this, level, name, value);
  }
  override getProtoOption(level: number, name: number): number | undefined {
    return tcpGetOption(this, level, name);
  }
  override keepaliveChanged(): void {
    tcpKeepaliveChanged(this);
  }
  /** getsockopt(TCP_INFO) */
  tcpInfo(): TcpInfo {
    return tcpGetInfo(this);
  }
  /** TCP_CONGESTION by name. */
  setCongestion(name: string): void {
    tcpSetCongestion(this, name);
  }
}

/** tcp_mss_clamp(): an MSS no larger than TCP_MAXSEG's. */
export function tcpMssClamp(tp: TcpSock, mss: number): number {
  return tp.userMss && tp.userMss < mss ? tp.userMss : mss;
}

/** Appends `data` to the send buffer (growing it, in powers of two from 256 bytes). */
export function sbufAppend(tp: TcpSock, data: Uint8Array): void {
  const need = tp.sbufLen + data.length;
  if (need > tp.sbuf.length) {
    let size = Math.max(tp.sbuf.length, 256);
    while (size < need) size *= 2;
    const b = new Uint8Array(size);
    if (tp.sbufLen) b.set(sbufRead(tp, 0, tp.sbufLen));
    tp.sbuf = b;
    tp.sbufHead = 0;
  }
  const cap = tp.sbuf.length;
  const at = (tp.sbufHead + tp.sbufLen) % cap;
  const first = Math.min(data.length, cap - at);
  tp.sbuf.set(data.subarray(0, first), at);
  if (first < data.length) tp.sbuf.set(data.subarray(first), 0);
  tp.sbufLen = need;
}

/** `len` bytes of the send buffer from `off` bytes past snd_una: a view into the buffer
 * where they lie in one piece (good until the buffer next changes: callers copy them into a
 * segment at once), else a copy of the two pieces. */
export function sbufRead(tp: TcpSock, off: number, len: number): Uint8Array {
  const cap = tp.sbuf.length;
  const at = (tp.sbufHead + off) % cap;
  if (at + len <= cap) return tp.sbuf.subarray(at, at + len);
  const out = new Uint8Array(len);
  out.set(tp.sbuf.subarray(at));
  out.set(tp.sbuf.subarray(0, len - (cap - at)), cap - at);
  return out;
}

/** The first `n` bytes are acknowledged: the head moves past them. */
export function sbufConsume(tp: TcpSock, n: number): void {
  if (n <= 0) return;
  tp.sbufLen -= n;
  tp.sbufHead = tp.sbufLen === 0 ? 0 : (tp.sbufHead + n) % tp.sbuf.length;
}

/** Appends `d` to the receive queue's bytes (`queued` of them there already). */
export function rbufAppend(q: RxQueue, queued: number, d: Uint8Array): void {
  const need = queued + d.length;
  if (need > q.buf.length) {
    let size = Math.max(q.buf.length, 256);
    while (size < need) size *= 2;
    const b = new Uint8Array(size);
    if (queued) rbufCopy(q, queued, b, 0);
    q.buf = b;
    q.head = 0;
  }
  const cap = q.buf.length;
  const at = (q.head + queued) % cap;
  const first = Math.min(d.length, cap - at);
  q.buf.set(first === d.length ? d : d.subarray(0, first), at);
  if (first < d.length) q.buf.set(d.subarray(first), 0);
}

/** Copies the first `n` queued bytes into `out` at `to` (nothing is consumed). */
export function rbufCopy(q: RxQueue, n: number, out: Uint8Array, to: number): void {
  const cap = q.buf.length;
  const first = Math.min(n, cap - q.head);
  out.set(q.buf.subarray(q.head, q.head + first), to);
  if (first < n) out.set(q.buf.subarray(0, n - first), to + first);
}
