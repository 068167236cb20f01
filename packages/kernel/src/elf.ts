// bpfsim's one ELF reader (include/uapi/linux/elf.h; the kernel reads the same structures in
// lib/buildid.c and kernel/module/main.c, libbpf through libelf in bpf_object__elf_init and
// bpf_object__elf_collect). ELF32 and ELF64, either byte order: the file header, the program
// headers, the section headers and their names, symbol tables, SHT_REL/SHT_RELA sections of
// relocatable objects and the notes of a note segment or section. Everything is read against
// the file's bounds; a malformed file fails with an ElfError that names the place (a byte
// offset, a section, a symbol) and what is wrong. Callers add their own policy on top: the
// loader wants a 64-bit little-endian ET_REL for EM_BPF (libbpf's checks), the stack map wants
// a build id and function symbols from any executable. No libelf: we read the bytes.

export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const EM_X86_64 = 62;
export const EM_BPF = 247;

/** Section types (SHT_*, plus LLVM's addrsig). */
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

/** Segment types (PT_*). */
export const PT = { NULL: 0, LOAD: 1, DYNAMIC: 2, INTERP: 3, NOTE: 4 } as const;
export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;

export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STV = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** Note types of owner "GNU". */
export const NT_GNU_BUILD_ID = 3;

/** What kind of damage: the first bytes are not ELF, a structure runs off the end, a section or a relocation is wrong. */
export type ElfErrorCode = 'ELF_FORMAT' | 'ELF_TRUNCATED' | 'ELF_SECTION' | 'ELF_RELOC';

/** A malformed ELF file: `place` is a byte offset (`ELF byte 4`, or `file.o +0x4` for a named file), a section or a symbol. */
export class ElfError extends Error {
  constructor(
    readonly code: ElfErrorCode,
    readonly place: string,
    /** What is wrong, without the place. */
    readonly detail: string,
  ) {
    super(`${place}: ${detail}`);
    this.name = 'ElfError';
  }
}

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes (a view into the file; zeros of `size` for SHT_NOBITS). */
  data: Uint8Array;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
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

export interface ElfNote {
  type: number;
  name: string;
  desc: Uint8Array;
}

/** Where each class keeps its fields (Elf32_* / Elf64_*): byte offsets and record sizes. */
interface Layout {
  ehdr: number;
  entry: number;
  phoff: number;
  shoff: number;
  flags: number;
  phentsize: number;
  phnum: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
  /** Elf_Shdr: size and its word fields' offsets. */
  shdr: number;
  sh: { flags: number; addr: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number };
  /** Elf_Phdr. */
  phdr: number;
  ph: { flags: number; offset: number; vaddr: number; filesz: number; memsz: number; align: number };
  /** Elf_Sym. */
  sym: number;
  st: { info: number; other: number; shndx: number; value: number; size: number };
  /** Elf_Rel and Elf_Rela; where r_info and r_addend sit. */
  rel: number;
  rela: number;
  rInfo: number;
}

const LAYOUT64: Layout = {
  ehdr: 64,
  entry: 24,
  phoff: 32,
  shoff: 40,
  flags: 48,
  phentsize: 54,
  phnum: 56,
  shentsize: 58,
  shnum: 60,
  shstrndx: 62,
  shdr: 64,
  sh: { flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, addralign: 48, entsize: 56 },
  phdr: 56,
  ph: { flags: 4, offset: 8, vaddr: 16, filesz: 32, memsz: 40, align: 48 },
  sym: 24,
  st: { info: 4, other: 5, shndx: 6, value: 8, size: 16 },
  rel: 16,
  rela: 24,
  rInfo: 8,
};

const LAYOUT32: Layout = {
  ehdr: 52,
  entry: 24,
  phoff: 28,
  shoff: 32,
  flags: 36,
  phentsize: 42,
  phnum: 44,
  shentsize: 46,
  shnum: 48,
  shstrndx: 50,
  shdr: 40,
  sh: { flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, addralign: 32, entsize: 36 },
  phdr: 32,
  ph: { flags: 24, offset: 4, vaddr: 8, filesz: 16, memsz: 20, align: 28 },
  sym: 16,
  st: { info: 12, other: 13, shndx: 14, value: 4, size: 8 },
  rel: 8,
  rela: 12,
  rInfo: 4,
};

const EI_NIDENT = 16;
const EMPTY = new Uint8Array(0);

/**
 * An ELF file's structures, read on first use: the header when constructed (only its fixed-size
 * fields, so a caller can check class, byte order, type and machine before anything else is
 * read), then the program headers, the section headers, the symbol tables and the relocation
 * sections as they are asked for.
 */
export class ElfFile {
  /** The name errors give the file (`ELF` when none was given). */
  readonly file: string;
  /** e_ident[EI_CLASS] (ELFCLASS32 or ELFCLASS64) and e_ident[EI_DATA] (ELFDATA2LSB or ELFDATA2MSB). */
  readonly elfClass: number;
  readonly dataEncoding: number;
  readonly is64: boolean;
  readonly littleEndian: boolean;
  readonly type: number;
  readonly machine: number;
  readonly flags: number;
  private readonly named: boolean;
  private readonly view: DataView;
  private readonly L: Layout;
  private sectionList?: ElfSection[];
  private byName?: Map<string, ElfSection>;
  private segmentList?: ElfSegment[];
  private readonly symbolLists = new Map<number, ElfSymbol[]>();
  private symtabList?: readonly ElfSymbol[];
  private relocList?: ElfRelocSection[];

  constructor(
    readonly bytes: Uint8Array,
    file?: string,
  ) {
    this.file = file ?? 'ELF';
    this.named = file !== undefined;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw this.error('ELF_FORMAT', 0, 'not an ELF file (no \\x7fELF magic)');
    this.need(0, EI_NIDENT, 'the ELF identification (e_ident)');
    this.elfClass = bytes[4]!;
    this.dataEncoding = bytes[5]!;
    if (this.elfClass !== ELFCLASS32 && this.elfClass !== ELFCLASS64) throw this.error('ELF_FORMAT', 4, `unknown class ${this.elfClass}`);
    if (this.dataEncoding !== ELFDATA2LSB && this.dataEncoding !== ELFDATA2MSB) throw this.error('ELF_FORMAT', 5, `unknown data encoding ${this.dataEncoding}`);
    this.is64 = this.elfClass === ELFCLASS64;
    this.littleEndian = this.dataEncoding === ELFDATA2LSB;
    this.L = this.is64 ? LAYOUT64 : LAYOUT32;
    this.need(0, this.L.ehdr, 'the ELF header');
    this.type = this.u16(16);
    this.machine = this.u16(18);
    this.flags = this.u32(this.L.flags);
  }

  /** A place in the file by byte offset, as errors name it. */
  at(off: number): string {
    return this.named ? `${this.file} +0x${off.toString(16)}` : `ELF byte ${off}`;
  }

  /** A place by section, as errors name it. */
  where(s: ElfSection): string {
    return `${this.file}: section '${s.name}' (${s.index})`;
  }

  error(code: ElfErrorCode, place: number | string | (() => string), detail: string): ElfError {
    return new ElfError(code, typeof place === 'number' ? this.at(place) : typeof place === 'string' ? place : place(), detail);
  }

  /** Fails unless [off, off + len) lies in the file. */
  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length) throw this.error('ELF_TRUNCATED', off, `${what} (${len} bytes at offset ${off}) runs past the end of the file (${this.bytes.length} bytes)`);
  }

  u16(off: number): number {
    return this.view.getUint16(off, this.littleEndian);
  }

  u32(off: number): number {
    return this.view.getUint32(off, this.littleEndian);
  }

  /** An address, offset or size (Elf32_Word / Elf64_Xword); a 64-bit one must fit a JS number, or the file is bad. */
  word(off: number, what: string): number {
    if (!this.is64) return this.u32(off);
    const hi = this.view.getUint32(this.littleEndian ? off + 4 : off, this.littleEndian);
    if (hi >= 0x200000) throw this.error('ELF_FORMAT', off, `${what} ${hi} * 2^32 is too large`);
    return hi * 0x100000000 + this.view.getUint32(this.littleEndian ? off : off + 4, this.littleEndian);
  }

  get entry(): number {
    return this.word(this.L.entry, 'e_entry');
  }

  get phoff(): number {
    return this.word(this.L.phoff, 'e_phoff');
  }

  get shoff(): number {
    return this.word(this.L.shoff, 'e_shoff');
  }

  /** The program headers (none when e_phnum is 0). */
  get segments(): readonly ElfSegment[] {
    if (this.segmentList) return this.segmentList;
    const L = this.L;
    const phnum = this.u16(L.phnum);
    const out: ElfSegment[] = [];
    if (phnum > 0) {
      const phoff = this.phoff;
      const phentsize = this.u16(L.phentsize);
      if (phentsize !== L.phdr) throw this.error('ELF_FORMAT', L.phentsize, `e_phentsize ${phentsize} is not ${L.phdr}`);
      this.need(phoff, phnum * L.phdr, `the program header table (${phnum} entries)`);
      for (let i = 0; i < phnum; i++) {
        const o = phoff + i * L.phdr;
        out.push({
          type: this.u32(o),
          flags: this.u32(o + L.ph.flags),
          offset: this.word(o + L.ph.offset, `segment ${i} p_offset`),
          vaddr: this.word(o + L.ph.vaddr, `segment ${i} p_vaddr`),
          filesz: this.word(o + L.ph.filesz, `segment ${i} p_filesz`),
          memsz: this.word(o + L.ph.memsz, `segment ${i} p_memsz`),
          align: this.word(o + L.ph.align, `segment ${i} p_align`),
        });
      }
    }
    return (this.segmentList = out);
  }

  /** The section headers with their names (none when e_shoff is 0); section 0 is the null section. */
  get sections(): readonly ElfSection[] {
    if (this.sectionList) return this.sectionList;
    const L = this.L;
    const shoff = this.shoff;
    if (shoff === 0) return (this.sectionList = []);
    const shentsize = this.u16(L.shentsize);
    let shnum = this.u16(L.shnum);
    let shstrndx = this.u16(L.shstrndx);
    if (shentsize !== L.shdr) throw this.error('ELF_FORMAT', L.shentsize, `e_shentsize ${shentsize} is not ${L.shdr}`);
    this.need(shoff, L.shdr, 'section header 0');
    // More than 0xff00 sections: the count and the name-table index live in section 0.
    if (shnum === 0) shnum = this.word(shoff + L.sh.size, 'section count (sh_size of section 0)');
    if (shstrndx === SHN_XINDEX) shstrndx = this.u32(shoff + L.sh.link);
    if (shnum > 1_000_000) throw this.error('ELF_FORMAT', L.shnum, `${shnum} sections is not plausible`);
    this.need(shoff, shnum * L.shdr, `the section header table (${shnum} entries)`);
    if (shstrndx >= shnum) throw this.error('ELF_SECTION', L.shstrndx, `e_shstrndx ${shstrndx} is not a section index (the file has ${shnum} sections)`);

    const list: ElfSection[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * L.shdr;
      nameOffs.push(this.u32(o));
      const type = this.u32(o + 4);
      const offset = this.word(o + L.sh.offset, `section ${i} sh_offset`);
      const size = this.word(o + L.sh.size, `section ${i} sh_size`);
      const s: ElfSection = {
        index: i,
        name: '',
        type,
        flags: this.word(o + L.sh.flags, `section ${i} sh_flags`),
        addr: this.word(o + L.sh.addr, `section ${i} sh_addr`),
        offset,
        size,
        link: this.u32(o + L.sh.link),
        info: this.u32(o + L.sh.info),
        addralign: this.word(o + L.sh.addralign, `section ${i} sh_addralign`),
        entsize: this.word(o + L.sh.entsize, `section ${i} sh_entsize`),
        data: EMPTY,
      };
      if (i > 0 && type !== SHT.NOBITS && type !== SHT.NULL) this.need(offset, size, `section ${i}'s contents`);
      list.push(s);
    }
    const shstr = list[shstrndx]!;
    if (shstr.type !== SHT.STRTAB) throw this.error('ELF_SECTION', `${this.file} section ${shstrndx}`, `the section name table (e_shstrndx ${shstrndx}) is not SHT_STRTAB`);
    const shstrData = this.bytes.subarray(shstr.offset, shstr.offset + shstr.size);
    for (const s of list) {
      if (s.index === 0) continue;
      s.name = this.cstring(shstrData, nameOffs[s.index]!, () => `${this.file} section ${s.index}`);
      s.data = s.type === SHT.NOBITS ? new Uint8Array(Math.min(s.size, 1 << 30)) : this.bytes.subarray(s.offset, s.offset + s.size);
    }
    this.sectionList = list;
    return this.sectionList;
  }

  /** The first section of that name. */
  sectionByName(name: string): ElfSection | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const s of this.sections) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
    }
    return this.byName.get(name);
  }

  /** The file's one section of a symbol table type (SHT_SYMTAB or SHT_DYNSYM: the ELF spec allows one of each). */
  symbolTable(type: typeof SHT.SYMTAB | typeof SHT.DYNSYM = SHT.SYMTAB): ElfSection | undefined {
    const tables = this.sections.filter((s) => s.type === type);
    if (tables.length > 1) throw this.error('ELF_SECTION', this.where(tables[1]!), `more than one symbol table (${type === SHT.SYMTAB ? 'SHT_SYMTAB' : 'SHT_DYNSYM'})`);
    return tables[0];
  }

  /** The symbols of .symtab (none when the file has no SHT_SYMTAB). */
  get symbols(): readonly ElfSymbol[] {
    if (!this.symtabList) {
      const t = this.symbolTable();
      this.symtabList = t ? this.symbolsOf(t) : [];
    }
    return this.symtabList;
  }

  /** The symbols of a symbol table section, names resolved through its sh_link string table. */
  symbolsOf(table: ElfSection): readonly ElfSymbol[] {
    const cached = this.symbolLists.get(table.index);
    if (cached) return cached;
    const L = this.L;
    const where = (): string => this.where(table);
    if (table.entsize !== L.sym) throw this.error('ELF_SECTION', where, `sh_entsize ${table.entsize} is not ${L.sym}`);
    if (table.size % L.sym) throw this.error('ELF_SECTION', where, `size ${table.size} is not a multiple of ${L.sym}`);
    const sections = this.sections;
    const strtab = sections[table.link];
    if (!strtab || strtab.type !== SHT.STRTAB) throw this.error('ELF_SECTION', where, `sh_link ${table.link} is not a string table`);
    const out: ElfSymbol[] = [];
    for (let i = 0; i < table.size / L.sym; i++) {
      const o = table.offset + i * L.sym;
      const info = this.bytes[o + L.st.info]!;
      const shndx = this.u16(o + L.st.shndx);
      const place = (): string => `${this.file}: symbol ${i} (${table.name} +0x${(i * L.sym).toString(16)})`;
      if (shndx === SHN_XINDEX) throw this.error('ELF_SECTION', place, 'extended section indexes (SHN_XINDEX) are not supported');
      if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= sections.length)
        throw this.error('ELF_SECTION', place, `st_shndx ${shndx} is not a section index (the file has ${sections.length} sections)`);
      out.push({
        index: i,
        name: this.cstring(strtab.data, this.u32(o), place),
        value: this.word(o + L.st.value, 'st_value'),
        size: this.word(o + L.st.size, 'st_size'),
        bind: info >> 4,
        type: info & 0xf,
        visibility: this.bytes[o + L.st.other]! & 3,
        shndx,
      });
    }
    this.symbolLists.set(table.index, out);
    return out;
  }

  /**
   * The SHT_REL and SHT_RELA sections of a relocatable file, each with the section it applies
   * to (sh_info) and its entries, whose symbol indexes are checked against the symbol table it
   * links (sh_link) and whose offsets against the target section.
   */
  get relocSections(): readonly ElfRelocSection[] {
    if (this.relocList) return this.relocList;
    const L = this.L;
    const sections = this.sections;
    const out: ElfRelocSection[] = [];
    for (const s of sections) {
      if (s.type !== SHT.REL && s.type !== SHT.RELA) continue;
      const entry = s.type === SHT.REL ? L.rel : L.rela;
      const where = (): string => this.where(s);
      if (s.size % entry) throw this.error('ELF_RELOC', where, `size ${s.size} is not a multiple of ${entry}`);
      const target = sections[s.info];
      if (!target || s.info === 0) throw this.error('ELF_RELOC', where, `sh_info ${s.info} is not a section index`);
      const table = sections[s.link];
      if (!table || (table.type !== SHT.SYMTAB && table.type !== SHT.DYNSYM)) throw this.error('ELF_RELOC', where, `sh_link ${s.link} is not a symbol table`);
      const nsyms = this.symbolsOf(table).length;
      const relocs: ElfReloc[] = [];
      for (let i = 0; i < s.size / entry; i++) {
        const o = s.offset + i * entry;
        const offset = this.word(o, 'r_offset');
        // r_info: ELF64 has the symbol in the high word and the type in the low; ELF32 packs them as sym << 8 | type.
        let sym: number;
        let type: number;
        if (this.is64) {
          type = this.u32(this.littleEndian ? o + 8 : o + 12);
          sym = this.u32(this.littleEndian ? o + 12 : o + 8);
        } else {
          const rinfo = this.u32(o + L.rInfo);
          sym = rinfo >>> 8;
          type = rinfo & 0xff;
        }
        const place = (): string => `${this.file}: section '${s.name}' +0x${(i * entry).toString(16)}`;
        if (sym >= nsyms) throw this.error('ELF_RELOC', place, `relocation ${i} names symbol ${sym}, but the symbol table has ${nsyms}`);
        if (offset >= target.size && target.type !== SHT.NOBITS)
          throw this.error('ELF_RELOC', place, `relocation ${i} at offset ${offset} is outside section '${target.name}' (${target.size} bytes)`);
        const rel: ElfReloc = { offset, type, sym };
        if (s.type === SHT.RELA) rel.addend = this.is64 ? Number(this.view.getBigInt64(o + 16, this.littleEndian)) : this.view.getInt32(o + 8, this.littleEndian);
        relocs.push(rel);
      }
      out.push({ section: s, target, relocs });
    }
    return (this.relocList = out);
  }

  /** The notes (Elf_Nhdr, name, desc, each 4-aligned) in [off, off + size), as far as the file goes. */
  *notes(off: number, size: number): Generator<ElfNote> {
    const end = Math.min(off + size, this.bytes.length);
    const align4 = (n: number): number => (n + 3) & ~3;
    let p = off;
    while (p >= 0 && p + 12 <= end) {
      const namesz = this.u32(p);
      const descsz = this.u32(p + 4);
      const type = this.u32(p + 8);
      const nameOff = p + 12;
      const descOff = nameOff + align4(namesz);
      if (descOff + descsz > end) return;
      let name = '';
      for (let i = 0; i < namesz && this.bytes[nameOff + i] !== 0; i++) name += String.fromCharCode(this.bytes[nameOff + i]!);
      yield { type, name, desc: this.bytes.slice(descOff, descOff + descsz) };
      p = descOff + align4(descsz);
    }
  }

  /** A NUL-terminated string at `off` of a string table. */
  private cstring(table: Uint8Array, off: number, place: () => string): string {
    if (off >= table.length) throw this.error('ELF_FORMAT', place, `string offset ${off} is outside the string table (${table.length} bytes)`);
    let end = off;
    while (end < table.length && table[end] !== 0) end++;
    if (end === table.length) throw this.error('ELF_FORMAT', place, `string at offset ${off} is not NUL-terminated`);
    let s = '';
    for (let i = off; i < end; i++) s += String.fromCharCode(table[i]!);
    return s;
  }
}
