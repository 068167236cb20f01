// The RTT estimator of a connection (net/ipv4/tcp_input.c: tcp_rtt_estimator(),
// tcp_set_rto(); include/net/inet_connection_sock.h: icsk_rto), as smoltcp's RttEstimator
// keeps it apart from the socket: smoothed RTT, its variance, the retransmission timeout
// and the smallest sample (cubic's delay_min). All in integer nanoseconds, as Linux keeps
// integer units (srtt_us << 3): small integers also stay unboxed in the socket.

import { MS, SEC } from '../sim/simulation';

/** TCP_TIMEOUT_INIT: the RTO before the first sample (RFC 6298 2.1). */
export const TCP_RTO_INIT = 1 * SEC;
/** TCP_RTO_MIN (net.ipv4.tcp_rto_min_us = 200000). */
export const TCP_RTO_MIN = 200 * MS;
/** TCP_RTO_MAX (net.ipv4.tcp_rto_max_ms = 120000). */
export const TCP_RTO_MAX = 120 * SEC;

export class RttEstimator {
  /** srtt, ns (0: no sample yet). */
  srtt = 0;
  /** rttvar, ns. */
  rttvar = 0;
  /** icsk_rto, ns. */
  rto = TCP_RTO_INIT;
  /** The smallest sample, ns (tcp_min_rtt; 0 before the first). */
  minRtt = 0;

  /** tcp_rtt_estimator() + tcp_set_rto(): one RTT sample of `r` ns. */
  sample(r: number): void {
    if (!this.minRtt || r < this.minRtt) this.minRtt = r;
    if (!this.srtt) {
      this.srtt = r;
      this.rttvar = Math.round(r / 2);
    } else {
      this.rttvar = Math.round(0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r));
      this.srtt = Math.round(0.875 * this.srtt + 0.125 * r);
    }
    // __tcp_set_rto(): srtt + rttvar, where rttvar (4 × mdev) is at least tcp_rto_min.
    this.rto = Math.min(Math.round(this.srtt + Math.max(4 * this.rttvar, TCP_RTO_MIN)), TCP_RTO_MAX);
  }

  /** inet_csk_backoff: the RTO doubles after a timeout, up to TCP_RTO_MAX. */
  backoff(): void {
    this.rto = Math.min(this.rto * 2, TCP_RTO_MAX);
  }
}
