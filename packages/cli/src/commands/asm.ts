// `bpfsim asm`: assembly text to bytecode (llvm-mc's job for BPF).
import type { Command } from 'commander';
import { Option } from 'commander';
import { assemble, encode, toHexLines } from '@bpfsim/isa';
import type { AsmSyntax } from '@bpfsim/isa';
import type { Io } from '../io';
import { UsageError, displayName, readInput, utf8 } from '../io';

interface AsmFlags {
  syntax: AsmSyntax | 'auto';
  format: 'hex' | 'bin';
  output?: string;
}

export function registerAsm(program: Command, io: Io): void {
  program
    .command('asm')
    .description('assemble eBPF assembly (LLVM or uBPF syntax) into bytecode')
    .argument('<file>', "assembly file, or '-' for standard input")
    .addOption(new Option('--syntax <syntax>', 'input syntax').choices(['auto', 'llvm', 'ubpf']).default('auto'))
    .addOption(new Option('--format <format>', 'hex: one instruction a line; bin: raw bytes').choices(['hex', 'bin']).default('hex'))
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .addHelpText(
      'after',
      `
Output (hex): one instruction a line as 8 hex bytes (16 for ld_imm64).
Warnings go to standard error as FILE:LINE:COL: warning: ...

Examples:
  bpfsim asm prog.s
  echo 'r0 = 1; exit' | bpfsim asm -
  bpfsim asm --syntax ubpf --format bin -o prog.bin test.asm`,
    )
    .action((file: string, flags: AsmFlags) => {
      const name = displayName(file);
      const text = utf8(readInput(io, file));
      const options = flags.syntax === 'auto' ? { file: name } : { file: name, syntax: flags.syntax };
      const result = assemble(text, options);
      for (const w of result.warnings) io.stderr(`${name}:${w.line}:${w.column}: warning: ${w.message}\n`);
      if (result.insns.length === 0) throw new UsageError('no instructions', name);
      const out = flags.format === 'bin' ? encode(result.insns) : toHexLines(result.insns).join('\n') + '\n';
      if (flags.output !== undefined) io.writeFile(flags.output, out);
      else if (typeof out === 'string') io.stdout(out);
      else io.stdoutBytes(out);
    });
}
