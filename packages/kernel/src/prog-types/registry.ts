// The program-type registry (include/linux/bpf_types.h + each type's bpf_verifier_ops and
// bpf_prog_ops): per type, the descriptor the verifier checks against (ctx fields and
// rights, helpers, return range, attach types) and what the runtime needs (how
// BPF_PROG_TEST_RUN runs it). Every type's descriptor lives in this directory, one file per
// type; the verifier has none of its own and is handed the registry's descriptors. Later
// packages register their types here (SK_MSG from the sockmap package).
import type { ProgTypeDescriptor } from '@bpfsim/verifier';
import { CGROUP_SKB_ENTRY } from './cgroup-skb';
import { CGROUP_SOCK_ENTRY } from './cgroup-sock';
import { CGROUP_SOCK_ADDR_ENTRY } from './cgroup-sock-addr';
import { RAW_TRACEPOINT_ENTRY } from './raw-tracepoint';
import { SOCKET_FILTER_ENTRY } from './socket-filter';
import { SOCK_OPS_ENTRY } from './sock-ops';
import type { TestRunner } from './test-run';
import { TRACEPOINT_ENTRY } from './tracepoint';
import { XDP_ENTRY } from './xdp';

export interface ProgTypeEntry {
  descriptor: ProgTypeDescriptor;
  /** BPF_PROG_TEST_RUN (bpf_prog_ops.test_run); absent: ENOTSUPP. */
  testRun?: TestRunner;
  /** Loading needs CAP_BPF (all but socket filters and cgroup skb, bpf_prog_load). */
  unprivileged?: boolean;
  /** Loading needs CAP_NET_ADMIN too (is_net_admin_prog_type). */
  netAdmin?: boolean;
  /** Loading needs CAP_PERFMON too (is_perfmon_prog_type). */
  perfmon?: boolean;
}

export class ProgTypeRegistry {
  private readonly types = new Map<number, ProgTypeEntry>();

  register(entry: ProgTypeEntry): void {
    this.types.set(entry.descriptor.type, entry);
  }

  get(type: number): ProgTypeEntry | undefined {
    return this.types.get(type);
  }

  /** The descriptors, for the verifier. */
  descriptors(): ProgTypeDescriptor[] {
    return [...this.types.values()].map((e) => e.descriptor);
  }
}

/** The types every kernel starts with. */
export function builtinProgTypes(): ProgTypeEntry[] {
  return [
    SOCKET_FILTER_ENTRY,
    XDP_ENTRY,
    CGROUP_SKB_ENTRY,
    CGROUP_SOCK_ENTRY,
    RAW_TRACEPOINT_ENTRY,
    TRACEPOINT_ENTRY,
    CGROUP_SOCK_ADDR_ENTRY,
    SOCK_OPS_ENTRY,
  ];
}
