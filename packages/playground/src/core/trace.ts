// The step-through debugger's data: every run of one program during a scenario, recorded
// instruction by instruction by the interpreter (the JIT cannot stop between instructions;
// while a program is traced it runs on the interpreter, which gives the same results — the
// engines are checked against each other in packages/vm's differential tests).
import { MAX_BPF_STACK } from '@bpfsim/isa';
import type { CtxRunResult, ExecContext, InsnTracer, ProgramTracer, Region, TraceStep, VmProgram } from '@bpfsim/vm';
import { TraceRecorder } from '@bpfsim/vm';
import type { TraceLayout } from './format';

export interface TraceRun {
  /** The snapshots before each instruction (steps[k] is the state before the k-th executed). */
  steps: TraceStep[];
  /** The state after exit: registers, ctx and stack as the run left them. */
  final: { regs: bigint[]; ctx?: Uint8Array; stack?: Uint8Array };
  retval: number;
  fault?: string;
  truncated: boolean;
  layout: TraceLayout;
  /** The ctx struct's name ('bpf_sock_addr', 'sk_msg_md', …). */
  ctxType?: string;
}

export class ProgramTraceCollector implements ProgramTracer {
  readonly runs: TraceRun[] = [];
  private current: { rec: TraceRecorder; C: ExecContext; ctx: Region | undefined } | undefined;

  constructor(
    private readonly prog: VmProgram,
    readonly progId: number,
    private readonly limits: { maxRuns: number; maxSteps: number },
  ) {
    prog.tracer = this;
  }

  begin(C: ExecContext, ctx: Region | undefined): InsnTracer | undefined {
    if (this.runs.length >= this.limits.maxRuns) return undefined;
    const rec = new TraceRecorder({ maxSteps: this.limits.maxSteps, ...(ctx ? { ctx } : {}) });
    this.current = { rec, C, ctx };
    return rec;
  }

  end(_t: InsnTracer, r: CtxRunResult): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    const { rec, C, ctx } = cur;
    // The state after exit (TraceRecorder.finish): r0 in full, the rest of the registers as
    // the exit found them (none when the recording was cut short), the stack and ctx as left.
    const fin = rec.finish(r, C);
    const depths = rec.steps.reduce((m, s) => Math.max(m, s.depth + 1), 1);
    this.runs.push({
      steps: rec.steps,
      final: { regs: fin.regs ?? [fin.r0, ...new Array<bigint>(10).fill(0n)], stack: fin.stack, ...(fin.ctx ? { ctx: fin.ctx } : {}) },
      retval: r.retval,
      ...(r.fault ? { fault: `${r.fault.kind}: ${r.fault.message}` } : {}),
      truncated: rec.truncated,
      layout: { ...(ctx ? { ctxHi: ctx.hi } : {}), stackHi: Array.from(C.fh.subarray(0, depths)), stackSize: MAX_BPF_STACK },
      ...(ctx ? { ctxType: ctx.name } : {}),
    });
  }

  detach(): void {
    if (this.prog.tracer === this) this.prog.tracer = undefined;
  }
}
