// Public API of @bpfsim/isa: the eBPF instruction set (include/uapi/linux/bpf.h, RFC 9669).
export * from './opcodes';
export * from './uapi';
export type { Insn } from './insn';
export { LD_IMM64, insn, insnSlots, isLdImm64, ldImm64, ldImm64Value } from './insn';
export { DecodeError, AsmError, IsaError } from './errors';
export { decode, encode, parseHexBytes, toHexLines } from './encoding';
export type { DecodeOptions } from './encoding';
export { ATOMIC_RMW_OPS, checkInsn, slotsAt, validateInsns } from './validate';
export { BPF_FUNC_NAMES, helperId, helperName } from './helpers';
export { disassemble, disasmText, formatInsn } from './disasm';
export type { DisasmLine, DisasmOptions } from './disasm';
export { assemble, detectSyntax } from './asm/assemble';
export type { AsmOptions, AsmSyntax } from './asm/assemble';
export type { AsmResult, AsmWarning, MapDef, SourceLoc } from './asm/unit';
export { mapTypeByName } from './asm/directives';
export { parseConformanceData } from './conformance-data';
export type { ConformanceCase } from './conformance-data';
export * from './builder';
