// The program types the verifier's tests verify against: the kernel registry's descriptors of
// socket filters and XDP. The verifier has no program types of its own (@bpfsim/kernel's
// prog-types/ is their one home); like BPF_PROG_LOAD, a test hands them in.
import { SOCKET_FILTER, XDP } from '@bpfsim/kernel';
import type { ProgTypeDescriptor } from '../src';

export { SOCKET_FILTER, XDP };
export const PROG_TYPES: readonly ProgTypeDescriptor[] = [SOCKET_FILTER, XDP];
