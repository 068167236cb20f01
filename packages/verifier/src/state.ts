// Verifier state on one path: per call frame, registers and stack slots (struct
// bpf_func_state), and the frames plus acquired references (struct bpf_verifier_state).
import type { RegState } from './reg';
import { cloneReg, notInit } from './reg';

/** enum bpf_stack_slot_type, one per byte of an 8-byte stack slot. */
export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;

/** slot_type_char[]: `?`, `r`, `m`, `0`. */
export const SLOT_CHAR = ['?', 'r', 'm', '0'];

export const BPF_REG_SIZE = 8;

export interface StackSlot {
  /** slot_type[0..7], as Linux indexes it: the byte at stack offset `off` is
   * slot_type[(-off - 1) % 8], so [7] is the slot's lowest address and [0] its highest. */
  slotType: number[];
  /** The register state spilled here (type NOT_INIT when none). */
  spilled: RegState;
}

export interface FuncState {
  regs: RegState[];
  /** stack[spi] covers fp-8*(spi+1) .. fp-8*spi-1. */
  stack: StackSlot[];
  frameno: number;
  /** The call instruction that made this frame (-1 for the main program). */
  callsite: number;
  subprogno: number;
}

/** One bpf_jmp_history_entry: a non-sequential step, or an instruction whose effect
 * precision backtracking needs (a spill/fill's stack slot, a jump's linked scalars). */
export interface HistEntry {
  idx: number;
  prevIdx: number;
  /** INSN_F_STACK_ACCESS: the slot a spill or fill used. */
  stack?: { frameno: number; spi: number };
  /** INSN_F_SRC_REG_STACK / INSN_F_DST_REG_STACK: a jump compared stack pointers. */
  srcStack?: boolean;
  dstStack?: boolean;
  /** Scalars linked at a conditional jump (they share precision). */
  linked?: readonly { frameno: number; isReg: boolean; index: number }[];
}

export interface VerifierState {
  frames: FuncState[];
  curframe: number;
  /** Ids of references held (sockets from sk_lookup, ring buffer records). */
  refs: number[];
  /** The instruction this state is at (for checkpoints: where it was stored). */
  insnIdx: number;
  /** The checkpoint this path continues from (parent), shared between copies. */
  parent: Checkpoint | undefined;
  /** The instruction the path started at after its parent checkpoint, and the last one
   * it ran (first_insn_idx / last_insn_idx), with the jumps in between. */
  firstInsnIdx: number;
  lastInsnIdx: number;
  jmpHistory: HistEntry[];
  /** may_goto iterations on this path. */
  mayGotoDepth: number;
  /** Checkpoints above this state (dfs_depth). */
  dfsDepth: number;
}

/** A checkpoint: a state stored at a prune point (struct bpf_verifier_state_list). */
export interface Checkpoint {
  state: VerifierState;
  /** Paths still being explored that descend from this state (0: fully verified). */
  branches: number;
  hitCnt: number;
  missCnt: number;
}

export function newSlot(): StackSlot {
  return { slotType: [STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID], spilled: NO_SPILL };
}

export function newFrame(frameno: number, callsite: number, subprogno: number): FuncState {
  return { regs: Array.from({ length: 11 }, notInit), stack: [], frameno, callsite, subprogno };
}

/** The register of a slot that holds no spill: never changed in place (writes replace it). */
const NO_SPILL = notInit();

function cloneSlot(s: StackSlot): StackSlot {
  const t = s.slotType;
  return { slotType: [t[0]!, t[1]!, t[2]!, t[3]!, t[4]!, t[5]!, t[6]!, t[7]!], spilled: s.spilled.type === 'NOT_INIT' ? NO_SPILL : cloneReg(s.spilled) };
}

export function cloneFrame(f: FuncState): FuncState {
  return {
    regs: f.regs.map(cloneReg),
    stack: f.stack.map(cloneSlot),
    frameno: f.frameno,
    callsite: f.callsite,
    subprogno: f.subprogno,
  };
}

/** The register every checkpoint's uninitialised registers share: a checkpoint is only read
 * and precision-marked (on scalars), never run on, so its NOT_INIT registers never change. */
const CHECKPOINT_NOT_INIT: RegState = Object.freeze(notInit());

const cloneCheckpointReg = (r: RegState): RegState => (r.type === 'NOT_INIT' ? CHECKPOINT_NOT_INIT : cloneReg(r));

/** The copy of the current state is_state_visited() stores (copy_verifier_state() into
 * new_sl->state); it takes over the path's jump history, which the current state restarts. */
export function checkpointState(s: VerifierState): VerifierState {
  return {
    frames: s.frames.map((f) => ({
      regs: f.regs.map(cloneCheckpointReg),
      stack: f.stack.map(cloneSlot),
      frameno: f.frameno,
      callsite: f.callsite,
      subprogno: f.subprogno,
    })),
    curframe: s.curframe,
    refs: [...s.refs],
    insnIdx: s.insnIdx,
    parent: s.parent,
    firstInsnIdx: s.firstInsnIdx,
    lastInsnIdx: s.lastInsnIdx,
    jmpHistory: s.jmpHistory,
    mayGotoDepth: s.mayGotoDepth,
    dfsDepth: s.dfsDepth,
  };
}

export function cloneState(s: VerifierState): VerifierState {
  return {
    frames: s.frames.map(cloneFrame),
    curframe: s.curframe,
    refs: [...s.refs],
    insnIdx: s.insnIdx,
    parent: s.parent,
    firstInsnIdx: s.firstInsnIdx,
    lastInsnIdx: s.lastInsnIdx,
    jmpHistory: s.jmpHistory.slice(),
    mayGotoDepth: s.mayGotoDepth,
    dfsDepth: s.dfsDepth,
  };
}

/** grow_stack_state(): make room for `size` bytes below the frame pointer. */
export function growStack(f: FuncState, size: number): void {
  const slots = Math.ceil(size / BPF_REG_SIZE);
  while (f.stack.length < slots) f.stack.push(newSlot());
}

export const isSpilledReg = (s: StackSlot): boolean => s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL;
export const isSpilledScalarReg = (s: StackSlot): boolean => isSpilledReg(s) && s.spilled.type === 'SCALAR_VALUE';
