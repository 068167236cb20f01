// `bpfsim obj FILE.o`: what an object holds, as libbpf reads it — programs (section, type,
// expected_attach_type, instructions in the section and after subprograms are linked), maps
// (BTF-defined, legacy, global data), global variables, subprograms, relocations, and the
// warnings libbpf would print. bpftool's `prog`/`map` listings and `llvm-readelf -S` in one.
import type { Command } from 'commander';
import { SHF_EXECINSTR } from '@bpfsim/kernel';
import { relocTypeName, type ObjectFile } from '@bpfsim/loader';
import type { Io } from '../io';
import { attachTypeName, mapTypeName, progTypeName, readObject } from '../object-input';

interface ObjFlags {
  json?: boolean;
  relocs?: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function describeObject(obj: ObjectFile): Record<string, unknown> {
  return {
    file: obj.file,
    name: obj.name,
    license: obj.license,
    kernVersion: obj.kernVersion,
    btf: !!obj.btf,
    lineInfo: !!obj.btfExt && [...obj.btfExt.lineInfo.values()].some((l) => l.length > 0),
    programs: obj.programs.map((p) => ({
      name: p.name,
      section: p.sectionName,
      type: progTypeName(p.type),
      attachType: p.expectedAttachType ? attachTypeName(p.expectedAttachType) : null,
      insns: p.sectionInsnCount,
      linkedInsns: obj.linkedInstructions(p).insns.length,
    })),
    maps: obj.maps.map((m) => ({ name: m.name, kind: m.kind, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, pinning: m.def.pinning, ...(m.def.inner ? { inner: { type: mapTypeName(m.def.inner.type), keySize: m.def.inner.keySize, valueSize: m.def.inner.valueSize, maxEntries: m.def.inner.maxEntries } } : {}) })),
    globals: obj.globals(),
    subprograms: obj.subprograms,
    warnings: obj.warnings,
  };
}

export function registerObj(program: Command, io: Io): void {
  program
    .command('obj')
    .description("list an ELF object's programs, maps and globals as libbpf reads them")
    .argument('<file>', "an object from clang -target bpf (.o), or '-' for standard input")
    .option('--json', 'print one JSON object')
    .option('--relocs', 'also list the relocations of each program section')
    .addHelpText(
      'after',
      `
Programs come from executable sections by libbpf's section names (cgroup/connect4,
sk_msg, raw_tp/NAME, ...); functions in .text are subprograms, linked into each program
that calls them ('linked' counts the instructions BPF_PROG_LOAD would get).

Examples:
  bpfsim obj scenarios/progs/single_ip.bpf.o
  bpfsim obj scenarios/progs/connect_lb.bpf.o --relocs
  bpfsim verify scenarios/progs/single_ip.bpf.o --log-level 1`,
    )
    .action((file: string, flags: ObjFlags) => {
      const obj = readObject(io, file);
      const d = describeObject(obj);
      if (flags.json) {
        io.stdout(JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
        return;
      }
      const lines = obj.btfExt && [...obj.btfExt.lineInfo.values()].some((l) => l.length) ? ', line info' : '';
      io.stdout(`${obj.file}: object '${obj.name}', license '${obj.license || '(none)'}'${obj.kernVersion ? `, version ${obj.kernVersion}` : ''}, ${obj.btf ? `BTF${lines}` : 'no BTF'}\n\n`);
      io.stdout(`programs (${obj.programs.length}):\n`);
      if (obj.programs.length) {
        const rows = [['name', 'section', 'type', 'attach type', 'insns', 'linked']];
        for (const p of obj.programs) rows.push([p.name, p.sectionName, progTypeName(p.type), attachTypeName(p.expectedAttachType), String(p.sectionInsnCount), String(obj.linkedInstructions(p).insns.length)]);
        io.stdout(table(rows));
      }
      io.stdout(`\nmaps (${obj.maps.length}):\n`);
      if (obj.maps.length) {
        const rows = [['name', 'from', 'type', 'key', 'value', 'max_entries', 'flags']];
        for (const m of obj.maps) {
          const extra = m.def.inner ? ` of ${mapTypeName(m.def.inner.type)}` : '';
          rows.push([m.name, m.kind === 'btf' ? '.maps' : m.kind === 'legacy' ? 'maps' : m.def.secName, mapTypeName(m.type) + extra, String(m.keySize), String(m.valueSize), String(m.maxEntries), `0x${m.flags.toString(16)}${m.def.pinning ? ' pinned by name' : ''}`]);
        }
        io.stdout(table(rows));
      }
      const globals = obj.globals();
      if (globals.length) {
        io.stdout(`\nglobals (${globals.length}):\n`);
        io.stdout(table([['name', 'section', 'offset', 'size'], ...globals.map((g) => [g.name, g.section, String(g.offset), String(g.size)])]));
      }
      if (obj.subprograms.length) io.stdout(`\nsubprograms in .text: ${obj.subprograms.map((s) => `${s.name} (${s.insnCnt} insns, ${s.global ? 'global' : 'static'})`).join(', ')}\n`);
      if (flags.relocs) {
        // Program sections and .maps: the ones the loader acts on (debug info relocations are for DWARF readers).
        for (const rs of obj.elf.relocSections.filter((r) => r.target.flags & SHF_EXECINSTR || r.target.name === '.maps')) {
          io.stdout(`\nrelocations in '${rs.section.name}' (for '${rs.target.name}'):\n`);
          io.stdout(table([['offset', 'insn', 'type', 'symbol'], ...rs.relocs.map((r) => [`0x${r.offset.toString(16)}`, rs.target.flags & SHF_EXECINSTR ? String(r.offset / 8) : '-', relocTypeName(r.type), obj.elf.symbols[r.sym]?.name || `(section ${obj.elf.sections[obj.elf.symbols[r.sym]?.shndx ?? 0]?.name ?? '?'})`])]));
        }
      }
      for (const w of obj.warnings) io.stderr(`${w.place}: warning: ${w.message}\n`);
    });
}
