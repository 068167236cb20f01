// `bpfsim selfcheck`: where bpfsim and the host's kernel part ways. As root on a kernel that
// answers bpf(), the recorded verifier corpus and N random programs are loaded into the
// host's kernel and verified by bpfsim side by side; elsewhere bpfsim is compared with the
// verdicts recorded on the reference machine. Verdict disagreements are minimized (delta
// debugging against the live kernel) and can be kept as JSON lines (--keep).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { disasmText } from '@bpfsim/isa';
import type { Disagreement, SuiteRow, Verdict } from '@bpfsim/selfcheck';
import { checkVerifier, liveUnavailable, readCorpus } from '@bpfsim/selfcheck';
import type { Io } from '../io';
import { UsageError } from '../io';

/** The suites of the issue's list; those not built into selfcheck yet say so. */
const SUITES = ['verifier', 'hooks', 'sockmap', 'tracing', 'ports', 'wire'] as const;
const BUILT: ReadonlySet<string> = new Set(['verifier']);

interface SelfcheckFlags {
  suite: string;
  random: string;
  seed: string;
  json?: boolean;
  keep?: string;
  kernel?: boolean;
  minimize?: boolean;
}

const count = (name: string, v: string, min: number, max: number): number => {
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} takes a whole number, not '${v}'`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} takes ${min}..${max}, not ${n}`);
  return n;
};

const pct = (r: SuiteRow): string => {
  const compared = r.programs - r.skipped;
  return compared ? `${((100 * (r.agree + r.message)) / compared).toFixed(2)}%` : '-';
};

const verdictText = (v: Verdict): string => (v.accepted ? 'accepts' : `refuses: ${v.errno ?? '?'} ${JSON.stringify(v.error ?? '')}`);

function table(rows: SuiteRow[]): string {
  const head = ['suite', 'programs', 'agree', 'other message', 'bpfsim accepts, kernel refuses', 'bpfsim refuses, kernel accepts', 'skipped', 'verdicts agree'];
  const cells = rows.map((r) => [r.suite, String(r.programs), String(r.agree), String(r.message), String(r.bpfsimAccepts), String(r.bpfsimRefuses), String(r.skipped), pct(r)]);
  const total = rows.reduce((t, r) => ({ ...t, programs: t.programs + r.programs, agree: t.agree + r.agree, message: t.message + r.message, bpfsimAccepts: t.bpfsimAccepts + r.bpfsimAccepts, bpfsimRefuses: t.bpfsimRefuses + r.bpfsimRefuses, skipped: t.skipped + r.skipped }), { suite: 'all', programs: 0, agree: 0, message: 0, bpfsimAccepts: 0, bpfsimRefuses: 0, skipped: 0 });
  cells.push(['all', String(total.programs), String(total.agree), String(total.message), String(total.bpfsimAccepts), String(total.bpfsimRefuses), String(total.skipped), pct(total)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => (i === 0 ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function describe(d: Disagreement): string {
  const p = d.minimized?.program ?? d.program;
  const k = d.minimized?.kernel ?? d.kernel;
  const b = d.minimized?.bpfsim ?? d.bpfsim;
  const what = d.kind === 'bpfsim-accepts' ? 'bpfsim accepts, the kernel refuses' : d.kind === 'bpfsim-refuses' ? 'bpfsim refuses, the kernel accepts' : 'same verdict, another message';
  const head = `${d.suite}: ${d.program.id}: ${what}${d.minimized ? ` (minimized from ${d.program.insns.length} to ${p.insns.length} instructions)` : ''}`;
  return `${head}\n  kernel: ${verdictText(k)}\n  bpfsim: ${verdictText(b)}\n${disasmText(p.insns).trimEnd().replace(/^/gm, '    ')}`;
}

/** A JSON line per disagreement: the program as a case of the recorded suites takes it. */
function keepLine(d: Disagreement): string {
  const p = d.minimized?.program ?? d.program;
  const hex = Buffer.from(p.insns.flatMap((i) => [i.code, (i.src << 4) | i.dst, i.off & 0xff, (i.off >> 8) & 0xff, i.imm & 0xff, (i.imm >>> 8) & 0xff, (i.imm >>> 16) & 0xff, (i.imm >>> 24) & 0xff])).toString('hex');
  return JSON.stringify({ id: p.id, suite: d.suite, kind: d.kind, progType: p.progType, attachType: p.attachType, asm: disasmText(p.insns), insns: hex, maps: p.maps, kernel: d.minimized?.kernel ?? d.kernel, bpfsim: d.minimized?.bpfsim ?? d.bpfsim });
}

export function registerSelfcheck(program: Command, io: Io, isTty: () => boolean = () => !!process.stderr.isTTY): void {
  program
    .command('selfcheck')
    .description("compare bpfsim with this machine's kernel: the recorded suites and random programs, live where bpf() works")
    .option('--suite <name>', `which suite: ${[...SUITES, 'all'].join(', ')}`, 'all')
    .option('--random <n>', 'random socket filter and XDP programs (and a quarter as many from the templates, and a tenth as many for each other program type), live only', '2000')
    .option('--seed <s>', 'seed of the random programs', '1')
    .option('--json', 'print the results as one JSON document')
    .option('--keep <dir>', 'write each disagreement as a JSON line to DIR/selfcheck-disagreements.jsonl')
    .option('--no-kernel', "do not ask this machine's kernel: compare with the recordings")
    .option('--no-minimize', 'do not minimize disagreements')
    .addHelpText(
      'after',
      `
Live (as root, where bpf() answers): every case of the verifier corpus and the random
programs are loaded into this machine's kernel with BPF_PROG_LOAD and verified by bpfsim,
and each verdict compared: agree, agree with another error message, bpfsim accepts what the
kernel refuses (unsound), bpfsim refuses what the kernel accepts. Each verdict disagreement
is minimized against the live kernel and printed as assembly with both verdicts.
Elsewhere, the recorded verdicts of the reference machine are the kernel's side (the random
programs are then the recorded slice, regenerated from their seeds).

The suites hooks, sockmap, tracing, ports and wire are replayed from their recordings by
the project's tests (npm test); selfcheck does not run them yet.

Examples:
  sudo bpfsim selfcheck --random 20000
  bpfsim selfcheck --no-kernel --json > selfcheck.json`,
    )
    .action((flags: SelfcheckFlags) => {
      const suite = flags.suite;
      if (suite !== 'all' && !(SUITES as readonly string[]).includes(suite)) throw new UsageError(`--suite takes one of ${[...SUITES, 'all'].join(', ')}, not '${suite}'`);
      if (suite !== 'all' && !BUILT.has(suite)) throw new UsageError(`the ${suite} suite is not in selfcheck yet (npm test replays its recordings); --suite verifier runs`);
      const random = count('--random', flags.random, 0, 10_000_000);
      const seed = count('--seed', flags.seed, 0, 2 ** 31 - 1);
      const why = flags.kernel === false ? '--no-kernel' : liveUnavailable();
      const live = why === undefined;
      const recorded = readCorpus().kernel;
      const header = live
        ? `bpfsim selfcheck: this machine's kernel ${os.release()} (live, bpf() as root) against bpfsim's verifier (profile 6.18)`
        : `bpfsim selfcheck: the recordings of ${recorded} (this machine's kernel cannot be asked: ${why}) against bpfsim's verifier (profile 6.18)`;
      if (!flags.json) io.stdout(`${header}\n${live ? `random programs: ${random} from seed ${seed} (and ${Math.ceil(random / 4)} from the templates, ${Math.ceil(random / 10)} for each other program type)` : 'random programs: the recorded slice'}\n\n`);
      const tty = isTty() && !flags.json;
      let last = '';
      const progress = (done: number, total: number, what: string): void => {
        if (!tty) return;
        const w = 30;
        const f = total ? Math.min(w, Math.round((w * done) / total)) : w;
        const text = `\r[${'#'.repeat(f)}${'.'.repeat(w - f)}] ${what} ${done}/${total}`;
        if (text !== last) io.stderr((last = text).padEnd(70));
      };
      const result = checkVerifier({ live, random: live ? random : 0, seed, minimize: flags.minimize !== false, progress });
      if (tty) io.stderr(`\r${' '.repeat(70)}\r`);
      if (flags.keep) {
        try {
          fs.mkdirSync(flags.keep, { recursive: true });
          fs.writeFileSync(path.join(flags.keep, 'selfcheck-disagreements.jsonl'), result.disagreements.map((d) => `${keepLine(d)}\n`).join(''));
        } catch (e) {
          throw new UsageError(`cannot write to '${flags.keep}': ${(e as Error).message}`);
        }
      }
      if (flags.json) {
        io.stdout(`${JSON.stringify({ kernel: live ? os.release() : recorded, live, ...(why ? { why } : {}), profile: '6.18', seed, random: live ? random : 0, rows: result.rows, disagreements: result.disagreements.map((d) => JSON.parse(keepLine(d)) as unknown) }, null, 1)}\n`);
        return;
      }
      io.stdout(table(result.rows));
      const verdicts = result.disagreements.filter((d) => d.kind !== 'message');
      const messages = result.disagreements.length - verdicts.length;
      if (verdicts.length) io.stdout(`\n${verdicts.length} verdict disagreement(s):\n\n${verdicts.map(describe).join('\n\n')}\n`);
      else io.stdout('\nno verdict disagreements\n');
      if (messages) io.stdout(`${messages} case(s) with the same verdict and another message${flags.keep ? '' : ' (--keep DIR writes them all)'}\n`);
      if (flags.keep) io.stdout(`wrote ${result.disagreements.length} disagreement(s) to ${path.join(flags.keep, 'selfcheck-disagreements.jsonl')}\n`);
    });
}
