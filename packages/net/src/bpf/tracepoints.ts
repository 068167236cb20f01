// The stack's raw tracepoints (include/trace/events/sock.h, tcp.h): the call sites fire them
// with Linux's arguments; pointer arguments are the sockets' struct sock views in VM memory
// (kernelObject), filled only when a program is attached, so tracing off costs one lookup.
import type { Sock } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';
import { fireTracepoint, findTracepoint, kernelObject, kernelStack, releaseKernelObject } from '@bpfsim/kernel';
import type { KernelFunction } from '@bpfsim/kernel';

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

const attached = (sk: Sock, name: string): boolean => (findTracepoint(sk.host.kernel, name)?.probes.length ?? 0) > 0;

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
