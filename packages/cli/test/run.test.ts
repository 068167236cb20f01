import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

describe('bpfsim run / list', () => {
  test('run NAME: the timeline shows the hook refusing, the expectations, and exit 0', async () => {
    const io = new MemoryIo();
    expect(await runCli(['run', 'port-policy', '--no-color'], io)).toBe(0);
    expect(io.out).toMatch(/hook cgroup_inet4_post_bind \/web: port_policy→0 \(\d+ insns\) → EPERM/);
    expect(io.out).toMatch(/bind\(3, 0\.0\.0\.0:80\) = EPERM/);
    expect(io.out).toMatch(/port-policy: ok — 5 expectations met, 0 failed/);
  });

  test('--json: one event per line, a result line last; the same seed gives the same bytes', async () => {
    const a = new MemoryIo();
    const b = new MemoryIo();
    expect(await runCli(['run', 'single-ip', '--json', '--seed', '7'], a)).toBe(0);
    expect(await runCli(['run', 'single-ip', '--json', '--seed', '7'], b)).toBe(0);
    expect(a.out).toBe(b.out);
    const lines = a.out.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; ok?: boolean; seed?: number });
    expect(lines.at(-1)).toMatchObject({ kind: 'result', ok: true, seed: 7 });
    expect(new Set(lines.map((l) => l.kind))).toEqual(new Set(['syscall', 'hook', 'tcp', 'packet', 'expect', 'result']));
  });

  test('a failed expectation exits 1 and says which; a broken file exits 2 naming the place', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-run-'));
    const bad = path.join(dir, 'bad.ts');
    fs.writeFileSync(bad, 'import { scenario } from "@bpfsim/scenario";\nexport default scenario({ name: "bad", lesson: "fails", async run(w) { w.expect(1, "one is two").toBe(2); } });\n');
    const syn = path.join(dir, 'syn.ts');
    fs.writeFileSync(syn, 'export default 5 +\n');
    const io = new MemoryIo();
    expect(await runCli(['run', bad, '--no-color'], io)).toBe(1);
    expect(io.out).toMatch(/✗ one is two: expected 2, got 1/);
    expect(io.out).toMatch(/bad: FAILED \(E_EXPECT/);
    const io2 = new MemoryIo();
    expect(await runCli(['run', syn], io2)).toBe(2);
    expect(io2.err).toMatch(/syn\.ts:2:1: Unexpected end of file/);
    const io3 = new MemoryIo();
    expect(await runCli(['run', 'no-such-scenario'], io3)).toBe(2);
    expect(io3.err).toMatch(/^no-such-scenario: no scenario 'no-such-scenario'/);
    fs.rmSync(dir, { recursive: true });
  });

  test("the tutorial's example in scenarios/README.md runs as written", async () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../../scenarios/README.md'), 'utf8');
    const code = /```ts\n(\/\/ scenarios\/no-telnet\.ts[\s\S]*?)```/.exec(readme)![1]!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-readme-'));
    fs.writeFileSync(path.join(dir, 'no-telnet.ts'), code);
    const io = new MemoryIo();
    expect(await runCli(['run', path.join(dir, 'no-telnet.ts'), '--no-color'], io)).toBe(0);
    expect(io.out).toMatch(/no_telnet→0 \(4 insns\) → EPERM/);
    fs.rmSync(dir, { recursive: true });
  });

  test('--svg: a sequence diagram with a lane per host, packets as arrows between lanes, hook boxes', async () => {
    const io = new MemoryIo();
    expect(await runCli(['run', 'connect-lb', '--svg', 'lb.svg', '--trace', '3'], io)).toBe(0);
    const svg = new TextDecoder().decode(io.files.get('lb.svg')!);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    for (const h of ['client', 'web-a', 'web-b', 'web-c']) expect(svg).toContain(`font-weight="bold">${h}</text>`);
    // A SYN from the client's lane to a backend's lane, and the rewrite in a hook box.
    expect(svg).toMatch(/<line x1="240" y1="\d+" x2="580" y2="\d+" stroke="#2563eb" marker-end="url\(#arrow\)"\/>/);
    expect(svg).toContain('inet4_connect 10.96.0.10:80 ⇒ 10.0.1.2:8080 ok');
    // Text is escaped: no raw '<' or '&' inside text nodes.
    expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/[<&](?!amp;|lt;|gt;|quot;)/);
  });

  test('list: every scenario with its lesson', async () => {
    const io = new MemoryIo();
    expect(await runCli(['list'], io)).toBe(0);
    expect(io.out).toMatch(/^single-ip\s+bind4 \+ connect4 with bpf_bind/m);
    expect(io.out.trim().split('\n').length).toBe(fs.readdirSync(path.resolve(__dirname, '../../../scenarios')).filter((f) => f.endsWith('.ts')).length);
  });
});

describe('bpfsim bench-hook', () => {
  test('prints the added cost per call for each engine (and a Linux row), exit 0', async () => {
    const io = new MemoryIo({ 'p.s': 'r0 = 1\nexit\n' });
    // --no-kernel: npm test never touches the live kernel (that is npm run test:kernel's job).
    expect(await runCli(['bench-hook', 'p.s', '--attach-type', 'cgroup_inet4_bind', '--quick', '--no-kernel'], io)).toBe(0);
    expect(io.out).toMatch(/^p\.s on cgroup_inet4_bind \(bind\): ns per call, median/);
    expect(io.out).toMatch(/^bpfsim jit\s+\d+\s+[+-][\d.]+\s+[+-][\d.]+\s+[+-][\d.]+$/m);
    expect(io.out).toMatch(/^bpfsim interp\s+\d+/m);
    expect(io.out).toMatch(/^Linux: skipped \(--no-kernel\)/m);
  }, 60_000);
  test('an unknown attach type or a refused program: one line, exit 2', async () => {
    const io = new MemoryIo({ 'p.s': 'r0 = 1\nexit\n', 'bad.s': 'r0 = *(u32 *)(r1 + 1000)\nexit\n' });
    expect(await runCli(['bench-hook', 'p.s', '--attach-type', 'xdp'], io)).toBe(2);
    expect(io.err).toMatch(/--attach-type takes one of/);
    const io2 = new MemoryIo({ 'bad.s': 'r0 = *(u32 *)(r1 + 1000)\nexit\n' });
    expect(await runCli(['bench-hook', 'bad.s', '--attach-type', 'cgroup_inet4_bind', '--quick', '--no-kernel'], io2)).toBe(2);
    expect(io2.err.trim().split('\n')).toHaveLength(1);
  });
});
