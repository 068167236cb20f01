import { BPF_DW, BPF_IMM, BPF_LD, INSN_SIZE } from './opcodes';

/**
 * One 8-byte instruction slot, field for field as `struct bpf_insn`:
 * code (u8), dst_reg (u4), src_reg (u4), off (s16), imm (s32).
 *
 * A program is an array of slots, as the kernel holds it: ld_imm64 takes two slots, the
 * second one with code 0 carrying the upper 32 bits in imm. Jump offsets and verifier log
 * indexes count slots, so keeping the kernel's layout keeps every index the same.
 */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

export const isLdImm64 = (i: Readonly<Insn>): boolean => i.code === LD_IMM64;

/** Slots taken by the instruction that starts with this slot. */
export const insnSlots = (i: Readonly<Insn>): 1 | 2 => (i.code === LD_IMM64 ? 2 : 1);

/** The 64-bit constant of the ld_imm64 at `insns[i]`, as an unsigned BigInt. */
export function ldImm64Value(insns: readonly Readonly<Insn>[], i: number): bigint {
  const lo = insns[i]?.imm ?? 0;
  const hi = insns[i + 1]?.imm ?? 0;
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The two slots of an ld_imm64 loading `value` (taken modulo 2^64). */
export function ldImm64(dst: number, value: bigint, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, value);
  return [
    { code: LD_IMM64, dst, src, off: 0, imm: Number(BigInt.asIntN(32, v)) },
    { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) },
  ];
}

export const programBytes = (insns: readonly Insn[]): number => insns.length * INSN_SIZE;
