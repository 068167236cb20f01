// The seed's first story: a host has several addresses; every process of one cgroup binds
// and connects from one chosen address (10.0.0.3), without any change to the applications.
import { scenario } from '@bpfsim/scenario';

/** bind4: a wildcard bind (0.0.0.0) becomes a bind to 10.0.0.3. */
const PIN_BIND = `
  r2 = *(u32 *)(r1 + 4)        // user_ip4
  if r2 != 0 goto out          // only wildcard binds
  r2 = 0x0300000a              // 10.0.0.3, network order
  *(u32 *)(r1 + 4) = r2
out:
  r0 = 1
  exit`;

/** connect4: bpf_bind(10.0.0.3:0) before the stack picks a source; port 0 = any port. */
const PIN_CONNECT = `
  r6 = r1
  r2 = 2                       // AF_INET
  *(u16 *)(r10 - 16) = r2
  r2 = 0                       // port 0: the connect picks it
  *(u16 *)(r10 - 14) = r2
  r2 = 0x0300000a              // 10.0.0.3
  *(u32 *)(r10 - 12) = r2
  r2 = 0
  *(u64 *)(r10 - 8) = r2
  r1 = r6
  r2 = r10
  r2 += -16
  r3 = 16                      // sizeof(struct sockaddr_in)
  call bpf_bind
  r0 = 1
  exit`;

export default scenario({
  name: 'single-ip',
  lesson: 'bind4 + connect4 with bpf_bind: every process of a cgroup uses one of the host\'s addresses',
  about: 'Host web has 10.0.0.1-10.0.0.4. Tenant B (cgroup /tenant-b) must appear as 10.0.0.3 only. A bind4 program turns its wildcard binds into binds to 10.0.0.3; a connect4 program calls bpf_bind() so its outgoing connections leave from 10.0.0.3. A process outside the cgroup still uses the primary address.',
  async run(w) {
    const web = w.host('web');
    const db = w.host('db');
    w.link(web, db, { a: ['10.0.0.1/24', '10.0.0.2/24', '10.0.0.3/24', '10.0.0.4/24'], b: ['10.0.0.100/24'], delay: '100us' });
    web.cgroup('/tenant-b');
    w.program(web, { name: 'pin_bind', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_bind', asm: PIN_BIND }).attach('/tenant-b');
    w.program(web, { name: 'pin_connect', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: PIN_CONNECT }).attach('/tenant-b');

    // The database server on db sees who connects.
    const peers: string[] = [];
    void w.process(db, { comm: 'postgres' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '0.0.0.0:5432');
      p.listen(l);
      for (;;) {
        const c = await p.accept(l);
        peers.push(p.getpeername(c).replace(/:\d+$/, ''));
        p.close(c);
      }
    });
    await w.sleep(1);

    await w.process(web, { comm: 'tenant-b-api', cgroup: '/tenant-b' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '0.0.0.0:8080');
      w.expect(p.getsockname(l), 'the wildcard bind landed on the tenant address').toBe('10.0.0.3:8080');
      const c = p.socket(4, 'tcp');
      await p.connect(c, '10.0.0.100:5432');
      w.expect(p.getsockname(c).replace(/:\d+$/, ''), 'the connection leaves from the tenant address').toBe('10.0.0.3');
      p.close(c);
    });
    await w.process(web, { comm: 'other-app' }, async (p) => {
      const c = p.socket(4, 'tcp');
      await p.connect(c, '10.0.0.100:5432');
      w.expect(p.getsockname(c).replace(/:\d+$/, ''), 'a process outside the cgroup uses the primary address').toBe('10.0.0.1');
      p.close(c);
    });
    await w.sleep(5);
    w.expect(peers, 'the database saw the tenant as 10.0.0.3 and the other app as 10.0.0.1').toEqual(['10.0.0.3', '10.0.0.1']);
  },
});
