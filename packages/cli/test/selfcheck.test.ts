// `bpfsim selfcheck` without the live kernel (--no-kernel): bpfsim's verifier against the
// verdicts recorded on the reference machine, the corpus and the random slice; and its usage
// errors. (The live run is `npm run test:kernel`'s selfcheck.kernel.test.ts.)
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

interface Row {
  suite: string;
  programs: number;
  agree: number;
  message: number;
  bpfsimAccepts: number;
  bpfsimRefuses: number;
  skipped: number;
}

describe('bpfsim selfcheck', () => {
  test('--no-kernel: every recorded verdict is bpfsim\'s, every program compared', async () => {
    const io = new MemoryIo();
    expect(await runCli(['selfcheck', '--no-kernel', '--json'], io)).toBe(0);
    const out = JSON.parse(io.out) as { live: boolean; why: string; kernel: string; rows: Row[]; disagreements: { kind: string }[] };
    expect(out.live).toBe(false);
    expect(out.why).toBe('--no-kernel');
    expect(out.kernel).toMatch(/^6\.18\./);
    expect(out.rows.map((r) => r.suite)).toEqual(['verifier corpus', 'verifier random (socket_filter)', 'verifier random (xdp)']);
    const corpus = out.rows[0]!;
    expect(corpus.programs).toBeGreaterThan(1300);
    for (const r of out.rows) {
      expect(r.bpfsimAccepts + r.bpfsimRefuses + r.skipped).toBe(0);
      expect(r.agree + r.message).toBe(r.programs);
      // The error sentences too, for all but a handful.
      expect(r.message / r.programs).toBeLessThan(0.01);
    }
    expect(out.rows[1]!.programs + out.rows[2]!.programs).toBeGreaterThan(4500);
    expect(out.disagreements.every((d) => d.kind === 'message')).toBe(true);
  }, 180_000);

  test.each([
    [['--suite', 'nope'], /--suite takes one of verifier, hooks, sockmap, tracing, ports, wire, all, not 'nope'/],
    [['--suite', 'wire'], /the wire suite is not in selfcheck yet/],
    [['--random', '-3'], /--random takes a whole number, not '-3'/],
    [['--seed', 'x'], /--seed takes a whole number, not 'x'/],
  ])('usage: %j', async (args, message) => {
    const io = new MemoryIo();
    expect(await runCli(['selfcheck', ...args], io)).toBe(2);
    expect(io.err).toMatch(message);
    expect(io.err).not.toMatch(/\n\s+at /);
  });
});
