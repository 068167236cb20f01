// struct bpf_verifier_env: the program, its type, the current state, the states still to
// explore, and the bookkeeping shared by every check.
import type { ErrnoCode, Insn, KernelDisasmOptions } from '@bpfsim/isa';
import type { MapInfo, SourceLine, VerifyOptions } from './api';
import { VerifierLog } from './log';
import type { SubprogBtf } from './btf-func';
import type { HelperProto } from './helper-protos';
import type { ProgTypeDescriptor } from './prog-type';
import type { RegState, RegType } from './reg';
import type { Checkpoint, FuncState, HistEntry, VerifierState } from './state';
import { cloneState } from './state';
import { big } from './scalar/int';

/** A check that failed: the errno BPF_PROG_LOAD returns and the log's error sentence. */
export class VerifyError extends Error {
  constructor(
    readonly errno: ErrnoCode,
    readonly sentence: string,
    /** The kernel ends the log line here (a few messages lack the newline). */
    readonly newline = true,
    /** The sentence is already in the log, followed by detail lines (infinite loops). */
    readonly logged = false,
  ) {
    super(sentence);
    this.name = 'VerifyError';
  }
}

export const fail = (errno: ErrnoCode, sentence: string): never => {
  throw new VerifyError(errno, sentence);
};

export interface Subprog {
  start: number;
  /** Deepest stack byte the subprogram touches (stack_depth). */
  stackDepth: number;
  hasTailCall: boolean;
  hasLdAbs: boolean;
}


/** A pointer's type and flags (bit 0 PTR_MAYBE_NULL, 1 MEM_RDONLY, 2 MEM_RINGBUF). */
export interface AuxPtrType {
  base: RegType;
  flags: number;
}

/** What the verifier proved about an instruction (handed to the JIT). */
export interface InsnAux {
  /** Pointer kinds seen at a memory instruction's base register. */
  ptrTypes?: Set<string>;
  /** insn_aux_data.ptr_type: the base pointer's type the first path to a load or store had
   * (save_aux_ptr_type). */
  ptrType?: AuxPtrType;
  /** Set once the instruction was reached on some path. */
  seen?: boolean;
  /** Registers r0-r9 that held a scalar in [0, U32_MAX] before this instruction on every
   * path that reached it (bit i for ri). */
  u32Regs?: number;
  /** A conditional jump's outcomes over all paths: bit 0 fell through, bit 1 jumped. */
  outcomes?: number;
}

/** A loop being explored in one call chain (struct bpf_scc_visit): the checkpoint it was
 * entered at, and the states pruned inside it before its precision marks were complete. */
export interface SccVisit {
  key: string;
  entryState: VerifierState | undefined;
  backedges: { state: VerifierState; equal: VerifierState }[];
}

interface Pending {
  state: VerifierState;
  insnIdx: number;
  prevInsnIdx: number;
  /** The log position at push time: at level 1 the log rewinds to it on pop. */
  logPos: number;
}

/** One flag per instruction, as insn_aux_data's prune_point, jmp_point and force_checkpoint. */
export class InsnFlags {
  private readonly bits: Uint8Array;
  constructor(n: number) {
    this.bits = new Uint8Array(n);
  }
  add(i: number): void {
    if (i >= 0 && i < this.bits.length) this.bits[i] = 1;
  }
  has(i: number): boolean {
    return this.bits[i] === 1;
  }
}

/** BPF_COMPLEXITY_LIMIT_JMP_SEQ: branches waiting at once. */
export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;
/** BPF_COMPLEXITY_LIMIT_INSNS: instructions processed over all paths. */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;
/** BPF_COMPLEXITY_LIMIT_STATES: states kept per instruction for unprivileged loads. */
export const BPF_COMPLEXITY_LIMIT_STATES = 64;

export class Env {
  readonly log: VerifierLog;
  readonly attachType: number;
  readonly privileged: boolean;
  /** nr_cpu_ids (do_refine_retval_range: bpf_get_smp_processor_id's largest result). */
  readonly nrCpuIds: number;
  readonly gplCompatible: boolean;
  cur!: VerifierState;
  insnIdx = 0;
  prevInsnIdx = -1;
  idGen = 0;
  insnProcessed = 0;
  subprogs: Subprog[] = [];
  readonly aux: InsnAux[];
  /** Instructions where states are compared for pruning (jump targets and after calls). */
  readonly prunePoints: InsnFlags;
  /** Explored states at prune points, newest first, by instruction (explored_states). */
  explored: (Checkpoint[] | undefined)[];
  /** States in those lists (explored_states_size). */
  exploredStatesSize = 0;
  /** The history entry of the instruction being checked, once recorded (cur_hist_ent). */
  curHistEnt: HistEntry | undefined;
  /** Instructions reached other than by falling through (jmp points: history records them). */
  readonly jmpPoints: InsnFlags;
  /** Instructions where a state is always stored (may_goto). */
  readonly forceCheckpoints: InsnFlags;
  /** Each instruction's loop (strongly connected component), 0 when on none (compute_scc). */
  scc: Uint32Array = new Uint32Array(0);
  /** Loops being explored, by call chain (struct bpf_scc_visit). */
  readonly sccVisits = new Map<string, SccVisit>();
  numBackedges = 0;
  /** Set when an exit proves R0 in the type's enforce range (prog->enforce_expected_attach_type). */
  enforceExpectedAttachType = false;
  /** prog->aux->max_ctx_offset: the end of the furthest ctx access (read or write). */
  maxCtxOffset = 0;
  private readonly pending: Pending[] = [];
  /** Static liveness: registers live before each instruction (live_regs_before). */
  liveRegsBefore: Uint16Array = new Uint16Array(0);
  /** The instruction each reference was acquired at (for "Unreleased reference"). */
  readonly refAllocInsn = new Map<number, number>();
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  prevInsnProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  /** States counted by passes before this one (verification of global functions). */
  statesOfEarlierPasses = 0;
  maxStatesPerInsn = 0;
  /** Registers and stack slots of the current frame touched since the last state print. */
  scratchedRegs = 0;
  scratchedSlots = new Set<number>();
  /** Log position after the last instruction line, and that line's length (for `; state`). */
  prevLogPos = 0;
  prevInsnPrintLen = 0;
  /** Per subprogram, its BTF function info (when the loader gave func_info). */
  subprogBtf: SubprogBtf[] | undefined;
  /** A subprogram returned: the next instruction prints `from X to Y:` at level 2. */
  printStateNext = false;
  /** The line info record printed last (env->prev_linfo). */
  prevLinfo: SourceLine | undefined;
  /** Resolved map of each ld_imm64 slot that loads a map. */
  readonly insnMaps = new Map<number, MapInfo>();
  /** The prototypes handed in (VerifyOptions.helpers), by helper id. */
  private readonly protos: readonly (HelperProto | undefined)[];

  /** The verifier prints ld_imm64 after resolve_pseudo_ldimm64() put the map's kernel
   * address in it; bpfsim prints a made-up, stable address per map instead. */
  readonly disasmOptions: KernelDisasmOptions = {
    imm64: (_insns, i) => {
      const map = this.insnMaps.get(i);
      if (!map) return undefined;
      const maps = [...new Set(this.insnMaps.values())];
      const base = 0xffff888100000000n + big(maps.indexOf(map)) * 0x10000n;
      const off = this.insns[i]!.src === 2 || this.insns[i]!.src === 6 ? big(this.insns[i + 1]!.imm >>> 0) : 0n;
      return `0x${(base + (off ? 0x100n + off : 0n)).toString(16)}`;
    },
  };

  constructor(
    readonly insns: readonly Insn[],
    readonly prog: ProgTypeDescriptor,
    readonly options: VerifyOptions,
  ) {
    this.log = new VerifierLog(options.logLevel ?? 0);
    this.attachType = options.expectedAttachType ?? 0;
    this.privileged = options.privileged ?? true;
    this.nrCpuIds = options.nrCpuIds ?? 2;
    this.gplCompatible = isGplCompatible(options.license ?? 'GPL');
    this.aux = insns.map(() => ({}));
    this.explored = new Array(insns.length);
    this.prunePoints = new InsnFlags(insns.length);
    this.jmpPoints = new InsnFlags(insns.length);
    this.forceCheckpoints = new InsnFlags(insns.length);
    const protos: (HelperProto | undefined)[] = [];
    for (const p of options.helpers) protos[p.id] = p;
    this.protos = protos;
  }

  /** The prototype of helper `id` the caller handed in, if any (get_func_proto's answer). */
  helperProto(id: number): HelperProto | undefined {
    return id >= 0 ? this.protos[id] : undefined;
  }

  verbose(text: string): void {
    if (this.log.enabled) this.log.write(text);
  }

  /**
   * verbose_linfo(): the source line of instruction `idx` (the last record at or before it),
   * once per line: a record repeating the previous one's file and line (another column) is
   * skipped. The file is shown by its base name.
   */
  verboseLinfo(idx: number, prefix: string): void {
    const lines = this.options.lineInfo;
    if (!lines?.length || !this.log.enabled || idx >= this.insns.length) return;
    let lo = 0;
    let hi = lines.length - 1;
    if (lines[0]!.insnOff > idx) return;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lines[mid]!.insnOff <= idx) lo = mid;
      else hi = mid - 1;
    }
    const l = lines[lo]!;
    const prev = this.prevLinfo;
    if (l === prev) return;
    if (prev && prev.fileName === l.fileName && prev.line === l.line) return;
    const file = l.fileName.slice(l.fileName.lastIndexOf('/') + 1);
    this.verbose(`${prefix}${l.lineText.trimStart()} @ ${file}:${l.line}\n`);
    this.prevLinfo = l;
  }

  get frame(): FuncState {
    return this.cur.frames[this.cur.curframe]!;
  }

  get regs(): RegState[] {
    return this.frame.regs;
  }

  /** The frame a stack pointer points into (func()). */
  frameOf(reg: RegState): FuncState {
    return this.cur.frames[reg.frameno]!;
  }

  newId(): number {
    return ++this.idGen;
  }

  markRegScratched(regno: number): void {
    this.scratchedRegs |= 1 << regno;
  }

  markSlotScratched(spi: number): void {
    this.scratchedSlots.add(spi);
  }

  /** mark_verifier_state_scratched(): the next state print shows everything. */
  markAllScratched(): void {
    this.scratchedRegs = 0x7ff;
    this.scratchedSlots = new Set(Array.from({ length: 64 }, (_, i) => i));
  }

  /** push_stack(): remember a branch to explore later (LIFO), as a copy of the state. */
  pushBranch(insnIdx: number, prevInsnIdx: number, state: VerifierState = this.cur): VerifierState {
    const copy = cloneState(state);
    this.pending.push({ state: copy, insnIdx, prevInsnIdx, logPos: this.log.endPos });
    if (copy.parent) copy.parent.branches++;
    if (this.pending.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) fail('E2BIG', `The sequence of ${this.pending.length} jumps is too complex.`);
    return copy;
  }

  /** Branches waiting to be explored (env->stack_size). */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** pop_stack(): the next branch to explore, or false when none is left. */
  /** free_states(): a new verification pass (a global function) starts from nothing. */
  resetForPass(): void {
    // free_states() frees the lists but explored_states_size keeps counting them: peak_states
    // of a later pass starts from the earlier passes' states.
    this.statesOfEarlierPasses += this.exploredStatesSize;
    this.exploredStatesSize = 0;
    this.pending.length = 0;
    this.explored = new Array(this.insns.length);
    this.sccVisits.clear();
    this.markAllScratched();
  }

  popBranch(): boolean {
    const next = this.pending.pop();
    if (!next) return false;
    this.cur = next.state;
    this.insnIdx = next.insnIdx;
    this.prevInsnIdx = next.prevInsnIdx;
    if (this.log.level === 1) this.log.reset(next.logPos);
    return true;
  }
}

/** license_is_gpl_compatible() */
export function isGplCompatible(license: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(license);
}
