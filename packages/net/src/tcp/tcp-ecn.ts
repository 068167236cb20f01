// Explicit Congestion Notification for TCP, RFC 3168 (include/net/tcp_ecn.h and
// net/ipv4/tcp_input.c / tcp_output.c's tcp_ecn_* helpers; include/net/inet_ecn.h):
// negotiated in the handshake — a SYN with ECE and CWR asks (net.ipv4.tcp_ecn = 1), a SYN-ACK
// with ECE alone accepts (tcp_ecn 1 or 2, this machine's 2: accept only) — then new data goes
// out ECT(0), a CE mark on arrival makes the receiver echo ECE until the sender's CWR, and an
// ECE makes the sender reduce once per window (tcp_enter_cwr), without a retransmission.
import type { TcpSegment } from '../wire/tcp';
import { TCP_CWR, TCP_ECE, TCP_SYN } from '../wire/tcp';
import type { TcpSock } from './tcp-sock';
import { F_ECN_DEMAND_CWR, F_ECN_OK, F_ECN_QUEUE_CWR, F_ECN_SEEN } from './tcp-sock';
import { ICSK_ACK_NOW, tcpEnterQuickackMode } from './tcp-timer';

/** The IP header's ECN field (inet_ecn.h): not ECN-capable, ECT(1), ECT(0), CE. */
export const INET_ECN_NOT_ECT = 0;
export const INET_ECN_ECT_1 = 1;
export const INET_ECN_ECT_0 = 2;
export const INET_ECN_CE = 3;
export const INET_ECN_MASK = 3;

/** tcp_ecn_send_syn(): with tcp_ecn = 1 the SYN asks for ECN (ECE and CWR). */
export function tcpEcnSendSyn(tp: TcpSock): number {
  tp.bits &= ~(F_ECN_OK | F_ECN_QUEUE_CWR | F_ECN_DEMAND_CWR | F_ECN_SEEN);
  if (tp.env.sysctl.tcpEcn !== 1) return 0;
  tp.bits |= F_ECN_OK;
  return TCP_ECE | TCP_CWR;
}

/** tcp_ecn_rcv_synack(): the SYN-ACK must carry ECE and not CWR, or ECN is off. */
export function tcpEcnRcvSynack(tp: TcpSock, seg: TcpSegment): void {
  if (tp.bits & F_ECN_OK && (!(seg.flags & TCP_ECE) || seg.flags & TCP_CWR)) tp.bits &= ~F_ECN_OK;
}

/** tcp_ecn_create_request() + tcp_ecn_openreq_child(): a SYN that asks (ECE and CWR, and
 * itself not ECT) is accepted when tcp_ecn is 1 or 2. */
export function tcpEcnCreateRequest(child: TcpSock, syn: TcpSegment, ecn: number): void {
  child.bits &= ~(F_ECN_OK | F_ECN_QUEUE_CWR | F_ECN_DEMAND_CWR | F_ECN_SEEN);
  const asks = (syn.flags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR);
  if (asks && ecn === INET_ECN_NOT_ECT && child.env.sysctl.tcpEcn !== 0) child.bits |= F_ECN_OK;
}

/** Where tcpEcnSend() puts the IP ECN field in its answer, above the TCP flags. */
export const ECN_SHIFT = 16;

/**
 * tcp_ecn_send() / tcp_ecn_make_synack(): the flags and IP ECN field of an outgoing segment,
 * as one number (flags | ecn << ECN_SHIFT: nothing to allocate per segment). A SYN-ACK
 * accepts with ECE; new data is ECT(0) and carries the CWR a reduction queued; an ACK or a
 * retransmission is not ECT; ECE while the peer's CE is not yet answered by a CWR.
 */
export function tcpEcnSend(tp: TcpSock, flags: number, newData: boolean): number {
  if (!(tp.bits & F_ECN_OK)) return flags;
  if (flags & TCP_SYN) return flags | (flags & 0x10 ? TCP_ECE : 0);
  let ecn = INET_ECN_NOT_ECT;
  if (newData) {
    ecn = INET_ECN_ECT_0;
    if (tp.bits & F_ECN_QUEUE_CWR) {
      tp.bits &= ~F_ECN_QUEUE_CWR;
      flags |= TCP_CWR;
    }
  }
  if (tp.bits & F_ECN_DEMAND_CWR) flags |= TCP_ECE;
  return flags | (ecn << ECN_SHIFT);
}

/** tcp_ecn_check_ce(): data arrived; a CE mark asks for ECE on our ACKs (sent at once). */
export function tcpEcnCheckCe(tp: TcpSock, ecn: number): void {
  if (!(tp.bits & F_ECN_OK)) return;
  switch (ecn & INET_ECN_MASK) {
    case INET_ECN_NOT_ECT:
      // Funny extension: a not-ECT segment after ECT ones — ACK the next two at once.
      if (tp.bits & F_ECN_SEEN) tcpEnterQuickackMode(tp, 2);
      break;
    case INET_ECN_CE:
      if (!(tp.bits & F_ECN_DEMAND_CWR)) {
        tcpEnterQuickackMode(tp, 2);
        tp.bits |= F_ECN_DEMAND_CWR;
      }
      tp.bits |= F_ECN_SEEN;
      break;
    default:
      tp.bits |= F_ECN_SEEN;
  }
}

/** tcp_ecn_accept_cwr(): the peer reduced (CWR): stop echoing ECE; ACK such data at once. */
export function tcpEcnAcceptCwr(tp: TcpSock, seg: TcpSegment, len: number): void {
  if (!(seg.flags & TCP_CWR)) return;
  tp.bits &= ~F_ECN_DEMAND_CWR;
  if (len > 0) tp.ackPending |= ICSK_ACK_NOW;
}

/** tcp_ecn_rcv_ecn_echo(): an ACK with ECE on an ECN connection is a congestion signal. */
export const tcpEcnRcvEcnEcho = (tp: TcpSock, seg: TcpSegment): boolean => (seg.flags & TCP_ECE) !== 0 && !(seg.flags & TCP_SYN) && (tp.bits & F_ECN_OK) !== 0;

/** tcp_ecn_queue_cwr(): a reduction began: the next new data carries CWR. */
export function tcpEcnQueueCwr(tp: TcpSock): void {
  if (tp.bits & F_ECN_OK) tp.bits |= F_ECN_QUEUE_CWR;
}
