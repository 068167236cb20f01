// BPF_PROG_TYPE_CGROUP_SOCK_ADDR: ctx struct bpf_sock_addr as sock_addr_is_valid_access()
// allows it — the user's address fields only for the attach types of their family
// (user_ip4 for INET4/UDP4 types, user_ip6 for INET6/UDP6 ones, msg_src_ip4/6 for UDP
// sendmsg), narrow reads, whole-u32 writes, 8-byte accesses inside user_ip6 and
// msg_src_ip6, `sk` as a socket pointer; helpers of sock_addr_func_proto() (bpf_bind only
// for the connect types); return ranges of check_return_code(): [0, 3] for bind (bit 1
// lifts the CAP_NET_BIND_SERVICE check), exactly 1 for recvmsg/getpeername/getsockname,
// [0, 1] otherwise.
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';

const A = BPF_ATTACH_TYPE;
const INET4 = [A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET4_CONNECT, A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET4_GETSOCKNAME, A.BPF_CGROUP_UDP4_SENDMSG, A.BPF_CGROUP_UDP4_RECVMSG];
const INET6 = [A.BPF_CGROUP_INET6_BIND, A.BPF_CGROUP_INET6_CONNECT, A.BPF_CGROUP_INET6_GETPEERNAME, A.BPF_CGROUP_INET6_GETSOCKNAME, A.BPF_CGROUP_UDP6_SENDMSG, A.BPF_CGROUP_UDP6_RECVMSG];
const UNIX = [A.BPF_CGROUP_UNIX_CONNECT, A.BPF_CGROUP_UNIX_SENDMSG, A.BPF_CGROUP_UNIX_RECVMSG, A.BPF_CGROUP_UNIX_GETPEERNAME, A.BPF_CGROUP_UNIX_GETSOCKNAME];
/** bpf_prog_load_check_attach(): the expected_attach_types a CGROUP_SOCK_ADDR program loads with. */
export const SOCK_ADDR_ATTACH_TYPES: readonly number[] = [...INET4, ...INET6, ...UNIX];

/** An address u32: narrow reads, whole writes (bpf_ctx_narrow_access_ok / size_default). */
const addr = (name: string, off: number, attachTypes?: readonly number[], wideEnd?: number): CtxField => ({
  name,
  off,
  size: 4,
  read: 'narrow',
  write: 'exact',
  ...(attachTypes ? { attachTypes } : {}),
  ...(wideEnd !== undefined ? { wideEnd } : {}),
});
const ro = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'exact', write: false });

export const BPF_SOCK_ADDR_FIELDS: readonly CtxField[] = [
  ro('user_family', 0),
  addr('user_ip4', 4, INET4),
  ...[0, 1, 2, 3].map((i) => addr(`user_ip6[${i}]`, 8 + 4 * i, INET6, 24)),
  addr('user_port', 24),
  ro('family', 28),
  ro('type', 32),
  ro('protocol', 36),
  addr('msg_src_ip4', 40, [A.BPF_CGROUP_UDP4_SENDMSG]),
  ...[0, 1, 2, 3].map((i) => addr(`msg_src_ip6[${i}]`, 44 + 4 * i, [A.BPF_CGROUP_UDP6_SENDMSG], 60)),
  { name: 'sk', off: 64, size: 8, read: 'exact', write: false, regType: 'PTR_TO_SOCKET' },
];

const CONNECT: readonly number[] = [A.BPF_CGROUP_INET4_CONNECT, A.BPF_CGROUP_INET6_CONNECT];
const BIND: readonly number[] = [A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET6_BIND];
/**
 * The hooks whose verdict the kernel ignores (recvmsg, getpeername, getsockname): they must
 * return exactly 1 (check_return_code), and get/set_retval are not offered there
 * (cgroup_common_func_proto) — Linux lists the same nine attach types in both places.
 */
const VERDICT_IGNORED: readonly number[] = [
  A.BPF_CGROUP_UDP4_RECVMSG, A.BPF_CGROUP_UDP6_RECVMSG, A.BPF_CGROUP_UNIX_RECVMSG,
  A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET6_GETPEERNAME, A.BPF_CGROUP_UNIX_GETPEERNAME,
  A.BPF_CGROUP_INET4_GETSOCKNAME, A.BPF_CGROUP_INET6_GETSOCKNAME, A.BPF_CGROUP_UNIX_GETSOCKNAME,
];
const WITH_RETVAL = SOCK_ADDR_ATTACH_TYPES.filter((t) => !VERDICT_IGNORED.includes(t));

export const CGROUP_SOCK_ADDR: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
  name: 'cgroup_sock_addr',
  ctxName: 'bpf_sock_addr',
  ctxSize: 72,
  fields: BPF_SOCK_ADDR_FIELDS,
  // sock_addr_func_proto(): cgroup_common_func_proto() first, its own (bind for connect
  // only; get/setsockopt for all 17 attach types), then bpf_sk_base_func_proto() (skc_to_*)
  // and bpf_base_func_proto(). The live-kernel matrix (kernel-cgroup.json) checks all 211 ids.
  helpers: offers(
    [
      { name: 'bind', attachTypes: CONNECT },
      { name: 'get_retval', attachTypes: WITH_RETVAL },
      { name: 'set_retval', attachTypes: WITH_RETVAL },
      'get_local_storage', 'get_socket_cookie', 'get_netns_cookie', 'perf_event_output',
      'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release', 'skc_lookup_tcp', 'sk_storage_get', 'sk_storage_delete',
      'setsockopt', 'getsockopt', 'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock',
      'skc_to_udp6_sock', 'skc_to_unix_sock', 'skc_to_mptcp_sock', 'ktime_get_coarse_ns',
    ],
    BASE_HELPER_OFFERS,
  ),
  // check_return_code(): bind may return 2|3 (bit 1: skip the CAP_NET_BIND_SERVICE check).
  returnRange: (t) => (BIND.includes(t) ? [0, 3] : VERDICT_IGNORED.includes(t) ? [1, 1] : [0, 1]),
  attachTypes: SOCK_ADDR_ATTACH_TYPES,
};

/** is_net_admin_prog_type(): loading needs CAP_BPF and CAP_NET_ADMIN. */
export const CGROUP_SOCK_ADDR_ENTRY: ProgTypeEntry = { descriptor: CGROUP_SOCK_ADDR, netAdmin: true };
