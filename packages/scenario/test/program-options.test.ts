// What the playground asks of a run: replacement assembly for a program by name, the
// verifier log of every load, a record of each program (and of a refused one), the maps'
// contents at the end, and the interpreter instead of the JIT.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runScenario } from '../src';
import type { ScenarioDef } from '../src';

const scenarios = path.resolve(__dirname, '../../../scenarios');
// Scenario modules import '@bpfsim/scenario' (mapped to ../src by jest's moduleNameMapper).
const load = (name: string): ScenarioDef => (require(path.join(scenarios, `${name}.ts`)) as { default: ScenarioDef }).default;

test('the programs a scenario loads are recorded with their assembly and, at log level 2, the verifier log', async () => {
  const r = await runScenario(load('single-ip'), { programs: { logLevel: 2 } });
  expect(r.ok).toBe(true);
  expect(r.programs.map((p) => [p.host, p.name, p.type, p.attach, p.origin, p.ok])).toEqual([
    ['web', 'pin_bind', 'cgroup_sock_addr', 'cgroup_inet4_bind', 'asm', true],
    ['web', 'pin_connect', 'cgroup_sock_addr', 'cgroup_inet4_connect', 'asm', true],
  ]);
  const bind = r.programs[0]!;
  expect(bind.asm).toContain('user_ip4');
  expect(bind.overridden).toBe(false);
  // Level 2: one line per instruction with the state after it, and the stats line.
  expect(bind.log).toMatch(/^0: R1=ctx\(\) R10=fp0$/m);
  expect(bind.log).toMatch(/^processed \d+ insns/m);
});

test('an override replaces a program by name: the rewrite changes and the expectation that pinned it fails', async () => {
  const def = load('single-ip');
  const orig = await runScenario(def, { programs: { logLevel: 2 } });
  const asm = orig.programs[0]!.asm.replace('0x0300000a', '0x0400000a'); // 10.0.0.3 → 10.0.0.4
  const r = await runScenario(def, { programs: { override: { pin_bind: asm }, logLevel: 1 } });
  expect(r.programs[0]!.overridden).toBe(true);
  expect(r.programs[0]!.original).toBe(orig.programs[0]!.asm);
  const hook = r.events.find((e) => e.kind === 'hook' && e.hook === 'cgroup_inet4_bind');
  expect(hook && hook.kind === 'hook' ? hook.addr?.after : undefined).toBe('10.0.0.4:8080');
  expect(r.ok).toBe(false);
  expect(r.failure?.message).toContain('the wildcard bind landed on the tenant address');
});

test('a refused override ends the run with E_LOAD and keeps the verifier log and errno in its record', async () => {
  const bad = `r2 = *(u32 *)(r1 + 4)\n r0 = *(u64 *)(r2 + 0)\n exit`; // user_ip4 is a number, not a pointer
  const r = await runScenario(load('single-ip'), { programs: { override: { pin_bind: bad }, logLevel: 2 } });
  expect(r.ok).toBe(false);
  expect(r.failure?.code).toBe('E_LOAD');
  const rec = r.programs.find((p) => p.name === 'pin_bind')!;
  expect(rec.ok).toBe(false);
  expect(rec.error?.code).toBe('EACCES');
  expect(rec.log).toMatch(/^1: \(79\) r0 = \*\(u64 \*\)\(r2 \+0\)\nR2 invalid mem access 'scalar'$/m);
  expect(r.programs.some((p) => p.name === 'pin_connect')).toBe(false); // the scenario stopped there
});

test('an override that does not assemble names the line and column', async () => {
  const r = await runScenario(load('single-ip'), { programs: { override: { pin_bind: 'r0 = 1\n r0 +== 2\n exit' } } });
  expect(r.failure?.code).toBe('E_LOAD');
  const rec = r.programs.find((p) => p.name === 'pin_bind')!;
  expect(rec.error?.code).toBe('E_ASM');
  expect(rec.error?.message).toMatch(/:2:\d+: /);
});

test('dumpMaps reads every map at the end; an object brings its maps and read-only program listings', async () => {
  const r = await runScenario(load('c-object'), { dumpMaps: 16, programs: { logLevel: 1 } });
  expect(r.ok).toBe(true);
  const progs = r.programs.filter((p) => p.origin === 'object');
  expect(progs.map((p) => p.name)).toEqual(['port_range4', 'port_range6']);
  // The listing shows the C source lines from BTF line info above the instructions.
  expect(progs[0]!.asm).toMatch(/^\/\/ .*@ port_policy\.bpf\.c:\d+$/m);
  expect(progs[0]!.asm).toMatch(/^ {3}0: /m);
  const refusals = r.maps!.find((m) => m.name === 'refusals')!;
  expect(refusals.type).toBe('array');
  expect(refusals.entries.length).toBe(refusals.maxEntries);
  // The scenario's own reading of the counters is what the dump holds.
  const total = refusals.entries.reduce((s, e) => s + new DataView(e.value!.buffer, e.value!.byteOffset).getUint32(0, true), 0);
  expect(total).toBeGreaterThan(0);
});

test('the interpreter engine gives the same timeline as the JIT', async () => {
  const def = load('connect-lb');
  const a = await runScenario(def, { engine: 'jit' });
  const b = await runScenario(def, { engine: 'interp' });
  expect(a.ok).toBe(true);
  expect(JSON.stringify(b.events)).toBe(JSON.stringify(a.events));
});
