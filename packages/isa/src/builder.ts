// A typed builder for programs written in TypeScript. The free functions are the kernel's
// instruction macros of include/linux/filter.h under the same names, so programs from the
// kernel selftests port line by line; ProgramBuilder adds labels for jumps and calls.
import { helperId } from './helpers';
import type { Insn } from './insn';
import { ldImm64 } from './insn';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_END,
  BPF_EXIT,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STX,
  BPF_TO_LE,
  BPF_X,
} from './opcodes';

export const BPF_RAW_INSN = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

export const BPF_ALU64_REG = (op: number, dst: number, src: number): Insn => BPF_RAW_INSN(BPF_ALU64 | op | BPF_X, dst, src, 0, 0);
export const BPF_ALU32_REG = (op: number, dst: number, src: number): Insn => BPF_RAW_INSN(BPF_ALU | op | BPF_X, dst, src, 0, 0);
export const BPF_ALU64_IMM = (op: number, dst: number, imm: number): Insn => BPF_RAW_INSN(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
export const BPF_ALU32_IMM = (op: number, dst: number, imm: number): Insn => BPF_RAW_INSN(BPF_ALU | op | BPF_K, dst, 0, 0, imm);
/** The signed division/modulo forms (off = 1). */
export const BPF_ALU64_REG_OFF = (op: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU64 | op | BPF_X, dst, src, off, 0);
export const BPF_ALU32_REG_OFF = (op: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU | op | BPF_X, dst, src, off, 0);
export const BPF_ALU64_IMM_OFF = (op: number, dst: number, imm: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU64 | op | BPF_K, dst, 0, off, imm);
export const BPF_ALU32_IMM_OFF = (op: number, dst: number, imm: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU | op | BPF_K, dst, 0, off, imm);

/** `type` is BPF_TO_LE or BPF_TO_BE; `len` 16, 32 or 64. */
export const BPF_ENDIAN = (type: number, dst: number, len: number): Insn => BPF_RAW_INSN(BPF_ALU | BPF_END | type, dst, 0, 0, len);
export const BPF_BSWAP = (dst: number, len: number): Insn => BPF_RAW_INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, dst, 0, 0, len);

export const BPF_MOV64_REG = (dst: number, src: number): Insn => BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
export const BPF_MOV32_REG = (dst: number, src: number): Insn => BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0);
export const BPF_MOV64_IMM = (dst: number, imm: number): Insn => BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);
export const BPF_MOV32_IMM = (dst: number, imm: number): Insn => BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, imm);
/** Sign-extending moves; `off` is the source width in bits (8, 16, or 32 for 64-bit). */
export const BPF_MOVSX64_REG = (dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, off, 0);
export const BPF_MOVSX32_REG = (dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_ALU | BPF_MOV | BPF_X, dst, src, off, 0);

/** Two slots. */
export const BPF_LD_IMM64 = (dst: number, imm: bigint | number): Insn[] => ldImm64(dst, BigInt(imm));
export const BPF_LD_IMM64_RAW = (dst: number, src: number, imm: bigint | number): Insn[] => ldImm64(dst, BigInt(imm), src);
export const BPF_LD_MAP_FD = (dst: number, fd: number): Insn[] => ldImm64(dst, BigInt(fd), BPF_PSEUDO_MAP_FD);
export const BPF_LD_MAP_VALUE = (dst: number, fd: number, valueOff: number): Insn[] =>
  ldImm64(dst, (BigInt(valueOff >>> 0) << 32n) | BigInt(fd >>> 0), BPF_PSEUDO_MAP_VALUE);

export const BPF_LD_ABS = (size: number, imm: number): Insn => BPF_RAW_INSN(BPF_LD | size | BPF_ABS, 0, 0, 0, imm);
export const BPF_LD_IND = (size: number, src: number, imm: number): Insn => BPF_RAW_INSN(BPF_LD | size | BPF_IND, 0, src, 0, imm);

export const BPF_LDX_MEM = (size: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
export const BPF_LDX_MEMSX = (size: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_LDX | size | BPF_MEMSX, dst, src, off, 0);
export const BPF_STX_MEM = (size: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_STX | size | BPF_MEM, dst, src, off, 0);
export const BPF_ST_MEM = (size: number, dst: number, off: number, imm: number): Insn => BPF_RAW_INSN(BPF_ST | size | BPF_MEM, dst, 0, off, imm);
/** `op` is an atomic operation (BPF_ADD, BPF_ADD | BPF_FETCH, BPF_XCHG, BPF_CMPXCHG, …). */
export const BPF_ATOMIC_OP = (size: number, op: number, dst: number, src: number, off: number): Insn =>
  BPF_RAW_INSN(BPF_STX | size | BPF_ATOMIC, dst, src, off, op);

export const BPF_JMP_REG = (op: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_JMP | op | BPF_X, dst, src, off, 0);
export const BPF_JMP_IMM = (op: number, dst: number, imm: number, off: number): Insn => BPF_RAW_INSN(BPF_JMP | op | BPF_K, dst, 0, off, imm);
export const BPF_JMP32_REG = (op: number, dst: number, src: number, off: number): Insn => BPF_RAW_INSN(BPF_JMP32 | op | BPF_X, dst, src, off, 0);
export const BPF_JMP32_IMM = (op: number, dst: number, imm: number, off: number): Insn => BPF_RAW_INSN(BPF_JMP32 | op | BPF_K, dst, 0, off, imm);
export const BPF_JMP_A = (off: number): Insn => BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, off, 0);
export const BPF_JMP32_A = (imm: number): Insn => BPF_RAW_INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, imm);

export const BPF_EMIT_CALL = (helper: number): Insn => BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
export const BPF_CALL_REL = (imm: number): Insn => BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, imm);
export const BPF_CALL_KFUNC = (off: number, imm: number): Insn => BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, off, imm);
export const BPF_EXIT_INSN = (): Insn => BPF_RAW_INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

/** Flattens single instructions and two-slot ld_imm64 arrays into one program. */
export function program(...parts: (Insn | readonly Insn[])[]): Insn[] {
  return parts.flatMap((p) => (Array.isArray(p) ? [...(p as readonly Insn[])] : [p as Insn]));
}

/**
 * Builds a program with labels:
 *
 *   new ProgramBuilder()
 *     .emit(BPF_MOV64_IMM(BPF_REG_0, 0))
 *     .jmpImm(BPF_JEQ, BPF_REG_1, 0, 'out')
 *     .emit(BPF_MOV64_IMM(BPF_REG_0, 1))
 *     .label('out')
 *     .emit(BPF_EXIT_INSN())
 *     .build();
 */
export class ProgramBuilder {
  private readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { slot: number; label: string; field: 'off' | 'imm' }[] = [];

  emit(...parts: (Insn | readonly Insn[])[]): this {
    this.insns.push(...program(...parts));
    return this;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`label '${name}' defined twice`);
    this.labels.set(name, this.insns.length);
    return this;
  }

  private jumpTo(ins: Insn, label: string, field: 'off' | 'imm'): this {
    this.fixups.push({ slot: this.insns.length, label, field });
    this.insns.push(ins);
    return this;
  }

  jmpImm(op: number, dst: number, imm: number, label: string): this {
    return this.jumpTo(BPF_JMP_IMM(op, dst, imm, 0), label, 'off');
  }
  jmpReg(op: number, dst: number, src: number, label: string): this {
    return this.jumpTo(BPF_JMP_REG(op, dst, src, 0), label, 'off');
  }
  jmp32Imm(op: number, dst: number, imm: number, label: string): this {
    return this.jumpTo(BPF_JMP32_IMM(op, dst, imm, 0), label, 'off');
  }
  jmp32Reg(op: number, dst: number, src: number, label: string): this {
    return this.jumpTo(BPF_JMP32_REG(op, dst, src, 0), label, 'off');
  }
  ja(label: string): this {
    return this.jumpTo(BPF_JMP_A(0), label, 'off');
  }
  /** A bpf-to-bpf call to the subprogram at `label`. */
  callLocal(label: string): this {
    return this.jumpTo(BPF_CALL_REL(0), label, 'imm');
  }
  /** A helper call by id or by name (`bpf_map_lookup_elem`). */
  call(helper: number | string): this {
    const id = typeof helper === 'number' ? helper : helperId(helper);
    if (id === undefined) throw new Error(`unknown helper '${helper}'`);
    return this.emit(BPF_EMIT_CALL(id));
  }

  build(): Insn[] {
    const out = this.insns.map((i) => ({ ...i }));
    for (const f of this.fixups) {
      const target = this.labels.get(f.label);
      if (target === undefined) throw new Error(`unknown label '${f.label}'`);
      out[f.slot]![f.field] = target - (f.slot + 1);
    }
    return out;
  }
}
