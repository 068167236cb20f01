// The socket system calls of a simulated process (net/socket.c and net/ipv4/af_inet.c,
// net/ipv6/af_inet6.c): the checks common to every protocol, in Linux's order and with its
// errno, and the cgroup BPF hook call sites (BPF_CGROUP_RUN_PROG_*). Sockets live in the
// process's fd table. Each call is synchronous: what would block fails with EAGAIN here,
// and the awaitable forms (recvAsync) wait on the simulation's clock.
import type { ErrnoCode } from '@bpfsim/isa';
import { AF, ERRNO, IP, IPV6, MSG, SO, SOCK, SOL, SysError, TCP, errnoName } from '@bpfsim/isa';
import type { Process } from '@bpfsim/kernel';
import type { Host } from '../iface/host';
import { ipv6Only, setImpliedV6only } from '../ports/port-table';
import type { IpAddr } from '../wire/addr';
import { ANY4, ANY6, isAny, isMulticast, isV4Mapped, parseAddr, unmapV4 } from '../wire/addr';
import type { SockAddr } from './sock';
import type { TcpInfo } from '../tcp/tcp';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_STREAM, SOL_IP, SOL_IPV6, SOL_SOCKET, Sock, wouldBlock } from './sock';
import { TCP_STATE } from './state';
import { NR, syscallsTraced, traceSysEnter, traceSysExit, userSockaddr } from '../bpf/tracepoints';

// The option and flag names are the uapi's (@bpfsim/isa's socket.ts), re-exported here.
export { IP, IPV6, SO } from '@bpfsim/isa';
export const AF_UNSPEC = AF.AF_UNSPEC;
export const SOCK_NONBLOCK = SOCK.SOCK_NONBLOCK;
export const MSG_PEEK = MSG.MSG_PEEK;
export const MSG_DONTWAIT = MSG.MSG_DONTWAIT;
/** sysctl net.ipv4.ip_unprivileged_port_start */
export const IP_UNPRIVILEGED_PORT_START = 1024;
const SOL_TCP = SOL.SOL_TCP;
const TCP_CONGESTION = TCP.TCP_CONGESTION;
/** __inet_bind() flags */
export const BIND_FORCE_ADDRESS_NO_PORT = 1 << 0;
export const BIND_WITH_LOCK = 1 << 1;
export const BIND_FROM_BPF = 1 << 2;
export const BIND_NO_CAP_NET_BIND_SERVICE = 1 << 3;

/** sysctl net.core.rmem_max / wmem_max, and SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF. */
const RMEM_MAX = 212992;
const WMEM_MAX = 212992;
const SOCK_MIN_RCVBUF = 2304;
const SOCK_MIN_SNDBUF = 4608;

/** An address as the API takes it: text or parsed. */
export interface SockAddrIn {
  /** AF_INET (4), AF_INET6 (6) or AF_UNSPEC (0). */
  family: 0 | 4 | 6;
  addr?: IpAddr | string;
  port?: number;
}

const fail = (code: ErrnoCode, why: string): never => {
  throw code === 'EAGAIN' || code === 'EINPROGRESS' || code === 'EALREADY' ? wouldBlock(code, why) : new SysError(code, why);
};

function toSockAddr(a: SockAddrIn): SockAddr {
  const fam = a.family === 0 ? 4 : a.family;
  const addr = a.addr === undefined ? (fam === 4 ? ANY4 : ANY6) : typeof a.addr === 'string' ? parseAddr(a.addr) : a.addr;
  if (a.family !== 0 && addr.family !== fam) fail('EINVAL', `address ${addr.text} is not an ${fam === 4 ? 'IPv4' : 'IPv6'} address`);
  const port = a.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('EINVAL', `port ${port} is out of range`);
  return { family: fam, addr, port };
}

/** __inet_bind() / __inet6_bind() after the BIND hook: the checks, the port, POST_BIND. */
export function inetBind(host: Host, sk: Sock, uaddr: SockAddr, userFamily: number, flags: number): void {
  const proto = sk.type === SOCK_STREAM ? 'tcp' : 'udp';
  const port = uaddr.port;
  const needsCap = (): boolean => !(flags & BIND_NO_CAP_NET_BIND_SERVICE) && port !== 0 && port < IP_UNPRIVILEGED_PORT_START && !sk.owner.capable('CAP_NET_BIND_SERVICE');
  let bound: IpAddr;
  let implied = false;
  if (sk.family === 4) {
    if (userFamily !== AF_INET && !(userFamily === AF_UNSPEC && isAny(uaddr.addr))) fail('EAFNOSUPPORT', 'an IPv4 socket binds an AF_INET address');
    const a = uaddr.addr;
    if (!isAny(a) && !isMulticast(a) && !host.isLocal(a) && !sk.options.freebind) fail('EADDRNOTAVAIL', `${a.text} is not an address of this host`);
    if (needsCap()) fail('EACCES', `port ${port} needs CAP_NET_BIND_SERVICE`);
    if (sk.state !== TCP_STATE.TCP_CLOSE || sk.localPort) fail('EINVAL', 'the socket is bound already');
    bound = a;
  } else {
    if (userFamily !== AF_INET6) fail('EAFNOSUPPORT', 'an IPv6 socket binds an AF_INET6 address');
    const a = uaddr.addr;
    if (isMulticast(a) && sk.type === SOCK_STREAM) fail('EINVAL', 'a stream socket cannot bind a multicast address');
    if (needsCap()) fail('EACCES', `port ${port} needs CAP_NET_BIND_SERVICE`);
    if (sk.state !== TCP_STATE.TCP_CLOSE || sk.localPort) fail('EINVAL', 'the socket is bound already');
    if (isV4Mapped(a)) {
      if (ipv6Only(sk)) fail('EINVAL', 'an IPv6-only socket cannot bind a v4-mapped address');
      const v4 = unmapV4(a);
      if (!isAny(v4) && !isMulticast(v4) && !host.isLocal(v4) && !sk.options.freebind) fail('EADDRNOTAVAIL', `${v4.text} is not an address of this host`);
    } else if (!isAny(a)) {
      if (!isMulticast(a) && !host.isLocal(a) && !sk.options.freebind) fail('EADDRNOTAVAIL', `${a.text} is not an address of this host`);
      implied = true;
    }
    bound = a;
  }
  const saved = { addr: sk.boundAddr, src: sk.srcAddr };
  sk.boundAddr = bound;
  sk.srcAddr = isMulticast(bound) ? (sk.family === 4 ? ANY4 : ANY6) : bound;
  const wasImplied = ipv6Only(sk) && !sk.options.v6only;
  if (implied) setImpliedV6only(sk, true);
  const undo = (): void => {
    sk.boundAddr = saved.addr;
    sk.srcAddr = saved.src;
    setImpliedV6only(sk, wasImplied);
  };
  if (port || !(sk.options.bindAddressNoPort || flags & BIND_FORCE_ADDRESS_NO_PORT)) {
    const table = host.portTable(proto);
    try {
      table.bind(sk, port);
    } catch (e) {
      undo();
      throw e;
    }
    if (!(flags & BIND_FROM_BPF)) {
      const err = host.hooks.postBind?.(sk) ?? 0;
      if (err) {
        // A refusal undoes the bind completely, port included (Linux >= 5.18).
        table.unbind(sk);
        undo();
        fail(errnoOf(err), 'a cgroup post_bind program refused the bind');
      }
    }
  }
  sk.peer = undefined;
}

const errnoOf = (neg: number): ErrnoCode => errnoName(-neg) ?? 'EPERM';


/** How long a waiting call waits (SO_RCVTIMEO / SO_SNDTIMEO, poll()'s timeout), in ns of
 * virtual time; undefined or Infinity: until it can complete. */
export interface WaitOptions {
  timeoutNs?: number;
}

/**
 * Waits on `sk` for `attempt` to succeed (true) — called now, then at every wake — with
 * `options.timeoutNs` as sk_rcvtimeo/sk_sndtimeo: when it runs out first, `expire` settles
 * the call (sock_intr_errno / -EAGAIN) and nothing is left waiting.
 */
function waitOn(sk: Sock, attempt: () => boolean, options: WaitOptions | undefined, expire: () => void): void {
  if (attempt()) return;
  const t = options?.timeoutNs;
  if (t !== undefined && !(t >= 0)) throw new RangeError(`a timeout must be >= 0 ns, got ${t}`);
  let timer: { cancel(): void } | undefined;
  const off = sk.onWake(() => {
    if (!attempt()) return;
    off();
    timer?.cancel();
  });
  if (t !== undefined && Number.isFinite(t)) {
    timer = sk.host.network.sim.schedule(t, () => {
      off();
      expire();
    });
  }
}

/** A process's socket calls on a host. */
export class SocketApi {
  constructor(
    readonly host: Host,
    readonly proc: Process,
  ) {}

  private sock(fd: number): Sock {
    const o = this.proc.fds.lookup(fd);
    if (!o) return fail('EBADF', `fd ${fd} is not open`);
    if (o.kind !== 'socket') return fail('ENOTSOCK', `fd ${fd} is not a socket`);
    return o as unknown as Sock;
  }

  /**
   * Runs a socket syscall between raw_syscalls:sys_enter and sys_exit (when programs are
   * attached to either; otherwise just runs it). `args` is made only when traced.
   */
  private sys<T>(nr: number, args: () => (number | bigint)[], fn: () => T, ret: (v: T) => number): T {
    const k = this.host.kernel;
    if (!syscallsTraced(k)) return fn();
    const a = args();
    traceSysEnter(k, this.proc, nr, a);
    let v: T;
    try {
      v = fn();
    } catch (e) {
      if (e instanceof SysError) traceSysExit(k, this.proc, nr, a, -e.errno);
      throw e;
    }
    traceSysExit(k, this.proc, nr, a, ret(v));
    return v;
  }

  /** The socket object behind an fd (for inspection). */
  socketOf(fd: number): Sock {
    return this.sock(fd);
  }

  /** socket(2): inet_create() / inet6_create(), then the SOCK_CREATE hook. */
  socket(family: number, type: number, protocol = 0): number {
    return this.sys(NR.socket, () => [family, type, protocol], () => this.socketImpl(family, type, protocol), (v) => v);
  }

  /** socket() without the syscall tracepoints (for calls made inside another call). */
  private socketImpl(family: number, type: number, protocol = 0): number {
    if (family !== AF_INET && family !== AF_INET6) fail('EAFNOSUPPORT', `address family ${family} is not supported`);
    const nonblock = (type & SOCK_NONBLOCK) !== 0;
    const t = type & 0xf;
    const f = this.host.protosw.get(`${t}:${protocol}`);
    if (!f) {
      if (t !== SOCK_STREAM && t !== SOCK_DGRAM) fail('ESOCKTNOSUPPORT', `socket type ${t} is not supported`);
      fail('EPROTONOSUPPORT', `protocol ${protocol} is not supported for socket type ${t}`);
    }
    const sk = f!.create(this.host, family === AF_INET ? 4 : 6, this.proc);
    if (nonblock) sk.optionsForWrite().nonblock = true;
    const err = this.host.hooks.sockCreate?.(sk) ?? 0;
    if (err) {
      sk.close();
      fail(errnoOf(err), 'a cgroup sock_create program refused the socket');
    }
    // inet_release(): the SOCK_RELEASE hook runs when the last reference goes.
    if (this.host.hooks.sockRelease) sk.onRelease(() => this.host.hooks.sockRelease?.(sk));
    return this.proc.fds.install(sk.get());
  }

  /** bind(2): inet_bind_sk(): the BIND hook first (it may rewrite the address), then __inet_bind. */
  bind(fd: number, addr: SockAddrIn): void {
    return this.sys(NR.bind, () => [fd, userSockaddr(this.host.kernel, this.proc, addr), addr.family === 6 ? 28 : 16], () => this.bindImpl(fd, addr), () => 0);
  }

  /** bind() without the syscall tracepoints (for calls made inside another call). */
  private bindImpl(fd: number, addr: SockAddrIn): void {
    const sk = this.sock(fd);
    const hookAddr = { addr: toSockAddr(addr.family === 0 ? { ...addr, family: sk.family } : addr) };
    let flags = 0;
    if (this.host.hooks.bind && addr.family !== 0) {
      const r = this.host.hooks.bind(sk, hookAddr);
      if (r.err) fail(errnoOf(r.err), 'a cgroup bind program refused the bind');
      if (r.bindServiceOverride) flags |= BIND_NO_CAP_NET_BIND_SERVICE;
    }
    const userFamily = addr.family === 0 ? AF_UNSPEC : addr.family === 4 ? AF_INET : AF_INET6;
    inetBind(this.host, sk, hookAddr.addr, userFamily, flags);
  }

  /** connect(2) on a datagram socket (inet_dgram_connect: pre_connect with the CONNECT hook,
   * autobind, then ip4_datagram_connect); stream sockets go through their protocol. */
  connect(fd: number, addr: SockAddrIn): void {
    if (!this.connectStart(fd, addr)) fail('EINPROGRESS', 'the handshake is under way (await connectAsync)');
  }

  /**
   * connect() without the EINPROGRESS exception: true when the socket is connected now
   * (datagram sockets), false when a stream handshake is under way. Errors still throw.
   */
  connectStart(fd: number, addr: SockAddrIn): boolean {
    return this.sys(NR.connect, () => [fd, userSockaddr(this.host.kernel, this.proc, addr), addr.family === 6 ? 28 : 16], () => this.connectStartImpl(fd, addr), (v) => (v ? 0 : -115));
  }

  /** connectStart() without the syscall tracepoints (for calls made inside another call). */
  private connectStartImpl(fd: number, addr: SockAddrIn): boolean {
    const sk = this.sock(fd);
    if (addr.family === 0) {
      if (sk.type === SOCK_DGRAM) (sk as Sock & { disconnect?(): void }).disconnect?.();
      return true;
    }
    if (sk.family === 4 && addr.family !== 4) fail('EAFNOSUPPORT', 'an IPv4 socket connects to an AF_INET address');
    if (sk.family === 6 && addr.family === 4 && ipv6Only(sk)) fail('EAFNOSUPPORT', 'an IPv6-only socket cannot connect to an IPv4 address');
    if (sk.type === SOCK_STREAM) {
      // __inet_stream_connect(): the states that never reach the hook.
      if (sk.state === TCP_STATE.TCP_SYN_SENT) fail('EALREADY', 'a connect is in progress');
      if (sk.state !== TCP_STATE.TCP_CLOSE) fail(sk.state === TCP_STATE.TCP_LISTEN ? 'EINVAL' : 'EISCONN', 'the socket is connected or listening');
    }
    const hookAddr = { addr: toSockAddr(addr) };
    const err = this.host.hooks.connect?.(sk, hookAddr) ?? 0;
    if (err) fail(errnoOf(err), 'a cgroup connect program refused the connect');
    sk.connect(hookAddr.addr);
    // A stream connect completes later (the handshake): EINPROGRESS, as for O_NONBLOCK.
    return !(sk.type === SOCK_STREAM && sk.state !== TCP_STATE.TCP_ESTABLISHED);
  }

  /** connect() that resolves when the connection is established (rejects with its error).
   * With a timeout (SO_SNDTIMEO), a handshake still under way when it runs out rejects with
   * EINPROGRESS, as inet_wait_for_connect() returning 0 leaves __inet_stream_connect() —
   * the handshake goes on. */
  connectAsync(fd: number, addr: SockAddrIn, options?: WaitOptions): Promise<void> {
    const sk = this.sock(fd);
    try {
      if (this.connectStart(fd, addr)) return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      waitOn(
        sk,
        () => {
          if (sk.state === TCP_STATE.TCP_SYN_SENT) return false;
          const e = sk.takeError();
          if (e) reject(new SysError(e, 'connect failed'));
          else if (sk.state === TCP_STATE.TCP_CLOSE) reject(new SysError('ECONNREFUSED', 'connect failed'));
          else resolve();
          return true;
        },
        options,
        () => reject(new SysError('EINPROGRESS', 'the handshake did not complete within the timeout (it goes on)')),
      );
    });
  }

  /** listen(2) */
  listen(fd: number, backlog = 128): void {
    return this.sys(NR.listen, () => [fd, backlog], () => this.listenImpl(fd, backlog), () => 0);
  }

  /** listen() without the syscall tracepoints (for calls made inside another call). */
  private listenImpl(fd: number, backlog = 128): void {
    const sk = this.sock(fd);
    if (sk.type !== SOCK_STREAM) fail('EOPNOTSUPP', 'listen() is for stream sockets');
    if (!sk.localPort) {
      // inet_listen() autobinds an unbound socket to an ephemeral port.
      this.host.portTable('tcp').bind(sk, 0);
    }
    sk.listen(backlog);
  }

  /** accept(2): a new fd, or EAGAIN when no connection is waiting. */
  accept(fd: number): number {
    return this.sys(NR.accept, () => [fd, 0, 0], () => this.acceptImpl(fd), (v) => v);
  }

  /** accept() without the syscall tracepoints (for calls made inside another call). */
  private acceptImpl(fd: number): number {
    const sk = this.sock(fd);
    if (sk.type !== SOCK_STREAM) fail('EOPNOTSUPP', 'accept() is for stream sockets');
    const c = sk.accept();
    if (!c) return fail('EAGAIN', 'no connection is waiting');
    if (this.host.hooks.sockRelease) c.onRelease(() => this.host.hooks.sockRelease?.(c));
    return this.proc.fds.install(c.get());
  }

  /**
   * accept(2) with an address buffer: the new fd and the peer's address. As in
   * __sys_accept4_file(), the address comes from getname(peer = 2), so the GETPEERNAME hook
   * rewrites it (accept() without a buffer runs no hook).
   */
  acceptFrom(fd: number): { fd: number; from: SockAddr } {
    return this.sys(NR.accept4, () => [fd, 0, 0, 0], () => {
      const nfd = this.acceptImpl(fd);
      return { fd: nfd, from: this.getpeernameImpl(nfd) };
    }, (v) => v.fd);
  }

  /** acceptFrom() that waits for a connection (with a timeout: EAGAIN when none came). */
  acceptFromAsync(fd: number, options?: WaitOptions): Promise<{ fd: number; from: SockAddr }> {
    const sk = this.sock(fd);
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        try {
          const nfd = this.acceptImpl(fd);
          resolve({ fd: nfd, from: this.getpeernameImpl(nfd) });
          return true;
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return false;
          reject(e);
          return true;
        }
      };
      waitOn(sk, attempt, options, () => reject(new SysError('EAGAIN', 'no connection arrived within the timeout')));
    });
  }

  /** accept() that resolves with the new fd when a connection arrives; with a timeout
   * (SO_RCVTIMEO on the listener, inet_csk_wait_for_connect()), EAGAIN when none came. */
  acceptAsync(fd: number, options?: WaitOptions): Promise<number> {
    const sk = this.sock(fd);
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        try {
          resolve(this.acceptImpl(fd));
          return true;
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return false;
          reject(e);
          return true;
        }
      };
      waitOn(sk, attempt, options, () => reject(new SysError('EAGAIN', 'no connection arrived within the timeout')));
    });
  }

  /** send(2) on a connected socket. */
  send(fd: number, data: Uint8Array): number {
    return this.sendto(fd, data);
  }

  /** send(2) on a blocking socket: every byte is taken, the call waiting while the send
   * buffer is full (sk_stream_wait_memory); resolves with the length, or rejects with the
   * error that ends it (EPIPE, ECONNRESET …) — the bytes taken before it stay sent. */
  sendAsync(fd: number, data: Uint8Array, options?: WaitOptions): Promise<number> {
    const sk = this.sock(fd);
    let off = 0;
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        try {
          while (off < data.length) off += this.send(fd, data.subarray(off));
          resolve(data.length);
          return true;
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return false;
          reject(e);
          return true;
        }
      };
      // SO_SNDTIMEO running out: what was taken so far, or EAGAIN when nothing was
      // (tcp_sendmsg_locked: copied ?: sk_stream_error(-EAGAIN)).
      waitOn(sk, attempt, options, () => (off > 0 ? resolve(off) : reject(new SysError('EAGAIN', 'the send buffer stayed full for the whole timeout'))));
    });
  }

  /**
   * sendfile(2) to a socket: `data` is what the file holds from the offset on. TCP sockets
   * take it through their sendfile path (which SK_MSG programs see per the kernel profile);
   * UDP sends it as one datagram to the connected peer, as splice into udp_sendmsg does.
   */
  sendfile(outFd: number, data: Uint8Array): number {
    const sk = this.sock(outFd);
    const tcp = sk as Sock & { sendfile?(d: Uint8Array): number };
    if (tcp.sendfile) return this.sys(NR.sendfile, () => [outFd, 0, 0, data.length], () => tcp.sendfile!(data), (v) => v);
    return this.sys(NR.sendfile, () => [outFd, 0, 0, data.length], () => this.sendtoImpl(outFd, data), (v) => v);
  }

  /** shutdown(2): SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2. */
  shutdown(fd: number, how: number): void {
    return this.sys(NR.shutdown, () => [fd, how], () => this.shutdownImpl(fd, how), () => 0);
  }

  /** shutdown() without the syscall tracepoints (for calls made inside another call). */
  private shutdownImpl(fd: number, how: number): void {
    if (how < 0 || how > 2) fail('EINVAL', `how ${how} is not SHUT_RD, SHUT_WR or SHUT_RDWR`);
    this.sock(fd).shutdown(how);
  }

  /** sendto(2) / send(2): for UDP, the SENDMSG hook runs when a destination is given. */
  sendto(fd: number, data: Uint8Array, to?: SockAddrIn, flags = 0): number {
    return this.sys(NR.sendto, () => [fd, 0, data.length, flags, to ? userSockaddr(this.host.kernel, this.proc, to) : 0, to ? (to.family === 6 ? 28 : 16) : 0], () => this.sendtoImpl(fd, data, to, flags), (v) => v);
  }

  /** sendto() without the syscall tracepoints (for calls made inside another call). */
  private sendtoImpl(fd: number, data: Uint8Array, to?: SockAddrIn, flags = 0): number {
    const sk = this.sock(fd);
    if (sk.type === SOCK_DGRAM) {
      const pending = sk.takeError();
      if (pending) fail(pending, 'an earlier error is pending on the socket');
    }
    let dest: SockAddr | undefined;
    let src: IpAddr | undefined;
    if (to) {
      if (sk.family === 4 && to.family !== 4 && to.family !== 0) fail('EAFNOSUPPORT', 'an IPv4 socket sends to AF_INET addresses');
      dest = toSockAddr(to);
      if (sk.type === SOCK_DGRAM) {
        if (dest.port === 0) fail('EINVAL', 'the destination port is 0');
        const hookAddr = { addr: dest };
        const srcBox: { addr?: IpAddr } = isAny(sk.srcAddr) ? {} : { addr: sk.srcAddr };
        const err = this.host.hooks.sendmsg?.(sk, hookAddr, srcBox) ?? 0;
        if (err) fail(errnoOf(err), 'a cgroup sendmsg program refused the datagram');
        if (hookAddr.addr.port === 0) fail('EINVAL', 'a sendmsg program set the destination port to 0');
        dest = hookAddr.addr;
        src = srcBox.addr && !isAny(srcBox.addr) ? srcBox.addr : undefined;
      }
    }
    return (sk as Sock & { sendmsg(d: Uint8Array, to: SockAddr | undefined, f: number, s?: IpAddr): number }).sendmsg(data, dest, flags, src);
  }

  /** recvfrom(2): EAGAIN when nothing is queued; the RECVMSG hook may rewrite the source. */
  recvfrom(fd: number, maxBytes = 65536, flags = 0): { data: Uint8Array; from?: SockAddr } {
    return this.sys(NR.recvfrom, () => [fd, 0, maxBytes, flags, 0, 0], () => this.recvfromImpl(fd, maxBytes, flags), (v) => v.data.length);
  }

  /** recvfrom() without the syscall tracepoints (for calls made inside another call). */
  private recvfromImpl(fd: number, maxBytes = 65536, flags = 0): { data: Uint8Array; from?: SockAddr } {
    const sk = this.sock(fd);
    if (sk.type === SOCK_DGRAM) {
      const pending = sk.takeError();
      if (pending) fail(pending, 'an earlier error is pending on the socket');
    }
    const r = sk.recvmsg(maxBytes, flags);
    if (!r) return fail('EAGAIN', 'no data is waiting');
    if (r.from && sk.type === SOCK_DGRAM && this.host.hooks.recvmsg) {
      const hookAddr = { addr: r.from };
      this.host.hooks.recvmsg(sk, hookAddr);
      return { data: r.data, from: hookAddr.addr };
    }
    return r;
  }

  /** sendmsg(2): sendto() with flags (one buffer; ancillary data is not modelled). */
  sendmsg(fd: number, data: Uint8Array, to?: SockAddrIn, flags = 0): number {
    return this.sys(NR.sendmsg, () => [fd, 0, flags], () => this.sendtoImpl(fd, data, to, flags), (v) => v);
  }

  /** recvmsg(2): recvfrom() (one buffer; ancillary data is not modelled). */
  recvmsg(fd: number, maxBytes = 65536, flags = 0): { data: Uint8Array; from?: SockAddr } {
    return this.sys(NR.recvmsg, () => [fd, 0, flags], () => this.recvfromImpl(fd, maxBytes, flags), (v) => v.data.length);
  }

  /** recvfrom that waits: resolves when data or a datagram arrives (or rejects with the
   * pending error); with a timeout (SO_RCVTIMEO: sock_rcvtimeo()), EAGAIN when none came. */
  recvAsync(fd: number, maxBytes = 65536, options?: WaitOptions): Promise<{ data: Uint8Array; from?: SockAddr }> {
    const sk = this.sock(fd);
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        try {
          resolve(this.recvfromImpl(fd, maxBytes));
          return true;
        } catch (e) {
          if (e instanceof SysError && e.code === 'EAGAIN') return false;
          reject(e);
          return true;
        }
      };
      waitOn(sk, attempt, options, () => reject(new SysError('EAGAIN', 'nothing arrived within the timeout')));
    });
  }

  /** getsockname(2): inet_getname() then the GETSOCKNAME hook. */
  getsockname(fd: number): SockAddr {
    return this.sys(NR.getsockname, () => [fd, 0, 0], () => this.getsocknameImpl(fd), () => 0);
  }

  /** getsockname() without the syscall tracepoints (for calls made inside another call). */
  private getsocknameImpl(fd: number): SockAddr {
    const sk = this.sock(fd);
    const addr = { addr: { family: sk.family, addr: isAny(sk.boundAddr) && !isAny(sk.srcAddr) && sk.peer ? sk.srcAddr : sk.boundAddr, port: sk.localPort } };
    this.host.hooks.getname?.(sk, addr, false);
    return addr.addr;
  }

  /** getpeername(2): ENOTCONN before the GETPEERNAME hook when there is no peer. */
  getpeername(fd: number): SockAddr {
    return this.sys(NR.getpeername, () => [fd, 0, 0], () => this.getpeernameImpl(fd), () => 0);
  }

  /** getpeername() without the syscall tracepoints (for calls made inside another call). */
  private getpeernameImpl(fd: number): SockAddr {
    const sk = this.sock(fd);
    if (!sk.peer) fail('ENOTCONN', 'the socket is not connected');
    const addr = { addr: { ...sk.peer! } };
    this.host.hooks.getname?.(sk, addr, true);
    return addr.addr;
  }

  /**
   * setsockopt(2) for the options the stack models: integer values, TCP_CONGESTION's name,
   * and SO_LINGER's struct linger as `{ onoff, linger }` (l_onoff, l_linger in seconds).
   */
  setsockopt(fd: number, level: number, name: number, value: number | string | Linger): void {
    const sk = this.sock(fd);
    if (typeof value === 'object') {
      if (level !== SOL_SOCKET || name !== SO.SO_LINGER) return fail('EINVAL', `option ${level}/${name} does not take a struct linger`);
      return setLinger(sk, value);
    }
    if (level === SOL_SOCKET && name === SO.SO_LINGER) return fail('EINVAL', 'SO_LINGER takes a struct linger: { onoff, linger }');
    if (typeof value === 'string') {
      // The one string option the stack models: TCP_CONGESTION.
      const tcp = sk as Sock & { setCongestion?(n: string): void };
      if (level === SOL_TCP && name === TCP_CONGESTION && tcp.setCongestion) return tcp.setCongestion(value);
      return fail('EINVAL', `option ${level}/${name} does not take a string`);
    }
    sockSetsockopt(sk, level, name, value);
  }

  /** getsockopt(2) for the options the stack models (SO_LINGER: see getLinger()). */
  getsockopt(fd: number, level: number, name: number): number | bigint {
    return sockGetsockopt(this.sock(fd), level, name);
  }

  /** getsockopt(SO_LINGER): the struct linger. */
  getLinger(fd: number): Linger {
    const l = this.sock(fd).options.linger;
    return { onoff: l?.onoff ? 1 : 0, linger: l?.seconds ?? 0 };
  }

  /** getsockopt(TCP_CONGESTION): the name of the socket's congestion control. */
  getCongestion(fd: number): string {
    const sk = this.sock(fd) as Sock & { cc?: { name: string } };
    if (!sk.cc) return fail('EOPNOTSUPP', 'TCP_CONGESTION is for TCP sockets');
    return sk.cc.name;
  }

  /** getsockopt(TCP_INFO): struct tcp_info of a TCP socket, with the kernel's field names
   * (without the tcpi_ prefix) and units (µs, bytes, segments); see TcpInfo. */
  tcpInfo(fd: number): TcpInfo {
    const sk = this.sock(fd) as Sock & { tcpInfo?(): TcpInfo };
    if (!sk.tcpInfo) return fail('EOPNOTSUPP', 'TCP_INFO is for TCP sockets');
    return sk.tcpInfo();
  }

  /** close(2): the fd goes; the socket is released (SOCK_RELEASE hook) with its last reference. */
  close(fd: number): void {
    return this.sys(NR.close, () => [fd], () => this.closeImpl(fd), () => 0);
  }

  /** close() without the syscall tracepoints (for calls made inside another call). */
  private closeImpl(fd: number): void {
    this.sock(fd);
    this.proc.fds.close(fd);
  }
}

/** struct linger (SO_LINGER): l_onoff, and l_linger in seconds. */
export interface Linger {
  onoff: number | boolean;
  linger: number;
}

/** sk_setsockopt(SO_LINGER): l_linger is unsigned to the kernel (a negative one lingers
 * "forever", MAX_SCHEDULE_TIMEOUT), and close() with l_onoff and l_linger 0 resets. */
function setLinger(sk: Sock, l: Linger): void {
  if (typeof l.linger !== 'number' || !Number.isInteger(l.linger)) fail('EINVAL', 'struct linger: l_linger must be an integer number of seconds');
  const o = sk.optionsForWrite();
  o.linger = { onoff: !!l.onoff, seconds: l.linger < 0 ? 0x7fffffff : Math.min(l.linger, 0x7fffffff) };
}

/**
 * sk_setsockopt() / do_ip_setsockopt() / do_ipv6_setsockopt() for the integer options the
 * stack models. `fromBpf`: called by bpf_setsockopt(), where sockopt_ns_capable() passes
 * (has_current_bpf_ctx), so no capability is checked.
 */
export function sockSetsockopt(sk: Sock, level: number, name: number, value: number, fromBpf = false): void {
  const o = sk.optionsForWrite();
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.SO_REUSEADDR:
        o.reuseaddr = value !== 0;
        return;
      case SO.SO_REUSEPORT:
        o.reuseport = value !== 0;
        return;
      case SO.SO_KEEPALIVE:
        o.keepalive = value !== 0;
        sk.keepaliveChanged?.();
        return;
      case SO.SO_RCVBUF:
        // __sock_set_rcvbuf(): min(val, net.core.rmem_max), doubled (the kernel's own
        // overhead), at least SOCK_MIN_RCVBUF; the buffer is locked (no autotuning).
        sk.setBuffer('rcv', Math.max(SOCK_MIN_RCVBUF, Math.min(value, sk.host.tcp?.sysctl.rmemMax ?? RMEM_MAX) * 2));
        return;
      case SO.SO_SNDBUF:
        sk.setBuffer('snd', Math.max(SOCK_MIN_SNDBUF, Math.min(value, sk.host.tcp?.sysctl.wmemMax ?? WMEM_MAX) * 2));
        return;
      case SO.SO_MARK:
        // sk_setsockopt(): CAP_NET_RAW or CAP_NET_ADMIN in the socket's namespace.
        if (!fromBpf && !sk.owner.capable('CAP_NET_ADMIN')) fail('EPERM', 'SO_MARK needs CAP_NET_ADMIN');
        o.mark = value >>> 0;
        return;
      case SO.SO_PRIORITY:
        // sk_setsockopt(): priorities above 6 (TC_PRIO_INTERACTIVE) need CAP_NET_ADMIN.
        if ((value < 0 || value > 6) && !fromBpf && !sk.owner.capable('CAP_NET_ADMIN')) fail('EPERM', 'SO_PRIORITY above 6 needs CAP_NET_ADMIN');
        o.priority = value >>> 0;
        return;
      default:
        return fail('ENOPROTOOPT', `SOL_SOCKET option ${name} is not modelled`);
    }
  }
  if (level === SOL_IP) {
    if (name === IP.IP_FREEBIND) o.freebind = value !== 0;
    else if (name === IP.IP_BIND_ADDRESS_NO_PORT) o.bindAddressNoPort = value !== 0;
    else if (name === IP.IP_TTL) o.ttl = value;
    else if (name === IP.IP_TOS) o.tos = value & 0xff;
    else fail('ENOPROTOOPT', `SOL_IP option ${name} is not modelled`);
    return;
  }
  if (level === SOL_IPV6) {
    if (sk.family !== 6) fail('ENOPROTOOPT', 'IPv6 options are for IPv6 sockets');
    if (name === IPV6.IPV6_V6ONLY) {
      if (sk.localPort) fail('EINVAL', 'IPV6_V6ONLY cannot change on a bound socket');
      o.v6only = value !== 0;
    } else if (name === IPV6.IPV6_FREEBIND) o.freebind = value !== 0;
    else if (name === IPV6.IPV6_UNICAST_HOPS) o.ttl = value;
    else fail('ENOPROTOOPT', `SOL_IPV6 option ${name} is not modelled`);
    return;
  }
  if (!sk.setProtoOption?.(level, name, value)) fail('ENOPROTOOPT', `option ${level}/${name} is not modelled`);
}

/** sk_getsockopt() / do_ip_getsockopt() / do_ipv6_getsockopt() for the options the stack models. */
export function sockGetsockopt(sk: Sock, level: number, name: number): number | bigint {
  const o = sk.options;
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO.SO_REUSEADDR:
        return o.reuseaddr ? 1 : 0;
      case SO.SO_REUSEPORT:
        return o.reuseport ? 1 : 0;
      case SO.SO_TYPE:
        return sk.type;
      case SO.SO_ERROR: {
        const e = sk.takeError();
        return e ? ERRNO[e] : 0;
      }
      case SO.SO_RCVBUF:
        return sk.rcvbuf;
      case SO.SO_SNDBUF:
        return sk.sndbuf;
      case SO.SO_KEEPALIVE:
        return o.keepalive ? 1 : 0;
      case SO.SO_MARK:
        return o.mark;
      case SO.SO_PRIORITY:
        return o.priority;
      case SO.SO_COOKIE:
        return sk.cookie();
      default:
        return fail('ENOPROTOOPT', `SOL_SOCKET option ${name} is not modelled`);
    }
  }
  if (level === SOL_IP) {
    if (name === IP.IP_FREEBIND) return o.freebind ? 1 : 0;
    if (name === IP.IP_BIND_ADDRESS_NO_PORT) return o.bindAddressNoPort ? 1 : 0;
    if (name === IP.IP_TTL) return o.ttl < 0 ? 64 : o.ttl;
    if (name === IP.IP_TOS) return o.tos;
  }
  if (level === SOL_IPV6 && name === IPV6.IPV6_V6ONLY) return ipv6Only(sk) && o.v6only ? 1 : 0;
  const v = sk.getProtoOption?.(level, name);
  if (v === undefined) return fail('ENOPROTOOPT', `option ${level}/${name} is not modelled`);
  return v;
}
