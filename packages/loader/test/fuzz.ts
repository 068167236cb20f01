// The loader's robustness property, reusable from jest (malformed.test.ts runs ~300 cases
// in npm test) and from `npm run fuzz -- loader [RUNS] [SEED]` (many more): any byte-level
// damage to an example object (bit flips, bytes set to 0 or 0xff, truncation, a run of bytes
// copied over another place) either opens or fails with an ObjectFormatError /
// LoaderUsageError; an object that opens either loads into a fresh simulated kernel or fails
// with a ProgramLoadError or SysError (libbpf: -LIBBPF_ERRNO__FORMAT, -EINVAL, -ENOTSUP or
// the kernel's errno). Never a TypeError, RangeError or other crash, and never a hang.
//
// Mutations are aimed: each picks a region first (the ELF header, the section header
// table, or one section's bytes — the symbol table, relocations, program code, .BTF,
// .BTF.ext, maps), then an offset in it, so most runs hit bytes the loader reads instead of
// DWARF it skips.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { SysError } from '@bpfsim/isa';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import { LoaderUsageError, ObjectFormatError, ProgramLoadError, openObject, parseElf } from '../src';

export const PROGS_DIR = path.resolve(__dirname, '../../../scenarios/progs');

export interface FuzzObject {
  name: string;
  bytes: Uint8Array;
  /** [start, length] byte ranges worth mutating: header, section header table, each section. */
  regions: [number, number][];
}

/** The example objects (scenarios/progs/*.bpf.o) with their regions. */
export function exampleObjects(): FuzzObject[] {
  return fs
    .readdirSync(PROGS_DIR)
    .filter((f) => f.endsWith('.bpf.o'))
    .sort()
    .map((f) => {
      const bytes = new Uint8Array(fs.readFileSync(path.join(PROGS_DIR, f)));
      const elf = parseElf(bytes, f);
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const shoff = Number(dv.getBigUint64(0x28, true));
      const regions: [number, number][] = [
        [0, 64],
        [shoff, elf.sections.length * 64],
      ];
      for (const s of elf.sections) if (s.index > 0 && s.size > 0 && s.type !== 8 /* NOBITS */) regions.push([s.offset, s.size]);
      return { name: f, bytes, regions };
    });
}

export type Mutation =
  | { kind: 'flip'; region: number; at: number; bit: number }
  | { kind: 'set'; region: number; at: number; value: 0 | 0xff }
  | { kind: 'word'; region: number; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; from: number; region: number; at: number; len: number };

const pos = fc.nat({ max: 0x7fffffff });
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), region: pos, at: pos, bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), region: pos, at: pos, value: fc.constantFrom(0 as const, 0xff as const) }) },
  // A 32-bit field set to a boundary value (offsets, sizes, counts, indexes).
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('word' as const), region: pos, at: pos, value: fc.constantFrom(0, 1, 7, 8, 0x7fffffff, 0x80000000, 0xffffffff, 0xfff1, 0xffff, 0x10000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: pos }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('splice' as const), from: pos, region: pos, at: pos, len: fc.integer({ min: 1, max: 64 }) }) },
);

/** Applies mutations to a copy of the object's bytes. */
export function mutate(obj: FuzzObject, muts: readonly Mutation[]): Uint8Array {
  let b = obj.bytes.slice();
  const inRegion = (region: number, at: number): number => {
    const [start, len] = obj.regions[region % obj.regions.length]!;
    return Math.min(b.length - 1, start + (at % Math.max(1, len)));
  };
  for (const m of muts) {
    if (b.length === 0) break;
    switch (m.kind) {
      case 'flip': {
        const i = inRegion(m.region, m.at);
        b[i] = b[i]! ^ (1 << m.bit);
        break;
      }
      case 'set':
        b[inRegion(m.region, m.at)] = m.value;
        break;
      case 'word': {
        const i = inRegion(m.region, m.at) & ~3;
        if (i + 4 <= b.length) new DataView(b.buffer).setUint32(i, m.value >>> 0, true);
        break;
      }
      case 'truncate':
        b = b.slice(0, m.at % b.length);
        break;
      case 'splice': {
        const from = m.from % b.length;
        const to = inRegion(m.region, m.at);
        const chunk = b.slice(from, from + m.len);
        b.set(chunk.subarray(0, b.length - to), to);
        break;
      }
    }
  }
  return b;
}

/** What happened to one mutated object. */
export type Outcome = 'open-error' | 'load-error' | 'loaded';

const isOpenError = (e: unknown): boolean => e instanceof ObjectFormatError || e instanceof LoaderUsageError;
const isLoadError = (e: unknown): boolean => isOpenError(e) || e instanceof ProgramLoadError || e instanceof SysError;

/**
 * Opens the bytes and, when they open, loads them into a fresh kernel (and links every
 * program the way `bpfsim obj` / disasm do). Throws what the loader threw when it is not one
 * of the loader's or the kernel's errors, so fast-check reports it with the shrunk input.
 */
export function openAndLoad(bytes: Uint8Array, file: string): Outcome {
  let obj;
  try {
    obj = openObject(bytes, { file });
  } catch (e) {
    if (isOpenError(e)) return 'open-error';
    throw e;
  }
  for (const p of obj.programs) {
    try {
      obj.linkedInstructions(p);
    } catch (e) {
      if (!isOpenError(e)) throw e;
    }
  }
  const k = new Kernel();
  installSockmap(k);
  const c = new BpfClient(k, k.spawn({ comm: 'f' }));
  try {
    obj.load(c);
  } catch (e) {
    if (isLoadError(e)) return 'load-error';
    throw e;
  }
  obj.close();
  return 'loaded';
}

export interface FuzzOptions {
  numRuns: number;
  seed: number;
  /** A run slower than this fails the property (a near-hang: a loop over a corrupt count). */
  maxRunMs?: number;
  objects?: FuzzObject[];
}

/** The property; returns how often each outcome happened. Throws (fast-check's report) on a failure. */
export function fuzzLoader(options: FuzzOptions): Record<Outcome, number> {
  const objects = options.objects ?? exampleObjects();
  const maxRunMs = options.maxRunMs ?? 2000;
  const counts: Record<Outcome, number> = { 'open-error': 0, 'load-error': 0, loaded: 0 };
  fc.assert(
    fc.property(fc.nat({ max: objects.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (which, muts) => {
      const obj = objects[which]!;
      const bytes = mutate(obj, muts);
      const t0 = performance.now();
      const outcome = openAndLoad(bytes, obj.name);
      const ms = performance.now() - t0;
      if (ms > maxRunMs) throw new Error(`${obj.name}: open+load took ${ms.toFixed(0)} ms (limit ${maxRunMs})`);
      counts[outcome]++;
    }),
    { seed: options.seed, numRuns: options.numRuns },
  );
  return counts;
}

/** One kind of unexpected failure: the error's class and message shape, with a replayable input. */
export interface FuzzFailure {
  key: string;
  count: number;
  object: string;
  mutations: Mutation[];
  error: string;
}

/**
 * Runs every case instead of stopping at the first failure, grouping unexpected errors by
 * class and message shape (digits elided): what `npm run fuzz -- loader` prints.
 */
export function collectFailures(options: FuzzOptions): { counts: Record<Outcome, number>; failures: FuzzFailure[] } {
  const objects = options.objects ?? exampleObjects();
  const counts: Record<Outcome, number> = { 'open-error': 0, 'load-error': 0, loaded: 0 };
  const failures = new Map<string, FuzzFailure>();
  const arb = fc.tuple(fc.nat({ max: objects.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 4 }));
  for (const [which, muts] of fc.sample(arb, { seed: options.seed, numRuns: options.numRuns })) {
    const obj = objects[which]!;
    const t0 = performance.now();
    try {
      counts[openAndLoad(mutate(obj, muts), obj.name)]++;
      const ms = performance.now() - t0;
      if (ms > (options.maxRunMs ?? 2000)) throw new Error(`slow: ${ms.toFixed(0)} ms`);
    } catch (e) {
      const err = e as Error;
      const key = `${err?.name}: ${String(err?.message).replace(/\d+/g, 'N').slice(0, 120)}`;
      const f = failures.get(key);
      if (f) f.count++;
      else failures.set(key, { key, count: 1, object: obj.name, mutations: muts, error: String(err?.stack ?? err).split('\n').slice(0, 6).join('\n') });
    }
  }
  return { counts, failures: [...failures.values()] };
}
