// The built-in map types (include/linux/bpf_types.h's BPF_MAP_TYPE lines for the maps of
// kernel/bpf/); their helpers are in the kernel's table from helpers/builtin.ts. The Kernel
// constructor calls registerBuiltinMaps(); SOCKMAP/SOCKHASH register from their own module. (The map commands of
// bpf() are MAP_COMMANDS in commands.ts, in every kernel's table: bpf-commands.ts.)
import type { Kernel } from '../kernel';
import { M } from './flags';
import { ARRAY_OPS, PERCPU_ARRAY_OPS } from './array-map';
import { HASH_OPS, LRU_HASH_OPS, LRU_PERCPU_HASH_OPS, PERCPU_HASH_OPS } from './hash-map';
import { PROG_ARRAY_OPS } from './prog-array';
import { PERF_EVENT_ARRAY_OPS } from './perf-event-array';
import { ARRAY_OF_MAPS_OPS, HASH_OF_MAPS_OPS } from './map-in-map';
import { QUEUE_OPS, STACK_OPS } from './queue-stack';
import { RINGBUF_OPS } from './ringbuf';
import { BLOOM_FILTER_OPS } from './bloom-filter';
import { STACK_TRACE_OPS } from './stack-map';

/** Registers the map types with `kernel`. */
export function registerBuiltinMaps(kernel: Kernel): void {
  const r = kernel.mapTypes;
  r.register(M.BPF_MAP_TYPE_HASH, HASH_OPS);
  r.register(M.BPF_MAP_TYPE_ARRAY, ARRAY_OPS);
  r.register(M.BPF_MAP_TYPE_PROG_ARRAY, PROG_ARRAY_OPS);
  r.register(M.BPF_MAP_TYPE_PERF_EVENT_ARRAY, PERF_EVENT_ARRAY_OPS);
  r.register(M.BPF_MAP_TYPE_PERCPU_HASH, PERCPU_HASH_OPS);
  r.register(M.BPF_MAP_TYPE_PERCPU_ARRAY, PERCPU_ARRAY_OPS);
  r.register(M.BPF_MAP_TYPE_LRU_HASH, LRU_HASH_OPS);
  r.register(M.BPF_MAP_TYPE_LRU_PERCPU_HASH, LRU_PERCPU_HASH_OPS);
  r.register(M.BPF_MAP_TYPE_ARRAY_OF_MAPS, ARRAY_OF_MAPS_OPS);
  r.register(M.BPF_MAP_TYPE_HASH_OF_MAPS, HASH_OF_MAPS_OPS);
  r.register(M.BPF_MAP_TYPE_QUEUE, QUEUE_OPS);
  r.register(M.BPF_MAP_TYPE_STACK, STACK_OPS);
  r.register(M.BPF_MAP_TYPE_RINGBUF, RINGBUF_OPS);
  r.register(M.BPF_MAP_TYPE_BLOOM_FILTER, BLOOM_FILTER_OPS);
  r.register(M.BPF_MAP_TYPE_STACK_TRACE, STACK_TRACE_OPS);
}

export { ArrayMap } from './array-map';
export { HashMap } from './hash-map';
export { BpfLru } from './lru';
export type { LruListName } from './lru';
export { ProgArrayMap } from './prog-array';
export type { ProgArrayOwner } from './prog-array';
export { PerfEvent, PerfEventArrayMap, BPF_F_CURRENT_CPU } from './perf-event-array';
export type { PerfSample } from './perf-event-array';
export { ArrayOfMapsMap, HashOfMapsMap, InnerMapMeta } from './map-in-map';
export { QueueStackMap } from './queue-stack';
export { RingbufMap, BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './ringbuf';
export type { RingbufRecord } from './ringbuf';
export { BloomFilterMap } from './bloom-filter';
export { jhash } from './jhash';
export { MAP_MEMORY_LIMIT } from './errors';
export { mapFdMode } from './commands';
export type { MapCreateCmdAttr, MapElemAttr, MapFreezeAttr } from './commands';
export type { BuiltinMapTypeOps, MapAllocContext } from './ops';
