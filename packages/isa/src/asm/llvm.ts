// Parser for LLVM's BPF assembly syntax (what llvm-mc -triple=bpfel reads and llvm-objdump
// prints), plus bpfsim's spellings for what LLVM cannot say (see disasm.ts).
import type { Insn } from '../insn';
import { ldImm64 } from '../insn';
import {
  ALU_OPERATORS,
  ATOMIC_FETCH_NAMES,
  ATOMIC_OPERATORS,
  JMP_OPERATORS,
  SIGNED_ALU_OPERATORS,
  SIZE_TYPES,
  invert,
} from '../llvm-syntax';
import {
  BPF_ABS,
  BPF_ADDR_SPACE_CAST,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_NEG,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_X,
  BPF_XCHG,
  MAX_BPF_REG,
} from '../opcodes';
import { handleDirective, stripComment } from './directives';
import type { Token } from './lexer';
import { LexError, tokenizeLine } from './lexer';
import { parseIntLiteral, toImm32, toImm64, toS16, toS32 } from './numbers';
import type { AssemblyUnit, SourceLoc } from './unit';

const ALU_BY_OPERATOR = invert(ALU_OPERATORS);
const SIGNED_ALU_BY_OPERATOR = invert(SIGNED_ALU_OPERATORS);
const JMP_BY_OPERATOR = invert(JMP_OPERATORS);
const SIZE_BY_TYPE = invert(SIZE_TYPES);
const ATOMIC_BY_OPERATOR = invert(ATOMIC_OPERATORS);
const ATOMIC_FETCH_BY_NAME = invert(ATOMIC_FETCH_NAMES);

interface Reg {
  n: number;
  /** `w` (32-bit) name rather than `r`. */
  w: boolean;
  tok: Token;
}

interface MemOperand {
  size: number;
  signed: boolean;
  base: number;
  off: number;
}

/** Reads LLVM-syntax text into the unit. `lineOffset` shifts reported line numbers. */
export function parseLlvm(unit: AssemblyUnit, text: string, lineOffset = 0): void {
  const lines = text.split('\n');
  lines.forEach((rawLine, li) => {
    const line = li + 1 + lineOffset;
    const raw = stripComment(rawLine.replace(/\r$/, ''));
    if (handleDirective(unit, raw, line)) return;
    let statements: Token[][];
    try {
      statements = tokenizeLine(rawLine.replace(/\r$/, ''));
    } catch (e) {
      if (e instanceof LexError) unit.fail({ line, column: e.column }, e.reason);
      throw e;
    }
    for (const toks of statements) new StatementParser(unit, toks, line).parse();
  });
}

class StatementParser {
  private i = 0;
  constructor(
    private readonly unit: AssemblyUnit,
    private readonly toks: Token[],
    private readonly line: number,
  ) {}

  private loc(t?: Token): SourceLoc {
    const at = t ?? this.toks[this.i];
    if (at) return { line: this.line, column: at.column };
    const last = this.toks[this.toks.length - 1];
    return { line: this.line, column: last ? last.column + last.text.length : 1 };
  }

  private fail(reason: string, t?: Token): never {
    return this.unit.fail(this.loc(t), reason);
  }

  private peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }

  private next(what: string): Token {
    const t = this.toks[this.i];
    if (!t) this.fail(`expected ${what}, found end of line`);
    this.i++;
    return t;
  }

  private is(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.text === text && t.kind !== 'string';
  }

  private expect(text: string): Token {
    const t = this.peek();
    if (!t || t.text !== text) this.fail(`expected '${text}'${t ? `, found '${t.text}'` : ', found end of line'}`);
    this.i++;
    return t;
  }

  private end(): void {
    const t = this.peek();
    if (t) this.fail(`unexpected '${t.text}' after the instruction`);
  }

  private reg(what = 'a register'): Reg {
    const t = this.next(what);
    const m = t.kind === 'ident' ? /^([rw])(\d+)$/.exec(t.text) : null;
    if (!m) this.fail(`expected ${what}, found '${t.text}'`, t);
    const n = Number(m[2]);
    if (n >= MAX_BPF_REG) this.fail(`invalid register '${t.text}' (registers are r0 to r10)`, t);
    return { n, w: m[1] === 'w', tok: t };
  }

  private isReg(k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.kind === 'ident' && /^[rw]\d+$/.test(t.text);
  }

  /** An optionally signed integer literal. */
  private number(what = 'a number'): { value: bigint; tok: Token } {
    const first = this.next(what);
    let sign = 1n;
    let t = first;
    if (first.text === '-' || first.text === '+') {
      sign = first.text === '-' ? -1n : 1n;
      t = this.next(what);
    }
    const v = t.kind === 'number' ? parseIntLiteral(t.text) : undefined;
    if (v === undefined) this.fail(`expected ${what}, found '${t.text}'`, t);
    return { value: sign * v, tok: first };
  }

  private isNumber(k = 0): boolean {
    const t = this.peek(k);
    if (!t) return false;
    if (t.kind === 'number') return true;
    return (t.text === '-' || t.text === '+') && this.peek(k + 1)?.kind === 'number';
  }

  private imm32(v: { value: bigint; tok: Token }, wide: boolean): number {
    const imm = toImm32(v.value);
    if (imm === undefined) this.fail(`immediate ${v.value} does not fit in 32 bits${wide ? " (use 'll' for a 64-bit constant)" : ''}`, v.tok);
    if (wide && v.value > 0x7fffffffn)
      this.unit.warn(this.loc(v.tok), `immediate ${v.value} is sign-extended to ${BigInt.asUintN(64, BigInt(imm))} in a 64-bit operation; write '${v.value} ll' for the value itself`);
    return imm;
  }

  private sameWidth(a: Reg, b: Reg): void {
    if (a.w !== b.w) this.fail(`'${b.tok.text}' does not match the width of '${a.tok.text}'`, b.tok);
  }

  /**
   * References to labels and helpers made while parsing the statement; they need the slot
   * of the instruction, known once it is emitted.
   */
  private readonly deferred: ((slot: number) => void)[] = [];

  private emit(...slots: Insn[]): number {
    const at = this.unit.emit(this.loc(this.toks[0]), ...slots);
    for (const f of this.deferred.splice(0)) f(at);
    return at;
  }

  /** `+N`, `-N`, `N` or a label; returns the displacement or records a fixup. */
  private target(field: 'off' | 'imm'): number {
    if (this.isNumber()) {
      const n = this.number('a jump target');
      const v = field === 'off' ? toS16(n.value) : toS32(n.value);
      if (v === undefined) this.fail(`jump displacement ${n.value} does not fit in ${field === 'off' ? 16 : 32} bits`, n.tok);
      return v;
    }
    const t = this.next('a jump target');
    if (t.kind !== 'ident') this.fail(`expected a label or a displacement such as +2, found '${t.text}'`, t);
    const at = this.loc(t);
    this.deferred.push((slot) => this.unit.refer(slot, t.text, field, at));
    return 0;
  }

  parse(): void {
    // `12:` before an instruction is an index, as `bpfsim disasm` prints it.
    if (this.peek()?.kind === 'number' && this.is(':', 1)) this.i += 2;
    while (this.peek()?.kind === 'ident' && this.is(':', 1)) {
      const t = this.next('a label');
      if (/^[rw]\d+$/.test(t.text)) this.fail(`'${t.text}' is a register name, not a label`, t);
      this.unit.defineLabel(t.text, this.loc(t));
      this.i++;
    }
    if (!this.peek()) return;
    this.statement();
  }

  private statement(): void {
    const t = this.peek()!;
    switch (t.text) {
      case 'exit':
        this.i++;
        this.end();
        this.emit({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
        return;
      case 'goto':
      case 'gotol':
      case 'may_goto': {
        this.i++;
        const long = t.text === 'gotol';
        const code = long ? BPF_JMP32 | BPF_JA : t.text === 'may_goto' ? BPF_JMP | BPF_JCOND : BPF_JMP | BPF_JA;
        const ins: Insn = { code, dst: 0, src: 0, off: 0, imm: 0 };
        const d = this.target(long ? 'imm' : 'off');
        if (long) ins.imm = d;
        else ins.off = d;
        this.end();
        this.emit(ins);
        return;
      }
      case 'if':
        this.i++;
        return this.conditional();
      case 'call':
        this.i++;
        return this.call();
      case 'callx': {
        this.i++;
        const r = this.reg();
        this.end();
        this.emit({ code: BPF_JMP | BPF_CALL | BPF_X, dst: r.n, src: 0, off: 0, imm: 0 });
        return;
      }
      case 'lock':
        this.i++;
        return this.lockedOp();
      case 'store_release':
        this.i++;
        return this.storeRelease();
      case 'ld_pseudo':
        this.i++;
        return this.ldPseudo();
      case '*':
        return this.store();
    }
    if (!this.isReg()) this.fail(`unknown instruction '${t.text}'`, t);
    const d = this.reg();
    const opTok = this.next('an operator');
    if (opTok.text === '=') return this.assign(d);
    const alu = ALU_BY_OPERATOR.get(opTok.text);
    const salu = SIGNED_ALU_BY_OPERATOR.get(opTok.text);
    if (alu === undefined && salu === undefined) this.fail(`expected an assignment operator, found '${opTok.text}'`, opTok);
    const cls = d.w ? BPF_ALU : BPF_ALU64;
    const op = (alu ?? salu)!;
    const off = salu !== undefined ? 1 : 0;
    if (this.isReg()) {
      const s = this.reg();
      this.sameWidth(d, s);
      this.end();
      this.emit({ code: cls | op | BPF_X, dst: d.n, src: s.n, off, imm: 0 });
    } else {
      const v = this.number('a register or an immediate');
      this.end();
      this.emit({ code: cls | op | BPF_K, dst: d.n, src: 0, off, imm: this.imm32(v, !d.w) });
    }
  }

  private conditional(): void {
    const a = this.reg();
    const opTok = this.next('a comparison');
    const op = JMP_BY_OPERATOR.get(opTok.text);
    if (op === undefined) this.fail(`expected a comparison (==, !=, >, s<, & …), found '${opTok.text}'`, opTok);
    const cls = a.w ? BPF_JMP32 : BPF_JMP;
    const ins: Insn = { code: cls | op, dst: a.n, src: 0, off: 0, imm: 0 };
    if (this.isReg()) {
      const b = this.reg();
      this.sameWidth(a, b);
      ins.code |= BPF_X;
      ins.src = b.n;
    } else {
      ins.imm = this.imm32(this.number('a register or an immediate'), false);
    }
    this.expect('goto');
    ins.off = this.target('off');
    this.end();
    this.emit(ins);
  }

  private call(): void {
    const ins: Insn = { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: 0 };
    if (this.is('pc') && (this.is('+', 1) || this.is('-', 1))) {
      this.i++;
      const n = this.number('a displacement');
      const v = toS32(n.value);
      if (v === undefined) this.fail(`call displacement ${n.value} does not fit in 32 bits`, n.tok);
      ins.src = BPF_PSEUDO_CALL;
      ins.imm = v;
    } else if (this.is('kfunc') && this.isNumber(1)) {
      this.i++;
      ins.src = BPF_PSEUDO_KFUNC_CALL;
      ins.imm = this.imm32(this.number('a kfunc BTF id'), false);
      if (this.is(',')) {
        this.i++;
        const o = this.number('a BTF fd index');
        const off = toS16(o.value);
        if (off === undefined) this.fail(`BTF fd index ${o.value} does not fit in 16 bits`, o.tok);
        ins.off = off;
      }
    } else if (this.isNumber()) {
      ins.imm = this.imm32(this.number('a helper id'), false);
    } else {
      const t = this.next('a helper, a label or a number');
      if (t.kind !== 'ident') this.fail(`expected a helper name, a label or a helper id, found '${t.text}'`, t);
      const at = this.loc(t);
      this.deferred.push((slot) => this.unit.refer(slot, t.text, 'call', at));
    }
    this.end();
    this.emit(ins);
  }

  /** `(u32 *)(r1 + 8)` after an optional leading `*`. */
  private memOperand(): MemOperand {
    this.expect('(');
    const tt = this.next('a type such as u32');
    let size = SIZE_BY_TYPE.get(tt.text);
    let signed = false;
    if (size === undefined && /^s(8|16|32)$/.test(tt.text)) {
      size = SIZE_BY_TYPE.get('u' + tt.text.slice(1));
      signed = true;
    }
    if (size === undefined) this.fail(`expected u8, u16, u32, u64, s8, s16 or s32, found '${tt.text}'`, tt);
    this.expect('*');
    this.expect(')');
    this.expect('(');
    const { base, off } = this.address();
    this.expect(')');
    return { size, signed, base, off };
  }

  /** `r1 + 8`, `r1 - 8` or `r1`. */
  private address(): { base: number; off: number } {
    const b = this.reg('a base register');
    if (b.w) this.fail(`a base register must be 64-bit, found '${b.tok.text}'`, b.tok);
    let off = 0;
    if (this.is('+') || this.is('-')) {
      const n = this.number('an offset');
      const v = toS16(n.value);
      if (v === undefined) this.fail(`offset ${n.value} does not fit in 16 bits`, n.tok);
      off = v;
    }
    return { base: b.n, off };
  }

  /** A value register for a memory operand of `size`: `w` names only below 64 bits. */
  private valueReg(size: number): Reg {
    const v = this.reg();
    if (v.w && size === BPF_DW) this.fail(`a 64-bit access needs an r register, found '${v.tok.text}'`, v.tok);
    return v;
  }

  private store(): void {
    this.expect('*');
    const m = this.memOperand();
    if (m.signed) this.fail('stores take unsigned types (u8 … u64)');
    this.expect('=');
    if (this.isReg()) {
      const v = this.valueReg(m.size);
      this.end();
      this.emit({ code: BPF_STX | BPF_MEM | m.size, dst: m.base, src: v.n, off: m.off, imm: 0 });
    } else {
      const n = this.number('a register or an immediate');
      this.end();
      this.emit({ code: BPF_ST | BPF_MEM | m.size, dst: m.base, src: 0, off: m.off, imm: this.imm32(n, false) });
    }
  }

  private lockedOp(): void {
    this.expect('*');
    const m = this.memOperand();
    if (m.signed) this.fail('atomic operations take u32 or u64');
    if (m.size !== BPF_DW && m.size !== SIZE_BY_TYPE.get('u32')) this.fail('atomic operations are 32 or 64 bits wide');
    const opTok = this.next('an atomic operator');
    const op = ATOMIC_BY_OPERATOR.get(opTok.text);
    if (op === undefined) this.fail(`expected +=, |=, &= or ^=, found '${opTok.text}'`, opTok);
    const v = this.valueReg(m.size);
    this.end();
    this.emit({ code: BPF_STX | BPF_ATOMIC | m.size, dst: m.base, src: v.n, off: m.off, imm: op });
  }

  private storeRelease(): void {
    this.expect('(');
    const m = this.memOperand();
    if (m.signed) this.fail('store_release takes an unsigned type');
    this.expect(',');
    const v = this.valueReg(m.size);
    this.expect(')');
    this.end();
    this.emit({ code: BPF_STX | BPF_ATOMIC | m.size, dst: m.base, src: v.n, off: m.off, imm: BPF_STORE_REL });
  }

  private ldPseudo(): void {
    const d = this.reg();
    if (d.w) this.fail('ld_pseudo loads a 64-bit register');
    this.expect(',');
    const s = this.number('a pseudo source');
    if (s.value < 0n || s.value > 15n) this.fail(`pseudo source ${s.value} does not fit in 4 bits`, s.tok);
    this.expect(',');
    const imm = this.imm32(this.number('an immediate'), false);
    this.end();
    const [a, b] = ldImm64(d.n, 0n, Number(s.value));
    a.imm = imm;
    this.emit(a, b);
  }

  private assign(d: Reg): void {
    const t = this.peek();
    if (!t) this.fail('expected a value after =');
    const cls = d.w ? BPF_ALU : BPF_ALU64;

    // r0 = -r0
    if (t.text === '-' && this.isReg(1)) {
      this.i++;
      const s = this.reg();
      if (s.n !== d.n || s.w !== d.w) this.fail(`negation works in place: write '${d.tok.text} = -${d.tok.text}'`, s.tok);
      this.end();
      this.emit({ code: cls | BPF_NEG | BPF_K, dst: d.n, src: 0, off: 0, imm: 0 });
      return;
    }
    // r0 = 5, r1 = 0x123 ll
    if (this.isNumber()) {
      const n = this.number();
      if (this.is('ll')) {
        this.i++;
        this.end();
        if (d.w) this.fail("a 64-bit constant ('ll') needs an r register", d.tok);
        const v = toImm64(n.value);
        if (v === undefined) this.fail(`constant ${n.value} does not fit in 64 bits`, n.tok);
        this.emit(...ldImm64(d.n, v));
        return;
      }
      this.end();
      this.emit({ code: cls | BPF_MOV | BPF_K, dst: d.n, src: 0, off: 0, imm: this.imm32(n, !d.w) });
      return;
    }
    // r0 = r1
    if (this.isReg()) {
      const s = this.reg();
      this.sameWidth(d, s);
      this.end();
      this.emit({ code: cls | BPF_MOV | BPF_X, dst: d.n, src: s.n, off: 0, imm: 0 });
      return;
    }
    // r0 = (s8)r1
    if (t.text === '(') {
      this.i++;
      const ct = this.next('a cast such as s8');
      const bits = /^s(8|16|32)$/.exec(ct.text)?.[1];
      if (!bits) this.fail(`expected s8, s16 or s32, found '${ct.text}'`, ct);
      if (bits === '32' && d.w) this.fail('a 32-bit register cannot take a (s32) sign extension', ct);
      this.expect(')');
      const s = this.reg();
      this.sameWidth(d, s);
      this.end();
      this.emit({ code: cls | BPF_MOV | BPF_X, dst: d.n, src: s.n, off: Number(bits), imm: 0 });
      return;
    }
    // r0 = *(u32 *)(r1 + 8), r0 = *(u8 *)skb[12]
    if (t.text === '*') {
      this.i++;
      if (this.is('(') && this.peek(4)?.text === 'skb') return this.legacyLoad(d);
      const m = this.memOperand();
      this.end();
      if (m.signed) {
        if (d.w) this.fail('sign-extending loads write a 64-bit register', d.tok);
        this.emit({ code: BPF_LDX | BPF_MEMSX | m.size, dst: d.n, src: m.base, off: m.off, imm: 0 });
      } else {
        if (d.w && m.size === BPF_DW) this.fail('a 64-bit load needs an r register', d.tok);
        this.emit({ code: BPF_LDX | BPF_MEM | m.size, dst: d.n, src: m.base, off: m.off, imm: 0 });
      }
      return;
    }
    if (t.kind !== 'ident') this.fail(`unexpected '${t.text}' after =`, t);
    this.i++;

    // r0 = be16 r0
    const swap = /^(be|le|bswap)(16|32|64)$/.exec(t.text);
    if (swap) {
      const s = this.reg();
      if (s.n !== d.n) this.fail(`byte swaps work in place: write '${d.tok.text} = ${t.text} ${d.tok.text}'`, s.tok);
      this.end();
      const code = swap[1] === 'bswap' ? BPF_ALU64 | BPF_END | BPF_TO_LE : BPF_ALU | BPF_END | (swap[1] === 'be' ? BPF_TO_BE : BPF_TO_LE);
      this.emit({ code, dst: d.n, src: 0, off: 0, imm: Number(swap[2]) });
      return;
    }

    const fetch = ATOMIC_FETCH_BY_NAME.get(t.text);
    if (fetch !== undefined) {
      this.expect('(');
      const m = this.memOperand();
      this.expect(',');
      const v = this.valueReg(m.size);
      this.expect(')');
      this.end();
      if (v.n !== d.n) this.fail(`${t.text} returns the old value in its source register: write '${v.tok.text} = ${t.text}(…, ${v.tok.text})'`, d.tok);
      this.emit({ code: BPF_STX | BPF_ATOMIC | m.size, dst: m.base, src: v.n, off: m.off, imm: fetch });
      return;
    }

    switch (t.text) {
      case 'xchg_64':
      case 'xchg32_32':
      case 'cmpxchg_64':
      case 'cmpxchg32_32': {
        const size = t.text.endsWith('_64') ? BPF_DW : SIZE_BY_TYPE.get('u32')!;
        const cmp = t.text.startsWith('cmp');
        this.expect('(');
        const { base, off } = this.address();
        this.expect(',');
        if (cmp) {
          const r0 = this.reg();
          if (r0.n !== 0) this.fail('cmpxchg compares with r0: write r0 here', r0.tok);
          this.expect(',');
        }
        const v = this.valueReg(size);
        this.expect(')');
        this.end();
        if (cmp && d.n !== 0) this.fail('cmpxchg returns the old value in r0', d.tok);
        if (!cmp && v.n !== d.n) this.fail('xchg returns the old value in its source register', d.tok);
        this.emit({ code: BPF_STX | BPF_ATOMIC | size, dst: base, src: v.n, off, imm: cmp ? BPF_CMPXCHG : BPF_XCHG });
        return;
      }
      case 'load_acquire': {
        this.expect('(');
        const m = this.memOperand();
        this.expect(')');
        this.end();
        if (m.signed) this.fail('load_acquire takes an unsigned type');
        if (d.w && m.size === BPF_DW) this.fail('a 64-bit load needs an r register', d.tok);
        this.emit({ code: BPF_STX | BPF_ATOMIC | m.size, dst: d.n, src: m.base, off: m.off, imm: BPF_LOAD_ACQ });
        return;
      }
      case 'addr_space_cast': {
        this.expect('(');
        const s = this.reg();
        this.expect(',');
        const dstAs = this.number('an address space');
        this.expect(',');
        const srcAs = this.number('an address space');
        this.expect(')');
        this.end();
        if (d.w || s.w) this.fail('addr_space_cast works on 64-bit registers');
        const imm = toImm32((dstAs.value << 16n) | srcAs.value);
        if (imm === undefined || dstAs.value < 0n || dstAs.value > 0xffffn || srcAs.value < 0n || srcAs.value > 0xffffn)
          this.fail('address spaces are 16-bit numbers', dstAs.tok);
        this.emit({ code: BPF_ALU64 | BPF_MOV | BPF_X, dst: d.n, src: s.n, off: BPF_ADDR_SPACE_CAST, imm });
        return;
      }
      case 'map':
      case 'btf_id':
      case 'func':
        if (this.is('[')) return this.pseudoLoad(d, t);
    }

    // r1 = NAME ll: a declared map, or a function (label) for callbacks.
    if (!this.is('ll')) this.fail(`unknown value '${t.text}'`, t);
    this.i++;
    this.end();
    if (d.w) this.fail("'ll' loads need an r register", d.tok);
    const slot = this.emit(...ldImm64(d.n, 0n));
    this.unit.refer(slot, t.text, 'symbol', this.loc(t));
  }

  /** `r1 = map[fd:5] ll`, `map[idx:2]+16`, `map[NAME]`, `btf_id[N]`, `func[pc+N]` / `func[label]`. */
  private pseudoLoad(d: Reg, kind: Token): void {
    if (d.w) this.fail("'ll' loads need an r register", d.tok);
    this.expect('[');
    const [a, b] = ldImm64(d.n, 0n);
    let mapName: Token | undefined;
    let funcLabel: Token | undefined;
    if (kind.text === 'map') {
      const t = this.next('fd:N, idx:N or a map name');
      if ((t.text === 'fd' || t.text === 'idx') && this.is(':')) {
        this.i++;
        const n = this.number();
        a.imm = this.imm32(n, false);
        a.src = t.text === 'fd' ? BPF_PSEUDO_MAP_FD : BPF_PSEUDO_MAP_IDX;
      } else if (t.kind === 'ident') {
        mapName = t;
        a.src = BPF_PSEUDO_MAP_IDX;
      } else this.fail(`expected fd:N, idx:N or a map name, found '${t.text}'`, t);
      this.expect(']');
      if (this.is('+')) {
        this.i++;
        const off = this.number('a value offset');
        if (off.value < 0n || off.value > 0xffffffffn) this.fail(`value offset ${off.value} must be an unsigned 32-bit number`, off.tok);
        b.imm = Number(BigInt.asIntN(32, off.value));
        a.src = a.src === BPF_PSEUDO_MAP_FD ? BPF_PSEUDO_MAP_VALUE : BPF_PSEUDO_MAP_IDX_VALUE;
      }
    } else if (kind.text === 'btf_id') {
      a.src = BPF_PSEUDO_BTF_ID;
      a.imm = this.imm32(this.number('a BTF id'), false);
      if (this.is(',')) {
        this.i++;
        b.imm = this.imm32(this.number('a BTF object fd'), false);
      }
      this.expect(']');
    } else {
      a.src = BPF_PSEUDO_FUNC;
      if (this.is('pc')) {
        this.i++;
        const n = this.number('a displacement');
        const v = toS32(n.value);
        if (v === undefined) this.fail(`displacement ${n.value} does not fit in 32 bits`, n.tok);
        a.imm = v;
      } else {
        funcLabel = this.next('pc+N or a label');
        if (funcLabel.kind !== 'ident') this.fail(`expected pc+N or a label, found '${funcLabel.text}'`, funcLabel);
      }
      this.expect(']');
    }
    this.expect('ll');
    this.end();
    const slot = this.emit(a, b);
    if (mapName) this.unit.refer(slot, mapName.text, 'map', this.loc(mapName));
    if (funcLabel) this.unit.refer(slot, funcLabel.text, 'imm', this.loc(funcLabel));
  }

  /** `r0 = *(u16 *)skb[12]` (BPF_ABS) and `r0 = *(u16 *)skb[r1 + 12]` (BPF_IND). */
  private legacyLoad(d: Reg): void {
    this.expect('(');
    const tt = this.next('a type');
    const size = SIZE_BY_TYPE.get(tt.text);
    if (size === undefined || size === BPF_DW) this.fail(`legacy packet loads take u8, u16 or u32, found '${tt.text}'`, tt);
    this.expect('*');
    this.expect(')');
    this.expect('skb');
    this.expect('[');
    let src = 0;
    let mode = BPF_ABS;
    let imm = 0;
    if (this.isReg()) {
      const r = this.reg();
      src = r.n;
      mode = BPF_IND;
      if (this.is('+') || this.is('-')) imm = this.imm32(this.number('an offset'), false);
    } else {
      imm = this.imm32(this.number('an offset'), false);
    }
    this.expect(']');
    this.end();
    if (d.n !== 0 || d.w) this.fail('legacy packet loads write r0', d.tok);
    this.emit({ code: BPF_LD | mode | size, dst: 0, src, off: 0, imm });
  }
}
