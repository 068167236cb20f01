// ALU instructions: check_alu_op(), adjust_reg_min_max_vals() and adjust_ptr_min_max_vals().
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_CLASS,
  BPF_DIV,
  BPF_END,
  BPF_LSH,
  BPF_MOD,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_RSH,
  BPF_SRC,
  BPF_SUB,
  BPF_TO_LE,
  BPF_X,
  BPF_XOR,
} from '@bpfsim/isa';
import type { Env } from './env';
import { fail } from './env';
import type { RegState } from './reg';
import { BPF_ADD_CONST32, BPF_ADD_CONST64, addConstFlags, clearScalarId, cloneReg, isPktPointer, immOperand, immReg, knownReg, regTypeStr, unknownReg } from './reg';
import { S64_MAX, S64_MIN, U64_MAX, asIntN, big } from './scalar/int';
import {
  coerceRegToSizeSx,
  forkableMinusOneOrZero,
  markKnown32,
  coerceSubregToSizeSx,
  mark32Unbounded,
  regBoundsSync,
  scalarAlu,
  tnumAdd,
  tnumIsConst,
  tnumSub,
  zext32To64,
} from './scalar';
import { checkRegArg, isPointerValue, markRegUnknown } from './regs';
import { markChainPrecision } from './precision';

/** bpf_alu_string[] */
const ALU_STR: Record<number, string> = {
  [BPF_ADD]: '+=', [BPF_SUB]: '-=', 0x20: '*=', [BPF_DIV]: '/=', [BPF_OR]: '|=', [BPF_AND]: '&=', [BPF_LSH]: '<<=',
  [BPF_RSH]: '>>=', [BPF_NEG]: 'neg', [BPF_MOD]: '%=', [BPF_XOR]: '^=', [BPF_MOV]: '=', [BPF_ARSH]: 's>>=', [BPF_END]: 'endian',
};

/** Largest offset a pointer may be moved by (BPF_MAX_VAR_OFF). */
export const BPF_MAX_VAR_OFF = 1 << 29;
/** Largest size a variable offset may span (BPF_MAX_VAR_SIZ). */
export const BPF_MAX_VAR_SIZ = 1 << 29;


/** check_alu_op() */
export function checkAluOp(env: Env, insn: Insn): void {
  const regs = env.regs;
  const op = BPF_OP(insn.code);
  const cls = BPF_CLASS(insn.code);
  const x = BPF_SRC(insn.code) === BPF_X;
  if (op === BPF_END || op === BPF_NEG) {
    if (op === BPF_NEG) {
      if (x || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) fail('EINVAL', 'BPF_NEG uses reserved fields');
    } else if (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) || (cls === BPF_ALU64 && BPF_SRC(insn.code) !== BPF_TO_LE)) {
      fail('EINVAL', 'BPF_END uses reserved fields');
    }
    checkRegArg(env, insn.dst, 'src');
    if (isPointerValue(env, regs[insn.dst]!)) fail('EACCES', `R${insn.dst} pointer arithmetic prohibited`);
    if ((op === BPF_NEG || op === BPF_END) && regs[insn.dst]!.type === 'SCALAR_VALUE') {
      checkRegArg(env, insn.dst, 'dst_no_mark');
      const d = regs[insn.dst]!;
      const end = op === BPF_END ? { toLe: BPF_SRC(insn.code) === BPF_TO_LE, imm: insn.imm as 16 | 32 | 64 } : undefined;
      // A swap or truncation (scalar_byte_swap) and a negation (which starts from
      // __mark_reg_known(dst, 0)) break the register's links; le64 is a no-op and keeps them.
      if (!end || cls === BPF_ALU64 || !end.toLe || end.imm !== 64) clearScalarId(d);
      const why = scalarAlu(d, d, op, cls === BPF_ALU, 0, undefined, end);
      if (why) fail('EINVAL', why);
    } else {
      checkRegArg(env, insn.dst, 'dst');
    }
    return;
  }

  if (op === BPF_MOV) {
    if (x) {
      if (cls === BPF_ALU) {
        if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm) fail('EINVAL', 'BPF_MOV uses reserved fields');
      } else if (insn.off === 1) {
        if (insn.imm !== 1 && insn.imm !== 1 << 16) fail('EINVAL', 'addr_space_cast insn can only convert between address space 1 and 0');
        fail('EINVAL', 'addr_space_cast insn can only be used in a program that has an associated arena');
      } else if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16 && insn.off !== 32) || insn.imm) {
        fail('EINVAL', 'BPF_MOV uses reserved fields');
      }
      checkRegArg(env, insn.src, 'src');
    } else if (insn.src !== 0 || insn.off !== 0) {
      fail('EINVAL', 'BPF_MOV uses reserved fields');
    }
    checkRegArg(env, insn.dst, 'dst_no_mark');
    if (x) {
      const src = regs[insn.src]!;
      if (cls === BPF_ALU64) {
        if (insn.off === 0) {
          assignScalarId(env, src);
          regs[insn.dst] = cloneReg(src);
        } else {
          if (isPointerValue(env, src)) fail('EACCES', `R${insn.src} sign-extension part of pointer`);
          if (src.type !== 'SCALAR_VALUE') {
            markRegUnknown(env, insn.dst);
            return;
          }
          const noSext = src.umax < 1n << big(insn.off - 1);
          if (noSext) assignScalarId(env, src);
          const d = cloneReg(src);
          if (!noSext) clearScalarId(d);
          coerceRegToSizeSx(d, insn.off >> 3);
          regs[insn.dst] = d;
        }
      } else {
        if (isPointerValue(env, src)) fail('EACCES', `R${insn.src} partial copy of pointer`);
        let d: RegState;
        if (src.type !== 'SCALAR_VALUE') {
          d = unknownReg();
        } else if (insn.off === 0) {
          const fits = src.umax <= 0xffffffffn;
          if (fits) assignScalarId(env, src);
          d = cloneReg(src);
          if (!fits) clearScalarId(d);
        } else {
          const noSext = src.umax < 1n << big(insn.off - 1);
          if (noSext) assignScalarId(env, src);
          d = cloneReg(src);
          if (!noSext) clearScalarId(d);
          coerceSubregToSizeSx(d, insn.off >> 3);
        }
        zext32To64(d);
        regBoundsSync(d);
        regs[insn.dst] = d;
      }
    } else {
      // r = imm: a known constant (sign-extended for ALU64, zero-extended for ALU).
      regs[insn.dst] = immReg(cls === BPF_ALU64 ? insn.imm : insn.imm >>> 0);
    }
    return;
  }

  if (op > BPF_END) fail('EINVAL', `invalid BPF_ALU opcode ${op.toString(16)}`);

  // All other ALU ops.
  const offOk = insn.off === 0 || (insn.off === 1 && (op === BPF_MOD || op === BPF_DIV));
  if (x) {
    if (insn.imm !== 0 || !offOk) fail('EINVAL', 'BPF_ALU uses reserved fields');
    checkRegArg(env, insn.src, 'src');
  } else if (insn.src !== 0 || !offOk) {
    fail('EINVAL', 'BPF_ALU uses reserved fields');
  }
  checkRegArg(env, insn.dst, 'src');
  if ((op === BPF_MOD || op === BPF_DIV) && !x && insn.imm === 0) fail('EINVAL', 'div by zero');
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && !x) {
    const size = cls === BPF_ALU64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= size) fail('EINVAL', `invalid shift ${insn.imm}`);
  }
  checkRegArg(env, insn.dst, 'dst_no_mark');
  adjustRegMinMaxVals(env, insn);
}

/** assign_scalar_id_before_mov(): give a scalar an id so copies refine together. */
export function assignScalarId(env: Env, src: RegState): void {
  if (src.type !== 'SCALAR_VALUE') return;
  // rY already is "rX + const": a second link is not tracked.
  if (addConstFlags(src.id)) clearScalarId(src);
  if (!src.id && !tnumIsConst(src.varOff)) src.id = env.newId();
}

/** adjust_reg_min_max_vals() */
function adjustRegMinMaxVals(env: Env, insn: Insn): void {
  const regs = env.regs;
  const op = BPF_OP(insn.code);
  const alu32 = BPF_CLASS(insn.code) !== BPF_ALU64;
  const dst = regs[insn.dst]!;
  let src: RegState;
  if (BPF_SRC(insn.code) === BPF_X) {
    src = regs[insn.src]!;
    if (src.type !== 'SCALAR_VALUE') {
      if (dst.type !== 'SCALAR_VALUE') {
        if (op === BPF_SUB && env.privileged) {
          markRegUnknown(env, insn.dst);
          return;
        }
        fail('EACCES', `R${insn.dst} pointer ${ALU_STR[op]} pointer prohibited`);
      }
      // scalar += pointer
      markChainPrecision(env, insn.dst);
      adjustPtrMinMaxVals(env, insn, src, dst);
      return;
    }
    if (dst.type !== 'SCALAR_VALUE') {
      markChainPrecision(env, insn.src);
      adjustPtrMinMaxVals(env, insn, dst, src);
      return;
    }
    // If dst is precise, src should be precise as well.
    if (dst.precise) markChainPrecision(env, insn.src);
  } else {
    src = immOperand(insn.imm) as RegState;
    if (dst.type !== 'SCALAR_VALUE') {
      adjustPtrMinMaxVals(env, insn, dst, src);
      return;
    }
  }
  // A copy only when src is dst (maybe_fork_scalars() may change dst); scalarAlu() copies
  // the operand's bounds itself.
  const srcCopy = src === dst ? cloneReg(src) : src;
  if ((op === BPF_AND || op === BPF_OR) && tnumIsConst(src.varOff)) maybeForkScalars(env, insn, dst);
  // alu32 links need dst's range before the operation zero-extends it.
  const dstUmax = dst.umax;
  const why = scalarAlu(dst, srcCopy, op, alu32, insn.off);
  if (why) fail('EINVAL', why);
  linkAddConst(env, insn, dst, src, alu32, dstUmax);
}

/** maybe_fork_scalars(): a scalar known to be -1 or 0 (a typical mask) is split into two
 * paths, one per value, so `mask & x` keeps full precision; the 0 path re-runs this
 * instruction later. */
function maybeForkScalars(env: Env, insn: Insn, dst: RegState): void {
  const kind = forkableMinusOneOrZero(dst);
  if (!kind) return;
  const branch = env.pushBranch(env.insnIdx, env.insnIdx);
  const other = branch.frames[branch.curframe]!.regs[insn.dst]!;
  if (kind === 'alu32') {
    markKnown32(other, 0n);
    markKnown32(dst, U64_MAX);
  } else {
    branch.frames[branch.curframe]!.regs[insn.dst] = { ...knownReg(0n), type: 'SCALAR_VALUE' };
    const minusOne = knownReg(U64_MAX);
    Object.assign(dst, { ...minusOne, id: 0, refObjId: 0 });
  }
}

/** The tail of adjust_reg_min_max_vals(): `r1 = r2; r1 += 4` keeps r1 linked to r2 with
 * off 4 (BPF_ADD_CONST), so a later bound on either refines the other; any other
 * operation breaks the link. */
function linkAddConst(env: Env, insn: Insn, dst: RegState, src: RegState, alu32: boolean, dstUmax: bigint): void {
  const op = BPF_OP(insn.code);
  const clear = (): void => clearScalarId(dst);
  const srcConst = alu32 ? tnumIsConst({ value: src.varOff.value & 0xffffffffn, mask: src.varOff.mask & 0xffffffffn }) : tnumIsConst(src.varOff);
  // Any other operation takes the register out of its set, delta and all.
  if (!(env.privileged && (op === BPF_ADD || op === BPF_SUB) && dst.id && srcConst && !(BPF_SRC(insn.code) === BPF_X && insn.src === insn.dst))) return clear();
  const val = alu32 ? src.varOff.value & 0xffffffffn : src.varOff.value;
  if (!alu32 && (asIntN(64, val) < -(1n << 31n) || asIntN(64, val) > (1n << 31n) - 1n)) return clear();
  if (alu32 && dstUmax > 0xffffffffn) return clear();
  let off = Number(asIntN(32, val));
  if (op === BPF_SUB) {
    if (off === -0x80000000) return clear();
    off = -off;
  }
  if (addConstFlags(dst.id)) return clear();
  dst.id = (dst.id | (alu32 ? BPF_ADD_CONST32 : BPF_ADD_CONST64)) >>> 0;
  dst.off = off;
}

/** check_reg_sane_offset() */
function checkRegSaneOffset(reg: RegState, type: string): void {
  const known = tnumIsConst(reg.varOff);
  const val = reg.varOff.value;
  const smin = reg.smin;
  const max = big(BPF_MAX_VAR_OFF);
  if (known && (asIntN(64, val) >= max || asIntN(64, val) <= -max)) fail('EINVAL', `math between ${type} pointer and ${asIntN(64, val)} is not allowed`);
  // (A scalar's off is its delta in a linked set, not an offset: 6.18.44 checks pointers'.)
  if (reg.type !== 'SCALAR_VALUE' && (reg.off >= BPF_MAX_VAR_OFF || reg.off <= -BPF_MAX_VAR_OFF)) fail('EINVAL', `${type} pointer offset ${reg.off} is not allowed`);
  if (smin === S64_MIN) fail('EINVAL', `math between ${type} pointer and register with unbounded min value is not allowed`);
  if (smin >= max || smin <= -max) fail('EINVAL', `value ${smin} makes ${type} pointer be out of bounds`);
}

/** adjust_ptr_min_max_vals(): pointer +/- scalar. */
function adjustPtrMinMaxVals(env: Env, insn: Insn, ptr: RegState, offReg: RegState): void {
  const regs = env.regs;
  const dstNo = insn.dst;
  const op = BPF_OP(insn.code);
  const known = tnumIsConst(offReg.varOff);
  const { smin: sminVal, smax: smaxVal, umin: uminVal, umax: umaxVal } = offReg;
  const { smin: sminPtr, smax: smaxPtr, umin: uminPtr, umax: umaxPtr } = ptr;
  if ((known && (sminVal !== smaxVal || uminVal !== umaxVal)) || sminVal > smaxVal || uminVal > umaxVal) {
    markRegUnknown(env, dstNo);
    return;
  }
  if (BPF_CLASS(insn.code) !== BPF_ALU64) {
    if (op === BPF_SUB && env.privileged) {
      markRegUnknown(env, dstNo);
      return;
    }
    fail('EACCES', `R${dstNo} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull) fail('EACCES', `R${dstNo} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  switch (ptr.type) {
    case 'PTR_TO_CTX':
    case 'PTR_TO_MAP_VALUE':
    case 'PTR_TO_MAP_KEY':
    case 'PTR_TO_STACK':
    case 'PTR_TO_PACKET_META':
    case 'PTR_TO_PACKET':
    case 'PTR_TO_MEM':
    case 'PTR_TO_FUNC':
    case 'PTR_TO_BTF_ID':
      break;
    default:
      // CONST_PTR_TO_MAP may only be moved by a known zero (a no-op).
      if (ptr.type === 'CONST_PTR_TO_MAP' && known && sminVal === 0n && op === BPF_ADD) break;
      fail('EACCES', `R${dstNo} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
  }
  const d = cloneReg(ptr);
  d.type = ptr.type;
  d.id = ptr.id;
  checkRegSaneOffset(offReg, regTypeStr(ptr));
  checkRegSaneOffset(ptr, regTypeStr(ptr));
  mark32Unbounded(d);
  const s64 = (v: bigint): boolean => v >= S64_MIN && v <= S64_MAX;
  const s32 = (v: number): boolean => v >= -0x80000000 && v <= 0x7fffffff;
  switch (op) {
    case BPF_ADD:
      if (known && s32(ptr.off + Number(sminVal))) {
        d.smin = sminPtr;
        d.smax = smaxPtr;
        d.umin = uminPtr;
        d.umax = umaxPtr;
        d.varOff = { ...ptr.varOff };
        d.off = ptr.off + Number(sminVal);
        break;
      }
      // A new variable offset.
      d.smin = sminPtr + sminVal;
      d.smax = smaxPtr + smaxVal;
      if (!s64(d.smin) || !s64(d.smax)) {
        d.smin = S64_MIN;
        d.smax = S64_MAX;
      }
      d.umin = uminPtr + uminVal;
      d.umax = umaxPtr + umaxVal;
      if (d.umin > U64_MAX || d.umax > U64_MAX) {
        d.umin = 0n;
        d.umax = U64_MAX;
      }
      d.varOff = tnumAdd(ptr.varOff, offReg.varOff);
      d.off = ptr.off;
      if (isPktPointer(ptr)) {
        d.id = env.newId();
        d.range = 0;
      }
      break;
    case BPF_SUB:
      if (offReg === regs[dstNo]) fail('EACCES', `R${dstNo} tried to subtract pointer from scalar`);
      if (ptr.type === 'PTR_TO_STACK') fail('EACCES', `R${dstNo} subtraction from stack pointer prohibited`);
      if (known && s32(ptr.off - Number(sminVal))) {
        d.smin = sminPtr;
        d.smax = smaxPtr;
        d.umin = uminPtr;
        d.umax = umaxPtr;
        d.varOff = { ...ptr.varOff };
        d.id = ptr.id;
        d.off = ptr.off - Number(sminVal);
        break;
      }
      d.smin = sminPtr - smaxVal;
      d.smax = smaxPtr - sminVal;
      if (!s64(d.smin) || !s64(d.smax)) {
        d.smin = S64_MIN;
        d.smax = S64_MAX;
      }
      if (uminPtr < umaxVal) {
        d.umin = 0n;
        d.umax = U64_MAX;
      } else {
        d.umin = uminPtr - umaxVal;
        d.umax = umaxPtr - uminVal;
      }
      d.varOff = tnumSub(ptr.varOff, offReg.varOff);
      d.off = ptr.off;
      if (isPktPointer(ptr)) {
        d.id = env.newId();
        if (sminVal < 0n) d.range = 0;
      }
      break;
    case BPF_AND:
    case BPF_OR:
    case BPF_XOR:
      fail('EACCES', `R${dstNo} bitwise operator ${ALU_STR[op]} on pointer prohibited`);
      break;
    default:
      fail('EACCES', `R${dstNo} pointer arithmetic with ${ALU_STR[op]} operator prohibited`);
  }
  checkRegSaneOffset(d, regTypeStr(ptr));
  regBoundsSync(d);
  regs[dstNo] = d;
}
