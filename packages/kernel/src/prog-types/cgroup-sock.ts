// BPF_PROG_TYPE_CGROUP_SOCK: ctx struct bpf_sock as sock_filter_is_valid_access() allows it
// (bpf_sock_is_valid_access() + __sock_filter_check_attach_type()), helpers of
// sock_filter_func_proto(), return [0, 1]. Attached at SOCK_CREATE, SOCK_RELEASE,
// INET4_POST_BIND and INET6_POST_BIND; the attach type decides which fields exist.
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';

const { BPF_CGROUP_INET_SOCK_CREATE, BPF_CGROUP_INET_SOCK_RELEASE, BPF_CGROUP_INET4_POST_BIND, BPF_CGROUP_INET6_POST_BIND } = BPF_ATTACH_TYPE;

/**
 * bpf_prog_load_fixup_attach_type(): a CGROUP_SOCK program loaded with expected_attach_type
 * 0 is a SOCK_CREATE program. bpfsim's loader keeps the 0, so the descriptor accepts 0
 * wherever SOCK_CREATE is accepted, and attach treats it as SOCK_CREATE (sockAttachType).
 */
const LEGACY_CREATE = 0;
const CREATE_OR_RELEASE = [LEGACY_CREATE, BPF_CGROUP_INET_SOCK_CREATE, BPF_CGROUP_INET_SOCK_RELEASE];

/** The expected_attach_type a CGROUP_SOCK program really has (0 means SOCK_CREATE). */
export function sockAttachType(expectedAttachType: number): number {
  return expectedAttachType === LEGACY_CREATE ? BPF_CGROUP_INET_SOCK_CREATE : expectedAttachType;
}

/**
 * A u32 read with a narrow load only at the field's first byte (bpf_sock_is_valid_access
 * lists these by `offsetof`, so off+1..off+3 fall to "size == 4"): a refusing stand-in for
 * bytes 1..3 comes first, as the verifier takes the first field that holds an offset.
 */
const atBase = (name: string, off: number, attachTypes?: readonly number[]): CtxField[] => [
  { name: `${name}+1`, off: off + 1, size: 3, read: false, write: false },
  { name, off, size: 4, read: 'narrow', write: false, ...(attachTypes ? { attachTypes } : {}) },
];
/** A u32 read with narrow loads anywhere inside it (bpf_ctx_range). */
const narrow = (name: string, off: number, attachTypes?: readonly number[]): CtxField => ({
  name,
  off,
  size: 4,
  read: 'narrow',
  write: false,
  ...(attachTypes ? { attachTypes } : {}),
});
/** A u32 read and written whole, from SOCK_CREATE / SOCK_RELEASE only. */
const rw = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'exact', write: 'exact', attachTypes: CREATE_OR_RELEASE });
const ip6 = (name: string, off: number, attachTypes?: readonly number[]): CtxField[] =>
  [0, 1, 2, 3].map((i) => narrow(`${name}[${i}]`, off + 4 * i, attachTypes));

export const BPF_SOCK_FIELDS: readonly CtxField[] = [
  rw('bound_dev_if', 0),
  ...atBase('family', 4),
  ...atBase('type', 8),
  ...atBase('protocol', 12),
  rw('mark', 16),
  rw('priority', 20),
  narrow('src_ip4', 24, [BPF_CGROUP_INET4_POST_BIND]),
  ...ip6('src_ip6', 28, [BPF_CGROUP_INET6_POST_BIND]),
  ...atBase('src_port', 44, [BPF_CGROUP_INET4_POST_BIND, BPF_CGROUP_INET6_POST_BIND]),
  // dst_port is a __be16 with 16 zero bits after it: R1 (at 48 or 49), R2 and R4 at 48.
  { name: 'dst_port padding', off: 50, size: 2, read: false, write: false },
  { name: 'dst_port', off: 48, size: 4, read: 'narrow', write: false },
  narrow('dst_ip4', 52),
  ...ip6('dst_ip6', 56),
  ...atBase('state', 72),
  ...atBase('rx_queue_mapping', 76),
];

export const CGROUP_SOCK: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK,
  name: 'cgroup_sock',
  ctxName: 'bpf_sock',
  ctxSize: 80,
  fields: BPF_SOCK_FIELDS,
  // cgroup_common_func_proto() (get_retval/set_retval are offered to every CGROUP_SOCK
  // attach type), sock_filter_func_proto()'s own, then bpf_base_func_proto() (not the sk set).
  helpers: offers(
    ['get_local_storage', 'get_retval', 'set_retval', 'get_socket_cookie', 'get_netns_cookie', 'perf_event_output', 'sk_storage_get', 'ktime_get_coarse_ns'],
    BASE_HELPER_OFFERS,
  ),
  returnRange: () => [0, 1],
  attachTypes: [LEGACY_CREATE, BPF_CGROUP_INET_SOCK_CREATE, BPF_CGROUP_INET_SOCK_RELEASE, BPF_CGROUP_INET4_POST_BIND, BPF_CGROUP_INET6_POST_BIND],
};

/** is_net_admin_prog_type(): loading needs CAP_BPF and CAP_NET_ADMIN. */
export const CGROUP_SOCK_ENTRY: ProgTypeEntry = { descriptor: CGROUP_SOCK, netAdmin: true };
