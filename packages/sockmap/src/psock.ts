// struct sk_psock (include/linux/skmsg.h): everything a socket carries while it is in one
// or more sockmaps — the map slots holding it, the SK_MSG program it took from them, the
// send path's verdict state (the verdict in force, apply_bytes, cork_bytes and the corked
// message, the redirect target), the queue of bytes redirected into it, and bpfsim's
// accounting. sk_psock_init() makes it when a socket first joins a map (sock_map_link(),
// sock-map.ts), sk_psock_drop() ends it when the socket leaves its last slot or is closed.
// A TCP socket finds its psock in TcpSock.psock, which is also the socket's tcp_bpf proto
// (TcpPsock: send and recv go through the psock while it is set).
import type { BpfProg } from '@bpfsim/kernel';
import type { Sock, TcpPsock } from '@bpfsim/net';
import { TcpSock } from '@bpfsim/net';
import { TCP_TRANSPORT, skMsgSendmsg } from './sk-msg-run';
import type { SkMsg } from './sk-msg-run';
import type { SockMapBase } from './sock-map';

/** The programs a map hands to the sockets inserted into it (struct sk_psock_progs). */
export interface SockMapProgs {
  msgParser: BpfProg | null;
}

/** One map slot holding the socket (struct sk_psock_link). */
export interface PsockLink {
  map: SockMapBase;
  /** The slot's key, as the map keys its slots. */
  key: string;
}

/** Per-socket accounting of the SK_MSG layer (what sockmap-aware tools account). */
export interface PsockStats {
  /** Sent on the socket itself (SK_PASS). */
  passed: number;
  /** Sent into another socket's egress or receive queue. */
  redirected: number;
  /** Freed by SK_DROP. */
  dropped: number;
  /** Received from other sockets' redirects into this one's receive queue. */
  redirectedIn: number;
}

/** psock->eval: the verdict in force (__SK_NONE: none yet, the program runs on the next
 * message; SK_PASS; __SK_REDIRECT; __SK_DROP). */
export type PsockEval = 'none' | 'pass' | 'redirect' | 'drop';

/** sk_psock(): the socket's psock, if it is in a sockmap. */
export function sockPsock(sk: Sock): Psock | undefined {
  // Only a Psock sets TcpSock.psock (Psock.install below). Other sockets (UDP, the
  // protocol-less sockets of tests) keep it in sk_user_data, as Linux keeps every psock.
  if (sk instanceof TcpSock) return sk.psock as Psock | undefined;
  const u = sk.userData;
  return u instanceof Psock ? u : undefined;
}

/** The socket's SK_MSG accounting (undefined when it is in no sockmap). */
export function psockStats(sk: Sock): Readonly<PsockStats> | undefined {
  return sockPsock(sk)?.stats;
}

export class Psock implements TcpPsock {
  /** psock->progs: the programs taken from the maps (the first map with one wins). */
  readonly progs: SockMapProgs = { msgParser: null };
  /** psock->link: the (map, key) slots holding the socket. */
  links: PsockLink[] = [];

  // ---- the SK_MSG send path's state (tcp_bpf_send_verdict) ----
  /** psock->eval */
  eval: PsockEval = 'none';
  /** psock->apply_bytes: bytes the verdict in force still covers (0: the next message). */
  applyBytes = 0;
  /** psock->cork_bytes: bytes still to gather before the corked message is decided. */
  corkBytes = 0;
  /** psock->cork: the message gathering under msg_cork_bytes, not yet decided. */
  cork: SkMsg | null = null;
  /** psock->sk_redir and psock->redir_ingress: where a redirect verdict sends the bytes. */
  redir: { sk: Sock; ingress: boolean } | null = null;

  /** psock->ingress_msg: bytes redirected into this socket (BPF_F_INGRESS, bpf_tcp_ingress())
   * that its recv() has not read yet. */
  readonly ingress: Uint8Array[] = [];
  /** Bytes of this socket's messages by fate. */
  readonly stats: PsockStats = { passed: 0, redirected: 0, dropped: 0, redirectedIn: 0 };
  /** psock->saved_close: sock_map_close() runs when the socket is released. */
  private readonly unhookClose: () => void;

  /** sk_psock_init(): the socket's psock, installed on it. */
  constructor(readonly sk: Sock) {
    this.unhookClose = sk.onRelease(() => this.close());
    // tcp_bpf_update_proto(): a TCP socket's send and recv go through the psock.
    if (sk instanceof TcpSock) sk.psock = this;
    else sk.userData = this;
  }

  /** TCP_BPF_TX (tcp_bpf_update_proto()'s choice): the psock has an SK_MSG program. */
  get tx(): boolean {
    return this.progs.msgParser !== null;
  }

  /** tcp_bpf_sendmsg(). sendfile: 4.17's tcp_bpf_sendpage() shares the file pages
   * (KERNEL_PROFILES); since 6.5 it is sendmsg with MSG_SPLICE_PAGES and the program sees
   * copied bytes (live-kernel cases sendfile-* in kernel-sk-msg.json). */
  sendmsg(data: Uint8Array, opts?: { sendfile?: boolean }): number {
    const kernel = this.sk.host.kernel;
    return skMsgSendmsg(kernel, this.sk, data, TCP_TRANSPORT, { sharedPages: !!opts?.sendfile && kernel.profile === '4.17' });
  }

  /** tcp_bpf_recvmsg(): up to `max` bytes of the ingress queue (sk_msg_recvmsg()). */
  recvmsg(max: number): Uint8Array | undefined {
    const q = this.ingress;
    if (!q.length) return undefined;
    const first = q[0]!;
    if (first.length <= max) {
      q.shift();
      return first;
    }
    q[0] = first.subarray(max);
    return first.subarray(0, max);
  }

  /** sk_msg_apply_bytes(): `bytes` went under the verdict in force. */
  consumeApplyBytes(bytes: number): void {
    if (this.applyBytes) this.applyBytes = this.applyBytes < bytes ? 0 : this.applyBytes - bytes;
  }

  /** sk_psock_drop(): the socket leaves the sockmap world; its proto is restored
   * (sk_psock_restore_proto()) and corked bytes are freed unsent (sk_psock_cork_free()). */
  drop(): void {
    this.unhookClose();
    this.cork = null;
    if (this.sk instanceof TcpSock) {
      if (this.sk.psock === this) this.sk.psock = undefined;
    } else if (this.sk.userData === this) this.sk.userData = undefined;
  }

  /** sock_map_close(): a closed socket leaves every map. */
  private close(): void {
    for (const l of this.links) l.map.removeSlot(l.key, this.sk);
    this.links = [];
    this.drop();
  }
}
