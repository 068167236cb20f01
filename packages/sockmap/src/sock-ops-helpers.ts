// The sockmap helpers of SOCK_OPS programs (net/core/sock_map.c): bpf_sock_map_update() and
// bpf_sock_hash_update() put the socket the callback runs for into a sockmap or sockhash —
// how sockmap is filled in practice, at BPF_SOCK_OPS_ACTIVE/PASSIVE_ESTABLISHED_CB.
import { ERRNO, SysError } from '@bpfsim/isa';
import type { BpfFuncProto, Kernel } from '@bpfsim/kernel';
import { SOCK_HELPER_PROTOS, implement } from '@bpfsim/kernel';
import { SOCK_DGRAM, SOCK_STREAM, SockOpsRunCtx } from '@bpfsim/net';
import type { Helper } from '@bpfsim/vm';
import { SockMapBase } from './sock-map';

/** sock_map_op_okay(): the callbacks at which a socket may be added. */
const OK_OPS = new Set([4 /* ACTIVE_ESTABLISHED_CB */, 5 /* PASSIVE_ESTABLISHED_CB */, 11 /* TCP_LISTEN_CB */]);

/**
 * bpf_sock_map_update(skops, map, key, flags) / bpf_sock_hash_update(skops, map, &key, flags):
 * -EOPNOTSUPP outside the allowed callbacks or for a socket a sockmap cannot hold; then
 * sock_map_update_common()'s errno (EEXIST, ENOENT, E2BIG, EBUSY…), or 0.
 */
const sockMapUpdate: Helper = (run) => {
  const env = run.env instanceof SockOpsRunCtx ? run.env : undefined;
  const map = run.argPtr(2, 0)?.region.object;
  if (!(map instanceof SockMapBase)) throw run.failArgs('R2 is not a sockmap or sockhash');
  const k = run.argMem(3, map.keySize);
  const key = k.region.bytes.slice(k.offset, k.offset + map.keySize);
  const sk = env?.sock;
  const suitable = sk && (sk.type === SOCK_STREAM || sk.type === SOCK_DGRAM);
  if (!sk || !suitable || !OK_OPS.has(env?.op ?? -1)) return run.retInt(-ERRNO.EOPNOTSUPP);
  try {
    map.updateSock(key, sk, Number(run.arg(4)));
    run.retInt(0);
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    run.retInt(-e.errno);
  }
};

/** bpf_sock_map_update and bpf_sock_hash_update, with the prototypes the kernel declares. */
export const SOCK_OPS_MAP_HELPERS: readonly BpfFuncProto[] = [implement(SOCK_HELPER_PROTOS.sock_map_update, sockMapUpdate), implement(SOCK_HELPER_PROTOS.sock_hash_update, sockMapUpdate)];

export function installSockOpsHelpers(kernel: Kernel): void {
  kernel.helpers.register(SOCK_OPS_MAP_HELPERS);
}
