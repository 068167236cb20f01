// BPF_PROG_TYPE_CGROUP_SKB: ctx struct __sk_buff as cg_skb_is_valid_access() allows it (on
// top of bpf_skb_is_valid_access()), helpers of cg_skb_func_proto() (which falls back to
// sk_filter_func_proto() and the sk/base sets), direct packet reads, return codes per
// check_return_code(). Attached at BPF_CGROUP_INET_INGRESS / _EGRESS.
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';
import { SK_FILTER_HELPERS } from './socket-filter';

const { BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS } = BPF_ATTACH_TYPE;

/** A u32 field cgroup skb programs read with any narrow load and do not write. */
const ro = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'narrow', write: false });
/** A u32 field read and written whole only (remote_ip4 …: size must be 4). */
const exact4 = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'exact', write: false });

/**
 * The __sk_buff fields a cgroup skb program may touch. Refused: tc_classid (72), data_meta
 * (140), flow_keys (144), wire_len (160), tstamp_type (180) and the padding after it.
 * Writable: mark, priority, cb[] and tstamp (the last needs CAP_BPF in Linux).
 */
export const SK_BUFF_CG_FIELDS: readonly CtxField[] = [
  ro('len', 0),
  ro('pkt_type', 4),
  // Writes to mark and priority are whole u32s (bpf_skb_is_valid_access: size_default).
  { name: 'mark', off: 8, size: 4, read: 'narrow', write: 'exact' },
  ro('queue_mapping', 12),
  ro('protocol', 16),
  ro('vlan_present', 20),
  ro('vlan_tci', 24),
  ro('vlan_proto', 28),
  { name: 'priority', off: 32, size: 4, read: 'narrow', write: 'exact' },
  ro('ingress_ifindex', 36),
  ro('ifindex', 40),
  ro('tc_index', 44),
  { name: 'cb', off: 48, size: 20, read: 'region', write: 'region' },
  ro('hash', 68),
  // data and data_end need CAP_BPF in Linux (bpf_token_capable); bpfsim's descriptor
  // cannot say so and allows them to any loader.
  { name: 'data', off: 76, size: 4, read: 'exact', write: false, regType: 'PTR_TO_PACKET', noLdsx: true },
  { name: 'data_end', off: 80, size: 4, read: 'exact', write: false, regType: 'PTR_TO_PACKET_END', noLdsx: true },
  ro('napi_id', 84),
  ro('family', 88),
  exact4('remote_ip4', 92),
  exact4('local_ip4', 96),
  exact4('remote_ip6[0]', 100),
  exact4('remote_ip6[1]', 104),
  exact4('remote_ip6[2]', 108),
  exact4('remote_ip6[3]', 112),
  exact4('local_ip6[0]', 116),
  exact4('local_ip6[1]', 120),
  exact4('local_ip6[2]', 124),
  exact4('local_ip6[3]', 128),
  ro('remote_port', 132),
  ro('local_port', 136),
  { name: 'tstamp', off: 152, size: 8, read: 'exact', write: 'exact' },
  ro('gso_segs', 164),
  { name: 'sk', off: 168, size: 8, read: 'exact', write: false, regType: 'PTR_TO_SOCK_COMMON', maybeNull: true },
  ro('gso_size', 176),
  { name: 'hwtstamp', off: 184, size: 8, read: 'exact', write: false },
];

export const CGROUP_SKB: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB,
  name: 'cgroup_skb',
  ctxName: '__sk_buff',
  ctxSize: 192,
  fields: SK_BUFF_CG_FIELDS,
  // cgroup_common_func_proto() offers get_local_storage here, but not get_retval/set_retval
  // (both refused for INET_INGRESS/EGRESS), then cg_skb_func_proto(), then sk_filter's.
  helpers: offers(
    [
      'get_local_storage', 'sk_fullsock', 'sk_storage_get', 'sk_storage_delete', 'perf_event_output', 'skb_cgroup_id',
      'skb_ancestor_cgroup_id', 'sk_cgroup_id', 'sk_ancestor_cgroup_id', 'sk_lookup_tcp', 'sk_lookup_udp', 'sk_release',
      'skc_lookup_tcp', 'tcp_sock', 'get_listener_sock', 'skb_ecn_set_ce',
    ],
    SK_FILTER_HELPERS,
  ),
  // check_return_code(): [0, 1], egress [0, 3] (bit 1: congestion notification). An egress
  // program that may return 2 or 3 is bound to egress at attach (enforce_expected_attach_type).
  returnRange: (attach) => (attach === BPF_CGROUP_INET_EGRESS ? [0, 3] : [0, 1]),
  enforceAttachTypeRange: (attach) => (attach === BPF_CGROUP_INET_EGRESS ? [2, 3] : undefined),
  // may_access_direct_pkt_data(): reads only.
  packetAccess: 'r',
  // bpf_prog_load_check_attach()
  attachTypes: [BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS],
};

/** Loadable without CAP_BPF (bpf_prog_load lets socket filters and cgroup skb through). */
export const CGROUP_SKB_ENTRY: ProgTypeEntry = { descriptor: CGROUP_SKB, unprivileged: true };
