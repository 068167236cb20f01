// The JIT against the interpreter on random programs: identical r0, faults (kind, pc,
// address), instruction counts, memory (data, stack frames) and helper calls. The cases
// (program and world by seed) are in differential-case.ts.
//
// `npm test` runs a fixed slice; `npm run fuzz -- jit-interp N [SEED]` runs many more
// (differential-fuzz.ts) and lists every disagreeing program's seed, which
// BPFSIM_DIFF_PROGRAM=<seed> npx jest packages/vm/test/differential replays alone.
import fc from 'fast-check';
import { agree, diffCase, readable } from './differential-case';

const SEED = Number(process.env.BPFSIM_FUZZ_SEED ?? 0x5eed);
const RUNS = Number(process.env.BPFSIM_DIFF_RUNS ?? 10_000);
const PROGRAM = process.env.BPFSIM_DIFF_PROGRAM;

/** Fails with Jest's diff of the two outcomes when the engines disagree on `seed`. */
function check(seed: number): ReturnType<typeof diffCase> {
  const c = diffCase(seed);
  // The cheap comparison first; Jest's, which prints the difference, only on a mismatch.
  if (!agree(c)) expect(readable(c.jit)).toEqual(readable(c.interp));
  return c;
}

if (PROGRAM !== undefined) {
  test(`the JIT and the interpreter agree on program seed ${PROGRAM}`, () => {
    check(Number(PROGRAM));
  });
} else {
  test(`the JIT and the interpreter agree on ${RUNS} random programs`, () => {
    let faults = 0;
    let budget = 0;
    let exits = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const { ending } = check(seed);
        if (ending === 'budget') budget++;
        else if (ending === 'fault') faults++;
        else exits++;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The generator must exercise all three endings, or the comparison proves little.
    expect(exits).toBeGreaterThan(RUNS / 10);
    expect(faults).toBeGreaterThan(RUNS / 20);
    expect(budget).toBeGreaterThan(RUNS / 100);
  });
}
