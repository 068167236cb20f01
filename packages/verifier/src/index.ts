// Public API of @bpfsim/verifier (kernel/bpf/verifier.c, tnum.c).
export type { MapInfo, SourceLine, BtfFuncInfo, BtfParam, VerifyOptions, VerifyResult } from './api';
export type { InsnFacts } from './check';
export type { ScalarBounds, Tnum } from './scalar/types';
export { verify, findProgType, BPF_MAXINSNS } from './verify';
export type { ProgTypeDescriptor, CtxField, AccessRule, HelperOffer } from './prog-type';
export type { HelperProto, ArgType, RetType } from './helper-protos';
export { ctxOffsets } from './prog-type';
export { isGplCompatible } from './env';
export { parseVerifierLog, parseRegState, type VerifierLogModel, type LogInsn, type InsnVisit, type LogFunc, type LogStats, type RegStateEntry } from './log-model';
export { MAP_BTF } from './btf-map-structs';
