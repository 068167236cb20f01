// BPF_PROG_TYPE_SOCKET_FILTER: ctx struct __sk_buff as sk_filter_is_valid_access() allows it,
// helpers of sk_filter_func_proto() and the base sets, LD_ABS/LD_IND, no direct packet access.
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, HelperOffer, ProgTypeDescriptor } from '@bpfsim/verifier';
import { SK_BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';
import { packetTestRun } from './test-run';

/** A u32 field a socket filter may read with any narrow load and not write. */
const ro = (name: string, off: number): CtxField => ({ name, off, size: 4, read: 'narrow', write: false });

/**
 * The __sk_buff fields a socket filter may touch. Everything else (tc_classid, data,
 * data_end, data_meta, family … local_port, flow_keys, tstamp, wire_len, tstamp_type and
 * the padding after it, hwtstamp) is refused.
 */
export const SK_BUFF_FILTER_FIELDS: readonly CtxField[] = [
  ro('len', 0),
  ro('pkt_type', 4),
  ro('mark', 8),
  ro('queue_mapping', 12),
  ro('protocol', 16),
  ro('vlan_present', 20),
  ro('vlan_tci', 24),
  ro('vlan_proto', 28),
  ro('priority', 32),
  ro('ingress_ifindex', 36),
  ro('ifindex', 40),
  ro('tc_index', 44),
  // cb[5]: any aligned size inside the array, read and written.
  { name: 'cb', off: 48, size: 20, read: 'region', write: 'region' },
  ro('hash', 68),
  ro('napi_id', 84),
  ro('gso_segs', 164),
  { name: 'sk', off: 168, size: 8, read: 'exact', write: false, regType: 'PTR_TO_SOCK_COMMON', maybeNull: true },
  ro('gso_size', 176),
];

/** sk_filter_func_proto(): its own helpers, then bpf_sk_base_func_proto()'s (and the base set). */
export const SK_FILTER_HELPERS: readonly HelperOffer[] = offers(
  ['skb_load_bytes', 'skb_load_bytes_relative', 'get_socket_cookie', 'get_netns_cookie', 'get_socket_uid', 'perf_event_output'],
  SK_BASE_HELPER_OFFERS,
);

export const SOCKET_FILTER: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
  name: 'socket_filter',
  ctxName: '__sk_buff',
  ctxSize: 192,
  fields: SK_BUFF_FILTER_FIELDS,
  helpers: SK_FILTER_HELPERS,
  ldAbs: true,
};

/** bpf_prog_load lets socket filters through without CAP_BPF; test runs are bpf_prog_test_run_skb(). */
export const SOCKET_FILTER_ENTRY: ProgTypeEntry = { descriptor: SOCKET_FILTER, testRun: packetTestRun('socket_filter'), unprivileged: true };
