// The waiting socket calls of a scenario's process with a timeout (SO_RCVTIMEO/SO_SNDTIMEO):
// accept, recv and recvfrom fail with EAGAIN when nothing came in time, connect with
// EINPROGRESS (the handshake goes on), sendAll returns what was taken; the run goes on and
// the virtual clock shows the wait. Addresses come back structured; the uapi names exist.
import type { ScenarioDef, World } from '../src';
import { IPPROTO, SO, SOL, TCP, runScenario, scenario } from '../src';

const probe = (body: (w: World) => Promise<void>): ScenarioDef => scenario({ name: 'waiting_calls', lesson: 'timeouts', run: body });

/** Two hosts on a 1 ms link. */
function pair(w: World) {
  const a = w.host('a');
  const b = w.host('b');
  w.link(a, b, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'], delay: '1ms' });
  return { a, b };
}

/** The errno a call failed with (or 'ok'), and the virtual ms it took. */
async function timed(w: World, fn: () => Promise<unknown>): Promise<[string, number]> {
  const t0 = w.net.sim.now;
  try {
    await fn();
    return ['ok', (w.net.sim.now - t0) / 1e6];
  } catch (e) {
    return [(e as { code?: string }).code ?? String(e), (w.net.sim.now - t0) / 1e6];
  }
}

describe('timeouts', () => {
  test('accept and recv: EAGAIN after exactly the timeout; the process goes on', async () => {
    const seen: [string, number][] = [];
    const r = await runScenario(
      probe(async (w) => {
        const { b } = pair(w);
        await w.process(b, { comm: 'server' }, async (p) => {
          const l = p.socket(4, 'tcp');
          p.bind(l, '0.0.0.0:80');
          p.listen(l);
          seen.push(await timed(w, () => p.accept(l, { timeoutMs: 250 })));
          const u = p.socket(4, 'udp');
          p.bind(u, '0.0.0.0:53');
          seen.push(await timed(w, () => p.recvfrom(u, 512, { timeoutMs: 40 })));
          seen.push(await timed(w, () => p.recv(u, 512, { timeoutMs: 0 })));
        });
      }),
    );
    expect(r.ok).toBe(true);
    expect(seen).toEqual([
      ['EAGAIN', 250],
      ['EAGAIN', 40],
      ['EAGAIN', 0],
    ]);
    // The failures are on the timeline as the calls' results.
    expect(r.events.filter((e) => e.kind === 'syscall' && e.call === 'accept').map((e) => (e as { ret: string }).ret)).toEqual(['EAGAIN']);
  });

  test('a connection that comes in time is accepted; the timeouts leave no trace on the run', async () => {
    const run = (timeoutMs?: number) => {
      const got: string[] = [];
      const opts = timeoutMs === undefined ? {} : { timeoutMs };
      return runScenario(
        probe(async (w) => {
          const { a, b } = pair(w);
          const server = w.process(b, { comm: 'server' }, async (p) => {
            const l = p.socket(4, 'tcp');
            p.bind(l, '0.0.0.0:80');
            p.listen(l);
            const c = await p.acceptFrom(l, opts);
            got.push(`peer ${c.peer.family} ${c.peer.addr}`);
            got.push(await p.recvText(c.fd, 100, opts));
          });
          await w.process(a, { comm: 'client' }, async (p) => {
            const s = p.socket(4, 'tcp');
            await p.connect(s, '10.0.0.2:80', opts);
            const me = p.sockname(s);
            got.push(`me ${me.family} ${me.addr} ${me.port > 0}`);
            expect(p.peername(s)).toEqual({ family: 4, addr: '10.0.0.2', port: 80 });
            p.send(s, 'hello');
          });
          await server;
        }),
      ).then((r) => ({ r, got }));
    };
    const timed = await run(1000);
    expect(timed.r.ok).toBe(true);
    expect(timed.got).toEqual(['me 4 10.0.0.1 true', 'peer 4 10.0.0.1', 'hello']);
    // The same run without timeouts: the same events, the same end (no timer outlived its call).
    const plain = await run();
    expect(timed.r.endNs).toBe(plain.r.endNs);
    expect(timed.r.events.length).toBe(plain.r.events.length);
  });

  test('connect: EINPROGRESS when the handshake is not done in time, and it completes later', async () => {
    let state = '';
    const r = await runScenario(
      probe(async (w) => {
        const a = w.host('a');
        const b = w.host('b');
        w.link(a, b, { a: ['10.0.0.1/24'], b: ['10.0.0.2/24'], delay: '50ms' });
        void w.process(b, { comm: 'server' }, async (p) => {
          const l = p.socket(4, 'tcp');
          p.bind(l, '0.0.0.0:80');
          p.listen(l);
          await p.accept(l);
        });
        await w.process(a, { comm: 'client' }, async (p) => {
          const s = p.socket(4, 'tcp');
          const [errno, ms] = await timed(w, () => p.connect(s, '10.0.0.2:80', { timeoutMs: 30 }));
          state = `${errno} after ${ms} ms`;
          await p.sleep(200);
          state += `; then ${p.getsockopt(s, SOL.SOL_SOCKET, SO.SO_ERROR)}, peer ${p.getpeername(s)}`;
        });
      }),
    );
    expect(r.ok).toBe(true);
    expect(state).toBe('EINPROGRESS after 30 ms; then 0, peer 10.0.0.2:80');
  });

  test('a bad timeout is a scenario error naming it', async () => {
    const r = await runScenario(
      probe(async (w) => {
        const { b } = pair(w);
        await w.process(b, { comm: 'server' }, async (p) => {
          const u = p.socket(4, 'udp');
          await p.recv(u, 10, { timeoutMs: -1 });
        });
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.failure?.message).toMatch(/timeoutMs must be a finite number of milliseconds >= 0, not -1/);
  });
});

test('the uapi names for options: TCP_NODELAY through setsockopt and back', async () => {
  let v = -1;
  const r = await runScenario(
    probe(async (w) => {
      const { a } = pair(w);
      await w.process(a, { comm: 'app' }, async (p) => {
        const s = p.socket(4, 'tcp');
        p.setsockopt(s, IPPROTO.IPPROTO_TCP, TCP.TCP_NODELAY, 1);
        v = p.getsockopt(s, SOL.SOL_TCP, TCP.TCP_NODELAY);
      });
    }),
  );
  expect(r.ok).toBe(true);
  expect(v).toBe(1);
  expect([SOL.SOL_SOCKET, SO.SO_REUSEADDR, SO.SO_RCVTIMEO, TCP.TCP_CONGESTION]).toEqual([1, 2, 20, 13]);
});
