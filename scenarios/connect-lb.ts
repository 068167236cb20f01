// Connect-time load balancing, as Cilium's socket LB does it: clients connect to a virtual
// IP; a connect4 program picks a backend round-robin from a map and rewrites the
// destination before the SYN is sent. No NAT on the path, and the client's getpeername()
// shows the backend it really talks to.
import { scenario } from '@bpfsim/scenario';

const LB = `
  r6 = r1
  r2 = *(u32 *)(r6 + 4)        // user_ip4
  if r2 != 0x0a00600a goto out // 10.96.0.10, the service VIP
  r2 = *(u32 *)(r6 + 24)       // user_port
  if r2 != 0x5000 goto out     // htons(80)
  r2 = 0
  *(u32 *)(r10 - 4) = r2
  r1 = counter ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = *(u64 *)(r0 + 0)
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  r7 %= 3                      // three backends
  *(u32 *)(r10 - 4) = r7
  r1 = backends ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r2 = *(u32 *)(r0 + 0)        // backend address, network order
  *(u32 *)(r6 + 4) = r2
  r2 = *(u32 *)(r0 + 4)        // backend port, network order
  *(u32 *)(r6 + 24) = r2
out:
  r0 = 1
  exit`;

/** struct { __be32 addr; __be32 port; } as the map stores it. */
function backend(ip: string, port: number): Uint8Array {
  const v = new Uint8Array(8);
  v.set(ip.split('.').map(Number), 0);
  v[4] = port >> 8;
  v[5] = port & 0xff;
  return v;
}

export default scenario({
  name: 'connect-lb',
  lesson: 'connect4 load balancing: a virtual IP rewritten to a backend round-robin, before the SYN',
  about: 'The client connects six times to 10.96.0.10:80, an address no host has. The connect4 program in the client\'s cgroup counts connections in an array map and rewrites each one to backend (n mod 3) from another map; each backend answers with its name.',
  async run(w) {
    const client = w.host('client');
    const names = ['web-a', 'web-b', 'web-c'];
    const backends = names.map((n, i) => {
      const b = w.host(n);
      w.link(client, b, { a: [`10.0.${i + 1}.1/24`], b: [`10.0.${i + 1}.2/24`], delay: '200us' });
      return b;
    });
    client.cgroup('/app');
    const table = w.map(client, 'backends', { type: 'array', keySize: 4, valueSize: 8, maxEntries: 3 });
    const counter = w.map(client, 'counter', { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    backends.forEach((_b, i) => table.handle.update(i, backend(`10.0.${i + 1}.2`, 8080)));
    w.program(client, { name: 'sock_lb', type: 'cgroup_sock_addr', attach: 'cgroup_inet4_connect', asm: LB, maps: { backends: table, counter } }).attach('/app');

    backends.forEach((b, i) =>
      void w.process(b, { comm: 'httpd' }, async (p) => {
        const l = p.socket(4, 'tcp');
        p.bind(l, '0.0.0.0:8080');
        p.listen(l);
        for (;;) {
          const c = await p.accept(l);
          p.send(c, names[i]!);
          p.close(c);
        }
      }),
    );
    await w.sleep(1);
    await w.process(client, { comm: 'curl', cgroup: '/app' }, async (p) => {
      const seen: string[] = [];
      for (let i = 0; i < 6; i++) {
        const s = p.socket(4, 'tcp');
        await p.connect(s, '10.96.0.10:80');
        seen.push(await p.recvText(s));
        if (i === 0) w.expect(p.getpeername(s), 'getpeername() shows the real backend').toBe('10.0.1.2:8080');
        p.close(s);
      }
      w.expect(seen, 'six connections went round-robin over the three backends').toEqual(['web-a', 'web-b', 'web-c', 'web-a', 'web-b', 'web-c']);
    });
  },
});
