import { runCli } from '../src';
import { MemoryIo } from './memory-io';

const PROG = 'r1 = 0x1122334455667788 ll\nr0 = 1\nexit\n';

describe('bpfsim asm', () => {
  test('prints one instruction a line, ld_imm64 as 16 bytes', async () => {
    const io = new MemoryIo({ 'p.s': PROG });
    expect(await runCli(['asm', 'p.s'], io)).toBe(0);
    expect(io.out).toBe('18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\nb7 00 00 00 01 00 00 00\n95 00 00 00 00 00 00 00\n');
    expect(io.err).toBe('');
  });
  test('--format bin writes raw bytes; -o writes a file', async () => {
    const io = new MemoryIo({ 'p.s': 'exit' });
    expect(await runCli(['asm', '--format', 'bin', 'p.s'], io)).toBe(0);
    expect(io.outBytes).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
    expect(await runCli(['asm', '--format', 'bin', '-o', 'p.bin', 'p.s'], io)).toBe(0);
    expect(Array.from(io.files.get('p.bin')!)).toEqual([0x95, 0, 0, 0, 0, 0, 0, 0]);
  });
  test("reads standard input for '-', in either syntax", async () => {
    const io = new MemoryIo();
    io.stdin = new TextEncoder().encode('mov32 %r0, 2\nexit\n');
    expect(await runCli(['asm', '-'], io)).toBe(0);
    expect(io.out).toBe('b4 00 00 00 02 00 00 00\n95 00 00 00 00 00 00 00\n');
  });
  test('warnings go to standard error with their place', async () => {
    const io = new MemoryIo({ 'w.s': 'r0 = 0xffffffff\nexit' });
    expect(await runCli(['asm', 'w.s'], io)).toBe(0);
    expect(io.err).toMatch(/^w\.s:1:6: warning: immediate 4294967295 is sign-extended/);
  });
  test.each([
    [['asm', 'bad.s'], "bad.s:2:1: unknown instruction 'frob'\n"],
    [['asm', 'missing.s'], "bpfsim: cannot read 'missing.s': no such file\n"],
    [['asm', 'empty.s'], 'empty.s: no instructions\n'],
    [['asm', '--syntax', 'intel', 'bad.s'], /error: option '--syntax <syntax>' argument 'intel' is invalid/],
    [['asm', '--frobnicate', 'bad.s'], /error: unknown option '--frobnicate'/],
    [['asm'], /error: missing required argument 'file'/],
  ])('%j fails with exit status 2 and one clear message', async (argv, message) => {
    const io = new MemoryIo({ 'bad.s': 'r0 = 0\nfrob\n', 'empty.s': '# nothing\n' });
    expect(await runCli(argv, io)).toBe(2);
    if (typeof message === 'string') expect(io.err).toBe(message);
    else expect(io.err).toMatch(message);
    expect(io.out).toBe('');
  });
});

describe('bpfsim disasm', () => {
  const bin = Uint8Array.from([0x18, 0x01, 0, 0, 0x88, 0x77, 0x66, 0x55, 0, 0, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x85, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  test('prints LLVM syntax with slot indexes', async () => {
    const io = new MemoryIo({ 'p.bin': bin });
    expect(await runCli(['disasm', 'p.bin'], io)).toBe(0);
    expect(io.out).toBe('0: r1 = 1234605616436508552 ll\n2: call 1\n3: exit\n');
  });
  test('--hex reads hex text; --helper-names names helpers', async () => {
    const io = new MemoryIo({ 'p.hex': '85 00 00 00\n01 00 00 00\n\n0x95 00 00 00 00 00 00 00\n' });
    expect(await runCli(['disasm', '--hex', '--helper-names', 'p.hex'], io)).toBe(0);
    expect(io.out).toBe('0: call bpf_map_lookup_elem\n1: exit\n');
  });
  test('the listing assembles back to the same bytes', async () => {
    const io = new MemoryIo({ 'p.bin': bin });
    await runCli(['disasm', 'p.bin'], io);
    io.files.set('round.s', new TextEncoder().encode(io.out));
    expect(await runCli(['asm', '--format', 'bin', 'round.s'], io)).toBe(0);
    expect(io.outBytes).toEqual(Array.from(bin));
  });
  test('an invalid instruction names its byte offset; --keep-going prints it as data', async () => {
    const io = new MemoryIo({ 'j.bin': Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0, 0x8f, 0, 0, 0, 0, 0, 0, 0]) });
    expect(await runCli(['disasm', 'j.bin'], io)).toBe(2);
    expect(io.err).toBe('j.bin: byte 8: insn 1: unknown opcode 0x8f (--keep-going prints it as .8byte)\n');
    const io2 = new MemoryIo({ 'j.bin': io.files.get('j.bin')! });
    expect(await runCli(['disasm', '-k', 'j.bin'], io2)).toBe(0);
    expect(io2.out).toBe('0: exit\n1: .8byte 0x000000000000008f # invalid: unknown opcode 0x8f\n');
  });
  test.each([
    [['disasm', 'odd.bin'], 'odd.bin: program length 3 bytes is not a multiple of 8\n'],
    [['disasm', '--hex', 'bad.hex'], "bad.hex:1:4: expected hex bytes, found 'xyz'\n"],
    [['disasm', 'none.bin'], 'none.bin: empty program\n'],
  ])('%j fails with exit status 2', async (argv, message) => {
    const io = new MemoryIo({ 'odd.bin': Uint8Array.from([1, 2, 3]), 'bad.hex': '95 xyz', 'none.bin': new Uint8Array() });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err).toBe(message);
  });
});

test('help and version exit 0', async () => {
  const io = new MemoryIo();
  expect(await runCli(['--help'], io)).toBe(0);
  expect(io.out).toMatch(/asm \[options\] <file>/);
  expect(await runCli(['disasm', '--help'], io)).toBe(0);
  expect(io.out).toMatch(/--keep-going/);
  expect(await runCli(['--version'], io)).toBe(0);
  expect(io.out).toMatch(/\d+\.\d+\.\d+/);
});
