// `bpfsim run SCENARIO...` and `bpfsim list`: scenario scripts (TypeScript modules, see
// scenarios/README.md) compiled on the fly with esbuild and run by @bpfsim/scenario. The
// scenario's imports of @bpfsim/* are served from this process's own modules, so a
// scenario shares every class (SysError…) with the runner.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import * as isa from '@bpfsim/isa';
import * as kernel from '@bpfsim/kernel';
import * as net from '@bpfsim/net';
import type { RunResult, ScenarioDef, TraceLevel } from '@bpfsim/scenario';
import * as scenarioPkg from '@bpfsim/scenario';
import * as sockmap from '@bpfsim/sockmap';
import * as loader from '@bpfsim/loader';
import * as vm from '@bpfsim/vm';
import type { Io } from '../io';
import { UsageError } from '../io';
import { CheckFailed } from './conformance';

const MODULES: Record<string, unknown> = {
  '@bpfsim/scenario': scenarioPkg,
  '@bpfsim/net': net,
  '@bpfsim/kernel': kernel,
  '@bpfsim/isa': isa,
  '@bpfsim/vm': vm,
  '@bpfsim/sockmap': sockmap,
  '@bpfsim/loader': loader,
};

/** scenarios/ of this checkout (the bundle lives in packages/cli/dist). */
export function scenariosDir(): string {
  const candidates = [path.resolve(__dirname, '../../../scenarios'), path.resolve(__dirname, '../../scenarios'), path.resolve(process.cwd(), 'scenarios')];
  return candidates.find((d) => fs.existsSync(d)) ?? candidates[0]!;
}

/** A scenario name ("single-ip") or a path to a .ts file. */
export function resolveScenario(arg: string): string {
  if (arg.endsWith('.ts') || arg.includes('/')) {
    if (!fs.existsSync(arg)) throw new UsageError(`no such file`, arg);
    return path.resolve(arg);
  }
  const f = path.join(scenariosDir(), `${arg}.ts`);
  if (!fs.existsSync(f)) throw new UsageError(`no scenario '${arg}' in ${scenariosDir()} (bpfsim list shows them)`, arg);
  return f;
}

/** Compiles a scenario module with esbuild and evaluates it; returns its default export. */
export async function loadScenario(file: string): Promise<ScenarioDef> {
  const esbuild = await import('esbuild');
  let code: string;
  try {
    const r = await esbuild.build({ entryPoints: [file], bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', external: ['@bpfsim/*'], logLevel: 'silent' });
    code = r.outputFiles[0]!.text;
  } catch (e) {
    const err = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors?.[0];
    if (err) throw new UsageError(err.text, err.location ? `${err.location.file}:${err.location.line}:${err.location.column + 1}` : file);
    throw e;
  }
  const mod: { exports: { default?: ScenarioDef } } = { exports: {} };
  const req = (id: string): unknown => {
    if (id in MODULES) return MODULES[id];
    if (id.startsWith('node:') || ['fs', 'path'].includes(id)) return require(id);
    throw new UsageError(`a scenario may import @bpfsim/* packages only, not '${id}'`, file);
  };
  try {
    // __dirname/__filename: a scenario reads its own files (ELF objects next to it).
    new Function('module', 'exports', 'require', '__dirname', '__filename', code)(mod, mod.exports, req, path.dirname(path.resolve(file)), path.resolve(file));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`the module failed to load: ${(e as Error).message}`, file);
  }
  const def = mod.exports.default;
  if (!def || typeof def.run !== 'function') throw new UsageError('the module has no default export made with scenario({...})', file);
  return def;
}

interface RunFlags {
  seed?: string;
  json?: boolean;
  pcap?: string;
  trace?: string;
  color?: boolean;
  svg?: string;
}

export function registerRun(program: Command, io: Io): void {
  program
    .command('run')
    .description('run scenario scripts: a timeline of syscalls, hook runs, TCP states and packets, and the expectations checked')
    .argument('<scenario...>', 'scenario names (bpfsim list) or paths to .ts files')
    .option('--seed <n>', "the simulation seed (default: the scenario's own); the same seed prints the same run")
    .option('--json', 'print the timeline as JSON lines (one event per line, then a "result" line)')
    .option('--pcap <dir>', 'write one pcapng capture per device into DIR (HOST-DEV.pcapng)')
    .option('--svg <file>', 'draw the run as a sequence diagram (hosts as lanes, packets as arrows, hook decisions as boxes); with several scenarios, FILE gets each name')
    .option('--trace <level>', 'what the text timeline shows: 0 expectations, 1 + syscalls and hooks, 2 + TCP states, 3 + packets', '2')
    .option('--no-color', 'plain text even on a terminal')
    .addHelpText(
      'after',
      `
Exit status: 0 every expectation held, 1 one failed (or the scenario got stuck), 2 bad input.

Examples:
  bpfsim run single-ip
  bpfsim run scenarios/port-policy.ts --trace 3
  bpfsim run single-ip --json | jq -c 'select(.kind == "hook")'
  bpfsim run single-ip --pcap out/ && tshark -r out/web-eth0.pcapng
  bpfsim run connect-lb --svg lb.svg --trace 1`,
    )
    .action(async (names: string[], flags: RunFlags) => {
      const seed = flags.seed === undefined ? undefined : Number(flags.seed);
      if (seed !== undefined && (!Number.isInteger(seed) || seed < 0)) throw new UsageError(`--seed takes a non-negative integer, not '${flags.seed}'`);
      const level = Number(flags.trace ?? 2);
      if (![0, 1, 2, 3].includes(level)) throw new UsageError(`--trace takes 0, 1, 2 or 3, not '${flags.trace}'`);
      const color = flags.color !== false && !flags.json && process.stdout.isTTY === true && !process.env.NO_COLOR;
      const files = names.map(resolveScenario);
      let failed = 0;
      for (const file of files) {
        const def = await loadScenario(file);
        const r = await scenarioPkg.runScenario(def, { ...(seed !== undefined ? { seed } : {}), pcap: !!flags.pcap });
        if (flags.json) printJson(io, r);
        else printText(io, def, r, level as TraceLevel, color);
        if (flags.pcap && r.pcaps) writePcaps(io, flags.pcap, r.pcaps, !flags.json);
        if (flags.svg) {
          const file = files.length > 1 ? flags.svg.replace(/(\.svg)?$/, `-${def.name}.svg`) : flags.svg;
          io.writeFile(file, scenarioPkg.renderSvg(r, r.links, { level: level as TraceLevel }));
          if (!flags.json) io.stdout(`wrote ${file}\n`);
        }
        if (!r.ok) failed++;
      }
      if (failed) throw new CheckFailed(`${failed} of ${files.length} scenario${files.length > 1 ? 's' : ''} failed`);
    });

  program
    .command('list')
    .description('list the scenarios with their one-line lessons')
    .action(async () => {
      const dir = scenariosDir();
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort() : [];
      if (!files.length) throw new UsageError(`no scenarios in ${dir}`);
      for (const f of files) {
        const def = await loadScenario(path.join(dir, f));
        io.stdout(`${def.name.padEnd(28)} ${def.lesson}\n`);
      }
    });
}

function printText(io: Io, def: ScenarioDef, r: RunResult, level: TraceLevel, color: boolean): void {
  io.stdout(`== ${def.name} (seed ${r.seed}): ${def.lesson}\n`);
  if (def.about) io.stdout(`${wrap(def.about, 90)}\n`);
  io.stdout('\n');
  for (const e of r.events) {
    const line = scenarioPkg.formatEvent(e, { level, color });
    if (line !== undefined) io.stdout(`${line}\n`);
  }
  const verdict = r.ok ? 'ok' : `FAILED (${r.failure ? `${r.failure.code}: ${r.failure.message}` : 'an expectation did not hold'})`;
  io.stdout(`\n${def.name}: ${verdict} — ${r.expectations.passed} expectation${r.expectations.passed === 1 ? '' : 's'} met, ${r.expectations.failed} failed, ${scenarioPkg.fmtTime(r.endNs).trim()} of virtual time\n\n`);
}

function printJson(io: Io, r: RunResult): void {
  for (const e of r.events) io.stdout(`${JSON.stringify({ scenario: r.name, ...e })}\n`);
  io.stdout(`${JSON.stringify({ scenario: r.name, kind: 'result', seed: r.seed, ok: r.ok, ...(r.failure ? { failure: r.failure } : {}), expectations: r.expectations, endNs: r.endNs })}\n`);
}

function writePcaps(io: Io, dir: string, pcaps: Map<string, Uint8Array>, say: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [dev, bytes] of pcaps) {
    const f = path.join(dir, `${dev.replace('/', '-')}.pcapng`);
    io.writeFile(f, bytes);
    if (say) io.stdout(`wrote ${f}\n`);
  }
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join('\n');
}
