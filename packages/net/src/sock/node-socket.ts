// Node-style events over a simulated socket, for code that reads better as callbacks than as
// awaits: 'connect', 'data', 'end', 'close', 'error' and 'drain' as net.Socket emits them, and
// 'connection' on a listener, as net.Server does. The socket is in flowing mode: received
// bytes are read and emitted as 'data' as soon as they arrive (in virtual time).
import EventEmitter from 'eventemitter3';
import { SysError } from '@bpfsim/isa';
import type { SockAddrIn, SocketApi } from './api';
import type { Sock } from './sock';
import { SOCK_STREAM } from './sock';
import { TCP_STATE } from './state';

export interface NodeSocketEvents {
  connect: () => void;
  data: (data: Uint8Array) => void;
  /** The peer finished sending (FIN, or a datagram socket never ends). */
  end: () => void;
  /** The socket is closed; `hadError` as Node passes it. */
  close: (hadError: boolean) => void;
  error: (err: SysError) => void;
  /** write() returned false earlier and the send buffer has room again. */
  drain: () => void;
  /** A listener accepted a connection. */
  connection: (socket: NodeSocket) => void;
}

export class NodeSocket extends EventEmitter<NodeSocketEvents> {
  private readonly sk: Sock;
  private connecting = false;
  private ended = false;
  private closed = false;
  private hadError = false;
  private wantDrain = false;
  private readonly unwatch: () => void;
  /** Connected (or accepted): reading makes sense. */
  private open: boolean;

  constructor(
    readonly api: SocketApi,
    readonly fd: number,
  ) {
    super();
    this.sk = api.socketOf(fd);
    // An accepted socket is connected already; a new one is not until connect().
    this.open = this.sk.peer !== undefined && this.sk.state !== TCP_STATE.TCP_SYN_SENT;
    this.unwatch = this.sk.onWake(() => this.pump());
  }

  /** connect(): 'connect' when the handshake completes, 'error' (ECONNREFUSED…) if it fails. */
  connect(to: SockAddrIn): this {
    try {
      if (this.api.connectStart(this.fd, to)) {
        this.open = true;
        this.after(() => this.emit('connect'));
      } else this.connecting = true;
    } catch (e) {
      this.fail(e);
    }
    return this;
  }

  /** listen(): 'connection' with a NodeSocket for each accepted connection. */
  listen(backlog = 128): this {
    this.api.listen(this.fd, backlog);
    return this;
  }

  /** Sends what fits; false when some had to wait for the buffer ('drain' follows). */
  write(data: Uint8Array): boolean {
    let off = 0;
    try {
      while (off < data.length) off += this.api.send(this.fd, data.subarray(off));
      return true;
    } catch (e) {
      if (e instanceof SysError && e.code === 'EAGAIN') {
        // Keep the rest and send it as room appears.
        this.pending = this.pending ? concat(this.pending, data.subarray(off)) : data.slice(off);
        this.wantDrain = true;
        return false;
      }
      this.fail(e);
      return false;
    }
  }
  private pending: Uint8Array | undefined;

  /** Half-close: FIN after what was written (shutdown(SHUT_WR)). */
  end(data?: Uint8Array): this {
    if (data) this.write(data);
    if (this.pending) this.endAfterPending = true;
    else this.api.shutdown(this.fd, 1);
    return this;
  }
  private endAfterPending = false;

  /** close(2) now. */
  destroy(): void {
    if (this.closed) return;
    this.api.close(this.fd);
    this.finish();
  }

  private after(fn: () => void): void {
    this.sk.host.network.sim.schedule(0, fn);
  }

  private fail(e: unknown): void {
    if (!(e instanceof SysError)) throw e;
    this.hadError = true;
    this.after(() => {
      this.emit('error', e);
      this.finish();
    });
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch();
    this.emit('close', this.hadError);
  }

  /** Runs on every wake of the socket: what changed, as events. */
  private pump(): void {
    if (this.closed) return;
    const sk = this.sk;
    if (sk.state === TCP_STATE.TCP_LISTEN) {
      for (;;) {
        let fd: number;
        try {
          fd = this.api.accept(this.fd);
        } catch {
          return;
        }
        this.emit('connection', new NodeSocket(this.api, fd));
      }
    }
    if (this.connecting && sk.state !== TCP_STATE.TCP_SYN_SENT) {
      this.connecting = false;
      const err = sk.takeError();
      if (err || sk.state === TCP_STATE.TCP_CLOSE) return this.fail(new SysError(err ?? 'ECONNREFUSED', 'connect failed'));
      this.open = true;
      this.emit('connect');
    }
    if (this.pending) {
      const rest = this.pending;
      this.pending = undefined;
      if (this.write(rest) && this.wantDrain) {
        this.wantDrain = false;
        if (this.endAfterPending) this.api.shutdown(this.fd, 1);
        this.emit('drain');
      }
    }
    if (!this.open) return;
    for (;;) {
      let r;
      try {
        r = this.api.recvfrom(this.fd, 1 << 20);
      } catch (e) {
        if (e instanceof SysError && e.code === 'EAGAIN') break;
        return this.fail(e);
      }
      if (r.data.length === 0 && sk.type === SOCK_STREAM) {
        if (!this.ended) {
          this.ended = true;
          this.emit('end');
        }
        break;
      }
      this.emit('data', r.data);
    }
    if (sk.state === TCP_STATE.TCP_CLOSE && this.ended) this.finish();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
