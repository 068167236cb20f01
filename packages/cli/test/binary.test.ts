// The built `bpfsim` binary, as a user runs it.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const bin = path.resolve(__dirname, '../bin/bpfsim.mjs');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { input, encoding: 'utf8', timeout: 60_000 });

test('assembles from standard input and exits 0', () => {
  const r = run(['asm', '-'], 'r0 = 42\nexit\n');
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toBe('b7 00 00 00 2a 00 00 00\n95 00 00 00 00 00 00 00\n');
});

test('bad input is one line on stderr and exit status 2, never a stack trace', () => {
  const r = run(['asm', '-'], 'r0 = = 1\n');
  expect(r.status).toBe(2);
  expect(r.stderr).toBe("<stdin>:1:6: unexpected '=' after =\n");
});
