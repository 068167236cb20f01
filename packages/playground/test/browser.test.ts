// The playground in real headless Chromium (Debian's chromium, driven by playwright-core):
// the page loads cleanly, a scenario's timeline shows the hook's rewrite, a refused program
// is marked on its line, the debugger's registers match the interpreter's, a link restores
// the state, the page works without eval (CSP) and on a narrow screen, and the keyboard
// reaches everything. Screenshots of each state go to test/artifacts/ (not committed).
//
// .ci/run installs Debian's chromium; where it is missing (a machine without it), the suite
// is skipped with the reason printed. CHROMIUM=/path/to/chrome picks another binary.
import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { ScenarioDef } from '@bpfsim/scenario';
import { encodeState, runPlayground } from '../src/core';
import { VmProgram, Memory, ExecContext, runCtx } from '@bpfsim/vm';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const have = fs.existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`no Chromium at ${CHROMIUM}: .ci/run installs Debian's chromium for these tests`);
if (!have) console.warn(`playground browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
const suite = have ? describe : describe.skip;

const ARTIFACTS = path.join(__dirname, 'artifacts');
const scenarios = path.resolve(__dirname, '../../../scenarios');
const loadDef = (name: string): ScenarioDef => (require(path.join(scenarios, `${name}.ts`)) as { default: ScenarioDef }).default;

jest.setTimeout(120_000);

suite('playground in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let base: string;
  let out: string;

  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-playground-'));
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The page as `npm run playground` builds and serves it.
    const { buildPlayground } = require('../scripts/build.cjs') as { buildPlayground: (o: object) => Promise<unknown> };
    const { serveDir } = require('../scripts/serve.cjs') as { serveDir: (d: string, o: object) => Promise<Server> };
    await buildPlayground({ out, quiet: true });
    server = await serveDir(out, { port: 0 });
    const addr = server.address();
    base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    if (out) fs.rmSync(out, { recursive: true, force: true });
  });

  /** A page with its console errors and uncaught exceptions collected. */
  async function open(url: string, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    await page.goto(url);
    return { page, errors };
  }

  /** Waits for the current run to end (the status line says how it went). */
  async function settled(page: Page): Promise<string> {
    await page.waitForFunction(() => {
      const s = document.getElementById('status');
      return !!s && /\b(ok|FAILED|E_[A-Z_]+|failed|stopped)\b/.test(s.textContent ?? '') && !(document.getElementById('run') as HTMLButtonElement).disabled;
    });
    return (await page.textContent('#status')) ?? '';
  }

  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });

  test('the page loads without console errors and runs the first scenario', async () => {
    const { page, errors } = await open(`${base}/`);
    const status = await settled(page);
    expect(status).toMatch(/: ok, \d+\/\d+ checks held/);
    expect(await page.textContent('#engine')).toContain('JIT');
    // Every scenario of scenarios/ is offered.
    const options = await page.$$eval('#scenario option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    const files = fs.readdirSync(scenarios).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
    expect(options.sort()).toEqual(files);
    await shot(page, '1-loaded');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('every scenario runs in the page and its checks hold', async () => {
    const { page, errors } = await open(`${base}/`);
    await settled(page);
    const ids = await page.$$eval('#scenario option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    const results: string[] = [];
    for (const id of ids) {
      await page.selectOption('#scenario', id);
      await page.waitForFunction((name) => (document.getElementById('status')!.textContent ?? '').startsWith(`${name}:`) && !(document.getElementById('run') as HTMLButtonElement).disabled, id);
      results.push(await settled(page));
    }
    expect(results.filter((r) => !/: ok, (\d+)\/\1 checks held/.test(r))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a scenario runs and its timeline shows the hook's rewrite", async () => {
    const { page, errors } = await open(`${base}/#${encodeState({ scenario: 'single-ip' })}`);
    expect(await settled(page)).toMatch(/single-ip: ok/);
    const rewrites = await page.$$eval('#events .rewrite', (els) => els.map((e) => e.textContent));
    expect(rewrites).toContain('10.0.0.3:8080');
    const line = await page.$eval('#events .rewrite', (e) => e.parentElement!.textContent);
    expect(line).toMatch(/hook cgroup_inet4_bind \/tenant-b 0\.0\.0\.0:8080 ⇒ 10\.0\.0\.3:8080: pin_bind→1/);
    // The sequence diagram annotates the same rewrite.
    expect(await page.$eval('#diagram svg', (s) => s.textContent)).toContain('10.0.0.3:8080');
    await shot(page, '2-timeline-rewrite');
    expect(errors).toEqual([]);
    await page.close();
  });

  test("a refused program shows the verifier's error on its line", async () => {
    // Line 3 dereferences a number: the verifier refuses insn 1 ("R2 invalid mem access 'scalar'").
    const bad = '// a broken bind4 program\nr2 = *(u32 *)(r1 + 4)\nr0 = *(u64 *)(r2 + 0)\nexit\n';
    const { page, errors } = await open(`${base}/#${encodeState({ scenario: 'single-ip', program: 'pin_bind', edits: { pin_bind: bad } })}`);
    expect(await settled(page)).toMatch(/E_LOAD/);
    expect(await page.textContent('#verdict-text')).toMatch(/refused at line 3 \(insn 1\).*EACCES R2 invalid mem access 'scalar'/);
    const marked = await page.$$eval('.cm-error-line', (els) => els.map((e) => e.textContent));
    expect(marked).toEqual(['r0 = *(u64 *)(r2 + 0)']);
    // The log tab opened by itself, with the refusal marked.
    expect(await page.getAttribute('#tab-verifier', 'aria-selected')).toBe('true');
    expect(await page.textContent('#log .err')).toContain("R2 invalid mem access 'scalar'");
    await shot(page, '3-verifier-error');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('hovering a line shows the register state the verifier tracked there', async () => {
    const { page } = await open(`${base}/#${encodeState({ scenario: 'single-ip', program: 'pin_bind' })}`);
    await settled(page);
    const line = page.locator('.cm-line', { hasText: '*(u32 *)(r1 + 4) = r2' });
    await line.hover({ position: { x: 12, y: 6 } });
    const tip = page.locator('.reg-tip');
    await tip.waitFor();
    expect(await tip.textContent()).toMatch(/R1=ctx\(\)/);
    await shot(page, '4-verifier-hover');
    await page.close();
  });

  test("step-through shows register values that match the interpreter's", async () => {
    const { page, errors } = await open(`${base}/#${encodeState({ scenario: 'single-ip', program: 'pin_bind', panel: 'step' })}`);
    await settled(page);
    // The same run in Node, and the program re-run by the plain interpreter on the ctx the
    // trace recorded at its first instruction.
    const run = await runPlayground(loadDef('single-ip'), { trace: 'pin_bind' });
    const t = run.traces[0]!;
    const memory = new Memory();
    const ctx = memory.alloc(t.steps[0]!.ctx!.length, { kind: 'ctx', name: 'bpf_sock_addr' });
    ctx.bytes.set(t.steps[0]!.ctx!);
    const C = new ExecContext(memory, {});
    const insns = run.programs.find((p) => p.record.name === 'pin_bind')!;
    const vmProg = new VmProgram(require('@bpfsim/isa').assemble(insns.record.asm).insns);
    const plain = runCtx(vmProg, 'interp', C, ctx);
    expect(plain.fault).toBeUndefined();

    const regCell = (r: number, col: 1 | 2): Promise<string> => page.$eval(`#regs tbody tr:nth-child(${r + 1}) td:nth-child(${col + 1})`, (e) => e.textContent ?? '');
    // Step by step, r2 in the page is what the trace recorded.
    for (let k = 0; k < t.steps.length; k++) {
      expect(await page.textContent('#step-pos')).toContain(`step ${k} of ${t.steps.length}`);
      expect(await regCell(2, 1)).toBe(`0x${t.steps[k]!.regs[2]!.toString(16)}`);
      await page.click('#step-next');
    }
    // After exit: r0 and the rewritten user_ip4 are the plain interpreter's.
    expect(await page.textContent('#step-insn')).toContain(`after exit: r0 = ${plain.retval}`);
    expect(await regCell(0, 1)).toBe(`0x${plain.retval.toString(16)}`);
    const userIp4 = await page.$eval('#ctx tbody', (b) => [...b.querySelectorAll('tr')].find((tr) => tr.children[1]!.textContent === 'user_ip4')!.children[2]!.textContent);
    expect(userIp4).toBe(`0x${ctx.view.getUint32(4, true).toString(16).padStart(8, '0')} (10.0.0.3)`);
    // The keyboard steps too.
    await page.focus('#panel-step');
    await page.keyboard.press('Home');
    expect(await page.textContent('#step-pos')).toContain('step 0 of');
    await page.keyboard.press('ArrowRight');
    expect(await page.textContent('#step-pos')).toContain('step 1 of');
    // Run to cursor: the cursor on the exit line stops at the exit step.
    await page.locator('.cm-line', { hasText: /^\s*exit\s*$/ }).click();
    await page.click('#step-cursor');
    expect(await page.textContent('#step-pos')).toContain(`step ${t.steps.length - 1} of`);
    expect(await page.textContent('#step-insn')).toMatch(/next: insn \d+: exit/);
    await shot(page, '5-step-through');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a shared link restores the scenario, the program, the edit and the panel', async () => {
    const { page } = await open(`${base}/#${encodeState({ scenario: 'connect-lb' })}`);
    await settled(page);
    // Edit the program in the editor: a comment line at the top.
    await page.click('.cm-content');
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('// edited for the class\n');
    await page.click('#tab-maps');
    const url = page.url();
    const edited = await page.evaluate(() => (window as unknown as { bpfsim: { run: unknown } }) && document.querySelector('.cm-content')!.textContent);
    await page.close();

    const { page: again, errors } = await open(url);
    expect(await settled(again)).toMatch(/connect-lb: ok/);
    expect(await again.$eval('#scenario', (s) => (s as HTMLSelectElement).value)).toBe('connect-lb');
    expect(await again.$eval('.cm-content', (e) => e.textContent)).toBe(edited);
    expect(await again.$eval('.cm-content', (e) => e.textContent)).toContain('// edited for the class');
    expect(await again.getAttribute('#tab-maps', 'aria-selected')).toBe('true');
    expect(await again.textContent('#program option:checked')).toContain('edited');
    await shot(again, '6-shared-link');
    expect(errors).toEqual([]);
    await again.close();
  });

  test('under a CSP that forbids eval, the page says so and runs on the interpreter', async () => {
    const { page, errors } = await open(`${base}/strict.html#${encodeState({ scenario: 'connect-lb' })}`);
    expect(await settled(page)).toMatch(/connect-lb: ok.*\(interpreter\)/);
    expect(await page.textContent('#engine')).toMatch(/interpreter/);
    await shot(page, '7-csp-interpreter');
    // The only console error allowed is Chromium's report of the refused eval probe.
    expect(errors.filter((e) => !/Content Security Policy|unsafe-eval/.test(e))).toEqual([]);
    await page.close();
  });

  test('text contrast meets WCAG AA (4.5:1) on every panel', async () => {
    const { page } = await open(`${base}/#${encodeState({ scenario: 'single-ip', program: 'pin_bind' })}`);
    await settled(page);
    const low: string[] = [];
    for (const tab of ['timeline', 'verifier', 'step', 'maps', 'about']) {
      await page.click(`#tab-${tab}`);
      low.push(
        ...(await page.evaluate(() => {
          const rgb = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
          const lum = ([r, g, b]: number[]): number => {
            const f = (v: number): number => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
            return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
          };
          const bg = (el: Element | null): number[] => {
            for (; el; el = el.parentElement) {
              const c = rgb(getComputedStyle(el).backgroundColor);
              if (c.length === 3 || (c.length === 4 && c[3]! > 0.5)) return c.slice(0, 3);
            }
            return [255, 255, 255];
          };
          const bad: string[] = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement!;
            if (!n.textContent!.trim() || !el.checkVisibility() || el.closest('svg')) continue;
            const a = lum(rgb(getComputedStyle(el).color));
            const b = lum(bg(el));
            const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
            if (ratio < 4.5) bad.push(`${el.tagName}.${el.className} '${n.textContent!.trim().slice(0, 30)}' ${ratio.toFixed(2)}`);
          }
          return bad;
        })),
      );
    }
    expect(low).toEqual([]);
    await page.close();
  });

  test('a narrow screen: no sideways scrolling, every control reachable by keyboard', async () => {
    const { page, errors } = await open(`${base}/#${encodeState({ scenario: 'dns-redirect' })}`, { width: 390, height: 844 });
    await settled(page);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    // Tab order: the skip link first, then the controls.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('scenario');
    // Tabs follow the ARIA pattern: arrows move between them.
    await page.focus('#tab-timeline');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-verifier');
    expect(await page.isVisible('#panel-verifier')).toBe(true);
    // Every form control has a label.
    const unlabeled = await page.$$eval('select, input', (els) => els.filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label')).map((e) => e.id));
    expect(unlabeled).toEqual([]);
    await shot(page, '8-narrow');
    expect(errors).toEqual([]);
    await page.close();
  });
});
