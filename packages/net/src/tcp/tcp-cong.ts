// Congestion control as pluggable ops (include/net/tcp.h: struct tcp_congestion_ops;
// net/ipv4/tcp_cong.c: the registry, tcp_slow_start(), and "reno": NewReno's growth,
// RFC 5681). Other modules (tcp-cubic.ts) register themselves, as Linux's do at init.
import type { CubicState } from './tcp-cubic';

/** What the ops see of a socket: windows in bytes, the clock and RTT in ns. */
export interface CcSock {
  cwnd: number;
  ssthresh: number;
  readonly mss: number;
  readonly ccNow: number;
  /** The smallest RTT sample so far, ns (0 before the first). */
  readonly minRtt: number;
  /** Bytes in flight when the loss was detected (snd_nxt - snd_una). */
  readonly flight: number;
  /** The algorithm's private state (icsk_ca_priv). */
  ccPriv: CubicState | undefined;
}

export interface CongestionOps {
  readonly name: string;
  /** ssthresh after a loss (bytes): the ops' ->ssthresh(). */
  ssthresh(sk: CcSock): number;
  /** ->cong_avoid(): grow cwnd for `acked` newly acknowledged bytes (not in recovery). */
  congAvoid(sk: CcSock, acked: number): void;
  /** ->set_state(TCP_CA_Loss): a retransmission timeout. */
  onLoss?(sk: CcSock): void;
}

/** Slow start, one MSS per ACK up to ssthresh (tcp_slow_start, ABC with L = 1). */
export function tcpSlowStart(sk: CcSock, acked: number): void {
  sk.cwnd += Math.min(acked, sk.mss);
}

export const RENO: CongestionOps = {
  name: 'reno',
  // RFC 5681: half the flight, at least two segments.
  ssthresh: (sk) => Math.max(sk.flight >> 1, 2 * sk.mss),
  congAvoid(sk, acked) {
    if (sk.cwnd < sk.ssthresh) tcpSlowStart(sk, acked);
    else sk.cwnd += Math.max(1, Math.floor((sk.mss * sk.mss) / sk.cwnd));
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
