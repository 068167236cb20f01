// The .BTF.ext section: per-ELF-section func info, line info and CO-RE relocation records,
// whose strings live in .BTF. Mirrors libbpf's btf_ext__new() / btf_ext_parse_hdr() /
// btf_ext_parse_sec_info() (tools/lib/bpf/btf.c).
import { BTF_KIND, BTF_MAGIC, BtfReader, cString } from './btf';
import type { Btf } from './btf';
import { ObjectFormatError } from './errors';

export interface FuncInfo {
  /** In instructions (the object file's byte offset / 8). */
  insnOff: number;
  typeId: number;
  name: string;
}
export interface LineInfo {
  insnOff: number;
  fileName: string;
  line: number;
  col: number;
  lineText: string;
}
export interface CoreRelo {
  insnOff: number;
  typeId: number;
  accessStr: string;
  /** BPF_CORE_* */
  kind: number;
}
/** Each keyed by ELF section name, records in file order. */
export interface BtfExt {
  funcInfo: Map<string, FuncInfo[]>;
  lineInfo: Map<string, LineInfo[]>;
  coreRelos: Map<string, CoreRelo[]>;
}

/** offsetofend(struct btf_ext_header, line_info_len) */
const BTF_EXT_HDR_MIN = 24;
/** offsetofend(struct btf_ext_header, core_relo_len) */
const BTF_EXT_HDR_CORE = 32;
/** sizeof(struct bpf_insn) */
const INSN_SZ = 8;
/** enum bpf_core_relo_kind's last value, BPF_CORE_TYPE_MATCHES */
const BPF_CORE_KIND_MAX = 12;

const hex = (n: number): string => `0x${n.toString(16)}`;

export function parseBtfExt(data: Uint8Array, btf: Btf, where: string): BtfExt {
  const place = (off: number): string => `${where}: .BTF.ext +${hex(off)}`;
  const fail = (off: number, msg: string): never => {
    throw new ObjectFormatError('BTF_EXT_FORMAT', place(off), msg);
  };
  const r = new BtfReader(data, place, 'BTF_EXT_FORMAT');

  // mirrors btf_ext_parse_hdr()
  if (data.length < 8) fail(0, `section of ${data.length} bytes is shorter than the .BTF.ext header`);
  const magic = r.u16(0, 'magic');
  if (magic === 0x9feb) fail(0, 'big-endian .BTF.ext (magic 0x9feb) is not supported: bpfsim loads little-endian objects only');
  if (magic !== BTF_MAGIC) fail(0, `bad magic ${hex(magic)}, expected ${hex(BTF_MAGIC)}`);
  const version = r.u8(2);
  if (version !== 1) fail(2, `unsupported .BTF.ext version ${version}`);
  const flags = r.u8(3);
  if (flags !== 0) fail(3, `unsupported flags ${hex(flags)}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < BTF_EXT_HDR_MIN) fail(4, `hdr_len ${hdrLen} is shorter than the minimal header (${BTF_EXT_HDR_MIN})`);
  if (hdrLen > data.length) fail(4, `hdr_len ${hdrLen} is beyond the section end (${data.length} bytes)`);

  const str = (off: number, recPlace: number, what: string): string => {
    const s = cString(btf.strings, off);
    if (s === undefined) fail(recPlace, `${what} string offset ${off} is outside the .BTF string section (${btf.strings.length} bytes)`);
    return s!;
  };

  /**
   * One info block: u32 record_size, then {sec_name_off, num_info, records[num_info]}...
   * mirrors btf_ext_parse_sec_info(); `read` decodes one record at a byte offset.
   */
  function block<T>(desc: string, hdrField: number, minRec: number, read: (rec: number, sec: string) => T): Map<string, T[]> {
    const out = new Map<string, T[]>();
    const secOff = r.u32(hdrField);
    const len = r.u32(hdrField + 4);
    if (len === 0) return out;
    if (secOff % 4 !== 0) fail(hdrField, `${desc} offset ${secOff} is not 4-byte aligned`);
    const start = hdrLen + secOff;
    const end = start + len;
    if (end > data.length) fail(hdrField, `${desc} (off ${secOff}, len ${len}) is beyond the section end (${data.length - hdrLen} bytes after the header)`);
    if (len < 4) fail(start, `${desc} record size not found`);
    const recSize = r.u32(start, 'record_size');
    if (recSize < minRec || recSize % 4 !== 0) fail(start, `${desc} has invalid record size ${recSize} (at least ${minRec}, a multiple of 4)`);
    let p = start + 4;
    if (p === end) fail(start, `${desc} has no records`);
    while (p < end) {
      if (end - p < 8) fail(p, `${desc} section header is truncated (${end - p} bytes left, 8 needed)`);
      const sec = str(r.u32(p), p, `${desc} section name`);
      const num = r.u32(p + 4);
      if (num === 0) fail(p + 4, `${desc} for section '${sec}' has num_info 0`);
      const total = 8 + num * recSize;
      if (p + total > end) fail(p + 4, `${desc} for section '${sec}' has ${num} records of ${recSize} bytes, beyond the end of the block`);
      let list = out.get(sec);
      if (!list) out.set(sec, (list = []));
      for (let i = 0; i < num; i++) list.push(read(p + 8 + i * recSize, sec));
      p += total;
    }
    return out;
  }

  const insnIdx = (rec: number): number => {
    const off = r.u32(rec, 'insn_off');
    if (off % INSN_SZ !== 0) fail(rec, `insn_off ${off} is not a multiple of ${INSN_SZ}`);
    return off / INSN_SZ;
  };
  const typeRef = (rec: number, id: number, what: string): void => {
    if (id >= btf.types.length) fail(rec, `${what} type id [${id}] is beyond the last .BTF type [${btf.types.length - 1}]`);
  };

  // struct bpf_func_info_min: insn_off, type_id
  const funcInfo = block<FuncInfo>('func_info', 8, 8, (rec) => {
    const insnOff = insnIdx(rec);
    const typeId = r.u32(rec + 4);
    typeRef(rec, typeId, 'func_info');
    const t = btf.types[typeId]!;
    if (t.kind !== BTF_KIND.FUNC) fail(rec, `func_info type [${typeId}] is ${t.kind === 0 ? 'void' : `kind ${t.kind}`}, not FUNC`);
    return { insnOff, typeId, name: t.name };
  });

  // struct bpf_line_info_min: insn_off, file_name_off, line_off, line_col
  const lineInfo = block<LineInfo>('line_info', 16, 16, (rec) => {
    const insnOff = insnIdx(rec);
    const fileName = str(r.u32(rec + 4), rec + 4, 'line_info file name');
    const lineText = str(r.u32(rec + 8), rec + 8, 'line_info line');
    const lineCol = r.u32(rec + 12);
    // BPF_LINE_INFO_LINE_NUM / BPF_LINE_INFO_LINE_COL
    return { insnOff, fileName, line: lineCol >>> 10, col: lineCol & 0x3ff, lineText };
  });

  // struct bpf_core_relo: insn_off, type_id, access_str_off, kind
  const coreRelos =
    hdrLen >= BTF_EXT_HDR_CORE
      ? block<CoreRelo>('core_relo', 24, 16, (rec) => {
          const insnOff = insnIdx(rec);
          const typeId = r.u32(rec + 4);
          typeRef(rec, typeId, 'core_relo');
          const accessStr = str(r.u32(rec + 8), rec + 8, 'core_relo access');
          const kind = r.u32(rec + 12);
          if (kind > BPF_CORE_KIND_MAX) fail(rec + 12, `core_relo kind ${kind} is unknown (0..${BPF_CORE_KIND_MAX})`);
          return { insnOff, typeId, accessStr, kind };
        })
      : new Map<string, CoreRelo[]>();

  return { funcInfo, lineInfo, coreRelos };
}

/** Input of buildBtfExt: strings are already offsets in .BTF (e.g. from BtfBuilder.addString). */
export interface BtfExtBuildInput {
  funcInfo?: readonly { secNameOff: number; records: readonly { insnOff: number; typeId: number }[] }[];
  lineInfo?: readonly { secNameOff: number; records: readonly { insnOff: number; fileNameOff: number; lineOff: number; line: number; col: number }[] }[];
  coreRelos?: readonly { secNameOff: number; records: readonly { insnOff: number; typeId: number; accessStrOff: number; kind: number }[] }[];
}

/** Writes .BTF.ext bytes (32-byte header; insnOff given in instructions, written as bytes) — for tests and fuzzing. */
export function buildBtfExt(input: BtfExtBuildInput): Uint8Array {
  const words: number[][] = [];
  const blockOf = <R>(secs: readonly { secNameOff: number; records: readonly R[] }[] | undefined, recSize: number, enc: (r: R) => number[]): number[] => {
    if (!secs || secs.length === 0) return [];
    const w: number[] = [recSize];
    for (const s of secs) {
      w.push(s.secNameOff, s.records.length);
      for (const rec of s.records) w.push(...enc(rec));
    }
    return w;
  };
  words.push(blockOf(input.funcInfo, 8, (x) => [x.insnOff * INSN_SZ, x.typeId]));
  words.push(blockOf(input.lineInfo, 16, (x) => [x.insnOff * INSN_SZ, x.fileNameOff, x.lineOff, ((x.line << 10) | (x.col & 0x3ff)) >>> 0]));
  words.push(blockOf(input.coreRelos, 16, (x) => [x.insnOff * INSN_SZ, x.typeId, x.accessStrOff, x.kind]));
  const body = words.reduce((n, w) => n + w.length * 4, 0);
  const out = new Uint8Array(BTF_EXT_HDR_CORE + body);
  const v = new DataView(out.buffer);
  v.setUint16(0, BTF_MAGIC, true);
  v.setUint8(2, 1);
  v.setUint32(4, BTF_EXT_HDR_CORE, true);
  let off = 0;
  words.forEach((w, i) => {
    v.setUint32(8 + i * 8, w.length === 0 ? 0 : off, true);
    v.setUint32(12 + i * 8, w.length * 4, true);
    for (const x of w) {
      v.setUint32(BTF_EXT_HDR_CORE + off, x >>> 0, true);
      off += 4;
    }
  });
  return out;
}
