import { AsmError, DecodeError } from './errors';
import type { Insn } from './insn';
import { INSN_SIZE } from './opcodes';
import { slotsAt, validateInsns } from './validate';

export interface DecodeOptions {
  /** Check every instruction against the encoding rules (default true). */
  validate?: boolean;
}

/**
 * Bytes (little-endian `struct bpf_insn`s, as `BPF_PROG_LOAD` takes them) to instruction slots.
 * With validation (the default) a bad encoding throws a DecodeError naming the slot.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): Insn[] {
  if (bytes.length % INSN_SIZE !== 0)
    throw new DecodeError(-1, `program length ${bytes.length} bytes is not a multiple of ${INSN_SIZE}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const insns: Insn[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0, p = 0; p < bytes.length; i++, p += INSN_SIZE) {
    const regs = bytes[p + 1]!;
    insns[i] = {
      code: bytes[p]!,
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(p + 2, true),
      imm: view.getInt32(p + 4, true),
    };
  }
  if (options.validate !== false) validateInsns(insns);
  return insns;
}

/** Instruction slots to bytes. Field values must fit their width (imm may be given unsigned). */
export function encode(insns: readonly Readonly<Insn>[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((ins, i) => {
    const bad = (field: string, v: number): never => {
      throw new DecodeError(i, `field ${field} = ${v} does not fit its width`);
    };
    if (!Number.isInteger(ins.code) || ins.code < 0 || ins.code > 0xff) bad('code', ins.code);
    if (!Number.isInteger(ins.dst) || ins.dst < 0 || ins.dst > 0xf) bad('dst', ins.dst);
    if (!Number.isInteger(ins.src) || ins.src < 0 || ins.src > 0xf) bad('src', ins.src);
    if (!Number.isInteger(ins.off) || ins.off < -0x8000 || ins.off > 0x7fff) bad('off', ins.off);
    if (!Number.isInteger(ins.imm) || ins.imm < -0x80000000 || ins.imm > 0xffffffff) bad('imm', ins.imm);
    const p = i * INSN_SIZE;
    bytes[p] = ins.code;
    bytes[p + 1] = (ins.src << 4) | ins.dst;
    view.setInt16(p + 2, ins.off, true);
    view.setInt32(p + 4, ins.imm | 0, true);
  });
  return bytes;
}

/** `b7 00 00 00 01 00 00 00` for each instruction (16 bytes on one line for ld_imm64). */
export function toHexLines(insns: readonly Readonly<Insn>[]): string[] {
  const bytes = encode(insns);
  const lines: string[] = [];
  for (let i = 0; i < insns.length; i++) {
    const slots = slotsAt(insns, i);
    const chunk = bytes.subarray(i * INSN_SIZE, (i + slots) * INSN_SIZE);
    lines.push(Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' '));
    i += slots - 1;
  }
  return lines;
}

/**
 * Hex text to bytes: pairs of hex digits, with any whitespace (and an optional `0x` before
 * each byte) between them. Errors name line and column.
 */
export function parseHexBytes(text: string, file = '<hex>'): Uint8Array {
  const out: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, li) => {
    const body = line.replace(/(#|\/\/).*$/, '');
    const re = /\S+/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body))) {
      let tok = m[0];
      let col = m.index + 1;
      if (/^0x/i.test(tok) && tok.length === 4) {
        tok = tok.slice(2);
        col += 2;
      }
      if (tok.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(tok)) {
        throw new AsmError(file, li + 1, col, `expected hex bytes, found '${m[0]}'`);
      }
      for (let k = 0; k < tok.length; k += 2) out.push(parseInt(tok.slice(k, k + 2), 16));
    }
  });
  return Uint8Array.from(out);
}
