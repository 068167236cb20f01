// Public API of @bpfsim/verifier (kernel/bpf/verifier.c, tnum.c).
export type { MapInfo, VerifyOptions, VerifyResult } from './api';
export type { ScalarBounds, Tnum } from './scalar/types';
