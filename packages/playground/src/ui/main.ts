// The playground page: pick a scenario, edit its program, run, and read what happened.
// State lives in the URL fragment (core/url-state.ts); the simulation runs in this page
// (core/session.ts); this file is the DOM around them.
import { defaultKeymap, history as editHistory, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, syntaxHighlighting } from '@codemirror/language';
import { Compartment, EditorState, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import type { Extension } from '@codemirror/state';
import { Decoration, EditorView, drawSelection, highlightActiveLineGutter, hoverTooltip, keymap, lineNumbers } from '@codemirror/view';
import type { DecorationSet } from '@codemirror/view';
import type { ScenarioDef, TimelineEvent, TraceLevel } from '@bpfsim/scenario';
import { formatEvent, renderSvg } from '@bpfsim/scenario';
import { parseRegState } from '@bpfsim/verifier';
import { C_SOURCES, SCENARIOS } from 'virtual:scenarios';
import { ctxFields, fmtReg, lineInsns, stackSlots } from '../core';
import type { PlaygroundRun, PlaygroundState, ProgramView, TraceRun } from '../core';
import { UrlStateError, decodeState, encodeState, jitAllowed, programKey, runPlayground } from '../core';
import { bpfAsm, bpfAsmHighlight } from './asm-language';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};
const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...kids);
  return el;
};

const byId = new Map<string, ScenarioDef>(SCENARIOS.map((s) => [s.id, s.def]));
const engine: 'jit' | 'interp' = jitAllowed() ? 'jit' : 'interp';

const ui = {
  state: { scenario: SCENARIOS[0]!.id } as PlaygroundState,
  run: undefined as PlaygroundRun | undefined,
  view: undefined as ProgramView | undefined,
  trace: undefined as TraceRun | undefined,
  step: 0,
  running: false,
};

// ---- the editor --------------------------------------------------------------------------

const setMarks = StateEffect.define<{ error?: number; current?: number }>();
const marks = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    let d = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setMarks)) continue;
      const b = new RangeSetBuilder<Decoration>();
      const lines = [
        ...(e.value.error !== undefined ? [{ n: e.value.error, cls: 'cm-error-line' }] : []),
        ...(e.value.current !== undefined ? [{ n: e.value.current, cls: 'cm-current-line' }] : []),
      ].sort((a, b2) => a.n - b2.n);
      for (const { n, cls } of lines) {
        if (n < 1 || n > tr.state.doc.lines) continue;
        const line = tr.state.doc.line(n);
        b.add(line.from, line.from, Decoration.line({ class: cls }));
      }
      d = b.finish();
    }
    return d;
  },
  provide: (f) => EditorView.decorations.from(f),
});

/** The verifier's register state at the instruction on the hovered line. */
const regTooltip = hoverTooltip((view, pos) => {
  const v = ui.view;
  if (!v || !editorMatchesRecord()) return null;
  const lineNo = view.state.doc.lineAt(pos).number;
  const insn = lineInsns(v.lines).get(lineNo);
  if (insn === undefined) return null;
  const info = v.model.insns.get(insn);
  if (!info || !info.visits.length) return null;
  return {
    pos: view.state.doc.line(lineNo).from,
    above: true,
    create: () => {
      const dom = h('div', { class: 'reg-tip', role: 'tooltip' }, h('div', {}, h('strong', {}, `insn ${insn}: `), info.text));
      for (const visit of info.visits.slice(0, 6)) {
        const regs = parseRegState(visit.state).map((r) => `${r.name}=${r.value}`).join('  ');
        dom.append(h('div', { class: 'visit' }, h('span', { class: 'kind' }, visit.kind === 'branch' ? `from ${visit.from}: ` : `${visit.kind}: `), regs));
      }
      if (info.visits.length > 6) dom.append(h('div', { class: 'kind' }, `… ${info.visits.length - 6} more states`));
      return { dom };
    },
  };
}, { hoverTime: 250 });

const readOnly = new Compartment();
const editorExtensions: Extension[] = [
  lineNumbers(),
  highlightActiveLineGutter(),
  editHistory(),
  drawSelection(),
  bracketMatching(),
  bpfAsm,
  syntaxHighlighting(bpfAsmHighlight),
  marks,
  regTooltip,
  readOnly.of(EditorState.readOnly.of(false)),
  keymap.of([{ key: 'Mod-Enter', run: () => (void runNow(), true) }, indentWithTab, ...defaultKeymap, ...historyKeymap]),
  EditorView.contentAttributes.of({ 'aria-label': 'BPF program in LLVM assembly syntax' }),
  EditorView.updateListener.of((u) => {
    if (!u.docChanged || !ui.view) return;
    const rec = ui.view.record;
    if (rec.origin !== 'asm') return;
    const text = u.state.doc.toString();
    const edits = { ...(ui.state.edits ?? {}) };
    if (text === rec.original) delete edits[programKey(rec)];
    else edits[programKey(rec)] = text;
    ui.state.edits = edits;
    writeUrl();
    $('verdict-text').textContent = 'Edited: run it (Ctrl+Enter) to verify and see what it does.';
    view.dispatch({ effects: setMarks.of({}) });
  }),
];
const view = new EditorView({ parent: $('editor'), state: EditorState.create({ doc: '', extensions: editorExtensions }) });

function editorMatchesRecord(): boolean {
  return !!ui.view && view.state.doc.toString() === ui.view.record.asm;
}

function setEditor(text: string, ro: boolean): void {
  view.setState(EditorState.create({ doc: text, extensions: editorExtensions }));
  view.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(ro)) });
}

// ---- URL state -----------------------------------------------------------------------------

function writeUrl(): void {
  window.history.replaceState(null, '', `#${encodeState(ui.state)}`);
}

function readUrl(): void {
  let s: PlaygroundState | undefined;
  try {
    s = decodeState(location.hash);
  } catch (e) {
    status(e instanceof UrlStateError ? `${e.message}: starting from the first scenario` : String(e), 'bad');
  }
  if (s && !byId.has(s.scenario)) {
    status(`the link names a scenario '${s.scenario}' this playground does not have: starting from the first one`, 'bad');
    s = undefined;
  }
  ui.state = s ?? { scenario: SCENARIOS[0]!.id };
}

// ---- status and tabs -----------------------------------------------------------------------

function status(text: string, kind: 'ok' | 'bad' | '' = ''): void {
  const el = $('status');
  el.textContent = text;
  el.className = `status ${kind}`;
}

const TABS = ['timeline', 'verifier', 'step', 'maps', 'about'];
function selectTab(name: string, focus = false): void {
  if (!TABS.includes(name)) name = 'timeline';
  for (const t of TABS) {
    const tab = $(`tab-${t}`);
    const on = t === name;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${t}`).hidden = !on;
    if (on && focus) tab.focus();
  }
  if (ui.state.panel !== name) {
    ui.state.panel = name;
    writeUrl();
  }
}
for (const t of TABS) $(`tab-${t}`).addEventListener('click', () => selectTab(t));
$('tabs').addEventListener('keydown', (e) => {
  const i = TABS.indexOf(ui.state.panel ?? 'timeline');
  const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : e.key === 'Home' ? 0 : e.key === 'End' ? TABS.length - 1 : -1;
  if (next < 0) return;
  e.preventDefault();
  selectTab(TABS[next]!, true);
});

// ---- running -------------------------------------------------------------------------------

async function runNow(): Promise<void> {
  if (ui.running) return;
  const def = byId.get(ui.state.scenario)!;
  ui.running = true;
  ($('run') as HTMLButtonElement).disabled = true;
  status(`Running ${def.name}…`);
  // Let the status paint before the simulation takes the thread.
  await new Promise((r) => setTimeout(r, 0));
  try {
    const t0 = performance.now();
    const run = await runPlayground(def, {
      ...(ui.state.seed !== undefined ? { seed: ui.state.seed } : {}),
      ...(ui.state.edits ? { edits: ui.state.edits } : {}),
      ...(ui.state.program ? { trace: ui.state.program } : {}),
      engine,
    });
    ui.run = run;
    const ms = performance.now() - t0;
    const r = run.result;
    const checks = `${r.expectations.passed}/${r.expectations.passed + r.expectations.failed} checks held`;
    if (r.ok) status(`${def.name}: ok, ${checks}; ${(r.endNs / 1e6).toFixed(3)} ms of virtual time in ${ms.toFixed(0)} ms (${run.engine === 'jit' ? 'JIT' : 'interpreter'})`, 'ok');
    else status(`${def.name}: ${r.failure ? `${r.failure.code}: ${r.failure.message}` : `${r.expectations.failed} check(s) failed`} (${checks})`, 'bad');
    renderPrograms();
    renderTimeline();
    renderMaps();
    renderStep();
    const refused = run.programs.find((p) => !p.record.ok);
    if (refused) selectTab('verifier');
  } catch (e) {
    status(`the run stopped: ${e instanceof Error ? e.message : String(e)}`, 'bad');
  } finally {
    ui.running = false;
    ($('run') as HTMLButtonElement).disabled = false;
  }
}

// ---- programs, editor, verifier --------------------------------------------------------------

function renderPrograms(): void {
  const run = ui.run!;
  const sel = $('program') as HTMLSelectElement;
  sel.replaceChildren(...run.programs.map((p) => h('option', { value: programKey(p.record) }, `${p.record.name} (${p.record.host}, ${p.record.attach ?? p.record.type})${p.record.overridden ? ' — edited' : ''}`)));
  // A link may name a program as "host/name" or (older links) by name alone.
  let v = run.programs.find((p) => programKey(p.record) === ui.state.program) ?? run.programs.find((p) => p.record.name === ui.state.program) ?? run.programs[0];
  if (!v) {
    setEditor('// This scenario loads no BPF programs.\n', true);
    $('program-info').textContent = '';
    $('verdict-text').textContent = '';
    $('log').textContent = '';
    ui.view = undefined;
    return;
  }
  if (ui.state.program !== programKey(v.record)) {
    // The first run of a scenario shows (and from now on traces) its first program.
    ui.state.program = programKey(v.record);
    writeUrl();
  }
  sel.value = programKey(v.record);
  showProgram(v);
}

function showProgram(v: ProgramView): void {
  ui.view = v;
  const rec = v.record;
  setEditor(rec.asm, rec.origin !== 'asm');
  $('program-info').textContent = `${rec.type}${rec.attach ? ` · ${rec.attach}` : ''}${rec.origin === 'object' ? ' · from an ELF object (read-only)' : ''}`;
  ($('reset') as HTMLButtonElement).disabled = !rec.overridden;
  const verdict = $('verdict-text');
  if (rec.ok) {
    const st = v.model.stats;
    verdict.replaceChildren(h('span', { class: 'ok' }, '✓ verified'), ` — ${st ? `processed ${st.processed} insns, ${st.totalStates} states` : 'accepted'}; hover a line for the verifier's register state`);
  } else {
    const line = v.errorLine !== undefined ? ` at line ${v.errorLine}` : '';
    const insn = v.model.error?.insn !== undefined ? ` (insn ${v.model.error.insn})` : '';
    verdict.replaceChildren(h('span', { class: 'bad' }, `✗ refused${line}${insn}: `), `${rec.error?.code ?? ''} ${v.model.error?.message ?? rec.error?.message ?? ''}`);
  }
  view.dispatch({ effects: setMarks.of(v.errorLine !== undefined ? { error: v.errorLine } : {}) });
  if (v.errorLine !== undefined) view.dispatch({ effects: EditorView.scrollIntoView(view.state.doc.line(Math.min(v.errorLine, view.state.doc.lines)).from, { y: 'center' }) });
  // The log, with the refusal's lines marked.
  const log = $('log');
  const errText = v.model.error?.message;
  log.replaceChildren(...rec.log.split('\n').map((l) => (errText && errText.split('\n').includes(l) ? h('span', { class: 'err' }, `${l}\n`) : document.createTextNode(`${l}\n`))));
  if (!rec.log) log.textContent = rec.error ? `${rec.error.code}: ${rec.error.message}` : '(no log)';
}

$('program').addEventListener('change', () => {
  ui.state.program = ($('program') as HTMLSelectElement).value;
  writeUrl();
  // The trace follows the program shown: run again to record this one's runs.
  void runNow();
});
$('reset').addEventListener('click', () => {
  if (!ui.view) return;
  const edits = { ...(ui.state.edits ?? {}) };
  delete edits[programKey(ui.view.record)];
  delete edits[ui.view.record.name];
  ui.state.edits = edits;
  writeUrl();
  void runNow();
});

// ---- timeline ------------------------------------------------------------------------------

function renderTimeline(): void {
  const run = ui.run!;
  const r = run.result;
  const level = Number(($('level') as HTMLSelectElement).value) as TraceLevel;
  $('diagram').innerHTML = renderSvg(r, r.links, { level, title: r.name });
  const hooks = r.events.filter((e) => e.kind === 'hook').length;
  const packets = r.events.filter((e) => e.kind === 'packet').length;
  $('summary').textContent = `${r.events.length} events: ${hooks} hook runs, ${packets} packets`;
  const items: HTMLLIElement[] = [];
  for (const e of r.events) {
    const text = formatEvent(e, { level, color: false });
    if (text === undefined) continue;
    items.push(eventItem(e, text));
  }
  $('events').replaceChildren(...items);
  const pc = $('pcaps');
  pc.replaceChildren();
  for (const [name, bytes] of r.pcaps ?? []) {
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }));
    pc.append(h('a', { href: url, download: `${r.name}-${name.replace('/', '-')}.pcapng` }, `⬇ ${name}.pcapng`));
  }
}

function eventItem(e: TimelineEvent, text: string): HTMLLIElement {
  const li = h('li', { class: `k-${e.kind}` });
  if (e.kind === 'hook' && e.addr && e.addr.before !== e.addr.after) {
    const i = text.indexOf(e.addr.after, text.indexOf('⇒'));
    if (i > 0) {
      li.append(text.slice(0, i), h('span', { class: 'rewrite' }, e.addr.after), text.slice(i + e.addr.after.length));
      return li;
    }
  }
  if (e.kind === 'expect') li.className = e.ok ? 'pass' : 'fail';
  li.textContent = text;
  return li;
}
$('level').addEventListener('change', () => ui.run && renderTimeline());

// ---- maps ----------------------------------------------------------------------------------

const hex = (b: Uint8Array | undefined): string => (b ? [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ') : '—');
const leNum = (b: Uint8Array | undefined): string => {
  if (!b || b.length === 0 || b.length > 8) return '';
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v.toString();
};

function renderMaps(): void {
  const maps = ui.run!.result.maps ?? [];
  const box = $('maps');
  if (!maps.length) {
    box.replaceChildren(h('p', { class: 'muted' }, 'This scenario makes no maps.'));
    return;
  }
  box.replaceChildren(
    ...maps.map((m) => {
      const table = h('table', {}, h('caption', {}, `${m.entries.length}${m.truncated ? '+' : ''} ${m.entries.length === 1 && !m.truncated ? 'entry' : 'entries'}`), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'key'), h('th', { scope: 'col' }, 'value'), h('th', { scope: 'col' }, 'as numbers (little-endian)'))));
      const body = h('tbody');
      for (const e of m.entries) body.append(h('tr', {}, h('td', { class: 'mono' }, hex(e.key)), h('td', { class: 'mono' }, hex(e.value)), h('td', {}, `${leNum(e.key)} → ${leNum(e.value)}`)));
      table.append(body);
      return h('div', { class: 'mapbox' }, h('h3', {}, `${m.host}: ${m.name} (${m.type}, key ${m.keySize} B, value ${m.valueSize} B, max ${m.maxEntries})`), m.error ? h('p', { class: 'muted' }, m.error) : table);
    }),
  );
}

// ---- step through --------------------------------------------------------------------------

function renderStep(): void {
  const run = ui.run!;
  const sel = $('invocation') as HTMLSelectElement;
  const v = ui.view;
  // The timeline's runs of this program, in order: the k-th is the k-th trace (program ids
  // are per host, so the host must match too).
  const mine = (e: TimelineEvent): boolean =>
    !!v && 'host' in e && e.host === v.record.host && ((e.kind === 'hook' && e.progs.some((p) => p.id === v.record.progId)) || (e.kind === 'msg' && e.prog.id === v.record.progId));
  const runEvents = run.result.events.filter(mine);
  sel.replaceChildren(
    ...run.traces.map((t, i) => {
      const e = runEvents[i];
      const at = e ? ` at ${(e.t / 1e6).toFixed(3)} ms` : '';
      const where = e?.kind === 'hook' ? `${at}, ${e.hook} on ${e.host}${e.addr ? ` (${e.addr.before})` : ''}` : e?.kind === 'msg' ? `${at}, sk_msg on ${e.host} (${e.size} bytes)` : '';
      return h('option', { value: String(i) }, `#${i + 1}${where} → r0 = ${t.retval}${t.fault ? ` (fault: ${t.fault})` : ''}, ${t.steps.length} insns`);
    }),
  );
  if (!run.traces.length) {
    ui.trace = undefined;
    $('step-insn').textContent = v ? `${v.record.name} did not run in this scenario run.` : 'No program.';
    for (const id of ['regs', 'ctx', 'stack']) $(id).querySelector('tbody')!.replaceChildren();
    $('step-pos').textContent = '';
    return;
  }
  ui.trace = run.traces[0];
  sel.value = '0';
  setStep(0);
}

function setStep(n: number): void {
  const t = ui.trace;
  if (!t) return;
  const last = t.steps.length; // steps.length = the state after exit
  ui.step = Math.max(0, Math.min(n, last));
  const range = $('step-range') as HTMLInputElement;
  range.max = String(last);
  range.value = String(ui.step);
  const at = t.steps[ui.step];
  const prev = ui.step > 0 ? t.steps[ui.step - 1] : undefined;
  const v = ui.view;
  $('step-pos').textContent = `step ${ui.step} of ${last}${t.truncated ? ' (trace cut short)' : ''}`;
  if (at) {
    const text = v?.disasm.get(at.pc) ?? '';
    $('step-insn').textContent = at.program ? `next: insn ${at.pc} of the tail-called program` : `next: insn ${at.pc}${at.depth ? ` (call depth ${at.depth})` : ''}: ${text}`;
    // After a tail call the pcs are another program's: no line of this one.
    const line = at.program ? undefined : v?.lines.get(at.pc);
    view.dispatch({ effects: setMarks.of({ ...(v?.errorLine !== undefined ? { error: v.errorLine } : {}), ...(line !== undefined ? { current: line } : {}) }) });
    if (line !== undefined && line <= view.state.doc.lines) view.dispatch({ effects: EditorView.scrollIntoView(view.state.doc.line(line).from, { y: 'nearest' }) });
  } else {
    $('step-insn').textContent = `after exit: r0 = ${t.retval}${t.fault ? `, fault: ${t.fault}` : ''}`;
    view.dispatch({ effects: setMarks.of(v?.errorLine !== undefined ? { error: v.errorLine } : {}) });
  }
  const regs = at?.regs ?? t.final.regs;
  const before = at ? prev?.regs : t.steps[last - 1]?.regs;
  $('regs').querySelector('tbody')!.replaceChildren(
    ...regs.map((r, i) => {
      const changed = before !== undefined && before[i] !== r;
      const f = fmtReg(r, t.layout, at?.depth ?? 0);
      return h('tr', {}, h('th', { scope: 'row' }, `r${i}`), h('td', { class: `mono${changed ? ' changed' : ''}` }, `0x${r.toString(16)}`), h('td', { class: changed ? 'changed' : '' }, f));
    }),
  );
  const ctx = at?.ctx ?? t.final.ctx;
  const prevCtx = at ? prev?.ctx : t.steps[last - 1]?.ctx;
  $('ctx').querySelector('tbody')!.replaceChildren(
    ...ctxFields(ctx, t.ctxType).map((f) => {
      const changed = prevCtx !== undefined && ctx !== undefined && prevCtx !== ctx && f.value !== ctxFields(prevCtx, t.ctxType).find((g) => g.offset === f.offset)?.value;
      return h('tr', {}, h('td', {}, String(f.offset)), h('td', {}, f.name), h('td', { class: `mono${changed ? ' changed' : ''}` }, f.value));
    }),
  );
  const stack = at?.stack ?? t.final.stack;
  const prevStack = at ? prev?.stack : t.steps[last - 1]?.stack;
  const prevSlots = prevStack ? new Map(stackSlots(prevStack).map((s) => [s.slot, s.hex])) : undefined;
  $('stack').querySelector('tbody')!.replaceChildren(
    ...stackSlots(stack).map((s) => {
      const changed = prevSlots !== undefined && prevSlots.get(s.slot) !== s.hex;
      return h('tr', {}, h('td', {}, s.slot), h('td', { class: `mono${changed ? ' changed' : ''}` }, s.hex), h('td', {}, s.u64));
    }),
  );
}

$('invocation').addEventListener('change', () => {
  ui.trace = ui.run?.traces[Number(($('invocation') as HTMLSelectElement).value)];
  setStep(0);
});
$('step-first').addEventListener('click', () => setStep(0));
$('step-back').addEventListener('click', () => setStep(ui.step - 1));
$('step-next').addEventListener('click', () => setStep(ui.step + 1));
$('step-last').addEventListener('click', () => setStep(Number.MAX_SAFE_INTEGER));

/**
 * Runs forward to the next step at the instruction on the editor's cursor line (a
 * breakpoint, as a debugger's "run to cursor"); says so when the run never gets there.
 */
function toCursor(): void {
  const t = ui.trace;
  const v = ui.view;
  if (!t || !v) return;
  const line = view.state.doc.lineAt(view.state.selection.main.head).number;
  const insn = lineInsns(v.lines).get(line);
  if (insn === undefined) {
    status(`line ${line} holds no instruction: put the cursor on one`, 'bad');
    return;
  }
  const next = t.steps.findIndex((s, i) => i > ui.step && s.pc === insn && !s.program);
  if (next < 0) {
    status(`insn ${insn} (line ${line}) does not run again in this run of the program`, 'bad');
    return;
  }
  setStep(next);
}
$('step-cursor').addEventListener('click', toCursor);
$('step-range').addEventListener('input', () => setStep(Number(($('step-range') as HTMLInputElement).value)));
$('panel-step').addEventListener('keydown', (e) => {
  if ((e.target as HTMLElement).tagName === 'SELECT' || (e.target as HTMLElement).tagName === 'INPUT') return;
  const d = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
  if (d !== undefined) setStep(ui.step + d);
  else if (e.key === 'Home') setStep(0);
  else if (e.key === 'End') setStep(Number.MAX_SAFE_INTEGER);
  else if (e.key === 'c' || e.key === 'C') toCursor();
  else return;
  e.preventDefault();
});

// ---- about ---------------------------------------------------------------------------------

function renderAbout(): void {
  const def = byId.get(ui.state.scenario)!;
  $('about-title').textContent = def.name;
  $('about-lesson').textContent = def.lesson;
  $('about-text').textContent = def.about ?? '';
  const src = $('about-source');
  src.replaceChildren();
  for (const [file, text] of Object.entries(C_SOURCES)) {
    const base = file.replace(/\.bpf\.c$/, '');
    if (!(def.about ?? '').includes(base) && !def.name.includes(base)) continue;
    src.append(h('h4', {}, file), h('pre', { class: 'about-src' }, text));
  }
}

// ---- controls ------------------------------------------------------------------------------

function fillScenarios(): void {
  const sel = $('scenario') as HTMLSelectElement;
  sel.replaceChildren(...SCENARIOS.map((s) => h('option', { value: s.id, title: s.def.lesson }, `${s.id} — ${s.def.lesson.length > 60 ? `${s.def.lesson.slice(0, 59)}…` : s.def.lesson}`)));
}

function applyState(): void {
  ($('scenario') as HTMLSelectElement).value = ui.state.scenario;
  const def = byId.get(ui.state.scenario)!;
  ($('seed') as HTMLInputElement).value = String(ui.state.seed ?? def.seed ?? 1);
  renderAbout();
  selectTab(ui.state.panel ?? 'timeline');
}

$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  const seedText = ($('seed') as HTMLInputElement).value.trim();
  const seed = Number(seedText);
  if (!/^\d+$/.test(seedText) || seed > 0xffffffff) {
    status(`the seed must be an integer from 0 to 4294967295, not '${seedText}'`, 'bad');
    return;
  }
  const def = byId.get(ui.state.scenario)!;
  if (seed === (def.seed ?? 1)) delete ui.state.seed;
  else ui.state.seed = seed;
  writeUrl();
  void runNow();
});
$('scenario').addEventListener('change', () => {
  ui.state = { scenario: ($('scenario') as HTMLSelectElement).value, panel: ui.state.panel ?? 'timeline' };
  writeUrl();
  applyState();
  void runNow();
});
$('share').addEventListener('click', async () => {
  writeUrl();
  try {
    await navigator.clipboard.writeText(location.href);
    status('Link copied: it opens this scenario with this program and your edits.', 'ok');
  } catch {
    status(`Copy this link: ${location.href}`, 'ok');
  }
});
window.addEventListener('hashchange', () => {
  readUrl();
  applyState();
  void runNow();
});

// ---- start ---------------------------------------------------------------------------------

const eng = $('engine');
if (engine === 'jit') eng.textContent = 'Programs run on the JIT (eBPF → JavaScript).';
else {
  eng.textContent = "This page forbids compiling JavaScript (Content-Security-Policy without 'unsafe-eval'): the JIT cannot run, so programs run on the interpreter.";
  eng.classList.add('fallback');
}
fillScenarios();
readUrl();
applyState();
void runNow();

/** For tests and the console: the last run. */
(window as unknown as { bpfsim: unknown }).bpfsim = {
  get run() {
    return ui.run;
  },
  get step() {
    return ui.step;
  },
  engine,
};
