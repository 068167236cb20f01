// Malformed objects: each case damages a real object from scenarios/progs the way a broken
// toolchain, a truncated download or a hostile file would, and checks the loader fails as
// libbpf does — an ObjectFormatError (libbpf: -LIBBPF_ERRNO__FORMAT / -EINVAL / -ENOTSUP
// with a pr_warn line) whose code, place and message say what is wrong and where — or, for
// what libbpf only warns about, goes on with a warning. Never a TypeError or RangeError.
// The last case is a seeded fuzz property over every example object (fuzz.ts);
// `npm run fuzz -- loader [RUNS] [SEED]` runs it with many more cases.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, BPF_PROG_TYPE } from '@bpfsim/isa';
import { BpfClient, Kernel, type ElfFile, type ElfSection } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import { ObjectFormatError, ProgramLoadError, openObject, parseElf } from '../src';
import { PROGS_DIR, collectFailures, fuzzLoader } from './fuzz';

const read = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(PROGS_DIR, `${name}.bpf.o`)));

/** A copy of an example object to patch, with offsets found by the loader's own parseElf. */
class Patched {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  readonly elf: ElfFile;
  readonly file: string;
  constructor(readonly name: string) {
    this.file = `${name}.bpf.o`;
    this.bytes = read(name);
    this.dv = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.elf = parseElf(this.bytes, this.file);
  }
  sec(name: string): ElfSection {
    const s = this.elf.sectionByName(name);
    if (!s) throw new Error(`${this.file} has no section '${name}'`);
    return s;
  }
  /** The file offset of a section's header (e_shoff at 0x28, 64-byte entries). */
  shdr(name: string): number {
    return Number(this.dv.getBigUint64(0x28, true)) + this.sec(name).index * 64;
  }
  /** The file offset of a symbol's Elf64_Sym (24 bytes). */
  sym(name: string): number {
    const y = this.elf.symbols.find((x) => x.name === name);
    if (!y) throw new Error(`${this.file} has no symbol '${name}'`);
    return this.sec('.symtab').offset + y.index * 24;
  }
  /** The file offset of relocation `i` (Elf64_Rel, 16 bytes) of a SHT_REL section. */
  rel(relSec: string, i: number): number {
    return this.sec(relSec).offset + i * 16;
  }
  u8(off: number, v: number): this {
    this.bytes[off] = v;
    return this;
  }
  u16(off: number, v: number): this {
    this.dv.setUint16(off, v, true);
    return this;
  }
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v, true);
    return this;
  }
  u64(off: number, v: number): this {
    this.dv.setBigUint64(off, BigInt(v), true);
    return this;
  }
  open() {
    return openObject(this.bytes, { file: this.file });
  }
}

/** The ObjectFormatError `fn` throws; any other outcome fails the test. */
function formatError(fn: () => unknown): ObjectFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ObjectFormatError) return e;
    throw e;
  }
  throw new Error('expected an ObjectFormatError, but nothing was thrown');
}

function expectFormatError(fn: () => unknown, code: string, place: string | RegExp, message: string | RegExp): ObjectFormatError {
  const e = formatError(fn);
  expect(e.code).toBe(code);
  if (typeof place === 'string') expect(e.place).toBe(place);
  else expect(e.place).toMatch(place);
  expect(e.message).toMatch(message);
  expect(e.message.startsWith(`${e.place}: `)).toBe(true);
  return e;
}

function client(): BpfClient {
  const k = new Kernel();
  installSockmap(k);
  return new BpfClient(k, k.spawn({ comm: 'malformed-test' }));
}

const SI = 'single_ip.bpf.o';

describe('truncated files', () => {
  // libbpf: elf_memory() / elf_getshdrstrndx() fail → "failed to open %s: ..." (-LIBBPF_ERRNO__FORMAT).
  // clang puts the section header table at the end, so every proper prefix loses it.
  test('every prefix of single_ip.bpf.o fails with an ObjectFormatError naming a place; the whole file opens', () => {
    const full = read('single_ip');
    const codes = new Set<string>();
    for (let len = 0; len < full.length; len++) {
      const e = formatError(() => openObject(full.subarray(0, len), { file: SI }));
      codes.add(e.code);
      expect(e.place).toMatch(/^single_ip\.bpf\.o( \+0x[0-9a-f]+$|: )/);
      if (len >= 64) expect(e.code).toBe('ELF_TRUNCATED');
    }
    expect([...codes].sort()).toEqual(['ELF_FORMAT', 'ELF_TRUNCATED']);
    expect(openObject(full, { file: SI }).programs.map((p) => p.name)).toEqual(['force_bind4', 'force_connect4']);
  });

  test('a cut in the middle names the header table and the file size', () => {
    const full = read('single_ip');
    expectFormatError(() => openObject(full.subarray(0, 4096), { file: SI }), 'ELF_TRUNCATED', /^single_ip\.bpf\.o \+0x[0-9a-f]+$/, /section header 0 \(64 bytes at offset \d+\) runs past the end of the file \(4096 bytes\)/);
    expectFormatError(() => openObject(full.subarray(0, 40), { file: SI }), 'ELF_TRUNCATED', `${SI} +0x0`, /the ELF header \(64 bytes at offset 0\) runs past the end of the file \(40 bytes\)/);
    expectFormatError(() => openObject(full.subarray(0, 3), { file: SI }), 'ELF_FORMAT', `${SI} +0x0`, /not an ELF file/);
  });
});

describe('the ELF header', () => {
  // libbpf bpf_object__elf_init(): elf_kind() != ELF_K_ELF → "elf: '%s' is not a proper ELF object" (-LIBBPF_ERRNO__FORMAT).
  test('bad magic', () => {
    const p = new Patched('single_ip').u8(1, 0x58);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x0`, /not an ELF file \(no \\x7fELF magic\)/);
  });

  // libbpf: "elf: %s is not a 64-bit ELF file" (gelf_getclass() != ELFCLASS64), -LIBBPF_ERRNO__FORMAT.
  test('ELFCLASS32', () => {
    const p = new Patched('single_ip').u8(4, 1);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x4`, /ELF class 1 is not ELFCLASS64/);
  });

  // libbpf bpf_object__check_endianness(): "elf: endianness mismatch in %s.", -LIBBPF_ERRNO__ENDIAN.
  test('big-endian', () => {
    const p = new Patched('single_ip').u8(5, 2);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x5`, /ELF data encoding 2 is not little-endian/);
  });

  // libbpf bpf_object__elf_init(): "elf: %s is not a valid eBPF object file" when e_type !=
  // ET_REL or e_machine is neither EM_BPF nor EM_NONE.
  test('e_machine EM_X86_64', () => {
    const p = new Patched('single_ip').u16(0x12, 62);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x12`, /e_machine 62 is not EM_BPF \(247\)/);
  });

  test('e_machine EM_NONE (old clang) is accepted, as libbpf does', () => {
    const p = new Patched('single_ip').u16(0x12, 0);
    expect(p.open().programs).toHaveLength(2);
  });

  test('e_type ET_EXEC', () => {
    const p = new Patched('single_ip').u16(0x10, 2);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x10`, /e_type 2 is not ET_REL/);
  });

  // libbpf: elf_getshdrstrndx() / elf_rawdata(elf_getscn(shstrndx)) fail: "elf: failed to get section names section index for %s".
  test('e_shstrndx out of range', () => {
    const p = new Patched('single_ip');
    p.u16(0x3e, p.elf.sections.length);
    expectFormatError(() => p.open(), 'ELF_SECTION', `${SI} +0x3e`, `e_shstrndx 31 is not a section index (the file has 31 sections)`);
  });

  test('e_shstrndx naming a section that is not a string table', () => {
    const p = new Patched('single_ip');
    p.u16(0x3e, p.sec('.text').index);
    expectFormatError(() => p.open(), 'ELF_SECTION', `${SI} section 2`, /is not SHT_STRTAB/);
  });

  test('e_shentsize not 64', () => {
    const p = new Patched('single_ip').u16(0x3a, 40);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x3a`, /e_shentsize 40 is not 64/);
  });
});

describe('section headers and symbols', () => {
  // libbpf elf_sec_data(): "elf: failed to get section(%zu) %s data from %s" (libelf checks sh_offset + sh_size).
  test('a section header pointing beyond the file', () => {
    const p = new Patched('single_ip');
    const btf = p.sec('.BTF');
    p.u64(p.shdr('.BTF') + 24, p.bytes.length - 16);
    expectFormatError(() => p.open(), 'ELF_TRUNCATED', `${SI} +0x${(p.bytes.length - 16).toString(16)}`, `section ${btf.index}'s contents (${btf.size} bytes at offset ${p.bytes.length - 16}) runs past the end of the file (${p.bytes.length} bytes)`);
  });

  test('a section size too large for a file offset', () => {
    const p = new Patched('single_ip');
    p.u32(p.shdr('.BTF') + 36, 0xffffffff);
    expectFormatError(() => p.open(), 'ELF_FORMAT', `${SI} +0x${(p.shdr('.BTF') + 32).toString(16)}`, /section 20 sh_size \d+ \* 2\^32 is too large/);
  });

  // libbpf bpf_object__elf_collect() / elf_sym_by_idx(): a symbol's st_shndx must name a section.
  test('a symbol with st_shndx out of range', () => {
    const p = new Patched('single_ip');
    p.u16(p.sym('cgroup_ip') + 6, 200);
    const y = p.elf.symbols.find((s) => s.name === 'cgroup_ip')!;
    expectFormatError(() => p.open(), 'ELF_SECTION', `${SI}: symbol ${y.index} (.symtab +0x${(y.index * 24).toString(16)})`, 'st_shndx 200 is not a section index (the file has 31 sections)');
  });

  test('a symbol name outside the string table', () => {
    const p = new Patched('single_ip');
    p.u32(p.sym('cgroup_ip'), 0x100000);
    expectFormatError(() => p.open(), 'ELF_FORMAT', /^single_ip\.bpf\.o: symbol 19 /, /string offset 1048576 is outside the string table/);
  });

  // libbpf bpf_object__elf_collect(): "elf: multiple symbol tables in %s" (-LIBBPF_ERRNO__FORMAT).
  test('a second symbol table', () => {
    const p = new Patched('single_ip');
    p.u32(p.shdr('.llvm_addrsig') + 4, 2 /* SHT_SYMTAB */);
    expectFormatError(() => p.open(), 'ELF_SECTION', `${SI}: section '.symtab' (30)`, 'more than one symbol table (SHT_SYMTAB)');
  });
});

describe('relocations', () => {
  // libbpf bpf_object__collect_prog_relos(): r_offset must fall on an instruction of the
  // section ("prog '%s': bad insn idx %zu"); here the ELF reader checks the bounds first.
  test('r_offset outside the target section', () => {
    const p = new Patched('single_ip');
    const text = p.sec('cgroup/bind4');
    p.u64(p.rel('.relcgroup/bind4', 0), text.size);
    expectFormatError(() => p.open(), 'ELF_RELOC', `${SI}: section '.relcgroup/bind4' +0x0`, `relocation 0 at offset ${text.size} is outside section 'cgroup/bind4' (${text.size} bytes)`);
  });

  // libbpf: "elf: relo #%d in section #%zu has invalid symbol index %zu" (-LIBBPF_ERRNO__FORMAT).
  test('a relocation naming a symbol index beyond the table', () => {
    const p = new Patched('single_ip');
    const n = p.elf.symbols.length;
    p.u32(p.rel('.relcgroup/connect4', 1) + 12, n);
    expectFormatError(() => p.open(), 'ELF_RELOC', `${SI}: section '.relcgroup/connect4' +0x10`, `relocation 1 names symbol ${n}, but the symbol table has ${n}`);
  });

  // libbpf bpf_program__record_reloc(): "prog '%s': invalid relo against '%s' for insns[%d].code 0x%x" (-LIBBPF_ERRNO__RELOC).
  test('a relocation on an instruction that is neither ld_imm64 nor a call', () => {
    const p = new Patched('single_ip');
    const r = p.elf.relocSections.find((x) => x.section.name === '.relcgroup/bind4')!.relocs[0]!;
    p.u8(p.sec('cgroup/bind4').offset + r.offset, 0xb7); // ld_imm64 (0x18) → mov64 r, imm
    expectFormatError(() => p.open(), 'ELF_RELOC', `${SI}: section '.relcgroup/bind4' relocation #0 (+0x${r.offset.toString(16)})`, `invalid relo for insns[${r.offset / 8}].code 0xb7 of 'force_bind4' (expected ld_imm64 or call)`);
  });

  // libbpf: "prog '%s': bad call relo against '%s' in section '%s'" when a call's BPF_PSEUDO_CALL is missing:
  // "incorrect bpf_call opcode".
  test('a relocation on a helper call', () => {
    const p = new Patched('single_ip');
    const r = p.elf.relocSections.find((x) => x.section.name === '.relcgroup/bind4')!.relocs[0]!;
    const at = p.sec('cgroup/bind4').offset + r.offset;
    p.u8(at, 0x85).u8(at + 1, 0); // call helper (src 0)
    expectFormatError(() => p.open(), 'ELF_RELOC', /relocation #0/, /incorrect bpf_call opcode at insn 2 of 'force_bind4'/);
  });

  // libbpf bpf_program__record_reloc(): "prog '%s': bad data relo against section '%s'" when
  // an ld_imm64 names a symbol in a section that is neither a map nor global data.
  test('an ld_imm64 relocation against a symbol in neither a map nor a data section', () => {
    const p = new Patched('connect_lb');
    const rs = p.elf.relocSections.find((x) => x.section.name === '.relcgroup/connect4')!;
    const i = rs.relocs.findIndex((r) => p.elf.symbols[r.sym]!.name === 'services');
    const license = p.elf.symbols.find((y) => y.name === 'LICENSE')!;
    p.u32(p.rel('.relcgroup/connect4', i) + 12, license.index);
    expectFormatError(
      () => p.open(),
      'ELF_RELOC',
      `connect_lb.bpf.o: section '.relcgroup/connect4' relocation #${i} (+0x${rs.relocs[i]!.offset.toString(16)})`,
      "relocation against 'LICENSE' in section 'license', which is neither a map nor global data",
    );
  });
});

describe('programs', () => {
  // libbpf bpf_object__add_programs(): "sec '%s': program '%s' at insn offset %zu (%zu bytes) crosses section boundary".
  test('a program symbol crossing its section end', () => {
    const p = new Patched('single_ip');
    const s = p.sec('cgroup/bind4');
    p.u64(p.sym('force_bind4') + 16, s.size + 8);
    expectFormatError(() => p.open(), 'PROG_SECTION', `${SI}: section 'cgroup/bind4' (${s.index}) +0x0`, `program 'force_bind4' at offset 0 (${s.size + 8} bytes) crosses the section boundary (${s.size} bytes)`);
  });

  test('a program symbol not aligned to an instruction', () => {
    const p = new Patched('single_ip');
    p.u64(p.sym('force_bind4') + 8, 4);
    expectFormatError(() => p.open(), 'PROG_SECTION', /section 'cgroup\/bind4' \(3\) \+0x4$/, "program 'force_bind4' is not aligned to 8 bytes");
  });

  // libbpf bpf_object__add_programs(): "sec '%s': program '%s' is static and not supported" (-ENOTSUP).
  test('a static program in a section other than .text', () => {
    const p = new Patched('single_ip');
    p.u8(p.sym('force_connect4') + 4, (0 /* STB_LOCAL */ << 4) | 2 /* STT_FUNC */);
    expectFormatError(() => p.open(), 'PROG_SECTION', `${SI}: section 'cgroup/connect4' (5) +0x0`, "program 'force_connect4' is static and not supported (section 'cgroup/connect4')");
  });

  test('static functions in .text are subprograms, not an error', () => {
    const obj = new Patched('connect_lb').open();
    expect(obj.subprograms).toContainEqual({ name: 'pick_backend', insnCnt: 12, global: false });
  });

  // libbpf: an executable section whose size is not a multiple of struct bpf_insn:
  // "sec '%s': corrupted program '%s', offset %zu, size %zu".
  test('a program section whose size is not a multiple of 8', () => {
    const p = new Patched('single_ip');
    p.u64(p.shdr('cgroup/bind4') + 32, p.sec('cgroup/bind4').size - 4);
    expectFormatError(() => p.open(), 'PROG_SECTION', `${SI}: section 'cgroup/bind4' (3)`, 'size 140 is not a multiple of 8 (struct bpf_insn)');
  });

  // libbpf: the section name finds no sec_def: "sec '%s': failed to find program SEC definition"
  // (a debug line; the program keeps BPF_PROG_TYPE_UNSPEC) and bpf_object_load_prog() then
  // fails: "prog '%s': missing BPF prog type, check ELF section name '%s'" (-EINVAL).
  test('an unknown section name: warning, type UNSPEC, and load() fails with EINVAL until a type is set', () => {
    const p = new Patched('single_ip');
    const shstr = p.elf.sections[p.dv.getUint16(0x3e, true)]!;
    const nameAt = shstr.offset + p.dv.getUint32(p.shdr('cgroup/connect4'), true);
    const renamed = 'cgroup/konnect4';
    for (let i = 0; i < renamed.length; i++) p.u8(nameAt + i, renamed.charCodeAt(i));
    const obj = p.open();
    const prog = obj.program('force_connect4');
    expect(prog.sectionName).toBe(renamed);
    expect(prog.type).toBe(BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC);
    expect(prog.expectedAttachType).toBe(0);
    expect(obj.program('force_bind4').type).toBe(BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR);
    expect(obj.warnings).toContainEqual({
      code: 'UNKNOWN_SECTION',
      place: `${SI}: section '${renamed}' (5)`,
      message: `program 'force_connect4': unrecognized ELF section name '${renamed}': set its type before load`,
    });

    let err: unknown;
    try {
      obj.load(client());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProgramLoadError);
    const le = err as ProgramLoadError;
    expect(le.code).toBe('EINVAL');
    expect(le.program).toBe('force_connect4');
    expect(le.reason).toBe(`section '${renamed}' names no known program type and none was set`);
    expect(obj.loaded).toBe(false);
    expect(obj.program('force_bind4').handle).toBeUndefined(); // closed again, as bpf_object__load's cleanup does

    // bpf_program__set_type() + set_expected_attach_type() before load: then it loads.
    prog.type = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
    prog.expectedAttachType = BPF_ATTACH_TYPE.BPF_CGROUP_INET4_CONNECT;
    obj.load(client());
    expect(prog.fd).toBeGreaterThan(0);
    obj.close();
  });
});

describe('BTF', () => {
  // libbpf bpf_object__init_btf(): "Error loading ELF section %s: %d. Ignored and continue."
  // — BTF is optional unless something needs it (bpf_object__is_btf_mandatory()).
  test('a corrupt .BTF is dropped with a warning; the object still opens and loads without it', () => {
    const p = new Patched('single_ip');
    p.u16(p.sec('.BTF').offset, 0x1234);
    const obj = p.open();
    expect(obj.btf).toBeUndefined();
    expect(obj.btfExt).toBeUndefined();
    const w = obj.warnings.find((x) => x.code === 'BTF_IGNORED');
    expect(w).toEqual({ code: 'BTF_IGNORED', place: `${SI}: .BTF +0x0`, message: `${SI}: .BTF +0x0: bad magic 0x1234, expected 0xeb9f; BTF ignored` });
    obj.load(client());
    expect(obj.program('force_connect4').lineInfo).toEqual([]);
    obj.close();
  });

  // libbpf btf_parse_hdr(): "BTF header len %u larger than data size %u" (-EINVAL), then ignored as above.
  test('a .BTF header whose hdr_len runs past the section', () => {
    const p = new Patched('single_ip');
    p.u32(p.sec('.BTF').offset + 4, 0x100000);
    const obj = p.open();
    expect(obj.warnings.find((x) => x.code === 'BTF_IGNORED')).toEqual({
      code: 'BTF_IGNORED',
      place: `${SI}: .BTF +0x4`,
      message: `${SI}: .BTF +0x4: hdr_len 1048576 is beyond the section end (${p.sec('.BTF').size} bytes); BTF ignored`,
    });
  });

  // libbpf bpf_object__init_user_btf_maps(): "BTF is required, but is missing or corrupted." (-ENOENT/-EINVAL).
  test('with .maps, a corrupt .BTF is fatal: BTF-defined maps need it', () => {
    const p = new Patched('connect_lb');
    p.u16(p.sec('.BTF').offset, 0x1234);
    const e = expectFormatError(() => p.open(), 'MAP_DEF', "connect_lb.bpf.o: section '.maps'", /BTF is required for BTF-defined maps, but the object has no usable \.BTF section/);
    expect(e.message).toContain('compile with clang -g');
  });

  test('with .maps, a .BTF whose string section runs past it is fatal too', () => {
    const p = new Patched('connect_lb');
    p.u32(p.sec('.BTF').offset + 20, 0x100000); // str_len
    expectFormatError(() => p.open(), 'MAP_DEF', "connect_lb.bpf.o: section '.maps'", /BTF is required for BTF-defined maps/);
  });
});

describe('legacy maps', () => {
  // libbpf 0.x bpf_object__init_user_maps(); libbpf 1.0: "elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+".
  test("struct bpf_map_def in 'maps': a warning, and both maps with their sizes", () => {
    const obj = openObject(read('legacy_maps'), { file: 'legacy_maps.bpf.o' });
    expect(obj.warnings.map((w) => w.code)).toContain('LEGACY_MAPS');
    expect(obj.warnings.find((w) => w.code === 'LEGACY_MAPS')).toMatchObject({ place: "legacy_maps.bpf.o: section 'maps'", message: expect.stringContaining('libbpf 1.0 and later refuses them') });
    const legacy = obj.maps.filter((m) => m.kind === 'legacy').map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, offset: m.def.secOffset }));
    expect(legacy).toEqual([
      { name: 'connect_ports', type: BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 256, flags: 0, offset: 0 },
      { name: 'totals', type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2, flags: 0, offset: 20 },
    ]);
    obj.load(client());
    expect(obj.map('totals').fd).toBeGreaterThan(0);
    obj.close();
  });

  // libbpf 0.x: "elf: unable to determine legacy map definition size in %s" when the section
  // is not a whole number of definitions.
  test("a 'maps' section that is not a whole number of definitions", () => {
    const p = new Patched('legacy_maps');
    p.u64(p.shdr('maps') + 32, 39);
    expectFormatError(() => p.open(), 'MAP_DEF', "legacy_maps.bpf.o: section 'maps'", 'unable to determine map definition size: section 39 bytes, 2 maps');
  });
});

describe('global data', () => {
  // A .bss (SHT_NOBITS: no bytes in the file) claiming more than a u32 value_size: libbpf's
  // mmap of the map's content buffer fails (-ENOMEM). Was a RangeError from new Uint8Array.
  test('a .bss larger than a map value can be', () => {
    const p = new Patched('port_policy');
    const bss = p.sec('.bss');
    p.u64(p.shdr('.bss') + 32, 2 ** 48);
    expectFormatError(() => p.open(), 'MAP_DEF', `port_policy.bpf.o: section '.bss' (${bss.index})`, `size ${2 ** 48} does not fit a map's value_size (u32)`);
  });

  // Within a u32 but beyond what the kernel allocates: BPF_MAP_CREATE refuses (was a RangeError
  // from the value store's round_up(value_size, 8) wrapping at 2^31).
  test('a 2 GiB .bss opens and fails at BPF_MAP_CREATE with ENOMEM', () => {
    const p = new Patched('port_policy');
    p.u64(p.shdr('.bss') + 32, 0x7fffffff);
    const obj = p.open();
    expect(() => obj.load(client())).toThrow(/^ENOMEM: map 'port_pol\.bss' \(BPF_MAP_TYPE_ARRAY\): an array of 1 elements needs 2147483648 bytes/);
  });
});

describe('fuzz', () => {
  // BPFSIM_LOADER_FUZZ_RUNS / BPFSIM_LOADER_FUZZ_SEED: more cases (npm run fuzz -- loader);
  // BPFSIM_LOADER_FUZZ_COLLECT=1 runs them all and lists every kind of failure instead of
  // stopping (and shrinking) at the first.
  const runs = Number(process.env.BPFSIM_LOADER_FUZZ_RUNS ?? 300);
  const seed = Number(process.env.BPFSIM_LOADER_FUZZ_SEED ?? 42);
  const collect = process.env.BPFSIM_LOADER_FUZZ_COLLECT === '1';
  test(`random damage to every example object: only the loader's and the kernel's errors (${runs} cases, seed ${seed})`, () => {
    let counts;
    if (collect) {
      const r = collectFailures({ numRuns: runs, seed });
      counts = r.counts;
      const report = r.failures.map((f) => `${f.count}x ${f.key}\n  first: ${f.object} ${JSON.stringify(f.mutations)}\n  ${f.error.replace(/\n/g, '\n  ')}`).join('\n');
      if (r.failures.length) throw new Error(`${r.failures.length} kinds of unexpected failure in ${runs} cases (seed ${seed}; outcomes ${JSON.stringify(counts)}):\n${report}`);
    } else counts = fuzzLoader({ numRuns: runs, seed });
    // The mutations reach every stage: some objects fail to open, some to load, some load.
    expect(counts['open-error']).toBeGreaterThan(0);
    expect(counts['load-error']).toBeGreaterThan(0);
    expect(counts.loaded).toBeGreaterThan(0);
  }, Math.max(30_000, runs * 100));
});
