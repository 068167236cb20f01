// The kernel's own instruction text (kernel/bpf/disasm.c, print_bpf_insn()): what the
// verifier log and `bpftool prog dump xlated` show, e.g. `(61) r0 = *(u32 *)(r1 +24)`.
// Different from LLVM's syntax on purpose: logs must read as Linux's do.
import { helperName } from './helpers';
import type { Insn } from './insn';
import { LD_IMM64 } from './insn';
import { ALU_OPERATORS, JMP_OPERATORS, SIGNED_ALU_OPERATORS, SIZE_TYPES } from './llvm-syntax';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
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
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
} from './opcodes';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
/** C's `%+d`. */
const plus = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const sizeName = (code: number): string => SIZE_TYPES.get(BPF_SIZE(code))!;
const ATOMIC_NAMES: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, 'add'],
  [BPF_AND, 'and'],
  [BPF_OR, 'or'],
  [BPF_XOR, 'xor'],
]);

export interface KernelDisasmOptions {
  /** How ld_imm64 shows its value (the verifier prints it as `0x%llx`). */
  imm64?: (insns: readonly Readonly<Insn>[], i: number) => string | undefined;
}

/** print_bpf_insn(): the text after `N: ` in a verifier log line, starting with `(code)`. */
export function formatKernelInsn(insns: readonly Readonly<Insn>[], i: number, options: KernelDisasmOptions = {}): string {
  const ins = insns[i]!;
  const { code, dst, src, off, imm } = ins;
  const cls = BPF_CLASS(code);
  const c = `(${hex2(code)})`;
  const op = BPF_OP(code);

  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const r = cls === BPF_ALU ? 'w' : 'r';
    if (op === BPF_END) {
      if (cls === BPF_ALU64) return `${c} r${dst} = bswap${imm} r${dst}`;
      return `${c} r${dst} = ${BPF_SRC(code) === BPF_TO_BE ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (op === BPF_NEG) return `${c} ${r}${dst} = -${r}${dst}`;
    if (code === (BPF_ALU64 | BPF_MOV | BPF_X) && off === BPF_ADDR_SPACE_CAST)
      return `${c} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
    const signed = off === 1 && SIGNED_ALU_OPERATORS.has(op);
    const sym = op === BPF_MOV ? '=' : signed ? SIGNED_ALU_OPERATORS.get(op)! : ALU_OPERATORS.get(op) ?? '?';
    if (BPF_SRC(code) === BPF_X) {
      const movsx = op === BPF_MOV && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
      return `${c} ${r}${dst} ${sym} ${movsx}${r}${src}`;
    }
    return `${c} ${r}${dst} ${sym} ${imm}`;
  }

  if (cls === BPF_STX) {
    const size = sizeName(code);
    const mode = BPF_MODE(code);
    if (mode === BPF_MEM) return `${c} *(${size} *)(r${dst} ${plus(off)}) = r${src}`;
    if (mode === BPF_ATOMIC) {
      const wide = BPF_SIZE(code) === BPF_DW ? '64' : '';
      const base = imm & ~BPF_FETCH;
      if (ATOMIC_NAMES.has(imm)) return `${c} lock *(${size} *)(r${dst} ${plus(off)}) ${ALU_OPERATORS.get(imm)} r${src}`;
      if (imm & BPF_FETCH && ATOMIC_NAMES.has(base))
        return `${c} r${src} = atomic${wide}_fetch_${ATOMIC_NAMES.get(base)}((${size} *)(r${dst} ${plus(off)}), r${src})`;
      if (imm === BPF_CMPXCHG) return `${c} r0 = atomic${wide}_cmpxchg((${size} *)(r${dst} ${plus(off)}), r0, r${src})`;
      if (imm === BPF_XCHG) return `${c} r${src} = atomic${wide}_xchg((${size} *)(r${dst} ${plus(off)}), r${src})`;
      if (imm === BPF_LOAD_ACQ) return `${c} r${dst} = load_acquire((${size} *)(r${src} ${plus(off)}))`;
      if (imm === BPF_STORE_REL) return `${c} store_release((${size} *)(r${dst} ${plus(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }

  if (cls === BPF_ST) {
    if (BPF_MODE(code) === BPF_MEM) return `${c} *(${sizeName(code)} *)(r${dst} ${plus(off)}) = ${imm}`;
    return `BUG_st_${hex2(code)}`;
  }

  if (cls === BPF_LDX) {
    const mode = BPF_MODE(code);
    if (mode !== BPF_MEM && mode !== BPF_MEMSX) return `BUG_ldx_${hex2(code)}`;
    const size = mode === BPF_MEM ? sizeName(code) : 's' + sizeName(code).slice(1);
    return `${c} r${dst} = *(${size} *)(r${src} ${plus(off)})`;
  }

  if (cls === BPF_LD) {
    const mode = BPF_MODE(code);
    if (mode === BPF_ABS) return `${c} r0 = *(${sizeName(code)} *)skb[${imm}]`;
    if (mode === BPF_IND) return `${c} r0 = *(${sizeName(code)} *)skb[r${src} + ${imm}]`;
    if (code === LD_IMM64) {
      const value = options.imm64?.(insns, i) ?? `0x${((BigInt((insns[i + 1]?.imm ?? 0) >>> 0) << 32n) | BigInt(imm >>> 0)).toString(16)}`;
      return `${c} r${dst} = ${value}`;
    }
    return `BUG_ld_${hex2(code)}`;
  }

  if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (op === BPF_CALL) {
      if (src === BPF_PSEUDO_CALL) return `${c} call pc${plus(imm)}`;
      const name = src === 0 ? helperName(imm) : src === BPF_PSEUDO_KFUNC_CALL ? 'kernel-function' : undefined;
      return `${c} call ${name ?? 'unknown'}#${imm}`;
    }
    if (code === (BPF_JMP | BPF_JA)) return `${c} goto pc${plus(off)}`;
    if (code === (BPF_JMP | BPF_JCOND)) return `${c} may_goto pc${plus(off)}`;
    if (code === (BPF_JMP32 | BPF_JA)) return `${c} gotol pc${plus(imm)}`;
    if (code === (BPF_JMP | BPF_EXIT)) return `${c} exit`;
    const r = cls === BPF_JMP32 ? 'w' : 'r';
    const sym = JMP_OPERATORS.get(op) ?? '?';
    if (BPF_SRC(code) === BPF_X) return `${c} if ${r}${dst} ${sym} ${r}${src} goto pc${plus(off)}`;
    return `${c} if ${r}${dst} ${sym} 0x${(imm >>> 0).toString(16)} goto pc${plus(off)}`;
  }
  return `${c} ${['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'][cls]}`;
}
