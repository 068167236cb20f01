import { runCli } from '../src';
import { MemoryIo } from './memory-io';

const PKT_OK = `r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r2
r4 += 14
if r4 > r3 goto out
r0 = *(u8 *)(r2 + 13)
out:
r0 = 2
exit
`;
const PKT_OOB = PKT_OK.replace('r2 + 13', 'r2 + 14');
const MAP_PROG = `.section xdp
.map counters type=array key=4 value=8 entries=4
  *(u32 *)(r10 - 4) = 1
  r2 = r10
  r2 += -4
  r1 = map[counters] ll
  call map_lookup_elem
  NULLCHECK
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 2
  exit
`;

describe('bpfsim verify', () => {
  test('an accepted program exits 0 and says how much was processed', async () => {
    const io = new MemoryIo({ 'ok.s': PKT_OK });
    expect(await runCli(['verify', 'ok.s', '--prog-type', 'xdp'], io)).toBe(0);
    expect(io.out).toBe('accepted (10 insns processed)\n');
  });
  test('a rejected program exits 1 with the kernel sentence and errno; the log shows the failing path', async () => {
    const io = new MemoryIo({ 'oob.s': PKT_OOB });
    expect(await runCli(['verify', 'oob.s', '--prog-type', 'xdp', '--log-level', '1'], io)).toBe(1);
    const lines = io.out.trim().split('\n');
    expect(lines.slice(-4)).toEqual([
      'invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)',
      'R2 offset is outside of the packet',
      'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      'rejected: R2 offset is outside of the packet (EACCES)',
    ]);
    expect(lines[5]).toBe('4: (2d) if r4 > r3 goto pc+1          ; R3=pkt_end() R4=pkt(off=14,r=14)');
  });
  test('.map declarations become the fd_array; .section names the type', async () => {
    const io = new MemoryIo({ 'ok.s': MAP_PROG.replace('NULLCHECK', 'if r0 == 0 goto out'), 'bad.s': MAP_PROG.replace('NULLCHECK', '') });
    expect(await runCli(['verify', 'ok.s', '--json'], io)).toBe(0);
    expect(JSON.parse(io.out)).toEqual({ accepted: true, insnProcessed: 11 });
    io.out = '';
    expect(await runCli(['verify', 'bad.s', '--json'], io)).toBe(1);
    expect(JSON.parse(io.out)).toEqual({ accepted: false, errno: 'EACCES', error: "R0 invalid mem access 'map_value_or_null'", insnProcessed: 7 });
  });
  test('bytecode refers to maps by fd, declared with --map', async () => {
    // r1 = map[fd:7]; r0 = 0; exit
    const hex = '18170000070000000000000000000000' + 'b700000000000000' + '9500000000000000';
    const io = new MemoryIo({ 'p.hex': hex });
    expect(await runCli(['verify', 'p.hex', '--hex', '--prog-type', 'xdp', '--json'], io)).toBe(1);
    expect(JSON.parse(io.out)).toMatchObject({ errno: 'EBADF', error: 'fd 7 is not pointing to valid bpf_map' });
    io.out = '';
    expect(await runCli(['verify', 'p.hex', '--hex', '--prog-type', 'xdp', '--map', '7:hash:4:4:8', '--json'], io)).toBe(0);
  });
  test('--unprivileged refuses what only CAP_BPF may do', async () => {
    const io = new MemoryIo({ 'leak.s': 'r0 = r10\nexit\n' });
    expect(await runCli(['verify', 'leak.s', '--prog-type', 'socket_filter'], io)).toBe(0);
    expect(await runCli(['verify', 'leak.s', '--prog-type', 'socket_filter', '--unprivileged'], io)).toBe(1);
    expect(io.out).toContain('rejected: R0 leaks addr as return value (EACCES)');
  });
  test('--batch: one verdict per line, bad lines reported without stopping the rest', async () => {
    const lines = [
      JSON.stringify({ id: 'a', progType: 'xdp', insns: 'b700000002000000' + '9500000000000000' }),
      'not json',
      JSON.stringify({ id: 'c', progType: 'socket_filter', insns: '9500000000000000' }),
    ];
    const io = new MemoryIo({ 'b.jsonl': lines.join('\n') });
    expect(await runCli(['verify', '--batch', 'b.jsonl'], io)).toBe(2);
    expect(io.out.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: 'a', accepted: true, insnProcessed: 2 },
      { id: null, error: 'b.jsonl:2: not valid JSON' },
      { id: 'c', accepted: false, errno: 'EACCES', error: 'R0 !read_ok', insnProcessed: 1 },
    ]);
  });
  test('type names: uapi, short, libbpf sections; a section implies its attach type', async () => {
    // egress_ifindex (xdp_md offset 20) exists only for expected_attach_type BPF_XDP_DEVMAP.
    const io = new MemoryIo({ 'eg.s': 'r0 = *(u32 *)(r1 + 20)\nr0 = 2\nexit\n' });
    expect(await runCli(['verify', 'eg.s', '--prog-type', 'BPF_PROG_TYPE_XDP'], io)).toBe(1);
    expect(io.out).toContain('rejected: invalid bpf_context access off=20 size=4 (EACCES)');
    expect(await runCli(['verify', 'eg.s', '--prog-type', 'xdp/devmap'], io)).toBe(0);
    expect(await runCli(['verify', 'eg.s', '--prog-type', 'xdp', '--attach-type', 'xdp_devmap'], io)).toBe(0);
    // The cgroup types come from the simulated kernel's registry: offset 20 of
    // bpf_sock_addr is user_ip6[3], which an IPv4 connect program may not read; without an
    // attach type, a sock_addr program does not load at all.
    for (const name of ['cgroup/connect4', 'cgroup_inet4_connect']) {
      io.out = '';
      expect(await runCli(['verify', 'eg.s', '--prog-type', name], io)).toBe(1);
      expect(io.out).toContain('rejected: invalid bpf_context access off=20 size=4 (EACCES)');
    }
    for (const name of ['cgroup/connect6', 'cgroup_inet6_connect']) expect(await runCli(['verify', 'eg.s', '--prog-type', name], io)).toBe(1); // returns 2: out of [0, 1]
    for (const name of ['BPF_PROG_TYPE_CGROUP_SOCK_ADDR', 'cgroup_sock_addr']) {
      io.out = '';
      expect(await runCli(['verify', 'eg.s', '--prog-type', name], io)).toBe(1);
      expect(io.out).toMatch(/rejected: .*\(EINVAL\)/);
    }
  });
  test.each([
    [['verify', 'ok.s'], '--prog-type is required'],
    [['verify', 'ok.s', '--prog-type', 'tc'], "program type 'tc' is not modelled by the verifier yet"],
    [['verify', 'ok.s', '--prog-type', 'nonsense'], "unknown program type 'nonsense'"],
    [['verify', 'ok.s', '--prog-type', 'xdp', '--map', '1:array:4'], "--map '1:array:4': 3 fields"],
    [['verify', 'ok.s', '--prog-type', 'xdp', '--map', '1:nosuch:4:4:1'], "unknown map type 'nosuch'"],
    [['verify', 'ok.s', '--prog-type', 'xdp', '--attach-type', 'bogus'], "unknown attach type 'bogus'"],
  ])('bad input %j is a usage error naming the problem', async (argv, message) => {
    const io = new MemoryIo({ 'ok.s': PKT_OK });
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err).toContain(message);
  });
});
