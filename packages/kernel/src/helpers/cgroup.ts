// Helpers of cgroup_common_func_proto() (kernel/bpf/cgroup.c) that need the hook's run
// state: bpf_get_retval() and bpf_set_retval() read and write the retval the cgroup runner
// (runCgroupHook, bpf_prog_run_array_cg) keeps for the hook, seen as env.cgRunCtx.
import type { ExecContext, Helper } from '@bpfsim/vm';
import type { CgRunCtx } from '../cgroup/runner';

/** struct bpf_cg_run_ctx of the running hook; a program run outside a cgroup hook has none. */
function cgRunCtx(run: ExecContext): CgRunCtx {
  const ctx = (run.env as { cgRunCtx?: CgRunCtx } | undefined)?.cgRunCtx;
  if (!ctx) throw run.failArgs('bpf_get_retval/bpf_set_retval outside a cgroup hook');
  return ctx;
}

/** bpf_get_retval(): the hook's retval so far (0, or the errno a program or set_retval left). */
const getRetval: Helper = (run) => run.retInt(cgRunCtx(run).retval);

/** bpf_set_retval(retval): the int the hook returns unless a later program changes it. */
const setRetval: Helper = (run) => {
  cgRunCtx(run).retval = run.argLo(1) | 0;
  run.retInt(0);
};

/** The cgroup run-state helpers, by name (installHelpers). */
export const CGROUP_HELPERS: Readonly<Record<string, Helper>> = {
  get_retval: getRetval,
  set_retval: setRetval,
};
