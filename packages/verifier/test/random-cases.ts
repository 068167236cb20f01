// The random-program slice recorded against the live kernel: programs from the soundness
// generator (gen/programs.ts) by seed, privileged ones only (the probe loads as root), each
// with a digest of its bytes so a change to the generator is caught instead of comparing
// bpfsim's verdict on one program with the kernel's on another.
import type { GenProgram } from './gen/programs';
import { generateProgram } from './gen/programs';

/** Seeds FIRST .. FIRST + COUNT - 1. */
export const RANDOM_FIRST = 1;
export const RANDOM_COUNT = 3000;

export interface RandomVerdict {
  seed: number;
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
  programs: RandomVerdict[];
}

const hex = (n: number, bytes: number): string => {
  let s = '';
  for (let i = 0; i < bytes; i++) s += ((n >>> (8 * i)) & 0xff).toString(16).padStart(2, '0');
  return s;
};

/** The program's instructions as BPF_PROG_LOAD takes them (hex, 8 bytes a slot). */
export const insnsHex = (p: GenProgram): string => p.insns.map((i) => hex(i.code, 1) + hex((i.src << 4) | i.dst, 1) + hex(i.off & 0xffff, 2) + hex(i.imm >>> 0, 4)).join('');

/** FNV-1a (32-bit) of the instructions and maps: enough to notice a generator change. */
export function digest(p: GenProgram): string {
  const text = `${p.progType}|${insnsHex(p)}|${JSON.stringify(p.maps)}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The privileged programs of the slice, in seed order. */
export function randomPrograms(first = RANDOM_FIRST, count = RANDOM_COUNT): GenProgram[] {
  const out: GenProgram[] = [];
  for (let s = first; s < first + count; s++) {
    const p = generateProgram(s);
    if (p.privileged) out.push(p);
  }
  return out;
}
