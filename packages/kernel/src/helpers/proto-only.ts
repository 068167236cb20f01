// PROTOTYPE-ONLY helper entries: prototypes (struct bpf_func_proto without .func) the
// verifier checks calls against but that no function in this kernel implements. Linux's
// definitions are named beside each group. Two kinds, kept apart:
//  - UNIMPLEMENTED_PROTOS: nothing in bpfsim implements these yet (they exist so programs
//    that call them verify as on Linux); a run that calls one faults ("unknown helper").
//    bpf_tail_call is here too: the engines carry it out themselves, not through the table.
//  - SOCK_HELPER_PROTOS: helpers the kernel's own program types offer (cgroup sock_addr,
//    sock, sock_ops, socket filters, XDP) whose work needs the socket layer above the
//    kernel. A kernel without a network stack verifies programs that call them exactly as
//    one with it; @bpfsim/net (net/src/bpf/sock-helpers.ts, sock-ops.ts) and
//    @bpfsim/sockmap (sock-ops-helpers.ts) give each its implementation with implement(),
//    and the helper table accepts it only with this very prototype.
// Every other helper is defined whole (prototype and implementation) by its owner:
// helpers/generic.ts, cgroup.ts, ringbuf.ts, maps/helpers.ts, maps/stack-map.ts in this
// package; sockmap/src/sk-msg-helpers.ts for SK_MSG's msg_* helpers.
import type { BpfFuncProto } from './func-proto';
import { protoOnly } from './func-proto';

/** Prototypes nothing in bpfsim implements (yet). */
export const UNIMPLEMENTED_PROTOS: readonly BpfFuncProto[] = [
  // kernel/bpf/core.c: bpf_tail_call_proto (the interpreter and the JIT do the call).
  protoOnly('tail_call', ['ctx', 'map', 'any'], 'void'),
  // kernel/bpf/helpers.c
  protoOnly('strncmp', ['mem_ro', 'size', 'const_str'], 'integer'),
  protoOnly('strtol', ['mem_ro', 'size', 'any', 'long_uninit'], 'integer'),
  protoOnly('strtoul', ['mem_ro', 'size', 'any', 'long_uninit'], 'integer'),
  protoOnly('get_ns_current_pid_tgid', ['any', 'any', 'mem_uninit', 'size'], 'integer'),
  protoOnly('get_current_ancestor_cgroup_id', ['any'], 'integer'),
  protoOnly('get_cgroup_classid', [], 'integer'),
  protoOnly('loop', ['any', 'func', 'stack_or_null', 'any'], 'integer'),
  protoOnly('get_current_task', [], 'integer', { gplOnly: true }),
  protoOnly('probe_read_user_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  protoOnly('probe_read_kernel_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  // A bpf_spin_lock lives in a map value that BTF describes.
  protoOnly('spin_lock', ['spin_lock'], 'void'),
  protoOnly('spin_unlock', ['spin_lock'], 'void'),
  // kernel/trace/bpf_trace.c: the compat probe reads, signals, perf counters, cgroup test.
  protoOnly('probe_read', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  protoOnly('probe_read_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  protoOnly('send_signal', ['any'], 'integer'),
  protoOnly('send_signal_thread', ['any'], 'integer'),
  protoOnly('perf_event_read', ['map', 'any'], 'integer', { gplOnly: true }),
  protoOnly('perf_event_read_value', ['map', 'any', 'mem_uninit', 'size'], 'integer', { gplOnly: true }),
  protoOnly('current_task_under_cgroup', ['map', 'any'], 'integer'),
  // net/core/filter.c: packet helpers of XDP and socket filters, and the sock_common lookup.
  protoOnly('csum_diff', ['mem_ro_or_null', 'size_or_zero', 'mem_ro_or_null', 'size_or_zero', 'any'], 'integer', { pktAccess: true }),
  protoOnly('xdp_adjust_head', ['ctx', 'any'], 'integer', { changesPktData: true }),
  protoOnly('xdp_adjust_meta', ['ctx', 'any'], 'integer', { changesPktData: true }),
  protoOnly('xdp_adjust_tail', ['ctx', 'any'], 'integer', { changesPktData: true }),
  protoOnly('redirect', ['any', 'any'], 'integer'),
  protoOnly('redirect_map', ['map', 'any', 'any'], 'integer'),
  protoOnly('xdp_get_buff_len', ['ctx'], 'integer'),
  protoOnly('xdp_load_bytes', ['ctx', 'any', 'mem_uninit', 'size'], 'integer'),
  protoOnly('xdp_store_bytes', ['ctx', 'any', 'mem_ro', 'size'], 'integer'),
  protoOnly('fib_lookup', ['ctx', 'mem', 'size', 'any'], 'integer'),
  protoOnly('skc_lookup_tcp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'sock_common_or_null', { acquires: true, pktAccess: true }),
  protoOnly('skb_load_bytes', ['ctx', 'any', 'mem_uninit', 'size'], 'integer'),
  protoOnly('skb_load_bytes_relative', ['ctx', 'any', 'mem_uninit', 'size', 'any'], 'integer'),
  protoOnly('get_socket_uid', ['ctx'], 'integer'),
];

/** Prototypes of socket helpers the kernel's program types offer; the socket layer above
 * implements them (implement()). By name without bpf_. */
export const SOCK_HELPER_PROTOS = {
  // net/core/filter.c: bpf_get_socket_cookie_*_proto, bpf_get_netns_cookie_*_proto.
  get_socket_cookie: protoOnly('get_socket_cookie', ['ctx'], 'integer'),
  get_netns_cookie: protoOnly('get_netns_cookie', ['ctx_or_null'], 'integer'),
  // net/core/filter.c: bpf_bind_proto, bpf_sock_addr_setsockopt_proto / _getsockopt_proto.
  bind: protoOnly('bind', ['ctx', 'mem_ro', 'size'], 'integer'),
  setsockopt: protoOnly('setsockopt', ['ctx', 'any', 'any', 'mem_ro', 'size'], 'integer'),
  getsockopt: protoOnly('getsockopt', ['ctx', 'any', 'any', 'mem_uninit', 'size'], 'integer'),
  // net/core/filter.c: bpf_sk_lookup_tcp_proto, bpf_sk_lookup_udp_proto, bpf_sk_release_proto.
  sk_lookup_tcp: protoOnly('sk_lookup_tcp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'socket_or_null', { acquires: true, pktAccess: true }),
  sk_lookup_udp: protoOnly('sk_lookup_udp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'socket_or_null', { acquires: true, pktAccess: true }),
  sk_release: protoOnly('sk_release', ['sock_common_release'], 'integer'),
  // net/core/filter.c: bpf_sock_ops_cb_flags_set_proto.
  sock_ops_cb_flags_set: protoOnly('sock_ops_cb_flags_set', ['ctx', 'any'], 'integer'),
  // net/core/sock_map.c: bpf_sock_map_update_proto, bpf_sock_hash_update_proto (sockmap).
  sock_map_update: protoOnly('sock_map_update', ['ctx', 'map', 'map_key', 'any'], 'integer'),
  sock_hash_update: protoOnly('sock_hash_update', ['ctx', 'map', 'map_key', 'any'], 'integer'),
} as const;
