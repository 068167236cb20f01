// BPF_PROG_TYPE_SOCK_OPS: programs attached to a cgroup with BPF_CGROUP_SOCK_OPS that TCP
// calls at points of a connection's life (tcp_call_bpf(): connect, established, listen,
// and — when the program asked with bpf_sock_ops_cb_flags_set() — every state change,
// retransmission timeout and retransmission). The ctx is struct bpf_sock_ops
// (include/uapi/linux/bpf.h): sock_ops_is_valid_access() lets a program read every u32 and
// the u64 counters, read sk (a socket pointer or NULL) and skb_data/skb_data_end (packet
// pointers, read-only), and write only `reply` and `sk_txhash`.
import { BPF_PROG_TYPE, ERRNO } from '@bpfsim/isa';
import type { ProgTypeEntry } from '@bpfsim/kernel';
import { BASE_HELPER_OFFERS, offers } from '@bpfsim/kernel';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import type { Helper } from '@bpfsim/vm';
import type { Sock } from '../sock/sock';

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

/** BPF_SOCK_OPS_*_CB_FLAG (bpf_sock_ops_cb_flags_set); ALL is BPF_SOCK_OPS_ALL_CB_FLAGS. */
export const BPF_SOCK_OPS_CB = { RTO: 1, RETRANS: 2, STATE: 4, RTT: 8, PARSE_ALL_HDR_OPT: 16, PARSE_UNKNOWN_HDR_OPT: 32, WRITE_HDR_OPT: 64, ALL: 0x7f } as const;

export const BPF_SOCK_OPS_SIZE = 224;

const u32 = (name: string, off: number, write = false): CtxField => ({ name, off, size: 4, read: 'exact', write: write ? 'exact' : false });
const u64 = (name: string, off: number): CtxField => ({ name, off, size: 8, read: 'exact', write: false });

/** struct bpf_sock_ops, every field a program may touch (offsets from the uapi header). */
export const BPF_SOCK_OPS_FIELDS: readonly CtxField[] = [
  u32('op', 0),
  // union { args[4]; reply; replylong[4] }: all readable, only reply (= args[0]) writable.
  u32('reply', 4, true),
  u32('args[1]', 8),
  u32('args[2]', 12),
  u32('args[3]', 16),
  u32('family', 20),
  u32('remote_ip4', 24),
  u32('local_ip4', 28),
  ...[0, 1, 2, 3].map((i) => u32(`remote_ip6[${i}]`, 32 + 4 * i)),
  ...[0, 1, 2, 3].map((i) => u32(`local_ip6[${i}]`, 48 + 4 * i)),
  ...['remote_port', 'local_port', 'is_fullsock', 'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt', 'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out', 'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out', 'sacked_out'].map((n, i) => u32(n, 64 + 4 * i)),
  u32('sk_txhash', 164, true),
  u64('bytes_received', 168),
  u64('bytes_acked', 176),
  { name: 'sk', off: 184, size: 8, read: 'exact', write: false, regType: 'PTR_TO_SOCKET', maybeNull: true },
  { name: 'skb_data', off: 192, size: 8, read: 'exact', write: false, regType: 'PTR_TO_PACKET' },
  { name: 'skb_data_end', off: 200, size: 8, read: 'exact', write: false, regType: 'PTR_TO_PACKET_END' },
  u32('skb_len', 208),
  { name: 'skb_tcp_flags', off: 212, size: 4, read: 'narrow', write: false },
  u64('skb_hwtstamp', 216),
];

export const SOCK_OPS: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCK_OPS,
  name: 'sock_ops',
  ctxName: 'bpf_sock_ops',
  ctxSize: BPF_SOCK_OPS_SIZE,
  fields: BPF_SOCK_OPS_FIELDS,
  // sock_ops_func_proto(): cgroup_common_func_proto() first, then its own, then the socket base.
  helpers: offers(
    [
      'get_retval', 'set_retval', 'get_local_storage', 'get_current_cgroup_id', 'get_current_ancestor_cgroup_id',
      'setsockopt', 'getsockopt', 'sock_ops_cb_flags_set', 'sock_map_update', 'sock_hash_update', 'get_socket_cookie',
      'perf_event_output', 'sk_storage_get', 'sk_storage_delete', 'get_netns_cookie', 'load_hdr_opt', 'store_hdr_opt',
      'reserve_hdr_opt', 'tcp_sock', 'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock',
      'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock', 'ktime_get_coarse_ns',
    ],
    BASE_HELPER_OFFERS,
  ),
  returnRange: () => [0, 1],
  packetAccess: 'r',
};

/** SOCK_OPS programs need CAP_NET_ADMIN with CAP_BPF (is_net_admin_prog_type). */
export const SOCK_OPS_ENTRY: ProgTypeEntry = { descriptor: SOCK_OPS, netAdmin: true };

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
}

/** What helpers of a sock_ops run find in ExecContext.env. */
export interface SockOpsEnv {
  sock: Sock;
  sockOpsOp: number;
  /** Sets the socket's callback flags (bpf_sock_ops_cb_flags_set). */
  setCbFlags(flags: number): void;
}

/**
 * bpf_sock_ops_cb_flags_set(skops, flags): which optional callbacks the socket makes; the
 * return is the bits this kernel does not support (0 when all are).
 */
export const sockOpsCbFlagsSet: Helper = (run) => {
  const env = run.env as Partial<SockOpsEnv> | undefined;
  if (!env?.setCbFlags) return run.retInt(-ERRNO.EINVAL);
  const v = run.argLo(2) >>> 0;
  env.setCbFlags(v & BPF_SOCK_OPS_CB.ALL);
  run.retInt(v & ~BPF_SOCK_OPS_CB.ALL);
};

/** Fills struct bpf_sock_ops for `op` on `sk` (sock_ops_convert_ctx_access's view). */
export function fillBpfSockOps(bytes: Uint8Array, v: DataView, sk: Sock, op: number, args: readonly number[], t: TcpOpsInfo, skAddr: bigint): void {
  bytes.fill(0, 0, BPF_SOCK_OPS_SIZE);
  v.setUint32(0, op, true);
  for (let i = 0; i < 4; i++) v.setUint32(4 + 4 * i, (args[i] ?? 0) >>> 0, true);
  v.setUint32(20, sk.family === 4 ? 2 : 10, true);
  const v4 = (a: Uint8Array): Uint8Array => (a.length === 4 ? a : a.subarray(12));
  const local = sk.srcAddr.bytes;
  if (sk.peer) {
    const remote = sk.peer.addr.bytes;
    bytes.set(v4(remote), 24);
    if (remote.length === 16) bytes.set(remote, 32);
    // remote_port: skc_dport (network order) in the upper 16 bits, as the rewrite loads it.
    v.setUint32(64, (((sk.peer.port & 0xff) << 8) | (sk.peer.port >> 8)) << 16, true);
  }
  bytes.set(v4(local), 28);
  if (local.length === 16) bytes.set(local, 48);
  v.setUint32(68, sk.localPort, true);
  v.setUint32(72, 1, true); // is_fullsock
  v.setUint32(76, t.sndCwnd, true);
  v.setUint32(80, t.srttUs, true);
  v.setUint32(84, t.cbFlags, true);
  v.setUint32(88, sk.state, true);
  v.setUint32(92, t.rttMinUs, true);
  v.setUint32(96, t.sndSsthresh, true);
  v.setUint32(100, t.rcvNxt >>> 0, true);
  v.setUint32(104, t.sndNxt >>> 0, true);
  v.setUint32(108, t.sndUna >>> 0, true);
  v.setUint32(112, t.mss, true);
  v.setUint32(128, t.packetsOut, true);
  v.setUint32(136, t.totalRetrans, true);
  v.setUint32(164, sk.txhash >>> 0, true);
  v.setBigUint64(168, BigInt(t.bytesReceived), true);
  v.setBigUint64(176, BigInt(t.bytesAcked), true);
  v.setBigUint64(184, skAddr, true);
}
