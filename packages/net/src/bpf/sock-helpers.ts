// Helpers that act on sockets, for programs the stack's hooks run (net/core/filter.c): each
// finds the socket in the run context the hook made (run-ctx.ts: SockRunCtx), and is
// registered with the prototype the kernel declares for it (SOCK_HELPER_PROTOS, implement()).
import { ERRNO, SysError } from '@bpfsim/isa';
import type { BpfFuncProto } from '@bpfsim/kernel';
import { SOCK_HELPER_PROTOS, implement } from '@bpfsim/kernel';
import type { Helper, Region } from '@bpfsim/vm';
import { BIND_FORCE_ADDRESS_NO_PORT, BIND_FROM_BPF, inetBind, sockGetsockopt, sockSetsockopt } from '../sock/api';
import type { IpAddr } from '../wire/addr';
import { addrFromBytes } from '../wire/addr';
import { TCP_STATE } from '../sock/state';
import { BPF_SOCK_SIZE, fillBpfSock } from './bpf-sock';
import type { Host } from '../iface/host';
import type { Sock, SockAddr } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';
import { runSock } from './run-ctx';
import { sockOpsCbFlagsSet } from './sock-ops';

const hostOf = (sk: Sock | undefined): Host | undefined => sk?.host;

/** bpf_get_socket_cookie(ctx): the cookie of the hook's socket (sock_gen_cookie). */
export const getSocketCookie: Helper = (run) => {
  const sk = runSock(run);
  run.retU64(sk ? sk.cookie() : 0n);
};

/** bpf_get_netns_cookie(ctx): the cookie of the socket's network namespace, or of the
 * current task's when ctx is NULL; bpfsim has one namespace per host. */
export const getNetnsCookie: Helper = (run) => {
  const host = hostOf(runSock(run));
  run.retU64(host ? host.netnsCookie : 0n);
};

/**
 * bpf_bind(ctx, addr, addr_len) from a connect program: binds the connecting socket's local
 * address (and, on Linux >= 5.8, port) before the connect goes on — __inet_bind() with
 * BIND_FROM_BPF, and BIND_FORCE_ADDRESS_NO_PORT for port 0 (the port is chosen by connect).
 * Returns 0 or a negative errno for the program; the connect fails only if it returns 0.
 */
export const bpfBind: Helper = (run) => {
  const sk = runSock(run);
  const host = hostOf(sk);
  const len = run.argLo(3) >>> 0;
  const m = run.argMem(2, len);
  const b = m.region.bytes.subarray(m.offset, m.offset + len);
  if (!sk || !host) return run.retInt(-ERRNO.EINVAL);
  if (len < 2) return run.retInt(-ERRNO.EINVAL);
  const family = b[0]! | (b[1]! << 8);
  let addr: SockAddr;
  if (family === AF_INET) {
    if (len < 16) return run.retInt(-ERRNO.EINVAL);
    addr = { family: 4, addr: addrFromBytes(b.subarray(4, 8)), port: (b[2]! << 8) | b[3]! };
  } else if (family === AF_INET6) {
    if (len < 24) return run.retInt(-ERRNO.EINVAL);
    addr = { family: 6, addr: addrFromBytes(b.subarray(8, 24)), port: (b[2]! << 8) | b[3]! };
  } else return run.retInt(-ERRNO.EAFNOSUPPORT);
  // KERNEL_PROFILES '4.17': the helper took the address only (sin_port must be 0).
  if (host.kernel.profile === '4.17' && addr.port !== 0) return run.retInt(-ERRNO.EINVAL);
  try {
    inetBind(host, sk, addr, family, BIND_FROM_BPF | (addr.port === 0 ? BIND_FORCE_ADDRESS_NO_PORT : 0));
    run.retInt(0);
  } catch (e) {
    if (e instanceof SysError) return run.retInt(-e.errno);
    throw e;
  }
};

// ---- bpf_setsockopt / bpf_getsockopt (net/core/filter.c) ------------------------------------

const SOL_SOCKET = 1;
const SOL_IP = 0;
const SOL_IPV6 = 41;
const SOL_TCP = 6;
const IPPROTO_TCP = 6;
/** sol_socket_sockopt(): the int options a program may set or get. */
const BPF_SOL_SOCKET_INT = new Set([2 /* SO_REUSEADDR */, 7 /* SO_SNDBUF */, 8 /* SO_RCVBUF */, 9 /* SO_KEEPALIVE */, 12 /* SO_PRIORITY */, 15 /* SO_REUSEPORT */, 18 /* SO_RCVLOWAT */, 36 /* SO_MARK */, 47 /* SO_MAX_PACING_RATE */, 62 /* SO_BINDTOIFINDEX */, 74 /* SO_TXREHASH */]);
const SO_BINDTODEVICE = 25;
/** sol_tcp_sockopt(): the int options (TCP_CONGESTION, TCP_SAVED_SYN and TCP_BPF_* aside). */
const BPF_SOL_TCP_INT = new Set([1 /* NODELAY */, 2 /* MAXSEG */, 4 /* KEEPIDLE */, 5 /* KEEPINTVL */, 6 /* KEEPCNT */, 7 /* SYNCNT */, 10 /* WINDOW_CLAMP */, 16 /* THIN_LINEAR_TIMEOUTS */, 18 /* USER_TIMEOUT */, 25 /* NOTSENT_LOWAT */, 27 /* SAVE_SYN */]);

/**
 * The checks of __bpf_setsockopt()/__bpf_getsockopt() before the socket's own option code:
 * the level, the option list a program may use, the family or protocol the level needs, and
 * the length. 0 when the option may go on to sk_setsockopt()/do_*_setsockopt().
 */
function bpfSockoptCheck(sk: Sock, level: number, name: number, len: number, get: boolean): number {
  const intLen = len === 4 ? 0 : -ERRNO.EINVAL;
  if (level === SOL_SOCKET) {
    if (BPF_SOL_SOCKET_INT.has(name)) return intLen;
    if (name === SO_BINDTODEVICE) return get ? -ERRNO.EINVAL : 0;
    return -ERRNO.EINVAL;
  }
  if (level === SOL_IP) return sk.family !== 4 ? -ERRNO.EINVAL : name === 1 /* IP_TOS */ ? intLen : -ERRNO.EINVAL;
  if (level === SOL_IPV6) return sk.family !== 6 ? -ERRNO.EINVAL : name === 67 /* IPV6_TCLASS */ || name === 70 /* IPV6_AUTOFLOWLABEL */ ? intLen : -ERRNO.EINVAL;
  if (level === SOL_TCP) {
    if (sk.protocol !== IPPROTO_TCP) return -ERRNO.EINVAL;
    if (BPF_SOL_TCP_INT.has(name)) return intLen;
    return -ERRNO.EINVAL;
  }
  return -ERRNO.EINVAL;
}

/** The errno of the socket's option code as the helper returns it; bpfsim's "not modelled"
 * (an option Linux accepts that the stack has no state for) shows as -EOPNOTSUPP. */
function sockoptErrno(e: unknown): number {
  if (!(e instanceof SysError)) throw e;
  return e.code === 'ENOPROTOOPT' ? -ERRNO.EOPNOTSUPP : -e.errno;
}

/**
 * bpf_setsockopt(ctx, level, optname, optval, optlen): _bpf_setsockopt() on the hook's
 * socket — the option list of sol_socket_sockopt()/sol_ip_sockopt()/sol_ipv6_sockopt()/
 * sol_tcp_sockopt(), then the socket's own setsockopt code with no capability check
 * (sockopt_ns_capable() passes in a BPF context). Options Linux allows that bpfsim's stack
 * has no state for (SO_RCVLOWAT, SO_MAX_PACING_RATE, SO_BINDTODEVICE, IPV6_TCLASS, most
 * TCP_* timers, TCP_CONGESTION) return -EOPNOTSUPP.
 */
export const bpfSetsockopt: Helper = (run) => {
  const sk = runSock(run);
  const level = run.argLo(2) | 0;
  const name = run.argLo(3) | 0;
  const len = run.argLo(5) | 0;
  const m = run.argMem(4, len);
  if (!sk) return run.retInt(-ERRNO.EINVAL);
  const err = bpfSockoptCheck(sk, level, name, len, false);
  if (err) return run.retInt(err);
  if (len !== 4) return run.retInt(-ERRNO.EOPNOTSUPP);
  const value = new DataView(m.region.bytes.buffer, m.region.bytes.byteOffset + m.offset, 4).getInt32(0, true);
  try {
    sockSetsockopt(sk, level, name, value, true);
    run.retInt(0);
  } catch (e) {
    run.retInt(sockoptErrno(e));
  }
};

/**
 * bpf_getsockopt(ctx, level, optname, optval, optlen): _bpf_getsockopt(): the same option
 * list, the value written to optval; on an error optval is zeroed (as Linux does).
 */
export const bpfGetsockopt: Helper = (run) => {
  const sk = runSock(run);
  const level = run.argLo(2) | 0;
  const name = run.argLo(3) | 0;
  const len = run.argLo(5) | 0;
  const m = run.argMem(4, len, true);
  const out = m.region.bytes.subarray(m.offset, m.offset + len);
  let err = sk ? bpfSockoptCheck(sk, level, name, len, true) : -ERRNO.EINVAL;
  if (!err) {
    try {
      const v = sockGetsockopt(sk!, level, name);
      new DataView(out.buffer, out.byteOffset, 4).setInt32(0, Number(v) | 0, true);
    } catch (e) {
      err = sockoptErrno(e);
    }
  }
  if (err) out.fill(0);
  run.retInt(err);
};

// ---- bpf_sk_lookup_tcp / bpf_sk_lookup_udp / bpf_sk_release (net/core/filter.c) -------------

/** sizeof(struct bpf_sock_tuple.ipv4) and .ipv6 */
const TUPLE_V4 = 12;
const TUPLE_V6 = 36;

interface Protocols {
  tcp?: { lookup(local: IpAddr, lport: number, remote: IpAddr, rport: number): Sock | undefined };
  udp?: { lookup(src: IpAddr, sport: number, dst: IpAddr, dport: number): Sock | undefined };
}

/**
 * bpf_sk_lookup_tcp/udp(ctx, tuple, tuple_size, netns, flags): __bpf_sk_lookup() in the
 * socket's namespace with no device. The tuple's saddr/sport are the remote end, daddr/dport
 * the local one (ports in network order). NULL for a tuple size other than the ipv4 or ipv6
 * member, non-zero flags, a netns id other than "current" (negative as s32: bpfsim hosts have
 * no peer namespace ids), no match, or a socket that is not full (TIME_WAIT); a SYN_RECV
 * request gives its listener (sk_to_full_sk). The result is a struct bpf_sock view (the
 * verifier's PTR_TO_SOCKET) that bpf_sk_release() gives back.
 */
function skLookup(kind: 'tcp' | 'udp'): Helper {
  return (run) => {
    const sk = runSock(run);
    const host = hostOf(sk);
    const len = run.argLo(3) >>> 0;
    const m = run.argMem(2, len);
    const netns = run.argLo(4) | 0;
    if (!host || run.arg(5) !== 0n || netns >= 0 || (len !== TUPLE_V4 && len !== TUPLE_V6)) return run.retInt(0);
    const t = m.region.bytes.subarray(m.offset, m.offset + len);
    const a = len === TUPLE_V4 ? 4 : 16;
    const saddr = addrFromBytes(t.slice(0, a));
    const daddr = addrFromBytes(t.slice(a, 2 * a));
    const sport = (t[2 * a]! << 8) | t[2 * a + 1]!;
    const dport = (t[2 * a + 2]! << 8) | t[2 * a + 3]!;
    const protos = { tcp: host.protocols.get(6), udp: host.protocols.get(17) } as unknown as Protocols;
    let found = kind === 'tcp' ? protos.tcp?.lookup(daddr, dport, saddr, sport) : protos.udp?.lookup(saddr, sport, daddr, dport);
    if (found && kind === 'tcp') {
      if (found.state === TCP_STATE.TCP_TIME_WAIT) found = undefined;
      else if (found.state === TCP_STATE.TCP_SYN_RECV) found = (found as Sock & { parent?: Sock }).parent;
    }
    if (!found) return run.retInt(0);
    const region = host.kernel.memory.alloc(BPF_SOCK_SIZE, { kind: 'ctx', name: 'bpf_sock' });
    fillBpfSock(region.bytes, found, region.view);
    host.skLookups.add(region);
    run.retPtr(region);
  };
}

export const skLookupTcp: Helper = skLookup('tcp');
export const skLookupUdp: Helper = skLookup('udp');

/** bpf_sk_release(sk): gives back a socket a lookup returned (the verifier made sure of it). */
export const skRelease: Helper = (run) => {
  const r = run.argPtr(1, 1);
  const host = hostOf(runSock(run));
  if (r && host?.skLookups.delete(r.region)) host.kernel.memory.unmap(r.region);
  run.retInt(0);
};

const P = SOCK_HELPER_PROTOS;
/** The socket layer's helpers, each with the prototype the kernel declares for it. */
export const SOCK_HELPERS: readonly BpfFuncProto[] = [
  implement(P.get_socket_cookie, getSocketCookie),
  implement(P.get_netns_cookie, getNetnsCookie),
  implement(P.bind, bpfBind),
  implement(P.setsockopt, bpfSetsockopt),
  implement(P.getsockopt, bpfGetsockopt),
  implement(P.sk_lookup_tcp, skLookupTcp),
  implement(P.sk_lookup_udp, skLookupUdp),
  implement(P.sk_release, skRelease),
  implement(P.sock_ops_cb_flags_set, sockOpsCbFlagsSet),
];
