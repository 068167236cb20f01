// Disassembler to LLVM's BPF syntax (what `llvm-objdump -d --mattr=+alu32` prints), extended
// with spellings for the encodings LLVM prints ambiguously (pseudo calls, kfunc calls and
// ld_imm64 pseudo sources), so that assembling the text gives back the same bytes.
import { helperName } from './helpers';
import type { Insn } from './insn';
import { LD_IMM64, ldImm64Value } from './insn';
import {
  ALU_OPERATORS,
  ATOMIC_FETCH_NAMES,
  ATOMIC_OPERATORS,
  JMP_OPERATORS,
  SIGNED_ALU_OPERATORS,
  SIZE_TYPES,
} from './llvm-syntax';
import {
  BPF_ABS,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_X,
  BPF_XCHG,
} from './opcodes';
import { checkInsn, slotsAt } from './validate';

export interface DisasmOptions {
  /** Print helper calls by name (`call bpf_map_lookup_elem`); they assemble to the same bytes. */
  helperNames?: boolean;
  /** Names of the maps a program's `map[idx:N]` references point at, by index. */
  mapNames?: readonly string[];
}

export interface DisasmLine {
  /** Slot index of the instruction (ld_imm64 takes two). */
  index: number;
  slots: 1 | 2;
  text: string;
}

const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const mem = (base: number, off: number): string => `(r${base} ${off < 0 ? '-' : '+'} ${Math.abs(off)})`;
const sizeType = (code: number): string => SIZE_TYPES.get(BPF_SIZE(code))!;
const signedSizeType = (code: number): string => 's' + sizeType(code).slice(1);
/** Sub-64-bit memory operands are printed with 32-bit register names, as in alu32 mode. */
const memReg = (code: number, r: number): string => (BPF_SIZE(code) === BPF_DW ? `r${r}` : `w${r}`);

/** The text of the instruction starting at slot `i`. Invalid encodings print as `.8byte 0x…`. */
export function formatInsn(insns: readonly Readonly<Insn>[], i: number, options: DisasmOptions = {}): string {
  const ins = insns[i]!;
  const invalid = checkInsn(insns, i);
  if (invalid !== undefined) return `${rawDirective(ins)} # invalid: ${invalid}`;
  const { code, dst, src, off, imm } = ins;
  const cls = BPF_CLASS(code);
  const op = BPF_OP(code);
  const x = BPF_SRC(code) === BPF_X;

  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const r = cls === BPF_ALU64 ? 'r' : 'w';
      const d = `${r}${dst}`;
      if (op === BPF_END) {
        const name = cls === BPF_ALU64 ? 'bswap' : x ? 'be' : 'le';
        return `r${dst} = ${name}${imm} r${dst}`;
      }
      if (op === BPF_NEG) return `${d} = -${d}`;
      if (op === BPF_MOV) {
        if (!x) return `${d} = ${imm}`;
        if (off === BPF_ADDR_SPACE_CAST && cls === BPF_ALU64)
          return `r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
        return off === 0 ? `${d} = ${r}${src}` : `${d} = (s${off})${r}${src}`;
      }
      const sym = off === 1 ? SIGNED_ALU_OPERATORS.get(op)! : ALU_OPERATORS.get(op)!;
      return `${d} ${sym} ${x ? `${r}${src}` : imm}`;
    }

    case BPF_JMP:
    case BPF_JMP32: {
      if (op === BPF_JA) return cls === BPF_JMP ? `goto ${signed(off)}` : `gotol ${signed(imm)}`;
      if (op === BPF_EXIT) return 'exit';
      if (op === BPF_JCOND) return `may_goto ${signed(off)}`;
      if (op === BPF_CALL) {
        if (x) return `callx r${dst}`;
        if (src === BPF_PSEUDO_CALL) return `call pc${signed(imm)}`;
        if (src === BPF_PSEUDO_KFUNC_CALL) return off === 0 ? `call kfunc ${imm}` : `call kfunc ${imm}, ${off}`;
        const name = options.helperNames ? helperName(imm) : undefined;
        return `call ${name ?? imm}`;
      }
      const r = cls === BPF_JMP ? 'r' : 'w';
      return `if ${r}${dst} ${JMP_OPERATORS.get(op)} ${x ? `${r}${src}` : imm} goto ${signed(off)}`;
    }

    case BPF_LD: {
      if (code === LD_IMM64) return formatLdImm64(insns, i, options);
      const index = BPF_MODE(code) === BPF_ABS ? `${imm}` : imm === 0 ? `r${src}` : `r${src} ${imm < 0 ? '-' : '+'} ${Math.abs(imm)}`;
      return `r0 = *(${sizeType(code)} *)skb[${index}]`;
    }

    case BPF_LDX:
      if (BPF_MODE(code) === BPF_MEMSX) return `r${dst} = *(${signedSizeType(code)} *)${mem(src, off)}`;
      return `${memReg(code, dst)} = *(${sizeType(code)} *)${mem(src, off)}`;

    case BPF_ST:
      return `*(${sizeType(code)} *)${mem(dst, off)} = ${imm}`;

    case BPF_STX: {
      const t = sizeType(code);
      const v = memReg(code, src);
      if (BPF_MODE(code) !== BPF_ATOMIC) return `*(${t} *)${mem(dst, off)} = ${v}`;
      if (imm === BPF_LOAD_ACQ) return `${memReg(code, dst)} = load_acquire((${t} *)${mem(src, off)})`;
      if (imm === BPF_STORE_REL) return `store_release((${t} *)${mem(dst, off)}, ${v})`;
      const wide = BPF_SIZE(code) === BPF_DW;
      const addr = `r${dst} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;
      if (imm === BPF_XCHG) return `${v} = ${wide ? 'xchg_64' : 'xchg32_32'}(${addr}, ${v})`;
      if (imm === BPF_CMPXCHG) {
        const r0 = wide ? 'r0' : 'w0';
        return `${r0} = ${wide ? 'cmpxchg_64' : 'cmpxchg32_32'}(${addr}, ${r0}, ${v})`;
      }
      const fetch = ATOMIC_FETCH_NAMES.get(imm);
      if (fetch) return `${v} = ${fetch}((${t} *)${mem(dst, off)}, ${v})`;
      return `lock *(${t} *)${mem(dst, off)} ${ATOMIC_OPERATORS.get(imm)} ${v}`;
    }
  }
  return rawDirective(ins);
}


function formatLdImm64(insns: readonly Readonly<Insn>[], i: number, options: DisasmOptions): string {
  const { dst, src, imm } = insns[i]!;
  const hi = insns[i + 1]!.imm;
  const d = `r${dst}`;
  const idx = (n: number): string => {
    const name = options.mapNames?.[n];
    return name !== undefined ? name : `idx:${n}`;
  };
  switch (src) {
    case BPF_PSEUDO_MAP_FD:
      return `${d} = map[fd:${imm}] ll`;
    case BPF_PSEUDO_MAP_VALUE:
      return `${d} = map[fd:${imm}]+${hi >>> 0} ll`;
    case BPF_PSEUDO_MAP_IDX:
      return `${d} = map[${idx(imm)}] ll`;
    case BPF_PSEUDO_MAP_IDX_VALUE:
      return `${d} = map[${idx(imm)}]+${hi >>> 0} ll`;
    case BPF_PSEUDO_BTF_ID:
      return hi === 0 ? `${d} = btf_id[${imm}] ll` : `${d} = btf_id[${imm}, ${hi}] ll`;
    case BPF_PSEUDO_FUNC:
      return `${d} = func[pc${signed(imm)}] ll`;
    default:
      return `${d} = ${BigInt.asIntN(64, ldImm64Value(insns, i))} ll`;
  }
}

/** An encoding that is not a valid instruction, as raw data the assembler reads back. */
function rawDirective(ins: Readonly<Insn>): string {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = ins.code;
  b[1] = (ins.src << 4) | ins.dst;
  v.setInt16(2, ins.off, true);
  v.setInt32(4, ins.imm, true);
  return `.8byte 0x${v.getBigUint64(0, true).toString(16).padStart(16, '0')}`;
}

/** Every instruction of a program, in order. */
export function disassemble(insns: readonly Readonly<Insn>[], options: DisasmOptions = {}): DisasmLine[] {
  const out: DisasmLine[] = [];
  for (let i = 0; i < insns.length; i++) {
    const slots = slotsAt(insns, i);
    out.push({ index: i, slots, text: formatInsn(insns, i, options) });
    i += slots - 1;
  }
  return out;
}

/** The listing `bpfsim disasm` prints: `  12: r0 = 1`, indexes right-aligned. */
export function disasmText(insns: readonly Readonly<Insn>[], options: DisasmOptions = {}): string {
  const lines = disassemble(insns, options);
  const width = String(Math.max(0, insns.length - 1)).length;
  return lines.map((l) => `${String(l.index).padStart(width, ' ')}: ${l.text}`).join('\n') + (lines.length ? '\n' : '');
}
