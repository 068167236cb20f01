// Parser for the uBPF / bpf_conformance assembly syntax (`mov32 %r0, 1`, `ldxw %r0, [%r1+4]`,
// `jeq %r1, 0, +2`, `lddw`, `lock fetch add [%r10-8], %r1`, `call local label`). Number
// rules follow bpf_conformance's assembler: a hex immediate is an unsigned 32-bit pattern,
// a decimal one must fit a signed 32-bit integer; offsets likewise for 16 bits.
import type { Insn } from '../insn';
import { ldImm64 } from '../insn';
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
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_H,
  BPF_IND,
  BPF_JA,
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
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MOV,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
  MAX_BPF_REG,
} from '../opcodes';
import { handleDirective, stripComment } from './directives';
import { parseIntLiteral, toImm64 } from './numbers';
import type { AssemblyUnit, SourceLoc } from './unit';

const ALU_OPS: Record<string, number> = {
  add: BPF_ADD, sub: BPF_SUB, mul: BPF_MUL, div: BPF_DIV, sdiv: BPF_DIV, or: BPF_OR, and: BPF_AND,
  lsh: BPF_LSH, rsh: BPF_RSH, mod: BPF_MOD, smod: BPF_MOD, xor: BPF_XOR, mov: BPF_MOV, arsh: BPF_ARSH,
};
const JMP_OPS: Record<string, number> = {
  jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jset: BPF_JSET, jne: BPF_JNE, jsgt: BPF_JSGT, jsge: BPF_JSGE,
  jlt: BPF_JLT, jle: BPF_JLE, jslt: BPF_JSLT, jsle: BPF_JSLE,
};
const SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };
const ATOMIC_OPS: Record<string, number> = { add: BPF_ADD, or: BPF_OR, and: BPF_AND, xor: BPF_XOR, xchg: BPF_XCHG, cmpxchg: BPF_CMPXCHG };

interface Operand {
  text: string;
  column: number;
}

/** Splits operands at whitespace and commas, keeping `[%r1 + 4]` whole. */
function splitOperands(s: string, base: number): Operand[] {
  const out: Operand[] = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /[\s,]/.test(s[i]!)) i++;
    if (i >= s.length) break;
    const start = i;
    let depth = 0;
    while (i < s.length && (depth > 0 || !/[\s,]/.test(s[i]!))) {
      if (s[i] === '[') depth++;
      if (s[i] === ']') depth--;
      i++;
    }
    out.push({ text: s.slice(start, i).replace(/\s+/g, ''), column: base + start });
  }
  return out;
}

/** Reads uBPF-syntax text into the unit. `lineOffset` shifts reported line numbers. */
export function parseUbpf(unit: AssemblyUnit, text: string, lineOffset = 0): void {
  let seenExit = false;
  text.split('\n').forEach((rawLine, li) => {
    const line = li + 1 + lineOffset;
    let raw = stripComment(rawLine.replace(/\r$/, ''));
    if (!raw.trim()) return;
    if (handleDirective(unit, raw, line)) return;
    let col = 1;
    const lm = /^(\s*)([A-Za-z_.$][\w.$]*):/.exec(raw);
    if (lm) {
      unit.defineLabel(lm[2]!, { line, column: lm[1]!.length + 1 });
      col = lm[0].length + 1;
      raw = raw.slice(lm[0].length);
      if (!raw.trim()) return;
    }
    const mm = /^(\s*)(\S+)/.exec(raw)!;
    const mnemonic = mm[2]!;
    const at: SourceLoc = { line, column: col + mm[1]!.length };
    const operands = splitOperands(raw.slice(mm[0].length), col + mm[0].length);
    if (mnemonic === 'exit' && !seenExit) {
      // bpf_conformance's assembler lets `exit` name the first exit instruction.
      seenExit = true;
      unit.defineImplicitLabel('exit');
    }
    new UbpfStatement(unit, at, mnemonic, operands).assemble();
  });
}

class UbpfStatement {
  constructor(
    private readonly unit: AssemblyUnit,
    private readonly at: SourceLoc,
    private readonly mnemonic: string,
    private readonly ops: Operand[],
  ) {}

  private fail(reason: string, op?: Operand): never {
    return this.unit.fail(op ? { line: this.at.line, column: op.column } : this.at, reason);
  }

  private arity(n: number): void {
    if (this.ops.length !== n)
      this.fail(`invalid number of operands for ${this.mnemonic}: expected ${n}, found ${this.ops.length}`);
  }

  private op(i: number): Operand {
    return this.ops[i]!;
  }

  private isReg(o: Operand): boolean {
    return /^%?r\d+$/.test(o.text);
  }

  private reg(o: Operand): number {
    const m = /^%?r(\d+)$/.exec(o.text);
    if (!m) this.fail(`expected a register such as %r1, found '${o.text}'`, o);
    const n = Number(m[1]);
    if (n >= MAX_BPF_REG) this.fail(`invalid register '${o.text}' (registers are %r0 to %r10)`, o);
    return n;
  }

  private imm32(o: Operand, text = o.text): number {
    const v = parseIntLiteral(text);
    if (v === undefined) this.fail(`expected an immediate, found '${o.text}'`, o);
    const hex = /0x/i.test(text);
    const ok = hex ? v >= -(2n ** 31n) && v <= 0xffffffffn : v >= -(2n ** 31n) && v < 2n ** 31n;
    if (!ok) this.fail(`immediate out of 32-bit range: ${o.text}`, o);
    return Number(BigInt.asIntN(32, v));
  }

  private off16(o: Operand, text: string): number {
    const v = parseIntLiteral(text);
    if (v === undefined) this.fail(`expected an offset, found '${text}'`, o);
    const hex = /0x/i.test(text);
    const ok = hex ? v >= -32768n && v <= 0xffffn : v >= -32768n && v <= 32767n;
    if (!ok) this.fail(`offset out of 16-bit range: ${text}`, o);
    return Number(BigInt.asIntN(16, v));
  }

  /** `[%r1+4]`, `[%r10-8]`, `[%r1]`. */
  private mem(o: Operand): { reg: number; off: number } {
    const m = /^\[(%?r\d+)(?:([+-].+))?\]$/.exec(o.text);
    if (!m) this.fail(`expected a memory operand such as [%r1+4], found '${o.text}'`, o);
    return { reg: this.reg({ text: m[1]!, column: o.column + 1 }), off: m[2] ? this.off16(o, m[2]) : 0 };
  }

  /** `+N`/`-N` displacement, or a label resolved later. */
  private target(o: Operand, field: 'off' | 'imm', slot: number, ins: Insn): void {
    if (/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(o.text)) {
      if (field === 'off') ins.off = this.off16(o, o.text);
      else ins.imm = this.imm32(o);
      return;
    }
    if (!/^[A-Za-z_.$][\w.$]*$/.test(o.text)) this.fail(`expected a label or a displacement, found '${o.text}'`, o);
    this.unit.refer(slot, o.text, field, { line: this.at.line, column: o.column });
  }

  private emit(ins: Insn): number {
    return this.unit.emit(this.at, ins);
  }

  assemble(): void {
    const mn = this.mnemonic;
    let m: RegExpExecArray | null;
    if (mn === 'exit') {
      this.arity(0);
      this.emit({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
    } else if (mn === 'lddw') {
      this.arity(2);
      const d = this.reg(this.op(0));
      const v = parseIntLiteral(this.op(1).text);
      const u = v === undefined ? undefined : toImm64(v);
      if (u === undefined) this.fail(`expected a 64-bit immediate, found '${this.op(1).text}'`, this.op(1));
      this.unit.emit(this.at, ...ldImm64(d, u));
    } else if ((m = /^(be|le|swap|bswap)(16|32|64)$/.exec(mn))) {
      this.arity(1);
      const code = m[1] === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : m[1] === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : BPF_ALU64 | BPF_END | BPF_TO_LE;
      this.emit({ code, dst: this.reg(this.op(0)), src: 0, off: 0, imm: Number(m[2]) });
    } else if ((m = /^neg(32|64)?$/.exec(mn))) {
      this.arity(1);
      const cls = m[1] === '32' ? BPF_ALU : BPF_ALU64;
      this.emit({ code: cls | BPF_NEG | BPF_K, dst: this.reg(this.op(0)), src: 0, off: 0, imm: 0 });
    } else if ((m = /^movsx(8|16|32)(32|64)$/.exec(mn))) {
      this.arity(2);
      if (m[1] === '32' && m[2] === '32') this.fail(`invalid mnemonic: ${mn}`);
      const cls = m[2] === '32' ? BPF_ALU : BPF_ALU64;
      this.emit({ code: cls | BPF_MOV | BPF_X, dst: this.reg(this.op(0)), src: this.reg(this.op(1)), off: Number(m[1]), imm: 0 });
    } else if ((m = /^(add|sub|mul|div|sdiv|or|and|lsh|rsh|mod|smod|xor|mov|arsh)(32|64)?$/.exec(mn))) {
      this.arity(2);
      const cls = m[2] === '32' ? BPF_ALU : BPF_ALU64;
      const off = m[1] === 'sdiv' || m[1] === 'smod' ? 1 : 0;
      const ins: Insn = { code: cls | ALU_OPS[m[1]!]!, dst: this.reg(this.op(0)), src: 0, off, imm: 0 };
      if (this.isReg(this.op(1))) {
        ins.code |= BPF_X;
        ins.src = this.reg(this.op(1));
      } else ins.imm = this.imm32(this.op(1));
      this.emit(ins);
    } else if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(mn))) {
      this.arity(2);
      if (m[1] && m[2] === 'dw') this.fail(`invalid mnemonic: ${mn}`);
      const { reg, off } = this.mem(this.op(1));
      this.emit({ code: BPF_LDX | (m[1] ? BPF_MEMSX : BPF_MEM) | SIZES[m[2]!]!, dst: this.reg(this.op(0)), src: reg, off, imm: 0 });
    } else if ((m = /^st(x?)(b|h|w|dw)$/.exec(mn))) {
      this.arity(2);
      const { reg, off } = this.mem(this.op(0));
      if (m[1]) this.emit({ code: BPF_STX | BPF_MEM | SIZES[m[2]!]!, dst: reg, src: this.reg(this.op(1)), off, imm: 0 });
      else this.emit({ code: BPF_ST | BPF_MEM | SIZES[m[2]!]!, dst: reg, src: 0, off, imm: this.imm32(this.op(1)) });
    } else if ((m = /^ld(abs|ind)(b|h|w)$/.exec(mn))) {
      const ind = m[1] === 'ind';
      this.arity(ind ? 2 : 1);
      const size = SIZES[m[2]!]!;
      if (ind) this.emit({ code: BPF_LD | BPF_IND | size, dst: 0, src: this.reg(this.op(0)), off: 0, imm: this.imm32(this.op(1)) });
      else this.emit({ code: BPF_LD | BPF_ABS | size, dst: 0, src: 0, off: 0, imm: this.imm32(this.op(0)) });
    } else if (mn === 'ja' || mn === 'ja32') {
      this.arity(1);
      const ins: Insn = { code: (mn === 'ja' ? BPF_JMP : BPF_JMP32) | BPF_JA, dst: 0, src: 0, off: 0, imm: 0 };
      this.target(this.op(0), mn === 'ja' ? 'off' : 'imm', this.unit.pc, ins);
      this.emit(ins);
    } else if ((m = /^(j[a-z]+?)(32)?$/.exec(mn)) && JMP_OPS[m[1]!] !== undefined) {
      this.arity(3);
      const ins: Insn = { code: (m[2] ? BPF_JMP32 : BPF_JMP) | JMP_OPS[m[1]!]!, dst: this.reg(this.op(0)), src: 0, off: 0, imm: 0 };
      if (this.isReg(this.op(1))) {
        ins.code |= BPF_X;
        ins.src = this.reg(this.op(1));
      } else ins.imm = this.imm32(this.op(1));
      this.target(this.op(2), 'off', this.unit.pc, ins);
      this.emit(ins);
    } else if (mn === 'call') {
      this.call();
    } else if (mn === 'lock') {
      this.lock();
    } else {
      this.fail(`invalid mnemonic: ${mn}`);
    }
  }

  private call(): void {
    const ins: Insn = { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: 0 };
    let mode = 'helper';
    let target: Operand;
    if (this.ops.length === 2) {
      mode = this.op(0).text;
      target = this.op(1);
    } else {
      this.arity(1);
      target = this.op(0);
    }
    if (mode === 'helper') {
      if (this.isReg(target)) {
        ins.code |= BPF_X;
        ins.dst = this.reg(target);
      } else if (/^[A-Za-z_]/.test(target.text)) {
        this.unit.refer(this.unit.pc, target.text, 'call', { line: this.at.line, column: target.column });
      } else ins.imm = this.imm32(target);
    } else if (mode === 'local') {
      ins.src = BPF_PSEUDO_CALL;
      this.target(target, 'imm', this.unit.pc, ins);
    } else if (mode === 'runtime') {
      ins.src = BPF_PSEUDO_KFUNC_CALL;
      ins.imm = this.imm32(target);
    } else this.fail(`invalid call mode '${mode}' (helper, local or runtime)`, this.op(0));
    this.emit(ins);
  }

  /** `lock [fetch] OP[32] [%rD+off], %rS`. */
  private lock(): void {
    if (this.ops.length === 0) this.fail('invalid number of operands for lock');
    const ops = [...this.ops];
    const fetch = ops[0]!.text === 'fetch';
    if (fetch) ops.shift();
    if (ops.length !== 3) this.fail('invalid number of operands for lock: expected lock [fetch] OP [%rD+off], %rS');
    const m = /^(add|or|and|xor|xchg|cmpxchg)(32)?$/.exec(ops[0]!.text);
    if (!m) this.fail(`invalid atomic operation '${ops[0]!.text}'`, ops[0]);
    let imm = ATOMIC_OPS[m[1]!]!;
    if (fetch) {
      if (m[1] === 'xchg' || m[1] === 'cmpxchg') this.fail(`${m[1]} always fetches; drop 'fetch'`, this.ops[0]);
      imm |= BPF_FETCH;
    }
    const { reg, off } = this.mem(ops[1]!);
    this.emit({ code: BPF_STX | BPF_ATOMIC | (m[2] ? BPF_W : BPF_DW), dst: reg, src: this.reg(ops[2]!), off, imm });
  }
}
