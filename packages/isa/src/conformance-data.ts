// The bpf_conformance test-data format (`.data` files): sections introduced by `-- asm`,
// `-- raw`, `-- mem`, `-- result`, `-- error`, `-- c` and `-- no register offset`; `#`
// comments. This reader follows the reference parser: an unknown `--` directive or a file
// with neither a result nor an error is not a test.
import { AsmError } from './errors';

export interface ConformanceCase {
  file: string;
  /** The assembly text, and the file line just before its first line (for error positions). */
  asm?: { text: string; lineOffset: number };
  /** `-- raw`: instruction bytes. */
  raw?: Uint8Array;
  /** `-- mem`: the memory the program gets in r1 (with its length in r2). */
  mem: Uint8Array;
  /** `-- result`: the expected r0. */
  result?: bigint;
  /** `-- error`: the expected error text (may be empty: "some error"). */
  error?: string;
}

type Section = 'asm' | 'raw' | 'mem' | 'result' | 'error' | 'ignore';

/** Parses a `.data` file. Throws an AsmError when the file is not a usable test case. */
export function parseConformanceData(text: string, file = '<data>'): ConformanceCase {
  let section: Section = 'ignore';
  const asmLines: string[] = [];
  let asmStart = -1;
  const raw: { text: string; line: number }[] = [];
  const mem: { text: string; line: number }[] = [];
  let result: string | undefined;
  let error: string | undefined;
  const lines = text.split('\n');
  lines.forEach((full, li) => {
    const line = full.replace(/\r$/, '').replace(/#.*$/, '');
    const d = /^\s*--\s*(.*?)\s*$/.exec(line);
    if (d) {
      const name = d[1]!;
      const next: Record<string, Section> = { asm: 'asm', raw: 'raw', mem: 'mem', result: 'result', error: 'error', c: 'ignore', 'no register offset': 'ignore' };
      const s = next[name];
      if (s === undefined) throw new AsmError(file, li + 1, line.indexOf('--') + 1, `unknown directive '-- ${name}'`);
      section = s;
      if (s === 'asm') asmStart = li + 1;
      if (s === 'error') error = '';
      return;
    }
    if (section === 'asm') {
      asmLines.push(full.replace(/\r$/, ''));
      return;
    }
    if (!line.trim()) return;
    if (section === 'raw') raw.push({ text: line, line: li + 1 });
    else if (section === 'mem') mem.push({ text: line, line: li + 1 });
    else if (section === 'result') result = line.trim();
    else if (section === 'error') error = line.trim();
  });
  if (result === undefined && error === undefined) throw new AsmError(file, 1, 1, 'no -- result or -- error section: not a test');
  const out: ConformanceCase = { file, mem: hexBytes(mem, file) };
  if (asmStart >= 0) out.asm = { text: asmLines.join('\n'), lineOffset: asmStart };
  if (raw.length) out.raw = rawInsns(raw, file);
  if (!out.asm && !out.raw) throw new AsmError(file, 1, 1, 'no instructions (no -- asm or -- raw section)');
  if (result !== undefined) {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(result)) throw new AsmError(file, 1, 1, `bad -- result value '${result}'`);
    out.result = BigInt(result);
  }
  if (error !== undefined) out.error = error;
  return out;
}

function hexBytes(lines: { text: string; line: number }[], file: string): Uint8Array {
  const out: number[] = [];
  for (const l of lines) {
    for (const m of l.text.matchAll(/\S+/g)) {
      if (!/^[0-9a-f]{1,2}$/i.test(m[0])) throw new AsmError(file, l.line, m.index! + 1, `expected a hex byte, found '${m[0]}'`);
      out.push(parseInt(m[0], 16));
    }
  }
  return Uint8Array.from(out);
}

/**
 * `-- raw` holds either one 64-bit value per instruction (`0x5566778800000018`, the
 * instruction read as a little-endian u64) or the instruction bytes (`07 00 01 00 …`).
 */
function rawInsns(lines: { text: string; line: number }[], file: string): Uint8Array {
  const words = lines.flatMap((l) => Array.from(l.text.matchAll(/\S+/g), (m) => ({ w: m[0], line: l.line, col: m.index! + 1 })));
  if (words.every((x) => /^[0-9a-f]{2}$/i.test(x.w))) return Uint8Array.from(words, (x) => parseInt(x.w, 16));
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((x, i) => {
    if (!/^(0x[0-9a-f]{1,16}|\d+)$/i.test(x.w)) throw new AsmError(file, x.line, x.col, `expected a 64-bit instruction word, found '${x.w}'`);
    view.setBigUint64(i * 8, BigInt.asUintN(64, BigInt(x.w)), true);
  });
  return out;
}
