// CGROUP_SOCK_ADDR programs on the stack's call sites: a connect4 program rewriting where
// a process connects (the seed's "127.0.0.1:port → the cgroup's IP:port" story), a bind4
// program refusing with EPERM (or lifting the privileged-port check), and a sendmsg4
// program rewriting a datagram's destination.
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import { AF_INET, MS, Network, SOCK_DGRAM, SOCK_STREAM, SocketApi, installCgroupHooks } from '../src';

async function until<T>(net: Network, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 100000 && !done; i++) {
    if (!net.sim.step()) await Promise.resolve();
    await Promise.resolve();
  }
  return p;
}

function world() {
  const net = new Network({ seed: 6 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  installCgroupHooks(a);
  a.kernel.cgroups.create('/app');
  const admin = new BpfClient(a.kernel, a.kernel.spawn({ comm: 'admin' }));
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'app', cgroup: a.kernel.cgroups.lookup('/app') }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'server' }));
  return { net, a, b, admin, A, B };
}

// user_ip4 = 10.0.0.2, user_port = htons(8080) when the app connects to port 80.
const REWRITE = `
  r2 = *(u32 *)(r1 + 24)
  if r2 != 0x5000 goto out     // htons(80) in the low 16 bits
  r2 = 0x0200000a              // 10.0.0.2 in network order, read as little-endian
  *(u32 *)(r1 + 4) = r2
  r2 = 0x901f                  // htons(8080)
  *(u32 *)(r1 + 24) = r2
out:
  r0 = 1
  exit`;

test('connect4: the program rewrites 10.9.9.9:80 to 10.0.0.2:8080, transparently to the app', async () => {
  const w = world();
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: REWRITE }).attach('/app', 'cgroup_inet4_connect');
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 8080 });
  w.B.listen(l);
  const acc = w.B.acceptAsync(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.9.9.9', port: 80 }));
  await until(w.net, acc);
  expect(w.A.getpeername(c)).toEqual({ family: 4, addr: expect.objectContaining({ text: '10.0.0.2' }), port: 8080 });
});

test('connect4 returning 0: EPERM, and nothing is sent', () => {
  const w = world();
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: 'r0 = 0\nexit' }).attach('/app', 'cgroup_inet4_connect');
  const sent: unknown[] = [];
  w.net.events.on('packet', (e) => sent.push(e));
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  expect(() => w.A.connect(c, { family: 4, addr: '10.0.0.2', port: 80 })).toThrow(expect.objectContaining({ code: 'EPERM' }) as unknown as SysError);
  w.net.sim.runFor(10 * MS);
  expect(sent).toEqual([]);
});

test('bind4 refusing: EPERM before any other check; with bit 1 set, a port below 1024 needs no capability', () => {
  const w = world();
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_bind', insns: 'r0 = 0\nexit' }).attach('/app', 'cgroup_inet4_bind');
  const s = w.A.socket(AF_INET, SOCK_STREAM);
  expect(() => w.A.bind(s, { family: 4, addr: '10.9.9.9', port: 80 })).toThrow(expect.objectContaining({ code: 'EPERM' }) as unknown as SysError);
  const w2 = world();
  w2.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_bind', insns: 'r0 = 3\nexit' }).attach('/app', 'cgroup_inet4_bind');
  const user = new SocketApi(w2.a, w2.a.kernel.spawn({ uid: 1000, caps: [], cgroup: w2.a.kernel.cgroups.lookup('/app') }));
  const u = user.socket(AF_INET, SOCK_STREAM);
  user.bind(u, { family: 4, addr: '0.0.0.0', port: 80 });
  expect(user.getsockname(u).port).toBe(80);
});

test('sendmsg4 rewrites a datagram destination', () => {
  const w = world();
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_udp4_sendmsg', insns: REWRITE }).attach('/app', 'cgroup_udp4_sendmsg');
  const s = w.B.socket(AF_INET, SOCK_DGRAM);
  w.B.bind(s, { family: 4, addr: '0.0.0.0', port: 8080 });
  const c = w.A.socket(AF_INET, SOCK_DGRAM);
  w.A.sendto(c, Uint8Array.of(1, 2, 3), { family: 4, addr: '10.9.9.9', port: 80 });
  w.net.sim.runFor(10 * MS);
  expect([...w.B.recvfrom(s).data]).toEqual([1, 2, 3]);
});

// bpf_bind(ctx, &sockaddr_in{AF_INET, port, 10.0.0.3}, 16) from connect4: the seed's story of
// a cgroup whose every connection leaves from one chosen address on a host with several.
const bindProgram = (port: number): string => `
  r6 = r1
  r2 = 2
  *(u16 *)(r10 - 16) = r2          // sin_family = AF_INET
  r2 = ${((port & 0xff) << 8) | (port >> 8)}
  *(u16 *)(r10 - 14) = r2          // sin_port (network order)
  r2 = 0x0300000a
  *(u32 *)(r10 - 12) = r2          // sin_addr = 10.0.0.3
  r2 = 0
  *(u64 *)(r10 - 8) = r2
  r1 = r6
  r2 = r10
  r2 += -16
  r3 = 16
  call bpf_bind
  r7 = r0
  r0 = 1
  exit`;

test('bpf_bind from connect4: connections of the cgroup leave from the chosen address', async () => {
  const w = world();
  w.a.addAddress('eth0', '10.0.0.3/24');
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: bindProgram(0) }).attach('/app', 'cgroup_inet4_connect');
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 7000 });
  w.B.listen(l);
  const acc = w.B.acceptAsync(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 7000 }));
  const s = await until(w.net, acc);
  expect(w.A.getsockname(c).addr.text).toBe('10.0.0.3');
  expect(w.B.getpeername(s).addr.text).toBe('10.0.0.3');
  expect(w.A.getsockname(c).port).toBeGreaterThanOrEqual(32768);
});

test('bpf_bind with a port binds it; a socket already bound makes bpf_bind fail (the connect goes on)', async () => {
  const w = world();
  w.a.addAddress('eth0', '10.0.0.3/24');
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: bindProgram(6123) }).attach('/app', 'cgroup_inet4_connect');
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 7001 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.0.0.2', port: 7001 }));
  expect(w.A.getsockname(c)).toEqual({ family: 4, addr: expect.objectContaining({ text: '10.0.0.3' }), port: 6123 });
  const d = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.bind(d, { family: 4, addr: '10.0.0.1', port: 0 });
  await until(w.net, w.A.connectAsync(d, { family: 4, addr: '10.0.0.2', port: 7001 }));
  expect(w.A.getsockname(d).addr.text).toBe('10.0.0.1');
});

test('each hook run is a "hook" event: attach type, cgroup, socket, verdict, the rewrite, each program with its instructions', async () => {
  const w = world();
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: REWRITE, name: 'lb' }).attach('/app', 'cgroup_inet4_connect');
  w.admin.loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_bind', insns: 'r0 = 0\nexit', name: 'nobind' }).attach('/app', 'cgroup_inet4_bind');
  const events: import('../src').HookEvent[] = [];
  w.net.events.on('hook', (e) => events.push(e));
  const l = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(l, { family: 4, addr: '0.0.0.0', port: 8080 });
  w.B.listen(l);
  const c = w.A.socket(AF_INET, SOCK_STREAM);
  await until(w.net, w.A.connectAsync(c, { family: 4, addr: '10.9.9.9', port: 80 }));
  const d = w.A.socket(AF_INET, SOCK_STREAM);
  expect(() => w.A.bind(d, { family: 4, addr: '0.0.0.0', port: 5000 })).toThrow(expect.objectContaining({ code: 'EPERM' }) as unknown as SysError);
  expect(events.map(({ progs, ...e }) => ({ ...e, progs: progs.map(({ durationNs, ...p }) => (expect(durationNs).toBe(0), p)) }))).toEqual([
    { time: 0, host: 'a', hook: 'cgroup_inet4_connect', cgroup: '/app', socket: 'tcp 0.0.0.0:0', verdict: 'ok', addr: { before: '10.9.9.9:80', after: '10.0.0.2:8080' }, progs: [{ id: expect.any(Number), name: 'lb', ret: 1, insns: 8 }] },
    { time: expect.any(Number), host: 'a', hook: 'cgroup_inet4_bind', cgroup: '/app', socket: 'tcp 0.0.0.0:0', verdict: 'EPERM', addr: { before: '0.0.0.0:5000', after: '0.0.0.0:5000' }, progs: [{ id: expect.any(Number), name: 'nobind', ret: 0, insns: 2 }] },
  ]);
});

test("bpf_bind with a port: bound as given on 6.18; -EINVAL on the '4.17' profile, where the helper took the address only", () => {
  const prog = (port: number): string => `
    r6 = r1
    r2 = 2
    *(u16 *)(r10 - 16) = r2
    r2 = ${((port & 0xff) << 8) | (port >> 8)}
    *(u16 *)(r10 - 14) = r2
    r2 = 0x0100000a
    *(u32 *)(r10 - 12) = r2
    r2 = 0
    *(u64 *)(r10 - 8) = r2
    r1 = r6
    r2 = r10
    r2 += -16
    r3 = 16
    call bpf_bind
    r0 = 1
    exit`;
  for (const [profile, port, want] of [['6.18', 40000, 40000], ['4.17', 40000, 'not 40000'], ['4.17', 0, 'any']] as const) {
    const net = new Network({ seed: 6, profile });
    const a = net.addHost('a');
    const b = net.addHost('b');
    net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
    a.addAddress('eth0', '10.0.0.1/24');
    b.addAddress('eth0', '10.0.0.2/24');
    installCgroupHooks(a);
    a.kernel.cgroups.create('/app');
    new BpfClient(a.kernel, a.kernel.spawn({ comm: 'admin' })).loadProgram({ type: 'cgroup_sock_addr', attachType: 'cgroup_inet4_connect', insns: prog(port) }).attach('/app', 'cgroup_inet4_connect');
    const A = new SocketApi(a, a.kernel.spawn({ comm: 'app', cgroup: a.kernel.cgroups.lookup('/app') }));
    const u = A.socket(AF_INET, SOCK_DGRAM);
    A.connect(u, { family: 4, addr: '10.0.0.2', port: 53 });
    const got = A.getsockname(u).port;
    if (want === 40000) expect(got).toBe(40000);
    else if (want === 'not 40000') expect(got).not.toBe(40000);
    expect(got).toBeGreaterThan(0);
  }
});
