// Direct packet access in XDP: bounds learnt from comparisons with data_end in every form
// (pkt > end, pkt >= end, end < pkt, end <= pkt and the negated ones) on both branches,
// off-by-one accesses, variable offsets, data_meta against data, pointers that lose their
// range; and socket filters, which may not read packet pointers from the context at all.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('packet');

/** r2 = data, r3 = data_end, r4 = data + 14. */
const HEAD = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14`;

/** A check that falls through when the 14 bytes are there; `access` on that path. */
const fallthrough = (name: string, check: string, access: string): CorpusCase =>
  c(name, `
    ${HEAD}
    ${check} goto out
    ${access}
    out:
    r0 = 2
    exit`);

/** A check that jumps when the 14 bytes are there; `access` on the taken path. */
const taken = (name: string, check: string, access: string): CorpusCase =>
  c(name, `
    ${HEAD}
    ${check} goto good
    r0 = 2
    exit
    good:
    ${access}
    r0 = 2
    exit`);

const LAST = 'r0 = *(u8 *)(r2 + 13)';
const PAST = 'r0 = *(u8 *)(r2 + 14)';
const PAST2 = 'r0 = *(u8 *)(r2 + 15)';

export const PACKET_CASES: CorpusCase[] = [
  c('no-check', `
    r2 = *(u32 *)(r1 + 0)
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('no-check-write', `
    r2 = *(u32 *)(r1 + 0)
    *(u8 *)(r2 + 0) = 1
    r0 = 2
    exit`),
  // pkt > end: falls through when in bounds (range = 14).
  fallthrough('jgt-fallthrough-last-byte-ok', 'if r4 > r3', LAST),
  fallthrough('jgt-fallthrough-one-past', 'if r4 > r3', PAST),
  fallthrough('jgt-fallthrough-u32-at-10-ok', 'if r4 > r3', 'r0 = *(u32 *)(r2 + 10)'),
  fallthrough('jgt-fallthrough-u64-at-8-past', 'if r4 > r3', 'r0 = *(u64 *)(r2 + 8)'),
  fallthrough('jgt-fallthrough-u64-at-6-ok', 'if r4 > r3', 'r0 = *(u64 *)(r2 + 6)'),
  fallthrough('jgt-fallthrough-negative-offset', 'if r4 > r3', 'r0 = *(u8 *)(r2 - 1)'),
  fallthrough('jgt-fallthrough-write-ok', 'if r4 > r3', '*(u32 *)(r2 + 0) = 1'),
  fallthrough('jgt-fallthrough-access-via-r4-negative-ok', 'if r4 > r3', 'r0 = *(u8 *)(r4 - 14)'),
  fallthrough('jgt-fallthrough-access-via-r4-at-end', 'if r4 > r3', 'r0 = *(u8 *)(r4 + 0)'),
  taken('jgt-taken-branch-is-out-of-bounds', 'if r4 > r3', LAST),
  // pkt >= end: falls through on pkt < end, so one byte more (range = 15).
  fallthrough('jge-fallthrough-last-byte-ok', 'if r4 >= r3', LAST),
  fallthrough('jge-fallthrough-byte-14-ok', 'if r4 >= r3', PAST),
  fallthrough('jge-fallthrough-byte-15', 'if r4 >= r3', PAST2),
  taken('jge-taken-branch-is-out-of-bounds', 'if r4 >= r3', LAST),
  // end < pkt (same as pkt > end).
  fallthrough('end-jlt-fallthrough-last-byte-ok', 'if r3 < r4', LAST),
  fallthrough('end-jlt-fallthrough-one-past', 'if r3 < r4', PAST),
  taken('end-jlt-taken-branch-is-out-of-bounds', 'if r3 < r4', LAST),
  // end <= pkt (same as pkt >= end).
  fallthrough('end-jle-fallthrough-byte-14-ok', 'if r3 <= r4', PAST),
  fallthrough('end-jle-fallthrough-byte-15', 'if r3 <= r4', PAST2),
  taken('end-jle-taken-branch-is-out-of-bounds', 'if r3 <= r4', LAST),
  // Negated forms: the in-bounds path is the taken branch.
  taken('jle-taken-last-byte-ok', 'if r4 <= r3', LAST),
  taken('jle-taken-one-past', 'if r4 <= r3', PAST),
  fallthrough('jle-fallthrough-is-out-of-bounds', 'if r4 <= r3', LAST),
  taken('jlt-taken-byte-14-ok', 'if r4 < r3', PAST),
  taken('jlt-taken-byte-15', 'if r4 < r3', PAST2),
  fallthrough('jlt-fallthrough-is-out-of-bounds', 'if r4 < r3', LAST),
  taken('end-jge-taken-last-byte-ok', 'if r3 >= r4', LAST),
  taken('end-jge-taken-one-past', 'if r3 >= r4', PAST),
  fallthrough('end-jge-fallthrough-is-out-of-bounds', 'if r3 >= r4', LAST),
  taken('end-jgt-taken-byte-14-ok', 'if r3 > r4', PAST),
  taken('end-jgt-taken-byte-15', 'if r3 > r4', PAST2),
  fallthrough('end-jgt-fallthrough-is-out-of-bounds', 'if r3 > r4', LAST),
  // Comparisons that give no range.
  fallthrough('jeq-gives-no-range', 'if r4 == r3', 'r0 = *(u8 *)(r2 + 0)'),
  taken('jne-gives-no-range', 'if r4 != r3', 'r0 = *(u8 *)(r2 + 0)'),
  fallthrough('jsgt-signed-gives-no-range', 'if r4 s> r3', 'r0 = *(u8 *)(r2 + 0)'),
  fallthrough('jmp32-gives-no-range', 'if w4 > w3', 'r0 = *(u8 *)(r2 + 0)'),
  fallthrough('data-jge-end-without-offset-no-range', 'if r2 >= r3', 'r0 = *(u8 *)(r2 + 0)'),
  fallthrough('data-jgt-end-without-offset-no-range', 'if r2 > r3', 'r0 = *(u8 *)(r2 + 0)'),
  c('check-against-other-packet-pointer-no-range', `
    ${HEAD}
    if r4 > r2 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('pointer-copied-before-check-shares-range-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r5 = r2
    r4 = r2
    r4 += 14
    if r4 > r3 goto +1
    r0 = *(u8 *)(r5 + 13)
    r0 = 2
    exit`),
  c('pointer-reloaded-after-check-has-no-range', `
    ${HEAD}
    if r4 > r3 goto +2
    r5 = *(u32 *)(r1 + 0)
    r0 = *(u8 *)(r5 + 0)
    r0 = 2
    exit`),
  c('pointer-moved-after-check-ok', `
    ${HEAD}
    if r4 > r3 goto +2
    r2 += 4
    r0 = *(u8 *)(r2 + 9)
    r0 = 2
    exit`),
  c('pointer-moved-after-check-one-past', `
    ${HEAD}
    if r4 > r3 goto +2
    r2 += 4
    r0 = *(u8 *)(r2 + 10)
    r0 = 2
    exit`),
  c('two-checks-widen-range-ok', `
    ${HEAD}
    if r4 > r3 goto +5
    r0 = *(u8 *)(r2 + 13)
    r4 = r2
    r4 += 34
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 33)
    r0 = 2
    exit`),
  c('unaligned-u32-read-ok', `
    ${HEAD}
    if r4 > r3 goto +1
    r0 = *(u32 *)(r2 + 1)
    r0 = 2
    exit`),
  c('max-packet-offset-check-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 0xffff
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('check-beyond-max-packet-offset-gives-no-range', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 0x10000
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  // Variable offsets into the packet.
  c('var-offset-bounded-then-checked-ok', `
    ${HEAD}
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 + 0)
    r5 &= 0xf
    r2 += r5
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 + 0)
    out:
    r0 = 2
    exit`),
  c('var-offset-added-after-check', `
    ${HEAD}
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 + 0)
    r5 &= 0xf
    r2 += r5
    r0 = *(u8 *)(r2 + 0)
    out:
    r0 = 2
    exit`),
  c('var-offset-copy-loses-range', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 32
    if r4 > r3 goto out
    r5 = *(u8 *)(r2 + 0)
    r5 &= 0xf
    r4 = r2
    r4 += r5
    r0 = *(u8 *)(r4 + 0)
    out:
    r0 = 2
    exit`),
  c('var-offset-unbounded', `
    ${HEAD}
    if r4 > r3 goto out
    r5 = *(u32 *)(r2 + 0)
    r2 += r5
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 + 0)
    out:
    r0 = 2
    exit`),
  c('var-offset-u64-unbounded-math', `
    ${HEAD}
    if r4 > r3 goto out
    r5 = *(u64 *)(r2 + 0)
    r2 += r5
    out:
    r0 = 2
    exit`),
  c('var-offset-too-large', `
    ${HEAD}
    if r4 > r3 goto out
    r5 = *(u32 *)(r2 + 0)
    r5 &= 0xffffff
    r2 += r5
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r0 = *(u32 *)(r2 + 0)
    out:
    r0 = 2
    exit`),
  // data_meta is bounded by data.
  c('meta-checked-against-data-ok', `
    r2 = *(u32 *)(r1 + 8)
    r3 = *(u32 *)(r1 + 0)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +1
    r0 = *(u64 *)(r2 + 0)
    r0 = 2
    exit`),
  c('meta-checked-against-data-one-past', `
    r2 = *(u32 *)(r1 + 8)
    r3 = *(u32 *)(r1 + 0)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 8)
    r0 = 2
    exit`),
  c('meta-without-check', `
    r2 = *(u32 *)(r1 + 8)
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('meta-checked-against-data-end', `
    r2 = *(u32 *)(r1 + 8)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('meta-write-ok', `
    r2 = *(u32 *)(r1 + 8)
    r3 = *(u32 *)(r1 + 0)
    r4 = r2
    r4 += 4
    if r4 > r3 goto +1
    *(u32 *)(r2 + 0) = 7
    r0 = 2
    exit`),
  c('data-checked-against-meta-no-range', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 8)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  // Packet pointers stored and compared.
  c('store-packet-pointer-to-stack-and-reload-ok', `
    ${HEAD}
    if r4 > r3 goto +3
    *(u64 *)(r10 - 8) = r2
    r5 = *(u64 *)(r10 - 8)
    r0 = *(u8 *)(r5 + 13)
    r0 = 2
    exit`),
  c('data-end-dereference', `
    r3 = *(u32 *)(r1 + 4)
    r0 = *(u8 *)(r3 - 1)
    r0 = 2
    exit`),
  c('data-end-write', `
    r3 = *(u32 *)(r1 + 4)
    *(u8 *)(r3 + 0) = 0
    r0 = 2
    exit`),
  // Socket filters do not see packet pointers.
  c('socket-filter-read-data', `
    r2 = *(u32 *)(r1 + 76)
    r0 = 0
    exit`, { progType: 'socket_filter' }),
  c('socket-filter-read-data_end', `
    r2 = *(u32 *)(r1 + 80)
    r0 = 0
    exit`, { progType: 'socket_filter' }),
  c('socket-filter-read-data_meta', `
    r2 = *(u32 *)(r1 + 140)
    r0 = 0
    exit`, { progType: 'socket_filter' }),
  c('socket-filter-packet-via-skb-load-bytes-ok', `
    r6 = r1
    r1 = r6
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    call bpf_skb_load_bytes
    r0 = *(u64 *)(r10 - 8)
    exit`, { progType: 'socket_filter' }),
  c('socket-filter-packet-via-ld-abs-ok', `
    r6 = r1
    r0 = *(u8 *)skb[0]
    exit`, { progType: 'socket_filter' }),
];
