// Tracing a run instruction by instruction (the playground's debugger): exact states and
// the end on small programs, call depths, tail calls, a tracer on the context forcing the
// interpreter, truncation, and on random programs a traced run ends as untraced ones do on
// either engine, with its last step the exit that gave r0, and the same context runs the
// JIT again once tracing is off.
import fc from 'fast-check';
import type { Insn } from '@bpfsim/isa';
import { assemble } from '@bpfsim/isa';
import type { CtxRunResult, EngineName, HelperTable, InsnTracer, ProgramTracer, Region, RunResult } from '../src';
import { ExecContext, MAX_CALL_FRAMES, Memory, TraceRecorder, VmProgram, runCtx, runIn, traceRun } from '../src';
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

const BPF_EXIT_INSN = 0x95;
const BPF_CALL_INSN = 0x85;
const BPF_FUNC_tail_call = 12;

/** A JIT runnable whose entries are counted (to tell which engine ran). */
function countJit(prog: VmProgram): { calls: number } {
  const jit = prog.runnable('jit');
  const enter = jit.enter.bind(jit);
  const count = { calls: 0 };
  jit.enter = (C, a) => {
    count.calls++;
    return enter(C, a);
  };
  return count;
}

test('traceRun: every register at every step, the stack after the store, and the state after exit', () => {
  const { prog, C, ctx } = setup('r2 = 5\n r2 += r1\n *(u64 *)(r10 - 8) = r2\n r0 = *(u64 *)(r10 - 8)\n exit');
  const t = traceRun(prog, C, ctx);
  const p = ctx.address();
  const fp = C.frame(0).address() + 512n;
  const regs = (r0: bigint, r2: bigint): bigint[] => [r0, p, r2, 0n, 0n, 0n, 0n, 0n, 0n, 0n, fp];
  expect(t.steps.map((s) => [s.pc, s.depth])).toEqual([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]]);
  expect(t.steps.map((s) => s.regs)).toEqual([regs(0n, 0n), regs(0n, 5n), regs(0n, p + 5n), regs(0n, p + 5n), regs(p + 5n, p + 5n)]);
  // The store is seen from step 3 on: one copy before it, one after.
  expect(t.steps[0]!.stack.every((b) => b === 0)).toBe(true);
  expect(t.steps[2]!.stack).toBe(t.steps[0]!.stack);
  expect(t.steps[3]!.stack).not.toBe(t.steps[2]!.stack);
  expect(t.steps[4]!.stack).toBe(t.steps[3]!.stack);
  const stored = new DataView(t.steps[3]!.stack.buffer).getBigUint64(504, true);
  expect(stored).toBe(p + 5n);
  expect(t.steps.every((s) => s.ctx === t.steps[0]!.ctx && s.program === undefined)).toBe(true);
  expect(t.result).toEqual({ retval: Number((p + 5n) & 0xffffffffn), insnCount: 5 });
  expect(t.truncated).toBe(false);
  expect(t.final.r0).toBe(p + 5n); // all 64 bits, though runCtx() returns only the low word
  expect(t.final.regs).toEqual(regs(p + 5n, p + 5n));
  expect(t.final.stack).toBe(t.steps[4]!.stack);
  expect(t.final.ctx).toBe(t.steps[4]!.ctx);
  expect(t.final.fault).toBeUndefined();
  // Snapshots are copies: later writes to the frame do not reach them.
  C.frame(0).bytes.fill(0xaa);
  expect(t.steps[3]!.stack[504]).toBe(Number((p + 5n) & 0xffn));
  expect(t.steps[0]!.stack[0]).toBe(0);
  expect(C.tracer).toBeUndefined();
});

test('the end of a faulting run: r0 = 0, the registers the faulting instruction found', () => {
  const { prog, C, ctx } = setup('r0 = 1\n r1 = 0\n r0 = *(u64 *)(r1 + 0)\n exit');
  const t = traceRun(prog, C, ctx);
  expect(t.steps.map((s) => s.pc)).toEqual([0, 1, 2]);
  expect(t.result.fault?.kind).toBe('memory');
  expect(t.final.fault).toEqual(t.result.fault);
  expect(t.final.r0).toBe(0n);
  expect(t.final.regs![0]).toBe(1n);
  expect(t.final.regs![1]).toBe(0n);
});

test('the end of a failed LD_ABS is r0 = 0, whatever an earlier run left in the high word', () => {
  const memory = new Memory();
  const ctx = memory.alloc(16, { kind: 'ctx' });
  const pkt = memory.map(Uint8Array.of(1, 2, 3, 4), { kind: 'packet' });
  const C = new ExecContext(memory, { skbData: pkt });
  expect(traceRun(new VmProgram(assemble('r0 = 1\n r0 <<= 40\n exit').insns), C, ctx).final.r0).toBe(1n << 40n);
  const t = traceRun(new VmProgram(assemble('r0 = 7\n r0 = *(u16 *)skb[100]\n exit').insns), C, ctx);
  expect(t.steps.map((s) => s.pc)).toEqual([0, 1]);
  expect(t.final.r0).toBe(0n);
  expect(t.final.regs![0]).toBe(0n);
});

test('a tracer on the context runs the program on the interpreter whatever engine is asked for', () => {
  const { prog, C, ctx } = setup('r0 = *(u32 *)(r1 + 0)\n r0 += 1\n exit');
  const jit = countJit(prog);
  const rec = new TraceRecorder();
  C.tracer = rec;
  expect(runCtx(prog, 'jit', C, ctx).retval).toBe(8);
  expect(runIn(prog, 'jit', C, [ctx.address()]).r0).toBe(8n);
  expect(rec.steps.map((s) => s.pc)).toEqual([0, 1, 2, 0, 1, 2]);
  expect(jit.calls).toBe(0);
  C.tracer = undefined;
  expect(runCtx(prog, 'jit', C, ctx).retval).toBe(8);
  expect(jit.calls).toBe(1);
  expect(rec.steps.length).toBe(6);
});

test('tail calls: the target runs traced (even when JIT-compiled), its steps name it', () => {
  const memory = new Memory();
  const ctx = memory.alloc(16, { kind: 'ctx' });
  const target = new VmProgram(assemble('r0 = r1\n r0 += 1\n exit').insns);
  const map = memory.alloc(8, { kind: 'map', object: { maxEntries: 1, tailCallTarget: () => target.runnable('jit') } });
  const main = new VmProgram(assemble(`r6 = 9\n r2 = 0x${map.address().toString(16)} ll\n r3 = 0\n call 12\n r0 = 1\n exit`).insns);
  const C = new ExecContext(memory);
  const jit = countJit(target);
  const rec = new TraceRecorder();
  C.tracer = rec;
  const r = runCtx(main, 'jit', C, ctx);
  C.tracer = undefined;
  const res = rec.finish(r, C);
  expect(jit.calls).toBe(0);
  expect(rec.steps.map((s) => [s.pc, s.program === undefined ? 'main' : s.program === target.prepared ? 'target' : '?'])).toEqual([
    [0, 'main'],
    [1, 'main'],
    [3, 'main'],
    [4, 'main'],
    [0, 'target'],
    [1, 'target'],
    [2, 'target'],
  ]);
  expect(rec.programs).toEqual([target.prepared]);
  expect(rec.steps[4]!.depth).toBe(0);
  expect(rec.steps[4]!.regs[1]).toBe(ctx.address()); // r1 carried over; the rest start at 0
  expect(rec.steps[4]!.regs[6]).toBe(0n);
  expect(res.r0).toBe(ctx.address() + 1n);
  // Untraced, the tail call goes to the JIT-compiled target, with the same result.
  C.reset();
  expect(runCtx(main, 'jit', C, ctx)).toEqual(r);
  expect(jit.calls).toBe(1);
});

/** A random program's world: data memory, a prog array of two random targets, helpers. */
function world(seed: number, engine: EngineName, length: number, subprog: boolean) {
  const rand = rng(seed ^ 0x7ace);
  const memory = new Memory();
  const mem = memory.alloc(64, { kind: 'mem', name: 'data' });
  for (let i = 0; i < 64; i++) mem.bytes[i] = Math.floor(rand() * 256);
  const tails = [0, 1].map((k) => new VmProgram(randomProgram(seed + 1000 + k, { length: 10, helpers: [1] })));
  const progArray = memory.alloc(8, { kind: 'map', object: { maxEntries: 4, tailCallTarget: (i: number) => tails[i]?.runnable(engine) } });
  const helpers: HelperTable[number][] = [];
  helpers[1] = (C) => C.retU64(C.arg(1) * 3n + C.arg(2));
  const C = new ExecContext(memory, { helpers, budget: 3000 });
  const insns: Insn[] = randomProgram(seed, { length, subprog, helpers: [1, 99], tailCallMap: progArray.address() });
  const prog = new VmProgram(insns);
  const args = [mem.address(), 0, 0, 0, BigInt(seed)];
  const state = (): string => [mem.bytes, ...Array.from({ length: MAX_CALL_FRAMES }, (_, d) => C.frame(d).bytes)].map((b) => Buffer.from(b).toString('hex')).join('\n');
  return { prog, tails, C, args, state };
}

test('property: a traced run ends as untraced runs do on both engines, its last step is the exit that gave r0, and the context runs the JIT again after', () => {
  let exits = 0;
  let tailCalls = 0;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const r = rng(seed);
      const length = 8 + Math.floor(r() * 40);
      const subprog = r() < 0.5;
      // Traced (the JIT asked for), then untraced on the JIT in the same context.
      const a = world(seed, 'jit', length, subprog);
      const col = new Collect();
      a.prog.tracer = col;
      const traced = runIn(a.prog, 'jit', a.C, a.args);
      const tracedState = a.state();
      a.prog.tracer = undefined;
      a.C.reset();
      const jit = countJit(a.prog);
      const after = runIn(a.prog, 'jit', a.C, a.args);
      expect(jit.calls).toBe(1);
      expect(col.runs.length).toBe(1);
      // The same two runs untraced on the interpreter, and the first on the JIT.
      const b = world(seed, 'interp', length, subprog);
      const plain = runIn(b.prog, 'interp', b.C, b.args);
      const plainState = b.state();
      b.C.reset();
      const plainAfter = runIn(b.prog, 'interp', b.C, b.args);
      const c = world(seed, 'jit', length, subprog);
      expect(runIn(c.prog, 'jit', c.C, c.args)).toEqual(traced);
      expect({ traced, tracedState, after, afterState: a.state() }).toEqual({ traced: plain, tracedState: plainState, after: plainAfter, afterState: b.state() });

      const { rec, result } = col.runs[0]!;
      expect(result).toBe(traced);
      const steps = rec.steps;
      expect(steps.length).toBeGreaterThan(0);
      expect(steps[0]!.pc).toBe(0);
      const insnOf = (s: (typeof steps)[number]) => (s.program ?? a.prog.prepared).insns[s.pc]!;
      // A step in another program follows a bpf_tail_call() and starts it at pc 0.
      for (let i = 1; i < steps.length; i++) {
        if (steps[i]!.program === steps[i - 1]!.program) continue;
        tailCalls++;
        expect(steps[i]!.pc).toBe(0);
        expect(a.tails.map((t) => t.prepared)).toContain(steps[i]!.program);
        const call = insnOf(steps[i - 1]!);
        expect([call.code, call.src, call.imm]).toEqual([BPF_CALL_INSN, 0, BPF_FUNC_tail_call]);
      }
      expect(rec.truncated).toBe(false);
      const end = rec.finish(result as RunResult, a.C);
      expect(end.r0).toBe(traced.r0);
      // A run that exits normally: the last step is an exit at depth 0 with r0 = the result.
      if (!traced.fault) {
        exits++;
        const last = steps[steps.length - 1]!;
        expect(last.depth).toBe(0);
        expect(insnOf(last).code).toBe(BPF_EXIT_INSN);
        expect(last.regs[0]).toBe(traced.r0);
        expect(end.regs).toEqual(last.regs);
      }
    }),
    { seed: 0x7ace, numRuns: 500 },
  );
  // The generator must reach both: normal exits and taken tail calls.
  expect(exits).toBeGreaterThan(50);
  expect(tailCalls).toBeGreaterThan(10);
});
