// What a TCP socket needs from the world around it, and nothing more: the clock and its
// timers, IP output and routes (icsk->icsk_af_ops: ip_queue_xmit / inet6_csk_xmit and
// the route lookup), the namespace's TCP sysctls (struct netns_ipv4), the cgroup's
// sock_ops programs, trace points, and the protocol's tables (the ehash, the listening
// hash, the ISN and timestamp secrets). A socket never calls its Host: crafted-segment
// tests can give one socket an environment of their own, as smoltcp's socket tests drive a
// socket with no interface.
import type { Kernel } from '@bpfsim/kernel';
import type { OutPacket, PathInfo } from '../iface/host';
import type { DropReason, NetEvents } from '../events';
import type { Timer } from '../sim/simulation';
import type { TcpOpsInfo } from '../bpf/sock-ops';
import type { PortTable } from '../ports/port-table';
import type { IpAddr } from '../wire/addr';
import type { TcpSegment } from '../wire/tcp';
import type { CongestionOps } from './tcp-cong';
import type { TcpSock } from './tcp-sock';
import type { TcpSysctls } from './tcp-sysctl';

export interface TcpEnv {
  /** The clock, ns (tcp_clock_ns()). */
  readonly now: number;
  /** jiffies: the kernel's tick count (HZ = 250 here: one jiffy is 4 ms), which TCP's
   * timers run on. */
  readonly jiffies: number;
  /** The host's monotonic clock at virtual time 0, ns (HostOptions.clockBase): the TCP
   * timestamp clock's milliseconds tick on it. */
  readonly clockBase: number;
  /** sk_reset_timer() → mod_timer(): runs `fn` when the timer wheel reaches `expires`
   * (jiffies) — never early, on the slot of the wheel level the distance falls in. */
  timerAt(expires: number, fn: () => void): Timer;
  /** When a timer armed now for `expires` (jiffies) would run, ns (timerAt's time). */
  timerTime(expires: number): number;
  /** Runs `fn` after `delay` ns. */
  schedule(delay: number, fn: () => void): Timer;
  /** get_random_u32_below(n): 0 .. n-1, from the simulation's seeded generator. */
  random(n: number): number;
  /** ip_queue_xmit(): the segment out through IP (0, or a negative errno). */
  ipOutput(p: OutPacket): number;
  /** ip_route_output(): the path to `dst`. */
  route(dst: IpAddr, oif?: OutPacket['oif'], src?: IpAddr): PathInfo | undefined;
  /** kfree_skb() with a drop reason. */
  drop(reason: DropReason, bytes: Uint8Array): void;
  readonly sysctl: TcpSysctls;
  /** The kernel: its profile (6.18 or 4.17) and its trace points. */
  readonly kernel: Kernel;
  /** The observers' events (tcp:state, tcp:retransmit). */
  emit<K extends keyof NetEvents>(event: K, payload: Parameters<NetEvents[K]>[0]): void;
  /** Whether anyone listens for `event`: asked before an event is built. */
  observed(event: keyof NetEvents): boolean;
  /** tcp_call_bpf(): the cgroup's sock_ops programs, or -1 when none is attached. */
  sockOps(sk: TcpSock, op: number, args: readonly number[], info: () => TcpOpsInfo, setCbFlags: (f: number) => void): number;
  /** The host's name, for events. */
  readonly hostName: string;
  /** net.ipv4.tcp_congestion_control: what new sockets use. */
  readonly defaultCongestion: CongestionOps;
  // ---- the protocol's tables (tcp_hashinfo) and secrets ----
  secureSeq(local: IpAddr, lport: number, remote: IpAddr, rport: number): number;
  tsOffset(local: IpAddr, remote: IpAddr): number;
  lookupEstablished(local: IpAddr, lport: number, remote: IpAddr, rport: number): TcpSock | undefined;
  hashEstablished(sk: TcpSock): void;
  unhashEstablished(sk: TcpSock): void;
  hashListener(sk: TcpSock): void;
  unhashListener(sk: TcpSock): void;
  /** The host's TCP port table (inet_hashinfo's bind hash). */
  readonly ports: PortTable;
  /** tcp_v4_send_reset() for a segment no socket takes. */
  /** tcp_v4_send_reset(): a RST in answer to `seg` (for `sk`, when a socket sends it). */
  sendReset(seg: TcpSegment, local: IpAddr, remote: IpAddr, sk?: TcpSock, reason?: number): void;
}
