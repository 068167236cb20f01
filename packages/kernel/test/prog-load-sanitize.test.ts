// What the verifier does not look at, the engines must not trip over. Linux 6.18 loads both
// programs below (checked with scripts/kernel/bpfsys.py, XDP, as root): a dead instruction
// with a reserved field set (the verifier checks reserved fields only of instructions it
// reaches; sanitize_dead_code() turns the dead ones into `ja -1`), and an exit whose off is
// not 0 (do_check does not look at exit's off). bpfsim's engines used to refuse both after
// the verifier had accepted them (a PrepareError escaped BPF_PROG_LOAD: found by the
// loader's fuzzing).
import { BPF_CMD, BPF_PROG_TYPE, decode, parseHexBytes } from '@bpfsim/isa';
import type { ProgLoadAttr, TestRunAttr } from '../src';
import { Kernel, bpf } from '../src';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;

function loadAndRun(hex: string): number {
  const k = new Kernel();
  const p = k.spawn({ comm: 'loader' });
  const attr: ProgLoadAttr = { prog_type: XDP, insns: decode(parseHexBytes(hex, 'prog'), { validate: false }), license: 'GPL' };
  const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr);
  const run: TestRunAttr = { prog_fd: fd, data_in: new Uint8Array(64), repeat: 1, data_size_out: 512 };
  bpf(k, p, BPF_CMD.BPF_PROG_TEST_RUN, run);
  return run.retval!;
}

describe('BPF_PROG_LOAD: what the verifier does not reach or read', () => {
  test('a branch-dead instruction with off=256 in an `and` loads and the program runs', () => {
    // r0 = 2; if r0 == 2 goto +1; r0 &= 0 (off=256: reserved, never reached); exit
    expect(loadAndRun('b700000002000000 1500010002000000 5700000100000000 9500000000000000')).toBe(2);
  });
  test('an exit with off = -256 loads and returns', () => {
    expect(loadAndRun('b700000002000000 950000ff00000000')).toBe(2);
  });
});
