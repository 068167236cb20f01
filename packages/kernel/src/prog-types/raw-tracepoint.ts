// BPF_PROG_TYPE_RAW_TRACEPOINT: ctx struct bpf_raw_tracepoint_args, the tracepoint's
// arguments as u64 args[] (raw_tp_prog_is_valid_access: reads only, any size at an aligned
// offset below 12 * 8); helpers of raw_tp_prog_func_proto() and bpf_tracing_func_proto()
// on top of the base set; no return-range check. How far the program reads into args[] is
// checked against the tracepoint's argument count when it is opened, not at load. Test runs
// are bpf_prog_test_run_raw_tp() (tracing/raw-tp.ts).
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { testRunRawTp } from '../tracing/raw-tp';
import { BASE_HELPER_OFFERS, offers } from './base-helpers';
import type { ProgTypeEntry } from './registry';

/** MAX_BPF_FUNC_ARGS: a raw tracepoint program sees at most 12 arguments. */
export const RAW_TP_MAX_ARGS = 12;

const ARGS: CtxField[] = Array.from({ length: RAW_TP_MAX_ARGS }, (_, i) => ({ name: `args[${i}]`, off: 8 * i, size: 8, read: 'narrow' as const, write: false as const }));

export const RAW_TRACEPOINT: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT,
  name: 'raw_tracepoint',
  ctxName: 'bpf_raw_tracepoint_args',
  ctxSize: 8 * RAW_TP_MAX_ARGS,
  fields: ARGS,
  helpers: offers(
    ['perf_event_output', 'get_stackid', 'get_stack', 'get_attach_cookie', 'get_func_ip', 'probe_read', 'probe_read_str'],
    BASE_HELPER_OFFERS,
  ),
};

/** is_perfmon_prog_type(): loading needs CAP_BPF and CAP_PERFMON. */
// (An arrow, not the function itself: raw-tp.ts imports this file, so either may load first.)
export const RAW_TRACEPOINT_ENTRY: ProgTypeEntry = { descriptor: RAW_TRACEPOINT, testRun: (kernel, proc, prog, attr) => testRunRawTp(kernel, proc, prog, attr), perfmon: true };
