// BPF_PROG_TYPE_SOCK_OPS on the TCP stack: the callbacks tcp_call_bpf() makes, in order,
// with struct bpf_sock_ops filled; the optional ones after bpf_sock_ops_cb_flags_set();
// what the verifier lets a program touch.
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import { AF_INET, BPF_SOCK_OPS, MS, Network, SOCK_DGRAM, SOCK_STREAM, SocketApi, installCgroupHooks } from '../src';

function world(program: string) {
  const net = new Network({ seed: 14 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const link = net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  for (const h of [a, b]) {
    installCgroupHooks(h);
    h.kernel.cgroups.create('/app');
  }
  const [log, logB] = [a, b].map((h) => {
    const c = new BpfClient(h.kernel, h.kernel.spawn({ comm: 'admin' }));
    const m = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 64 });
    c.loadProgram({ type: 'sock_ops', maps: { log: m }, insns: `.map log type=array key_size=4 value_size=8 max_entries=64\n${program}` }).attach('/app', 'cgroup_sock_ops');
    return m;
  }) as [ReturnType<BpfClient['createMap']>, ReturnType<BpfClient['createMap']>];
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'cli', cgroup: a.kernel.cgroups.lookup('/app') }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'srv', cgroup: b.kernel.cgroups.lookup('/app') }));
  /** log[0] = count; log[1 + n] = (op << 16) | args[0] (low 8 bits) << 8 | args[1] (low 8 bits) */
  const entries = (m: typeof log): number[] => {
    const n = Number(new DataView(m.lookup(0)!.buffer).getBigUint64(0, true));
    return Array.from({ length: n }, (_, i) => Number(new DataView(m.lookup(1 + i)!.buffer).getBigUint64(0, true)));
  };
  return { net, link, A, B, log: () => entries(log), logB: () => entries(logB) };
}

/** Appends (op << 16 | args[0] << 8 | args[1]) to the log; at established, asks for STATE
 * and RTO callbacks when `flags` is set. */
const LOGGER = (flags: number): string =>
  logProgram(
    `r8 = *(u32 *)(r6 + 0)      // op
  r8 <<= 16
  r2 = *(u32 *)(r6 + 4)      // args[0]
  r2 &= 0xff
  r2 <<= 8
  r8 |= r2
  r2 = *(u32 *)(r6 + 8)      // args[1]
  r2 &= 0xff
  r8 |= r2`,
    {
      tail: `r2 = *(u32 *)(r6 + 0)
  if r2 == 4 goto flags
  if r2 != 5 goto out
flags:
  r1 = r6
  r2 = ${flags}
  call bpf_sock_ops_cb_flags_set`,
    },
  );

/**
 * A sock_ops program that appends one u64 per callback to `log` (log[0] counts them, up to
 * 60): `entry` computes it into r8 from the ctx in r6. `head` runs first (it may
 * `goto out`), `tail` after the append.
 */
function logProgram(entry: string, o: { head?: string; tail?: string } = {}): string {
  return `
  r6 = r1
  ${o.head ?? ''}
  r2 = 0
  *(u32 *)(r10 - 4) = r2
  r2 = r10
  r2 += -4
  r1 = log ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = *(u64 *)(r0 + 0)
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  if r7 > 60 goto out
  r7 += 1
  *(u32 *)(r10 - 4) = r7
  ${entry}
  r2 = r10
  r2 += -4
  r1 = log ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r8
  ${o.tail ?? ''}
out:
  r0 = 1
  exit`;
}

const op = (x: number): number => x >> 16;

test('the callbacks of a connection: TCP_LISTEN, TCP_CONNECT, RWND_INIT, TIMEOUT_INIT, NEEDS_ECN, ACTIVE/PASSIVE_ESTABLISHED, in order', () => {
  const w = world(LOGGER(0));
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(20 * MS);
  // Linux's order (this machine's kernel: hooks golden 'sock-ops-callbacks'): the first
  // segment's RWND_INIT, TIMEOUT_INIT and NEEDS_ECN, on the client after TCP_CONNECT and on
  // the server for the SYN's request socket.
  const init = [BPF_SOCK_OPS.RWND_INIT, BPF_SOCK_OPS.TIMEOUT_INIT, BPF_SOCK_OPS.NEEDS_ECN];
  expect(w.log().map(op)).toEqual([BPF_SOCK_OPS.TCP_CONNECT_CB, ...init, BPF_SOCK_OPS.ACTIVE_ESTABLISHED_CB]);
  expect(w.logB().map(op)).toEqual([BPF_SOCK_OPS.TCP_LISTEN_CB, ...init, BPF_SOCK_OPS.PASSIVE_ESTABLISHED_CB]);
});

test('bpf_sock_ops_cb_flags_set(STATE | RTO): every state change with (old, new), and the RTO', () => {
  const w = world(LOGGER(1 | 4));
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(20 * MS);
  w.link.cut();
  w.A.send(c, new Uint8Array(10));
  w.net.sim.runFor(1500 * MS);
  w.link.heal();
  w.A.close(c);
  w.net.sim.runFor(5000 * MS); // the next retransmission (backed off) gets through, then the FIN
  const after = w.log().slice(5); // after TCP_CONNECT, the three first-segment callbacks and ACTIVE_ESTABLISHED
  // retransmits 0; rto = srtt 2 ms + tcp_rto_min 200 ms = 202 ms = 51 jiffies at HZ 250 (rounded up)
  expect(after[0]).toBe((BPF_SOCK_OPS.RTO_CB << 16) | (0 << 8) | 51);
  // ESTABLISHED (1) → FIN_WAIT1 (4) → FIN_WAIT2 (5): the server never closes its end.
  expect(after.filter((x) => op(x) === BPF_SOCK_OPS.STATE_CB).map((x) => [(x >> 8) & 0xff, x & 0xff])).toEqual([
    [1, 4],
    [4, 5],
  ]);
});

test('the verifier: reply and sk_txhash are writable, op is not; skb_data is a read-only packet pointer', () => {
  const net = new Network({ seed: 1 });
  const h = net.addHost('h');
  installCgroupHooks(h);
  const c = new BpfClient(h.kernel, h.kernel.spawn({ comm: 'loader' }));
  const load = (insns: string): string => {
    try {
      c.loadProgram({ type: 'sock_ops', insns });
      return 'ok';
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  };
  expect(load('r2 = 7\n*(u32 *)(r1 + 4) = r2\nr0 = 1\nexit')).toBe('ok'); // reply
  expect(load('r2 = 7\n*(u32 *)(r1 + 164) = r2\nr0 = 1\nexit')).toBe('ok'); // sk_txhash
  expect(load('r2 = 7\n*(u32 *)(r1 + 0) = r2\nr0 = 1\nexit')).toBe('EACCES'); // op
  expect(load('r2 = *(u64 *)(r1 + 168)\nr0 = 1\nexit')).toBe('ok'); // bytes_received
  expect(load('r2 = *(u32 *)(r1 + 168)\nr0 = 1\nexit')).toBe('EACCES'); // a u64 read as u32
  expect(load('r2 = *(u8 *)(r1 + 212)\nr0 = 1\nexit')).toBe('ok'); // skb_tcp_flags, narrow
  expect(load('r2 = *(u8 *)(r1 + 76)\nr0 = 1\nexit')).toBe('EACCES'); // snd_cwnd: whole u32 only
  expect(load('r2 = *(u64 *)(r1 + 192)\nr3 = *(u64 *)(r1 + 200)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +1\n*(u8 *)(r2 + 0) = r0\nr0 = 1\nexit')).toBe('EACCES'); // no packet writes
  expect(load('r0 = 2\nexit')).toBe('EINVAL'); // return range [0, 1]
});

test('TIMEOUT_INIT: a reply sets the SYN timeout in jiffies (tcp_timeout_init); a request socket is not a full socket', () => {
  // Replies 50 jiffies (200 ms at HZ 250) to TIMEOUT_INIT; logs is_fullsock of the others.
  const w = world(
    logProgram(
      `r8 = *(u32 *)(r6 + 0)
  r8 <<= 16
  r2 = *(u32 *)(r6 + 72)      // is_fullsock
  r8 |= r2`,
      {
        head: `r2 = *(u32 *)(r6 + 0)
  if r2 != 1 goto other
  r2 = 50
  *(u32 *)(r6 + 4) = r2
  goto out
other:`,
      },
    ),
  );
  const syns: number[] = [];
  w.net.events.on('packet', (e) => {
    if (e.host === 'a' && e.dir === 'out' && e.frame[23] === 6 && e.frame[14 + 20 + 13]! & 0x02) syns.push(e.time);
  });
  // Resolve b's address first (a datagram), then cut the link: the SYNs go unanswered.
  const u = w.A.socket(AF_INET, SOCK_DGRAM);
  w.A.sendto(u, new Uint8Array(1), { family: 4, addr: '10.0.0.2', port: 9 });
  w.net.sim.runFor(20 * MS);
  w.link.cut();
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  w.net.sim.runFor(1000 * MS);
  // The SYN at 0, then retransmissions 200 ms apart (not Linux's default 1 s; 6.18's first
  // tcp_syn_linear_timeouts retries do not back off), each on the timer wheel's next tick
  // after 50 jiffies (so up to one 4 ms jiffy late).
  const gaps = syns.slice(1, 3).map((t, i) => t - syns[i]!);
  expect(gaps).toHaveLength(2);
  for (const g of gaps) {
    expect(g).toBeGreaterThanOrEqual(200 * MS);
    expect(g).toBeLessThanOrEqual(204 * MS);
  }
  // The client's callbacks come from a full socket.
  expect(w.log().map((x) => [op(x), x & 0xffff])).toEqual([
    [BPF_SOCK_OPS.TCP_CONNECT_CB, 1],
    [BPF_SOCK_OPS.RWND_INIT, 1],
    [BPF_SOCK_OPS.NEEDS_ECN, 1],
  ]);
  // The server's for the SYN come from its request socket: is_fullsock 0.
  w.link.heal();
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 81 });
  w.B.listen(l);
  const c2 = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.connectStart(c2, { family: 4, addr: '10.0.0.2', port: 81 });
  w.net.sim.runFor(50 * MS);
  expect(w.logB().map((x) => [op(x), x & 0xffff])).toEqual([
    [BPF_SOCK_OPS.TCP_LISTEN_CB, 1],
    [BPF_SOCK_OPS.RWND_INIT, 0],
    [BPF_SOCK_OPS.NEEDS_ECN, 0],
    [BPF_SOCK_OPS.PASSIVE_ESTABLISHED_CB, 1],
  ]);
});
