import { runCli } from '../src';
import { SHOWCASE } from '../src/commands/showcase';
import { MemoryIo } from './memory-io';

describe('bpfsim showcase (npm start)', () => {
  test('runs each showcase scenario and prints one table row for it, the same bytes twice', async () => {
    const one = new MemoryIo();
    expect(await runCli(['showcase'], one)).toBe(0);
    // SK_MSG verdicts have a column of their own: sk-msg-drop-policy runs no cgroup hook.
    expect(one.out).toMatch(/^sk-msg-drop-policy\s+.+\s+3\/3\s+0\s+3\s+\d+\s+[\d.]+ ms\s+ok$/m);
    for (const name of SHOWCASE) expect(one.out).toMatch(new RegExp(`^${name}\\s+.+\\s+(\\d+)/\\1\\s+\\d+\\s+\\d+\\s+\\d+\\s+[\\d.]+ ms\\s+ok$`, 'm'));
    expect(one.out).toMatch(new RegExp(`^${SHOWCASE.length} of ${SHOWCASE.length} scenarios ok, \\d+ checks held`, 'm'));
    const two = new MemoryIo();
    expect(await runCli(['showcase'], two)).toBe(0);
    expect(two.out).toBe(one.out);
  });

  test('a bad seed is a usage error', async () => {
    const io = new MemoryIo();
    expect(await runCli(['showcase', '--seed', '-1'], io)).toBe(2);
    expect(io.err).toMatch(/--seed takes a non-negative integer/);
  });
});
