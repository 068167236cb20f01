// The .BTF section: type and string sections as include/uapi/linux/btf.h lays them out,
// parsed into a model and checked the way the kernel's btf_parse() checks them
// (btf_parse_hdr, btf_parse_str_sec, btf_check_all_metas, btf_check_all_types), so a
// malformed section fails here with a place and a reason instead of later.
import { uapiName } from '@bpfsim/isa';
import { ObjectFormatError } from './errors';

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** sizeof(struct btf_header) */
export const BTF_HDR_SIZE = 24;

export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKind = (typeof BTF_KIND)[keyof typeof BTF_KIND];
const NR_BTF_KINDS = 20;

/** BTF_INT_ENCODING bits. */
export const BTF_INT = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** enum btf_func_linkage / btf_var_linkage share the numbers 0..2. */
export const BTF_LINKAGE = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
export type BtfLinkage = 'static' | 'global' | 'extern';
const LINKAGE_NAMES: readonly BtfLinkage[] = ['static', 'global', 'extern'];

interface TypeBase {
  id: number;
  name: string;
}
export interface BtfVoid extends TypeBase {
  kind: typeof BTF_KIND.UNKN;
}
export interface BtfInt extends TypeBase {
  kind: typeof BTF_KIND.INT;
  size: number;
  /** BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL */
  encoding: number;
  bitsOffset: number;
  bits: number;
}
export interface BtfRef extends TypeBase {
  kind:
    | typeof BTF_KIND.PTR
    | typeof BTF_KIND.TYPEDEF
    | typeof BTF_KIND.VOLATILE
    | typeof BTF_KIND.CONST
    | typeof BTF_KIND.RESTRICT
    | typeof BTF_KIND.TYPE_TAG;
  type: number;
}
export interface BtfArray extends TypeBase {
  kind: typeof BTF_KIND.ARRAY;
  type: number;
  indexType: number;
  nelems: number;
}
export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  /** 0 unless the struct has kflag set and this member is a bitfield. */
  bitfieldSize: number;
}
export interface BtfComposite extends TypeBase {
  kind: typeof BTF_KIND.STRUCT | typeof BTF_KIND.UNION;
  size: number;
  members: BtfMember[];
}
export interface BtfEnum extends TypeBase {
  kind: typeof BTF_KIND.ENUM | typeof BTF_KIND.ENUM64;
  size: number;
  /** kflag: values are signed. */
  signed: boolean;
  values: { name: string; value: bigint }[];
}
export interface BtfFwd extends TypeBase {
  kind: typeof BTF_KIND.FWD;
  union: boolean;
}
export interface BtfFunc extends TypeBase {
  kind: typeof BTF_KIND.FUNC;
  type: number;
  linkage: BtfLinkage;
}
export interface BtfFuncProto extends TypeBase {
  kind: typeof BTF_KIND.FUNC_PROTO;
  returnType: number;
  params: { name: string; type: number }[];
}
export interface BtfVar extends TypeBase {
  kind: typeof BTF_KIND.VAR;
  type: number;
  linkage: BtfLinkage;
}
export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}
export interface BtfDatasec extends TypeBase {
  kind: typeof BTF_KIND.DATASEC;
  size: number;
  vars: BtfVarSecinfo[];
}
export interface BtfFloat extends TypeBase {
  kind: typeof BTF_KIND.FLOAT;
  size: number;
}
export interface BtfDeclTag extends TypeBase {
  kind: typeof BTF_KIND.DECL_TAG;
  type: number;
  /** -1 for the type itself, else a member or parameter index. */
  componentIdx: number;
}

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfRef
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

const MODIFIER_KINDS: ReadonlySet<number> = new Set([BTF_KIND.VOLATILE, BTF_KIND.CONST, BTF_KIND.RESTRICT, BTF_KIND.TYPE_TAG]);
/** Kinds that are one `type` reference and nothing else (a chain of them may not loop). */
const REF_KINDS: ReadonlySet<number> = new Set([...MODIFIER_KINDS, BTF_KIND.PTR, BTF_KIND.TYPEDEF]);
/** libbpf's MAX_RESOLVE_DEPTH */
const MAX_RESOLVE_DEPTH = 32;
const PTR_SIZE = 8;

export const isComposite = (t: BtfType): t is BtfComposite => t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION;
export const isAnyEnum = (t: BtfType): t is BtfEnum => t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;
export const isModifier = (t: BtfType): t is BtfRef => MODIFIER_KINDS.has(t.kind);

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Bounds-checked little-endian reads; a read past the end is an ObjectFormatError, never a RangeError. */
class Reader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly place: (off: number) => string,
    private readonly code: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(off: number, n: number, what: string): void {
    if (off < 0 || off + n > this.bytes.length) {
      throw new ObjectFormatError(this.code, this.place(off), `${what} needs ${n} bytes at ${hex(off)}, only ${Math.max(0, this.bytes.length - off)} left`);
    }
  }
  u8(off: number, what = 'field'): number {
    this.need(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what = 'field'): number {
    this.need(off, 2, what);
    return this.view.getUint16(off, true);
  }
  u32(off: number, what = 'field'): number {
    this.need(off, 4, what);
    return this.view.getUint32(off, true);
  }
  s32(off: number, what = 'field'): number {
    this.need(off, 4, what);
    return this.view.getInt32(off, true);
  }
}
export { Reader as BtfReader };

/** Decodes a NUL-terminated string in a string section; undefined if `off` is outside or unterminated. */
export function cString(strs: Uint8Array, off: number): string | undefined {
  if (!Number.isInteger(off) || off < 0 || off >= strs.length) return undefined;
  const end = strs.indexOf(0, off);
  if (end < 0) return undefined;
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(strs[i]!);
  return s;
}

export class Btf {
  private byName: Map<string, number[]> | undefined;

  private constructor(
    readonly types: readonly BtfType[],
    /** The raw string section (offsets index into it). */
    readonly strings: Uint8Array,
    /** The prefix errors name (`prog.bpf.o`). */
    readonly where: string,
  ) {}

  /** Parses and checks a .BTF section. Mirrors btf_parse() in kernel/bpf/btf.c and btf_new() in libbpf. */
  static parse(data: Uint8Array, where: string): Btf {
    const place = (off: number): string => `${where}: .BTF +${hex(off)}`;
    const fail = (off: number, msg: string): never => {
      throw new ObjectFormatError('BTF_FORMAT', place(off), msg);
    };
    const r = new Reader(data, place, 'BTF_FORMAT');

    // mirrors btf_parse_hdr()
    if (data.length < 8) fail(0, `section of ${data.length} bytes is shorter than the BTF header`);
    const magic = r.u16(0, 'magic');
    if (magic === 0x9feb) fail(0, 'big-endian BTF (magic 0x9feb) is not supported: bpfsim loads little-endian objects only');
    if (magic !== BTF_MAGIC) fail(0, `bad magic ${hex(magic)}, expected ${hex(BTF_MAGIC)}`);
    const version = r.u8(2, 'version');
    if (version !== BTF_VERSION) fail(2, `unsupported BTF version ${version}, expected ${BTF_VERSION}`);
    const flags = r.u8(3, 'flags');
    if (flags !== 0) fail(3, `unsupported flags ${hex(flags)}`);
    const hdrLen = r.u32(4, 'hdr_len');
    if (hdrLen < BTF_HDR_SIZE) fail(4, `hdr_len ${hdrLen} is shorter than struct btf_header (${BTF_HDR_SIZE})`);
    if (hdrLen > data.length) fail(4, `hdr_len ${hdrLen} is beyond the section end (${data.length} bytes)`);
    // A longer header from a newer producer is accepted only if the unknown tail is zero (btf_check_hdr tail check).
    for (let i = BTF_HDR_SIZE; i < hdrLen; i++) if (data[i] !== 0) fail(i, 'unknown non-zero bytes in the header tail');
    const typeOff = r.u32(8, 'type_off');
    const typeLen = r.u32(12, 'type_len');
    const strOff = r.u32(16, 'str_off');
    const strLen = r.u32(20, 'str_len');
    const body = data.length - hdrLen;
    if (typeOff % 4 !== 0) fail(8, `type_off ${typeOff} is not 4-byte aligned`);
    if (typeOff + typeLen > body) fail(8, `type section (off ${typeOff}, len ${typeLen}) is beyond the section end (${body} bytes after the header)`);
    if (strOff + strLen > body) fail(16, `string section (off ${strOff}, len ${strLen}) is beyond the section end (${body} bytes after the header)`);
    if (typeOff < strOff + strLen && strOff < typeOff + typeLen && typeLen > 0 && strLen > 0) fail(8, 'type and string sections overlap');

    // mirrors btf_parse_str_sec()
    const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
    if (strLen === 0 || strings[0] !== 0 || strings[strLen - 1] !== 0) fail(hdrLen + strOff, 'invalid string section (must start with an empty string and end with NUL)');

    const types: BtfType[] = [{ id: 0, kind: BTF_KIND.UNKN, name: '' }];
    const typesStart = hdrLen + typeOff;
    const typesEnd = typesStart + typeLen;
    const rawTypes = new Map<number, { off: number; kflag: boolean; vlen: number }>();

    // mirrors btf_check_all_metas(): one fixed btf_type, then kind-specific data of vlen entries
    let off = typesStart;
    while (off < typesEnd) {
      const id = types.length;
      const tplace = `${where}: .BTF type [${id}] +${hex(off)}`;
      const tfail = (msg: string): never => {
        throw new ObjectFormatError('BTF_FORMAT', tplace, msg);
      };
      if (off + 12 > typesEnd) tfail(`truncated btf_type: ${typesEnd - off} bytes left in the type section, 12 needed`);
      const nameOff = r.u32(off);
      const info = r.u32(off + 4);
      const sizeOrType = r.u32(off + 8);
      const vlen = info & 0xffff;
      const kind = (info >>> 24) & 0x1f;
      const kflag = info >>> 31 === 1;
      if ((info & 0x60ff0000) !== 0) tfail(`unused bits set in info ${hex(info)}`);
      if (kind === BTF_KIND.UNKN || kind >= NR_BTF_KINDS) tfail(`kind ${kind} out of range (1..${NR_BTF_KINDS - 1})`);
      const name = cString(strings, nameOff);
      if (name === undefined) tfail(`name offset ${nameOff} is outside the string section (${strLen} bytes)`);
      const str = (o: number, what: string): string => {
        const s = cString(strings, o);
        if (s === undefined) tfail(`${what} name offset ${o} is outside the string section (${strLen} bytes)`);
        return s!;
      };
      const extra = (n: number): number => {
        const start = off + 12;
        if (start + n > typesEnd) tfail(`${uapiName(BTF_KIND, kind)} with vlen ${vlen} needs ${n} more bytes, only ${typesEnd - start} left in the type section`);
        return start;
      };
      const noVlen = (): void => {
        if (vlen !== 0) tfail(`${uapiName(BTF_KIND, kind)} must have vlen 0, has ${vlen}`);
      };
      const nm = name!;
      let t: BtfType;
      let next = off + 12;
      switch (kind) {
        case BTF_KIND.INT: {
          noVlen();
          const p = extra(4);
          const v = r.u32(p);
          const encoding = (v >>> 24) & 0x0f;
          const bitsOffset = (v >>> 16) & 0xff;
          const bits = v & 0xff;
          // mirrors btf_int_check_meta()
          if ((v & 0xf0000000) !== 0 || (v & 0x0000ff00) !== 0) tfail(`INT data ${hex(v)} has reserved bits set`);
          if (![1, 2, 4, 8, 16].includes(sizeOrType)) tfail(`INT size ${sizeOrType} is not 1, 2, 4, 8 or 16`);
          if (bits > 128 || bitsOffset + bits > sizeOrType * 8) tfail(`INT bits ${bits} at offset ${bitsOffset} do not fit in ${sizeOrType} bytes`);
          if (encoding !== 0 && encoding !== BTF_INT.SIGNED && encoding !== BTF_INT.CHAR && encoding !== BTF_INT.BOOL) tfail(`INT encoding ${encoding} is not one of SIGNED, CHAR, BOOL`);
          t = { id, kind, name: nm, size: sizeOrType, encoding, bitsOffset, bits };
          next = p + 4;
          break;
        }
        case BTF_KIND.PTR:
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.TYPE_TAG:
          noVlen();
          if (kind === BTF_KIND.TYPEDEF && nm === '') tfail('TYPEDEF without a name');
          if (kind === BTF_KIND.TYPE_TAG && nm === '') tfail('TYPE_TAG without a name');
          t = { id, kind, name: nm, type: sizeOrType };
          break;
        case BTF_KIND.ARRAY: {
          noVlen();
          if (sizeOrType !== 0) tfail(`ARRAY size_type must be 0, is ${sizeOrType}`);
          const p = extra(12);
          t = { id, kind, name: nm, type: r.u32(p), indexType: r.u32(p + 4), nelems: r.u32(p + 8) };
          next = p + 12;
          break;
        }
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION: {
          const p = extra(vlen * 12);
          const members: BtfMember[] = [];
          for (let i = 0; i < vlen; i++) {
            const m = p + i * 12;
            const mOff = r.u32(m + 8);
            members.push({
              name: str(r.u32(m), `member #${i}`),
              type: r.u32(m + 4),
              // kflag: offset holds bitfield_size << 24 | bit_offset (BTF_MEMBER_BITFIELD_SIZE/BIT_OFFSET)
              bitOffset: kflag ? mOff & 0xffffff : mOff,
              bitfieldSize: kflag ? mOff >>> 24 : 0,
            });
          }
          t = { id, kind, name: nm, size: sizeOrType, members };
          next = p + vlen * 12;
          break;
        }
        case BTF_KIND.ENUM:
        case BTF_KIND.ENUM64: {
          const wide = kind === BTF_KIND.ENUM64;
          const rec = wide ? 12 : 8;
          const p = extra(vlen * rec);
          if (![1, 2, 4, 8].includes(sizeOrType)) tfail(`${uapiName(BTF_KIND, kind)} size ${sizeOrType} is not 1, 2, 4 or 8`);
          const values: { name: string; value: bigint }[] = [];
          for (let i = 0; i < vlen; i++) {
            const e = p + i * rec;
            const ename = str(r.u32(e), `enumerator #${i}`);
            if (ename === '') tfail(`enumerator #${i} has no name`);
            let value: bigint;
            if (wide) {
              const v = (BigInt(r.u32(e + 8)) << 32n) | BigInt(r.u32(e + 4));
              value = kflag ? BigInt.asIntN(64, v) : v;
            } else {
              value = kflag ? BigInt(r.s32(e + 4)) : BigInt(r.u32(e + 4));
            }
            values.push({ name: ename, value });
          }
          t = { id, kind, name: nm, size: sizeOrType, signed: kflag, values };
          next = p + vlen * rec;
          break;
        }
        case BTF_KIND.FWD:
          noVlen();
          if (nm === '') tfail('FWD without a name');
          t = { id, kind, name: nm, union: kflag };
          break;
        case BTF_KIND.FUNC:
          if (vlen > 2) tfail(`FUNC linkage ${vlen} is not static (0), global (1) or extern (2)`);
          if (nm === '') tfail('FUNC without a name');
          t = { id, kind, name: nm, type: sizeOrType, linkage: LINKAGE_NAMES[vlen]! };
          break;
        case BTF_KIND.FUNC_PROTO: {
          const p = extra(vlen * 8);
          const params: { name: string; type: number }[] = [];
          for (let i = 0; i < vlen; i++) params.push({ name: str(r.u32(p + i * 8), `param #${i}`), type: r.u32(p + i * 8 + 4) });
          t = { id, kind, name: nm, returnType: sizeOrType, params };
          next = p + vlen * 8;
          break;
        }
        case BTF_KIND.VAR: {
          noVlen();
          const p = extra(4);
          const linkage = r.u32(p);
          if (linkage > 2) tfail(`VAR linkage ${linkage} is not static (0), global (1) or extern (2)`);
          if (nm === '') tfail('VAR without a name');
          t = { id, kind, name: nm, type: sizeOrType, linkage: LINKAGE_NAMES[linkage]! };
          next = p + 4;
          break;
        }
        case BTF_KIND.DATASEC: {
          const p = extra(vlen * 12);
          if (nm === '') tfail('DATASEC without a name');
          const vars: BtfVarSecinfo[] = [];
          for (let i = 0; i < vlen; i++) vars.push({ type: r.u32(p + i * 12), offset: r.u32(p + i * 12 + 4), size: r.u32(p + i * 12 + 8) });
          t = { id, kind, name: nm, size: sizeOrType, vars };
          next = p + vlen * 12;
          break;
        }
        case BTF_KIND.FLOAT:
          noVlen();
          if (![2, 4, 8, 12, 16].includes(sizeOrType)) tfail(`FLOAT size ${sizeOrType} is not 2, 4, 8, 12 or 16`);
          t = { id, kind, name: nm, size: sizeOrType };
          break;
        case BTF_KIND.DECL_TAG: {
          noVlen();
          const p = extra(4);
          if (nm === '') tfail('DECL_TAG without a name');
          t = { id, kind, name: nm, type: sizeOrType, componentIdx: r.s32(p) };
          next = p + 4;
          break;
        }
        default:
          return tfail(`kind ${kind} out of range`);
      }
      rawTypes.set(id, { off, kflag, vlen });
      types.push(t);
      off = next;
    }

    const btf = new Btf(types, strings, where);
    btf.checkAllTypes(rawTypes);
    return btf;
  }

  private typePlace(id: number): string {
    return `${this.where}: .BTF type [${id}]`;
  }

  /**
   * The second pass: references in range and of the right kind, no loops, members inside
   * their struct. Mirrors btf_check_all_types() / btf_resolve() (its "Loop detected").
   */
  private checkAllTypes(raw: ReadonlyMap<number, { kflag: boolean }>): void {
    const n = this.types.length;
    const fail = (id: number, msg: string): never => {
      throw new ObjectFormatError('BTF_FORMAT', this.typePlace(id), msg);
    };
    const ref = (id: number, target: number, what: string): void => {
      if (target >= n) fail(id, `${what} references type [${target}], beyond the last type [${n - 1}]`);
    };
    for (const t of this.types) {
      switch (t.kind) {
        case BTF_KIND.PTR:
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.TYPE_TAG:
          ref(t.id, t.type, uapiName(BTF_KIND, t.kind)!);
          break;
        case BTF_KIND.ARRAY:
          ref(t.id, t.type, 'ARRAY element type');
          ref(t.id, t.indexType, 'ARRAY index type');
          if (t.type === 0) fail(t.id, 'ARRAY of void');
          break;
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
          t.members.forEach((m, i) => {
            ref(t.id, m.type, `member #${i} '${m.name}'`);
            if (m.type === 0) fail(t.id, `member #${i} '${m.name}' has type void`);
          });
          break;
        case BTF_KIND.FUNC:
          ref(t.id, t.type, 'FUNC');
          if (this.types[t.type]!.kind !== BTF_KIND.FUNC_PROTO) fail(t.id, `FUNC '${t.name}' type [${t.type}] is not a FUNC_PROTO`);
          break;
        case BTF_KIND.FUNC_PROTO:
          ref(t.id, t.returnType, 'FUNC_PROTO return type');
          t.params.forEach((p, i) => ref(t.id, p.type, `param #${i}`));
          break;
        case BTF_KIND.VAR:
          ref(t.id, t.type, 'VAR');
          if (t.type === 0) fail(t.id, `VAR '${t.name}' has type void`);
          break;
        case BTF_KIND.DATASEC:
          t.vars.forEach((v, i) => {
            ref(t.id, v.type, `DATASEC var #${i}`);
            const vt = this.types[v.type]!;
            if (vt.kind !== BTF_KIND.VAR && vt.kind !== BTF_KIND.FUNC) fail(t.id, `DATASEC var #${i} type [${v.type}] is ${uapiName(BTF_KIND, vt.kind)}, not VAR`);
            if (t.size !== 0 && v.offset + v.size > t.size) fail(t.id, `var #${i} at ${v.offset}+${v.size} is beyond DATASEC '${t.name}' size ${t.size}`);
          });
          break;
        case BTF_KIND.DECL_TAG: {
          ref(t.id, t.type, 'DECL_TAG');
          const target = this.types[t.type]!;
          if (t.componentIdx < -1) fail(t.id, `DECL_TAG component_idx ${t.componentIdx} < -1`);
          if (t.componentIdx >= 0) {
            const count = isComposite(target) ? target.members.length : target.kind === BTF_KIND.FUNC ? ((this.types[target.type] as BtfFuncProto | undefined)?.params.length ?? 0) : -1;
            if (t.componentIdx >= count) fail(t.id, `DECL_TAG component_idx ${t.componentIdx} is out of range for [${t.type}]`);
          }
          break;
        }
        default:
          break;
      }
    }

    // Chains of pointer/typedef/modifier references must end (btf_resolve "Loop detected").
    const state = new Uint8Array(n); // 0 new, 1 on the current path, 2 known to end
    for (let id = 1; id < n; id++) {
      if (state[id] !== 0 || !REF_KINDS.has(this.types[id]!.kind)) continue;
      const path: number[] = [];
      let cur = id;
      while (state[cur] === 0 && REF_KINDS.has(this.types[cur]!.kind)) {
        state[cur] = 1;
        path.push(cur);
        cur = (this.types[cur] as BtfRef).type;
      }
      if (state[cur] === 1) fail(id, `reference loop: ${[...path, cur].map((x) => `[${x}]`).join(' -> ')}`);
      for (const p of path) state[p] = 2;
    }

    // Types may not contain themselves by value (struct members, array elements,
    // typedefs/modifiers, vars) — an iterative DFS so deep graphs cannot overflow the stack.
    const color = new Uint8Array(n);
    const valueEdges = (t: BtfType): readonly number[] => {
      switch (t.kind) {
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.TYPE_TAG:
        case BTF_KIND.ARRAY:
        case BTF_KIND.VAR:
          return [t.type];
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
          return t.members.map((m) => m.type);
        default:
          return [];
      }
    };
    for (let root = 1; root < n; root++) {
      if (color[root] !== 0) continue;
      const stack: { id: number; edges: readonly number[]; i: number }[] = [{ id: root, edges: valueEdges(this.types[root]!), i: 0 }];
      color[root] = 1;
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        if (top.i >= top.edges.length) {
          color[top.id] = 2;
          stack.pop();
          continue;
        }
        const nx = top.edges[top.i++]!;
        if (color[nx] === 1) fail(top.id, `type [${nx}] contains itself by value (${stack.map((s) => `[${s.id}]`).join(' -> ')} -> [${nx}])`);
        if (color[nx] === 0) {
          color[nx] = 1;
          stack.push({ id: nx, edges: valueEdges(this.types[nx]!), i: 0 });
        }
      }
    }

    // Members inside their struct (mirrors btf_struct_check_meta / btf_struct_resolve).
    for (const t of this.types) {
      if (!isComposite(t)) continue;
      const kflag = raw.get(t.id)?.kflag ?? false;
      t.members.forEach((m, i) => {
        let bits: number;
        if (m.bitfieldSize > 0) {
          bits = m.bitfieldSize;
        } else {
          const sz = this.tryResolveSize(m.type);
          if (sz === undefined) fail(t.id, `member #${i} '${m.name}' type [${m.type}] has no size`);
          const mt = this.skipModsAndTypedefs(m.type);
          // kflag 0 bitfields are INTs whose bits/bitsOffset say which bits they use (btf_int_check_member)
          bits = mt.kind === BTF_KIND.INT ? mt.bitsOffset + mt.bits : sz! * 8;
          if (m.bitOffset % 8 !== 0 && (kflag || !this.isIntLike(m.type))) fail(t.id, `member #${i} '${m.name}' at bit ${m.bitOffset} is not byte aligned`);
        }
        if (t.kind === BTF_KIND.UNION && m.bitOffset !== 0) fail(t.id, `union member #${i} '${m.name}' has non-zero bit offset ${m.bitOffset}`);
        if (m.bitOffset + bits > t.size * 8) {
          fail(t.id, `member #${i} '${m.name}' (bits ${m.bitOffset}..${m.bitOffset + bits}) is beyond the ${uapiName(BTF_KIND, t.kind)!.toLowerCase()} size ${t.size}`);
        }
      });
    }
  }

  private isIntLike(id: number): boolean {
    const t = this.types[id] ? this.skipModsAndTypedefs(id) : undefined;
    return t !== undefined && (t.kind === BTF_KIND.INT || isAnyEnum(t));
  }

  /** The type with this id; an ObjectFormatError if there is none. */
  type(id: number): BtfType {
    const t = Number.isInteger(id) ? this.types[id] : undefined;
    if (!t) throw new ObjectFormatError('BTF_FORMAT', this.typePlace(id), `no such type (the last type is [${this.types.length - 1}])`);
    return t;
  }

  /** The string at `off` in the string section (btf__str_by_offset). */
  stringAt(off: number): string {
    const s = cString(this.strings, off);
    if (s === undefined) throw new ObjectFormatError('BTF_FORMAT', `${this.where}: .BTF string +${hex(Math.max(0, off | 0))}`, `string offset ${off} is outside the string section (${this.strings.length} bytes)`);
    return s;
  }

  /** Follows const/volatile/restrict/type_tag (btf_type_skip_modifiers without typedefs). */
  skipMods(id: number): BtfType {
    return this.skip(id, false);
  }

  /** Follows modifiers and typedefs (libbpf's skip_mods_and_typedefs()). */
  skipModsAndTypedefs(id: number): BtfType {
    return this.skip(id, true);
  }

  private skip(id: number, typedefs: boolean): BtfType {
    let t = this.type(id);
    // Loops were rejected at parse; the bound keeps a hand-made model from spinning anyway.
    for (let i = 0; i <= this.types.length; i++) {
      if (!(MODIFIER_KINDS.has(t.kind) || (typedefs && t.kind === BTF_KIND.TYPEDEF))) return t;
      t = this.type((t as BtfRef).type);
    }
    throw new ObjectFormatError('BTF_FORMAT', this.typePlace(id), 'reference loop');
  }

  /** Size in bytes of a type (btf__resolve_size): arrays multiply, pointers are 8. */
  resolveSize(id: number): number {
    const r = this.resolveSizeOrWhy(id);
    if (typeof r === 'string') throw new ObjectFormatError('BTF_FORMAT', this.typePlace(id), r);
    return r;
  }

  /** resolveSize(), or undefined where libbpf would return an error. */
  tryResolveSize(id: number): number | undefined {
    const r = this.resolveSizeOrWhy(id);
    return typeof r === 'number' ? r : undefined;
  }

  private resolveSizeOrWhy(id: number): number | string {
    let nelems = 1;
    let cur = id;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.types[cur];
      if (!t) return `no such type [${cur}]`;
      switch (t.kind) {
        case BTF_KIND.INT:
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
        case BTF_KIND.ENUM:
        case BTF_KIND.ENUM64:
        case BTF_KIND.DATASEC:
        case BTF_KIND.FLOAT: {
          const size = nelems * t.size;
          return size > 0xffffffff ? `size ${size} overflows u32` : size;
        }
        case BTF_KIND.PTR:
          return nelems * PTR_SIZE;
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.TYPE_TAG:
        case BTF_KIND.VAR:
        case BTF_KIND.DECL_TAG:
          cur = t.type;
          break;
        case BTF_KIND.ARRAY:
          nelems *= t.nelems;
          if (nelems > 0xffffffff) return `array size overflows u32`;
          cur = t.type;
          break;
        default:
          return `${uapiName(BTF_KIND, t.kind) ?? 'void'} [${cur}] has no size`;
      }
    }
    return `type chain deeper than ${MAX_RESOLVE_DEPTH}`;
  }

  /** The first type named `name` (of `kind`, if given), as btf__find_by_name_kind. */
  findByName(name: string, kind?: number): number | undefined {
    if (!this.byName) {
      this.byName = new Map();
      for (const t of this.types) {
        if (t.name === '') continue;
        const ids = this.byName.get(t.name);
        if (ids) ids.push(t.id);
        else this.byName.set(t.name, [t.id]);
      }
    }
    const ids = this.byName.get(name);
    if (!ids) return undefined;
    return kind === undefined ? ids[0] : ids.find((i) => this.types[i]!.kind === kind);
  }

  datasec(name: string): BtfDatasec | undefined {
    const id = this.findByName(name, BTF_KIND.DATASEC);
    return id === undefined ? undefined : (this.types[id] as BtfDatasec);
  }

  /** A C-like spelling: 'struct bpf_sock_addr *', 'unsigned int', 'int[4]', 'int (*)(void *)'. */
  typeToString(id: number): string {
    return this.spell(id, 0);
  }

  private spell(id: number, depth: number): string {
    if (depth > 64) return '...';
    const t = this.types[id];
    if (!t) return `<bad type ${id}>`;
    const tag = (kw: string, name: string): string => (name === '' ? `${kw} <anon>` : `${kw} ${name}`);
    switch (t.kind) {
      case BTF_KIND.UNKN:
        return 'void';
      case BTF_KIND.INT:
      case BTF_KIND.FLOAT:
      case BTF_KIND.TYPEDEF:
      case BTF_KIND.FUNC:
      case BTF_KIND.DATASEC:
        return t.name;
      case BTF_KIND.STRUCT:
        return tag('struct', t.name);
      case BTF_KIND.UNION:
        return tag('union', t.name);
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
        return tag('enum', t.name);
      case BTF_KIND.FWD:
        return tag(t.union ? 'union' : 'struct', t.name);
      case BTF_KIND.PTR: {
        const target = this.types[t.type];
        if (target?.kind === BTF_KIND.FUNC_PROTO) {
          return `${this.spell(target.returnType, depth + 1)} (*)(${this.spellParams(target, depth)})`;
        }
        const inner = this.spell(t.type, depth + 1);
        return inner.endsWith('*') ? `${inner}*` : `${inner} *`;
      }
      case BTF_KIND.CONST:
      case BTF_KIND.VOLATILE:
      case BTF_KIND.RESTRICT: {
        const kw = t.kind === BTF_KIND.CONST ? 'const' : t.kind === BTF_KIND.VOLATILE ? 'volatile' : 'restrict';
        const inner = this.spell(t.type, depth + 1);
        return inner.endsWith('*') ? `${inner} ${kw}` : `${kw} ${inner}`;
      }
      case BTF_KIND.TYPE_TAG:
        return `${this.spell(t.type, depth + 1)} __attribute__((btf_type_tag("${t.name}")))`;
      case BTF_KIND.ARRAY: {
        let dims = '';
        let cur: BtfType | undefined = t;
        let guard = 0;
        while (cur?.kind === BTF_KIND.ARRAY && guard++ < 64) {
          dims += `[${cur.nelems}]`;
          cur = this.types[cur.type];
        }
        return `${cur ? this.spell(cur.id, depth + 1) : '?'}${dims}`;
      }
      case BTF_KIND.FUNC_PROTO:
        return `${this.spell(t.returnType, depth + 1)} (${this.spellParams(t, depth)})`;
      case BTF_KIND.VAR:
        return `${this.spell(t.type, depth + 1)} ${t.name}`;
      case BTF_KIND.DECL_TAG:
        return this.spell(t.type, depth + 1);
    }
  }

  private spellParams(p: BtfFuncProto, depth: number): string {
    if (p.params.length === 0) return 'void';
    return p.params.map((x) => (x.type === 0 ? '...' : this.spell(x.type, depth + 1))).join(', ');
  }
}

/**
 * Fills DATASEC sizes and VAR offsets that clang leaves zero in object files, from the ELF
 * section size and the symbols' values, and sorts each DATASEC's vars by offset.
 * Mirrors libbpf's btf_fixup_datasec(); mutates `btf`'s model.
 */
export function fixupDatasec(
  btf: Btf,
  sectionSize: (name: string) => number | undefined,
  symbolValue: (sectionName: string, varName: string) => number | undefined,
): void {
  for (const t of btf.types) {
    if (t.kind !== BTF_KIND.DATASEC) continue;
    const place = `${btf.where}: .BTF type [${t.id}] DATASEC '${t.name}'`;
    // Extern-backing sections get their layout from the externs, not the ELF.
    if (t.name === '.kconfig' || t.name === '.ksyms') {
      t.vars.sort((a, b) => a.offset - b.offset);
      continue;
    }
    let fixOffsets = false;
    if (t.size === 0) {
      const size = sectionSize(t.name);
      if (!size) throw new ObjectFormatError('BTF_FORMAT', place, `cannot determine the size of section '${t.name}' from the ELF`);
      t.size = size;
      fixOffsets = true;
    }
    t.vars.forEach((v, i) => {
      const vt = btf.types[v.type];
      if (vt?.kind !== BTF_KIND.VAR) throw new ObjectFormatError('BTF_FORMAT', place, `var #${i} type [${v.type}] is not a VAR`);
      if (vt.linkage === 'static' || vt.linkage === 'extern') return;
      const value = symbolValue(t.name, vt.name);
      if (value === undefined) throw new ObjectFormatError('BTF_FORMAT', place, `no ELF symbol for VAR '${vt.name}'`);
      if (fixOffsets) v.offset = value;
      if (v.offset + v.size > t.size) throw new ObjectFormatError('BTF_FORMAT', place, `VAR '${vt.name}' at ${v.offset}+${v.size} is beyond the section size ${t.size}`);
    });
    t.vars.sort((a, b) => a.offset - b.offset);
  }
}

/** A member for BtfBuilder.addStruct: bitfieldSize > 0 sets the struct's kflag. */
export interface BtfBuilderMember {
  name: string;
  type: number;
  bitOffset: number;
  bitfieldSize?: number;
}

/**
 * Writes .BTF bytes: used for bpfsim's CO-RE target, in tests, and for fuzz inputs.
 * Ids are handed out in order starting at 1; a type may reference a later id (fill in forward
 * references with `reserve()`/`setStruct()` or simply by knowing the id).
 */
export class BtfBuilder {
  private readonly strs: number[] = [0];
  private readonly strIndex = new Map<string, number>([['', 0]]);
  private readonly types: number[][] = [];

  /** The id the next added type will get. */
  get nextId(): number {
    return this.types.length + 1;
  }

  addString(s: string): number {
    const have = this.strIndex.get(s);
    if (have !== undefined) return have;
    const off = this.strs.length;
    for (let i = 0; i < s.length; i++) this.strs.push(s.charCodeAt(i) & 0xff);
    this.strs.push(0);
    this.strIndex.set(s, off);
    return off;
  }

  /** Any type as raw u32 words (name_off, info, size/type, then the kind's data) — for fuzzing. */
  addRaw(words: readonly number[]): number {
    this.types.push(words.map((w) => w >>> 0));
    return this.types.length;
  }

  private add(name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number, extra: readonly number[] = []): number {
    const info = ((kflag ? 1 : 0) << 31) | ((kind & 0x1f) << 24) | (vlen & 0xffff);
    return this.addRaw([this.addString(name), info, sizeOrType, ...extra]);
  }

  addInt(name: string, size: number, opts: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitsOffset?: number } = {}): number {
    const enc = (opts.signed ? BTF_INT.SIGNED : 0) | (opts.char ? BTF_INT.CHAR : 0) | (opts.bool ? BTF_INT.BOOL : 0);
    const bits = opts.bits ?? size * 8;
    return this.add(name, BTF_KIND.INT, 0, false, size, [(enc << 24) | ((opts.bitsOffset ?? 0) << 16) | bits]);
  }

  addPtr(type: number): number {
    return this.add('', BTF_KIND.PTR, 0, false, type);
  }

  addTypedef(name: string, type: number): number {
    return this.add(name, BTF_KIND.TYPEDEF, 0, false, type);
  }

  /** CONST, VOLATILE, RESTRICT or TYPE_TAG (with a name). */
  addModifier(kind: typeof BTF_KIND.CONST | typeof BTF_KIND.VOLATILE | typeof BTF_KIND.RESTRICT | typeof BTF_KIND.TYPE_TAG, type: number, name = ''): number {
    return this.add(name, kind, 0, false, type);
  }

  addArray(elemType: number, nelems: number, indexType = elemType): number {
    return this.add('', BTF_KIND.ARRAY, 0, false, 0, [elemType, indexType, nelems]);
  }

  addStruct(name: string, size: number, members: readonly BtfBuilderMember[], union = false): number {
    const kflag = members.some((m) => (m.bitfieldSize ?? 0) > 0);
    const extra = members.flatMap((m) => [this.addString(m.name), m.type, kflag ? (((m.bitfieldSize ?? 0) << 24) | m.bitOffset) >>> 0 : m.bitOffset]);
    return this.add(name, union ? BTF_KIND.UNION : BTF_KIND.STRUCT, members.length, kflag, size, extra);
  }

  addUnion(name: string, size: number, members: readonly BtfBuilderMember[]): number {
    return this.addStruct(name, size, members, true);
  }

  addEnum(name: string, size: number, values: readonly { name: string; value: number | bigint }[], signed = false): number {
    const wide = size === 8;
    const extra = values.flatMap((v) => {
      const x = BigInt.asUintN(64, BigInt(v.value));
      return wide ? [this.addString(v.name), Number(x & 0xffffffffn), Number(x >> 32n)] : [this.addString(v.name), Number(x & 0xffffffffn)];
    });
    return this.add(name, wide ? BTF_KIND.ENUM64 : BTF_KIND.ENUM, values.length, signed, size, extra);
  }

  addFwd(name: string, union = false): number {
    return this.add(name, BTF_KIND.FWD, 0, union, 0);
  }

  addFuncProto(returnType: number, params: readonly { name?: string; type: number }[]): number {
    return this.add('', BTF_KIND.FUNC_PROTO, params.length, false, returnType, params.flatMap((p) => [this.addString(p.name ?? ''), p.type]));
  }

  addFunc(name: string, proto: number, linkage: BtfLinkage = 'global'): number {
    return this.add(name, BTF_KIND.FUNC, LINKAGE_NAMES.indexOf(linkage), false, proto);
  }

  addVar(name: string, type: number, linkage: BtfLinkage = 'global'): number {
    return this.add(name, BTF_KIND.VAR, 0, false, type, [LINKAGE_NAMES.indexOf(linkage)]);
  }

  addDatasec(name: string, size: number, vars: readonly BtfVarSecinfo[]): number {
    return this.add(name, BTF_KIND.DATASEC, vars.length, false, size, vars.flatMap((v) => [v.type, v.offset, v.size]));
  }

  addFloat(name: string, size: number): number {
    return this.add(name, BTF_KIND.FLOAT, 0, false, size);
  }

  addDeclTag(name: string, type: number, componentIdx = -1): number {
    return this.add(name, BTF_KIND.DECL_TAG, 0, false, type, [componentIdx >>> 0]);
  }

  /** The .BTF section bytes: header, type section, string section. */
  build(): Uint8Array {
    const typeLen = this.types.reduce((n, w) => n + w.length * 4, 0);
    const strLen = this.strs.length;
    const out = new Uint8Array(BTF_HDR_SIZE + typeLen + strLen);
    const v = new DataView(out.buffer);
    v.setUint16(0, BTF_MAGIC, true);
    v.setUint8(2, BTF_VERSION);
    v.setUint8(3, 0);
    v.setUint32(4, BTF_HDR_SIZE, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, strLen, true);
    let off = BTF_HDR_SIZE;
    for (const words of this.types) {
      for (const w of words) {
        v.setUint32(off, w >>> 0, true);
        off += 4;
      }
    }
    out.set(this.strs, off);
    return out;
  }

  /** build() and parse() in one step. */
  toBtf(where = '<built>'): Btf {
    return Btf.parse(this.build(), where);
  }
}
