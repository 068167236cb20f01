// The simulated half of bench/net: a TCP connect + accept + 100-byte echo + close cycle,
// bulk transfer, and memory per established connection, on two hosts over a link.
import { Bench } from 'tinybench';
import { AF_INET, MS, Network, SOCK_STREAM, SocketApi } from '@bpfsim/net';
import type { Table } from './report';

function world(ports = 1, loss = 0) {
  const net = new Network({ seed: 3 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 10_000, bandwidth: 10_000_000_000, loss });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'client', nofile: 1 << 20 }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'server', nofile: 1 << 20 }));
  const ls = Array.from({ length: ports }, (_, i) => {
    const fd = B.socket(AF_INET, SOCK_STREAM);
    B.bind(fd, { family: 4, addr: '0.0.0.0', port: 80 + i });
    B.listen(fd, 4096);
    return fd;
  });
  return { net, A, B, l: ls[0]!, ls };
}

const tryCall = <T>(f: () => T): T | undefined => {
  try {
    return f();
  } catch {
    return undefined;
  }
};

export async function simulatedSections(options: { quick: boolean }): Promise<{ cycleNs?: number; tables: Table[]; notes: string[] }> {
  // Memory per established connection (both ends), after a gc.
  const gc = (globalThis as { gc?: () => void }).gc;
  const used = (): number => {
    gc?.();
    const u = process.memoryUsage();
    return u.heapUsed + u.arrayBuffers;
  };
  // One source address reaches one destination from 28,232 ephemeral ports (as in Linux):
  // four server ports make room for 100k connections.
  const m = world(4);
  const n = options.quick ? 2000 : 100_000;
  const before = used();
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const cfd = m.A.socket(AF_INET, SOCK_STREAM);
    m.A.connectStart(cfd, { family: 4, addr: '10.0.0.2', port: 80 + (i % 4) });
    keep.push(cfd);
    if (i % 500 === 499) {
      m.net.sim.runFor(1 * MS);
      for (const l of m.ls) for (let s2 = tryCall(() => m.B.accept(l)); s2 !== undefined; s2 = tryCall(() => m.B.accept(l))) keep.push(s2);
    }
  }
  m.net.sim.runFor(1 * MS);
  for (const l of m.ls) for (let s2 = tryCall(() => m.B.accept(l)); s2 !== undefined; s2 = tryCall(() => m.B.accept(l))) keep.push(s2);
  const perConn = (used() - before) / n;
  const established = keep.length / 2;

  const w = world();
  const msg = new Uint8Array(100).fill(7);
  const cycle = (): void => {
    const { net, A, B, l } = w;
    const c = A.socket(AF_INET, SOCK_STREAM);
    A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
    net.sim.runFor(1 * MS);
    const s = B.accept(l);
    A.send(c, msg);
    net.sim.runFor(1 * MS);
    const got = B.recvfrom(s, 1000).data;
    B.send(s, got);
    net.sim.runFor(1 * MS);
    if (A.recvfrom(c, 1000).data.length !== 100) throw new Error('echo lost');
    // The server closes first, as the C probe does: TIME_WAIT stays on the server's port.
    B.close(s);
    net.sim.runFor(1 * MS);
    A.close(c);
    net.sim.runFor(1 * MS);
  };
  for (let i = 0; i < 200; i++) cycle();
  const bench = new Bench({ time: options.quick ? 300 : 2000, warmupTime: 100 });
  bench.add('cycle', cycle);
  await bench.run();
  const cycleNs = (bench.tasks[0]!.result as { latency: { p50: number } }).latency.p50 * 1e6;

  // Bulk: 10 MB (2 MB quick) on one connection; wall time per simulated MB — on a clean
  // link, and on one that loses 1% of the frames each way (SACK, RACK-TLP, PRR at work).
  const bulkRun = (loss: number): { msPerMB: number; virtualMs: number } => {
    const bulk = world(1, loss);
    const size = options.quick ? 2 << 20 : 10 << 20;
    const c = bulk.A.socket(AF_INET, SOCK_STREAM);
    bulk.A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
    let s: number | undefined;
    for (let i = 0; i < 5000 && s === undefined; i++) {
      bulk.net.sim.runFor(1 * MS);
      s = tryCall(() => bulk.B.accept(bulk.l));
    }
    if (s === undefined) throw new Error('bulk: the connection never came up');
    const data = new Uint8Array(1 << 16);
    let sent = 0;
    let received = 0;
    const t0 = performance.now();
    const v0 = bulk.net.sim.now;
    while (received < size) {
      while (sent < size) {
        const n = tryCall(() => bulk.A.send(c, data.subarray(0, Math.min(data.length, size - sent))));
        if (!n) break;
        sent += n;
      }
      bulk.net.sim.runFor(1 * MS);
      for (;;) {
        const r = tryCall(() => bulk.B.recvfrom(s!, 1 << 20));
        if (!r || !r.data.length) break;
        received += r.data.length;
      }
    }
    return { msPerMB: (performance.now() - t0) / (size / (1 << 20)), virtualMs: (bulk.net.sim.now - v0) / MS };
  };
  const clean = bulkRun(0);
  const lossy = bulkRun(0.01);
  const msPerMB = clean.msPerMB;

  const tables: Table[] = [
    {
      title: 'TCP bulk transfer and connection memory (simulated)',
      columns: ['measure', 'value'],
      rows: [
        ['wall ms per simulated MB (10 Gb/s link, 10 us delay)', msPerMB.toFixed(1)],
        ['wall ms per simulated MB, the link losing 1% each way', lossy.msPerMB.toFixed(1)],
        ['virtual ms for the transfer: clean / 1% loss', `${clean.virtualMs.toFixed(0)} / ${lossy.virtualMs.toFixed(0)}`],
        [`bytes per established connection, both ends (${n} connections, ${established} accepted)`, perConn.toFixed(0)],
      ],
      notes: ['Target: <= 2 KiB per idle established connection.', gc ? 'Memory after a forced gc (--expose-gc).' : 'No --expose-gc: memory numbers are noisy.'],
    },
  ];
  return { cycleNs, tables, notes: [] };
}
