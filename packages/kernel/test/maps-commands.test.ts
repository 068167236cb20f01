// The BPF_MAP_* commands: attr checks, copies in and out of "user memory", fd modes,
// privileges, ids and the object life of maps.
import { BPF_CMD } from '@bpfsim/isa';
import type { MapElemAttr, MapInfoOut } from '../src';
import { BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_ZERO_SEED, mapFdMode } from '../src';
import { MT, Sys, array, errno, hash, u32, u64 } from './maps-helpers';

describe('BPF_MAP_CREATE', () => {
  test('returns the lowest free fd and a new id; info reports the map', () => {
    const s = new Sys();
    const fd = s.create(hash({ map_name: 'counts', map_flags: BPF_F_NO_PREALLOC }));
    expect(fd).toBe(3);
    const attr: { bpf_fd: number; info?: unknown } = { bpf_fd: fd };
    s.bpf(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, attr);
    expect(attr.info as MapInfoOut).toMatchObject({ type: MT.BPF_MAP_TYPE_HASH, id: 1, key_size: 4, value_size: 8, max_entries: 16, map_flags: BPF_F_NO_PREALLOC, name: 'counts' });
    expect(s.create(array())).toBe(4);
    expect(s.map(4).id).toBe(2);
  });

  test('the fd flags RDONLY/WRONLY are not kept in map_flags', () => {
    const s = new Sys();
    expect(s.map(s.create(hash({ map_flags: BPF_F_RDONLY }))).flags).toBe(0);
  });

  test('CHECK_ATTR: a field the command does not have must be zero', () => {
    const s = new Sys();
    expect(errno(() => s.create({ ...hash(), prog_type: 1 } as never))).toBe('EINVAL');
    expect(s.create({ ...hash(), prog_type: 0 } as never)).toBe(3);
  });

  test('the id is freed with the map; failed creations take no id', () => {
    const s = new Sys();
    expect(errno(() => s.create(hash({ key_size: 0 })))).toBe('EINVAL');
    expect(errno(() => s.create(hash({ map_name: 'bad-name' })))).toBe('EINVAL');
    const fd = s.create(hash());
    expect(s.map(fd).id).toBe(1);
    s.p.fds.close(fd);
    expect(s.k.mapIds.get(1)).toBeUndefined();
  });

  test('a name refused after the allocation frees the map memory again', () => {
    const s = new Sys();
    const before = s.k.memory.regions.filter(Boolean).length;
    expect(errno(() => s.create(array({ map_name: 'x'.repeat(16) })))).toBe('EINVAL');
    expect(s.k.memory.regions.filter(Boolean).length).toBe(before);
  });

  test('closing the last fd unmaps the map and its values', () => {
    const s = new Sys();
    const before = s.k.memory.regions.filter(Boolean).length;
    const fd = s.create(hash({ max_entries: 4096 }));
    for (let i = 0; i < 2000; i++) s.update(fd, u32(i), u64(i));
    expect(s.k.memory.regions.filter(Boolean).length).toBeGreaterThan(before + 1);
    s.p.fds.close(fd);
    expect(s.k.memory.regions.filter(Boolean).length).toBe(before);
  });

  test('kernel.unprivileged_bpf_disabled (2 by default, as Linux) keeps users without CAP_BPF from creating maps', () => {
    const s = new Sys();
    expect(s.k.unprivilegedBpfDisabled).toBe(2);
    const user = s.k.spawn({ uid: 1000 });
    expect(errno(() => s.create(array(), user))).toBe('EPERM');
    expect(s.create(array(), s.k.spawn({ uid: 1000, caps: ['CAP_BPF'] }))).toBe(3);
  });

  test('with unprivileged_bpf_disabled=0, unprivileged users create arrays and hashes, not LRU maps, queues or bloom filters', () => {
    const s = new Sys({ unprivilegedBpfDisabled: 0 });
    const user = s.k.spawn({ uid: 1000 });
    expect(s.create(hash(), user)).toBe(3);
    expect(s.create(array(), user)).toBe(4);
    expect(s.create({ map_type: MT.BPF_MAP_TYPE_RINGBUF, key_size: 0, value_size: 0, max_entries: 4096 }, user)).toBe(5);
    expect(errno(() => s.create(hash({ map_type: MT.BPF_MAP_TYPE_LRU_HASH }), user))).toBe('EPERM');
    expect(errno(() => s.create({ map_type: MT.BPF_MAP_TYPE_QUEUE, key_size: 0, value_size: 4, max_entries: 4 }, user))).toBe('EPERM');
    expect(errno(() => s.create({ map_type: MT.BPF_MAP_TYPE_BLOOM_FILTER, key_size: 0, value_size: 4, max_entries: 4 }, user))).toBe('EPERM');
    // The type's own checks come before the privilege check.
    expect(errno(() => s.create(hash({ map_type: MT.BPF_MAP_TYPE_LRU_HASH, key_size: 0 }), user))).toBe('EINVAL');
    const bpfCap = s.k.spawn({ uid: 1000, caps: ['CAP_BPF'] });
    expect(s.create(hash({ map_type: MT.BPF_MAP_TYPE_LRU_HASH }), bpfCap)).toBe(3);
  });

  test('socket and device maps need CAP_NET_ADMIN (checked before the type is known to exist)', () => {
    const s = new Sys();
    // SOCKMAP registers from the sockmap package; without it the type is unknown.
    expect(errno(() => s.create({ map_type: MT.BPF_MAP_TYPE_SOCKMAP, key_size: 4, value_size: 4, max_entries: 4 }))).toBe('EINVAL');
  });

  test('BPF_F_ZERO_SEED needs CAP_SYS_ADMIN, checked first', () => {
    const s = new Sys();
    const bpfCap = s.k.spawn({ uid: 1000, caps: ['CAP_BPF'] });
    expect(errno(() => s.create(hash({ map_flags: BPF_F_ZERO_SEED | (1 << 20) }), bpfCap))).toBe('EPERM');
    expect(s.create(hash({ map_flags: BPF_F_ZERO_SEED }))).toBe(3);
  });

  test('without CAP_PERFMON arrays round max_entries up to a power of two (and may overflow)', () => {
    const s = new Sys({ unprivilegedBpfDisabled: 0 });
    const user = s.k.spawn({ uid: 1000 });
    expect(errno(() => s.create(array({ max_entries: 0x80000001 }), user))).toBe('E2BIG');
    expect(errno(() => s.create(array({ max_entries: 0x80000001 })))).toBe('ENOMEM');
  });

  test('map_ifindex: EPERM without CAP_SYS_ADMIN', () => {
    const s = new Sys();
    const bpfCap = s.k.spawn({ uid: 1000, caps: ['CAP_BPF'] });
    expect(errno(() => s.create(hash({ map_ifindex: 1 }), bpfCap))).toBe('EPERM');
  });

  test('excl_prog_hash must be 32 bytes', () => {
    const s = new Sys();
    expect(errno(() => s.create(hash({ excl_prog_hash: new Uint8Array(32), excl_prog_hash_size: 20 })))).toBe('EINVAL');
    expect(s.create(hash({ excl_prog_hash: new Uint8Array(32), excl_prog_hash_size: 32 }))).toBe(3);
  });
});

describe('element commands', () => {
  test('lookup writes into the buffer given, or makes one when value is absent', () => {
    const s = new Sys();
    const fd = s.create(hash());
    s.update(fd, u32(1), u64(0x1122334455n));
    const buf = new Uint8Array(8);
    const a: MapElemAttr = { map_fd: fd, key: u32(1), value: buf };
    s.bpf(BPF_CMD.BPF_MAP_LOOKUP_ELEM, a);
    expect(a.value).toBe(buf);
    expect(buf).toEqual(u64(0x1122334455n));
    expect(s.lookup(fd, u32(1))).toEqual(u64(0x1122334455n));
  });

  test('buffers shorter than the kernel copies fail EFAULT; NULL pointers too', () => {
    const s = new Sys();
    const fd = s.create(hash());
    expect(errno(() => s.update(fd, new Uint8Array(3), u64(1)))).toBe('EFAULT');
    expect(errno(() => s.update(fd, u32(1), new Uint8Array(7)))).toBe('EFAULT');
    expect(errno(() => s.update(fd, null, u64(1)))).toBe('EFAULT');
    s.update(fd, u32(1), u64(1));
    expect(errno(() => s.bpf(BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: u32(1), value: new Uint8Array(4) }))).toBe('EFAULT');
    expect(errno(() => s.bpf(BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: u32(1), value: null }))).toBe('EFAULT');
    expect(errno(() => s.bpf(BPF_CMD.BPF_MAP_GET_NEXT_KEY, { map_fd: fd, key: null, next_key: new Uint8Array(2) }))).toBe('EFAULT');
    // Longer buffers are fine: the kernel copies what it needs.
    expect(s.update(fd, Uint8Array.of(2, 0, 0, 0, 9, 9), u64(2))).toBe(0);
    expect(s.lookup(fd, u32(2))).toEqual(u64(2));
  });

  test('a missing key is ENOENT before the output buffer is looked at', () => {
    const s = new Sys();
    const fd = s.create(hash());
    expect(errno(() => s.bpf(BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: fd, key: u32(1), value: null }))).toBe('ENOENT');
  });

  test('per-CPU maps copy round_up(value_size, 8) bytes per CPU', () => {
    const s = new Sys({ cpus: 3 });
    const fd = s.create(hash({ map_type: MT.BPF_MAP_TYPE_PERCPU_HASH, value_size: 4 }));
    expect(errno(() => s.update(fd, u32(1), new Uint8Array(20)))).toBe('EFAULT');
    const v = Uint8Array.from({ length: 24 }, (_, i) => i);
    s.update(fd, u32(1), v);
    expect(s.lookup(fd, u32(1))).toEqual(v);
  });

  test('GET_NEXT_KEY takes next_key or, being the same union slot, value', () => {
    const s = new Sys();
    const fd = s.create(array());
    const a: MapElemAttr = { map_fd: fd, key: u32(1), value: new Uint8Array(4) };
    s.bpf(BPF_CMD.BPF_MAP_GET_NEXT_KEY, a);
    expect(a.value).toEqual(u32(2));
  });

  test('fds: EBADF when not open, EINVAL for a program', () => {
    const s = new Sys();
    expect(errno(() => s.lookup(42, u32(0)))).toBe('EBADF');
    const p = s.prog('r0 = 0\nexit');
    expect(errno(() => s.lookup(p, u32(0)))).toBe('EINVAL');
  });

  test('BPF_F_RDONLY / BPF_F_WRONLY fds', () => {
    const s = new Sys();
    const ro = s.create(hash({ map_flags: BPF_F_RDONLY }));
    expect(mapFdMode(s.p, ro)).toBe(1);
    expect(errno(() => s.update(ro, u32(1), u64(1)))).toBe('EPERM');
    expect(errno(() => s.delete(ro, u32(1)))).toBe('EPERM');
    expect(errno(() => s.freeze(ro))).toBe('EPERM');
    expect(errno(() => s.lookup(ro, u32(1)))).toBe('ENOENT');
    const wo = s.create(hash({ map_flags: BPF_F_WRONLY }));
    expect(s.update(wo, u32(1), u64(1))).toBe(0);
    expect(errno(() => s.lookup(wo, u32(1)))).toBe('EPERM');
    expect(errno(() => s.next(wo, null))).toBe('EPERM');
    expect(errno(() => s.lookupAndDelete(wo, u32(1)))).toBe('EPERM');
    // Another fd for the same map (by id) is read-write.
    const rw = s.bpf(BPF_CMD.BPF_MAP_GET_FD_BY_ID, { map_id: s.map(wo).id });
    expect(s.lookup(rw, u32(1))).toEqual(u64(1));
    // The mode belongs to the fd: after close, a new map on the same number is read-write.
    s.p.fds.close(ro);
    const again = s.create(hash());
    expect(again).toBe(ro);
    expect(mapFdMode(s.p, again)).toBe(3);
  });

  test('the mode belongs to the fd, not its number: the same map reopened on a closed RDONLY fd is read-write', () => {
    const s = new Sys();
    const ro = s.create(hash({ map_flags: BPF_F_RDONLY }));
    const id = s.map(ro).id;
    const keep = s.bpf(BPF_CMD.BPF_MAP_GET_FD_BY_ID, { map_id: id });
    expect(mapFdMode(s.p, keep)).toBe(3);
    s.p.fds.close(ro);
    const again = s.bpf(BPF_CMD.BPF_MAP_GET_FD_BY_ID, { map_id: id });
    expect(again).toBe(ro);
    expect(mapFdMode(s.p, again)).toBe(3);
    expect(s.update(again, u32(1), u64(1))).toBe(0);
  });

  test('BPF_MAP_FREEZE: syscall writes fail EPERM, reads work, programs still write', () => {
    const s = new Sys();
    const fd = s.create(hash());
    s.update(fd, u32(1), u64(1));
    expect(s.freeze(fd)).toBe(0);
    expect(s.map(fd).frozen).toBe(true);
    expect(mapFdMode(s.p, fd)).toBe(1);
    expect(errno(() => s.update(fd, u32(1), u64(2)))).toBe('EPERM');
    expect(errno(() => s.delete(fd, u32(1)))).toBe('EPERM');
    expect(errno(() => s.lookupAndDelete(fd, u32(1)))).toBe('EPERM');
    expect(errno(() => s.freeze(fd))).toBe('EPERM');
    expect(s.lookup(fd, u32(1))).toEqual(u64(1));
    const p = s.prog(
      `*(u32 *)(r10 - 4) = 1
       *(u64 *)(r10 - 16) = 7
       r1 = map[idx:0] ll
       r2 = r10
       r2 += -4
       r3 = r10
       r3 += -16
       r4 = 0
       call bpf_map_update_elem
       exit`,
      [fd],
    );
    expect(s.run(p)).toBe(0);
    expect(s.lookup(fd, u32(1))).toEqual(u64(7));
  });

  test('BPF_F_RDONLY_PROG: the values are read-only memory for programs', () => {
    const s = new Sys();
    const fd = s.create(array({ map_flags: BPF_F_RDONLY_PROG }));
    s.update(fd, u32(0), u64(5));
    const m = s.map(fd);
    const addr = m.lookupElem(u32(0))!;
    const region = s.k.memory.resolve(addr.hi, addr.lo, 8)!.region;
    expect(region.writable).toBe(false);
    expect(region.kind).toBe('map-value');
  });

  test('lookup-and-delete is ENOTSUPP for maps without it', () => {
    const s = new Sys();
    expect(errno(() => s.lookupAndDelete(s.create(array()), u32(0)))).toBe('ENOTSUPP');
  });

  test('flags are u64: high bits are invalid everywhere', () => {
    const s = new Sys();
    const fd = s.create(hash());
    expect(errno(() => s.update(fd, u32(1), u64(1), 1n << 40n))).toBe('EINVAL');
    expect(errno(() => s.lookup(fd, u32(1), 2 ** 33))).toBe('EINVAL');
    expect(s.update(fd, u32(1), u64(1), 0n)).toBe(0);
  });
});
