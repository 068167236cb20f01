// Reading a program named on the command line: assembly (.s, or anything that is text),
// raw bytecode (.bin), or hex text (--hex); '-' is standard input.
import type { AsmSyntax, Insn } from '@bpfsim/isa';
import { DecodeError, INSN_SIZE, assemble, decode, parseHexBytes } from '@bpfsim/isa';
import type { Io } from './io';
import { UsageError, displayName, readInput, utf8 } from './io';

export interface ProgramInputOptions {
  hex?: boolean;
  /** Check bytecode against the encoding rules (default true); the verifier wants it raw. */
  validate?: boolean;
  syntax?: AsmSyntax | 'auto';
}

export interface ProgramInput {
  name: string;
  insns: Insn[];
  /** Assembler warnings, already formatted `FILE:LINE:COL: warning: …`. */
  warnings: string[];
}

/** Bytecode to instructions, with errors naming the byte offset. */
export function decodeNamed(bytes: Uint8Array, name: string, validate = true): Insn[] {
  if (bytes.length === 0) throw new UsageError('empty program', name);
  try {
    return decode(bytes, { validate });
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    throw new UsageError(e.index >= 0 ? `byte ${e.index * INSN_SIZE}: ${e.message}` : e.message, name);
  }
}

export function readProgram(io: Io, file: string, options: ProgramInputOptions = {}): ProgramInput {
  const { name, insns, warnings } = readProgramUnit(io, file, options);
  return { name, insns, warnings };
}

/** A map an assembly unit declares, in the shape the verifier takes. */
export interface UnitMap {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  name: string;
  inner?: UnitMap;
}

/** A program with what its assembly declares: maps (its fd_array), `.section`, `.license`. */
export interface ProgramUnit extends ProgramInput {
  maps: UnitMap[];
  section?: string;
  license?: string;
}

export function readProgramUnit(io: Io, file: string, options: ProgramInputOptions = {}): ProgramUnit {
  const name = displayName(file);
  const input = readInput(io, file);
  const validate = options.validate ?? true;
  if (options.hex) return { name, insns: decodeNamed(parseHexBytes(utf8(input), name), name, validate), warnings: [], maps: [] };
  if (/\.(bin|bpf)$/i.test(file)) return { name, insns: decodeNamed(input, name, validate), warnings: [], maps: [] };
  if (/\.o$/i.test(file)) throw new UsageError('a .o file must be an ELF object (it has no \\x7fELF magic)', name);
  const text = utf8(input);
  const r = assemble(text, options.syntax && options.syntax !== 'auto' ? { file: name, syntax: options.syntax } : { file: name });
  if (r.insns.length === 0) throw new UsageError('no instructions', name);
  const byName = new Map<string, UnitMap>();
  const maps = r.maps.map((m) => {
    const u: UnitMap = { type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name };
    byName.set(m.name, u);
    return u;
  });
  r.maps.forEach((m, i) => {
    if (m.innerMap) maps[i]!.inner = byName.get(m.innerMap);
  });
  return {
    name,
    insns: r.insns,
    warnings: r.warnings.map((w) => `${name}:${w.line}:${w.column}: warning: ${w.message}`),
    maps,
    ...(r.section !== undefined ? { section: r.section } : {}),
    ...(r.license !== undefined ? { license: r.license } : {}),
  };
}
