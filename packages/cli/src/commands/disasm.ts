// `bpfsim disasm`: bytecode to LLVM-syntax assembly (llvm-objdump -d's job for BPF).
import type { Command } from 'commander';
import { DecodeError, INSN_SIZE, decode, disasmText, parseHexBytes } from '@bpfsim/isa';
import type { Io } from '../io';
import { UsageError, displayName, readInput, utf8 } from '../io';

interface DisasmFlags {
  hex?: boolean;
  helperNames?: boolean;
  keepGoing?: boolean;
}

export function registerDisasm(program: Command, io: Io): void {
  program
    .command('disasm')
    .description('disassemble eBPF bytecode into LLVM syntax, one instruction a line')
    .argument('<file>', "raw bytecode (.bin), or '-' for standard input")
    .option('--hex', 'the input is hex text (whitespace between bytes and lines is ignored)')
    .option('--helper-names', 'print helper calls by name (call bpf_map_lookup_elem)')
    .option('-k, --keep-going', 'print invalid instructions as .8byte with the reason instead of failing')
    .addHelpText(
      'after',
      `
Each line is INDEX: INSTRUCTION, indexes counting 8-byte slots (ld_imm64 takes two).
The listing assembles back to the same bytes with 'bpfsim asm'.

Examples:
  bpfsim disasm prog.bin
  echo 'b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00' | bpfsim disasm --hex -`,
    )
    .action((file: string, flags: DisasmFlags) => {
      const name = displayName(file);
      const input = readInput(io, file);
      const bytes = flags.hex ? parseHexBytes(utf8(input), name) : input;
      if (bytes.length === 0) throw new UsageError('empty program', name);
      let insns;
      try {
        insns = decode(bytes, { validate: !flags.keepGoing });
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        const where = e.index >= 0 ? `byte ${e.index * INSN_SIZE}: ` : '';
        const hint = e.index >= 0 ? ' (--keep-going prints it as .8byte)' : '';
        throw new UsageError(`${where}${e.message}${hint}`, name);
      }
      io.stdout(disasmText(insns, { helperNames: !!flags.helperNames }));
    });
}
