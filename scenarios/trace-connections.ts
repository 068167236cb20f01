// Connection tracing with a raw tracepoint, as `tcplife`/`tcpstates` do it: a program on
// sock:inet_sock_set_state sees every TCP state change with (sk, oldstate, newstate) and
// reads the socket's ports through bpf_probe_read_kernel from the struct sock it is handed.
// It counts connections that reach ESTABLISHED per destination port, and resets.
import { scenario } from '@bpfsim/scenario';

/** On newstate == ESTABLISHED: established[ntohs(sk->skc_dport)] += 1. */
const TRACE = `
  r6 = *(u64 *)(r1 + 0)        // args[0]: struct sock *sk
  r7 = *(u64 *)(r1 + 16)       // args[2]: newstate
  if r7 != 1 goto out          // TCP_ESTABLISHED
  r1 = r10
  r1 += -8
  r2 = 2
  r3 = r6
  r3 += 12                     // &sk->__sk_common.skc_dport (network order)
  call bpf_probe_read_kernel
  r2 = *(u16 *)(r10 - 8)
  r2 = be16 r2
  *(u32 *)(r10 - 4) = r2
  r1 = established ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto first
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  goto out
first:
  r1 = 1
  *(u64 *)(r10 - 16) = r1
  r1 = established ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -16
  r4 = 0
  call bpf_map_update_elem
out:
  r0 = 0
  exit`;

export default scenario({
  name: 'trace-connections',
  lesson: 'a raw tracepoint on inet_sock_set_state counts established connections per destination port',
  about: 'A client opens connections to a web server (:80, three times) and a database (:5432, once), and one to a closed port. The tracing program on the client host counts the connections that reached ESTABLISHED by destination port, reading skc_dport from the struct sock it is handed.',
  async run(w) {
    const c = w.host('client');
    const s = w.host('server');
    w.link(c, s, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'] });
    const established = w.map(c, 'established', { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 64 });
    w.program(c, { name: 'tcpstates', type: 'raw_tracepoint', asm: TRACE, maps: { established } }).attachRawTracepoint('inet_sock_set_state');
    void w.process(s, { comm: 'servers' }, async (p) => {
      for (const port of [80, 5432]) {
        const l = p.socket(4, 'tcp');
        p.bind(l, `0.0.0.0:${port}`);
        p.listen(l);
      }
      await p.sleep(10_000);
    });
    await w.sleep(1);
    await w.process(c, { comm: 'app' }, async (p) => {
      for (const port of [80, 80, 5432, 80]) {
        const fd = p.socket(4, 'tcp');
        await p.connect(fd, `10.0.0.2:${port}`);
        p.close(fd);
      }
      await w.expectErrno(p.connect(p.socket(4, 'tcp'), '10.0.0.2:9'), 'ECONNREFUSED', 'a closed port: refused, never established');
    });
    const count = (port: number): number => {
      const v = established.handle.lookup(port);
      return v ? Number(new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true)) : 0;
    };
    w.note(`established by destination port: 80 → ${count(80)}, 5432 → ${count(5432)}, 9 → ${count(9)}`);
    w.expect([count(80), count(5432), count(9)], 'three to :80, one to :5432, none to the closed port').toEqual([3, 1, 0]);
  },
});
