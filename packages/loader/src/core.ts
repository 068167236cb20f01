// CO-RE relocations: libbpf's relo_core.c (bpf_core_parse_spec, bpf_core_spec_match,
// bpf_core_calc_relo_insn, bpf_core_patch_insn) resolved against bpfsim's own kernel types
// instead of vmlinux BTF. The target is a Btf built from bpfsim's struct descriptions
// (buildTargetBtf): one flat struct per kernel object, each described field a member.
import { BPF_ALU, BPF_ALU64, BPF_B, BPF_CALL, BPF_DW, BPF_H, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W, LD_IMM64 } from '@bpfsim/isa';
import type { Insn } from '@bpfsim/isa';
import { BTF_INT, BTF_KIND, BtfBuilder, isAnyEnum, isComposite } from './btf';
import type { Btf, BtfComposite, BtfType } from './btf';
import type { CoreRelo } from './btf-ext';
import { ObjectFormatError } from './errors';

/** enum bpf_core_relo_kind */
export const BPF_CORE = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** core_relo_kind_str() */
export const BPF_CORE_KIND_STR: Readonly<Record<number, string>> = {
  0: 'byte_off',
  1: 'byte_sz',
  2: 'field_exists',
  3: 'signed',
  4: 'lshift_u64',
  5: 'rshift_u64',
  6: 'local_type_id',
  7: 'target_type_id',
  8: 'type_exists',
  9: 'type_size',
  10: 'enumval_exists',
  11: 'enumval_value',
  12: 'type_matches',
};

/** The helper id a poisoned instruction calls: 0xbad2310, "bad relo" (bpf_core_poison_insn). */
export const CORE_POISON_IMM = 195896080;

/** BPF_CORE_SPEC_MAX_LEN */
const SPEC_MAX_LEN = 64;
/** libbpf's recursion bound in __bpf_core_types_are_compat / __bpf_core_types_match */
const MAX_COMPAT_DEPTH = 32;

const isFieldBased = (k: number): boolean => k <= BPF_CORE.FIELD_RSHIFT_U64;
const isTypeBased = (k: number): boolean =>
  k === BPF_CORE.TYPE_ID_LOCAL || k === BPF_CORE.TYPE_ID_TARGET || k === BPF_CORE.TYPE_EXISTS || k === BPF_CORE.TYPE_MATCHES || k === BPF_CORE.TYPE_SIZE;
const isEnumvalBased = (k: number): boolean => k === BPF_CORE.ENUMVAL_EXISTS || k === BPF_CORE.ENUMVAL_VALUE;

// ---------------------------------------------------------------------------------------
// The target: bpfsim's kernel structs as BTF

export interface TargetStruct {
  name: string;
  size: number;
  fields: readonly { name: string; offset: number; size: number; signed?: boolean }[];
}

/** Btfs made by buildTargetBtf: matching against them applies the flattened-target rules below. */
const flattenedTargets = new WeakSet<Btf>();

/** KERNEL_STRUCTS-shaped layouts ({name, size, fields: {field: {offset, size}}}) as TargetStructs. */
export function targetStructsFromLayouts(
  layouts: Readonly<Record<string, { name: string; size: number; fields: Readonly<Record<string, { offset: number; size: number; signed?: boolean }>> }>>,
): TargetStruct[] {
  return Object.values(layouts).map((l) => ({
    name: l.name,
    size: l.size,
    fields: Object.entries(l.fields).map(([name, f]) => ({ name, offset: f.offset, size: f.size, ...(f.signed ? { signed: true } : {}) })),
  }));
}

/**
 * A BTF holding one struct per TargetStruct, each field a direct member: 1/2/4/8-byte fields
 * are INTs (signed if said), other sizes a byte array (opaque); 'x[0]'..'x[n-1]' of one size
 * and stride become one array member 'x'; dotted names ('a.b') keep their last part; names
 * that are not C identifiers are skipped. When two fields flatten to one name, the first wins.
 */
export function buildTargetBtf(structs: readonly TargetStruct[]): Btf {
  const b = new BtfBuilder();
  const ints = new Map<string, number>();
  const INT_NAMES: Record<number, [string, string]> = {
    1: ['unsigned char', 'signed char'],
    2: ['unsigned short', 'short'],
    4: ['unsigned int', 'int'],
    8: ['unsigned long long', 'long long'],
  };
  const intType = (size: number, signed: boolean): number => {
    const key = `${size}${signed ? 's' : 'u'}`;
    let id = ints.get(key);
    if (id === undefined) {
      const names = INT_NAMES[size]!;
      id = b.addInt(signed ? names[1] : names[0], size, { signed });
      ints.set(key, id);
    }
    return id;
  };
  const scalarOrBytes = (size: number, signed: boolean): number =>
    INT_NAMES[size] ? intType(size, signed) : b.addArray(intType(1, false), size, intType(4, false));

  for (const s of structs) {
    const place = `target struct ${s.name}`;
    const members: { name: string; type: number; bitOffset: number }[] = [];
    const seen = new Set<string>();
    const arrays = new Map<string, { idx: number; offset: number; size: number; signed: boolean }[]>();
    const order: { name: string; offset: number; make: () => number }[] = [];
    for (const f of s.fields) {
      if (!Number.isInteger(f.offset) || !Number.isInteger(f.size) || f.offset < 0 || f.size <= 0 || f.offset + f.size > s.size) {
        throw new ObjectFormatError('CORE_TARGET', place, `field '${f.name}' (${f.offset}+${f.size}) does not fit in ${s.size} bytes`);
      }
      const last = f.name.slice(f.name.lastIndexOf('.') + 1);
      const m = /^([A-Za-z_]\w*)\[(\d+)\]$/.exec(last);
      // names that are no C member ('family+1', 'dst_port padding': narrow-access entries) are left out
      if (!m && !/^[A-Za-z_]\w*$/.test(last)) continue;
      if (m) {
        const base = m[1]!;
        let elems = arrays.get(base);
        if (!elems) {
          arrays.set(base, (elems = []));
          order.push({ name: base, offset: f.offset, make: () => arrayMember(base) });
        }
        elems.push({ idx: Number(m[2]), offset: f.offset, size: f.size, signed: f.signed ?? false });
      } else {
        order.push({ name: last, offset: f.offset, make: () => scalarOrBytes(f.size, f.signed ?? false) });
      }
    }
    // 'x[i]' fields: an array of their element type when they are evenly laid out from x[0],
    // otherwise an opaque byte array covering them.
    const arrayOffset = new Map<string, number>();
    function arrayMember(base: string): number {
      const elems = arrays.get(base)!.sort((a, b) => a.idx - b.idx);
      const first = elems[0]!;
      const start = first.offset - first.idx * first.size;
      const even = start >= 0 && elems.every((e) => e.size === first.size && e.offset === start + e.idx * first.size);
      if (even && INT_NAMES[first.size]) {
        arrayOffset.set(base, start);
        return b.addArray(intType(first.size, first.signed), elems[elems.length - 1]!.idx + 1, intType(4, false));
      }
      const lo = Math.min(...elems.map((e) => e.offset));
      const hi = Math.max(...elems.map((e) => e.offset + e.size));
      arrayOffset.set(base, lo);
      return b.addArray(intType(1, false), hi - lo, intType(4, false));
    }
    for (const o of order) {
      if (seen.has(o.name)) continue;
      seen.add(o.name);
      const type = o.make();
      const offset = arrayOffset.get(o.name) ?? o.offset;
      members.push({ name: o.name, type, bitOffset: offset * 8 });
    }
    members.sort((a, b) => a.bitOffset - b.bitOffset);
    b.addStruct(s.name, s.size, members);
  }
  const btf = b.toBtf('<bpfsim kernel types>');
  flattenedTargets.add(btf);
  return btf;
}

// ---------------------------------------------------------------------------------------
// Specs (struct bpf_core_spec)

interface Accessor {
  /** The BTF this accessor's type id is in (the local one for an opaque tail, see matchFlattened). */
  btf: Btf;
  typeId: number;
  idx: number;
  /** Named member accessor; undefined for an array index. */
  name?: string;
  /** Bit offset from the root once this accessor is applied (bpfsim addition, for opaque tails). */
  bitOff: number;
}

interface Spec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  spec: Accessor[];
  raw: number[];
  bitOffset: number;
}

export interface CoreResult {
  poison: boolean;
  /** The value the compiler put in the instruction (orig_val), as a number. */
  local: number;
  /** The value for bpfsim's kernel (new_val), as a number. */
  target: number;
  /** Exact 64-bit values (ENUM64 values may not fit a double). */
  localValue: bigint;
  targetValue: bigint;
  /** Check the instruction holds `local` before patching (res->validate). */
  validate: boolean;
  /** Field sizes for LDX/ST/STX size adjustment (orig_sz, new_sz); 0 when not a field offset. */
  origSize: number;
  newSize: number;
  failMemszAdjust: boolean;
  /** The matched target type id, when one matched. */
  targetTypeId?: number;
  /** Why the instruction is poisoned, or how the target was found. */
  reason?: string;
}

/** bpf_core_essential_name_len(): 'sock___v2' -> 'sock' (X___Y with X, Y not underscores). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return name.slice(0, i + 1);
  }
  return name;
}

/** btf_kind_core_compat() */
const kindCompat = (a: BtfType, b: BtfType): boolean => a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));

class CoreError extends Error {}

function reloPlace(local: Btf, relo: CoreRelo): string {
  return `${local.where}: CO-RE relo <${BPF_CORE_KIND_STR[relo.kind] ?? relo.kind}> at insn #${relo.insnOff} [${relo.typeId}] '${relo.accessStr}'`;
}

/** Mirrors bpf_core_parse_spec(). Throws CoreError (turned into ObjectFormatError by the caller). */
function parseSpec(btf: Btf, relo: CoreRelo): Spec {
  const s = relo.accessStr;
  if (s === '' || s.startsWith(':')) throw new CoreError(`invalid access string '${s}'`);
  const spec: Spec = { btf, rootTypeId: relo.typeId, kind: relo.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeBased(relo.kind)) {
    if (s !== '0') throw new CoreError(`type-based relocation needs access string '0', has '${s}'`);
    return spec;
  }
  for (const part of s.split(':')) {
    if (!/^\d+$/.test(part)) throw new CoreError(`invalid access string '${s}'`);
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreError(`access string longer than ${SPEC_MAX_LEN}`);
    spec.raw.push(Number(part));
  }
  const rootType = btf.type(relo.typeId);
  let t = btf.skipModsAndTypedefs(relo.typeId);
  let id = t.id;
  const first = spec.raw[0]!;
  if (isEnumvalBased(relo.kind)) {
    if (!isAnyEnum(t) || spec.raw.length > 1 || first >= t.values.length) throw new CoreError(`enum value access '${s}' does not name an enumerator of [${rootType.id}]`);
    spec.spec.push({ btf, typeId: id, idx: first, name: t.values[first]!.name, bitOff: 0 });
    return spec;
  }
  if (!isFieldBased(relo.kind)) throw new CoreError(`unknown relocation kind ${relo.kind}`);
  const rootSize = btf.tryResolveSize(id);
  if (rootSize === undefined) throw new CoreError(`root type [${id}] has no size`);
  spec.bitOffset = first * rootSize * 8;
  spec.spec.push({ btf, typeId: id, idx: first, bitOff: spec.bitOffset });
  for (let i = 1; i < spec.raw.length; i++) {
    t = btf.skipModsAndTypedefs(id);
    id = t.id;
    const idx = spec.raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) throw new CoreError(`member index ${idx} out of range for [${id}] (${t.members.length} members)`);
      spec.bitOffset += m.bitOffset;
      if (m.name !== '') spec.spec.push({ btf, typeId: id, idx, name: m.name, bitOff: spec.bitOffset });
      id = m.type;
    } else if (t.kind === BTF_KIND.ARRAY) {
      const elem = btf.skipModsAndTypedefs(t.type);
      const flex = isFlexArr(btf, spec.spec[spec.spec.length - 1], t.nelems);
      if (!flex && idx >= t.nelems) throw new CoreError(`array index ${idx} out of range for [${id}] (${t.nelems} elements)`);
      id = elem.id;
      const sz = btf.tryResolveSize(id);
      if (sz === undefined) throw new CoreError(`array element [${id}] has no size`);
      spec.bitOffset += idx * sz * 8;
      spec.spec.push({ btf, typeId: id, idx, bitOff: spec.bitOffset });
    } else {
      throw new CoreError(`access at index ${i} captures type [${id}] of unexpected kind ${t.kind}`);
    }
    if (spec.spec.length > SPEC_MAX_LEN) throw new CoreError('spec too long');
  }
  return spec;
}

/** is_flex_arr(): a zero-length array as the last member of its struct. */
function isFlexArr(btf: Btf, acc: Accessor | undefined, nelems: number): boolean {
  if (!acc?.name || nelems > 0) return false;
  const t = acc.btf.type(acc.typeId);
  return isComposite(t) && acc.idx === t.members.length - 1 && acc.btf === btf;
}

// ---------------------------------------------------------------------------------------
// Compatibility

/**
 * bpf_core_fields_are_compat(), plus the flattened-target rule: bpfsim's target describes
 * fields only by size, so a target INT stands for any scalar (int, enum, pointer, float) and
 * a target byte array (or INT) for any struct/union — what is inside it is trusted to the
 * local layout (see matchFlattened).
 */
function fieldsAreCompat(local: Btf, localId: number, targ: Btf, targId: number, flat: boolean): number {
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    const lt = local.skipModsAndTypedefs(localId);
    const tt = targ.skipModsAndTypedefs(targId);
    if (isComposite(lt) && isComposite(tt)) return 1;
    if (flat) {
      if (tt.kind === BTF_KIND.INT) return lt.kind === BTF_KIND.INT || isAnyEnum(lt) || lt.kind === BTF_KIND.PTR || lt.kind === BTF_KIND.FLOAT || isComposite(lt) ? 1 : 0;
      if (tt.kind === BTF_KIND.ARRAY && isComposite(lt) && isOpaque(targ, tt.id)) return 1;
    }
    if (!kindCompat(lt, tt)) return 0;
    switch (lt.kind) {
      case BTF_KIND.PTR:
      case BTF_KIND.FLOAT:
        return 1;
      case BTF_KIND.FWD:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64: {
        const ln = essentialName(lt.name);
        const tn = essentialName(tt.name);
        return ln === '' || tn === '' || ln === tn ? 1 : 0;
      }
      case BTF_KIND.INT:
        return lt.bitsOffset === 0 && (tt as typeof lt).bitsOffset === 0 ? 1 : 0;
      case BTF_KIND.ARRAY:
        localId = lt.type;
        targId = (tt as typeof lt).type;
        continue;
      default:
        return 0;
    }
  }
  return -1;
}

/** A flattened-target member with no inner structure: an INT or a byte array. */
function isOpaque(btf: Btf, id: number): boolean {
  const t = btf.skipModsAndTypedefs(id);
  if (t.kind === BTF_KIND.INT) return true;
  if (t.kind !== BTF_KIND.ARRAY) return false;
  const e = btf.skipModsAndTypedefs(t.type);
  return e.kind === BTF_KIND.INT && e.size === 1;
}

/** __bpf_core_types_are_compat() (TYPE_EXISTS, TYPE_SIZE, TYPE_ID_TARGET). */
function typesAreCompat(local: Btf, localId: number, targ: Btf, targId: number, level: number): number {
  if (!kindCompat(local.type(localId), targ.type(targId))) return 0;
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    const lt = local.skipModsAndTypedefs(localId);
    const tt = targ.skipModsAndTypedefs(targId);
    if (!kindCompat(lt, tt)) return 0;
    switch (lt.kind) {
      case BTF_KIND.UNKN:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
      case BTF_KIND.FWD:
        return 1;
      case BTF_KIND.INT:
        return lt.bitsOffset === 0 && (tt as typeof lt).bitsOffset === 0 ? 1 : 0;
      case BTF_KIND.PTR:
        localId = lt.type;
        targId = (tt as typeof lt).type;
        continue;
      case BTF_KIND.ARRAY:
        localId = lt.type;
        targId = (tt as typeof lt).type;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        const tp = tt as typeof lt;
        if (lt.params.length !== tp.params.length) return 0;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) return -1;
          const r = typesAreCompat(local, local.skipModsAndTypedefs(lt.params[i]!.type).id, targ, targ.skipModsAndTypedefs(tp.params[i]!.type).id, level - 1);
          if (r <= 0) return r;
        }
        localId = local.skipModsAndTypedefs(lt.returnType).id;
        targId = targ.skipModsAndTypedefs(tp.returnType).id;
        continue;
      }
      default:
        return 0;
    }
  }
  return -1;
}

/** bpf_core_names_match() */
function namesMatch(ln: string, tn: string): boolean {
  if (tn === '') return ln === '';
  return essentialName(ln) === essentialName(tn);
}

/** __bpf_core_types_match() (TYPE_MATCHES). */
function typesMatch(local: Btf, localId: number, targ: Btf, targId: number, behindPtr: boolean, level: number): number {
  if (level <= 0) return -1;
  for (let depth = 0; depth < MAX_COMPAT_DEPTH; depth++) {
    const lt = local.skipModsAndTypedefs(localId);
    const tt = targ.skipModsAndTypedefs(targId);
    if (!namesMatch(lt.name, tt.name)) return 0;
    switch (lt.kind) {
      case BTF_KIND.UNKN:
        return tt.kind === lt.kind ? 1 : 0;
      case BTF_KIND.FWD:
        if (behindPtr) {
          if (tt.kind === BTF_KIND.FWD) return lt.union === tt.union ? 1 : 0;
          return (tt.kind === BTF_KIND.STRUCT && !lt.union) || (tt.kind === BTF_KIND.UNION && lt.union) ? 1 : 0;
        }
        return tt.kind === BTF_KIND.FWD && tt.union === lt.union ? 1 : 0;
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
        if (!isAnyEnum(tt) || lt.size !== tt.size || lt.values.length > tt.values.length) return 0;
        return lt.values.every((v) => tt.values.some((w) => namesMatch(v.name, w.name))) ? 1 : 0;
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        if (behindPtr) {
          if (tt.kind === lt.kind) return 1;
          if (tt.kind !== BTF_KIND.FWD) return 0;
          return (lt.kind === BTF_KIND.UNION) === tt.union ? 1 : 0;
        }
        if (tt.kind !== lt.kind) return 0;
        if (lt.members.length > tt.members.length) return 0;
        for (const lm of lt.members) {
          let matched = false;
          for (const tm of tt.members) {
            if (!namesMatch(lm.name, tm.name)) continue;
            const r = typesMatch(local, lm.type, targ, tm.type, behindPtr, level - 1);
            if (r < 0) return r;
            if (r > 0) {
              matched = true;
              break;
            }
          }
          if (!matched) return 0;
        }
        return 1;
      case BTF_KIND.INT:
        if (tt.kind !== BTF_KIND.INT) return 0;
        return lt.size === tt.size && (lt.encoding & BTF_INT.SIGNED) === (tt.encoding & BTF_INT.SIGNED) ? 1 : 0;
      case BTF_KIND.PTR:
        if (tt.kind !== BTF_KIND.PTR) return 0;
        behindPtr = true;
        localId = lt.type;
        targId = tt.type;
        continue;
      case BTF_KIND.ARRAY:
        if (tt.kind !== BTF_KIND.ARRAY || lt.nelems !== tt.nelems) return 0;
        localId = lt.type;
        targId = tt.type;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        if (tt.kind !== BTF_KIND.FUNC_PROTO || lt.params.length !== tt.params.length) return 0;
        for (let i = 0; i < lt.params.length; i++) {
          const r = typesMatch(local, lt.params[i]!.type, targ, tt.params[i]!.type, behindPtr, level - 1);
          if (r <= 0) return r;
        }
        localId = lt.returnType;
        targId = tt.returnType;
        continue;
      }
      default:
        return 0;
    }
  }
  return -1;
}

// ---------------------------------------------------------------------------------------
// Matching a local spec against a candidate (bpf_core_spec_match)

/**
 * bpf_core_match_member(): find the local accessor's member by name in target struct
 * `targId`, looking into anonymous embedded structs/unions. Pushes the target accessor and
 * adds the member's bit offset; returns the member's type id, 0 for no match, -1 for error.
 */
function matchMember(local: Btf, lacc: Accessor, targ: Btf, targId: number, ts: Spec, flat: boolean): { found: number; next: number } {
  const tt = targ.skipModsAndTypedefs(targId);
  if (!isComposite(tt)) return { found: 0, next: 0 };
  const lt = local.type(lacc.typeId) as BtfComposite;
  const lm = lt.members[lacc.idx]!;
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i]!;
    if (ts.raw.length === SPEC_MAX_LEN) return { found: -1, next: 0 };
    ts.bitOffset += m.bitOffset;
    ts.raw.push(i);
    if (m.name === '') {
      const r = matchMember(local, lacc, targ, m.type, ts, flat);
      if (r.found !== 0) return r;
    } else if (m.name === lm.name) {
      ts.spec.push({ btf: targ, typeId: tt.id, idx: i, name: m.name, bitOff: ts.bitOffset });
      const found = fieldsAreCompat(local, lm.type, targ, m.type, flat);
      if (found === 0) ts.spec.pop();
      return { found, next: m.type };
    }
    ts.bitOffset -= m.bitOffset;
    ts.raw.pop();
  }
  return { found: 0, next: 0 };
}

/**
 * The high-level accessors local.spec[from..] walked from target type `targId` (its accessor
 * `from - 1` already in `ts`), as the loop in bpf_core_spec_match(). Returns 1 matched,
 * 0 not, -1 error; on 0, `stop` says which local accessor failed and the target type there.
 */
function matchFrom(ls: Spec, from: number, targ: Btf, targId: number, ts: Spec, flat: boolean): { r: number; stop?: number; at?: number } {
  for (let i = from; i < ls.spec.length; i++) {
    const lacc = ls.spec[i]!;
    const tt = targ.skipModsAndTypedefs(targId);
    targId = tt.id;
    if (lacc.name !== undefined) {
      const m = matchMember(ls.btf, lacc, targ, targId, ts, flat);
      if (m.found <= 0) return { r: m.found, stop: i, at: targId };
      targId = m.next;
    } else {
      if (i > 0) {
        if (tt.kind !== BTF_KIND.ARRAY) return { r: 0, stop: i, at: targId };
        // flattened target: an opaque byte array indexed as the local's wider elements
        // (`__u32 cb[5]` described as 20 bytes) is not indexed by bytes
        if (flat && ls.btf.tryResolveSize(lacc.typeId) !== targ.tryResolveSize(tt.type)) return { r: 0, stop: i, at: targId };
        const flex = isFlexArr(targ, ts.spec[ts.spec.length - 1], tt.nelems);
        if (!flex && lacc.idx >= tt.nelems) return { r: 0, stop: i, at: targId };
        targId = targ.skipModsAndTypedefs(tt.type).id;
      }
      if (ts.raw.length === SPEC_MAX_LEN) return { r: -1 };
      const sz = targ.tryResolveSize(targId);
      if (sz === undefined) return { r: -1 };
      ts.bitOffset += lacc.idx * sz * 8;
      ts.raw.push(lacc.idx);
      ts.spec.push({ btf: targ, typeId: targId, idx: lacc.idx, bitOff: ts.bitOffset });
    }
  }
  return { r: 1 };
}

const emptySpec = (btf: Btf, rootTypeId: number, kind: number): Spec => ({ btf, rootTypeId, kind, spec: [], raw: [], bitOffset: 0 });

/**
 * bpf_core_spec_match(): 1 and the target spec if `targId` satisfies the local spec, 0 if
 * not, -1 on malformed input.
 */
function specMatch(ls: Spec, targ: Btf, targId: number, flat: boolean): { r: number; ts: Spec; how?: string } {
  const ts = emptySpec(targ, targId, ls.kind);
  if (isTypeBased(ls.kind)) {
    const r =
      ls.kind === BPF_CORE.TYPE_MATCHES
        ? typesMatch(ls.btf, ls.rootTypeId, targ, targId, false, MAX_COMPAT_DEPTH)
        : typesAreCompat(ls.btf, ls.rootTypeId, targ, targId, MAX_COMPAT_DEPTH);
    return { r, ts };
  }
  const lacc0 = ls.spec[0]!;
  if (isEnumvalBased(ls.kind)) {
    const tt = targ.skipModsAndTypedefs(targId);
    if (!isAnyEnum(tt)) return { r: 0, ts };
    const want = essentialName(lacc0.name!);
    const i = tt.values.findIndex((v) => essentialName(v.name) === want);
    if (i < 0) return { r: 0, ts };
    ts.spec.push({ btf: targ, typeId: tt.id, idx: i, name: tt.values[i]!.name, bitOff: 0 });
    ts.raw.push(i);
    return { r: 1, ts };
  }
  if (!isFieldBased(ls.kind)) return { r: -1, ts };
  const m = matchFrom(ls, 0, targ, targId, ts, flat);
  if (m.r !== 0 || !flat) return { r: m.r, ts };
  return matchFlattened(ls, targ, targId);
}

/**
 * bpfsim's rule for its flattened target (libbpf has no such step): bpfsim describes each
 * kernel object as one flat struct, so a path through embedded structs in the LOCAL type,
 * e.g. `sk->__sk_common.skc_num` (local `struct sock { struct sock_common __sk_common; }`),
 * does not exist in the target, whose `sock` has `skc_num` directly. When the full path does
 * not match, the named members of the local path are tried from the innermost outwards:
 * the first one the target root has (by name, compatible type) is matched there and the rest
 * of the path continues from it as libbpf would. If the rest cannot continue because the
 * target member is opaque (an INT or a byte array, e.g. `skc_v6_daddr` for a local
 * `struct in6_addr`), the offset inside it comes from the local layout.
 */
function matchFlattened(ls: Spec, targ: Btf, targId: number): { r: number; ts: Spec; how?: string } {
  const lacc0 = ls.spec[0]!;
  const root = targ.skipModsAndTypedefs(targId);
  const rootSize = targ.tryResolveSize(root.id);
  if (rootSize === undefined) return { r: -1, ts: emptySpec(targ, targId, ls.kind) };
  for (let k = ls.spec.length - 1; k >= 1; k--) {
    const lacc = ls.spec[k]!;
    if (lacc.name === undefined) continue;
    const ts = emptySpec(targ, targId, ls.kind);
    ts.bitOffset = lacc0.idx * rootSize * 8;
    ts.raw.push(lacc0.idx);
    ts.spec.push({ btf: targ, typeId: root.id, idx: lacc0.idx, bitOff: ts.bitOffset });
    const m = matchMember(ls.btf, lacc, targ, root.id, ts, true);
    if (m.found < 0) return { r: -1, ts };
    if (m.found === 0) continue;
    const how = `flattened: '${lacc.name}' found in target '${root.name}'`;
    const rest = matchFrom(ls, k + 1, targ, m.next, ts, true);
    if (rest.r !== 0) return { r: rest.r, ts, how };
    // The rest stopped inside an opaque member: trust the local layout within it.
    if (rest.stop !== undefined && rest.at !== undefined && isOpaque(targ, rest.at)) {
      const inner = ls.spec[rest.stop - 1]!;
      const delta = ls.bitOffset - inner.bitOff;
      if (delta >= (targ.tryResolveSize(rest.at) ?? 0) * 8) continue;
      ts.bitOffset += delta;
      for (const a of ls.spec.slice(rest.stop)) ts.spec.push({ ...a });
      return { r: 1, ts, how: `${how}; inside it the local layout is used` };
    }
  }
  return { r: 0, ts: emptySpec(targ, targId, ls.kind) };
}

// ---------------------------------------------------------------------------------------
// Values (bpf_core_calc_*_relo)

interface FieldVal {
  val: bigint;
  size: number;
  type?: BtfType;
  validate: boolean;
}
const POISON = 'poison' as const;

/** bpf_core_calc_field_relo() */
function calcFieldRelo(kind: number, spec: Spec | undefined): FieldVal | typeof POISON {
  if (kind === BPF_CORE.FIELD_EXISTS) return { val: spec ? 1n : 0n, size: 0, validate: true };
  if (!spec) return POISON;
  const acc = spec.spec[spec.spec.length - 1]!;
  const btf = acc.btf;
  const size = (id: number): number => {
    const sz = btf.tryResolveSize(id);
    if (sz === undefined) throw new CoreError(`type [${id}] has no size`);
    return sz;
  };
  /** Element type of (nested) arrays: for arrays the load size is the element's. */
  const innermost = (id: number): BtfType => {
    let t = btf.skipModsAndTypedefs(id);
    for (let i = 0; i < MAX_COMPAT_DEPTH && t.kind === BTF_KIND.ARRAY; i++) t = btf.skipModsAndTypedefs(t.type);
    return t;
  };
  if (acc.name === undefined) {
    if (kind === BPF_CORE.FIELD_BYTE_OFFSET) {
      const e = innermost(acc.typeId);
      return { val: BigInt(Math.floor(spec.bitOffset / 8)), size: size(e.id), type: btf.type(acc.typeId), validate: true };
    }
    if (kind === BPF_CORE.FIELD_BYTE_SIZE) return { val: BigInt(size(acc.typeId)), size: 0, validate: true };
    throw new CoreError(`relocation kind ${BPF_CORE_KIND_STR[kind]} can't be applied to array access`);
  }
  const t = btf.type(acc.typeId) as BtfComposite;
  const m = t.members[acc.idx]!;
  const mt = btf.skipModsAndTypedefs(m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = 'size' in mt ? mt.size : 0;
    if (byteSz <= 0) throw new CoreError(`bitfield '${m.name}' has no integer type`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    // smallest load covering the bitfield
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreError(`bitfield '${m.name}' can't be read with a 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = size(mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  const validate = !bitfield;
  switch (kind) {
    case BPF_CORE.FIELD_BYTE_OFFSET: {
      if (bitfield) return { val: BigInt(byteOff), size: 0, validate };
      const e = innermost(mt.id);
      return { val: BigInt(byteOff), size: size(e.id), type: mt, validate };
    }
    case BPF_CORE.FIELD_BYTE_SIZE:
      return { val: BigInt(byteSz), size: 0, validate };
    case BPF_CORE.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && mt.signed) || (mt.kind === BTF_KIND.INT && (mt.encoding & BTF_INT.SIGNED) !== 0);
      return { val: signed ? 1n : 0n, size: 0, validate: true };
    }
    case BPF_CORE.FIELD_LSHIFT_U64:
      return { val: BigInt(64 - (bitOff + bitSz - byteOff * 8)), size: 0, validate };
    case BPF_CORE.FIELD_RSHIFT_U64:
      return { val: BigInt(64 - bitSz), size: 0, validate: true };
    default:
      throw new CoreError(`unrecognized CO-RE relocation kind ${kind}`);
  }
}

/** bpf_core_calc_type_relo() */
function calcTypeRelo(kind: number, spec: Spec | undefined): { val: bigint; validate: boolean } {
  if (!spec) return { val: 0n, validate: true };
  switch (kind) {
    case BPF_CORE.TYPE_ID_TARGET:
      // ids may change at link time: libbpf does not check the instruction's value
      return { val: BigInt(spec.rootTypeId), validate: false };
    case BPF_CORE.TYPE_EXISTS:
    case BPF_CORE.TYPE_MATCHES:
      return { val: 1n, validate: true };
    case BPF_CORE.TYPE_SIZE: {
      const sz = spec.btf.tryResolveSize(spec.rootTypeId);
      if (sz === undefined) throw new CoreError(`type [${spec.rootTypeId}] has no size`);
      return { val: BigInt(sz), validate: true };
    }
    default:
      throw new CoreError(`unrecognized CO-RE relocation kind ${kind}`);
  }
}

/** bpf_core_calc_enumval_relo() */
function calcEnumvalRelo(kind: number, spec: Spec | undefined): bigint | typeof POISON {
  if (kind === BPF_CORE.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (!spec) return POISON;
  const acc = spec.spec[0]!;
  const t = acc.btf.type(acc.typeId);
  return isAnyEnum(t) ? BigInt.asUintN(64, t.values[acc.idx]!.value) : 0n;
}

const u64ToNumber = (v: bigint): number => Number(v);

/** bpf_core_calc_relo(): local and target values of one candidate (or of none). */
function calcRelo(relo: CoreRelo, ls: Spec, ts: Spec | undefined): CoreResult {
  const res: CoreResult = {
    poison: false,
    local: 0,
    target: 0,
    localValue: 0n,
    targetValue: 0n,
    validate: true,
    origSize: 0,
    newSize: 0,
    failMemszAdjust: false,
  };
  const set = (o: bigint, n: bigint): void => {
    res.localValue = o;
    res.targetValue = n;
    res.local = u64ToNumber(o);
    res.target = u64ToNumber(n);
  };
  if (isFieldBased(relo.kind)) {
    const o = calcFieldRelo(relo.kind, ls);
    if (o === POISON) throw new CoreError('local spec has no field');
    const n = calcFieldRelo(relo.kind, ts);
    if (n === POISON) {
      res.poison = true;
      res.localValue = o.val;
      res.local = u64ToNumber(o.val);
      return res;
    }
    set(o.val, n.val);
    res.validate = o.validate;
    res.origSize = o.size;
    res.newSize = n.size;
    if (o.size !== n.size && o.type && n.type) {
      // Changing the load size is safe only for pointers and unsigned integers (zero extension).
      const ot = o.type;
      const nt = n.type;
      const ok =
        (ot.kind === BTF_KIND.PTR && nt.kind === BTF_KIND.PTR) ||
        (ot.kind === BTF_KIND.INT && nt.kind === BTF_KIND.INT && ot.encoding !== BTF_INT.SIGNED && nt.encoding !== BTF_INT.SIGNED) ||
        // flattened target: a local pointer described as an unsigned INT is still a zero-extended address
        (ot.kind === BTF_KIND.PTR && nt.kind === BTF_KIND.INT && nt.encoding !== BTF_INT.SIGNED && ts !== undefined && flattenedTargets.has(ts.btf));
      if (!ok) res.failMemszAdjust = true;
    }
  } else if (isTypeBased(relo.kind)) {
    const o = calcTypeRelo(relo.kind, ls);
    const n = calcTypeRelo(relo.kind, ts);
    set(o.val, n.val);
    res.validate = o.validate;
  } else if (isEnumvalBased(relo.kind)) {
    const o = calcEnumvalRelo(relo.kind, ls);
    const n = calcEnumvalRelo(relo.kind, ts);
    if (o === POISON) throw new CoreError('local spec has no enumerator');
    if (n === POISON) {
      res.poison = true;
      res.localValue = o;
      res.local = u64ToNumber(o);
      return res;
    }
    set(o, n);
  } else {
    throw new CoreError(`unrecognized CO-RE relocation kind ${relo.kind}`);
  }
  return res;
}

/**
 * Resolves one CO-RE relocation against `target` (bpfsim's kernel types). Mirrors
 * bpf_core_calc_relo_insn() with the candidate search of bpf_core_find_cands()/
 * bpf_core_add_cands(): candidates are target types of a compatible kind whose name equals
 * the local one without its ___flavor suffix. No match poisons the instruction, except the
 * *_EXISTS kinds (0) and the type-based kinds (0). Malformed input or an ambiguous match is
 * an ObjectFormatError 'CORE_RELO'.
 */
export function calcCoreRelo(relo: CoreRelo, local: Btf, target: Btf, opts: { flattenedTarget?: boolean } = {}): CoreResult {
  const place = reloPlace(local, relo);
  const flat = opts.flattenedTarget ?? flattenedTargets.has(target);
  try {
    const localType = local.type(relo.typeId);
    const ls = parseSpec(local, relo);
    if (relo.kind === BPF_CORE.TYPE_ID_LOCAL) {
      const id = BigInt(ls.rootTypeId);
      return { poison: false, local: ls.rootTypeId, target: ls.rootTypeId, localValue: id, targetValue: id, validate: false, origSize: 0, newSize: 0, failMemszAdjust: false };
    }
    if (localType.name === '') throw new CoreError(`<${BPF_CORE_KIND_STR[relo.kind]}> relocation doesn't support anonymous types`);
    const want = essentialName(localType.name);
    let chosen: { res: CoreResult; ts: Spec } | undefined;
    const tried: string[] = [];
    for (const cand of target.types) {
      if (cand.id === 0 || cand.name === '' || !kindCompat(cand, localType) || essentialName(cand.name) !== want) continue;
      const m = specMatch(ls, target, cand.id, flat);
      if (m.r < 0) throw new CoreError(`error matching candidate [${cand.id}] ${cand.name}`);
      if (m.r === 0) {
        tried.push(`[${cand.id}] ${cand.name}`);
        continue;
      }
      const res = calcRelo(relo, ls, m.ts);
      res.targetTypeId = cand.id;
      res.reason = m.how ?? `matched target [${cand.id}] ${cand.name}`;
      if (!chosen) {
        chosen = { res, ts: m.ts };
      } else if (m.ts.bitOffset !== chosen.ts.bitOffset) {
        throw new CoreError(`field offset ambiguity: ${m.ts.bitOffset} != ${chosen.ts.bitOffset}`);
      } else if (res.poison !== chosen.res.poison || res.targetValue !== chosen.res.targetValue) {
        throw new CoreError(`relocation decision ambiguity: ${res.targetValue} != ${chosen.res.targetValue}`);
      }
    }
    if (chosen) return chosen.res;
    const res = calcRelo(relo, ls, undefined);
    const what = tried.length === 0 ? `no target type named '${want}'` : `no match in ${tried.join(', ')}`;
    res.reason = res.poison ? `${what}: instruction poisoned` : what;
    return res;
  } catch (e) {
    if (e instanceof CoreError) throw new ObjectFormatError('CORE_RELO', place, e.message);
    if (e instanceof ObjectFormatError) throw new ObjectFormatError('CORE_RELO', place, e.message.slice(e.place.length + 2));
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// Patching (bpf_core_patch_insn)

const BPF_CLASS = (code: number): number => code & 0x07;
const BPF_SIZE = (code: number): number => code & 0x18;
const BPF_MODE = (code: number): number => code & 0xe0;
const BPF_SRC = (code: number): number => code & 0x08;

/** insn_bpf_size_to_bytes() */
const SIZE_BYTES: Readonly<Record<number, number>> = { [BPF_DW]: 8, [BPF_W]: 4, [BPF_H]: 2, [BPF_B]: 1 };
/** insn_bytes_to_bpf_size() */
const BYTES_SIZE: Readonly<Record<number, number>> = { 8: BPF_DW, 4: BPF_W, 2: BPF_H, 1: BPF_B };

/** bpf_core_poison_insn(): `call 0xbad2310`, which the verifier rejects as "invalid func unknown#195896080". */
function poisonInsn(insn: Insn): void {
  insn.code = BPF_JMP | BPF_CALL;
  insn.dst = 0;
  insn.src = 0;
  insn.off = 0;
  insn.imm = CORE_POISON_IMM;
}

/**
 * Applies a resolved relocation to `insns[idx]` (slots, as the kernel holds them). Mirrors
 * bpf_core_patch_insn(): ALU/ALU64 with K source get imm, LDX/ST/STX get off (and, for
 * LDX/ST/STX whose field size changed, the access size), LD_IMM64 gets both imm halves.
 * The instruction must hold the local value first ("unexpected insn" otherwise).
 */
export function patchCoreInsn(insns: Insn[], idx: number, relo: CoreRelo, res: CoreResult, where: string): void {
  const place = `${where}: CO-RE relo <${BPF_CORE_KIND_STR[relo.kind] ?? relo.kind}> at insn #${idx}`;
  const fail = (msg: string): never => {
    throw new ObjectFormatError('CORE_RELO', place, msg);
  };
  const insn = insns[idx];
  if (!insn) return fail(`instruction #${idx} is beyond the program (${insns.length} instructions)`);
  const poison = (): void => {
    // poison the second slot of ld_imm64 too, so the verifier does not stop at "unknown opcode 00"
    if (insn.code === LD_IMM64 && insns[idx + 1]) poisonInsn(insns[idx + 1]!);
    poisonInsn(insn);
  };
  if (res.poison) return poison();
  const orig = BigInt.asUintN(64, res.localValue);
  const nv = BigInt.asUintN(64, res.targetValue);
  switch (BPF_CLASS(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      if (BPF_SRC(insn.code) !== BPF_K) fail(`ALU instruction (code 0x${insn.code.toString(16)}) has no immediate to relocate`);
      if (res.validate && BigInt.asUintN(64, BigInt(insn.imm)) !== orig) fail(`unexpected insn #${idx} (ALU/ALU64) value: got ${insn.imm}, exp ${orig} -> ${nv}`);
      insn.imm = Number(BigInt.asIntN(32, nv));
      return;
    case BPF_LDX:
    case BPF_ST:
    case BPF_STX: {
      if (res.validate && BigInt.asUintN(64, BigInt(insn.off)) !== orig) fail(`unexpected insn #${idx} (LDX/ST/STX) value: got ${insn.off}, exp ${orig} -> ${nv}`);
      if (nv > 0x7fffn) fail(`insn #${idx} (LDX/ST/STX) value too big: ${nv}`);
      if (res.failMemszAdjust) {
        // libbpf warns "accesses field incorrectly" and poisons
        poison();
        return;
      }
      insn.off = Number(nv);
      if (res.newSize !== res.origSize) {
        const bytes = SIZE_BYTES[BPF_SIZE(insn.code)];
        if (bytes !== res.origSize) fail(`insn #${idx} (LDX/ST/STX) unexpected mem size: got ${bytes}, exp ${res.origSize}`);
        const size = BYTES_SIZE[res.newSize];
        if (size === undefined) fail(`insn #${idx} (LDX/ST/STX) invalid new mem size: ${res.newSize}`);
        insn.code = BPF_MODE(insn.code) | size! | BPF_CLASS(insn.code);
      }
      return;
    }
    case BPF_LD: {
      const hi = insns[idx + 1];
      if (insn.code !== LD_IMM64 || insn.src !== 0 || insn.off !== 0 || !hi || hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) {
        fail(`insn #${idx} (LDIMM64) has unexpected form`);
      }
      const imm = (BigInt(hi!.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      if (res.validate && imm !== orig) fail(`unexpected insn #${idx} (LDIMM64) value: got ${imm}, exp ${orig} -> ${nv}`);
      insn.imm = Number(BigInt.asIntN(32, nv));
      hi!.imm = Number(BigInt.asIntN(32, nv >> 32n));
      return;
    }
    default:
      fail(`trying to relocate unrecognized insn #${idx}, code 0x${insn.code.toString(16)}`);
  }
}
