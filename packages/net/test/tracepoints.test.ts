// The stack fires Linux's raw tracepoints: a program on sock:inet_sock_set_state sees every
// TCP state change with (sk, oldstate, newstate) and reads the socket through
// bpf_probe_read_kernel; tcp_receive_reset fires on a reset; nothing is attached, nothing runs.
import { BpfClient, onTraceRun } from '@bpfsim/kernel';
import { AF_INET, MS, Network, SOCK_STREAM, SocketApi } from '../src';

async function until<T>(net: Network, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 100000 && !done; i++) {
    if (!net.sim.step()) await Promise.resolve();
    await Promise.resolve();
  }
  return p;
}

test('inet_sock_set_state: one run per state change, with the old and new state and the socket', async () => {
  const net = new Network({ seed: 12 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  const c = new BpfClient(a.kernel, a.kernel.spawn({ comm: 'tracer' }));
  // seen[newstate] += 1; last[0] = sk->skc_num of the last transition into ESTABLISHED.
  const seen = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 16 });
  const prog = c.loadProgram({
    type: 'raw_tracepoint',
    maps: { seen },
    insns: `
      .map seen type=array key_size=4 value_size=8 max_entries=16
      r6 = *(u64 *)(r1 + 0)       // sk
      r7 = *(u64 *)(r1 + 16)      // newstate
      *(u32 *)(r10 - 4) = r7
      r2 = r10
      r2 += -4
      r1 = seen ll
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      if r7 != 1 goto out
      r1 = r10
      r1 += -16
      r2 = 2
      r3 = r6
      r3 += 14                    // &sk->__sk_common.skc_num
      call bpf_probe_read_kernel
      r8 = *(u16 *)(r10 - 16)
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = seen ll
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      *(u64 *)(r0 + 0) = r8
    out:
      r0 = 0
      exit`,
  });
  let runs = 0;
  onTraceRun(a.kernel, () => runs++);
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'srv' }));
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'cli' }));
  const l = B.socket(AF_INET, SOCK_STREAM);
  B.bind(l, { family: 4, addr: '0.0.0.0', port: 9000 });
  B.listen(l);
  // Before the program is attached, nothing runs.
  const c0 = A.socket(AF_INET, SOCK_STREAM);
  await until(net, A.connectAsync(c0, { family: 4, addr: '10.0.0.2', port: 9000 }));
  expect(runs).toBe(0);
  c.rawTracepointOpen(prog, 'inet_sock_set_state');
  const c1 = A.socket(AF_INET, SOCK_STREAM);
  await until(net, A.connectAsync(c1, { family: 4, addr: '10.0.0.2', port: 9000 }));
  const n = (state: number): bigint => new DataView(seen.lookup(state)!.buffer).getBigUint64(0, true);
  expect(n(2)).toBe(1n); // TCP_SYN_SENT
  expect(n(1)).toBe(1n); // TCP_ESTABLISHED
  expect(Number(n(0))).toBe(A.getsockname(c1).port);
  A.close(c1);
  net.sim.runFor(10 * MS);
  expect(n(4)).toBe(1n); // TCP_FIN_WAIT1
  expect(runs).toBeGreaterThanOrEqual(3);
});
