// What verify() takes and gives back.
import type { ErrnoCode } from '@bpfsim/isa';
import type { HelperProto } from './helper-protos';
import type { ProgTypeDescriptor } from './prog-type';
import type { InsnFacts } from './check';

/** A map a program refers to (BPF_PSEUDO_MAP_FD by fd, BPF_PSEUDO_MAP_IDX by index). */
export interface MapInfo {
  /** enum bpf_map_type */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  /** For map-in-map types: the shape of the inner maps. */
  inner?: MapInfo;
  /** A read-only, frozen one-element array (bpf_map_is_rdonly with map_direct_value_addr):
   * its value, which loads at a constant offset read as known constants. */
  rdonlyValue?: Uint8Array;
}

export interface VerifyOptions {
  /** enum bpf_prog_type */
  progType: number;
  /** enum bpf_attach_type given at load (expected_attach_type); 0 when none. */
  expectedAttachType?: number;
  /** Maps by fd (BPF_PSEUDO_MAP_FD / MAP_VALUE) */
  mapsByFd?: ReadonlyMap<number, MapInfo>;
  /** Maps by index (BPF_PSEUDO_MAP_IDX / MAP_IDX_VALUE: the fd_array); empty or absent: no fd_array. */
  mapsByIdx?: readonly MapInfo[];
  /** BPF_LOG_LEVEL: 0 none, 1 (BPF_LOG_LEVEL1), 2 (BPF_LOG_LEVEL2). */
  logLevel?: 0 | 1 | 2;
  /** The license string: GPL-compatible ones may call gpl_only helpers. */
  license?: string;
  /** CAP_BPF (+ CAP_PERFMON for pointer leaks): privileged verification (default true). */
  privileged?: boolean;
  /** Program-type descriptors to look `progType` up in (the kernel's registry: @bpfsim/kernel
   * owns every type's descriptor; the verifier is handed them, as bpf_verifier_ops). */
  progTypes: readonly ProgTypeDescriptor[];
  /** Helper prototypes to check calls against, one per id (the kernel's helper table: the
   * package that owns a helper defines its prototype with its implementation, as struct
   * bpf_func_proto). A call of a helper the program type offers but that has no prototype
   * here is refused with ENOTSUPP. */
  helpers: readonly HelperProto[];
  /** nr_cpu_ids of the machine (bpf_get_smp_processor_id() returns less); default 2, the
   * reference machine's (and a Kernel's default cpus). */
  nrCpuIds?: number;
  /** Source lines by instruction (struct bpf_line_info, strings resolved), sorted by insnOff:
   * the log shows `; <line> @ <file>:<n>` before the first instruction of each (verbose_linfo). */
  lineInfo?: readonly SourceLine[];
  /** One record per subprogram (bpf_func_info), in order: global functions are then verified
   * on their own, as Linux does; without it every function is verified inline. */
  funcInfo?: readonly BtfFuncInfo[];
}

/** A function's BTF, resolved by the loader (struct bpf_func_info + its FUNC and FUNC_PROTO,
 * modifiers and typedefs skipped): what btf_prepare_func_args() reads. */
export interface BtfFuncInfo {
  /** The function's first instruction. */
  insnOff: number;
  name: string;
  linkage: 'static' | 'global' | 'extern';
  /** The return type is an int or an enum. */
  returnsScalar: boolean;
  params: BtfParam[];
}

export type BtfParam =
  /** An int or enum. */
  | { kind: 'scalar' }
  /** A pointer; `target` is what it points to: its BTF kind name (STRUCT, FWD, INT, UNKN for
   * void…), its name, and btf_resolve_size()'s answer (undefined when it fails). */
  | { kind: 'ptr'; target: { kind: string; name: string; size?: number } }
  /** Anything else (a struct by value, a float): its BTF kind name. */
  | { kind: 'other'; btfKind: string };

export interface SourceLine {
  insnOff: number;
  fileName: string;
  line: number;
  lineText: string;
}

export interface VerifyResult {
  accepted: boolean;
  /** The errno BPF_PROG_LOAD fails with when rejected. */
  errno?: ErrnoCode;
  /** The error sentence of the log (the kernel's wording), when rejected. */
  error?: string;
  /** Instructions processed (the kernel's insn_processed). */
  insnProcessed: number;
  /** The verifier log at the requested level, in the kernel's format. */
  log: string;
  /** Per instruction, what the verifier proved (accepted programs): for the JIT. */
  facts?: InsnFacts[];
  /** prog->aux->max_ctx_offset (accepted programs): the end of the furthest ctx access. */
  maxCtxOffset?: number;
  /** The program may attach only with its expected_attach_type (enforce_expected_attach_type). */
  enforceExpectedAttachType?: boolean;
}
