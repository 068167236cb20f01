// The run contexts of programs the stack runs for a socket (what the helpers of
// net/core/filter.c reach through their ctx argument on Linux: bpf_sock_addr_kern->sk,
// bpf_sock_ops_kern->sk, sk_msg->sk): @bpfsim/kernel's RunCtx with the socket. SockRunCtx
// is the cgroup sock and sock_addr hooks' (the runner adds its bpf_cg_run_ctx), and the base
// of SockOpsRunCtx (tcp_call_bpf()'s callbacks) and of @bpfsim/sockmap's SK_MSG context.
// The socket helpers (sock-helpers.ts, sock-ops.ts) find these with instanceof.
import type { Process } from '@bpfsim/kernel';
import { RunCtx } from '@bpfsim/kernel';
import type { ExecContext } from '@bpfsim/vm';
import type { Sock } from '../sock/sock';

/** A program run for a socket, on behalf of `process` (the socket's owner for the cgroup
 * hooks): the socket's host is the helpers' network namespace. */
export class SockRunCtx extends RunCtx {
  constructor(
    public sock: Sock,
    process: Process | undefined,
  ) {
    super(sock.host.kernel, process);
  }

  /** Ready for a run for `sock` (a socket of the same host). */
  reuseFor(sock: Sock, process: Process | undefined): this {
    this.sock = sock;
    this.reuse(process);
    return this;
  }
}

/** A sock_ops callback's run (struct bpf_sock_ops_kern's op and the socket's callback flags). */
export class SockOpsRunCtx extends SockRunCtx {
  constructor(
    sock: Sock,
    process: Process | undefined,
    /** enum bpf_sock_ops_op of the callback (ctx->op). */
    readonly op: number,
    /** Sets the socket's callback flags (bpf_sock_ops_cb_flags_set). */
    readonly setCbFlags: (flags: number) => void,
  ) {
    super(sock, process);
  }
}

/** The socket the running program was run for, if it was run for one. */
export function runSock(run: ExecContext): Sock | undefined {
  const c = run.env;
  return c instanceof SockRunCtx ? c.sock : undefined;
}
