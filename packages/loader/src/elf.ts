// What libbpf asks of an ELF file before it is a BPF object (bpf_object__elf_init,
// bpf_object__check_endianness, bpf_object__elf_collect): 64-bit, little-endian like this
// host, ET_REL for EM_BPF, a section header table, relocations against the one symbol table.
// The reading itself is the kernel package's ElfFile (@bpfsim/kernel's elf.ts); its ElfErrors
// come out as the loader's ObjectFormatError with the same code, place and message.
import { uapiName } from '@bpfsim/isa';
import { ELFCLASS64, ELFDATA2LSB, EM_BPF, ET_REL, ElfError, ElfFile, SHT } from '@bpfsim/kernel';
import { ObjectFormatError } from './errors';

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF = {
  R_BPF_NONE: 0,
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  R_BPF_64_32: 10,
} as const;

export const relocTypeName = (t: number): string => uapiName(R_BPF, t) ?? `R_BPF_${t}`;

/** Reads an ELF64 LE relocatable object for EM_BPF, sections, symbols and relocations (bpf_object__elf_init + elf_collect). */
export function parseElf(bytes: Uint8Array, file = 'object'): ElfFile {
  try {
    const elf = new ElfFile(bytes, file);
    if (elf.elfClass !== ELFCLASS64) throw elf.error('ELF_FORMAT', 4, `ELF class ${elf.elfClass} is not ELFCLASS64: BPF objects are 64-bit`);
    if (elf.dataEncoding !== ELFDATA2LSB)
      throw elf.error('ELF_FORMAT', 5, `ELF data encoding ${elf.dataEncoding} is not little-endian (ELFDATA2LSB); this host is little-endian (libbpf: endianness mismatch)`);
    if (elf.type !== ET_REL) throw elf.error('ELF_FORMAT', 0x10, `e_type ${elf.type} is not ET_REL: a BPF object is a relocatable file (clang -c)`);
    if (elf.machine !== EM_BPF && elf.machine !== 0) throw elf.error('ELF_FORMAT', 0x12, `e_machine ${elf.machine} is not EM_BPF (247): compile with clang -target bpf`);
    if (elf.shoff === 0) throw elf.error('ELF_FORMAT', 0x28, 'the file has no section header table (e_shoff is 0)');
    // Everything is read here, so that any damage surfaces as an ObjectFormatError before the loader looks.
    const symtab = elf.symbolTable();
    void elf.symbols;
    for (const s of elf.sections)
      if ((s.type === SHT.REL || s.type === SHT.RELA) && symtab && s.link !== symtab.index) throw elf.error('ELF_RELOC', elf.where(s), `sh_link ${s.link} is not the symbol table (${symtab.index})`);
    void elf.relocSections;
    return elf;
  } catch (e) {
    if (e instanceof ElfError) throw new ObjectFormatError(e.code, e.place, e.detail);
    throw e;
  }
}
