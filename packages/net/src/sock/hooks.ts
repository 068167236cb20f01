// The points where the stack calls cgroup BPF hooks (include/linux/bpf-cgroup.h's
// BPF_CGROUP_RUN_PROG_* call sites). The network stack calls these; the hooks package
// (the next issue) implements them by running the socket's cgroup's effective programs.
// Each returns 0 to go on, or a negative errno to fail the call with (-EPERM usually).
import type { TcpOpsInfo } from '../bpf/sock-ops';
import type { Sock, SockAddr } from './sock';

/** An address a hook may rewrite (struct bpf_sock_addr's user_ip/user_port). */
export interface HookAddr {
  addr: SockAddr;
}

export interface NetHooks {
  /** inet_create() / inet6_create(): BPF_CGROUP_INET_SOCK_CREATE. */
  sockCreate?(sk: Sock): number;
  /** __inet_bind() before the port is taken: BPF_CGROUP_INET4/6_BIND (may rewrite the
   * address; bit 1 of the return: skip the CAP_NET_BIND_SERVICE check). */
  bind?(sk: Sock, addr: HookAddr): { err: number; bindServiceOverride?: boolean };
  /** After the port is allocated: BPF_CGROUP_INET4/6_POST_BIND (a refusal undoes the bind). */
  postBind?(sk: Sock): number;
  /** tcp_v4_pre_connect / udp_pre_connect and v6: BPF_CGROUP_INET4/6_CONNECT (may rewrite). */
  connect?(sk: Sock, addr: HookAddr): number;
  /** udp_sendmsg / udpv6_sendmsg with a destination: BPF_CGROUP_UDP4/6_SENDMSG (may rewrite
   * the destination and the source address). */
  sendmsg?(sk: Sock, addr: HookAddr, src: { addr?: SockAddr['addr'] }): number;
  /** udp_recvmsg: BPF_CGROUP_UDP4/6_RECVMSG (may rewrite the reported source). */
  recvmsg?(sk: Sock, addr: HookAddr): number;
  /** inet_getname: BPF_CGROUP_INET4/6_GETPEERNAME / GETSOCKNAME (may rewrite). */
  getname?(sk: Sock, addr: HookAddr, peer: boolean): number;
  /** inet_release: BPF_CGROUP_INET_SOCK_RELEASE. */
  sockRelease?(sk: Sock): void;
  /** tcp_call_bpf(): BPF_CGROUP_SOCK_OPS with `op` and up to 4 args; the reply, or -1 when
   * no program ran or one refused. `info` is asked only when programs run. */
  sockOps?(sk: Sock, op: number, args: readonly number[], info: () => TcpOpsInfo, setCbFlags: (f: number) => void): number;
}
