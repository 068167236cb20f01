// The playground's run in Node (the page does the same in a browser): verifier logs parsed
// and mapped to editor lines, the traced program's runs recorded step by step and matching
// the hook runs of the timeline, edits, and the same timeline whichever engine runs.
import * as path from 'node:path';
import type { ScenarioDef } from '@bpfsim/scenario';
import { ctxFields, fmtReg, runPlayground, stackSlots } from '../src/core';

const scenarios = path.resolve(__dirname, '../../../scenarios');
const load = (name: string): ScenarioDef => (require(path.join(scenarios, `${name}.ts`)) as { default: ScenarioDef }).default;

test('single-ip: each run of the traced program is one bind4 hook run, step by step', async () => {
  const run = await runPlayground(load('single-ip'), { trace: 'pin_bind' });
  expect(run.result.ok).toBe(true);
  const view = run.programs.find((p) => p.record.name === 'pin_bind')!;
  const hooks = run.result.events.filter((e) => e.kind === 'hook' && e.progs.some((p) => p.id === view.record.progId));
  expect(run.traces.length).toBe(hooks.length);
  expect(run.traces.length).toBeGreaterThan(0);
  const t = run.traces[0]!;
  // A wildcard bind: r2 = user_ip4 = 0, the store of 10.0.0.3, r0 = 1, exit.
  expect(t.steps.map((s) => s.pc)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(t.steps[1]!.regs[2]).toBe(0n);
  expect(t.steps[3]!.regs[2]).toBe(0x0300000an);
  expect(t.retval).toBe(1);
  expect(t.final.regs[0]).toBe(1n);
  expect(t.ctxType).toBe('bpf_sock_addr');
  // Before the store the ctx holds the wildcard; after exit, 10.0.0.3 (network order).
  expect(ctxFields(t.steps[0]!.ctx, t.ctxType).find((f) => f.name === 'user_ip4')!.value).toBe('0x00000000');
  expect(ctxFields(t.final.ctx, t.ctxType).find((f) => f.name === 'user_ip4')!.value).toBe('0x0300000a (10.0.0.3)');
  expect(ctxFields(t.final.ctx, t.ctxType).find((f) => f.name === 'user_port')!.value).toBe('0x0000901f (port 8080)');
  // r1 is the ctx pointer, r10 the frame pointer.
  expect(fmtReg(t.steps[0]!.regs[1]!, t.layout)).toBe('ctx');
  expect(fmtReg(t.steps[0]!.regs[10]!, t.layout)).toBe('fp-0');
  // Every instruction's line in the editor text.
  expect(view.lines.get(0)).toBe(view.record.asm.split('\n').findIndex((l) => l.includes('r2 = *(u32 *)(r1 + 4)')) + 1);
  expect(view.model.stats?.processed).toBeGreaterThan(0);
  expect(view.model.error).toBeUndefined();
});

test('single-ip: the connect4 program writes a sockaddr on its stack for bpf_bind', async () => {
  const run = await runPlayground(load('single-ip'), { trace: 'pin_connect' });
  const t = run.traces[0]!;
  const beforeCall = t.steps.findIndex((s) => run.programs[1]!.disasm.get(s.pc)?.startsWith('call'));
  expect(beforeCall).toBeGreaterThan(0);
  const slots = stackSlots(t.steps[beforeCall]!.stack);
  // fp-16: family 2, port 0, 10.0.0.3; fp-8: zero (not listed).
  expect(slots).toEqual([{ slot: 'fp-16', hex: '02 00 00 00 0a 00 00 03', u64: String(0x0300000a00000002n) }]);
  expect(fmtReg(t.steps[beforeCall]!.regs[2]!, t.layout)).toBe('fp-16');
});

test("a refused edit: the error's instruction is mapped to the editor line", async () => {
  const bad = '// broken\nr2 = *(u32 *)(r1 + 4)\n\nr0 = *(u64 *)(r2 + 0)\nexit\n';
  const run = await runPlayground(load('single-ip'), { edits: { pin_bind: bad }, trace: 'pin_bind' });
  expect(run.result.failure?.code).toBe('E_LOAD');
  const v = run.programs.find((p) => p.record.name === 'pin_bind')!;
  expect(v.record.ok).toBe(false);
  expect(v.model.error?.insn).toBe(1);
  expect(v.errorLine).toBe(4);
  expect(v.model.error?.message).toBe("R2 invalid mem access 'scalar'");
  expect(run.traces).toEqual([]);
});

test('the interpreter engine and the traced program leave the timeline as the JIT gives it', async () => {
  const def = load('connect-lb');
  const jit = await runPlayground(def, {});
  const interp = await runPlayground(def, { engine: 'interp', trace: jit.programs[0]!.record.name });
  expect(JSON.stringify(interp.result.events)).toBe(JSON.stringify(jit.result.events));
  expect(interp.traces.length).toBeGreaterThan(0);
  expect(interp.traces.every((t) => !t.fault && t.steps.length > 0)).toBe(true);
});

test('an object program: a read-only listing with source lines; its runs trace like any other', async () => {
  const run = await runPlayground(load('c-object'), { trace: 'port_range4' });
  expect(run.result.ok).toBe(true);
  const v = run.programs.find((p) => p.record.name === 'port_range4')!;
  expect(v.record.origin).toBe('object');
  expect(v.lines.size).toBe(v.disasm.size);
  expect(run.traces.length).toBeGreaterThan(0);
  expect(run.traces.map((t) => t.retval)).toContain(0); // a refused port
  expect(run.traces.map((t) => t.retval)).toContain(1);
  expect(run.traces[0]!.ctxType).toBe('bpf_sock');
});

test('the trace keeps the first runs only, and cuts long runs short', async () => {
  const run = await runPlayground(load('single-ip'), { trace: 'pin_bind', maxTraceRuns: 1, maxTraceSteps: 3 });
  expect(run.traces.length).toBe(1);
  expect(run.traces[0]!.steps.length).toBe(3);
  expect(run.traces[0]!.truncated).toBe(true);
  expect(run.traces[0]!.retval).toBe(1); // the run itself went on to the end
});

test('an SK_MSG program: one trace per verdict run, with the sk_msg_md ctx', async () => {
  const run = await runPlayground(load('sk-msg-drop-policy'), { trace: 'dlp' });
  const msgs = run.result.events.filter((e) => e.kind === 'msg');
  expect(run.traces.map((t) => t.retval)).toEqual(msgs.map((e) => (e.kind === 'msg' ? e.prog.ret : -1)));
  expect(run.traces.map((t) => t.retval)).toEqual([1, 0, 1]);
  const t = run.traces[1]!;
  expect(t.ctxType).toBe('sk_msg_md');
  expect(ctxFields(t.steps[0]!.ctx, t.ctxType).find((f) => f.name === 'size')!.value).toBe('0x00000014'); // 20 bytes
  // r2 = data, r3 = data_end: pointers into the message's bytes (not the ctx or the stack),
  // 20 bytes apart.
  const s2 = t.steps[2]!;
  expect(fmtReg(s2.regs[2]!, t.layout)).toMatch(/^pointer \(region \d+, offset 0\)$/);
  expect(s2.regs[3]! - s2.regs[2]!).toBe(20n);
});

test('two hosts load a program of the same name: "host/name" picks one for the trace and for an edit', async () => {
  const def = load('sendfile-profiles');
  const plain = await runPlayground(def, { trace: 'linux-4-17/probe' });
  expect(plain.programs.map((p) => `${p.record.host}/${p.record.name}`)).toEqual(['linux-6-18/probe', 'linux-4-17/probe']);
  // The trace is the 4.17 host's: its sendfile shows the program no bytes (data == data_end).
  expect(plain.traces.length).toBeGreaterThan(0);
  const t = plain.traces[0]!;
  const first = t.steps[0]!;
  expect(ctxFields(first.ctx, t.ctxType).find((f) => f.name === 'data')!.value).toBe(ctxFields(first.ctx, t.ctxType).find((f) => f.name === 'data_end')!.value);
  // An edit by host/name changes that host's program only.
  const asm = plain.programs[1]!.record.asm.replace(/^/, '// edited\n');
  const edited = await runPlayground(def, { edits: { 'linux-4-17/probe': asm } });
  expect(edited.programs.map((p) => p.record.overridden)).toEqual([false, true]);
});
