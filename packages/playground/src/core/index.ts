// @bpfsim/playground's core: what the page does that is not the DOM (and runs in Node's
// tests too): running a scenario with edits and a traced program, the URL state, the
// mapping from instructions to editor lines, and how machine state is shown.
export { runPlayground, jitAllowed, programKey } from './session';
export type { PlaygroundOptions, PlaygroundRun, ProgramView } from './session';
export { decodeState, encodeState, UrlStateError } from './url-state';
export type { PlaygroundState } from './url-state';
export { insnLines, lineInsns } from './asm-lines';
export { ctxFields, fmtReg, stackSlots } from './format';
export type { TraceLayout } from './format';
export { ProgramTraceCollector } from './trace';
export type { TraceRun } from './trace';
