// The program-type registry (include/linux/bpf_types.h + each type's bpf_verifier_ops and
// bpf_prog_ops): per type, the descriptor the verifier checks against (ctx fields and
// rights, helpers, return range, attach types) and what the runtime needs (how
// BPF_PROG_TEST_RUN builds a ctx). Later packages register their types here (cgroup hooks,
// SK_MSG, raw tracepoints).
import { SOCK_OPS_ENTRY } from './sock-ops';
import type { ProgTypeDescriptor } from '@bpfsim/verifier';
import { SOCKET_FILTER, XDP } from '@bpfsim/verifier';
import { CGROUP_SKB_ENTRY } from './cgroup-skb';
import { CGROUP_SOCK_ENTRY } from './cgroup-sock';
import { RAW_TRACEPOINT_ENTRY } from './raw-tracepoint';
import { TRACEPOINT_ENTRY } from './tracepoint';
import { CGROUP_SOCK_ADDR_ENTRY } from './cgroup-sock-addr';

export interface ProgTypeEntry {
  descriptor: ProgTypeDescriptor;
  /** BPF_PROG_TEST_RUN support: which test-run flavour the VM provides. */
  testRun?: 'xdp' | 'socket_filter';
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
    { descriptor: SOCKET_FILTER, testRun: 'socket_filter', unprivileged: true },
    { descriptor: XDP, testRun: 'xdp', netAdmin: true },
    CGROUP_SKB_ENTRY,
    CGROUP_SOCK_ENTRY,
    RAW_TRACEPOINT_ENTRY,
    TRACEPOINT_ENTRY,
    CGROUP_SOCK_ADDR_ENTRY,
    SOCK_OPS_ENTRY,
  ];
}
