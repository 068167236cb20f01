// Helpers that act on sockets, for programs the stack's hooks run (net/core/filter.c):
// each finds the socket in ExecContext.env.sock (SockHookEnv), which the hook put there.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { Helper } from '@bpfsim/vm';
import { BIND_FORCE_ADDRESS_NO_PORT, BIND_FROM_BPF, inetBind } from '../sock/api';
import { addrFromBytes } from '../wire/addr';
import type { Host } from '../iface/host';
import type { Sock, SockAddr } from '../sock/sock';
import { AF_INET, AF_INET6 } from '../sock/sock';

const sockOf = (env: unknown): Sock | undefined => (env as { sock?: Sock } | undefined)?.sock;
const hostOf = (env: unknown): Host | undefined => (env as { host?: Host } | undefined)?.host;

/** bpf_get_socket_cookie(ctx): the cookie of the hook's socket (sock_gen_cookie). */
export const getSocketCookie: Helper = (run) => {
  const sk = sockOf(run.env);
  run.retU64(sk ? sk.cookie() : 0n);
};

/** bpf_get_netns_cookie(ctx): the cookie of the socket's network namespace, or of the
 * current task's when ctx is NULL; bpfsim has one namespace per host. */
export const getNetnsCookie: Helper = (run) => {
  const host = sockOf(run.env)?.host ?? hostOf(run.env);
  run.retU64(host ? host.netnsCookie : 0n);
};

/**
 * bpf_bind(ctx, addr, addr_len) from a connect program: binds the connecting socket's local
 * address (and, on Linux >= 5.8, port) before the connect goes on — __inet_bind() with
 * BIND_FROM_BPF, and BIND_FORCE_ADDRESS_NO_PORT for port 0 (the port is chosen by connect).
 * Returns 0 or a negative errno for the program; the connect fails only if it returns 0.
 */
export const bpfBind: Helper = (run) => {
  const sk = sockOf(run.env);
  const host = hostOf(run.env);
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
  try {
    inetBind(host, sk, addr, family, BIND_FROM_BPF | (addr.port === 0 ? BIND_FORCE_ADDRESS_NO_PORT : 0));
    run.retInt(0);
  } catch (e) {
    if (e instanceof SysError) return run.retInt(-e.errno);
    throw e;
  }
};
