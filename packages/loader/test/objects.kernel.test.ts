// `npm run test:kernel`: records what libbpf and the live kernel make of the example objects
// (scripts/kernel/probe_objects.py → golden/kernel-objects.json) and their level-2 verifier
// logs (scripts/kernel/probe_object_logs.py → golden/kernel-logs.json); objects-golden and
// objects-log then check bpfsim against the fresh recording, in this run and in `npm test`.
// Needs root, bpf(), libbpf.so.1 and a bpffs mount; skips with the reason otherwise.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { kernelUnavailable } from '@bpfsim/test-support';

const root = path.resolve(__dirname, '../../..');
const why = kernelUnavailable() ?? (fs.existsSync('/usr/lib/x86_64-linux-gnu/libbpf.so.1') || fs.existsSync('/usr/lib/libbpf.so.1') ? undefined : 'libbpf.so.1 is not installed (apt-get install libbpf1)');

if (why) {
  test.skip(`live kernel not available: ${why}`, () => {});
} else {
  // Kernel addresses and the xlated lengths of programs that carry them are the only things
  // that may change from run to run.
  const stable = (text: string): string => text.replace(/0xffff[0-9a-f]{12}/g, '<addr>');
  test.each([
    ['probe_objects.py', 'kernel-objects.json'],
    ['probe_object_logs.py', 'kernel-logs.json'],
  ])('%s records what the committed golden/%s says', (script, file) => {
    const tmp = path.join(fs.mkdtempSync('/tmp/bpfsim-objects-'), file);
    const out = execFileSync('python3', [path.join(root, 'scripts/kernel', script), '--out', tmp], { cwd: root, encoding: 'utf8', timeout: 300_000 });
    expect(out).toMatch(/^wrote /m);
    const fresh = JSON.parse(fs.readFileSync(tmp, 'utf8')) as { objects: unknown };
    const committed = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden', file), 'utf8')) as { objects: unknown };
    expect(stable(JSON.stringify(fresh.objects))).toBe(stable(JSON.stringify(committed.objects)));
    fs.rmSync(path.dirname(tmp), { recursive: true });
  });
}
