// Array and per-CPU array maps: indices, flags, values in VM memory, BPF_PSEUDO_MAP_VALUE.
import type { ArrayMap } from '../src';
import { BPF_F_MMAPABLE } from '../src';
import { MT, Sys, array, errno, readU32, readU64, u32, u64 } from './maps-helpers';

describe('array maps', () => {
  test('every index exists and starts zeroed; no inserts past max_entries, no deletes', () => {
    const s = new Sys();
    const fd = s.create(array({ max_entries: 3 }));
    expect(s.lookup(fd, u32(2))).toEqual(new Uint8Array(8));
    expect(errno(() => s.lookup(fd, u32(3)))).toBe('ENOENT');
    expect(errno(() => s.update(fd, u32(3), u64(1)))).toBe('E2BIG');
    expect(errno(() => s.update(fd, u32(0), u64(1), 1))).toBe('EEXIST');
    expect(s.update(fd, u32(0), u64(1), 2)).toBe(0);
    expect(errno(() => s.delete(fd, u32(0)))).toBe('EINVAL');
    expect(s.keys(fd).map((k) => readU32(k))).toEqual([0, 1, 2]);
    expect(readU32(s.next(fd, u32(77)))).toBe(0);
  });

  test('large arrays map their values lazily, chunk by chunk', () => {
    const s = new Sys();
    const fd = s.create(array({ max_entries: 1_000_000 }));
    const m = s.map<ArrayMap>(fd);
    expect(m.values.mappedBytes).toBe(0);
    s.update(fd, u32(500_000), u64(5));
    expect(m.values.mappedBytes).toBe(m.values.chunkSize);
    expect(readU64(s.lookup(fd, u32(500_000)))).toBe(5n);
    // The last chunk holds only what is left of the array.
    expect(readU64(s.lookup(fd, u32(999_999)))).toBe(0n);
    expect(m.values.mappedBytes).toBe(m.values.chunkSize + (1_000_000 % (m.values.chunkSize / 8)) * 8);
  });

  test('programs read and write values in place; index checks at run time', () => {
    const s = new Sys();
    const fd = s.create(array({ max_entries: 2 }));
    s.update(fd, u32(1), u64(40));
    const p = (idx: number): number =>
      s.run(
        s.prog(
          `*(u32 *)(r10 - 4) = ${idx}
           r1 = map[idx:0] ll
           r2 = r10
           r2 += -4
           call bpf_map_lookup_elem
           if r0 == 0 goto miss
           r1 = 2
           lock *(u64 *)(r0 + 0) += r1
           r0 = *(u64 *)(r0 + 0)
           exit
         miss:
           r0 = 0xdead
           exit`,
          [fd],
        ),
      );
    expect(p(1)).toBe(42);
    expect(p(2)).toBe(0xdead);
    expect(readU64(s.lookup(fd, u32(1)))).toBe(42n);
  });

  test('BPF_PSEUDO_MAP_VALUE: a one-element array\'s value by address', () => {
    const s = new Sys();
    const fd = s.create(array({ max_entries: 1, value_size: 16 }));
    s.update(fd, u32(0), Uint8Array.from({ length: 16 }, (_, i) => i));
    const p = s.prog('r1 = map[idx:0]+8 ll\n r0 = *(u32 *)(r1 + 0)\n *(u32 *)(r1 + 4) = 7\n exit', [fd]);
    expect(s.run(p)).toBe(0x0b0a0908);
    expect(readU32(s.lookup(fd, u32(0)), 12)).toBe(7);
    expect(errno(() => s.map(fd).directValueAddr(16))).toBe('EINVAL');
    expect(errno(() => s.map(s.create(array())).directValueAddr(0))).toBe('ENOTSUPP');
  });

  test('BPF_F_MMAPABLE arrays work as arrays', () => {
    const s = new Sys();
    const fd = s.create(array({ map_flags: BPF_F_MMAPABLE }));
    s.update(fd, u32(1), u64(3));
    expect(readU64(s.lookup(fd, u32(1)))).toBe(3n);
  });
});

describe('per-CPU arrays', () => {
  const pa = { map_type: MT.BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 4, max_entries: 2 };

  test('user space reads and writes all CPUs\' values, round_up(value_size, 8) bytes each', () => {
    const s = new Sys({ cpus: 3 });
    const fd = s.create(pa);
    expect(s.map(fd).syscallValueSize).toBe(24);
    const v = Uint8Array.from({ length: 24 }, (_, i) => i);
    s.update(fd, u32(0), v);
    expect(s.lookup(fd, u32(0))).toEqual(v);
    expect(errno(() => s.update(fd, u32(0), v, 1))).toBe('EEXIST');
    expect(errno(() => s.update(fd, u32(2), v))).toBe('E2BIG');
  });

  test('a program sees its CPU\'s value; bpf_map_lookup_percpu_elem any CPU\'s', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(pa);
    s.update(fd, u32(1), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    const read = s.prog(`*(u32 *)(r10 - 4) = 1\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call bpf_map_lookup_elem\n if r0 == 0 goto m\n r0 = *(u32 *)(r0 + 0)\n exit\nm:\n r0 = 99\n exit`, [fd]);
    expect(s.run(read)).toBe(1);
    s.k.cpu = 1;
    expect(s.run(read)).toBe(2);
    const other = (cpu: number): number =>
      s.run(s.prog(`*(u32 *)(r10 - 4) = 1\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n r3 = ${cpu}\n call bpf_map_lookup_percpu_elem\n if r0 == 0 goto m\n r0 = *(u32 *)(r0 + 0)\n exit\nm:\n r0 = 99\n exit`, [fd]));
    expect(other(0)).toBe(1);
    expect(other(2)).toBe(99);
  });

  test('a program update writes the running CPU\'s value only', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(pa);
    s.k.cpu = 1;
    expect(s.map(fd).updateElem(u32(0), u32(9), 0)).toBe(0);
    expect(s.map(fd).updateElem(u32(0), u32(9), 1)).toBe(-17);
    expect(s.lookup(fd, u32(0))).toEqual(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0));
  });
});
