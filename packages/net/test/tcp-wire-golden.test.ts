// Replays every wire trace of golden/tcp-wire.json (recorded from this machine's Linux 6.18
// by tcp-wire.kernel.test.ts) in bpfsim, with the same socket calls at the same times, and
// compares packet for packet: direction, flags, seq, ack, length, window, options, and the
// gap before each packet within the timer wheel's tolerance (tcp-wire-compare.ts).
// The cases listed in EXACT come out identical and must stay so; the others are reported
// with their first difference (the work that remains: see the README's "TCP as modelled").
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WireGolden } from './tcp-wire-cases';
import { wireClockBase, wirePacketLine } from './tcp-wire-cases';
import { compareWire } from './tcp-wire-compare';
import { replayWire } from './tcp-wire-replay';

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/tcp-wire.json'), 'utf8')) as WireGolden;

/** Cases bpfsim replays packet for packet as the kernel sent them. */
const EXACT = new Set([
  'handshake', 'handshake-v6', 'handshake-rcvbuf-client', 'handshake-rcvbuf-listener', 'handshake-maxseg-1000', 'handshake-maxseg-listener-536',
  'request-response', 'request-response-v6', 'request-response-server-closes', 'request-response-server-closes-v6',
  'delayed-ack-pingpong', 'quickack', 'nagle', 'nagle-v6', 'nagle-nodelay', 'nagle-three-writes', 'fin-piggyback', 'cork', 'cork-200ms-ceiling',
  'sndbuf-small', 'idle-short', 'idle-restart', 'linger0-close', 'linger0-close-v6', 'close-unread', 'simultaneous-close', 'data-after-peer-closed',
  'bulk-100k', 'bulk-100k-v6', 'half-close', 'half-close-v6',
  'closed-port', 'closed-port-v6', 'listener-closed', 'keepalive', 'keepalive-dead-peer',
  'drop-syn', 'drop-syn-v6', 'drop-synack', 'drop-final-ack', 'drop-final-ack-idle', 'drop-request', 'drop-request-v6', 'drop-response-last', 'drop-fin-client', 'drop-fin-server', 'accept-late', 'backlog-full',
]);

const runs = golden.cases.map((c, i) => {
  const k = golden.results[i]!;
  const sim = replayWire(c, i, { stepTimes: k.steps.map((s) => s.t), clockBase: wireClockBase(k), io: k.events });
  return { c, k, sim, d: compareWire(k.packets, sim.packets, k.jitterUs) };
});

test('the recording: 56 cases from Linux 6.18, IPv4 and IPv6, most stable across two runs', () => {
  expect(golden.cases.length).toBeGreaterThanOrEqual(40);
  expect(golden.cases.some((c) => c.family === 6)).toBe(true);
  expect(golden.results.filter((r) => r.stable).length).toBeGreaterThanOrEqual(45);
  // Each case knows where its jiffies stood, so a replay's timers tick where the kernel's did.
  expect(golden.results.every((r) => typeof r.jiffiesAtStart === 'number' && typeof r.tickPhaseUs === 'number')).toBe(true);
  expect(golden.sysctls['net.ipv4.tcp_sack']).toBe(1);
});

test.each(runs.filter((r) => EXACT.has(r.c.id)).map((r) => [r.c.id, r] as const))('identical to Linux: %s', (_id, r) => {
  const lines = (ps: typeof r.sim.packets): string[] => ps.map(wirePacketLine);
  if (r.d.first) throw new Error(`${r.d.first}\nkernel:\n${lines(r.k.packets).join('\n')}\nbpfsim:\n${lines(r.sim.packets).join('\n')}`);
  expect(r.d.prefix).toBe(r.k.packets.length);
});

test('every case replays to its end, and the report adds up', () => {
  const same = runs.filter((r) => !r.d.first).length;
  const aligned = runs.reduce((n, r) => n + r.d.aligned, 0);
  const total = runs.reduce((n, r) => n + r.d.kernel, 0);
  // A case that has become identical belongs in EXACT (so it stays so).
  expect(runs.filter((r) => !r.d.first && !EXACT.has(r.c.id)).map((r) => r.c.id)).toEqual([]);
  expect(same).toBe(EXACT.size);
  expect(aligned / total).toBeGreaterThan(0.4);
});
