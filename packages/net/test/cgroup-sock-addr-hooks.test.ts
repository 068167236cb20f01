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
