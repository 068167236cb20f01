// ELF64 little-endian relocatable objects, as clang -target bpf writes them and libbpf reads
// them (bpf_object__elf_init, elf_sec_by_idx, elf_sym_by_idx, bpf_object__elf_collect): the
// file header, the section headers and their names, the symbol table and SHT_REL sections.
// Everything is bounds-checked against the file; a malformed object fails with an
// ObjectFormatError that names the section or byte offset. No libelf: we read the bytes.
import { ObjectFormatError } from './errors';

export const EM_BPF = 247;
export const ET_REL = 1;

/** Section types (include/uapi/linux/elf.h, plus LLVM's addrsig). */
export const SHT = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  SYMTAB_SHNDX: 18,
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF = {
  R_BPF_NONE: 0,
  R_BPF_64_64: 1,
  R_BPF_64_ABS64: 2,
  R_BPF_64_ABS32: 3,
  R_BPF_64_NODYLD32: 4,
  R_BPF_64_32: 10,
} as const;

export const relocTypeName = (t: number): string => Object.entries(R_BPF).find(([, v]) => v === t)?.[0] ?? `R_BPF_${t}`;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;
const RELA_SIZE = 24;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (a view into the file; zeros of `size` for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  visibility: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  shndx: number;
}

export interface ElfReloc {
  /** Byte offset in the target section. */
  offset: number;
  type: number;
  /** Index into the symbol table. */
  sym: number;
  addend?: number;
}

export interface ElfRelocSection {
  section: ElfSection;
  /** The section the relocations apply to (sh_info). */
  target: ElfSection;
  relocs: ElfReloc[];
}

export interface ElfFile {
  file: string;
  machine: number;
  sections: ElfSection[];
  symbols: ElfSymbol[];
  relocSections: ElfRelocSection[];
  sectionByName(name: string): ElfSection | undefined;
}

class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length)
      throw new ObjectFormatError('ELF_TRUNCATED', `${this.file} +0x${off.toString(16)}`, `${what} (${len} bytes at offset ${off}) runs past the end of the file (${this.bytes.length} bytes)`);
  }

  u16 = (o: number): number => this.view.getUint16(o, true);
  u32 = (o: number): number => this.view.getUint32(o, true);
  /** A u64 that must fit a JS number (file offsets and sizes do, or the file is bad). */
  u64(o: number, what: string): number {
    const hi = this.view.getUint32(o + 4, true);
    if (hi >= 0x200000) throw new ObjectFormatError('ELF_FORMAT', `${this.file} +0x${o.toString(16)}`, `${what} ${hi} * 2^32 is too large`);
    return hi * 0x100000000 + this.view.getUint32(o, true);
  }
}

function cstring(bytes: Uint8Array, off: number, place: () => string): string {
  if (off >= bytes.length) throw new ObjectFormatError('ELF_FORMAT', place(), `string offset ${off} is outside the string table (${bytes.length} bytes)`);
  let end = off;
  while (end < bytes.length && bytes[end] !== 0) end++;
  if (end === bytes.length) throw new ObjectFormatError('ELF_FORMAT', place(), `string at offset ${off} is not NUL-terminated`);
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** Parses an ELF64 LE relocatable object for EM_BPF (bpf_object__elf_init + elf_collect). */
export function parseElf(bytes: Uint8Array, file = 'object'): ElfFile {
  const r = new Reader(bytes, file);
  if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new ObjectFormatError('ELF_FORMAT', `${file} +0x0`, 'not an ELF file (no \\x7fELF magic)');
  r.need(0, EHDR_SIZE, 'the ELF header');
  if (bytes[4] !== 2) throw new ObjectFormatError('ELF_FORMAT', `${file} +0x4`, `ELF class ${bytes[4]} is not ELFCLASS64: BPF objects are 64-bit`);
  if (bytes[5] !== 1)
    throw new ObjectFormatError('ELF_FORMAT', `${file} +0x5`, `ELF data encoding ${bytes[5]} is not little-endian (ELFDATA2LSB); this host is little-endian (libbpf: endianness mismatch)`);
  const type = r.u16(16);
  const machine = r.u16(18);
  if (type !== ET_REL) throw new ObjectFormatError('ELF_FORMAT', `${file} +0x10`, `e_type ${type} is not ET_REL: a BPF object is a relocatable file (clang -c)`);
  if (machine !== EM_BPF && machine !== 0)
    throw new ObjectFormatError('ELF_FORMAT', `${file} +0x12`, `e_machine ${machine} is not EM_BPF (247): compile with clang -target bpf`);
  const shoff = r.u64(40, 'e_shoff');
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);
  if (shoff === 0) throw new ObjectFormatError('ELF_FORMAT', `${file} +0x28`, 'the file has no section header table (e_shoff is 0)');
  if (shentsize !== SHDR_SIZE) throw new ObjectFormatError('ELF_FORMAT', `${file} +0x3a`, `e_shentsize ${shentsize} is not ${SHDR_SIZE}`);
  r.need(shoff, SHDR_SIZE, 'section header 0');
  // More than 0xff00 sections: the count and the name-table index live in section 0.
  if (shnum === 0) shnum = r.u64(shoff + 32, 'section count (sh_size of section 0)');
  if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
  if (shnum > 1_000_000) throw new ObjectFormatError('ELF_FORMAT', `${file} +0x3c`, `${shnum} sections is not plausible`);
  r.need(shoff, shnum * SHDR_SIZE, `the section header table (${shnum} entries)`);
  if (shstrndx >= shnum) throw new ObjectFormatError('ELF_SECTION', `${file} +0x3e`, `e_shstrndx ${shstrndx} is not a section index (the file has ${shnum} sections)`);

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    const s = {
      index: i,
      nameOff: r.u32(o),
      type: r.u32(o + 4),
      flags: r.u64(o + 8, `section ${i} sh_flags`),
      offset: r.u64(o + 24, `section ${i} sh_offset`),
      size: r.u64(o + 32, `section ${i} sh_size`),
      link: r.u32(o + 40),
      info: r.u32(o + 44),
      addralign: r.u64(o + 48, `section ${i} sh_addralign`),
      entsize: r.u64(o + 56, `section ${i} sh_entsize`),
    };
    if (i > 0 && s.type !== SHT.NOBITS && s.type !== SHT.NULL) r.need(s.offset, s.size, `section ${i}'s contents`);
    raw.push(s);
  }
  const shstr = raw[shstrndx]!;
  if (shstr.type !== SHT.STRTAB) throw new ObjectFormatError('ELF_SECTION', `${file} section ${shstrndx}`, `the section name table (e_shstrndx ${shstrndx}) is not SHT_STRTAB`);
  const shstrData = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
  const sections: ElfSection[] = raw.map((s) => ({
    index: s.index,
    name: s.index === 0 ? '' : cstring(shstrData, s.nameOff, () => `${file} section ${s.index}`),
    type: s.type,
    flags: s.flags,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    addralign: s.addralign,
    entsize: s.entsize,
    data: s.type === SHT.NOBITS || s.index === 0 ? new Uint8Array(s.type === SHT.NOBITS ? Math.min(s.size, 1 << 30) : 0) : bytes.subarray(s.offset, s.offset + s.size),
  }));
  const where = (s: ElfSection): string => `${file}: section '${s.name}' (${s.index})`;

  // The symbol table (libbpf wants exactly one).
  const symtabs = sections.filter((s) => s.type === SHT.SYMTAB);
  if (symtabs.length > 1) throw new ObjectFormatError('ELF_SECTION', where(symtabs[1]!), 'more than one symbol table (SHT_SYMTAB)');
  const symbols: ElfSymbol[] = [];
  const symtab = symtabs[0];
  if (symtab) {
    if (symtab.entsize !== SYM_SIZE) throw new ObjectFormatError('ELF_SECTION', where(symtab), `sh_entsize ${symtab.entsize} is not ${SYM_SIZE}`);
    if (symtab.size % SYM_SIZE) throw new ObjectFormatError('ELF_SECTION', where(symtab), `size ${symtab.size} is not a multiple of ${SYM_SIZE}`);
    const strtab = sections[symtab.link];
    if (!strtab || strtab.type !== SHT.STRTAB) throw new ObjectFormatError('ELF_SECTION', where(symtab), `sh_link ${symtab.link} is not a string table`);
    const n = symtab.size / SYM_SIZE;
    for (let i = 0; i < n; i++) {
      const o = symtab.offset + i * SYM_SIZE;
      const info = bytes[o + 4]!;
      const shndx = r.u16(o + 6);
      const place = (): string => `${file}: symbol ${i} (.symtab +0x${(i * SYM_SIZE).toString(16)})`;
      if (shndx === SHN_XINDEX) throw new ObjectFormatError('ELF_SECTION', place(), 'extended section indexes (SHN_XINDEX) are not supported');
      if (shndx !== SHN_UNDEF && shndx < 0xff00 && shndx >= sections.length)
        throw new ObjectFormatError('ELF_SECTION', place(), `st_shndx ${shndx} is not a section index (the file has ${sections.length} sections)`);
      symbols.push({
        index: i,
        name: cstring(strtab.data, r.u32(o), place),
        value: r.u64(o + 8, 'st_value'),
        size: r.u64(o + 16, 'st_size'),
        bind: info >> 4,
        type: info & 0xf,
        visibility: bytes[o + 5]! & 3,
        shndx,
      });
    }
  }

  const relocSections: ElfRelocSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT.REL && s.type !== SHT.RELA) continue;
    const entry = s.type === SHT.REL ? REL_SIZE : RELA_SIZE;
    if (s.size % entry) throw new ObjectFormatError('ELF_RELOC', where(s), `size ${s.size} is not a multiple of ${entry}`);
    if (symtab && s.link !== symtab.index) throw new ObjectFormatError('ELF_RELOC', where(s), `sh_link ${s.link} is not the symbol table (${symtab.index})`);
    const target = sections[s.info];
    if (!target || s.info === 0) throw new ObjectFormatError('ELF_RELOC', where(s), `sh_info ${s.info} is not a section index`);
    const relocs: ElfReloc[] = [];
    for (let i = 0; i < s.size / entry; i++) {
      const o = s.offset + i * entry;
      const offset = r.u64(o, 'r_offset');
      const type = r.u32(o + 8);
      const sym = r.u32(o + 12);
      const place = `${file}: section '${s.name}' +0x${(i * entry).toString(16)}`;
      if (sym >= symbols.length) throw new ObjectFormatError('ELF_RELOC', place, `relocation ${i} names symbol ${sym}, but the symbol table has ${symbols.length}`);
      if (offset >= target.size && target.type !== SHT.NOBITS)
        throw new ObjectFormatError('ELF_RELOC', place, `relocation ${i} at offset ${offset} is outside section '${target.name}' (${target.size} bytes)`);
      const rel: ElfReloc = { offset, type, sym };
      if (s.type === SHT.RELA) rel.addend = Number(r.view.getBigInt64(o + 16, true));
      relocs.push(rel);
    }
    relocSections.push({ section: s, target, relocs });
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return { file, machine, sections, symbols, relocSections, sectionByName: (name) => byName.get(name) };
}
