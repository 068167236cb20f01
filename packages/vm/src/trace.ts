// Instruction-level tracing for a debugger (the playground's step-through view): a program
// with a ProgramTracer runs on the interpreter, which tells an InsnTracer of each
// instruction before executing it. Linux has no such thing for BPF programs (bpftool
// prog tracelog is bpf_trace_printk); this is the simulator's own window into a run.
import { MAX_BPF_STACK } from '@bpfsim/isa';
import type { ExecContext, InsnTracer } from './context';
import type { CtxRunResult } from './engine';
import type { Region } from './memory';
import { REGION_HI_BASE, toU64 } from './memory';

/** Attached to a VmProgram (`prog.tracer`): asked for a tracer at each run's start. */
export interface ProgramTracer {
  /** The tracer for this run (undefined: run it untraced, on the engine asked for). */
  begin(C: ExecContext, ctx: Region | undefined): InsnTracer | undefined;
  /** The run ended (after exit or a fault). */
  end(tracer: InsnTracer, result: CtxRunResult): void;
}

/** The machine state before one instruction. */
export interface TraceStep {
  pc: number;
  /** bpf-to-bpf call depth (0: the main program). */
  depth: number;
  /** r0..r10, unsigned 64-bit. */
  regs: bigint[];
  /** The stack frame of this depth (MAX_BPF_STACK bytes; r10 points at its end). Shared
   * with the previous step's array when no byte changed. */
  stack: Uint8Array;
  /** The ctx's bytes, when the recorder was given the ctx (shared likewise). */
  ctx?: Uint8Array;
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Records each instruction's state (up to maxSteps; the run itself goes on). */
export class TraceRecorder implements InsnTracer {
  readonly steps: TraceStep[] = [];
  truncated = false;
  private readonly maxSteps: number;
  private readonly ctx: Region | undefined;
  private lastStack: Uint8Array[] = [];
  private lastCtx: Uint8Array | undefined;

  constructor(opts: { maxSteps?: number; ctx?: Region } = {}) {
    this.maxSteps = opts.maxSteps ?? 100_000;
    this.ctx = opts.ctx;
  }

  insn(pc: number, depth: number, regs: Int32Array, C: ExecContext): void {
    if (this.steps.length >= this.maxSteps) {
      this.truncated = true;
      return;
    }
    const r: bigint[] = new Array<bigint>(11);
    for (let k = 0; k < 11; k++) r[k] = toU64(regs[2 * k + 1]!, regs[2 * k]!);
    const frame = C.R[(C.fh[depth]! - REGION_HI_BASE) >>> 0];
    const bytes = frame ? frame.bytes.subarray(0, MAX_BPF_STACK) : new Uint8Array(MAX_BPF_STACK);
    const prevStack = this.lastStack[depth];
    const stack = prevStack && same(prevStack, bytes) ? prevStack : bytes.slice();
    this.lastStack[depth] = stack;
    const step: TraceStep = { pc, depth, regs: r, stack };
    if (this.ctx) {
      const cb = this.ctx.bytes;
      const ctx = this.lastCtx && same(this.lastCtx, cb) ? this.lastCtx : cb.slice();
      this.lastCtx = ctx;
      step.ctx = ctx;
    }
    this.steps.push(step);
  }
}
