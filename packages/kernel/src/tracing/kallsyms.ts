// The simulated kernel's text: the functions kernel stacks are made of, at fixed addresses
// from _text (0xffffffff81000000, as x86-64 without KASLR), so /proc/kallsyms-style lookups
// and kernel stack ids are stable run to run.

export const KERNEL_TEXT = 0xffffffff81000000n;
/** Every simulated kernel function gets this many bytes. */
const FN_SIZE = 0x200n;

/** The functions the simulated stack's call paths pass through, in address order. */
const FUNCTIONS = [
  'entry_SYSCALL_64_after_hwframe', 'do_syscall_64', 'x64_sys_call',
  '__x64_sys_socket', '__sys_socket', 'inet_create', 'inet6_create',
  '__x64_sys_bind', '__sys_bind', 'inet_bind_sk', '__inet_bind', 'inet6_bind_sk', '__inet6_bind', 'inet_csk_get_port',
  '__x64_sys_connect', '__sys_connect', 'inet_stream_connect', '__inet_stream_connect', 'tcp_v4_connect', 'tcp_v6_connect',
  'tcp_v4_pre_connect', 'tcp_v6_pre_connect', '__inet_hash_connect', 'inet_dgram_connect', 'udp_pre_connect', 'ip4_datagram_connect',
  '__x64_sys_listen', '__sys_listen', 'inet_listen', '__x64_sys_accept4', '__sys_accept4', 'inet_accept', 'inet_csk_accept',
  '__x64_sys_sendto', '__sys_sendto', '__x64_sys_sendmsg', '__sys_sendmsg', 'sock_sendmsg', 'inet_sendmsg', 'tcp_sendmsg',
  'tcp_sendmsg_locked', 'tcp_push', 'tcp_write_xmit', '__tcp_transmit_skb', 'udp_sendmsg', 'udpv6_sendmsg', 'ip_output',
  'ip_finish_output2', 'ip6_output', 'dev_queue_xmit', '__dev_queue_xmit', 'dev_hard_start_xmit',
  '__x64_sys_recvfrom', '__sys_recvfrom', 'sock_recvmsg', 'inet_recvmsg', 'tcp_recvmsg', 'udp_recvmsg',
  '__x64_sys_close', '__fput', 'sock_close', 'inet_release', 'tcp_close', 'udp_lib_close',
  'tcp_set_state', 'tcp_rcv_state_process', 'tcp_v4_rcv', 'tcp_v4_do_rcv', 'tcp_rcv_established', 'tcp_retransmit_skb',
  'tcp_retransmit_timer', 'tcp_write_timer_handler', 'tcp_send_active_reset', 'tcp_v4_send_reset', 'tcp_reset',
  'udp_rcv', '__udp4_lib_rcv', 'udp_queue_rcv_one_skb', 'ip_rcv', 'ip_local_deliver', 'ipv6_rcv', '__netif_receive_skb',
  'netif_receive_skb', 'net_rx_action', 'handle_softirqs', 'kfree_skb_reason', 'sk_error_report',
  '__cgroup_bpf_run_filter_sk', '__cgroup_bpf_run_filter_sock_addr', 'bpf_trace_run1', 'bpf_trace_run2',
  'bpf_trace_run3', 'bpf_trace_run4', '__x64_sys_bpf', '__sys_bpf', 'bpf_prog_test_run', 'bpf_prog_test_run_raw_tp',
  '__bpf_prog_test_run_raw_tp',
  // (appended: earlier addresses stay where recorded stacks expect them)
  'do_syscall_64', 'entry_SYSCALL_64_after_hwframe', 'syscall_trace_enter', 'syscall_exit_work', 'tcp_probe_skb',
  '__udp_queue_rcv_skb', 'ip_local_deliver_finish', 'ip_forward', 'neigh_resolve_output', 'ip6_rcv_core',
] as const;
export type KernelFunction = (typeof FUNCTIONS)[number];

const ADDR = new Map<string, bigint>(FUNCTIONS.map((n, i) => [n, KERNEL_TEXT + BigInt(i) * FN_SIZE]));

/** The address of `name` + `off` (kallsyms_lookup_name). */
export function kernelAddress(name: KernelFunction, off = 0x1c): bigint {
  return ADDR.get(name)! + BigInt(off);
}

/** A kernel call stack, innermost first, as return addresses inside each function. */
export function kernelStack(...names: KernelFunction[]): bigint[] {
  return names.map((n) => kernelAddress(n));
}

/** "tcp_v4_connect+0x1c", or undefined outside the simulated kernel text. */
export function kernelSymbolize(ip: bigint): string | undefined {
  if (ip < KERNEL_TEXT) return undefined;
  const i = Number((ip - KERNEL_TEXT) / FN_SIZE);
  const name = FUNCTIONS[i];
  return name === undefined ? undefined : `${name}+0x${((ip - KERNEL_TEXT) % FN_SIZE).toString(16)}`;
}
