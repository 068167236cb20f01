import { DecodeError } from './errors';
import type { Insn } from './insn';
import { LD_IMM64 } from './insn';
import {
  BPF_ABS,
  BPF_ADDR_SPACE_CAST,
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MAY_GOTO,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
  MAX_BPF_REG,
} from './opcodes';

/** Every imm an atomic read-modify-write may carry (BPF_STX | BPF_ATOMIC, W or DW). */
export const ATOMIC_RMW_OPS: readonly number[] = [
  BPF_ADD,
  BPF_OR,
  BPF_AND,
  BPF_XOR,
  BPF_ADD | BPF_FETCH,
  BPF_OR | BPF_FETCH,
  BPF_AND | BPF_FETCH,
  BPF_XOR | BPF_FETCH,
  BPF_XCHG,
  BPF_CMPXCHG,
];

const hex = (n: number): string => '0x' + n.toString(16).padStart(2, '0');

/**
 * Why the instruction at `insns[i]` is not a valid encoding, or undefined when it is.
 *
 * The rules are RFC 9669's plus what current Linux added (load-acquire/store-release,
 * may_goto, addr_space_cast) and `callx` (LLVM, gcc and uBPF emit it; Linux's verifier
 * refuses it, which is the verifier's business, not the decoder's). Rules that depend on
 * program context (jump targets, shift ranges, division by a zero immediate) are the
 * verifier's: they are valid encodings.
 */
export function checkInsn(insns: readonly Readonly<Insn>[], i: number): string | undefined {
  const ins = insns[i];
  if (!ins) return 'no instruction';
  const { code, dst, src, off, imm } = ins;
  const cls = BPF_CLASS(code);
  const reg = (r: number, what: string): string | undefined =>
    r >= MAX_BPF_REG ? `invalid ${what} register r${r}` : undefined;
  const zero = (v: number, what: string): string | undefined =>
    v !== 0 ? `${hex(code)}: reserved field ${what} must be 0 (is ${v})` : undefined;
  const first = (...checks: (string | undefined)[]): string | undefined => checks.find((c) => c !== undefined);
  const unknown = `unknown opcode ${hex(code)}`;

  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const op = BPF_OP(code);
      const x = BPF_SRC(code) === BPF_X;
      if (op > BPF_END) return unknown;
      if (op === BPF_END) {
        if (cls === BPF_ALU64 && x) return unknown;
        if (imm !== 16 && imm !== 32 && imm !== 64) return `${hex(code)}: byte swap width must be 16, 32 or 64 (is ${imm})`;
        return first(reg(dst, 'destination'), zero(src, 'src'), zero(off, 'off'));
      }
      if (op === BPF_NEG) {
        if (x) return unknown;
        return first(reg(dst, 'destination'), zero(src, 'src'), zero(off, 'off'), zero(imm, 'imm'));
      }
      if (op === BPF_DIV || op === BPF_MOD) {
        if (off !== 0 && off !== 1) return `${hex(code)}: off must be 0 (unsigned) or 1 (signed), is ${off}`;
      } else if (op === BPF_MOV && x && off !== 0) {
        if (cls === BPF_ALU64 && off === BPF_ADDR_SPACE_CAST) {
          if (imm !== 1 && imm !== 0x10000) return `${hex(code)}: addr_space_cast converts only between address spaces 0 and 1 (imm ${imm})`;
          return first(reg(dst, 'destination'), reg(src, 'source'));
        }
        const widths = cls === BPF_ALU64 ? [8, 16, 32] : [8, 16];
        if (!widths.includes(off)) return `${hex(code)}: movsx off must be ${widths.join(', ')} (is ${off})`;
      } else if (off !== 0) {
        return zero(off, 'off');
      }
      return x
        ? first(reg(dst, 'destination'), reg(src, 'source'), zero(imm, 'imm'))
        : first(reg(dst, 'destination'), zero(src, 'src'));
    }

    case BPF_JMP:
    case BPF_JMP32: {
      const op = BPF_OP(code);
      const x = BPF_SRC(code) === BPF_X;
      if (op === 0xf0) return unknown;
      if (op === BPF_JA) {
        if (x) return unknown;
        // JMP|JA jumps by off; JMP32|JA ("gotol") by the 32-bit imm.
        return cls === BPF_JMP
          ? first(zero(dst, 'dst'), zero(src, 'src'), zero(imm, 'imm'))
          : first(zero(dst, 'dst'), zero(src, 'src'), zero(off, 'off'));
      }
      if (op === BPF_CALL || op === BPF_EXIT || op === BPF_JCOND) {
        if (cls === BPF_JMP32) return unknown;
        if (op === BPF_EXIT) return x ? unknown : first(zero(dst, 'dst'), zero(src, 'src'), zero(off, 'off'), zero(imm, 'imm'));
        if (op === BPF_JCOND) {
          if (x) return unknown;
          if (src !== BPF_MAY_GOTO) return `${hex(code)}: unknown conditional pseudo-jump src ${src}`;
          return first(zero(dst, 'dst'), zero(imm, 'imm'));
        }
        if (x) return first(reg(dst, 'callx target'), zero(src, 'src'), zero(off, 'off'), zero(imm, 'imm'));
        if (src !== 0 && src !== BPF_PSEUDO_CALL && src !== BPF_PSEUDO_KFUNC_CALL) return `${hex(code)}: unknown call kind src ${src}`;
        // A kfunc call's off selects the BTF object (an index into fd_array).
        return first(zero(dst, 'dst'), src === BPF_PSEUDO_KFUNC_CALL ? undefined : zero(off, 'off'));
      }
      return x
        ? first(reg(dst, 'destination'), reg(src, 'source'), zero(imm, 'imm'))
        : first(reg(dst, 'destination'), zero(src, 'src'));
    }

    case BPF_LD: {
      if (code === LD_IMM64) {
        const next = insns[i + 1];
        if (!next) return 'ld_imm64 is missing its second slot';
        if (src > BPF_PSEUDO_MAP_IDX_VALUE) return `${hex(code)}: unknown ld_imm64 pseudo source ${src}`;
        if (next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0)
          return 'second slot of ld_imm64 must have code, registers and off all 0';
        // Only the value forms (and BTF_ID, whose upper imm names a BTF object) use the upper imm.
        if (next.imm !== 0 && src !== 0 && src !== BPF_PSEUDO_MAP_VALUE && src !== BPF_PSEUDO_MAP_IDX_VALUE && src !== BPF_PSEUDO_BTF_ID)
          return `ld_imm64 pseudo source ${src} must have 0 in the second slot's imm`;
        return first(reg(dst, 'destination'), zero(off, 'off'));
      }
      const mode = BPF_MODE(code);
      if ((mode !== BPF_ABS && mode !== BPF_IND) || BPF_SIZE(code) === BPF_DW) return unknown;
      return mode === BPF_ABS
        ? first(zero(dst, 'dst'), zero(src, 'src'), zero(off, 'off'))
        : first(zero(dst, 'dst'), reg(src, 'source'), zero(off, 'off'));
    }

    case BPF_LDX: {
      const mode = BPF_MODE(code);
      if (mode !== BPF_MEM && !(mode === BPF_MEMSX && BPF_SIZE(code) !== BPF_DW)) return unknown;
      return first(reg(dst, 'destination'), reg(src, 'source'), zero(imm, 'imm'));
    }

    case BPF_ST:
      if (BPF_MODE(code) !== BPF_MEM) return unknown;
      return first(reg(dst, 'destination'), zero(src, 'src'));

    case BPF_STX: {
      const mode = BPF_MODE(code);
      if (mode === BPF_MEM) return first(reg(dst, 'destination'), reg(src, 'source'), zero(imm, 'imm'));
      if (mode !== BPF_ATOMIC) return unknown;
      const size = BPF_SIZE(code);
      if (imm === BPF_LOAD_ACQ || imm === BPF_STORE_REL) return first(reg(dst, 'destination'), reg(src, 'source'));
      if (size !== BPF_W && size !== BPF_DW) return `${hex(code)}: atomic operations are 32 or 64 bits wide`;
      if (!ATOMIC_RMW_OPS.includes(imm)) return `${hex(code)}: unknown atomic operation imm ${hex(imm)}`;
      return first(reg(dst, 'destination'), reg(src, 'source'));
    }
  }
  return unknown;
}

/** Slots taken by the instruction at `insns[i]`: 2 for a well-formed ld_imm64, else 1. */
export function slotsAt(insns: readonly Readonly<Insn>[], i: number): 1 | 2 {
  return insns[i]?.code === LD_IMM64 && checkInsn(insns, i) === undefined ? 2 : 1;
}

/** Throws a DecodeError naming the first invalid instruction. */
export function validateInsns(insns: readonly Readonly<Insn>[]): void {
  for (let i = 0; i < insns.length; i++) {
    const why = checkInsn(insns, i);
    if (why !== undefined) throw new DecodeError(i, why);
    if (insns[i]!.code === LD_IMM64) i++;
  }
}

