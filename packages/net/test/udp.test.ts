// UDP through the socket API between simulated hosts: datagrams both ways, autobind,
// connected sockets, ICMP port unreachable as ECONNREFUSED, the receive buffer, and the
// bind rules (conflicts, SO_REUSEADDR/SO_REUSEPORT, non-local addresses, privileged ports,
// double bind, family mismatch, v4-mapped addresses and IPV6_V6ONLY).
import { SysError } from '@bpfsim/isa';
import type { SockAddrIn } from '../src';
import { AF_INET, AF_INET6, IP, IPV6, IP_LOCAL_PORT_RANGE, MS, Network, SOCK_DGRAM, SO, SOL_IP, SOL_IPV6, SOL_SOCKET, SocketApi } from '../src';

function lan() {
  const net = new Network({ seed: 11 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 50_000 });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  a.addAddress('eth0', 'fd00::1/64');
  b.addAddress('eth0', 'fd00::2/64');
  const pa = a.kernel.spawn({ comm: 'client' });
  const pb = b.kernel.spawn({ comm: 'server' });
  return { net, a, b, A: new SocketApi(a, pa), B: new SocketApi(b, pb) };
}

const errno = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
};
const v4 = (addr: string, port: number): SockAddrIn => ({ family: 4, addr, port });
const v6 = (addr: string, port: number): SockAddrIn => ({ family: 6, addr, port });
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('datagrams', () => {
  test('a datagram crosses the link; the server answers to the source the client autobound', () => {
    const { net, A, B } = lan();
    const s = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(s, v4('0.0.0.0', 5353));
    const c = A.socket(AF_INET, SOCK_DGRAM);
    expect(A.sendto(c, bytes('ping'), v4('10.0.0.2', 5353))).toBe(4);
    const local = A.getsockname(c);
    expect(local.port).toBeGreaterThanOrEqual(IP_LOCAL_PORT_RANGE[0]);
    expect(local.port).toBeLessThanOrEqual(IP_LOCAL_PORT_RANGE[1]);
    net.sim.run();
    const got = B.recvfrom(s);
    expect(text(got.data)).toBe('ping');
    expect(got.from).toEqual({ family: 4, addr: expect.objectContaining({ text: '10.0.0.1' }), port: local.port });
    B.sendto(s, bytes('pong'), { family: 4, addr: got.from!.addr, port: got.from!.port });
    net.sim.run();
    expect(text(A.recvfrom(c).data)).toBe('pong');
    expect(errno(() => A.recvfrom(c))).toBe('EAGAIN');
  });

  test('IPv6 datagrams, and an IPv6 socket talking IPv4 through v4-mapped addresses', () => {
    const { net, A, B } = lan();
    const s = B.socket(AF_INET6, SOCK_DGRAM);
    B.bind(s, v6('::', 7000));
    const c6 = A.socket(AF_INET6, SOCK_DGRAM);
    A.sendto(c6, bytes('six'), v6('fd00::2', 7000));
    const c4 = A.socket(AF_INET, SOCK_DGRAM);
    A.sendto(c4, bytes('four'), v4('10.0.0.2', 7000));
    net.sim.run();
    const one = B.recvfrom(s);
    const two = B.recvfrom(s);
    expect([text(one.data), one.from!.addr.text]).toEqual(['six', 'fd00::1']);
    expect([text(two.data), two.from!.addr.text]).toEqual(['four', '::ffff:10.0.0.1']);
  });

  test('a connected socket learns of a closed port from ICMP: ECONNREFUSED on its next call', () => {
    const { net, A } = lan();
    const c = A.socket(AF_INET, SOCK_DGRAM);
    A.connect(c, v4('10.0.0.2', 9999));
    expect(A.getpeername(c).port).toBe(9999);
    A.sendto(c, bytes('anyone?'));
    net.sim.run();
    expect(errno(() => A.recvfrom(c))).toBe('ECONNREFUSED');
    // Reported once.
    expect(errno(() => A.recvfrom(c))).toBe('EAGAIN');
    // An unconnected socket is not told.
    const u = A.socket(AF_INET, SOCK_DGRAM);
    A.sendto(u, bytes('x'), v4('10.0.0.2', 9999));
    net.sim.run();
    expect(errno(() => A.recvfrom(u))).toBe('EAGAIN');
  });

  test('a connected socket takes datagrams from its peer only', () => {
    const { net, A, B } = lan();
    const s = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(s, v4('10.0.0.2', 6000));
    B.connect(s, v4('10.0.0.1', 6001));
    const good = A.socket(AF_INET, SOCK_DGRAM);
    A.bind(good, v4('10.0.0.1', 6001));
    const other = A.socket(AF_INET, SOCK_DGRAM);
    A.bind(other, v4('10.0.0.1', 6002));
    A.sendto(other, bytes('stranger'), v4('10.0.0.2', 6000));
    A.sendto(good, bytes('peer'), v4('10.0.0.2', 6000));
    net.sim.run();
    expect(text(B.recvfrom(s).data)).toBe('peer');
    expect(errno(() => B.recvfrom(s))).toBe('EAGAIN');
  });

  test('the receive buffer bounds the queue (SO_RCVBUF, doubled as Linux stores it)', () => {
    const { net, A, B } = lan();
    const s = B.socket(AF_INET, SOCK_DGRAM);
    B.setsockopt(s, SOL_SOCKET, SO.SO_RCVBUF, 4096);
    expect(B.getsockopt(s, SOL_SOCKET, SO.SO_RCVBUF)).toBe(8192);
    B.bind(s, v4('0.0.0.0', 5000));
    const c = A.socket(AF_INET, SOCK_DGRAM);
    for (let i = 0; i < 20; i++) net.sim.at(i * MS, () => A.sendto(c, new Uint8Array(1000), v4('10.0.0.2', 5000)));
    const drops: string[] = [];
    net.events.on('drop', (e) => drops.push(e.reason));
    net.sim.run();
    let n = 0;
    while (!errno(() => B.recvfrom(s))) n++;
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(20);
    expect(drops.filter((d) => d === 'socket-rcvbuf')).toHaveLength(20 - n);
  });

  test('recvAsync resolves when the datagram arrives on the simulated clock', async () => {
    const { net, A, B } = lan();
    const s = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(s, v4('0.0.0.0', 5001));
    const got = B.recvAsync(s);
    const c = A.socket(AF_INET, SOCK_DGRAM);
    A.sendto(c, bytes('later'), v4('10.0.0.2', 5001));
    net.sim.run();
    expect(text((await got).data)).toBe('later');
  });
});

describe('bind', () => {
  test('conflicts: a wildcard and a specific bind of the same port; SO_REUSEADDR on both lets them share', () => {
    const { b, B } = lan();
    b.addAddress('eth0', '10.0.0.3/24');
    const x = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(x, v4('0.0.0.0', 4000));
    const y = B.socket(AF_INET, SOCK_DGRAM);
    expect(errno(() => B.bind(y, v4('10.0.0.2', 4000)))).toBe('EADDRINUSE');
    // Different specific addresses do not conflict.
    const p = B.socket(AF_INET, SOCK_DGRAM);
    const q = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(p, v4('10.0.0.2', 4001));
    B.bind(q, v4('10.0.0.3', 4001));
    const r1 = B.socket(AF_INET, SOCK_DGRAM);
    const r2 = B.socket(AF_INET, SOCK_DGRAM);
    B.setsockopt(r1, SOL_SOCKET, SO.SO_REUSEADDR, 1);
    B.setsockopt(r2, SOL_SOCKET, SO.SO_REUSEADDR, 1);
    B.bind(r1, v4('0.0.0.0', 4002));
    B.bind(r2, v4('0.0.0.0', 4002));
    // SO_REUSEPORT needs the same user.
    const u1 = B.socket(AF_INET, SOCK_DGRAM);
    const u2 = B.socket(AF_INET, SOCK_DGRAM);
    B.setsockopt(u1, SOL_SOCKET, SO.SO_REUSEPORT, 1);
    B.setsockopt(u2, SOL_SOCKET, SO.SO_REUSEPORT, 1);
    B.bind(u1, v4('0.0.0.0', 4003));
    B.bind(u2, v4('0.0.0.0', 4003));
  });

  test('the errno paths: EADDRNOTAVAIL (IP_FREEBIND lifts it), EACCES below 1024, EINVAL twice, EAFNOSUPPORT', () => {
    const { b, B } = lan();
    const s = B.socket(AF_INET, SOCK_DGRAM);
    expect(errno(() => B.bind(s, v4('10.9.9.9', 4100)))).toBe('EADDRNOTAVAIL');
    B.setsockopt(s, SOL_IP, IP.IP_FREEBIND, 1);
    B.bind(s, v4('10.9.9.9', 4100));
    expect(errno(() => B.bind(s, v4('0.0.0.0', 4101)))).toBe('EINVAL');
    const user = new SocketApi(b, b.kernel.spawn({ uid: 1000 }));
    const us = user.socket(AF_INET, SOCK_DGRAM);
    expect(errno(() => user.bind(us, v4('0.0.0.0', 53)))).toBe('EACCES');
    user.bind(us, v4('0.0.0.0', 1024));
    const t = B.socket(AF_INET, SOCK_DGRAM);
    expect(errno(() => B.bind(t, v6('::', 4102)))).toBe('EAFNOSUPPORT');
    // AF_UNSPEC with the wildcard is accepted on an IPv4 socket.
    B.bind(t, { family: 0, port: 4103 });
    expect(B.getsockname(t).port).toBe(4103);
    expect(errno(() => B.socket(99, SOCK_DGRAM))).toBe('EAFNOSUPPORT');
  });

  test('v4-mapped and IPV6_V6ONLY: a dual-stack wildcard takes the IPv4 port too; a v6-only one does not', () => {
    const { B } = lan();
    const dual = B.socket(AF_INET6, SOCK_DGRAM);
    B.bind(dual, v6('::', 4200));
    const four = B.socket(AF_INET, SOCK_DGRAM);
    expect(errno(() => B.bind(four, v4('0.0.0.0', 4200)))).toBe('EADDRINUSE');
    const only = B.socket(AF_INET6, SOCK_DGRAM);
    B.setsockopt(only, SOL_IPV6, IPV6.IPV6_V6ONLY, 1);
    B.bind(only, v6('::', 4201));
    const four2 = B.socket(AF_INET, SOCK_DGRAM);
    B.bind(four2, v4('0.0.0.0', 4201));
    const mapped = B.socket(AF_INET6, SOCK_DGRAM);
    B.setsockopt(mapped, SOL_IPV6, IPV6.IPV6_V6ONLY, 1);
    expect(errno(() => B.bind(mapped, v6('::ffff:10.0.0.2', 4202)))).toBe('EINVAL');
  });

  test('IP_BIND_ADDRESS_NO_PORT keeps the port at 0 until the socket is used', () => {
    const { net, A } = lan();
    const c = A.socket(AF_INET, SOCK_DGRAM);
    A.setsockopt(c, SOL_IP, IP.IP_BIND_ADDRESS_NO_PORT, 1);
    A.bind(c, v4('10.0.0.1', 0));
    expect(A.getsockname(c).port).toBe(0);
    A.connect(c, v4('10.0.0.2', 9));
    expect(A.getsockname(c)).toEqual({ family: 4, addr: expect.objectContaining({ text: '10.0.0.1' }), port: expect.any(Number) });
    expect(A.getsockname(c).port).toBeGreaterThanOrEqual(IP_LOCAL_PORT_RANGE[0]);
    net.sim.run();
  });

  test('fds: EBADF for a closed fd; getsockopt reports SO_TYPE and the pending SO_ERROR', () => {
    const { A } = lan();
    const c = A.socket(AF_INET, SOCK_DGRAM);
    expect(A.getsockopt(c, SOL_SOCKET, SO.SO_TYPE)).toBe(SOCK_DGRAM);
    A.close(c);
    expect(errno(() => A.bind(c, v4('0.0.0.0', 1)))).toBe('EBADF');
  });
});
