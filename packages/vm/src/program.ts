// A program made ready to run: subprograms, basic blocks and their successors, checked for
// the structural rules both engines rely on. Mirrors the parts of the kernel's
// check_subprogs() and check_cfg() that execution needs; the verifier does the rest.
import type { Insn } from '@bpfsim/isa';
import {
  BPF_CALL,
  BPF_CLASS,
  BPF_EXIT,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_SRC,
  BPF_X,
  LD_IMM64,
  checkInsn,
  slotsAt,
} from '@bpfsim/isa';

/** bpf_tail_call's helper id: a call to it ends a basic block. */
export const BPF_FUNC_tail_call = 12;

export class PrepareError extends Error {
  readonly code = 'ERR_BPF_PREPARE';
  constructor(
    readonly pc: number,
    readonly reason: string,
  ) {
    super(pc >= 0 ? `insn ${pc}: ${reason}` : reason);
    this.name = 'PrepareError';
  }
}

export interface Block {
  /** First slot. */
  start: number;
  /** One past the last slot. */
  end: number;
  /** Instructions in the block (an ld_imm64 counts once): the budget it costs. */
  cost: number;
  /** Slot of the last instruction. */
  last: number;
  /** Successor block starts: [] after exit, [target] after goto, [taken, fallthrough] after a branch. */
  succ: number[];
}

export interface Subprog {
  start: number;
  end: number;
  blocks: Block[];
}

export interface PreparedProgram {
  readonly insns: readonly Insn[];
  /** Subprograms in slot order; [0] is the main program. */
  readonly subprogs: readonly Subprog[];
  /** Per slot: the cost of the block starting there, or 0 inside a block. */
  readonly blockCost: Int32Array;
  /** Per slot: the index of its subprogram. */
  readonly subprogOf: Int32Array;
}

/** Where the jump at `pc` goes (JMP32|JA takes its displacement from imm). */
export function jumpTarget(ins: Insn, pc: number): number {
  return pc + 1 + (BPF_CLASS(ins.code) === BPF_JMP32 && BPF_OP(ins.code) === BPF_JA ? ins.imm : ins.off);
}

export function prepareProgram(insns: readonly Insn[]): PreparedProgram {
  const n = insns.length;
  if (n === 0) throw new PrepareError(-1, 'empty program');
  const starts = new Uint8Array(n); // 1 = an instruction starts at this slot
  for (let i = 0; i < n; i += slotsAt(insns, i)) {
    const why = checkInsn(insns, i);
    if (why !== undefined) throw new PrepareError(i, why);
    starts[i] = 1;
  }
  const valid = (t: number): boolean => t >= 0 && t < n && starts[t] === 1;

  // Subprograms begin at 0 and at every bpf-to-bpf call or BPF_PSEUDO_FUNC target.
  const entries = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    if (!starts[i]) continue;
    const ins = insns[i]!;
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) {
      const t = i + 1 + ins.imm;
      if (!valid(t)) throw new PrepareError(i, `call to insn ${t}, which is not the start of an instruction`);
      entries.add(t);
    } else if (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC) {
      const t = i + 1 + ins.imm;
      if (!valid(t)) throw new PrepareError(i, `function pointer to insn ${t}, which is not the start of an instruction`);
      entries.add(t);
    }
  }
  const sorted = [...entries].sort((a, b) => a - b);
  const subprogOf = new Int32Array(n);
  sorted.forEach((s, k) => subprogOf.fill(k, s, sorted[k + 1] ?? n));

  // Block leaders: subprogram entries, jump targets, and what follows a jump, exit or tail call.
  const leader = new Uint8Array(n + 1);
  for (const s of sorted) leader[s] = 1;
  for (let i = 0; i < n; i++) {
    if (!starts[i]) continue;
    const ins = insns[i]!;
    const cls = BPF_CLASS(ins.code);
    const op = BPF_OP(ins.code);
    if (cls !== BPF_JMP && cls !== BPF_JMP32) continue;
    if (op === BPF_CALL) {
      if (BPF_SRC(ins.code) === BPF_X) throw new PrepareError(i, 'callx (call by register) is not part of the Linux BPF ISA');
      if (ins.src === 0 && ins.imm === BPF_FUNC_tail_call) leader[i + 1] = 1;
      continue;
    }
    if (op === BPF_EXIT) {
      leader[i + 1] = 1;
      continue;
    }
    const t = jumpTarget(ins, i);
    if (!valid(t)) throw new PrepareError(i, `jump out of range to insn ${t}`);
    if (subprogOf[t] !== subprogOf[i]) throw new PrepareError(i, `jump out of its subprogram to insn ${t}`);
    leader[t] = 1;
    leader[i + 1] = 1;
  }

  const blockCost = new Int32Array(n);
  const subprogs: Subprog[] = sorted.map((start, k) => {
    const end = sorted[k + 1] ?? n;
    const blocks: Block[] = [];
    let b: Block | undefined;
    for (let i = start; i < end; i += slotsAt(insns, i)) {
      if (leader[i] || !b) {
        b = { start: i, end: i, cost: 0, last: i, succ: [] };
        blocks.push(b);
      }
      b.cost++;
      b.last = i;
      b.end = i + slotsAt(insns, i);
    }
    for (const blk of blocks) {
      blockCost[blk.start] = blk.cost;
      const ins = insns[blk.last]!;
      const cls = BPF_CLASS(ins.code);
      const op = BPF_OP(ins.code);
      const jmp = cls === BPF_JMP || cls === BPF_JMP32;
      if (jmp && op === BPF_EXIT) blk.succ = [];
      else if (jmp && op === BPF_JA) blk.succ = [jumpTarget(ins, blk.last)];
      else if (jmp && op !== BPF_CALL) blk.succ = [jumpTarget(ins, blk.last), blk.end];
      else blk.succ = [blk.end]; // (may_goto, JMP|JCOND, is a conditional jump like the others)
      if (blk.succ.some((s) => s >= end)) {
        throw new PrepareError(blk.last, `the last instruction of a subprogram must be an exit or a jump (falls through to insn ${blk.end})`);
      }
    }
    return { start, end, blocks };
  });
  return { insns, subprogs, blockCost, subprogOf };
}
