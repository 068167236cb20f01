// SK_MSG on real simulated TCP connections: a process with two connections puts both in a
// sockmap with a verdict program; what it sends on one can be passed, dropped (EACCES),
// redirected out of the other connection (the remote end receives it), or redirected into
// the other socket's own receive queue.
import { SysError } from '@bpfsim/isa';
import { BpfClient } from '@bpfsim/kernel';
import { AF_INET, MS, Network, SOCK_STREAM, SocketApi } from '@bpfsim/net';
import { ctxOffsets } from '@bpfsim/verifier';
import { SK_MSG, corkedBytes, installSockmap, psockStats } from '../src';

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

/** Host p has connection X (to host x) and Y (to host y), both in sockmap m (keys 0, 1). */
async function world(program: string, profile: '6.18' | '4.17' = '6.18') {
  const net = new Network({ seed: 8, profile });
  const p = net.addHost('p');
  const x = net.addHost('x');
  const y = net.addHost('y');
  net.connect(p.addDevice(), x.addDevice(), { delay: 1 * MS });
  net.connect(p.addDevice(), y.addDevice(), { delay: 1 * MS });
  p.addAddress('eth0', '10.0.1.1/24');
  x.addAddress('eth0', '10.0.1.2/24');
  p.addAddress('eth1', '10.0.2.1/24');
  y.addAddress('eth0', '10.0.2.2/24');
  installSockmap(p.kernel);
  const proc = p.kernel.spawn({ comm: 'proxy' });
  const P = new SocketApi(p, proc);
  const X = new SocketApi(x, x.kernel.spawn({ comm: 'x' }));
  const Y = new SocketApi(y, y.kernel.spawn({ comm: 'y' }));
  const serve = (api: SocketApi, addr: string): Promise<number> => {
    const l = api.socket(AF_INET, SOCK_STREAM);
    api.bind(l, { family: 4, addr, port: 80 });
    api.listen(l);
    return api.acceptAsync(l);
  };
  const xs = serve(X, '10.0.1.2');
  const ys = serve(Y, '10.0.2.2');
  const px = P.socket(AF_INET, SOCK_STREAM);
  const py = P.socket(AF_INET, SOCK_STREAM);
  await until(net, P.connectAsync(px, { family: 4, addr: '10.0.1.2', port: 80 }));
  await until(net, P.connectAsync(py, { family: 4, addr: '10.0.2.2', port: 80 }));
  const xfd = await until(net, xs);
  const yfd = await until(net, ys);
  const c = new BpfClient(p.kernel, proc);
  const m = c.createMap({ type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 2 });
  // seen: 8 u64 slots a program may store what it read into.
  const seen = c.createMap({ type: 'array', keySize: 4, valueSize: 64, maxEntries: 1 });
  const decls = '.map m type=sockmap key_size=4 value_size=8 max_entries=2\n.map seen type=array key_size=4 value_size=64 max_entries=1';
  c.loadProgram({ type: 'sk_msg', maps: { m, seen }, insns: `${decls}\n${program}` }).attachToMap(m, 'sk_msg_verdict');
  m.update(0, BigInt(px));
  m.update(1, BigInt(py));
  const read = async (api: SocketApi, fd: number): Promise<string> => {
    const r = await until(net, Promise.race([api.recvAsync(fd), new Promise<{ data: Uint8Array }>((res) => net.sim.schedule(50 * MS, () => res({ data: new Uint8Array() })))]));
    return new TextDecoder().decode(r.data);
  };
  return { net, P, X, Y, px, py, xfd, yfd, read, seen };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('SK_PASS: the bytes go out on the connection they were sent on', async () => {
  const w = await world('r0 = 1\nexit');
  expect(w.P.send(w.px, text('to x'))).toBe(4);
  expect(await w.read(w.X, w.xfd)).toBe('to x');
  expect(await w.read(w.Y, w.yfd)).toBe('');
});

test('SK_DROP: sendmsg fails with EACCES and nothing leaves', async () => {
  const w = await world('r0 = 0\nexit');
  expect(() => w.P.send(w.px, text('nope'))).toThrow(expect.objectContaining({ code: 'EACCES' }) as unknown as SysError);
  expect(await w.read(w.X, w.xfd)).toBe('');
});

test('redirect to egress: bytes sent on X leave on Y and reach host y', async () => {
  const w = await world(`
    r2 = m ll
    r3 = 1
    r4 = 0
    call bpf_msg_redirect_map
    exit`);
  expect(w.P.send(w.px, text('via y'))).toBe(5);
  expect(await w.read(w.Y, w.yfd)).toBe('via y');
  expect(await w.read(w.X, w.xfd)).toBe('');
});

test('redirect to ingress: bytes sent on X are read back from Y by the proxy itself', async () => {
  const w = await world(`
    r2 = m ll
    r3 = 1
    r4 = 1
    call bpf_msg_redirect_map
    exit`);
  w.P.send(w.px, text('loop'));
  expect(new TextDecoder().decode(w.P.recvfrom(w.py).data)).toBe('loop');
  expect(await w.read(w.Y, w.yfd)).toBe('');
});

describe('sendfile and the kernel profile', () => {
  // SK_DROP when the program sees no bytes (data == data_end), SK_PASS otherwise.
  const DROP_IF_EMPTY_VIEW = `
    r2 = *(u64 *)(r1 + 0)
    r3 = *(u64 *)(r1 + 8)
    r0 = 1
    if r2 != r3 goto out
    r0 = 0
  out:
    exit`;
  test('6.18: sendfile goes through sendmsg, the program sees the bytes', async () => {
    const w = await world(DROP_IF_EMPTY_VIEW);
    expect(w.P.sendfile(w.px, text('file bytes'))).toBe(10);
    expect(await w.read(w.X, w.xfd)).toBe('file bytes');
  });
  test('4.17: sendfile is tcp_bpf_sendpage, the program sees data == data_end until pull_data', async () => {
    const w = await world(DROP_IF_EMPTY_VIEW, '4.17');
    expect(() => w.P.sendfile(w.px, text('file bytes'))).toThrow(expect.objectContaining({ code: 'EACCES' }) as unknown as SysError);
    // The drop verdict sticks to the psock (eval stays __SK_DROP, as the live kernel shows in
    // drop-odd-first-byte): the next send is refused without running the program.
    expect(() => w.P.send(w.px, text('sent bytes'))).toThrow(expect.objectContaining({ code: 'EACCES' }) as unknown as SysError);
    // A plain send on a fresh socket is seen, and passes, on 4.17 too.
    const w2 = await world(DROP_IF_EMPTY_VIEW, '4.17');
    expect(w2.P.send(w2.px, text('sent bytes'))).toBe(10);
    expect(await w2.read(w2.X, w2.xfd)).toBe('sent bytes');
  });
});

test('accounting per socket: passed, redirected (and received by redirect), dropped', async () => {
  // Pass messages of odd size, redirect even ones into Y (ingress), drop nothing.
  const w = await world(`
    r2 = *(u32 *)(r1 + 68)
    r2 &= 1
    r0 = 1
    if r2 != 0 goto out
    r2 = m ll
    r3 = 1
    r4 = 1
    call bpf_msg_redirect_map
  out:
    exit`);
  w.P.send(w.px, text('abc'));
  w.P.send(w.px, text('abcd'));
  w.P.send(w.px, text('e'));
  expect(psockStats(w.P.socketOf(w.px))).toEqual({ passed: 4, redirected: 4, dropped: 0, redirectedIn: 0 });
  expect(psockStats(w.P.socketOf(w.py))?.redirectedIn).toBe(4);
});

test('bytes still corked when the socket closes are freed, never sent (sk_psock_cork_free)', async () => {
  const w = await world(`
    r6 = r1
    r1 = r6
    r2 = 100
    call bpf_msg_cork_bytes
    r0 = 1
    exit`);
  expect(w.P.send(w.px, text('held back'))).toBe(9);
  expect(corkedBytes(w.P.socketOf(w.px))).toBe(9);
  w.P.close(w.px);
  expect(await w.read(w.X, w.xfd)).toBe('');
});

test('the program reads its socket in struct sk_msg_md where the SK_MSG descriptor lays the fields out (sk_msg_convert_ctx_access)', async () => {
  // local_ip4 is sk_rcv_saddr, which connect() set from the route (10.0.1.1) though the
  // socket was bound to no address.
  const names = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port', 'size'] as const;
  const off = ctxOffsets(SK_MSG, names);
  // seen[i] = the u32 field names[i].
  const w = await world(`
    r6 = r1
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = seen ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    ${names.map((n, i) => `r2 = *(u32 *)(r6 + ${off[n]})\n    *(u64 *)(r0 + ${8 * i}) = r2`).join('\n    ')}
  out:
    r0 = 1
    exit`);
  expect(w.P.send(w.px, text('abcd'))).toBe(4);
  const v = new DataView(w.seen.lookup(0)!.buffer);
  const got = Object.fromEntries(names.map((n, i) => [n, Number(v.getBigUint64(8 * i, true))]));
  const le32 = (a: number[]): number => new DataView(Uint8Array.from(a).buffer).getUint32(0, true);
  expect(got).toEqual({
    family: 2, // AF_INET
    remote_ip4: le32([10, 0, 1, 2]),
    local_ip4: le32([10, 0, 1, 1]),
    remote_ip6: 0,
    local_ip6: 0,
    // Port 80 in network byte order, as a u32 (bpf_ntohl(remote_port) == 80).
    remote_port: 0x50000000,
    local_port: w.P.socketOf(w.px).localPort,
    size: 4,
  });
});
