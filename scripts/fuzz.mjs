#!/usr/bin/env node
// npm run fuzz [-- RUNS]: the differential test of the engines with a fresh seed and many
// more programs than npm test's fixed slice. A failure prints the seed to replay with
// BPFSIM_FUZZ_SEED=<seed> BPFSIM_DIFF_RUNS=<runs> npx jest packages/vm/test/differential.
// npm run fuzz -- verifier [RUNS] [SEED]: the verifier's soundness property the same way
// (200,000 programs, a fresh seed unless SEED or BPFSIM_VERIFIER_SEED gives one); it lists
// every failing program seed, each replayable with BPFSIM_VERIFIER_PROGRAM=<seed>.
// npm run fuzz -- verifier-live [RUNS] [SEED]: random programs against the live kernel's
// verifier (root and bpf() needed), verdict for verdict.
// npm run fuzz -- sk_msg [RUNS] [SEED]: the SK_MSG send path's no-loss property.
// npm run fuzz -- loader [RUNS] [SEED]: damaged example objects only ever fail with the
// loader's or the kernel's errors (packages/loader/test/fuzz.ts); every kind of failure is
// listed with an input that shows it.
// npm run fuzz -- jit-interp [N] [SEED]: the JIT/interpreter differential outside Jest
// (packages/vm/test/differential-fuzz.ts, bundled by esbuild): N programs (1,000,000 by
// default, a fresh seed unless SEED gives one) in constant memory, a progress line on
// stderr (programs done, rate, disagreements, ETA), every disagreeing program's seed on
// stdout with its replay (BPFSIM_DIFF_PROGRAM=<seed> npx jest packages/vm/test/differential),
// a summary line last, exit status 1 on any disagreement. In the background:
// nohup npm run fuzz -- jit-interp 1000000 > jit-interp.log 2>&1 & (a SIGTERM or SIGINT
// to the `node scripts/fuzz.mjs` process stops it with the summary of what ran so far).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

if (process.argv[2] === 'jit-interp') {
  const runs = Number(process.argv[3] ?? 1_000_000);
  const seed = Number(process.argv[4] ?? Math.floor(Math.random() * 2 ** 31));
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed) || seed < 0) {
    console.error('usage: npm run fuzz -- jit-interp [N] [SEED]  (N >= 1 programs, SEED >= 0)');
    process.exit(2);
  }
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const outfile = join(root, 'node_modules', '.cache', 'bpfsim', 'jit-interp-fuzz.cjs');
  mkdirSync(dirname(outfile), { recursive: true });
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(root, 'packages/vm/test/differential-fuzz.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning' });
  // Ctrl-C and kill are passed to the run, which stops with its summary line.
  const child = spawn(process.execPath, ['--enable-source-maps', outfile, String(runs), String(seed)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  const status = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  process.exit(status);
}


if (process.argv[2] === 'sk_msg') {
  // npm run fuzz -- sk_msg [RUNS] [SEED]: the SK_MSG no-loss property with many more cases.
  const runs = Number(process.argv[3] ?? 5000);
  const seed = Number(process.argv[4] ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`fuzz sk_msg: ${runs} random programs and send sequences, seed ${seed}`);
  const r = spawnSync('npx', ['jest', 'packages/sockmap/test/sk-msg.property', '--testTimeout', String(runs * 500)], { stdio: 'inherit', env: { ...process.env, BPFSIM_SKMSG_RUNS: String(runs), BPFSIM_SKMSG_SEED: String(seed) } });
  if (r.status !== 0) console.log(`fuzz failed: replay with BPFSIM_SKMSG_SEED=${seed} BPFSIM_SKMSG_RUNS=${runs} npx jest packages/sockmap/test/sk-msg.property`);
  process.exit(r.status ?? 1);
}

if (process.argv[2] === 'loader') {
  // npm run fuzz -- loader [RUNS] [SEED]: the loader's malformed-object property with many more cases.
  const runs = Number(process.argv[3] ?? 20_000);
  const seed = Number(process.argv[4] ?? Math.floor(Math.random() * 2 ** 31));
  const env = { BPFSIM_LOADER_FUZZ_RUNS: String(runs), BPFSIM_LOADER_FUZZ_SEED: String(seed), BPFSIM_LOADER_FUZZ_COLLECT: '1' };
  console.log(`fuzz loader: ${runs} damaged objects, seed ${seed}`);
  const r = spawnSync('npx', ['jest', 'packages/loader/test/malformed', '-t', 'fuzz', '--testTimeout', String(runs * 100 + 30_000)], { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) console.log(`fuzz failed: replay with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')} npx jest packages/loader/test/malformed -t fuzz`);
  process.exit(r.status ?? 1);
}

if (process.argv[2] === 'verifier-live') {
  // npm run fuzz -- verifier-live [RUNS] [SEED]: random programs into the live kernel and into
  // bpfsim side by side (needs root and bpf()); every disagreement listed by program id.
  const runs = Number(process.argv[3] ?? 20_000);
  const seed = Number(process.argv[4] ?? 2_000_000 + Math.floor(Math.random() * 2 ** 30));
  console.log(`fuzz verifier-live: ${runs} random programs and ${Math.ceil(runs / 4)} template programs against the live kernel, seed ${seed}`);
  const r = spawnSync('npx', ['jest', '-c', 'jest.kernel.config.js', 'packages/verifier/test/random-live', '--testTimeout', String(runs * 20 + 60_000)], {
    stdio: 'inherit',
    env: { ...process.env, BPFSIM_LIVE_RUNS: String(runs), BPFSIM_LIVE_SEED: String(seed) },
  });
  if (r.status !== 0) console.log(`fuzz failed: replay with BPFSIM_LIVE_SEED=${seed} BPFSIM_LIVE_RUNS=${runs} npx jest -c jest.kernel.config.js packages/verifier/test/random-live`);
  process.exit(r.status ?? 1);
}

if (process.argv[2] === 'verifier') {
  const runs = Number(process.argv[3] ?? 200_000);
  const seed = Number(process.argv[4] ?? process.env.BPFSIM_VERIFIER_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const replay = `BPFSIM_VERIFIER_SEED=${seed} BPFSIM_VERIFIER_RUNS=${runs} BPFSIM_VERIFIER_COLLECT=1 npx jest packages/verifier/test/soundness`;
  console.log(`fuzz verifier: ${runs} random programs, seed ${seed}`);
  const r = spawnSync('npx', ['jest', 'packages/verifier/test/soundness'], {
    stdio: 'inherit',
    env: { ...process.env, BPFSIM_VERIFIER_SEED: String(seed), BPFSIM_VERIFIER_RUNS: String(runs), BPFSIM_VERIFIER_STATS: '1', BPFSIM_VERIFIER_COLLECT: '1' },
  });
  if (r.status !== 0) console.log(`fuzz failed: replay with ${replay}`);
  process.exit(r.status ?? 1);
}

const runs = Number(process.argv[2] ?? 200_000);
const seed = Math.floor(Math.random() * 2 ** 31);
console.log(`fuzz: ${runs} random programs, seed ${seed}`);
const r = spawnSync('npx', ['jest', 'packages/vm/test/differential', '--testTimeout', String(runs * 50)], {
  stdio: 'inherit',
  env: { ...process.env, BPFSIM_FUZZ_SEED: String(seed), BPFSIM_DIFF_RUNS: String(runs) },
});
if (r.status !== 0) console.log(`fuzz failed: replay with BPFSIM_FUZZ_SEED=${seed} BPFSIM_DIFF_RUNS=${runs}`);
process.exit(r.status ?? 1);
