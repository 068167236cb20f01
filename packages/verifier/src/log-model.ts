// A verifier log (level 1 or 2, Linux 6.18's format: bpfsim's and the kernel's) read back
// into instructions, the states printed at each, the refusal and the closing statistics:
// what a playground needs to mark the failing instruction and show registers on hover.
// The line shapes are those of do_check(), print_insn_state(), print_verifier_state(),
// verbose_linfo(), compute_live_registers() and print_verification_stats().

/** One register/stack state printed for an instruction. */
export interface InsnVisit {
  /** The state as printed, without its "frameN: " prefix (in `frame`), e.g.
   * "R1=ctx() R2_w=scalar(smin=0,smax=5) fp-8=mmmmmmmm"; '' when `pruned`. */
  state: string;
  /** Where it came from:
   * - 'after': the "; R..." tail of the instruction's own line (what it changed);
   * - 'before': an "N: R..." line, the registers changed since the last instruction line
   *   (print_insn_state() when other lines came in between), or "N: safe";
   * - 'branch': a "from X to N: ..." line (level 2), the whole state on entering the branch;
   * - 'entry': the first "N: ..." line of a pass (the main program, a global function). */
  kind: 'after' | 'before' | 'branch' | 'entry';
  /** 'branch': the jump (or exit) it came from. */
  from?: number;
  /** The call frame the state belongs to (print_verifier_state() prints " frameN:" for N > 0). */
  frame: number;
  /** The state was found equivalent to one already verified ("N: safe", "from X to N: safe"). */
  pruned?: true;
  /** "from X to N (speculative execution): ..." */
  speculative?: true;
  /** The 1-based line of the log it was read from. */
  line: number;
}

export interface LogInsn {
  idx: number;
  /** The disassembly as the log prints it, e.g. "(bf) r6 = r1". */
  text: string;
  /** How many times the instruction was processed ("N: (..) ..." lines); 0 when the log
   * only names it (the level-2 live-registers table, a branch target). */
  seen: number;
  /** The states printed for it, in log order. */
  visits: InsnVisit[];
  /** The "; text @ file:line" line printed just before it (verbose_linfo(), which prints a
   * line only where it changes, so instructions after the first of a line have none). */
  source?: { file?: string; line?: number; text: string };
  /** Level 2's "Live regs before insn:" column: r0-r9, a digit if live, '.' if not (".1....6..."). */
  live?: string;
}

/** A function of the program, from the headers the log prints about it. */
export interface LogFunc {
  /** func#N: subprograms in instruction order, 0 the main program. */
  index: number;
  /** Its first instruction ("func#N @start", level 2). */
  start?: number;
  name?: string;
  /** A global function: at a call "Func#N ('name') is global and assumed valid.", and/or
   * verified on its own ("Validating name() func#N..."). */
  global?: true;
  /** "Validating name() func#N..." was printed. */
  validated?: true;
  /** "Func#N ('name') is safe for any args that match its prototype". */
  safe?: true;
}

/** print_verification_stats(): the last line's numbers, named after its words. */
export interface LogStats {
  /** insn_processed */
  processed: number;
  /** The complexity limit (1000000 privileged). */
  limit: number;
  maxStatesPerInsn: number;
  totalStates: number;
  peakStates: number;
  markRead: number;
  /** Log level 4 (BPF_LOG_STATS) only: "verification time N usec". */
  verificationTimeUsec?: number;
  /** Log level 4 only: "stack depth 8+0", per function. */
  stackDepth?: number[];
}

export interface VerifierLogModel {
  /** Every instruction the log shows (processed, in the live-registers table, or a branch
   * target), by index. An index named only by the error is not added. */
  insns: Map<number, LogInsn>;
  /** The refusal: the message line(s) at the end of the log, before the statistics. */
  error?: {
    message: string;
    /** The instruction it happened at: an index the message names ("jump out of range from
     * insn 5 to 40", "unreachable insn 4", "infinite loop detected at insn 3"), else the
     * last instruction line printed before it; absent when neither exists. */
    insn?: number;
    /** The 1-based log line of its first line. */
    line: number;
  };
  stats?: LogStats;
  /** The functions the log names, by index (empty at level 1 without global functions). */
  funcs: Map<number, LogFunc>;
}

const INSN_LINE = /^(\d+): (\([0-9a-f]{2}\) .*)$/;
const STATE_LINE = /^(\d+):(?: (.*))?$/;
const BRANCH_LINE = /^from (\d+) to (\d+)( \(speculative execution\))?:(?: (.*))?$/;
const SOURCE_LINE = /^; (.*?)(?: @ (\S+):(\d+))?$/;
const LIVE_ROW = /^ +(?:\d+ +)?(\d+): ([.0-9]{10}) (\([0-9a-f]{2}\) .*)$/;
const FUNC_START = /^func#(\d+) @(\d+)$/;
const FUNC_GLOBAL = /^Func#(\d+) \('(.*)'\) is global and assumed valid\.$/;
const FUNC_VALIDATING = /^Validating (.*)\(\) func#(\d+)\.\.\.$/;
const FUNC_SAFE = /^Func#(\d+) \('(.*)'\) is safe for any args that match its prototype$/;
const PROCESSED =
  /processed (\d+) insns \(limit (\d+)\) max_states_per_insn (\d+) total_states (\d+) peak_states (\d+)(?: mark_read (\d+))?/;
/** Lines that narrate, never refuse: precision backtracking, stack liveness (the
 * "(N) frame ..." lines), SCCs, calls and returns and the states they print (indented),
 * and btf_prepare_func_args()'s note on a global function's argument it cannot size. */
const NARRATION =
  /^(?:mark_precise: |force_precise: |frame \d+: propagating |propagate_backedges: |SCC |\(\d+\) |caller:$|callee:$|returning from callee:$|to caller at \d+:$|Live regs before insn:$| |arg#\d+ reference type\('.*'\) size cannot be determined: -?\d+$)/;
/** An index the error names; the first one is where it happened ("back-edge from insn 7 to 3"). */
const NAMED_INSN = /\binsn (\d+)\b/;

/** Reads a verifier log (level 1 or 2) back into instructions, states, the error and stats. */
export function parseVerifierLog(log: string): VerifierLogModel {
  const insns = new Map<number, LogInsn>();
  const funcs = new Map<number, LogFunc>();
  const model: VerifierLogModel = { insns, funcs };
  const insnAt = (idx: number): LogInsn => {
    let i = insns.get(idx);
    if (!i) insns.set(idx, (i = { idx, text: '', seen: 0, visits: [] }));
    return i;
  };
  const funcAt = (index: number): LogFunc => {
    let f = funcs.get(index);
    if (!f) funcs.set(index, (f = { index }));
    return f;
  };
  const visit = (idx: number, v: Omit<InsnVisit, 'frame' | 'state'>, printed: string): void => {
    const { frame, state } = splitFrame(printed);
    insnAt(idx).visits.push({ state, frame, ...v });
  };

  let source: LogInsn['source'];
  let lastInsn: number | undefined;
  let entryNext = true;

  /** Takes in a line of a known shape; false for anything else (a message). */
  const explain = (text: string, line: number): boolean => {
    let m: RegExpExecArray | null;
    if ((m = INSN_LINE.exec(text))) {
      const idx = Number(m[1]);
      const insn = insnAt(idx);
      // The disassembly never holds ';', so the first one starts the state (which may: "var_off=(0x0; 0xff)").
      const semi = m[2]!.indexOf(';');
      insn.text = (semi < 0 ? m[2]! : m[2]!.slice(0, semi)).trimEnd();
      insn.seen++;
      if (source) insn.source = source;
      source = undefined;
      if (semi >= 0) visit(idx, { kind: 'after', line }, m[2]!.slice(semi + 1));
      lastInsn = idx;
      entryNext = false;
    } else if ((m = BRANCH_LINE.exec(text))) {
      const safe = m[4] === 'safe';
      const flags = { ...(m[3] ? { speculative: true as const } : {}), ...(safe ? { pruned: true as const } : {}) };
      visit(Number(m[2]), { kind: 'branch', from: Number(m[1]), line, ...flags }, safe ? '' : (m[4] ?? ''));
    } else if ((m = STATE_LINE.exec(text))) {
      if (m[2] === 'safe') visit(Number(m[1]), { kind: 'before', pruned: true, line }, '');
      else visit(Number(m[1]), { kind: entryNext ? 'entry' : 'before', line }, m[2] ?? '');
      entryNext = false;
    } else if ((m = SOURCE_LINE.exec(text))) {
      source = m[2] === undefined ? { text: m[1]! } : { file: m[2], line: Number(m[3]), text: m[1]! };
    } else if ((m = LIVE_ROW.exec(text))) {
      const insn = insnAt(Number(m[1]));
      insn.live = m[2]!;
      if (!insn.text) insn.text = m[3]!;
    } else if ((m = FUNC_START.exec(text))) {
      funcAt(Number(m[1])).start = Number(m[2]);
    } else if ((m = FUNC_GLOBAL.exec(text))) {
      Object.assign(funcAt(Number(m[1])), { name: m[2]!, global: true });
    } else if ((m = FUNC_VALIDATING.exec(text))) {
      Object.assign(funcAt(Number(m[2])), { name: m[1]!, global: true, validated: true });
      entryNext = true;
    } else if ((m = FUNC_SAFE.exec(text))) {
      Object.assign(funcAt(Number(m[1])), { name: m[2]!, safe: true });
    } else return NARRATION.test(text);
    return true;
  };

  // Lines nothing explains since the last line something did: at the end, the error.
  let message: { lines: string[]; line: number; lastInsn: number | undefined } | undefined;
  const unexplained = (text: string, line: number): void => {
    if (!message) message = { lines: [], line, lastInsn };
    message.lines.push(text);
  };

  log.split(/\r?\n/).forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    let m: RegExpExecArray | null;
    if ((m = PROCESSED.exec(text))) {
      // A message printed without its newline shares the line ("... Processed 1000001 insn").
      const head = text.slice(0, m.index);
      if (head.trim()) unexplained(head, line);
      const n = (k: number): number => Number(m![k] ?? 0);
      model.stats = { ...model.stats, processed: n(1), limit: n(2), maxStatesPerInsn: n(3), totalStates: n(4), peakStates: n(5), markRead: n(6) };
    } else if ((m = /^verification time (\d+) usec$/.exec(text))) {
      model.stats = { ...emptyStats(), ...model.stats, verificationTimeUsec: Number(m[1]) };
    } else if ((m = /^stack depth (\d+(?:\+\d+)*)$/.exec(text))) {
      model.stats = { ...emptyStats(), ...model.stats, stackDepth: m[1]!.split('+').map(Number) };
    } else if (explain(text, line)) {
      message = undefined;
    } else {
      unexplained(text, line);
    }
  });

  if (message) {
    const text = message.lines.join('\n');
    const named = NAMED_INSN.exec(text);
    const insn = named ? Number(named[1]) : message.lastInsn;
    model.error = { message: text, line: message.line, ...(insn === undefined ? {} : { insn }) };
  }
  return model;
}

const emptyStats = (): LogStats => ({ processed: 0, limit: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, markRead: 0 });

/** " frame1: R0=0 R10=fp0" -> { frame: 1, state: "R0=0 R10=fp0" } */
function splitFrame(printed: string): { frame: number; state: string } {
  const s = printed.trim();
  const m = /^frame(\d+):\s*/.exec(s);
  return m ? { frame: Number(m[1]), state: s.slice(m[0].length) } : { frame: 0, state: s };
}

/** One entry of a printed state. */
export interface RegStateEntry {
  /** "R0".."R10", "fp-8"..., or another word print_verifier_state() prints ("refs", "cb"). */
  name: string;
  /** As printed, e.g. "map_value_or_null(id=1,off=0,ks=4,vs=8,imm=0)", "P0", "mmmmmmmm";
   * '' for a bare word ("cb", "async_cb"). */
  value: string;
  /** The name carried a liveness suffix with 'w' (REG_LIVE_WRITTEN: "_w", "_rw"), as older
   * kernels print them; Linux 6.18's logs have none. */
  written: boolean;
  /** A scalar marked precise: print_reg_state()'s 'P' before the value ("P0", "Pscalar()"). */
  precise: boolean;
}

/** Splits a printed state into its entries, liveness suffixes dropped:
 * "R1=ctx() R2_w=scalar(smin=0,smax=5) fp-8=mmmmmmmm" ->
 * [{ name: 'R1', value: 'ctx()' }, { name: 'R2', value: 'scalar(smin=0,smax=5)', written: true }, ...].
 * Spaces and '=' inside parentheses belong to the value ("var_off=(0x0; 0xff)"); a leading
 * "frameN:" is skipped. */
export function parseRegState(state: string): RegStateEntry[] {
  const out: RegStateEntry[] = [];
  for (const token of splitTopLevel(state)) {
    if (/^frame\d+:$/.test(token)) continue;
    const eq = token.indexOf('=');
    const rawName = eq < 0 ? token : token.slice(0, eq);
    const value = eq < 0 ? '' : token.slice(eq + 1);
    const live = /^(R\d+|fp-?\d+)_([rwD]+)$/.exec(rawName);
    out.push({
      name: live ? live[1]! : rawName,
      value,
      written: live ? live[2]!.includes('w') : false,
      precise: value.startsWith('P'),
    });
  }
  return out;
}

/** Space-separated tokens, spaces inside (), [] and {} kept. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    if (c === ' ' && depth === 0) {
      if (start >= 0) out.push(s.slice(start, i));
      start = -1;
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(s.slice(start));
  return out;
}
