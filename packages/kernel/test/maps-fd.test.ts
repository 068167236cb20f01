// Maps whose values are objects: prog arrays (tail calls) and map-in-maps. They hold
// references to what they contain.
import { BPF_CMD, BPF_PROG_TYPE } from '@bpfsim/isa';
import type { ArrayOfMapsMap, BpfProg, HashOfMapsMap, ProgArrayMap } from '../src';
import { BPF_F_INNER_MAP, InnerMapMeta, fdProg } from '../src';
import { MT, Sys, array, errno, hash, readU32, u32 } from './maps-helpers';

const progArray = { map_type: MT.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 4 };
const fdValue = (fd: number): Uint8Array => u32(fd);

describe('prog arrays', () => {
  test('hold a reference to each program; lookups give program ids', () => {
    const s = new Sys();
    const m = s.create(progArray);
    const p = s.prog('r0 = 5\nexit');
    const prog = fdProg(s.p, p);
    expect(prog.refcnt).toBe(1);
    s.update(m, u32(2), fdValue(p));
    expect(prog.refcnt).toBe(2);
    expect(readU32(s.lookup(m, u32(2)))).toBe(prog.id);
    expect(errno(() => s.lookup(m, u32(1)))).toBe('ENOENT');
    // The program outlives its fd while the map holds it.
    s.p.fds.close(p);
    expect(prog.isFreed).toBe(false);
    expect(s.k.progIds.get(prog.id)).toBe(prog);
    s.delete(m, u32(2));
    expect(prog.isFreed).toBe(true);
    expect(errno(() => s.delete(m, u32(2)))).toBe('ENOENT');
  });

  test('replacing a slot puts the old program; freeing the map puts them all', () => {
    const s = new Sys();
    const m = s.create(progArray);
    const [a, b] = [s.prog('r0 = 1\nexit'), s.prog('r0 = 2\nexit')].map((fd) => {
      const prog = fdProg(s.p, fd);
      return { fd, prog };
    }) as [{ fd: number; prog: BpfProg }, { fd: number; prog: BpfProg }];
    s.update(m, u32(0), fdValue(a.fd));
    s.update(m, u32(1), fdValue(a.fd));
    expect(a.prog.refcnt).toBe(3);
    s.update(m, u32(0), fdValue(b.fd));
    expect(a.prog.refcnt).toBe(2);
    s.p.fds.close(m);
    expect(a.prog.refcnt).toBe(1);
    expect(b.prog.refcnt).toBe(1);
  });

  test('errors: flags, index, fd, program type (the first program owns the map)', () => {
    const s = new Sys();
    const m = s.create(progArray);
    const xdp = s.prog('r0 = 1\nexit');
    const sf = s.prog('r0 = 1\nexit', [], BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER);
    const other = s.create(array());
    expect(errno(() => s.update(m, u32(0), fdValue(xdp), 1))).toBe('EINVAL');
    expect(errno(() => s.update(m, u32(4), fdValue(xdp)))).toBe('E2BIG');
    expect(errno(() => s.update(m, u32(0), fdValue(99)))).toBe('EBADF');
    expect(errno(() => s.update(m, u32(0), fdValue(other)))).toBe('EINVAL');
    expect(s.update(m, u32(0), fdValue(xdp))).toBe(0);
    expect(errno(() => s.update(m, u32(1), fdValue(sf)))).toBe('EINVAL');
    s.delete(m, u32(0));
    // The owner stays for the map's life.
    expect(errno(() => s.update(m, u32(1), fdValue(sf)))).toBe('EINVAL');
    expect(s.map<ProgArrayMap>(m).owner).toEqual({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, expectedAttachType: 0 });
    expect(errno(() => s.lookupAndDelete(m, u32(0)))).toBe('ENOTSUPP');
  });

  test('bpf_tail_call jumps to the slot\'s program; an empty or out-of-range slot falls through', () => {
    const s = new Sys();
    const m = s.create(progArray);
    const target = s.prog('r0 = 42\nexit');
    const caller = (i: number): number => s.prog(`r2 = map[idx:0] ll\n r3 = ${i}\n call bpf_tail_call\n r0 = 77\n exit`, [m]);
    const c1 = caller(1);
    expect(s.run(c1)).toBe(77);
    s.update(m, u32(1), fdValue(target));
    expect(s.run(c1)).toBe(42);
    expect(s.run(caller(9))).toBe(77);
    for (const engine of ['interp', 'jit'] as const) {
      s.k.engine = engine;
      expect(s.run(c1)).toBe(42);
    }
  });

  test('a program can tail-call itself, up to 33 times', () => {
    const s = new Sys();
    const m = s.create(progArray);
    const counter = s.create(array({ max_entries: 1 }));
    const self = s.prog(
      `r6 = r1
       *(u32 *)(r10 - 4) = 0
       r1 = map[idx:1] ll
       r2 = r10
       r2 += -4
       call bpf_map_lookup_elem
       if r0 == 0 goto out
       r1 = 1
       lock *(u64 *)(r0 + 0) += r1
       r1 = r6
       r2 = map[idx:0] ll
       r3 = 0
       call bpf_tail_call
     out:
       r0 = 0
       exit`,
      [m, counter],
    );
    s.update(m, u32(0), fdValue(self));
    s.run(self);
    expect(readU32(s.lookup(counter, u32(0)))).toBe(34);
  });
});

describe('map-in-map', () => {
  const aom = (inner: number, extra = {}) => ({ map_type: MT.BPF_MAP_TYPE_ARRAY_OF_MAPS, key_size: 4, value_size: 4, max_entries: 4, inner_map_fd: inner, ...extra });
  const hom = (inner: number) => ({ map_type: MT.BPF_MAP_TYPE_HASH_OF_MAPS, key_size: 4, value_size: 4, max_entries: 4, inner_map_fd: inner });

  test('the outer map copies the template\'s shape; the template is not referenced', () => {
    const s = new Sys();
    const tmpl = s.create(array({ value_size: 4 }));
    const outer = s.create(aom(tmpl));
    const meta = s.map(outer).spec.inner!;
    expect(meta).toBeInstanceOf(InnerMapMeta);
    expect(meta.info()).toMatchObject({ type: MT.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(s.map(outer).info().inner).toMatchObject({ type: MT.BPF_MAP_TYPE_ARRAY, valueSize: 4 });
    const t = s.map(tmpl);
    s.p.fds.close(tmpl);
    expect(t.isFreed).toBe(true);
    const before = s.k.memory.regions.filter(Boolean).length;
    s.p.fds.close(outer);
    expect(s.k.memory.regions.filter(Boolean).length).toBe(before - 2);
  });

  test('slots hold references to inner maps; lookups give map ids', () => {
    const s = new Sys();
    const tmpl = s.create(array({ value_size: 4 }));
    const outer = s.create(aom(tmpl));
    const inner = s.create(array({ value_size: 4 }));
    const im = s.map(inner);
    s.update(outer, u32(1), fdValue(inner));
    expect(im.refcnt).toBe(2);
    expect(readU32(s.lookup(outer, u32(1)))).toBe(im.id);
    expect(s.map<ArrayOfMapsMap>(outer).slot(1)).toBe(im);
    s.p.fds.close(inner);
    expect(im.isFreed).toBe(false);
    s.update(outer, u32(1), fdValue(tmpl));
    expect(im.isFreed).toBe(true);
  });

  test('inner maps must match: type, sizes, flags; arrays also max_entries unless BPF_F_INNER_MAP', () => {
    const s = new Sys();
    const outer = s.create(aom(s.create(array({ value_size: 4 }))));
    expect(errno(() => s.update(outer, u32(0), fdValue(s.create(array({ value_size: 8 })))))).toBe('EINVAL');
    expect(errno(() => s.update(outer, u32(0), fdValue(s.create(array({ value_size: 4, max_entries: 5 })))))).toBe('EINVAL');
    expect(errno(() => s.update(outer, u32(0), fdValue(s.create(hash({ value_size: 4 })))))).toBe('EINVAL');
    const loose = s.create(aom(s.create(array({ value_size: 4, map_flags: BPF_F_INNER_MAP }))));
    expect(s.update(loose, u32(0), fdValue(s.create(array({ value_size: 4, max_entries: 100, map_flags: BPF_F_INNER_MAP }))))).toBe(0);
    const hashes = s.create(hom(s.create(hash({ value_size: 4 }))));
    expect(s.update(hashes, u32(7), fdValue(s.create(hash({ value_size: 4, max_entries: 1000 }))))).toBe(0);
  });

  test('templates: no map-in-map, no prog array', () => {
    const s = new Sys();
    const outer = s.create(aom(s.create(array())));
    expect(errno(() => s.create(aom(outer)))).toBe('EINVAL');
    expect(errno(() => s.create(aom(s.create(progArray))))).toBe('ENOTSUPP');
    expect(errno(() => s.create(aom(99)))).toBe('EBADF');
  });

  test('hash of maps: flags, full, replacement puts the old map', () => {
    const s = new Sys();
    const outer = s.create({ ...hom(s.create(array())), max_entries: 1 });
    const a = s.create(array());
    const b = s.create(array());
    expect(errno(() => s.update(outer, u32(1), fdValue(a), 2))).toBe('ENOENT');
    s.update(outer, u32(1), fdValue(a));
    expect(errno(() => s.update(outer, u32(2), fdValue(a)))).toBe('E2BIG');
    expect(s.map(a).refcnt).toBe(2);
    s.update(outer, u32(1), fdValue(b));
    expect(s.map(a).refcnt).toBe(1);
    expect(s.map<HashOfMapsMap>(outer).innerOf(u32(1))).toBe(s.map(b));
    s.delete(outer, u32(1));
    expect(s.map(b).refcnt).toBe(1);
  });

  test('a program looks up the inner map and then its element', () => {
    const s = new Sys();
    const outer = s.create(hom(s.create(hash({ value_size: 4 }))));
    const inner = s.create(hash({ value_size: 4 }));
    s.update(inner, u32(3), u32(0xabc));
    s.update(outer, u32(0), fdValue(inner));
    const p = s.prog(
      `*(u32 *)(r10 - 4) = 0
       r1 = map[idx:0] ll
       r2 = r10
       r2 += -4
       call bpf_map_lookup_elem
       if r0 == 0 goto no
       r1 = r0
       *(u32 *)(r10 - 8) = 3
       r2 = r10
       r2 += -8
       call bpf_map_lookup_elem
       if r0 == 0 goto no
       r0 = *(u32 *)(r0 + 0)
       exit
     no:
       r0 = 0
       exit`,
      [outer],
    );
    expect(s.run(p)).toBe(0xabc);
    s.delete(outer, u32(0));
    expect(s.run(p)).toBe(0);
  });

  test('info of the outer map does not show the template', () => {
    const s = new Sys();
    const outer = s.create(aom(s.create(array())));
    const a: { bpf_fd: number; info?: Record<string, unknown> } = { bpf_fd: outer };
    s.bpf(BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, a);
    expect(a.info).toMatchObject({ type: MT.BPF_MAP_TYPE_ARRAY_OF_MAPS, value_size: 4 });
  });
});
