// Congestion control as pluggable ops (include/net/tcp.h: struct tcp_congestion_ops;
// net/ipv4/tcp_cong.c: the registry, tcp_slow_start(), and "reno": NewReno's growth,
// RFC 5681). Other modules (tcp-cubic.ts) register themselves, as Linux's do at init.
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
  /** sk_pacing_rate, bytes/s (0: not yet known). */
  readonly pacingRate: number;
  /** snd_cwnd_cnt: segments acknowledged towards the next additive increase. */
  cwndCnt: number;
  /** The algorithm's private state (icsk_ca_priv), its own to shape. */
  ccPriv: object | undefined;
}

export interface CongestionOps {
  readonly name: string;
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
