// Delta debugging of a disagreement (Zeller's ddmin, greedy): instructions are blanked to
// `ja +0` in ever smaller chunks, then operands zeroed, while the disagreement stays the same
// kind (bpfsim accepts what the kernel refuses, or the other way), and the blanks are dropped
// at the end with every jump, call and function reference re-aimed. Each round's candidates
// go to one predicate call, so a live kernel is asked once a round, not once a candidate.
import type { Insn } from '@bpfsim/isa';
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, LD_IMM64 } from '@bpfsim/isa';

/** `ja +0`: a blank that keeps every other instruction's slot. */
const NOP: Insn = { code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: 0, imm: 0 };
const isNop = (i: Insn): boolean => i.code === NOP.code && i.off === 0 && i.imm === 0 && i.dst === 0 && i.src === 0;

/** Which of the candidates still show the disagreement (one answer per candidate). */
export type StillDiffers = (candidates: readonly (readonly Insn[])[]) => readonly boolean[];

export interface MinimizeOptions {
  /** At most this many predicate calls (rounds). Default 40. */
  maxRounds?: number;
}

/** Where instruction `i` aims, as an absolute slot index, if it aims anywhere. */
function target(insns: readonly Insn[], i: number): number | undefined {
  const ins = insns[i]!;
  const cls = ins.code & 7;
  if (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC) return i + 1 + ins.imm;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const op = ins.code & 0xf0;
  if (op === BPF_EXIT) return undefined;
  if (op === BPF_CALL) return ins.src === BPF_PSEUDO_CALL ? i + 1 + ins.imm : undefined;
  if (cls === BPF_JMP32 && op === BPF_JA) return i + 1 + ins.imm;
  return i + 1 + ins.off;
}

/** The program without its blanks, every reference re-aimed at the slot it meant. */
export function compact(insns: readonly Insn[]): Insn[] {
  // (An ld_imm64's second slot has code 0: never a blank.)
  const keep = insns.map((ins) => !isNop(ins));
  const newIdx: number[] = [];
  let n = 0;
  for (let i = 0; i <= insns.length; i++) {
    newIdx[i] = n;
    if (i < insns.length && keep[i]) n++;
  }
  const out: Insn[] = [];
  for (let i = 0; i < insns.length; i++) {
    if (!keep[i]) continue;
    const ins = { ...insns[i]! };
    const t = target(insns, i);
    if (t !== undefined && t >= 0 && t <= insns.length) {
      const rel = newIdx[t]! - newIdx[i]! - 1;
      const cls = ins.code & 7;
      const op = ins.code & 0xf0;
      if (ins.code === LD_IMM64 || op === BPF_CALL || (cls === BPF_JMP32 && op === BPF_JA)) ins.imm = rel;
      else ins.off = rel;
    }
    out.push(ins);
  }
  return out;
}

/** Slots [i, i + k) blanked, widened to whole ld_imm64 pairs. */
function blank(insns: readonly Insn[], i: number, k: number): Insn[] | undefined {
  let from = i;
  let to = Math.min(insns.length, i + k);
  if (from > 0 && insns[from - 1]!.code === LD_IMM64) from--;
  if (to < insns.length && to > 0 && insns[to - 1]!.code === LD_IMM64) to++;
  let changed = false;
  const out = insns.slice();
  for (let j = from; j < to; j++) {
    if (!isNop(out[j]!)) changed = true;
    out[j] = NOP;
  }
  return changed ? out : undefined;
}

/** One instruction's operands zeroed where that changes something and keeps it meaningful. */
function simplifications(insns: readonly Insn[]): Insn[][] {
  const out: Insn[][] = [];
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (isNop(ins) || (i > 0 && insns[i - 1]!.code === LD_IMM64)) continue;
    if (ins.code === LD_IMM64 || target(insns, i) !== undefined || (ins.code & 0xf0) === BPF_CALL) continue;
    if (ins.imm !== 0) out.push(Object.assign(insns.slice(), { [i]: { ...ins, imm: 0 } }));
    if (ins.off !== 0) out.push(Object.assign(insns.slice(), { [i]: { ...ins, off: 0 } }));
  }
  return out;
}

/**
 * The smallest program found that still differs: blanks in chunks from half the program
 * down to one slot, then zeroed operands, then the blanks dropped (kept only if the compact
 * program still differs). The result is never longer than the input.
 */
export function minimize(insns: readonly Insn[], stillDiffers: StillDiffers, options: MinimizeOptions = {}): Insn[] {
  let rounds = options.maxRounds ?? 40;
  let cur = insns.slice();
  const tryAll = (cands: Insn[][]): boolean => {
    if (!cands.length || rounds <= 0) return false;
    rounds--;
    const ok = stillDiffers(cands);
    const i = ok.findIndex(Boolean);
    if (i < 0) return false;
    cur = cands[i]!;
    return true;
  };
  for (let k = Math.max(1, Math.floor(cur.length / 2)); k >= 1 && rounds > 0; ) {
    const cands: Insn[][] = [];
    for (let i = 0; i < cur.length; i += k) {
      const c = blank(cur, i, k);
      if (c) cands.push(c);
    }
    if (!tryAll(cands)) k = k === 1 ? 0 : Math.max(1, Math.floor(k / 2));
  }
  while (rounds > 0 && tryAll(simplifications(cur)));
  const small = compact(cur);
  if (small.length < cur.length && rounds > 0) {
    rounds--;
    if (stillDiffers([small])[0]) return small;
  }
  return cur;
}
