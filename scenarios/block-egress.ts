// Egress policy at the socket layer: a cgroup may not reach 10.0.2.0/24. connect4 refuses
// TCP connects and UDP connects there, sendmsg4 refuses unconnected datagrams; the
// application gets EPERM at once and no packet leaves the host.
import { scenario } from '@bpfsim/scenario';

/** Refuse when user_ip4 is in 10.0.2.0/24 (the low three bytes in network order). */
const DENY = `
  r2 = *(u32 *)(r1 + 4)
  r2 &= 0xffffff
  r0 = 0
  if r2 == 0x02000a goto out
  r0 = 1
out:
  exit`;

export default scenario({
  name: 'block-egress',
  lesson: 'connect4 + sendmsg4 refuse a subnet: EPERM for TCP, UDP connect and sendto, and no packet leaves',
  about: 'Host srv has 10.0.1.5 (allowed) and 10.0.2.5 (in the forbidden subnet). The sandboxed app in cgroup /sandbox tries both over TCP and UDP.',
  async run(w) {
    const app = w.host('app');
    const srv = w.host('srv');
    w.link(app, srv, { a: ['10.0.0.1/16'], b: ['10.0.1.5/16', '10.0.2.5/16'] });
    app.cgroup('/sandbox');
    w.program(app, { name: 'deny_connect', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: DENY }).attach('/sandbox');
    w.program(app, { name: 'deny_sendmsg', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_sendmsg', asm: DENY }).attach('/sandbox');
    void w.process(srv, { comm: 'server' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '0.0.0.0:80');
      p.listen(l);
      const u = p.socket(4, 'udp');
      p.bind(u, '0.0.0.0:53');
      for (;;) await p.accept(l);
    });
    await w.sleep(1);
    let packetsToBlocked = 0;
    w.net.events.on('packet', (e) => {
      if (e.host === 'app' && e.dir === 'out' && e.frame.length > 33 && e.frame[30] === 10 && e.frame[31] === 0 && e.frame[32] === 2) packetsToBlocked++;
    });
    await w.process(app, { comm: 'app', cgroup: '/sandbox' }, async (p) => {
      const ok = p.socket(4, 'tcp');
      await p.connect(ok, '10.0.1.5:80');
      w.expect(p.getpeername(ok), 'the allowed subnet connects').toBe('10.0.1.5:80');
      const no = p.socket(4, 'tcp');
      await w.expectErrno(p.connect(no, '10.0.2.5:80'), 'EPERM', 'a TCP connect to 10.0.2.5 is refused');
      const u = p.socket(4, 'udp');
      await w.expectErrno(p.connect(u, '10.0.2.5:53'), 'EPERM', 'a UDP connect to 10.0.2.5 is refused');
      await w.expectErrno(() => p.sendto(u, 'query', '10.0.2.5:53'), 'EPERM', 'an unconnected datagram to 10.0.2.5 is refused');
      w.expect(p.sendto(u, 'query', '10.0.1.5:53'), 'a datagram to the allowed subnet goes').toBe(5);
    });
    await w.sleep(10);
    w.expect(packetsToBlocked, 'no packet for 10.0.2.0/24 left the host').toBe(0);
  },
});
