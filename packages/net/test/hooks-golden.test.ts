// Replays every case of golden/hooks.json (cgroup socket hooks on real sockets, recorded from
// the live kernel by hooks.kernel.test.ts) in bpfsim: same attach results, same answers to
// every socket call, same map contents.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HooksGolden } from './hooks-cases';
import { hookCases } from './hooks-cases';
import { replayHooks } from './hooks-replay';

const golden = JSON.parse(fs.readFileSync(path.join(__dirname, 'golden/hooks.json'), 'utf8')) as HooksGolden;

test('the recorded cases are the cases this checkout defines (re-record with npm run test:kernel)', () => {
  expect(golden.cases).toEqual(hookCases());
});

test('the suite covers every socket attach type, IPv4 and IPv6, TCP and UDP, parent and child cgroups', () => {
  const attach = new Set(golden.cases.flatMap((c) => c.progs.map((p) => p.attach)));
  for (const t of ['inet_sock_create', 'inet_sock_release', 'inet4_post_bind', 'inet6_post_bind', 'inet4_bind', 'inet6_bind', 'inet4_connect', 'inet6_connect', 'udp4_sendmsg', 'udp6_sendmsg', 'udp4_recvmsg', 'udp6_recvmsg', 'inet4_getpeername', 'inet4_getsockname', 'inet6_getsockname']) {
    expect(attach).toContain(`cgroup_${t}`);
  }
  const socks = golden.cases.flatMap((c) => c.steps.flatMap((s) => (s.op === 'socket' ? [`${s.family}/${s.type}`] : [])));
  expect(new Set(socks)).toEqual(new Set(['4/tcp', '4/udp', '6/tcp', '6/udp']));
  expect(golden.cases.some((c) => c.progs.some((p) => p.cg === 'p') && c.progs.some((p) => p.cg === 'c'))).toBe(true);
  expect(golden.cases.length).toBeGreaterThanOrEqual(40);
});

describe.each(golden.cases.map((c, i) => [c.id, c, golden.results[i]!] as const))('%s', (_id, c, want) => {
  test(c.lesson, () => {
    expect(replayHooks(c)).toEqual(want);
  });
});
