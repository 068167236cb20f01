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
import { SOCK_STREAM, Sock } from '../sock/sock';
import { TCP_STATE } from '../sock/state';
import type { IpAddr } from '../wire/addr';
import { ANY4, ANY6, isV4Mapped, unmapV4 } from '../wire/addr';
import type { Timer } from '../sim/simulation';
import type { TcpEnv } from './tcp-env';
import type { CongestionOps } from './tcp-cong';
import type { CubicState } from './tcp-cubic';
import { RttEstimator } from './tcp-rtt';
import { tcpConnect } from './tcp-ipv4';
import { tcpAccept, tcpClose, tcpGetOption, tcpKeepaliveChanged, tcpListen, tcpPoll, tcpRecvmsg, tcpSendData, tcpSendfile, tcpSendmsg, tcpSetCongestion, tcpSetOption, tcpShutdown } from './tcp';

export const IPPROTO_TCP = 6;

/** TcpSock.bits */
export const F_FIN_QUEUED = 1;
export const F_FIN_SENT = 2;
export const F_FIN_RECEIVED = 4;
export const F_SHUT_WR = 8;
export const F_SHUT_RD = 16;
export const F_NODELAY = 32;
export const F_CORK = 64;
export const F_TS_OK = 128;
/** Bits 8-15 hold the sock_ops callback flags (bpf_sock_ops_cb_flags). */
export const CB_FLAGS_SHIFT = 8;
/** Retransmitted data is in flight: its ACK gives no sequence RTT sample (Karn). */
export const F_RTX = 1 << 16;
/** The peer has offered a window of twice the MSS or more: tcp_bound_to_half_wnd no longer
 * cuts the MSS (max_window only grows), and MAX_WINDOW holds nothing for the socket. */
export const F_MAXWND_BIG = 1 << 17;

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
}

/** How a socket's bytes reach the wire: hooks (SK_MSG) may take them on the way. */
export type TcpSendHook = (sk: TcpSock, data: Uint8Array, opts?: { sendfile?: boolean }) => number;

/**
 * tp->max_window, kept only while it is under twice the MSS (where it bounds the MSS: a
 * huge-MTU link such as lo, or a tiny window). Most sockets never have an entry.
 */
export const MAX_WINDOW = new WeakMap<TcpSock, number>();

export const EMPTY = new Uint8Array(0);
/** The shared empty receive queue of a socket that has not received bytes (never pushed to). */
export const NO_DATA: Uint8Array[] = [];

export class TcpSock extends Sock {
  // ---- send side (snd_una … snd_nxt … end of sbuf); sequence numbers as int32 ----
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** The highest sequence number sent (snd_nxt can go back to snd_una after a timeout). */
  sndMax = 0;
  /** The peer's window, in bytes (snd_wnd). */
  sndWnd = 65535;
  sndWscale = 0;
  /** Bytes from snd_una on: sent but unacknowledged, then unsent. Allocated on first use:
   * an idle connection holds no send buffer. */
  sbuf = EMPTY;
  sbufLen = 0;
  // ---- receive side ----
  rcvNxt = 0;
  rcvWscale = 0;
  /** Out-of-order segments by sequence number (made when the first one arrives). */
  oooMap: Map<number, Uint8Array> | undefined;
  /** The receive queue (made when the first bytes arrive). */
  rq: Uint8Array[] = NO_DATA;
  rqBytes = 0;
  // ---- segment sizes and ACKs ----
  /** mss_cache before tcp_bound_to_half_wnd (see sendMss()). */
  mss = 536;
  /** The MSS we advertise (from the route), whatever the peer's clamps us to. */
  advMss = 536;
  /** tcp_incr_quickack(): segments ACKed at once at the start of a connection. */
  quickAcks = 16;
  /** Segments received since the last ACK we sent. */
  unackedSegs = 0;
  // ---- congestion ----
  cwnd = 0;
  ssthresh = 0x7fffffff;
  /** The congestion control (icsk_ca_ops): the host's default, or TCP_CONGESTION. */
  cc: CongestionOps;
  /** Its private state (icsk_ca_priv). */
  ccPriv: CubicState | undefined = undefined;
  dupAcks = 0;
  recover: number | undefined;
  // ---- RTT and timers ----
  readonly rtt = new RttEstimator();
  /** A sequence RTT sample in flight: its end sequence and when it was sent. */
  rttSample: { seq: number; at: number } | undefined;
  /** icsk_retransmits: timeouts in a row. */
  retries = 0;
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
  /** What the send path runs bytes through (SK_MSG), if anything (tcp_bpf_sendmsg). */
  sendHook: TcpSendHook | undefined;
  /** Bytes to read before the TCP receive queue (tcp_bpf_recvmsg: a psock's ingress). */
  recvHook: ((maxBytes: number) => Uint8Array | undefined) | undefined;

  constructor(
    host: Host,
    family: 4 | 6,
    owner: Process,
    /** What the socket needs from around it (the host's TCP gives it). */
    readonly env: TcpEnv,
  ) {
    super(host, family, SOCK_STREAM, IPPROTO_TCP, owner, family === 4 ? ANY4 : ANY6);
    this.cc = env.defaultCongestion;
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

  // ---- derived state ----
  get ooo(): Map<number, Uint8Array> {
    return (this.oooMap ??= new Map());
  }
  get listenQueues(): ListenQueues {
    return (this.lq ??= { backlog: 0, acceptQ: [], synQ: new Set() });
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
  /** TCP_CONGESTION by name. */
  setCongestion(name: string): void {
    tcpSetCongestion(this, name);
  }
}
