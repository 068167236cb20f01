// cgroup socket hooks on real sockets: each case attaches programs to a parent cgroup "p"
// and its child "p/c", then one process inside p/c makes socket calls on loopback. The live
// kernel answers through scripts/kernel/probe_hooks.py (hooks.kernel.test.ts records
// golden/hooks.json); hooks-golden.test.ts replays every case in bpfsim (hooks-replay.ts).
//
// Ports: case i owns [base, base + 16) with base = 28500 + 16 * i, below ip_local_port_range
// so that no ephemeral port lands in a case's range. Programs carry the absolute ports;
// results give ports as offsets from base ("ephemeral" for ports the stack picked).
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, assemble, encode } from '@bpfsim/isa';

export type Fam = 4 | 6;
export interface HookMap {
  name: string;
  type: 'hash' | 'array';
  keySize: number;
  valueSize: number;
  maxEntries: number;
}
export interface HookProg {
  /** Where it is attached: the parent "p" or the child "p/c" (the process lives in p/c). */
  cg: 'p' | 'c';
  type: 'cgroup_sock' | 'cgroup_sock_addr' | 'sock_ops';
  /** bpfsim's attach type name, e.g. 'cgroup_inet4_connect' (also the expected_attach_type). */
  attach: string;
  /** BPF_F_ALLOW_OVERRIDE (1), BPF_F_ALLOW_MULTI (2) or 0. */
  flags: number;
  /** Assembly, after the `.map` lines of the case's maps. */
  body: string;
  /** For the probe: numbers and encoded bytecode (maps by index into the case's maps). */
  progType: number;
  attachType: number;
  insns: string;
}
export type HookStep =
  | { op: 'socket'; name: string; family: Fam; type: 'tcp' | 'udp' }
  | { op: 'opt'; sock: string; opt: 'reuseaddr' | 'v6only' | 'mark'; value: number }
  | { op: 'getopt'; sock: string; opt: 'mark' | 'priority' }
  | { op: 'bind' | 'connect' | 'sendto'; sock: string; family: Fam; addr: string; port: number; data?: string }
  | { op: 'send'; sock: string; data: string }
  | { op: 'listen'; sock: string }
  /** accept(): the new socket is named `as`; the result is the peer address accept() gives. */
  | { op: 'accept'; sock: string; as: string }
  | { op: 'name' | 'peer'; sock: string }
  /** recvfrom() within 100 ms: {addr, port, data} or EAGAIN. */
  | { op: 'recv'; sock: string }
  | { op: 'close'; sock: string };
export interface HookCase {
  id: string;
  /** What the case shows, in one line. */
  lesson: string;
  /** The process's uid: 0 (all capabilities) or 65534 (none). */
  uid: 0 | 65534;
  base: number;
  maps: HookMap[];
  progs: HookProg[];
  steps: HookStep[];
}
export type Port = number | 'ephemeral';
export type StepOut = string | number | { addr: string; port: Port; data?: string };
export interface HookResult {
  /** Per program: "ok" or the attach errno. */
  attach: string[];
  steps: StepOut[];
  /** Each map's entries after the run, [key hex, value hex], sorted by key. */
  maps: Record<string, [string, string][]>;
}
export interface HooksGolden {
  recordedBy: string;
  kernel: string;
  cases: HookCase[];
  results: HookResult[];
}

export const BASE = 28500;
export const IP_LOCAL_PORT_RANGE = [32768, 60999] as const;

/** A port as results report it. */
export function relPort(p: number, base: number): Port {
  if (p >= base && p < base + 16) return p - base;
  if (p >= IP_LOCAL_PORT_RANGE[0] && p <= IP_LOCAL_PORT_RANGE[1]) return 'ephemeral';
  return p;
}

// ---- ctx values as a program loads them (little-endian host) ----------------------------

/** An IPv4 address in network order, as `*(u32 *)(ctx + user_ip4)` reads it. */
export function ip4(text: string): number {
  const b = text.split('.').map(Number);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}
/** A port in network order in the low 16 bits, as `*(u32 *)(ctx + user_port)` reads it. */
export const be16 = (p: number): number => ((p & 0xff) << 8) | (p >> 8);
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

// bpf_sock_addr and bpf_sock offsets (include/uapi/linux/bpf.h).
const USER_IP4 = 4;
const USER_IP6 = 8;
const USER_PORT = 24;
const SA_TYPE = 32;
const MSG_SRC_IP4 = 40;
const SK_MARK = 16;
const SK_PRIORITY = 20;
const SK_SRC_IP4 = 24;
const SK_SRC_PORT = 44;

// ---- program bodies -------------------------------------------------------------------------

const ret = (n: number): string => `r0 = ${n}\n  exit`;

/** Rewrites (user_ip4, user_port) when the port is `fromPort` (any port when undefined). */
function rewrite4(o: { fromPort?: number; ip?: string; port?: number; verdict?: number }): string {
  return `
  r2 = *(u32 *)(r1 + ${USER_PORT})
  ${o.fromPort === undefined ? '' : `if r2 != ${hex(be16(o.fromPort))} goto out`}
  ${o.ip === undefined ? '' : `r2 = ${hex(ip4(o.ip))}\n  *(u32 *)(r1 + ${USER_IP4}) = r2`}
  ${o.port === undefined ? '' : `r2 = ${hex(be16(o.port))}\n  *(u32 *)(r1 + ${USER_PORT}) = r2`}
out:
  ${ret(o.verdict ?? 1)}`;
}

/** Rewrites user_port (and user_ip6 to ::1 when asked) when the port is `fromPort`. */
function rewrite6(o: { fromPort?: number; port: number; toLoopback?: boolean }): string {
  return `
  r2 = *(u32 *)(r1 + ${USER_PORT})
  ${o.fromPort === undefined ? '' : `if r2 != ${hex(be16(o.fromPort))} goto out`}
  ${o.toLoopback ? `r2 = 0\n  *(u32 *)(r1 + ${USER_IP6}) = r2\n  *(u32 *)(r1 + ${USER_IP6 + 4}) = r2\n  *(u32 *)(r1 + ${USER_IP6 + 8}) = r2\n  r2 = 0x1000000\n  *(u32 *)(r1 + ${USER_IP6 + 12}) = r2` : ''}
  r2 = ${hex(be16(o.port))}
  *(u32 *)(r1 + ${USER_PORT}) = r2
out:
  ${ret(1)}`;
}

/** Refuses (0) when user_port is `port`, allows otherwise. */
const refusePort = (port: number, field = USER_PORT, value = be16(port)): string => `
  r2 = *(u32 *)(r1 + ${field})
  r0 = 0
  if r2 == ${hex(value)} goto out
  r0 = 1
out:
  exit`;

/** Stores r7 in res[slot] (an array of u64). */
const storeR7 = (slot: number): string => `
  r1 = ${slot}
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = res ll
  call bpf_map_lookup_elem
  if r0 == 0 goto +1
  *(u64 *)(r0 + 0) = r7`;

/** res[slot] += 1 */
const countIn = (slot: number): string => `
  r1 = ${slot}
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = res ll
  call bpf_map_lookup_elem
  if r0 == 0 goto +2
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1`;

const RES: HookMap = { name: 'res', type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 };
const SERVERS: HookMap = { name: 'servers', type: 'hash', keySize: 4, valueSize: 4, maxEntries: 16 };

/** bpf_bind(ctx, &sockaddr_in{ip, port}, addrlen) from a connect4 program; the return goes to res[0]. */
function bpfBind4(ip: string, port: number, addrlen = 16, family = 2): string {
  return `
  r6 = r1
  r2 = ${family}
  *(u16 *)(r10 - 16) = r2
  r2 = ${hex(be16(port))}
  *(u16 *)(r10 - 14) = r2
  r2 = ${hex(ip4(ip))}
  *(u32 *)(r10 - 12) = r2
  r2 = 0
  *(u64 *)(r10 - 8) = r2
  r1 = r6
  r2 = r10
  r2 += -16
  r3 = ${addrlen}
  call bpf_bind
  r7 = r0
  ${storeR7(0)}
  ${ret(1)}`;
}

/** bpf_bind(ctx, &sockaddr_in6{::1, port}, 28) from a connect6 program; the return goes to res[0]. */
function bpfBind6(port: number): string {
  return `
  r6 = r1
  r2 = 0
  *(u64 *)(r10 - 32) = r2
  *(u64 *)(r10 - 24) = r2
  *(u64 *)(r10 - 16) = r2
  *(u32 *)(r10 - 8) = r2
  r2 = 10
  *(u16 *)(r10 - 32) = r2
  r2 = ${hex(be16(port))}
  *(u16 *)(r10 - 30) = r2
  r2 = 0x1000000
  *(u32 *)(r10 - 12) = r2
  r1 = r6
  r2 = r10
  r2 += -32
  r3 = 28
  call bpf_bind
  r7 = r0
  ${storeR7(0)}
  ${ret(1)}`;
}

/** post_bind4: servers[src_port] = src_ip4 when src_port is `port` (the seed's second story). */
const recordServer = (port: number): string => `
  r2 = *(u32 *)(r1 + ${SK_SRC_PORT})
  if r2 != ${port} goto out
  *(u32 *)(r10 - 4) = r2
  r2 = *(u32 *)(r1 + ${SK_SRC_IP4})
  *(u32 *)(r10 - 8) = r2
  r1 = servers ll
  r2 = r10
  r2 += -4
  r3 = r10
  r3 += -8
  r4 = 0
  call bpf_map_update_elem
out:
  ${ret(1)}`;

/** connect4: 127.0.0.1:port becomes servers[port]:port when the map has the port. */
const connectToRecorded = `
  r6 = r1
  r2 = *(u32 *)(r6 + ${USER_IP4})
  if r2 != ${hex(ip4('127.0.0.1'))} goto out
  r2 = *(u32 *)(r6 + ${USER_PORT})
  r2 = be16 r2
  *(u32 *)(r10 - 4) = r2
  r1 = servers ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r2 = *(u32 *)(r0 + 0)
  *(u32 *)(r6 + ${USER_IP4}) = r2
out:
  ${ret(1)}`;

/** post_bind4: refuses ports outside [lo, hi] (the seed's third story). */
const portPolicy = (lo: number, hi: number): string => `
  r2 = *(u32 *)(r1 + ${SK_SRC_PORT})
  r0 = 0
  if r2 < ${lo} goto out
  if r2 > ${hi} goto out
  r0 = 1
out:
  exit`;

/** bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &7, 4) or bpf_getsockopt(ctx, SOL_SOCKET, SO_MARK, buf, 4), result and value to res[0], res[1]. */
const sockoptMark = (get: boolean): string => `
  r6 = r1
  r2 = 7
  *(u32 *)(r10 - 8) = r2
  r1 = r6
  r2 = 1
  r3 = 36
  r4 = r10
  r4 += -8
  r5 = 4
  call bpf_${get ? 'getsockopt' : 'setsockopt'}
  r7 = r0
  ${storeR7(0)}
  r7 = *(u32 *)(r10 - 8)
  ${storeR7(1)}
  ${ret(1)}`;

/**
 * bpf_sk_lookup_tcp/udp(ctx, &tuple{saddr, daddr, sport, dport}, len, BPF_F_CURRENT_NETNS,
 * flags) from a connect4 program: res[0..2] = the found socket's src_port, dst_port (4-byte
 * read) and state, then bpf_sk_release(); res[3] = 0xdead when nothing was found.
 */
function skLookupProg(o: { udp?: boolean; saddr: string; sport: number; daddr: string; dport: number; len?: number; flags?: number }): string {
  return `
  r6 = r1
  r2 = ${hex(ip4(o.saddr))}
  *(u32 *)(r10 - 16) = r2
  r2 = ${hex(ip4(o.daddr))}
  *(u32 *)(r10 - 12) = r2
  r2 = ${hex(be16(o.sport))}
  *(u16 *)(r10 - 8) = r2
  r2 = ${hex(be16(o.dport))}
  *(u16 *)(r10 - 6) = r2
  r2 = 0
  *(u32 *)(r10 - 4) = r2
  r1 = r6
  r2 = r10
  r2 += -16
  r3 = ${o.len ?? 12}
  r4 = -1
  r5 = ${o.flags ?? 0}
  call bpf_sk_lookup_${o.udp ? 'udp' : 'tcp'}
  if r0 == 0 goto miss
  r8 = r0
  r7 = *(u32 *)(r8 + 44)
  ${storeR7(0)}
  r7 = *(u32 *)(r8 + 48)
  ${storeR7(1)}
  r7 = *(u32 *)(r8 + 72)
  ${storeR7(2)}
  r1 = r8
  call bpf_sk_release
  ${ret(1)}
miss:
  r7 = 0xdead
  ${storeR7(3)}
  ${ret(1)}`;
}

// ---- the cases -------------------------------------------------------------------------------

type Build = (b: number) => { progs: ProgIn[]; steps: HookStep[]; maps?: HookMap[]; uid?: 0 | 65534 };
type ProgIn = Omit<HookProg, 'progType' | 'attachType' | 'insns' | 'flags'> & { flags?: number };

const sa = (cg: 'p' | 'c', attach: string, body: string, flags = 0): ProgIn => ({ cg, type: 'cgroup_sock_addr', attach: `cgroup_${attach}`, body, flags });
const sk = (cg: 'p' | 'c', attach: string, body: string, flags = 0): ProgIn => ({ cg, type: 'cgroup_sock', attach: `cgroup_${attach}`, body, flags });

const S = (name: string, family: Fam, type: 'tcp' | 'udp'): HookStep => ({ op: 'socket', name, family, type });
const bind = (sock: string, family: Fam, addr: string, port: number): HookStep => ({ op: 'bind', sock, family, addr, port });
const connect = (sock: string, family: Fam, addr: string, port: number): HookStep => ({ op: 'connect', sock, family, addr, port });
const sendto = (sock: string, family: Fam, addr: string, port: number, data = '7831'): HookStep => ({ op: 'sendto', sock, family, addr, port, data });
const reuse = (sock: string): HookStep => ({ op: 'opt', sock, opt: 'reuseaddr', value: 1 });
const listen = (sock: string): HookStep => ({ op: 'listen', sock });
const name = (sock: string): HookStep => ({ op: 'name', sock });
const peer = (sock: string): HookStep => ({ op: 'peer', sock });
const recv = (sock: string): HookStep => ({ op: 'recv', sock });
const accept = (sock: string, as: string): HookStep => ({ op: 'accept', sock, as });
const close = (sock: string): HookStep => ({ op: 'close', sock });
/** A TCP listener on addr:port (SO_REUSEADDR, as probes sharing the host should). */
const server = (n: string, family: Fam, addr: string, port: number): HookStep[] => [S(n, family, 'tcp'), reuse(n), bind(n, family, addr, port), listen(n)];
/** A UDP socket bound to addr:port. */
const udpServer = (n: string, family: Fam, addr: string, port: number): HookStep[] => [S(n, family, 'udp'), bind(n, family, addr, port)];

const L = '127.0.0.1';
const CASES: [string, string, Build][] = [
  // --- connect4 / connect6
  ['connect4-rewrite-tcp', 'connect4 sends a TCP connect for 127.0.0.9:B to 127.0.0.1:B+1; the app sees the real peer', (b) => ({
    progs: [sa('c', 'inet4_connect', rewrite4({ fromPort: b, ip: L, port: b + 1 }))],
    steps: [...server('l', 4, L, b + 1), S('s', 4, 'tcp'), connect('s', 4, '127.0.0.9', b), peer('s'), name('s'), accept('l', 'a'), name('a')],
  })],
  ['connect4-rewrite-udp', 'connect4 on a UDP connect: the rewritten destination is the socket\'s peer', (b) => ({
    progs: [sa('c', 'inet4_connect', rewrite4({ fromPort: b, ip: L, port: b + 1 }))],
    steps: [...udpServer('srv', 4, L, b + 1), S('s', 4, 'udp'), connect('s', 4, '127.0.0.9', b), peer('s'), { op: 'send', sock: 's', data: '6869' }, recv('srv')],
  })],
  ['connect4-refuse-tcp', 'connect4 returning 0: connect() fails with EPERM and the socket stays unbound', (b) => ({
    progs: [sa('c', 'inet4_connect', ret(0))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s'), peer('s'), accept('l', 'a')],
  })],
  ['connect4-refuse-udp', 'connect4 refusing a UDP connect: EPERM, no peer', (b) => ({
    progs: [sa('c', 'inet4_connect', ret(0))],
    steps: [S('s', 4, 'udp'), connect('s', 4, L, b), peer('s'), name('s')],
  })],
  ['connect4-refuse-one-port', 'connect4 refusing one destination port only', (b) => ({
    progs: [sa('c', 'inet4_connect', refusePort(b))],
    steps: [...server('l', 4, L, b), ...server('m', 4, L, b + 1), S('s', 4, 'tcp'), connect('s', 4, L, b), S('t', 4, 'tcp'), connect('t', 4, L, b + 1), peer('t')],
  })],
  ['connect4-refuse-udp-type', 'connect4 reading ctx->type: datagram sockets refused, streams allowed', (b) => ({
    progs: [sa('c', 'inet4_connect', refusePort(0, SA_TYPE, 2))],
    steps: [...server('l', 4, L, b), S('u', 4, 'udp'), connect('u', 4, L, b), S('t', 4, 'tcp'), connect('t', 4, L, b), peer('t')],
  })],
  ['connect4-no-listener', 'connect4 rewriting to a port nobody listens on: ECONNREFUSED from the stack, not the hook', (b) => ({
    progs: [sa('c', 'inet4_connect', rewrite4({ fromPort: b, port: b + 2 }))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), accept('l', 'a')],
  })],
  ['connect6-rewrite-tcp', 'connect6 rewriting the port of a TCP connect to [::1]', (b) => ({
    progs: [sa('c', 'inet6_connect', rewrite6({ fromPort: b, port: b + 1 }))],
    steps: [...server('l', 6, '::1', b + 1), S('s', 6, 'tcp'), connect('s', 6, '::1', b), peer('s'), accept('l', 'a')],
  })],
  ['connect6-refuse-udp', 'connect6 refusing a UDP connect: EPERM', (b) => ({
    progs: [sa('c', 'inet6_connect', ret(0))],
    steps: [S('s', 6, 'udp'), connect('s', 6, '::1', b), peer('s')],
  })],
  ['connect6-v4mapped', 'an IPv6 socket connecting to ::ffff:127.0.0.1 runs connect6, not connect4', (b) => ({
    progs: [sa('c', 'inet4_connect', ret(0)), sa('c', 'inet6_connect', rewrite6({ fromPort: b, port: b + 1 }))],
    steps: [...server('l', 4, L, b + 1), S('s', 6, 'tcp'), connect('s', 6, '::ffff:127.0.0.1', b), peer('s'), name('s')],
  })],
  ['connect6-refuse-v4mapped', 'connect6 refusing: a v4-mapped connect fails with EPERM too', (b) => ({
    progs: [sa('c', 'inet6_connect', ret(0))],
    steps: [...server('l', 4, L, b), S('s', 6, 'tcp'), connect('s', 6, '::ffff:127.0.0.1', b), S('t', 4, 'tcp'), connect('t', 4, L, b), peer('t')],
  })],
  ['connect6-to-loopback', 'connect6 rewriting the address itself (user_ip6 = ::1) as well as the port', (b) => ({
    progs: [sa('c', 'inet6_connect', rewrite6({ fromPort: b, port: b + 1, toLoopback: true }))],
    steps: [...server('l', 6, '::1', b + 1), S('s', 6, 'udp'), connect('s', 6, '::2', b), peer('s')],
  })],
  // --- bind4 / bind6
  ['bind4-rewrite', 'bind4 rewriting the address and port the socket gets', (b) => ({
    progs: [sa('c', 'inet4_bind', rewrite4({ fromPort: b, ip: '127.0.0.7', port: b + 2 }))],
    steps: [S('s', 4, 'tcp'), bind('s', 4, L, b), name('s')],
  })],
  ['bind4-rewrite-port0', 'bind4 sees port 0 and chooses a port', (b) => ({
    progs: [sa('c', 'inet4_bind', rewrite4({ fromPort: 0, port: b + 3 }))],
    steps: [S('s', 4, 'udp'), bind('s', 4, '0.0.0.0', 0), name('s')],
  })],
  ['bind4-refuse', 'bind4 refusing one port: EPERM, the socket stays unbound and can bind elsewhere', (b) => ({
    progs: [sa('c', 'inet4_bind', refusePort(b))],
    steps: [S('s', 4, 'tcp'), bind('s', 4, L, b), name('s'), bind('s', 4, L, b + 1), name('s')],
  })],
  ['bind4-return-2', 'bind4 returning 2 (bit 1 without bit 0): still a refusal', (b) => ({
    progs: [sa('c', 'inet4_bind', ret(2))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, b)],
  })],
  ['bind4-privileged-allowed', 'bind4 returning 3 lets a process without CAP_NET_BIND_SERVICE bind a port below 1024', () => ({
    uid: 65534,
    progs: [sa('c', 'inet4_bind', ret(3))],
    steps: [S('s', 4, 'udp'), bind('s', 4, '127.0.0.77', 999), name('s')],
  })],
  ['bind4-privileged-refused', 'bind4 returning 1: the privileged-port check applies (EACCES)', () => ({
    uid: 65534,
    progs: [sa('c', 'inet4_bind', ret(1))],
    steps: [S('s', 4, 'udp'), bind('s', 4, '127.0.0.77', 999), name('s')],
  })],
  ['bind4-rewrite-to-privileged', 'a rewrite to a port below 1024 is checked after the hook: EACCES', (b) => ({
    uid: 65534,
    progs: [sa('c', 'inet4_bind', rewrite4({ fromPort: b, port: 998 }))],
    steps: [S('s', 4, 'udp'), bind('s', 4, '127.0.0.77', b), name('s'), bind('s', 4, '127.0.0.77', b + 1), name('s')],
  })],
  ['bind4-rewrite-to-privileged-3', 'the same rewrite returning 3: the port below 1024 is bound without the capability', (b) => ({
    uid: 65534,
    progs: [sa('c', 'inet4_bind', rewrite4({ fromPort: b, port: 998, verdict: 3 }))],
    steps: [S('s', 4, 'udp'), bind('s', 4, '127.0.0.77', b), name('s')],
  })],
  ['bind6-rewrite', 'bind6 rewriting the port', (b) => ({
    progs: [sa('c', 'inet6_bind', rewrite6({ fromPort: b, port: b + 4 }))],
    steps: [S('s', 6, 'tcp'), bind('s', 6, '::1', b), name('s')],
  })],
  ['bind6-refuse-v4mapped', 'bind6 refusing: a v4-mapped bind of an IPv6 socket fails; an IPv4 socket is not affected', (b) => ({
    progs: [sa('c', 'inet6_bind', ret(0))],
    steps: [S('s', 6, 'udp'), bind('s', 6, '::ffff:127.0.0.1', b), S('t', 4, 'udp'), bind('t', 4, L, b), name('t')],
  })],
  // --- post_bind
  ['post-bind4-refuse', 'post_bind4 refusing: EPERM after the port was taken, and the port is free again', (b) => ({
    progs: [sk('c', 'inet4_post_bind', refusePort(b, SK_SRC_PORT, b))],
    steps: [S('s', 4, 'tcp'), bind('s', 4, L, b), name('s'), S('t', 4, 'tcp'), bind('t', 4, L, b + 1), name('t'), bind('s', 4, L, b + 1), bind('s', 4, L, b + 2), name('s')],
  })],
  ['post-bind4-policy', 'the seed\'s third story: post_bind4 allows ports B..B+3 only', (b) => ({
    progs: [sk('c', 'inet4_post_bind', portPolicy(b, b + 3))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, b + 8), name('s'), bind('s', 4, L, b + 2), name('s'), S('t', 4, 'tcp'), bind('t', 4, '0.0.0.0', b + 8), bind('t', 4, '0.0.0.0', b + 9), name('t')],
  })],
  ['post-bind4-autobind-connect', 'post_bind4 refusing every port but the server\'s: what a TCP connect\'s ephemeral port meets', (b) => ({
    progs: [sk('c', 'inet4_post_bind', portPolicy(b, b))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s')],
  })],
  ['post-bind4-autobind-udp', 'post_bind4 refusing every port but the server\'s: what a UDP sendto\'s autobind meets', (b) => ({
    progs: [sk('c', 'inet4_post_bind', portPolicy(b, b))],
    steps: [...udpServer('srv', 4, L, b), S('s', 4, 'udp'), sendto('s', 4, L, b), name('s'), recv('srv')],
  })],
  ['post-bind4-port0', 'post_bind4 on bind(port 0): refusing the allocated port', (b) => ({
    progs: [sk('c', 'inet4_post_bind', portPolicy(b, b))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, 0), name('s')],
  })],
  ['post-bind6-refuse', 'post_bind6 refusing an IPv6 bind; IPv4 sockets do not run it', (b) => ({
    progs: [sk('c', 'inet6_post_bind', ret(0))],
    steps: [S('s', 6, 'tcp'), bind('s', 6, '::1', b), name('s'), S('t', 4, 'tcp'), bind('t', 4, L, b), name('t')],
  })],
  ['post-bind6-v4mapped', 'post_bind on a v4-mapped bind of an IPv6 socket: which of post_bind4/6 runs', (b) => ({
    progs: [sk('c', 'inet4_post_bind', ret(0))],
    steps: [S('s', 6, 'udp'), bind('s', 6, '::ffff:127.0.0.1', b), name('s'), S('t', 6, 'udp'), bind('t', 6, '::', b + 1), name('t')],
  })],
  ['story2-post-bind-records-connect-rewrites', 'the seed\'s second story: post_bind4 records 127.0.0.5:B, connect4 turns 127.0.0.1:B into it', (b) => ({
    maps: [SERVERS],
    progs: [sk('c', 'inet4_post_bind', recordServer(b)), sa('c', 'inet4_connect', connectToRecorded)],
    steps: [...server('l', 4, '127.0.0.5', b), S('s', 4, 'tcp'), connect('s', 4, L, b), peer('s'), accept('l', 'a'), S('u', 4, 'tcp'), connect('u', 4, L, b + 1)],
  })],
  // --- sock_create / sock_release
  ['sock-create-refuse', 'sock_create refusing: socket() fails with EPERM', () => ({
    progs: [sk('c', 'inet_sock_create', ret(0))],
    steps: [S('s', 4, 'tcp'), S('t', 6, 'udp')],
  })],
  ['sock-create-refuse-dgram', 'sock_create reading ctx->type: UDP refused, TCP allowed', () => ({
    progs: [sk('c', 'inet_sock_create', refusePort(0, 8, 2))],
    steps: [S('u', 4, 'udp'), S('t', 4, 'tcp')],
  })],
  ['sock-create-mark', 'sock_create setting mark and priority: getsockopt sees them', () => ({
    progs: [sk('c', 'inet_sock_create', `r2 = 42\n  *(u32 *)(r1 + ${SK_MARK}) = r2\n  r2 = 3\n  *(u32 *)(r1 + ${SK_PRIORITY}) = r2\n  ${ret(1)}`)],
    steps: [S('s', 4, 'udp'), { op: 'getopt', sock: 's', opt: 'mark' }, { op: 'getopt', sock: 's', opt: 'priority' }],
  })],
  ['sock-release-count', 'sock_release runs when the last reference goes', () => ({
    maps: [RES],
    progs: [sk('c', 'inet_sock_release', `${countIn(0)}\n  ${ret(1)}`)],
    steps: [S('s', 4, 'udp'), S('t', 6, 'tcp'), close('s'), close('t')],
  })],
  // --- sendmsg / recvmsg
  ['sendmsg4-rewrite', 'sendmsg4 sending an unconnected datagram for 127.0.0.9:B to 127.0.0.1:B+1', (b) => ({
    progs: [sa('c', 'udp4_sendmsg', rewrite4({ fromPort: b, ip: L, port: b + 1 }))],
    steps: [...udpServer('srv', 4, L, b + 1), S('s', 4, 'udp'), sendto('s', 4, '127.0.0.9', b), recv('srv'), name('s')],
  })],
  ['sendmsg4-refuse', 'sendmsg4 refusing: sendto() fails with EPERM and nothing arrives', (b) => ({
    progs: [sa('c', 'udp4_sendmsg', ret(0))],
    steps: [...udpServer('srv', 4, L, b), S('s', 4, 'udp'), sendto('s', 4, L, b), recv('srv')],
  })],
  ['sendmsg4-src', 'sendmsg4 writing msg_src_ip4: the datagram leaves from 127.0.0.3', (b) => ({
    progs: [sa('c', 'udp4_sendmsg', `r2 = ${hex(ip4('127.0.0.3'))}\n  *(u32 *)(r1 + ${MSG_SRC_IP4}) = r2\n  ${ret(1)}`)],
    steps: [...udpServer('srv', 4, L, b), S('s', 4, 'udp'), bind('s', 4, '0.0.0.0', b + 1), sendto('s', 4, L, b), recv('srv')],
  })],
  ['sendmsg4-connected', 'sendmsg4 does not run for send() on a connected socket, but does for sendto() with an address', (b) => ({
    progs: [sa('c', 'udp4_sendmsg', ret(0))],
    steps: [...udpServer('srv', 4, L, b), S('s', 4, 'udp'), connect('s', 4, L, b), { op: 'send', sock: 's', data: '6f6b' }, recv('srv'), sendto('s', 4, L, b), recv('srv')],
  })],
  ['sendmsg6-rewrite', 'sendmsg6 rewriting the destination port of a datagram to [::1]', (b) => ({
    progs: [sa('c', 'udp6_sendmsg', rewrite6({ fromPort: b, port: b + 1 }))],
    steps: [...udpServer('srv', 6, '::1', b + 1), S('s', 6, 'udp'), sendto('s', 6, '::1', b), recv('srv')],
  })],
  ['recvmsg4-rewrite', 'recvmsg4 rewriting the source an application sees (the reply-from-the-DNS-server trick)', (b) => ({
    progs: [sa('c', 'udp4_recvmsg', rewrite4({ ip: '127.0.0.53', port: 53 }))],
    steps: [...udpServer('srv', 4, L, b), S('s', 4, 'udp'), bind('s', 4, L, b + 1), sendto('s', 4, L, b), recv('srv')],
  })],
  ['recvmsg6-rewrite', 'recvmsg6 rewriting the source port of a received datagram', (b) => ({
    progs: [sa('c', 'udp6_recvmsg', rewrite6({ port: 53 }))],
    steps: [...udpServer('srv', 6, '::1', b), S('s', 6, 'udp'), bind('s', 6, '::1', b + 1), sendto('s', 6, '::1', b), recv('srv')],
  })],
  // --- getpeername / getsockname
  ['getpeername4-rewrite', 'getpeername4 rewriting what getpeername() reports; the connection itself is unchanged', (b) => ({
    progs: [sa('c', 'inet4_getpeername', rewrite4({ ip: '127.0.0.9', port: b + 5 }))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), peer('s'), accept('l', 'a'), peer('a')],
  })],
  ['getsockname4-rewrite', 'getsockname4 rewriting what getsockname() reports', (b) => ({
    progs: [sa('c', 'inet4_getsockname', rewrite4({ ip: '127.0.0.9', port: b + 6 }))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, b), name('s')],
  })],
  ['getsockname6-rewrite', 'getsockname6 rewriting the reported port', (b) => ({
    progs: [sa('c', 'inet6_getsockname', rewrite6({ port: b + 7 }))],
    steps: [S('s', 6, 'udp'), bind('s', 6, '::1', b), name('s'), S('t', 4, 'udp'), bind('t', 4, L, b), name('t')],
  })],
  // --- several programs, parent and child
  ['multi-order', 'ALLOW_MULTI in parent and child: the child\'s program runs first, the parent\'s rewrite wins', (b) => ({
    progs: [sa('p', 'inet4_connect', rewrite4({ fromPort: b + 1, port: b + 2 }), 2), sa('c', 'inet4_connect', rewrite4({ fromPort: b, port: b + 1 }), 2)],
    steps: [...server('l', 4, L, b + 2), S('s', 4, 'tcp'), connect('s', 4, L, b), peer('s')],
  })],
  ['multi-parent-refuses', 'ALLOW_MULTI: the parent refusing wins over the child allowing', (b) => ({
    progs: [sa('p', 'inet4_connect', ret(0), 2), sa('c', 'inet4_connect', ret(1), 2)],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b)],
  })],
  ['override-child-replaces', 'ALLOW_OVERRIDE in the parent: the child\'s own program replaces the parent\'s', (b) => ({
    progs: [sa('p', 'inet4_connect', ret(0), 1), sa('c', 'inet4_connect', ret(1), 1)],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), peer('s')],
  })],
  ['no-override-child-refused', 'a parent program attached without flags: attaching in the child fails, the parent\'s runs', (b) => ({
    progs: [sa('p', 'inet4_bind', refusePort(b)), sa('c', 'inet4_bind', ret(1))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, b), bind('s', 4, L, b + 1), name('s')],
  })],
  ['parent-only', 'a program in the parent cgroup applies to processes of the child', (b) => ({
    progs: [sa('p', 'inet4_bind', rewrite4({ fromPort: b, port: b + 1 }))],
    steps: [S('s', 4, 'udp'), bind('s', 4, L, b), name('s')],
  })],
  // --- bpf_bind
  ['bpf-bind-ip', 'the seed\'s first story: bpf_bind(127.0.0.4:0) in connect4; the connection leaves from 127.0.0.4', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', 0))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s'), accept('l', 'a')],
  })],
  ['bpf-bind-port', 'bpf_bind with a port (current Linux binds it as given)', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', b + 7))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s'), accept('l', 'a')],
  })],
  ['bpf-bind-udp', 'bpf_bind on a UDP connect', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', 0))],
    steps: [S('s', 4, 'udp'), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind-nonlocal', 'bpf_bind to an address the host does not have: the helper returns -EADDRNOTAVAIL, connect goes on', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('10.255.255.1', 0))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind-bad-len', 'bpf_bind with a short address length', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', 0, 8))],
    steps: [S('s', 4, 'udp'), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind-bad-family', 'bpf_bind with AF_INET6 in a sockaddr_in from connect4', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', 0, 16, 10))],
    steps: [S('s', 4, 'udp'), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind-already-bound', 'bpf_bind on a socket the application bound already', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', 0))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), bind('s', 4, '127.0.0.6', b + 1), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind-in-use', 'bpf_bind to a port another socket holds: the helper\'s errno, connect goes on', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', bpfBind4('127.0.0.4', b + 7))],
    steps: [...server('l', 4, L, b), S('x', 4, 'tcp'), bind('x', 4, '127.0.0.4', b + 7), S('s', 4, 'tcp'), connect('s', 4, L, b), name('s')],
  })],
  ['bpf-bind6', 'bpf_bind from connect6 to [::1]:B+7', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet6_connect', bpfBind6(b + 7))],
    steps: [...server('l', 6, '::1', b), S('s', 6, 'tcp'), connect('s', 6, '::1', b), name('s')],
  })],
  // --- bpf_setsockopt / bpf_getsockopt
  ['bpf-setsockopt-mark', 'connect4 calling bpf_setsockopt(SOL_SOCKET, SO_MARK, 7): the application sees the mark', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', sockoptMark(false))],
    steps: [S('s', 4, 'udp'), connect('s', 4, L, b), { op: 'getopt', sock: 's', opt: 'mark' }],
  })],
  ['bpf-getsockopt-mark', 'connect4 calling bpf_getsockopt(SOL_SOCKET, SO_MARK): the mark the application set', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', sockoptMark(true))],
    steps: [S('s', 4, 'udp'), { op: 'opt', sock: 's', opt: 'mark', value: 5 }, connect('s', 4, L, b)],
  })],
  // --- bpf_sk_lookup_tcp / _udp and bpf_sk_release (appended: earlier cases keep their ports)
  ['sk-lookup-tcp-listener', 'connect4 looking up a TCP listener by its local address and port', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ saddr: L, sport: 1, daddr: L, dport: b }))],
    steps: [...server('l', 4, L, b), S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
  ['sk-lookup-tcp-established', 'connect4 finding an established TCP socket by its 4-tuple', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ saddr: L, sport: b + 2, daddr: L, dport: b }))],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), bind('s', 4, L, b + 2), connect('s', 4, L, b), accept('l', 'a'), S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
  ['sk-lookup-udp', 'connect4 looking up a bound UDP socket', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ udp: true, saddr: L, sport: 1, daddr: L, dport: b }))],
    steps: [...udpServer('srv', 4, L, b), S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
  ['sk-lookup-miss', 'a lookup of a port nobody holds returns NULL', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ saddr: L, sport: 1, daddr: L, dport: b + 9 }))],
    steps: [S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
  ['sk-lookup-flags', 'non-zero flags: NULL even where a listener is', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ saddr: L, sport: 1, daddr: L, dport: b, flags: 1 }))],
    steps: [...server('l', 4, L, b), S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
  ['sk-lookup-bad-size', 'a tuple size that is neither the ipv4 nor the ipv6 member: NULL', (b) => ({
    maps: [RES],
    progs: [sa('c', 'inet4_connect', skLookupProg({ saddr: L, sport: 1, daddr: L, dport: b, len: 16 }))],
    steps: [...server('l', 4, L, b), S('u', 4, 'udp'), connect('u', 4, L, b + 1)],
  })],
];

/**
 * A sock_ops program that logs every callback it gets: log[0] counts them, log[n] holds the
 * n-th op, plus 0x100 when the socket's local port is `serverPort` (the listener's side),
 * plus (args[0] & 0xff) << 16 | (args[1] & 0xff) << 24. It writes no reply, so every
 * callback keeps Linux's default (timeout, window, ECN). With `stateCb` it calls
 * bpf_sock_ops_cb_flags_set(STATE) at ACTIVE/PASSIVE_ESTABLISHED: every state change after.
 */
const opsLogger = (serverPort: number, stateCb = false): string => `
  r6 = r1
  ${stateCb ? 'r2 = *(u32 *)(r6 + 0)\n  if r2 == 4 goto flags\n  if r2 != 5 goto logit\nflags:\n  r1 = r6\n  r2 = 4\n  call bpf_sock_ops_cb_flags_set\nlogit:' : ''}
  r2 = 0
  *(u32 *)(r10 - 4) = r2
  r1 = log ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r7 = *(u64 *)(r0 + 0)
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
  if r7 > 29 goto out
  r7 += 1
  *(u32 *)(r10 - 4) = r7
  r8 = *(u32 *)(r6 + 0)
  r2 = *(u32 *)(r6 + 68)
  if r2 != ${serverPort} goto args
  r8 |= 0x100
args:
  r2 = *(u32 *)(r6 + 4)
  r2 &= 0xff
  r2 <<= 16
  r8 |= r2
  r2 = *(u32 *)(r6 + 8)
  r2 &= 0xff
  r2 <<= 24
  r8 |= r2
  r1 = log ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  *(u64 *)(r0 + 0) = r8
out:
  r0 = 1
  exit`;
const OPS_LOG: HookMap = { name: 'log', type: 'array', keySize: 4, valueSize: 8, maxEntries: 32 };
CASES.push(
  ['sock-ops-callbacks', 'a sock_ops program without callback flags: which ops an active and a passive open call, in order', (b) => ({
    maps: [OPS_LOG],
    progs: [{ cg: 'c', type: 'sock_ops', attach: 'cgroup_sock_ops', body: opsLogger(b), flags: 0 }],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), accept('l', 'a'), { op: 'close', sock: 'a' }, { op: 'close', sock: 's' }],
  })],
  ['sock-ops-state-cb', 'bpf_sock_ops_cb_flags_set(STATE) at established: the state changes of both ends through an active close (client first)', (b) => ({
    maps: [OPS_LOG],
    progs: [{ cg: 'c', type: 'sock_ops', attach: 'cgroup_sock_ops', body: opsLogger(b, true), flags: 0 }],
    steps: [...server('l', 4, L, b), S('s', 4, 'tcp'), connect('s', 4, L, b), accept('l', 'a'), { op: 'close', sock: 's' }, { op: 'close', sock: 'a' }],
  })],
);

/** The map declarations a program of the case starts with (maps are by index in the case). */
export const mapDecls = (maps: HookMap[]): string => maps.map((m) => `.map ${m.name} type=${m.type} key_size=${m.keySize} value_size=${m.valueSize} max_entries=${m.maxEntries}`).join('\n');

export function hookCases(): HookCase[] {
  return CASES.map(([id, lesson, build], i) => {
    const base = BASE + 16 * i;
    const c = build(base);
    const maps = c.maps ?? [];
    const progs = c.progs.map((p): HookProg => {
      const prog = { ...p, flags: p.flags ?? 0 };
      return {
        ...prog,
        progType: BPF_PROG_TYPE[`BPF_PROG_TYPE_${p.type.toUpperCase()}` as keyof typeof BPF_PROG_TYPE],
        attachType: BPF_ATTACH_TYPE[`BPF_${p.attach.toUpperCase()}` as keyof typeof BPF_ATTACH_TYPE],
        insns: Buffer.from(encode(assemble(`${mapDecls(maps)}\n${p.body}`).insns)).toString('hex'),
      };
    });
    return { id, lesson, uid: c.uid ?? 0, base, maps, progs, steps: c.steps };
  });
}
