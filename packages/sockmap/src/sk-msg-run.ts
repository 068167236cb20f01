// The SK_MSG send path: what tcp_bpf_sendmsg() does for a TCP socket in a sockmap whose
// psock has a verdict program (net/ipv4/tcp_bpf.c, net/core/skmsg.c); the msg_* helpers
// the program calls are in sk-msg-helpers.ts. The TCP layer hands each sendmsg's bytes here
// with a Transport that pushes bytes out on a socket; this module runs the verdict program
// on the message (struct sk_msg as a ring of up to 17 elements of up to 32 KiB), moves the
// psock's state (psock.ts: the verdict in force, apply_bytes, cork_bytes and the corked
// message, the redirect target) and returns what sendmsg returns:
//  - SK_PASS: the bytes go out on this socket;
//  - SK_PASS after msg_redirect_map/hash: the bytes go to the target, out on its TCP send
//    path, or (BPF_F_INGRESS) into its receive queue for its own recv();
//  - anything else: the bytes are dropped and sendmsg fails with EACCES (a short count if
//    part of the call was accepted already);
//  - apply_bytes(n): the verdict covers the next n bytes, across sendmsg calls;
//  - cork_bytes(n): nothing is decided until n bytes have gathered (sendmsg reports them
//    sent), then the program runs on all of them.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { BpfProg, Kernel } from '@bpfsim/kernel';
import type { Region } from '@bpfsim/vm';
import { ExecContext, runCtx } from '@bpfsim/vm';
import type { Sock } from '@bpfsim/net';
import type { TcpSock } from '@bpfsim/net';
import { AF_INET, AF_INET6, SockRunCtx, isAny } from '@bpfsim/net';
import { ctxOffsets } from '@bpfsim/verifier';
import { SK_DROP, SK_MSG, SK_PASS } from './sk-msg';
import type { Psock } from './psock';
import { sockPsock } from './psock';

/** MAX_MSG_FRAGS (CONFIG_MAX_SKB_FRAGS default 17): elements a message holds. */
export const MAX_MSG_FRAGS = 17;
/** sk_msg_alloc() fills elements from the socket's page frag, a 32 KiB compound page
 * (SKB_FRAG_PAGE_ORDER): an element holds up to 32 KiB (a fresh frag each message here;
 * Linux continues a partly used frag, so its boundaries can fall earlier). */
export const MSG_ELEM_SIZE = 32768;
/** BPF_F_INGRESS */
export const BPF_F_INGRESS = 1;

/** One scatterlist element; `copy`: a page the program may not write in place (shared:
 * sendpage of a file page on 4.17, where data/data_end read NULL until pull_data). */
interface Elem {
  bytes: Uint8Array;
  copy: boolean;
}

/** struct sk_msg */
export interface SkMsg {
  elems: Elem[];
  applyBytes: number;
  corkBytes: number;
  redir: Sock | null;
  flags: number;
}

/** The bytes a message holds (msg->sg.size). */
export const msgSize = (m: SkMsg): number => m.elems.reduce((n, e) => n + e.bytes.length, 0);

/** How the TCP layer sends bytes (tcp_bpf_push) and takes redirected ingress bytes. */
export interface Transport {
  /** Pushes bytes out on `sk`'s TCP send path; 0, or a negative errno. */
  push(sk: Sock, bytes: Uint8Array): number;
  /** Bytes redirected into `sk`'s receive side (bpf_tcp_ingress): its recv() returns them. */
  ingress?(sk: Sock, bytes: Uint8Array): void;
}

/** What a verdict run reports (for timelines and tests). */
export interface MsgVerdictEvent {
  type: 'sk_msg';
  socket: string;
  progId: number;
  progName: string;
  /** Instructions the run executed. */
  insns: number;
  /** SK_PASS / SK_DROP as returned, and what it meant. */
  ret: number;
  verdict: 'pass' | 'redirect' | 'drop';
  size: number;
  applyBytes: number;
  corkBytes: number;
  redirect?: { socket: string; ingress: boolean };
}

/** struct sk_msg_md's offsets, from the SK_MSG descriptor (sk-msg.ts): the layout the
 * verifier checks programs against is the one the runs fill. */
const MD = ctxOffsets(SK_MSG, ['data', 'data_end', 'family', 'remote_ip4', 'local_ip4', 'remote_ip6', 'local_ip6', 'remote_port', 'local_port', 'size']);

/** An SK_MSG verdict's run (what the msg_* helpers act on): the socket's run context
 * (@bpfsim/net's SockRunCtx) with the message and the run's regions. Softirq-like: no task. */
export class MsgRunCtx extends SockRunCtx {
  constructor(
    sock: Sock,
    readonly msg: SkMsg,
    readonly run: MsgRun,
  ) {
    super(sock, undefined);
  }
}

/** The ctx and packet regions of one program run. */
export class MsgRun {
  packet: Region | null = null;

  constructor(
    readonly kernel: Kernel,
    readonly ctx: Region,
  ) {}

  /** sk_msg_compute_data_pointers() or the pointers pull_data chose: data and data_end in
   * the ctx; a shared page reads NULL. */
  setData(bytes: Uint8Array | null): void {
    if (this.packet) this.kernel.memory.unmap(this.packet);
    this.packet = null;
    const v = this.ctx.view;
    if (!bytes) {
      v.setBigUint64(MD.data, 0n, true);
      v.setBigUint64(MD.data_end, 0n, true);
      return;
    }
    this.packet = this.kernel.memory.map(bytes, { kind: 'packet', name: 'sk_msg data' });
    v.setBigUint64(MD.data, this.packet.address(), true);
    v.setBigUint64(MD.data_end, this.packet.address(bytes.length), true);
  }

  computeDataPointers(msg: SkMsg): void {
    const first = msg.elems[0];
    this.setData(first && !first.copy ? first.bytes : null);
    this.ctx.view.setUint32(MD.size, msgSize(msg), true);
  }

  /** Ends a run: the packet view goes (stale data pointers fault); the ctx stays for reuse. */
  finish(): void {
    if (this.packet) this.kernel.memory.unmap(this.packet);
    this.packet = null;
  }
}

/** A ctx and an execution context for verdict runs, reused run after run. */
interface RunSlot {
  run: MsgRun;
  C: ExecContext;
  busy: boolean;
}

/**
 * What the SK_MSG layer keeps per kernel, reached as kernel.sockmap (installSockmap() makes
 * it): the verdict run reused run after run. (A socket's own SK_MSG state is its Psock's;
 * verdicts and dispositions are events on kernel.events.)
 */
export class SockmapState {
  /** The run slot (a redirect never runs another verdict synchronously, so one level is
   * enough; a nested run gets a fresh slot that is not kept). */
  private slot: RunSlot | undefined;

  constructor(readonly kernel: Kernel) {}

  acquireRun(): { run: MsgRun; C: ExecContext; release(): void } {
    let r = this.slot;
    if (!r || r.busy) {
      const kernel = this.kernel;
      const fresh = { run: new MsgRun(kernel, kernel.memory.alloc(SK_MSG.ctxSize, { kind: 'ctx', name: 'sk_msg_md' })), C: new ExecContext(kernel.memory, { helpers: kernel.helpers.funcs }), busy: false };
      if (!r) this.slot = fresh;
      r = fresh;
    }
    const slot = r;
    slot.busy = true;
    return {
      run: slot.run,
      C: slot.C,
      release() {
        slot.run.finish();
        slot.C.env = undefined;
        slot.busy = false;
      },
    };
  }
}

declare module '@bpfsim/kernel' {
  interface Kernel {
    /** @bpfsim/sockmap's per-kernel state (sk-msg-run.ts), once installSockmap() ran. */
    sockmap?: SockmapState;
  }
  interface KernelEvents {
    /** One SK_MSG verdict run. */
    'msg:verdict': MsgVerdictEvent;
    /** Where bytes that went through a verdict ended up. */
    'msg:disposition': MsgDispositionEvent;
  }
}

/** The kernel's SockmapState, made on first use. */
export function sockmapState(kernel: Kernel): SockmapState {
  return (kernel.sockmap ??= new SockmapState(kernel));
}

/** Writes the socket fields of struct sk_msg_md (sk_msg_convert_ctx_access). */
function fillMsgMd(ctx: Region, sk: Sock): void {
  const b = ctx.bytes;
  b.fill(0, MD.family);
  const v = ctx.view;
  v.setUint32(MD.family, sk.family === 4 ? AF_INET : AF_INET6, true);
  const put = (a: Uint8Array, off4: number, off6: number): void => {
    if (a.length === 4) b.set(a, off4);
    else b.set(a, off6);
  };
  if (sk.peer) put(sk.peer.addr.bytes, MD.remote_ip4, MD.remote_ip6);
  // local_ip4/6 read sk_rcv_saddr, which connect() sets from the route when the socket was
  // not bound to an address (and an accepted socket has from the SYN).
  put((isAny(sk.boundAddr) && sk.peer ? sk.srcAddr : sk.boundAddr).bytes, MD.local_ip4, MD.local_ip6);
  // remote_port: the __be16 loaded and shifted left 16, so bpf_ntohl(remote_port) == port.
  if (sk.peer) v.setUint32(MD.remote_port, sk.peer.port, false);
  v.setUint32(MD.local_port, sk.localPort, true);
}

/** sk_psock_map_verd() */
function mapVerdict(ret: number, redir: Sock | null): 'pass' | 'redirect' | 'drop' {
  return ret === SK_PASS ? (redir ? 'redirect' : 'pass') : 'drop';
}

/** Listens to every SK_MSG verdict on this kernel ('msg:verdict' on kernel.events). */
export function onMsgVerdict(kernel: Kernel, l: (e: MsgVerdictEvent) => void): () => void {
  return kernel.events.on('msg:verdict', l);
}

/** Where bytes of a message went: out on the socket itself, into another socket (its
 * egress or its receive queue), or freed by a drop — the send path's own log. */
export interface MsgDispositionEvent {
  socket: Sock;
  to: 'self' | 'drop' | { socket: Sock; ingress: boolean };
  bytes: Uint8Array;
}

/** Listens to where every byte that went through an SK_MSG verdict ended up
 * ('msg:disposition' on kernel.events). */
export function onMsgDisposition(kernel: Kernel, l: (e: MsgDispositionEvent) => void): () => void {
  return kernel.events.on('msg:disposition', l);
}

/** Accounts bytes by fate, and tells the listeners (who get the bytes themselves). */
function disposed(state: SockmapState, socket: Sock, to: MsgDispositionEvent['to'], bytes: Uint8Array | number): void {
  const n = typeof bytes === 'number' ? bytes : bytes.length;
  const st = sockPsock(socket)?.stats;
  if (st) {
    if (to === 'self') st.passed += n;
    else if (to === 'drop') st.dropped += n;
    else {
      st.redirected += n;
      const tst = to.ingress ? sockPsock(to.socket)?.stats : undefined;
      if (tst) tst.redirectedIn += n;
    }
  }
  if (typeof bytes !== 'number') state.kernel.events.emit('msg:disposition', { socket, to, bytes });
}

/** sk_psock_msg_verdict(): runs the program on `msg`; sets psock.eval. */
function runVerdict(state: SockmapState, sk: Sock, psock: Psock, prog: BpfProg, msg: SkMsg): void {
  const kernel = state.kernel;
  const slot = state.acquireRun();
  const { run, C } = slot;
  fillMsgMd(run.ctx, sk);
  run.computeDataPointers(msg);
  C.reset();
  C.env = new MsgRunCtx(sk, msg, run);
  let ret: number;
  let insns = 0;
  try {
    // The ctx also holds sk (PTR_TO_SOCKET): bpfsim gives programs no socket view there yet.
    const r = runCtx(prog.vm, kernel.engine, C, run.ctx);
    ret = r.fault ? SK_DROP : r.retval >>> 0;
    insns = r.insnCount;
    prog.runCnt++;
  } finally {
    slot.release();
  }
  const verdict = mapVerdict(ret, msg.redir);
  psock.applyBytes = msg.applyBytes;
  psock.eval = verdict;
  psock.redir = verdict === 'redirect' ? { sk: msg.redir!, ingress: (msg.flags & BPF_F_INGRESS) !== 0 } : null;
  if (kernel.events.listening('msg:verdict')) {
    kernel.events.emit('msg:verdict', {
      type: 'sk_msg',
      socket: sk.describe(),
      progId: prog.id,
      progName: prog.name,
      insns,
      ret,
      verdict,
      size: msgSize(msg),
      applyBytes: msg.applyBytes,
      corkBytes: msg.corkBytes,
      ...(psock.redir ? { redirect: { socket: psock.redir.sk.describe(), ingress: psock.redir.ingress } } : {}),
    });
  }
}

/** Takes the first `n` bytes off the message (what a push or redirect consumed). */
function take(msg: SkMsg, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n && msg.elems.length) {
    const e = msg.elems[0]!;
    const k = Math.min(e.bytes.length, n - at);
    out.set(e.bytes.subarray(0, k), at);
    at += k;
    if (k === e.bytes.length) msg.elems.shift();
    else e.bytes = e.bytes.subarray(k);
  }
  return out;
}

/** sk_msg_full() */
const full = (m: SkMsg): boolean => m.elems.length >= MAX_MSG_FRAGS;

/**
 * tcp_bpf_send_verdict(): decides on `msg` (the program runs unless a verdict is in force)
 * and acts. Returns 0 or a negative errno; `copied` is adjusted as Linux does.
 */
function sendVerdict(state: SockmapState, sk: Sock, psock: Psock, msg: SkMsg, copied: { n: number }, t: Transport): number {
  const enospc = full(msg);
  for (;;) {
    let delta = 0;
    if (psock.eval === 'none') {
      delta = msgSize(msg);
      const prog = psock.progs.msgParser;
      if (prog) runVerdict(state, sk, psock, prog, msg);
      else psock.eval = 'pass';
      delta -= msgSize(msg);
    }
    if (msg.corkBytes && msg.corkBytes > msgSize(msg) && !enospc) {
      psock.corkBytes = msg.corkBytes - msgSize(msg);
      psock.cork = msg;
      return 0;
    }
    let tosend = msgSize(msg);
    if (psock.applyBytes && psock.applyBytes < tosend) tosend = psock.applyBytes;
    let ret = 0;
    switch (psock.eval) {
      case 'pass': {
        const bytes = take(msg, tosend);
        ret = t.push(sk, bytes);
        if (!ret) disposed(state, sk, 'self', bytes);
        if (ret) {
          copied.n -= msgSize(msg);
          msg.elems = [];
          break;
        }
        psock.consumeApplyBytes(tosend);
        break;
      }
      case 'redirect': {
        const target = psock.redir!;
        psock.consumeApplyBytes(tosend);
        if (!psock.applyBytes) {
          psock.eval = 'none';
          psock.redir = null;
        }
        const corked = psock.cork === msg;
        if (corked) psock.cork = null;
        const bytes = take(msg, tosend);
        const tp = sockPsock(target.sk);
        // tcp_bpf_sendmsg_redir(): a target that left the sockmap has no psock: EPIPE.
        if (!tp) ret = -ERRNO.EPIPE;
        else if (target.ingress) {
          tp.ingress.push(bytes);
          t.ingress?.(target.sk, bytes);
          target.sk.wake();
        } else ret = t.push(target.sk, bytes);
        if (!ret) disposed(state, sk, { socket: target.sk, ingress: target.ingress }, bytes);
        if (ret < 0) {
          const free = msgSize(msg) + bytes.length;
          msg.elems = [];
          if (!corked) copied.n -= free;
        }
        if (corked) {
          msg.elems = [];
          ret = 0;
        }
        break;
      }
      default: {
        disposed(state, sk, 'drop', state.kernel.events.listening('msg:disposition') ? take(msg, msgSize(msg)) : msgSize(msg));
        msg.elems = [];
        psock.consumeApplyBytes(tosend);
        copied.n -= tosend + delta;
        return -ERRNO.EACCES;
      }
    }
    if (ret) return ret;
    if (!psock.applyBytes) {
      psock.eval = 'none';
      psock.redir = null;
    }
    if (!msg.elems.length || !msg.elems[0]!.bytes.length) return 0;
  }
}

/** Unsent corked bytes of `sk` (what sk_psock_cork_free throws away at close). */
export function corkedBytes(sk: Sock): number {
  const c = sockPsock(sk)?.cork;
  return c ? msgSize(c) : 0;
}

/** bpf_tcp_ingress()'s queue: bytes redirected into `sk` that its recv() has not read. */
export function takeIngress(sk: Sock, max: number): Uint8Array | undefined {
  return sockPsock(sk)?.recvmsg(max);
}

export interface SkMsgSendOptions {
  /** The data comes from a file page that is not copied (4.17's tcp_bpf_sendpage): the
   * program sees data == data_end == NULL until bpf_msg_pull_data(). */
  sharedPages?: boolean;
}

/**
 * tcp_bpf_sendmsg(): sends `data` on `sk` through its psock. Returns the bytes sendmsg
 * reports; throws SysError (EACCES for a drop, EPIPE…) when nothing was accepted.
 * A socket without a psock (or without a verdict program) should use the plain path.
 */
export function skMsgSendmsg(kernel: Kernel, sk: Sock, data: Uint8Array, t: Transport, options: SkMsgSendOptions = {}): number {
  const psock = sockPsock(sk);
  if (!psock) {
    const r = t.push(sk, data);
    if (r < 0) throw new SysError(errnoName(-r), 'sendmsg failed');
    return data.length;
  }
  const state = sockmapState(kernel);
  const copied = { n: 0 };
  let off = 0;
  let err = 0;
  while (off < data.length) {
    const corked = psock.cork;
    const msg: SkMsg = corked ?? { elems: [], applyBytes: 0, corkBytes: 0, redir: null, flags: 0 };
    // sk_msg_alloc() + sk_msg_memcopy_from_iter(): elements up to the ring's size.
    let enospc = false;
    const start = off;
    while (off < data.length) {
      if (msg.elems.length >= MAX_MSG_FRAGS) {
        enospc = true;
        break;
      }
      const n = Math.min(MSG_ELEM_SIZE, data.length - off);
      msg.elems.push({ bytes: data.slice(off, off + n), copy: !!options.sharedPages });
      off += n;
    }
    copied.n += off - start;
    if (psock.corkBytes) {
      // The whole call's size counts against the cork, as Linux counts it.
      psock.corkBytes = data.length > psock.corkBytes ? 0 : psock.corkBytes - data.length;
      if (psock.corkBytes && !enospc) break;
      psock.eval = 'none';
      psock.corkBytes = 0;
    }
    if (corked) psock.cork = null;
    err = sendVerdict(state, sk, psock, msg, copied, t);
    if (err < 0) break;
  }
  if (copied.n > 0) return copied.n;
  if (err < 0) throw new SysError(errnoName(-err), err === -ERRNO.EACCES ? 'the SK_MSG program dropped the message' : 'sendmsg failed');
  return 0;
}

const errnoName = (n: number): keyof typeof ERRNO => (Object.entries(ERRNO).find(([, v]) => v === n)?.[0] ?? 'EINVAL') as keyof typeof ERRNO;

/** tcp_bpf_push(): how a TCP socket's psock pushes bytes out on a TCP send path. */
export const TCP_TRANSPORT: Transport = {
  push(sk, bytes) {
    try {
      (sk as TcpSock).queueData(bytes);
      return 0;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  },
};
