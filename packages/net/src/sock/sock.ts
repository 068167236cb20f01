// Sockets as the stack holds them (struct socket + struct sock + struct inet_sock): family,
// type, the bound and connected addresses, options, the pending error, the owning process
// and its cgroup, and wakeups for whoever waits on the socket. A socket is a file: it
// lives in a process's fd table (kernel FdTable, kind 'socket') and is released when the
// last reference goes. Each protocol (UDP, TCP) extends Sock and implements SockOps; the
// socket API (api.ts) does the checks common to every protocol and calls these.
import type { ErrnoCode } from '@bpfsim/isa';
import { SysError } from '@bpfsim/isa';
import type { Cgroup, Process } from '@bpfsim/kernel';
import { BpfObject } from '@bpfsim/kernel';
import type { Host } from '../iface/host';
import type { NetDevice } from '../iface/device';
import type { IpAddr } from '../wire/addr';
import { TCP_STATE } from './state';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_IP = 0;
export const SOL_SOCKET = 1;
export const SOL_TCP = 6;
export const SOL_IP = 0;
export const SOL_IPV6 = 41;
/** sk_userlocks bits (include/net/sock.h). */
export const SOCK_SNDBUF_LOCK = 1;
export const SOCK_RCVBUF_LOCK = 2;

/** struct sockaddr_in / sockaddr_in6, as the API takes and returns them. */
export interface SockAddr {
  family: 4 | 6;
  addr: IpAddr;
  port: number;
  /** sin6_flowinfo */
  flowinfo?: number;
  /** sin6_scope_id */
  scopeId?: number;
}

/** The options every inet socket has (the SOL_SOCKET and SOL_IP/SOL_IPV6 ones the stack
 * models); protocol options (TCP_NODELAY…) live with the protocol. */
export interface SockOptions {
  /** SO_REUSEADDR (sk_reuse) */
  reuseaddr: boolean;
  /** SO_REUSEPORT (sk_reuseport) */
  reuseport: boolean;
  /** SO_RCVBUF / SO_SNDBUF as the kernel stores them (doubled, clamped): a datagram
   * socket's buffers (TCP keeps its own, which autotuning grows: TcpSock.skRcvbuf). */
  rcvbuf: number;
  sndbuf: number;
  /** sk_userlocks: SOCK_SNDBUF_LOCK (1) and SOCK_RCVBUF_LOCK (2), set by SO_SNDBUF /
   * SO_RCVBUF (they stop TCP's buffer autotuning). */
  userlocks: number;
  /** SO_BINDTODEVICE */
  boundDev?: NetDevice;
  /** SO_LINGER */
  linger?: { onoff: boolean; seconds: number };
  /** SO_KEEPALIVE (off by default) */
  keepalive: boolean;
  /** IPV6_V6ONLY (default net.ipv6.bindv6only = 0) */
  v6only: boolean;
  /** IP_FREEBIND / IPV6_FREEBIND */
  freebind: boolean;
  /** IP_BIND_ADDRESS_NO_PORT */
  bindAddressNoPort: boolean;
  /** IP_TTL / IPV6_UNICAST_HOPS (-1: the default) */
  ttl: number;
  /** IP_TOS / IPV6_TCLASS */
  tos: number;
  /** O_NONBLOCK on the file */
  nonblock: boolean;
  /** SO_MARK (sk_mark; a SOCK_CREATE program may set it) */
  mark: number;
  /** SO_PRIORITY (sk_priority; a SOCK_CREATE program may set it) */
  priority: number;
}

/** The defaults, shared by every socket that never set an option (frozen: see optionsForWrite). */
const DEFAULT_SOCK_OPTIONS: Readonly<SockOptions> = Object.freeze(defaultSockOptions());

export function defaultSockOptions(): SockOptions {
  return {
    reuseaddr: false,
    reuseport: false,
    // net.core.rmem_default / wmem_default (212992 on 6.x)
    rcvbuf: 212992,
    sndbuf: 212992,
    userlocks: 0,
    keepalive: false,
    v6only: false,
    freebind: false,
    bindAddressNoPort: false,
    ttl: -1,
    tos: 0,
    nonblock: false,
    mark: 0,
    priority: 0,
  };
}

/** What poll() would report. */
export interface PollState {
  readable: boolean;
  writable: boolean;
  /** An error is pending (POLLERR). */
  error: boolean;
  /** The peer or we shut down (POLLHUP / POLLRDHUP). */
  hup: boolean;
}

export type Waker = () => void;

/** The rarely used parts of a socket (Sock.aux). */
interface SockAux {
  /** bpf_get_socket_cookie() */
  cookie?: bigint;
  /** sk_txhash as a sock_ops program set it. */
  txhash?: number;
  /** Who waits on the socket. */
  wakers?: Set<Waker>;
  /** Called when the socket is released (sock_map_close() takes it out of every sockmap). */
  releaseHooks?: Set<(sk: Sock) => void>;
  /** sk_user_data (what a layer above keeps on the socket: sockmap's psock). */
  userData?: object;
}

export abstract class Sock extends BpfObject {
  /** On the prototype, not in every socket. */
  get kind(): 'socket' {
    return 'socket';
  }
  /** This socket's own options, made on the first write (most sockets keep the defaults). */
  private opts: SockOptions | undefined;
  /** The socket's options (read-only: write through optionsForWrite()). */
  get options(): Readonly<SockOptions> {
    return this.opts ?? DEFAULT_SOCK_OPTIONS;
  }
  /** The options to change: the socket's own copy, made from the defaults on first use. */
  optionsForWrite(): SockOptions {
    return (this.opts ??= defaultSockOptions());
  }
  /** sk_clone_lock(): a child socket starts with a copy of its listener's options (SO_*,
   * IP_TTL/TOS, keepalive…). */
  inheritOptions(from: Sock): void {
    // O_NONBLOCK belongs to the file, which accept() makes new.
    this.opts = from.opts ? { ...from.opts, nonblock: false } : undefined;
  }
  /** inet_rcv_saddr: the bound local address (any until bound or connected). */
  boundAddr: IpAddr;
  /** inet_num: the local port (0 until bound). */
  localPort = 0;
  /** inet_saddr: the source address datagrams carry. */
  srcAddr: IpAddr;
  /** The peer (connected sockets). */
  peer: SockAddr | undefined;
  /** sk_state (TCP_STATE numbering; UDP: TCP_CLOSE, or TCP_ESTABLISHED once connected). */
  state: number = TCP_STATE.TCP_CLOSE;
  /** sk_err: a pending error, reported once (SO_ERROR or the next call). */
  error: ErrnoCode | undefined;
  /** The cgroup of the process that created the socket (sock_cgroup_data). */
  readonly cgroup: Cgroup;
  /** What few sockets need (a cookie, waiters, release hooks): one field, made on first use. */
  private aux: SockAux | undefined;

  constructor(
    readonly host: Host,
    readonly family: 4 | 6,
    readonly type: number,
    readonly protocol: number,
    readonly owner: Process,
    any: IpAddr,
  ) {
    super();
    this.cgroup = owner.cgroup;
    this.boundAddr = any;
    this.srcAddr = any;
  }

  /** The socket cookie (sock_gen_cookie): unique per network namespace, from 1 on. */
  cookie(): bigint {
    const a = (this.aux ??= {});
    return (a.cookie ??= this.host.nextSocketCookie());
  }

  /** sk_txhash (0 until a sock_ops program sets it). */
  get txhash(): number {
    return this.aux?.txhash ?? 0;
  }
  set txhash(v: number) {
    (this.aux ??= {}).txhash = v;
  }

  /** sk_user_data: what a layer above the stack keeps on the socket (@bpfsim/sockmap's
   * psock of a socket other than TCP's, which TcpSock.psock holds on the send path). */
  get userData(): object | undefined {
    return this.aux?.userData;
  }
  set userData(v: object | undefined) {
    if (v === undefined) {
      if (this.aux) delete this.aux.userData;
    } else (this.aux ??= {}).userData = v;
  }

  /** Takes the pending error (sock_error): once reported, it is cleared. */
  takeError(): ErrnoCode | undefined {
    const e = this.error;
    this.error = undefined;
    return e;
  }

  /** Wakes whoever waits on this socket (sk_data_ready / sk_write_space / sk_state_change). */
  wake(): void {
    const wakers = this.aux?.wakers;
    if (wakers) for (const w of [...wakers]) w();
  }

  /** Registers a waker; returns a function that removes it. */
  onWake(w: Waker): () => void {
    const set = ((this.aux ??= {}).wakers ??= new Set());
    set.add(w);
    return () => set.delete(w);
  }

  /** Runs `fn` when the socket is released; returns a function that cancels it. */
  onRelease(fn: (sk: Sock) => void): () => void {
    const set = ((this.aux ??= {}).releaseHooks ??= new Set());
    set.add(fn);
    return () => set.delete(fn);
  }

  /** "tcp 10.0.0.1:40000 -> 10.0.0.2:80", for events and errors. */
  describe(): string {
    const kind = this.type === SOCK_STREAM ? 'tcp' : 'udp';
    const local = `${fmt(isAnyAddr(this.boundAddr) && this.peer ? this.srcAddr : this.boundAddr)}:${this.localPort}`;
    return this.peer ? `${kind} ${local} -> ${fmt(this.peer.addr)}:${this.peer.port}` : `${kind} ${local}`;
  }

  abstract poll(): PollState;

  // ---- protocol operations (struct proto_ops + struct proto) ------------------------------
  // Each throws SysError with the kernel's errno; the API turns "would block" into EAGAIN /
  // EINPROGRESS for non-blocking callers and into a wait for awaiting ones.

  /** inet_bind / inet6_bind, after the API checked the sockaddr. */
  abstract bind(addr: SockAddr): void;
  abstract connect(addr: SockAddr): void;
  abstract listen(backlog: number): void;
  /** A connection from the accept queue, or undefined (would block). */
  abstract accept(): Sock | undefined;
  /** Bytes taken (partial sends allowed for streams); throws EAGAIN when nothing fits. */
  abstract sendmsg(data: Uint8Array, to: SockAddr | undefined, flags: number): number;
  /** Data and its source, or undefined (would block); an empty Uint8Array means EOF. */
  abstract recvmsg(maxBytes: number, flags: number): { data: Uint8Array; from?: SockAddr } | undefined;
  abstract shutdown(how: number): void;
  /** close(): the protocol's orderly release (FIN, linger…); the fd is gone already. */
  abstract close(): void;
  /** Protocol-level options (SOL_TCP, …); undefined: not this protocol's option. */
  setProtoOption?(level: number, name: number, value: number): boolean;
  /** sk_rcvbuf / sk_sndbuf now (what SO_RCVBUF / SO_SNDBUF read back). */
  get rcvbuf(): number {
    return this.options.rcvbuf;
  }
  get sndbuf(): number {
    return this.options.sndbuf;
  }
  /** SO_RCVBUF / SO_SNDBUF set the buffer (already doubled and clamped) and lock it. */
  setBuffer(which: 'rcv' | 'snd', bytes: number): void {
    const o = this.optionsForWrite();
    if (which === 'rcv') {
      o.rcvbuf = bytes;
      o.userlocks |= SOCK_RCVBUF_LOCK;
    } else {
      o.sndbuf = bytes;
      o.userlocks |= SOCK_SNDBUF_LOCK;
    }
  }
  /** SO_KEEPALIVE changed (sk->sk_prot->keepalive(): tcp_set_keepalive()). */
  keepaliveChanged?(): void;
  getProtoOption?(level: number, name: number): number | undefined;

  protected release(): void {
    const hooks = this.aux?.releaseHooks;
    if (hooks) {
      this.aux!.releaseHooks = undefined;
      for (const fn of [...hooks]) fn(this);
    }
    this.close();
  }
}

const fmt = (a: IpAddr): string => (a.family === 6 ? `[${a.text}]` : a.text);
const isAnyAddr = (a: IpAddr): boolean => a.bytes.every((x) => x === 0);

/** A SysError for a call that would block (EAGAIN, EINPROGRESS, EALREADY): these are the
 * expected answers of non-blocking calls, made on every poll, so they carry no stack trace
 * (capturing one costs more than the rest of a simulated connect). */
export function wouldBlock(code: 'EAGAIN' | 'EINPROGRESS' | 'EALREADY', why: string): SysError {
  const E = Error as { stackTraceLimit?: number };
  const limit = E.stackTraceLimit;
  E.stackTraceLimit = 0;
  try {
    return new SysError(code, why);
  } finally {
    E.stackTraceLimit = limit;
  }
}
