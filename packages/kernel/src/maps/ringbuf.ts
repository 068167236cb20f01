// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a power-of-two, page-multiple byte ring
// that programs fill (bpf_ringbuf_reserve/submit/discard, bpf_ringbuf_output) and user
// space drains (the consumer API below, what libbpf's ring_buffer__consume does over the
// mmap()ed ring). Records carry Linux's 8-byte header: len with the BUSY and DISCARD bits,
// and pg_off. Positions only grow; the offset in the ring is pos & mask.
//
// Linux maps the data pages twice in a row so a record that wraps is contiguous. Here the
// data region is twice the ring: a record reserved near the end spills into the second
// half, and committing it copies the spill to the start, where readers find it.
import { SysError } from '@bpfsim/isa';
import type { Region } from '@bpfsim/vm';
import { REGION_LO_BASE } from '@bpfsim/vm';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { BPF_F_NUMA_NODE, BpfMap } from './map';
import { checkMemory, checkRegion } from './errors';
import type { BuiltinMapTypeOps } from './ops';

export const PAGE_SIZE = 4096;
export const BPF_RINGBUF_BUSY_BIT = 0x80000000;
export const BPF_RINGBUF_DISCARD_BIT = 0x40000000;
export const BPF_RINGBUF_HDR_SZ = 8;
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
/** RINGBUF_MAX_RECORD_SZ */
const RINGBUF_MAX_RECORD_SZ = Math.floor(0xffffffff / 4);
/** Pages before the data (the non-mmapable page, consumer and producer pages). */
const RINGBUF_NR_META_PAGES = 3;

/** A record user space read (libbpf's ring_buffer sample callback gets its data). */
export interface RingbufRecord {
  data: Uint8Array;
  /** Position of the record's header. */
  pos: number;
}

export class RingbufMap extends BpfMap {
  /** Data bytes (max_entries). */
  readonly size: number;
  private readonly mask: number;
  /** The data, twice over in length (see above). */
  readonly data: Region;
  consumerPos = 0;
  producerPos = 0;
  private pendingPos = 0;
  /** Wake-ups the kernel would have sent to pollers (irq_work_queue in bpf_ringbuf_commit). */
  notifications = 0;
  /** Called on each wake-up (in Linux it is deferred to irq_work; here it is synchronous). */
  onNotify?: (rb: RingbufMap) => void;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    this.size = spec.maxEntries;
    this.mask = this.size - 1;
    this.data = host.memory.alloc(2 * this.size, { kind: 'ringbuf', name: `ringbuf ${spec.name || ''}`.trim(), object: this });
  }

  private get view(): DataView {
    return this.data.view;
  }

  /** __bpf_ringbuf_reserve(): the offset of the sample in `data`, or -1. */
  reserve(size: number): number {
    if (size > RINGBUF_MAX_RECORD_SZ) return -1;
    const len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    if (len > this.size) return -1;
    const cons = this.consumerPos;
    let pend = this.pendingPos;
    const prod = this.producerPos;
    const newProd = prod + len;
    while (pend < prod) {
      const hdrLen = this.view.getUint32(pend & this.mask, true);
      if (hdrLen & BPF_RINGBUF_BUSY_BIT) break;
      pend += (((hdrLen & ~BPF_RINGBUF_DISCARD_BIT) >>> 0) + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    }
    this.pendingPos = pend;
    if (newProd - cons > this.mask || newProd - pend > this.mask) return -1;
    const off = prod & this.mask;
    this.view.setUint32(off, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    // pg_off: the header's page counted from the start of struct bpf_ringbuf.
    this.view.setUint32(off + 4, RINGBUF_NR_META_PAGES + Math.floor(off / PAGE_SIZE), true);
    this.producerPos = newProd;
    return off + BPF_RINGBUF_HDR_SZ;
  }

  /** The address of a sample reserved at `off`. */
  sampleAddress(off: number): VmAddress {
    return { hi: this.data.hi, lo: (REGION_LO_BASE + off) | 0 };
  }

  /** bpf_ringbuf_commit(): submit or discard the sample at offset `off` of `data`. */
  commit(off: number, flags: number, discard: boolean): void {
    const hdr = off - BPF_RINGBUF_HDR_SZ;
    const len = this.view.getUint32(hdr, true);
    const size = (len & ~BPF_RINGBUF_BUSY_BIT) >>> 0;
    // A sample that ran past the end of the ring: its tail goes to the start.
    const end = off + size;
    if (end > this.size) this.data.bytes.copyWithin(0, this.size, end);
    let newLen = (len ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) newLen = (newLen | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    this.view.setUint32(hdr, newLen, true);
    const consOff = this.consumerPos & this.mask;
    if (flags & BPF_RB_FORCE_WAKEUP || (consOff === hdr && !(flags & BPF_RB_NO_WAKEUP))) this.notify();
  }

  private notify(): void {
    this.notifications++;
    this.onNotify?.(this);
  }

  /** bpf_ringbuf_output(): 0, -EINVAL for unknown flags, -EAGAIN when full. */
  output(data: Uint8Array, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -22;
    const off = this.reserve(data.length);
    if (off < 0) return -11;
    this.data.bytes.set(data, off);
    this.commit(off, flags, false);
    return 0;
  }

  /** bpf_ringbuf_query() */
  query(flags: bigint): bigint {
    switch (flags) {
      case BigInt(BPF_RB_AVAIL_DATA):
        return BigInt(this.producerPos - this.consumerPos);
      case BigInt(BPF_RB_RING_SIZE):
        return BigInt(this.size);
      case BigInt(BPF_RB_CONS_POS):
        return BigInt(this.consumerPos);
      case BigInt(BPF_RB_PROD_POS):
        return BigInt(this.producerPos);
      default:
        return 0n;
    }
  }

  /** Bytes produced and not yet consumed. */
  get available(): number {
    return this.producerPos - this.consumerPos;
  }

  // ---- the user-space consumer (libbpf ringbuf_process_ring) --------------------------------

  /**
   * Reads committed records from the consumer position on, stopping at the first one still
   * being written; discarded records are skipped. Each record's data goes to `cb` (a copy)
   * and the consumer position moves past it. `cb` returning false stops after that record.
   * Returns the records delivered.
   */
  consume(cb?: (record: RingbufRecord) => boolean | void, max = Infinity): number {
    let n = 0;
    while (this.consumerPos < this.producerPos && n < max) {
      const pos = this.consumerPos;
      const off = pos & this.mask;
      const len = this.view.getUint32(off, true);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      const size = (len & ~BPF_RINGBUF_DISCARD_BIT) >>> 0;
      this.consumerPos = pos + ((size + BPF_RINGBUF_HDR_SZ + 7) & ~7);
      if (len & BPF_RINGBUF_DISCARD_BIT) continue;
      n++;
      if (cb && cb({ data: this.read(off + BPF_RINGBUF_HDR_SZ, size), pos }) === false) break;
    }
    return n;
  }

  /** All records ready now, consumed. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((r) => void out.push(r.data));
    return out;
  }

  /** `size` bytes of the ring from offset `off`, wrapping. */
  private read(off: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    const start = off & this.mask;
    const first = Math.min(size, this.size - start);
    out.set(this.data.bytes.subarray(start, start + first));
    if (first < size) out.set(this.data.bytes.subarray(0, size - first), first);
    return out;
  }

  // ---- map ops: rings have no elements --------------------------------------------------------

  lookup(_key: Uint8Array, _flags: number): Uint8Array {
    throw new SysError('ENOTSUPP', 'ring buffers have no elements to look up');
  }
  update(_key: Uint8Array, _value: Uint8Array, _flags: number): void {
    throw new SysError('ENOTSUPP', 'ring buffers have no elements to update');
  }
  delete(_key: Uint8Array): void {
    throw new SysError('ENOTSUPP', 'ring buffers have no elements to delete');
  }
  getNextKey(_key: Uint8Array | null): Uint8Array {
    throw new SysError('ENOTSUPP', 'ring buffers have no keys');
  }
  lookupElem(_key: Uint8Array): VmAddress | null {
    return null;
  }
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -524;
  }
  deleteElem(_key: Uint8Array): number {
    return -524;
  }

  protected freeMemory(): void {
    this.host.memory.unmap(this.data);
  }
}

/** ringbuf_map_alloc()'s checks (there is no map_alloc_check: they run after the
 * privilege check). */
function ringbufAllocCheck(spec: MapSpec, mapFlags: number): void {
  if (mapFlags & ~BPF_F_NUMA_NODE) throw new SysError('EINVAL', 'ring buffers take no map_flags but BPF_F_NUMA_NODE');
  const n = spec.maxEntries;
  if (spec.keySize || spec.valueSize || !(n > 0 && Number.isInteger(Math.log2(n))) || n % PAGE_SIZE) {
    throw new SysError('EINVAL', 'a ring buffer takes key_size 0, value_size 0 and a power-of-two multiple of the page size as max_entries');
  }
  checkMemory(n, `a ring buffer of ${n} bytes`);
  checkRegion(2 * n, `a ring buffer of ${n} bytes (mapped twice over)`);
}

export const RINGBUF_OPS: BuiltinMapTypeOps = {
  name: 'ringbuf',
  check(_attr: MapCreateAttr) {},
  allocCheck: (spec, _host, ctx) => ringbufAllocCheck(spec, ctx.mapFlags),
  create: (host, spec) => new RingbufMap(host, spec),
};
