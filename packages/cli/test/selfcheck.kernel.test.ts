// `bpfsim selfcheck` live (npm run test:kernel, as root): the corpus and 400 random programs
// loaded into this machine's kernel beside bpfsim's verifier; every verdict must agree.
import * as os from 'node:os';
import { kernelUnavailable } from '@bpfsim/test-support';
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

const why = kernelUnavailable();

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  test('live: this machine\'s kernel and bpfsim agree on every verdict', async () => {
    const io = new MemoryIo();
    expect(await runCli(['selfcheck', '--random', '400', '--seed', '77', '--json'], io)).toBe(0);
    const out = JSON.parse(io.out) as { live: boolean; kernel: string; rows: { suite: string; programs: number; bpfsimAccepts: number; bpfsimRefuses: number }[]; disagreements: { kind: string; id: string }[] };
    expect(out.live).toBe(true);
    expect(out.kernel).toBe(os.release());
    expect(out.rows[0]!.programs).toBeGreaterThan(1300);
    expect(out.disagreements.filter((d) => d.kind !== 'message').map((d) => d.id)).toEqual([]);
  }, 600_000);
}
