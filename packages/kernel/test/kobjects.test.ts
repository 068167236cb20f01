// Kernel objects for tracing programs: the layouts match this machine's BTF (as recorded in
// golden/btf-layouts.json), and a raw tracepoint program reads a socket's fields with
// bpf_probe_read_kernel through the pointer argument, as it would on Linux.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BpfClient, KERNEL_STRUCTS, Kernel, fireTracepoint, kernelObject, releaseKernelObject } from '../src';

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/btf-layouts.json'), 'utf8')) as Record<string, { size: number; members: Record<string, { offset: number; size: number } | null> }>;

test.each(Object.entries(KERNEL_STRUCTS))('struct %s is laid out as Linux lays it out', (name, layout) => {
  const g = golden[name]!;
  expect(layout.size).toBe(g.size);
  expect(layout.fields).toEqual(g.members);
});

test('a raw tracepoint program reads sk->skc_num and skc_daddr of the socket it is handed', () => {
  const k = new Kernel();
  const proc = k.spawn({ comm: 'srv' });
  const c = new BpfClient(k, proc);
  const out = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
  const prog = c.loadProgram({
    type: 'raw_tracepoint',
    maps: { out },
    insns: `
      .map out type=array key_size=4 value_size=8 max_entries=1
      r3 = *(u64 *)(r1 + 0)       // args[0]: struct sock *sk
      r6 = r3
      r1 = r10
      r1 += -8
      r2 = 2
      r3 += 14                    // &sk->__sk_common.skc_num
      call bpf_probe_read_kernel
      r1 = r10
      r1 += -16
      r2 = 4
      r3 = r6                     // &sk->__sk_common.skc_daddr
      call bpf_probe_read_kernel
      r7 = *(u16 *)(r10 - 8)
      r8 = *(u32 *)(r10 - 16)
      r8 <<= 16
      r7 |= r8
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = out ll
      call bpf_map_lookup_elem
      if r0 == 0 goto done
      *(u64 *)(r0 + 0) = r7
    done:
      r0 = 0
      exit`,
  });
  c.rawTracepointOpen(prog, 'inet_sock_set_state');
  const sock = {};
  const sk = kernelObject(k, 'sock', sock, (w) => w.set('skc_num', 8080).set('skc_daddr', Uint8Array.of(10, 0, 0, 2)).set('skc_state', 2));
  fireTracepoint(k, 'inet_sock_set_state', [sk, 7, 2], proc);
  const v = new DataView(out.lookup(0)!.buffer).getBigUint64(0, true);
  expect(Number(v & 0xffffn)).toBe(8080);
  // skc_daddr 10.0.0.2 in network order, read as a little-endian u32.
  expect(Number(v >> 16n)).toBe(0x0200000a);
  releaseKernelObject(k, sock);
  // The freed object is gone: the same pointer now faults in probe_read (zero-filled, -EFAULT).
  fireTracepoint(k, 'inet_sock_set_state', [sk, 7, 2], proc);
  expect(new DataView(out.lookup(0)!.buffer).getBigUint64(0, true)).toBe(0n);
});
