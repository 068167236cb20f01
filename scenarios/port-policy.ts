// The seed's third story: a post_bind4 program enforces a port policy for a cgroup. A bind
// outside the policy fails with EPERM after the port was taken, and the port is released:
// another process can bind it at once.
import { scenario } from '@bpfsim/scenario';

/** post_bind4: only ports 8000-8099 (src_port is in host order). */
const POLICY = `
  r2 = *(u32 *)(r1 + 44)
  r0 = 0
  if r2 < 8000 goto out
  if r2 > 8099 goto out
  r0 = 1
out:
  exit`;

export default scenario({
  name: 'port-policy',
  lesson: 'post_bind4 refuses ports outside a policy with EPERM, and the refused port is free again',
  about: 'The cgroup /web may listen on ports 8000-8099 only. post_bind runs after the port is allocated; its refusal makes bind() fail with EPERM and undoes the allocation, so the same port is free for anyone else a moment later.',
  async run(w) {
    const h = w.host('h');
    const c = w.host('client');
    w.link(h, c, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'] });
    h.cgroup('/web');
    w.program(h, { name: 'port_policy', type: 'cgroup_sock', attach: 'cgroup_inet4_post_bind', asm: POLICY }).attach('/web');

    await w.process(h, { comm: 'nginx', cgroup: '/web' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await w.expectErrno(() => p.bind(s, '0.0.0.0:80'), 'EPERM', 'port 80 is outside the policy: EPERM');
      w.expect(p.getsockname(s), 'the refused socket is unbound again').toBe('0.0.0.0:0');
      p.bind(s, '0.0.0.0:8080');
      w.expect(p.getsockname(s), 'port 8080 is inside the policy').toBe('0.0.0.0:8080');
      const u = p.socket(4, 'udp');
      await w.expectErrno(() => p.bind(u, '0.0.0.0:0'), 'EPERM', 'an ephemeral port is outside the policy too');
    });
    await w.process(h, { comm: 'httpd', uid: 0 }, async (p) => {
      const s = p.socket(4, 'tcp');
      p.bind(s, '0.0.0.0:80');
      w.expect(p.getsockname(s), 'outside the cgroup, port 80 binds: the refusal released it').toBe('0.0.0.0:80');
    });
  },
});
