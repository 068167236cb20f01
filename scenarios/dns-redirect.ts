// UDP redirection both ways, as a node-local DNS cache does it with cgroup hooks: sendmsg4
// sends the app's queries for 10.96.0.53:53 to the local cache at 127.0.0.1:5353, and
// recvmsg4 makes the answers look as if they came from 10.96.0.53:53, so the resolver
// library (which checks the source) accepts them.
import { scenario } from '@bpfsim/scenario';

const TO_CACHE = `
  r2 = *(u32 *)(r1 + 4)
  if r2 != 0x3500600a goto out  // 10.96.0.53
  r2 = *(u32 *)(r1 + 24)
  if r2 != 0x3500 goto out      // htons(53)
  r2 = 0x0100007f               // 127.0.0.1
  *(u32 *)(r1 + 4) = r2
  r2 = 0xe914                   // htons(5353)
  *(u32 *)(r1 + 24) = r2
out:
  r0 = 1
  exit`;

const FROM_CACHE = `
  r2 = *(u32 *)(r1 + 4)
  if r2 != 0x0100007f goto out
  r2 = *(u32 *)(r1 + 24)
  if r2 != 0xe914 goto out
  r2 = 0x3500600a
  *(u32 *)(r1 + 4) = r2
  r2 = 0x3500
  *(u32 *)(r1 + 24) = r2
out:
  r0 = 1
  exit`;

export default scenario({
  name: 'dns-redirect',
  lesson: 'sendmsg4 + recvmsg4: UDP queries to a service IP go to a local cache, answers seem to come from the service',
  about: 'The app sends a DNS query to 10.96.0.53:53. sendmsg4 rewrites the destination to the cache on 127.0.0.1:5353; the cache answers; recvmsg4 rewrites the source the app sees back to 10.96.0.53:53.',
  async run(w) {
    const h = w.host('node');
    h.cgroup('/pods');
    w.program(h, { name: 'dns_to_cache', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_sendmsg', asm: TO_CACHE }).attach('/pods');
    w.program(h, { name: 'dns_from_cache', type: 'cgroup_sock_addr', attach: 'cgroup_udp4_recvmsg', asm: FROM_CACHE }).attach('/pods');
    void w.process(h, { comm: 'dnscache' }, async (p) => {
      const s = p.socket(4, 'udp');
      p.bind(s, '127.0.0.1:5353');
      for (;;) {
        const q = await p.recvfrom(s);
        p.sendto(s, `answer to ${q.text}`, q.from);
      }
    });
    await w.sleep(1);
    await w.process(h, { comm: 'app', cgroup: '/pods' }, async (p) => {
      const s = p.socket(4, 'udp');
      p.sendto(s, 'example.com A?', '10.96.0.53:53');
      const r = await p.recvfrom(s);
      w.expect(r.text, 'the cache answered').toBe('answer to example.com A?');
      w.expect(r.from, 'the answer seems to come from the service address').toBe('10.96.0.53:53');
    });
  },
});
