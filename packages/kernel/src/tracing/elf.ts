// ELF as far as build ids and symbols go (include/uapi/linux/elf.h, lib/buildid.c): read the
// GNU build id (an NT_GNU_BUILD_ID note, owner "GNU") from any ELF file, 32- or 64-bit,
// either byte order, through PT_NOTE segments or SHT_NOTE sections as build_id_parse() and
// readelf -n do; read function symbols; and write small ELF64 executables for simulated
// binaries (ELF header, a PT_LOAD and a PT_NOTE segment, .note.gnu.build-id, .text,
// .symtab, .strtab, .shstrtab), which readelf reads like any other.
import type { SimBinary, SimSymbol } from './mm';

const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHT_NOTE = 7;
const SHT_DYNSYM = 11;
const NT_GNU_BUILD_ID = 3;
const STT_FUNC = 2;

export class ElfError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`ELF byte ${offset}: ${message}`);
    this.name = 'ElfError';
  }
}

interface Reader {
  is64: boolean;
  le: boolean;
  u16(off: number): number;
  u32(off: number): number;
  word(off: number): number;
}

function reader(b: Uint8Array): Reader {
  if (b.length < 52 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) throw new ElfError('not an ELF file (no \\x7fELF magic)', 0);
  const is64 = b[4] === 2;
  if (b[4] !== 1 && b[4] !== 2) throw new ElfError(`unknown class ${b[4]}`, 4);
  const le = b[5] === 1;
  if (b[5] !== 1 && b[5] !== 2) throw new ElfError(`unknown data encoding ${b[5]}`, 5);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const check = (off: number, n: number): void => {
    if (off < 0 || off + n > b.length) throw new ElfError(`a ${n}-byte field runs past the end of the file (${b.length} bytes)`, off);
  };
  return {
    is64,
    le,
    u16: (off) => (check(off, 2), v.getUint16(off, le)),
    u32: (off) => (check(off, 4), v.getUint32(off, le)),
    word: (off) => (is64 ? (check(off, 8), Number(v.getBigUint64(off, le))) : (check(off, 4), v.getUint32(off, le))),
  };
}

/** The notes in [off, off + size): (type, name, desc) triples. */
function* notes(b: Uint8Array, r: Reader, off: number, size: number): Generator<{ type: number; name: string; desc: Uint8Array }> {
  const end = Math.min(off + size, b.length);
  const align4 = (n: number): number => (n + 3) & ~3;
  let p = off;
  while (p + 12 <= end) {
    const namesz = r.u32(p);
    const descsz = r.u32(p + 4);
    const type = r.u32(p + 8);
    const nameOff = p + 12;
    const descOff = nameOff + align4(namesz);
    if (descOff + descsz > end) return;
    let name = '';
    for (let i = 0; i < namesz && b[nameOff + i] !== 0; i++) name += String.fromCharCode(b[nameOff + i]!);
    yield { type, name, desc: b.slice(descOff, descOff + descsz) };
    p = descOff + align4(descsz);
  }
}

/** The GNU build id of an ELF file, or undefined when it has none. */
export function readBuildId(bytes: Uint8Array): Uint8Array | undefined {
  const r = reader(bytes);
  const phoff = r.word(r.is64 ? 32 : 28);
  const phentsize = r.u16(r.is64 ? 54 : 42);
  const phnum = r.u16(r.is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (r.u32(ph) !== PT_NOTE) continue;
    const off = r.word(r.is64 ? ph + 8 : ph + 4);
    const size = r.word(r.is64 ? ph + 32 : ph + 16);
    for (const n of notes(bytes, r, off, size)) if (n.type === NT_GNU_BUILD_ID && n.name === 'GNU') return n.desc;
  }
  for (const s of sections(r)) {
    if (s.type !== SHT_NOTE) continue;
    for (const n of notes(bytes, r, s.offset, s.size)) if (n.type === NT_GNU_BUILD_ID && n.name === 'GNU') return n.desc;
  }
  return undefined;
}

interface Section {
  name: number;
  type: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

function sections(r: Reader): Section[] {
  const shoff = r.word(r.is64 ? 40 : 32);
  const shentsize = r.u16(r.is64 ? 58 : 46);
  const shnum = r.u16(r.is64 ? 60 : 48);
  const out: Section[] = [];
  if (!shoff) return out;
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    out.push(
      r.is64
        ? { name: r.u32(sh), type: r.u32(sh + 4), addr: r.word(sh + 16), offset: r.word(sh + 24), size: r.word(sh + 32), link: r.u32(sh + 40), entsize: r.word(sh + 56) }
        : { name: r.u32(sh), type: r.u32(sh + 4), addr: r.word(sh + 12), offset: r.word(sh + 16), size: r.word(sh + 20), link: r.u32(sh + 24), entsize: r.word(sh + 36) },
    );
  }
  return out;
}

/** Function symbols (.symtab, else .dynsym) as file offsets, via the PT_LOAD that maps them. */
export function readFunctionSymbols(bytes: Uint8Array): SimSymbol[] {
  const r = reader(bytes);
  const secs = sections(r);
  const table = secs.find((s) => s.type === SHT_SYMTAB) ?? secs.find((s) => s.type === SHT_DYNSYM);
  if (!table) return [];
  const strtab = secs[table.link];
  if (!strtab || strtab.type !== SHT_STRTAB) return [];
  const phoff = r.word(r.is64 ? 32 : 28);
  const phentsize = r.u16(r.is64 ? 54 : 42);
  const phnum = r.u16(r.is64 ? 56 : 44);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (r.u32(ph) !== PT_LOAD) continue;
    loads.push(r.is64 ? { offset: r.word(ph + 8), vaddr: r.word(ph + 16), filesz: r.word(ph + 32) } : { offset: r.word(ph + 4), vaddr: r.word(ph + 8), filesz: r.word(ph + 16) });
  }
  const entsize = table.entsize || (r.is64 ? 24 : 16);
  const out: SimSymbol[] = [];
  for (let p = table.offset; p + entsize <= table.offset + table.size; p += entsize) {
    const nameOff = r.u32(p);
    const info = bytes[r.is64 ? p + 4 : p + 12]!;
    const value = r.word(r.is64 ? p + 8 : p + 4);
    const size = r.word(r.is64 ? p + 16 : p + 8);
    if ((info & 0xf) !== STT_FUNC || !value) continue;
    const load = loads.find((l) => value >= l.vaddr && value < l.vaddr + l.filesz);
    if (!load) continue;
    let name = '';
    for (let i = strtab.offset + nameOff; i < bytes.length && bytes[i] !== 0; i++) name += String.fromCharCode(bytes[i]!);
    out.push({ name, offset: value - load.vaddr + load.offset, size });
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
  u16(16, 2); // ET_EXEC
  u16(18, 62); // EM_X86_64
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
  u32(EHDR, PT_LOAD);
  u32(EHDR + 4, 5);
  u64(EHDR + 16, VADDR);
  u64(EHDR + 24, VADDR);
  u64(EHDR + 32, total);
  u64(EHDR + 40, total);
  u64(EHDR + 48, 0x1000);
  // PT_NOTE over the build-id note.
  u32(EHDR + PHDR, PT_NOTE);
  u32(EHDR + PHDR + 4, 4);
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
    b[s + 4] = (1 << 4) | STT_FUNC; // STB_GLOBAL, STT_FUNC
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
  sh(1, nNote, SHT_NOTE, 2, VADDR + noteOff, noteOff, noteSize, 0, 0, 4, 0);
  sh(2, nText, 1, 6, VADDR + textOff, textOff, textSize, 0, 0, 16, 0);
  sh(3, nSym, SHT_SYMTAB, 0, 0, symOff, symSize, 4, 1, 8, 24);
  sh(4, nStr, SHT_STRTAB, 0, 0, strOff, strtab.length, 0, 0, 1, 0);
  sh(5, nShstr, SHT_STRTAB, 0, 0, shstrOff, shstr.length, 0, 0, 1, 0);
  return b;
}
