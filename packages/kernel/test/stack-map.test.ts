// Stack maps with build ids, end to end: a process runs a simulated binary (an ELF file
// bpfsim wrote, with a build-id note and symbols) mapped into its address space, a raw
// tracepoint program records its user stack with bpf_get_stackid(BPF_F_USER_STACK), and
// user space reads the build id + offset frames back and symbolizes them. Also: the ELF
// reader against readelf on files of this machine.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SimBinary } from '../src';
import {
  BPF_F_FAST_STACK_CMP,
  BPF_F_STACK_BUILD_ID,
  BPF_F_USER_STACK,
  BPF_STACK_BUILD_ID_EMPTY,
  BPF_STACK_BUILD_ID_IP,
  BPF_STACK_BUILD_ID_VALID,
  BpfClient,
  Kernel,
  binaryFromElf,
  fireTracepoint,
  ipOf,
  kernelStack,
  kernelSymbolize,
  readBuildId,
  symbolize,
  writeElf,
} from '../src';

const BUILD_ID = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) & 0xff);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function server(noteResident = true): SimBinary {
  const elf = writeElf({ buildId: BUILD_ID, functions: [{ name: 'main', size: 0x40 }, { name: 'serve', size: 0x80 }, { name: 'handle_conn', size: 0x100 }, { name: 'connect_upstream', size: 0x60 }] });
  return binaryFromElf('/usr/bin/server', elf, noteResident);
}

/** A kernel with a process running `bin`, and a raw tracepoint program on
 * inet_sock_set_state that puts get_stackid(flags) into array slot 0. */
function world(bin: SimBinary, flags: number, mapFlags = BPF_F_STACK_BUILD_ID) {
  const k = new Kernel({ seed: 3 });
  const proc = k.spawn({ comm: 'server' });
  const c = new BpfClient(k, proc);
  const vma = proc.mm.map(bin, 0x55550000_0000n, 0x2000n);
  // main → serve → handle_conn → connect_upstream, innermost first.
  proc.userStack = [ipOf(vma, 'connect_upstream', 0x12), ipOf(vma, 'handle_conn', 0x40), ipOf(vma, 'serve', 0x20), ipOf(vma, 'main', 0x10)];
  const valueSize = mapFlags & BPF_F_STACK_BUILD_ID ? 32 * 8 : 8 * 8;
  const stacks = c.createMap({ type: 'stack_trace', keySize: 4, valueSize, maxEntries: 16, flags: mapFlags });
  const out = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const prog = c.loadProgram({
    type: 'raw_tracepoint',
    maps: { stacks, out },
    insns: `
      .map stacks type=stack_trace key_size=4 value_size=${valueSize} max_entries=16 map_flags=${mapFlags}
      .map out type=array key_size=4 value_size=8 max_entries=1
      r2 = stacks ll
      r3 = ${flags}
      call bpf_get_stackid
      r6 = r0
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = out ll
      call bpf_map_lookup_elem
      if r0 == 0 goto done
      *(u64 *)(r0 + 0) = r6
    done:
      r0 = 0
      exit`,
  });
  const fd = c.rawTracepointOpen(prog, 'inet_sock_set_state');
  const fire = (): number => {
    fireTracepoint(k, 'inet_sock_set_state', [0, 7, 2], proc, kernelStack('tcp_set_state', 'tcp_v4_connect', '__inet_stream_connect', 'inet_stream_connect', '__sys_connect', '__x64_sys_connect', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'));
    return Number(new DataView(out.lookup(0)!.buffer).getBigInt64(0, true));
  };
  return { k, proc, c, vma, stacks, fire, fd };
}

/** The frames of a build-id stack map value. */
function frames(v: Uint8Array): { status: number; buildId: string; offsetOrIp: bigint }[] {
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const out = [];
  for (let o = 0; o + 32 <= v.length; o += 32) out.push({ status: dv.getInt32(o, true), buildId: hex(v.subarray(o + 4, o + 24)), offsetOrIp: dv.getBigUint64(o + 24, true) });
  return out;
}

describe('build-id stacks', () => {
  test('a user stack in a mapped binary becomes build id + file offset, and symbolizes back', () => {
    const bin = server();
    const { fire, stacks } = world(bin, BPF_F_USER_STACK);
    const id = fire();
    expect(id).toBeGreaterThanOrEqual(0);
    const f = frames(stacks.lookup(id)!);
    expect(f.slice(0, 4).map((x) => x.status)).toEqual([BPF_STACK_BUILD_ID_VALID, BPF_STACK_BUILD_ID_VALID, BPF_STACK_BUILD_ID_VALID, BPF_STACK_BUILD_ID_VALID]);
    expect(new Set(f.slice(0, 4).map((x) => x.buildId))).toEqual(new Set([hex(BUILD_ID)]));
    // Past the stack's end: BPF_STACK_BUILD_ID_EMPTY (all zero).
    expect(f.slice(4).every((x) => x.status === BPF_STACK_BUILD_ID_EMPTY && x.offsetOrIp === 0n && /^0+$/.test(x.buildId))).toBe(true);
    const names = f.slice(0, 4).map((x) => symbolize([bin], BUILD_ID, x.offsetOrIp));
    expect(names).toEqual(['connect_upstream+0x12', 'handle_conn+0x40', 'serve+0x20', 'main+0x10']);
  });

  test('equal stacks get the same id; a different stack gets another (or EEXIST on a taken bucket)', () => {
    const { fire, proc, vma } = world(server(), BPF_F_USER_STACK);
    const a = fire();
    expect(fire()).toBe(a);
    proc.userStack = [ipOf(vma, 'serve', 0x30), ipOf(vma, 'main', 0x10)];
    const b = fire();
    expect(b === -17 || (b >= 0 && b !== a)).toBe(true);
  });

  test('a build-id note that is not in the page cache falls back to the raw IP', () => {
    const { fire, stacks, proc } = world(server(false), BPF_F_USER_STACK);
    const f = frames(stacks.lookup(fire())!);
    expect(f.slice(0, 4).map((x) => x.status)).toEqual(new Array(4).fill(BPF_STACK_BUILD_ID_IP));
    expect(f.slice(0, 4).map((x) => x.offsetOrIp)).toEqual(proc.userStack);
    expect(f[0]!.buildId).toBe('0'.repeat(40));
  });

  test('kernel stacks in a build-id map are always raw IPs; in an IP map they symbolize with kallsyms', () => {
    const k1 = world(server(), 0);
    const f = frames(k1.stacks.lookup(k1.fire())!);
    expect(f.slice(0, 8).every((x) => x.status === BPF_STACK_BUILD_ID_IP)).toBe(true);
    const k2 = world(server(), 0, 0);
    const v = k2.stacks.lookup(k2.fire())!;
    const ips = Array.from({ length: 8 }, (_, i) => new DataView(v.buffer).getBigUint64(8 * i, true));
    expect(ips.map((ip) => kernelSymbolize(ip))).toEqual([
      'tcp_set_state+0x1c', 'tcp_v4_connect+0x1c', '__inet_stream_connect+0x1c', 'inet_stream_connect+0x1c', '__sys_connect+0x1c',
      '__x64_sys_connect+0x1c', 'do_syscall_64+0x1c', 'entry_SYSCALL_64_after_hwframe+0x1c',
    ]);
  });

  test('BPF_F_FAST_STACK_CMP trusts the hash; closing the link stops the recording', () => {
    const w = world(server(), BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP);
    const id = w.fire();
    expect(w.fire()).toBe(id);
    w.proc.fds.close(w.fd);
    w.proc.userStack = [];
    // Nothing runs any more: the slot keeps the last id.
    expect(w.fire()).toBe(id);
  });
});

describe('ELF build ids', () => {
  const readelf = spawnSync('readelf', ['--version'], { encoding: 'utf8' }).status === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-elf-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writeElf writes what readBuildId and readFunctionSymbols read back', () => {
    const bin = server();
    expect(hex(bin.buildId!)).toBe(hex(BUILD_ID));
    expect(bin.symbols.map((s) => [s.name, s.size])).toEqual([
      ['main', 0x40],
      ['serve', 0x80],
      ['handle_conn', 0x100],
      ['connect_upstream', 0x60],
    ]);
    expect(readBuildId(writeElf({ functions: [{ name: 'f', size: 4 }] }))).toBeUndefined();
  });

  test('a file that is not ELF is refused with the byte it stopped at', () => {
    expect(() => readBuildId(new TextEncoder().encode('#!/bin/sh\necho not elf\n'.padEnd(64)))).toThrow(/ELF byte 0: not an ELF file/);
    expect(() => readBuildId(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 9, ...new Array(60).fill(0)))).toThrow(/ELF byte 4: unknown class 9/);
  });

  (readelf ? test : test.skip)('readelf agrees on the files bpfsim writes and on binaries of this machine', () => {
    const file = path.join(dir, 'server');
    fs.writeFileSync(file, writeElf({ buildId: BUILD_ID, functions: [{ name: 'main', size: 16 }] }));
    const fromReadelf = (f: string): string | undefined => /Build ID: ([0-9a-f]+)/.exec(spawnSync('readelf', ['-n', f], { encoding: 'utf8' }).stdout)?.[1];
    expect(fromReadelf(file)).toBe(hex(BUILD_ID));
    const sym = spawnSync('readelf', ['-sW', file], { encoding: 'utf8' });
    expect(sym.stderr).toBe('');
    expect(sym.stdout).toMatch(/FUNC\s+GLOBAL\s+DEFAULT\s+2 main/);
    let checked = 0;
    for (const f of ['/bin/ls', '/usr/bin/env', '/bin/bash', '/usr/bin/python3', process.execPath]) {
      if (!fs.existsSync(f)) continue;
      const real = fs.realpathSync(f);
      const mine = readBuildId(new Uint8Array(fs.readFileSync(real)));
      expect(mine ? hex(mine) : undefined).toBe(fromReadelf(real));
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
  });
});
