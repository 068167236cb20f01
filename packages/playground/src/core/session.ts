// One run of the playground: a scenario with the user's edits, every program's verifier log
// at level 2 (parsed, and its instructions mapped to the editor's lines), the timeline, the
// maps at the end, the captures, and an instruction-by-instruction trace of each run of the
// program being debugged (the interpreter runs that one program, recording; the others keep
// the engine the page chose).
import { disassemble } from '@bpfsim/isa';
import type { ProgHandle } from '@bpfsim/kernel';
import type { ProgramRecord, RunResult, ScenarioDef } from '@bpfsim/scenario';
import { runScenario } from '@bpfsim/scenario';
import { parseVerifierLog } from '@bpfsim/verifier';
import type { VerifierLogModel } from '@bpfsim/verifier';
import { insnLines } from './asm-lines';
import { ProgramTraceCollector } from './trace';
import type { TraceRun } from './trace';

export interface PlaygroundOptions {
  seed?: number;
  /** Edited programs: "host/name" (or a name, for every host) → assembly. */
  edits?: Readonly<Record<string, string>>;
  /** The program whose runs are traced for the step-through view: "host/name", or a name
   * (the first program of that name). */
  trace?: string;
  /** 'interp' where the page may not compile JavaScript (a CSP without 'unsafe-eval'). */
  engine?: 'jit' | 'interp';
  /** Runs of the traced program kept (the first ones), and steps per run. */
  maxTraceRuns?: number;
  maxTraceSteps?: number;
}

/** A program as the playground shows it. */
export interface ProgramView {
  record: ProgramRecord;
  /** The verifier's log, parsed. */
  model: VerifierLogModel;
  /** Instruction index → 1-based line of record.asm. */
  lines: Map<number, number>;
  /** The line of the instruction the verifier refused, when it refused one. */
  errorLine?: number;
  /** The loaded instructions as text, by index (for the debugger). */
  disasm: Map<number, string>;
}

export interface PlaygroundRun {
  result: RunResult;
  programs: ProgramView[];
  /** The traced program's runs (empty when it never ran). */
  traces: TraceRun[];
  engine: 'jit' | 'interp';
}

export async function runPlayground(def: ScenarioDef, opts: PlaygroundOptions = {}): Promise<PlaygroundRun> {
  const engine = opts.engine ?? 'jit';
  const disasm = new Map<string, Map<number, string>>();
  let collector: ProgramTraceCollector | undefined;
  const onLoad = (rec: ProgramRecord, handle: ProgHandle): void => {
    const prog = handle.prog;
    disasm.set(programKey(rec), new Map(disassemble(prog.spec.origInsns, { helperNames: true }).map((l) => [l.index, l.text])));
    if (opts.trace !== undefined && (programKey(rec) === opts.trace || rec.name === opts.trace) && !collector) {
      collector = new ProgramTraceCollector(prog.vm, prog.id, { maxRuns: opts.maxTraceRuns ?? 64, maxSteps: opts.maxTraceSteps ?? 20000 });
    }
  };
  const result = await runScenario(def, {
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    engine,
    pcap: true,
    dumpMaps: 256,
    programs: { logLevel: 2, ...(opts.edits ? { override: opts.edits } : {}), onLoad },
  });
  collector?.detach();
  const programs = result.programs.map((record): ProgramView => {
    const model = parseVerifierLog(record.log);
    const lines = insnLines(record, record.asm);
    const errInsn = model.error?.insn;
    return {
      record,
      model,
      lines,
      ...(errInsn !== undefined && lines.has(errInsn) ? { errorLine: lines.get(errInsn)! } : {}),
      disasm: disasm.get(programKey(record)) ?? new Map(),
    };
  });
  return { result, programs, traces: collector?.runs ?? [], engine };
}

/** How the playground names a program: "host/name" (two hosts may load the same name). */
export function programKey(rec: Pick<ProgramRecord, 'host' | 'name'>): string {
  return `${rec.host}/${rec.name}`;
}

/** Whether this page may compile JavaScript at run time (the JIT's new Function). */
export function jitAllowed(): boolean {
  try {
    return new Function('return 1')() === 1;
  } catch {
    return false;
  }
}
