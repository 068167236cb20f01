// Tracing a run instruction by instruction (the playground's debugger): exact states on a
// small program, call depths, truncation, and on random programs a traced run ends as an
// untraced one does on either engine, and each step's registers are what a replay of the
// prefix computes.
import fc from 'fast-check';
import { assemble } from '@bpfsim/isa';
import type { CtxRunResult, InsnTracer, ProgramTracer, Region } from '../src';
import { ExecContext, Memory, TraceRecorder, VmProgram, runCtx, runIn } from '../src';
import { randomProgram, rng } from './random-programs';

/** A ProgramTracer that records every run with a TraceRecorder. */
class Collect implements ProgramTracer {
  readonly runs: { rec: TraceRecorder; result: CtxRunResult }[] = [];
  private rec: TraceRecorder | undefined;
  constructor(private readonly maxSteps = 100_000) {}
  begin(_C: ExecContext, ctx: Region | undefined): InsnTracer {
    this.rec = new TraceRecorder({ maxSteps: this.maxSteps, ...(ctx ? { ctx } : {}) });
    return this.rec;
  }
  end(_t: InsnTracer, result: CtxRunResult): void {
    this.runs.push({ rec: this.rec!, result });
  }
}

function setup(text: string): { prog: VmProgram; C: ExecContext; ctx: Region } {
  const memory = new Memory();
  const ctx = memory.alloc(16, { kind: 'ctx', name: 'test_ctx' });
  ctx.bytes.set([7, 0, 0, 0, 0, 0, 0, 0]);
  return { prog: new VmProgram(assemble(text).insns), C: new ExecContext(memory), ctx };
}

test('each step holds the registers and stack before its instruction; the ctx is recorded too', () => {
  const { prog, C, ctx } = setup(`
    r2 = *(u32 *)(r1 + 0)
    r2 += 5
    *(u64 *)(r10 - 8) = r2
    *(u32 *)(r1 + 4) = r2
    r0 = *(u64 *)(r10 - 8)
    exit`);
  const col = new Collect();
  prog.tracer = col;
  const r = runCtx(prog, 'jit', C, ctx); // traced: the interpreter runs it whatever was asked
  expect(r.retval).toBe(12);
  const { rec } = col.runs[0]!;
  expect(rec.steps.map((s) => s.pc)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(rec.steps.map((s) => s.regs[2])).toEqual([0n, 7n, 12n, 12n, 12n, 12n]);
  expect(rec.steps[5]!.regs[0]).toBe(12n);
  // The stack changes after insn 2: steps 0-2 share one copy, 3-5 another.
  expect(rec.steps[2]!.stack).toBe(rec.steps[0]!.stack);
  expect(rec.steps[3]!.stack).not.toBe(rec.steps[2]!.stack);
  expect([...rec.steps[3]!.stack.subarray(504)]).toEqual([12, 0, 0, 0, 0, 0, 0, 0]);
  // The ctx store lands after insn 3.
  expect(rec.steps[3]!.ctx![4]).toBe(0);
  expect(rec.steps[4]!.ctx![4]).toBe(12);
  expect(rec.steps[0]!.regs[1]).toBe(ctx.address());
  // Without the tracer the same context runs on the JIT again.
  prog.tracer = undefined;
  expect(runCtx(prog, 'jit', C, ctx).retval).toBe(12);
  expect(col.runs.length).toBe(1);
});

test('bpf-to-bpf calls: depth 0 → 1 → 0, each frame its own stack', () => {
  const { prog, C, ctx } = setup(`
    r1 = 3
    *(u64 *)(r10 - 8) = r1
    call sub
    r0 += 1
    exit
  sub:
    r0 = r1
    r0 *= 2
    *(u64 *)(r10 - 16) = r0
    exit`);
  const col = new Collect();
  prog.tracer = col;
  expect(runCtx(prog, 'interp', C, ctx).retval).toBe(7);
  const steps = col.runs[0]!.rec.steps;
  expect(steps.map((s) => `${s.depth}:${s.pc}`)).toEqual(['0:0', '0:1', '0:2', '1:5', '1:6', '1:7', '1:8', '0:3', '0:4']);
  // The callee's frame: its own store at fp-16, not the caller's fp-8.
  const callee = steps[6]!.stack;
  expect(callee[512 - 16]).toBe(6);
  expect(callee[512 - 8]).toBe(0);
  expect(steps[7]!.stack[512 - 8]).toBe(3);
  expect(steps[3]!.regs[1]).toBe(3n); // r1 passed to the callee
});

test('maxSteps: the recording stops, the run goes on', () => {
  const { prog, C, ctx } = setup('r0 = 0\n r0 += 1\n r0 += 1\n r0 += 1\n exit');
  const col = new Collect(2);
  prog.tracer = col;
  expect(runCtx(prog, 'interp', C, ctx).retval).toBe(3);
  expect(col.runs[0]!.rec.steps.length).toBe(2);
  expect(col.runs[0]!.rec.truncated).toBe(true);
});

test('property: a traced run ends as untraced runs do on both engines, and a normal exit is its last step with r0', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const r = rng(seed);
      const insns = randomProgram(seed, { length: 8 + Math.floor(r() * 40), subprog: r() < 0.5 });
      const run = (engine: 'interp' | 'jit', traced: boolean) => {
        const memory = new Memory();
        const mem = memory.alloc(64, { kind: 'mem', name: 'data' });
        const C = new ExecContext(memory, { budget: 3000 });
        const prog = new VmProgram(insns);
        const col = new Collect();
        if (traced) prog.tracer = col;
        const res = runIn(prog, engine, C, [mem.address(), 0, 0, 0, BigInt(seed)]);
        return { res, steps: col.runs[0]?.rec.steps ?? [], mem: Buffer.from(mem.bytes).toString('hex') };
      };
      const traced = run('jit', true);
      const plainJit = run('jit', false);
      const plainInterp = run('interp', false);
      expect({ res: traced.res, mem: traced.mem }).toEqual({ res: plainJit.res, mem: plainJit.mem });
      expect(traced.res).toEqual(plainInterp.res);
      expect(traced.steps.length).toBeGreaterThan(0);
      expect(traced.steps[0]!.pc).toBe(0);
      // A run that exits normally: the last step is an exit at depth 0 with r0 = the result.
      if (!traced.res.fault) {
        const last = traced.steps[traced.steps.length - 1]!;
        expect(last.depth).toBe(0);
        expect(insns[last.pc]!.code).toBe(0x95);
        expect(last.regs[0]).toBe(traced.res.r0);
      }
    }),
    { seed: 0x7ace, numRuns: 500 },
  );
});
