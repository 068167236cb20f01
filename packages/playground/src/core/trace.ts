// The step-through debugger's data: every run of one program during a scenario, recorded
// instruction by instruction by the interpreter (the JIT cannot stop between instructions;
// while a program is traced it runs on the interpreter, which gives the same results — the
// engines are checked against each other in packages/vm's differential tests).
import { MAX_BPF_STACK } from '@bpfsim/isa';
import type { CtxRunResult, ExecContext, InsnTracer, ProgramTracer, Region, TraceStep, VmProgram } from '@bpfsim/vm';
import { REGION_HI_BASE, TraceRecorder, toU64 } from '@bpfsim/vm';
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
    const last = rec.steps[rec.steps.length - 1];
    // After exit the interpreter's r0 is the return value; the rest of the registers are as
    // the exit instruction found them.
    const regs = last ? [...last.regs] : new Array<bigint>(11).fill(0n);
    regs[0] = r.fault ? 0n : toU64(C.rh, r.retval | 0);
    const depths = rec.steps.reduce((m, s) => Math.max(m, s.depth + 1), 1);
    const stackHi = Array.from(C.fh.subarray(0, depths));
    const frame0 = C.R[(stackHi[0]! - REGION_HI_BASE) >>> 0];
    this.runs.push({
      steps: rec.steps,
      final: {
        regs,
        ...(ctx ? { ctx: ctx.bytes.slice() } : {}),
        ...(frame0 ? { stack: frame0.bytes.slice(0, MAX_BPF_STACK) } : {}),
      },
      retval: r.retval,
      ...(r.fault ? { fault: `${r.fault.kind}: ${r.fault.message}` } : {}),
      truncated: rec.truncated,
      layout: { ...(ctx ? { ctxHi: ctx.hi } : {}), stackHi, stackSize: MAX_BPF_STACK },
      ...(ctx ? { ctxType: ctx.name } : {}),
    });
  }

  detach(): void {
    if (this.prog.tracer === this) this.prog.tracer = undefined;
  }
}
