// The typed events a network simulation emits (one eventemitter3 emitter per simulation).
// Timelines, pcap writers, reports and benchmarks are all consumers of these. Besides the
// stack's own (packets, drops, TCP states, retransmits, hook calls), the simulation carries
// every event of every host's kernel (KernelEvents: 'hook:run', 'tracepoint:run', and what
// higher packages declare there, as sockmap's 'msg:verdict' and 'msg:disposition'), stamped
// with the host's name: Network forwards them from kernel.events, so a reader subscribes in
// this one place.
import type { KernelEvents } from '@bpfsim/kernel';

/** Why the stack dropped a packet (a subset of enum skb_drop_reason, by name). */
export type DropReason =
  | 'link-loss'
  | 'link-queue-full'
  | 'link-down'
  | 'dev-down'
  | 'no-link'
  | 'not-for-us'
  | 'ip-header'
  | 'ip-checksum'
  | 'ip-ttl'
  | 'no-route'
  | 'neigh-failed'
  | 'neigh-queue-full'
  | 'no-socket'
  | 'tcp-checksum'
  | 'udp-checksum'
  | 'icmp-checksum'
  | 'bad-header'
  | 'proto-unreachable'
  | 'socket-backlog'
  | 'socket-rcvbuf'
  | 'tcp-zerowindow'
  | 'cgroup-bpf'
  | 'frag-timeout'
  | 'other';

export interface PacketEvent {
  time: number;
  host: string;
  dev: string;
  dir: 'in' | 'out';
  frame: Uint8Array;
}

export interface DropEvent {
  time: number;
  host: string;
  dev?: string;
  reason: DropReason;
  /** The frame or datagram dropped. */
  bytes: Uint8Array;
}

export interface SocketStateEvent {
  time: number;
  host: string;
  /** "tcp 10.0.0.1:5000 -> 10.0.0.2:80" */
  socket: string;
  from: string;
  to: string;
}

export interface RetransmitEvent {
  time: number;
  host: string;
  socket: string;
  seq: number;
  length: number;
  reason: 'rto' | 'fast' | 'syn' | 'synack' | 'fin' | 'probe' | 'tlp';
}

/** One program of a hook run (the kernel runner's HookRunEvent, trimmed). */
export interface HookProgRun {
  id: number;
  name: string;
  /** What the program returned (r0). */
  ret: number;
  /** Instructions executed. */
  insns: number;
  /** Virtual time the run took, ns (0: the clock does not move inside a run, unless the
   * kernel's clock is an injected one that does). */
  durationNs: number;
}

/** A cgroup hook that ran programs (a hook with nothing attached emits nothing). */
export interface HookEvent {
  time: number;
  host: string;
  /** The attach type, as bpftool names it ("cgroup_inet4_connect"). */
  hook: string;
  /** The socket's cgroup. */
  cgroup: string;
  /** The socket, as Sock.describe() gives it. */
  socket: string;
  /** "ok", or the errno the call fails with (EPERM). */
  verdict: string;
  /** sock_addr hooks: the address before and after the programs ("10.0.0.1:80", "[::1]:53"). */
  addr?: { before: string; after: string };
  /** sendmsg hooks: the source the datagram leaves from, when a program set one. */
  msgSrc?: string;
  progs: HookProgRun[];
}

/** A host kernel's event as the simulation carries it: the kernel's payload and the host. */
export type HostKernelEvent<K extends keyof KernelEvents> = KernelEvents[K] & { host: string };

/** Every kernel event, by its kernel name, on the simulation's emitter. */
export type KernelEventsOnSim = { [K in keyof KernelEvents]: (e: HostKernelEvent<K>) => void };

export interface NetEvents extends KernelEventsOnSim {
  hook: (e: HookEvent) => void;
  packet: (e: PacketEvent) => void;
  drop: (e: DropEvent) => void;
  'tcp:state': (e: SocketStateEvent) => void;
  'tcp:retransmit': (e: RetransmitEvent) => void;
}
