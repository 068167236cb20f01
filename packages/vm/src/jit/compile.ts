// The JIT: eBPF to JavaScript, one JS function per subprogram, compiled once with
// `new Function` and cached per program. Registers are JS locals in (lo, hi) int32 pairs;
// control flow is structured (see structure.ts), with a dispatch loop as the fallback for
// irreducible graphs. The generated source is built only from numbers and fixed text: no
// string taken from the program's data ever reaches it.
//
// It must agree with the interpreter bit for bit (r0, memory, faults): same block-wise
// budget charging, same fault pc and address, same helper ABI.
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_ALU64,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
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
  BPF_K,
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
  BPF_X,
  BPF_XOR,
  LD_IMM64,
  MAX_BPF_STACK,
  bpfSizeBytes,
} from '@bpfsim/isa';
import type { ExecContext } from '../context';
import { BPF_MAX_LOOPS, FP_LO, MAX_CALL_FRAMES } from '../context';
import { budgetFault, callDepthFault, helperFault, invalidFault } from '../fault';
import * as I64 from '../int64';
import { memAtomic, memLoad, memStore } from '../mem-access';
import { REGION_HI_BASE, REGION_LO_BASE } from '../memory';
import type { Block, PreparedProgram, Subprog } from '../program';
import { BPF_FUNC_tail_call, jumpTarget } from '../program';
import type { Runnable } from '../runnable';
import type { Cfg, Exit, Structured } from './structure';
import { analyze, structure } from './structure';

const MAX_NESTING = 400;

// ---- run-time support the generated code calls (cold or shared paths) -------------------

const OUT = I64.OUT;

const RUNTIME = {
  O: OUT,
  MUL: I64.mul64,
  MH: I64.mulhiU32,
  UDIV: I64.udiv64,
  UMOD: I64.umod64,
  SDIV: I64.sdiv64,
  SMOD: I64.smod64,
  UDIV32: I64.udiv32,
  UMOD32: I64.umod32,
  SDIV32: I64.sdiv32,
  SMOD32: I64.smod32,
  SHL: I64.shl64,
  SHR: I64.shr64,
  SAR: I64.sar64,
  BS16: I64.bswap16,
  BS32: I64.bswap32,
  // The slow paths of loads, stores and atomics, shared with the interpreter.
  LD: memLoad,
  ST: memStore,
  AT: memAtomic,
  BF: (pc: number, C: ExecContext) => budgetFault(pc, C.budgetLimit),
  TAIL: (lo: number, hi: number): Int32Array => Int32Array.of(lo, hi, 0, 0, 0, 0, 0, 0, 0, 0),
  HF: helperFault,
  CDF: (pc: number) => callDepthFault(pc, MAX_CALL_FRAMES),
  INV: (pc: number, what: number, arg: number) =>
    invalidFault(pc, what === 1 ? `ld_imm64 pseudo source ${arg} must be resolved by the loader before the program runs` : `kfunc calls are not supported (kfunc ${arg})`),
};

// ---- code generation ---------------------------------------------------------------------

const rl = (n: number): string => `r${n}l`;
const rh = (n: number): string => `r${n}h`;

class FunctionEmitter {
  private out: string[] = [];
  private depth = 0;
  /** r10 keeps the frame pointer throughout (nothing writes it): stack accesses are static. */
  private readonly fpFixed: boolean;

  private readonly consts: Map<number, ConstReg>;
  private readonly cfg: Cfg;
  /** The start of the block of each slot of the subprogram. */
  private readonly blockOf = new Map<number, number>();

  constructor(
    private readonly P: PreparedProgram,
    private readonly sp: Subprog,
    private readonly index: number,
  ) {
    this.fpFixed = !sp.blocks.some((b) => this.blockWritesR10(b));
    this.consts = constantRegisters(P, sp);
    this.cfg = analyze(sp.blocks);
    for (const b of sp.blocks) for (let i = b.start; i < b.end; i++) this.blockOf.set(i, b.start);
  }

  /** The constant register `r` holds when slot `pc` reads it, if it is one there. */
  private constAt(pc: number, r: number): ConstReg | undefined {
    const c = this.consts.get(r);
    if (!c) return undefined;
    const defBlock = this.blockOf.get(c.def)!;
    const useBlock = this.blockOf.get(pc)!;
    if (defBlock === useBlock) return pc > c.def ? c : undefined;
    // Does the definition's block dominate the use's? (Unreachable blocks have no idom.)
    const { idom, order } = this.cfg;
    const entry = order[0]!.start;
    for (let b: number | undefined = useBlock; b !== undefined; b = b === entry ? undefined : idom.get(b)) {
      if (b === defBlock) return c;
    }
    return undefined;
  }

  private blockWritesR10(b: Block): boolean {
    for (let i = b.start; i < b.end; i++) {
      const ins = this.P.insns[i]!;
      const cls = BPF_CLASS(ins.code);
      if (ins.dst === 10 && (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX || ins.code === LD_IMM64)) return true;
      if (ins.src === 10 && cls === BPF_STX && BPF_MODE(ins.code) === BPF_ATOMIC) return true; // fetch writes src
      if (ins.code === LD_IMM64) i++;
    }
    return false;
  }

  private line(s: string): void {
    this.out.push('  '.repeat(this.depth + 1) + s);
  }

  emit(): string {
    const args = [1, 2, 3, 4, 5].map((n) => `${rl(n)}, ${rh(n)}`).join(', ');
    this.depth++;
    const cfg = this.cfg;
    let structured: Structured[] | undefined;
    if (cfg.reducible) {
      try {
        structured = structure(cfg, this.sp.blocks);
        if (nesting(structured) > MAX_NESTING) structured = undefined;
      } catch (e) {
        if (!(e instanceof RangeError)) throw e; // too deep to structure: dispatch instead
        structured = undefined;
      }
    }
    if (structured) this.structured(structured);
    else this.dispatch(cfg.order);
    // The prologue sets up only what the body uses.
    const body = this.out.join('\n');
    const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(body);
    const consts = [
      uses('R') ? 'R = C.R' : '',
      uses('H') ? 'H = C.helpers' : '',
      uses('A') ? 'A = C.args' : '',
      uses('SV') ? `SV = C.R[(r10h - ${REGION_HI_BASE}) >>> 0].view` : '',
    ].filter(Boolean);
    const prologue = [
      `function f${this.index}(C, ${args}) {`,
      `  let r0l = 0, r0h = 0, r6l = 0, r6h = 0, r7l = 0, r7h = 0, r8l = 0, r8h = 0, r9l = 0, r9h = 0;`,
      `  let r10l = ${FP_LO}, r10h = C.fh[C.depth];`,
      consts.length ? `  const ${consts.join(', ')};` : '',
      `  let t = 0, x = 0, g, mg = ${BPF_MAX_LOOPS}, B = C.b;`,
    ].filter(Boolean);
    return [...prologue.map((l) => '  ' + l), body, '  }'].join('\n');
  }

  // Structured control flow: labelled blocks and loops.
  private structured(nodes: Structured[]): void {
    for (const n of nodes) {
      if (n.kind === 'block') {
        this.line(`B${n.label}: {`);
        this.depth++;
        this.structured(n.body);
        this.depth--;
        this.line('}');
      } else if (n.kind === 'loop') {
        this.line(`L${n.label}: for (;;) {`);
        this.depth++;
        this.structured(n.body);
        this.depth--;
        this.line('}');
      } else {
        this.block(n.block, (i) => this.exit(n.exits[i]!));
      }
    }
  }

  private exit(e: Exit): void {
    if (e.kind === 'break') this.line(`break B${e.label};`);
    else if (e.kind === 'continue') this.line(`continue L${e.label};`);
    else this.structured(e.body);
  }

  // Fallback: a dispatch loop over block starts.
  private dispatch(order: Block[]): void {
    this.line(`let pc = ${this.sp.start};`);
    this.line('for (;;) switch (pc) {');
    this.depth++;
    for (const b of order) {
      this.line(`case ${b.start}: {`);
      this.depth++;
      this.block(b, (i) => {
        this.line(`pc = ${b.succ[i]};`);
        this.line('continue;');
      });
      this.depth--;
      this.line('}');
    }
    this.line(`default: throw new Error('bpfsim JIT: bad dispatch target ' + pc);`);
    this.depth--;
    this.line('}');
  }

  /** A basic block's code; `goSucc(i)` emits the transfer to its i-th successor. */
  private block(b: Block, goSucc: (i: number) => void): void {
    // The budget lives in the local B; C.b is brought up to date wherever control can leave
    // (exit, calls, helpers, slow paths that may fault), so counts match the interpreter's.
    this.line(`if ((B -= ${b.cost}) < 0) { C.b = B; throw BF(${b.start}, C); }`);
    for (let pc = b.start; pc < b.end; pc += this.P.insns[pc]!.code === LD_IMM64 ? 2 : 1) {
      if (pc === b.last) this.terminator(pc, b, goSucc);
      else this.insn(pc);
    }
  }

  private terminator(pc: number, b: Block, goSucc: (i: number) => void): void {
    const ins = this.P.insns[pc]!;
    const cls = BPF_CLASS(ins.code);
    const op = BPF_OP(ins.code);
    const isJmp = cls === BPF_JMP || cls === BPF_JMP32;
    if (isJmp && op === BPF_EXIT) {
      this.line('C.b = B; C.rh = r0h; return r0l;');
      return;
    }
    if (isJmp && op === BPF_JA) {
      goSucc(0);
      return;
    }
    if (isJmp && op !== BPF_CALL) {
      const cond = op === BPF_JCOND ? '(mg === 0 ? true : (mg--, false))' : this.condition(ins, pc);
      // Taken is successor 0, the fall-through successor 1; both end in a transfer.
      this.line(`if (${cond}) {`);
      this.depth++;
      goSucc(0);
      this.depth--;
      this.line('}');
      goSucc(1);
      return;
    }
    this.insn(pc);
    if (b.succ.length) goSucc(0);
  }

  private condition(ins0: Insn, pc: number): string {
    // A register operand that holds a constant here compares like an immediate of that value.
    let ins = ins0;
    const kc = BPF_SRC(ins0.code) === BPF_X ? this.constAt(pc, ins0.src) : undefined;
    if (kc && kc.hi === kc.lo >> 31) ins = { ...ins0, code: ins0.code & ~BPF_X, src: 0, imm: kc.lo };
    const op = BPF_OP(ins.code);
    const x = BPF_SRC(ins.code) === BPF_X;
    const al = rl(ins.dst);
    const bl = x ? rl(ins.src) : `${ins.imm}`;
    if (BPF_CLASS(ins.code) === BPF_JMP32) {
      const ua = `(${al} >>> 0)`;
      const ub = x ? `(${bl} >>> 0)` : `${ins.imm >>> 0}`;
      switch (op) {
        case BPF_JEQ: return `${al} === ${bl}`;
        case BPF_JNE: return `${al} !== ${bl}`;
        case BPF_JGT: return `${ua} > ${ub}`;
        case BPF_JGE: return `${ua} >= ${ub}`;
        case BPF_JLT: return `${ua} < ${ub}`;
        case BPF_JLE: return `${ua} <= ${ub}`;
        case BPF_JSGT: return `${al} > ${bl}`;
        case BPF_JSGE: return `${al} >= ${bl}`;
        case BPF_JSLT: return `${al} < ${bl}`;
        case BPF_JSLE: return `${al} <= ${bl}`;
        case BPF_JSET: return `(${al} & ${bl}) !== 0`;
      }
    }
    const ah = rh(ins.dst);
    const bh = x ? rh(ins.src) : `${ins.imm >> 31}`;
    const ua = `(${al} >>> 0)`;
    const ub = x ? `(${bl} >>> 0)` : `${ins.imm >>> 0}`;
    const uah = `(${ah} >>> 0)`;
    const ubh = x ? `(${bh} >>> 0)` : `${(ins.imm >> 31) >>> 0}`;
    switch (op) {
      case BPF_JEQ: return `${al} === ${bl} && ${ah} === ${bh}`;
      case BPF_JNE: return `${al} !== ${bl} || ${ah} !== ${bh}`;
      case BPF_JGT: return `(${ah} === ${bh} ? ${ua} > ${ub} : ${uah} > ${ubh})`;
      case BPF_JGE: return `(${ah} === ${bh} ? ${ua} >= ${ub} : ${uah} > ${ubh})`;
      case BPF_JLT: return `(${ah} === ${bh} ? ${ua} < ${ub} : ${uah} < ${ubh})`;
      case BPF_JLE: return `(${ah} === ${bh} ? ${ua} <= ${ub} : ${uah} < ${ubh})`;
      case BPF_JSGT: return `(${ah} === ${bh} ? ${ua} > ${ub} : ${ah} > ${bh})`;
      case BPF_JSGE: return `(${ah} === ${bh} ? ${ua} >= ${ub} : ${ah} > ${bh})`;
      case BPF_JSLT: return `(${ah} === ${bh} ? ${ua} < ${ub} : ${ah} < ${bh})`;
      case BPF_JSLE: return `(${ah} === ${bh} ? ${ua} <= ${ub} : ${ah} < ${bh})`;
      case BPF_JSET: return `((${al} & ${bl}) | (${ah} & ${bh})) !== 0`;
    }
    throw new Error(`bpfsim JIT: unknown jump op ${op}`);
  }

  /** Memory operand at base register + off: emits code leaving (region, offset) in (g, x), or a slow path. */
  private load(pc: number, base: number, off: number, size: number, dl: string, dh: string, signExtend: boolean): void {
    const ext = (v: string): string => (signExtend ? (size === 1 ? `(${v} << 24) >> 24` : size === 2 ? `(${v} << 16) >> 16` : v) : v);
    const fast = (view: string, at: string): string => {
      if (size === 8) return `${dl} = ${view}.getInt32(${at}, true); ${dh} = ${view}.getInt32(${at} + 4, true);`;
      const get = size === 1 ? (signExtend ? 'getInt8' : 'getUint8') : size === 2 ? (signExtend ? 'getInt16' : 'getUint16') : 'getInt32';
      return `${dl} = ${view}.${get}(${at}, true); ${dh} = ${signExtend ? `${dl} >> 31` : '0'};`;
    };
    if (base === 10 && this.fpFixed && off >= -MAX_BPF_STACK && off + size <= 0) {
      this.line(fast('SV', `${MAX_BPF_STACK + off}`));
      return;
    }
    this.line(`g = R[(${rh(base)} - ${REGION_HI_BASE}) >>> 0]; x = ${rl(base)} + ${off - REGION_LO_BASE};`);
    // rsz is 0 for regions with field hooks, sending them to the slow path; x >>> 0 turns a
    // negative offset into one far beyond any region (see memory.ts).
    this.line(`if (g !== undefined && (x >>> 0) <= g.rsz - ${size}) { ${fast('g.view', 'x')} }`);
    // A ctx field with a hook (xdp_md->data…): ask the hook directly; it may load a whole
    // pointer from a 4-byte field, so O[1] is taken as it is. Anything else: the slow path.
    this.line(`else if (g !== undefined && (x >>> 0) <= g.size - ${size} && g.access !== null && g.access.load(x, ${size}, O)) { ${dl} = ${ext('O[0]')}; ${dh} = ${signExtend ? `${dl} >> 31` : 'O[1]'}; }`);
    this.line(`else { C.b = B; LD(C, ${pc}, ${rh(base)}, ${rl(base)}, ${off}, ${size}, O); ${dl} = ${ext('O[0]')}; ${dh} = ${signExtend ? `${dl} >> 31` : 'O[1]'}; }`);
  }

  private store(pc: number, base: number, off: number, size: number, vl: string, vh: string): void {
    const put = (view: string, at: string): string => {
      if (size === 8) return `${view}.setInt32(${at}, ${vl}, true); ${view}.setInt32(${at} + 4, ${vh}, true);`;
      return `${view}.${size === 1 ? 'setUint8' : size === 2 ? 'setUint16' : 'setInt32'}(${at}, ${vl}, true);`;
    };
    if (base === 10 && this.fpFixed && off >= -MAX_BPF_STACK && off + size <= 0) {
      this.line(put('SV', `${MAX_BPF_STACK + off}`));
      return;
    }
    this.line(`g = R[(${rh(base)} - ${REGION_HI_BASE}) >>> 0]; x = ${rl(base)} + ${off - REGION_LO_BASE};`);
    this.line(`if (g !== undefined && (x >>> 0) <= g.wsz - ${size}) { ${put('g.view', 'x')} }`);
    this.line(`else { C.b = B; ST(C, ${pc}, ${rh(base)}, ${rl(base)}, ${off}, ${size}, ${vl}, ${vh}); }`);
  }

  private insn(pc: number): void {
    const ins = this.P.insns[pc]!;
    const { code, dst, src, off, imm } = ins;
    const cls = BPF_CLASS(code);
    const op = BPF_OP(code);
    const x = BPF_SRC(code) === BPF_X;
    const dl = rl(dst);
    const dh = rh(dst);
    const k = x ? this.constAt(pc, src) : { lo: imm, hi: imm >> 31, def: -1 };
    const bl = k ? `${k.lo}` : rl(src);
    const bh = k ? `${k.hi}` : rh(src);

    if (cls === BPF_ALU64) {
      switch (op) {
        case BPF_ADD:
          this.line(`t = (${dl} >>> 0) + ${k ? k.lo >>> 0 : `(${bl} >>> 0)`}; ${dh} = (${dh}${k?.hi === 0 ? '' : ` + ${bh}`} + (t > 4294967295 ? 1 : 0)) | 0; ${dl} = t | 0;`);
          return;
        case BPF_SUB:
          this.line(`t = (${dl} >>> 0) - ${k ? k.lo >>> 0 : `(${bl} >>> 0)`}; ${dh} = (${dh}${k?.hi === 0 ? '' : ` - ${bh}`} - (t < 0 ? 1 : 0)) | 0; ${dl} = t | 0;`);
          return;
        case BPF_MUL:
          if (k && k.hi === 0 && k.lo >= 0 && k.lo < 65536) {
            // A small constant: the high word of dl * k is exact in one float multiply.
            this.line(`t = Math.imul(${dl}, ${k.lo}); ${dh} = (Math.imul(${dh}, ${k.lo}) + Math.floor((${dl} >>> 0) * ${k.lo} / 4294967296)) | 0; ${dl} = t;`);
          } else if (k) {
            const cross = k.hi === 0 ? '' : ` + Math.imul(${dl}, ${k.hi})`;
            this.line(`t = Math.imul(${dl}, ${k.lo}); ${dh} = (Math.imul(${dh}, ${k.lo})${cross} + MH(${dl}, ${k.lo})) | 0; ${dl} = t;`);
          } else {
            this.line(`t = Math.imul(${dl}, ${bl}); ${dh} = (Math.imul(${dh}, ${bl}) + Math.imul(${dl}, ${bh}) + MH(${dl}, ${bl})) | 0; ${dl} = t;`);
          }
          return;
        case BPF_DIV:
        case BPF_MOD: {
          const f = op === BPF_DIV ? (off === 1 ? 'SDIV' : 'UDIV') : off === 1 ? 'SMOD' : 'UMOD';
          this.line(`${f}(${dh}, ${dl}, ${bh}, ${bl}); ${dl} = O[0]; ${dh} = O[1];`);
          return;
        }
        case BPF_OR:
          this.line(`${dl} |= ${bl}; ${dh} |= ${bh};`);
          return;
        case BPF_AND:
          this.line(`${dl} &= ${bl}; ${dh} &= ${bh};`);
          return;
        case BPF_XOR:
          this.line(`${dl} ^= ${bl}; ${dh} ^= ${bh};`);
          return;
        case BPF_LSH:
        case BPF_RSH:
        case BPF_ARSH:
          if (!k) {
            this.line(`${op === BPF_LSH ? 'SHL' : op === BPF_RSH ? 'SHR' : 'SAR'}(${dh}, ${dl}, ${bl} & 63); ${dl} = O[0]; ${dh} = O[1];`);
          } else this.shiftImm(op, dl, dh, k.lo & 63);
          return;
        case BPF_NEG:
          this.line(`t = ${dl}; ${dl} = -t | 0; ${dh} = (~${dh} + (t === 0 ? 1 : 0)) | 0;`);
          return;
        case BPF_MOV:
          if (!x || off === 0 || off === 1) this.line(`${dl} = ${bl}; ${dh} = ${bh};`);
          else if (off === 32) this.line(`${dl} = ${bl}; ${dh} = ${dl} >> 31;`);
          else this.line(`${dl} = (${bl} << ${32 - off}) >> ${32 - off}; ${dh} = ${dl} >> 31;`);
          return;
        case BPF_END:
          if (imm === 16) this.line(`${dl} = BS16(${dl}); ${dh} = 0;`);
          else if (imm === 32) this.line(`${dl} = BS32(${dl}); ${dh} = 0;`);
          else this.line(`t = ${dl}; ${dl} = BS32(${dh}); ${dh} = BS32(t);`);
          return;
      }
    }

    if (cls === BPF_ALU) {
      let v: string | undefined;
      switch (op) {
        case BPF_ADD: v = `(${dl} + ${bl}) | 0`; break;
        case BPF_SUB: v = `(${dl} - ${bl}) | 0`; break;
        case BPF_MUL: v = `Math.imul(${dl}, ${bl})`; break;
        case BPF_DIV: v = `${off === 1 ? 'SDIV32' : 'UDIV32'}(${dl}, ${bl})`; break;
        case BPF_MOD: v = `${off === 1 ? 'SMOD32' : 'UMOD32'}(${dl}, ${bl})`; break;
        case BPF_OR: v = `${dl} | ${bl}`; break;
        case BPF_AND: v = `${dl} & ${bl}`; break;
        case BPF_XOR: v = `${dl} ^ ${bl}`; break;
        case BPF_LSH: v = k ? `${dl} << ${k.lo & 31}` : `${dl} << (${bl} & 31)`; break;
        case BPF_RSH: v = k ? `${dl} >>> ${k.lo & 31}` : `${dl} >>> (${bl} & 31)`; break;
        case BPF_ARSH: v = k ? `${dl} >> ${k.lo & 31}` : `${dl} >> (${bl} & 31)`; break;
        case BPF_NEG: v = `-${dl} | 0`; break;
        case BPF_MOV: v = !x || off === 0 ? bl : `(${bl} << ${32 - off}) >> ${32 - off}`; break;
        case BPF_END:
          if (BPF_SRC(code) === BPF_TO_BE) {
            if (imm === 64) {
              this.line(`t = ${dl}; ${dl} = BS32(${dh}); ${dh} = BS32(t);`);
              return;
            }
            v = imm === 16 ? `BS16(${dl})` : `BS32(${dl})`;
          } else {
            if (imm === 64) return; // to_le64 on little-endian: nothing
            v = imm === 16 ? `${dl} & 65535` : dl;
          }
          break;
      }
      // `| 0` keeps V8 on int32 (the unsigned shift gives a uint32)
      this.line(`${dl} = (${v}) | 0; ${dh} = 0;`);
      return;
    }

    if (cls === BPF_LDX) {
      this.load(pc, src, off, bpfSizeBytes(BPF_SIZE(code)), dl, dh, BPF_MODE(code) === BPF_MEMSX);
      return;
    }
    if (cls === BPF_ST) {
      this.store(pc, dst, off, bpfSizeBytes(BPF_SIZE(code)), `${imm}`, `${imm >> 31}`);
      return;
    }
    if (cls === BPF_STX) {
      const size = bpfSizeBytes(BPF_SIZE(code));
      if (BPF_MODE(code) !== BPF_ATOMIC || imm === BPF_STORE_REL) {
        this.store(pc, dst, off, size, rl(src), rh(src));
        return;
      }
      if (imm === BPF_LOAD_ACQ) {
        this.load(pc, src, off, size, dl, dh, false);
        return;
      }
      const wide = size === 8;
      this.line(`C.b = B; AT(C, ${pc}, ${imm}, ${size}, ${dh}, ${dl}, ${off}, ${rl(src)}, ${wide ? rh(src) : '0'}, r0l, ${wide ? 'r0h' : '0'}, O);`);
      if (imm === BPF_CMPXCHG) this.line(`r0l = O[0]; r0h = O[1];`);
      else if (imm & BPF_FETCH) this.line(`${rl(src)} = O[0]; ${rh(src)} = O[1];`);
      return;
    }
    if (code === LD_IMM64) {
      if (ins.src === BPF_PSEUDO_FUNC) this.line(`${dl} = ${pc + 1 + imm}; ${dh} = 0;`);
      else if (ins.src === 0) this.line(`${dl} = ${imm}; ${dh} = ${this.P.insns[pc + 1]!.imm};`);
      else this.line(`C.b = B; throw INV(${pc}, 1, ${ins.src});`);
      return;
    }
    if (cls === BPF_LD) {
      const size = bpfSizeBytes(BPF_SIZE(code));
      const offset = BPF_MODE(code) === BPF_ABS ? `${imm}` : `(${rl(src)} + ${imm}) | 0`;
      this.line(`C.b = B; C.pc = ${pc}; r0l = C.ldAbs(${offset}, ${size}); r0h = 0;`);
      return;
    }
    if ((cls === BPF_JMP || cls === BPF_JMP32) && op === BPF_CALL) {
      this.call(pc, ins);
      return;
    }
    throw new Error(`bpfsim JIT: cannot compile opcode ${code} at ${pc}`);
  }

  private shiftImm(op: number, dl: string, dh: string, n: number): void {
    if (n === 0) return;
    if (op === BPF_LSH) {
      if (n < 32) this.line(`${dh} = (${dh} << ${n}) | (${dl} >>> ${32 - n}); ${dl} = ${dl} << ${n};`);
      else this.line(`${dh} = ${dl} << ${n - 32}; ${dl} = 0;`);
    } else if (op === BPF_RSH) {
      if (n < 32) this.line(`${dl} = (${dl} >>> ${n}) | (${dh} << ${32 - n}); ${dh} = ${dh} >>> ${n} | 0;`);
      else this.line(`${dl} = ${dh} >>> ${n - 32} | 0; ${dh} = 0;`);
    } else {
      if (n < 32) this.line(`${dl} = (${dl} >>> ${n}) | (${dh} << ${32 - n}); ${dh} = ${dh} >> ${n};`);
      else this.line(`${dl} = ${dh} >> ${n - 32}; ${dh} = ${dh} >> 31;`);
    }
  }

  private call(pc: number, ins: Insn): void {
    const regs = [1, 2, 3, 4, 5].map((n) => `${rl(n)}, ${rh(n)}`).join(', ');
    if (ins.src === BPF_PSEUDO_CALL) {
      const target = this.P.subprogOf[pc + 1 + ins.imm]!;
      this.line(`C.b = B; C.pc = ${pc}; if (C.depth + 1 >= ${MAX_CALL_FRAMES}) throw CDF(${pc}); C.depth++;`);
      this.line(`r0l = f${target}(C, ${regs}); r0h = C.rh; C.depth--; B = C.b;`);
      return;
    }
    if (ins.src !== 0) {
      this.line(`C.b = B; throw INV(${pc}, 2, ${ins.imm});`);
      return;
    }
    if (ins.imm === BPF_FUNC_tail_call) {
      this.line(`C.b = B; C.pc = ${pc}; g = C.tailCall(r2h, r2l, r3l);`);
      // The target starts afresh with r1 (ctx) only, as the interpreter does.
      this.line(`if (g !== undefined) return g.enter(C, TAIL(r1l, r1h));`);
      this.line(`r0l = -22; r0h = -1;`);
      return;
    }
    this.line(`A[0] = r1l; A[1] = r1h; A[2] = r2l; A[3] = r2h; A[4] = r3l; A[5] = r3h; A[6] = r4l; A[7] = r4h; A[8] = r5l; A[9] = r5h;`);
    this.line(`C.b = B; C.pc = ${pc}; g = H[${ins.imm}]; if (g === undefined) throw HF(${pc}, ${ins.imm}); g(C); r0l = C.retLo; r0h = C.retHi;`);
  }
}

/** The registers an instruction writes (r1-r5 survive calls in both engines). */
function writes(ins: Insn): number[] {
  const cls = BPF_CLASS(ins.code);
  if (cls === BPF_ALU || cls === BPF_ALU64 || cls === BPF_LDX) return [ins.dst];
  if (ins.code === LD_IMM64) return [ins.dst];
  if (cls === BPF_LD) return [0];
  if (cls === BPF_STX && BPF_MODE(ins.code) === BPF_ATOMIC) {
    if (ins.imm === BPF_CMPXCHG) return [0];
    if (ins.imm === BPF_LOAD_ACQ) return [ins.dst];
    if (ins.imm & BPF_FETCH) return [ins.src];
    return [];
  }
  if ((cls === BPF_JMP || cls === BPF_JMP32) && BPF_OP(ins.code) === BPF_CALL) return [0];
  return [];
}

interface ConstReg {
  lo: number;
  hi: number;
  /** Slot of its only definition. */
  def: number;
}

/**
 * Registers a subprogram sets exactly once, to a constant: wherever that definition
 * dominates a use, the register holds the constant (a definition that runs again writes
 * the same value). The JIT then uses the constant instead of the register: cheaper
 * multiplies, shifts and comparisons. (The verifier's facts will take this further.)
 */
function constantRegisters(P: PreparedProgram, sp: Subprog): Map<number, ConstReg> {
  const defs = new Map<number, number[]>();
  for (const b of sp.blocks) {
    for (let i = b.start; i < b.end; i += P.insns[i]!.code === LD_IMM64 ? 2 : 1) {
      for (const r of writes(P.insns[i]!)) defs.set(r, [...(defs.get(r) ?? []), i]);
    }
  }
  const out = new Map<number, ConstReg>();
  for (const [r, at] of defs) {
    if (at.length !== 1 || r === 10) continue;
    const d = at[0]!;
    const ins = P.insns[d]!;
    if (ins.code === (BPF_ALU64 | BPF_MOV | BPF_K)) out.set(r, { lo: ins.imm, hi: ins.imm >> 31, def: d });
    else if (ins.code === LD_IMM64 && ins.src === 0) out.set(r, { lo: ins.imm, hi: P.insns[d + 1]!.imm, def: d });
  }
  return out;
}

/** Depth of nested blocks and loops in the structured program. */
function nesting(nodes: Structured[]): number {
  let max = 0;
  for (const n of nodes) {
    if (n.kind === 'code') {
      for (const e of n.exits) if (e.kind === 'inline') max = Math.max(max, 1 + nesting(e.body));
    } else max = Math.max(max, 1 + nesting(n.body));
  }
  return max;
}

/** The JavaScript source of a program: one function per subprogram, returning the main one. */
export function generateSource(P: PreparedProgram): string {
  const fns = P.subprogs.map((sp, k) => new FunctionEmitter(P, sp, k).emit());
  const names = Object.keys(RUNTIME).join(', ');
  return `'use strict';\nconst { ${names} } = K;\n${fns.join('\n')}\nreturn f0;`;
}

type MainFn = (C: ExecContext, ...args: number[]) => number;

export class JitProgram implements Runnable {
  readonly source: string;
  private readonly main: MainFn;

  constructor(readonly prepared: PreparedProgram) {
    this.source = generateSource(prepared);
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    this.main = new Function('K', this.source)(RUNTIME) as MainFn;
  }

  enter(C: ExecContext, a: Int32Array): number {
    return this.main(C, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!);
  }
}

