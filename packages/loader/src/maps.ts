// Map definitions in an object, the three ways libbpf finds them:
// - BTF-defined maps in `.maps` (bpf_object__init_user_btf_maps, parse_btf_map_def): each
//   variable of the `.maps` DATASEC is a struct whose members encode the attributes —
//   `__uint(name, N)` is `int (*name)[N]`, `__type(name, T)` is `T *name`, `__array(values,
//   struct inner)` is `struct inner *values[]`;
// - legacy definitions in a `maps` section, one `struct bpf_map_def` per symbol (libbpf 0.x;
//   libbpf 1.0 refuses them, bpfsim reads them with a warning);
// - global data: `.data`, `.rodata` (and `.rodata.*`), `.bss` (and `.data.*`) each become a
//   one-element array map whose value is the section (bpf_object__init_internal_map).
import { BPF_MAP_TYPE, uapiName } from '@bpfsim/isa';
import { SHF_EXECINSTR, SHT, STT, type ElfFile, type ElfSection } from '@bpfsim/kernel';
import { BTF_KIND, type Btf, type BtfComposite } from './btf';
import { ObjectFormatError, type LoaderWarning } from './errors';

/** LIBBPF_PIN_NONE / LIBBPF_PIN_BY_NAME. */
export const LIBBPF_PIN = { NONE: 0, BY_NAME: 1 } as const;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_OBJ_NAME_LEN = 16;

export type MapKind = 'btf' | 'legacy' | 'data' | 'rodata' | 'bss';

export interface MapDef {
  name: string;
  kind: MapKind;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode?: number;
  mapExtra?: bigint;
  pinning: number;
  /** BTF type ids of key and value, when `__type()` gave them. */
  btfKeyTypeId?: number;
  btfValueTypeId?: number;
  /** Map-in-map: the inner map's definition (`__array(values, struct inner)`). */
  inner?: MapDef;
  /** Initial slots of a map-in-map or prog array: index → the symbol `.values` points at. */
  initSlots?: Map<number, string>;
  /** Where the definition is: the section and the byte offset of the symbol in it. */
  secIndex: number;
  secName: string;
  secOffset: number;
  /** Global data: the section's initial bytes (all zero for .bss); user space may change them before load. */
  initData?: Uint8Array;
}

const mapTypeName = (t: number): string => uapiName(BPF_MAP_TYPE, t) ?? `map type ${t}`;

export function describeMapType(t: number): string {
  return mapTypeName(t);
}

type StructT = BtfComposite;

/** get_map_field_int(): `__uint(name, N)` is a pointer to an array of N elements. */
function fieldInt(btf: Btf, mapName: string, member: { name: string; type: number }, place: string): number {
  const t = btf.skipModsAndTypedefs(member.type);
  if (t.kind !== BTF_KIND.PTR) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': attr '${member.name}': expected PTR, got ${kindName(t.kind)}`);
  const arr = btf.type(t.type);
  if (arr.kind !== BTF_KIND.ARRAY) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': attr '${member.name}': expected ARRAY, got ${kindName(arr.kind)}`);
  return arr.nelems;
}

function kindName(k: number): string {
  return uapiName(BTF_KIND, k) ?? `kind ${k}`;
}

/**
 * parse_btf_map_def(): a map's attributes from its definition struct. `isInner`: the struct
 * is the element type of an outer map's `values`, which may not itself have `values`.
 */
export function parseBtfMapDef(btf: Btf, mapName: string, def: StructT, isInner: boolean, place: string, warnings: LoaderWarning[]): Omit<MapDef, 'secIndex' | 'secName' | 'secOffset' | 'kind'> {
  const m: Omit<MapDef, 'secIndex' | 'secName' | 'secOffset' | 'kind'> = { name: mapName, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 0 };
  let keySizeSet = false;
  let valueSizeSet = false;
  for (const member of def.members) {
    const name = member.name;
    if (!name) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': invalid field #${def.members.indexOf(member)}: an anonymous member`);
    switch (name) {
      case 'type':
        m.type = fieldInt(btf, mapName, member, place);
        break;
      case 'max_entries':
        m.maxEntries = fieldInt(btf, mapName, member, place);
        break;
      case 'map_flags':
        m.flags = fieldInt(btf, mapName, member, place);
        break;
      case 'numa_node':
        m.numaNode = fieldInt(btf, mapName, member, place);
        break;
      case 'map_extra':
        m.mapExtra = BigInt(fieldInt(btf, mapName, member, place));
        break;
      case 'key_size':
      case 'value_size': {
        const sz = fieldInt(btf, mapName, member, place);
        const isKey = name === 'key_size';
        const cur = isKey ? m.keySize : m.valueSize;
        if ((isKey ? keySizeSet : valueSizeSet) && cur !== sz)
          throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': conflicting ${isKey ? 'key' : 'value'} size ${cur} != ${sz}`);
        if (isKey) (m.keySize = sz), (keySizeSet = true);
        else (m.valueSize = sz), (valueSizeSet = true);
        break;
      }
      case 'key':
      case 'value': {
        const t = btf.skipMods(member.type);
        if (t.kind !== BTF_KIND.PTR) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': ${name} spec is not PTR: ${kindName(t.kind)}`);
        const sz = btf.resolveSize(t.type);
        const isKey = name === 'key';
        const cur = isKey ? m.keySize : m.valueSize;
        if ((isKey ? keySizeSet : valueSizeSet) && cur !== sz)
          throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': conflicting ${name} size ${cur} != ${sz}`);
        if (isKey) (m.keySize = sz), (keySizeSet = true), (m.btfKeyTypeId = t.type);
        else (m.valueSize = sz), (valueSizeSet = true), (m.btfValueTypeId = t.type);
        break;
      }
      case 'values': {
        if (isInner) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': multi-level inner maps are not supported`);
        const arr = btf.skipMods(member.type);
        if (arr.kind !== BTF_KIND.ARRAY || arr.nelems !== 0)
          throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': values spec is not a zero-sized array`);
        const ptr = btf.skipModsAndTypedefs(arr.type);
        if (ptr.kind !== BTF_KIND.PTR) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': values type is not a pointer: ${kindName(ptr.kind)}`);
        const target = btf.skipModsAndTypedefs(ptr.type);
        if (target.kind === BTF_KIND.FUNC_PROTO) {
          // A prog array's initial values: `__array(values, int (void *))`.
          if (m.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY)
            throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': should be a prog array to have function pointers in 'values'`);
          m.valueSize = 4;
          valueSizeSet = true;
          break;
        }
        if (target.kind !== BTF_KIND.STRUCT) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': values is not a pointer to a struct or a function: ${kindName(target.kind)}`);
        const isMapInMap = m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS || m.type === BPF_MAP_TYPE.BPF_MAP_TYPE_HASH_OF_MAPS;
        if (!isMapInMap) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': should be map-in-map (type given: ${mapTypeName(m.type)})`);
        m.valueSize = 4;
        valueSizeSet = true;
        m.inner = { ...parseBtfMapDef(btf, `${mapName}.inner`, target, true, place, warnings), kind: 'btf', secIndex: -1, secName: '', secOffset: 0 };
        break;
      }
      case 'pinning': {
        if (isInner) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': inner def can't be pinned`);
        const v = fieldInt(btf, mapName, member, place);
        if (v !== LIBBPF_PIN.NONE && v !== LIBBPF_PIN.BY_NAME) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': invalid pinning value ${v}`);
        m.pinning = v;
        break;
      }
      default:
        // libbpf 1.x: an unknown attribute fails the open (-ENOTSUP).
        throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': unknown field '${name}'`);
    }
  }
  if (m.type === 0) throw new ObjectFormatError('MAP_DEF', place, `map '${mapName}': map type isn't specified`);
  return m;
}

/** bpf_object__init_user_btf_maps(): every variable of the `.maps` DATASEC. */
export function collectBtfMaps(elf: ElfFile, btf: Btf | undefined, file: string, warnings: LoaderWarning[]): MapDef[] {
  const sec = elf.sectionByName('.maps');
  if (!sec) return [];
  const place = `${file}: section '.maps'`;
  if (!btf) throw new ObjectFormatError('MAP_DEF', place, 'BTF is required for BTF-defined maps, but the object has no usable .BTF section (compile with clang -g)');
  const datasec = btf.datasec('.maps');
  if (!datasec) throw new ObjectFormatError('MAP_DEF', place, "DATASEC '.maps' not found in .BTF");
  const out: MapDef[] = [];
  for (const v of datasec.vars) {
    const varT = btf.type(v.type);
    if (varT.kind !== BTF_KIND.VAR) throw new ObjectFormatError('MAP_DEF', place, `.maps entry [${v.type}] is ${kindName(varT.kind)}, not VAR`);
    const mapName = varT.name;
    const vplace = `${place} +0x${v.offset.toString(16)} (map '${mapName}')`;
    if (varT.linkage !== 'global' && varT.linkage !== 'static')
      throw new ObjectFormatError('MAP_DEF', vplace, `map '${mapName}': unsupported var linkage ${varT.linkage}`);
    const def = btf.skipModsAndTypedefs(varT.type);
    if (def.kind !== BTF_KIND.STRUCT) throw new ObjectFormatError('MAP_DEF', vplace, `map '${mapName}': unexpected def kind ${kindName(def.kind)}`);
    if (def.size > v.size) throw new ObjectFormatError('MAP_DEF', vplace, `map '${mapName}': invalid def size`);
    out.push({ ...parseBtfMapDef(btf, mapName, def, false, vplace, warnings), kind: 'btf', secIndex: sec.index, secName: '.maps', secOffset: v.offset });
  }
  // `.values = { [1] = &inner }`: R_BPF_64_ABS64 relocations in .rel.maps fill initial slots
  // (bpf_object__collect_map_relos).
  const rel = elf.relocSections.find((r) => r.target.index === sec.index);
  if (rel) {
    for (const r of rel.relocs) {
      const sym = elf.symbols[r.sym]!;
      const outer = [...out].reverse().find((m) => m.secOffset <= r.offset);
      const rplace = `${file}: section '.rel.maps' relocation at +0x${r.offset.toString(16)}`;
      if (!outer) throw new ObjectFormatError('ELF_RELOC', rplace, `.maps relo at offset ${r.offset} does not belong to any map`);
      if (!outer.inner && outer.type !== BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY)
        throw new ObjectFormatError('ELF_RELOC', rplace, `map '${outer.name}' is not a map-in-map or prog array, but has an initial value`);
      const varT = btf.type(datasec.vars.find((v) => v.offset === outer.secOffset)!.type);
      const def = varT.kind === BTF_KIND.VAR ? btf.skipModsAndTypedefs(varT.type) : undefined;
      const values = def?.kind === BTF_KIND.STRUCT ? def.members.find((m) => m.name === 'values') : undefined;
      if (!values) throw new ObjectFormatError('ELF_RELOC', rplace, `map '${outer.name}' has no 'values' member`);
      const slotOff = r.offset - outer.secOffset - values.bitOffset / 8;
      if (slotOff < 0 || slotOff % 8) throw new ObjectFormatError('ELF_RELOC', rplace, `map '${outer.name}': relocation is not at a 'values' slot`);
      (outer.initSlots ??= new Map()).set(slotOff / 8, sym.name);
    }
  }
  return out;
}

/** Legacy `struct bpf_map_def` in the `maps` section (libbpf 0.x's bpf_object__init_user_maps). */
export function collectLegacyMaps(elf: ElfFile, file: string, warnings: LoaderWarning[]): MapDef[] {
  const sec = elf.sectionByName('maps');
  if (!sec) return [];
  const place = `${file}: section 'maps'`;
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.name).sort((a, b) => a.value - b.value);
  if (!syms.length) return [];
  warnings.push({ code: 'LEGACY_MAPS', place, message: "legacy map definitions in the 'maps' section: libbpf 1.0 and later refuses them (use BTF-defined maps in '.maps'); bpfsim reads them as libbpf 0.x did" });
  if (sec.size % syms.length) throw new ObjectFormatError('MAP_DEF', place, `unable to determine map definition size: section ${sec.size} bytes, ${syms.length} maps`);
  const defSize = sec.size / syms.length;
  if (defSize < 20) throw new ObjectFormatError('MAP_DEF', place, `map definitions of ${defSize} bytes are shorter than struct bpf_map_def (20)`);
  const view = new DataView(sec.data.buffer, sec.data.byteOffset, sec.data.byteLength);
  return syms.map((s) => {
    if (s.value + defSize > sec.size) throw new ObjectFormatError('MAP_DEF', `${place} +0x${s.value.toString(16)}`, `map '${s.name}' definition runs past the section`);
    if (defSize > 20) {
      for (let i = s.value + 20; i < s.value + defSize; i++)
        if (sec.data[i]) throw new ObjectFormatError('MAP_DEF', `${place} +0x${i.toString(16)}`, `map '${s.name}': unknown non-zero fields in a definition longer than struct bpf_map_def`);
    }
    const u32 = (o: number): number => view.getUint32(s.value + o, true);
    return { name: s.name, kind: 'legacy' as const, type: u32(0), keySize: u32(4), valueSize: u32(8), maxEntries: u32(12), flags: u32(16), pinning: 0, secIndex: sec.index, secName: 'maps', secOffset: s.value };
  });
}

/** Which internal map a section becomes (libbpf's SEC_DATA / SEC_RODATA / SEC_BSS). */
export function dataSectionKind(s: ElfSection): 'data' | 'rodata' | 'bss' | undefined {
  if (s.flags & SHF_EXECINSTR) return undefined;
  if (s.type === SHT.NOBITS && (s.name === '.bss' || s.name.startsWith('.bss.'))) return 'bss';
  if (s.type !== SHT.PROGBITS || s.size === 0) return undefined;
  if (s.name === '.rodata' || s.name.startsWith('.rodata.')) return 'rodata';
  if (s.name === '.data' || s.name.startsWith('.data.')) return 'data';
  return undefined;
}

/**
 * internal_map_name(): the object's name, cut so the section name fits: the suffix counts at
 * least 7 characters, so the prefix is at most 8 (`single_i.rodata`, `dns_redi.bss`); a longer
 * section name (`.rodata.str1.1`) leaves less. Characters the kernel refuses become '_'.
 */
export function internalMapName(objName: string, secName: string): string {
  const sfxLen = Math.max(7, secName.length);
  const pfxLen = Math.max(0, Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objName.length));
  const name = (objName.slice(0, pfxLen) + secName.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/**
 * map_is_mmapable(): a data map is BPF_F_MMAPABLE when its DATASEC holds a variable that is
 * not static (something a skeleton can reach); `.rodata` of only string literals or static
 * locals (bpf_printk's format) is not.
 */
function dataSecMmapable(btf: Btf | undefined, secName: string): boolean {
  const ds = btf?.datasec(secName);
  if (!ds) return false;
  return ds.vars.some((v) => {
    const t = btf!.type(v.type);
    return t.kind === BTF_KIND.VAR && t.linkage !== 'static';
  });
}

/** bpf_object__init_global_data_maps(): one array map per data section, in section order. */
export function collectDataMaps(elf: ElfFile, objName: string, btf?: Btf): MapDef[] {
  const out: MapDef[] = [];
  for (const s of elf.sections) {
    const kind = dataSectionKind(s);
    if (!kind) continue;
    if (kind === 'bss' && s.size === 0) continue;
    // value_size is a __u32 (libbpf: mmap of the content buffer fails, -ENOMEM); only a
    // .bss (SHT_NOBITS, no bytes in the file) can claim more.
    if (s.size > 0xffffffff) throw new ObjectFormatError('MAP_DEF', `${elf.file}: section '${s.name}' (${s.index})`, `size ${s.size} does not fit a map's value_size (u32)`);
    const initData = new Uint8Array(s.size);
    if (kind !== 'bss') initData.set(s.data);
    out.push({
      name: internalMapName(objName, s.name),
      kind,
      type: BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags: (kind === 'rodata' ? BPF_F_RDONLY_PROG : 0) | (dataSecMmapable(btf, s.name) ? BPF_F_MMAPABLE : 0),
      pinning: 0,
      secIndex: s.index,
      secName: s.name,
      secOffset: 0,
      initData,
    });
  }
  return out;
}
