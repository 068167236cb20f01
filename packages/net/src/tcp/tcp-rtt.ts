// The RTT estimator of a connection (net/ipv4/tcp_input.c: tcp_rtt_estimator(),
// tcp_set_rto(); include/net/inet_connection_sock.h: icsk_rto), as smoltcp's RttEstimator
// keeps it apart from the socket. Linux's arithmetic in Linux's units: srtt_us << 3,
// mdev_us (4 × the mean deviation), mdev_max_us and rttvar_us (at least tcp_rto_min for a
// round trip, decaying towards the largest mdev once per window of data, rtt_seq), and the
// RTO in whole jiffies (usecs_to_jiffies rounds up). Integers all, so they stay unboxed.

import { MS, SEC } from '../sim/simulation';

/** TCP_TIMEOUT_INIT: the RTO before the first sample (RFC 6298 2.1). */
export const TCP_RTO_INIT = 1 * SEC;
/** TCP_RTO_MIN (net.ipv4.tcp_rto_min_us = 200000). */
export const TCP_RTO_MIN = 200 * MS;
/** TCP_RTO_MAX (net.ipv4.tcp_rto_max_ms = 120000). */
export const TCP_RTO_MAX = 120 * SEC;
/** One jiffy at HZ = 250, ns (icsk_rto counts in them). */
const JIFFY_NS = 4 * MS;
const RTO_MIN_US = TCP_RTO_MIN / 1000;

export class RttEstimator {
  /** srtt_us: the smoothed RTT in µs, times 8 (0: no sample yet). */
  srttUs8 = 0;
  /** mdev_us: the mean deviation in µs, times 4. */
  mdevUs = 0;
  /** mdev_max_us: the largest mdev in this window of data. */
  mdevMaxUs = 0;
  /** rttvar_us: what the RTO adds to srtt (never below tcp_rto_min for long). */
  rttvarUs = 0;
  /** rtt_seq: the window ends when snd_una passes this sequence number. */
  rttSeq = 0;
  /** icsk_rto, ns (whole jiffies). */
  rto = TCP_RTO_INIT;
  /** The smallest sample, ns (tcp_min_rtt; 0 before the first). */
  minRtt = 0;

  /** srtt, ns. */
  get srtt(): number {
    return this.srttUs8 * 125;
  }
  /** rttvar as tcp_info reports it (mdev_us >> 2), ns. */
  get rttvar(): number {
    return (this.mdevUs >> 2) * 1000;
  }

  /**
   * tcp_ack_update_rtt(): a sample of `r` ns for the RTT estimate (seq_rtt, the oldest
   * segment acknowledged) and `caRtt` ns for the minimum (the newest); `sndUna`/`sndNxt`
   * after the ACK close the window of data rtt_seq marks.
   */
  sample(r: number, sndUna: number, sndNxt: number, caRtt = r): void {
    // tcp_update_rtt_min(): a zero sample counts as one jiffy.
    const ca = Math.round(caRtt / 1000) * 1000 || JIFFY_NS;
    if (!this.minRtt || ca < this.minRtt) this.minRtt = ca;
    this.estimate(Math.max(1, Math.round(r / 1000)), sndUna, sndNxt);
    this.setRto();
  }

  /** tcp_rtt_estimator(): Van Jacobson's, as Linux keeps it (mrtt in µs). */
  private estimate(mrtt: number, sndUna: number, sndNxt: number): void {
    let m = mrtt;
    let srtt = this.srttUs8;
    if (srtt !== 0) {
      m -= srtt >> 3;
      srtt += m;
      if (m < 0) {
        m = -m;
        m -= this.mdevUs >> 2;
        if (m > 0) m >>= 3;
      } else m -= this.mdevUs >> 2;
      this.mdevUs += m;
      if (this.mdevUs > this.mdevMaxUs) {
        this.mdevMaxUs = this.mdevUs;
        if (this.mdevMaxUs > this.rttvarUs) this.rttvarUs = this.mdevMaxUs;
      }
      if (((sndUna - this.rttSeq) | 0) > 0) {
        if (this.mdevMaxUs < this.rttvarUs) this.rttvarUs -= (this.rttvarUs - this.mdevMaxUs) >> 2;
        this.rttSeq = sndNxt;
        this.mdevMaxUs = RTO_MIN_US;
      }
    } else {
      srtt = m << 3;
      this.mdevUs = m << 1;
      this.rttvarUs = Math.max(this.mdevUs, RTO_MIN_US);
      this.mdevMaxUs = this.rttvarUs;
      this.rttSeq = sndNxt;
    }
    this.srttUs8 = Math.max(1, srtt);
  }

  /** tcp_set_rto() + tcp_bound_rto(): srtt + rttvar, in whole jiffies, at most TCP_RTO_MAX. */
  private setRto(): void {
    const us = (this.srttUs8 >> 3) + this.rttvarUs;
    this.rto = Math.min(Math.ceil((us * 1000) / JIFFY_NS) * JIFFY_NS, TCP_RTO_MAX);
  }

  /** inet_csk_backoff: the RTO doubles after a timeout, up to TCP_RTO_MAX. */
  backoff(): void {
    this.rto = Math.min(this.rto * 2, TCP_RTO_MAX);
  }
}
