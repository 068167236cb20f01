// Hash maps: flags, full maps, iteration order (bucket order, newest first), per-CPU
// values, values in VM memory, and a model check against a plain Map.
import fc from 'fast-check';
import { BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, HashMap, jhash } from '../src';
import { HashTable } from '../src/maps/hash-table';
import { MT, Sys, errno, hash, neg, readU32, readU64, u32, u64 } from './maps-helpers';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('jhash', () => {
  test('lookup3 hashlittle test vectors (jhash is hashlittle)', () => {
    const s = new TextEncoder().encode('Four score and seven years ago');
    expect(jhash(s, 0, s.length, 0)).toBe(0x17770551);
    expect(jhash(s, 0, s.length, 1)).toBe(0xcd628161);
    expect(jhash(new Uint8Array(0), 0, 0, 0)).toBe(0xdeadbeef);
  });
  test('an offset hashes the bytes from there', () => {
    const b = Uint8Array.of(9, 9, 1, 2, 3, 4, 5);
    expect(jhash(b, 2, 5, 7)).toBe(jhash(Uint8Array.of(1, 2, 3, 4, 5), 0, 5, 7));
  });
});

describe('HashTable', () => {
  test('buckets are roundup_pow_of_two(max_entries); chains put the newest first', () => {
    const t = new HashTable(4, 5, 8, 0);
    expect(t.nBuckets).toBe(8);
    // Keys that share a bucket: iterate the chain newest first.
    const keys = [...Array(64).keys()].map(u32).filter((k) => (t.hash(k) & 7) === (t.hash(u32(0)) & 7)).slice(0, 3);
    keys.forEach((k, i) => t.linkHead(i, k, 0, t.hash(k)));
    expect([...t.slots()]).toEqual([2, 1, 0]);
    expect(t.unlink(1)).toBe(true);
    expect(t.unlink(1)).toBe(false);
    expect([...t.slots()]).toEqual([2, 0]);
  });
});

describe('hash map syscalls', () => {
  test('BPF_ANY / BPF_NOEXIST / BPF_EXIST', () => {
    const s = new Sys();
    const fd = s.create(hash());
    expect(errno(() => s.update(fd, u32(1), u64(1), 2))).toBe('ENOENT');
    expect(s.update(fd, u32(1), u64(1), 1)).toBe(0);
    expect(errno(() => s.update(fd, u32(1), u64(2), 1))).toBe('EEXIST');
    expect(s.update(fd, u32(1), u64(3), 2)).toBe(0);
    expect(s.update(fd, u32(1), u64(4), 0)).toBe(0);
    expect(readU64(s.lookup(fd, u32(1)))).toBe(4n);
    expect(errno(() => s.update(fd, u32(1), u64(5), 3))).toBe('EINVAL');
    expect(errno(() => s.update(fd, u32(1), u64(5), 4))).toBe('EINVAL');
  });

  test('a full map refuses new keys with E2BIG but updates existing ones', () => {
    for (const flags of [0, BPF_F_NO_PREALLOC]) {
      const s = new Sys();
      const fd = s.create(hash({ max_entries: 3, map_flags: flags }));
      for (let i = 0; i < 3; i++) s.update(fd, u32(i), u64(i));
      expect(errno(() => s.update(fd, u32(9), u64(9)))).toBe('E2BIG');
      for (let r = 0; r < 10; r++) expect(s.update(fd, u32(1), u64(100 + r))).toBe(0);
      expect(readU64(s.lookup(fd, u32(1)))).toBe(109n);
      s.delete(fd, u32(0));
      expect(s.update(fd, u32(9), u64(9))).toBe(0);
      expect(s.map<HashMap>(fd).count).toBe(3);
    }
  });

  test('GET_NEXT_KEY walks buckets in order; a missing key starts over; ENOENT at the end', () => {
    const s = new Sys();
    const fd = s.create(hash({ max_entries: 8, map_flags: BPF_F_ZERO_SEED }));
    const t = s.map<HashMap>(fd).table;
    const keys = [5, 17, 3, 42, 8].map(u32);
    for (const k of keys) s.update(fd, k, u64(0));
    // The expected order: by bucket (jhash & 7), newest first within one.
    const expected = keys
      .map((k, i) => ({ k, b: jhash(k, 0, 4, 0) & 7, i }))
      .sort((x, y) => x.b - y.b || y.i - x.i)
      .map((e) => hex(e.k));
    expect(s.keys(fd).map(hex)).toEqual(expected);
    expect(hex(s.next(fd, u32(999)))).toBe(expected[0]);
    expect(errno(() => s.next(fd, Buffer.from(expected[4]!, 'hex')))).toBe('ENOENT');
    expect(t.count).toBe(5);
  });

  test('an update moves the key to the head of its bucket (a new element replaces the old)', () => {
    const s = new Sys();
    const fd = s.create(hash({ max_entries: 1, map_flags: BPF_F_ZERO_SEED }));
    const fd2 = s.create(hash({ max_entries: 2, map_flags: BPF_F_ZERO_SEED }));
    // Two keys in the one bucket of a 2-entry map (n_buckets 2): find a colliding pair.
    const a = u32(1);
    let b = u32(2);
    for (let i = 2; (jhash(b, 0, 4, 0) & 1) !== (jhash(a, 0, 4, 0) & 1); i++) b = u32(i);
    s.update(fd2, a, u64(1));
    s.update(fd2, b, u64(2));
    expect(s.keys(fd2).map(hex)).toEqual([hex(b), hex(a)]);
    s.update(fd2, a, u64(3));
    expect(s.keys(fd2).map(hex)).toEqual([hex(a), hex(b)]);
    expect(s.keys(fd)).toEqual([]);
  });

  test('lookup-and-delete returns the value and removes the key', () => {
    const s = new Sys();
    const fd = s.create(hash());
    s.update(fd, u32(1), u64(77));
    expect(readU64(s.lookupAndDelete(fd, u32(1)))).toBe(77n);
    expect(errno(() => s.lookupAndDelete(fd, u32(1)))).toBe('ENOENT');
    expect(errno(() => s.lookupAndDelete(fd, u32(1), 4))).toBe('EINVAL');
  });

  test('keys of any size', () => {
    const s = new Sys();
    const fd = s.create(hash({ key_size: 13, value_size: 1 }));
    const k = Uint8Array.from({ length: 13 }, (_, i) => i * 7);
    s.update(fd, k, Uint8Array.of(5));
    expect(s.lookup(fd, k)).toEqual(Uint8Array.of(5));
    k[12]! ^= 1;
    expect(errno(() => s.lookup(fd, k))).toBe('ENOENT');
  });
});

describe('hash maps and programs', () => {
  const lookupAdd = `*(u32 *)(r10 - 4) = 1
    r1 = map[idx:0] ll
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto miss
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = *(u64 *)(r0 + 0)
    exit
  miss:
    r0 = 0xdead
    exit`;

  test('a program updates the value in VM memory in place, atomically', () => {
    const s = new Sys();
    const fd = s.create(hash());
    const p = s.prog(lookupAdd, [fd]);
    expect(s.run(p)).toBe(0xdead);
    s.update(fd, u32(1), u64(41));
    expect(s.run(p)).toBe(42);
    expect(s.run(p)).toBe(43);
    expect(readU64(s.lookup(fd, u32(1)))).toBe(43n);
  });

  test('the value a program found stays the old one when the key is replaced (extra elements)', () => {
    const s = new Sys();
    const fd = s.create(hash());
    s.update(fd, u32(1), u64(5));
    const m = s.map<HashMap>(fd);
    const a = m.lookupElem(u32(1))!;
    const before = { ...a };
    s.update(fd, u32(1), u64(6));
    const old = s.k.memory.resolve(before.hi, before.lo, 8)!;
    expect(readU64(old.region.bytes, old.offset)).toBe(5n);
    const now = m.lookupElem(u32(1))!;
    expect(now.lo === before.lo && now.hi === before.hi).toBe(false);
  });

  test('program updates and deletes return -errno', () => {
    const s = new Sys();
    const fd = s.create(hash({ max_entries: 1 }));
    const upd = (key: number, flags: number): number =>
      s.run(
        s.prog(
          `*(u32 *)(r10 - 4) = ${key}
           *(u64 *)(r10 - 16) = 9
           r1 = map[idx:0] ll
           r2 = r10
           r2 += -4
           r3 = r10
           r3 += -16
           r4 = ${flags}
           call bpf_map_update_elem
           exit`,
          [fd],
        ),
      );
    expect(upd(1, 2)).toBe(neg(2));
    expect(upd(1, 0)).toBe(0);
    expect(upd(1, 1)).toBe(neg(17));
    expect(upd(2, 0)).toBe(neg(7));
    expect(upd(1, 4)).toBe(neg(22));
    const del = s.prog(`*(u32 *)(r10 - 4) = 1\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call bpf_map_delete_elem\n exit`, [fd]);
    expect(s.run(del)).toBe(0);
    expect(s.run(del)).toBe(neg(2));
  });

  test('per-CPU hash: a program sees and changes the value of the CPU it runs on', () => {
    const s = new Sys({ cpus: 4 });
    const fd = s.create(hash({ map_type: MT.BPF_MAP_TYPE_PERCPU_HASH }));
    const v = new Uint8Array(32);
    for (let c = 0; c < 4; c++) v.set(u64(10 * c), 8 * c);
    s.update(fd, u32(1), v);
    const p = s.prog(lookupAdd, [fd]);
    s.k.cpu = 2;
    expect(s.run(p)).toBe(21);
    s.k.cpu = 0;
    expect(s.run(p)).toBe(1);
    const out = s.lookup(fd, u32(1));
    expect([0, 1, 2, 3].map((c) => readU64(out, 8 * c))).toEqual([1n, 10n, 21n, 30n]);
    // bpf_map_lookup_percpu_elem reads any CPU's value; CPUs past the last give NULL.
    const m = s.map<HashMap>(fd);
    const a = m.lookupPercpuElem(u32(1), 3)!;
    const r = s.k.memory.resolve(a.hi, a.lo, 8)!;
    expect(readU64(r.region.bytes, r.offset)).toBe(30n);
    expect(m.lookupPercpuElem(u32(1), 4)).toBeNull();
  });

  test('per-CPU hash: a new element from a program zeroes the other CPUs', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(hash({ map_type: MT.BPF_MAP_TYPE_PERCPU_HASH, max_entries: 1 }));
    s.update(fd, u32(1), Uint8Array.from({ length: 16 }, () => 0xff));
    s.delete(fd, u32(1));
    s.k.cpu = 1;
    expect(s.map(fd).updateElem(u32(2), u64(5), 0)).toBe(0);
    const out = s.lookup(fd, u32(2));
    expect([readU64(out, 0), readU64(out, 8)]).toEqual([0n, 5n]);
  });
});

describe('model check', () => {
  type Op = { op: 'update'; k: number; v: number; flags: number } | { op: 'delete'; k: number } | { op: 'lookup'; k: number };
  const op = fc.oneof(
    fc.record({ op: fc.constant('update' as const), k: fc.integer({ min: 0, max: 12 }), v: fc.integer({ min: 0, max: 1000 }), flags: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('delete' as const), k: fc.integer({ min: 0, max: 12 }) }),
    fc.record({ op: fc.constant('lookup' as const), k: fc.integer({ min: 0, max: 12 }) }),
  );

  test.each([
    ['hash', 0],
    ['hash NO_PREALLOC', BPF_F_NO_PREALLOC],
  ])('%s behaves as a bounded dictionary', (_name, flags) => {
    fc.assert(
      fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 80 }), (ops) => {
        const s = new Sys();
        const fd = s.create(hash({ max_entries: 6, value_size: 4, map_flags: flags }));
        const model = new Map<number, number>();
        for (const o of ops) {
          if (o.op === 'update') {
            const has = model.has(o.k);
            const want = o.flags === 3 ? 'EINVAL' : has && o.flags === 1 ? 'EEXIST' : !has && o.flags === 2 ? 'ENOENT' : !has && model.size >= 6 ? 'E2BIG' : undefined;
            expect(errno(() => s.update(fd, u32(o.k), u32(o.v), o.flags))).toBe(want);
            if (!want) model.set(o.k, o.v);
          } else if (o.op === 'delete') {
            expect(errno(() => s.delete(fd, u32(o.k)))).toBe(model.has(o.k) ? undefined : 'ENOENT');
            model.delete(o.k);
          } else if (model.has(o.k)) expect(readU32(s.lookup(fd, u32(o.k)))).toBe(model.get(o.k));
          else expect(errno(() => s.lookup(fd, u32(o.k)))).toBe('ENOENT');
        }
        expect(s.keys(fd).map((k) => readU32(k)).sort((a, b) => a - b)).toEqual([...model.keys()].sort((a, b) => a - b));
      }),
      { numRuns: 150 },
    );
  });
});
