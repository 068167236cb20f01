// The example objects (scenarios/progs/*.bpf.o) read by bpfsim's loader against two
// recordings: what llvm-readelf/llvm-objdump (LLVM 14) print of each file
// (golden/objects/NAME.json, `npm run golden:objects`), and what libbpf 1.1 and Linux 6.18
// made of them (golden/kernel-objects.json, scripts/kernel/probe_objects.py): program and
// attach types, instruction counts at open and after relocation, maps, and whether each
// program loads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encode, uapiName } from '@bpfsim/isa';
import { BpfClient, Kernel, SHT } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import { ProgramLoadError, openObject, parseElf, relocTypeName } from '../src';
import kernelGolden from './golden/kernel-objects.json';

const progs = path.resolve(__dirname, '../../../scenarios/progs');
const goldenDir = path.join(__dirname, 'golden/objects');
const names = fs.readdirSync(goldenDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
const read = (name: string): Uint8Array => fs.readFileSync(path.join(progs, `${name}.bpf.o`));

interface ReadelfGolden {
  sections: { index: number; name: string; type: string; flags: string; offset: number; size: number; link: number; info: number; entsize: number }[];
  symbols: { name: string; value: number; size: number; type: string; bind: string; section: string }[];
  relocations: Record<string, { offset: number; type: string; symbol: string }[]>;
  programs: Record<string, { insnCount: number; functions: { name: string; insn: number }[]; insns: { insn: number; bytes: string }[] }>;
}

/** readelf's flag letters, in its order. */
const FLAG_LETTERS: [number, string][] = [[0x1, 'W'], [0x2, 'A'], [0x4, 'X'], [0x10, 'M'], [0x20, 'S'], [0x40, 'I'], [0x80, 'L'], [0x100, 'O'], [0x200, 'G'], [0x400, 'T'], [0x800, 'C'], [0x80000000, 'E']];
const flagString = (f: number): string => FLAG_LETTERS.filter(([bit]) => f & bit).map(([, l]) => l).join('');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('every example object has golden data', () => {
  const objects = fs.readdirSync(progs).filter((f) => f.endsWith('.bpf.o')).map((f) => f.slice(0, -6)).sort();
  expect(names).toEqual(objects);
  expect(Object.keys(kernelGolden.objects).sort()).toEqual(objects);
});

describe.each(names)('%s: the ELF file as llvm-readelf reads it', (name) => {
  const golden = JSON.parse(fs.readFileSync(path.join(goldenDir, `${name}.json`), 'utf8')) as ReadelfGolden;
  const elf = parseElf(read(name), `${name}.bpf.o`);

  test('sections', () => {
    expect(elf.sections.map((s) => ({ index: s.index, name: s.name, type: uapiName(SHT, s.type) ?? String(s.type), flags: flagString(s.flags), offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize }))).toEqual(
      golden.sections.map((s) => ({ index: s.index, name: s.name, type: s.type, flags: s.flags, offset: s.offset, size: s.size, link: s.link, info: s.info, entsize: s.entsize })),
    );
  });

  test('symbols', () => {
    const TYPES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE'];
    const BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];
    const sec = (i: number): string => (i === 0 ? 'UND' : i === 0xfff1 ? 'ABS' : i === 0xfff2 ? 'COM' : elf.sections[i]!.name);
    expect(elf.symbols.map((y) => ({ name: y.type === 3 ? elf.sections[y.shndx]!.name : y.name, value: y.value, size: y.size, type: TYPES[y.type], bind: BINDS[y.bind], section: sec(y.shndx) }))).toEqual(
      golden.symbols.map((y) => ({ name: y.name, value: y.value, size: y.size, type: y.type, bind: y.bind, section: y.section })),
    );
  });

  test('relocations', () => {
    const ours: Record<string, { offset: number; type: string; symbol: string }[]> = {};
    for (const rs of elf.relocSections) {
      ours[rs.target.name] = rs.relocs.map((r) => {
        const y = elf.symbols[r.sym]!;
        return { offset: r.offset, type: relocTypeName(r.type), symbol: y.type === 3 ? elf.sections[y.shndx]!.name : y.name };
      });
    }
    const theirs = Object.fromEntries(Object.entries(golden.relocations).map(([k, v]) => [k, v.map((r) => ({ offset: r.offset, type: r.type, symbol: r.symbol }))]));
    expect(ours).toEqual(theirs);
  });

  test('program sections: functions and instruction bytes', () => {
    const obj = openObject(read(name), { file: `${name}.bpf.o` });
    for (const [secName, g] of Object.entries(golden.programs)) {
      const s = elf.sectionByName(secName)!;
      expect(s.size / 8).toBe(g.insnCount);
      // Each function of the section is a program or (in .text) a subprogram, where llvm-objdump puts its label.
      const ours = [...obj.programs.filter((p) => p.sectionName === secName).map((p) => ({ name: p.name, insn: p.func.secInsnOff }))];
      if (secName === '.text') expect(obj.subprograms.map((x) => x.name).sort()).toEqual(g.functions.map((f) => f.name).sort());
      else expect(ours).toEqual(g.functions);
      // The bytes we decode and encode again are the bytes objdump printed.
      for (const p of obj.programs.filter((x) => x.sectionName === secName)) {
        const bytes = hex(encode(p.func.insns));
        const start = p.func.secInsnOff;
        const expected = g.insns.filter((i) => i.insn >= start && i.insn < start + p.sectionInsnCount).map((i) => i.bytes).join('');
        expect(bytes).toBe(expected);
      }
    }
  });
});

type KernelObject = (typeof kernelGolden.objects)[keyof typeof kernelGolden.objects];
type KernelProgram = { name: string; section: string; progType: number; expectedAttachType: number; insnCntAtOpen: number; insnCntAfterRelocation: number; load: { ok: boolean; errno?: string } };
type KernelMap = { name: string; type: number; keySize: number; valueSize: number; maxEntries: number; mapFlags: number };

describe.each(names)('%s: as libbpf 1.1 and Linux 6.18 took it', (name) => {
  const k = (kernelGolden.objects as Record<string, KernelObject>)[name]!;
  const obj = openObject(read(name), { file: `${name}.bpf.o` });

  if ('openError' in k) {
    test(`libbpf refuses to open it (${(k as { openError: string }).openError}); bpfsim reads it with a warning`, () => {
      expect((k as { openError: string }).openError).toBe('ENOTSUP');
      expect(obj.warnings.map((w) => w.code)).toContain('LEGACY_MAPS');
    });
    return;
  }
  const kmaps = (k as { maps: KernelMap[] }).maps;
  const kprogs = (k as { programs: KernelProgram[] }).programs;

  test('maps: names (internal ones too), types, sizes, flags, in libbpf order', () => {
    expect(obj.maps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.flags }))).toEqual(
      kmaps.map((m) => ({ name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, mapFlags: m.mapFlags })),
    );
  });

  test('programs: section, type, expected_attach_type, instructions at open and after relocation', () => {
    expect(
      obj.programs.map((p) => ({
        name: p.name,
        section: p.sectionName,
        progType: p.type,
        // libbpf reports 0 for types without one; so does bpfsim.
        expectedAttachType: p.expectedAttachType,
        insnCntAtOpen: p.sectionInsnCount,
        insnCntAfterRelocation: obj.linkedInstructions(p).insns.length,
      })),
    ).toEqual(kprogs.map((p) => ({ name: p.name, section: p.section, progType: p.progType, expectedAttachType: p.expectedAttachType, insnCntAtOpen: p.insnCntAtOpen, insnCntAfterRelocation: p.insnCntAfterRelocation })));
  });

  describe.each(kprogs.map((p) => [p.name, p] as const))('%s', (progName, kp) => {
    test(`loads alone as on Linux (${kp.load.ok ? 'accepted' : kp.load.errno})`, () => {
      const fresh = openObject(read(name), { file: `${name}.bpf.o`, pinRoot: '/sys/fs/bpf/test' });
      for (const p of fresh.programs) p.autoload = p.name === progName;
      const kernel = new Kernel();
      installSockmap(kernel);
      const client = new BpfClient(kernel, kernel.spawn({ comm: 'loader-test' }));
      const modelled = kernel.progTypes.get(kp.progType) !== undefined;
      let verdict: { ok: boolean; errno?: string; log?: string };
      try {
        fresh.load(client);
        verdict = { ok: true };
      } catch (e) {
        if (!(e instanceof ProgramLoadError)) throw e;
        verdict = { ok: false, errno: e.code, log: e.log };
      }
      // Every program type of the example objects is modelled (a new one would need a descriptor).
      expect(modelled).toBe(true);
      if (verdict.ok !== kp.load.ok) throw new Error(`Linux: ${JSON.stringify(kp.load)}; bpfsim: ${JSON.stringify(verdict.errno)}\n${verdict.log ?? ''}`);
      expect(verdict.ok).toBe(kp.load.ok);
      if (!kp.load.ok) expect(verdict.errno).toBe(kp.load.errno);
      fresh.close();
    });
  });
});
