// parseVerifierLog() and parseRegState() on real logs: Linux 6.18's level-2 logs of the 31
// example programs (loader/test/golden/kernel-logs.json, recorded from the live kernel) and
// bpfsim's own level-1 and level-2 logs of accepted and refused programs, including every
// corpus case of packages/selfcheck/data/kernel-verifier.json (whose error sentences the kernel recorded).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataFile } from '@bpfsim/selfcheck';
import { BPF_PROG_TYPE, assemble, decode, parseHexBytes } from '@bpfsim/isa';
import type { BtfFuncInfo, InsnVisit, VerifierLogModel, VerifyOptions, VerifyResult } from '../src';
import { parseRegState, parseVerifierLog, verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';
import type { VerifierGolden, VerifierGoldenCase } from '@bpfsim/selfcheck';

interface KernelLogs {
  objects: Record<string, Record<string, { log: string; ok: boolean }>>;
}
const kernelLogs = JSON.parse(fs.readFileSync(path.join(__dirname, '../../loader/test/golden/kernel-logs.json'), 'utf8')) as KernelLogs;
const KERNEL = Object.entries(kernelLogs.objects).flatMap(([obj, progs]) => Object.entries(progs).map(([prog, v]) => ({ name: `${obj}/${prog}`, ...v })));
const corpus = JSON.parse(fs.readFileSync(dataFile('kernel-verifier.json'), 'utf8')) as VerifierGolden;

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const run = (asm: string, logLevel: 1 | 2, options: Partial<VerifyOptions> = {}): VerifyResult =>
  verify(assemble(asm).insns, { progType: XDP, logLevel, ...options, progTypes: options.progTypes ?? PROG_TYPES, helpers: options.helpers ?? HELPERS });

function runCase(c: VerifierGoldenCase, logLevel: 1 | 2): VerifyResult {
  return verify(decode(parseHexBytes(c.insns, c.id), { validate: false }), {
    progType: c.progType === 'xdp' ? XDP : BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
    progTypes: PROG_TYPES, helpers: HELPERS,
    expectedAttachType: c.attachType,
    mapsByIdx: c.maps,
    license: c.license ?? 'GPL',
    logLevel,
  });
}
const corpusCase = (id: string): VerifierGoldenCase => {
  const c = corpus.cases.find((k) => k.id === id);
  if (!c) throw new Error(`no corpus case ${id}`);
  return c;
};

const allVisits = (m: VerifierLogModel): InsnVisit[] => [...m.insns.values()].flatMap((i) => i.visits);
/** The entries joined back as print_verifier_state() prints them. */
const unparse = (state: string): string =>
  parseRegState(state)
    .map((e) => (e.value === '' && !state.includes(`${e.name}=`) ? e.name : `${e.name}=${e.value}`))
    .join(' ');
const dropLiveness = (state: string): string => state.replace(/(\b(?:R\d+|fp-\d+))_[rwD]+=/g, '$1=');

describe("Linux's level-2 logs of the 31 example programs", () => {
  test('there are 31, all loaded', () => {
    expect(KERNEL).toHaveLength(31);
    expect(KERNEL.every((k) => k.ok)).toBe(true);
  });

  test.each(KERNEL.map((k) => [k.name, k] as const))('%s: every instruction line, live row and state is read', (_name, k) => {
    const m = parseVerifierLog(k.log);
    const lines = k.log.split('\n');
    // Instruction lines: each processed index counted, with the disassembly as printed.
    const insnLines = lines.map((l) => /^(\d+): (\(.*?)(?:\s+;.*)?$/.exec(l)).filter((x) => x !== null);
    expect(insnLines.length).toBeGreaterThan(0);
    expect([...m.insns.values()].reduce((n, i) => n + i.seen, 0)).toBe(insnLines.length);
    for (const [, idx, text] of insnLines) expect(m.insns.get(Number(idx))?.text).toBe(text!.trimEnd());
    // The live-registers table: one row per instruction (ld_imm64 once), ten columns.
    const rows = lines.filter((l) => /^ +(\d+ +)?\d+: [.0-9]{10} \(/.test(l));
    expect([...m.insns.values()].filter((i) => i.live !== undefined)).toHaveLength(rows.length);
    // States: one visit per "; R..." tail, "N: R..." line and "from X to N:" line.
    const tails = lines.filter((l) => /^\d+: \(.*;/.test(l)).length;
    const before = lines.filter((l) => /^\d+: (R|fp|frame|safe)/.test(l)).length;
    const branches = lines.filter((l) => /^from \d+ to \d+: /.test(l)).length;
    const visits = allVisits(m);
    expect(visits.filter((v) => v.kind === 'after')).toHaveLength(tails);
    expect(visits.filter((v) => v.kind === 'before' || v.kind === 'entry')).toHaveLength(before);
    expect(visits.filter((v) => v.kind === 'branch')).toHaveLength(branches);
    // Exactly one entry state per pass: the main program and each global function validated.
    const passes = 1 + lines.filter((l) => l.startsWith('Validating ')).length;
    expect(visits.filter((v) => v.kind === 'entry')).toHaveLength(passes);
    // Each visit points back at its line, which holds its state.
    for (const v of visits) expect(lines[v.line - 1]).toContain(v.state);
    expect(m.error).toBeUndefined();
  });

  test.each(KERNEL.map((k) => [k.name, k] as const))('%s: statistics', (_name, k) => {
    const last = k.log.trimEnd().split('\n').pop()!.split(' ');
    // processed N insns (limit L) max_states_per_insn M total_states T peak_states P mark_read R
    expect(parseVerifierLog(k.log).stats).toEqual({
      processed: Number(last[1]),
      limit: Number(last[4]!.replace(')', '')),
      maxStatesPerInsn: Number(last[6]),
      totalStates: Number(last[8]),
      peakStates: Number(last[10]),
      markRead: Number(last[12]),
    });
  });

  test('parseRegState gives back every state of every log (no liveness suffixes in 6.18)', () => {
    let n = 0;
    for (const k of KERNEL) {
      for (const v of allVisits(parseVerifierLog(k.log))) {
        expect(unparse(v.state)).toBe(dropLiveness(v.state));
        expect(parseRegState(v.state).every((e) => !e.written)).toBe(true);
        n++;
      }
    }
    expect(n).toBeGreaterThan(500);
  });

  describe('connect_lb/lb_connect4: a static and a global function', () => {
    const log = kernelLogs.objects.connect_lb!.lb_connect4!.log;
    const m = parseVerifierLog(log);
    /** The 1-based numbers of the log lines that read exactly `text`. */
    const linesOf = (text: string): number[] => log.split('\n').flatMap((l, i) => (l === text ? [i + 1] : []));
    const regs = (idx: number, visit = 0): Record<string, string> =>
      Object.fromEntries(parseRegState(m.insns.get(idx)!.visits[visit]!.state).map((e) => [e.name, e.value]));

    test('the entry state, instruction text, live registers and source line of insn 0', () => {
      expect(m.insns.get(0)).toMatchObject({
        idx: 0,
        text: '(bf) r6 = r1',
        seen: 1,
        live: '.1........',
        source: { file: 'connect_lb.bpf.c', line: 68, text: 'int lb_connect4(struct bpf_sock_addr *ctx)' },
      });
      expect(m.insns.get(0)!.visits).toEqual([
        { kind: 'entry', state: 'R1=ctx() R10=fp0', frame: 0, line: linesOf('0: R1=ctx() R10=fp0')[0] },
        { kind: 'after', state: 'R1=ctx() R6=ctx()', frame: 0, line: linesOf('0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()')[0] },
      ]);
    });

    test('states after an instruction, with a spilled scalar and var_off', () => {
      expect(regs(7)).toEqual({
        R1: 'scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
        R10: 'fp0',
        'fp-8': 'mmmmscalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
      });
      expect(regs(14)).toEqual({ R0: 'map_value_or_null(id=2,map=services,ks=8,vs=36)' });
      // ld_imm64 takes two slots: insn 13 is never named.
      expect(m.insns.has(13)).toBe(false);
    });

    test('the callee runs in frame 1; its entry state is a "before" line', () => {
      const at35 = m.insns.get(35)!.visits;
      expect(at35[0]).toEqual({ kind: 'before', frame: 1, state: 'R1=map_value(map=services,ks=8,vs=36) R10=fp0', line: linesOf('35: frame1: R1=map_value(map=services,ks=8,vs=36) R10=fp0')[0] });
      expect(m.insns.get(38)!.visits[0]).toMatchObject({ kind: 'after', frame: 1 });
      expect(m.insns.get(46)!.visits[0]).toMatchObject({ kind: 'branch', from: 38, frame: 1, state: expect.stringMatching(/^R0=0 R1=map_value/) });
      expect(regs(38)).toEqual({ R6: 'scalar(smin=umin=smin32=umin32=1,smax=umax=smax32=umax32=4,var_off=(0x0; 0x7))' });
    });

    test('branches: the three returns to 19, and the pruned ones', () => {
      const from = m.insns.get(19)!.visits.filter((v) => v.kind === 'branch');
      expect(from.map((v) => [v.from, parseRegState(v.state).find((e) => e.name === 'R0')?.value])).toEqual([
        [46, 'scalar()'],
        [46, '0'],
        [46, '0'],
      ]);
      const pruned = (from: number) => ({ kind: 'branch', from, state: '', frame: 0, pruned: true, line: linesOf(`from ${from} to 33: safe`)[0] });
      expect(m.insns.get(33)!.visits.filter((v) => v.pruned)).toEqual([pruned(21), pruned(16), pruned(5)]);
      expect(m.insns.get(27)!.visits.filter((v) => v.pruned)).toEqual(linesOf('27: safe').map((line) => ({ kind: 'before', state: '', frame: 0, pruned: true, line })));
      expect(linesOf('27: safe')).toHaveLength(2);
    });

    test('a "before" line after a call to a global function: R0 is unknown', () => {
      expect(m.insns.get(28)!.visits[0]).toMatchObject({ kind: 'before', state: 'R0=scalar()' });
    });

    test('functions: starts, and the global one validated on its own with its entry state', () => {
      expect([...m.funcs.values()]).toEqual([
        { index: 0, start: 0 },
        { index: 1, start: 35 },
        { index: 2, start: 47, name: 'lb_rewrite', global: true, validated: true, safe: true },
      ]);
      expect(m.insns.get(47)!.visits[0]).toMatchObject({ kind: 'entry', state: 'R1=ctx() R2=scalar() R3=scalar() R10=fp0' });
    });

    test('statistics', () => {
      expect(m.stats).toEqual({ processed: 78, limit: 1000000, maxStatesPerInsn: 0, totalStates: 6, peakStates: 6, markRead: 0 });
    });
  });
});

describe("bpfsim's logs of refused programs: the failing instruction", () => {
  const cases: { name: string; asm: string; options?: Partial<VerifyOptions>; insn: number | undefined; message: string }[] = [
    { name: 'stack read out of bounds', asm: 'r0 = 0\nr2 = r10\nr1 = *(u64 *)(r10 - 520)\nexit', insn: 2, message: 'invalid read from stack R10 off=-520 size=8' },
    { name: 'uninitialized stack read, unprivileged', asm: 'r0 = 0\nr1 = *(u64 *)(r10 - 8)\nexit', options: { privileged: false }, insn: 1, message: 'invalid read from stack R10 off=-8 size=8' },
    { name: 'R0 unset at exit', asm: 'r1 = 1\nr2 = 2\nexit', insn: 2, message: 'R0 !read_ok' },
    { name: 'load through a scalar', asm: 'r0 = 0\nr1 = 5\nr0 = *(u32 *)(r1 + 0)\nexit', insn: 2, message: "R1 invalid mem access 'scalar'" },
    { name: 'jump out of range', asm: 'r0 = 0\nif r1 == 0 goto +40\nexit', insn: 1, message: 'jump out of range from insn 1 to 42' },
    { name: 'unreachable instruction', asm: 'r0 = 0\ngoto +1\nr0 = 1\nexit', insn: 2, message: 'unreachable insn 2' },
    { name: 'back-edge, unprivileged', asm: 'r0 = 0\nl1:\nr0 += 1\nif r0 < 10 goto l1\nexit', options: { privileged: false }, insn: 2, message: 'back-edge from insn 2 to 1' },
    { name: 'unknown helper', asm: 'r0 = 0\nr1 = 1\ncall 195896080\nexit', insn: 2, message: 'invalid func unknown#195896080' },
  ];
  test.each(cases.flatMap((c) => [1, 2].map((level) => [c.name, level, c] as const)))('%s (level %d)', (_name, level, c) => {
    const r = run(c.asm, level as 1 | 2, c.options);
    expect(r.accepted).toBe(false);
    const m = parseVerifierLog(r.log);
    expect(m.error).toEqual({ message: c.message, insn: c.insn, line: r.log.split('\n').indexOf(c.message) + 1 });
    expect(m.stats?.processed).toBe(r.insnProcessed);
  });

  test('the state at each instruction before the failing one', () => {
    const m = parseVerifierLog(run('r0 = 0\nr2 = r10\nr2 += -16\nr1 = *(u64 *)(r2 - 520)\nexit', 2).log);
    expect(m.error?.insn).toBe(3);
    expect(parseRegState(m.insns.get(1)!.visits[0]!.state)).toEqual([
      { name: 'R2', value: 'fp0', written: false, precise: false },
      { name: 'R10', value: 'fp0', written: false, precise: false },
    ]);
    expect(m.insns.get(2)!.visits).toEqual([{ kind: 'after', state: 'R2=fp-16', frame: 0, line: expect.any(Number) }]);
    expect(m.insns.get(3)).toMatchObject({ text: '(79) r1 = *(u64 *)(r2 -520)', seen: 1, visits: [] });
  });

  describe('corpus cases, with the sentences Linux printed', () => {
    test.each([1, 2])('a two-line refusal, the state leading to it (level %d)', (level) => {
      const c = corpusCase('scalar/map-index-const-16');
      const m = parseVerifierLog(runCase(c, level as 1 | 2).log);
      expect(m.error?.message).toBe(`invalid access to map value, value_size=16 off=16 size=1\n${c.kernel.error}`);
      expect(m.error?.insn).toBe(12);
      const r0 = (v: InsnVisit): string | undefined => parseRegState(v.state).find((e) => e.name === 'R0')?.value;
      // Level 1 prints r0's new offset after insn 11; level 2 prints precision backtracking
      // there first, so the same registers come as a "before 12" line.
      const states = [...(m.insns.get(11)?.visits ?? []), ...(m.insns.get(12)?.visits ?? [])].map(r0);
      expect(states).toEqual(['map_value(ks=4,vs=16,off=16)']);
      expect(m.stats?.processed).toBe(c.kernel.insnProcessed);
    });

    test('a leaked reference fails at the exit, not at the instruction that took it', () => {
      const c = corpusCase('maps/sockmap-lookup-without-release-leaks-reference');
      const m = parseVerifierLog(runCase(c, 1).log);
      expect(m.error).toMatchObject({ message: `Unreleased reference id=2 alloc_insn=6\n${c.kernel.error}`, insn: 10 });
      expect(parseRegState(m.insns.get(7)!.visits[0]!.state)).toEqual([
        { name: 'R0', value: 'sock(ref_obj_id=2)', written: false, precise: false },
        { name: 'refs', value: '2', written: false, precise: false },
      ]);
    });

    test.each([1, 2])('an infinite loop names its instruction; the states printed are part of the message (level %d)', (level) => {
      const c = corpusCase('loops/infinite-goto-self');
      const m = parseVerifierLog(runCase(c, level as 1 | 2).log);
      expect(m.error?.insn).toBe(1);
      expect(m.error?.message.split('\n')).toEqual(['infinite loop detected at insn 1', 'cur state: R0=0 R1=ctx() R10=fp0', c.kernel.error]);
      expect(m.insns.get(1)!.seen).toBe(7);
    });

    test('a message without a newline shares the statistics line', () => {
      const c = corpusCase('helpers/tail-call-array-map');
      const m = parseVerifierLog(runCase(c, 2).log);
      expect(`${m.error?.message}processed 3 insns`).toBe(c.kernel.error!.replace(/ \(limit.*$/, ''));
      expect(m.error?.insn).toBe(3);
      expect(m.stats?.processed).toBe(3);
    });

    test('jump into the middle of ld_imm64: the index the message names', () => {
      const m = parseVerifierLog(runCase(corpusCase('structure/jump-into-middle-of-ld-imm64'), 1).log);
      expect(m.error).toEqual({ message: 'jump into the middle of ldimm64 insn 1', insn: 1, line: 1 });
      expect(m.insns.size).toBe(0);
    });
  });
});

describe("bpfsim's logs of every corpus case", () => {
  // The 1M-instruction cases make 1M-line logs; they add nothing here.
  const cases = corpus.cases.filter((c) => c.insns !== '' && c.kernel.insnProcessed < 100_000);
  test.each([1, 2])('level %d: refused exactly when the log says so, with the sentence, the statistics and the instruction lines', (level) => {
    let refused = 0;
    for (const c of cases) {
      const r = runCase(c, level as 1 | 2);
      if (!r.log) continue; // refused before the verifier ran: no log, as in Linux
      const m = parseVerifierLog(r.log);
      const where = `${c.id}: ${r.log}`;
      expect([where, m.error === undefined]).toEqual([where, r.accepted]);
      if (!r.accepted) {
        refused++;
        // VerifyResult.error is the sentence of the log's message, the first or the last line.
        expect([where, m.error!.message.split('\n').includes(r.error!.replace(/processed \d+ insns.*$/, ''))]).toEqual([where, true]);
        const printed = r.log.split('\n').filter((l) => /^\d+: \(/.test(l));
        const named = /\binsn (\d+)\b/.exec(m.error!.message);
        const expected = named ? Number(named[1]) : printed.length ? Number(printed[printed.length - 1]!.split(':')[0]) : undefined;
        expect([where, m.error!.insn]).toEqual([where, expected]);
      }
      expect([where, m.stats?.processed]).toEqual([where, r.insnProcessed]);
      for (const v of allVisits(m)) expect([where, unparse(v.state)]).toEqual([where, v.state]);
    }
    expect(refused).toBeGreaterThan(600);
  });
});

describe("bpfsim's logs with source lines and a global function", () => {
  const ctxArg = { kind: 'ptr', target: { kind: 'STRUCT', name: 'xdp_md', size: 24 } } as const;
  const funcInfo: BtfFuncInfo[] = [
    { insnOff: 0, name: 'prog', linkage: 'global', returnsScalar: true, params: [ctxArg] },
    { insnOff: 5, name: 'helper_fn', linkage: 'global', returnsScalar: true, params: [ctxArg, { kind: 'scalar' }] },
  ];
  const lineInfo = [
    { insnOff: 0, fileName: 'src/prog.c', line: 10, lineText: '  int x = 7;' },
    { insnOff: 2, fileName: 'src/prog.c', line: 11, lineText: 'if (helper_fn(ctx, x) > 2)' },
    { insnOff: 5, fileName: 'src/prog.c', line: 3, lineText: 'return x + 1;' },
  ];
  const PROG = 'r2 = 7\ncall helper\nif r0 > 2 goto out\nr0 = 2\nout:\nexit\nhelper:\nr0 = r2\nr0 += 1\nexit';

  test('level 2: sources, the global function, its entry state and the branch into 4', () => {
    const r = run(PROG, 2, { funcInfo, lineInfo });
    expect(r.accepted).toBe(true);
    const m = parseVerifierLog(r.log);
    expect(m.error).toBeUndefined();
    expect(m.insns.get(0)!.source).toEqual({ file: 'prog.c', line: 10, text: 'int x = 7;' });
    expect(m.insns.get(1)!.source).toBeUndefined();
    expect(m.insns.get(2)!.source).toEqual({ file: 'prog.c', line: 11, text: 'if (helper_fn(ctx, x) > 2)' });
    expect(m.insns.get(5)!.source).toEqual({ file: 'prog.c', line: 3, text: 'return x + 1;' });
    expect([...m.funcs.values()]).toEqual([
      { index: 0, start: 0 },
      { index: 1, start: 5, name: 'helper_fn', global: true, validated: true, safe: true },
    ]);
    expect(m.insns.get(5)!.visits[0]).toMatchObject({ kind: 'entry', state: 'R1=ctx() R2=scalar() R10=fp0' });
    expect(m.insns.get(4)!.visits.map((v) => [v.kind, v.from, v.state])).toEqual([
      ['branch', 2, 'R0=scalar(umin=3) R10=fp0'],
      ['before', undefined, 'R0=scalar(umin=3) R10=fp0'],
    ]);
    expect(m.insns.get(6)!.visits[0]!.state).toBe('R0=scalar(id=1+1)');
  });

  test('level 1 keeps only the verdict on the global function', () => {
    const m = parseVerifierLog(run(PROG, 1, { funcInfo, lineInfo }).log);
    expect(m.insns.size).toBe(0);
    expect([...m.funcs.values()]).toEqual([{ index: 1, name: 'helper_fn', safe: true }]);
    expect(m.stats?.processed).toBe(9);
    expect(m.error).toBeUndefined();
  });
});

describe('parseRegState', () => {
  const e = (name: string, value: string, written = false, precise = false) => ({ name, value, written, precise });

  test('liveness suffixes are dropped and flagged', () => {
    expect(parseRegState('R1=ctx() R2_w=scalar(smin=0,smax=5) fp-8=mmmmmmmm')).toEqual([e('R1', 'ctx()'), e('R2', 'scalar(smin=0,smax=5)', true), e('fp-8', 'mmmmmmmm')]);
    expect(parseRegState('R3_r=pkt_end() R4_rw=1 fp-16_w=0000????')).toEqual([e('R3', 'pkt_end()'), e('R4', '1', true), e('fp-16', '0000????', true)]);
  });

  test('commas, spaces and = inside parentheses belong to the value', () => {
    expect(parseRegState('R0_w=map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)')).toEqual([e('R0', 'map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)', true)]);
    expect(parseRegState('R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0')).toEqual([
      e('R1', 'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))'),
      e('R10', 'fp0'),
    ]);
  });

  test('precision marks, refs, bare words and a frame prefix', () => {
    expect(parseRegState('frame1: R0=Pscalar() R6=P1 R7=pkt(r=14) refs=2,4 cb')).toEqual([
      e('R0', 'Pscalar()', false, true),
      e('R6', 'P1', false, true),
      e('R7', 'pkt(r=14)'),
      e('refs', '2,4'),
      e('cb', ''),
    ]);
    expect(parseRegState('')).toEqual([]);
  });
});
