// BPF_PROG_TYPE_SK_MSG as the verifier sees it: ctx struct sk_msg_md
// (sk_msg_is_valid_access(): reads only; data/data_end and sk as 8-byte pointers, the rest
// whole u32s), direct packet access to the first scatterlist element (read and write),
// the helpers of sk_msg_func_proto() on top of the socket base set, and no return-range
// check (any value other than SK_PASS drops). Programs attach to a sockmap or sockhash
// with BPF_SK_MSG_VERDICT.
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import type { ProgTypeEntry } from '@bpfsim/kernel';
import { BASE_HELPER_OFFERS, offers } from '@bpfsim/kernel';

/** enum sk_action */
export const SK_DROP = 0;
export const SK_PASS = 1;

const u32 = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'exact', write: false });

/** struct sk_msg_md (80 bytes). */
export const SK_MSG_MD_FIELDS: readonly CtxField[] = [
  { name: 'data', off: 0, size: 8, read: 'exact', write: false, regType: 'PTR_TO_PACKET' },
  { name: 'data_end', off: 8, size: 8, read: 'exact', write: false, regType: 'PTR_TO_PACKET_END' },
  u32('family', 16),
  u32('remote_ip4', 20),
  u32('local_ip4', 24),
  ...[0, 1, 2, 3].map((i) => u32(`remote_ip6[${i}]`, 28 + 4 * i)),
  ...[0, 1, 2, 3].map((i) => u32(`local_ip6[${i}]`, 44 + 4 * i)),
  u32('remote_port', 60),
  u32('local_port', 64),
  u32('size', 68),
  { name: 'sk', off: 72, size: 8, read: 'exact', write: false, regType: 'PTR_TO_SOCKET' },
];

export const SK_MSG: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_SK_MSG,
  name: 'sk_msg',
  ctxName: 'sk_msg_md',
  ctxSize: 80,
  fields: SK_MSG_MD_FIELDS,
  helpers: offers(
    [
      'msg_redirect_map', 'msg_redirect_hash', 'msg_apply_bytes', 'msg_cork_bytes', 'msg_pull_data', 'msg_push_data',
      'msg_pop_data', 'perf_event_output', 'get_current_uid_gid', 'get_current_pid_tgid', 'sk_storage_get',
      'sk_storage_delete', 'get_netns_cookie', 'get_current_cgroup_id', 'get_current_ancestor_cgroup_id',
      'get_cgroup_classid', 'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock',
      'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock', 'ktime_get_coarse_ns',
    ],
    BASE_HELPER_OFFERS,
  ),
  packetAccess: 'rw',
};

/** SK_MSG programs need CAP_BPF and CAP_NET_ADMIN (is_net_admin_prog_type). */
export const SK_MSG_ENTRY: ProgTypeEntry = { descriptor: SK_MSG, netAdmin: true };
