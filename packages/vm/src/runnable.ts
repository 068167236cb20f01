import type { ExecContext } from './context';
import type { PreparedProgram } from './program';

/** A program ready to run on one engine. */
export interface Runnable {
  readonly prepared: PreparedProgram;
  /**
   * Runs the main program at the current call depth with r1..r5 from `args` (lo, hi pairs).
   * Returns r0's low word; the high word is left in `C.rh`. Faults are thrown as VmFault.
   */
  enter(C: ExecContext, args: Int32Array): number;
}
