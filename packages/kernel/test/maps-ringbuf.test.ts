// Ring buffers (programs produce with the ringbuf helpers, user space consumes) and perf
// event arrays (bpf_perf_event_output into per-CPU sample queues).
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import type { RingbufMap } from '../src';
import { BPF_RINGBUF_BUSY_BIT, PerfEvent, PerfEventArrayMap } from '../src';
import { MT, Sys, array, errno, neg, readU32, u32 } from './maps-helpers';

const rb = (size = 4096) => ({ map_type: MT.BPF_MAP_TYPE_RINGBUF, key_size: 0, value_size: 0, max_entries: size });

/** XDP: bpf_ringbuf_output of `size` bytes of array idx 1's value [0] filled with `byte`. */
const outputProg = (size: number, flags = 0) => `*(u32 *)(r10 - 4) = 0
  r1 = map[idx:1] ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = map[idx:0] ll
  r2 = r0
  r3 = ${size}
  r4 = ${flags}
  call bpf_ringbuf_output
  exit
out:
  r0 = 0xdead
  exit`;

/** XDP: reserves `size` bytes, writes `word` at 0, submits (or discards). Returns 1 on NULL. */
const reserveProg = (size: number, word: number, discard = false) => `r1 = map[idx:0] ll
  r2 = ${size}
  r3 = 0
  call bpf_ringbuf_reserve
  if r0 == 0 goto null
  *(u32 *)(r0 + 0) = ${word}
  r1 = r0
  r2 = 0
  call bpf_ringbuf_${discard ? 'discard' : 'submit'}
  r0 = 0
  exit
null:
  r0 = 1
  exit`;

describe('ring buffers', () => {
  test('max_entries is a power-of-two multiple of the page size', () => {
    const s = new Sys();
    expect(s.create(rb(8192))).toBe(3);
    expect(errno(() => s.create(rb(4096 * 3)))).toBe('EINVAL');
    expect(errno(() => s.create(rb(1024)))).toBe('EINVAL');
    expect(errno(() => s.create({ ...rb(), key_size: 4 }))).toBe('EINVAL');
  });

  test('output from a program; the consumer reads the records and frees the space', () => {
    const s = new Sys();
    const fd = s.create(rb());
    const data = s.create(array({ max_entries: 1, value_size: 64 }));
    s.update(data, u32(0), Uint8Array.from({ length: 64 }, (_, i) => i));
    const p = s.prog(outputProg(5), [fd, data]);
    expect(s.run(p)).toBe(0);
    expect(s.run(p)).toBe(0);
    const ring = s.map<RingbufMap>(fd);
    expect(ring.available).toBe(32);
    expect(ring.notifications).toBe(1);
    const got = ring.drain();
    expect(got).toEqual([Uint8Array.of(0, 1, 2, 3, 4), Uint8Array.of(0, 1, 2, 3, 4)]);
    expect(ring.available).toBe(0);
    expect(ring.consumerPos).toBe(32);
  });

  test('a full ring fails output with -EAGAIN until consumed; unknown flags -EINVAL', () => {
    const s = new Sys();
    const fd = s.create(rb());
    const data = s.create(array({ max_entries: 1, value_size: 400 }));
    const p = s.prog(outputProg(400), [fd, data]);
    for (let i = 0; i < 10; i++) expect(s.run(p)).toBe(0);
    expect(s.run(p)).toBe(neg(11));
    const ring = s.map<RingbufMap>(fd);
    ring.consume(undefined, 1);
    expect(s.run(p)).toBe(0);
    expect(s.run(s.prog(outputProg(8, 4), [fd, data]))).toBe(neg(22));
  });

  test('reserve, submit and discard; discarded records are skipped by the consumer', () => {
    const s = new Sys();
    const fd = s.create(rb());
    expect(s.run(s.prog(reserveProg(16, 0x11), [fd]))).toBe(0);
    expect(s.run(s.prog(reserveProg(16, 0x22, true), [fd]))).toBe(0);
    expect(s.run(s.prog(reserveProg(8, 0x33), [fd]))).toBe(0);
    expect(s.run(s.prog(reserveProg(8192, 0x44), [fd]))).toBe(1);
    const seen: number[] = [];
    const ring = s.map<RingbufMap>(fd);
    expect(ring.consume((r) => void seen.push(readU32(r.data)))).toBe(2);
    expect(seen).toEqual([0x11, 0x33]);
  });

  test('a record that wraps past the end of the ring reads back whole', () => {
    const s = new Sys();
    const fd = s.create(rb());
    const data = s.create(array({ max_entries: 1, value_size: 400 }));
    s.update(data, u32(0), Uint8Array.from({ length: 400 }, (_, i) => i & 0xff));
    const p = s.prog(outputProg(400), [fd, data]);
    const ring = s.map<RingbufMap>(fd);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 25; i++) {
      expect(s.run(p)).toBe(0);
      out.push(...ring.drain());
    }
    expect(ring.producerPos).toBeGreaterThan(4096);
    expect(out).toHaveLength(25);
    for (const r of out) expect(r).toEqual(Uint8Array.from({ length: 400 }, (_, i) => i & 0xff));
  });

  test('the consumer stops at a record still being written', () => {
    const s = new Sys();
    const ring = s.map<RingbufMap>(s.create(rb()));
    const a = ring.reserve(8);
    const b = ring.reserve(8);
    ring.commit(b, 0, false);
    expect(ring.data.view.getUint32(a - 8, true)).toBe((8 | BPF_RINGBUF_BUSY_BIT) >>> 0);
    expect(ring.drain()).toEqual([]);
    ring.commit(a, 0, false);
    expect(ring.drain()).toHaveLength(2);
  });

  test('bpf_ringbuf_query', () => {
    const s = new Sys();
    const fd = s.create(rb());
    const q = (f: number): number => s.run(s.prog(`r1 = map[idx:0] ll\n r2 = ${f}\n call bpf_ringbuf_query\n exit`, [fd]));
    s.map<RingbufMap>(fd).output(new Uint8Array(4), 0);
    expect([q(0), q(1), q(2), q(3), q(9)]).toEqual([16, 4096, 0, 16, 0]);
  });

  test('no elements for the syscalls: ENOTSUPP', () => {
    const s = new Sys();
    const fd = s.create(rb());
    expect(errno(() => s.lookup(fd, null))).toBe('ENOTSUPP');
    expect(errno(() => s.update(fd, null, new Uint8Array(0)))).toBe('ENOTSUPP');
    expect(errno(() => s.next(fd, null))).toBe('ENOTSUPP');
    expect(errno(() => s.lookup(fd, u32(0)))).toBe('EINVAL');
  });
});

describe('perf event arrays', () => {
  const pe = { map_type: MT.BPF_MAP_TYPE_PERF_EVENT_ARRAY, key_size: 4, value_size: 4, max_entries: 2 };
  const outProg = (flags: string, size = 5) => `r6 = r1
    r1 = 0x0102030405 ll
    *(u64 *)(r10 - 8) = r1
    r1 = r6
    r2 = map[idx:0] ll
    r3 = ${flags} ll
    r4 = r10
    r4 += -8
    r5 = ${size}
    call bpf_perf_event_output
    exit`;

  test('bpf_perf_event_output delivers to the running CPU\'s event, padded for the perf record', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(pe);
    const m = s.map<PerfEventArrayMap>(fd);
    const ev0 = new PerfEvent(0);
    const ev1 = new PerfEvent(1);
    m.setEvent(0, ev0);
    m.setEvent(1, ev1);
    const p = s.prog(outProg('0xffffffff'), [fd]);
    expect(s.run(p)).toBe(0);
    s.k.cpu = 1;
    expect(s.run(p)).toBe(0);
    expect(ev0.drain()).toEqual([{ cpu: 0, data: Uint8Array.of(5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0) }]);
    expect(ev1.drain()).toHaveLength(1);
  });

  test('errors: no event (-ENOENT), index (-E2BIG), another CPU\'s event (-EOPNOTSUPP), flags (-EINVAL)', () => {
    const s = new Sys({ cpus: 2 });
    const fd = s.create(pe);
    const m = s.map<PerfEventArrayMap>(fd);
    expect(s.run(s.prog(outProg('0xffffffff'), [fd]))).toBe(neg(2));
    expect(s.run(s.prog(outProg('2'), [fd]))).toBe(neg(7));
    m.setEvent(1, new PerfEvent(1));
    expect(s.run(s.prog(outProg('1'), [fd]))).toBe(neg(95));
    m.setEvent(0, new PerfEvent(0, false));
    expect(s.run(s.prog(outProg('0'), [fd]))).toBe(neg(22));
    expect(s.run(s.prog(outProg('0x1000000000000000'), [fd]))).toBe(neg(22));
  });

  test('XDP and socket filters may append packet bytes (flags bits 32..51); too many is -EFAULT', () => {
    const s = new Sys();
    const fd = s.create(pe);
    const ev = new PerfEvent(0);
    s.map<PerfEventArrayMap>(fd).setEvent(0, ev);
    const pkt = Uint8Array.from({ length: 64 }, (_, i) => i);
    expect(s.run(s.prog(outProg('0x300000000', 2), [fd]), pkt)).toBe(0);
    expect(ev.drain()[0]!.data.subarray(0, 5)).toEqual(Uint8Array.of(5, 4, 0, 1, 2));
    expect(s.run(s.prog(outProg('0x4100000000', 2), [fd]), pkt)).toBe(neg(14));
    const sf = s.prog(outProg('0x200000000', 1), [fd], BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER);
    expect(s.run(sf, pkt)).toBe(0);
    // The skb starts at the network header (eth_type_trans pulled the Ethernet header).
    expect(ev.drain()[0]!.data.subarray(0, 3)).toEqual(Uint8Array.of(5, 14, 15));
  });

  test('syscalls: no perf event fds in bpfsim (EBADF); lookups are ENOTSUPP', () => {
    const s = new Sys();
    const fd = s.create(pe);
    const other = s.create(array());
    expect(errno(() => s.update(fd, u32(0), u32(other)))).toBe('EBADF');
    expect(errno(() => s.lookup(fd, u32(0)))).toBe('ENOTSUPP');
    s.map<PerfEventArrayMap>(fd).setEvent(0, new PerfEvent(0));
    expect(s.delete(fd, u32(0))).toBe(0);
    expect(errno(() => s.delete(fd, u32(0)))).toBe('ENOENT');
  });
});
