// Precision tracking (kernel/bpf/verifier.c: push_jmp_history, backtrack_insn,
// __mark_chain_precision). A privileged verifier keeps scalars "imprecise" until some
// decision depends on their exact value (a branch it could predict, a memory size, a
// return range, a pointer offset); then it walks the path back and marks every register
// and stack slot the value came from as precise in the stored checkpoints.
//
// bpfsim keeps the marks as Linux does and uses them where Linux's result depends on them:
// widening imprecise scalars across may_goto iterations, and the log (`P` prefixes, the
// `mark_precise:` lines at level 2). State comparison itself still treats every scalar as
// precise (see prune.ts), which is sound and only costs extra exploration.
import type { Env } from './env';
import { subprogIsGlobal } from './btf-func';
import { fail } from './env';
import { formatKernelInsn } from '@bpfsim/isa';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_CALL,
  BPF_CLASS,
  BPF_END,
  BPF_EXIT,
  BPF_IND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MODE,
  BPF_MOV,
  BPF_NEG,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  BPF_ATOMIC,
  BPF_X,
} from '@bpfsim/isa';
import { frameStateStr } from './log';
import type { HistEntry, VerifierState } from './state';
import { BPF_REG_SIZE, STACK_SPILL, isSpilledReg } from './state';

const MAX_CALL_FRAMES = 8;
/** r1-r5 */
const REGMASK_ARGS = 0x3e;

/** push_jmp_history(): record the current instruction in the path's history (once per
 * instruction: later calls for the same instruction merge into its entry). */
export function pushJmpHistory(env: Env, extra?: Omit<HistEntry, 'idx' | 'prevIdx'>): void {
  if (env.curHistEnt) {
    if (extra) Object.assign(env.curHistEnt, extra);
    return;
  }
  const e: HistEntry = extra ? { idx: env.insnIdx, prevIdx: env.prevInsnIdx, ...extra } : { idx: env.insnIdx, prevIdx: env.prevInsnIdx };
  env.cur.jmpHistory.push(e);
  env.curHistEnt = e;
}

/** struct backtrack_state: registers and stack slots that need precision, per frame
 * (reg_masks[] and stack_masks[]; a frame's 64 slots as two 32-bit words, spi 0-31 and 32-63). */
class Backtrack {
  frame = 0;
  readonly regs = new Int32Array(MAX_CALL_FRAMES);
  readonly slotsLo = new Int32Array(MAX_CALL_FRAMES);
  readonly slotsHi = new Int32Array(MAX_CALL_FRAMES);
  /** The highest frame whose masks may be non-zero (frames above it are all zero). */
  private top = MAX_CALL_FRAMES - 1;
  init(frame: number): void {
    this.frame = frame;
    for (let i = 0; i <= this.top; i++) {
      this.regs[i] = 0;
      this.slotsLo[i] = 0;
      this.slotsHi[i] = 0;
    }
    this.top = frame;
  }
  /** bt_empty() */
  empty(): boolean {
    for (let i = 0; i <= this.top; i++) if (this.regs[i] !== 0 || this.slotsLo[i] !== 0 || this.slotsHi[i] !== 0) return false;
    return true;
  }
  regSet(r: number, fr = this.frame): boolean {
    return (this.regs[fr]! & (1 << r)) !== 0;
  }
  setReg(r: number, fr = this.frame): void {
    this.regs[fr]! |= 1 << r;
    if (fr > this.top) this.top = fr;
  }
  clearReg(r: number, fr = this.frame): void {
    this.regs[fr]! &= ~(1 << r);
  }
  /** bt_frame_stack_mask() !== 0 */
  hasSlots(fr = this.frame): boolean {
    return this.slotsLo[fr] !== 0 || this.slotsHi[fr] !== 0;
  }
  slotSet(spi: number, fr = this.frame): boolean {
    return ((spi < 32 ? this.slotsLo[fr]! : this.slotsHi[fr]!) & (1 << (spi & 31))) !== 0;
  }
  setSlot(spi: number, fr = this.frame): void {
    if (spi < 32) this.slotsLo[fr]! |= 1 << spi;
    else this.slotsHi[fr]! |= 1 << (spi & 31);
    if (fr > this.top) this.top = fr;
  }
  clearSlot(spi: number, fr = this.frame): void {
    if (spi < 32) this.slotsLo[fr]! &= ~(1 << spi);
    else this.slotsHi[fr]! &= ~(1 << (spi & 31));
  }
  /** bt_subprog_enter / bt_subprog_exit */
  enter(): void {
    if (this.frame >= MAX_CALL_FRAMES - 1) fail('EFAULT', `verifier bug: subprog enter from frame ${this.frame}`);
    this.frame++;
  }
  exit(): void {
    if (this.frame === 0) fail('EFAULT', 'verifier bug: subprog exit from frame 0');
    this.frame--;
  }
  regsStr(fr = this.frame): string {
    const out: string[] = [];
    for (let i = 0; i < 32; i++) if (this.regs[fr]! & (1 << i)) out.push(`r${i}`);
    return out.join(',');
  }
  slotsStr(fr = this.frame): string {
    const out: string[] = [];
    for (let i = 0; i < 64; i++) if (this.slotSet(i, fr)) out.push(`${-(i + 1) * BPF_REG_SIZE}`);
    return out.join(',');
  }
}

/** env->bt: markChainPrecision() does not nest, so one backtrack state serves every call. */
const btScratch = new Backtrack();

/** Thrown by backtrackInsn for what it cannot follow (-ENOTSUPP): then every scalar is forced precise. */
class NotSupported extends Error {}

/** bt_sync_linked_regs(): if one member of a linked set needs precision, all do. */
function syncLinked(bt: Backtrack, hist: HistEntry | undefined): void {
  if (!hist?.linked?.length) return;
  const some = hist.linked.some((e) => (e.isReg ? bt.regSet(e.index, e.frameno) : bt.slotSet(e.index, e.frameno)));
  if (!some) return;
  for (const e of hist.linked) {
    if (e.isReg) bt.setReg(e.index, e.frameno);
    else bt.setSlot(e.index, e.frameno);
  }
}

/** backtrack_insn(): move precision needs from after `idx` to before it. */
function backtrackInsn(env: Env, idx: number, subseqIdx: number, hist: HistEntry | undefined, bt: Backtrack): void {
  const insn = env.insns[idx]!;
  if (insn.code === 0) return;
  const cls = BPF_CLASS(insn.code);
  const op = BPF_OP(insn.code);
  const dreg = insn.dst;
  const sreg = insn.src;
  if (env.log.level >= 2) {
    env.verbose(`mark_precise: frame${bt.frame}: regs=${bt.regsStr()} stack=${bt.slotsStr()} before ${idx}: ${formatKernelInsn(env.insns, idx, env.disasmOptions)}\n`);
  }
  syncLinked(bt, hist);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!bt.regSet(dreg)) return;
    if (op === BPF_END || op === BPF_NEG) return;
    if (op === BPF_MOV) {
      bt.clearReg(dreg);
      if (BPF_SRC(insn.code) === BPF_X && sreg !== 10) bt.setReg(sreg);
    } else if (BPF_SRC(insn.code) === BPF_X && sreg !== 10) {
      bt.setReg(sreg);
    }
  } else if (cls === BPF_LDX || (cls === BPF_STX && BPF_MODE(insn.code) === BPF_ATOMIC && insn.imm === BPF_LOAD_ACQ)) {
    if (!bt.regSet(dreg)) return;
    bt.clearReg(dreg);
    if (!hist?.stack) return;
    bt.setSlot(hist.stack.spi, hist.stack.frameno);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    if (bt.regSet(dreg)) throw new NotSupported();
    if (!hist?.stack) return;
    const { spi, frameno } = hist.stack;
    if (!bt.slotSet(spi, frameno)) return;
    bt.clearSlot(spi, frameno);
    if (cls === BPF_STX) bt.setReg(sreg);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL) {
      const subprog = env.subprogs.findIndex((s) => s.start === idx + insn.imm + 1);
      if (subprogIsGlobal(env, subprog)) {
        // R1-R5 were invalidated by the call and a global function always sets R0.
        if (bt.regs[bt.frame]! & REGMASK_ARGS) fail('EFAULT', `verifier bug: global subprog unexpected regs ${bt.regs[bt.frame]!.toString(16)}`);
        bt.clearReg(0);
        return;
      }
      // A static subprogram's arguments belong to the caller's registers.
      if (bt.regs[bt.frame]! & ~REGMASK_ARGS) fail('EFAULT', `verifier bug: static subprog unexpected regs ${bt.regs[bt.frame]!.toString(16)}`);
      if (bt.hasSlots()) fail('EFAULT', 'verifier bug: static subprog leftover stack slots');
      for (let r = 1; r <= 5; r++) {
        if (bt.regSet(r)) {
          bt.clearReg(r);
          bt.setReg(r, bt.frame - 1);
        }
      }
      bt.exit();
      return;
    }
    if (op === BPF_CALL) {
      if (insn.src === BPF_PSEUDO_KFUNC_CALL && insn.imm === 0) throw new NotSupported();
      bt.clearReg(0);
      if (bt.regs[bt.frame]! & REGMASK_ARGS) fail('EFAULT', `verifier bug: backtracking call unexpected regs ${bt.regs[bt.frame]!.toString(16)}`);
      if (insn.src === 0 && insn.imm === 12 /* tail_call */ && subseqIdx - idx !== 1) bt.enter();
    } else if (op === BPF_EXIT) {
      if (bt.regs[bt.frame]! & REGMASK_ARGS) fail('EFAULT', `verifier bug: backtracking exit unexpected regs ${bt.regs[bt.frame]!.toString(16)}`);
      const prev = env.insns[subseqIdx - 1];
      const r0Precise = subseqIdx - 1 >= 0 && prev !== undefined && prev.code === (BPF_JMP | BPF_CALL) && prev.src === BPF_PSEUDO_CALL && bt.regSet(0);
      bt.clearReg(0);
      bt.enter();
      if (r0Precise) bt.setReg(0);
      return;
    } else if (BPF_SRC(insn.code) === BPF_X) {
      if (!bt.regSet(dreg) && !bt.regSet(sreg)) return;
      if (!hist?.srcStack) bt.setReg(sreg);
      if (!hist?.dstStack) bt.setReg(dreg);
    }
  } else if (cls === BPF_LD) {
    if (!bt.regSet(dreg)) return;
    bt.clearReg(dreg);
    const mode = BPF_MODE(insn.code);
    if (mode === BPF_IND || mode === BPF_ABS) throw new NotSupported();
  }
  syncLinked(bt, hist);
}

/** get_prev_insn_idx(): the instruction before `i` on this state's path, or -1. */
function prevInsnIdx(st: VerifierState, i: number, cursor: { history: number }): number {
  const h = st.jmpHistory;
  if (i === st.firstInsnIdx) {
    if (cursor.history === 0) return -1;
    if (cursor.history === 1 && h[0]!.idx === i) return -1;
  }
  if (cursor.history && h[cursor.history - 1]!.idx === i) {
    cursor.history--;
    return h[cursor.history]!.prevIdx;
  }
  return i - 1;
}

/** mark_all_scalars_precise(): the fallback when backtracking cannot follow the path. */
export function markAllScalarsPreciseFrom(env: Env, start: VerifierState): void {
  markAllScalarsPrecise(env, start);
}

function markAllScalarsPrecise(env: Env, start: VerifierState): void {
  if (env.log.level >= 2) env.verbose(`mark_precise: frame${start.curframe}: falling back to forcing all scalars precise\n`);
  for (let cp = start.parent; cp; cp = cp.state.parent) {
    const st = cp.state;
    for (let i = 0; i <= st.curframe; i++) {
      const f = st.frames[i]!;
      for (let j = 0; j < 10; j++) {
        const r = f.regs[j]!;
        if (r.type !== 'SCALAR_VALUE' || r.precise) continue;
        r.precise = true;
        if (env.log.level >= 2) env.verbose(`force_precise: frame${i}: forcing r${j} to be precise\n`);
      }
      f.stack.forEach((slot, spi) => {
        if (!isSpilledReg(slot)) return;
        const r = slot.spilled;
        if (r.type !== 'SCALAR_VALUE' || r.precise) return;
        r.precise = true;
        if (env.log.level >= 2) env.verbose(`force_precise: frame${i}: forcing fp${-(spi + 1) * BPF_REG_SIZE} to be precise\n`);
      });
    }
  }
}

/** mark_all_scalars_imprecise(): a new checkpoint starts with no precision demands. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frames[i]!;
    for (let j = 0; j < 10; j++) if (f.regs[j]!.type === 'SCALAR_VALUE') f.regs[j]!.precise = false;
    for (const slot of f.stack) if (isSpilledReg(slot) && slot.spilled.type === 'SCALAR_VALUE') slot.spilled.precise = false;
  }
}

/** The precision demands to start from: a register of the current frame, and/or slots. */
export interface PrecisionSeed {
  regno?: number;
  /** Registers and stack slots per frame (propagate_precision, constant map keys). */
  regs?: readonly { frameno: number; regno: number }[];
  slots?: readonly { frameno: number; spi: number }[];
}

/** __mark_chain_precision() from `start` (the current state unless given). Returns true when
 * some checkpoint gained a precision mark. */
export function markChainPrecision(env: Env, seed: PrecisionSeed | number, start: VerifierState = env.cur): boolean {
  if (!env.privileged) return false;
  const bt = btScratch;
  bt.init(start.curframe);
  let changed = false;
  if (typeof seed === 'number') {
    if (seed >= 0) {
      const reg = start.frames[bt.frame]!.regs[seed]!;
      if (reg.type !== 'SCALAR_VALUE') fail('EFAULT', 'verifier bug: backtracking misuse');
      bt.setReg(seed);
    }
  } else {
    if (seed.regno !== undefined && seed.regno >= 0) {
      const reg = start.frames[bt.frame]!.regs[seed.regno]!;
      if (reg.type !== 'SCALAR_VALUE') fail('EFAULT', 'verifier bug: backtracking misuse');
      bt.setReg(seed.regno);
    }
    for (const r of seed.regs ?? []) bt.setReg(r.regno, r.frameno);
    for (const sl of seed.slots ?? []) bt.setSlot(sl.spi, sl.frameno);
  }
  if (bt.empty()) return false;

  let st: VerifierState = start;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = st.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  try {
    for (;;) {
      const cursor = { history: st.jmpHistory.length };
      if (env.log.level >= 2) env.verbose(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`);
      if (lastIdx < 0) {
        // The entry of a global function verified on its own: R1-R5 are its arguments,
        // unknown scalars for any caller, so asking them precise ends here.
        const f0 = st.frames[0]!;
        if (st.curframe === 0 && f0.subprogno > 0 && f0.callsite === -1 && !bt.hasSlots(0) && (bt.regs[0]! & ~REGMASK_ARGS) === 0) {
          for (let r = 1; r <= 5; r++) {
            if (!bt.regSet(r, 0)) continue;
            bt.clearReg(r, 0);
            const reg = f0.regs[r]!;
            if (reg.type === 'SCALAR_VALUE') reg.precise = true;
          }
          return changed;
        }
        fail('EFAULT', `verifier bug: backtracking func entry subprog ${f0.subprogno}`);
      }
      for (let i = lastIdx; ; ) {
        if (skipFirst) skipFirst = false;
        else {
          const h = cursor.history > 0 && st.jmpHistory[cursor.history - 1]!.idx === i ? st.jmpHistory[cursor.history - 1] : undefined;
          backtrackInsn(env, i, subseqIdx, h, bt);
        }
        if (bt.empty()) return changed;
        subseqIdx = i;
        i = prevInsnIdx(st, i, cursor);
        if (i < 0) break;
        if (i >= env.insns.length) fail('EFAULT', `verifier bug: backtracking idx ${i}`);
      }
      const parent = st.parent?.state;
      if (!parent) break;
      st = parent;
      for (let fr = bt.frame; fr >= 0; fr--) {
        const f = st.frames[fr]!;
        for (let r = 0; r < 32 && bt.regs[fr] !== 0; r++) {
          if (!bt.regSet(r, fr)) continue;
          const reg = f.regs[r];
          if (!reg || reg.type !== 'SCALAR_VALUE' || reg.precise) bt.clearReg(r, fr);
          else {
            reg.precise = true;
            changed = true;
          }
        }
        for (let spi = 0; spi < 64 && bt.hasSlots(fr); spi++) {
          if (!bt.slotSet(spi, fr)) continue;
          if (spi >= f.stack.length) fail('EFAULT', `verifier bug: stack slot ${spi}, total slots ${f.stack.length}`);
          const slot = f.stack[spi]!;
          if (!(slot.slotType[BPF_REG_SIZE - 1] === STACK_SPILL && slot.spilled.type === 'SCALAR_VALUE')) {
            bt.clearSlot(spi, fr);
            continue;
          }
          if (slot.spilled.precise) bt.clearSlot(spi, fr);
          else {
            slot.spilled.precise = true;
            changed = true;
          }
        }
        if (env.log.level >= 2) {
          env.verbose(`mark_precise: frame${fr}: parent state regs=${bt.regsStr(fr)} stack=${bt.slotsStr(fr)}: ${frameStateStr(f)}\n`);
        }
      }
      if (bt.empty()) return changed;
      subseqIdx = firstIdx;
      lastIdx = st.lastInsnIdx;
      firstIdx = st.firstInsnIdx;
    }
  } catch (e) {
    if (!(e instanceof NotSupported)) throw e;
    markAllScalarsPrecise(env, start);
    return true;
  }
  if (!bt.empty()) {
    markAllScalarsPrecise(env, start);
    return true;
  }
  return changed;
}
