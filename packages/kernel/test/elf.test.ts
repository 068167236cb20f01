// The ELF reader (src/elf.ts) on the layout the rest of the tests never give it: ELF32,
// big-endian (as a 32-bit MIPS or PowerPC binary is). The file is built here field by field
// from include/uapi/linux/elf.h's Elf32_* structures, so the reader's offsets for the 32-bit
// class and its byte order are checked against the header, not against themselves.
import { ElfError, ElfFile, PT, SHT, STB, STT, readBuildId, readFunctionSymbols } from '../src';

/** A section to lay out: its name, type, contents and the header fields that matter here. */
interface Sec {
  name: string;
  type: number;
  data: Uint8Array;
  link?: number;
  info?: number;
  entsize?: number;
}

const be = (n: number, size: 2 | 4): number[] => (size === 2 ? [(n >>> 8) & 0xff, n & 0xff] : [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * An ELF32 MSB file: the header, the program headers (each over one of `secs`, by its
 * position there), the sections' contents, then the section headers: the null section, `secs`
 * (so `secs[i]` is section i + 1) and .shstrtab.
 */
function elf32be(type: number, secs: Sec[], phdrs: { type: number; sec: number; vaddr: number }[]): Uint8Array {
  const all: Sec[] = [...secs, { name: '.shstrtab', type: SHT.STRTAB, data: new Uint8Array(0) }];
  const shstr = [0];
  const nameOff = all.map((s) => {
    const o = shstr.length;
    shstr.push(...ascii(s.name), 0);
    return o;
  });
  all[all.length - 1]!.data = Uint8Array.from(shstr);
  const phoff = 52;
  let at = phoff + 32 * phdrs.length;
  const offsets = all.map((s) => {
    const o = at;
    at += s.data.length + ((4 - (s.data.length % 4)) % 4);
    return o;
  });
  const shoff = at;
  const out: number[] = [0x7f, 0x45, 0x4c, 0x46, 1, 2, 1, ...new Array(9).fill(0)];
  out.push(...be(type, 2), ...be(8, 2), ...be(1, 4), ...be(0, 4), ...be(phoff, 4), ...be(shoff, 4), ...be(0, 4));
  out.push(...be(52, 2), ...be(32, 2), ...be(phdrs.length, 2), ...be(40, 2), ...be(all.length + 1, 2), ...be(all.length, 2));
  for (const p of phdrs) {
    const s = all[p.sec]!;
    const off = offsets[p.sec]!;
    out.push(...be(p.type, 4), ...be(off, 4), ...be(p.vaddr, 4), ...be(p.vaddr, 4), ...be(s.data.length, 4), ...be(s.data.length, 4), ...be(4, 4), ...be(4, 4));
  }
  all.forEach((s, i) => {
    while (out.length < offsets[i]!) out.push(0);
    out.push(...s.data);
  });
  while (out.length < shoff) out.push(0);
  out.push(...new Array(40).fill(0));
  all.forEach((s, i) => {
    out.push(...be(nameOff[i]!, 4), ...be(s.type, 4), ...be(0, 4), ...be(0, 4), ...be(offsets[i]!, 4), ...be(s.data.length, 4));
    out.push(...be(s.link ?? 0, 4), ...be(s.info ?? 0, 4), ...be(4, 4), ...be(s.entsize ?? 0, 4));
  });
  return Uint8Array.from(out);
}

/** Elf32_Sym: name, value, size, info, other, shndx. */
const sym = (name: number, value: number, size: number, info: number, shndx: number): number[] => [...be(name, 4), ...be(value, 4), ...be(size, 4), info, 0, ...be(shndx, 2)];

const BUILD_ID = [0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04];
// Sections (1-based in the file; index 0 is the null section): 1 .note, 2 .text, 3 .symtab, 4 .strtab, 5 .rel.text.
const note = Uint8Array.from([...be(4, 4), ...be(BUILD_ID.length, 4), ...be(3, 4), ...ascii('GNU\0'), ...BUILD_ID]);
const text = new Uint8Array(0x30);
const strtab = Uint8Array.from([0, ...ascii('start'), 0, ...ascii('helper'), 0]);
const VADDR = 0x10000;

describe('ELF32 big-endian', () => {
  test('build id through PT_NOTE, function symbols through PT_LOAD', () => {
    // The symbols' values are addresses in the PT_LOAD that maps .text at VADDR.
    const symtab = Uint8Array.from([...sym(0, 0, 0, 0, 0), ...sym(1, VADDR + 0x10, 0x20, (STB.GLOBAL << 4) | STT.FUNC, 2), ...sym(7, VADDR, 0x10, (STB.LOCAL << 4) | STT.FUNC, 2), ...sym(0, 0, 0, STT.SECTION, 2)]);
    const bytes = elf32be(
      2,
      [
        { name: '.note.gnu.build-id', type: SHT.NOTE, data: note },
        { name: '.text', type: SHT.PROGBITS, data: text },
        { name: '.symtab', type: SHT.SYMTAB, data: symtab, link: 4, info: 2, entsize: 16 },
        { name: '.strtab', type: SHT.STRTAB, data: strtab },
      ],
      [
        { type: PT.NOTE, sec: 0, vaddr: 0 },
        { type: PT.LOAD, sec: 1, vaddr: VADDR },
      ],
    );
    const elf = new ElfFile(bytes);
    expect([elf.is64, elf.littleEndian, elf.type, elf.machine]).toEqual([false, false, 2, 8]);
    expect(elf.sections.map((s) => s.name)).toEqual(['', '.note.gnu.build-id', '.text', '.symtab', '.strtab', '.shstrtab']);
    expect(elf.segments.map((p) => p.type)).toEqual([PT.NOTE, PT.LOAD]);
    expect([...readBuildId(bytes)!]).toEqual(BUILD_ID);
    const textOff = elf.sectionByName('.text')!.offset;
    expect(readFunctionSymbols(bytes)).toEqual([
      { name: 'helper', offset: textOff, size: 0x10 },
      { name: 'start', offset: textOff + 0x10, size: 0x20 },
    ]);
  });

  test('a relocatable file: Elf32_Rel entries (r_info = sym << 8 | type) against .symtab', () => {
    const symtab = Uint8Array.from([...sym(0, 0, 0, 0, 0), ...sym(1, 0, 0x30, (STB.GLOBAL << 4) | STT.FUNC, 2), ...sym(7, 0, 0, (STB.GLOBAL << 4) | STT.NOTYPE, 0)]);
    const rel = Uint8Array.from([...be(0x8, 4), ...be((2 << 8) | 4, 4), ...be(0x20, 4), ...be((1 << 8) | 1, 4)]);
    const bytes = elf32be(
      1,
      [
        { name: '.note', type: SHT.NOTE, data: note },
        { name: '.text', type: SHT.PROGBITS, data: text },
        { name: '.symtab', type: SHT.SYMTAB, data: symtab, link: 4, info: 2, entsize: 16 },
        { name: '.strtab', type: SHT.STRTAB, data: strtab },
        { name: '.rel.text', type: SHT.REL, data: rel, link: 3, info: 2, entsize: 8 },
      ],
      [],
    );
    const elf = new ElfFile(bytes, 'mips.o');
    expect(elf.symbols.map((y) => [y.name, y.bind, y.type, y.shndx])).toEqual([
      ['', 0, 0, 0],
      ['start', STB.GLOBAL, STT.FUNC, 2],
      ['helper', STB.GLOBAL, STT.NOTYPE, 0],
    ]);
    const [rs] = elf.relocSections;
    expect(rs!.target.name).toBe('.text');
    expect(rs!.relocs).toEqual([
      { offset: 0x8, type: 4, sym: 2 },
      { offset: 0x20, type: 1, sym: 1 },
    ]);
    // A relocation past the end of .text is named by its section and entry.
    bytes.set(be(0x30, 4), elf.sectionByName('.rel.text')!.offset + 8);
    expect(() => new ElfFile(bytes, 'mips.o').relocSections).toThrow(new ElfError('ELF_RELOC', "mips.o: section '.rel.text' +0x8", "relocation 1 at offset 48 is outside section '.text' (48 bytes)"));
  });
});
