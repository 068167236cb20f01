// bpfsim beside the host's kernel (bpfsim selfcheck): the recorded suites and random
// programs, run live against bpf() or compared with the recordings, disagreements minimized.
export { DATA_DIR, dataFile, readCorpus, readRandomSlice } from './data';
export type { KernelVerdict, ProbeResult, VerifierGolden, VerifierGoldenCase } from './golden';
export { errorLine } from './error-line';
export { compact, minimize } from './minimize';
export type { MinimizeOptions, StillDiffers } from './minimize';
export { RANDOM_COUNT, RANDOM_FIRST, TEMPLATE_COUNT, digest, insnsHex, randomPrograms } from './random';
export type { RandomGolden, RandomVerdict, SliceProgram } from './random';
export { verifierTables } from './tables';
export type { VerifierTables } from './tables';
export { bpfsimVerdict, checkVerifier, compareVerdicts, kernelVerdicts, liveUnavailable, minimizeDisagreement } from './verifier-suite';
export type { Agreement, CheckProgram, Disagreement, SuiteRow, Verdict, VerifierCheck, VerifierCheckOptions } from './verifier-suite';
export { BPF_F_RDONLY_PROG, GEN_KINDS, HELPER, Rand, generateKind, generateProgram, hasMayGoto } from './gen/programs';
export type { GenKind, GenProgram, ProgType } from './gen/programs';
export { generateTemplate } from './gen/templates';
export { ctxProgramTypes, generateCtxProgram } from './gen/ctx-programs';
export type { CtxProgram } from './gen/ctx-programs';
export type { TemplateProgram } from './gen/templates';
