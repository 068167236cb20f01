// The ring buffer helpers (kernel/bpf/ringbuf.c): bpf_ringbuf_output, bpf_ringbuf_reserve,
// bpf_ringbuf_submit, bpf_ringbuf_discard and bpf_ringbuf_query, with their prototypes. The
// verifier has checked the map type, the constant reserve size and that every reservation
// is released once.
import type { Helper } from '@bpfsim/vm';
import type { BpfFuncProto } from './func-proto';
import { helper } from './func-proto';
import { mapArg, memArg } from './generic';
import { RingbufMap } from '../maps/ringbuf';

/** The ring buffer behind a map argument. */
function ringbufArg(run: Parameters<Helper>[0], i: number): RingbufMap {
  const map = mapArg(run, i);
  if (!(map instanceof RingbufMap)) throw run.failArgs(`R${i} is not a ring buffer map`);
  return map;
}

/** The flags argument, as a number with bits above 31 folded in (any of them is invalid). */
const flagsArg = (run: Parameters<Helper>[0], i: number): number => (run.argHi(i) ? 0x40000000 : 0) | (run.argLo(i) >>> 0);

/** bpf_ringbuf_output(map, data, size, flags): 0, -EINVAL (flags) or -EAGAIN (no room). */
const ringbufOutput: Helper = (run) => {
  const rb = ringbufArg(run, 1);
  const size = run.argU32(3);
  if (run.argHi(3)) return run.retInt(-11);
  run.retInt(rb.output(memArg(run, 2, size), flagsArg(run, 4)));
};

/** bpf_ringbuf_reserve(map, size, flags): a pointer to the sample, or NULL. */
const ringbufReserve: Helper = (run) => {
  const rb = ringbufArg(run, 1);
  if (run.argLo(3) || run.argHi(3) || run.argHi(2)) return run.ret(0, 0);
  const off = rb.reserve(run.argU32(2));
  if (off < 0) return run.ret(0, 0);
  run.ret(rb.data.hi, rb.sampleAddress(off).lo);
};

/** bpf_ringbuf_submit/discard(sample, flags): the sample's ring is found from its memory. */
function commit(discard: boolean): Helper {
  return (run) => {
    const r = run.argPtr(1, 0);
    const rb = r?.region.object;
    if (!r || r.region.kind !== 'ringbuf' || !(rb instanceof RingbufMap)) throw run.failArgs('R1 is not ring buffer memory');
    rb.commit(r.offset, flagsArg(run, 2), discard);
    run.retInt(0);
  };
}

/** bpf_ringbuf_query(map, flags) */
const ringbufQuery: Helper = (run) => {
  run.retU64(ringbufArg(run, 1).query(run.arg(2)));
};

/** bpf_ringbuf_*_proto */
export const RINGBUF_HELPERS: readonly BpfFuncProto[] = [
  helper('ringbuf_output', ['map', 'mem_ro', 'size_or_zero', 'any'], 'integer', ringbufOutput),
  helper('ringbuf_reserve', ['map', 'alloc_size_or_zero', 'any'], 'ringbuf_mem_or_null', ringbufReserve, { acquires: true }),
  helper('ringbuf_submit', ['ringbuf_mem_release', 'any'], 'void', commit(false)),
  helper('ringbuf_discard', ['ringbuf_mem_release', 'any'], 'void', commit(true)),
  helper('ringbuf_query', ['map', 'any'], 'integer', ringbufQuery),
];
