// Runs scripts/kernel/probe_tcp_wire.py for the lossy-tcp sweep's kernel tests, its progress (one
// line per run of a case on stderr) shown as it goes: the recording takes minutes.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { WireCase, WireGolden } from './tcp-wire-cases';

export const ROOT = path.join(__dirname, '../../..');
export const SWEEP_GOLDEN = path.join(__dirname, 'golden/tcp-wire-sweep.json');

export type WireRecording = Omit<WireGolden, 'cases' | 'recordedBy'> & { unavailable?: string };

/** Two runs per case (summary cases are not run again). */
export function recordWire(cases: WireCase[]): WireRecording {
  const r = spawnSync('python3', [path.join(ROOT, 'scripts/kernel/probe_tcp_wire.py')], {
    input: JSON.stringify({ cases, extraPasses: 0 }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`probe_tcp_wire.py failed (status ${r.status}${r.error ? `: ${r.error.message}` : ''})`);
  return JSON.parse(r.stdout) as WireRecording;
}
