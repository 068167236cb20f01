// The cgroup BPF hooks of a host: the stack's call sites (NetHooks, sock/hooks.ts) run the
// socket's cgroup's effective programs through the kernel's runner, as include/linux/
// bpf-cgroup.h's BPF_CGROUP_RUN_PROG_* macros call __cgroup_bpf_run_filter_sk() and
// __cgroup_bpf_run_filter_sock_addr(). Each hook first asks whether any program of its
// attach type is attached in the tree (cgroup_bpf_enabled), so a host without programs
// pays nothing but that check; the ctx is filled only when programs will run.
import { BPF_ATTACH_TYPE, errnoName, uapiShortName } from '@bpfsim/isa';
import type { CgroupHookResult, HookRunEvent } from '@bpfsim/kernel';
import { cgroupBpfEnabled, runCgroupHook } from '@bpfsim/kernel';
import type { HookEvent, HookProgRun } from '../events';
import type { Region } from '@bpfsim/vm';
import type { Host } from '../iface/host';
import type { HookAddr, NetHooks } from '../sock/hooks';
import type { Sock, SockAddr } from '../sock/sock';
import type { IpAddr } from '../wire/addr';
import { isAny as isAnyAddr } from '../wire/addr';
import { BPF_SOCK_ADDR_SIZE, fillBpfSockAddr, readBpfSockAddr, readMsgSrc } from './bpf-sock-addr';
import { BPF_SOCK_SIZE, applyBpfSockWrites, fillBpfSock } from './bpf-sock';
import type { TcpOpsInfo } from './sock-ops';
import { BPF_SOCK_OPS_SIZE, fillBpfSockOps, readBpfSockOps } from './sock-ops';
import { SOCK_HELPERS } from './sock-helpers';
import { SockOpsRunCtx, SockRunCtx } from './run-ctx';

const A = BPF_ATTACH_TYPE;

/** "10.0.0.1:80", "[::1]:53" */
export function fmtSockAddr(a: SockAddr): string {
  return a.family === 6 ? `[${a.addr.text}]:${a.port}` : `${a.addr.text}:${a.port}`;
}

export class CgroupHooks implements NetHooks {
  private sockAddrCtx: Region | undefined;
  private sockCtx: Region | undefined;
  private sockOpsCtx: Region | undefined;
  /** Run contexts by nesting depth, reused (a hook's helper may run another hook: bpf_bind
   * runs the bind hooks), so a hook call allocates none. */
  private readonly runCtxs: SockRunCtx[] = [];
  private depth = 0;

  constructor(readonly host: Host) {}

  private regions(): { addr: Region; sock: Region } {
    const m = this.host.kernel.memory;
    this.sockAddrCtx ??= m.alloc(BPF_SOCK_ADDR_SIZE, { kind: 'ctx', name: 'bpf_sock_addr' });
    this.sockCtx ??= m.alloc(BPF_SOCK_SIZE, { kind: 'ctx', name: 'bpf_sock' });
    return { addr: this.sockAddrCtx, sock: this.sockCtx };
  }

  private run(sk: Sock, attachType: number, ctx: Region, retFlags = false, runs?: HookRunEvent[]): CgroupHookResult {
    const d = this.depth;
    const runCtx = this.runCtxs[d]?.reuseFor(sk, sk.owner) ?? (this.runCtxs[d] = new SockRunCtx(sk, sk.owner));
    this.depth = d + 1;
    try {
      return runCgroupHook(this.host.kernel, sk.cgroup, attachType, { ctx, runCtx, retFlags, runs });
    } finally {
      this.depth = d;
    }
  }

  /** Whether anyone listens for 'hook' events (checked before any event work): then the
   * runner hands back each program's run. */
  private get traced(): boolean {
    return this.host.network.events.listenerCount('hook') > 0;
  }

  private emit(sk: Sock, attachType: number, r: CgroupHookResult, runs: readonly HookRunEvent[], extra: Partial<HookEvent>): void {
    const net = this.host.network;
    const progs: HookProgRun[] = runs.map((e) => ({ id: e.progId, name: e.progName, ret: e.ret, insns: e.insns, durationNs: e.durationNs }));
    net.events.emit('hook', {
      time: net.sim.now,
      host: this.host.name,
      hook: uapiShortName(BPF_ATTACH_TYPE, 'BPF_', attachType) ?? String(attachType),
      cgroup: sk.cgroup.path,
      socket: sk.describe(),
      verdict: r.retval ? (errnoName(-r.retval) ?? String(r.retval)) : 'ok',
      ...extra,
      progs,
    });
  }

  // ---- BPF_PROG_TYPE_CGROUP_SOCK: __cgroup_bpf_run_filter_sk() ----------------------------

  /** Runs a CGROUP_SOCK hook; SOCK_CREATE and SOCK_RELEASE programs may write fields back. */
  private runSk(sk: Sock, attachType: number, writable: boolean): number {
    if (!cgroupBpfEnabled(sk.cgroup, attachType)) return 0;
    const { sock } = this.regions();
    fillBpfSock(sock.bytes, sk, sock.view);
    const runs: HookRunEvent[] | undefined = this.traced ? [] : undefined;
    const r = this.run(sk, attachType, sock, false, runs);
    if (writable) applyBpfSockWrites(sock.bytes, sk, this.host, sock.view);
    if (runs && r.ran) this.emit(sk, attachType, r, runs, {});
    return r.retval;
  }

  /** inet_create(): BPF_CGROUP_RUN_PROG_INET_SOCK(sk). */
  sockCreate(sk: Sock): number {
    return this.runSk(sk, A.BPF_CGROUP_INET_SOCK_CREATE, true);
  }

  /** __inet_bind() / __inet6_bind() after get_port: BPF_CGROUP_RUN_PROG_INET4/6_POST_BIND. */
  postBind(sk: Sock): number {
    return this.runSk(sk, sk.family === 4 ? A.BPF_CGROUP_INET4_POST_BIND : A.BPF_CGROUP_INET6_POST_BIND, false);
  }

  /** inet_release(): BPF_CGROUP_RUN_PROG_INET_SOCK_RELEASE(sk) (the verdict is ignored). */
  sockRelease(sk: Sock): void {
    this.runSk(sk, A.BPF_CGROUP_INET_SOCK_RELEASE, true);
  }

  // ---- BPF_PROG_TYPE_CGROUP_SOCK_ADDR: __cgroup_bpf_run_filter_sock_addr() -----------------

  /** Runs a SOCK_ADDR hook on `addr`, applying the programs' rewrite to it (and, for
   * sendmsg, to the datagram source in `src`). */
  private runAddr(sk: Sock, attachType: number, addr: HookAddr, src?: { addr?: IpAddr }, retFlags = false): CgroupHookResult | undefined {
    if (!cgroupBpfEnabled(sk.cgroup, attachType)) return undefined;
    const { addr: ctx, sock } = this.regions();
    fillBpfSock(sock.bytes, sk, sock.view);
    fillBpfSockAddr(ctx.bytes, ctx.view, sk, addr.addr, src?.addr, sock);
    const runs: HookRunEvent[] | undefined = this.traced ? [] : undefined;
    const before = addr.addr;
    const r = this.run(sk, attachType, ctx, retFlags, runs);
    addr.addr = readBpfSockAddr(ctx.bytes, ctx.view, addr.addr.family, before);
    if (src) src.addr = readMsgSrc(ctx.bytes, addr.addr.family, src.addr);
    if (runs && r.ran) {
      const msgSrc = src?.addr && !isAnyAddr(src.addr) ? { msgSrc: src.addr.text } : {};
      this.emit(sk, attachType, r, runs, { addr: { before: fmtSockAddr(before), after: fmtSockAddr(addr.addr) }, ...msgSrc });
    }
    return r;
  }

  /** inet_bind_sk() / inet6_bind_sk(): BPF_CGROUP_RUN_PROG_INET_BIND_LOCK, before any check.
   * Bit 1 of a program's return (BPF_RET_BIND_NO_CAP_NET_BIND_SERVICE) lifts the
   * CAP_NET_BIND_SERVICE check. */
  bind(sk: Sock, addr: HookAddr): { err: number; bindServiceOverride?: boolean } {
    const r = this.runAddr(sk, addr.addr.family === 4 ? A.BPF_CGROUP_INET4_BIND : A.BPF_CGROUP_INET6_BIND, addr, undefined, true);
    if (!r) return { err: 0 };
    return { err: r.retval, bindServiceOverride: (r.flags & 1) !== 0 };
  }

  /** tcp_v4_pre_connect() / udp_pre_connect() and the v6 twins: INET4/6_CONNECT (the
   * address family decides: an IPv6 UDP socket connecting to AF_INET runs INET4_CONNECT). */
  connect(sk: Sock, addr: HookAddr): number {
    return this.runAddr(sk, addr.addr.family === 4 ? A.BPF_CGROUP_INET4_CONNECT : A.BPF_CGROUP_INET6_CONNECT, addr)?.retval ?? 0;
  }

  /** udp_sendmsg() / udpv6_sendmsg() on the slow path: UDP4/6_SENDMSG; msg_src_ip4/6 in,
   * and out as the datagram's source. */
  sendmsg(sk: Sock, addr: HookAddr, src: { addr?: SockAddr['addr'] }): number {
    return this.runAddr(sk, addr.addr.family === 4 ? A.BPF_CGROUP_UDP4_SENDMSG : A.BPF_CGROUP_UDP6_SENDMSG, addr, src)?.retval ?? 0;
  }

  /** udp_recvmsg() / udpv6_recvmsg() with an address buffer: UDP4/6_RECVMSG (the programs
   * must return 1; they may rewrite the source the user sees). */
  recvmsg(sk: Sock, addr: HookAddr): number {
    this.runAddr(sk, addr.addr.family === 4 ? A.BPF_CGROUP_UDP4_RECVMSG : A.BPF_CGROUP_UDP6_RECVMSG, addr);
    return 0;
  }

  // ---- BPF_PROG_TYPE_SOCK_OPS: __cgroup_bpf_run_filter_sock_ops() ----------------------

  /** tcp_call_bpf(): fills struct bpf_sock_ops, runs the cgroup's SOCK_OPS programs; the
   * reply (which is args[0] unless a program wrote it), or -1 when a program returned 0. */
  sockOps(sk: Sock, op: number, args: readonly number[], info: () => TcpOpsInfo, setCbFlags: (f: number) => void): number {
    if (!cgroupBpfEnabled(sk.cgroup, A.BPF_CGROUP_SOCK_OPS)) return -1;
    const m = this.host.kernel.memory;
    this.sockOpsCtx ??= m.alloc(BPF_SOCK_OPS_SIZE, { kind: 'ctx', name: 'bpf_sock_ops' });
    const ctx = this.sockOpsCtx;
    const { sock } = this.regions();
    fillBpfSock(sock.bytes, sk, sock.view);
    fillBpfSockOps(ctx.bytes, ctx.view, sk, op, args, info(), sock.address());
    const runs: HookRunEvent[] | undefined = this.traced ? [] : undefined;
    const r = runCgroupHook(this.host.kernel, sk.cgroup, A.BPF_CGROUP_SOCK_OPS, { ctx, runCtx: new SockOpsRunCtx(sk, sk.owner, op, setCbFlags), runs });
    if (runs && r.ran) this.emit(sk, A.BPF_CGROUP_SOCK_OPS, r, runs, {});
    const reply = readBpfSockOps(ctx.view, sk);
    return r.retval === 0 ? reply : -1;
  }

  /** inet_getname() / inet6_getname(): GETPEERNAME / GETSOCKNAME (the verdict is ignored). */
  getname(sk: Sock, addr: HookAddr, peer: boolean): number {
    const v4 = addr.addr.family === 4;
    const type = peer ? (v4 ? A.BPF_CGROUP_INET4_GETPEERNAME : A.BPF_CGROUP_INET6_GETPEERNAME) : v4 ? A.BPF_CGROUP_INET4_GETSOCKNAME : A.BPF_CGROUP_INET6_GETSOCKNAME;
    this.runAddr(sk, type, addr);
    return 0;
  }
}

/** Plugs the cgroup hooks into a host's stack, with the socket helpers they need. */
export function installCgroupHooks(host: Host): CgroupHooks {
  const hooks = new CgroupHooks(host);
  host.hooks = hooks;
  host.kernel.helpers.register(SOCK_HELPERS);
  return hooks;
}
