// Helpers of cgroup_common_func_proto() (kernel/bpf/cgroup.c) that need the hook's run
// state: bpf_get_retval() and bpf_set_retval() read and write the retval the cgroup runner
// (runCgroupHook, bpf_prog_run_array_cg) keeps for the hook in the run context's
// bpf_cg_run_ctx (RunCtx.cgroup).
import type { ExecContext, Helper } from '@bpfsim/vm';
import type { CgRunCtx } from '../cgroup/runner';
import type { BpfFuncProto } from './func-proto';
import { helper } from './func-proto';
import { RunCtx } from './run-ctx';

/** struct bpf_cg_run_ctx of the running hook; a program run outside a cgroup hook has none. */
function cgRunCtx(run: ExecContext): CgRunCtx {
  const ctx = run.env instanceof RunCtx ? run.env.cgroup : undefined;
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

/** bpf_get_retval_proto, bpf_set_retval_proto */
export const CGROUP_HELPERS: readonly BpfFuncProto[] = [
  helper('get_retval', [], 'integer', getRetval),
  helper('set_retval', ['any'], 'integer', setRetval),
];
