#!/usr/bin/env node
// Records what this machine's LLVM tools say about the example BPF objects, as golden data
// for the loader tests: for each scenarios/progs/NAME.bpf.o it writes
// packages/loader/test/golden/objects/NAME.json with
//   sections:    [{index, name, type, flags, offset, size, link, info, entsize}]
//                from `llvm-readelf -S` (type as readelf names it: PROGBITS, REL, ...;
//                flags as its letters, e.g. "AX"; offset and size as numbers)
//   symbols:     [{name, value, size, type, bind, section, sectionIndex?}] from `llvm-readelf -s`
//                (section: the section's name when Ndx is a number, else "UND"/"ABS"/"COM")
//   relocations: {targetSection: [{offset, type, symbol, symbolValue}]} from `llvm-readelf -r`,
//                keyed by the section a REL section applies to (its sh_info), e.g.
//                "cgroup/connect4" for ".relcgroup/connect4", ".BTF.ext" for ".rel.BTF.ext"
//   programs:    {section: {insnCount, functions: [{name, insn}],
//                           insns: [{insn, bytes, text, reloc?: {type, symbol}}]}}
//                from `llvm-objdump -d -r`, for each executable (X) section; insn and
//                insnCount in 8-byte units (ld_imm64 is one entry covering two units;
//                its bytes are all 16), bytes as lowercase hex without spaces
//   tool:        the first line of `llvm-objdump --version`
// Usage: npm run golden:objects  (needs llvm-readelf and llvm-objdump; LLVM 14 here).
// Rebuild the objects first if their sources changed (npm run build:bpf).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const progs = join(root, 'scenarios', 'progs');
const outDir = join(root, 'packages', 'loader', 'test', 'golden', 'objects');

const run = (tool, args) => execFileSync(tool, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
const hexNum = (s) => {
  const n = Number.parseInt(s, 16);
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe hex number: ${s}`);
  return n;
};

/** `llvm-readelf -S`: "[Nr] Name Type Address Off Size ES Flg Lk Inf Al"; Flg may be empty. */
function parseSections(text) {
  const sections = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    const tok = m[2].trim().split(/\s+/);
    // From the end: Al Inf Lk [Flg] ES Size Off Address Type [Name]
    const [al, inf, lk] = tok.splice(-3).reverse();
    const hasName = index !== 0;
    const fixed = hasName ? 6 : 5; // name? type addr off size es
    const flags = tok.length > fixed ? tok.pop() : '';
    const [es, size, off, , type] = tok.splice(-5).reverse();
    const name = hasName ? tok.join(' ') : '';
    if (al === undefined || type === undefined) throw new Error(`cannot parse section line: ${line}`);
    sections.push({
      index,
      name,
      type,
      flags,
      offset: hexNum(off),
      size: hexNum(size),
      link: Number(lk),
      info: Number(inf),
      entsize: hexNum(es),
    });
  }
  return sections;
}

/** `llvm-readelf -s`: "Num: Value Size Type Bind Vis Ndx Name". */
function parseSymbols(text, sections) {
  const symbols = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (!m) continue;
    const [, , value, size, type, bind, , ndx, name] = m;
    const sym = { name: name ?? '', value: hexNum(value), size: Number(size), type, bind };
    if (/^\d+$/.test(ndx)) {
      sym.section = sections[Number(ndx)]?.name ?? Number(ndx);
      sym.sectionIndex = Number(ndx);
    } else {
      sym.section = ndx;
    }
    symbols.push(sym);
  }
  return symbols;
}

/** `llvm-readelf -r`: blocks "Relocation section 'NAME' at offset ... contains N entries:". */
function parseRelocations(text, sections) {
  const out = {};
  let current = null;
  for (const line of text.split('\n')) {
    const head = /^Relocation section '(.*)' at offset 0x[0-9a-f]+ contains (\d+) entr/.exec(line);
    if (head) {
      const rel = sections.find((s) => s.name === head[1]);
      if (!rel) throw new Error(`unknown relocation section ${head[1]}`);
      const target = sections[rel.info]?.name ?? String(rel.info);
      current = out[target] = [];
      current.expected = Number(head[2]);
      continue;
    }
    const m = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(R_BPF_\S+)\s+([0-9a-f]{16})\s?(.*)$/.exec(line);
    if (m && current) {
      current.push({ offset: hexNum(m[1]), type: m[3], symbol: m[5] ?? '', symbolValue: hexNum(m[4]) });
    } else if (/^[0-9a-f]{16}\s/.test(line)) {
      throw new Error(`cannot parse relocation line: ${line}`);
    }
  }
  for (const [target, list] of Object.entries(out)) {
    if (list.length !== list.expected) throw new Error(`${target}: ${list.length} relocations parsed, ${list.expected} listed`);
    delete list.expected;
  }
  return out;
}

/** `llvm-objdump -d -r`: per section, "N:\tHEX BYTES\tTEXT", relocation lines below theirs. */
function parsePrograms(text, sections) {
  const executable = new Set(sections.filter((s) => s.flags.includes('X')).map((s) => s.name));
  const programs = {};
  let prog = null;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      prog = executable.has(sec[1]) ? (programs[sec[1]] = { insnCount: 0, functions: [], insns: [] }) : null;
      continue;
    }
    if (!prog) continue;
    const label = /^([0-9a-f]{16}) <(.*)>:$/.exec(line);
    if (label) {
      prog.functions.push({ name: label[2], insn: hexNum(label[1]) / 8 });
      continue;
    }
    const insn = /^\s*(\d+):\t((?:[0-9a-f]{2} )*[0-9a-f]{2})\t(.*)$/.exec(line);
    if (insn) {
      const bytes = insn[2].replace(/ /g, '');
      prog.insns.push({ insn: Number(insn[1]), bytes, text: insn[3].trimEnd() });
      prog.insnCount += bytes.length / 16;
      continue;
    }
    const reloc = /^\t\t([0-9a-f]{16}):\s+(R_BPF_\S+)\t(.*)$/.exec(line);
    if (reloc) {
      const last = prog.insns[prog.insns.length - 1];
      if (!last || last.insn * 8 !== hexNum(reloc[1])) throw new Error(`stray relocation: ${line}`);
      last.reloc = { type: reloc[2], symbol: reloc[3] };
    }
  }
  for (const [name, p] of Object.entries(programs)) {
    const size = sections.find((s) => s.name === name)?.size;
    if (p.insnCount * 8 !== size) throw new Error(`${name}: ${p.insnCount} insns parsed, section has ${size} bytes`);
  }
  return programs;
}

const tool = run('llvm-objdump', ['--version']).split('\n').map((l) => l.trim()).find((l) => l) ?? '';
mkdirSync(outDir, { recursive: true });
const objects = readdirSync(progs).filter((f) => f.endsWith('.bpf.o')).sort();
if (objects.length === 0) {
  console.error('no scenarios/progs/*.bpf.o: run npm run build:bpf first');
  process.exit(1);
}
for (const file of objects) {
  const path = join(progs, file);
  const sections = parseSections(run('llvm-readelf', ['-S', '-W', path]));
  const symbols = parseSymbols(run('llvm-readelf', ['-s', '-W', path]), sections);
  const relocations = parseRelocations(run('llvm-readelf', ['-r', '-W', path]), sections);
  const programs = parsePrograms(run('llvm-objdump', ['-d', '-r', path]), sections);
  // Only labels of FUNC symbols name functions; the LBBx_y jump targets are dropped.
  const funcs = new Set(symbols.filter((s) => s.type === 'FUNC').map((s) => s.name));
  for (const p of Object.values(programs)) p.functions = p.functions.filter((f) => funcs.has(f.name));
  const name = file.slice(0, -'.bpf.o'.length);
  const doc = { object: `scenarios/progs/${file}`, tool, sections, symbols, relocations, programs };
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(doc, null, 2) + '\n');
  const n = Object.values(programs).reduce((a, p) => a + p.insnCount, 0);
  console.log(`${name}: ${sections.length} sections, ${symbols.length} symbols, ${Object.keys(programs).length} code sections, ${n} insns`);
}
