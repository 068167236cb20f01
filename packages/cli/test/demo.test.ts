import { runCli } from '../src';
import { MemoryIo } from './memory-io';

describe('bpfsim demo', () => {
  test('the showcase runs: the policy refuses :80 with EPERM, marks sockets, serves on :8080 — the same bytes twice', async () => {
    const one = new MemoryIo();
    expect(await runCli(['demo'], one)).toBe(0);
    expect(one.out).toMatch(/bind\(10\.0\.0\.1:80\) -> EPERM/);
    expect(one.out).toMatch(/SO_MARK 0x42/);
    expect(one.out).toMatch(/read 25 bytes: "HTTP\/1\.0 200 OK"/);
    expect(one.out).toMatch(/TCP_LAST_ACK -> TCP_CLOSE/);
    const two = new MemoryIo();
    await runCli(['demo'], two);
    expect(two.out).toBe(one.out);
  });

  test('--json prints the timeline as JSON lines; a bad seed is a usage error', async () => {
    const io = new MemoryIo();
    expect(await runCli(['demo', '--json'], io)).toBe(0);
    const lines = io.out.trim().split('\n').map((l) => JSON.parse(l) as { what: string });
    expect(lines.filter((l) => l.what === 'hook')).toHaveLength(3);
    const bad = new MemoryIo();
    expect(await runCli(['demo', '--seed', 'x'], bad)).toBe(2);
    expect(bad.err).toMatch(/--seed takes a non-negative integer/);
  });
});
