// Runs bpf_conformance test cases (`.data` files): the program gets the `-- mem` bytes in a
// region, r1 pointing at them and r2 holding their length, as the suite's plugins do; r0 at
// exit must equal `-- result`, or the run must fail when `-- error` is given.
import type { Insn } from '@bpfsim/isa';
import { BPF_CALL, BPF_JMP, IsaError, assemble, decode, parseConformanceData } from '@bpfsim/isa';
import type { EngineName } from './engine';
import { VmProgram, run } from './engine';
import { Memory } from './memory';
import { PrepareError } from './program';

export type ConformanceStatus = 'pass' | 'fail' | 'skip';

export interface ConformanceOutcome {
  file: string;
  status: ConformanceStatus;
  /** Why it failed or was skipped. */
  reason?: string;
}

const hex = (v: bigint): string => '0x' + v.toString(16);

/** Helper calls in a program: bpf_conformance's plugins define their own helpers, not Linux's. */
function helperCalls(insns: readonly Insn[]): number[] {
  return insns.filter((i) => i.code === (BPF_JMP | BPF_CALL) && i.src === 0).map((i) => i.imm);
}

export function runConformanceCase(file: string, text: string, engine: EngineName): ConformanceOutcome {
  let insns: Insn[];
  let expectError: string | undefined;
  let expected: bigint | undefined;
  let mem: Uint8Array;
  try {
    const c = parseConformanceData(text, file);
    insns = c.asm ? assemble(c.asm.text, { syntax: 'ubpf', file, lineOffset: c.asm.lineOffset }).insns : decode(c.raw!);
    expectError = c.error;
    expected = c.result;
    mem = c.mem;
  } catch (e) {
    if (e instanceof IsaError) return { file, status: 'fail', reason: e.message };
    throw e;
  }
  const helpers = helperCalls(insns);
  if (helpers.length) {
    return { file, status: 'skip', reason: `calls helper ${helpers.join(', ')}, which only bpf_conformance's own plugins define (not a Linux helper)` };
  }
  let prog: VmProgram;
  try {
    prog = new VmProgram(insns);
  } catch (e) {
    if (!(e instanceof PrepareError)) throw e;
    if (/callx/.test(e.reason)) return { file, status: 'skip', reason: e.message };
    if (expectError !== undefined) return { file, status: 'pass' };
    return { file, status: 'fail', reason: `program refused: ${e.message}` };
  }
  const memory = new Memory();
  const region = mem.length ? memory.map(mem.slice(), { kind: 'mem', name: 'conformance memory' }) : undefined;
  const r1 = region ? region.address() : 0n;
  const result = run(prog, engine, memory, [r1, BigInt(mem.length)]);
  if (expectError !== undefined) {
    return result.fault ? { file, status: 'pass' } : { file, status: 'fail', reason: `expected an error${expectError ? ` (${expectError})` : ''}, but the program returned ${hex(result.r0)}` };
  }
  if (result.fault) return { file, status: 'fail', reason: result.fault.message };
  if (result.r0 !== expected) return { file, status: 'fail', reason: `r0 is ${hex(result.r0)}, expected ${hex(expected!)}` };
  return { file, status: 'pass' };
}

export interface ConformanceSummary {
  outcomes: ConformanceOutcome[];
  passed: number;
  failed: number;
  skipped: number;
}

export function summarize(outcomes: ConformanceOutcome[]): ConformanceSummary {
  const count = (s: ConformanceStatus): number => outcomes.filter((o) => o.status === s).length;
  return { outcomes, passed: count('pass'), failed: count('fail'), skipped: count('skip') };
}
