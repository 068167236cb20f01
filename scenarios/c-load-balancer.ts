// connect-lb.ts again, written in C (scenarios/progs/connect_lb.bpf.c) and loaded from the
// object clang built: a BTF-defined hash map with struct key and value, a static subprogram
// (pick_backend, bpf_get_prandom_u32() % count) linked in by the loader, and a global
// function (lb_rewrite) that the verifier checks on its own, as Linux does.
import * as fs from 'fs';
import * as path from 'path';
import { scenario } from '@bpfsim/scenario';

const ip4 = (s: string): number[] => s.split('.').map(Number);
const be16 = (n: number): number[] => [n >> 8, n & 0xff];

/** struct vip_key { __be32 ip; __be16 port; __u16 pad; } */
const vipKey = (ip: string, port: number): Uint8Array => new Uint8Array([...ip4(ip), ...be16(port), 0, 0]);

/** struct backend_set { __u32 count; struct backend { __be32 ip; __be16 port; __u16 pad; } be[4]; } */
function backendSet(backends: [string, number][]): Uint8Array {
  const v = new Uint8Array(4 + 4 * 8);
  new DataView(v.buffer).setUint32(0, backends.length, true);
  backends.forEach(([ip, port], i) => v.set([...ip4(ip), ...be16(port)], 4 + i * 8));
  return v;
}

export default scenario({
  name: 'c-load-balancer',
  lesson: 'connect4 load balancing in C: a struct-keyed BTF map, a linked subprogram and a global function',
  about:
    'The client connects eight times to the service 10.96.0.10:80. lb_connect4 (section cgroup/connect4 of connect_lb.bpf.o) looks the VIP up in the `services` hash map, which user space filled with two backends, picks one at random and rewrites the destination. `bpfsim verify scenarios/progs/connect_lb.bpf.o --log-level 2` shows the global function lb_rewrite verified on its own.',
  async run(w) {
    const client = w.host('client');
    const names = ['web-a', 'web-b'];
    const backends = names.map((n, i) => {
      const b = w.host(n);
      w.link(client, b, { a: [`10.0.${i + 1}.1/24`], b: [`10.0.${i + 1}.2/24`], delay: '200us' });
      return b;
    });
    client.cgroup('/app');
    const obj = w.object(client, fs.readFileSync(path.join(__dirname, 'progs', 'connect_lb.bpf.o')), { file: 'connect_lb.bpf.o' });
    obj.map('services').handle.update(vipKey('10.96.0.10', 80), backendSet([['10.0.1.2', 8080], ['10.0.2.2', 8080]]));
    obj.program('lb_connect4').attach('/app');

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
      for (let i = 0; i < 8; i++) {
        const s = p.socket(4, 'tcp');
        await p.connect(s, '10.96.0.10:80');
        const who = await p.recvText(s);
        seen.push(who);
        w.expect(p.getpeername(s), `connection ${i + 1}: getpeername() is the backend that answered`).toBe(who === 'web-a' ? '10.0.1.2:8080' : '10.0.2.2:8080');
        p.close(s);
      }
      w.expect(new Set(seen).size, 'the random choice used both backends').toBe(2);
      const other = p.socket(4, 'tcp');
      await w.expectErrno(() => p.connect(other, '10.96.0.11:80'), 'ENETUNREACH', 'an address that is not a VIP is left alone (and no host has it)');
    });
  },
});
