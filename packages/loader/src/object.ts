// A BPF object file, opened as libbpf's bpf_object__open_mem() does and loaded as
// bpf_object__load() does:
//   open: ELF → license/version → BTF and BTF.ext → programs (one per FUNC symbol of each
//         executable section; `.text` holds subprograms) → maps (BTF-defined, legacy,
//         global data) → relocation records per program (bpf_program__record_reloc);
//   load: create maps (pinned ones reused), fill global data and freeze .rodata → CO-RE
//         relocations (bpf_object__relocate_core) → map and data references
//         (bpf_object__relocate_data) → link subprograms into each program that calls them
//         (bpf_object__reloc_code) → BPF_PROG_LOAD with the program's name, license,
//         expected_attach_type and line info.
import {
  BPF_CALL,
  BPF_JMP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_CMD,
  BPF_PROG_TYPE,
  BPF_ATTACH_TYPE,
  SysError,
  decode,
  isLdImm64,
  uapiName,
  type Insn,
} from '@bpfsim/isa';
import { bpf, MapHandle, ProgHandle, SHF_EXECINSTR, SHN_UNDEF, SHT, STB, STT, type BpfClient, type ElfFile, type ElfSymbol, type ProgLoadAttr } from '@bpfsim/kernel';
import { BTF_KIND, Btf } from './btf';
import type { BtfFuncInfo, BtfParam } from '@bpfsim/verifier';
import { parseBtfExt, type BtfExt, type CoreRelo, type FuncInfo, type LineInfo } from './btf-ext';
import { fixupDatasec } from './btf';
import { calcCoreRelo, patchCoreInsn, type TargetStruct, buildTargetBtf } from './core';
import { parseElf } from './elf';
import { LoaderUsageError, ObjectFormatError, type LoaderWarning } from './errors';
import { BPF_OBJ_NAME_LEN, LIBBPF_PIN, collectBtfMaps, collectDataMaps, collectLegacyMaps, describeMapType, type MapDef } from './maps';
import { findSecDef, secExtra, type SecDef } from './sec-defs';

/** What a relocation record asks for (libbpf's enum reloc_type). */
type Relo =
  | { type: 'ld64'; insnIdx: number; map: number }
  | { type: 'data'; insnIdx: number; map: number; symOff: number }
  | { type: 'call'; insnIdx: number; secIndex: number; symOff: number }
  | { type: 'subprog_addr'; insnIdx: number; secIndex: number; symOff: number };

export interface OpenOptions {
  /** The file name, for messages and for the object's name (`single_ip.bpf.o` → `single_ip`). */
  file?: string;
  /** The object's name (default: the file's base name up to its first dot). */
  name?: string;
  /** Where maps with `pinning = LIBBPF_PIN_BY_NAME` are pinned (default /sys/fs/bpf). */
  pinRoot?: string;
}

export interface LoadOptions {
  /** Verifier log level for every program (0: none; a failed load is retried at 1, as libbpf does). */
  logLevel?: 0 | 1 | 2;
  /** Kernel types for CO-RE (default: the structs bpfsim's kernel lays out; see coreTarget()). */
  coreTarget?: readonly TargetStruct[];
}

/** A program failed BPF_PROG_LOAD: the verifier's answer, its log and the program. */
export class ProgramLoadError extends Error {
  readonly code: string;
  constructor(
    readonly program: string,
    readonly errno: SysError,
    readonly log: string,
  ) {
    super(`program '${program}': BPF_PROG_LOAD failed: ${errno.message}`);
    this.name = 'ProgramLoadError';
    this.code = errno.code;
  }

  /** The kernel's reason without the errno name in front. */
  get reason(): string {
    const m = this.errno.message;
    return m.startsWith(`${this.code}: `) ? m.slice(this.code.length + 2) : m;
  }
}

/** One function of an executable section: a program, or a `.text` subprogram. */
interface Func {
  name: string;
  secIndex: number;
  secName: string;
  /** First instruction, counted from the section's start. */
  secInsnOff: number;
  insnCnt: number;
  insns: Insn[];
  relos: Relo[];
  global: boolean;
}

const BPF_CALL_INSN = BPF_JMP | BPF_CALL;

/** A program of the object (struct bpf_program). */
export class ObjectProgram {
  /** Load it with the object (bpf_program__set_autoload). */
  autoload = true;
  /** Program type and expected_attach_type: from the section, or set before load. */
  type: number;
  expectedAttachType: number;
  /** The verifier log of the last load attempt. */
  log = '';
  /** After load: the instructions as given to BPF_PROG_LOAD (subprograms appended). */
  insns: Insn[] = [];
  lineInfo: LineInfo[] = [];
  funcInfo: FuncInfo[] = [];
  handle: ProgHandle | undefined;
  private links: number[] = [];

  constructor(
    private readonly obj: ObjectFile,
    /** @internal */ readonly func: Func,
    readonly secDef: SecDef | undefined,
  ) {
    this.type = secDef?.progType ?? BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC;
    this.expectedAttachType = secDef && secDef.attach !== 'none' ? secDef.expectedAttachType : 0;
  }

  get name(): string {
    return this.func.name;
  }
  get sectionName(): string {
    return this.func.secName;
  }
  /** Instructions in the ELF section (before subprograms are appended). */
  get sectionInsnCount(): number {
    return this.func.insnCnt;
  }
  get fd(): number {
    if (!this.handle) throw new LoaderUsageError('ENOTLOADED', `program '${this.name}' is not loaded`);
    return this.handle.fd;
  }
  /** What follows the section's prefix: `sys_enter` for `raw_tp/sys_enter`. */
  get attachTarget(): string {
    return this.secDef ? secExtra(this.secDef, this.func.secName) : '';
  }

  /** Attach to a cgroup with the section's attach type (cgroup/..., sockops, cgroup_skb/...). */
  attachCgroup(cgroupPath: string, options: { flags?: number; attachType?: number } = {}): void {
    const at = options.attachType ?? this.expectedAttachType;
    if (!at && this.type !== BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB)
      throw new LoaderUsageError('EATTACH', `program '${this.name}' (section '${this.sectionName}') has no attach type; pass one`);
    const h = this.loaded();
    h.attach(cgroupPath, at, options.flags ?? 0);
  }

  /** BPF_LINK_CREATE on a cgroup; the link goes away with close(). */
  linkCgroup(cgroupPath: string): number {
    const fd = this.loaded().link(cgroupPath, this.expectedAttachType);
    this.links.push(fd);
    return fd;
  }

  /** BPF_RAW_TRACEPOINT_OPEN at the section's tracepoint (or `name`); returns the link fd. */
  attachRawTracepoint(name?: string): number {
    const tp = name ?? this.attachTarget;
    if (!tp) throw new LoaderUsageError('EATTACH', `program '${this.name}': section '${this.sectionName}' names no tracepoint; pass one`);
    const fd = this.obj.client!.rawTracepointOpen(this.loaded(), tp);
    this.links.push(fd);
    return fd;
  }

  /** BPF_PROG_ATTACH to a sockmap/sockhash (sk_msg, sk_skb/...). */
  attachSockmap(map: ObjectMap | MapHandle): void {
    const h = map instanceof ObjectMap ? map.loaded() : map;
    this.loaded().attachToMap(h, this.expectedAttachType || BPF_ATTACH_TYPE.BPF_SK_MSG_VERDICT);
  }

  /** BPF_PROG_TEST_RUN. */
  testRun(data: Uint8Array, options?: { repeat?: number }): { retval: number; dataOut?: Uint8Array } {
    return this.loaded().testRun(data, options);
  }

  private loaded(): ProgHandle {
    if (!this.handle) throw new LoaderUsageError('ENOTLOADED', `program '${this.name}' is not loaded (call load() first)`);
    return this.handle;
  }

  /** @internal */
  closeAll(): void {
    const fds = this.obj.client?.process.fds;
    for (const l of this.links) if (fds?.lookup(l)) fds.close(l);
    this.links = [];
    this.handle?.close();
    this.handle = undefined;
  }
}

/** A map of the object (struct bpf_map). */
export class ObjectMap {
  handle: MapHandle | undefined;
  /** The pinned path, when the map is pinned. */
  pinPath: string | undefined;
  /** True when an already pinned map was reused instead of created. */
  reused = false;

  constructor(
    private readonly obj: ObjectFile,
    /** @internal */ readonly def: MapDef,
  ) {}

  get name(): string {
    return this.def.name;
  }
  get type(): number {
    return this.def.type;
  }
  get keySize(): number {
    return this.def.keySize;
  }
  get valueSize(): number {
    return this.def.valueSize;
  }
  get maxEntries(): number {
    return this.def.maxEntries;
  }
  get flags(): number {
    return this.def.flags;
  }
  get kind(): MapDef['kind'] {
    return this.def.kind;
  }
  get fd(): number {
    return this.loaded().fd;
  }

  /** bpf_map__set_max_entries(): before load only. */
  setMaxEntries(n: number): void {
    this.beforeLoad('set max_entries');
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new LoaderUsageError('EINVAL', `map '${this.name}': max_entries ${n} is not a u32`);
    this.def.maxEntries = n;
  }

  /** bpf_map__set_map_flags(): before load only. */
  setFlags(flags: number): void {
    this.beforeLoad('set map_flags');
    this.def.flags = flags >>> 0;
  }

  /** bpf_map__set_value_size(): before load only (global data: only growing a .bss/.data keeps its contents). */
  setValueSize(n: number): void {
    this.beforeLoad('set value_size');
    if (this.def.initData) {
      const d = new Uint8Array(n);
      d.set(this.def.initData.subarray(0, n));
      this.def.initData = d;
    }
    this.def.valueSize = n;
  }

  private beforeLoad(what: string): void {
    if (this.obj.loaded) throw new LoaderUsageError('EBUSY', `map '${this.name}': cannot ${what} after the object is loaded`);
  }

  /** @internal */
  loaded(): MapHandle {
    if (!this.handle) throw new LoaderUsageError('ENOTLOADED', `map '${this.name}' is not created (call load() first)`);
    return this.handle;
  }
}

/** bpf_object: programs, maps and how they refer to each other. */
export class ObjectFile {
  readonly file: string;
  readonly name: string;
  readonly license: string;
  /** The `version` section (kern_version), 0 when absent. */
  readonly kernVersion: number;
  readonly programs: ObjectProgram[] = [];
  readonly maps: ObjectMap[] = [];
  readonly warnings: LoaderWarning[] = [];
  readonly btf: Btf | undefined;
  readonly btfExt: BtfExt | undefined;
  readonly elf: ElfFile;
  readonly pinRoot: string;
  /** Subprograms in `.text` (static and global functions). */
  readonly subprograms: readonly { name: string; insnCnt: number; global: boolean }[];
  loaded = false;
  client: BpfClient | undefined;
  private readonly funcs: Func[] = [];

  /** bpf_object__open_mem(). */
  static open(bytes: Uint8Array, options: OpenOptions = {}): ObjectFile {
    return new ObjectFile(bytes, options);
  }

  private constructor(bytes: Uint8Array, options: OpenOptions) {
    const file = options.file ?? 'object.o';
    this.file = file;
    const base = file.split('/').pop()!;
    this.name = options.name ?? (base.split('.')[0] || base);
    this.pinRoot = (options.pinRoot ?? '/sys/fs/bpf').replace(/\/+$/, '');
    const elf = parseElf(bytes, file);
    this.elf = elf;
    const where = (s: { name: string; index: number }): string => `${file}: section '${s.name}' (${s.index})`;

    // license, version (bpf_object__init_license, bpf_object__init_kversion).
    const lic = elf.sectionByName('license');
    let license = '';
    if (lic) {
      const end = lic.data.indexOf(0);
      license = String.fromCharCode(...lic.data.subarray(0, end < 0 ? lic.data.length : end));
    }
    this.license = license;
    const ver = elf.sectionByName('version');
    if (ver && ver.size !== 4) throw new ObjectFormatError('ELF_SECTION', where(ver), `invalid kver section size ${ver.size}, expected 4`);
    this.kernVersion = ver ? new DataView(ver.data.buffer, ver.data.byteOffset, 4).getUint32(0, true) : 0;

    // BTF (bpf_object__init_btf): a bad .BTF is dropped with a warning unless something needs it.
    const btfSec = elf.sectionByName('.BTF');
    let btf: Btf | undefined;
    if (btfSec) {
      try {
        btf = Btf.parse(btfSec.data, file);
        fixupDatasec(
          btf,
          (name) => elf.sectionByName(name)?.size,
          (secName, varName) => {
            const s = elf.sectionByName(secName);
            return s ? elf.symbols.find((y) => y.shndx === s.index && y.name === varName && y.type === STT.OBJECT)?.value : undefined;
          },
        );
      } catch (e) {
        if (!(e instanceof ObjectFormatError)) throw e;
        this.warnings.push({ code: 'BTF_IGNORED', place: e.place, message: `${e.message}; BTF ignored` });
        btf = undefined;
      }
    }
    this.btf = btf;
    const extSec = elf.sectionByName('.BTF.ext');
    let btfExt: BtfExt | undefined;
    if (extSec && btf) {
      try {
        btfExt = parseBtfExt(extSec.data, btf, file);
      } catch (e) {
        if (!(e instanceof ObjectFormatError)) throw e;
        this.warnings.push({ code: 'BTF_EXT_IGNORED', place: e.place, message: `${e.message}; .BTF.ext ignored` });
      }
    }
    this.btfExt = btfExt;

    // Programs (bpf_object__add_programs): every FUNC symbol of every executable section.
    const subprograms: { name: string; insnCnt: number; global: boolean }[] = [];
    for (const s of elf.sections) {
      if (s.type !== SHT.PROGBITS || !(s.flags & SHF_EXECINSTR) || s.size === 0) continue;
      if (s.size % 8) throw new ObjectFormatError('PROG_SECTION', where(s), `size ${s.size} is not a multiple of 8 (struct bpf_insn)`);
      const isText = s.name === '.text';
      const syms = elf.symbols.filter((y) => y.shndx === s.index && y.type === STT.FUNC).sort((a, b) => a.value - b.value);
      if (!syms.length) {
        this.warnings.push({ code: 'NO_PROGRAMS', place: where(s), message: 'executable section without function symbols: ignored' });
        continue;
      }
      const secInsns = decode(s.data, { validate: false });
      for (const y of syms) {
        const place = `${where(s)} +0x${y.value.toString(16)}`;
        if (y.value % 8 || y.size % 8) throw new ObjectFormatError('PROG_SECTION', place, `program '${y.name}' is not aligned to 8 bytes`);
        if (y.value + y.size > s.size) throw new ObjectFormatError('PROG_SECTION', place, `program '${y.name}' at offset ${y.value} (${y.size} bytes) crosses the section boundary (${s.size} bytes)`);
        if (y.size === 0) throw new ObjectFormatError('PROG_SECTION', place, `program '${y.name}' has size 0`);
        if (!isText && y.bind === STB.LOCAL) throw new ObjectFormatError('PROG_SECTION', place, `program '${y.name}' is static and not supported (section '${s.name}')`);
        const f: Func = {
          name: y.name,
          secIndex: s.index,
          secName: s.name,
          secInsnOff: y.value / 8,
          insnCnt: y.size / 8,
          insns: secInsns.slice(y.value / 8, (y.value + y.size) / 8).map((i) => ({ ...i })),
          relos: [],
          global: y.bind !== STB.LOCAL,
        };
        this.funcs.push(f);
        if (isText) subprograms.push({ name: f.name, insnCnt: f.insnCnt, global: f.global });
        else {
          const def = findSecDef(s.name);
          if (!def) this.warnings.push({ code: 'UNKNOWN_SECTION', place: where(s), message: `program '${y.name}': unrecognized ELF section name '${s.name}': set its type before load` });
          this.programs.push(new ObjectProgram(this, f, def));
        }
      }
    }
    this.subprograms = subprograms;

    // Maps: BTF-defined, then legacy, then global data (bpf_object__init_maps' order).
    const defs = [...collectBtfMaps(elf, btf, file, this.warnings), ...collectLegacyMaps(elf, file, this.warnings), ...collectDataMaps(elf, this.name, btf)];
    const seen = new Set<string>();
    for (const d of defs) {
      if (seen.has(d.name)) throw new ObjectFormatError('MAP_DEF', `${file}: section '${d.secName}'`, `two maps are named '${d.name}'`);
      seen.add(d.name);
      this.maps.push(new ObjectMap(this, d));
    }

    this.collectRelos();

    // Sections libbpf does not know are skipped with a debug line; say so for the ones that look like code or data.
    for (const s of elf.sections) {
      if (!s.name || s.type === SHT.NULL) continue;
      const known =
        s.name === 'license' || s.name === 'version' || s.name === '.maps' || s.name === 'maps' || s.name.startsWith('.BTF') || s.name.startsWith('.debug') || s.name.startsWith('.rel') ||
        s.name === '.strtab' || s.name === '.symtab' || s.name === '.shstrtab' || s.name === '.llvm_addrsig' || s.type === SHT.LLVM_ADDRSIG || (s.flags & SHF_EXECINSTR) !== 0 ||
        this.maps.some((m) => m.def.secIndex === s.index);
      if (!known && s.size > 0 && (s.type === SHT.PROGBITS || s.type === SHT.NOBITS))
        this.warnings.push({ code: 'SECTION_SKIPPED', place: where(s), message: `section '${s.name}' is not a program, map, data or debug section: skipped` });
    }
  }

  /** bpf_object__collect_relos / bpf_program__record_reloc. */
  private collectRelos(): void {
    const { elf, file } = this;
    for (const rs of elf.relocSections) {
      const target = rs.target;
      if (!(target.flags & SHF_EXECINSTR)) continue; // .rel.BTF, .rel.debug_*, .rel.maps (read with the maps)
      rs.relocs.forEach((r, i) => {
        const place = `${file}: section '${rs.section.name}' relocation #${i} (+0x${r.offset.toString(16)})`;
        if (r.offset % 8) throw new ObjectFormatError('ELF_RELOC', place, `offset ${r.offset} is not at an instruction boundary`);
        const secInsn = r.offset / 8;
        const f = this.funcs.find((x) => x.secIndex === target.index && secInsn >= x.secInsnOff && secInsn < x.secInsnOff + x.insnCnt);
        if (!f) {
          this.warnings.push({ code: 'RELO_SKIPPED', place, message: `no program in section '${target.name}' holds instruction ${secInsn}: relocation skipped` });
          return;
        }
        const idx = secInsn - f.secInsnOff;
        const insn = f.insns[idx]!;
        const sym: ElfSymbol = elf.symbols[r.sym]!;
        const symName = sym.name || (sym.type === STT.SECTION ? elf.sections[sym.shndx]?.name ?? '' : '');
        if (sym.shndx === SHN_UNDEF)
          throw new ObjectFormatError('ELF_RELOC', place, `extern '${sym.name}' (kconfig/ksym externs) is not supported by bpfsim's loader`);
        if (sym.shndx >= elf.sections.length) throw new ObjectFormatError('ELF_RELOC', place, `symbol '${symName}' is in special section ${sym.shndx}`);
        const symSec = elf.sections[sym.shndx]!;
        if (insn.code === BPF_CALL_INSN) {
          if (insn.src !== BPF_PSEUDO_CALL) throw new ObjectFormatError('ELF_RELOC', place, `incorrect bpf_call opcode at insn ${idx} of '${f.name}'`);
          if (!(symSec.flags & SHF_EXECINSTR)) throw new ObjectFormatError('ELF_RELOC', place, `bad call relo against '${symName}' in section '${symSec.name}'`);
          if (sym.value % 8) throw new ObjectFormatError('ELF_RELOC', place, `bad call relo offset ${sym.value}`);
          f.relos.push({ type: 'call', insnIdx: idx, secIndex: symSec.index, symOff: sym.value });
          return;
        }
        if (!isLdImm64(insn)) throw new ObjectFormatError('ELF_RELOC', place, `invalid relo for insns[${idx}].code 0x${insn.code.toString(16)} of '${f.name}' (expected ld_imm64 or call)`);
        if (idx + 1 >= f.insns.length) throw new ObjectFormatError('ELF_RELOC', place, `ld_imm64 at insn ${idx} of '${f.name}' has no second half`);
        if (symSec.flags & SHF_EXECINSTR) {
          if (sym.type !== STT.FUNC && sym.type !== STT.SECTION) throw new ObjectFormatError('ELF_RELOC', place, `bad subprog addr relo against '${symName}'`);
          f.relos.push({ type: 'subprog_addr', insnIdx: idx, secIndex: symSec.index, symOff: sym.value });
          return;
        }
        const mapIdx = this.maps.findIndex((m) => m.def.secIndex === symSec.index && (m.def.kind === 'btf' || m.def.kind === 'legacy' ? m.def.secOffset === sym.value : true));
        if (mapIdx < 0) {
          if (symSec.name === '.maps' || symSec.name === 'maps') throw new ObjectFormatError('ELF_RELOC', place, `map relo failed to find map for section '${symSec.name}', off ${sym.value}`);
          throw new ObjectFormatError('ELF_RELOC', place, `relocation against '${symName}' in section '${symSec.name}', which is neither a map nor global data`);
        }
        const m = this.maps[mapIdx]!;
        if (m.def.kind === 'btf' || m.def.kind === 'legacy') f.relos.push({ type: 'ld64', insnIdx: idx, map: mapIdx });
        else f.relos.push({ type: 'data', insnIdx: idx, map: mapIdx, symOff: sym.value });
      });
    }
    for (const f of this.funcs) f.relos.sort((a, b) => a.insnIdx - b.insnIdx);
  }

  program(name: string): ObjectProgram {
    const p = this.programs.find((x) => x.name === name);
    if (!p) throw new LoaderUsageError('ENOENT', `${this.file}: no program named '${name}' (programs: ${this.programs.map((x) => x.name).join(', ') || 'none'})`);
    return p;
  }

  map(name: string): ObjectMap {
    const m = this.maps.find((x) => x.name === name);
    if (!m) throw new LoaderUsageError('ENOENT', `${this.file}: no map named '${name}' (maps: ${this.maps.map((x) => x.name).join(', ') || 'none'})`);
    return m;
  }

  /** Global variables: ELF OBJECT symbols in .data/.rodata/.bss (what a skeleton's `obj->rodata->x` reaches). */
  globals(): { name: string; section: string; offset: number; size: number }[] {
    const out = [];
    for (const m of this.maps) {
      if (m.def.kind !== 'data' && m.def.kind !== 'rodata' && m.def.kind !== 'bss') continue;
      for (const y of this.elf.symbols) if (y.shndx === m.def.secIndex && y.type === STT.OBJECT && y.name) out.push({ name: y.name, section: m.def.secName, offset: y.value, size: y.size });
    }
    return out;
  }

  private globalVar(name: string): { map: ObjectMap; offset: number; size: number } {
    const g = this.globals().find((x) => x.name === name);
    if (!g) throw new LoaderUsageError('ENOENT', `${this.file}: no global variable named '${name}' (globals: ${this.globals().map((x) => x.name).join(', ') || 'none'})`);
    return { map: this.maps.find((m) => m.def.secName === g.section)!, offset: g.offset, size: g.size };
  }

  /**
   * Sets a global variable. Before load it changes the initial value (`.rodata` included: the
   * way `const volatile` configuration reaches a program); after load it writes the map, as a
   * skeleton's mmap-ed `.data`/`.bss` does (`.rodata` is frozen then: EPERM).
   */
  setGlobal(name: string, value: number | bigint | Uint8Array): void {
    const g = this.globalVar(name);
    const bytes = new Uint8Array(g.size);
    if (value instanceof Uint8Array) {
      if (value.length > g.size) throw new LoaderUsageError('EINVAL', `global '${name}' is ${g.size} bytes; ${value.length} given`);
      bytes.set(value);
    } else {
      let v = BigInt.asUintN(g.size * 8, BigInt(value));
      for (let i = 0; i < g.size; i++, v >>= 8n) bytes[i] = Number(v & 0xffn);
    }
    if (!this.loaded) {
      g.map.def.initData!.set(bytes, g.offset);
      return;
    }
    if (g.map.def.kind === 'rodata') throw new SysError('EPERM', `global '${name}' is in .rodata, which is frozen after load`);
    const h = g.map.loaded();
    const cur = h.lookup(0) ?? new Uint8Array(g.map.valueSize);
    cur.set(bytes, g.offset);
    h.update(0, cur);
  }

  /** Reads a global variable (its initial value before load, the map's after). */
  getGlobal(name: string): Uint8Array {
    const g = this.globalVar(name);
    const src = this.loaded ? g.map.loaded().lookup(0)! : g.map.def.initData!;
    return src.slice(g.offset, g.offset + g.size);
  }

  /** bpf_object__load(): maps, relocations, programs. On failure everything made is closed again. */
  load(client: BpfClient, options: LoadOptions = {}): this {
    if (this.loaded) throw new LoaderUsageError('EBUSY', `${this.file}: object is already loaded`);
    this.client = client;
    try {
      this.createMaps(client);
      const target = this.btfExt && [...this.btfExt.coreRelos.values()].some((r) => r.length) ? buildTargetBtf(options.coreTarget ?? coreTarget(client)) : undefined;
      const bodies = new Map<Func, Insn[]>();
      for (const f of this.funcs) bodies.set(f, this.relocateFunc(f, target));
      for (const p of this.programs) {
        if (!p.autoload) continue;
        this.loadProgram(client, p, bodies, options.logLevel ?? 0);
      }
      this.loaded = true;
      return this;
    } catch (e) {
      this.closeAll();
      this.client = undefined;
      throw e;
    }
  }

  /** bpf_object__create_maps(). */
  private createMaps(client: BpfClient): void {
    for (const m of this.maps) {
      const d = m.def;
      if (d.pinning === LIBBPF_PIN.BY_NAME) {
        const path = `${this.pinRoot}/${d.name}`;
        m.pinPath = path;
        let fd: number | undefined;
        try {
          fd = bpf(client.kernel, client.process, BPF_CMD.BPF_OBJ_GET, { pathname: path });
        } catch (e) {
          if (!(e instanceof SysError) || e.code !== 'ENOENT') throw e;
        }
        if (fd !== undefined) {
          const h = new MapHandle(client, fd);
          const info = (client.process.fds.lookup(fd) as unknown as { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number });
          if (info.type !== d.type || info.keySize !== d.keySize || info.valueSize !== d.valueSize || info.maxEntries !== d.maxEntries || info.flags !== d.flags) {
            h.close();
            throw new ObjectFormatError('MAP_DEF', `${this.file}: map '${d.name}'`, `couldn't reuse pinned map at '${path}': parameter mismatch`);
          }
          m.handle = h;
          m.reused = true;
          continue;
        }
      }
      let inner: MapHandle | undefined;
      if (d.inner) {
        const i = d.inner;
        inner = client.createMap({ type: i.type, keySize: i.keySize, valueSize: i.valueSize, maxEntries: i.maxEntries, flags: i.flags, name: i.name.slice(0, BPF_OBJ_NAME_LEN - 1) });
      }
      try {
        m.handle = client.createMap({
          type: d.type,
          keySize: d.keySize,
          valueSize: d.valueSize,
          maxEntries: d.maxEntries,
          flags: d.flags,
          name: d.name.slice(0, BPF_OBJ_NAME_LEN - 1),
          ...(inner ? { innerMap: inner } : {}),
        });
      } catch (e) {
        if (e instanceof SysError) throw new SysError(e.code, `map '${d.name}' (${describeMapType(d.type)}): ${e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message}`);
        throw e;
      } finally {
        inner?.close();
      }
      if (d.initData && d.kind !== 'bss') m.handle.update(0, d.initData);
      else if (d.initData && d.initData.some((b) => b)) m.handle.update(0, d.initData);
      if (d.kind === 'rodata') m.handle.freeze();
      if (d.pinning === LIBBPF_PIN.BY_NAME) {
        // bpf_map__pin() → make_parent_dir(): the pin root is made when missing.
        try {
          m.handle.pin(m.pinPath!);
        } catch (e) {
          if (!(e instanceof SysError) || e.code !== 'ENOENT') throw e;
          client.kernel.bpffs.mkdir(m.pinPath!.slice(0, m.pinPath!.lastIndexOf('/')));
          m.handle.pin(m.pinPath!);
        }
      }
    }
    // Initial slots of map-in-map outers (`.values = { [i] = &inner }`).
    for (const m of this.maps) {
      if (!m.def.initSlots || m.reused) continue;
      for (const [slot, symName] of m.def.initSlots) {
        const target = this.maps.find((x) => x.name === symName);
        if (!target) throw new ObjectFormatError('ELF_RELOC', `${this.file}: map '${m.name}'`, `initial value in slot ${slot} names '${symName}', which is not a map of this object`);
        m.handle!.update(slot, target.fd);
      }
    }
  }

  /** CO-RE and map/data relocations on one function's own instructions. */
  private relocateFunc(f: Func, target: Btf | undefined): Insn[] {
    const insns = f.insns.map((i) => ({ ...i }));
    const core = this.btfExt?.coreRelos.get(f.secName) ?? [];
    for (const r of core) {
      const idx = r.insnOff - f.secInsnOff;
      if (idx < 0 || idx >= f.insnCnt) continue;
      const place = `${this.file}: program '${f.name}' insn ${idx} (CO-RE relocation '${r.accessStr}')`;
      const res = calcCoreRelo(r, this.btf!, target!);
      patchCoreInsn(insns, idx, r, res, place);
    }
    for (const r of f.relos) {
      const insn = insns[r.insnIdx]!;
      if (r.type === 'ld64') {
        insn.src = BPF_PSEUDO_MAP_FD;
        insn.imm = this.maps[r.map]!.fd;
      } else if (r.type === 'data') {
        insn.src = BPF_PSEUDO_MAP_VALUE;
        insns[r.insnIdx + 1]!.imm = insn.imm + r.symOff;
        insn.imm = this.maps[r.map]!.fd;
      }
    }
    return insns;
  }

  /** The function in section `secIndex` that starts at instruction `secInsn`. */
  private funcAt(secIndex: number, secInsn: number, from: Func, place: string): Func {
    const f = this.funcs.find((x) => x.secIndex === secIndex && x.secInsnOff === secInsn);
    if (!f) throw new ObjectFormatError('ELF_RELOC', place, `'${from.name}' calls instruction ${secInsn} of section '${this.elf.sections[secIndex]?.name}', which is not the start of a function`);
    return f;
  }

  /** bpf_object__reloc_code(): append each called subprogram once, fix call offsets, carry line and func info. */
  private link(p: ObjectProgram, bodies: Map<Func, Insn[]>): { insns: Insn[]; lineInfo: LineInfo[]; funcInfo: FuncInfo[] } {
    const main = p.func;
    const insns: Insn[] = bodies.get(main)!.map((i) => ({ ...i }));
    const segments: { f: Func; start: number }[] = [{ f: main, start: 0 }];
    const placed = new Map<Func, number>([[main, 0]]);
    const segOf = (i: number): { f: Func; start: number } => {
      let s = segments[0]!;
      for (const x of segments) if (x.start <= i) s = x;
      return s;
    };
    for (let i = 0; i < insns.length; i++) {
      const insn = insns[i]!;
      const isCall = insn.code === BPF_CALL_INSN && insn.src === BPF_PSEUDO_CALL;
      const isFuncAddr = isLdImm64(insn) && insn.src === BPF_PSEUDO_FUNC;
      const seg = segOf(i);
      const local = i - seg.start;
      const relo = seg.f.relos.find((r) => r.insnIdx === local && (r.type === 'call' || r.type === 'subprog_addr'));
      if (!isCall && !relo) {
        if (isLdImm64(insn)) i++;
        continue;
      }
      const place = `${this.file}: program '${p.name}' (function '${seg.f.name}' insn ${local})`;
      let callee: Func;
      if (relo && relo.type === 'call') callee = this.funcAt(relo.secIndex, relo.symOff / 8 + insn.imm + 1, seg.f, place);
      else if (relo && relo.type === 'subprog_addr') {
        insn.src = BPF_PSEUDO_FUNC;
        callee = this.funcAt(relo.secIndex, (relo.symOff + insn.imm) / 8, seg.f, place);
      } else callee = this.funcAt(seg.f.secIndex, seg.f.secInsnOff + local + insn.imm + 1, seg.f, place);
      let start = placed.get(callee);
      if (start === undefined) {
        start = insns.length;
        placed.set(callee, start);
        segments.push({ f: callee, start });
        for (const x of bodies.get(callee)!) insns.push({ ...x });
      }
      insn.imm = start - (i + 1);
      if (isLdImm64(insn)) i++;
    }
    const lineInfo: LineInfo[] = [];
    const funcInfo: FuncInfo[] = [];
    for (const { f, start } of segments) {
      for (const l of this.btfExt?.lineInfo.get(f.secName) ?? [])
        if (l.insnOff >= f.secInsnOff && l.insnOff < f.secInsnOff + f.insnCnt) lineInfo.push({ ...l, insnOff: l.insnOff - f.secInsnOff + start });
      for (const fi of this.btfExt?.funcInfo.get(f.secName) ?? [])
        if (fi.insnOff >= f.secInsnOff && fi.insnOff < f.secInsnOff + f.insnCnt) funcInfo.push({ ...fi, insnOff: fi.insnOff - f.secInsnOff + start });
    }
    lineInfo.sort((a, b) => a.insnOff - b.insnOff);
    funcInfo.sort((a, b) => a.insnOff - b.insnOff);
    return { insns, lineInfo, funcInfo };
  }

  /**
   * The program's final instructions without loading anything: maps get placeholder fd 0.
   * For `bpfsim obj` / `disasm`, which show what libbpf would hand the kernel.
   */
  linkedInstructions(p: ObjectProgram): { insns: Insn[]; lineInfo: LineInfo[]; funcInfo: FuncInfo[] } {
    if (this.loaded && p.insns.length) return { insns: p.insns, lineInfo: p.lineInfo, funcInfo: p.funcInfo };
    const bodies = new Map<Func, Insn[]>();
    for (const f of this.funcs) bodies.set(f, f.insns.map((i) => ({ ...i })));
    return this.link(p, bodies);
  }

  private loadProgram(client: BpfClient, p: ObjectProgram, bodies: Map<Func, Insn[]>, logLevel: 0 | 1 | 2): void {
    const { insns, lineInfo, funcInfo } = this.link(p, bodies);
    p.insns = insns;
    p.lineInfo = lineInfo;
    p.funcInfo = funcInfo;
    if (p.type === BPF_PROG_TYPE.BPF_PROG_TYPE_UNSPEC)
      throw new ProgramLoadError(p.name, new SysError('EINVAL', `section '${p.sectionName}' names no known program type and none was set`), '');
    const attempt = (level: 0 | 1 | 2): ProgLoadAttr => ({
      prog_type: p.type,
      insns,
      license: this.license,
      prog_name: p.name.slice(0, BPF_OBJ_NAME_LEN - 1),
      expected_attach_type: p.expectedAttachType,
      kern_version: this.kernVersion,
      ...(funcInfo.length && this.btf ? { func_info: funcInfo.map((f) => resolveFuncInfo(this.btf!, f)) } : {}),
      ...(lineInfo.length ? { line_info: lineInfo.map((l) => ({ insn_off: l.insnOff, file_name: l.fileName, line: l.line, col: l.col, line_text: l.lineText })) } : {}),
      ...(level ? { log_level: level, log_size: 1 << 24 } : {}),
    });
    let attr = attempt(logLevel);
    try {
      const fd = bpf(client.kernel, client.process, BPF_CMD.BPF_PROG_LOAD, attr);
      p.log = attr.log_buf ?? '';
      p.handle = new ProgHandle(client, fd, p.log);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      // libbpf retries a failed load with a log (level 1) so the user sees why.
      if (!logLevel) {
        attr = attempt(1);
        try {
          bpf(client.kernel, client.process, BPF_CMD.BPF_PROG_LOAD, attr);
        } catch {
          /* the same failure, now with its log */
        }
      }
      p.log = attr.log_buf ?? '';
      throw new ProgramLoadError(p.name, e, p.log);
    }
  }

  private closeAll(): void {
    for (const p of this.programs) p.closeAll();
    for (const m of this.maps) {
      m.handle?.close();
      m.handle = undefined;
    }
  }

  /** bpf_object__close(): programs (and their links) and maps; pins stay. */
  close(): void {
    this.closeAll();
    this.loaded = false;
  }
}

/**
 * A bpf_func_info record with its FUNC type resolved the way btf_prepare_func_args() reads
 * it: linkage, whether it returns an int or enum, and each parameter with modifiers and
 * typedefs skipped (pointers: what they point to, its kind name and resolved size).
 */
export function resolveFuncInfo(btf: Btf, f: FuncInfo): BtfFuncInfo {
  const fn = btf.type(f.typeId);
  const base = { insnOff: f.insnOff, name: f.name };
  if (fn.kind !== BTF_KIND.FUNC) return { ...base, linkage: 'static', returnsScalar: false, params: [] };
  const proto = btf.type(fn.type);
  if (proto.kind !== BTF_KIND.FUNC_PROTO) return { ...base, name: fn.name, linkage: fn.linkage, returnsScalar: false, params: [] };
  const isScalar = (id: number): boolean => {
    const t = btf.skipModsAndTypedefs(id);
    return t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;
  };
  const params: BtfParam[] = proto.params.map((p) => {
    const t = btf.skipModsAndTypedefs(p.type);
    if (t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64) return { kind: 'scalar' };
    if (t.kind === BTF_KIND.PTR) {
      const target = btf.skipModsAndTypedefs(t.type);
      const size = target.kind === BTF_KIND.UNKN || target.kind === BTF_KIND.FWD || target.kind === BTF_KIND.FUNC_PROTO ? undefined : btf.tryResolveSize(target.id);
      return { kind: 'ptr', target: { kind: target.kind === BTF_KIND.UNKN ? 'UNKNOWN' : (uapiName(BTF_KIND, target.kind) ?? 'UNKNOWN'), name: target.name, ...(size !== undefined ? { size } : {}) } };
    }
    return { kind: 'other', btfKind: uapiName(BTF_KIND, t.kind) ?? 'UNKN' };
  });
  return { ...base, name: fn.name, linkage: fn.linkage, returnsScalar: isScalar(proto.returnType), params };
}

/** Opens an object file's bytes (bpf_object__open_mem). */
export function openObject(bytes: Uint8Array, options: OpenOptions = {}): ObjectFile {
  return ObjectFile.open(bytes, options);
}

/** The kernel types CO-RE relocations resolve against: every registered program type's ctx
 * struct (bpf_sock_addr, bpf_sock, bpf_sock_ops, sk_msg_md, xdp_md, __sk_buff, …) and the
 * kernel structs tracing programs see (sock, sk_buff, task_struct, pt_regs, net_device). */
export function coreTarget(client: BpfClient): TargetStruct[] {
  return kernelTypes(client.kernel);
}

import { KERNEL_STRUCTS, type Kernel } from '@bpfsim/kernel';

export function kernelTypes(kernel: Kernel): TargetStruct[] {
  const out: TargetStruct[] = [];
  const seen = new Set<string>();
  for (const d of kernel.progTypes.descriptors()) {
    if (!d.ctxName || seen.has(d.ctxName)) continue;
    seen.add(d.ctxName);
    out.push({ name: d.ctxName.replace(/^struct /, ''), size: d.ctxSize, fields: d.fields.map((f) => ({ name: f.name, offset: f.off, size: f.size })) });
  }
  for (const s of Object.values(KERNEL_STRUCTS)) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    out.push({ name: s.name, size: s.size, fields: Object.entries(s.fields).map(([name, f]) => ({ name, offset: f.offset, size: f.size })) });
  }
  return out;
}
