// The spelling of operations in LLVM's BPF assembly (what llvm-objdump prints and llvm-mc
// reads). Shared by the disassembler and the assembler so both sides agree by construction.
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_B,
  BPF_DIV,
  BPF_DW,
  BPF_FETCH,
  BPF_H,
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
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_W,
  BPF_XOR,
} from './opcodes';

/** Compound assignment operator of each two-operand ALU op (`r0 += r1`). */
export const ALU_OPERATORS: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, '+='],
  [BPF_SUB, '-='],
  [BPF_MUL, '*='],
  [BPF_DIV, '/='],
  [BPF_OR, '|='],
  [BPF_AND, '&='],
  [BPF_LSH, '<<='],
  [BPF_RSH, '>>='],
  [BPF_MOD, '%='],
  [BPF_XOR, '^='],
  [BPF_ARSH, 's>>='],
]);

/** The signed forms (off = 1) of BPF_DIV and BPF_MOD. */
export const SIGNED_ALU_OPERATORS: ReadonlyMap<number, string> = new Map([
  [BPF_DIV, 's/='],
  [BPF_MOD, 's%='],
]);

/** Comparison operator of each conditional jump (`if r1 s> r2 goto +1`). */
export const JMP_OPERATORS: ReadonlyMap<number, string> = new Map([
  [BPF_JEQ, '=='],
  [BPF_JGT, '>'],
  [BPF_JGE, '>='],
  [BPF_JSET, '&'],
  [BPF_JNE, '!='],
  [BPF_JSGT, 's>'],
  [BPF_JSGE, 's>='],
  [BPF_JLT, '<'],
  [BPF_JLE, '<='],
  [BPF_JSLT, 's<'],
  [BPF_JSLE, 's<='],
]);

/** `u8` … `u64` for each BPF_SIZE. */
export const SIZE_TYPES: ReadonlyMap<number, string> = new Map([
  [BPF_B, 'u8'],
  [BPF_H, 'u16'],
  [BPF_W, 'u32'],
  [BPF_DW, 'u64'],
]);

/** Memory operators of the non-fetching atomics (`lock *(u64 *)(r1 + 8) += r2`). */
export const ATOMIC_OPERATORS: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, '+='],
  [BPF_OR, '|='],
  [BPF_AND, '&='],
  [BPF_XOR, '^='],
]);

/** Function-style names of the fetching atomics (`r2 = atomic_fetch_add(...)`). */
export const ATOMIC_FETCH_NAMES: ReadonlyMap<number, string> = new Map([
  [BPF_ADD | BPF_FETCH, 'atomic_fetch_add'],
  [BPF_OR | BPF_FETCH, 'atomic_fetch_or'],
  [BPF_AND | BPF_FETCH, 'atomic_fetch_and'],
  [BPF_XOR | BPF_FETCH, 'atomic_fetch_xor'],
]);

export function invert<K, V>(m: ReadonlyMap<K, V>): Map<V, K> {
  return new Map(Array.from(m, ([k, v]) => [v, k]));
}
