// Built-in program-type descriptors. (The kernel package's registry takes them over and
// adds the types of later issues.)
import { SOCKET_FILTER } from './socket-filter';
import { XDP } from './xdp';
import type { ProgTypeDescriptor } from '../prog-type';

export { SOCKET_FILTER } from './socket-filter';
export { XDP } from './xdp';

export const BUILTIN_PROG_TYPES: readonly ProgTypeDescriptor[] = [SOCKET_FILTER, XDP];
