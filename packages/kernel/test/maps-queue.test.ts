// Queue, stack and bloom filter maps: keyless maps driven by push/pop/peek.
import fc from 'fast-check';
import type { BloomFilterMap, QueueStackMap } from '../src';
import { BPF_F_ZERO_SEED } from '../src';
import { MT, Sys, errno, neg, readU32, u32 } from './maps-helpers';

const q = (type: number, max = 3) => ({ map_type: type, key_size: 0, value_size: 4, max_entries: max });

/** XDP: pops (or peeks) into a u32; returns result << 8 | value's low byte. */
const popProg = (op: 'pop' | 'peek') => `*(u32 *)(r10 - 4) = 0x77
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  call bpf_map_${op}_elem
  r0 &= 0xff
  r0 <<= 8
  r1 = *(u32 *)(r10 - 4)
  r1 &= 0xff
  r0 |= r1
  exit`;
const pushProg = (v: number, flags: number) => `*(u32 *)(r10 - 4) = ${v}
  r1 = map[idx:0] ll
  r2 = r10
  r2 += -4
  r3 = ${flags}
  call bpf_map_push_elem
  exit`;

describe('queues and stacks', () => {
  test('FIFO and LIFO from user space: UPDATE pushes, LOOKUP peeks, LOOKUP_AND_DELETE pops', () => {
    for (const [type, order] of [
      [MT.BPF_MAP_TYPE_QUEUE, [1, 2, 3]],
      [MT.BPF_MAP_TYPE_STACK, [3, 2, 1]],
    ] as const) {
      const s = new Sys();
      const fd = s.create(q(type));
      for (const v of [1, 2, 3]) s.update(fd, null, u32(v));
      expect(readU32(s.lookup(fd, null))).toBe(order[0]);
      expect(s.map<QueueStackMap>(fd).length).toBe(3);
      expect([0, 1, 2].map(() => readU32(s.lookupAndDelete(fd, null)))).toEqual(order);
      expect(errno(() => s.lookupAndDelete(fd, null))).toBe('ENOENT');
    }
  });

  test('full: E2BIG, or BPF_EXIST drops the oldest', () => {
    const s = new Sys();
    const fd = s.create(q(MT.BPF_MAP_TYPE_QUEUE, 2));
    s.update(fd, null, u32(1));
    s.update(fd, null, u32(2));
    expect(errno(() => s.update(fd, null, u32(3)))).toBe('E2BIG');
    s.update(fd, null, u32(3), 2);
    expect([readU32(s.lookupAndDelete(fd, null)), readU32(s.lookupAndDelete(fd, null))]).toEqual([2, 3]);
  });

  test('no keys: a key is EINVAL, delete and GET_NEXT_KEY are EINVAL; flags checked', () => {
    const s = new Sys();
    const fd = s.create(q(MT.BPF_MAP_TYPE_STACK));
    expect(errno(() => s.update(fd, u32(0), u32(1)))).toBe('EINVAL');
    expect(errno(() => s.delete(fd, null))).toBe('EINVAL');
    expect(errno(() => s.next(fd, null))).toBe('EINVAL');
    expect(errno(() => s.update(fd, null, u32(1), 1))).toBe('EINVAL');
    expect(errno(() => s.lookupAndDelete(fd, null, 1))).toBe('EINVAL');
    expect(errno(() => s.create({ ...q(MT.BPF_MAP_TYPE_QUEUE), key_size: 4 }))).toBe('EINVAL');
  });

  test('programs push, pop and peek; an empty pop zeroes the buffer and fails -ENOENT', () => {
    const s = new Sys();
    const fd = s.create(q(MT.BPF_MAP_TYPE_QUEUE, 1));
    const pop = s.prog(popProg('pop'), [fd]);
    expect(s.run(s.prog(pushProg(9, 0), [fd]))).toBe(0);
    expect(s.run(s.prog(pushProg(8, 0), [fd]))).toBe(neg(7));
    expect(s.run(s.prog(pushProg(7, 2), [fd]))).toBe(0);
    expect(s.run(s.prog(popProg('peek'), [fd]))).toBe(7);
    expect(s.run(pop)).toBe(7);
    expect(s.run(pop)).toBe(((neg(2) & 0xff) << 8) | 0);
  });

  test('behaves as a bounded deque', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 })), { maxLength: 60 }), (stack, ops) => {
        const s = new Sys();
        const fd = s.create(q(stack ? MT.BPF_MAP_TYPE_STACK : MT.BPF_MAP_TYPE_QUEUE, 4));
        const model: number[] = [];
        for (const [op, v] of ops) {
          if (op <= 1) {
            const full = model.length === 4;
            const r = errno(() => s.update(fd, null, u32(v), op === 1 ? 2 : 0));
            if (full && op === 0) expect(r).toBe('E2BIG');
            else {
              expect(r).toBeUndefined();
              if (full) model.shift();
              model.push(v);
            }
          } else {
            const want = stack ? model[model.length - 1] : model[0];
            const get = (): number => readU32(op === 2 ? s.lookup(fd, null) : s.lookupAndDelete(fd, null));
            if (want === undefined) expect(errno(get)).toBe('ENOENT');
            else {
              expect(get()).toBe(want);
              if (op === 3) {
                if (stack) model.pop();
                else model.shift();
              }
            }
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('bloom filters', () => {
  const bloom = (extra = 0n, flags = BPF_F_ZERO_SEED) => ({ map_type: MT.BPF_MAP_TYPE_BLOOM_FILTER, key_size: 0, value_size: 4, max_entries: 100, map_flags: flags, map_extra: extra });
  const test_ = (s: Sys, fd: number, v: number): string | undefined => errno(() => s.bpf(1, { map_fd: fd, key: null, value: u32(v) }));

  test('no false negatives; LOOKUP_ELEM takes the value as input', () => {
    const s = new Sys();
    const fd = s.create(bloom());
    for (let i = 0; i < 50; i++) s.update(fd, null, u32(i * 31));
    for (let i = 0; i < 50; i++) expect(test_(s, fd, i * 31)).toBeUndefined();
    const fp = [...Array(1000).keys()].filter((i) => test_(s, fd, 100000 + i) === undefined).length;
    expect(fp).toBeLessThan(100);
  });

  test('geometry: map_extra hash functions (default 5), bits rounded to a power of two', () => {
    const s = new Sys();
    const m = s.map<BloomFilterMap>(s.create(bloom()));
    expect([m.hashes, m.bits]).toEqual([5, 1024]);
    const m3 = s.map<BloomFilterMap>(s.create({ ...bloom(3n), max_entries: 4 }));
    expect([m3.hashes, m3.bits]).toEqual([3, 64]);
    expect(errno(() => s.create(bloom(16n)))).toBe('EINVAL');
  });

  test('programs push and peek', () => {
    const s = new Sys();
    const fd = s.create(bloom());
    expect(s.run(s.prog(pushProg(5, 0), [fd]))).toBe(0);
    expect(s.run(s.prog(pushProg(5, 1), [fd]))).toBe(neg(22));
    const peek = (v: number): number => s.run(s.prog(`*(u32 *)(r10 - 4) = ${v}\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call bpf_map_peek_elem\n exit`, [fd]));
    expect(peek(5)).toBe(0);
    expect(peek(6)).toBe(neg(2));
  });

  test('no deletes, no keys', () => {
    const s = new Sys();
    const fd = s.create(bloom());
    expect(errno(() => s.delete(fd, null))).toBe('EOPNOTSUPP');
    expect(errno(() => s.next(fd, null))).toBe('EOPNOTSUPP');
    expect(errno(() => s.lookupAndDelete(fd, null))).toBe('ENOTSUPP');
  });
});
