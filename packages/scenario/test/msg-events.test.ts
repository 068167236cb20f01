// SK_MSG verdict runs are on the timeline ('msg' events): what the program returned, what it
// meant for the bytes (pass, drop → EACCES, redirect and where), apply/cork bytes; in the
// text timeline and the sequence diagram.
import * as path from 'node:path';
import type { MsgTimelineEvent, ScenarioDef } from '../src';
import { formatEvent, renderSvg, runScenario } from '../src';

const load = (name: string): ScenarioDef => (require(path.resolve(__dirname, '../../../scenarios', `${name}.ts`)) as { default: ScenarioDef }).default;
const msgs = (events: { kind: string }[]): MsgTimelineEvent[] => events.filter((e): e is MsgTimelineEvent => e.kind === 'msg');

test('sk-msg-drop-policy: pass, drop (the send fails with EACCES), pass on a new socket', async () => {
  const r = await runScenario(load('sk-msg-drop-policy'));
  expect(r.ok).toBe(true);
  const m = msgs(r.events);
  expect(m.map((e) => [e.verdict, e.prog.ret, e.size])).toEqual([
    ['pass', 1, 15],
    ['drop', 0, 20],
    ['pass', 1, 16],
  ]);
  // The drop is followed by the send's EACCES on the same timeline.
  const i = r.events.indexOf(m[1]!);
  const next = r.events.slice(i + 1).find((e) => e.kind === 'syscall');
  expect(next && next.kind === 'syscall' ? next.ret : '').toBe('EACCES');
  expect(formatEvent(m[1]!, { level: 1, color: false })).toMatch(/sk_msg tcp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:5140: 20 bytes: dlp→0 \(\d+ insns\) → drop \(EACCES\)$/);
  expect(formatEvent(m[1]!, { level: 0, color: false })).toBeUndefined();
  expect(renderSvg(r, r.links, { level: 1 })).toContain('sk_msg 20 B drop');
});

test('localhost-bypass: each message is redirected into the peer socket (ingress)', async () => {
  const r = await runScenario(load('localhost-bypass'));
  const m = msgs(r.events);
  expect(m.length).toBeGreaterThan(0);
  for (const e of m) {
    expect(e.verdict).toBe('redirect');
    expect(e.redirect?.ingress).toBe(true);
    // The target is the other end of the sender's connection.
    const [, a, b] = /^tcp (\S+) -> (\S+)$/.exec(e.socket)!;
    expect(e.redirect?.socket).toBe(`tcp ${b} -> ${a}`);
  }
});

test('message-policy: cork_bytes and apply_bytes show on the run that set them', async () => {
  const r = await runScenario(load('message-policy'));
  const m = msgs(r.events);
  expect(m.some((e) => e.corkBytes > 0)).toBe(true);
  expect(m.some((e) => e.applyBytes > 0)).toBe(true);
  expect(m.some((e) => e.verdict === 'drop')).toBe(true);
});
