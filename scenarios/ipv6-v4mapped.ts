// IPv6 and v4-mapped addresses: an IPv6 socket may talk IPv4 through ::ffff:a.b.c.d
// addresses, and then it is the *6 hooks that run (connect6, with user_ip6 holding the
// mapped address), not connect4 — a classic gap in policies written for IPv4 only.
// IPV6_V6ONLY closes it: such a socket cannot reach IPv4 at all.
import { scenario } from '@bpfsim/scenario';

/** connect4: refuse 10.0.0.2 (network order 0x0200000a). */
const DENY4 = `
  r2 = *(u32 *)(r1 + 4)
  r0 = 0
  if r2 == 0x0200000a goto out
  r0 = 1
out:
  exit`;

/** connect6: refuse ::ffff:10.0.0.2 (user_ip6[2] = 0xffff0000, user_ip6[3] = the IPv4). */
const DENY6_MAPPED = `
  r2 = *(u32 *)(r1 + 16)       // user_ip6[2]
  r3 = *(u32 *)(r1 + 20)       // user_ip6[3]
  r0 = 1
  // A 32-bit compare (w2): as a 64-bit one, the immediate 0xffff0000 would be sign-extended
  // to 0xffffffffffff0000 and never equal the zero-extended load.
  if w2 != 0xffff0000 goto out
  if w3 != 0x0200000a goto out
  r0 = 0
out:
  exit`;

export default scenario({
  name: 'ipv6-v4mapped',
  lesson: 'an IPv6 socket reaches IPv4 through v4-mapped addresses: connect6 runs, not connect4',
  about: 'A policy refuses 10.0.0.2 with a connect4 program. An IPv6 socket connecting to ::ffff:10.0.0.2 is not stopped by it — only a connect6 program that also checks mapped addresses is. With IPV6_V6ONLY the mapped connect fails before any hook.',
  async run(w) {
    const a = w.host('a');
    const b = w.host('b');
    w.link(a, b, { a: ['10.0.0.1/24', 'fd00::1/64'], b: ['10.0.0.2/24', 'fd00::2/64'] });
    a.cgroup('/app');
    w.program(a, { name: 'deny4', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: DENY4 }).attach('/app');
    void w.process(b, { comm: 'srv' }, async (p) => {
      const l = p.socket(6, 'tcp');
      p.bind(l, '[::]:80');
      p.listen(l);
      for (;;) await p.accept(l);
    });
    await w.sleep(1);
    await w.process(a, { comm: 'app', cgroup: '/app' }, async (p) => {
      await w.expectErrno(p.connect(p.socket(4, 'tcp'), '10.0.0.2:80'), 'EPERM', 'connect4 stops an IPv4 socket');
      const s6 = p.socket(6, 'tcp');
      await p.connect(s6, '[::ffff:10.0.0.2]:80');
      w.expect(p.getpeername(s6), 'but an IPv6 socket gets through with the mapped address').toBe('[::ffff:10.0.0.2]:80');
      const v6only = p.socket(6, 'tcp');
      p.setsockopt(v6only, 41, 26, 1); // IPV6_V6ONLY
      await w.expectErrno(p.connect(v6only, '[::ffff:10.0.0.2]:80'), 'ENETUNREACH', 'an IPV6_V6ONLY socket cannot reach IPv4 at all');
    });
    w.program(a, { name: 'deny6_mapped', type: 'cgroup_sock_addr', attach: 'cgroup_inet6_connect', asm: DENY6_MAPPED }).attach('/app');
    await w.process(a, { comm: 'app', cgroup: '/app' }, async (p) => {
      await w.expectErrno(p.connect(p.socket(6, 'tcp'), '[::ffff:10.0.0.2]:80'), 'EPERM', 'a connect6 program that checks mapped addresses closes the gap');
      const s = p.socket(6, 'tcp');
      await p.connect(s, '[fd00::2]:80');
      w.expect(p.getpeername(s), 'native IPv6 still passes').toBe('[fd00::2]:80');
    });
  },
});
