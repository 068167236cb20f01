// Directives shared by both assembly syntaxes: `.map`, `.section`, `.license`, `.8byte`,
// and the assembler housekeeping that clang's `-S` output carries (ignored).
import { BPF_MAP_TYPE } from '../uapi';
import { parseIntLiteral, toImm64 } from './numbers';
import type { AssemblyUnit, MapDef } from './unit';

/** Directives clang emits around code that mean nothing for a single program. */
const IGNORED = new Set([
  '.text', '.globl', '.global', '.p2align', '.align', '.type', '.size', '.file', '.addrsig',
  '.addrsig_sym', '.ident', '.loc', '.cfi_sections', '.cfi_startproc', '.cfi_endproc', '.local', '.weak',
]);

const MAP_KEYS: Record<string, keyof MapDef> = {
  type: 'type',
  key_size: 'keySize',
  key: 'keySize',
  value_size: 'valueSize',
  value: 'valueSize',
  max_entries: 'maxEntries',
  entries: 'maxEntries',
  map_flags: 'flags',
  flags: 'flags',
  inner_map: 'innerMap',
};

/** `hash`, `HASH`, `BPF_MAP_TYPE_HASH` or `1` → 1. */
export function mapTypeByName(name: string): number | undefined {
  const n = parseIntLiteral(name);
  if (n !== undefined) return Number(n);
  const up = name.toUpperCase();
  const key = (up.startsWith('BPF_MAP_TYPE_') ? up : `BPF_MAP_TYPE_${up}`) as keyof typeof BPF_MAP_TYPE;
  return Object.prototype.hasOwnProperty.call(BPF_MAP_TYPE, key) ? BPF_MAP_TYPE[key] : undefined;
}

/** Strips a `#` or `//` comment (outside double quotes) from a line. */
export function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') inString = !inString;
    else if (!inString && (c === '#' || (c === '/' && line[i + 1] === '/'))) return line.slice(0, i);
  }
  return line;
}

/**
 * Handles the line when it is a directive (`.name …`) and returns true; returns false for
 * anything else. `raw` is the line without its comment.
 */
export function handleDirective(unit: AssemblyUnit, raw: string, line: number): boolean {
  const m = /^(\s*)(\.[\w.]+)(?![\w.]|\s*:)(.*)$/.exec(raw);
  if (!m) return false;
  const name = m[2]!;
  const args = m[3]!.trim();
  const col = m[1]!.length + 1;
  const argCol = raw.length - m[3]!.trimStart().length + 1;
  const loc = { line, column: col };
  switch (name) {
    case '.map':
      parseMap(unit, args, { line, column: argCol });
      return true;
    case '.section': {
      const sec = args.split(',')[0]!.trim().replace(/^"(.*)"$/, '$1');
      if (!sec) unit.fail({ line, column: argCol }, '.section needs a name');
      if (unit.section !== undefined && unit.section !== sec)
        unit.fail(loc, `a file holds one program: section '${unit.section}' is already open`);
      unit.section = sec;
      return true;
    }
    case '.license': {
      const s = /^"([^"]*)"$/.exec(args)?.[1] ?? (/^\S+$/.test(args) ? args : undefined);
      if (s === undefined) unit.fail({ line, column: argCol }, '.license takes one word or one quoted string');
      unit.license = s;
      return true;
    }
    case '.8byte':
    case '.quad':
      for (const word of args.split(/[\s,]+/).filter(Boolean)) {
        const v = parseIntLiteral(word);
        const u = v === undefined ? undefined : toImm64(v);
        if (u === undefined) unit.fail({ line, column: argCol }, `${name} takes 64-bit integers, found '${word}'`);
        const lo = Number(BigInt.asIntN(32, u));
        const hi = Number(BigInt.asIntN(32, u >> 32n));
        // The u64 is the instruction's little-endian bytes: code, regs, off, imm.
        unit.emit(loc, {
          code: lo & 0xff,
          dst: (lo >> 8) & 0xf,
          src: (lo >> 12) & 0xf,
          off: (lo << 0) >> 16,
          imm: hi,
        });
      }
      return true;
  }
  if (IGNORED.has(name)) return true;
  return unit.fail(loc, `unknown directive '${name}'`);
}

function parseMap(unit: AssemblyUnit, args: string, loc: { line: number; column: number }): void {
  const words = args.split(/[\s,]+/).filter(Boolean);
  const name = words.shift();
  if (!name || !/^[A-Za-z_][\w.]*$/.test(name))
    unit.fail(loc, '.map needs a name: .map NAME type=TYPE key_size=N value_size=N max_entries=N [map_flags=N] [inner_map=NAME]');
  const def: MapDef = { name, type: -1, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, line: loc.line };
  for (const w of words) {
    const kv = /^([a-z_]+)=(\S+)$/.exec(w);
    const field = kv ? MAP_KEYS[kv[1]!] : undefined;
    if (!kv || !field) unit.fail(loc, `.map ${name}: expected KEY=VALUE with KEY one of ${Object.keys(MAP_KEYS).join(', ')}; found '${w}'`);
    const value = kv[2]!;
    if (field === 'type') {
      const t = mapTypeByName(value);
      if (t === undefined) unit.fail(loc, `.map ${name}: unknown map type '${value}'`);
      def.type = t;
    } else if (field === 'innerMap') {
      def.innerMap = value;
    } else {
      const n = parseIntLiteral(value);
      if (n === undefined || n < 0n || n > 0xffffffffn) unit.fail(loc, `.map ${name}: ${kv[1]} must be an unsigned 32-bit integer, found '${value}'`);
      (def[field] as number) = Number(n);
    }
  }
  if (def.type < 0) unit.fail(loc, `.map ${name}: type=… is required`);
  unit.declareMap(def, loc);
}
