// The stack's raw tracepoints (include/trace/events/sock.h, tcp.h): the call sites fire them
// with Linux's arguments; pointer arguments are the sockets' struct sock views in VM memory
// (kernelObject), filled only when a program is attached, so tracing off costs one lookup.
import type { Sock } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';
import { anyTracepointProbes, fireTracepoint, findTracepoint, kernelAddress, kernelObject, kernelStack, releaseKernelObject } from '@bpfsim/kernel';
import type { Kernel, KernelFunction, Process } from '@bpfsim/kernel';
import type { IpAddr } from '../wire/addr';
import { parseAddr, v4Mapped } from '../wire/addr';
import type { DropReason } from '../events';
import type { NetDevice } from '../iface/device';

/** The struct sock a tracing program reads for `sk` (the fields KERNEL_STRUCTS.sock lists). */
export function sockObject(sk: Sock, state = sk.state): bigint {
  return kernelObject(sk.host.kernel, 'sock', sk, (w) => {
    const v4 = (a: Uint8Array): Uint8Array => (a.length === 4 ? a : a.subarray(12));
    w.set('skc_family', sk.family === 4 ? AF_INET : AF_INET6)
      .set('skc_state', state)
      .set('skc_num', sk.localPort)
      .set('skc_rcv_saddr', v4(sk.boundAddr.bytes))
      .set('skc_bound_dev_if', sk.options.boundDev?.ifindex ?? 0)
      .set('sk_protocol', sk.protocol)
      .set('sk_type', sk.type)
      .set('sk_mark', sk.options.mark)
      .set('sk_priority', sk.options.priority)
      .set('sk_rcvbuf', sk.options.rcvbuf)
      .set('sk_sndbuf', sk.options.sndbuf);
    if (sk.family === 6) w.set('skc_v6_rcv_saddr', sk.boundAddr.bytes);
    if (sk.peer) {
      w.set('skc_daddr', v4(sk.peer.addr.bytes)).set('skc_dport', sk.peer.port, true);
      if (sk.family === 6) w.set('skc_v6_daddr', sk.peer.addr.bytes);
    }
  });
}

const attached = (sk: Sock, name: string): boolean => anyTracepointProbes(sk.host.kernel) && (findTracepoint(sk.host.kernel, name)?.probes.length ?? 0) > 0;

function fire(sk: Sock, name: string, args: (bigint | number)[], stack: KernelFunction[]): void {
  fireTracepoint(sk.host.kernel, name, args, sk.owner, kernelStack(...stack));
}

/** trace_inet_sock_set_state(sk, oldstate, newstate), before the state changes. */
export function traceSetState(sk: Sock, from: number, to: number): void {
  if (!attached(sk, 'inet_sock_set_state')) return;
  fire(sk, 'inet_sock_set_state', [sockObject(sk, from), from, to], ['tcp_set_state', 'tcp_rcv_state_process', 'tcp_v4_do_rcv', 'tcp_v4_rcv', 'ip_local_deliver', 'ip_rcv', '__netif_receive_skb', 'net_rx_action', 'handle_softirqs']);
}

/** trace_tcp_retransmit_skb(sk, skb, err) */
export function traceRetransmit(sk: Sock): void {
  if (!attached(sk, 'tcp_retransmit_skb')) return;
  fire(sk, 'tcp_retransmit_skb', [sockObject(sk), 0, 0], ['tcp_retransmit_skb', 'tcp_retransmit_timer', 'tcp_write_timer_handler', 'handle_softirqs']);
}

/** trace_tcp_receive_reset(sk) */
export function traceReceiveReset(sk: Sock): void {
  if (!attached(sk, 'tcp_receive_reset')) return;
  fire(sk, 'tcp_receive_reset', [sockObject(sk)], ['tcp_reset', 'tcp_rcv_state_process', 'tcp_v4_do_rcv', 'tcp_v4_rcv', 'ip_local_deliver', 'ip_rcv', '__netif_receive_skb', 'net_rx_action', 'handle_softirqs']);
}

/** Frees a socket's struct sock view (when the socket is gone). */
export function releaseSockObject(sk: Sock): void {
  releaseKernelObject(sk.host.kernel, sk);
}

// ---- packets: net_dev_xmit, netif_receive_skb, kfree_skb ---------------------------------

/** enum skb_drop_reason (include/net/dropreason-core.h, Linux 6.18) for bpfsim's reasons;
 * link-level losses happen on the wire, outside any kernel, and are not kfree_skb events. */
export const SKB_DROP_REASON: Readonly<Partial<Record<DropReason, number>>> = {
  other: 2, // NOT_SPECIFIED
  'no-socket': 3,
  'socket-rcvbuf': 6,
  'tcp-zerowindow': 32, // TCP_ZEROWINDOW
  'bad-header': 9, // PKT_TOO_SMALL
  'tcp-checksum': 10,
  'udp-checksum': 11,
  'not-for-us': 13, // OTHERHOST
  'ip-checksum': 14,
  'ip-header': 15, // IP_INHDR
  'ip-ttl': 15, // ip_forward(): IP_INHDR for an expired TTL
  'proto-unreachable': 19, // IP_NOPROTO
  'socket-backlog': 29,
  'no-route': 54, // IP_OUTNOROUTES
  'cgroup-bpf': 55, // BPF_CGROUP_EGRESS
  'neigh-failed': 58,
  'neigh-queue-full': 59,
  'link-queue-full': 64, // QDISC_DROP
  'dev-down': 74, // DEV_READY
  'icmp-checksum': 80,
  'frag-timeout': 90, // FRAG_REASM_TIMEOUT
};

interface SkbInfo {
  dev?: NetDevice;
  sk?: Sock;
  /** skb->protocol (ETH_P_*), host order. */
  protocol?: number;
}

/** The struct net_device a tracing program reads for `dev`. */
function devObject(kernel: Kernel, dev: NetDevice): bigint {
  return kernelObject(kernel, 'net_device', dev, (w) => {
    w.set('ifindex', dev.ifindex).set('mtu', dev.mtu).set('name', dev.name);
  });
}

/**
 * Runs `fn` with a struct sk_buff for `bytes` (head and data point at a copy of the packet
 * in VM memory); both live only for the call, as the skb does for the tracepoint.
 */
function withSkb(kernel: Kernel, bytes: Uint8Array, info: SkbInfo, fn: (skb: bigint) => void): void {
  const owner = {};
  const data = kernel.memory.map(bytes.slice(), { kind: 'mem', name: 'skb data' });
  try {
    const skb = kernelObject(kernel, 'sk_buff', owner, (w) => {
      w.set('len', bytes.length).set('head', data.address()).set('data', data.address());
      if (info.protocol !== undefined) w.set('protocol', info.protocol, true);
      if (info.dev) w.set('dev', devObject(kernel, info.dev));
      if (info.sk) w.set('sk', sockObject(info.sk)).set('mark', info.sk.options.mark);
    });
    fn(skb);
  } finally {
    releaseKernelObject(kernel, owner);
    kernel.memory.unmap(data);
  }
}

const has = (kernel: Kernel, name: string): boolean => anyTracepointProbes(kernel) && (findTracepoint(kernel, name)?.probes.length ?? 0) > 0;
const ethType = (frame: Uint8Array): number => (frame.length >= 14 ? (frame[12]! << 8) | frame[13]! : 0);

/** trace_net_dev_xmit(skb, rc, dev, skb_len) after the driver took the frame (NETDEV_TX_OK). */
export function traceNetDevXmit(kernel: Kernel, dev: NetDevice, frame: Uint8Array): void {
  if (!has(kernel, 'net_dev_xmit')) return;
  withSkb(kernel, frame, { dev, protocol: ethType(frame) }, (skb) =>
    fireTracepoint(kernel, 'net_dev_xmit', [skb, 0, devObject(kernel, dev), frame.length], undefined, kernelStack('dev_hard_start_xmit', '__dev_queue_xmit', 'ip_finish_output2', 'ip_output')),
  );
}

/** trace_netif_receive_skb(skb) as a frame enters the stack. */
export function traceNetifReceive(kernel: Kernel, dev: NetDevice, frame: Uint8Array): void {
  if (!has(kernel, 'netif_receive_skb')) return;
  withSkb(kernel, frame, { dev, protocol: ethType(frame) }, (skb) => fireTracepoint(kernel, 'netif_receive_skb', [skb], undefined, kernelStack('__netif_receive_skb', 'net_rx_action', 'handle_softirqs')));
}

/** trace_kfree_skb(skb, location, reason, rx_sk) for a drop with a kernel reason. */
export function traceKfreeSkb(kernel: Kernel, reason: DropReason, bytes: Uint8Array, dev?: NetDevice, sk?: Sock): void {
  const code = SKB_DROP_REASON[reason];
  if (code === undefined || !has(kernel, 'kfree_skb')) return;
  withSkb(kernel, bytes, { ...(dev ? { dev } : {}), ...(sk ? { sk } : {}) }, (skb) =>
    fireTracepoint(kernel, 'kfree_skb', [skb, kernelAddress('kfree_skb_reason'), code, sk ? sockObject(sk) : 0], sk?.owner, kernelStack('kfree_skb_reason', 'ip_local_deliver_finish', 'ip_rcv', '__netif_receive_skb')),
  );
}

// ---- TCP and socket errors -------------------------------------------------------------

/** enum sk_rst_reason (include/net/rstreason.h) */
export const SK_RST_REASON = { NOT_SPECIFIED: 0, NO_SOCKET: 1, TCP_ABORT_ON_DATA: 8, INVALID_SYN: 10, TCP_ABORT_ON_CLOSE: 11, TCP_ABORT_ON_LINGER: 12, TCP_KEEPALIVE_TIMEOUT: 15 } as const;

/** trace_tcp_send_reset(sk, skb, reason): sk is NULL for a reset answering no socket. */
export function traceTcpSendReset(kernel: Kernel, sk: Sock | undefined, segment: Uint8Array, reason: number): void {
  if (!has(kernel, 'tcp_send_reset')) return;
  withSkb(kernel, segment, sk ? { sk } : {}, (skb) =>
    fireTracepoint(kernel, 'tcp_send_reset', [sk ? sockObject(sk) : 0, skb, reason], sk?.owner, kernelStack(sk && reason !== SK_RST_REASON.TCP_ABORT_ON_DATA && reason !== SK_RST_REASON.INVALID_SYN ? 'tcp_send_active_reset' : 'tcp_v4_send_reset', 'tcp_v4_rcv', 'ip_local_deliver', 'ip_rcv')),
  );
}

/** trace_tcp_probe(sk, skb): each segment tcp_rcv_established() takes. */
export function traceTcpProbe(sk: Sock, segment: Uint8Array): void {
  const kernel = sk.host.kernel;
  if (!has(kernel, 'tcp_probe')) return;
  withSkb(kernel, segment, { sk }, (skb) => fireTracepoint(kernel, 'tcp_probe', [sockObject(sk), skb], sk.owner, kernelStack('tcp_probe_skb', 'tcp_rcv_established', 'tcp_v4_do_rcv', 'tcp_v4_rcv')));
}

/** trace_inet_sk_error_report(sk): sk_error_report() on an inet socket with sk_err set. */
export function traceErrorReport(sk: Sock): void {
  if (!attached(sk, 'inet_sk_error_report')) return;
  fire(sk, 'inet_sk_error_report', [sockObject(sk)], ['sk_error_report', 'tcp_reset', 'tcp_v4_rcv']);
}

/** trace_udp_fail_queue_rcv_skb(rc, sk, skb): a datagram the socket could not queue. */
export function traceUdpFailQueue(sk: Sock, rc: number, datagram: Uint8Array): void {
  const kernel = sk.host.kernel;
  if (!has(kernel, 'udp_fail_queue_rcv_skb')) return;
  withSkb(kernel, datagram, { sk }, (skb) => fireTracepoint(kernel, 'udp_fail_queue_rcv_skb', [rc, sockObject(sk), skb], sk.owner, kernelStack('__udp_queue_rcv_skb', 'udp_queue_rcv_one_skb', 'udp_rcv', 'ip_local_deliver')));
}

// ---- raw_syscalls: sys_enter / sys_exit ------------------------------------------------

/** x86-64 syscall numbers of the calls the socket API makes (arch/x86/entry/syscalls). */
export const NR = { close: 3, sendfile: 40, socket: 41, connect: 42, accept: 43, sendto: 44, recvfrom: 45, sendmsg: 46, recvmsg: 47, shutdown: 48, bind: 49, listen: 50, getsockname: 51, getpeername: 52, setsockopt: 54, getsockopt: 55, accept4: 288 } as const;

const ARG_REGS = ['di', 'si', 'dx', 'r10', 'r8', 'r9'] as const;

/** The struct pt_regs of `proc`'s syscall: orig_ax = nr, the arguments in di, si, dx, r10, r8, r9. */
function regsObject(kernel: Kernel, proc: Process, nr: number, args: readonly (number | bigint)[], ret?: number): bigint {
  return kernelObject(kernel, 'pt_regs', proc, (w) => {
    w.set('orig_ax', BigInt(nr));
    ARG_REGS.forEach((r, i) => w.set(r, BigInt.asUintN(64, BigInt(args[i] ?? 0))));
    w.set('ax', BigInt.asUintN(64, BigInt(ret ?? -38))); // -ENOSYS until the call returns
  });
}

/**
 * Writes `addr` as struct sockaddr_in / sockaddr_in6 into `proc`'s sockaddr_storage in "user
 * memory" (Process.userBuf): the buffer a traced bind/connect/sendto passes in si (or r8), so
 * a program reading the pointer finds a real, non-NULL address holding the sockaddr
 * (bpf_probe_read_user). Its address. Called only when a syscall tracepoint has programs.
 */
export function userSockaddr(kernel: Kernel, proc: Process, addr: { family: 0 | 4 | 6; addr?: IpAddr | string; port?: number }): bigint {
  const r = (proc.userBuf ??= kernel.memory.alloc(128, { kind: 'mem', name: `${proc.comm}[${proc.pid}] sockaddr (user)` }));
  const b = r.bytes;
  b.fill(0, 0, 128);
  b[0] = addr.family === 6 ? AF_INET6 : addr.family === 4 ? AF_INET : 0; // sa_family, host order
  const port = addr.port ?? 0;
  b[2] = port >> 8; // sin_port, network order
  b[3] = port & 0xff;
  if (addr.family && addr.addr !== undefined) {
    const ip = typeof addr.addr === 'string' ? parseAddr(addr.addr) : addr.addr;
    if (addr.family === 4) b.set(ip.bytes.subarray(ip.bytes.length - 4), 4);
    else b.set(ip.family === 6 ? ip.bytes : v4Mapped(ip).bytes, 8);
  }
  return r.address();
}

/** trace_sys_enter(regs, id) as `proc` enters a socket syscall. */
export function traceSysEnter(kernel: Kernel, proc: Process, nr: number, args: readonly (number | bigint)[]): void {
  if (!has(kernel, 'sys_enter')) return;
  fireTracepoint(kernel, 'sys_enter', [regsObject(kernel, proc, nr, args), nr], proc, kernelStack('syscall_trace_enter', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'));
}

/** trace_sys_exit(regs, ret) as it returns (the registers still hold the arguments). */
export function traceSysExit(kernel: Kernel, proc: Process, nr: number, args: readonly (number | bigint)[], ret: number): void {
  if (!has(kernel, 'sys_exit')) return;
  fireTracepoint(kernel, 'sys_exit', [regsObject(kernel, proc, nr, args, ret), ret], proc, kernelStack('syscall_exit_work', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'));
}

/** Whether either syscall tracepoint has programs (the socket API skips all work if not). */
export function syscallsTraced(kernel: Kernel): boolean {
  return has(kernel, 'sys_enter') || has(kernel, 'sys_exit');
}
