// Asking the live kernel from a benchmark: whether bpf() works, and the Python probes.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const SCRIPTS = path.resolve(__dirname, '../scripts/kernel');

export function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root';
  const r = spawnSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import bpfsys; bpfsys.prog_load(6, bytes.fromhex("b7000000020000009500000000000000"))', SCRIPTS], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `bpf() refused: ${(r.stderr || '').trim().split('\n').pop()}`;
}

export function probe<T>(script: string, input: unknown): T {
  const r = spawnSync('python3', [path.join(SCRIPTS, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
