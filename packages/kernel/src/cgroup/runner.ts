// The cgroup hook runner the network stack calls (kernel/bpf/cgroup.c: bpf_prog_run_array_cg
// and the __cgroup_bpf_run_filter_*() wrappers): given a cgroup and an attach type, run the
// effective programs in order on a ctx the caller built, and combine their verdicts as
// Linux does. Every program run is a 'hook:run' event on kernel.events (and, when the
// caller asks, one of the result's runs).
//
// Verdict rules (bpf_prog_run_array_cg, Linux 6.18):
//  - every effective program runs, whatever the earlier ones returned (no short cut);
//  - `retval` starts at 0 (or the caller's value); with `retFlags` (egress skb, bind),
//    func_ret >> 1 is OR-ed into `flags` and only bit 0 is the verdict;
//  - a program returning 0 sets retval to -EPERM unless retval already holds an errno
//    (bpf_set_retval() may have put one there; the helpers see the run as env.cgRunCtx);
//  - the hook's result is retval: 0 allows, a negative errno refuses.
// A program that faults (impossible after Linux's verifier; a bpfsim bug or an unverified
// program) counts as returning 0, and its event carries the fault.
import { BPF_ATTACH_TYPE, ERRNO, uapiName } from '@bpfsim/isa';
import type { Fault, Region } from '@bpfsim/vm';
import { ExecContext, runCtx } from '@bpfsim/vm';
import type { Kernel } from '../kernel';
import { RunCtx } from '../helpers/run-ctx';
import type { Process } from '../process';
import type { BpfProg } from '../prog';
import { effectivePrograms } from './attach';
import type { Cgroup } from './cgroup';

/** One program run by a cgroup hook. */
export interface HookRunEvent {
  type: 'hook';
  /** Virtual time when the program started, ns. */
  time: bigint;
  /** The cgroup whose effective array ran (the socket's cgroup), by path and id. */
  cgroup: string;
  cgroupId: bigint;
  attachType: number;
  /** `BPF_CGROUP_INET_EGRESS`, … */
  attachTypeName: string;
  progId: number;
  progName: string;
  /** Position in the effective array. */
  index: number;
  /** What the program returned (the low 32 bits of r0, unsigned). */
  ret: number;
  /** Instructions executed. */
  insns: number;
  /** Virtual time the run took (0 unless the clock moved during it). */
  durationNs: number;
  /** retval after this program (0 or a negative errno). */
  retval: number;
  fault?: Fault;
}

export type HookListener = (event: HookRunEvent) => void;

/** What helpers see of the run (struct bpf_cg_run_ctx): get_retval/set_retval use `retval`. */
export interface CgRunCtx {
  retval: number;
  prog: BpfProg | null;
}

export interface CgroupHookOptions {
  /** The ctx the programs get in r1: one for all (as Linux passes one), or one per program. */
  ctx: Region | ((prog: BpfProg, index: number) => Region);
  /** The task the hook runs for (absent in softirq context, as for ingress packets). */
  process?: Process;
  /** The run context helpers see (helpers/run-ctx.ts): the hook's own kind (the socket
   * layer's carries the socket), or a plain RunCtx for `process` when absent. The runner
   * sets its bpf_cg_run_ctx (RunCtx.cgroup) for the run. */
  runCtx?: RunCtx;
  /** The packet LD_ABS/LD_IND read, if any. */
  skbData?: Region | null;
  /** Collect func_ret >> 1 into `flags` and keep only bit 0 as the verdict (egress, bind). */
  retFlags?: boolean;
  /** The starting retval (0). */
  retval?: number;
  /** Collect each program's run here too (the stack's hooks report them as one event). */
  runs?: HookRunEvent[];
}

export interface CgroupHookResult {
  /** 0: allowed; a negative errno (-EPERM): refused. */
  retval: number;
  /** The OR of func_ret >> 1 (with retFlags). */
  flags: number;
  /** How many programs ran. */
  ran: number;
}

/** Listens to every cgroup program run on this kernel ('hook:run' on kernel.events);
 * returns the function that stops it. */
export function onHookRun(kernel: Kernel, listener: HookListener): () => void {
  return kernel.events.on('hook:run', listener);
}

/** IS_ERR_VALUE() of an int retval. */
const isErrno = (v: number): boolean => v < 0 && v >= -4095;

const attachName = (t: number): string => (uapiName(BPF_ATTACH_TYPE, t) as string | undefined) ?? `attach type ${t}`;

/** bpf_prog_run_array_cg(): run `cgroup`'s effective programs for `attachType`. */
export function runCgroupHook(kernel: Kernel, cgroup: Cgroup, attachType: number, options: CgroupHookOptions): CgroupHookResult {
  const progs = effectivePrograms(cgroup, attachType);
  const run: CgRunCtx = { retval: options.retval ?? 0, prog: null };
  let flags = 0;
  if (!progs.length) return { retval: run.retval, flags, ran: 0 };
  const pool = kernel.execPool;
  const C = pool.pop() ?? new ExecContext(kernel.memory, { helpers: kernel.helpers.funcs });
  // Whether runs are reported, asked once per call (virtual time does not move inside a
  // run: the clock is read only for a report).
  const runs = options.runs;
  const report = runs !== undefined || kernel.events.listening('hook:run');
  const helperCtx = options.runCtx ?? new RunCtx(kernel, options.process);
  helperCtx.cgroup = run;
  C.env = helperCtx;
  C.skbData = options.skbData ?? null;
  try {
    for (let i = 0; i < progs.length; i++) {
      const prog = progs[i]!;
      const ctx = typeof options.ctx === 'function' ? options.ctx(prog, i) : options.ctx;
      run.prog = prog;
      C.reset();
      const t0 = report ? kernel.now() : 0n;
      const r = runCtx(prog.vm, kernel.engine, C, ctx);
      let funcRet = r.fault ? 0 : r.retval;
      if (options.retFlags) {
        flags |= funcRet >>> 1;
        funcRet &= 1;
      }
      if (!funcRet && !isErrno(run.retval)) run.retval = -ERRNO.EPERM;
      if (report) {
        const event: HookRunEvent = {
          type: 'hook',
          time: t0,
          cgroup: cgroup.path,
          cgroupId: cgroup.id,
          attachType,
          attachTypeName: attachName(attachType),
          progId: prog.id,
          progName: prog.name,
          index: i,
          ret: r.retval,
          insns: r.insnCount,
          durationNs: Number(kernel.now() - t0),
          retval: run.retval,
          ...(r.fault ? { fault: r.fault } : {}),
        };
        if (runs) runs.push(event);
        kernel.events.emit('hook:run', event);
      }
    }
  } finally {
    run.prog = null;
    helperCtx.cgroup = undefined;
    C.env = undefined;
    C.skbData = null;
    pool.push(C);
  }
  return { retval: run.retval, flags, ran: progs.length };
}

/** NET_XMIT_* (include/linux/netdevice.h): what the egress hook tells the output path. */
export const NET_XMIT_SUCCESS = 0;
export const NET_XMIT_DROP = 1;
export const NET_XMIT_CN = 2;
/** BPF_RET_SET_CN: bit 0 of an egress program's flags (its return value's bit 1). */
const BPF_RET_SET_CN = 1 << 0;

/**
 * __cgroup_bpf_run_filter_skb(): ingress gives 0 or -EPERM; egress gives NET_XMIT_SUCCESS
 * (pass), NET_XMIT_CN (pass, congestion notified), NET_XMIT_DROP (drop with congestion
 * notification) or -EPERM (drop). A positive retval left by set_retval becomes -EFAULT.
 */
export function runCgroupSkb(kernel: Kernel, cgroup: Cgroup, attachType: number, options: CgroupHookOptions): number {
  if (attachType === BPF_ATTACH_TYPE.BPF_CGROUP_INET_EGRESS) {
    const r = runCgroupHook(kernel, cgroup, attachType, { ...options, retFlags: true });
    let ret = r.retval;
    const cn = !!(r.flags & BPF_RET_SET_CN);
    if (ret && !isErrno(ret)) ret = -ERRNO.EFAULT;
    return ret === 0 ? (cn ? NET_XMIT_CN : NET_XMIT_SUCCESS) : cn ? NET_XMIT_DROP : ret;
  }
  const r = runCgroupHook(kernel, cgroup, attachType, { ...options, retFlags: false });
  return r.retval && !isErrno(r.retval) ? -ERRNO.EFAULT : r.retval;
}
