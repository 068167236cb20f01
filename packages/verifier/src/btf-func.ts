// BTF function info: what a loader tells the verifier about each function of the program
// (struct bpf_func_info: its start, its FUNC type with linkage and prototype), and what the
// verifier makes of it:
//  - check_btf_func(): one record per subprogram, at the subprogram's first instruction;
//  - btf_prepare_func_args() (kernel/bpf/btf.c): a function's arguments as verifier types —
//    a pointer to the program's ctx struct is PTR_TO_CTX, an int or enum is a scalar, any
//    other pointer of a *global* function is memory of its pointee's size (maybe NULL);
//    global functions must return an int or enum;
//  - btf_check_func_arg_match(): the caller's registers against those types, at each call;
//  - global functions are verified once, on their own, for any arguments matching the
//    prototype (do_check_subprogs); a call to one only checks the arguments and gives an
//    unknown scalar in R0 ("Func#2 ('f') is global and assumed valid.").
// bpfsim has no BPF_BTF_LOAD, so the loader resolves the BTF (modifiers and typedefs
// skipped, sizes resolved) and passes the result; the rules applied to it are the kernel's.
import type { BtfFuncInfo, BtfParam } from './api';
import type { Env } from './env';
import { VerifyError, fail } from './env';
import { checkHelperMemAccess } from './mem';
import type { RegState } from './reg';
import { tnumIsConst } from './scalar';

const registerIsNull = (r: RegState): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** The verifier's view of one argument (enum bpf_arg_type, the ones global functions take). */
export type SubprogArg = { type: 'ctx' } | { type: 'anything' } | { type: 'mem'; size: number; maybeNull: boolean };

export interface SubprogBtf {
  info: BtfFuncInfo;
  /** btf_prepare_func_args's result, once it succeeded (args_cached). */
  args?: SubprogArg[];
  /** func_info_aux.unreliable: the BTF does not describe the code (static functions whose
   * arguments the compiler changed, or a main program whose signature is not (ctx)). */
  unreliable: boolean;
  /** A global function some verified code calls (it must then verify on its own). */
  called: boolean;
  verified: boolean;
}

/** check_btf_func(): as many records as subprograms, each at its subprogram's start. */
export function checkBtfFunc(env: Env): void {
  const fi = env.options.funcInfo;
  if (!fi) return;
  if (fi.length !== env.subprogs.length) fail('EINVAL', "number of funcs in func_info doesn't match number of subprogs");
  fi.forEach((f, i) => {
    if (f.insnOff !== env.subprogs[i]!.start) fail('EINVAL', "func_info BTF section doesn't match subprog layout in BPF program");
  });
  env.subprogBtf = fi.map((info) => ({ info, unreliable: false, called: false, verified: false }));
}

export const subprogIsGlobal = (env: Env, subprog: number): boolean => env.subprogBtf?.[subprog]?.info.linkage === 'global';

export const subprogName = (env: Env, subprog: number): string => env.subprogBtf?.[subprog]?.info.name ?? `func#${subprog}`;

/** The ctx struct names a pointer argument may name (btf_is_prog_ctx_type, btf_is_projection_of). */
function isProgCtxType(env: Env, target: Extract<BtfParam, { kind: 'ptr' }>['target']): boolean {
  if (target.kind !== 'STRUCT' && target.kind !== 'UNION') return false;
  const ctx = env.prog.ctxName.replace(/^struct /, '');
  if (!ctx) return false;
  if (target.name === ctx) return true;
  return (ctx === '__sk_buff' && target.name === 'sk_buff') || (ctx === 'xdp_md' && target.name === 'xdp_buff');
}

/** btf_prepare_func_args(): the arguments as verifier types; logs (bpf_log) why not. */
export function prepareFuncArgs(env: Env, subprog: number): { ok: true } | { ok: false; errno: 'EINVAL' | 'EFAULT' } {
  const sub = env.subprogBtf![subprog]!;
  if (sub.args) return { ok: true };
  const global = sub.info.linkage === 'global';
  const { name, params } = sub.info;
  const bad = (line?: string): { ok: false; errno: 'EINVAL' } => {
    if (line) env.verbose(line + '\n');
    return { ok: false, errno: 'EINVAL' };
  };
  if (params.length > 5) return bad(global ? `Global function ${name}() with ${params.length} > 5 args. Buggy compiler.` : undefined);
  if (!sub.info.returnsScalar) return bad(global ? `Global function ${name}() doesn't return scalar. Only those are supported.` : undefined);
  const args: SubprogArg[] = [];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p.kind === 'ptr') {
      if (isProgCtxType(env, p.target)) {
        args.push({ type: 'ctx' });
        continue;
      }
      if (global) {
        // A generic user data pointer: memory of the pointee's size, which may be NULL.
        if (p.target.size === undefined) return bad(`arg#${i} reference type('${p.target.kind} ${p.target.name}') size cannot be determined: -22`);
        args.push({ type: 'mem', size: p.target.size, maybeNull: true });
        continue;
      }
      return bad();
    }
    if (p.kind === 'scalar') {
      args.push({ type: 'anything' });
      continue;
    }
    return bad(global ? `Arg#${i} type ${p.btfKind} in ${name}() is not supported yet.` : undefined);
  }
  sub.args = args;
  return { ok: true };
}

/**
 * btf_check_subprog_call() + btf_check_func_arg_match(): the caller's R1-R5 against the
 * callee's prototype. Returns 0 when they match, 'EINVAL' when not (logged), 'EFAULT' never.
 */
export function checkSubprogCall(env: Env, subprog: number): 0 | 'EINVAL' {
  const sub = env.subprogBtf?.[subprog];
  if (!sub || sub.unreliable) return 'EINVAL';
  const prep = prepareFuncArgs(env, subprog);
  if (!prep.ok) {
    sub.unreliable = true;
    return 'EINVAL';
  }
  for (let i = 0; i < sub.args!.length; i++) {
    const regno = i + 1;
    const reg = env.regs[regno]!;
    const arg = sub.args![i]!;
    if (arg.type === 'anything') {
      if (reg.type !== 'SCALAR_VALUE') {
        env.verbose(`R${regno} is not a scalar\n`);
        sub.unreliable = true;
        return 'EINVAL';
      }
    } else if (arg.type === 'ctx') {
      if (reg.type !== 'PTR_TO_CTX') {
        env.verbose(`arg#${i} expects pointer to ctx\n`);
        sub.unreliable = true;
        return 'EINVAL';
      }
    } else if (!registerIsNull(reg)) {
      // check_mem_reg(): readable and writable for the whole size (NULL passes).
      const saved = { ...reg };
      reg.maybeNull = false;
      try {
        checkHelperMemAccess(env, regno, arg.size, 'read', true, false);
        checkHelperMemAccess(env, regno, arg.size, 'write', true, false);
      } catch (e) {
        if (!(e instanceof VerifyError)) throw e;
        env.regs[regno] = saved;
        env.verbose(e.sentence + '\n');
        sub.unreliable = true;
        return 'EINVAL';
      }
      env.regs[regno] = saved;
    }
  }
  return 0;
}

/** The arguments a global function starts with (do_check_common for a subprogram); when
 * they cannot be prepared the verification fails with the line prepare logged. */
export function globalEntryArgs(env: Env, subprog: number): SubprogArg[] {
  const before = env.log.text();
  const prep = prepareFuncArgs(env, subprog);
  if (!prep.ok) {
    const logged = env.log.text().slice(before.length).trimEnd();
    throw new VerifyError(prep.errno, logged.split('\n').pop() || `func#${subprog} has unsupported arguments`, true, logged !== '');
  }
  return env.subprogBtf![subprog]!.args!;
}
