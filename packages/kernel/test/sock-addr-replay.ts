// Loads a matrix case in bpfsim through bpf(), answering as probe_prog_matrix.py does.
import { BPF_CMD, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import { Kernel, bpf } from '../src';
import type { MatrixCase } from './sock-addr-cases';

const k = new Kernel();
const p = k.spawn({ comm: 'probe' });

export function replayMatrix(c: MatrixCase): string {
  if ('helper' in c) {
    const insns = `85000000${Buffer.from(new Int32Array([c.helper]).buffer).toString('hex')}b7000000010000009500000000000000`;
    const attr = { prog_type: c.progType, expected_attach_type: c.attachType, insns: decode(parseHexBytes(insns)), license: 'GPL', log_level: 1, log_size: 1 << 20, log_buf: '' };
    try {
      p.fds.close(bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr));
      return 'offered';
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      return /cannot use helper|invalid func/.test(attr.log_buf) ? 'refused' : 'offered';
    }
  }
  try {
    p.fds.close(bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: c.progType, expected_attach_type: c.attachType, insns: decode(parseHexBytes(c.insns)), license: 'GPL' }));
    return 'ok';
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
}
