// Random programs, and the slice of them recorded against the live kernel (data/kernel-random.json,
// recorded by packages/verifier/test/random.kernel.test.ts): programs from the soundness
// generator (gen/programs.ts, ids g:SEED; privileged ones only, as the probe loads as root)
// and from the templates of what random testing found (gen/templates.ts, ids t:SEED), each
// with a digest of its bytes so a change to a generator is caught instead of comparing
// bpfsim's verdict on one program with the kernel's on another.
import type { MapInfo } from '@bpfsim/verifier';
import type { Insn } from '@bpfsim/isa';
import { generateProgram } from './gen/programs';
import { generateTemplate } from './gen/templates';

/** Seeds FIRST .. FIRST + COUNT - 1 of each generator. */
export const RANDOM_FIRST = 1;
export const RANDOM_COUNT = 3000;
export const TEMPLATE_COUNT = 2000;

/** A program of the slice. */
export interface SliceProgram {
  id: string;
  progType: 'xdp' | 'socket_filter';
  insns: Insn[];
  maps: MapInfo[];
}

export interface RandomVerdict {
  id: string;
  digest: string;
  accepted: boolean;
  errno?: string;
  error?: string;
}

export interface RandomGolden {
  recordedBy: string;
  kernel: string;
  first: number;
  count: number;
  templates: number;
  programs: RandomVerdict[];
}

const hex = (n: number, bytes: number): string => {
  let s = '';
  for (let i = 0; i < bytes; i++) s += ((n >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return s;
};

/** The program's instructions as BPF_PROG_LOAD takes them (hex, 8 bytes a slot). */
export const insnsHex = (p: SliceProgram): string => p.insns.map((i) => hex(i.code, 1) + hex((i.src << 4) | i.dst, 1) + hex(i.off & 0xffff, 2) + hex(i.imm >>> 0, 4)).join('');

/** FNV-1a (32-bit) of the instructions and maps: enough to notice a generator change. */
export function digest(p: SliceProgram): string {
  const text = `${p.progType}|${insnsHex(p)}|${JSON.stringify(p.maps)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The slice: the generator's privileged programs, then the templates', in seed order. */
export function randomPrograms(first = RANDOM_FIRST, count = RANDOM_COUNT, templates = TEMPLATE_COUNT): SliceProgram[] {
  const out: SliceProgram[] = [];
  for (let s = first; s < first + count; s++) {
    const p = generateProgram(s);
    if (p.privileged) out.push({ id: `g:${s}`, progType: p.progType, insns: p.insns, maps: p.maps });
  }
  for (let s = first; s < first + templates; s++) {
    const p = generateTemplate(s);
    out.push({ id: `t:${s}`, progType: p.progType, insns: p.insns, maps: p.maps });
  }
  return out;
}
