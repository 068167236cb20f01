// `bpfsim sweep SCENARIO --param NAME=V1,V2 --seeds A..B`: the scenario run at every point
// of a grid (each combination of parameter values × each seed), on worker threads; the
// metrics of every run as CSV (one row per run, in grid order), a plot of one metric
// against the first parameter as SVG, and a summary table. Same arguments, same bytes.
import * as os from 'node:os';
import type { Command } from 'commander';
import type { Io } from '../io';
import { UsageError, nodeIo } from '../io';
import { fmtNum, renderPlot, stats } from '../sweep-plot';
import type { PointResult, SweepPoint } from '../sweep-worker';
import { runGrid } from '../sweep-worker';
import { loadScenario, resolveScenario } from './run';

interface SweepFlags {
  param?: string[];
  seeds?: string;
  metric?: string;
  jobs?: string;
  csv?: string;
  svg?: string;
  reference?: string;
  referenceLabel?: string;
  logY?: boolean;
  quiet?: boolean;
}

/** A parameter and its values: the text as given (for the CSV) and the value w.param() gets. */
export interface SweepParam {
  name: string;
  values: { text: string; value: string | number }[];
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const RESERVED = ['seed', 'ok', 'failure'];

/** `NAME=V1,V2,…` → the parameter; numbers become numbers, anything else stays text. */
export function parseParam(arg: string): SweepParam {
  const m = /^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$/.exec(arg);
  if (!m) throw new UsageError(`--param takes NAME=V1,V2,… (a name, '=', values separated by commas), not '${arg}'`);
  const name = m[1]!;
  if (RESERVED.includes(name)) throw new UsageError(`--param ${name}: '${name}' is a column of its own; name the parameter otherwise`);
  const texts = m[2]!.split(',').map((v) => v.trim());
  if (texts.some((v) => v === '')) throw new UsageError(`--param ${name}: an empty value in '${m[2]}' (values are separated by commas)`);
  if (new Set(texts).size !== texts.length) throw new UsageError(`--param ${name}: a value is given twice in '${m[2]}'`);
  return { name, values: texts.map((text) => ({ text, value: NUMBER.test(text) ? Number(text) : text })) };
}

/** `A..B` (inclusive) or one seed `N` → the seeds. */
export function parseSeeds(arg: string): number[] {
  const m = /^(\d+)(?:\.\.(\d+))?$/.exec(arg.trim());
  const a = m ? Number(m[1]) : NaN;
  const b = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || !Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new UsageError(`--seeds takes A..B, two non-negative integers with A ≤ B (or one seed N), not '${arg}'`);
  if (b - a >= 100_000) throw new UsageError(`--seeds ${arg}: ${b - a + 1} seeds is too many (at most 100000)`);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

/** Every combination of the values (the first parameter outermost) × every seed (innermost). */
export function gridPoints(params: readonly SweepParam[], seeds: readonly number[]): { texts: string[]; point: SweepPoint }[] {
  let combos: { texts: string[]; values: Record<string, string | number> }[] = [{ texts: [], values: {} }];
  for (const p of params) combos = combos.flatMap((c) => p.values.map((v) => ({ texts: [...c.texts, v.text], values: { ...c.values, [p.name]: v.value } })));
  return combos.flatMap((c) => seeds.map((seed) => ({ texts: c.texts, point: { seed, params: c.values } })));
}

/** One CSV field (RFC 4180: quoted when it holds a comma, a quote or a line break). */
const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** Progress on standard error: a bar redrawn in place on a terminal, else `N/TOTAL runs` lines every tenth. */
class Progress {
  private shown = 0;
  private drawn = false;
  constructor(
    private readonly io: Io,
    private readonly total: number,
    private readonly mode: 'tty' | 'lines' | 'off',
  ) {}
  update(done: number): void {
    if (this.mode === 'tty') {
      const width = 30;
      const full = Math.round((done / this.total) * width);
      this.io.stderr(`\r[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${done}/${this.total} runs`);
      this.drawn = true;
      if (done === this.total) this.end();
    } else if (this.mode === 'lines') {
      const tenth = Math.floor((done * 10) / this.total);
      if (tenth > this.shown || done === this.total) {
        this.shown = tenth;
        this.io.stderr(`${done}/${this.total} runs\n`);
      }
    }
  }
  /** A line of its own (a warning), without tearing the bar. */
  say(line: string): void {
    if (this.drawn) this.io.stderr('\r\x1b[K');
    this.io.stderr(`${line}\n`);
  }
  end(): void {
    if (this.drawn) this.io.stderr('\n');
    this.drawn = false;
  }
}

export function registerSweep(program: Command, io: Io): void {
  program
    .command('sweep')
    .description('run a scenario over a grid of parameters and seeds, on worker threads: every run\'s metrics as CSV, a plot as SVG')
    .argument('<scenario>', 'a scenario name (bpfsim list) or a path to a .ts file')
    .option('--param <NAME=V1,V2>', 'values of a parameter the scenario reads with w.param(NAME, default); repeat for more (every combination runs)', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--seeds <A..B>', "the seeds to run at each point, A to B inclusive (default: the scenario's own seed)")
    .option('--metric <name>', 'the metric the plot and the summary show (default virtual_ms)')
    .option('--jobs <n>', 'worker threads (default: the available parallelism, at most one per run; 1 runs in this thread)')
    .option('--csv <file>', 'write the CSV to FILE (default: standard output, when there is no --svg)')
    .option('--svg <file>', 'write a plot of --metric against the first parameter, a series per value of the second')
    .option('--reference <file>', "with --svg: a CSV of points measured elsewhere (columns: the first parameter, the second if any, the metric), drawn as crosses beside the runs")
    .option('--reference-label <text>', "the legend's name for the --reference points (default: the file's name)")
    .option('--log-y', 'with --svg: a logarithmic y axis')
    .option('--quiet', 'no progress on standard error')
    .addHelpText(
      'after',
      `
The CSV has a column per parameter, then seed, ok, every metric (sorted) and failure; one row
per run, in grid order (the first parameter varies slowest, the seed fastest). Metrics: those
the scenario reports with w.metric(NAME, value), and virtual_ms, expectations_failed, packets,
hook_runs and retransmits, which every run has. A run that fails is a row with ok=false.

Exit status: 0 the sweep ran (whatever its runs did), 2 bad input.

Examples:
  bpfsim sweep lossy-tcp --param loss=0,0.01,0.05 --seeds 1..3 --metric transfer_ms
  bpfsim sweep lossy-tcp --param loss=0,0.02,0.05,0.1 --seeds 1..10 --metric transfer_ms --csv loss.csv --svg loss.svg
  bpfsim sweep my-scenario.ts --param size=1k,64k --param cc=cubic,reno --seeds 1..5 --jobs 4 --csv out.csv`,
    )
    .action(async (name: string, flags: SweepFlags) => {
      const params = (flags.param ?? []).map(parseParam);
      for (const [i, p] of params.entries()) if (params.findIndex((q) => q.name === p.name) !== i) throw new UsageError(`--param ${p.name} is given twice (list its values in one: ${p.name}=V1,V2)`);
      const seedsGiven = flags.seeds === undefined ? undefined : parseSeeds(flags.seeds);
      const jobsGiven = flags.jobs === undefined ? undefined : Number(flags.jobs);
      if (jobsGiven !== undefined && (!Number.isInteger(jobsGiven) || jobsGiven < 1)) throw new UsageError(`--jobs takes a positive integer, not '${flags.jobs}'`);
      if (flags.metric !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(flags.metric)) throw new UsageError(`--metric takes a metric name (letters, digits and _), not '${flags.metric}'`);
      if (flags.svg && !params.length) throw new UsageError('--svg plots a metric against the first --param: give one');
      if ((flags.reference || flags.logY) && !flags.svg) throw new UsageError(`${flags.reference ? '--reference' : '--log-y'} goes with --svg (it changes the plot)`);
      const file = resolveScenario(name);
      const def = await loadScenario(file);
      const seeds = seedsGiven ?? [def.seed ?? 1];
      const grid = gridPoints(params, seeds);
      const jobs = Math.min(jobsGiven ?? os.availableParallelism(), grid.length);

      const progress = new Progress(io, grid.length, flags.quiet ? 'off' : io === nodeIo && process.stderr.isTTY ? 'tty' : 'lines');
      let done = 0;
      progress.update(0);
      const results = await runGrid(file, def, grid.map((g) => g.point), jobs, (i, r) => {
        // The parameters the first run never read: a typo, or a parameter of another scenario.
        if (i === 0) {
          const unread = params.filter((p) => !r.paramsRead.includes(p.name)).map((p) => `'${p.name}'`);
          if (unread.length) progress.say(`bpfsim: warning: ${def.name} never read parameter${unread.length > 1 ? 's' : ''} ${unread.join(', ')} (it reads: ${r.paramsRead.join(', ') || 'none'})`);
        }
        progress.update(++done);
      });
      progress.end();

      const metricNames = [...new Set(results.flatMap((r) => Object.keys(r.metrics)))].sort();
      const metric = flags.metric ?? 'virtual_ms';
      if (!metricNames.includes(metric)) throw new UsageError(`no run reported metric '${metric}' (the metrics: ${metricNames.join(', ') || 'none'})`);

      const csv = toCsv(params, grid, results, metricNames);
      if (flags.csv) io.writeFile(flags.csv, csv);
      if (flags.svg) {
        const [p1, p2] = params as [SweepParam, SweepParam | undefined];
        const failed = results.filter((r) => !r.ok).length;
        io.writeFile(
          flags.svg,
          renderPlot({
            title: `${def.name}: ${metric} by ${p1.name}${p2 ? ` and ${p2.name}` : ''}`,
            subtitle: `seeds ${seeds[0]}..${seeds.at(-1)}, ${results.length} runs${failed ? `, ${failed} failed` : ''}${params.length > 2 ? ` (pooled over ${params.slice(2).map((p) => p.name).join(', ')})` : ''}`,
            metric,
            x: { name: p1.name, values: p1.values.map((v) => v.text) },
            ...(p2 ? { series: { name: p2.name, values: p2.values.map((v) => v.text) } } : {}),
            points: grid.flatMap((g, i) => {
              const value = results[i]!.metrics[metric];
              if (value === undefined) return [];
              return [{ x: g.texts[0]!, ...(p2 ? { series: g.texts[1]! } : {}), seed: g.point.seed, ok: results[i]!.ok, value }];
            }),
            ...(flags.reference ? { reference: { label: flags.referenceLabel ?? flags.reference.replace(/^.*\//, ''), points: readReference(io, flags.reference, p1, p2, metric) } } : {}),
            ...(flags.logY ? { logY: true } : {}),
          }),
        );
      }
      if (!flags.csv && !flags.svg) {
        io.stdout(csv);
        return;
      }
      io.stdout(summary(params, grid, results, metric));
      if (flags.csv) io.stdout(`wrote ${flags.csv}\n`);
      if (flags.svg) io.stdout(`wrote ${flags.svg}\n`);
    });
}

/** --reference FILE: rows of the first parameter, the second (when the sweep has one) and
 * the metric, by the header's names; a clear error for a missing column or a bad number. */
function readReference(io: Io, file: string, p1: SweepParam, p2: SweepParam | undefined, metric: string): { x: string; series?: string; value: number }[] {
  let text: string;
  try {
    text = new TextDecoder().decode(io.readFile(file));
  } catch (e) {
    throw new UsageError(`--reference ${file}: cannot read it (${(e as Error).message})`);
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) throw new UsageError(`--reference ${file}: the file is empty (a header line, then one row per point)`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new UsageError(`--reference ${file}: no column '${name}' in the header (${header.join(', ')})`);
    return i;
  };
  const xi = col(p1.name);
  const si = p2 ? col(p2.name) : -1;
  const vi = col(metric);
  return lines.slice(1).map((line, n) => {
    const f = line.split(',').map((v) => v.trim());
    const value = Number(f[vi]);
    if (!NUMBER.test(f[vi] ?? '')) throw new UsageError(`--reference ${file}:${n + 2}: '${f[vi] ?? ''}' in column ${metric} is not a number`);
    return { x: f[xi] ?? '', ...(p2 ? { series: f[si] ?? '' } : {}), value };
  });
}

function toCsv(params: readonly SweepParam[], grid: readonly { texts: string[]; point: SweepPoint }[], results: readonly PointResult[], metricNames: readonly string[]): string {
  const rows = [[...params.map((p) => p.name), 'seed', 'ok', ...metricNames, 'failure']];
  grid.forEach((g, i) => {
    const r = results[i]!;
    rows.push([...g.texts, String(g.point.seed), String(r.ok), ...metricNames.map((m) => (r.metrics[m] === undefined ? '' : String(Number(r.metrics[m]!.toPrecision(15))))), r.failure ?? '']);
  });
  return rows.map((row) => `${row.map(csvField).join(',')}\n`).join('');
}

/** The metric at each value of the first two parameters: runs, failed, mean, min, max. */
function summary(params: readonly SweepParam[], grid: readonly { texts: string[]; point: SweepPoint }[], results: readonly PointResult[], metric: string): string {
  const keys = params.slice(0, 2);
  const groups = new Map<string, { texts: string[]; values: number[]; runs: number; failed: number }>();
  grid.forEach((g, i) => {
    const texts = g.texts.slice(0, 2);
    const k = JSON.stringify(texts);
    let e = groups.get(k);
    if (!e) groups.set(k, (e = { texts, values: [], runs: 0, failed: 0 }));
    const r = results[i]!;
    e.runs++;
    if (!r.ok) e.failed++;
    const v = r.metrics[metric];
    if (v !== undefined) e.values.push(v);
  });
  const rows = [[...keys.map((p) => p.name), 'runs', 'failed', `${metric} mean`, 'min', 'max']];
  for (const e of groups.values()) {
    const s = e.values.length ? stats(e.values) : undefined;
    rows.push([...e.texts, String(e.runs), String(e.failed), ...(s ? [fmtNum(s.mean), fmtNum(s.min), fmtNum(s.max)] : ['-', '-', '-'])]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  // Text columns left, numbers right.
  return rows.map((r) => `${r.map((cell, c) => (c < keys.length ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd()}\n`).join('');
}
