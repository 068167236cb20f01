// Helper prototypes as the verifier checks them (struct bpf_func_proto): argument kinds,
// return kind and flags, by helper id. Implementations live with the kernel package.
import { helperId } from '@bpfsim/isa';

/** enum bpf_arg_type, as far as bpfsim's helpers need it. */
export type ArgType =
  | 'any' // ARG_ANYTHING
  | 'ctx' // ARG_PTR_TO_CTX
  | 'ctx_or_null' // ARG_PTR_TO_CTX_OR_NULL
  | 'map' // ARG_CONST_MAP_PTR
  | 'map_key' // ARG_PTR_TO_MAP_KEY
  | 'map_value' // ARG_PTR_TO_MAP_VALUE
  | 'map_value_uninit' // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (pop/peek)
  | 'mem_ro' // ARG_PTR_TO_MEM | MEM_RDONLY, size in the next argument
  | 'mem_ro_or_null' // ARG_PTR_TO_MEM | PTR_MAYBE_NULL | MEM_RDONLY
  | 'mem_uninit' // ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE (ARG_PTR_TO_UNINIT_MEM)
  | 'mem' // ARG_PTR_TO_MEM (read and written)
  | 'size' // ARG_CONST_SIZE
  | 'size_or_zero' // ARG_CONST_SIZE_OR_ZERO
  | 'alloc_size_or_zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO
  | 'ringbuf_mem_release' // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE
  | 'sock_common_release' // ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE
  | 'sock_common' // ARG_PTR_TO_SOCK_COMMON
  | 'func' // ARG_PTR_TO_FUNC
  | 'stack_or_null' // ARG_PTR_TO_STACK | PTR_MAYBE_NULL
  | 'const_str' // ARG_PTR_TO_CONST_STR
  | 'long_uninit' // ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE, 8 bytes (strtol's result)
  | 'spin_lock'; // ARG_PTR_TO_SPIN_LOCK

/** enum bpf_return_type */
export type RetType =
  | 'integer'
  | 'void'
  | 'map_value_or_null'
  | 'socket_or_null'
  | 'sock_common_or_null'
  | 'ringbuf_mem_or_null';

export interface HelperProto {
  id: number;
  name: string;
  args: readonly ArgType[];
  ret: RetType;
  gplOnly?: boolean;
  /** May take packet pointers as memory arguments (fn->pkt_access). */
  pktAccess?: boolean;
  /** bpf_helper_changes_pkt_data(): every packet pointer is stale after the call. */
  changesPktData?: boolean;
  /** Returns an acquired reference (sk_lookup_*, ringbuf_reserve). */
  acquires?: boolean;
}

const P = (name: string, args: ArgType[], ret: RetType, flags: Omit<HelperProto, 'id' | 'name' | 'args' | 'ret'> = {}): HelperProto => {
  const id = helperId(name);
  if (id === undefined) throw new Error(`unknown helper ${name}`);
  return { id, name: `bpf_${name}`, args, ret, ...flags };
};

const PROTOS: HelperProto[] = [
  P('map_lookup_elem', ['map', 'map_key'], 'map_value_or_null', { pktAccess: true }),
  P('map_update_elem', ['map', 'map_key', 'map_value', 'any'], 'integer', { pktAccess: true }),
  P('map_delete_elem', ['map', 'map_key'], 'integer', { pktAccess: true }),
  P('map_push_elem', ['map', 'map_value', 'any'], 'integer', { pktAccess: true }),
  P('map_pop_elem', ['map', 'map_value_uninit'], 'integer'),
  P('map_peek_elem', ['map', 'map_value_uninit'], 'integer'),
  P('map_lookup_percpu_elem', ['map', 'map_key', 'any'], 'map_value_or_null', { pktAccess: true }),
  P('get_prandom_u32', [], 'integer'),
  P('get_smp_processor_id', [], 'integer'),
  P('get_numa_node_id', [], 'integer'),
  P('tail_call', ['ctx', 'map', 'any'], 'void'),
  P('ktime_get_ns', [], 'integer'),
  P('ktime_get_boot_ns', [], 'integer'),
  P('ktime_get_tai_ns', [], 'integer'),
  P('ktime_get_coarse_ns', [], 'integer'),
  P('jiffies64', [], 'integer'),
  P('ringbuf_output', ['map', 'mem_ro', 'size_or_zero', 'any'], 'integer'),
  P('ringbuf_reserve', ['map', 'alloc_size_or_zero', 'any'], 'ringbuf_mem_or_null', { acquires: true }),
  P('ringbuf_submit', ['ringbuf_mem_release', 'any'], 'void'),
  P('ringbuf_discard', ['ringbuf_mem_release', 'any'], 'void'),
  P('ringbuf_query', ['map', 'any'], 'integer'),
  P('strncmp', ['mem_ro', 'size', 'const_str'], 'integer'),
  P('strtol', ['mem_ro', 'size', 'any', 'long_uninit'], 'integer'),
  P('strtoul', ['mem_ro', 'size', 'any', 'long_uninit'], 'integer'),
  P('get_current_pid_tgid', [], 'integer'),
  P('get_current_uid_gid', [], 'integer'),
  P('get_ns_current_pid_tgid', ['any', 'any', 'mem_uninit', 'size'], 'integer'),
  P('get_current_cgroup_id', [], 'integer'),
  P('get_current_ancestor_cgroup_id', ['any'], 'integer'),
  P('get_cgroup_classid', [], 'integer'),
  P('loop', ['any', 'func', 'stack_or_null', 'any'], 'integer'),
  P('trace_printk', ['mem_ro', 'size'], 'integer', { gplOnly: true }),
  P('get_current_task', [], 'integer', { gplOnly: true }),
  P('get_current_comm', ['mem_uninit', 'size'], 'integer'),
  P('probe_read_user', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('probe_read_kernel', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('probe_read_user_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('probe_read_kernel_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  // kernel/trace/bpf_trace.c: the compat probe reads, signals, perf counters, cgroup test.
  P('probe_read', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('probe_read_str', ['mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('send_signal', ['any'], 'integer'),
  P('send_signal_thread', ['any'], 'integer'),
  P('perf_event_read', ['map', 'any'], 'integer', { gplOnly: true }),
  P('perf_event_read_value', ['map', 'any', 'mem_uninit', 'size'], 'integer', { gplOnly: true }),
  P('current_task_under_cgroup', ['map', 'any'], 'integer'),
  // kernel/bpf/helpers.c: a bpf_spin_lock lives in a map value that BTF describes.
  P('spin_lock', ['spin_lock'], 'void'),
  P('spin_unlock', ['spin_lock'], 'void'),
  P('perf_event_output', ['ctx', 'map', 'any', 'mem_ro', 'size_or_zero'], 'integer', { gplOnly: true }),
  P('get_stackid', ['ctx', 'map', 'any'], 'integer', { gplOnly: true }),
  P('get_stack', ['ctx', 'mem_uninit', 'size_or_zero', 'any'], 'integer', { gplOnly: true }),
  P('csum_diff', ['mem_ro_or_null', 'size_or_zero', 'mem_ro_or_null', 'size_or_zero', 'any'], 'integer', { pktAccess: true }),
  P('xdp_adjust_head', ['ctx', 'any'], 'integer', { changesPktData: true }),
  P('xdp_adjust_meta', ['ctx', 'any'], 'integer', { changesPktData: true }),
  P('xdp_adjust_tail', ['ctx', 'any'], 'integer', { changesPktData: true }),
  P('redirect', ['any', 'any'], 'integer'),
  P('redirect_map', ['map', 'any', 'any'], 'integer'),
  P('xdp_get_buff_len', ['ctx'], 'integer'),
  P('xdp_load_bytes', ['ctx', 'any', 'mem_uninit', 'size'], 'integer'),
  P('xdp_store_bytes', ['ctx', 'any', 'mem_ro', 'size'], 'integer'),
  P('fib_lookup', ['ctx', 'mem', 'size', 'any'], 'integer'),
  P('sk_lookup_tcp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'socket_or_null', { acquires: true, pktAccess: true }),
  P('sk_lookup_udp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'socket_or_null', { acquires: true, pktAccess: true }),
  P('skc_lookup_tcp', ['ctx', 'mem_ro', 'size', 'any', 'any'], 'sock_common_or_null', { acquires: true, pktAccess: true }),
  P('sk_release', ['sock_common_release'], 'integer'),
  P('skb_load_bytes', ['ctx', 'any', 'mem_uninit', 'size'], 'integer'),
  P('skb_load_bytes_relative', ['ctx', 'any', 'mem_uninit', 'size', 'any'], 'integer'),
  P('get_socket_cookie', ['ctx'], 'integer'),
  P('get_netns_cookie', ['ctx_or_null'], 'integer'),
  P('get_socket_uid', ['ctx'], 'integer'),
  P('bind', ['ctx', 'mem_ro', 'size'], 'integer'),
  // net/core/filter.c: bpf_sock_addr_setsockopt_proto / bpf_sock_addr_getsockopt_proto.
  P('setsockopt', ['ctx', 'any', 'any', 'mem_ro', 'size'], 'integer'),
  P('getsockopt', ['ctx', 'any', 'any', 'mem_uninit', 'size'], 'integer'),
  // cgroup_common_func_proto() (kernel/bpf/cgroup.c: bpf_get_retval_proto, bpf_set_retval_proto).
  P('get_retval', [], 'integer'),
  P('set_retval', ['any'], 'integer'),
  // SOCK_OPS (net/core/sock_map.c: bpf_sock_map_update_proto, bpf_sock_hash_update_proto;
  // net/core/filter.c: bpf_sock_ops_cb_flags_set_proto).
  P('sock_map_update', ['ctx', 'map', 'map_key', 'any'], 'integer'),
  P('sock_hash_update', ['ctx', 'map', 'map_key', 'any'], 'integer'),
  P('sock_ops_cb_flags_set', ['ctx', 'any'], 'integer'),
  // SK_MSG (net/core/filter.c: bpf_msg_*_proto, net/core/sock_map.c: bpf_msg_redirect_*).
  P('msg_redirect_map', ['ctx', 'map', 'any', 'any'], 'integer'),
  P('msg_redirect_hash', ['ctx', 'map', 'map_key', 'any'], 'integer'),
  P('msg_apply_bytes', ['ctx', 'any'], 'integer'),
  P('msg_cork_bytes', ['ctx', 'any'], 'integer'),
  P('msg_pull_data', ['ctx', 'any', 'any', 'any'], 'integer', { changesPktData: true }),
  P('msg_push_data', ['ctx', 'any', 'any', 'any'], 'integer', { changesPktData: true }),
  P('msg_pop_data', ['ctx', 'any', 'any', 'any'], 'integer', { changesPktData: true }),
];

const BY_ID = new Map(PROTOS.map((p) => [p.id, p]));

/** The prototype bpfsim knows for a helper id, if any. */
export const helperProto = (id: number): HelperProto | undefined => BY_ID.get(id);
