// Congestion control ops on a bare window (tcp_cubic.c's arithmetic) and on real connections.
import type { BbrState, CcSock, CubicState, TcpSock } from '../src';
import { AF_INET, CUBIC, MS, Network, RENO, SEC, SOCK_STREAM, SocketApi, TCP_CONGESTION } from '../src';

const MSS = 1000;
/** A window driven by hand: every RTT, one ACK per segment in the window. */
function window(cwndSegs: number, rtt = 100 * MS) {
  const sk: CcSock & { t: number } = { cwnd: cwndSegs * MSS, ssthresh: 0x7fffffff, mss: MSS, t: 0, get ccNow() { return this.t; }, get jiffies() { return Math.floor(this.t / (4 * MS)); }, minRtt: rtt, flight: cwndSegs * MSS, sndUna: 0, sndNxt: 0, pacingRate: 0, srttUs8: 0, minRttUs: rtt / 1000, caState: 0, inFlight: 0, delivered: 0, lost: 0, deliveredMstamp: 0, wstampNs: 0, appLimited: 0, random: () => 0, cwndCnt: 0, ccPriv: undefined };
  const rttOnce = (ops = CUBIC): void => {
    const acks = Math.floor(sk.cwnd / MSS);
    for (let i = 0; i < acks; i++) ops.congAvoid(sk, MSS);
    sk.t += rtt;
  };
  return { sk, rttOnce, segs: () => sk.cwnd / MSS };
}

/** Moves `data` from fd `c` of A to fd `s` of B: send what the buffer takes, run `step`,
 * read what arrived; `each` runs after every step. Returns the bytes received. */
function pump(net: Network, A: SocketApi, c: number, B: SocketApi, s: number, data: Uint8Array, step: number, rounds: number, each: () => void = () => {}): number {
  let off = 0;
  let got = 0;
  for (let i = 0; i < rounds && got < data.length; i++) {
    while (off < data.length) {
      try {
        off += A.send(c, data.subarray(off, off + 65536));
      } catch {
        break;
      }
    }
    net.sim.runFor(step);
    each();
    for (;;) {
      try {
        got += B.recvfrom(s, 1 << 20).data.length;
      } catch {
        break;
      }
    }
  }
  return got;
}

test('CUBIC after a loss: ssthresh 0.7 W (beta 717/1024), then back to W at K = cbrt(0.3 W / C) and beyond', () => {
  const w = window(100);
  w.sk.ssthresh = CUBIC.ssthresh(w.sk);
  expect(w.sk.ssthresh / MSS).toBe(70);
  w.sk.cwnd = w.sk.ssthresh;
  const k = Math.cbrt((100 - 70) / 0.4); // 4.22 s
  const at = new Map<number, number>();
  for (let i = 1; i <= 80; i++) {
    w.rttOnce();
    at.set(Math.round(w.sk.t / (100 * MS)), w.segs());
  }
  const near = (s: number): number => at.get(Math.round(s * 10))!;
  // Concave up to W (fast, then flat near W), convex after: the cubic's shape.
  expect(near(k / 2)).toBeGreaterThan(90);
  expect(near(k / 2)).toBeLessThan(100);
  expect(Math.abs(near(k) - 100)).toBeLessThanOrEqual(3);
  expect(near(k + 1) - near(k)).toBeLessThan(near(k + 3) - near(k + 2));
  expect(near(8)).toBeGreaterThan(110);
});

test('CUBIC fast convergence: a second loss below the last maximum remembers less than it had', () => {
  const w = window(100);
  CUBIC.ssthresh(w.sk);
  w.sk.cwnd = 80 * MSS;
  CUBIC.ssthresh(w.sk);
  // last_max_cwnd = 80 * (1024 + 717) / 2048 = 68
  expect((w.sk.ccPriv as CubicState).lastMaxCwnd).toBe(68);
});

test('Reno grows one segment per RTT in congestion avoidance; CUBIC with no loss yet at least 5% per RTT', () => {
  const r = window(100);
  r.sk.ssthresh = 0;
  r.rttOnce(RENO);
  expect(Math.round(r.segs())).toBe(101);
  const c = window(100);
  c.sk.ssthresh = 0;
  c.rttOnce(CUBIC);
  expect(c.segs()).toBeGreaterThanOrEqual(105);
});

test('TCP_CONGESTION: cubic by default (as Linux), reno by name, ENOENT for an unknown one; both deliver over a lossy link', async () => {
  for (const cc of ['cubic', 'reno']) {
    const net = new Network({ seed: 9 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    net.connect(a.addDevice(), b.addDevice(), { delay: 2 * MS, loss: 0.02, bandwidth: 100_000_000 });
    a.addAddress('eth0', '10.0.0.1/24');
    b.addAddress('eth0', '10.0.0.2/24');
    const A = new SocketApi(a, a.kernel.spawn({ comm: 'a' }));
    const B = new SocketApi(b, b.kernel.spawn({ comm: 'b' }));
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    B.listen(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    expect(A.getCongestion(c)).toBe('cubic');
    A.setsockopt(c, 6, TCP_CONGESTION, cc);
    expect(A.getCongestion(c)).toBe(cc);
    expect(() => A.setsockopt(c, 6, TCP_CONGESTION, 'bbr2')).toThrow(expect.objectContaining({ code: 'ENOENT' }) as unknown as Error);
    A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
    net.sim.runFor(100 * MS);
    const s = B.accept(l);
    const data = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 0xff);
    expect(pump(net, A, c, B, s, data, 10 * MS, 2000)).toBe(data.length);
    expect(net.sim.now).toBeLessThan(20 * SEC);
  }
});

/** 4 MB over a 10 Mb/s link with a 60-packet queue: what the queue had dropped when slow start ended. */
function bottleneck(cc: string) {
  const net = new Network({ seed: 4 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const link = net.connect(a.addDevice(), b.addDevice(), { delay: 10 * MS, bandwidth: 10_000_000, queue: 60 });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  const A = new SocketApi(a, a.kernel.spawn({ comm: 'a' }));
  const B = new SocketApi(b, b.kernel.spawn({ comm: 'b' }));
  const l = B.socket(AF_INET, SOCK_STREAM);
  B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
  B.listen(l);
  const c = A.socket(AF_INET, SOCK_STREAM);
  A.setsockopt(c, 6, TCP_CONGESTION, cc);
  A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
  net.sim.runFor(100 * MS);
  const s = B.accept(l);
  let ssthreshAt = -1;
  const got = pump(net, A, c, B, s, new Uint8Array(4 << 20), 5 * MS, 3000, () => {
    // What the queue had refused when slow start ended.
    if (ssthreshAt < 0 && A.tcpInfo(c).snd_ssthresh < 0x7fffffff) ssthreshAt = link.stats.queueDrops;
  });
  return { got, info: A.tcpInfo(c), dropsAtExit: ssthreshAt, sock: A.socketOf(c) as TcpSock, drops: link.stats.queueDrops, time: net.sim.now };
}

test('HyStart: CUBIC leaves slow start as the queue builds (the RTT rises), before anything is lost; Reno runs into the loss', () => {
  const cubic = bottleneck('cubic');
  expect(cubic.got).toBe(4 << 20);
  // Slow start ended with nothing dropped: HyStart set ssthresh, not a full queue.
  expect(cubic.dropsAtExit).toBe(0);
  const reno = bottleneck('reno');
  expect(reno.got).toBe(4 << 20);
  expect(reno.dropsAtExit).toBeGreaterThan(0);
});

test('BBR: a model of the path — the bottleneck rate and the min RTT — paced at it, the queue kept short', () => {
  const bbr = bottleneck('bbr');
  expect(bbr.got).toBe(4 << 20);
  const st = bbr.sock.ccPriv as BbrState;
  // Past STARTUP and DRAIN: cycling the pacing gain in PROBE_BW.
  expect(st.fullBwReached).toBe(true);
  expect(st.mode).toBe(2);
  // The path's RTT: 20 ms of propagation plus a segment's 1.2 ms on the wire.
  expect(st.minRttUs).toBeGreaterThan(20_000);
  expect(st.minRttUs).toBeLessThan(23_000);
  // Paced at about the bottleneck's 1.25 MB/s (a 5/4 or 3/4 phase at most).
  expect(bbr.sock.pacingRate).toBeGreaterThan(0.7 * 1_250_000);
  expect(bbr.sock.pacingRate).toBeLessThan(1.3 * 1_250_000);
  // Reno fills the 60-packet queue until it overflows; BBR does not.
  const reno = bottleneck('reno');
  expect(bbr.drops).toBeLessThan(reno.drops);
});

test('ECN (tcp_ecn = 1 at the client): negotiated in the handshake; a queue that marks CE brings the window down with nothing lost and nothing sent twice', () => {
  const run = (clientEcn: 0 | 1 | 2) => {
    const net = new Network({ seed: 4 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    a.tcpSysctl.tcpEcn = clientEcn;
    const link = net.connect(a.addDevice(), b.addDevice(), { delay: 10 * MS, bandwidth: 10_000_000, queue: 60, ecnThreshold: 20 });
    a.addAddress('eth0', '10.0.0.1/24');
    b.addAddress('eth0', '10.0.0.2/24');
    const flags: number[] = [];
    net.events.on('packet', (e) => {
      if (e.dir !== 'out' || e.frame[23] !== 6) return;
      const tcp = e.frame.subarray(14 + 20);
      if (tcp[13]! & 0x02) flags.push(tcp[13]!);
    });
    const A = new SocketApi(a, a.kernel.spawn({ comm: 'a' }));
    const B = new SocketApi(b, b.kernel.spawn({ comm: 'b' }));
    const l = B.socket(AF_INET, SOCK_STREAM);
    B.bind(l, { family: 4, addr: '0.0.0.0', port: 80 });
    B.listen(l);
    const c = A.socket(AF_INET, SOCK_STREAM);
    A.connectStart(c, { family: 4, addr: '10.0.0.2', port: 80 });
    net.sim.runFor(100 * MS);
    const s = B.accept(l);
    const got = pump(net, A, c, B, s, new Uint8Array(2 << 20), 5 * MS, 3000);
    return { got, flags, info: A.tcpInfo(c), link };
  };
  const ecn = run(1);
  expect(ecn.got).toBe(2 << 20);
  // The SYN asks (SYN|ECE|CWR), the SYN-ACK accepts (SYN|ACK|ECE).
  expect(ecn.flags).toEqual([0x02 | 0x40 | 0x80, 0x12 | 0x40]);
  expect(ecn.link.stats.ceMarked).toBeGreaterThan(0);
  expect(ecn.info.snd_ssthresh).toBeLessThan(0x7fffffff);
  expect(ecn.info.total_retrans).toBe(0);
  expect(ecn.link.stats.queueDrops).toBe(0);
  // tcp_ecn = 2 at both ends (Linux's default): nobody asks, nothing is marked.
  const plain = run(2);
  expect(plain.flags).toEqual([0x02, 0x12]);
  expect(plain.link.stats.ceMarked).toBe(0);
});
