// One case of the JIT/interpreter differential, by its 31-bit seed: the random program
// (and two tail-call targets) the seed gives, run on each engine in a world of its own
// (data memory, read-only memory, a ctx with field hooks, a prog array, three helpers).
// Shared by differential.property.test.ts (npm test's seeded slice, and the replay of one
// seed) and differential-fuzz.ts (`npm run fuzz -- jit-interp N [SEED]`).
import type { Insn } from '@bpfsim/isa';
import type { EngineName, FieldAccess, HelperTable, RunResult } from '../src';
import { ExecContext, MAX_CALL_FRAMES, Memory, VmProgram, runIn } from '../src';
import { randomProgram, rng } from './random-programs';

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

/** What one engine did: r0, the fault, the count; memory (data, read-only data, every stack frame); helper calls. */
export interface Outcome {
  result: RunResult;
  /** Copies of the data, read-only data and stack frame regions, in that order. */
  memory: Uint8Array[];
  calls: string[];
}

/** The programs of a case: the main program and two tail-call targets. */
export interface DiffPrograms {
  main: Insn[];
  tails: Insn[][];
}

export function diffPrograms(seed: number): DiffPrograms {
  const r = rng(seed);
  const length = 8 + Math.floor(r() * 60);
  const progArrayAddr = (BigInt(0xff000000 + 3) << 32n) | 0x40000000n; // region 3 is the prog array (see world)
  const opts = { length, subprog: r() < 0.5, helpers: [1, 2, 3, 1, 2, 3, 99], tailCallMap: progArrayAddr };
  const main = randomProgram(seed, opts);
  const tails = [0, 1].map((k) => randomProgram(seed + 1000 + k, { length: 10, helpers: [1, 3] }));
  return { main, tails };
}

/** Runs the case's programs on one engine in a fresh world seeded by `seed`. */
export function world(seed: number, engine: EngineName, { main, tails }: DiffPrograms): Outcome {
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
  const prog = new VmProgram(main);
  const result = runIn(prog, engine, C, [mem.address(), ro.address(), ctx.address(), progArray.address(), BigInt(seed)]);
  const frames = Array.from({ length: MAX_CALL_FRAMES }, (_, d) => C.frame(d).bytes.slice());
  return { result, memory: [mem.bytes.slice(), ro.bytes.slice(), ...frames], calls };
}

/** How a run ended, for the generator's coverage (every kind must be common). */
export type Ending = 'exit' | 'fault' | 'budget';

export interface DiffCase {
  interp: Outcome;
  jit: Outcome;
  ending: Ending;
}

/** The case of `seed` on both engines. */
export function diffCase(seed: number): DiffCase {
  const progs = diffPrograms(seed);
  const interp = world(seed, 'interp', progs);
  const jit = world(seed, 'jit', progs);
  const f = interp.result.fault;
  return { interp, jit, ending: f === undefined ? 'exit' : f.kind === 'budget' ? 'budget' : 'fault' };
}

/**
 * Deep equality of plain data as Jest's toEqual sees it (own enumerable keys, a key whose
 * value is undefined counts as absent), bigint and typed arrays included: the fast check
 * before the slow, readable one.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** The engines agree: r0, fault (kind, pc, address, message), instruction count, memory, helper calls. */
export function agree(c: DiffCase): boolean {
  return sameData(c.interp, c.jit);
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** An outcome as Jest prints it well: memory as hex lines (data, read-only data, frames). */
export function readable(o: Outcome): { result: RunResult; memory: string; calls: string[] } {
  return { result: o.result, memory: o.memory.map(hex).join('\n'), calls: o.calls };
}

/** The seed of program `i` of a fuzz run with `runSeed`: 31 bits, as fast-check's integers. */
export function programSeed(runSeed: number, i: number): number {
  let h = Math.imul((runSeed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h & 0x7fffffff;
}
