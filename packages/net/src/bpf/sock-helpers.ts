// Helpers that act on sockets, for programs the stack's hooks run (net/core/filter.c):
// each finds the socket in ExecContext.env.sock (SockHookEnv), which the hook put there.
// bpf_bind lives with the socket API it calls into (see installSockHelpers' caller).
import type { Helper } from '@bpfsim/vm';
import type { Host } from '../iface/host';
import type { Sock } from '../sock/sock';

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
