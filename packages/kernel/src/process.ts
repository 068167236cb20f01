// Simulated processes: credentials (uid/gid and the capabilities bpf() checks), an fd
// table, a cgroup, a name (comm) and a pid/tgid — what helpers such as
// bpf_get_current_pid_tgid() report — and the user memory a traced syscall's pointers reach.
import type { Region } from '@bpfsim/vm';
import type { Cgroup } from './cgroup/cgroup';
import { FdTable } from './fd-table';
import { MemoryMap } from './tracing/mm';

/** The capabilities bpf() looks at (include/uapi/linux/capability.h). */
export const CAP = {
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_ADMIN: 12,
  CAP_SYS_ADMIN: 21,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
} as const;
export type Capability = keyof typeof CAP;

export const ALL_CAPS: readonly Capability[] = ['CAP_NET_BIND_SERVICE', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN', 'CAP_PERFMON', 'CAP_BPF'];

export interface ProcessOptions {
  comm?: string;
  uid?: number;
  gid?: number;
  /** Capabilities (default: all of them when uid is 0, none otherwise). */
  caps?: readonly Capability[];
  cgroup?: Cgroup;
  /** RLIMIT_NOFILE (default 1024). */
  nofile?: number;
}

export class Process {
  readonly fds: FdTable;
  /** The address space: binaries mapped for stack walking (bpf_get_stack*). */
  readonly mm = new MemoryMap();
  /** The user call stack the process is in now, innermost return address first (what a
   * scenario says the process is doing: main → serve → handle_conn → connect). */
  userStack: bigint[] = [];
  /** User memory in the VM's address space that a traced syscall's pointer argument points
   * at: the sockaddr_storage of bind/connect/sendto (net's userSockaddr() writes it), so a
   * program's bpf_probe_read_user() finds the address. Made by the first traced call. */
  userBuf: Region | undefined = undefined;
  comm: string;
  uid: number;
  gid: number;
  readonly caps: Set<Capability>;
  cgroup: Cgroup;

  constructor(
    readonly pid: number,
    /** The thread group (tgid); processes here are single-threaded, so tgid == pid. */
    readonly tgid: number,
    root: Cgroup,
    options: ProcessOptions = {},
  ) {
    this.fds = new FdTable(3, options.nofile);
    this.comm = (options.comm ?? 'proc').slice(0, 15);
    this.uid = options.uid ?? 0;
    this.gid = options.gid ?? this.uid;
    this.caps = new Set(options.caps ?? (this.uid === 0 ? ALL_CAPS : []));
    this.cgroup = options.cgroup ?? root;
  }

  capable(cap: Capability): boolean {
    // CAP_SYS_ADMIN implies CAP_BPF and CAP_PERFMON (bpf_capable, perfmon_capable).
    if (cap === 'CAP_BPF' || cap === 'CAP_PERFMON') return this.caps.has(cap) || this.caps.has('CAP_SYS_ADMIN');
    return this.caps.has(cap);
  }

  /** bpf_token_capable(): what bpf() checks — CAP_SYS_ADMIN stands in for any capability. */
  bpfCapable(cap: Capability): boolean {
    return this.caps.has(cap) || this.caps.has('CAP_SYS_ADMIN');
  }
}
