// The kernel's own helper table entries, every Kernel's from construction: the helpers
// this package defines whole (kernel/bpf/helpers.c, kernel/bpf/cgroup.c, kernel/bpf/ringbuf.c,
// kernel/bpf/stackmap.c, kernel/trace/bpf_trace.c and the map helpers) and the prototype-only
// entries of proto-only.ts. @bpfsim/net and @bpfsim/sockmap register theirs when installed.
import type { BpfFuncProto } from './func-proto';
import { CGROUP_HELPERS } from './cgroup';
import { GENERIC_HELPERS } from './generic';
import { RINGBUF_HELPERS } from './ringbuf';
import { SOCK_HELPER_PROTOS, UNIMPLEMENTED_PROTOS } from './proto-only';
import { MAP_HELPERS } from '../maps/helpers';
import { STACK_HELPERS } from '../maps/stack-map';

/** Every entry a new kernel's helper table holds (what the verifier's own tests verify
 * against, as BPF_PROG_LOAD on a kernel without the socket layer would). */
export function builtinHelpers(): readonly BpfFuncProto[] {
  return [...GENERIC_HELPERS, ...CGROUP_HELPERS, ...MAP_HELPERS, ...RINGBUF_HELPERS, ...STACK_HELPERS, ...UNIMPLEMENTED_PROTOS, ...Object.values(SOCK_HELPER_PROTOS)];
}
