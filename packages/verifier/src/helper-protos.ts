// The shape of a helper prototype as the verifier checks a call against it (the verifier's
// half of struct bpf_func_proto, include/linux/bpf.h: enum bpf_arg_type, enum
// bpf_return_type, gpl_only, pkt_access…). The verifier has no prototypes of its own: the
// package that owns a helper defines its prototype with its implementation, the kernel's
// helper table holds them, and BPF_PROG_LOAD hands the prototypes in (VerifyOptions.helpers),
// as it hands in the program types.

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
  /** enum bpf_func_id */
  readonly id: number;
  /** `bpf_map_lookup_elem`, … */
  readonly name: string;
  /** r1.. in order (arg1_type…); ARG_DONTCARE after the last. */
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  gplOnly?: boolean;
  /** May take packet pointers as memory arguments (fn->pkt_access). */
  pktAccess?: boolean;
  /** bpf_helper_changes_pkt_data(): every packet pointer is stale after the call. */
  changesPktData?: boolean;
  /** Returns an acquired reference (sk_lookup_*, ringbuf_reserve). */
  acquires?: boolean;
}
