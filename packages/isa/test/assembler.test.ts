import { AsmError, BPF_MAP_TYPE, assemble, detectSyntax, disasmText } from '../src';
import { hexOfInsns } from './helpers';

const asmErr = (text: string, options = {}): AsmError => {
  try {
    assemble(text, { file: 'p.s', ...options });
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error('assembled without error');
};

describe('LLVM syntax: programs', () => {
  const src = `
    .section cgroup/connect4
    .license "GPL"
    .map backends type=hash key_size=4 value_size=8 max_entries=64
    .map stats type=BPF_MAP_TYPE_PERCPU_ARRAY key=4 value=8 entries=1

    r6 = r1                       # keep ctx
    r2 = r10
    r2 += -4
    *(u32 *)(r10 - 4) = 0
    r1 = backends ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = map[stats]+8 ll
    call helper                   // bpf-to-bpf call
  out:
    r0 = 1 ; exit
  helper:
    r0 = 0
    exit
  `;
  const r = assemble(src, { file: 'connect4.s' });

  test('maps are declared with their uapi numbers', () => {
    expect(r.maps).toEqual([
      { name: 'backends', type: BPF_MAP_TYPE.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 64, flags: 0, line: 4 },
      { name: 'stats', type: BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, line: 5 },
    ]);
    expect(r.section).toBe('cgroup/connect4');
    expect(r.license).toBe('GPL');
  });

  test('labels, helper names, map references and bpf-to-bpf calls resolve', () => {
    expect(disasmText(r.insns, { mapNames: r.maps.map((m) => m.name) })).toBe(
      [
        ' 0: r6 = r1',
        ' 1: r2 = r10',
        ' 2: r2 += -4',
        ' 3: *(u32 *)(r10 - 4) = 0',
        ' 4: r1 = map[backends] ll',
        ' 6: call 1',
        ' 7: if r0 == 0 goto +3',
        ' 8: r1 = map[stats]+8 ll',
        '10: call pc+2',
        '11: r0 = 1',
        '12: exit',
        '13: r0 = 0',
        '14: exit',
        '',
      ].join('\n'),
    );
    expect(r.labels).toEqual(new Map([['out', 11], ['helper', 13]]));
  });

  test('each slot knows its source line', () => {
    expect(r.lines.slice(0, 7)).toEqual([7, 8, 9, 10, 11, 11, 12]);
    expect(r.lines[11]).toBe(r.lines[12]);
  });

  test('a function name after = is a BPF_PSEUDO_FUNC load (callbacks)', () => {
    const cb = assemble('r2 = cb ll\nexit\ncb:\nr0 = 0\nexit');
    expect(disasmText(cb.insns)).toContain('0: r2 = func[pc+2] ll');
  });

  test('the listing bpfsim disasm prints reads back', () => {
    expect(hexOfInsns(assemble(disasmText(r.insns)).insns)).toBe(hexOfInsns(r.insns));
  });
});

describe('LLVM syntax: errors name file, line and column', () => {
  test.each([
    ['r0 = 1\nr11 = 2', 'p.s:2:1: invalid register \'r11\' (registers are r0 to r10)'],
    ['r0 = 1\n  foo r1', "p.s:2:3: unknown instruction 'foo'"],
    ['r0 += w1', "p.s:1:7: 'w1' does not match the width of 'r0'"],
    ['r0 = 0x100000000', "p.s:1:6: immediate 4294967296 does not fit in 32 bits (use 'll' for a 64-bit constant)"],
    ['r1 = 18446744073709551616 ll', 'p.s:1:6: constant 18446744073709551616 does not fit in 64 bits'],
    ['goto +40000', 'p.s:1:6: jump displacement 40000 does not fit in 16 bits'],
    ['goto nowhere\nexit', "p.s:1:6: unknown label 'nowhere'"],
    ['call bpf_no_such_helper', "p.s:1:6: 'bpf_no_such_helper' is neither a label nor a helper name"],
    ['r1 = nomap ll', "p.s:1:6: 'nomap' is neither a declared map nor a label"],
    ['r1 = map[nomap] ll', 'p.s:1:10: map \'nomap\' is not declared (declare it with .map)'],
    ['r0 = *(u32 *)(r1 + 70000)', 'p.s:1:18: offset 70000 does not fit in 16 bits'],
    ['r0 = *(u48 *)(r1 + 0)', "p.s:1:8: expected u8, u16, u32, u64, s8, s16 or s32, found 'u48'"],
    ['w0 = *(u64 *)(r1 + 0)', 'p.s:1:1: a 64-bit load needs an r register'],
    ['if r1 += r2 goto +1', "p.s:1:7: expected a comparison (==, !=, >, s<, & …), found '+='"],
    ['if r1 ~ r2 goto +1', "p.s:1:7: unexpected character '~'"],
    ['r0 = 1 @', "p.s:1:8: unexpected character '@'"],
    ['r0 = 1 2', "p.s:1:8: unexpected '2' after the instruction"],
    ['r0 = 12abc', "p.s:1:6: malformed number '12abc'"],
    ['r1 = -r2', "p.s:1:7: negation works in place: write 'r1 = -r1'"],
    ['r1 = be16 r2', "p.s:1:11: byte swaps work in place: write 'r1 = be16 r1'"],
    ['a:\na:\nexit', "p.s:2:1: label 'a' is already defined on line 1"],
    ['.map m type=nosuch', "p.s:1:6: .map m: unknown map type 'nosuch'"],
    ['.map m key_size=4', 'p.s:1:6: .map m: type=… is required'],
    ['.map m type=hash colour=red', "p.s:1:6: .map m: expected KEY=VALUE with KEY one of type, key_size, key, value_size, value, max_entries, entries, map_flags, flags, inner_map; found 'colour=red'"],
    ['.map m type=hash\n.map m type=array', "p.s:2:6: map 'm' is already declared on line 1"],
    ['.frobnicate', "p.s:1:1: unknown directive '.frobnicate'"],
    ['.section a\n.section b', "p.s:2:1: a file holds one program: section 'a' is already open"],
    ['r0 = 1\nexit', null],
  ])('%j', (text, message) => {
    if (message === null) expect(() => assemble(text, { file: 'p.s' })).not.toThrow();
    else {
      const e = asmErr(text);
      expect(e.message).toBe(message);
      expect(e.code).toBe('ERR_BPF_ASM');
    }
  });

  test('lineOffset shifts reported lines (assembly embedded in another file)', () => {
    expect(asmErr('exit\nbad', { lineOffset: 10 }).line).toBe(12);
  });
});

describe('LLVM syntax: conveniences', () => {
  test('warns when a 64-bit operation sign-extends a 32-bit immediate', () => {
    const r = assemble('r0 = 0xffffffff\nw0 = 0xffffffff\nr1 = 0xffffffff ll');
    expect(r.warnings).toEqual([
      { line: 1, column: 6, message: "immediate 4294967295 is sign-extended to 18446744073709551615 in a 64-bit operation; write '4294967295 ll' for the value itself" },
    ]);
  });
  test('.8byte keeps raw slots and warns when they are not instructions', () => {
    const r = assemble('.8byte 0x00000000000000b7, 0x00000000000000ff');
    expect(hexOfInsns(r.insns)).toBe('b7 00 00 00 00 00 00 00 ff 00 00 00 00 00 00 00');
    expect(r.warnings).toEqual([{ line: 1, column: 1, message: 'slot 1 is not a valid instruction: unknown opcode 0xff' }]);
  });
  test('clang -S housekeeping directives are ignored', () => {
    expect(assemble('\t.text\n\t.globl\tprog\n\t.p2align\t3\n\t.type\tprog,@function\nprog:\n\tr0 = 0\n\texit\n.Lfunc_end0:\n\t.size\tprog, .Lfunc_end0-prog').insns.length).toBe(2);
  });
  test('labels may start with a dot, and share a line with an instruction', () => {
    const r = assemble('.LBB0_1: r0 = 1\ngoto .LBB0_1');
    expect(disasmText(r.insns)).toBe('0: r0 = 1\n1: goto -2\n');
  });
  test('inner_map must name a declared map', () => {
    expect(asmErr('.map outer type=array_of_maps key_size=4 value_size=4 max_entries=1 inner_map=inner').message).toBe(
      "p.s:1:1: map 'outer': inner_map 'inner' is not declared",
    );
  });
});

describe('uBPF syntax', () => {
  test('the first exit is a label, as in bpf_conformance', () => {
    const r = assemble('mov %r0, 0\njne %r1, 0, exit\nmov %r0, 1\nexit', { syntax: 'ubpf' });
    expect(disasmText(r.insns)).toBe('0: r0 = 0\n1: if r1 != 0 goto +1\n2: r0 = 1\n3: exit\n');
  });
  test('an explicit exit label wins', () => {
    const r = assemble('ja exit\nexit\nexit:\nexit', { syntax: 'ubpf' });
    expect(r.insns[0]!.off).toBe(1);
  });
  test('operands may have spaces inside brackets', () => {
    expect(hexOfInsns(assemble('ldxw %r0, [%r1 + 4]', { syntax: 'ubpf' }).insns)).toBe('61 10 04 00 00 00 00 00');
  });
  test('calls: helper by number or name, local by label, runtime (kfunc), callx by register', () => {
    const r = assemble('call 1\ncall bpf_ktime_get_ns\ncall local f\ncall runtime 9\ncall %r3\nf:\nexit', { syntax: 'ubpf' });
    expect(disasmText(r.insns)).toBe('0: call 1\n1: call 5\n2: call pc+2\n3: call kfunc 9\n4: callx r3\n5: exit\n');
  });
  test('legacy packet loads', () => {
    expect(disasmText(assemble('ldabsh 12\nldindb %r1, 2', { syntax: 'ubpf' }).insns)).toBe('0: r0 = *(u16 *)skb[12]\n1: r0 = *(u8 *)skb[r1 + 2]\n');
  });
  test.each([
    ['mov %r0', 'p.s:1:1: invalid number of operands for mov: expected 2, found 1'],
    ['lock fetch xchg [%r1], %r2', "p.s:1:6: xchg always fetches; drop 'fetch'"],
    ['lock nand [%r1], %r2', "p.s:1:6: invalid atomic operation 'nand'"],
    ['call sideways 3', "p.s:1:6: invalid call mode 'sideways' (helper, local or runtime)"],
    ['movsx3232 %r0, %r1', 'p.s:1:1: invalid mnemonic: movsx3232'],
    ['ldxsdw %r0, [%r1]', 'p.s:1:1: invalid mnemonic: ldxsdw'],
    ['stb [%r1+0x10000], 1', 'p.s:1:5: offset out of 16-bit range: +0x10000'],
    ['mov %r0, 4294967295', 'p.s:1:10: immediate out of 32-bit range: 4294967295'],
  ])('%j', (text, message) => {
    expect(asmErr(text, { syntax: 'ubpf' }).message).toBe(message);
  });
  test('hex immediates are 32-bit patterns, decimal ones signed', () => {
    expect(assemble('mov %r0, 0xffffffff', { syntax: 'ubpf' }).insns[0]!.imm).toBe(-1);
  });
});

test('syntax is detected from the register spelling', () => {
  expect(detectSyntax('mov %r0, 1')).toBe('ubpf');
  expect(detectSyntax('r0 = 1 # not %r0')).toBe('llvm');
});
