// Map values in VM memory. Values live in regions of kind 'map-value' so programs read,
// write and atomically update them in place; a region holds a power-of-two run of
// elements (a chunk of about 64 KiB), mapped the first time an element in it is used, so
// a large map costs memory only for the part that is touched. Each element is
// round_up(value_size, 8) bytes per CPU (elem_size in arraymap.c / hashtab.c); a per-CPU
// element keeps its CPUs' values side by side.
import type { Memory, Region } from '@bpfsim/vm';
import { REGION_LO_BASE } from '@bpfsim/vm';

/** Bytes a chunk region aims at. */
const CHUNK_BYTES = 64 * 1024;

/** Not `(n + 7) & ~7`: value_size is a u32, and bit operations wrap at 2^31. */
export const roundUp8 = (n: number): number => Math.ceil(n / 8) * 8;

export interface ValueStoreOptions {
  memory: Memory;
  /** Elements the store may hold. */
  capacity: number;
  valueSize: number;
  /** Values per element: the CPU count for per-CPU maps, else 1. */
  perElement: number;
  name: string;
  /** The map the values belong to (Region.object). */
  object: unknown;
  /** False for BPF_F_RDONLY_PROG maps: programs may not store (defence in depth). */
  writable: boolean;
}

export class ValueStore {
  /** round_up(value_size, 8): the distance between values. */
  readonly stride: number;
  readonly perElement: number;
  private readonly shift: number;
  private readonly mask: number;
  private readonly chunkBytes: number;
  private readonly chunks: (Region | undefined)[] = [];
  private readonly memory: Memory;
  private readonly options: ValueStoreOptions;

  constructor(options: ValueStoreOptions) {
    this.options = options;
    this.memory = options.memory;
    this.stride = roundUp8(options.valueSize);
    this.perElement = options.perElement;
    const elemBytes = this.stride * this.perElement;
    let per = 1;
    while (per * 2 * elemBytes <= CHUNK_BYTES && per < options.capacity) per *= 2;
    this.shift = Math.log2(per);
    this.mask = per - 1;
    this.chunkBytes = per * elemBytes;
  }

  /** The region holding element `i` (mapped on first use). */
  region(i: number): Region {
    const c = i >>> this.shift;
    const r = this.chunks[c];
    if (r) return r;
    const o = this.options;
    const first = c << this.shift;
    const count = Math.min(this.mask + 1, o.capacity - first);
    const region = this.memory.alloc(count * this.stride * this.perElement, {
      kind: 'map-value',
      name: `${o.name} values ${first}..${first + count - 1}`,
      writable: o.writable,
      object: o.object,
    });
    this.chunks[c] = region;
    return region;
  }

  /** The offset of element i's value for `cpu` inside region(i). */
  offset(i: number, cpu = 0): number {
    return ((i & this.mask) * this.perElement + cpu) * this.stride;
  }

  /** The low word of the address of element i's value for `cpu`. */
  lo(i: number, cpu = 0): number {
    return (REGION_LO_BASE + this.offset(i, cpu)) | 0;
  }

  /** Element i's value for `cpu` (value_size bytes, a view into VM memory). */
  value(i: number, cpu = 0, size = this.options.valueSize): Uint8Array {
    const off = this.offset(i, cpu);
    return this.region(i).bytes.subarray(off, off + size);
  }

  /** Copies the first valueSize bytes of `src` into element i's value for `cpu` without
   * making views (TypedArray.set on a fresh subarray costs more than the copy itself for
   * the small values programs update). */
  write(i: number, cpu: number, src: Uint8Array): void {
    const off = this.offset(i, cpu);
    copyBytes(this.region(i).bytes, off, src, 0, this.options.valueSize);
  }

  /** All of element i's values (stride × perElement bytes, a view). */
  element(i: number): Uint8Array {
    const off = this.offset(i, 0);
    return this.region(i).bytes.subarray(off, off + this.stride * this.perElement);
  }

  /** Whether element i's chunk has been mapped (untouched chunks read as zero). */
  mapped(i: number): boolean {
    return this.chunks[i >>> this.shift] !== undefined;
  }

  /** Unmaps every chunk (the map is freed). */
  free(): void {
    for (const r of this.chunks) if (r) this.memory.unmap(r);
    this.chunks.length = 0;
  }

  /** Bytes of VM memory mapped so far. */
  get mappedBytes(): number {
    return this.chunks.reduce((n, r) => n + (r ? r.size : 0), 0);
  }

  /** The size of a full chunk, for reports. */
  get chunkSize(): number {
    return this.chunkBytes;
  }
}

/** memcpy for the short copies maps do: a loop below 64 bytes, TypedArray.set above. */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, n: number): void {
  if (n <= 64) {
    for (let k = 0; k < n; k++) dst[dstOff + k] = src[srcOff + k]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}
