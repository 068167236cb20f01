// The abstract interpreter's main loop: do_check() and do_check_insn(), with check_ld_imm(),
// check_ld_abs(), the exit path (process_bpf_exit_full) and check_max_stack_depth().
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_EXIT,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_OP,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_SIZE,
  BPF_SRC,
  BPF_ST,
  BPF_STX,
  formatKernelInsn,
} from '@bpfsim/isa';
import { checkAluOp } from './alu';
import { checkFuncCall, checkHelperCall, checkResourceLeak, checkReturnCode, prepareFuncExit } from './call';
import type { Env } from './env';
import { BPF_COMPLEXITY_LIMIT_INSNS, fail } from './env';
import { checkCondJmp } from './jmp';
import { frameStateStr } from './log';
import { printInsnState, refsStr } from './print';
import { checkAtomic, checkLoad, checkPtrOffReg, checkStoreImm, checkStoreReg } from './mem';
import { isStateVisited, updateBranchCounts } from './prune';
import { pushJmpHistory } from './precision';
import { knownReg, notInit, ptrReg, regTypeStr, unknownReg } from './reg';
import { globalEntryArgs, prepareFuncArgs, subprogName } from './btf-func';
import { CALLER_SAVED, checkRegArg } from './regs';
import { newFrame } from './state';
import { big } from './scalar/int';

const MAX_BPF_STACK = 512;
const MAX_CALL_FRAMES = 8;

/** What one instruction did to control flow. */
type Step = 'next' | 'exit';

/** print_verifier_state(..., print_all) */
function printState(env: Env, frameno = env.cur.curframe): string {
  return frameStateStr(env.cur.frames[frameno]!) + refsStr(env) + '\n';
}

/** check_ld_imm(): a 64-bit constant, a map, a map value address or a subprogram. */
function checkLdImm(env: Env, insn: Insn, idx: number): void {
  if (BPF_SIZE(insn.code) !== BPF_DW) fail('EINVAL', 'invalid BPF_LD_IMM insn');
  if (insn.off !== 0) fail('EINVAL', 'BPF_LD_IMM64 uses reserved fields');
  checkRegArg(env, insn.dst, 'dst');
  const regs = env.regs;
  if (insn.src === 0) {
    const hi = big(env.insns[idx + 1]!.imm >>> 0);
    regs[insn.dst] = knownReg((hi << 32n) | big(insn.imm >>> 0));
    return;
  }
  if (insn.src === BPF_PSEUDO_FUNC) fail('EINVAL', 'missing btf func_info');
  const map = env.insnMaps.get(idx)!;
  if (insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
    regs[insn.dst] = ptrReg('PTR_TO_MAP_VALUE', { map, off: env.insns[idx + 1]!.imm >>> 0 });
  } else {
    regs[insn.dst] = ptrReg('CONST_PTR_TO_MAP', { map });
  }
}

/** check_ld_abs(): legacy packet loads; they act as a helper call clobbering r1-r5. */
function checkLdAbs(env: Env, insn: Insn): void {
  if (!env.prog.ldAbs) fail('EINVAL', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = BPF_MODE(insn.code);
  if (insn.dst !== 0 || insn.off !== 0 || BPF_SIZE(insn.code) === BPF_DW || (mode === BPF_ABS && insn.src !== 0)) {
    fail('EINVAL', 'BPF_LD_[ABS|IND] uses reserved fields');
  }
  checkRegArg(env, 6, 'src');
  checkResourceLeak(env, 'BPF_LD_[ABS|IND]');
  const regs = env.regs;
  if (regs[6]!.type !== 'PTR_TO_CTX') fail('EINVAL', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (mode === BPF_IND) checkRegArg(env, insn.src, 'src');
  checkPtrOffReg(env, regs[6]!, 6, false);
  for (const r of CALLER_SAVED) {
    regs[r] = notInit();
    env.markRegScratched(r);
  }
  regs[0] = unknownReg();
}

/** do_check_insn() */
function doCheckInsn(env: Env): Step {
  const idx = env.insnIdx;
  const insn = env.insns[idx]!;
  const cls = BPF_CLASS(insn.code);
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    checkAluOp(env, insn);
  } else if (cls === BPF_LDX) {
    checkLoad(env, insn);
  } else if (cls === BPF_STX) {
    if (BPF_MODE(insn.code) === BPF_ATOMIC) checkAtomic(env, insn);
    else {
      if (BPF_MODE(insn.code) !== BPF_MEM || insn.imm !== 0) fail('EINVAL', 'BPF_STX uses reserved fields');
      checkStoreReg(env, insn);
    }
  } else if (cls === BPF_ST) {
    checkStoreImm(env, insn);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    const op = BPF_OP(insn.code);
    env.jmpsProcessed++;
    if (op === BPF_CALL) {
      if (
        BPF_SRC(insn.code) !== BPF_K ||
        (insn.src !== BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
        (insn.src !== 0 && insn.src !== BPF_PSEUDO_CALL && insn.src !== BPF_PSEUDO_KFUNC_CALL) ||
        insn.dst !== 0 ||
        cls === BPF_JMP32
      ) {
        fail('EINVAL', 'BPF_CALL uses reserved fields');
      }
      if (insn.src === BPF_PSEUDO_CALL) {
        const target = checkFuncCall(env, insn, idx);
        if (target < 0) {
          // A global function: arguments checked, R0 an unknown scalar, on to the next insn.
          env.insnIdx++;
          return 'next';
        }
        if (env.log.enabled) {
          env.verbose('caller:\n' + printState(env, env.cur.curframe - 1));
          env.verbose('callee:\n' + printState(env));
        }
        env.insnIdx = target;
        return 'next';
      }
      if (insn.src === BPF_PSEUDO_KFUNC_CALL) {
        // check_kfunc_call(): only the kfunc id 0 gets here (add_kfunc_call refused the
        // others); it is left for fixup_kfunc_call to refuse if it is not dead code.
        env.markRegScratched(0);
        env.insnIdx++;
        return 'next';
      }
      checkHelperCall(env, insn, idx);
      env.markRegScratched(0);
    } else if (op === BPF_JA) {
      if (BPF_SRC(insn.code) !== BPF_K || insn.src !== 0 || insn.dst !== 0 || (cls === BPF_JMP && insn.imm !== 0) || (cls === BPF_JMP32 && insn.off !== 0)) {
        fail('EINVAL', 'BPF_JA uses reserved fields');
      }
      env.insnIdx += (cls === BPF_JMP ? insn.off : insn.imm) + 1;
      return 'next';
    } else if (op === BPF_EXIT) {
      if (BPF_SRC(insn.code) !== BPF_K || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || cls === BPF_JMP32) {
        fail('EINVAL', 'BPF_EXIT uses reserved fields');
      }
      return processBpfExit(env);
    } else {
      env.insnIdx = checkCondJmp(env, insn, idx);
      return 'next';
    }
  } else if (cls === BPF_LD) {
    const mode = BPF_MODE(insn.code);
    if (mode === BPF_ABS || mode === BPF_IND) checkLdAbs(env, insn);
    else if (mode === BPF_IMM) {
      checkLdImm(env, insn, idx);
      env.insnIdx++;
    } else fail('EINVAL', 'invalid BPF_LD mode');
  } else {
    fail('EINVAL', `unknown insn class ${cls}`);
  }
  env.insnIdx++;
  return 'next';
}

/** process_bpf_exit_full(): a subprogram returns to its caller; the main program ends a path. */
function processBpfExit(env: Env): Step {
  checkResourceLeak(env, 'BPF_EXIT instruction in main prog');
  if (env.cur.curframe) {
    const callee = env.log.enabled ? printState(env) : '';
    const next = prepareFuncExit(env);
    if (env.log.enabled) env.verbose(`returning from callee:\n${callee}to caller at ${next}:\n` + printState(env));
    env.insnIdx = next;
    // process_bpf_exit_full(): *do_print_state = true — level 2 shows `from 46 to 19: ...`.
    env.printStateNext = true;
    return 'next';
  }
  // check_return_code(): a global function returns a scalar; the main program its type's range.
  const f0 = env.cur.frames[0]!;
  if (f0.subprogno) {
    checkRegArg(env, 0, 'src');
    const r0 = env.regs[0]!;
    if (r0.type !== 'SCALAR_VALUE') {
      if (!env.privileged) fail('EACCES', 'R0 leaks addr as return value');
      fail('EINVAL', `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
    }
    return 'exit';
  }
  checkReturnCode(env);
  return 'exit';
}

/** do_check_common()'s initial state: r1 = ctx, r10 = the frame pointer. */
/** do_check_common()'s entry state: the main program gets the ctx in R1; a global function
 * gets its prototype's arguments (ctx, any scalar, or memory of the pointee's size). */
function initState(env: Env, subprog: number): void {
  const frame = newFrame(0, -1, subprog);
  const start = env.subprogs[subprog]?.start ?? 0;
  if (subprog) {
    env.verbose(`Validating ${subprogName(env, subprog)}() func#${subprog}...\n`);
    globalEntryArgs(env, subprog).forEach((a, i) => {
      if (a.type === 'ctx') frame.regs[i + 1] = ptrReg('PTR_TO_CTX');
      else if (a.type === 'anything') frame.regs[i + 1] = unknownReg();
      else frame.regs[i + 1] = ptrReg('PTR_TO_MEM', { memSize: a.size, maybeNull: a.maybeNull, id: a.maybeNull ? ++env.idGen : 0 });
    });
  } else {
    // The main program's own func info must say (ctx); otherwise it is unreliable BTF.
    const sub = env.subprogBtf?.[0];
    if (sub) {
      const prep = prepareFuncArgs(env, 0);
      if (!prep.ok || sub.args!.length !== 1 || sub.args![0]!.type !== 'ctx') sub.unreliable = true;
    }
    frame.regs[1] = ptrReg('PTR_TO_CTX');
  }
  frame.regs[10] = ptrReg('PTR_TO_STACK', { frameno: 0 });
  env.insnIdx = start;
  env.prevLinfo = undefined;
  env.cur = { frames: [frame], curframe: 0, refs: [], insnIdx: start, parent: undefined, firstInsnIdx: start, lastInsnIdx: -1, jmpHistory: [], mayGotoDepth: 0, dfsDepth: 0 };
}

/** do_check() from the main program (subprog 0) or a global function. */
export function doCheck(env: Env, subprog = 0): void {
  initState(env, subprog);
  const n = env.insns.length;
  const log = env.log;
  let doPrintState = false;
  let prevInsnIdx = -1;
  env.markAllScratched();
  for (;;) {
    env.prevInsnIdx = prevInsnIdx;
    const idx = env.insnIdx;
    if (idx >= n || idx < 0) fail('EFAULT', `invalid insn idx ${idx} insn_cnt ${n}`);
    env.curHistEnt = undefined;
    if (++env.insnProcessed > BPF_COMPLEXITY_LIMIT_INSNS) fail('E2BIG', `BPF program is too large. Processed ${env.insnProcessed} insn`);
    env.cur.lastInsnIdx = env.prevInsnIdx;
    env.cur.insnIdx = idx;
    let step: Step;
    if (env.printStateNext) {
      doPrintState = true;
      env.printStateNext = false;
    }
    if (env.prunePoints.has(idx) && isStateVisited(env, idx)) {
      if (log.enabled) env.verbose(doPrintState ? `\nfrom ${env.prevInsnIdx} to ${idx}: safe\n` : `${idx}: safe\n`);
      step = 'exit';
    } else {
      if (env.jmpPoints.has(idx)) pushJmpHistory(env);
      if (log.level >= 2 && doPrintState) {
        env.verbose(`\nfrom ${env.prevInsnIdx} to ${idx}:` + printState(env));
        doPrintState = false;
      }
      if (log.enabled) {
        if (env.scratchedRegs || env.scratchedSlots.size) printInsnState(env);
        env.verboseLinfo(idx, '; ');
        const start = log.endPos;
        env.verbose(`${idx}: ${formatKernelInsn(env.insns, idx, env.disasmOptions)}\n`);
        env.prevInsnPrintLen = log.endPos - start;
        env.prevLogPos = log.endPos;
      }
      noteFacts(env, idx);
      prevInsnIdx = idx;
      step = doCheckInsn(env);
    }
    if (step === 'exit') {
      env.markAllScratched();
      updateBranchCounts(env);
      if (!env.popBranch()) break;
      prevInsnIdx = env.prevInsnIdx;
      doPrintState = true;
    }
  }
}

/** check_max_stack_depth(): frames' stacks (rounded as the JIT does) add up along each call chain. */
export function checkMaxStackDepth(env: Env): void {
  const roundUp = (d: number): number => Math.ceil(d / 16) * 16;
  const subprogOf = (insnIdx: number): number => env.subprogs.findIndex((s) => s.start === insnIdx);
  const walk = (idx: number, depth: number, frame: number): void => {
    depth += roundUp(env.subprogs[idx]!.stackDepth);
    if (depth > MAX_BPF_STACK) fail('EACCES', `combined stack size of ${frame + 1} calls is ${depth}. Too large`);
    const start = env.subprogs[idx]!.start;
    const end = env.subprogs[idx + 1]?.start ?? env.insns.length;
    for (let i = start; i < end; i++) {
      const insn = env.insns[i]!;
      const pseudoCall = insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_CALL;
      if (!pseudoCall) continue;
      if (frame + 1 >= MAX_CALL_FRAMES) fail('E2BIG', `the call stack of ${frame + 1} frames is too deep !`);
      walk(subprogOf(i + insn.imm + 1), depth, frame + 1);
    }
  };
  walk(0, 0, 0);
}

/** The log's last line (print_verification_stats). */
export function verificationStats(env: Env): string {
  return (
    `processed ${env.insnProcessed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${env.maxStatesPerInsn} ` +
    `total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0\n`
  );
}

/** fixup_kfunc_call(): a kfunc call with id 0 that survived dead-code removal. */
export function checkKfuncZeroCalls(env: Env): void {
  env.insns.forEach((insn, i) => {
    if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_KFUNC_CALL && env.aux[i]!.seen) {
      fail('EINVAL', 'invalid kernel function call not eliminated in verifier pass');
    }
  });
}

/** What this path shows about the instruction, met with what other paths showed (the JIT
 * may rely on a fact only if it held on every path; pruned paths are covered by the state
 * that pruned them, which is at least as general). */
function noteFacts(env: Env, idx: number): void {
  const aux = env.aux[idx]!;
  aux.seen = true;
  // Only registers every earlier path left in [0, 2^32) can stay in the mask.
  const prev = aux.u32Regs ?? 0x3ff;
  let mask = 0;
  const regs = env.regs;
  for (let r = 0; r < 10; r++) {
    if (!(prev & (1 << r))) continue;
    const reg = regs[r]!;
    if (reg.type === 'SCALAR_VALUE' && reg.umax <= 0xffffffffn) mask |= 1 << r;
  }
  aux.u32Regs = mask;
}

/** What the verifier proved about one instruction, for the JIT (VerifyResult.facts). */
export interface InsnFacts {
  /** The instruction is reached on some path (false: dead code, never run). */
  reached: boolean;
  /** Registers r0-r9 holding a scalar in [0, 2^32) before the instruction on every path. */
  u32Regs: number[];
  /** A memory instruction: the kinds of pointer its base register held (`ctx`, `fp`, `pkt`, …). */
  ptrKinds?: string[];
  /** A conditional jump taken on every path ('always') or on none ('never'). */
  branch?: 'always' | 'never';
}

export function collectFacts(env: Env): InsnFacts[] {
  return env.aux.map((a) => {
    const f: InsnFacts = { reached: !!a.seen, u32Regs: [] };
    if (!a.seen) return f;
    for (let r = 0; r < 10; r++) if ((a.u32Regs ?? 0) & (1 << r)) f.u32Regs.push(r);
    if (a.ptrTypes?.size) f.ptrKinds = [...a.ptrTypes].sort();
    if (a.outcomes === 1) f.branch = 'never';
    if (a.outcomes === 2) f.branch = 'always';
    return f;
  });
}
