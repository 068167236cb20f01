// BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array set by
// map_extra & 0xf (default 5) jhash functions of the value. Push adds a value; peek (and
// LOOKUP_ELEM, whose value is then an input) answers "maybe present" (0) or ENOENT.
import { SysError } from '@bpfsim/isa';
import type { MapCreateAttr, MapHost, MapSpec, VmAddress } from './map';
import { BPF_ANY, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED, BpfMap } from './map';
import { BPF_F_ACCESS_MASK, accessOk } from './flags';
import { EINVAL, ENOENT, EOPNOTSUPP, check } from './errors';
import { jhash } from './jhash';
import type { BuiltinMapTypeOps } from './ops';

const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const KMALLOC_MAX_SIZE = 1 << 22;
/** Bit arrays larger than this are kept sparse (a 2^32-bit filter is 512 MiB in Linux). */
const DENSE_BITS = 1 << 27;

/** bloom_map_alloc(): nr_hash_funcs and the bitset size. */
export function bloomGeometry(maxEntries: number, extra: bigint): { hashes: number; bits: number } {
  const hashes = Number(extra) || 5;
  let nrBits = maxEntries * hashes;
  let overflow = nrBits > 0xffffffff;
  if (!overflow) {
    nrBits = Math.floor(nrBits / 5) * 7;
    overflow = nrBits > 0xffffffff || nrBits > 2 ** 31;
  }
  if (overflow) return { hashes, bits: 2 ** 32 };
  if (nrBits <= 64) return { hashes, bits: 64 };
  let p = 1;
  while (p < nrBits) p *= 2;
  return { hashes, bits: p };
}

export class BloomFilterMap extends BpfMap {
  readonly hashes: number;
  readonly bits: number;
  private readonly mask: number;
  private readonly seed: number;
  private readonly dense: Uint32Array | null;
  private readonly sparse: Map<number, number> | null;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
    const g = bloomGeometry(spec.maxEntries, spec.extra);
    this.hashes = g.hashes;
    this.bits = g.bits;
    this.mask = (g.bits - 1) >>> 0;
    this.seed = spec.flags & BPF_F_ZERO_SEED ? 0 : (host.prandomU32?.() ?? 0);
    this.dense = g.bits <= DENSE_BITS ? new Uint32Array(g.bits / 32) : null;
    this.sparse = this.dense ? null : new Map();
  }

  private hash(value: Uint8Array, i: number): number {
    return (jhash(value, 0, this.valueSize, (this.seed + i) | 0) & this.mask) >>> 0;
  }

  private test(bit: number): boolean {
    const w = bit >>> 5;
    const word = this.dense ? this.dense[w]! : (this.sparse!.get(w) ?? 0);
    return ((word >>> (bit & 31)) & 1) === 1;
  }

  private set(bit: number): void {
    const w = bit >>> 5;
    if (this.dense) this.dense[w] = this.dense[w]! | (1 << (bit & 31));
    else this.sparse!.set(w, (this.sparse!.get(w) ?? 0) | (1 << (bit & 31)));
  }

  /** bloom_map_push_elem() */
  override pushElem(value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    for (let i = 0; i < this.hashes; i++) this.set(this.hash(value, i));
    return 0;
  }

  /** bloom_map_peek_elem(): 0 when every bit of the value is set. */
  override peekElem(value: Uint8Array): number {
    for (let i = 0; i < this.hashes; i++) if (!this.test(this.hash(value, i))) return -ENOENT;
    return 0;
  }

  override popElem(_out: Uint8Array): number {
    return -EOPNOTSUPP;
  }

  /** BPF_MAP_LOOKUP_ELEM: the value is an input; ENOENT when it is surely absent. */
  contains(value: Uint8Array): void {
    check(this.peekElem(value), 'the value is not in the bloom filter');
  }

  lookup(_key: Uint8Array, _flags: number): Uint8Array {
    throw new SysError('EINVAL', 'a bloom filter lookup takes the value to test (BloomFilterMap.contains)');
  }

  /** UPDATE_ELEM pushes. */
  update(_key: Uint8Array, value: Uint8Array, flags: number): void {
    check(this.pushElem(value, flags), 'bloom filter push');
  }

  delete(_key: Uint8Array): void {
    throw new SysError('EOPNOTSUPP', 'values cannot be taken out of a bloom filter');
  }

  getNextKey(_key: Uint8Array | null): Uint8Array {
    throw new SysError('EOPNOTSUPP', 'a bloom filter has no keys');
  }

  lookupElem(_key: Uint8Array): VmAddress | null {
    return null;
  }
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number): number {
    return -EINVAL;
  }
  deleteElem(_key: Uint8Array): number {
    return -EOPNOTSUPP;
  }

  protected freeMemory(): void {}
}

export const BLOOM_FILTER_OPS: BuiltinMapTypeOps = {
  name: 'bloom_filter',
  check(attr: MapCreateAttr) {
    if (attr.value_size > KMALLOC_MAX_SIZE) throw new SysError('E2BIG', `value_size ${attr.value_size} is too large`);
  },
  allocCheck(spec, _host, ctx) {
    if (spec.keySize !== 0 || spec.valueSize === 0 || spec.maxEntries === 0 || ctx.mapFlags & ~BLOOM_CREATE_FLAG_MASK || !accessOk(ctx.mapFlags) || spec.extra & ~0xfn) {
      throw new SysError('EINVAL', 'a bloom filter takes key_size 0, value_size > 0, max_entries > 0 and at most 15 hash functions');
    }
  },
  create: (host, spec) => new BloomFilterMap(host, spec),
};
