// `bpfsim showcase` (what `npm start` runs): the showcase scenarios, one after another, and a
// summary table — what each teaches, how many checks held, how many cgroup hook runs, SK_MSG
// verdicts and packets it took, its virtual time. `bpfsim run NAME` then shows any one of them in full.
import * as path from 'node:path';
import type { Command } from 'commander';
import * as scenarioPkg from '@bpfsim/scenario';
import type { Io } from '../io';
import { UsageError } from '../io';
import { CheckFailed } from './conformance';
import { loadScenario, scenariosDir } from './run';

/** The seed's three stories, then one lesson of each kind the project models. */
export const SHOWCASE = [
  'single-ip',
  'localhost-to-cgroup-ip',
  'port-policy',
  'connect-lb',
  'dns-redirect',
  'cgroup-hierarchy',
  'sk-msg-drop-policy',
  'who-connects-where',
  'c-load-balancer',
] as const;

interface ShowcaseFlags {
  seed?: string;
}

export function registerShowcase(program: Command, io: Io): void {
  program
    .command('showcase')
    .description('run the showcase scenarios and print a summary table (what npm start runs)')
    .option('--seed <n>', 'run every scenario with this seed instead of its own')
    .addHelpText(
      'after',
      `
Exit status: 0 every scenario held, 1 one failed.

Examples:
  bpfsim showcase
  bpfsim run connect-lb        # one of them, in full`,
    )
    .action(async (flags: ShowcaseFlags) => {
      const seed = flags.seed === undefined ? undefined : Number(flags.seed);
      if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) throw new UsageError(`--seed takes a non-negative integer, not '${flags.seed}'`);
      const dir = scenariosDir();
      io.stdout(`bpfsim showcase: ${SHOWCASE.length} scenarios from ${path.relative(process.cwd(), dir) || dir}/, each a lesson on socket policy with cgroup BPF\n\n`);
      const rows: string[][] = [['scenario', 'lesson', 'checks', 'cgroup hooks', 'sk_msg', 'packets', 'virtual time', 'result']];
      let failed = 0;
      let checks = 0;
      for (const name of SHOWCASE) {
        const def = await loadScenario(path.join(dir, `${name}.ts`));
        const r = await scenarioPkg.runScenario(def, seed !== undefined ? { seed } : {});
        const hooks = r.events.filter((e) => e.kind === 'hook').length;
        const verdicts = r.events.filter((e) => e.kind === 'msg').length;
        const packets = r.events.filter((e) => e.kind === 'packet').length;
        checks += r.expectations.passed;
        if (!r.ok) failed++;
        const lesson = def.lesson.length > 64 ? `${def.lesson.slice(0, 63)}…` : def.lesson;
        const total = r.expectations.passed + r.expectations.failed;
        rows.push([def.name, lesson, `${r.expectations.passed}/${total}`, String(hooks), String(verdicts), String(packets), scenarioPkg.fmtTime(r.endNs).trim(), r.ok ? 'ok' : `FAILED: ${r.failure?.message ?? 'an expectation did not hold'}`]);
      }
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
      const right = new Set([2, 3, 4, 5, 6]);
      for (const [i, row] of rows.entries()) {
        io.stdout(row.map((cell, c) => (c === row.length - 1 ? cell : right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ') + '\n');
        if (i === 0) io.stdout(widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
      }
      io.stdout(`\n${SHOWCASE.length - failed} of ${SHOWCASE.length} scenarios ok, ${checks} checks held. See one in full: bpfsim run ${SHOWCASE[0]}; all of them: bpfsim list\n`);
      if (failed) throw new CheckFailed(`${failed} showcase scenario${failed > 1 ? 's' : ''} failed`);
    });
}
