// `bpfsim obj`, and verify / disasm / test-run on ELF objects (scenarios/progs/*.bpf.o).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseElf } from '@bpfsim/loader';
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

const progs = path.resolve(__dirname, '../../../scenarios/progs');
const obj = (name: string): Uint8Array => fs.readFileSync(path.join(progs, `${name}.bpf.o`));

describe('bpfsim obj', () => {
  test('lists programs with section, type, attach type and linked size, maps and globals', async () => {
    const io = new MemoryIo({ 'lb.o': obj('connect_lb'), 'port_policy.bpf.o': obj('port_policy') });
    expect(await runCli(['obj', 'lb.o'], io)).toBe(0);
    expect(io.out).toMatch(/^lb_connect4\s+cgroup\/connect4\s+cgroup_sock_addr\s+cgroup_inet4_connect\s+35\s+53$/m);
    expect(io.out).toMatch(/^services\s+\.maps\s+hash\s+8\s+36\s+64\s+0x0$/m);
    expect(io.out).toContain('subprograms in .text: lb_rewrite (6 insns, global), pick_backend (12 insns, static)');
    io.out = '';
    expect(await runCli(['obj', 'port_policy.bpf.o'], io)).toBe(0);
    expect(io.out).toMatch(/^port_pol\.rodata\s+\.rodata\s+array\s+4\s+4\s+1\s+0x480$/m);
    expect(io.out).toMatch(/^port_min\s+\.rodata\s+0\s+2$/m);
  });

  test('--json gives the same, for tools; --relocs lists the program relocations', async () => {
    const io = new MemoryIo({ 'lb.o': obj('connect_lb') });
    expect(await runCli(['obj', '--json', 'lb.o'], io)).toBe(0);
    const d = JSON.parse(io.out) as { programs: { name: string; linkedInsns: number }[]; maps: { name: string }[] };
    expect(d.programs).toEqual([expect.objectContaining({ name: 'lb_connect4', linkedInsns: 53 })]);
    io.out = '';
    expect(await runCli(['obj', '--relocs', 'lb.o'], io)).toBe(0);
    expect(io.out).toMatch(/R_BPF_64_64\s+services/);
    expect(io.out).toMatch(/R_BPF_64_32\s+lb_rewrite/);
    expect(io.out).not.toContain('.debug_');
  });

  test('a legacy maps section is read with a warning, as libbpf 0.x did', async () => {
    const io = new MemoryIo({ 'l.o': obj('legacy_maps') });
    expect(await runCli(['obj', 'l.o'], io)).toBe(0);
    expect(io.err).toMatch(/section 'maps': warning: legacy map definitions .* libbpf 1\.0 and later refuses them/);
    expect(io.out).toMatch(/^connect_ports\s+maps\s+hash/m);
  });
});

describe('verify, disasm and test-run take objects', () => {
  test('verify checks each program as libbpf would load it; the log has the C source lines', async () => {
    const io = new MemoryIo({ 'ip.o': obj('single_ip') });
    expect(await runCli(['verify', 'ip.o'], io)).toBe(0);
    expect(io.out).toContain("program 'force_bind4' (section cgroup/bind4):\naccepted (");
    expect(io.out).toContain("program 'force_connect4' (section cgroup/connect4):\naccepted (");
    io.out = '';
    expect(await runCli(['verify', 'ip.o', '--program', 'force_bind4', '--log-level', '1'], io)).toBe(0);
    expect(io.out).toContain('processed');
    io.out = '';
    expect(await runCli(['verify', 'ip.o', '--program', 'force_bind4', '--log-level', '2'], io)).toBe(0);
    expect(io.out).toContain('; int force_bind4(struct bpf_sock_addr *ctx) @ single_ip.bpf.c:');
  });

  test('verify --json: one line per program', async () => {
    const io = new MemoryIo({ 'v6.o': obj('v6') });
    expect(await runCli(['verify', '--json', 'v6.o'], io)).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as { program: string; accepted: boolean });
    expect(lines.map((l) => l.program)).toContain('sock_create_policy');
    expect(lines.every((l) => l.accepted)).toBe(true);
  });

  test('a refused program is a check failure (exit 1) with the verifier\'s reason and the log\'s tail', async () => {
    // single_ip's force_bind4 with its `w2 = *(u32 *)(r1 + 4)` (ctx->user_ip4) patched to read at 200.
    const bytes = obj('single_ip').slice();
    const sec = parseElf(bytes, 'single_ip.bpf.o').sectionByName('cgroup/bind4')!;
    const at = sec.offset + 1 * 8;
    expect(bytes[at]).toBe(0x61);
    bytes[at + 2] = 200;
    const io = new MemoryIo({ 'bad.o': bytes });
    expect(await runCli(['verify', 'bad.o', '--program', 'force_bind4'], io)).toBe(1);
    expect(io.out).toContain('invalid bpf_context access off=200 size=4\n');
    expect(io.out).toMatch(/rejected: invalid bpf_context access off=200 size=4 \(EACCES\)$/m);
    // The tracepoint program of xdp_socket verifies (BPF_PROG_TYPE_TRACEPOINT is modelled).
    const tp = new MemoryIo({ 'x.o': obj('xdp_socket') });
    expect(await runCli(['verify', 'x.o', '--program', 'tp_enter_connect'], tp)).toBe(0);
  });

  test('disasm lists the linked program with its source lines', async () => {
    const io = new MemoryIo({ 'lb.o': obj('connect_lb') });
    expect(await runCli(['disasm', 'lb.o'], io)).toBe(0);
    expect(io.out).toMatch(/^lb_connect4: section cgroup\/connect4, cgroup_sock_addr \(cgroup_inet4_connect\), 53 insns$/m);
    expect(io.out).toContain('; set = bpf_map_lookup_elem(&services, &key); @ connect_lb.bpf.c:');
    expect(io.out).toMatch(/call -?\d+|call \+\d+/);
    io.out = '';
    expect(await runCli(['disasm', '--no-source', 'lb.o'], io)).toBe(0);
    expect(io.out).not.toContain('@ connect_lb.bpf.c');
  });

  test('test-run runs an xdp or socket program of an object in the simulated kernel', async () => {
    const io = new MemoryIo({ 'x.o': obj('xdp_socket') });
    // An Ethernet + IPv4 + TCP packet to port 23 (telnet) and one to port 80.
    const pkt = (dport: number): string =>
      '000000000002' + '000000000001' + '0800' + '4500002800000000400600000a0000010a000002' + '04d2' + dport.toString(16).padStart(4, '0') + '00000000000000005002ffff00000000';
    expect(await runCli(['test-run', 'x.o', '--program', 'xdp_drop_port', '--data', pkt(80)], io)).toBe(0);
    expect(io.out).toMatch(/^retval: 2 /m);
    io.out = '';
    expect(await runCli(['test-run', 'x.o', '--data', pkt(80)], io)).toBe(2);
    expect(io.err).toMatch(/pick one with --program/);
  });

  test.each([
    [['obj', 'missing.o'], "bpfsim: cannot read 'missing.o': no such file\n"],
    [['obj', 'text.o'], /^text\.o \+0x0: not an ELF file/],
    [['obj', 'short.o'], /^short\.o \+0x1e78: section header 0 \(64 bytes at offset 7800\) runs past the end of the file \(100 bytes\)/],
    [['verify', 'text.o'], /^text\.o: a \.o file must be an ELF object/],
    [['verify', 'ip.o', '--program', 'nope'], /--program: .*no program named 'nope' \(programs: force_bind4, force_connect4\)/],
    [['verify', 'ip.o', '--prog-type', 'xdp'], /do not apply to an ELF object/],
  ])('%j fails with exit status 2 and one clear line', async (argv, message) => {
    const io = new MemoryIo({ 'text.o': 'hello\n', 'short.o': obj('single_ip').slice(0, 100), 'ip.o': obj('single_ip') });
    expect(await runCli(argv, io)).toBe(2);
    if (typeof message === 'string') expect(io.err).toBe(message);
    else expect(io.err).toMatch(message);
    expect(io.err.trim().split('\n')).toHaveLength(1);
  });
});
