import fc from 'fast-check';
import { BTF_KIND, Btf, BtfBuilder, fixupDatasec } from '../src/btf';
import type { BtfComposite, BtfDatasec, BtfEnum, BtfFunc, BtfFuncProto, BtfType } from '../src/btf';
import { buildBtfExt, parseBtfExt } from '../src/btf-ext';
import { ObjectFormatError } from '../src/errors';
import { elfSections } from './fixtures/btf/elf-sections';

const types = elfSections('types.bpf.o');
const core = elfSections('core.bpf.o');
const typesBtf = (): Btf => Btf.parse(types.get('.BTF')!, 'types.bpf.o');

/** The ObjectFormatError `fn` throws (fails the test on anything else). */
function formatError(fn: () => unknown): ObjectFormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ObjectFormatError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

const byName = <K extends BtfType['kind']>(btf: Btf, name: string, kind: K): Extract<BtfType, { kind: K }> => {
  const id = btf.findByName(name, kind);
  expect(id).toBeDefined();
  return btf.type(id!) as Extract<BtfType, { kind: K }>;
};

describe('.BTF from clang (types.bpf.c)', () => {
  const btf = typesBtf();

  test('struct sample: size and member offsets as the C layout gives them', () => {
    const s = byName(btf, 'sample', BTF_KIND.STRUCT) as BtfComposite;
    expect(s.size).toBe(40);
    expect(btf.resolveSize(s.id)).toBe(40);
    const m = Object.fromEntries(s.members.map((x) => [x.name, x]));
    expect(s.members.map((x) => x.name)).toEqual(['tag', 'count', 'total', 'flags', 'mode', 'pair', 'colour', 'next']);
    expect(m.tag!.bitOffset).toBe(0);
    expect(m.count!.bitOffset).toBe(4 * 8);
    expect(m.total!.bitOffset).toBe(8 * 8);
    // bitfields: clang sets kflag, so bitfield_size comes from the member offset's top byte
    expect([m.flags!.bitOffset, m.flags!.bitfieldSize]).toEqual([128, 3]);
    expect([m.mode!.bitOffset, m.mode!.bitfieldSize]).toEqual([131, 5]);
    expect(m.pair!.bitOffset).toBe(18 * 8);
    expect(m.colour!.bitOffset).toBe(24 * 8);
    expect(m.next!.bitOffset).toBe(32 * 8);
    expect(btf.typeToString(m.tag!.type)).toBe('char');
    expect(btf.typeToString(m.total!.type)).toBe('unsigned long long');
    expect(btf.typeToString(m.pair!.type)).toBe('short[2]');
    expect(btf.resolveSize(m.pair!.type)).toBe(4);
    expect(btf.typeToString(m.colour!.type)).toBe('enum colour');
    expect(btf.typeToString(m.next!.type)).toBe('struct sample *');
    expect(btf.resolveSize(m.next!.type)).toBe(8);
  });

  test('struct bpf_sock_addr from linux/bpf.h: uapi offsets, arrays, the anonymous union', () => {
    const s = byName(btf, 'bpf_sock_addr', BTF_KIND.STRUCT) as BtfComposite;
    expect(s.size).toBe(72);
    const m = Object.fromEntries(s.members.map((x) => [x.name, x]));
    expect(m.user_port!.bitOffset / 8).toBe(24);
    expect(m.user_ip6!.bitOffset / 8).toBe(8);
    expect(btf.typeToString(m.user_ip6!.type)).toBe('__u32[4]');
    expect(btf.resolveSize(m.user_ip6!.type)).toBe(16);
    expect(btf.skipModsAndTypedefs(m.user_port!.type)).toMatchObject({ kind: BTF_KIND.INT, name: 'unsigned int', size: 4, encoding: 0 });
    const anon = s.members[s.members.length - 1]!;
    expect(anon.name).toBe('');
    expect(anon.bitOffset / 8).toBe(64);
    const u = btf.type(anon.type) as BtfComposite;
    expect(u.kind).toBe(BTF_KIND.UNION);
    expect(btf.typeToString(u.members[0]!.type)).toBe('struct bpf_sock *');
    expect(btf.type(btf.findByName('bpf_sock')!)).toMatchObject({ kind: BTF_KIND.FWD, union: false });
  });

  test('functions, prototypes, variables, enums', () => {
    const connect4 = byName(btf, 'connect4', BTF_KIND.FUNC) as BtfFunc;
    expect(connect4.linkage).toBe('global');
    const proto = btf.type(connect4.type) as BtfFuncProto;
    expect(proto.params.map((p) => p.name)).toEqual(['ctx']);
    expect(btf.typeToString(proto.params[0]!.type)).toBe('struct bpf_sock_addr *');
    expect(btf.typeToString(proto.id)).toBe('int (struct bpf_sock_addr *)');
    expect((byName(btf, 'bump', BTF_KIND.FUNC) as BtfFunc).linkage).toBe('static');
    const limit = byName(btf, 'limit', BTF_KIND.VAR);
    expect(limit.linkage).toBe('static');
    expect(btf.typeToString(limit.type)).toBe('const volatile int');
    expect(btf.skipMods(limit.type)).toMatchObject({ kind: BTF_KIND.INT, name: 'int' });
    const colour = byName(btf, 'colour', BTF_KIND.ENUM) as BtfEnum;
    // clang 14 writes enums without kflag: values are unsigned 32-bit
    expect(colour.values).toEqual([
      { name: 'RED', value: 1n },
      { name: 'GREEN', value: 2n },
      { name: 'BLUE', value: 0xfffffffdn },
    ]);
    expect(btf.findByName('samples', BTF_KIND.VAR)).toBeDefined();
    expect(btf.findByName('samples', BTF_KIND.STRUCT)).toBeUndefined();
    expect(btf.findByName('nothing')).toBeUndefined();
    expect(btf.typeToString(0)).toBe('void');
  });

  test('DATASECs as clang leaves them, then fixupDatasec (btf_fixup_datasec)', () => {
    const b = typesBtf();
    const bss = b.datasec('.bss')!;
    expect(bss.size).toBe(0);
    expect(bss.vars).toHaveLength(1);
    const sizes: Record<string, number> = { '.bss': 4, '.data': 4, '.maps': 32, '.rodata': 4, license: 4 };
    const syms: Record<string, number> = { zeroed: 0, counter: 0, samples: 0, LICENSE: 0 };
    fixupDatasec(
      b,
      (n) => sizes[n],
      (_sec, v) => syms[v],
    );
    expect(b.datasec('.bss')!.size).toBe(4);
    expect(b.datasec('.maps')!.size).toBe(32);
    // a static var (limit) keeps its offset: libbpf skips static and extern vars
    expect(b.datasec('.rodata')!.vars[0]).toEqual({ type: b.findByName('limit'), offset: 0, size: 4 });
  });

  test('fixupDatasec: offsets from symbol values, sorted; missing section or symbol is an error', () => {
    const bb = new BtfBuilder();
    const int = bb.addInt('int', 4, { signed: true });
    const a = bb.addVar('a', int);
    const c = bb.addVar('c', int);
    bb.addDatasec('.data', 0, [
      { type: a, offset: 0, size: 4 },
      { type: c, offset: 0, size: 4 },
    ]);
    const b1 = bb.toBtf('x.o');
    fixupDatasec(
      b1,
      () => 8,
      (_s, v) => (v === 'a' ? 4 : 0),
    );
    expect((b1.datasec('.data') as BtfDatasec).vars).toEqual([
      { type: c, offset: 0, size: 4 },
      { type: a, offset: 4, size: 4 },
    ]);
    const e1 = formatError(() => fixupDatasec(bb.toBtf('x.o'), () => undefined, () => 0));
    expect(e1.message).toMatch(/x\.o: .BTF type \[4\] DATASEC '.data': cannot determine the size of section '.data'/);
    const e2 = formatError(() => fixupDatasec(bb.toBtf('x.o'), () => 8, () => undefined));
    expect(e2.message).toMatch(/no ELF symbol for VAR 'a'/);
    const e3 = formatError(() => fixupDatasec(bb.toBtf('x.o'), () => 4, (_s, v) => (v === 'a' ? 4 : 0)));
    expect(e3.message).toMatch(/VAR 'a' at 4\+4 is beyond the section size 4/);
  });

  test('type() and stringAt() out of range are ObjectFormatErrors', () => {
    expect(formatError(() => btf.type(btf.types.length)).message).toMatch(/types\.bpf\.o: \.BTF type \[41\]: no such type/);
    expect(formatError(() => btf.type(-1)).code).toBe('BTF_FORMAT');
    expect(formatError(() => btf.stringAt(btf.strings.length)).message).toMatch(/outside the string section/);
    expect(btf.stringAt(0)).toBe('');
  });

  test('the other fixture parses too (core.bpf.c)', () => {
    const b = Btf.parse(core.get('.BTF')!, 'core.bpf.o');
    expect(b.typeToString(b.findByName('pt_regs___x')!)).toBe('struct pt_regs___x');
    expect(b.resolveSize(b.findByName('out', BTF_KIND.VAR)!)).toBe(128);
  });
});

describe('.BTF.ext from clang', () => {
  const btf = typesBtf();
  const ext = parseBtfExt(types.get('.BTF.ext')!, btf, 'types.bpf.o');

  test('func info: per section, instruction indexes, FUNC names', () => {
    expect(ext.funcInfo.get('cgroup/connect4')).toEqual([{ insnOff: 0, typeId: btf.findByName('connect4'), name: 'connect4' }]);
    expect(ext.funcInfo.get('.text')).toEqual([{ insnOff: 0, typeId: btf.findByName('bump'), name: 'bump' }]);
  });

  test('line info: file, line, column and the C source line', () => {
    const lines = ext.lineInfo.get('cgroup/connect4')!;
    expect(lines[0]).toMatchObject({ insnOff: 0, line: 37, col: 19, lineText: '\t__u32 key = ctx->user_port;' });
    expect(lines[0]!.fileName).toMatch(/types\.bpf\.c$/);
    // instruction indexes (not bytes), increasing
    const offs = lines.map((l) => l.insnOff);
    expect(offs).toEqual([...offs].sort((a, b) => a - b));
    expect(Math.max(...offs)).toBeLessThan(22);
    expect(lines.some((l) => l.lineText.includes('bpf_map_lookup_elem(&samples, &key)'))).toBe(true);
    expect(ext.lineInfo.get('.text')![0]!.lineText).toContain('return s->count + s->flags + limit;');
    expect(ext.coreRelos.size).toBe(0);
  });

  test('CO-RE records (core.bpf.c)', () => {
    const b = Btf.parse(core.get('.BTF')!, 'core.bpf.o');
    const e = parseBtfExt(core.get('.BTF.ext')!, b, 'core.bpf.o');
    expect(e.coreRelos.get('kprobe/x')).toEqual([
      { insnOff: 0, typeId: b.findByName('pt_regs'), accessStr: '0:0', kind: 0 },
      { insnOff: 4, typeId: b.findByName('pt_regs'), accessStr: '0:1', kind: 0 },
    ]);
    expect(e.coreRelos.get('kprobe/z')!.map((r) => [r.accessStr, r.kind])).toEqual([
      ['0:0:1', 0],
      ['0:1', 0],
      ['1', 11],
      ['2', 10],
      ['0', 8],
      ['0', 9],
      ['0:0:2', 0],
    ]);
  });

  test('buildBtfExt round trip', () => {
    const bb = new BtfBuilder();
    const int = bb.addInt('int', 4, { signed: true });
    const proto = bb.addFuncProto(int, [{ name: 'ctx', type: int }]);
    const f = bb.addFunc('prog', proto);
    const sec = bb.addString('xdp');
    const file = bb.addString('a.c');
    const text = bb.addString('return 0;');
    const acc = bb.addString('0');
    const b = bb.toBtf('a.o');
    const bytes = buildBtfExt({
      funcInfo: [{ secNameOff: sec, records: [{ insnOff: 0, typeId: f }] }],
      lineInfo: [{ secNameOff: sec, records: [{ insnOff: 3, fileNameOff: file, lineOff: text, line: 12, col: 5 }] }],
      coreRelos: [{ secNameOff: sec, records: [{ insnOff: 2, typeId: int, accessStrOff: acc, kind: 8 }] }],
    });
    expect(parseBtfExt(bytes, b, 'a.o')).toEqual({
      funcInfo: new Map([['xdp', [{ insnOff: 0, typeId: f, name: 'prog' }]]]),
      lineInfo: new Map([['xdp', [{ insnOff: 3, fileName: 'a.c', line: 12, col: 5, lineText: 'return 0;' }]]]),
      coreRelos: new Map([['xdp', [{ insnOff: 2, typeId: int, accessStr: '0', kind: 8 }]]]),
    });
  });
});

describe('BtfBuilder', () => {
  test('every kind round-trips through parse', () => {
    const bb = new BtfBuilder();
    const int = bb.addInt('int', 4, { signed: true });
    const u8 = bb.addInt('unsigned char', 1, { char: true });
    const ptr = bb.addPtr(int);
    const arr = bb.addArray(int, 4);
    const nodePtr = bb.addPtr(bb.nextId + 1); // a forward reference to the struct added next
    const node = bb.addStruct('node', 24, [
      { name: 'v', type: int, bitOffset: 0 },
      { name: 'bits', type: int, bitOffset: 32, bitfieldSize: 3 },
      { name: 'next', type: nodePtr, bitOffset: 64 },
    ]);
    expect(node).toBe(nodePtr + 1);
    const un = bb.addUnion('u', 4, [
      { name: 'i', type: int, bitOffset: 0 },
      { name: 'c', type: u8, bitOffset: 0 },
    ]);
    const e = bb.addEnum('e', 4, [{ name: 'A', value: -1 }], true);
    const e64 = bb.addEnum('e64', 8, [{ name: 'BIG', value: 1n << 40n }]);
    const fwd = bb.addFwd('later', true);
    const td = bb.addTypedef('myint', int);
    const cst = bb.addModifier(BTF_KIND.CONST, td);
    const tag = bb.addModifier(BTF_KIND.TYPE_TAG, ptr, 'user');
    const proto = bb.addFuncProto(int, [{ name: 'x', type: cst }, { type: 0 }]);
    const fn = bb.addFunc('f', proto, 'static');
    const v = bb.addVar('g', arr, 'global');
    const ds = bb.addDatasec('.data', 16, [{ type: v, offset: 0, size: 16 }]);
    const fl = bb.addFloat('double', 8);
    const dt = bb.addDeclTag('hot', fn, -1);
    const b = bb.toBtf('b.o');
    expect(b.types).toHaveLength(dt + 1);
    expect(b.type(node)).toMatchObject({ kind: BTF_KIND.STRUCT, size: 24, members: [{ name: 'v' }, { name: 'bits', bitOffset: 32, bitfieldSize: 3 }, { name: 'next', type: nodePtr }] });
    expect(b.type(un)).toMatchObject({ kind: BTF_KIND.UNION, size: 4 });
    expect(b.type(e)).toMatchObject({ kind: BTF_KIND.ENUM, signed: true, values: [{ name: 'A', value: -1n }] });
    expect(b.type(e64)).toMatchObject({ kind: BTF_KIND.ENUM64, size: 8, values: [{ name: 'BIG', value: 1n << 40n }] });
    expect(b.type(fwd)).toMatchObject({ kind: BTF_KIND.FWD, union: true, name: 'later' });
    expect(b.typeToString(cst)).toBe('const myint');
    expect(b.skipModsAndTypedefs(cst).id).toBe(int);
    expect(b.skipMods(cst).id).toBe(td);
    expect(b.typeToString(tag)).toContain('int *');
    expect(b.typeToString(proto)).toBe('int (const myint, ...)');
    expect(b.type(fn)).toMatchObject({ kind: BTF_KIND.FUNC, linkage: 'static' });
    expect(b.type(ds)).toMatchObject({ kind: BTF_KIND.DATASEC, size: 16 });
    expect(b.type(fl)).toMatchObject({ kind: BTF_KIND.FLOAT, size: 8 });
    expect(b.type(dt)).toMatchObject({ kind: BTF_KIND.DECL_TAG, componentIdx: -1, type: fn });
    expect(b.resolveSize(arr)).toBe(16);
    expect(b.resolveSize(v)).toBe(16);
    expect(b.typeToString(arr)).toBe('int[4]');
    const arr2 = new BtfBuilder();
    const i2 = arr2.addInt('int', 4);
    const inner = arr2.addArray(i2, 3);
    const outer = arr2.addArray(inner, 2);
    const pf = arr2.addPtr(arr2.addFuncProto(i2, []));
    const b2 = arr2.toBtf();
    expect(b2.typeToString(outer)).toBe('int[2][3]');
    expect(b2.resolveSize(outer)).toBe(24);
    expect(b2.typeToString(pf)).toBe('int (*)(void)');
    expect(formatError(() => b2.resolveSize(pf - 1)).message).toMatch(/FUNC_PROTO .* has no size/);
  });
});

/** .BTF bytes with a patched u32 at `off` (little-endian). */
function patched(bytes: Uint8Array, off: number, value: number): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(off, value >>> 0, true);
  return out;
}

describe('malformed .BTF: clear ObjectFormatErrors', () => {
  const good = (() => {
    const bb = new BtfBuilder();
    const int = bb.addInt('int', 4, { signed: true });
    bb.addStruct('s', 8, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'b', type: int, bitOffset: 32 },
    ]);
    return bb.build();
  })();
  const parseErr = (bytes: Uint8Array): ObjectFormatError => formatError(() => Btf.parse(bytes, 'bad.o'));

  test('the base case parses', () => {
    expect(Btf.parse(good, 'bad.o').types).toHaveLength(3);
  });

  test('truncated header', () => {
    const e = parseErr(good.subarray(0, 5));
    expect(e.code).toBe('BTF_FORMAT');
    expect(e.message).toBe('bad.o: .BTF +0x0: section of 5 bytes is shorter than the BTF header');
    expect(parseErr(good.subarray(0, 20)).message).toMatch(/hdr_len 24 is beyond the section end \(20 bytes\)/);
    expect(parseErr(new Uint8Array(0)).message).toMatch(/shorter than the BTF header/);
  });

  test('bad magic, big-endian magic, version, flags, hdr_len', () => {
    const m = good.slice();
    m[0] = 0x00;
    expect(parseErr(m).message).toMatch(/bad magic 0xeb00, expected 0xeb9f/);
    const be = good.slice();
    be[0] = 0xeb;
    be[1] = 0x9f;
    expect(parseErr(be).message).toMatch(/big-endian BTF .* not supported/);
    const v = good.slice();
    v[2] = 2;
    expect(parseErr(v).message).toMatch(/unsupported BTF version 2/);
    expect(parseErr(patched(good, 4, 16)).message).toMatch(/hdr_len 16 is shorter than struct btf_header/);
  });

  test('type or string section beyond the data', () => {
    expect(parseErr(patched(good, 12, 4096)).message).toMatch(/bad\.o: \.BTF \+0x8: type section \(off 0, len 4096\) is beyond the section end/);
    expect(parseErr(patched(good, 20, 4096)).message).toMatch(/string section .* is beyond the section end/);
    expect(parseErr(patched(good, 8, 2)).message).toMatch(/type_off 2 is not 4-byte aligned/);
  });

  test('string offset out of range', () => {
    // type [1]'s name_off
    const e = parseErr(patched(good, 24, 999));
    expect(e.place).toBe('bad.o: .BTF type [1] +0x18');
    expect(e.message).toMatch(/name offset 999 is outside the string section/);
    // member 'b' name_off of type [2]: header 24 + int 16 + struct 12 + member 12
    expect(parseErr(patched(good, 24 + 16 + 12 + 12, 5000)).message).toMatch(/member #1 name offset 5000 is outside/);
  });

  test('vlen overflowing the type section', () => {
    // struct [2] info: vlen 100
    const e = parseErr(patched(good, 24 + 16 + 4, (BTF_KIND.STRUCT << 24) | 100));
    expect(e.place).toBe('bad.o: .BTF type [2] +0x28');
    expect(e.message).toMatch(/STRUCT with vlen 100 needs 1200 more bytes, only 24 left in the type section/);
  });

  test('kind out of range, unused info bits', () => {
    expect(parseErr(patched(good, 24 + 4, 25 << 24)).message).toMatch(/kind 25 out of range/);
    expect(parseErr(patched(good, 24 + 4, 0)).message).toMatch(/kind 0 out of range/);
    expect(parseErr(patched(good, 24 + 4, (1 << 24) | (1 << 20))).message).toMatch(/unused bits set in info/);
  });

  test('type ids beyond the last type', () => {
    const bb = new BtfBuilder();
    bb.addPtr(7);
    const e = formatError(() => bb.toBtf('bad.o'));
    expect(e.message).toBe('bad.o: .BTF type [1]: PTR references type [7], beyond the last type [1]');
    const b2 = new BtfBuilder();
    const int = b2.addInt('int', 4);
    b2.addStruct('s', 4, [{ name: 'x', type: 9, bitOffset: 0 }]);
    expect(formatError(() => b2.toBtf('bad.o')).message).toMatch(/member #0 'x' references type \[9\]/);
    void int;
  });

  test('a struct member beyond the struct size', () => {
    const bb = new BtfBuilder();
    const int = bb.addInt('int', 4);
    bb.addStruct('s', 6, [
      { name: 'a', type: int, bitOffset: 0 },
      { name: 'b', type: int, bitOffset: 32 },
    ]);
    expect(formatError(() => bb.toBtf('bad.o')).message).toBe("bad.o: .BTF type [2]: member #1 'b' (bits 32..64) is beyond the struct size 6");
  });

  test('reference loops and types containing themselves', () => {
    const bb = new BtfBuilder();
    // [1] typedef a -> [2] const -> [1]
    bb.addTypedef('a', 2);
    bb.addModifier(BTF_KIND.CONST, 1);
    expect(formatError(() => bb.toBtf('bad.o')).message).toMatch(/reference loop: \[1\] -> \[2\] -> \[1\]/);
    const self = new BtfBuilder();
    self.addTypedef('self', 1);
    expect(formatError(() => self.toBtf('bad.o')).message).toMatch(/bad\.o: \.BTF type \[1\]: reference loop: \[1\] -> \[1\]/);
    const ptrs = new BtfBuilder();
    ptrs.addPtr(2);
    ptrs.addPtr(1);
    expect(formatError(() => ptrs.toBtf('bad.o')).message).toMatch(/reference loop/);
    const s = new BtfBuilder();
    s.addStruct('s', 8, [{ name: 'inner', type: 2, bitOffset: 0 }]);
    s.addArray(1, 1);
    expect(formatError(() => s.toBtf('bad.o')).message).toMatch(/contains itself by value/);
    // through a pointer is fine: struct node { struct node *next; }
    const ok = new BtfBuilder();
    ok.addStruct('node', 8, [{ name: 'next', type: 2, bitOffset: 0 }]);
    ok.addPtr(1);
    expect(ok.toBtf().typeToString(2)).toBe('struct node *');
  });

  test('INT, FUNC and VAR meta checks', () => {
    const bad = (f: (b: BtfBuilder) => void): string => {
      const bb = new BtfBuilder();
      f(bb);
      return formatError(() => bb.toBtf('bad.o')).message;
    };
    expect(bad((b) => b.addInt('i', 3))).toMatch(/INT size 3 is not 1, 2, 4, 8 or 16/);
    expect(bad((b) => b.addInt('i', 4, { bits: 40 }))).toMatch(/INT bits 40 at offset 0 do not fit in 4 bytes/);
    expect(bad((b) => b.addFunc('f', b.addInt('i', 4)))).toMatch(/FUNC 'f' type \[1\] is not a FUNC_PROTO/);
    expect(bad((b) => b.addRaw([b.addString('v'), BTF_KIND.VAR << 24, 0, 7]))).toMatch(/VAR linkage 7/);
    expect(bad((b) => b.addRaw([0, BTF_KIND.INT << 24, 4]))).toMatch(/INT with vlen 0 needs 4 more bytes, only 0 left/);
  });
});

describe('malformed .BTF.ext: clear ObjectFormatErrors', () => {
  const btf = Btf.parse(core.get('.BTF')!, 'core.bpf.o');
  const ext = core.get('.BTF.ext')!;
  const extErr = (bytes: Uint8Array): ObjectFormatError => formatError(() => parseBtfExt(bytes, btf, 'core.bpf.o'));

  test('header', () => {
    expect(extErr(ext.subarray(0, 6)).message).toBe('core.bpf.o: .BTF.ext +0x0: section of 6 bytes is shorter than the .BTF.ext header');
    const m = ext.slice();
    m[1] = 0;
    expect(extErr(m).code).toBe('BTF_EXT_FORMAT');
    expect(extErr(patched(ext, 4, 8)).message).toMatch(/hdr_len 8 is shorter/);
    expect(extErr(ext.subarray(0, 40)).message).toMatch(/func_info .* is beyond the section end/);
  });

  test('record size, num_info, insn_off, type and string references', () => {
    const hdrLen = new DataView(ext.buffer, ext.byteOffset).getUint32(4, true);
    const funcOff = hdrLen + new DataView(ext.buffer, ext.byteOffset).getUint32(8, true);
    expect(extErr(patched(ext, funcOff, 3)).message).toMatch(/func_info has invalid record size 3/);
    expect(extErr(patched(ext, funcOff + 8, 0)).message).toMatch(/num_info 0/);
    expect(extErr(patched(ext, funcOff + 8, 1000)).message).toMatch(/has 1000 records of 8 bytes, beyond the end of the block/);
    expect(extErr(patched(ext, funcOff + 12, 3)).message).toMatch(/insn_off 3 is not a multiple of 8/);
    expect(extErr(patched(ext, funcOff + 16, 2)).message).toMatch(/func_info type \[2\] is kind 4, not FUNC/);
    expect(extErr(patched(ext, funcOff + 16, 5000)).message).toMatch(/type id \[5000\] is beyond the last .BTF type/);
    expect(extErr(patched(ext, funcOff + 4, 1 << 30)).message).toMatch(/section name string offset 1073741824 is outside the .BTF string section/);
  });
});

describe('fuzz: mutated .BTF and .BTF.ext fail only with ObjectFormatError', () => {
  const sources = [types.get('.BTF')!, core.get('.BTF')!];
  const exts = [types.get('.BTF.ext')!, core.get('.BTF.ext')!];

  const mutation = (len: number) =>
    fc.record({
      edits: fc.array(fc.record({ at: fc.nat({ max: len - 1 }), value: fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0, 0xff, 0x7f, 0x80)) }), { minLength: 1, maxLength: 8 }),
      cut: fc.option(fc.nat({ max: len }), { nil: undefined }),
    });
  const apply = (bytes: Uint8Array, m: { edits: { at: number; value: number }[]; cut: number | undefined }): Uint8Array => {
    const out = bytes.slice(0, m.cut ?? bytes.length);
    for (const e of m.edits) if (e.at < out.length) out[e.at] = e.value;
    return out;
  };
  /** Everything a caller may do with a parsed Btf. */
  const exercise = (b: Btf): void => {
    for (const t of b.types) {
      b.typeToString(t.id);
      try {
        b.resolveSize(t.id);
        b.skipModsAndTypedefs(t.id);
      } catch (e) {
        if (!(e instanceof ObjectFormatError)) throw e;
      }
    }
  };

  test.each(sources.map((s, i) => [i, s] as const))('.BTF #%d', (_i, src) => {
    fc.assert(
      fc.property(mutation(src.length), (m) => {
        try {
          exercise(Btf.parse(apply(src, m), 'fuzz.o'));
        } catch (e) {
          if (!(e instanceof ObjectFormatError)) throw e;
        }
      }),
      { seed: 20240601, numRuns: 400 },
    );
  });

  test.each(exts.map((s, i) => [i, s] as const))('.BTF.ext #%d', (i, src) => {
    const btf = Btf.parse(sources[i]!, 'fuzz.o');
    fc.assert(
      fc.property(mutation(src.length), (m) => {
        try {
          parseBtfExt(apply(src, m), btf, 'fuzz.o');
        } catch (e) {
          if (!(e instanceof ObjectFormatError)) throw e;
        }
      }),
      { seed: 20240602, numRuns: 400 },
    );
  });

  test('random type words in a built .BTF', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 3, maxLength: 8 }), { minLength: 1, maxLength: 6 }), fc.array(fc.nat({ max: 24 }), { minLength: 1, maxLength: 6 }), (raws, kinds) => {
        const bb = new BtfBuilder();
        bb.addInt('int', 4);
        raws.forEach((w, i) => {
          // a plausible info word most of the time, so parsing goes past the meta checks
          const info = ((kinds[i % kinds.length]! & 0x1f) << 24) | (w[1]! & 0x3);
          bb.addRaw([w[0]! % 8, info, w[2]! % 8, ...w.slice(3).map((x) => x % 16)]);
        });
        try {
          exercise(bb.toBtf('fuzz.o'));
        } catch (e) {
          if (!(e instanceof ObjectFormatError)) throw e;
        }
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
