// The libbpf-like object API: globals before and after load, map sizes, pinning by name,
// map-in-map initial values, attaching by section, closing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysError } from '@bpfsim/isa';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import { LoaderUsageError, ObjectFormatError, ProgramLoadError, openObject } from '../src';

const progs = path.resolve(__dirname, '../../../scenarios/progs');
const read = (name: string): Uint8Array => fs.readFileSync(path.join(progs, `${name}.bpf.o`));
const open = (name: string, pinRoot?: string) => openObject(read(name), { file: `${name}.bpf.o`, ...(pinRoot ? { pinRoot } : {}) });
const le = (b: Uint8Array): bigint => b.reduceRight((v, x) => (v << 8n) | BigInt(x), 0n);

/** The fds a process has open (the table has no size; probe the low numbers). */
const openFds = (c: BpfClient): number[] => [...Array(256).keys()].filter((fd) => c.process.fds.lookup(fd) !== undefined);

function client(kernel = new Kernel()): BpfClient {
  installSockmap(kernel);
  return new BpfClient(kernel, kernel.spawn({ comm: 'api-test' }));
}

describe('globals', () => {
  test('a .rodata global set before load is what the verifier and the program see; after load .rodata is frozen', () => {
    const obj = open('port_policy');
    expect(le(obj.getGlobal('port_min'))).toBe(8000n);
    obj.setGlobal('port_min', 1000);
    obj.load(client());
    expect(le(obj.getGlobal('port_min'))).toBe(1000n);
    expect(() => obj.setGlobal('port_min', 2)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    // The .bss global is a map value user space may write (a skeleton's mmap).
    obj.setGlobal('refused_total', 41);
    expect(le(obj.getGlobal('refused_total'))).toBe(41n);
    expect(obj.globals().map((g) => `${g.name}@${g.section}+${g.offset}:${g.size}`)).toEqual(['port_min@.rodata+0:2', 'port_max@.rodata+2:2', 'refused_total@.bss+0:8']);
  });

  test('unknown globals and oversized values are named errors', () => {
    const obj = open('port_policy');
    expect(() => obj.setGlobal('port_mid', 1)).toThrow(/no global variable named 'port_mid' \(globals: port_min, port_max, refused_total\)/);
    expect(() => obj.setGlobal('port_min', new Uint8Array(4))).toThrow(/global 'port_min' is 2 bytes; 4 given/);
  });
});

describe('maps', () => {
  test('max_entries can change before load, not after', () => {
    const obj = open('connect_lb');
    obj.map('services').setMaxEntries(1024);
    const c = client();
    obj.load(c);
    expect((c.process.fds.lookup(obj.map('services').fd) as unknown as { maxEntries: number }).maxEntries).toBe(1024);
    expect(() => obj.map('services').setMaxEntries(8)).toThrow(LoaderUsageError);
    expect(() => obj.map('nope')).toThrow(/no map named 'nope' \(maps: services\)/);
  });

  test('map-in-map: the inner map template and the initial slots from .rel.maps', () => {
    const obj = open('map_in_map');
    expect(obj.map('policies').def.inner).toMatchObject({ type: 2, keySize: 4, valueSize: 4, maxEntries: 8 });
    expect(obj.map('policies').def.initSlots).toEqual(new Map([[0, 'web_ports'], [1, 'db_ports']]));
    const c = client();
    obj.load(c);
    const id = (fd: number): number => (c.process.fds.lookup(fd) as unknown as { id: number }).id;
    const slot = (i: number): number => Number(le(obj.map('policies').handle!.lookup(i)!));
    expect(slot(0)).toBe(id(obj.map('web_ports').fd));
    expect(slot(1)).toBe(id(obj.map('db_ports').fd));
    expect(obj.map('policies').handle!.lookup(2)).toBeUndefined();
  });

  test('pinning by name: the second object reuses the pinned map; a different definition is refused', () => {
    const kernel = new Kernel();
    const a = open('pinned', '/sys/fs/bpf/app');
    a.load(client(kernel));
    expect(a.map('connect_totals').pinPath).toBe('/sys/fs/bpf/app/connect_totals');
    expect(a.map('connect_totals').reused).toBe(false);
    a.map('connect_totals').handle!.update(1, 7n);
    const b = open('pinned', '/sys/fs/bpf/app');
    b.load(client(kernel));
    expect(b.map('connect_totals').reused).toBe(true);
    expect(le(b.map('connect_totals').handle!.lookup(1)!)).toBe(7n);
    expect(b.map('last_connect').reused).toBe(false);
    const c = open('pinned', '/sys/fs/bpf/app');
    c.map('connect_totals').setMaxEntries(3);
    expect(() => c.load(client(kernel))).toThrow(ObjectFormatError);
    expect(() => c.load(client(kernel))).toThrow(/couldn't reuse pinned map at '\/sys\/fs\/bpf\/app\/connect_totals': parameter mismatch/);
  });
});

describe('programs', () => {
  test('autoload off leaves a program unloaded; the others load', () => {
    const obj = open('single_ip');
    obj.program('force_bind4').autoload = false;
    obj.load(client());
    expect(obj.program('force_bind4').handle).toBeUndefined();
    expect(() => obj.program('force_bind4').fd).toThrow(/is not loaded/);
    expect(obj.program('force_connect4').fd).toBeGreaterThan(0);
  });

  test('a failed load closes what was made and reports the program, errno and log', () => {
    const obj = open('xdp_socket');
    // The last program, loaded as a kprobe: a type bpfsim's kernel does not have (EINVAL),
    // after the maps and the other four programs were made.
    obj.program('tp_enter_connect').type = 2;
    const c = client();
    const before = openFds(c);
    let err: unknown;
    try {
      obj.load(c);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProgramLoadError);
    expect((err as ProgramLoadError).program).toBe('tp_enter_connect');
    expect((err as ProgramLoadError).code).toBe('EINVAL');
    // The maps and the programs that did load are closed again.
    expect(openFds(c)).toEqual(before);
    expect(obj.loaded).toBe(false);
  });

  test('attach by section: raw_tp opens a link at the named tracepoint, and close() detaches', () => {
    const kernel = new Kernel();
    const c = client(kernel);
    const obj = open('trace');
    obj.program('count_https4').autoload = false;
    obj.load(c);
    const p = obj.program('trace_tcp_state');
    expect(p.attachTarget).toBe('inet_sock_set_state');
    const link = p.attachRawTracepoint();
    expect(c.process.fds.lookup(link)).toBeDefined();
    obj.close();
    expect(c.process.fds.lookup(link)).toBeUndefined();
    expect(() => obj.program('trace_sys_enter').attachRawTracepoint()).toThrow(/not loaded/);
  });

  test('attach by section: sk_msg to the sockhash and sockmap of the object, sockops to a cgroup; not to a hash map', () => {
    const kernel = new Kernel();
    const c = client(kernel);
    const obj = open('sk_msg');
    obj.load(c);
    obj.program('msg_shortcut').attachSockmap(obj.map('sock_hash'));
    obj.program('msg_to_slot0').attachSockmap(obj.map('sock_slots'));
    obj.program('sockops_insert').attachCgroup('/');
    // A map that is not a sockmap takes no SK_MSG program (sock_map_get_from_fd: EINVAL).
    const lb = open('connect_lb');
    lb.load(c);
    expect(() => obj.program('msg_shortcut').attachSockmap(lb.map('services'))).toThrow(SysError);
  });
});
