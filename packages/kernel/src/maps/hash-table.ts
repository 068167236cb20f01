// The bucket structure of kernel/bpf/hashtab.c: roundup_pow_of_two(max_entries) buckets,
// jhash(key, hashrnd) picks one, each bucket a list with the newest element first
// (hlist_nulls_add_head_rcu). Elements are numbered slots; the owner (the hash map or its
// LRU) decides which slot an element uses. No allocation per lookup: keys live in one
// byte array, chains in Int32Arrays.
//
// Iteration (htab_map_get_next_key) walks buckets in index order and each chain head
// first, as Linux does; with BPF_F_ZERO_SEED the order is exactly Linux's.
import { jhashInt } from './jhash';
import { copyBytes } from './value-store';

/** Buckets per page of the bucket array (pages are made when a bucket in them is used). */
const PAGE_SHIFT = 12;
const PAGE_MASK = (1 << PAGE_SHIFT) - 1;

export class HashTable {
  readonly nBuckets: number;
  private readonly bucketMask: number;
  /** First slot of each bucket, -1 when empty; in pages of 4096 buckets, made on first use,
   * so a large sparse table costs little and iteration skips empty pages. */
  private readonly pages: (Int32Array | undefined)[];
  /** Next slot in the chain, -1 at the end. */
  private next: Int32Array;
  /** Each slot's hash (l->hash). */
  private hashes: Int32Array;
  /** Each slot's key, keySize bytes apiece. */
  private keys: Uint8Array;
  /** Elements linked into buckets. */
  count = 0;

  constructor(
    readonly keySize: number,
    maxEntries: number,
    /** Slots the table may use. */
    readonly capacity: number,
    readonly seed: number,
    /** Slots to make room for up front (grown by doubling later). */
    initialSlots = Math.min(capacity, 64),
  ) {
    let n = 1;
    while (n < maxEntries) n *= 2;
    this.nBuckets = n;
    this.bucketMask = n - 1;
    this.pages = new Array<Int32Array | undefined>(Math.ceil(n / (PAGE_MASK + 1))).fill(undefined);
    const s = Math.max(1, initialSlots);
    this.next = new Int32Array(s);
    this.hashes = new Int32Array(s);
    this.keys = new Uint8Array(s * keySize);
  }

  /** The first slot of bucket b, -1 when empty. */
  private head(b: number): number {
    const page = this.pages[b >>> PAGE_SHIFT];
    return page === undefined ? -1 : page[b & PAGE_MASK]!;
  }

  private setHead(b: number, slot: number): void {
    let page = this.pages[b >>> PAGE_SHIFT];
    if (page === undefined) this.pages[b >>> PAGE_SHIFT] = page = new Int32Array(Math.min(PAGE_MASK + 1, this.nBuckets)).fill(-1);
    page[b & PAGE_MASK] = slot;
  }

  /** htab_map_hash() */
  hash(key: Uint8Array, off = 0): number {
    return jhashInt(key, off, this.keySize, this.seed);
  }

  /** Makes slot `slot` usable (the arrays grow by doubling). */
  ensureSlot(slot: number): void {
    if (slot < this.next.length) return;
    let n = this.next.length;
    while (n <= slot) n *= 2;
    n = Math.min(n, this.capacity);
    const next = new Int32Array(n);
    next.set(this.next);
    this.next = next;
    const hashes = new Int32Array(n);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const keys = new Uint8Array(n * this.keySize);
    keys.set(this.keys);
    this.keys = keys;
  }

  /** lookup_elem_raw(): the slot holding `key` (keySize bytes at key[off]), or -1. */
  find(key: Uint8Array, off: number, hash: number): number {
    const ks = this.keySize;
    const keys = this.keys;
    const next = this.next;
    const hashes = this.hashes;
    for (let s = this.head(hash & this.bucketMask); s >= 0; s = next[s]!) {
      if (hashes[s] !== hash) continue;
      const base = s * ks;
      let i = 0;
      while (i < ks && keys[base + i] === key[off + i]) i++;
      if (i === ks) return s;
    }
    return -1;
  }

  /** Stores the key of `slot` and puts it at the head of its bucket. */
  linkHead(slot: number, key: Uint8Array, off: number, hash: number): void {
    this.ensureSlot(slot);
    copyBytes(this.keys, slot * this.keySize, key, off, this.keySize);
    this.hashes[slot] = hash;
    const b = hash & this.bucketMask;
    this.next[slot] = this.head(b);
    this.setHead(b, slot);
    this.count++;
  }

  /** hlist_nulls_del_rcu(): takes `slot` out of its bucket; false if it is not linked. */
  unlink(slot: number): boolean {
    const b = this.hashes[slot]! & this.bucketMask;
    let prev = -1;
    for (let s = this.head(b); s >= 0; prev = s, s = this.next[s]!) {
      if (s !== slot) continue;
      if (prev < 0) this.setHead(b, this.next[s]!);
      else this.next[prev] = this.next[s]!;
      this.next[s] = -1;
      this.count--;
      return true;
    }
    return false;
  }

  /** The key stored in `slot` (a copy). */
  keyOf(slot: number): Uint8Array {
    return this.keys.slice(slot * this.keySize, (slot + 1) * this.keySize);
  }

  /** htab_map_get_next_key(): the slot after `key`'s, or the first slot when `key` is
   * null or absent; -1 after the last. */
  nextSlot(key: Uint8Array | null): number {
    let i = 0;
    if (key) {
      const h = this.hash(key);
      const s = this.find(key, 0, h);
      if (s >= 0) {
        const n = this.next[s]!;
        if (n >= 0) return n;
        i = (h & this.bucketMask) + 1;
      }
    }
    while (i < this.nBuckets) {
      const page = this.pages[i >>> PAGE_SHIFT];
      if (page === undefined) {
        i = ((i >>> PAGE_SHIFT) + 1) << PAGE_SHIFT;
        continue;
      }
      const s = page[i & PAGE_MASK]!;
      if (s >= 0) return s;
      i++;
    }
    return -1;
  }

  /** Every linked slot in iteration order. */
  *slots(): IterableIterator<number> {
    for (let b = 0; b < this.nBuckets; b++) {
      if (this.pages[b >>> PAGE_SHIFT] === undefined) {
        b = (((b >>> PAGE_SHIFT) + 1) << PAGE_SHIFT) - 1;
        continue;
      }
      for (let s = this.head(b); s >= 0; s = this.next[s]!) yield s;
    }
  }
}
