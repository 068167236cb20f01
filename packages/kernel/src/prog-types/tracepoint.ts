// BPF_PROG_TYPE_TRACEPOINT (kernel/trace/bpf_trace.c): a tracepoint's record as its format
// file lays it out (`tracepoint/syscalls/sys_enter_connect`: the common fields, then the
// syscall number and arguments). tp_prog_is_valid_access: reads only, at an offset from 8
// (past the common fields a program may not read) below PERF_MAX_TRACE_SIZE, any size
// aligned to itself. The helpers are raw tracepoints' (tp_prog_func_proto: perf output,
// stack ids and stacks through the tp variants, then bpf_tracing_func_proto; the live
// kernel offers the same 82 helper ids to both types). bpfsim has no perf events, so such
// a program loads and verifies but has nothing to attach to.
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import { RAW_TRACEPOINT } from './raw-tracepoint';
import type { ProgTypeEntry } from './registry';

/** PERF_MAX_TRACE_SIZE: the largest tracepoint record. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** The record as 8-byte words from offset 8: any naturally aligned read inside one. */
const WORDS: CtxField[] = Array.from({ length: PERF_MAX_TRACE_SIZE / 8 - 1 }, (_, i) => ({ name: `data[${i}]`, off: 8 + 8 * i, size: 8, read: 'region' as const, write: false as const }));

export const TRACEPOINT: ProgTypeDescriptor = {
  type: BPF_PROG_TYPE.BPF_PROG_TYPE_TRACEPOINT,
  name: 'tracepoint',
  // bpf_types.h: the ctx of a tracepoint program is a plain __u64 record, no named struct.
  ctxName: '__u64',
  ctxSize: PERF_MAX_TRACE_SIZE,
  fields: WORDS,
  helpers: RAW_TRACEPOINT.helpers,
};

/** is_perfmon_prog_type(): loading needs CAP_BPF and CAP_PERFMON. */
export const TRACEPOINT_ENTRY: ProgTypeEntry = { descriptor: TRACEPOINT, perfmon: true };
