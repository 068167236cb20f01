// w.param() and w.metric(): what a sweep gives a scenario and what it gets back, and the
// built-in metrics every run has.
import * as path from 'node:path';
import type { ScenarioDef, World } from '../src';
import { BUILTIN_METRICS, runScenario, scenario } from '../src';

const probe = (body: (w: World) => void | Promise<void>): ScenarioDef => scenario({ name: 'probe', lesson: 'params and metrics', async run(w) { await body(w); } });

describe('w.param', () => {
  test('without params a run takes the defaults; given ones win; the names read are listed in order', async () => {
    const seen: unknown[] = [];
    const def = probe((w) => void seen.push(w.param('loss', 0.05), w.param('cc', 'cubic')));
    const plain = await runScenario(def);
    expect(seen).toEqual([0.05, 'cubic']);
    expect(plain.paramsRead).toEqual(['loss', 'cc']);
    seen.length = 0;
    await runScenario(def, { params: { loss: 0.2, cc: 'reno', other: 1 } });
    expect(seen).toEqual([0.2, 'reno']);
    seen.length = 0;
    // A number given to a string parameter is its text.
    await runScenario(def, { params: { cc: 7 } });
    expect(seen).toEqual([0.05, '7']);
  });

  test('a number parameter given text fails the run with E_PARAM, naming it', async () => {
    const r = await runScenario(probe((w) => void w.param('loss', 0.05)), { params: { loss: 'high' } });
    expect(r.ok).toBe(false);
    expect(r.failure).toEqual({ code: 'E_PARAM', message: "parameter 'loss' takes a number (its default is 0.05), not 'high'" });
  });
});

describe('metrics', () => {
  test("a run's metrics: the scenario's own and the built-in ones", async () => {
    const r = await runScenario(
      probe(async (w) => {
        const a = w.host('a');
        const b = w.host('b');
        w.link(a, b, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'] });
        await w.process(a, { comm: 'ping' }, async (p) => {
          p.sendto(p.socket(4, 'udp'), 'hi', '10.0.0.2:9');
        });
        w.metric('answer', 41);
        w.metric('answer', 42);
      }),
    );
    expect(r.ok).toBe(true);
    expect(Object.keys(r.metrics).sort()).toEqual(['answer', ...BUILTIN_METRICS].sort());
    expect(r.metrics.answer).toBe(42);
    expect(r.metrics.virtual_ms).toBe(r.endNs / 1e6);
    expect(r.metrics.packets).toBe(r.events.filter((e) => e.kind === 'packet').length);
    expect(r.metrics.packets).toBeGreaterThan(0);
    expect(r.metrics).toMatchObject({ expectations_failed: 0, hook_runs: 0, retransmits: 0 });
  });

  test('a failed run still has its metrics; bad metric names and values fail with E_METRIC', async () => {
    const failed = await runScenario(probe((w) => (w.metric('before', 1), w.expect(1, 'one is two').toBe(2))));
    expect(failed.ok).toBe(false);
    expect(failed.metrics).toMatchObject({ before: 1, expectations_failed: 1 });
    for (const [name, value, why] of [['packets', 1, 'built-in'], ['two words', 1, 'letters, digits'], ['x', NaN, 'finite']] as const) {
      const r = await runScenario(probe((w) => w.metric(name, value)));
      expect(r.failure?.code).toBe('E_METRIC');
      expect(r.failure?.message).toContain(why);
    }
  });

  test('lossy-tcp takes a loss parameter and reports transfer_ms', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const def = (require(path.resolve(__dirname, '../../../scenarios/lossy-tcp.ts')) as { default: ScenarioDef }).default;
    const r = await runScenario(def, { params: { loss: 0 } });
    expect(r.ok).toBe(true);
    expect(r.paramsRead).toEqual(['loss', 'bandwidth', 'cc', 'delay', 'duplicate', 'reorder']);
    expect(r.metrics.transfer_ms).toBeGreaterThan(200); // 256 KiB at 10 Mb/s
    expect(r.metrics.transfer_ms).toBeLessThan(r.metrics.virtual_ms!);
  });
});

test('lossy-tcp at 10% loss finishes in seconds: SACK, RACK-TLP and undo recover without waiting out backed-off RTOs', async () => {
  const def = (require(path.resolve(__dirname, '../../../scenarios/lossy-tcp.ts')) as { default: ScenarioDef }).default;
  // Seed 2 took about 81 s of virtual time with NewReno (RTOs backing off after lost
  // retransmissions); with Linux's loss recovery it takes about 2.3 s.
  const r = await runScenario({ ...def, timeLimitMs: 300_000 }, { seed: 2, params: { loss: 0.1 } });
  expect(r.failure).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.metrics.retransmits).toBeGreaterThan(10);
  expect(r.metrics.transfer_ms).toBeLessThan(10_000);
});

test("a host's net.ipv4.tcp_congestion_control and tcp_ecn: new sockets take them; an unknown one is a clear error", async () => {
  let seen = '';
  const r = await runScenario(
    probe(async (w) => {
      const a = w.host('a', { tcpCongestionControl: 'bbr', tcpEcn: 1 });
      const b = w.host('b');
      w.link(a, b, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'] });
      // The handshake's TCP flags: the SYN asks for ECN (tcp_ecn 1), the SYN-ACK accepts.
      const synFlags: number[] = [];
      w.net.events.on('packet', (e) => {
        if (e.dir === 'out' && e.frame[23] === 6 && e.frame[14 + 20 + 13]! & 0x02) synFlags.push(e.frame[14 + 20 + 13]!);
      });
      const server = w.process(b, { comm: 'srv' }, async (p) => {
        const l = p.socket(4, 'tcp');
        p.bind(l, '0.0.0.0:80');
        p.listen(l);
        const c = await p.accept(l);
        await p.recv(c);
      });
      await w.process(a, { comm: 'cli' }, async (p) => {
        const s = p.socket(4, 'tcp');
        await p.connect(s, '10.0.0.2:80');
        seen = `${p.api.getCongestion(s)} ${synFlags.join(',')}`;
        p.send(s, 'x');
      });
      await server;
    }),
  );
  expect(r.ok).toBe(true);
  expect(seen).toBe('bbr 194,82');
  const bad = await runScenario(probe((w) => void w.host('a', { tcpCongestionControl: 'vegas' })));
  expect(bad.failure?.code).toBe('E_HOST');
  expect(bad.failure?.message).toContain('tcpCongestionControl must be one of reno, cubic, bbr');
});
