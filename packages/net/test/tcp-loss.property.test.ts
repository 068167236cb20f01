// TCP over random bad links (fast-check, seeded): loss, duplication, reordering and
// corruption in both directions, each congestion control, IPv4 and IPv6 — every byte
// arrives once and in order, the transfer always finishes (no stall waiting on a timer
// that never fires, no window that never reopens), and the same seed gives the same run.
import fc from 'fast-check';
import { AF_INET, AF_INET6, MS, Network, SEC, SOCK_STREAM, SocketApi, TCP_CONGESTION } from '../src';

interface Weather {
  loss: number;
  duplicate: number;
  reorder: number;
  corrupt: number;
  delayMs: number;
  bandwidth: number;
  size: number;
  cc: string;
  v6: boolean;
  seed: number;
}

/** How long a transfer may take before it counts as stalled (virtual time). */
const LIMIT = 1800 * SEC;

/** Sends `size` bytes one way and reads them at the other end, on one event loop. */
function transfer(w: Weather): { ok: boolean; bytes: number; time: number; packets: number } {
  const net = new Network({ seed: w.seed });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const link = net.connect(a.addDevice(), b.addDevice(), { delay: w.delayMs * MS, bandwidth: w.bandwidth, loss: w.loss, duplicate: w.duplicate, reorder: w.reorder, corrupt: w.corrupt });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  a.addAddress('eth0', 'fd00::1/64');
  b.addAddress('eth0', 'fd00::2/64');
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'source' }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'sink' }));
  const fam = w.v6 ? AF_INET6 : AF_INET;
  const l = B.socket(fam, SOCK_STREAM);
  B.bind(l, w.v6 ? { family: 6, addr: '::', port: 7000 } : { family: 4, addr: '0.0.0.0', port: 7000 });
  B.listen(l);
  const c = A.socket(fam, SOCK_STREAM);
  A.setsockopt(c, 6, TCP_CONGESTION, w.cc);
  A.connectStart(c, w.v6 ? { family: 6, addr: 'fd00::2', port: 7000 } : { family: 4, addr: '10.0.0.2', port: 7000 });
  const data = Uint8Array.from({ length: w.size }, (_, i) => (i * 131 + (i >> 9)) & 0xff);
  const got = new Uint8Array(w.size);
  let s = -1;
  let off = 0;
  let n = 0;
  let eof = false;
  let shut = false;
  while (!eof && net.sim.now < LIMIT) {
    net.sim.runFor(5 * MS);
    if (s < 0) {
      try {
        s = B.accept(l);
      } catch {
        continue;
      }
    }
    while (!shut && off < w.size) {
      try {
        off += A.send(c, data.subarray(off, off + 65536));
      } catch {
        break;
      }
    }
    if (!shut && off === w.size) {
      A.shutdown(c, 1);
      shut = true;
    }
    for (;;) {
      let d: Uint8Array;
      try {
        d = B.recvfrom(s, 1 << 20).data;
      } catch {
        break;
      }
      if (!d.length) {
        eof = true;
        break;
      }
      if (n + d.length > w.size) return { ok: false, bytes: n + d.length, time: net.sim.now, packets: link.stats.sent };
      got.set(d, n);
      n += d.length;
    }
  }
  return { ok: eof && n === w.size && Buffer.from(got).equals(Buffer.from(data)), bytes: n, time: net.sim.now, packets: link.stats.sent };
}

const weather: fc.Arbitrary<Weather> = fc.record({
  loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.1, noNaN: true }),
  corrupt: fc.double({ min: 0, max: 0.1, noNaN: true }),
  delayMs: fc.integer({ min: 1, max: 30 }),
  bandwidth: fc.constantFrom(10_000_000, 100_000_000, 1_000_000_000),
  size: fc.integer({ min: 1, max: 192 * 1024 }),
  cc: fc.constantFrom('cubic', 'reno', 'bbr'),
  v6: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

test('any weather: every byte once and in order, the transfer finishes, the same seed the same run', () => {
  fc.assert(
    fc.property(weather, (w) => {
      const r = transfer(w);
      if (!r.ok) throw new Error(`${JSON.stringify(w)}: ${r.bytes} of ${w.size} bytes by ${(r.time / SEC).toFixed(1)} s`);
      const again = transfer(w);
      return again.ok && again.time === r.time && again.packets === r.packets;
    }),
    { seed: Number(process.env.PROP_SEED ?? 20261207), numRuns: Number(process.env.PROP_RUNS ?? 24) },
  );
});
