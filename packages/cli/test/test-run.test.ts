import * as path from 'node:path';
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

const LEN_PROG = 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = r3\nr0 -= r2\nexit\n';
const PKT = '00112233445566778899aabbccddeeff';

describe('bpfsim test-run', () => {
  test.each(['jit', 'interp'])('prints retval, data_out and duration (%s)', async (engine) => {
    const io = new MemoryIo({ 'len.s': LEN_PROG });
    expect(await runCli(['test-run', 'len.s', '--prog-type', 'xdp', '--data', PKT, '--engine', engine], io)).toBe(0);
    expect(io.out).toMatch(new RegExp(`^retval: 16 \\(0x10\\)\\ndata_out: ${PKT}\\nduration: \\d+ ns per run \\(${engine}, 1 run\\)\\n$`));
  });
  test('--json prints one object; faults are reported in it', async () => {
    const io = new MemoryIo({ 'len.s': LEN_PROG, 'bad.s': 'r1 = 0 ll\nr0 = *(u8 *)(r1 + 0)\nexit' });
    expect(await runCli(['test-run', 'len.s', '--prog-type', 'xdp', '--data', PKT, '--json', '--repeat', '50'], io)).toBe(0);
    const o = JSON.parse(io.out) as Record<string, unknown>;
    expect(o).toEqual({ retval: 16, dataOut: PKT, durationNs: expect.any(Number) });
    io.out = '';
    expect(await runCli(['test-run', 'bad.s', '--prog-type', 'xdp', '--data', PKT, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual({
      retval: 0,
      dataOut: PKT,
      durationNs: expect.any(Number),
      fault: { kind: 'memory', pc: 2, address: '0x0', message: 'insn 2: invalid memory access: read of 1 bytes at 0x0000000000000000 is outside every region' },
    });
  });
  test('socket filters see the packet from the network header', async () => {
    const io = new MemoryIo({ 'f.s': 'r6 = r1\nr0 = *(u8 *)skb[0]\nexit' });
    const pkt = '000000000000112233445566' + '0800' + '45' + '00'.repeat(19);
    expect(await runCli(['test-run', 'f.s', '--prog-type', 'socket_filter', '--data', pkt, '--json'], io)).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ retval: 0x45, dataOut: '00'.repeat(12) + '0000' + '45' + '00'.repeat(19) });
  });
  test('reads .bin bytecode and --hex text', async () => {
    const io = new MemoryIo({ 'p.bin': Uint8Array.from([0xb7, 0, 0, 0, 3, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]), 'p.hex': 'b7 00 00 00 04 00 00 00 95 00 00 00 00 00 00 00' });
    await runCli(['test-run', 'p.bin', '--prog-type', 'xdp', '--data', PKT, '--json'], io);
    await runCli(['test-run', 'p.hex', '--hex', '--prog-type', 'xdp', '--data', PKT, '--json'], io);
    expect(io.out.trim().split('\n').map((l) => (JSON.parse(l) as { retval: number }).retval)).toEqual([3, 4]);
  });
  test.each([
    [['test-run', 'len.s', '--data', PKT], 'bpfsim: --prog-type is required (xdp or socket_filter)\n'],
    [['test-run', 'len.s', '--prog-type', 'xdp'], 'bpfsim: --data is required (the packet as hex bytes)\n'],
    [['test-run', 'len.s', '--prog-type', 'tc', '--data', PKT], "bpfsim: unknown or unsupported program type 'tc' (test-run supports: xdp, socket_filter)\n"],
    [['test-run', 'len.s', '--prog-type', 'xdp', '--data', 'zz'], "--data:1:1: expected hex bytes, found 'zz'\n"],
    [['test-run', 'len.s', '--prog-type', 'xdp', '--data', '00'], 'bpfsim: EINVAL: XDP test data must hold an Ethernet header (14 bytes), got 1\n'],
    [['test-run', 'len.s', '--prog-type', 'xdp', '--data', PKT, '--repeat', '0'], "bpfsim: --repeat must be a positive integer, got '0'\n"],
    [['test-run', 'fall.s', '--prog-type', 'xdp', '--data', PKT], 'fall.s: insn 0: the last instruction of a subprogram must be an exit or a jump (falls through to insn 1)\n'],
  ])('%j fails with status 2', async (argv, message) => {
    const io = new MemoryIo({ 'len.s': LEN_PROG, 'fall.s': 'r0 = 1\n' });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err).toBe(message);
  });
});

describe('bpfsim test-run --batch', () => {
  test('one result line per vector, bad lines reported without stopping the rest', async () => {
    const io = new MemoryIo({
      'v.jsonl': [
        '{"id":"a","progType":"xdp","insns":"b7000000070000009500000000000000","data":"' + PKT + '"}',
        '',
        '{"id":"b","progType":"xdp","insns":"b70000","data":"' + PKT + '"}',
        'nonsense',
        '{"id":"c","progType":"socket_filter","insns":"b7000000090000009500000000000000","data":"' + '00'.repeat(34).replace(/^(.{24})..../, '$10800') + '"}',
      ].join('\n'),
    });
    expect(await runCli(['test-run', '--batch', 'v.jsonl', '--engine', 'interp'], io)).toBe(2);
    expect(io.out.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 'a', retval: 7, dataOut: PKT },
      { id: 'b', error: 'line 3: program length 3 bytes is not a multiple of 8' },
      { id: null, error: 'line 4: not valid JSON' },
      { id: 'c', retval: 9, dataOut: '00'.repeat(34) },
    ]);
    expect(io.err).toBe('v.jsonl: 2 lines could not run (see their "error")\n');
  });
});

describe('bpfsim conformance', () => {
  const dir = path.resolve(__dirname, '../../../../shared/conformance');
  (require('node:fs').existsSync(dir) ? test : test.skip)('runs the suite and summarises', async () => {
    const io = new MemoryIo();
    expect(await runCli(['conformance', dir, '--engine', 'interp'], io)).toBe(0);
    expect(io.out).toMatch(/\n311 passed, 0 failed, 2 skipped\n$/);
    expect(io.out).toMatch(/^skip call_unwind_fail\.data: calls helper 5/m);
  });
  test('a missing directory is a usage error', async () => {
    const io = new MemoryIo();
    expect(await runCli(['conformance', '/nonexistent/dir'], io)).toBe(2);
    expect(io.err).toBe("bpfsim: cannot read directory '/nonexistent/dir'\n");
  });
});
