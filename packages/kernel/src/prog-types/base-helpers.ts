// The helper sets program types share, and how a type names its helpers. bpf_base_func_proto()
// (kernel/bpf/helpers.c) as a privileged loader (CAP_BPF + CAP_PERFMON) sees it, and
// bpf_sk_base_func_proto() (net/core/filter.c), the networking types' layer on top of it.
// Every type's get_func_proto falls through to these, so they live here, not in any one type.
import { helperId } from '@bpfsim/isa';
import type { HelperOffer } from '@bpfsim/verifier';

/** bpf_base_func_proto()'s helpers (names without bpf_), unprivileged first. */
export const BASE_HELPERS: readonly string[] = [
  // Unprivileged.
  'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'map_lookup_percpu_elem', 'get_prandom_u32', 'get_smp_processor_id', 'get_numa_node_id', 'tail_call',
  'ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_tai_ns', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit',
  'ringbuf_discard', 'ringbuf_query', 'strncmp', 'strtol', 'strtoul', 'get_current_pid_tgid',
  'get_ns_current_pid_tgid', 'get_current_uid_gid',
  // CAP_BPF.
  'spin_lock', 'spin_unlock', 'jiffies64', 'per_cpu_ptr', 'this_cpu_ptr', 'timer_init', 'timer_set_callback',
  'timer_start', 'timer_cancel', 'kptr_xchg', 'for_each_map_elem', 'loop', 'user_ringbuf_drain',
  'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr', 'dynptr_from_mem', 'dynptr_read',
  'dynptr_write', 'dynptr_data', 'cgrp_storage_get', 'cgrp_storage_delete', 'get_current_cgroup_id',
  'get_current_ancestor_cgroup_id', 'current_task_under_cgroup', 'get_cgroup_classid', 'task_storage_get',
  'task_storage_delete',
  // CAP_PERFMON.
  'trace_printk', 'get_current_task', 'get_current_task_btf', 'get_current_comm', 'probe_read_user',
  'probe_read_kernel', 'probe_read_user_str', 'probe_read_kernel_str', 'snprintf_btf', 'snprintf', 'task_pt_regs',
  'trace_vprintk', 'perf_event_read_value', 'send_signal', 'send_signal_thread', 'get_task_stack',
  'get_branch_snapshot', 'find_vma', 'copy_from_user', 'copy_from_user_task', 'perf_event_read',
];

/** bpf_sk_base_func_proto()'s own helpers (before it falls back to bpf_base_func_proto()). */
export const SK_BASE_HELPERS: readonly string[] = [
  'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock', 'skc_to_tcp_request_sock', 'skc_to_udp6_sock',
  'skc_to_unix_sock', 'skc_to_mptcp_sock', 'ktime_get_coarse_ns',
];

/** A helper by name (without bpf_), offered only for some expected_attach_types. */
export interface NamedOffer {
  name: string;
  attachTypes?: readonly number[];
}

/**
 * A type's helper offers: `names` (resolved through the uapi's helper-id table) first, then
 * the offers of `then` in order, each id once — as a get_func_proto() tries its own cases
 * and then falls through to the shared sets.
 */
export function offers(names: readonly (string | NamedOffer)[], ...then: (readonly HelperOffer[])[]): HelperOffer[] {
  const out: HelperOffer[] = [];
  const seen = new Set<number>();
  const add = (o: HelperOffer): void => {
    if (seen.has(o.id)) return;
    seen.add(o.id);
    out.push(o);
  };
  for (const n of names) {
    const name = typeof n === 'string' ? n : n.name;
    const id = helperId(name);
    if (id === undefined) throw new Error(`unknown helper '${name}'`);
    add(typeof n === 'string' || !n.attachTypes ? { id } : { id, attachTypes: n.attachTypes });
  }
  for (const list of then) list.forEach(add);
  return out;
}

/** bpf_base_func_proto() for a privileged loader. */
export const BASE_HELPER_OFFERS: readonly HelperOffer[] = offers(BASE_HELPERS);

/** bpf_sk_base_func_proto(): its own helpers, then the base set. */
export const SK_BASE_HELPER_OFFERS: readonly HelperOffer[] = offers(SK_BASE_HELPERS, BASE_HELPER_OFFERS);
