// Runs a Python probe of the live kernel (scripts/kernel/*.py) with JSON in and out, and
// says whether this machine lets us ask the kernel at all.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** scripts/kernel of the repository: found upwards from here (works from a bundle too). */
function findScripts(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'scripts', 'kernel', 'bpfsys.py'))) return path.join(dir, 'scripts', 'kernel');
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../../../scripts/kernel');
  }
}

export const SCRIPTS = findScripts();

/** Why the live kernel cannot be probed here, or undefined when it can. */
export function kernelUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (bpf() needs CAP_BPF and CAP_NET_ADMIN)';
  const r = spawnSync('python3', ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import bpfsys; fd, _ = bpfsys.prog_load(6, bytes.fromhex("b7000000020000009500000000000000")); print(fd)', SCRIPTS], { encoding: 'utf8' });
  if (r.status !== 0) return `bpf() refused: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
  return undefined;
}

export function probe<T>(script: string, input: unknown): T {
  const r = spawnSync('python3', [path.join(SCRIPTS, script)], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
