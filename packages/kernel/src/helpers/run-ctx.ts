// What a helper sees of the run it is called from (ExecContext.env): a typed run context,
// one class per kind of run, as Linux's current->bpf_ctx points at the struct bpf_run_ctx
// that each runner embeds in its own (include/linux/bpf.h: struct bpf_cg_run_ctx,
// struct bpf_trace_run_ctx). RunCtx holds what every run has: the kernel's services, the
// CPU, the task (absent in softirq context) and, while a cgroup hook runs the program, the
// hook's run state (bpf_cg_run_ctx: retval and the program; cgroup/runner.ts sets it). A
// tracepoint's run is a TraceRunCtx; @bpfsim/net's socket hooks and sock_ops and
// @bpfsim/sockmap's SK_MSG verdicts extend RunCtx with their socket and message. A helper
// finds the kind it needs with instanceof: nothing is cast.
import type { ExecContext } from '@bpfsim/vm';
import type { CgRunCtx } from '../cgroup/runner';
import type { Process } from '../process';

/** The kernel services helpers use. */
export interface HelperKernel {
  /** Monotonic virtual time, ns. */
  now(): bigint;
  /** The kernel's seeded generator (bpf_user_rnd_u32). */
  prandomU32(): number;
  /** A line for the trace pipe (bpf_trace_printk). */
  tracePrintk(run: RunCtx, text: string): void;
  /** The CPU programs run on now. */
  readonly cpu: number;
}

/** A program run as the kernel set it up: what every helper may read. */
export class RunCtx {
  /** The CPU the program runs on (smp_processor_id()). */
  cpu: number;
  /** struct bpf_cg_run_ctx while bpf_prog_run_array_cg() runs the program (get_retval,
   * set_retval); undefined outside a cgroup hook. */
  cgroup: CgRunCtx | undefined = undefined;

  constructor(
    readonly kernel: HelperKernel,
    /** The task the program runs on behalf of; undefined in softirq context. */
    public process: Process | undefined,
  ) {
    this.cpu = kernel.cpu;
  }

  /** Made ready for another run on behalf of `process` (a caller that keeps one run context
   * per nesting level reuses it: a hook's path allocates nothing). */
  reuse(process: Process | undefined): void {
    this.process = process;
    this.cpu = this.kernel.cpu;
    this.cgroup = undefined;
  }
}

/** struct bpf_trace_run_ctx: a tracing program's run — its attach cookie (bpf_cookie) and
 * the kernel stack the call site recorded (what get_perf_callchain() walks), if any. */
export class TraceRunCtx extends RunCtx {
  constructor(
    kernel: HelperKernel,
    process: Process | undefined,
    readonly cookie: bigint,
    readonly kstack: readonly bigint[] | undefined,
  ) {
    super(kernel, process);
  }
}

/** The run context of the program calling a helper; a program the kernel did not start
 * (a bare VM run) has none, and the helper faults. */
export function runCtxOf(run: ExecContext): RunCtx {
  const c = run.env;
  if (c instanceof RunCtx) return c;
  throw run.failArgs('the helper found no run context (the program was not run by a kernel)');
}
