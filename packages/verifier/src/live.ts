// Static register liveness (compute_live_registers): which registers an instruction may
// read before they are written again, on some path. States are compared only on live
// registers, so a dead register never stops pruning.
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_CMPXCHG,
  BPF_END,
  BPF_EXIT,
  BPF_FETCH,
  BPF_IMM,
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
  BPF_MODE,
  BPF_MOV,
  BPF_OP,
  BPF_SRC,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  LD_IMM64,
} from '@bpfsim/isa';
import { jmpOffset } from './cfg';

const ALL_CALLER_SAVED = 0x3f;

/** compute_insn_live_regs(): registers used and defined by one instruction. */
function useDef(insn: Insn, helperParams: (insn: Insn) => number | undefined): { use: number; def: number } {
  const cls = BPF_CLASS(insn.code);
  const op = BPF_OP(insn.code);
  const mode = BPF_MODE(insn.code);
  const src = 1 << insn.src;
  const dst = 1 << insn.dst;
  const r0 = 1;
  switch (cls) {
    case BPF_LD:
      if (insn.code === LD_IMM64 && mode === BPF_IMM) return { use: 0, def: dst };
      return { use: 0xffff, def: 0 };
    case BPF_LDX:
      if (mode === BPF_MEM || mode === BPF_MEMSX) return { use: src, def: dst };
      return { use: 0xffff, def: 0 };
    case BPF_ST:
      return mode === BPF_MEM ? { use: dst, def: 0 } : { use: 0xffff, def: 0 };
    case BPF_STX:
      if (mode === BPF_MEM) return { use: dst | src, def: 0 };
      if (mode === BPF_ATOMIC) {
        if (insn.imm === BPF_CMPXCHG) return { use: r0 | dst | src, def: r0 };
        if (insn.imm === BPF_LOAD_ACQ) return { use: src, def: dst };
        if (insn.imm === BPF_STORE_REL) return { use: dst | src, def: 0 };
        return { use: dst | src, def: insn.imm & BPF_FETCH ? src : 0 };
      }
      return { use: 0xffff, def: 0 };
    case BPF_ALU:
    case BPF_ALU64:
      if (op === BPF_END) return { use: dst, def: dst };
      if (op === BPF_MOV) return { use: BPF_SRC(insn.code) === BPF_K ? 0 : src, def: dst };
      return { use: BPF_SRC(insn.code) === BPF_K ? dst : dst | src, def: dst };
    case BPF_JMP:
    case BPF_JMP32:
      if (op === BPF_JA || op === BPF_JCOND) return { use: 0, def: 0 };
      if (op === BPF_EXIT) return { use: r0, def: 0 };
      if (op === BPF_CALL) {
        const n = helperParams(insn);
        // get_call_summary(): a helper reads exactly its parameters; others r1-r5.
        const use = n === undefined ? ALL_CALLER_SAVED & ~r0 : ((1 << (n + 1)) - 1) & ~1;
        return { use, def: ALL_CALLER_SAVED };
      }
      return { use: BPF_SRC(insn.code) === BPF_K ? dst : dst | src, def: 0 };
  }
  return { use: 0xffff, def: 0 };
}

/** bpf_insn_successors(): fall-through first, then the jump target. */
export function successors(insns: readonly Insn[], i: number): number[] {
  const insn = insns[i]!;
  const cls = BPF_CLASS(insn.code);
  const size = insn.code === LD_IMM64 ? 2 : 1;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [i + size];
  const op = BPF_OP(insn.code);
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return [i + 1];
  if (op === BPF_JA) return [i + jmpOffset(insn) + 1];
  return [i + 1, i + insn.off + 1];
}

/** compute_scc(): strongly connected components (loops) of the CFG, numbered from 1 in
 * the order an iterative Tarjan walk from instruction 0 upward completes them; 0 for an
 * instruction on no loop. */
export function computeScc(insns: readonly Insn[]): Uint32Array {
  const n = insns.length;
  const NOT_ON_STACK = 0xffffffff;
  const scc = new Uint32Array(n);
  const pre = new Uint32Array(n);
  const low = new Uint32Array(n);
  const stack: number[] = [];
  const succOf = (w: number): number[] => successors(insns, w).filter((s) => s < n);
  let nextPre = 1;
  let nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    const dfs = [i];
    outer: while (dfs.length) {
      const w = dfs[dfs.length - 1]!;
      if (pre[w] === 0) {
        low[w] = pre[w] = nextPre++;
        stack.push(w);
      }
      const succ = succOf(w);
      for (const s of succ) {
        if (pre[s]) low[w] = Math.min(low[w]!, low[s]!);
        else {
          dfs.push(s);
          continue outer;
        }
      }
      if (low[w]! < pre[w]!) {
        dfs.pop();
        continue;
      }
      const assign = stack[stack.length - 1] !== w || succ.includes(w);
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = NOT_ON_STACK;
        if (assign) scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}

/** compute_live_registers(): a backward dataflow to a fixed point. */
export function computeLiveRegs(insns: readonly Insn[], helperParams: (insn: Insn) => number | undefined): Uint16Array {
  const n = insns.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const live = new Uint16Array(n);
  const succ: number[][] = [];
  for (let i = 0; i < n; i++) {
    const ud = useDef(insns[i]!, helperParams);
    use[i] = ud.use;
    def[i] = ud.def;
    succ.push(successors(insns, i).filter((s) => s < n));
    if (insns[i]!.code === LD_IMM64) {
      succ.push([]);
      i++;
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const s of succ[i]!) out |= live[s]!;
      const inn = (out & ~def[i]!) | use[i]!;
      if (inn !== live[i]) {
        live[i] = inn;
        changed = true;
      }
    }
  }
  return live;
}
