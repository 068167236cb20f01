// A per-message policy on a protocol header, with cork_bytes and apply_bytes: the client
// speaks a framed protocol (an 8-byte header: op, body length; then the body). The SK_MSG
// program holds bytes back until a whole header has arrived (bpf_msg_cork_bytes), reads it
// (bpf_msg_pull_data), refuses one operation, and lets the header and its body through with
// one verdict (bpf_msg_apply_bytes) — however the application splits its writes.
import { scenario } from '@bpfsim/scenario';

/** sock_ops: the client's connections join the sockmap (slot 0) once established. */
const JOIN = `
  r6 = r1
  r2 = *(u32 *)(r6 + 0)        // op
  if r2 != 4 goto out          // BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB
  r2 = 0
  *(u32 *)(r10 - 4) = r2
  r1 = r6
  r2 = socks ll
  r3 = r10
  r3 += -4
  r4 = 0
  call bpf_sock_map_update
out:
  r0 = 1
  exit`;

/** sk_msg: cork until 8 bytes, read the header, refuse op 3 (DELETE), apply to header + body. */
const POLICY = `
  r6 = r1
  r2 = *(u32 *)(r6 + 68)       // size of what is gathered
  if r2 >= 8 goto header
  r1 = r6
  r2 = 8
  call bpf_msg_cork_bytes      // not a whole header yet: wait for 8 bytes
  r0 = 1
  exit
header:
  r1 = r6
  r2 = 0
  r3 = 8
  r4 = 0
  call bpf_msg_pull_data       // the header at data .. data + 8
  r2 = *(u64 *)(r6 + 0)        // data
  r3 = *(u64 *)(r6 + 8)        // data_end
  r4 = r2
  r4 += 8
  if r4 > r3 goto drop
  r7 = *(u32 *)(r2 + 0)        // op
  r8 = *(u32 *)(r2 + 4)        // body length
  if r7 == 3 goto drop         // DELETE is not for this cgroup
  r8 += 8
  r1 = r6
  r2 = r8
  call bpf_msg_apply_bytes     // this verdict covers the header and its body
  r0 = 1
  exit
drop:
  r0 = 0
  exit`;

const frame = (op: number, body: string): Uint8Array => {
  const b = new TextEncoder().encode(body);
  const out = new Uint8Array(8 + b.length);
  new DataView(out.buffer).setUint32(0, op, true);
  new DataView(out.buffer).setUint32(4, b.length, true);
  out.set(b, 8);
  return out;
};

export default scenario({
  name: 'message-policy',
  lesson: 'cork_bytes + pull_data + apply_bytes: a verdict per protocol message, however the writes are split',
  about: 'Clients in /clients speak a framed protocol to a store: 8-byte header (op, body length), then the body. The SK_MSG program waits for a whole header (cork_bytes), reads it (pull_data), refuses DELETE (op 3) with SK_DROP, and covers header + body with one verdict (apply_bytes). A header written in two pieces is judged once it is whole; a refused message makes send() fail with EACCES — and the verdict sticks to the socket, as on Linux.',
  async run(w) {
    const h = w.host('h');
    h.cgroup('/clients');
    const socks = w.map(h, 'socks', { type: 'sockmap', keySize: 4, valueSize: 8, maxEntries: 4 });
    w.program(h, { name: 'join_sockmap', type: 'sock_ops', attach: 'cgroup_sock_ops', asm: JOIN, maps: { socks } }).attach('/clients');
    w.program(h, { name: 'msg_policy', type: 'sk_msg', asm: POLICY, maps: { socks } }).attachToMap(socks);

    const received: string[] = [];
    void w.process(h, { comm: 'store' }, async (p) => {
      const l = p.socket(4, 'tcp');
      p.bind(l, '127.0.0.1:7000');
      p.listen(l);
      const c = await p.accept(l);
      for (;;) {
        const d = await p.recv(c);
        if (!d.length) break;
        received.push(Array.from(d, (x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : '.')).join(''));
      }
    });
    await w.sleep(1);
    await w.process(h, { comm: 'client', cgroup: '/clients' }, async (p) => {
      const s = p.socket(4, 'tcp');
      await p.connect(s, '127.0.0.1:7000');
      const get = frame(1, 'key42');
      w.expect(p.send(s, get.subarray(0, 3)), 'three bytes of a header: taken, and corked').toBe(3);
      await p.sleep(1);
      w.expect(received.length, 'nothing reached the store yet').toBe(0);
      w.expect(p.send(s, get.subarray(3, 8)), 'the rest of the header').toBe(5);
      w.expect(p.send(s, get.subarray(8)), 'the body, covered by the same verdict').toBe(5);
      await p.sleep(1);
      w.expect(received.join(''), 'the store got the whole GET message').toBe('........key42');
      await w.expectErrno(() => p.send(s, frame(3, 'key42')), 'EACCES', 'a DELETE is refused');
      await w.expectErrno(() => p.send(s, frame(1, 'key7')), 'EACCES', 'and the drop verdict sticks to the socket');
    });
  },
});
