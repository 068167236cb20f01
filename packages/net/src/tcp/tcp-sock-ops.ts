// TCP's calls into BPF_PROG_TYPE_SOCK_OPS programs (include/net/tcp.h: tcp_call_bpf(),
// tcp_timeout_init(), tcp_rwnd_init_bpf(), tcp_bpf_ca_needs_ecn()): what a connection
// shows of itself in struct bpf_sock_ops, and what the program's reply changes.
import type { TcpOpsInfo } from '../bpf/sock-ops';
import { BPF_SOCK_OPS } from '../bpf/sock-ops';
import { TCP_STATE } from '../sock/state';
import type { TcpSock } from './tcp-sock';
import { seqAdd, seqDiff } from './tcp-seq';
import { TCP_RTO_MAX } from './tcp-rtt';
import { JIFFY } from './tcp-timer';

/** tcp_call_bpf(sk, op, nargs, args): the reply of the cgroup's SOCK_OPS programs, or -1. */
export function tcpCallBpf(tp: TcpSock, op: number, ...args: number[]): number {
  return callAs(tp, false, op, args);
}

/**
 * The sock_ops callbacks of a connection's first segment, in Linux's order (this
 * machine's kernel, hooks golden 'sock-ops-callbacks'): tcp_rwnd_init_bpf()
 * (RWND_INIT), tcp_timeout_init() (TIMEOUT_INIT: a positive reply is the SYN's or
 * SYN-ACK's RTO in jiffies) and tcp_bpf_ca_needs_ecn() (NEEDS_ECN). bpfsim has no ECN and
 * no initial-window growth to give RWND_INIT's reply to; those replies are not used.
 * `request`: on the request socket of a SYN (the child-to-be).
 */
export function tcpInitCallbacks(tp: TcpSock, request: boolean): void {
  callAs(tp, request, BPF_SOCK_OPS.RWND_INIT, []);
  const timeout = callAs(tp, request, BPF_SOCK_OPS.TIMEOUT_INIT, []);
  if (timeout > 0) tp.rtt.rto = Math.min(timeout * JIFFY, TCP_RTO_MAX);
  callAs(tp, request, BPF_SOCK_OPS.NEEDS_ECN, []);
}

function callAs(tp: TcpSock, request: boolean, op: number, args: number[]): number {
  return tp.env.sockOps(
    tp,
    op,
    args,
    () => (request ? { ...opsInfo(tp), request: true } : opsInfo(tp)),
    (f) => (tp.cbFlags = f),
  );
}

/** What struct bpf_sock_ops shows of the connection (tcp_sock's fields, in Linux units:
 * segments, µs, srtt_us << 3). bytes_received, total_retrans and the rate fields are not
 * kept by the simulation and read 0. */
function opsInfo(tp: TcpSock): TcpOpsInfo {
  const mss = Math.max(1, tp.mss);
  return {
    sndCwnd: Math.floor(tp.cwnd / mss),
    srttUs: tp.rtt.srttUs8,
    rttMinUs: Math.round(tp.rtt.minRtt / 1000),
    sndSsthresh: tp.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(tp.ssthresh / mss),
    rcvNxt: tp.rcvNxt,
    sndNxt: tp.sndNxt,
    sndUna: tp.sndUna,
    mss: tp.mss,
    packetsOut: Math.ceil(Math.max(0, seqDiff(tp.sndNxt, tp.sndUna)) / mss),
    totalRetrans: 0,
    bytesReceived: 0,
    bytesAcked: tp.state === TCP_STATE.TCP_SYN_SENT ? 0 : Math.max(0, seqDiff(tp.sndUna, seqAdd(tp.iss, 1))),
    cbFlags: tp.cbFlags,
  };
}
