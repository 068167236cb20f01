// BPF_PROG_TYPE_TRACEPOINT's ctx rules (tp_prog_is_valid_access), with the answers Linux
// 6.18 gave for the same bytecode (loaded with scripts/kernel/bpfsys.py as root).
import { BPF_CMD, BPF_PROG_TYPE, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import type { ProgLoadAttr } from '../src';
import { Kernel, bpf } from '../src';

const TP = BPF_PROG_TYPE.BPF_PROG_TYPE_TRACEPOINT;
const EXIT0 = 'b700000000000000 9500000000000000';

/** [case, first insn, Linux's errno or 'ok', Linux's log line ('' when it loads)] */
const CASES: [string, string, string, string][] = [
  ['u64 at 0 (the common fields)', '7910000000000000', 'EACCES', 'invalid bpf_context access off=0 size=8'],
  ['u64 at 8', '7910080000000000', 'ok', ''],
  ['u32 at 12', '61100c0000000000', 'ok', ''],
  ['u32 at 10 (misaligned)', '61100a0000000000', 'EACCES', 'invalid bpf_context access off=10 size=4'],
  ['u64 at 8184 (the last word)', '7910f81f00000000', 'ok', ''],
  ['u64 at 8192 (PERF_MAX_TRACE_SIZE)', '7910002000000000', 'EACCES', 'invalid bpf_context access off=8192 size=8'],
  ['a store to the record', '7a01100000000000', 'EACCES', 'invalid bpf_context access off=16 size=8'],
];

describe('tracepoint programs: the record is read-only, from offset 8, aligned', () => {
  test.each(CASES)('%s', (_name, first, errno, line) => {
    const k = new Kernel();
    const p = k.spawn({ comm: 'loader' });
    const attr: ProgLoadAttr = { prog_type: TP, insns: decode(parseHexBytes(`${first} ${EXIT0}`, 'prog'), { validate: false }), license: 'GPL', log_level: 1, log_size: 1 << 16 };
    try {
      bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr);
      expect(errno).toBe('ok');
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      expect(e.code).toBe(errno);
      expect(attr.log_buf).toContain(`${line}\n`);
    }
  });
});
