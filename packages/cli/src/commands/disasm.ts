// `bpfsim disasm`: bytecode to LLVM-syntax assembly (llvm-objdump -d's job for BPF).
import type { Command } from 'commander';
import { DecodeError, INSN_SIZE, decode, disasmText, parseHexBytes } from '@bpfsim/isa';
import type { Io } from '../io';
import { UsageError, displayName, readInput, utf8 } from '../io';
import { attachTypeName, isElf, progTypeName, readObject, selectPrograms } from '../object-input';

interface DisasmFlags {
  hex?: boolean;
  helperNames?: boolean;
  keepGoing?: boolean;
  program?: string;
  source?: boolean;
}

export function registerDisasm(program: Command, io: Io): void {
  program
    .command('disasm')
    .description('disassemble eBPF bytecode into LLVM syntax, one instruction a line')
    .argument('<file>', "raw bytecode (.bin), an ELF object (.o), or '-' for standard input")
    .option('--hex', 'the input is hex text (whitespace between bytes and lines is ignored)')
    .option('--helper-names', 'print helper calls by name (call bpf_map_lookup_elem)')
    .option('-k, --keep-going', 'print invalid instructions as .8byte with the reason instead of failing')
    .option('--program <name>', 'with an ELF object: only this program')
    .option('--no-source', 'with an ELF object: leave out the C source lines from BTF line info')
    .addHelpText(
      'after',
      `
Each line is INDEX: INSTRUCTION, indexes counting 8-byte slots (ld_imm64 takes two).
The listing assembles back to the same bytes with 'bpfsim asm'. An ELF object is listed
program by program as BPF_PROG_LOAD would get it (subprograms appended, map references
not yet resolved), with '; source line @ file:line' from its BTF line info.

Examples:
  bpfsim disasm prog.bin
  echo 'b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00' | bpfsim disasm --hex -
  bpfsim disasm scenarios/progs/single_ip.bpf.o --program force_connect4`,
    )
    .action((file: string, flags: DisasmFlags) => {
      const name = displayName(file);
      const input = readInput(io, file);
      if (!flags.hex && isElf(input)) return disasmObject(io, file, flags);
      if (flags.program) throw new UsageError('--program is for ELF objects; this file is not one', name);
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

/** An object's programs, each with its source lines interleaved (llvm-objdump -S's view). */
function disasmObject(io: Io, file: string, flags: DisasmFlags): void {
  const obj = readObject(io, file);
  const programs = selectPrograms(obj, flags.program);
  programs.forEach((p, n) => {
    const { insns, lineInfo } = obj.linkedInstructions(p);
    io.stdout(`${n ? '\n' : ''}${p.name}: section ${p.sectionName}, ${progTypeName(p.type)}${p.expectedAttachType ? ` (${attachTypeName(p.expectedAttachType)})` : ''}, ${insns.length} insns\n`);
    const listing = disasmText(insns, { helperNames: !!flags.helperNames }).split('\n');
    const byInsn = new Map<number, string>();
    let last = '';
    for (const l of lineInfo) {
      if (!l.line && !l.lineText.trim()) continue; // compiler-made code (line 0): llvm-objdump -S shows nothing either
      const text = `; ${l.lineText.trim()} @ ${l.fileName.slice(l.fileName.lastIndexOf('/') + 1)}:${l.line}`;
      if (text !== last) byInsn.set(l.insnOff, text);
      last = text;
    }
    for (const line of listing) {
      if (!line) continue;
      const idx = Number(/^\s*(\d+):/.exec(line)?.[1]);
      const src = flags.source !== false ? byInsn.get(idx) : undefined;
      if (src) io.stdout(src + '\n');
      io.stdout(line + '\n');
    }
  });
  for (const w of obj.warnings) io.stderr(`${w.place}: warning: ${w.message}\n`);
}
