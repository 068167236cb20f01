// Programs on a sockmap (net/core/sock_map.c: sock_map_get_from_fd(), sock_map_prog_detach(),
// sock_map_bpf_prog_query(), sock_map_prog_update()): BPF_PROG_ATTACH with the map's fd as
// target puts an SK_MSG program in the map's msg_parser slot, replacing what was there (no
// flags, no multi); sockets inserted afterwards pick it up.
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, SysError } from '@bpfsim/isa';
import type { AttachTarget, BpfProg, Kernel, ProgAttachAttr, ProgQueryAttr, Process } from '@bpfsim/kernel';
import { fdMap, fdProg, registerAttachTarget } from '@bpfsim/kernel';
import { SockMapBase } from './sock-map';

/** sock_map_progs(): the map's program slots, or EOPNOTSUPP when it is not a sockmap. */
function progsOf(proc: Process, fd: number): SockMapBase {
  const map = fdMap(proc, fd);
  if (!(map instanceof SockMapBase)) throw new SysError('EOPNOTSUPP', `map fd ${fd} is not a sockmap or sockhash`);
  return map;
}

function slotCheck(attachType: number): void {
  if (attachType !== BPF_ATTACH_TYPE.BPF_SK_MSG_VERDICT) throw new SysError('EOPNOTSUPP', `bpfsim models the SK_MSG verdict slot only (attach type ${attachType})`);
}

export const SOCKMAP_ATTACH: AttachTarget = {
  attach(_kernel: Kernel, proc: Process, attr: ProgAttachAttr, prog: BpfProg): void {
    if (attr.attach_flags || attr.replace_bpf_fd) throw new SysError('EINVAL', 'a sockmap takes no attach_flags or replace_bpf_fd');
    const map = progsOf(proc, attr.target_fd);
    slotCheck(attr.attach_type);
    const old = map.progs.msgParser;
    map.progs.msgParser = prog.get();
    old?.put();
  },
  detach(_kernel: Kernel, proc: Process, attr: ProgAttachAttr, progType: number): void {
    if (attr.attach_flags || attr.replace_bpf_fd) throw new SysError('EINVAL', 'a sockmap takes no attach_flags or replace_bpf_fd');
    const map = fdMap(proc, attr.target_fd);
    const prog = fdProg(proc, attr.attach_bpf_fd);
    if (prog.type !== progType) throw new SysError('EINVAL', `fd ${attr.attach_bpf_fd} is not an SK_MSG program`);
    if (!(map instanceof SockMapBase)) throw new SysError('EOPNOTSUPP', `map fd ${attr.target_fd} is not a sockmap or sockhash`);
    slotCheck(attr.attach_type);
    // psock_replace_prog(): only the attached program comes off.
    if (map.progs.msgParser !== prog) throw new SysError('ENOENT', 'that program is not attached to this map');
    map.progs.msgParser = null;
    prog.put();
  },
  query(_kernel: Kernel, proc: Process, attr: ProgQueryAttr): void {
    if (attr.query_flags) throw new SysError('EINVAL', 'a sockmap query takes no flags');
    const map = progsOf(proc, attr.target_fd);
    slotCheck(attr.attach_type);
    const ids = map.progs.msgParser ? [map.progs.msgParser.id] : [];
    const room = attr.prog_cnt ?? 0;
    if (attr.prog_ids && room) attr.prog_ids.splice(0, attr.prog_ids.length, ...ids.slice(0, room));
    attr.prog_cnt = ids.length;
    attr.attach_flags = 0;
  },
};

/** Hooks SK_MSG programs into BPF_PROG_ATTACH / DETACH / QUERY (once per process). */
export function registerSockmapAttach(): void {
  registerAttachTarget(BPF_PROG_TYPE.BPF_PROG_TYPE_SK_MSG, SOCKMAP_ATTACH);
}
