// Public API of @bpfsim/vm: the memory model, the two engines and the helper ABI
// (kernel/bpf/core.c and the x86 JIT's job in Linux).
export { Memory, Region, REGION_HI_BASE, REGION_LO_BASE, MAX_REGION_SIZE, addressOf, toU64 } from './memory';
export type { FieldAccess, RegionKind, RegionOptions, Resolved } from './memory';
export { VmFault } from './fault';
export type { Fault, FaultKind } from './fault';
export { ExecContext, DEFAULT_BUDGET, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, BPF_MAX_LOOPS, LdAbsExit } from './context';
export type { ExecOptions, Helper, HelperTable, InsnTracer, TailCallMap } from './context';
export { TraceRecorder, traceRun } from './trace';
export type { ProgramTracer, TraceEnd, TraceRecorderOptions, TraceStep, TracedRun } from './trace';
export { PrepareError, prepareProgram } from './program';
export type { Block, PreparedProgram, Subprog } from './program';
export { ENGINES, VmProgram, run, runIn, runCtx } from './engine';
export type { Args, EngineName, RunResult, CtxRunResult } from './engine';
export type { Runnable } from './runnable';
export * as int64 from './int64';
export { runConformanceCase, summarize } from './conformance';
export type { ConformanceOutcome, ConformanceStatus, ConformanceSummary } from './conformance';
export { ETH_HLEN, LOOPBACK_IFINDEX, TestRunSession, XDP_PACKET_HEADROOM, testRun, testRunSkb, testRunXdp } from './test-run';
export type { TestRunOptions, TestRunProgType, TestRunResult } from './test-run';
