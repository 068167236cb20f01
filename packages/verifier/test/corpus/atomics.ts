// Atomic operations (BPF_ATOMIC) on the stack and on map values: every RMW form, sizes,
// alignment, cmpxchg's implicit r0, pointers as operands, and the memory kinds that
// refuse atomics (ctx, packet, read-only map values); load-acquire and store-release.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('atomics');

/** On an initialised stack slot at fp-8, r1 = 1. */
const stack = (name: string, op: string, init = '*(u64 *)(r10 - 8) = 0'): CorpusCase =>
  c(name, `
    ${init}
    r1 = 1
    ${op}
    r0 = 0
    exit`);

/** On a 16-byte map value in r6 (after the NULL check), r1 = 1. */
const value = (name: string, op: string, flags = 0): CorpusCase =>
  c(name, `
    .map m type=array key_size=4 value_size=16 max_entries=1${flags ? ` map_flags=${flags}` : ''}
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r6 = r0
    r1 = 1
    ${op}
    out:
    r0 = 0
    exit`);

export const ATOMICS_CASES: CorpusCase[] = [
  stack('stack-add64-ok', 'lock *(u64 *)(r10 - 8) += r1'),
  stack('stack-add32-ok', 'lock *(u32 *)(r10 - 8) += r1'),
  stack('stack-or64-ok', 'lock *(u64 *)(r10 - 8) |= r1'),
  stack('stack-and32-ok', 'lock *(u32 *)(r10 - 4) &= r1'),
  stack('stack-xor64-ok', 'lock *(u64 *)(r10 - 8) ^= r1'),
  stack('stack-fetch-add-ok', 'r1 = atomic_fetch_add((u64 *)(r10 - 8), r1); r0 = r1'),
  stack('stack-fetch-or32-ok', 'w1 = atomic_fetch_or((u32 *)(r10 - 8), w1)'),
  stack('stack-fetch-and-ok', 'r1 = atomic_fetch_and((u64 *)(r10 - 8), r1)'),
  stack('stack-fetch-xor-ok', 'r1 = atomic_fetch_xor((u64 *)(r10 - 8), r1)'),
  stack('stack-xchg-ok', 'r1 = xchg_64(r10 - 8, r1)'),
  stack('stack-xchg32-ok', 'w1 = xchg32_32(r10 - 8, w1)'),
  stack('stack-cmpxchg-ok', 'r0 = 0; r0 = cmpxchg_64(r10 - 8, r0, r1)'),
  stack('stack-cmpxchg32-ok', 'w0 = 0; w0 = cmpxchg32_32(r10 - 8, w0, w1)'),
  stack('stack-cmpxchg-r0-uninitialised', 'r0 = cmpxchg_64(r10 - 8, r0, r1)'),
  stack('stack-add-source-uninitialised', 'lock *(u64 *)(r10 - 8) += r2'),
  stack('stack-uninitialised-slot-ok', 'lock *(u64 *)(r10 - 16) += r1'),
  stack('stack-misaligned', 'lock *(u64 *)(r10 - 12) += r1', '*(u64 *)(r10 - 16) = 0'),
  stack('stack-misaligned-u32', 'lock *(u32 *)(r10 - 6) += r1'),
  stack('stack-out-of-bounds', 'lock *(u64 *)(r10 + 0) += r1'),
  stack('stack-u16-size', '.8byte 0x00000000fff81acb'),
  stack('stack-u8-size', '.8byte 0x00000000fff81ad3'),
  stack('stack-sub-is-not-an-atomic-op', '.8byte 0x00000010fff81adb'),
  stack('stack-fetch-sub-is-not-an-atomic-op', '.8byte 0x00000011fff81adb'),
  stack('stack-add-pointer-source-ok', 'lock *(u64 *)(r10 - 8) += r10'),
  stack('stack-xchg-pointer-source-ok', 'r1 = r10; r1 = xchg_64(r10 - 8, r1)'),
  stack('stack-on-spilled-pointer-ok', 'lock *(u64 *)(r10 - 8) += r1', '*(u64 *)(r10 - 8) = r10'),
  stack('stack-fetch-from-zero-slot-result-known-ok', 'r1 = atomic_fetch_add((u64 *)(r10 - 8), r1); r0 = 0; if r1 == 0 goto +1; r0 = r9', '*(u64 *)(r10 - 8) = 0'),
  stack('stack-via-derived-pointer-ok', 'r2 = r10; r2 += -8; lock *(u64 *)(r2 + 0) += r1'),
  value('map-value-add64-ok', 'lock *(u64 *)(r6 + 8) += r1'),
  value('map-value-add32-ok', 'lock *(u32 *)(r6 + 12) += r1'),
  value('map-value-fetch-add-ok', 'r1 = atomic_fetch_add((u64 *)(r6 + 0), r1)'),
  value('map-value-cmpxchg-ok', 'r0 = 0; r0 = cmpxchg_64(r6 + 0, r0, r1)'),
  value('map-value-xchg-ok', 'r1 = xchg_64(r6 + 8, r1)'),
  value('map-value-out-of-bounds', 'lock *(u64 *)(r6 + 16) += r1'),
  value('map-value-misaligned-at-12', 'lock *(u64 *)(r6 + 12) += r1'),
  value('map-value-misaligned', 'lock *(u64 *)(r6 + 4) += r1'),
  value('map-value-misaligned-u32', 'lock *(u32 *)(r6 + 2) += r1'),
  value('map-value-readonly-map', 'lock *(u64 *)(r6 + 0) += r1', 0x80),
  value('map-value-writeonly-map-fetch', 'r1 = atomic_fetch_add((u64 *)(r6 + 0), r1)', 0x100),
  value('map-value-writeonly-map-no-fetch', 'lock *(u64 *)(r6 + 0) += r1', 0x100),
  value('map-value-add-pointer-source-ok', 'lock *(u64 *)(r6 + 0) += r10'),
  c('map-value-or-null', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
    r0 = 0
    exit`),
  c('packet', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +2
    r1 = 1
    lock *(u64 *)(r2 + 0) += r1
    r0 = 2
    exit`),
  c('ctx-xdp', `r2 = 1; lock *(u32 *)(r1 + 0) += r2; r0 = 0; exit`),
  c('ctx-socket-filter-cb', `r2 = 1; lock *(u32 *)(r1 + 48) += r2; r0 = 0; exit`, { progType: 'socket_filter' }),
  c('scalar-base', `r2 = 1; r3 = 0; lock *(u64 *)(r3 + 0) += r2; r0 = 0; exit`),
  // load-acquire / store-release
  stack('load-acquire-u64-ok', 'r0 = load_acquire((u64 *)(r10 - 8))'),
  stack('load-acquire-u8-ok', 'w0 = load_acquire((u8 *)(r10 - 8))'),
  stack('load-acquire-out-of-bounds', 'r0 = load_acquire((u64 *)(r10 + 0))'),
  stack('store-release-u64-ok', 'store_release((u64 *)(r10 - 8), r1)'),
  stack('store-release-u16-ok', 'store_release((u16 *)(r10 - 8), w1)'),
  stack('store-release-misaligned', 'store_release((u32 *)(r10 - 6), w1)'),
  value('map-value-load-acquire-ok', 'r0 = load_acquire((u64 *)(r6 + 8))'),
  value('map-value-store-release-out-of-bounds', 'store_release((u64 *)(r6 + 16), r1)'),
  c('load-acquire-packet-misaligned-by-net-ip-align', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto +1
    r0 = load_acquire((u64 *)(r2 + 0))
    r0 = 2
    exit`),
  c('load-acquire-packet-aligned-not-allowed', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto +1
    r0 = load_acquire((u64 *)(r2 + 6))
    r0 = 2
    exit`),
];
