// Replays stack map cases in bpfsim through bpf(), answering as probe_stack_map.py does.
import { BPF_CMD, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import { Kernel, bpf } from '../src';
import type { StackCreateCase, StackRunCase } from './stack-map-cases';

const errno = (e: unknown): string => {
  if (e instanceof SysError) return e.code;
  throw e;
};

export function replayCreate(c: StackCreateCase): string {
  const k = new Kernel();
  const p = k.spawn({ comm: 'probe' });
  try {
    bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: 7, key_size: c.keySize, value_size: c.valueSize, max_entries: c.maxEntries, map_flags: c.flags });
    return 'ok';
  } catch (e) {
    return errno(e);
  }
}

export function replayRun(c: StackRunCase): string | { retval: number } {
  const k = new Kernel();
  const p = k.spawn({ comm: 'probe' });
  const m = bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: 7, key_size: 4, value_size: 127 * 8, max_entries: 64 });
  let fd: number;
  try {
    fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: 17, insns: decode(parseHexBytes(c.insns)), license: 'GPL', fd_array: [m] });
  } catch (e) {
    return `load:${errno(e)}`;
  }
  const attr: { prog_fd: number; ctx_in?: Uint8Array; retval?: number } = { prog_fd: fd };
  if (c.ctxIn) attr.ctx_in = parseHexBytes(c.ctxIn);
  try {
    bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, attr);
  } catch (e) {
    return errno(e);
  }
  return { retval: attr.retval! | 0 };
}
