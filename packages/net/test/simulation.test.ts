import fc from 'fast-check';
import { EventQueue, MS, Network, RttEstimator, Simulation } from '../src';

describe('EventQueue', () => {
  test('pops in (time, sequence) order, whatever the push order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), (times) => {
        const q = new EventQueue();
        times.forEach((t) => q.push(t, () => undefined));
        const out: [number, number][] = [];
        for (let e = q.pop(); e; e = q.pop()) out.push([e.time, e.seq]);
        const want = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(want);
      }),
      { seed: 7, numRuns: 200 },
    );
  });
  test('cancelled events are skipped and not counted', () => {
    const q = new EventQueue();
    const a = q.push(5, () => undefined);
    q.push(7, () => undefined);
    q.cancel(a);
    q.cancel(a);
    expect(q.size).toBe(1);
    expect(q.pop()!.time).toBe(7);
    expect(q.pop()).toBeUndefined();
  });
});

describe('EventQueue with far-future buckets', () => {
  // Events past the horizon wait in coarse buckets (the timer wheel's idea); the order must
  // stay exactly (time, sequence) under any mix of near and far pushes, cancels and pops.
  test('interleaved pushes (near, 10 ms, 200 s ahead), cancels and pops run in the same order as a sorted reference', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ op: fc.constant('push' as const), far: fc.integer({ min: 0, max: 2 }), x: fc.double({ min: 0, max: 1, noNaN: true }) }), fc.record({ op: fc.constant('cancel' as const), k: fc.nat() }), fc.record({ op: fc.constant('pop' as const) })), { maxLength: 400 }),
        (ops) => {
          const q = new EventQueue();
          const ref: { t: number; s: number; live: boolean }[] = [];
          const evs: ReturnType<EventQueue['push']>[] = [];
          const got: number[] = [];
          const want: number[] = [];
          let now = 0;
          const popBoth = (): void => {
            const e = q.pop();
            let best: (typeof ref)[number] | undefined;
            for (const r of ref) if (r.live && (!best || r.t < best.t || (r.t === best.t && r.s < best.s))) best = r;
            if (best) {
              best.live = false;
              want.push(best.s);
            }
            if (e) {
              now = e.time;
              e.run();
            }
          };
          for (const o of ops) {
            if (o.op === 'push') {
              const t = now + Math.floor(o.x * [1e4, 20e6, 200e9][o.far]!);
              const s = ref.length;
              evs.push(q.push(t, () => got.push(s)));
              ref.push({ t, s, live: true });
            } else if (o.op === 'cancel' && evs.length) {
              const k = o.k % evs.length;
              evs[k]!.cancel();
              ref[k]!.live = false;
            } else if (o.op === 'pop') popBoth();
            expect(q.size).toBe(ref.filter((r) => r.live).length);
          }
          while (q.size) popBoth();
          expect(got).toEqual(want);
        },
      ),
      { seed: 7, numRuns: 300 },
    );
  });
});

describe('Simulation', () => {
  test('events run at their time, same-time events in scheduling order; runUntil moves the clock', () => {
    const sim = new Simulation();
    const log: string[] = [];
    sim.schedule(2 * MS, () => log.push(`b@${sim.now}`));
    sim.schedule(1 * MS, () => {
      log.push(`a@${sim.now}`);
      sim.schedule(1 * MS, () => log.push(`c@${sim.now}`)); // same instant as b, scheduled later
    });
    expect(sim.runUntil(1.5 * MS)).toBe('time');
    expect(sim.now).toBe(1.5 * MS);
    expect(sim.run()).toBe('quiescent');
    expect(log).toEqual(['a@1000000', 'b@2000000', 'c@2000000']);
  });
  test('kernel timers due at one instant run newest first (a timer wheel bucket), before the other events then', () => {
    const sim = new Simulation();
    const log: string[] = [];
    sim.at(4 * MS, () => log.push('event'));
    sim.timerAt(4 * MS, () => log.push('timer armed first'));
    sim.schedule(1 * MS, () => sim.timerAt(4 * MS, () => log.push('timer armed later')));
    sim.timerAt(8 * MS, () => log.push('a later tick'));
    sim.run();
    expect(log).toEqual(['timer armed later', 'timer armed first', 'event', 'a later tick']);
    expect(() => sim.timerAt(1 * MS, () => undefined)).toThrow(/already/);
  });
  test('timers can be cancelled; pending says whether they will still run', () => {
    const sim = new Simulation();
    let ran = 0;
    const t = sim.schedule(10, () => ran++);
    expect(t.pending).toBe(true);
    t.cancel();
    expect(t.pending).toBe(false);
    const u = sim.schedule(20, () => ran++);
    sim.run();
    expect(ran).toBe(1);
    expect(u.pending).toBe(false);
  });
  test('run(maxEvents) stops endless timers; stop() ends a run', () => {
    const sim = new Simulation();
    const tick = (): void => void sim.schedule(1, tick);
    tick();
    expect(sim.run(100)).toBe('steps');
    sim.schedule(0, () => sim.stop());
    expect(sim.run()).toBe('stopped');
  });
  test('bad times are refused', () => {
    const sim = new Simulation();
    sim.runUntil(100);
    expect(() => sim.schedule(-1, () => undefined)).toThrow(RangeError);
    expect(() => sim.at(50, () => undefined)).toThrow(/already 100/);
    expect(() => sim.schedule(Number.NaN, () => undefined)).toThrow(RangeError);
  });
});

describe('RttEstimator (tcp_rtt_estimator, tcp_set_rto)', () => {
  test("Linux's arithmetic: srtt_us << 3, mdev_us, rttvar_us at least tcp_rto_min, the RTO in whole jiffies", () => {
    const r = new RttEstimator();
    expect(r.rto).toBe(1000 * MS); // TCP_TIMEOUT_INIT
    r.sample(10 * MS, 0, 0);
    expect([r.srttUs8, r.mdevUs, r.rttvarUs]).toEqual([80_000, 20_000, 200_000]);
    expect(r.rto).toBe(212 * MS); // usecs_to_jiffies(10 ms + 200 ms) = 53 jiffies
    r.sample(30 * MS, 0, 0);
    expect([r.srttUs8, r.mdevUs, r.rttvarUs]).toEqual([100_000, 35_000, 200_000]);
    expect(r.rto).toBe(216 * MS); // 12.5 ms + 200 ms: 54 jiffies
    r.sample(400 * MS, 0, 0);
    // A large sample raises mdev past mdev_max, and rttvar with it (at once, not by 1/4).
    expect([r.srttUs8, r.mdevUs, r.rttvarUs]).toEqual([487_500, 413_750, 413_750]);
    expect(r.rto).toBe(476 * MS);
    // rttvar decays by a quarter towards a window's largest mdev, once snd_una passes rtt_seq.
    r.sample(60 * MS, 0, 0);
    r.sample(60 * MS, 0, 0);
    expect(r.rttvarUs).toBe(413_750);
    r.sample(60 * MS, 1, 1);
    r.sample(60 * MS, 2, 2);
    expect(r.rttvarUs).toBeLessThan(413_750);
    expect(r.rttvarUs).toBeGreaterThan(200_000);
    expect(r.minRtt).toBe(10 * MS);
    r.backoff();
    expect(r.rto % (4 * MS)).toBe(0);
  });
});

describe('clockBase', () => {
  test('a host takes where its monotonic clock stands at time 0; a bad value is refused by name', () => {
    const net = new Network();
    expect(net.addHost('a', { clockBase: 13_773_632 * 4 * MS + 268_800 }).clockBase).toBe(55_094_528_268_800);
    expect(() => net.addHost('b', { clockBase: -1 })).toThrow(/host b: clockBase must be a whole number of ns >= 0/);
    expect(() => net.addHost('c', { clockBase: 0.5 })).toThrow(RangeError);
  });
});
