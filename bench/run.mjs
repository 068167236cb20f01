#!/usr/bin/env node
// Runs a benchmark suite: bundles bench/<suite>.bench.ts with esbuild and runs it with Node.
// Usage: node bench/run.mjs <suite> [--quick]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [suite, ...rest] = process.argv.slice(2);
const entry = join(here, `${suite}.bench.ts`);
if (!suite || !existsSync(entry)) {
  console.error(`usage: node bench/run.mjs <suite> [--quick]  (no bench/${suite ?? '?'}.bench.ts)`);
  process.exit(2);
}
const outDir = join(here, '.build');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, `${suite}.cjs`);
await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning', define: { __dirname: JSON.stringify(here) } });
const r = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', outfile, ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
