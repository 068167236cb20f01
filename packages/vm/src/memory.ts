// The address space programs see. Every piece of memory a program may touch (a stack
// frame, its ctx, packet data, a map's values, a ring buffer) is a Region; a 64-bit address
// is (hi, lo) with hi naming the region and lo the offset plus a fixed base:
//
//   hi = REGION_HI_BASE + region id       (0xff000000 + id: looks like a kernel pointer)
//   lo = REGION_LO_BASE + offset          (0x40000000 + offset)
//
// Region sizes stay below MAX_REGION_SIZE, so an offset window never comes near a 32-bit
// wrap: adding a 16-bit instruction offset to any address either stays in the same hi or
// leaves every valid window. That lets both engines check an access with int32 arithmetic
// and give exactly the result a full 64-bit computation would.

export const REGION_HI_BASE = 0xff000000 | 0;
export const REGION_LO_BASE = 0x40000000;
export const MAX_REGION_SIZE = 0x40000000 - 0x10000;
/** Region ids available (hi from 0xff000000 to 0xffffffff). */
export const MAX_REGIONS = 1 << 24;

export type RegionKind = 'stack' | 'ctx' | 'packet' | 'map' | 'map-value' | 'mem' | 'ringbuf' | 'rodata';

/**
 * How a ctx region's fields read and write when they are not plain bytes: the kernel
 * rewrites ctx accesses (convert_ctx_access) so that, say, `xdp_md->data` (a u32 field)
 * yields a full packet pointer. `load` returns false for offsets it does not handle, which
 * then read as plain bytes.
 */
export interface FieldAccess {
  /** Writes the loaded value into out[0] (lo) and out[1] (hi). */
  load(offset: number, size: number, out: Int32Array): boolean;
  /** Stores (lo, hi) at a field; false for offsets that store as plain bytes. */
  store?(offset: number, size: number, lo: number, hi: number): boolean;
}

export interface RegionOptions {
  kind: RegionKind;
  name?: string;
  writable?: boolean;
  /** The kernel object this memory belongs to (a map, a socket…); opaque to the VM. */
  object?: unknown;
  access?: FieldAccess | null;
}

export class Region {
  readonly hi: number;
  readonly size: number;
  readonly view: DataView;
  readonly kind: RegionKind;
  name: string;
  object: unknown;
  /**
   * The sizes the JIT's fast paths may read and write directly: `size` for plain memory,
   * 0 where every access must take the slow path (field hooks; stores to read-only memory).
   */
  rsz = 0;
  wsz = 0;
  private _writable = true;
  private _access: FieldAccess | null = null;

  constructor(
    readonly id: number,
    readonly bytes: Uint8Array,
    options: RegionOptions,
  ) {
    this.hi = (REGION_HI_BASE + id) | 0;
    this.size = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.kind = options.kind;
    this.name = options.name ?? options.kind;
    this.object = options.object ?? null;
    this._writable = options.writable ?? true;
    this._access = options.access ?? null;
    this.updateFastSizes();
  }

  get writable(): boolean {
    return this._writable;
  }
  set writable(w: boolean) {
    this._writable = w;
    this.updateFastSizes();
  }
  get access(): FieldAccess | null {
    return this._access;
  }
  set access(a: FieldAccess | null) {
    this._access = a;
    this.updateFastSizes();
  }

  private updateFastSizes(): void {
    this.rsz = this._access ? 0 : this.size;
    this.wsz = this._access || !this._writable ? 0 : this.size;
  }

  /** The low 32 bits of the address of `offset` (the high 32 bits are `hi`). */
  lo(offset = 0): number {
    return (REGION_LO_BASE + offset) | 0;
  }

  /** The 64-bit address of `offset`, unsigned. */
  address(offset = 0): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt((REGION_LO_BASE + offset) >>> 0);
  }
}

/** The result of resolving an access: a region and the offset in it. */
export interface Resolved {
  region: Region;
  offset: number;
}

/** One address space: regions by id, with ids reused after unmap. */
export class Memory {
  /** Indexed by region id; holes are unmapped ids. Engines read this array directly. */
  readonly regions: (Region | undefined)[] = [];
  private readonly freeIds: number[] = [];

  /** Maps existing bytes (they are shared, not copied). */
  map(bytes: Uint8Array, options: RegionOptions): Region {
    if (bytes.length > MAX_REGION_SIZE) throw new RangeError(`region of ${bytes.length} bytes is larger than ${MAX_REGION_SIZE}`);
    const id = this.freeIds.pop() ?? this.regions.length;
    if (id >= MAX_REGIONS) throw new RangeError('address space exhausted');
    const region = new Region(id, bytes, options);
    this.regions[id] = region;
    return region;
  }

  /** Maps `size` new zeroed bytes. */
  alloc(size: number, options: RegionOptions): Region {
    return this.map(new Uint8Array(size), options);
  }

  unmap(region: Region): void {
    if (this.regions[region.id] !== region) return;
    this.regions[region.id] = undefined;
    this.freeIds.push(region.id);
  }

  /** The region holding hi:lo, when `size` bytes from there lie inside it. */
  resolve(hi: number, lo: number, size: number): Resolved | undefined {
    const region = this.regions[(hi - REGION_HI_BASE) >>> 0];
    if (region === undefined) return undefined;
    const offset = (lo >>> 0) - REGION_LO_BASE;
    if (offset < 0 || offset + size > region.size) return undefined;
    return { region, offset };
  }

  /** resolve() for a 64-bit address given as a BigInt. */
  resolveAddress(address: bigint, size: number): Resolved | undefined {
    const a = BigInt.asUintN(64, address);
    return this.resolve(Number(BigInt.asIntN(32, a >> 32n)), Number(BigInt.asIntN(32, a)), size);
  }
}

/** hi:lo (int32 halves) as an unsigned 64-bit BigInt. */
export const toU64 = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** Exact 64-bit sum of hi:lo and a signed offset, as an unsigned BigInt (fault reports). */
export const addressOf = (hi: number, lo: number, off: number): bigint => BigInt.asUintN(64, toU64(hi, lo) + BigInt(off));
