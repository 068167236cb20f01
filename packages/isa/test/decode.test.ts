import { DecodeError, decode, encode, parseHexBytes, toHexLines, validateInsns } from '../src';
import { bytesOf } from './helpers';

const expectDecodeError = (hex: string, index: number, reason: RegExp): void => {
  let err: unknown;
  try {
    decode(bytesOf(hex));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DecodeError);
  const d = err as DecodeError;
  expect(d.code).toBe('ERR_BPF_DECODE');
  expect(d.index).toBe(index);
  expect(d.reason).toMatch(reason);
  expect(d.message).toBe(index >= 0 ? `insn ${index}: ${d.reason}` : d.reason);
};

describe('decode', () => {
  test('splits fields as struct bpf_insn does (little-endian, dst in the low nibble)', () => {
    expect(decode(bytesOf('15 02 f0 ff 78 56 34 12 bf a2 00 00 00 00 00 00'))).toEqual([
      { code: 0x15, dst: 2, src: 0, off: -16, imm: 0x12345678 },
      { code: 0xbf, dst: 2, src: 10, off: 0, imm: 0 },
    ]);
  });
  test('rejects a length that is not a multiple of 8', () => {
    expectDecodeError('95 00 00 00 00 00 00', -1, /7 bytes is not a multiple of 8/);
  });
  test('names the slot of an unknown opcode', () => {
    expectDecodeError('b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00 8f 00 00 00 00 00 00 00', 2, /unknown opcode 0x8f/);
  });
  test.each([
    ['0e', /unknown opcode 0x0e/], // ALU op 0xe0 does not exist... (class 6 op 0x00 with X: JMP32|JA|X)
    ['e4', /unknown opcode 0xe4/],
    ['f7', /unknown opcode 0xf7/],
    ['8c', /unknown opcode 0x8c/], // NEG with X
    ['df', /unknown opcode 0xdf/], // ALU64 END with X
    ['96', /unknown opcode 0x96/], // JMP32 EXIT
    ['86', /unknown opcode 0x86/], // JMP32 CALL
    ['f5', /unknown opcode 0xf5/],
    ['38', /unknown opcode 0x38/], // LD ABS DW
    ['60', /unknown opcode 0x60/], // LD MEM
    ['99', /unknown opcode 0x99/], // LDX MEMSX DW
    ['c2', /unknown opcode 0xc2/], // ST ATOMIC
    ['e3', /unknown opcode 0xe3/], // STX mode 0xe0
  ])('opcode %s is not an instruction', (code, why) => {
    expectDecodeError(`${code} 00 00 00 00 00 00 00`, 0, why);
  });
  test.each([
    ['b7 01 01 00 00 00 00 00', /reserved field off must be 0/], // mov K with off
    ['bf 21 00 00 01 00 00 00', /reserved field imm must be 0/],
    ['bf 21 07 00 00 00 00 00', /movsx off must be 8, 16, 32/],
    ['bc 21 20 00 00 00 00 00', /movsx off must be 8, 16 \(is 32\)/], // 32-bit movsx from 32 bits
    ['3f 21 02 00 00 00 00 00', /off must be 0 \(unsigned\) or 1 \(signed\)/],
    ['dc 01 00 00 08 00 00 00', /byte swap width must be 16, 32 or 64/],
    ['b7 0b 00 00 00 00 00 00', /invalid destination register r11/],
    ['bf f1 00 00 00 00 00 00', /invalid source register r15/],
    ['c3 21 00 00 02 00 00 00', /unknown atomic operation imm 0x02/],
    ['d3 21 00 00 01 00 00 00', /atomic operations are 32 or 64 bits wide/],
    ['85 00 00 00 01 00 00 00 85 30 00 00 01 00 00 00', /unknown call kind src 3/],
    ['e5 10 00 00 00 00 00 00', /unknown conditional pseudo-jump src 1/],
    ['bf 21 01 00 02 00 00 00', /addr_space_cast converts only between address spaces 0 and 1/],
  ])('%s: %s', (hex, why) => {
    const bytes = bytesOf(hex);
    expectDecodeError(hex, bytes.length > 8 ? 1 : 0, why);
  });
  test('ld_imm64 needs a well-formed second slot', () => {
    expectDecodeError('18 01 00 00 01 00 00 00', 0, /missing its second slot/);
    expectDecodeError('18 01 00 00 01 00 00 00 b7 00 00 00 00 00 00 00', 0, /second slot of ld_imm64/);
    expectDecodeError('18 71 00 00 01 00 00 00 00 00 00 00 00 00 00 00', 0, /unknown ld_imm64 pseudo source 7/);
    expectDecodeError('18 11 00 00 01 00 00 00 00 00 00 00 05 00 00 00', 0, /pseudo source 1 must have 0 in the second slot/);
    expect(() => decode(bytesOf('18 21 00 00 01 00 00 00 00 00 00 00 05 00 00 00'))).not.toThrow();
  });
  test('a kfunc call may carry a BTF fd index in off; a helper call may not', () => {
    expect(() => decode(bytesOf('85 20 03 00 07 00 00 00'))).not.toThrow();
    expectDecodeError('85 00 03 00 07 00 00 00', 0, /reserved field off/);
  });
  test('validation can be switched off to read anything', () => {
    expect(decode(bytesOf('ff ff ff ff ff ff ff ff'), { validate: false })).toEqual([{ code: 0xff, dst: 15, src: 15, off: -1, imm: -1 }]);
    expect(() => validateInsns(decode(bytesOf('ff ff ff ff ff ff ff ff'), { validate: false }))).toThrow(DecodeError);
  });
});

describe('encode', () => {
  test('accepts imm as signed or unsigned 32-bit', () => {
    expect(encode([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0xffffffff }])).toEqual(encode([{ code: 0xb7, dst: 0, src: 0, off: 0, imm: -1 }]));
  });
  test.each([
    [{ code: 256, dst: 0, src: 0, off: 0, imm: 0 }, /field code = 256/],
    [{ code: 0xb7, dst: 16, src: 0, off: 0, imm: 0 }, /field dst = 16/],
    [{ code: 0xb7, dst: 0, src: -1, off: 0, imm: 0 }, /field src = -1/],
    [{ code: 0xb7, dst: 0, src: 0, off: 40000, imm: 0 }, /field off = 40000/],
    [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 2 ** 32 }, /field imm = 4294967296/],
    [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 1.5 }, /field imm = 1.5/],
  ])('refuses out-of-range fields %#', (ins, why) => {
    expect(() => encode([ins])).toThrow(why);
  });
});

describe('hex text', () => {
  test('reads bytes with any whitespace, 0x prefixes and comments', () => {
    expect(Array.from(parseHexBytes('b7 00 00 00\n  01 00 00 00 # r0 = 1\n0x95 0x00 000000000000'))).toEqual([
      0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });
  test('names line and column of bad text', () => {
    expect(() => parseHexBytes('b7 00\nzz', 'prog.hex')).toThrow('prog.hex:2:1: expected hex bytes, found \'zz\'');
    expect(() => parseHexBytes('b7 0', 'p')).toThrow('p:1:4');
  });
  test('prints one instruction per line, ld_imm64 on one line of 16 bytes', () => {
    const insns = decode(bytesOf('18 01 00 00 01 00 00 00 00 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00'));
    expect(toHexLines(insns)).toEqual(['18 01 00 00 01 00 00 00 00 00 00 00 02 00 00 00', '95 00 00 00 00 00 00 00']);
  });
});
