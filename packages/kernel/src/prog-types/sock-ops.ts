// BPF_PROG_TYPE_SOCK_OPS as the verifier sees it (net/core/filter.c): struct bpf_sock_ops
// through sock_ops_is_valid_access() — every u32 readable as a whole, the u64 counters as
// u64s, sk a socket pointer or NULL, skb_data/skb_data_end packet pointers (read-only
// direct access), skb_tcp_flags narrow; writes to reply and sk_txhash only — the helpers of
// sock_ops_func_proto(), and check_return_code()'s [0, 1]. The TCP stack (packages/net)
// fills the ctx and runs the programs (tcp_call_bpf()).
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';

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
  { name: 'skb_tcp_flags', off: 212, size: 4, read: 'narrowAtStart', write: false },
  u64('skb_hwtstamp', 216),
];

export const SOCK_OPS: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCK_OPS,
  name: 'sock_ops',
  ctxName: 'bpf_sock_ops',
  ctxSize: BPF_SOCK_OPS_SIZE,
  fields: BPF_SOCK_OPS_FIELDS,
  // sock_ops_func_proto(): cgroup_common_func_proto() first (no get/set_retval: SOCK_OPS is
  // among the types whose return is not a verdict), then its own, then the socket base.
  helpers: offers(
    [
      'get_local_storage', 'get_current_cgroup_id', 'get_current_ancestor_cgroup_id',
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

