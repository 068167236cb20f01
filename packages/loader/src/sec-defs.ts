// Section names to program types, as libbpf's section_defs[] table and sec_def_matches() do:
// `SEC("cgroup/connect4")` gives BPF_PROG_TYPE_CGROUP_SOCK_ADDR with expected_attach_type
// BPF_CGROUP_INET4_CONNECT. A name ending in '+' matches the exact name or `name/extras`; one
// ending in '/' needs extras; anything else must match exactly. The table is read in order,
// first match wins (so "cgroup/sock_create" is found before "cgroup/sock").
import { BPF_ATTACH_TYPE as A, BPF_PROG_TYPE as P } from '@bpfsim/isa';

/**
 * How the section's expected_attach_type is used (libbpf's SEC_* flags):
 * - 'none': no expected_attach_type at load (0), attach type given at attach time;
 * - 'attachable': expected_attach_type set at load, and the same one at attach;
 * - 'attachable_opt': as 'attachable'; libbpf drops it at load on kernels too old to take one.
 */
export type SecAttach = 'none' | 'attachable' | 'attachable_opt' | 'attach_btf';

/** How a program of this section attaches (bpf_program__attach's per-section attach_fn). */
export type SecAutoAttach = 'cgroup' | 'raw_tp' | 'tp' | 'sockmap' | 'xdp' | 'socket' | 'none';

export interface SecDef {
  sec: string;
  progType: number;
  expectedAttachType: number;
  attach: SecAttach;
  how: SecAutoAttach;
}

const d = (sec: string, progType: number, expectedAttachType: number, attach: SecAttach, how: SecAutoAttach = 'none'): SecDef => ({ sec, progType, expectedAttachType, attach, how });

/** libbpf's section_defs[] (tools/lib/bpf/libbpf.c), the entries that name program types Linux 6.18 has. */
export const SECTION_DEFS: readonly SecDef[] = [
  d('socket', P.BPF_PROG_TYPE_SOCKET_FILTER, 0, 'none', 'socket'),
  d('sk_reuseport/migrate', P.BPF_PROG_TYPE_SK_REUSEPORT, A.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, 'attachable'),
  d('sk_reuseport', P.BPF_PROG_TYPE_SK_REUSEPORT, A.BPF_SK_REUSEPORT_SELECT, 'attachable'),
  d('kprobe+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('uprobe+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('kretprobe+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('uretprobe+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('ksyscall+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('kretsyscall+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('usdt+', P.BPF_PROG_TYPE_KPROBE, 0, 'none'),
  d('tc/ingress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_INGRESS, 'none'),
  d('tc/egress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_EGRESS, 'none'),
  d('tcx/ingress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_INGRESS, 'none'),
  d('tcx/egress', P.BPF_PROG_TYPE_SCHED_CLS, A.BPF_TCX_EGRESS, 'none'),
  d('tc', P.BPF_PROG_TYPE_SCHED_CLS, 0, 'none'),
  d('classifier', P.BPF_PROG_TYPE_SCHED_CLS, 0, 'none'),
  d('action', P.BPF_PROG_TYPE_SCHED_ACT, 0, 'none'),
  d('tracepoint+', P.BPF_PROG_TYPE_TRACEPOINT, 0, 'none', 'tp'),
  d('tp+', P.BPF_PROG_TYPE_TRACEPOINT, 0, 'none', 'tp'),
  d('raw_tracepoint+', P.BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 'none', 'raw_tp'),
  d('raw_tp+', P.BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 'none', 'raw_tp'),
  d('raw_tracepoint.w+', P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, 'none', 'raw_tp'),
  d('raw_tp.w+', P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, 'none', 'raw_tp'),
  d('tp_btf+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_RAW_TP, 'attach_btf'),
  d('fentry+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, 'attach_btf'),
  d('fmod_ret+', P.BPF_PROG_TYPE_TRACING, A.BPF_MODIFY_RETURN, 'attach_btf'),
  d('fexit+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FEXIT, 'attach_btf'),
  d('freplace+', P.BPF_PROG_TYPE_EXT, 0, 'attach_btf'),
  d('lsm+', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_MAC, 'attach_btf'),
  d('lsm_cgroup+', P.BPF_PROG_TYPE_LSM, A.BPF_LSM_CGROUP, 'attach_btf'),
  d('iter+', P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_ITER, 'attach_btf'),
  d('syscall', P.BPF_PROG_TYPE_SYSCALL, 0, 'none'),
  d('xdp.frags/devmap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_DEVMAP, 'attachable'),
  d('xdp/devmap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_DEVMAP, 'attachable'),
  d('xdp.frags/cpumap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_CPUMAP, 'attachable'),
  d('xdp/cpumap', P.BPF_PROG_TYPE_XDP, A.BPF_XDP_CPUMAP, 'attachable'),
  d('xdp.frags', P.BPF_PROG_TYPE_XDP, A.BPF_XDP, 'attachable', 'xdp'),
  d('xdp', P.BPF_PROG_TYPE_XDP, A.BPF_XDP, 'attachable_opt', 'xdp'),
  d('perf_event', P.BPF_PROG_TYPE_PERF_EVENT, 0, 'none'),
  d('lwt_in', P.BPF_PROG_TYPE_LWT_IN, 0, 'none'),
  d('lwt_out', P.BPF_PROG_TYPE_LWT_OUT, 0, 'none'),
  d('lwt_xmit', P.BPF_PROG_TYPE_LWT_XMIT, 0, 'none'),
  d('lwt_seg6local', P.BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, 'none'),
  d('sockops', P.BPF_PROG_TYPE_SOCK_OPS, A.BPF_CGROUP_SOCK_OPS, 'attachable_opt', 'cgroup'),
  d('sk_skb/stream_parser', P.BPF_PROG_TYPE_SK_SKB, A.BPF_SK_SKB_STREAM_PARSER, 'attachable_opt', 'sockmap'),
  d('sk_skb/stream_verdict', P.BPF_PROG_TYPE_SK_SKB, A.BPF_SK_SKB_STREAM_VERDICT, 'attachable_opt', 'sockmap'),
  d('sk_skb', P.BPF_PROG_TYPE_SK_SKB, 0, 'none'),
  d('sk_msg', P.BPF_PROG_TYPE_SK_MSG, A.BPF_SK_MSG_VERDICT, 'attachable_opt', 'sockmap'),
  d('lirc_mode2', P.BPF_PROG_TYPE_LIRC_MODE2, A.BPF_LIRC_MODE2, 'attachable_opt'),
  d('flow_dissector', P.BPF_PROG_TYPE_FLOW_DISSECTOR, A.BPF_FLOW_DISSECTOR, 'attachable_opt'),
  d('cgroup_skb/ingress', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_INGRESS, 'attachable_opt', 'cgroup'),
  d('cgroup_skb/egress', P.BPF_PROG_TYPE_CGROUP_SKB, A.BPF_CGROUP_INET_EGRESS, 'attachable_opt', 'cgroup'),
  d('cgroup/skb', P.BPF_PROG_TYPE_CGROUP_SKB, 0, 'none'),
  d('cgroup/sock_create', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_CREATE, 'attachable', 'cgroup'),
  d('cgroup/sock_release', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_RELEASE, 'attachable', 'cgroup'),
  d('cgroup/sock', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET_SOCK_CREATE, 'attachable_opt', 'cgroup'),
  d('cgroup/post_bind4', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET4_POST_BIND, 'attachable', 'cgroup'),
  d('cgroup/post_bind6', P.BPF_PROG_TYPE_CGROUP_SOCK, A.BPF_CGROUP_INET6_POST_BIND, 'attachable', 'cgroup'),
  d('cgroup/bind4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_BIND, 'attachable', 'cgroup'),
  d('cgroup/bind6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_BIND, 'attachable', 'cgroup'),
  d('cgroup/connect4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_CONNECT, 'attachable', 'cgroup'),
  d('cgroup/connect6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_CONNECT, 'attachable', 'cgroup'),
  d('cgroup/connect_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_CONNECT, 'attachable', 'cgroup'),
  d('cgroup/sendmsg4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP4_SENDMSG, 'attachable', 'cgroup'),
  d('cgroup/sendmsg6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP6_SENDMSG, 'attachable', 'cgroup'),
  d('cgroup/sendmsg_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_SENDMSG, 'attachable', 'cgroup'),
  d('cgroup/recvmsg4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP4_RECVMSG, 'attachable', 'cgroup'),
  d('cgroup/recvmsg6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UDP6_RECVMSG, 'attachable', 'cgroup'),
  d('cgroup/recvmsg_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_RECVMSG, 'attachable', 'cgroup'),
  d('cgroup/getpeername4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_GETPEERNAME, 'attachable', 'cgroup'),
  d('cgroup/getpeername6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_GETPEERNAME, 'attachable', 'cgroup'),
  d('cgroup/getpeername_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_GETPEERNAME, 'attachable', 'cgroup'),
  d('cgroup/getsockname4', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET4_GETSOCKNAME, 'attachable', 'cgroup'),
  d('cgroup/getsockname6', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_INET6_GETSOCKNAME, 'attachable', 'cgroup'),
  d('cgroup/getsockname_unix', P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, A.BPF_CGROUP_UNIX_GETSOCKNAME, 'attachable', 'cgroup'),
  d('cgroup/sysctl', P.BPF_PROG_TYPE_CGROUP_SYSCTL, A.BPF_CGROUP_SYSCTL, 'attachable', 'cgroup'),
  d('cgroup/getsockopt', P.BPF_PROG_TYPE_CGROUP_SOCKOPT, A.BPF_CGROUP_GETSOCKOPT, 'attachable', 'cgroup'),
  d('cgroup/setsockopt', P.BPF_PROG_TYPE_CGROUP_SOCKOPT, A.BPF_CGROUP_SETSOCKOPT, 'attachable', 'cgroup'),
  d('cgroup/dev', P.BPF_PROG_TYPE_CGROUP_DEVICE, A.BPF_CGROUP_DEVICE, 'attachable_opt', 'cgroup'),
  d('struct_ops+', P.BPF_PROG_TYPE_STRUCT_OPS, 0, 'none'),
  d('sk_lookup', P.BPF_PROG_TYPE_SK_LOOKUP, A.BPF_SK_LOOKUP, 'attachable'),
  d('netfilter', P.BPF_PROG_TYPE_NETFILTER, A.BPF_NETFILTER, 'none'),
];

/** sec_def_matches(). */
export function secDefMatches(def: SecDef, secName: string): boolean {
  const s = def.sec;
  if (s.endsWith('/')) return secName.startsWith(s);
  if (s.endsWith('+')) {
    const base = s.slice(0, -1);
    if (!secName.startsWith(base)) return false;
    const next = secName.charAt(base.length);
    return next === '' || next === '/';
  }
  return secName === s;
}

/** find_sec_def(): the first matching definition, or undefined (libbpf: program type unknown until set). */
export function findSecDef(secName: string): SecDef | undefined {
  return SECTION_DEFS.find((def) => secDefMatches(def, secName));
}

/** What follows the '/' of a '+' section: the tracepoint of `raw_tp/sys_enter`, '' when none. */
export function secExtra(def: SecDef, secName: string): string {
  if (!def.sec.endsWith('+')) return '';
  const base = def.sec.slice(0, -1);
  return secName.length > base.length ? secName.slice(base.length + 1) : '';
}
