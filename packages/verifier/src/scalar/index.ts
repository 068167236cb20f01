// The numeric abstract domain of the verifier: tnums (kernel/bpf/tnum.c) and the scalar
// bounds logic of kernel/bpf/verifier.c.
export * from './types';
export * from './int';
export * from './tnum';
export * from './bounds';
export * from './alu';
export * from './branch';
