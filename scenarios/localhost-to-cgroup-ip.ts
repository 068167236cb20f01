// The seed's second story: servers of a cgroup are bound to the cgroup's address, not to
// loopback. A post_bind4 program records each server's address by port; a connect4 program
// turns a local client's 127.0.0.1:port into that address, so "localhost" still works.
import { scenario } from '@bpfsim/scenario';

/** post_bind4: servers[src_port] = src_ip4 for binds to a specific address. */
const RECORD = `
  r2 = *(u32 *)(r1 + 24)       // src_ip4
  if r2 == 0 goto out
  *(u32 *)(r10 - 8) = r2
  r2 = *(u32 *)(r1 + 44)       // src_port, host order
  *(u32 *)(r10 - 4) = r2
  r1 = servers ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -8
  r4 = 0
  call bpf_map_update_elem
out:
  r0 = 1
  exit`;

/** connect4: 127.0.0.1:port -> servers[port]:port when a server recorded that port. */
const REWRITE = `
  r6 = r1
  r2 = *(u32 *)(r6 + 4)        // user_ip4
  if r2 != 0x0100007f goto out // 127.0.0.1
  r2 = *(u32 *)(r6 + 24)       // user_port, network order
  r2 = be16 r2
  *(u32 *)(r10 - 4) = r2
  r1 = servers ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r2 = *(u32 *)(r0 + 0)
  *(u32 *)(r6 + 4) = r2
out:
  r0 = 1
  exit`;

export default scenario({
  name: 'localhost-to-cgroup-ip',
  lesson: 'post_bind4 records servers, connect4 rewrites 127.0.0.1:port to the cgroup address',
  about: 'Redis in cgroup /tenant binds 10.0.0.3:6379 (the tenant\'s address). A worker in the same cgroup connects to 127.0.0.1:6379, as its configuration says; the connect4 program looks the port up in the map post_bind4 filled and sends the connection to 10.0.0.3:6379. A port no server recorded is left alone (and refused by the stack).',
  async run(w) {
    const h = w.host('h');
    const peer = w.host('peer');
    w.link(h, peer, { a: ['10.0.0.1/24', '10.0.0.3/24'], b: ['10.0.0.2/24'] });
    h.cgroup('/tenant');
    const servers = w.map(h, 'servers', { type: 'hash', keySize: 4, valueSize: 4, maxEntries: 64 });
    w.program(h, { name: 'record_servers', type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind', asm: RECORD, maps: { servers } }).attach('/tenant');
    w.program(h, { name: 'to_cgroup_ip', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: REWRITE, maps: { servers } }).attach('/tenant');

    void w.process(h, { comm: 'redis', cgroup: '/tenant' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '10.0.0.3:6379');
      p.listen(l);
      for (;;) {
        const c = await p.accept(l);
        p.send(c, '+PONG\r\n');
      }
    });
    await w.sleep(1);
    w.expect([...servers.handle.entries()].length, 'post_bind4 recorded one server').toBe(1);
    await w.process(h, { comm: 'worker', cgroup: '/tenant' }, async (p) => {
      const c = p.socket(4, 'tcp');
      await p.connect(c, '127.0.0.1:6379');
      w.expect(p.getpeername(c), 'the worker reached redis at the tenant address').toBe('10.0.0.3:6379');
      w.expect(await p.recvText(c), 'and got its answer').toBe('+PONG\r\n');
      const d = p.socket(4, 'tcp');
      await w.expectErrno(p.connect(d, '127.0.0.1:7000'), 'ECONNREFUSED', 'a port no server recorded is not rewritten: refused on loopback');
    });
  },
});
