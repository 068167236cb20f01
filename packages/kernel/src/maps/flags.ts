// Map-creation flag groups shared by several map types (include/linux/bpf.h).
import { BPF_MAP_TYPE } from '@bpfsim/isa';
import type { MapCreateAttr } from './map';
import { BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG } from './map';

export const M = BPF_MAP_TYPE;

/** BPF_F_ACCESS_MASK: the fd and program access flags every map type accepts. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/** bpf_map_flags_access_ok(): programs may not be both read-only and write-only. */
export const accessOk = (flags: number): boolean => (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);

export const BPF_F_LINK = 1 << 13;
export const BPF_F_PATH_FD = 1 << 14;
export const BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15;
export const BPF_F_TOKEN_FD = 1 << 16;
export const BPF_F_SEGV_ON_FAULT = 1 << 17;
export const BPF_F_NO_USER_CONV = 1 << 18;

export const NUMA_NO_NODE = -1;

/** bpf_map_attr_numa_node(): numa_node (as an int) when BPF_F_NUMA_NODE is set. */
export const numaNode = (attr: MapCreateAttr): number => ((attr.map_flags ?? 0) & BPF_F_NUMA_NODE ? (attr.numa_node ?? 0) | 0 : NUMA_NO_NODE);
