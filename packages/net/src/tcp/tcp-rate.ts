// Delivery rate sampling (net/ipv4/tcp_rate.c, draft-cheng-iccrg-delivery-rate-estimation):
// each skb remembers, when sent, how much had been delivered and when; each ACK that
// delivers skbs yields a rate sample — segments delivered over the longer of the send and
// the ACK phase — which BBR's model is built from. Also the application-limited marks
// (tcp_rate_check_app_limited) that keep an idle sender's samples from lowering the rate.
import type { TcpSock, TxSkb } from './tcp-sock';
import { SKB_RETRANS, SKB_SACKED } from './tcp-sock';
import { after } from './tcp-seq';
import { packetsInFlight, cwndSegs } from './tcp-output';

/** struct rate_sample: what one ACK tells of the delivery rate. Times in µs. */
export interface RateSample {
  /** tp->delivered and its time when the newest delivered skb was sent (0: no sample). */
  priorDelivered: number;
  priorMstamp: number;
  /** The send phase (then the longer of send and ACK phases), µs; -1 invalid. */
  intervalUs: number;
  /** Segments delivered over the interval; -1 invalid. */
  delivered: number;
  isAppLimited: boolean;
  isRetrans: boolean;
  lastEndSeq: number;
  /** Segments newly (S)ACKed, and newly marked lost, by this ACK. */
  ackedSacked: number;
  losses: number;
  /** The newest (S)ACKed segment's RTT, µs (-1: none). */
  rttUs: number;
  /** Packets in flight before the ACK. */
  priorInFlight: number;
  isAckDelayed: boolean;
}

export const newRateSample = (priorInFlight: number): RateSample => ({
  priorDelivered: 0,
  priorMstamp: 0,
  intervalUs: -1,
  delivered: -1,
  isAppLimited: false,
  isRetrans: false,
  lastEndSeq: 0,
  ackedSacked: 0,
  losses: 0,
  rttUs: -1,
  priorInFlight,
  isAckDelayed: false,
});

const usOf = (ns: number): number => Math.floor(ns / 1000);

/** tcp_rate_skb_sent(): the skb (sent or sent again now) notes the delivery state. */
export function tcpRateSkbSent(tp: TcpSock, skb: TxSkb): void {
  const t = tp.tx;
  const now = usOf(tp.now);
  // Nothing in flight: the sample's clock starts at this send.
  if (!t.packetsOut) {
    t.firstTxMstamp = now;
    t.deliveredMstamp = now;
  }
  skb.txFirstTx = t.firstTxMstamp;
  skb.txDeliveredMstamp = t.deliveredMstamp;
  skb.txDelivered = t.delivered;
  skb.txAppLimited = t.appLimited !== 0;
}

/** tcp_rate_skb_delivered(): an skb (S)ACKed; the most recently sent one delivered sets
 * the sample's start. A SACKed skb counts once (not again when cumulatively ACKed). */
export function tcpRateSkbDelivered(tp: TcpSock, skb: TxSkb, rs: RateSample, endSeq: number): void {
  const t = tp.tx;
  if (!skb.txDeliveredMstamp) return;
  const tx = usOf(skb.sentAt);
  if (!rs.priorDelivered || tx > t.firstTxMstamp || (tx === t.firstTxMstamp && after(endSeq, rs.lastEndSeq))) {
    rs.priorDelivered = skb.txDelivered;
    rs.priorMstamp = skb.txDeliveredMstamp;
    rs.isAppLimited = skb.txAppLimited;
    rs.isRetrans = (skb.flags & SKB_RETRANS) !== 0;
    rs.lastEndSeq = endSeq;
    t.firstTxMstamp = tx;
    rs.intervalUs = tx - skb.txFirstTx;
  }
  if (skb.flags & SKB_SACKED) skb.txDeliveredMstamp = 0;
}

/** tcp_rate_gen(): the ACK's sample — delivered over max(send phase, ACK phase), invalid
 * when shorter than min_rtt; the last non-app-limited sample is kept for TCP_INFO. */
export function tcpRateGen(tp: TcpSock, delivered: number, lost: number, rs: RateSample): void {
  const t = tp.tx;
  const now = usOf(tp.now);
  if (t.appLimited && after(t.delivered, t.appLimited)) t.appLimited = 0;
  if (delivered) t.deliveredMstamp = now;
  rs.ackedSacked = delivered;
  rs.losses = lost;
  if (!rs.priorMstamp) {
    rs.delivered = -1;
    rs.intervalUs = -1;
    return;
  }
  rs.delivered = t.delivered - rs.priorDelivered;
  const snd = rs.intervalUs;
  const ack = now - rs.priorMstamp;
  rs.intervalUs = Math.max(snd, ack);
  if (rs.intervalUs < usOf(tp.rtt.minRtt)) {
    rs.intervalUs = -1;
    return;
  }
  if (!rs.isAppLimited || rs.delivered * t.rateIntervalUs >= t.rateDelivered * rs.intervalUs) {
    t.rateDelivered = rs.delivered;
    t.rateIntervalUs = rs.intervalUs;
    t.rateAppLimited = rs.isAppLimited;
  }
}

/** tcp_rate_check_app_limited() (each sendmsg): less than a segment left to send, the
 * window not full, nothing lost waiting: the flow is application-limited until what is in
 * flight now is delivered. */
export function tcpRateCheckAppLimited(tp: TcpSock): void {
  const t = tp.txw();
  const unsent = tp.sbufLen - Math.max(0, (tp.sndNxt - tp.sndUna) | 0);
  if (unsent < tp.mss && packetsInFlight(tp) < cwndSegs(tp) && t.lostOut <= t.retransOut) t.appLimited = t.delivered + packetsInFlight(tp) || 1;
}
