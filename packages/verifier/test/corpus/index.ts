// The verifier corpus: small programs, each testing one rule of Linux's verifier, whose
// verdicts the live kernel recorded in packages/selfcheck/data/kernel-verifier.json
// (`npm run test:kernel`). Cases are written in bpfsim's LLVM assembly syntax.
import { assemble } from '@bpfsim/isa';
import { ATOMICS_CASES } from './atomics';
import { CTX_CASES } from './ctx';
import { HELPERS_CASES } from './helpers';
import { LD_ABS_CASES } from './ld-abs';
import { LOOPS_CASES } from './loops';
import { MAPS_CASES } from './maps';
import { PACKET_CASES } from './packet';
import { PTR_ARITH_CASES } from './ptr-arith';
import { RETURN_CASES } from './return';
import { SCALAR_CASES } from './scalar';
import { SOUNDNESS_CASES } from './soundness';
import { STACK_CASES } from './stack';
import { STRUCTURE_CASES } from './structure';
import { UNINIT_CASES } from './uninit';
import { V4_CASES } from './v4';

export interface CorpusCase {
  /** Unique, `category/what-it-tests`. */
  id: string;
  category: string;
  progType: 'xdp' | 'socket_filter';
  /** expected_attach_type at load (0 when absent). */
  attachType?: number;
  /** The program, in bpfsim's LLVM syntax (maps declared with `.map`). */
  asm: string;
  /** The license string given at load (default "GPL"). */
  license?: string;
}

export interface CompiledMap {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
}

export interface CompiledCase {
  /** The instructions, as hex (8 bytes a slot, maps referenced as BPF_PSEUDO_MAP_IDX[_VALUE]). */
  insns: string;
  /** The declared maps, in the order map indexes refer to them. */
  maps: CompiledMap[];
}

export const PROG_TYPE_NUMBER: Record<CorpusCase['progType'], number> = { socket_filter: 1, xdp: 6 };

export const ALL_CASES: readonly CorpusCase[] = [
  ...STRUCTURE_CASES,
  ...UNINIT_CASES,
  ...SCALAR_CASES,
  ...STACK_CASES,
  ...CTX_CASES,
  ...PACKET_CASES,
  ...MAPS_CASES,
  ...HELPERS_CASES,
  ...PTR_ARITH_CASES,
  ...RETURN_CASES,
  ...LOOPS_CASES,
  ...ATOMICS_CASES,
  ...LD_ABS_CASES,
  ...V4_CASES,
  ...SOUNDNESS_CASES,
];

const hex = (n: number, bytes: number): string => {
  let s = '';
  for (let i = 0; i < bytes; i++) s += ((n >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return s;
};

/** Assembles a case: its instruction bytes (little-endian slots) and its maps. */
export function compileCase(c: CorpusCase): CompiledCase {
  const r = assemble(c.asm, { file: c.id });
  const insns = r.insns.map((i) => hex(i.code, 1) + hex((i.src << 4) | i.dst, 1) + hex(i.off & 0xffff, 2) + hex(i.imm >>> 0, 4)).join('');
  const maps = r.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }));
  return { insns, maps };
}
