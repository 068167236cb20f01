#!/usr/bin/env node
// Runs a benchmark suite: bundles bench/<suite>.bench.ts with esbuild and runs it with Node.
// Usage: node bench/run.mjs [all | <suite>] [--quick] (all, the default: every suite, then
// bench/results/latest.json and latest.md)
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = ['vm', 'verifier', 'maps', 'net', 'hooks', 'sockmap', 'loader'];
const args = process.argv.slice(2);
const suiteArg = args.find((a) => !a.startsWith('-'));
const rest = args.filter((a) => a !== suiteArg);

/** Bundles and runs one suite; its exit status. */
async function runSuite(suite) {
  const entry = join(here, `${suite}.bench.ts`);
  const outDir = join(here, '.build');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${suite}.cjs`);
  await build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, logLevel: 'warning', define: { __dirname: JSON.stringify(here) } });
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--expose-gc', outfile, ...rest], { stdio: 'inherit' });
  return r.status ?? 1;
}

if (suiteArg && suiteArg !== 'all') {
  if (!existsSync(join(here, `${suiteArg}.bench.ts`))) {
    console.error(`usage: node bench/run.mjs [all | ${SUITES.join(' | ')}] [--quick]  (no bench/${suiteArg}.bench.ts)`);
    process.exit(2);
  }
  process.exit(await runSuite(suiteArg));
}

// Every suite, one after the other (each takes its ratios in its own run), then one report.
const failed = [];
const started = Date.now();
for (const [i, suite] of SUITES.entries()) {
  console.log(`\n=== bench ${suite} (${i + 1}/${SUITES.length}) ===`);
  if ((await runSuite(suite)) !== 0) failed.push(suite);
}
const quick = rest.includes('--quick');
// As bench/lib/report.ts: $BENCH_RESULTS_DIR, else results/quick for a smoke run, else results.
const resultsDir = process.env.BENCH_RESULTS_DIR || join(here, 'results', ...(quick ? ['quick'] : []));
const results = SUITES.map((s) => ({ s, f: join(resultsDir, `${s}.json`) }))
  .filter(({ s, f }) => existsSync(f) && !failed.includes(s))
  .map(({ f }) => JSON.parse(readFileSync(f, 'utf8')));
const latest = { date: new Date().toISOString(), quick, machine: results[0]?.machine ?? 'unknown', seconds: Math.round((Date.now() - started) / 1000), failed, suites: results };
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify(latest, null, 1) + '\n');
const md = [`# bpfsim benchmarks (${latest.date}${quick ? ', --quick' : ''})`, '', `Machine: ${latest.machine}. All suites in ${latest.seconds} s; every ratio was taken within one run of its suite.`, ''];
for (const r of results) {
  md.push(`## ${r.suite}`, '');
  for (const t of r.tables) {
    md.push(`### ${t.title}`, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => '---').join('|')}|`, ...t.rows.map((row) => `| ${row.join(' | ')} |`), '', ...(t.notes ?? []).map((n) => `${n}\n`), '');
  }
}
if (failed.length) md.push(`Failed: ${failed.join(', ')}.`);
writeFileSync(join(resultsDir, 'latest.md'), md.join('\n'));
console.log(`\nwrote ${resultsDir}/latest.json and latest.md${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`);
process.exit(failed.length ? 1 : 0);
