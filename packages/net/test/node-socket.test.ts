// Node-style events over simulated sockets: an echo server and client written as callbacks.
import { AF_INET, MS, Network, NodeSocket, SOCK_STREAM, SocketApi } from '../src';

function world() {
  const net = new Network({ seed: 12 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  return { net, A: new SocketApi(a, a.kernel.spawn({ comm: 'client' })), B: new SocketApi(b, b.kernel.spawn({ comm: 'server' })) };
}
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

test('an echo server and a client as net.Server/net.Socket-style callbacks: connect, data, end, close in order', () => {
  const w = world();
  const log: string[] = [];
  const lfd = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(lfd, { family: 4, addr: '0.0.0.0', port: 7 });
  const server = new NodeSocket(w.B, lfd).listen();
  server.on('connection', (s) => {
    log.push('server: connection');
    s.on('data', (d) => s.write(d));
    s.on('end', () => {
      log.push('server: end');
      s.end();
    });
  });
  const c = new NodeSocket(w.A, w.A.socket(AF_INET, SOCK_STREAM));
  let echoed = '';
  c.on('connect', () => {
    log.push('client: connect');
    c.write(text('hello, '));
    c.end(text('world'));
  });
  c.on('data', (d) => (echoed += str(d)));
  c.on('end', () => log.push('client: end'));
  c.on('close', (hadError) => log.push(`client: close ${hadError}`));
  c.connect({ family: 4, addr: '10.0.0.2', port: 7 });
  w.net.sim.run();
  expect(echoed).toBe('hello, world');
  expect(log).toEqual(['client: connect', 'server: connection', 'server: end', 'client: end', 'client: close false']);
});

test("a refused connect: 'error' with ECONNREFUSED, then 'close' with hadError", () => {
  const w = world();
  const c = new NodeSocket(w.A, w.A.socket(AF_INET, SOCK_STREAM));
  const seen: string[] = [];
  c.on('error', (e) => seen.push(e.code));
  c.on('close', (hadError) => seen.push(`close ${hadError}`));
  c.connect({ family: 4, addr: '10.0.0.2', port: 9 });
  w.net.sim.run();
  expect(seen).toEqual(['ECONNREFUSED', 'close true']);
});

test("write() past the send buffer returns false, and 'drain' comes when it has room", () => {
  const w = world();
  const lfd = w.B.socket(AF_INET, SOCK_STREAM);
  w.B.bind(lfd, { family: 4, addr: '0.0.0.0', port: 8 });
  let got = 0;
  new NodeSocket(w.B, lfd).listen().on('connection', (s) => s.on('data', (d) => (got += d.length)));
  const fd = w.A.socket(AF_INET, SOCK_STREAM);
  w.A.setsockopt(fd, 1, 7, 4096); // SO_SNDBUF: 8 KiB after doubling
  const c = new NodeSocket(w.A, fd);
  let wrote: boolean | undefined;
  let drained = false;
  c.on('connect', () => (wrote = c.write(new Uint8Array(100_000))));
  c.on('drain', () => (drained = true));
  c.connect({ family: 4, addr: '10.0.0.2', port: 8 });
  w.net.sim.run();
  expect(wrote).toBe(false);
  expect(drained).toBe(true);
  expect(got).toBe(100_000);
});
