// bpf_get_attach_cookie() from a raw tracepoint program: the cookie its link was opened with
// (BPF_RAW_TRACEPOINT_OPEN's cookie, struct bpf_trace_run_ctx), per link.
import { BPF_CMD, assemble } from '@bpfsim/isa';
import { Kernel, bpf, fireTracepoint } from '../src';

const PROG = `
  r6 = r1
  call bpf_get_attach_cookie
  r7 = r0
  r1 = 0
  *(u32 *)(r10 - 4) = r1
  r2 = r10
  r2 += -4
  r1 = map[idx:0] ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = *(u64 *)(r0 + 0)
  r1 += r7
  *(u64 *)(r0 + 0) = r1
out:
  r0 = 0
  exit`;

test('each link\'s cookie reaches its run; the value is the sum of both links\' cookies', () => {
  const k = new Kernel();
  const p = k.spawn({ comm: 'tracer' });
  const mapFd = bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: 2, key_size: 4, value_size: 8, max_entries: 1 });
  const prog = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: 17, insns: assemble(PROG).insns, fd_array: [mapFd], license: 'GPL' });
  bpf(k, p, BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, { name: 'sys_enter', prog_fd: prog, cookie: 0x1000_0000_0005n });
  bpf(k, p, BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, { name: 'sys_enter', prog_fd: prog, cookie: 7 });
  fireTracepoint(k, 'sys_enter', [0, 1], p);
  const a = { map_fd: mapFd, key: new Uint8Array(4), value: new Uint8Array(8) };
  bpf(k, p, BPF_CMD.BPF_MAP_LOOKUP_ELEM, a);
  expect(new DataView(a.value.buffer).getBigUint64(0, true)).toBe(0x1000_0000_000cn);
});
