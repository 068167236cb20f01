// The rest of the stack's raw tracepoints fire where Linux fires them, with its arguments:
// raw_syscalls:sys_enter/sys_exit on the socket calls, net:net_dev_xmit and
// net:netif_receive_skb per frame, skb:kfree_skb with the drop reason, tcp:tcp_send_reset
// (NULL sk when no socket answers), tcp:tcp_probe, sock:inet_sk_error_report and
// udp:udp_fail_queue_rcv_skb. A program records what it is handed in a hash map keyed by
// args[K], so each test reads what the program saw.
import { BpfClient, kernelAddress } from '@bpfsim/kernel';
import type { Host } from '../src';
import { AF_INET, MS, Network, SK_RST_REASON, SKB_DROP_REASON, SOCK_DGRAM, SOCK_STREAM, SO, SOL_SOCKET, SocketApi, installCgroupHooks } from '../src';

function world() {
  const net = new Network({ seed: 13 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  return { net, a, b, A: new SocketApi(a, a.kernel.spawn({ comm: 'app' })), B: new SocketApi(b, b.kernel.spawn({ comm: 'srv' })) };
}

/**
 * Attaches to `tp` on `host` a program that, per run, does seen[args[key]] = {count, args[val],
 * *(u{size} *)(args[ptr] + off)} (the last via bpf_probe_read_kernel; 0 if args[ptr] is NULL).
 */
function record(host: Host, tp: string, o: { key: number; val: number; ptr: number; off: number; size: 1 | 2 | 4 | 8 }) {
  const c = new BpfClient(host.kernel, host.kernel.spawn({ comm: 'tracer' }));
  const seen = c.createMap({ type: 'hash', keySize: 8, valueSize: 24, maxEntries: 64 });
  const prog = c.loadProgram({
    type: 'raw_tracepoint',
    maps: { seen },
    insns: `
      .map seen type=hash key_size=8 value_size=24 max_entries=64
      r6 = r1
      r1 = 0
      *(u64 *)(r10 - 32) = r1
      *(u64 *)(r10 - 24) = r1
      *(u64 *)(r10 - 16) = r1
      r1 = *(u64 *)(r6 + ${8 * o.key})
      *(u64 *)(r10 - 8) = r1
      r2 = r10
      r2 += -8
      r1 = seen ll
      call bpf_map_lookup_elem
      if r0 == 0 goto fresh
      r1 = *(u64 *)(r0 + 0)
      *(u64 *)(r10 - 32) = r1
    fresh:
      r1 = *(u64 *)(r10 - 32)
      r1 += 1
      *(u64 *)(r10 - 32) = r1
      r1 = *(u64 *)(r6 + ${8 * o.val})
      *(u64 *)(r10 - 24) = r1
      r3 = *(u64 *)(r6 + ${8 * o.ptr})
      if r3 == 0 goto store
      r3 += ${o.off}
      r1 = r10
      r1 += -16
      r2 = ${o.size}
      call bpf_probe_read_kernel
    store:
      r1 = seen ll
      r2 = r10
      r2 += -8
      r3 = r10
      r3 += -32
      r4 = 0
      call bpf_map_update_elem
      r0 = 0
      exit`,
  });
  c.rawTracepointOpen(prog, tp);
  const get = (k: number | bigint): { count: number; val: bigint; field: bigint } | undefined => {
    const v = seen.lookup(BigInt.asUintN(64, BigInt(k)));
    if (!v) return undefined;
    const d = new DataView(v.buffer, v.byteOffset, 24);
    return { count: Number(d.getBigUint64(0, true)), val: d.getBigInt64(8, true), field: d.getBigUint64(16, true) };
  };
  return { get, keys: () => [...seen.keys()].map((k) => new DataView(k.buffer, k.byteOffset, 8).getBigInt64(0, true)) };
}

test('sys_enter / sys_exit: the syscall number, its arguments in pt_regs (di, si…) and the return value', () => {
  const w = world();
  const enter = record(w.a, 'sys_enter', { key: 1, val: 1, ptr: 0, off: 112, size: 8 }); // regs->di
  const exit = record(w.a, 'sys_exit', { key: 1, val: 1, ptr: 0, off: 120, size: 8 }); // ret; regs->orig_ax
  const fd = w.A.socket(AF_INET, SOCK_DGRAM);
  w.A.bind(fd, { family: 4, addr: '10.0.0.1', port: 5000 });
  expect(() => w.A.bind(fd, { family: 4, addr: '10.0.0.1', port: 5001 })).toThrow();
  w.A.close(fd);
  expect(enter.get(41)).toEqual({ count: 1, val: 41n, field: 2n }); // socket(AF_INET, …)
  expect(enter.get(49)).toEqual({ count: 2, val: 49n, field: BigInt(fd) }); // bind(fd, …) twice
  expect(enter.get(3)?.count).toBe(1); // close
  expect(exit.get(fd)).toEqual({ count: 1, val: BigInt(fd), field: 41n }); // socket() returned fd
  expect(exit.get(-22)).toEqual({ count: 1, val: -22n, field: 49n }); // the second bind: -EINVAL
});

test('net_dev_xmit and netif_receive_skb: one run per frame, with the device and the length', () => {
  const w = world();
  const xmit = record(w.a, 'net_dev_xmit', { key: 3, val: 3, ptr: 2, off: 224, size: 4 }); // skb_len; dev->ifindex
  const rcv = record(w.b, 'netif_receive_skb', { key: 0, val: 0, ptr: 0, off: 112, size: 4 }); // skb->len
  const u = w.A.socket(AF_INET, SOCK_DGRAM);
  const s = w.B.socket(AF_INET, SOCK_DGRAM);
  w.B.bind(s, { family: 4, addr: '0.0.0.0', port: 53 });
  w.A.sendto(u, new Uint8Array(100), { family: 4, addr: '10.0.0.2', port: 53 });
  w.net.sim.run();
  // ARP request (60 B padded) and the datagram: 14 + 20 + 8 + 100 = 142 B, on eth0 (ifindex 2).
  expect(xmit.get(142)).toEqual({ count: 1, val: 142n, field: 2n });
  expect(xmit.get(60)?.count).toBe(1);
  // Host b takes in the ARP request and the datagram (each skb is freed after its run, so
  // both may have had the same address).
  expect(rcv.keys().reduce((n, k) => n + rcv.get(k)!.count, 0)).toBe(2);
});

test('kfree_skb: a datagram for a closed port is NO_SOCKET, at kfree_skb_reason', () => {
  const w = world();
  const free = record(w.b, 'kfree_skb', { key: 2, val: 1, ptr: 0, off: 112, size: 4 }); // reason; location; skb->len
  const u = w.A.socket(AF_INET, SOCK_DGRAM);
  w.A.sendto(u, new Uint8Array(10), { family: 4, addr: '10.0.0.2', port: 9 });
  w.net.sim.run();
  const r = free.get(SKB_DROP_REASON['no-socket']!);
  expect(r?.count).toBe(1);
  expect(r?.val).toBe(BigInt.asIntN(64, kernelAddress('kfree_skb_reason')));
  expect(r?.field).toBe(20n + 8n + 10n); // the IPv4 datagram
});

test('tcp_send_reset: NULL sk for a closed port (NO_SOCKET); the socket for SO_LINGER 0 (TCP_ABORT_ON_LINGER)', async () => {
  const w = world();
  const rstB = record(w.b, 'tcp_send_reset', { key: 2, val: 0, ptr: 0, off: 14, size: 2 }); // reason; sk; sk->skc_num
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 81 });
  w.net.sim.run();
  expect(rstB.get(SK_RST_REASON.NO_SOCKET)).toEqual({ count: 1, val: 0n, field: 0n });
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.B.listen(l);
  const c2 = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c2, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(10 * MS);
  const s = w.B.accept(l);
  w.B.socketOf(s).optionsForWrite().linger = { onoff: true, seconds: 0 };
  w.B.close(s);
  const r = rstB.get(SK_RST_REASON.TCP_ABORT_ON_LINGER);
  expect(r?.count).toBe(1);
  expect(r?.val).not.toBe(0n);
  expect(r?.field).toBe(80n);
});

test('tcp_probe: every segment an established socket takes; inet_sk_error_report when a connect is refused', () => {
  const w = world();
  const probe = record(w.b, 'tcp_probe', { key: 0, val: 0, ptr: 0, off: 14, size: 2 }); // sk; sk->skc_num
  const report = record(w.a, 'inet_sk_error_report', { key: 0, val: 0, ptr: 0, off: 12, size: 2 }); // sk; skc_dport
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(10 * MS);
  w.A.send(c, new Uint8Array(10));
  w.A.send(c, new Uint8Array(10));
  w.net.sim.runFor(100 * MS);
  const runs = probe.keys().map((k) => probe.get(k)!);
  expect(runs.length).toBe(1);
  expect(runs[0]!.field).toBe(80n);
  expect(runs[0]!.count).toBeGreaterThanOrEqual(2);
  const r = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(r, { family: 4, addr: '10.0.0.2', port: 82 });
  w.net.sim.run();
  const reports = report.keys().map((k) => report.get(k)!);
  expect(reports.map((x) => [x.count, x.field])).toEqual([[1, BigInt(((82 & 0xff) << 8) | (82 >> 8))]]); // skc_dport is network order
});

test('udp_fail_queue_rcv_skb: a datagram that does not fit the receive buffer, rc -ENOMEM', () => {
  const w = world();
  const fail = record(w.b, 'udp_fail_queue_rcv_skb', { key: 0, val: 0, ptr: 1, off: 14, size: 2 }); // rc; sk->skc_num
  const s = w.B.socket(AF_INET, SOCK_DGRAM);
  w.B.setsockopt(s, SOL_SOCKET, SO.SO_RCVBUF, 1); // the minimum (SOCK_MIN_RCVBUF)
  w.B.bind(s, { family: 4, addr: '0.0.0.0', port: 53 });
  const u = w.A.socket(AF_INET, SOCK_DGRAM);
  for (let i = 0; i < 5; i++) w.A.sendto(u, new Uint8Array(1000), { family: 4, addr: '10.0.0.2', port: 53 });
  w.net.sim.run();
  const r = fail.get(-12);
  expect(r?.count).toBeGreaterThanOrEqual(1);
  expect(r?.field).toBe(53n);
});

test('tcp_retransmit_skb on a timeout; tcp_receive_reset when a connect meets a RST', () => {
  const w = world();
  const rtx = record(w.a, 'tcp_retransmit_skb', { key: 2, val: 2, ptr: 0, off: 12, size: 2 }); // err; sk->skc_dport
  const rst = record(w.a, 'tcp_receive_reset', { key: 0, val: 0, ptr: 0, off: 12, size: 2 }); // sk; skc_dport
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(10 * MS);
  const link = w.net.links[0]!;
  link.cut();
  w.A.send(c, new Uint8Array(100));
  w.net.sim.runFor(3000 * MS);
  const r = rtx.get(0);
  expect(r?.count).toBeGreaterThanOrEqual(2); // the RTO and its backoff
  expect(r?.field).toBe(BigInt(((80 & 0xff) << 8) | (80 >> 8)));
  link.heal();
  const d = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(d, { family: 4, addr: '10.0.0.2', port: 81 });
  w.net.sim.runFor(100 * MS);
  const got = rst.keys().map((k) => rst.get(k)!);
  expect(got.map((x) => [x.count, x.field])).toEqual([[1, BigInt(((81 & 0xff) << 8) | (81 >> 8))]]);
});

test("bpf_trace_printk from a cgroup connect program reaches the trace pipe and bpf_trace:bpf_trace_printk's programs", () => {
  const w = world();
  installCgroupHooks(w.a);
  w.a.kernel.cgroups.create('/app');
  const admin = new BpfClient(w.a.kernel, w.a.kernel.spawn({ comm: 'admin' }));
  admin
    .loadProgram({
      type: 'cgroup_sock_addr',
      attachType: 'cgroup_inet4_connect',
      insns: `
        r6 = r1
        r1 = 0x207463656e6e6f63 ll  // "connect "
        *(u64 *)(r10 - 16) = r1
        r1 = 0xa6425                // "%d\\n\\0"
        *(u32 *)(r10 - 8) = r1
        r1 = r10
        r1 += -16
        r2 = 12
        r3 = *(u32 *)(r6 + 24)
        r3 = be16 r3
        call bpf_trace_printk
        r0 = 1
        exit`,
    })
    .attach('/app', 'cgroup_inet4_connect');
  // seen[first 8 bytes of the line] = {count, …}
  const printk = record(w.a, 'bpf_trace_printk', { key: 0, val: 0, ptr: 0, off: 0, size: 8 });
  const app = new SocketApi(w.a, w.a.kernel.spawn({ comm: 'app', cgroup: w.a.kernel.cgroups.lookup('/app') }));
  const u = app.socket(AF_INET, SOCK_DGRAM);
  app.connect(u, { family: 4, addr: '10.0.0.2', port: 53 });
  expect(w.a.kernel.trace.map((t) => [t.comm, t.text])).toEqual([['app', 'connect 53\n']]);
  const runs = printk.keys().map((k) => printk.get(k)!);
  expect(runs.length).toBe(1);
  expect(Buffer.from(new BigUint64Array([runs[0]!.field]).buffer).toString()).toBe('connect ');
});
