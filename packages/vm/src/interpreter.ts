// The reference engine: one instruction at a time, every rule spelled out, as the kernel's
// ___bpf_prog_run (kernel/bpf/core.c) does. Registers are (lo, hi) int32 pairs; each
// bpf-to-bpf call gets a register file and a stack frame of its own.
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_H,
  BPF_JA,
  BPF_JCOND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_LSH,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_RSH,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_SUB,
  BPF_TO_BE,
  BPF_W,
  BPF_X,
  BPF_XOR,
  LD_IMM64,
  bpfSizeBytes,
} from '@bpfsim/isa';
import type { ExecContext } from './context';
import { BPF_MAX_LOOPS, FP_LO, MAX_CALL_FRAMES } from './context';
import { budgetFault, callDepthFault, helperFault, invalidFault } from './fault';
import {
  OUT,
  bswap16,
  bswap32,
  mul64,
  sar64,
  sdiv32,
  sdiv64,
  shl64,
  shr64,
  smod32,
  smod64,
  udiv32,
  udiv64,
  umod32,
  umod64,
} from './int64';
import { memAtomic, memLoad, memStore } from './mem-access';
import type { PreparedProgram } from './program';
import { BPF_FUNC_tail_call, jumpTarget } from './program';
import type { Runnable } from './runnable';

const TWO32 = 4294967296;

/** The loaded value or an atomic's old value (lo, hi), from mem-access.ts. */
const tmp = new Int32Array(2);

/**
 * Runs the subprogram starting at `entry` with r1..r5 from `args` (lo, hi pairs) at the
 * current depth. Returns r0's low word; its high word is left in C.rh.
 */
export function interpret(P: PreparedProgram, C: ExecContext, entry: number, args: Int32Array): number {
  const insns = P.insns;
  const cost = P.blockCost;
  // This depth's register file: r[2k] = lo, r[2k + 1] = hi of register k.
  const r = C.regs[C.depth]!;
  r.fill(0);
  r.set(args.subarray(0, 10), 2);
  r[20] = FP_LO;
  r[21] = C.fh[C.depth]!;
  let mayGoto = BPF_MAX_LOOPS;
  let pc = entry;
  // A debugger's tracer (trace.ts); untraced runs pay this one check per instruction.
  const tracer = C.tracer;

  for (;;) {
    if (tracer !== undefined) tracer.insn(pc, C.depth, r, C);
    const blockCost = cost[pc]!;
    if (blockCost !== 0) {
      C.b -= blockCost;
      if (C.b < 0) throw budgetFault(pc, C.budgetLimit);
    }
    const ins = insns[pc]!;
    const code = ins.code;
    const cls = BPF_CLASS(code);
    const d = ins.dst * 2;
    const s = ins.src * 2;
    const imm = ins.imm;
    const off = ins.off;

    if (cls === BPF_ALU64 || cls === BPF_ALU) {
      const op = BPF_OP(code);
      const x = BPF_SRC(code) === BPF_X;
      // Source operand: a register, or the immediate sign-extended to 64 bits.
      const bl = x ? r[s]! : imm;
      const bh = x ? r[s + 1]! : imm >> 31;
      const al = r[d]!;
      const ah = r[d + 1]!;
      if (cls === BPF_ALU64) {
        switch (op) {
          case BPF_ADD: {
            const t = (al >>> 0) + (bl >>> 0);
            r[d] = t | 0;
            r[d + 1] = (ah + bh + (t >= TWO32 ? 1 : 0)) | 0;
            break;
          }
          case BPF_SUB: {
            r[d] = (al - bl) | 0;
            r[d + 1] = (ah - bh - (al >>> 0 < bl >>> 0 ? 1 : 0)) | 0;
            break;
          }
          case BPF_MUL:
            mul64(ah, al, bh, bl);
            r[d] = OUT[0]!;
            r[d + 1] = OUT[1]!;
            break;
          case BPF_DIV:
            if (off === 1) sdiv64(ah, al, bh, bl);
            else udiv64(ah, al, bh, bl);
            r[d] = OUT[0]!;
            r[d + 1] = OUT[1]!;
            break;
          case BPF_MOD:
            if (off === 1) smod64(ah, al, bh, bl);
            else umod64(ah, al, bh, bl);
            r[d] = OUT[0]!;
            r[d + 1] = OUT[1]!;
            break;
          case BPF_OR:
            r[d] = al | bl;
            r[d + 1] = ah | bh;
            break;
          case BPF_AND:
            r[d] = al & bl;
            r[d + 1] = ah & bh;
            break;
          case BPF_XOR:
            r[d] = al ^ bl;
            r[d + 1] = ah ^ bh;
            break;
          case BPF_LSH:
          case BPF_RSH:
          case BPF_ARSH: {
            const n = bl & 63; // shifts by register are masked; immediates the verifier bounds
            if (op === BPF_LSH) shl64(ah, al, n);
            else if (op === BPF_RSH) shr64(ah, al, n);
            else sar64(ah, al, n);
            r[d] = OUT[0]!;
            r[d + 1] = OUT[1]!;
            break;
          }
          case BPF_NEG:
            r[d] = -al | 0;
            r[d + 1] = (~ah + (al === 0 ? 1 : 0)) | 0;
            break;
          case BPF_MOV:
            if (!x || off === 0 || off === 1) {
              // (off 1 is addr_space_cast between arena and kernel addresses: a plain move here)
              r[d] = bl;
              r[d + 1] = bh;
            } else if (off === 32) {
              r[d] = bl;
              r[d + 1] = bl >> 31;
            } else {
              const v = off === 8 ? (bl << 24) >> 24 : (bl << 16) >> 16;
              r[d] = v;
              r[d + 1] = v >> 31;
            }
            break;
          case BPF_END: // bswap16/32/64: unconditional byte swap
            if (imm === 16) {
              r[d] = bswap16(al);
              r[d + 1] = 0;
            } else if (imm === 32) {
              r[d] = bswap32(al);
              r[d + 1] = 0;
            } else {
              r[d] = bswap32(ah);
              r[d + 1] = bswap32(al);
            }
            break;
          default:
            throw invalidFault(pc, `unknown ALU64 op ${op}`);
        }
      } else {
        // 32-bit: operate on the low words; the result is zero-extended.
        let v: number;
        switch (op) {
          case BPF_ADD:
            v = (al + bl) | 0;
            break;
          case BPF_SUB:
            v = (al - bl) | 0;
            break;
          case BPF_MUL:
            v = Math.imul(al, bl);
            break;
          case BPF_DIV:
            v = off === 1 ? sdiv32(al, bl) : udiv32(al, bl);
            break;
          case BPF_MOD:
            v = off === 1 ? smod32(al, bl) : umod32(al, bl);
            break;
          case BPF_OR:
            v = al | bl;
            break;
          case BPF_AND:
            v = al & bl;
            break;
          case BPF_XOR:
            v = al ^ bl;
            break;
          case BPF_LSH:
            v = al << (bl & 31);
            break;
          case BPF_RSH:
            v = al >>> (bl & 31);
            break;
          case BPF_ARSH:
            v = al >> (bl & 31);
            break;
          case BPF_NEG:
            v = -al | 0;
            break;
          case BPF_MOV:
            v = !x || off === 0 ? bl : off === 8 ? (bl << 24) >> 24 : (bl << 16) >> 16;
            break;
          case BPF_END:
            if (BPF_SRC(code) === BPF_TO_BE) {
              if (imm === 16) v = bswap16(al);
              else if (imm === 32) v = bswap32(al);
              else {
                const lo = al;
                r[d] = bswap32(ah);
                r[d + 1] = bswap32(lo);
                pc++;
                continue;
              }
            } else {
              // to_le on a little-endian machine: truncation only
              if (imm === 16) v = al & 0xffff;
              else if (imm === 32) v = al;
              else {
                pc++;
                continue;
              }
            }
            break;
          default:
            throw invalidFault(pc, `unknown ALU op ${op}`);
        }
        r[d] = v;
        r[d + 1] = 0;
      }
      pc++;
      continue;
    }

    if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = BPF_OP(code);
      if (op === BPF_JA) {
        pc = jumpTarget(ins, pc);
        continue;
      }
      if (op === BPF_EXIT) {
        C.rh = r[1]!;
        return r[0]!;
      }
      if (op === BPF_CALL) {
        C.pc = pc;
        if (ins.src === BPF_PSEUDO_CALL) {
          if (C.depth + 1 >= MAX_CALL_FRAMES) throw callDepthFault(pc, MAX_CALL_FRAMES);
          C.depth++;
          const lo = interpret(P, C, pc + 1 + imm, r.subarray(2, 12));
          C.depth--;
          r[0] = lo;
          r[1] = C.rh;
        } else if (ins.src === 0 && imm === BPF_FUNC_tail_call) {
          const target = C.tailCall(r[5]!, r[4]!, r[6]!) as Runnable | undefined;
          if (target) {
            // The target replaces this program in the current frame; its r0 is our result.
            const a = new Int32Array(10);
            a[0] = r[2]!;
            a[1] = r[3]!;
            if (tracer === undefined) return target.enter(C, a);
            // Traced: the target runs here too (it may be JIT-compiled), so each of its
            // instructions is seen, after the tracer learns whose pcs they are.
            tracer.tailCall?.(target.prepared, C);
            return interpret(target.prepared, C, 0, a);
          }
          r[0] = -22; // -EINVAL: the call fell through
          r[1] = -1;
        } else if (ins.src === 0) {
          const h = C.helpers[imm];
          if (h === undefined) throw helperFault(pc, imm);
          C.args.set(r.subarray(2, 12));
          h(C);
          r[0] = C.retLo;
          r[1] = C.retHi;
        } else {
          throw invalidFault(pc, `kfunc calls are not supported (kfunc ${imm})`);
        }
        pc++;
        continue;
      }
      if (op === BPF_JCOND) {
        // may_goto: taken once the frame's loop allowance is used up.
        if (mayGoto === 0) pc = jumpTarget(ins, pc);
        else {
          mayGoto--;
          pc++;
        }
        continue;
      }
      const x = BPF_SRC(code) === BPF_X;
      let taken: boolean;
      if (cls === BPF_JMP) {
        const al = r[d]!;
        const ah = r[d + 1]!;
        const bl = x ? r[s]! : imm;
        const bh = x ? r[s + 1]! : imm >> 31;
        const eq = ah === bh && al === bl;
        const ltU = ah === bh ? al >>> 0 < bl >>> 0 : ah >>> 0 < bh >>> 0;
        const ltS = ah === bh ? al >>> 0 < bl >>> 0 : ah < bh;
        switch (op) {
          case BPF_JEQ:
            taken = eq;
            break;
          case BPF_JNE:
            taken = !eq;
            break;
          case BPF_JGT:
            taken = !ltU && !eq;
            break;
          case BPF_JGE:
            taken = !ltU;
            break;
          case BPF_JLT:
            taken = ltU;
            break;
          case BPF_JLE:
            taken = ltU || eq;
            break;
          case BPF_JSGT:
            taken = !ltS && !eq;
            break;
          case BPF_JSGE:
            taken = !ltS;
            break;
          case BPF_JSLT:
            taken = ltS;
            break;
          case BPF_JSLE:
            taken = ltS || eq;
            break;
          case BPF_JSET:
            taken = (al & bl) !== 0 || (ah & bh) !== 0;
            break;
          default:
            throw invalidFault(pc, `unknown jump op ${op}`);
        }
      } else {
        const a = r[d]!;
        const b = x ? r[s]! : imm;
        switch (op) {
          case BPF_JEQ:
            taken = a === b;
            break;
          case BPF_JNE:
            taken = a !== b;
            break;
          case BPF_JGT:
            taken = a >>> 0 > b >>> 0;
            break;
          case BPF_JGE:
            taken = a >>> 0 >= b >>> 0;
            break;
          case BPF_JLT:
            taken = a >>> 0 < b >>> 0;
            break;
          case BPF_JLE:
            taken = a >>> 0 <= b >>> 0;
            break;
          case BPF_JSGT:
            taken = a > b;
            break;
          case BPF_JSGE:
            taken = a >= b;
            break;
          case BPF_JSLT:
            taken = a < b;
            break;
          case BPF_JSLE:
            taken = a <= b;
            break;
          case BPF_JSET:
            taken = (a & b) !== 0;
            break;
          default:
            throw invalidFault(pc, `unknown jump op ${op}`);
        }
      }
      pc = taken ? pc + 1 + off : pc + 1;
      continue;
    }

    if (cls === BPF_LDX) {
      const size = bpfSizeBytes(BPF_SIZE(code));
      memLoad(C, pc, r[s + 1]!, r[s]!, off, size, tmp);
      if (BPF_MODE(code) === BPF_MEMSX) {
        const v = size === 1 ? (tmp[0]! << 24) >> 24 : size === 2 ? (tmp[0]! << 16) >> 16 : tmp[0]!;
        r[d] = v;
        r[d + 1] = v >> 31;
      } else {
        r[d] = tmp[0]!;
        r[d + 1] = tmp[1]!;
      }
      pc++;
      continue;
    }

    if (cls === BPF_ST) {
      const size = bpfSizeBytes(BPF_SIZE(code));
      memStore(C, pc, r[d + 1]!, r[d]!, off, size, imm, imm >> 31);
      pc++;
      continue;
    }

    if (cls === BPF_STX) {
      const size = bpfSizeBytes(BPF_SIZE(code));
      if (BPF_MODE(code) !== BPF_ATOMIC) {
        memStore(C, pc, r[d + 1]!, r[d]!, off, size, r[s]!, r[s + 1]!);
        pc++;
        continue;
      }
      if (imm === BPF_LOAD_ACQ) {
        memLoad(C, pc, r[s + 1]!, r[s]!, off, size, tmp);
        r[d] = tmp[0]!;
        r[d + 1] = tmp[1]!;
        pc++;
        continue;
      }
      if (imm === BPF_STORE_REL) {
        memStore(C, pc, r[d + 1]!, r[d]!, off, size, r[s]!, r[s + 1]!);
        pc++;
        continue;
      }
      // Read-modify-write on plain memory; the old value comes back in tmp.
      const wide = size === 8;
      memAtomic(C, pc, imm, size, r[d + 1]!, r[d]!, off, r[s]!, wide ? r[s + 1]! : 0, r[0]!, wide ? r[1]! : 0, tmp);
      if (imm === BPF_CMPXCHG) {
        // r0 is compared with memory; memory takes src on a match; r0 gets the old value.
        r[0] = tmp[0]!;
        r[1] = tmp[1]!;
      } else if (imm & BPF_FETCH) {
        // The old value, zero-extended for 32-bit operations.
        r[s] = tmp[0]!;
        r[s + 1] = tmp[1]!;
      }
      pc++;
      continue;
    }

    if (code === LD_IMM64) {
      if (ins.src === BPF_PSEUDO_FUNC) {
        // A callback's address: its entry slot (callbacks arrive with the kernel's helpers).
        r[d] = pc + 1 + imm;
        r[d + 1] = 0;
      } else if (ins.src === 0) {
        r[d] = imm;
        r[d + 1] = insns[pc + 1]!.imm;
      } else throw invalidFault(pc, `ld_imm64 pseudo source ${ins.src} must be resolved by the loader before the program runs`);
      pc += 2;
      continue;
    }

    if (cls === BPF_LD) {
      // LD_ABS / LD_IND: r0 = ntoh(packet[imm (+ src)])
      const size = BPF_SIZE(code) === BPF_W ? 4 : BPF_SIZE(code) === BPF_H ? 2 : BPF_SIZE(code) === BPF_B ? 1 : 8;
      const o = BPF_MODE(code) === BPF_ABS ? imm : (r[s]! + imm) | 0;
      C.pc = pc;
      r[0] = C.ldAbs(o, size);
      r[1] = 0;
      pc++;
      continue;
    }

    throw invalidFault(pc, `unknown opcode 0x${code.toString(16)}`);
  }
}

