// Which line of the editor's text each instruction came from, so the verifier's failing
// instruction and the debugger's current one can be marked in the editor.
import { assemble } from '@bpfsim/isa';
import type { ProgramRecord } from '@bpfsim/scenario';

/**
 * Instruction index → 1-based line of `text`. For a w.program() record, `text` is the
 * assembly, assembled after the record's `.map` prefix as the world did; for an object's
 * listing, the lines that start with "N:". Indexes of no line (the second slot of an
 * ld_imm64) are absent. Text that does not assemble gives an empty map.
 */
export function insnLines(rec: Pick<ProgramRecord, 'origin' | 'prefix'>, text: string): Map<number, number> {
  const out = new Map<number, number>();
  if (rec.origin === 'object') {
    text.split('\n').forEach((l, i) => {
      const m = /^\s*(\d+): /.exec(l);
      if (m) out.set(Number(m[1]), i + 1);
    });
    return out;
  }
  const prefixLines = rec.prefix ? rec.prefix.split('\n').length - 1 : 0;
  let lines: readonly number[];
  try {
    lines = assemble(rec.prefix + text, { file: 'program' }).lines;
  } catch {
    return out;
  }
  let prev = -1;
  lines.forEach((line, idx) => {
    if (line === prev) return; // ld_imm64's second slot
    prev = line;
    out.set(idx, line - prefixLines);
  });
  return out;
}

/** The reverse: 1-based line → the first instruction index on it. */
export function lineInsns(map: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [idx, line] of map) if (!out.has(line)) out.set(line, idx);
  return out;
}
