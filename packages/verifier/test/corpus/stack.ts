// The stack: reads of unwritten slots, bounds (-512..0), alignment, spills and fills of
// pointers and scalars, partial overwrites of spilled pointers, variable-offset access.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('stack');

/** r6: an unknown u64 (bpf_ktime_get_ns). */
const UNKNOWN = `
  call bpf_ktime_get_ns
  r6 = r0`;

export const STACK_CASES: CorpusCase[] = [
  c('read-unwritten-u64-ok', `r0 = *(u64 *)(r10 - 8); exit`),
  c('read-unwritten-u8-ok', `r0 = *(u8 *)(r10 - 1); r0 = 0; exit`),
  c('read-unwritten-socket-filter-ok', `r0 = *(u32 *)(r10 - 4); exit`, { progType: 'socket_filter' }),
  ...[1, 2, 4, 8].map((n) =>
    c(`write-then-read-u${8 * n}-ok`, `
      *(u${8 * n} *)(r10 - 8) = 1
      r0 = *(u${8 * n} *)(r10 - 8)
      exit`),
  ),
  c('read-wider-than-written-ok', `
    *(u32 *)(r10 - 8) = 1
    r0 = *(u64 *)(r10 - 8)
    exit`),
  c('read-other-half-unwritten-ok', `
    *(u32 *)(r10 - 8) = 1
    r0 = *(u32 *)(r10 - 4)
    exit`),
  c('read-two-halves-written-ok', `
    *(u32 *)(r10 - 8) = 1
    *(u32 *)(r10 - 4) = 2
    r0 = *(u64 *)(r10 - 8)
    exit`),
  c('read-bytes-of-u64-ok', `
    *(u64 *)(r10 - 8) = 0
    r0 = *(u8 *)(r10 - 3)
    exit`),
  c('read-written-on-one-branch-only-ok', `
    r2 = *(u32 *)(r1 + 0)
    if r2 == 0 goto +1
    *(u64 *)(r10 - 8) = 0
    r0 = *(u64 *)(r10 - 8)
    exit`),
  c('write-at-fp-0', `*(u64 *)(r10 + 0) = 0; r0 = 0; exit`),
  c('write-above-fp', `*(u64 *)(r10 + 8) = 0; r0 = 0; exit`),
  c('read-above-fp', `r0 = *(u64 *)(r10 + 8); exit`),
  c('write-straddling-fp-is-misaligned', `*(u64 *)(r10 - 4) = 0; r0 = 0; exit`),
  c('write-at-minus-512-ok', `*(u64 *)(r10 - 512) = 0; r0 = 0; exit`),
  c('write-at-minus-513-u8', `*(u8 *)(r10 - 513) = 0; r0 = 0; exit`),
  c('write-at-minus-520', `*(u64 *)(r10 - 520) = 0; r0 = 0; exit`),
  c('write-via-derived-pointer-ok', `
    r2 = r10
    r2 += -16
    *(u64 *)(r2 + 8) = 0
    r0 = *(u64 *)(r10 - 8)
    exit`),
  c('write-via-derived-pointer-out-of-bounds', `
    r2 = r10
    r2 += -520
    *(u64 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('write-via-derived-pointer-above-fp', `
    r2 = r10
    r2 += 16
    *(u64 *)(r2 - 8) = 0
    r0 = 0
    exit`),
  c('misaligned-u64-write', `*(u64 *)(r10 - 12) = 0; r0 = 0; exit`),
  c('misaligned-u32-write', `*(u32 *)(r10 - 6) = 0; r0 = 0; exit`),
  c('misaligned-u16-write', `*(u16 *)(r10 - 3) = 0; r0 = 0; exit`),
  c('u8-write-any-offset-ok', `*(u8 *)(r10 - 3) = 0; r0 = 0; exit`),
  c('misaligned-u32-read', `
    *(u64 *)(r10 - 8) = 0
    r0 = *(u32 *)(r10 - 6)
    exit`),
  c('misaligned-via-derived-pointer', `
    r2 = r10
    r2 += -9
    *(u64 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('spill-fill-ctx-ok', `
    *(u64 *)(r10 - 8) = r1
    r2 = *(u64 *)(r10 - 8)
    r0 = *(u32 *)(r2 + 0)
    r0 = 0
    exit`),
  c('spill-fill-ctx-socket-filter-ok', `
    *(u64 *)(r10 - 8) = r1
    r2 = *(u64 *)(r10 - 8)
    r0 = *(u32 *)(r2 + 0)
    exit`, { progType: 'socket_filter' }),
  c('spill-ctx-fill-u32', `
    *(u64 *)(r10 - 8) = r1
    r2 = *(u32 *)(r10 - 8)
    r0 = 0
    exit`),
  c('spill-ctx-u32-store', `
    *(u32 *)(r10 - 8) = r1
    r0 = 0
    exit`),
  c('spill-ctx-misaligned', `
    *(u64 *)(r10 - 12) = r1
    r0 = 0
    exit`),
  c('spill-ctx-overwrite-byte-then-fill-is-scalar', `
    *(u64 *)(r10 - 8) = r1
    *(u8 *)(r10 - 8) = 0
    r2 = *(u64 *)(r10 - 8)
    r0 = *(u32 *)(r2 + 0)
    exit`),
  c('spill-ctx-overwrite-byte-fill-as-scalar-ok', `
    *(u64 *)(r10 - 8) = r1
    *(u8 *)(r10 - 1) = 0
    r0 = *(u64 *)(r10 - 8)
    r0 = 0
    exit`),
  c('spill-ctx-overwrite-whole-slot-ok', `
    *(u64 *)(r10 - 8) = r1
    *(u64 *)(r10 - 8) = 5
    r0 = *(u64 *)(r10 - 8)
    exit`),
  c('spill-stack-pointer-fill-and-use-ok', `
    r2 = r10
    r2 += -16
    *(u64 *)(r10 - 8) = r2
    r3 = *(u64 *)(r10 - 8)
    *(u64 *)(r3 + 0) = 1
    r0 = *(u64 *)(r10 - 16)
    exit`),
  c('spill-pkt-pointer-fill-keeps-range-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +4
    *(u64 *)(r10 - 8) = r2
    r5 = *(u64 *)(r10 - 8)
    r0 = *(u8 *)(r5 + 7)
    r0 = 0
    r0 = 0
    exit`),
  c('spill-const-fill-keeps-value-ok', `
    r1 = 5
    *(u64 *)(r10 - 8) = r1
    r2 = *(u64 *)(r10 - 8)
    r0 = 0
    if r2 == 5 goto +1
    r0 = r9
    exit`),
  c('spill-u32-const-at-slot-start-keeps-value-ok', `
    w1 = 5
    *(u32 *)(r10 - 8) = r1
    r2 = *(u32 *)(r10 - 8)
    r0 = 0
    if r2 == 5 goto +1
    r0 = r9
    exit`),
  c('spill-u32-const-at-upper-half-not-tracked', `
    w1 = 5
    *(u32 *)(r10 - 4) = r1
    r2 = *(u32 *)(r10 - 4)
    r0 = 0
    if r2 == 5 goto +1
    r0 = r9
    exit`),
  c('store-imm-fill-keeps-value-ok', `
    *(u64 *)(r10 - 8) = 5
    r2 = *(u64 *)(r10 - 8)
    r0 = 0
    if r2 == 5 goto +1
    r0 = r9
    exit`),
  c('store-imm-u8-fill-u64-unknown', `
    *(u64 *)(r10 - 8) = 0
    *(u8 *)(r10 - 8) = 5
    r2 = *(u64 *)(r10 - 8)
    r0 = 0
    if r2 == 5 goto +1
    r0 = r9
    exit`),
  c('spill-const-fill-wrong-value', `
    r1 = 5
    *(u64 *)(r10 - 8) = r1
    r2 = *(u64 *)(r10 - 8)
    r0 = 0
    if r2 == 6 goto +1
    r0 = r9
    exit`),
  c('spill-scalar-bounds-kept-ok', `
    ${UNKNOWN}
    r6 &= 0xf
    *(u64 *)(r10 - 8) = r6
    r2 = *(u64 *)(r10 - 8)
    r0 = 0
    if r2 < 16 goto +1
    r0 = r9
    exit`),
  c('var-offset-write-bounded-ok', `
    ${UNKNOWN}
    r6 &= 7
    r2 = r10
    r2 += -16
    r2 += r6
    *(u8 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('var-offset-write-may-cross-fp', `
    ${UNKNOWN}
    r6 &= 15
    r2 = r10
    r2 += -8
    r2 += r6
    *(u8 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('var-offset-write-unbounded', `
    ${UNKNOWN}
    r2 = r10
    r2 += r6
    *(u8 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('var-offset-read-initialised-ok', `
    ${UNKNOWN}
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    r6 &= 7
    r2 = r10
    r2 += -16
    r2 += r6
    r0 = *(u8 *)(r2 + 0)
    exit`),
  c('var-offset-read-uninitialised-ok', `
    ${UNKNOWN}
    *(u64 *)(r10 - 8) = 0
    r6 &= 7
    r2 = r10
    r2 += -16
    r2 += r6
    r0 = *(u8 *)(r2 + 0)
    exit`),
  c('var-offset-read-u64-aligned-ok', `
    ${UNKNOWN}
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    r6 &= 8
    r2 = r10
    r2 += -16
    r2 += r6
    r0 = *(u64 *)(r2 + 0)
    exit`),
  c('var-offset-read-u64-misaligned', `
    ${UNKNOWN}
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    r6 &= 4
    r2 = r10
    r2 += -16
    r2 += r6
    r0 = *(u64 *)(r2 + 0)
    exit`),
  c('var-offset-negative-scalar-in-bounds-ok', `
    ${UNKNOWN}
    r6 &= 7
    r6 -= 4
    r2 = r10
    r2 += -16
    r2 += r6
    *(u8 *)(r2 + 0) = 0
    r0 = 0
    exit`),
  c('var-offset-spill-pointer-ok', `
    ${UNKNOWN}
    r6 &= 8
    r2 = r10
    r2 += -16
    r2 += r6
    *(u64 *)(r2 + 0) = r10
    r0 = 0
    exit`),
  c('var-offset-spilled-pointer-fill-is-scalar', `
    ${UNKNOWN}
    r6 &= 8
    r2 = r10
    r2 += -16
    r2 += r6
    *(u64 *)(r2 + 0) = r10
    r3 = *(u64 *)(r10 - 16)
    r0 = *(u64 *)(r3 - 8)
    r0 = 0
    exit`),
  c('deep-stack-all-slots-ok', `
    *(u64 *)(r10 - 8) = 0
    *(u64 *)(r10 - 256) = 0
    *(u64 *)(r10 - 504) = 0
    *(u64 *)(r10 - 512) = 0
    r0 = *(u64 *)(r10 - 512)
    exit`),
];
