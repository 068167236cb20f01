// `bpfsim conformance`: run bpf_conformance's .data files on an engine.
import type { Command } from 'commander';
import { Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EngineName } from '@bpfsim/vm';
import { runConformanceCase, summarize } from '@bpfsim/vm';
import type { Io } from '../io';
import { UsageError } from '../io';

export class CheckFailed extends Error {
  readonly code = 'ERR_BPFSIM_CHECK_FAILED';
}

export function registerConformance(program: Command, io: Io): void {
  program
    .command('conformance')
    .description('run bpf_conformance test files (.data) and report failures')
    .argument('<dir>', 'a directory of .data files (or one holding tests/)')
    .addOption(new Option('--engine <engine>', 'execution engine').choices(['interp', 'jit']).default('jit'))
    .addHelpText('after', '\nPrints one line per failure and ends with "N passed, N failed, N skipped".\nExit status 1 when a test fails.\n\nExample:\n  bpfsim conformance ../shared/conformance/tests --engine interp')
    .action((dir: string, flags: { engine: EngineName }) => {
      let root = dir;
      if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UsageError(`cannot read directory '${dir}'`);
      if (fs.existsSync(path.join(root, 'tests')) && !fs.readdirSync(root).some((f) => f.endsWith('.data'))) root = path.join(root, 'tests');
      const files = fs.readdirSync(root).filter((f) => f.endsWith('.data')).sort();
      if (files.length === 0) throw new UsageError(`no .data files in '${root}'`);
      const outcomes = files.map((f) => runConformanceCase(f, fs.readFileSync(path.join(root, f), 'utf8'), flags.engine));
      for (const o of outcomes) if (o.status === 'fail') io.stdout(`FAIL ${o.file}: ${o.reason}\n`);
      const s = summarize(outcomes);
      const skipped = outcomes.filter((o) => o.status === 'skip');
      for (const o of skipped) io.stdout(`skip ${o.file}: ${o.reason}\n`);
      io.stdout(`${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}\n`);
      if (s.failed) throw new CheckFailed(`${s.failed} failed`);
    });
}
