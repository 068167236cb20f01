// Socket states as Linux numbers them (include/net/tcp_states.h): TCP uses all of them; UDP
// uses TCP_CLOSE (unconnected) and TCP_ESTABLISHED (connected), as udp_sock does. These are
// the values struct bpf_sock's `state` field and the sock:inet_sock_set_state tracepoint show.
import { uapiName } from '@bpfsim/isa';

export const TCP_STATE = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_NEW_SYN_RECV: 12,
} as const;
export type TcpState = (typeof TCP_STATE)[keyof typeof TCP_STATE];

/** "TCP_ESTABLISHED", as the kernel's tracepoints print states. */
export function tcpStateName(s: number): string {
  return uapiName(TCP_STATE, s) ?? `state ${s}`;
}
