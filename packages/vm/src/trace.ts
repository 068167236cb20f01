// Instruction-level tracing for a debugger (the playground's step-through view): a program
// with a ProgramTracer, or a run through traceRun(), runs on the interpreter, which tells
// an InsnTracer of each instruction before executing it. Linux has no such thing for BPF
// programs (bpftool prog tracelog is bpf_trace_printk); this is the simulator's own window.
import { MAX_BPF_STACK } from '@bpfsim/isa';
import type { ExecContext, InsnTracer } from './context';
import type { CtxRunResult, VmProgram } from './engine';
import { runCtx } from './engine';
import type { Fault } from './fault';
import type { Region } from './memory';
import { REGION_HI_BASE, toU64 } from './memory';
import type { PreparedProgram } from './program';

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
  /** The stack frame of this depth (MAX_BPF_STACK bytes; r10 points at its end), a copy
   * shared with the last step's at this depth when no byte changed. */
  stack: Uint8Array;
  /** The ctx's bytes, when the recorder was given the ctx (shared likewise). */
  ctx?: Uint8Array;
  /** After a tail call: the program these pcs are in (absent: the one the run began with). */
  program?: PreparedProgram;
}

/** The state after the run (TraceRecorder.finish()): what a debugger shows past `exit`. */
export interface TraceEnd {
  /** r0 at the end, unsigned 64-bit; 0 after a fault (as RunResult.r0). */
  r0: bigint;
  retval: number;
  fault?: Fault;
  insnCount: number;
  /**
   * r0..r10 after the last recorded step: an exit's registers with r0 the result; after a
   * fault, as the faulting instruction found them (it did not complete). Absent when the
   * recording is empty or truncated (the last step recorded is not the last executed).
   */
  regs?: bigint[];
  /** The main program's stack frame as the run left it (the last step's array if equal). */
  stack: Uint8Array;
  /** The ctx's bytes as the run left them, when the recorder was given the ctx. */
  ctx?: Uint8Array;
}

export interface TraceRecorderOptions {
  /** Steps to record (default 100,000); past them `truncated` is set and the run goes on. */
  maxSteps?: number;
  /** Record this region's bytes at each step too (the run's ctx). */
  ctx?: Region;
}

/** Records each instruction's state (up to maxSteps; the run itself goes on). */
export class TraceRecorder implements InsnTracer {
  readonly steps: TraceStep[] = [];
  truncated = false;
  /** The programs bpf_tail_call() entered, in order (a step names its own in `program`). */
  readonly programs: PreparedProgram[] = [];
  /** The state after the run, once finish() is called. */
  final: TraceEnd | undefined = undefined;
  private readonly maxSteps: number;
  private readonly ctx: Region | undefined;
  private lastStack: Uint8Array[] = [];
  private lastCtx: Uint8Array | undefined;
  private program: PreparedProgram | undefined;

  constructor(opts: TraceRecorderOptions = {}) {
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
    const stack = (this.lastStack[depth] = copyUnlessSame(this.lastStack[depth], bytes));
    const step: TraceStep = { pc, depth, regs: r, stack };
    if (this.ctx) step.ctx = this.lastCtx = copyUnlessSame(this.lastCtx, this.ctx.bytes);
    if (this.program) step.program = this.program;
    this.steps.push(step);
  }

  tailCall(prog: PreparedProgram): void {
    this.program = prog;
    this.programs.push(prog);
  }

  /**
   * Records how the run ended (`result` as runCtx() or runIn() returned it, in the context
   * it ran in) and returns it, also kept in `final`.
   */
  finish(result: CtxRunResult & { r0?: bigint }, C: ExecContext): TraceEnd {
    // runCtx() gives only the low word; the interpreter leaves the high one in C.rh.
    const r0 = result.fault ? 0n : (result.r0 ?? toU64(C.rh, result.retval | 0));
    const stack = copyUnlessSame(this.lastStack[0], C.frame(0).bytes.subarray(0, MAX_BPF_STACK));
    const end: TraceEnd = { r0, retval: result.retval, insnCount: result.insnCount, stack };
    if (result.fault) end.fault = result.fault;
    const last = this.steps[this.steps.length - 1];
    if (last && !this.truncated) end.regs = result.fault ? [...last.regs] : [r0, ...last.regs.slice(1)];
    if (this.ctx) end.ctx = copyUnlessSame(this.lastCtx, this.ctx.bytes);
    this.final = end;
    return end;
  }
}

/** What traceRun() returns. */
export interface TracedRun {
  result: CtxRunResult;
  /** The state before each instruction executed, in order. */
  steps: TraceStep[];
  truncated: boolean;
  /** The state after the run. */
  final: TraceEnd;
}

/**
 * runCtx() under a TraceRecorder: runs `prog` once with r1 = the start of `ctx` on the
 * interpreter, recording every instruction (the ctx's bytes too) and the end. A
 * ProgramTracer on `prog` is not asked: this run has its tracer.
 */
export function traceRun(prog: VmProgram, C: ExecContext, ctx: Region, opts: { maxSteps?: number } = {}): TracedRun {
  const rec = new TraceRecorder({ ...opts, ctx });
  const outer = C.tracer;
  C.tracer = rec;
  let result: CtxRunResult;
  try {
    result = runCtx(prog, 'interp', C, ctx);
  } finally {
    C.tracer = outer;
  }
  return { result, steps: rec.steps, truncated: rec.truncated, final: rec.finish(result, C) };
}

/** `prev` when it holds the same bytes as `now` (snapshots share unchanged memory), else a copy. */
function copyUnlessSame(prev: Uint8Array | undefined, now: Uint8Array): Uint8Array {
  if (prev && prev.length === now.length) {
    let i = 0;
    while (i < now.length && prev[i] === now[i]) i++;
    if (i === now.length) return prev;
  }
  return now.slice();
}
