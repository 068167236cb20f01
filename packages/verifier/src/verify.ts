// verify(): bpf_check() in order, from the load-time checks of bpf_prog_load() to the
// abstract interpretation and the stack-depth check, with the kernel's errno and log.
import type { Insn } from '@bpfsim/isa';
import { BPF_CALL, BPF_JMP, LD_IMM64, formatKernelInsn } from '@bpfsim/isa';
import type { VerifyOptions, VerifyResult } from './api';
import { addSubprogs, checkAbnormalReturn, checkCfg, checkSubprogs, resolvePseudoLdImm64 } from './cfg';
import { checkBtfFunc, subprogIsGlobal, subprogName } from './btf-func';
import { checkKfuncZeroCalls, checkMaxStackDepth, collectFacts, doCheck, verificationStats } from './check';
import { Env, VerifyError } from './env';
import { computeLiveRegs, computeScc } from './live';
import type { ProgTypeDescriptor } from './prog-type';

/** BPF_MAXINSNS: the instruction limit of unprivileged loads. */
export const BPF_MAXINSNS = 4096;

/** Thrown for what bpf_prog_load() refuses before the verifier runs (no log). */
const refuse = (errno: VerifyResult['errno'], error: string): VerifyResult => ({ accepted: false, errno, error, insnProcessed: 0, log: '' });

/** The program-type descriptor for `progType` in the registry the caller hands in (the
 * verifier has no program types of its own: the kernel's registry owns them). */
export function findProgType(progType: number, registry: readonly ProgTypeDescriptor[]): ProgTypeDescriptor | undefined {
  return registry.find((d) => d.type === progType);
}

/** Verify a program as BPF_PROG_LOAD would. */
export function verify(insns: readonly Insn[], options: VerifyOptions): VerifyResult {
  const prog = findProgType(options.progType, options.progTypes);
  if (!prog) return refuse('EINVAL', `program type ${options.progType} is not modelled by bpfsim`);
  const attach = options.expectedAttachType ?? 0;
  if (prog.attachTypes && !prog.attachTypes.includes(attach)) {
    return refuse('EINVAL', `expected_attach_type ${attach} is not valid for ${prog.name} programs`);
  }
  const privileged = options.privileged ?? true;
  if (insns.length === 0 || insns.length > (privileged ? 1_000_000 : BPF_MAXINSNS)) {
    return refuse('E2BIG', `a program has 1 to ${privileged ? 1_000_000 : BPF_MAXINSNS} instructions, this one ${insns.length}`);
  }
  const env = new Env(insns, prog, options);
  let error: VerifyError | undefined;
  try {
    addSubprogs(env);
    checkSubprogs(env);
    checkBtfFunc(env);
    checkAbnormalReturn(env);
    resolvePseudoLdImm64(env);
    checkCfg(env);
    const scc = computeScc(insns);
    env.scc = scc;
    env.liveRegsBefore = computeLiveRegs(insns, (insn) => helperParamCount(env, insn));
    if (env.log.level >= 2) env.verbose(liveRegsTable(env, scc));
    doCheck(env);
    // do_check_common(): at level 1 only a failing path's log is kept.
    if (env.log.level === 1) env.log.reset(0);
    doCheckSubprogs(env);
    checkMaxStackDepth(env);
    checkKfuncZeroCalls(env);
  } catch (e) {
    if (!(e instanceof VerifyError)) throw e;
    error = e;
    if (!e.logged) env.verbose(e.sentence + (e.newline ? '\n' : ''));
  }
  if (env.log.enabled) env.verbose(verificationStats(env));
  const base = { insnProcessed: env.insnProcessed, log: env.log.text() };
  return error ? { ...base, accepted: false, errno: error.errno, error: error.sentence } : { ...base, accepted: true, facts: collectFacts(env), maxCtxOffset: env.maxCtxOffset, ...(env.enforceExpectedAttachType ? { enforceExpectedAttachType: true } : {}) };
}

/**
 * do_check_subprogs(): every global function that verified code calls is verified on its
 * own, for any arguments its prototype allows, until no new one is called.
 */
function doCheckSubprogs(env: Env): void {
  const subs = env.subprogBtf;
  if (!subs) return;
  for (;;) {
    let fresh = 0;
    for (let i = 1; i < env.subprogs.length; i++) {
      const sub = subs[i]!;
      if (!subprogIsGlobal(env, i) || !sub.called || sub.verified) continue;
      env.resetForPass();
      doCheck(env, i);
      if (env.log.level === 1) env.log.reset(0);
      if (env.log.enabled) env.verbose(`Func#${i} ('${subprogName(env, i)}') is safe for any args that match its prototype\n`);
      sub.verified = true;
      fresh++;
    }
    if (!fresh) return;
  }
}

/** get_call_summary(): how many arguments a helper the program type offers takes. */
function helperParamCount(env: Env, insn: Insn): number | undefined {
  if (insn.code !== (BPF_JMP | BPF_CALL) || insn.src !== 0) return undefined;
  if (!env.prog.helpers.some((h) => h.id === insn.imm)) return undefined;
  return env.helperProto(insn.imm)?.args.length;
}

/** The level-2 table compute_live_registers() prints: SCC, index, live r0-r9, insn. */
function liveRegsTable(env: Env, scc: Uint32Array): string {
  const { insns, liveRegsBefore: live } = env;
  let out = 'Live regs before insn:\n';
  for (let i = 0; i < insns.length; i++) {
    out += scc[i] ? `${String(scc[i]).padStart(3)} ` : '    ';
    out += `${String(i).padStart(3)}: `;
    for (let r = 0; r < 10; r++) out += live[i]! & (1 << r) ? String(r) : '.';
    out += ` ${formatKernelInsn(insns, i, env.disasmOptions)}\n`;
    if (insns[i]!.code === LD_IMM64) i++;
  }
  return out;
}
