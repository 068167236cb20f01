// BPF_PROG_TYPE_SOCK_OPS at run time (the verifier's view is in @bpfsim/kernel's
// prog-types/sock-ops.ts): programs attached to a cgroup with BPF_CGROUP_SOCK_OPS that TCP
// calls at points of a connection's life (tcp_call_bpf(): connect, established, listen,
// and — when the program asked with bpf_sock_ops_cb_flags_set() — every state change,
// retransmission timeout and retransmission). The ctx is struct bpf_sock_ops
// (include/uapi/linux/bpf.h): sock_ops_is_valid_access() lets a program read every u32 and
// the u64 counters, read sk (a socket pointer or NULL) and skb_data/skb_data_end (packet
// pointers, read-only), and write only `reply` and `sk_txhash`. The layout is that
// descriptor's (@bpfsim/kernel SOCK_OPS); this file is the sock_ops_convert_ctx_access()
// side, by field name.
import { ERRNO } from '@bpfsim/isa';
import { BPF_SOCK_OPS_CB, BPF_SOCK_OPS_SIZE, SOCK_OPS } from '@bpfsim/kernel';
import { ctxOffsets } from '@bpfsim/verifier';
import type { Helper } from '@bpfsim/vm';
import type { Sock } from '../sock/sock';
import { SockOpsRunCtx } from './run-ctx';

/** Offsets in struct bpf_sock_ops, resolved once from the descriptor. `reply` is also
 * args[0] (union { args[4]; reply; replylong[4] }). */
const OPS = ctxOffsets(SOCK_OPS, [
  'op', 'reply', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us',
  'bpf_sock_ops_cb_flags', 'state', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'packets_out', 'total_retrans',
  'sk_txhash', 'bytes_received', 'bytes_acked', 'sk',
]);

/** enum bpf_sock_ops_op (the values tcp_call_bpf() passes as ctx->op). */
export const BPF_SOCK_OPS = {
  VOID: 0,
  TIMEOUT_INIT: 1,
  RWND_INIT: 2,
  TCP_CONNECT_CB: 3,
  ACTIVE_ESTABLISHED_CB: 4,
  PASSIVE_ESTABLISHED_CB: 5,
  NEEDS_ECN: 6,
  BASE_RTT: 7,
  RTO_CB: 8,
  RETRANS_CB: 9,
  STATE_CB: 10,
  TCP_LISTEN_CB: 11,
  RTT_CB: 12,
} as const;

/** What tcp_call_bpf() copies from the TCP socket into the ctx. */
export interface TcpOpsInfo {
  sndCwnd: number;
  srttUs: number;
  rttMinUs: number;
  sndSsthresh: number;
  rcvNxt: number;
  sndNxt: number;
  sndUna: number;
  mss: number;
  packetsOut: number;
  totalRetrans: number;
  bytesReceived: number;
  bytesAcked: number;
  cbFlags: number;
  /** A request socket (the SYN's, before the child exists): is_fullsock 0, state
   * TCP_NEW_SYN_RECV, and no tcp_sock fields. */
  request?: boolean;
}

/**
 * bpf_sock_ops_cb_flags_set(skops, flags): which optional callbacks the socket makes; the
 * return is the bits this kernel does not support (0 when all are).
 */
export const sockOpsCbFlagsSet: Helper = (run) => {
  const env = run.env;
  if (!(env instanceof SockOpsRunCtx)) return run.retInt(-ERRNO.EINVAL);
  const v = run.argLo(2) >>> 0;
  env.setCbFlags(v & BPF_SOCK_OPS_CB.ALL);
  run.retInt(v & ~BPF_SOCK_OPS_CB.ALL);
};

/** Fills struct bpf_sock_ops for `op` on `sk` (sock_ops_convert_ctx_access's view). */
export function fillBpfSockOps(bytes: Uint8Array, v: DataView, sk: Sock, op: number, args: readonly number[], t: TcpOpsInfo, skAddr: bigint): void {
  bytes.fill(0, 0, BPF_SOCK_OPS_SIZE);
  v.setUint32(OPS.op, op, true);
  for (let i = 0; i < 4; i++) v.setUint32(OPS.reply + 4 * i, (args[i] ?? 0) >>> 0, true);
  v.setUint32(OPS.family, sk.family === 4 ? 2 : 10, true);
  const v4 = (a: Uint8Array): Uint8Array => (a.length === 4 ? a : a.subarray(12));
  const local = sk.srcAddr.bytes;
  if (sk.peer) {
    const remote = sk.peer.addr.bytes;
    bytes.set(v4(remote), OPS.remote_ip4);
    if (remote.length === 16) bytes.set(remote, OPS.remote_ip6);
    // remote_port: skc_dport (network order) in the upper 16 bits, as the rewrite loads it.
    v.setUint32(OPS.remote_port, (((sk.peer.port & 0xff) << 8) | (sk.peer.port >> 8)) << 16, true);
  }
  bytes.set(v4(local), OPS.local_ip4);
  if (local.length === 16) bytes.set(local, OPS.local_ip6);
  v.setUint32(OPS.local_port, sk.localPort, true);
  if (t.request) {
    // sock_ops_convert_ctx_access(): a request sock is not a full socket; the tcp_sock
    // fields (SOCK_OPS_GET_TCP_SOCK_FIELD) read 0. Its state is TCP_NEW_SYN_RECV.
    v.setUint32(OPS.state, 12, true);
    v.setBigUint64(OPS.sk, skAddr, true);
    return;
  }
  v.setUint32(OPS.is_fullsock, 1, true);
  v.setUint32(OPS.snd_cwnd, t.sndCwnd, true);
  v.setUint32(OPS.srtt_us, t.srttUs, true);
  v.setUint32(OPS.bpf_sock_ops_cb_flags, t.cbFlags, true);
  v.setUint32(OPS.state, sk.state, true);
  v.setUint32(OPS.rtt_min, t.rttMinUs, true);
  v.setUint32(OPS.snd_ssthresh, t.sndSsthresh, true);
  v.setUint32(OPS.rcv_nxt, t.rcvNxt >>> 0, true);
  v.setUint32(OPS.snd_nxt, t.sndNxt >>> 0, true);
  v.setUint32(OPS.snd_una, t.sndUna >>> 0, true);
  v.setUint32(OPS.mss_cache, t.mss, true);
  v.setUint32(OPS.packets_out, t.packetsOut, true);
  v.setUint32(OPS.total_retrans, t.totalRetrans, true);
  v.setUint32(OPS.sk_txhash, sk.txhash >>> 0, true);
  v.setBigUint64(OPS.bytes_received, BigInt(t.bytesReceived), true);
  v.setBigUint64(OPS.bytes_acked, BigInt(t.bytesAcked), true);
  v.setBigUint64(OPS.sk, skAddr, true);
}

/**
 * What the programs wrote back (the fields sock_ops_is_valid_access() lets them write):
 * sk_txhash onto the socket when set, and the reply tcp_call_bpf() returns.
 */
export function readBpfSockOps(v: DataView, sk: Sock): number {
  const txhash = v.getUint32(OPS.sk_txhash, true);
  if (txhash) sk.txhash = txhash;
  return v.getInt32(OPS.reply, true);
}

export { BPF_SOCK_OPS_CB, BPF_SOCK_OPS_SIZE };
