// The `bpfsim` command: subcommands registered on one commander program; every failure is
// one line on standard error and an exit status (0 ok, 1 check failed, 2 bad input).
import { Command, CommanderError } from 'commander';
import { IsaError, SysError } from '@bpfsim/isa';
import { LoaderUsageError, ObjectFormatError } from '@bpfsim/loader';
import { registerAsm } from './commands/asm';
import { registerDemo } from './commands/demo';
import { CheckFailed, registerConformance } from './commands/conformance';
import { registerDisasm } from './commands/disasm';
import { registerRun } from './commands/run';
import { registerSweep } from './commands/sweep';
import { registerBenchHook } from './commands/bench-hook';
import { registerTestRun } from './commands/test-run';
import { registerVerify } from './commands/verify';
import { registerObj } from './commands/obj';
import { registerShowcase } from './commands/showcase';
import { registerSelfcheck } from './commands/selfcheck';
import type { Io } from './io';
import { UsageError, nodeIo } from './io';
import { VERSION } from './version';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;
/** An error bpfsim did not expect: a bug (sysexits' EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

export function buildProgram(io: Io): Command {
  const program = new Command('bpfsim')
    .description('bpfsim: a simulator of the Linux network stack and its cgroup BPF hooks')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nRun bpfsim <command> --help for a command\'s options and examples.');
  registerAsm(program, io);
  registerDisasm(program, io);
  registerTestRun(program, io);
  registerVerify(program, io);
  registerObj(program, io);
  registerConformance(program, io);
  registerDemo(program, io);
  registerShowcase(program, io);
  registerSelfcheck(program, io);
  registerRun(program, io);
  registerSweep(program, io);
  registerBenchHook(program, io);
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  return program;
}

/** Runs the CLI on `argv` (without `node` and the script) and returns the exit status. */
export async function runCli(argv: readonly string[], io: Io = nodeIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (e instanceof CheckFailed) return EXIT_CHECK_FAILED;
    if (e instanceof SysError) {
      io.stderr(`bpfsim: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      io.stderr(`${e.place ?? 'bpfsim'}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    // Assembly and decoding errors already name their place (file:line:col, insn N); so do
    // malformed objects (file: section 'x' +0x10).
    if (e instanceof IsaError || e instanceof ObjectFormatError || e instanceof LoaderUsageError) {
      io.stderr(`${e.message}\n`);
      return EXIT_USAGE;
    }
    const err = e as Error;
    io.stderr(`bpfsim: internal error: ${err?.message ?? String(e)}\n`);
    if (process.env.BPFSIM_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    else io.stderr('bpfsim: this is a bug; set BPFSIM_DEBUG=1 to see where it happened\n');
    return EXIT_INTERNAL;
  }
}
