// Public API of @bpfsim/sockmap: SOCKMAP/SOCKHASH maps and the SK_MSG program type.
// installSockmap(kernel) plugs them into a kernel (each simulated host's).
import { BPF_MAP_TYPE } from '@bpfsim/isa';
import type { Kernel } from '@bpfsim/kernel';
import { registerSockmapAttach } from './attach';
import { SK_MSG_ENTRY } from './sk-msg';
import { installSkMsgHelpers } from './sk-msg-helpers';
import { sockmapState } from './sk-msg-run';
import { SockHash, SockMap, sockMapAllocCheck } from './sock-map';

export { SK_MSG, SK_MSG_ENTRY, SK_MSG_MD_FIELDS, SK_DROP, SK_PASS } from './sk-msg';
export { SockMap, SockHash, SockMapBase, sockMapAllocCheck } from './sock-map';
export { Psock, sockPsock, psockStats } from './psock';
export type { SockMapProgs, PsockStats, PsockLink, PsockEval } from './psock';
export { SOCKMAP_ATTACH, registerSockmapAttach } from './attach';
export { SockmapState, sockmapState, skMsgSendmsg, onMsgVerdict, onMsgDisposition, corkedBytes, takeIngress, MAX_MSG_FRAGS, MSG_ELEM_SIZE, BPF_F_INGRESS } from './sk-msg-run';
export { installSkMsgHelpers, SK_MSG_HELPERS } from './sk-msg-helpers';
export type { Transport, MsgVerdictEvent, MsgDispositionEvent, SkMsg, SkMsgSendOptions } from './sk-msg-run';

/** Registers the sockmap map types, the SK_MSG program type and its attach target. */
import { installSockOpsHelpers } from './sock-ops-helpers';

export function installSockmap(kernel: Kernel): void {
  kernel.mapTypes.register(BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKMAP, {
    name: 'sockmap',
    check: (attr) => sockMapAllocCheck(attr, false),
    create: (host, spec) => new SockMap(host, spec),
  });
  kernel.mapTypes.register(BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKHASH, {
    name: 'sockhash',
    check: (attr) => sockMapAllocCheck(attr, true),
    create: (host, spec) => new SockHash(host, spec),
  });
  kernel.progTypes.register(SK_MSG_ENTRY);
  sockmapState(kernel);
  installSkMsgHelpers(kernel);
  installSockOpsHelpers(kernel);
  registerSockmapAttach();
}
