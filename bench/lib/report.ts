// Benchmark output: a table on the console and the same numbers as JSON and Markdown under
// bench/results/, with the machine they were taken on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface Table {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${os.cpus().length} cores, Node ${process.version}, Linux ${os.release()}`;
}

export function markdown(t: Table): string {
  const head = `| ${t.columns.join(' | ')} |\n|${t.columns.map(() => '---').join('|')}|\n`;
  const body = t.rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
  return `### ${t.title}\n\n${head}${body}\n${(t.notes ?? []).map((n) => `\n${n}`).join('')}\n`;
}

export function print(t: Table): void {
  const widths = t.columns.map((c, i) => Math.max(c.length, ...t.rows.map((r) => String(r[i]).length)));
  const line = (cells: (string | number)[]): string => cells.map((c, i) => String(c).padStart(widths[i]!)).join('  ');
  console.log(`\n${t.title}\n${line(t.columns)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of t.rows) console.log(line(r));
  for (const n of t.notes ?? []) console.log(n);
}

/** Where results go: $BENCH_RESULTS_DIR, else bench/results/quick for a --quick smoke run
 * (so it never overwrites the measured results), else bench/results. */
export function resultsDir(): string {
  if (process.env.BENCH_RESULTS_DIR) return path.resolve(process.env.BENCH_RESULTS_DIR);
  return path.resolve(__dirname, 'results', ...(process.argv.includes('--quick') ? ['quick'] : []));
}

export function save(suite: string, tables: Table[], extra: Record<string, unknown> = {}): void {
  const dir = resultsDir();
  fs.mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString();
  fs.writeFileSync(path.join(dir, `${suite}.json`), JSON.stringify({ suite, date, machine: machine(), tables, ...extra }, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, `${suite}.md`), `## bench ${suite} (${date}, ${machine()})\n\n${tables.map(markdown).join('\n')}`);
  console.log(`\nwrote ${path.relative(process.cwd(), dir) || dir}/${suite}.json and .md`);
}
