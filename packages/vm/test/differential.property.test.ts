// The JIT against the interpreter on random programs: identical r0, faults (kind, pc,
// address), instruction counts, memory (data, stack frames) and helper calls.
import fc from 'fast-check';
import type { Insn } from '@bpfsim/isa';
import type { EngineName, FieldAccess, HelperTable, RunResult } from '../src';
import { ExecContext, MAX_CALL_FRAMES, Memory, VmProgram, runIn } from '../src';
import { randomProgram, rng } from './random-programs';

// `npm test` runs a fixed slice; `npm run fuzz` runs many more with a fresh seed it prints.
const SEED = Number(process.env.BPFSIM_FUZZ_SEED ?? 0x5eed);
const RUNS = Number(process.env.BPFSIM_DIFF_RUNS ?? 10_000);

/** A ctx-like field hook: offset 0 reads as a 64-bit pointer into memory, offset 8 counts reads. */
class Fields implements FieldAccess {
  reads = 0;
  constructor(private readonly target: { hi: number; lo: (o: number) => number }) {}
  load(offset: number, size: number, out: Int32Array): boolean {
    if (offset === 0 && size === 4) {
      out[0] = this.target.lo(4);
      out[1] = this.target.hi;
      return true;
    }
    if (offset === 8) {
      out[0] = ++this.reads;
      out[1] = 0;
      return true;
    }
    return false;
  }
}

interface Outcome {
  result: RunResult;
  /** Memory as hex: data, read-only data, then every stack frame. */
  memory: string;
  calls: string[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function world(seed: number, engine: EngineName, main: Insn[], tails: Insn[][]): Outcome {
  const rand = rng(seed ^ 0xabcdef);
  const memory = new Memory();
  const mem = memory.alloc(64, { kind: 'mem', name: 'data' });
  for (let i = 0; i < 64; i++) mem.bytes[i] = Math.floor(rand() * 256);
  const ro = memory.alloc(16, { kind: 'rodata', writable: false });
  ro.bytes.fill(0x5a);
  const fields = new Fields(mem);
  const ctx = memory.alloc(16, { kind: 'ctx', access: fields });
  const calls: string[] = [];
  const progs = tails.map((t) => new VmProgram(t));
  const progArray = memory.alloc(8, {
    kind: 'map',
    object: { maxEntries: 4, tailCallTarget: (i: number) => progs[i]?.runnable(engine) },
  });
  const helpers: (HelperTable[number])[] = [];
  helpers[1] = (C) => {
    calls.push(`h1(${C.arg(1)},${C.arg(2)},${C.arg(3)},${C.arg(4)},${C.arg(5)})`);
    C.retU64(C.arg(1) + C.arg(2) * 3n + C.arg(5));
  };
  helpers[2] = (C) => {
    // Writes r2's low byte at r1 (faults when r1 is not writable memory).
    const m = C.argMem(1, 1, true);
    m.region.bytes[m.offset] = C.argLo(2) & 0xff;
    calls.push(`h2(${m.region.name}+${m.offset})`);
    C.retInt(-7);
  };
  helpers[3] = (C) => {
    calls.push('h3');
    C.retPtr(mem, C.argU32(1) % 64);
  };
  const C = new ExecContext(memory, { helpers, budget: 3000 });
  void progArray;
  const prog = new VmProgram(main);
  const result = runIn(prog, engine, C, [mem.address(), ro.address(), ctx.address(), progArray.address(), BigInt(seed)]);
  const frames = Array.from({ length: MAX_CALL_FRAMES }, (_, d) => hex(C.frame(d).bytes));
  return { result, memory: [hex(mem.bytes), hex(ro.bytes), ...frames].join('\n'), calls };
}

test(`the JIT and the interpreter agree on ${RUNS} random programs`, () => {
  let faults = 0;
  let budget = 0;
  let exits = 0;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
      const r = rng(seed);
      const length = 8 + Math.floor(r() * 60);
      const progArrayAddr = (BigInt(0xff000000 + 3) << 32n) | 0x40000000n; // region 3 is the prog array (see world)
      const opts = { length, subprog: r() < 0.5, helpers: [1, 2, 3, 1, 2, 3, 99], tailCallMap: progArrayAddr };
      const main = randomProgram(seed, opts);
      const tails = [0, 1].map((k) => randomProgram(seed + 1000 + k, { length: 10, helpers: [1, 3] }));
      const a = world(seed, 'interp', main, tails);
      const b = world(seed, 'jit', main, tails);
      expect(b).toEqual(a);
      if (a.result.fault?.kind === 'budget') budget++;
      else if (a.result.fault) faults++;
      else exits++;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // The generator must exercise all three endings, or the comparison proves little.
  expect(exits).toBeGreaterThan(RUNS / 10);
  expect(faults).toBeGreaterThan(RUNS / 20);
  expect(budget).toBeGreaterThan(RUNS / 100);
});
