// BPF_PROG_TYPE_XDP: ctx struct xdp_md (xdp_is_valid_access), helpers (xdp_func_proto and
// the base set), no return-range check unless attached to a devmap/cpumap.
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '@bpfsim/isa';
import type { ProgTypeDescriptor } from '@bpfsim/verifier';
import { SK_BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';
import { packetTestRun } from './test-run';

const { BPF_XDP_DEVMAP } = BPF_ATTACH_TYPE;

export const XDP: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP,
  name: 'xdp',
  ctxName: 'xdp_md',
  ctxSize: 24,
  // Every field reads as a whole u32; none may be written (offloaded programs aside).
  fields: [
    { name: 'data', off: 0, size: 4, read: 'exact', write: false, regType: 'PTR_TO_PACKET', noLdsx: true },
    { name: 'data_end', off: 4, size: 4, read: 'exact', write: false, regType: 'PTR_TO_PACKET_END', noLdsx: true },
    { name: 'data_meta', off: 8, size: 4, read: 'exact', write: false, regType: 'PTR_TO_PACKET_META', noLdsx: true },
    { name: 'ingress_ifindex', off: 12, size: 4, read: 'exact', write: false },
    { name: 'rx_queue_index', off: 16, size: 4, read: 'exact', write: false },
    { name: 'egress_ifindex', off: 20, size: 4, read: 'exact', write: false, attachTypes: [BPF_XDP_DEVMAP] },
  ],
  // xdp_func_proto() offers bpf_xdp_adjust_meta, as this machine's 6.18.44-fc-v782 and
  // -v1272 builds do (the -v1300 build refused it: "program of this type cannot use helper").
  helpers: offers(
    [
      'perf_event_output', 'get_smp_processor_id', 'csum_diff', 'xdp_adjust_head', 'xdp_adjust_meta', 'redirect',
      'redirect_map', 'xdp_adjust_tail', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'fib_lookup',
      'check_mtu', 'sk_lookup_udp', 'sk_lookup_tcp', 'sk_release', 'skc_lookup_tcp', 'tcp_check_syncookie',
      'tcp_gen_syncookie', 'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6', 'tcp_raw_check_syncookie_ipv4',
      'tcp_raw_check_syncookie_ipv6',
    ],
    SK_BASE_HELPER_OFFERS,
  ),
  // check_return_code() has no XDP case: any R0 is accepted, devmap/cpumap programs too.
  packetAccess: 'rw',
  // bpf_prog_load_check_attach() has no XDP case: any expected_attach_type loads.
};

/** XDP programs need CAP_BPF and CAP_NET_ADMIN (is_net_admin_prog_type); bpf_prog_test_run_xdp(). */
export const XDP_ENTRY: ProgTypeEntry = { descriptor: XDP, testRun: packetTestRun('xdp'), netAdmin: true };
