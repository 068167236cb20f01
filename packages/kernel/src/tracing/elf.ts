// Build ids and function symbols of the binaries a stack map walks (lib/buildid.c): the GNU
// build id (an NT_GNU_BUILD_ID note, owner "GNU") of any ELF file, 32- or 64-bit, either byte
// order, through PT_NOTE segments or SHT_NOTE sections as build_id_parse() and readelf -n do;
// its function symbols; and small ELF64 executables written for simulated binaries (ELF
// header, a PT_LOAD and a PT_NOTE segment, .note.gnu.build-id, .text, .symtab, .strtab,
// .shstrtab), which readelf reads like any other. The reading is ../elf.ts's.
import { EM_X86_64, ET_EXEC, ElfFile, NT_GNU_BUILD_ID, PF_R, PF_X, PT, SHF_ALLOC, SHF_EXECINSTR, SHT, STB, STT, type ElfNote } from '../elf';
import type { SimBinary, SimSymbol } from './mm';

const isBuildId = (n: ElfNote): boolean => n.type === NT_GNU_BUILD_ID && n.name === 'GNU';

/** The GNU build id of an ELF file, or undefined when it has none. */
export function readBuildId(bytes: Uint8Array): Uint8Array | undefined {
  const elf = new ElfFile(bytes);
  for (const p of elf.segments) {
    if (p.type !== PT.NOTE) continue;
    for (const n of elf.notes(p.offset, p.filesz)) if (isBuildId(n)) return n.desc;
  }
  for (const s of elf.sections) {
    if (s.type !== SHT.NOTE) continue;
    for (const n of elf.notes(s.offset, s.size)) if (isBuildId(n)) return n.desc;
  }
  return undefined;
}

/** Function symbols (.symtab, else .dynsym) as file offsets, via the PT_LOAD that maps them. */
export function readFunctionSymbols(bytes: Uint8Array): SimSymbol[] {
  const elf = new ElfFile(bytes);
  const table = elf.symbolTable(SHT.SYMTAB) ?? elf.symbolTable(SHT.DYNSYM);
  if (!table) return [];
  const loads = elf.segments.filter((p) => p.type === PT.LOAD);
  const out: SimSymbol[] = [];
  for (const y of elf.symbolsOf(table)) {
    if (y.type !== STT.FUNC || !y.value) continue;
    const load = loads.find((l) => y.value >= l.vaddr && y.value < l.vaddr + l.filesz);
    if (!load) continue;
    out.push({ name: y.name, offset: y.value - load.vaddr + load.offset, size: y.size });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** A SimBinary from an ELF file's bytes (its build id and function symbols). */
export function binaryFromElf(path: string, bytes: Uint8Array, noteResident = true): SimBinary {
  const buildId = readBuildId(bytes);
  return { path, symbols: readFunctionSymbols(bytes), noteResident, ...(buildId ? { buildId } : {}) };
}

/** What writeElf needs: a build id and the functions of .text (each `size` bytes of int3). */
export interface ElfSpec {
  buildId?: Uint8Array;
  functions: readonly { name: string; size: number }[];
}

/**
 * A small ELF64 little-endian x86-64 executable: one PT_LOAD mapping the whole file at
 * vaddr 0x400000 (so a symbol's file offset is its address minus 0x400000), a PT_NOTE over
 * the build-id note, and the sections readelf expects.
 */
export function writeElf(spec: ElfSpec): Uint8Array {
  const VADDR = 0x400000;
  const EHDR = 64;
  const PHDR = 56;
  const SHDR = 64;
  const align = (n: number, a: number): number => Math.ceil(n / a) * a;
  // Layout: ehdr, 2 phdrs, note, text, symtab, strtab, shstrtab, section headers.
  const noteOff = EHDR + 2 * PHDR;
  const desc = spec.buildId ?? new Uint8Array(0);
  const noteSize = spec.buildId ? 16 + align(desc.length, 4) : 0;
  const textOff = align(noteOff + noteSize, 16);
  const textSize = spec.functions.reduce((n, f) => n + f.size, 0);
  const strtab = [0];
  const names: number[] = [];
  const enc = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
  for (const f of spec.functions) {
    names.push(strtab.length);
    strtab.push(...enc(f.name), 0);
  }
  const symOff = align(textOff + textSize, 8);
  const symSize = 24 * (spec.functions.length + 1);
  const strOff = symOff + symSize;
  const shstr = [0];
  const secName = (s: string): number => {
    const o = shstr.length;
    shstr.push(...enc(s), 0);
    return o;
  };
  const nNote = secName('.note.gnu.build-id');
  const nText = secName('.text');
  const nSym = secName('.symtab');
  const nStr = secName('.strtab');
  const nShstr = secName('.shstrtab');
  const shstrOff = strOff + strtab.length;
  const shOff = align(shstrOff + shstr.length, 8);
  const total = shOff + 6 * SHDR;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  const u16 = (o: number, x: number): void => v.setUint16(o, x, true);
  const u32 = (o: number, x: number): void => v.setUint32(o, x, true);
  const u64 = (o: number, x: number): void => v.setBigUint64(o, BigInt(x), true);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  u16(16, ET_EXEC);
  u16(18, EM_X86_64);
  u32(20, 1);
  u64(24, VADDR + textOff); // e_entry
  u64(32, EHDR); // e_phoff
  u64(40, shOff);
  u16(52, EHDR);
  u16(54, PHDR);
  u16(56, 2);
  u16(58, SHDR);
  u16(60, 6);
  u16(62, 5); // e_shstrndx
  // PT_LOAD over the whole file, read + execute.
  u32(EHDR, PT.LOAD);
  u32(EHDR + 4, PF_R | PF_X);
  u64(EHDR + 16, VADDR);
  u64(EHDR + 24, VADDR);
  u64(EHDR + 32, total);
  u64(EHDR + 40, total);
  u64(EHDR + 48, 0x1000);
  // PT_NOTE over the build-id note.
  u32(EHDR + PHDR, PT.NOTE);
  u32(EHDR + PHDR + 4, PF_R);
  u64(EHDR + PHDR + 8, noteOff);
  u64(EHDR + PHDR + 16, VADDR + noteOff);
  u64(EHDR + PHDR + 24, VADDR + noteOff);
  u64(EHDR + PHDR + 32, noteSize);
  u64(EHDR + PHDR + 40, noteSize);
  u64(EHDR + PHDR + 48, 4);
  if (spec.buildId) {
    u32(noteOff, 4);
    u32(noteOff + 4, desc.length);
    u32(noteOff + 8, NT_GNU_BUILD_ID);
    b.set(enc('GNU\0'), noteOff + 12);
    b.set(desc, noteOff + 16);
  }
  b.fill(0xcc, textOff, textOff + textSize);
  let at = textOff;
  spec.functions.forEach((f, i) => {
    const s = symOff + 24 * (i + 1);
    u32(s, names[i]!);
    b[s + 4] = (STB.GLOBAL << 4) | STT.FUNC;
    u16(s + 6, 2); // .text
    u64(s + 8, VADDR + at);
    u64(s + 16, f.size);
    at += f.size;
  });
  b.set(strtab, strOff);
  b.set(shstr, shstrOff);
  const sh = (i: number, name: number, type: number, flags: number, addr: number, off: number, size: number, link: number, info: number, al: number, entsize: number): void => {
    const o = shOff + i * SHDR;
    u32(o, name);
    u32(o + 4, type);
    u64(o + 8, flags);
    u64(o + 16, addr);
    u64(o + 24, off);
    u64(o + 32, size);
    u32(o + 40, link);
    u32(o + 44, info);
    u64(o + 48, al);
    u64(o + 56, entsize);
  };
  sh(1, nNote, SHT.NOTE, SHF_ALLOC, VADDR + noteOff, noteOff, noteSize, 0, 0, 4, 0);
  sh(2, nText, SHT.PROGBITS, SHF_ALLOC | SHF_EXECINSTR, VADDR + textOff, textOff, textSize, 0, 0, 16, 0);
  sh(3, nSym, SHT.SYMTAB, 0, 0, symOff, symSize, 4, 1, 8, 24);
  sh(4, nStr, SHT.STRTAB, 0, 0, strOff, strtab.length, 0, 0, 1, 0);
  sh(5, nShstr, SHT.STRTAB, 0, 0, shstrOff, shstr.length, 0, 0, 1, 0);
  return b;
}
