#!/usr/bin/env node
// npm run fuzz [-- RUNS]: the differential test of the engines with a fresh seed and many
// more programs than npm test's fixed slice. A failure prints the seed to replay with
// BPFSIM_FUZZ_SEED=<seed> BPFSIM_DIFF_RUNS=<runs> npx jest packages/vm/test/differential.
import { spawnSync } from 'node:child_process';

const runs = Number(process.argv[2] ?? 200_000);
const seed = Math.floor(Math.random() * 2 ** 31);
console.log(`fuzz: ${runs} random programs, seed ${seed}`);
const r = spawnSync('npx', ['jest', 'packages/vm/test/differential', '--testTimeout', String(runs * 50)], {
  stdio: 'inherit',
  env: { ...process.env, BPFSIM_FUZZ_SEED: String(seed), BPFSIM_DIFF_RUNS: String(runs) },
});
if (r.status !== 0) console.log(`fuzz failed: replay with BPFSIM_FUZZ_SEED=${seed} BPFSIM_DIFF_RUNS=${runs}`);
process.exit(r.status ?? 1);
