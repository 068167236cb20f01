// What helpers see of the world while a program runs (ExecContext.env): the kernel, the
// task on whose behalf the program runs (absent in softirq context), and the CPU.
import type { Process } from '../process';

/** The kernel services helpers use. */
export interface HelperKernel {
  /** Monotonic virtual time, ns. */
  now(): bigint;
  /** The kernel's seeded generator (bpf_user_rnd_u32). */
  prandomU32(): number;
  /** A line for the trace pipe (bpf_trace_printk). */
  tracePrintk(env: HelperEnv, text: string): void;
}

export interface HelperEnv {
  kernel: HelperKernel;
  process?: Process;
  cpu: number;
  /** Anything a hook adds for its own helpers (the socket, the sockaddr…). */
  [extra: string]: unknown;
}
