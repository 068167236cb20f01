// LRU hash maps: the bpf_lru_list model (local free/pending lists, active/inactive
// rotation, shrinking, stealing; per-CPU lists with BPF_F_NO_COMMON_LRU).
import fc from 'fast-check';
import type { HashMap } from '../src';
import { BPF_F_NO_COMMON_LRU, BpfLru } from '../src';
import { MT, Sys, errno, readU32, u32 } from './maps-helpers';

const lru = (max: number, flags = 0, type: number = MT.BPF_MAP_TYPE_LRU_HASH) => ({ map_type: type, key_size: 4, value_size: 4, max_entries: max, map_flags: flags });
const sorted = (s: Sys, fd: number): number[] => s.keys(fd).map((k) => readU32(k)).sort((a, b) => a - b);

const lookupProg = (keys: number[]): string =>
  `r6 = 0\n${keys.map((k, i) => `*(u32 *)(r10 - 4) = ${k}\n r1 = map[idx:0] ll\n r2 = r10\n r2 += -4\n call bpf_map_lookup_elem\n if r0 == 0 goto s${i}\n r6 += 1\ns${i}:`).join('\n')}\n r0 = r6\n exit`;

describe('BpfLru', () => {
  test('common LRU: free nodes in reverse order, target_free = clamp(n / cpus / 2, 1, 128)', () => {
    const l = new BpfLru(8, 2, false, () => true);
    expect(l.listNodes('free')).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(l.targetFree).toBe(2);
    expect(new BpfLru(1000, 2, false, () => true).targetFree).toBe(128);
    expect(new BpfLru(1, 4, false, () => true).targetFree).toBe(1);
  });

  test('a CPU takes target_free nodes into its local free list; new elements wait as pending', () => {
    const l = new BpfLru(8, 2, false, () => true);
    // Nodes 7 and 6 move over one by one to the head of the local list: 6 comes out first.
    expect(l.popFree(0)).toBe(6);
    expect(l.listNodes('local-free', 0)).toEqual([7]);
    expect(l.listNodes('local-pending', 0)).toEqual([6]);
    expect(l.popFree(0)).toBe(7);
    expect(l.listNodes('local-pending', 0)).toEqual([7, 6]);
    // The next pop flushes the pending nodes (oldest first) to the inactive list.
    expect(l.popFree(0)).toBe(4);
    expect(l.listNodes('inactive')).toEqual([7, 6]);
    expect(l.listNodes('local-free', 0)).toEqual([5]);
    expect(l.nodeState(4)).toEqual({ list: 'local-pending', ref: false, cpu: 0 });
  });

  test('referenced pending nodes go to the active list on flush; a push-free of pending goes local', () => {
    const l = new BpfLru(8, 2, false, () => true);
    l.popFree(0);
    l.popFree(0);
    l.setRef(7);
    l.pushFree(6);
    expect(l.listNodes('local-free', 0)).toEqual([6]);
    l.popFree(0);
    l.popFree(0);
    expect(l.listNodes('active')).toEqual([7]);
  });

  test('per-CPU lists: each CPU owns max_entries / cpus nodes', () => {
    const l = new BpfLru(8, 2, true, () => true);
    expect(l.listNodes('free', 0)).toEqual([3, 2, 1, 0]);
    expect(l.listNodes('free', 1)).toEqual([7, 6, 5, 4]);
    expect(l.popFree(1)).toBe(7);
    expect(l.listNodes('inactive', 1)).toEqual([7]);
  });
});

describe('LRU hash maps', () => {
  test('eviction starts before the map is full: the CPU\'s free list is refilled by shrinking', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(lru(8));
    for (let i = 1; i <= 8; i++) s.update(fd, u32(i), u32(i));
    expect(sorted(s, fd)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    s.update(fd, u32(9), u32(9));
    // Recorded from Linux 6.18: target_free is 2, so two old keys go to make room for one.
    expect(sorted(s, fd)).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  test('syscall lookups do not mark keys; program lookups do', () => {
    const after = (touch: (s: Sys, fd: number) => void): number[] => {
      const s = new Sys();
      const fd = s.create(lru(8));
      for (let i = 1; i <= 8; i++) s.update(fd, u32(i), u32(i));
      touch(s, fd);
      s.update(fd, u32(9), u32(9));
      return sorted(s, fd);
    };
    const plain = after(() => {});
    expect(plain).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(after((s, fd) => [1, 2].forEach((k) => s.lookup(fd, u32(k))))).toEqual(plain);
    expect(after((s, fd) => s.run(s.prog(lookupProg([1, 2]), [fd])))).toEqual(expect.arrayContaining([1, 2, 9]));
  });

  test('updating a key about to be evicted brings it back as a new element', () => {
    const s = new Sys();
    const fd = s.create(lru(8));
    for (let i = 1; i <= 8; i++) s.update(fd, u32(i), u32(i));
    // The update takes a node first, which evicts 1 and 2; then 1 is inserted anew.
    s.update(fd, u32(1), u32(100));
    expect(sorted(s, fd)).toEqual([1, 3, 4, 5, 6, 7, 8]);
    expect(readU32(s.lookup(fd, u32(1)))).toBe(100);
  });

  test('program lookups mark keys referenced and keep them', () => {
    const s = new Sys();
    const fd = s.create(lru(16));
    for (let i = 1; i <= 16; i++) s.update(fd, u32(i), u32(i));
    expect(s.run(s.prog(lookupProg([1, 2, 3]), [fd]))).toBe(3);
    for (let i = 17; i <= 24; i++) s.update(fd, u32(i), u32(i));
    const left = sorted(s, fd);
    expect(left).toEqual(expect.arrayContaining([1, 2, 3]));
    expect(left).not.toContain(4);
  });

  test('an update that fails still took (and gave back) a node', () => {
    const s = new Sys();
    const fd = s.create(lru(8));
    for (let i = 1; i <= 8; i++) s.update(fd, u32(i), u32(i));
    expect(errno(() => s.update(fd, u32(3), u32(0), 1))).toBe('EEXIST');
    // The pop for it already evicted two keys.
    expect(sorted(s, fd)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  test('BPF_F_NO_COMMON_LRU: a CPU only uses its own share of the map', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(lru(8, BPF_F_NO_COMMON_LRU));
    for (let i = 1; i <= 4; i++) s.update(fd, u32(i), u32(i));
    expect(sorted(s, fd)).toEqual([1, 2, 3, 4]);
    // CPU 0's four nodes are used up: the next insert shrinks its list by 4 at once.
    s.update(fd, u32(5), u32(5));
    s.update(fd, u32(6), u32(6));
    expect(sorted(s, fd)).toEqual([5, 6]);
    s.k.cpu = 1;
    for (let i = 7; i <= 10; i++) s.update(fd, u32(i), u32(i));
    expect(sorted(s, fd)).toEqual([5, 6, 7, 8, 9, 10]);
    expect(s.map<HashMap>(fd).lru!.listNodes('inactive', 1).length).toBe(4);
  });

  test('BPF_F_NO_COMMON_LRU rounds max_entries up to a multiple of the CPUs', () => {
    const s = new Sys({ cpus: 3 });
    expect(s.map(s.create(lru(7, BPF_F_NO_COMMON_LRU))).maxEntries).toBe(9);
    expect(s.map(s.create(lru(7))).maxEntries).toBe(7);
  });

  test('stealing: when the global lists are dry, another CPU\'s free or pending nodes are taken', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(lru(4));
    // CPU 1 takes target_free (1) node; CPU 0 then uses up the rest and has to steal.
    s.k.cpu = 1;
    s.update(fd, u32(100), u32(0));
    s.k.cpu = 0;
    for (let i = 1; i <= 6; i++) expect(s.update(fd, u32(i), u32(i))).toBe(0);
    expect(sorted(s, fd).length).toBeLessThanOrEqual(4);
  });

  test('LRU per-CPU: EXIST on a missing key is ENOENT without touching the LRU', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(lru(4, 0, MT.BPF_MAP_TYPE_LRU_PERCPU_HASH));
    const m = s.map<HashMap>(fd);
    const free = m.lru!.listNodes('free').length;
    expect(errno(() => s.update(fd, u32(1), new Uint8Array(16), 2))).toBe('ENOENT');
    expect(m.lru!.listNodes('free').length).toBe(free);
  });

  test('the map never holds more than max_entries and every key stays reachable', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 24 }),
        fc.boolean(),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 })), { maxLength: 120 }),
        (max, percpuLists, ops) => {
          const s = new Sys({ cpus: 2 });
          const fd = s.create(lru(max, percpuLists ? BPF_F_NO_COMMON_LRU : 0));
          const m = s.map<HashMap>(fd);
          for (const [k, what, cpu] of ops) {
            s.k.cpu = cpu;
            if (what === 3) errno(() => s.delete(fd, u32(k)));
            else if (what === 2) m.lookupElem(u32(k));
            else errno(() => s.update(fd, u32(k), u32(k), what));
          }
          const keys = s.keys(fd).map((k) => readU32(k));
          expect(keys.length).toBeLessThanOrEqual(m.maxEntries);
          expect(new Set(keys).size).toBe(keys.length);
          for (const k of keys) expect(readU32(s.lookup(fd, u32(k)))).toBe(k);
          expect(m.count).toBe(keys.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
