// Congestion control as pluggable ops (include/net/tcp.h: struct tcp_congestion_ops;
// net/ipv4/tcp_cong.c: the registry, tcp_slow_start(), and "reno": NewReno's growth,
// RFC 5681). The other modules (tcp-cubic.ts, tcp-bbr.ts) are registered by tcp-ipv4.ts, as
// their module_init() would.
import type { RateSample } from './tcp-rate';

/** What the ops see of a socket: windows in bytes, the clock and RTT in ns. */
export interface CcSock {
  cwnd: number;
  ssthresh: number;
  readonly mss: number;
  readonly ccNow: number;
  /** tcp_jiffies32: the clock in jiffies (4 ms at HZ=250), as the ops keep their epochs. */
  readonly jiffies: number;
  /** The smallest RTT sample so far, ns (0 before the first). */
  readonly minRtt: number;
  /** Bytes in flight when the loss was detected (snd_nxt - snd_una). */
  readonly flight: number;
  /** snd_una and snd_nxt (HyStart's rounds). */
  readonly sndUna: number;
  readonly sndNxt: number;
  /** sk_pacing_rate, bytes/s (0: not yet known); a cong_control op sets it. */
  pacingRate: number;
  /** srtt_us (µs × 8; 0 before a sample), tcp_min_rtt in µs (0: none). */
  readonly srttUs8: number;
  readonly minRttUs: number;
  /** icsk_ca_state (CA_OPEN … CA_LOSS), tcp_packets_in_flight(), tp->delivered, tp->lost,
   * delivered_mstamp (µs), tcp_wstamp_ns (the next departure time under pacing, ns). */
  readonly caState: number;
  readonly inFlight: number;
  readonly delivered: number;
  readonly lost: number;
  readonly deliveredMstamp: number;
  readonly wstampNs: number;
  /** tp->app_limited (0: not application-limited); BBR's PROBE_RTT sets it. */
  appLimited: number;
  /** get_random_u32_below(n), from the simulation's seeded generator. */
  random(n: number): number;
  /** snd_cwnd_cnt: segments acknowledged towards the next additive increase. */
  cwndCnt: number;
  /** The algorithm's private state (icsk_ca_priv), its own to shape. */
  ccPriv: object | undefined;
}

export interface CongestionOps {
  readonly name: string;
  /** ->init(): the connection is established (tcp_init_congestion_control). */
  init?(sk: CcSock): void;
  /** ->cong_control(): an op that sets cwnd and the pacing rate itself from each ACK's rate
   * sample, instead of PRR and ->cong_avoid (BBR). */
  congControl?(sk: CcSock, rs: RateSample): void;
  /** ->undo_cwnd(): cwnd after a reduction proved needless (default: Reno's, the larger
   * of now and before). */
  undoCwnd?(sk: CcSock): number;
  /** ->sndbuf_expand(): how many windows the send buffer holds (default 2). */
  sndbufExpand?(sk: CcSock): number;
  /** ->min_tso_segs() (default net.ipv4.tcp_min_tso_segs, 2). */
  minTsoSegs?(sk: CcSock): number;
  /** The op paces with TCP's internal pacing (sk_pacing_status SK_PACING_NEEDED). */
  readonly pacing?: boolean;
  /** ssthresh after a loss (bytes): the ops' ->ssthresh(). */
  ssthresh(sk: CcSock): number;
  /** ->cong_avoid(): grow cwnd for `acked` newly acknowledged bytes (not in recovery). */
  congAvoid(sk: CcSock, acked: number): void;
  /** ->set_state(TCP_CA_Loss): a retransmission timeout. */
  onLoss?(sk: CcSock): void;
  /** ->cwnd_event(CA_EVENT_TX_START): data goes out after `idleJiffies` (now - lsndtime)
   * with nothing in flight. */
  txStart?(sk: CcSock, idleJiffies: number): void;
  /** ->pkts_acked(): an ACK acknowledged data; `rttUs` the RTT of the newest segment it
   * (S)ACKed, µs (-1 without a sample). */
  pktsAcked?(sk: CcSock, rttUs: number): void;
}

/** tcp_slow_start(): cwnd grows by every byte acknowledged, up to ssthresh (RFC 3465 with
 * no L limit, as Linux has it since 3.x); returns what is left over for congestion avoidance. */
export function tcpSlowStart(sk: CcSock, acked: number): number {
  const cwnd = Math.min(sk.cwnd + acked, Math.max(sk.ssthresh, sk.cwnd));
  const left = acked - (cwnd - sk.cwnd);
  sk.cwnd = cwnd;
  return left;
}

/** tcp_cong_avoid_ai(): one segment more each `w` segments acknowledged (snd_cwnd_cnt). */
export function tcpCongAvoidAi(sk: CcSock, w: number, ackedSegs: number): void {
  if (sk.cwndCnt >= w) {
    sk.cwndCnt = 0;
    sk.cwnd += sk.mss;
  }
  sk.cwndCnt += ackedSegs;
  if (sk.cwndCnt >= w) {
    const delta = Math.floor(sk.cwndCnt / w);
    sk.cwndCnt -= delta * w;
    sk.cwnd += delta * sk.mss;
  }
}

export const RENO: CongestionOps = {
  name: 'reno',
  // tcp_reno_ssthresh(): half the window, at least two segments.
  ssthresh: (sk) => Math.max(Math.floor(sk.cwnd / sk.mss) >> 1, 2) * sk.mss,
  // tcp_reno_cong_avoid()
  congAvoid(sk, acked) {
    if (sk.cwnd < sk.ssthresh) {
      acked = tcpSlowStart(sk, acked);
      if (acked <= 0) return;
    }
    tcpCongAvoidAi(sk, Math.floor(sk.cwnd / sk.mss), Math.max(1, Math.round(acked / sk.mss)));
  },
};

const registry = new Map<string, CongestionOps>([['reno', RENO]]);

/** The algorithms by name (net.ipv4.tcp_available_congestion_control). */
export const CONGESTION_OPS: ReadonlyMap<string, CongestionOps> = registry;

/** tcp_register_congestion_control() */
export function tcpRegisterCongestionControl(ops: CongestionOps): void {
  if (registry.has(ops.name)) throw new Error(`congestion control ${ops.name} is registered already`);
  registry.set(ops.name, ops);
}
