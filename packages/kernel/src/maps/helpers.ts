// Map helpers beyond lookup/update/delete (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c,
// net/core/filter.c): bpf_map_push_elem, bpf_map_pop_elem, bpf_map_peek_elem,
// bpf_map_lookup_percpu_elem and bpf_perf_event_output, with their prototypes.
import type { ExecContext, Helper } from '@bpfsim/vm';
import type { BpfFuncProto } from '../helpers/func-proto';
import { helper } from '../helpers/func-proto';
import { mapArg, memArg } from '../helpers/generic';
import { runCtxOf } from '../helpers/run-ctx';
import { PerfEventArrayMap, BPF_F_CTXLEN_MASK, BPF_F_INDEX_MASK } from './perf-event-array';

const EINVAL = 22;
const EFAULT = 14;

/** A flags argument as one number; bits above 31 fold into bit 30, which no op accepts. */
const flagsArg = (run: ExecContext, i: number): number => (run.argHi(i) ? 0x40000000 : 0) | (run.argLo(i) >>> 0);

/** bpf_map_push_elem(map, value, flags) */
const mapPushElem: Helper = (run) => {
  const map = mapArg(run, 1);
  run.retInt(map.pushElem(memArg(run, 2, map.valueSize), flagsArg(run, 3)));
};

/** bpf_map_pop_elem(map, value) / bpf_map_peek_elem(map, value): into the program's buffer. */
function popPeek(pop: boolean): Helper {
  return (run) => {
    const map = mapArg(run, 1);
    const r = run.argMem(2, map.valueSize, true);
    const out = r.region.bytes.subarray(r.offset, r.offset + map.valueSize);
    run.retInt(pop ? map.popElem(out) : map.peekElem(out));
  };
}

/** bpf_map_lookup_percpu_elem(map, key, cpu) */
const mapLookupPercpuElem: Helper = (run) => {
  const map = mapArg(run, 1);
  const addr = map.lookupPercpuElem(memArg(run, 2, map.keySize), run.argU32(3));
  if (addr) run.ret(addr.hi, addr.lo);
  else run.ret(0, 0);
};

/**
 * The packet bytes bpf_skb_event_output / bpf_xdp_event_output append when the upper 32
 * bits of flags ask for them: the socket filter's skb, or the XDP packet between data and
 * data_end. Undefined when the program's ctx has no packet (bpf_event_output_data takes no
 * ctx length: -EINVAL).
 */
function ctxPacket(run: ExecContext): Uint8Array | undefined {
  if (run.skbData) return run.skbData.bytes;
  const ctx = run.argPtr(1, 0)?.region;
  if (ctx?.kind !== 'ctx' || ctx.name !== 'xdp_md' || !ctx.access) return undefined;
  const d = new Int32Array(2);
  const e = new Int32Array(2);
  if (!ctx.access.load(0, 4, d) || !ctx.access.load(4, 4, e)) return undefined;
  const start = run.memory.resolve(d[1]!, d[0]!, 0);
  if (!start) return undefined;
  const len = (e[0]! - d[0]!) | 0;
  return start.region.bytes.subarray(start.offset, start.offset + Math.max(0, len));
}

/** bpf_perf_event_output(ctx, map, flags, data, size) */
const perfEventOutput: Helper = (run) => {
  const map = mapArg(run, 2);
  if (!(map instanceof PerfEventArrayMap)) throw run.failArgs('R2 is not a perf event array');
  const flags = run.arg(3);
  const size = run.argU32(5);
  const data = size ? memArg(run, 4, size) : new Uint8Array(0);
  const ctxLen = Number((flags & BPF_F_CTXLEN_MASK) >> 32n);
  const packet = ctxPacket(run);
  let sample = data;
  if (packet) {
    if (flags & ~(BPF_F_CTXLEN_MASK | BPF_F_INDEX_MASK)) return run.retInt(-EINVAL);
    if (ctxLen > packet.length) return run.retInt(-EFAULT);
    if (ctxLen) {
      sample = new Uint8Array(data.length + ctxLen);
      sample.set(data);
      sample.set(packet.subarray(0, ctxLen), data.length);
    }
  } else if (flags & ~BPF_F_INDEX_MASK) return run.retInt(-EINVAL);
  run.retInt(map.output(runCtxOf(run).cpu, flags, sample));
};

export const MAP_HELPERS: readonly BpfFuncProto[] = [
  helper('map_push_elem', ['map', 'map_value', 'any'], 'integer', mapPushElem, { pktAccess: true }),
  helper('map_pop_elem', ['map', 'map_value_uninit'], 'integer', popPeek(true)),
  helper('map_peek_elem', ['map', 'map_value_uninit'], 'integer', popPeek(false)),
  helper('map_lookup_percpu_elem', ['map', 'map_key', 'any'], 'map_value_or_null', mapLookupPercpuElem, { pktAccess: true }),
  helper('perf_event_output', ['ctx', 'map', 'any', 'mem_ro', 'size_or_zero'], 'integer', perfEventOutput, { gplOnly: true }),
];
