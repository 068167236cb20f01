// Running programs: a VmProgram holds a prepared program and its compiled forms; run()
// executes one with a fresh ExecContext on the chosen engine and turns what happened
// (exit, fault, a failed LD_ABS) into a RunResult.
import type { Insn } from '@bpfsim/isa';
import type { ExecOptions } from './context';
import { ExecContext, LdAbsExit } from './context';
import type { Fault } from './fault';
import { VmFault } from './fault';
import { interpret } from './interpreter';
import { JitProgram } from './jit/compile';
import type { Memory, Region } from './memory';
import { toU64 } from './memory';
import type { PreparedProgram } from './program';
import { prepareProgram } from './program';
import type { Runnable } from './runnable';
import type { ProgramTracer } from './trace';

export type EngineName = 'interp' | 'jit';
export const ENGINES: readonly EngineName[] = ['interp', 'jit'];

class InterpretedProgram implements Runnable {
  constructor(readonly prepared: PreparedProgram) {}
  enter(C: ExecContext, args: Int32Array): number {
    return interpret(this.prepared, C, 0, args);
  }
}

/** A program prepared once; each engine's form is built on first use and kept. */
export class VmProgram {
  readonly prepared: PreparedProgram;
  /**
   * Set by a debugger: runCtx()/runIn() then run this program on the interpreter with the
   * InsnTracer that begin() gives (none: an ordinary run on the engine asked for).
   */
  tracer: ProgramTracer | undefined = undefined;
  private interp?: InterpretedProgram;
  private jit?: JitProgram;

  constructor(insns: readonly Insn[]) {
    this.prepared = prepareProgram(insns);
  }

  runnable(engine: EngineName): Runnable {
    if (engine === 'jit') return (this.jit ??= new JitProgram(this.prepared));
    return (this.interp ??= new InterpretedProgram(this.prepared));
  }

  /** The JIT's JavaScript for this program (compiling it if needed). */
  jitSource(): string {
    return (this.runnable('jit') as JitProgram).source;
  }
}

export interface RunResult {
  /** r0 at exit, unsigned 64-bit (0 after a fault). */
  r0: bigint;
  /** The low 32 bits of r0: what most program types return. */
  retval: number;
  fault?: Fault;
  /** Instructions executed (blocks entered, counted whole; the budget on a budget fault). */
  insnCount: number;
}

/** The first five argument registers, r1..r5 (unsigned or signed 64-bit values). */
export type Args = readonly (bigint | number)[];

/** r1..r5 as the (lo, hi) pairs the engines take. */
export function packArgs(args: Args): Int32Array {
  const a = new Int32Array(10);
  args.slice(0, 5).forEach((v, i) => {
    const u = BigInt.asUintN(64, BigInt(v));
    a[2 * i] = Number(BigInt.asIntN(32, u));
    a[2 * i + 1] = Number(BigInt.asIntN(32, u >> 32n));
  });
  return a;
}

/**
 * Runs `prog` `repeat` times in an existing context (the caller owns its lifetime), each
 * run with a fresh budget; returns the last run, or the first that faulted.
 */
export function runIn(prog: VmProgram, engine: EngineName, C: ExecContext, args: Args, repeat = 1): RunResult {
  if (C.tracer !== undefined) engine = 'interp'; // the JIT cannot stop between instructions
  else if (prog.tracer !== undefined) {
    const t = prog.tracer.begin(C, undefined);
    if (t !== undefined) {
      C.tracer = t;
      let res: RunResult | undefined;
      try {
        res = runIn(prog, 'interp', C, args, repeat);
      } finally {
        C.tracer = undefined;
        prog.tracer.end(t, res ?? { retval: 0, insnCount: C.insnCount });
      }
      return res;
    }
  }
  const r = prog.runnable(engine);
  const packed = packArgs(args);
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < repeat; i++) {
    if (i > 0) C.reset();
    try {
      lo = r.enter(C, packed);
      hi = C.rh;
    } catch (e) {
      if (e instanceof LdAbsExit) {
        lo = hi = C.rh = 0; // a failed LD_ABS ends the run returning 0
      } else if (e instanceof VmFault) {
        return { r0: 0n, retval: 0, fault: e.fault, insnCount: e.fault.kind === 'budget' ? C.budgetLimit : C.insnCount };
      } else throw e;
    }
  }
  return { r0: toU64(hi, lo), retval: lo >>> 0, insnCount: C.insnCount };
}

/** What runCtx returns: runIn's result without the BigInt r0 (hooks use the low word). */
export interface CtxRunResult {
  retval: number;
  fault?: Fault;
  insnCount: number;
}

/**
 * Runs `prog` once with r1 = the start of `ctx` — the hooks' hot path: no BigInt on the way
 * in (the pointer is the region's (hi, lo) words) or out. Otherwise as runIn().
 */
export function runCtx(prog: VmProgram, engine: EngineName, C: ExecContext, ctx: Region): CtxRunResult {
  if (prog.tracer !== undefined || C.tracer !== undefined) {
    // A tracer on the context already (traceRun(), or this run's own from below): the
    // interpreter, as the JIT cannot stop between instructions.
    if (C.tracer === undefined) return tracedRunCtx(prog, prog.tracer!, engine, C, ctx);
    engine = 'interp';
  }
  const r = prog.runnable(engine);
  const packed = C.ctxArgs;
  packed[0] = ctx.lo();
  packed[1] = ctx.hi;
  try {
    const lo = r.enter(C, packed);
    return { retval: lo >>> 0, insnCount: C.insnCount };
  } catch (e) {
    if (e instanceof LdAbsExit) {
      C.rh = 0; // r0 = 0, all 64 bits (a tracer's finish() reads C.rh)
      return { retval: 0, insnCount: C.insnCount };
    }
    if (e instanceof VmFault) return { retval: 0, fault: e.fault, insnCount: e.fault.kind === 'budget' ? C.budgetLimit : C.insnCount };
    throw e;
  }
}

/** runCtx() of a program a debugger traces: on the interpreter, with begin()'s tracer. */
function tracedRunCtx(prog: VmProgram, tracer: ProgramTracer, engine: EngineName, C: ExecContext, ctx: Region): CtxRunResult {
  const t = tracer.begin(C, ctx);
  if (t === undefined) {
    const saved = prog.tracer;
    prog.tracer = undefined;
    try {
      return runCtx(prog, engine, C, ctx);
    } finally {
      prog.tracer = saved;
    }
  }
  C.tracer = t;
  let res: CtxRunResult | undefined;
  try {
    res = runCtx(prog, 'interp', C, ctx);
  } finally {
    C.tracer = undefined;
    tracer.end(t, res ?? { retval: 0, insnCount: C.insnCount });
  }
  return res;
}

/** Runs `prog` once with r1..r5 = `args` in a fresh context over `memory`. */
export function run(prog: VmProgram, engine: EngineName, memory: Memory, args: Args, options: ExecOptions = {}): RunResult {
  const C = new ExecContext(memory, options);
  try {
    return runIn(prog, engine, C, args);
  } finally {
    C.release();
  }
}
