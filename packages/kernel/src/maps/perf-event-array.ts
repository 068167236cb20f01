// BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c, perf_event_fd_array_*) and the
// output side of bpf_perf_event_output() (kernel/trace/bpf_trace.c). In Linux a slot holds
// a perf event opened with perf_event_open(PERF_COUNT_SW_BPF_OUTPUT) on one CPU, and user
// space reads samples from its mmap()ed ring. bpfsim has no perf_event_open(): user space
// makes a PerfEvent (a queue of samples for one CPU) and puts it in a slot with
// setEvent(); BPF_MAP_UPDATE_ELEM with any bpf fd fails EBADF, as perf_event_get() does
// for a file that is not a perf event.
import { SysError } from '@bpfsim/isa';
import type { MapHost, MapSpec } from './map';
import type { FdSource } from './fd-array';
import { FdArrayMap, fdArrayMapAllocCheck } from './fd-array';
import { E2BIG, EINVAL, ENOENT, EOPNOTSUPP } from './errors';
import { arrayMapAllocSize } from './array-map';
import type { BuiltinMapTypeOps } from './ops';

export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = 0xffffffffn;
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** One PERF_RECORD_SAMPLE's raw data as a reader of the perf ring gets it. */
export interface PerfSample {
  cpu: number;
  /** The raw bytes, padded with zeros so that 4 + length is a multiple of 8 (perf_sample_save_raw_data). */
  data: Uint8Array;
}

/** A software BPF_OUTPUT perf event bound to one CPU, with its samples queued. */
export class PerfEvent {
  readonly samples: PerfSample[] = [];
  /** Called for each sample as it is written (in Linux the reader wakes up later). */
  onSample?: (sample: PerfSample) => void;

  constructor(
    readonly cpu: number,
    /** Only PERF_TYPE_SOFTWARE / PERF_COUNT_SW_BPF_OUTPUT events take BPF output. */
    readonly bpfOutput = true,
  ) {}

  /** Takes the queued samples. */
  drain(): PerfSample[] {
    return this.samples.splice(0);
  }
}

export class PerfEventArrayMap extends FdArrayMap<PerfEvent> {
  protected readonly sysLookupId = null;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
  }

  /** perf_event_get(): no fd of a simulated process is a perf event. */
  protected getPtr(fds: FdSource, fd: number): PerfEvent {
    throw new SysError('EBADF', fds.lookup(fd) ? `fd ${fd} is not a perf event` : `fd ${fd} is not open`);
  }

  protected putPtr(_ev: PerfEvent): void {}

  /** User space: puts `ev` in slot `index` (what an update with a perf event fd does). */
  setEvent(index: number, ev: PerfEvent | undefined): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.maxEntries) throw new SysError('E2BIG', `index ${index} is beyond max_entries ${this.maxEntries}`);
    this.replace(index, ev);
  }

  /**
   * __bpf_perf_event_output(): `flags`' low 32 bits pick the slot (BPF_F_CURRENT_CPU: the
   * running CPU's). Returns 0 or a negative errno.
   */
  output(cpu: number, flags: bigint, data: Uint8Array): number {
    let index = flags & BPF_F_INDEX_MASK;
    if (index === BPF_F_CURRENT_CPU) index = BigInt(cpu);
    if (index >= BigInt(this.maxEntries)) return -E2BIG;
    const ev = this.slots[Number(index)];
    if (!ev) return -ENOENT;
    if (!ev.bpfOutput) return -EINVAL;
    if (ev.cpu !== cpu) return -EOPNOTSUPP;
    const padded = new Uint8Array(((data.length + 4 + 7) & ~7) - 4);
    padded.set(data);
    const sample = { cpu, data: padded };
    ev.samples.push(sample);
    ev.onSample?.(sample);
    return 0;
  }
}

export const PERF_EVENT_ARRAY_OPS: BuiltinMapTypeOps = {
  name: 'perf_event_array',
  check: fdArrayMapAllocCheck,
  allocCheck: (spec, _host, ctx) => arrayMapAllocSize(spec, 1, ctx.perfmon),
  create: (host, spec) => new PerfEventArrayMap(host, spec),
};
