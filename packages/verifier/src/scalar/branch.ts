// Conditional jumps between two scalars: deciding a branch (is_scalar_branch_taken()) and
// narrowing both operands on each side (reg_set_min_max(), regs_refine_cond_op()).
import {
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_X,
} from '@bpfsim/isa';
import type { ScalarBounds } from './types';
import { constValue, isConst, markUnbounded, regBoundsSanityCheck, regBoundsSync } from './bounds';
import {
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumOverlap,
  tnumSubreg,
  tnumWithSubreg,
} from './tnum';
import { max, min, s32, s64, u32, u64 } from './int';

/** mirrors flip_opcode(): the op with the operands swapped (`a < b` is `b > a`); 0 if none. */
export function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ:
    case BPF_JNE:
    case BPF_JSET:
      return op;
    case BPF_JGE: return BPF_JLE;
    case BPF_JGT: return BPF_JLT;
    case BPF_JLE: return BPF_JGE;
    case BPF_JLT: return BPF_JGT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSLE: return BPF_JSGE;
    case BPF_JSLT: return BPF_JSGT;
    default: return 0;
  }
}

/**
 * mirrors rev_opcode(): the op of the false branch. JSET has no negation in the ISA, so as
 * in the kernel it is `BPF_JSET | BPF_X` (and back); 0 for anything else.
 */
export function revOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JSET: return BPF_JSET | BPF_X;
    case BPF_JSET | BPF_X: return BPF_JSET;
    case BPF_JGE: return BPF_JLT;
    case BPF_JGT: return BPF_JLE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGT;
    case BPF_JSLT: return BPF_JSGE;
    default: return 0;
  }
}

/**
 * mirrors is_scalar_branch_taken() (the two-scalar path of is_branch_taken()): 1 if
 * `a <op> b` holds for every value pair, 0 if for none, -1 if it depends. `is32` compares
 * the low 32 bits (BPF_JMP32).
 */
export function isBranchTaken(a: ScalarBounds, b: ScalarBounds, op: number, is32: boolean): 1 | 0 | -1 {
  let t1 = is32 ? tnumSubreg(a.varOff) : a.varOff;
  let t2 = is32 ? tnumSubreg(b.varOff) : b.varOff;
  const umin1 = is32 ? a.u32min : a.umin;
  const umax1 = is32 ? a.u32max : a.umax;
  const smin1 = is32 ? a.s32min : a.smin;
  const smax1 = is32 ? a.s32max : a.smax;
  const umin2 = is32 ? b.u32min : b.umin;
  const umax2 = is32 ? b.u32max : b.umax;
  const smin2 = is32 ? b.s32min : b.smin;
  const smax2 = is32 ? b.s32max : b.smax;

  switch (op) {
    case BPF_JEQ:
    case BPF_JNE: {
      // JNE is exactly the negation of JEQ's decisions
      const eq = op === BPF_JEQ ? 1 : 0;
      const ne = op === BPF_JEQ ? 0 : 1;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return t1.value === t2.value ? eq : ne;
      if (!tnumOverlap(t1, t2)) return ne;
      if (umin1 > umax2 || umax1 < umin2) return ne;
      if (smin1 > smax2 || smax1 < smin2) return ne;
      if (!is32) {
        // the 64-bit ranges may overlap where the 32-bit ones do not
        if (a.u32min > b.u32max || a.u32max < b.u32min) return ne;
        if (a.s32min > b.s32max || a.s32max < b.s32min) return ne;
      }
      break;
    }
    case BPF_JSET: {
      if (!isConst(b, is32)) [t1, t2] = [t2, t1];
      if (!isConst(a, is32) && !isConst(b, is32)) return -1;
      // t2 is now the constant side
      if ((~t1.mask & t1.value & t2.value) !== 0n) return 1;
      if (((t1.mask | t1.value) & t2.value) === 0n) return 0;
      break;
    }
    case BPF_JGT:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      break;
    case BPF_JSGT:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      break;
    case BPF_JLT:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      break;
    case BPF_JSLT:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      break;
    case BPF_JGE:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      break;
    case BPF_JSGE:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      break;
    case BPF_JLE:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      break;
    case BPF_JSLE:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      break;
    default:
      break;
  }
  return -1;
}

/**
 * mirrors regs_refine_cond_op(): narrow r1 and r2 (in place) to the pairs for which
 * `r1 <op> r2` holds; `op` may be `BPF_JSET | BPF_X` (JSET's negation, see revOpcode()).
 * r1 and r2 may be the same object (`if r1 < r1`), which behaves as in the kernel.
 */
export function regsRefineCondOp(r1: ScalarBounds, r2: ScalarBounds, op: number, is32: boolean): void {
  let reg1 = r1;
  let reg2 = r2;
  let opcode = op;
  // GE/GT/SGE/SGT are LE/LT/SLE/SLT with the operands swapped
  switch (opcode) {
    case BPF_JGE:
    case BPF_JGT:
    case BPF_JSGE:
    case BPF_JSGT:
      opcode = flipOpcode(opcode);
      [reg1, reg2] = [reg2, reg1];
      break;
    default:
      break;
  }

  switch (opcode) {
    case BPF_JEQ:
      if (is32) {
        reg1.u32min = max(reg1.u32min, reg2.u32min);
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg1.s32min = max(reg1.s32min, reg2.s32min);
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.u32min = reg1.u32min;
        reg2.u32max = reg1.u32max;
        reg2.s32min = reg1.s32min;
        reg2.s32max = reg1.s32max;
        const t = tnumIntersect(tnumSubreg(reg1.varOff), tnumSubreg(reg2.varOff));
        reg1.varOff = tnumWithSubreg(reg1.varOff, t);
        reg2.varOff = tnumWithSubreg(reg2.varOff, t);
      } else {
        reg1.umin = max(reg1.umin, reg2.umin);
        reg1.umax = min(reg1.umax, reg2.umax);
        reg1.smin = max(reg1.smin, reg2.smin);
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.umin = reg1.umin;
        reg2.umax = reg1.umax;
        reg2.smin = reg1.smin;
        reg2.smax = reg1.smax;
        reg1.varOff = tnumIntersect(reg1.varOff, reg2.varOff);
        reg2.varOff = { ...reg1.varOff };
      }
      break;
    case BPF_JNE: {
      if (!isConst(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConst(reg2, is32)) break;
      // Only a constant sitting exactly on one of reg1's bounds can move that bound.
      // (The kernel counts on the branch being undecided, so the +1/-1 cannot run past
      // the ends; on a dead branch they wrap as the C types do.)
      const val = constValue(reg2, is32);
      if (is32) {
        if (reg1.u32min === u32(val)) reg1.u32min = u32(reg1.u32min + 1n);
        if (reg1.u32max === u32(val)) reg1.u32max = u32(reg1.u32max - 1n);
        if (reg1.s32min === s32(val)) reg1.s32min = s32(reg1.s32min + 1n);
        if (reg1.s32max === s32(val)) reg1.s32max = s32(reg1.s32max - 1n);
      } else {
        if (reg1.umin === val) reg1.umin = u64(reg1.umin + 1n);
        if (reg1.umax === val) reg1.umax = u64(reg1.umax - 1n);
        if (reg1.smin === s64(val)) reg1.smin = s64(reg1.smin + 1n);
        if (reg1.smax === s64(val)) reg1.smax = s64(reg1.smax - 1n);
      }
      break;
    }
    case BPF_JSET: {
      if (!isConst(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConst(reg2, is32)) break;
      const val = constValue(reg2, is32);
      // Knowing `x & val` is non-zero pins a bit only when val has a single bit.
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (is32) {
        const t = tnumOr(tnumSubreg(reg1.varOff), tnumConst(val));
        reg1.varOff = tnumWithSubreg(reg1.varOff, t);
      } else {
        reg1.varOff = tnumOr(reg1.varOff, tnumConst(val));
      }
      break;
    }
    case BPF_JSET | BPF_X: {
      // `!(x & val)`: every bit of val is clear in x
      if (!isConst(reg2, is32)) [reg1, reg2] = [reg2, reg1];
      if (!isConst(reg2, is32)) break;
      const val = constValue(reg2, is32);
      // the ranges are dropped first so a dead branch cannot break the invariants
      markUnbounded(reg1);
      if (is32) {
        const t = tnumAnd(tnumSubreg(reg1.varOff), tnumConst(~val));
        reg1.varOff = tnumWithSubreg(reg1.varOff, t);
      } else {
        reg1.varOff = tnumAnd(reg1.varOff, tnumConst(~val));
      }
      break;
    }
    case BPF_JLE:
      if (is32) {
        reg1.u32max = min(reg1.u32max, reg2.u32max);
        reg2.u32min = max(reg1.u32min, reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, reg2.umax);
        reg2.umin = max(reg1.umin, reg2.umin);
      }
      break;
    case BPF_JLT:
      // the -1/+1 wrap in the C types when a bound is already at its end (a dead branch)
      if (is32) {
        reg1.u32max = min(reg1.u32max, u32(reg2.u32max - 1n));
        reg2.u32min = max(u32(reg1.u32min + 1n), reg2.u32min);
      } else {
        reg1.umax = min(reg1.umax, u64(reg2.umax - 1n));
        reg2.umin = max(u64(reg1.umin + 1n), reg2.umin);
      }
      break;
    case BPF_JSLE:
      if (is32) {
        reg1.s32max = min(reg1.s32max, reg2.s32max);
        reg2.s32min = max(reg1.s32min, reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, reg2.smax);
        reg2.smin = max(reg1.smin, reg2.smin);
      }
      break;
    case BPF_JSLT:
      if (is32) {
        reg1.s32max = min(reg1.s32max, s32(reg2.s32max - 1n));
        reg2.s32min = max(s32(reg1.s32min + 1n), reg2.s32min);
      } else {
        reg1.smax = min(reg1.smax, s64(reg2.smax - 1n));
        reg2.smin = max(s64(reg1.smin + 1n), reg2.smin);
      }
      break;
    default:
      break;
  }
}

/**
 * mirrors reg_set_min_max() for two scalars: (trueA, trueB) are the operands' copies on the
 * jump side, narrowed for `a <op> b`; (falseA, falseB) the fall-through copies, narrowed for
 * revOpcode(op). The kernel calls this only when isBranchTaken() gave -1.
 *
 * Returns the log lines (joined with "\n") of any reg_bounds_sanity_check() failure, checked
 * in the kernel's order; a register that fails is left unbounded, unless
 * `testRegInvariants`, where the kernel stops at the first failure with -EFAULT.
 */
export function regSetMinMax(
  trueA: ScalarBounds,
  trueB: ScalarBounds,
  falseA: ScalarBounds,
  falseB: ScalarBounds,
  op: number,
  is32: boolean,
  testRegInvariants = false,
): string | undefined {
  regsRefineCondOp(falseA, falseB, revOpcode(op), is32);
  regBoundsSync(falseA);
  regBoundsSync(falseB);

  regsRefineCondOp(trueA, trueB, op, is32);
  regBoundsSync(trueA);
  regBoundsSync(trueB);

  const lines: string[] = [];
  const checks: [ScalarBounds, string][] = [
    [trueA, 'true_reg1'],
    [trueB, 'true_reg2'],
    [falseA, 'false_reg1'],
    [falseB, 'false_reg2'],
  ];
  for (const [reg, ctx] of checks) {
    const line = regBoundsSanityCheck(reg, ctx, testRegInvariants);
    if (line !== undefined) {
      lines.push(line);
      if (testRegInvariants) break;
    }
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}
