// What the verifier's tests verify against: the kernel registry's descriptors of socket
// filters and XDP, and the prototypes of a kernel's own helpers. The verifier has neither of
// its own (@bpfsim/kernel's prog-types/ and helpers/ are their homes); like BPF_PROG_LOAD,
// a test hands them in.
import { SOCKET_FILTER, XDP, builtinHelpers } from '@bpfsim/kernel';
import type { HelperProto, ProgTypeDescriptor } from '../src';

export { SOCKET_FILTER, XDP };
export const PROG_TYPES: readonly ProgTypeDescriptor[] = [SOCKET_FILTER, XDP];
/** The helper prototypes a new kernel's table holds (the kernel's own helpers, and those
 * of the socket layer as prototypes): what BPF_PROG_LOAD hands the verifier. */
export const HELPERS: readonly HelperProto[] = builtinHelpers();
