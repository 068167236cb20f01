// Maps: bpf_map_lookup_elem with and without the NULL check, map value bounds, key and
// value arguments from the stack, map value pointer arithmetic, constant-key array
// lookups, update/delete, map types a helper refuses, ld_imm64 of a map value address.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('maps');

const ARRAY = '.map m type=array key_size=4 value_size=16 max_entries=4';
const HASH = '.map h type=hash key_size=8 value_size=16 max_entries=4';

/**
 * Looks up a random key (unknown to the verifier) in the map m (by default an array with
 * 16-byte values); `body` runs with r0 = the value or NULL.
 */
const lookup = (name: string, body: string, decl = ARRAY): CorpusCase =>
  c(name, `
    ${decl}
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    ${body}
    r0 = 0
    exit`);

/** As `lookup`, with the NULL check done: `body` runs with r0 = the value. */
const value = (name: string, body: string, decl = ARRAY): CorpusCase =>
  lookup(name, `
    if r0 == 0 goto out
    ${body}
    out:`, decl);

export const MAPS_CASES: CorpusCase[] = [
  lookup('lookup-deref-without-null-check', 'r1 = *(u64 *)(r0 + 0)'),
  lookup('lookup-write-without-null-check', '*(u64 *)(r0 + 0) = 1'),
  value('lookup-deref-after-null-check-ok', 'r1 = *(u64 *)(r0 + 0)'),
  lookup('lookup-null-check-jne-form-ok', `
    if r0 != 0 goto use
    goto out
    use:
    r1 = *(u64 *)(r0 + 8)
    out:`),
  lookup('lookup-deref-on-null-branch', `
    if r0 != 0 goto out
    r1 = *(u64 *)(r0 + 0)
    out:`),
  lookup('lookup-null-check-via-copy-ok', `
    r6 = r0
    if r0 == 0 goto out
    r1 = *(u64 *)(r6 + 0)
    out:`),
  lookup('lookup-null-check-of-copy-ok', `
    r6 = r0
    if r6 == 0 goto out
    r1 = *(u64 *)(r0 + 0)
    out:`),
  lookup('lookup-arith-before-null-check', `
    r0 += 4
    if r0 == 0 goto out
    r1 = *(u32 *)(r0 + 0)
    out:`),
  lookup('lookup-spill-before-null-check-reload-ok', `
    *(u64 *)(r10 - 16) = r0
    if r0 == 0 goto out
    r6 = *(u64 *)(r10 - 16)
    r1 = *(u64 *)(r6 + 0)
    out:`),
  lookup('lookup-null-check-against-nonzero', `
    if r0 == 1 goto out
    r1 = *(u64 *)(r0 + 0)
    out:`),
  lookup('lookup-null-check-jmp32', `
    if w0 == 0 goto out
    r1 = *(u64 *)(r0 + 0)
    out:`),
  // Value bounds (value_size = 16).
  value('value-read-last-byte-ok', 'r1 = *(u8 *)(r0 + 15)'),
  value('value-read-one-past', 'r1 = *(u8 *)(r0 + 16)'),
  value('value-read-u64-at-8-ok', 'r1 = *(u64 *)(r0 + 8)'),
  value('value-read-u64-at-12', 'r1 = *(u64 *)(r0 + 12)'),
  value('value-read-negative-offset', 'r1 = *(u8 *)(r0 - 1)'),
  value('value-read-unaligned-u32-ok', 'r1 = *(u32 *)(r0 + 3)'),
  value('value-write-ok', '*(u64 *)(r0 + 8) = 1'),
  value('value-write-one-past', '*(u32 *)(r0 + 13) = 1'),
  value('value-store-pointer-ok', '*(u64 *)(r0 + 0) = r10'),
  value('value-arith-then-read-ok', 'r0 += 4; r1 = *(u32 *)(r0 + 8)'),
  value('value-arith-then-read-past', 'r0 += 4; r1 = *(u32 *)(r0 + 9)'),
  value('value-arith-negative-then-read', 'r0 += -4; r1 = *(u32 *)(r0 + 0)'),
  value('value-arith-negative-then-read-back-in-ok', 'r0 += -4; r1 = *(u32 *)(r0 + 4)'),
  value('value-arith-sub-const-ok', 'r0 += 8; r0 -= 4; r1 = *(u64 *)(r0 + 4)'),
  value('value-arith-32bit', 'w0 += 4; r1 = *(u32 *)(r0 + 0)'),
  value('value-arith-and', 'r0 &= -8; r1 = *(u32 *)(r0 + 0)'),
  value('value-pointer-minus-pointer-ok', 'r1 = r0; r1 += 8; r1 -= r0; r0 = r1'),
  // Read-only and write-only maps from the program's side.
  value('rdonly-prog-map-read-ok', 'r1 = *(u64 *)(r0 + 0)', '.map m type=array key_size=4 value_size=16 max_entries=4 map_flags=0x80'),
  value('rdonly-prog-map-write', '*(u64 *)(r0 + 0) = 1', '.map m type=array key_size=4 value_size=16 max_entries=4 map_flags=0x80'),
  value('wronly-prog-map-read', 'r1 = *(u64 *)(r0 + 0)', '.map m type=array key_size=4 value_size=16 max_entries=4 map_flags=0x100'),
  value('wronly-prog-map-write-ok', '*(u64 *)(r0 + 0) = 1', '.map m type=array key_size=4 value_size=16 max_entries=4 map_flags=0x100'),
  // Constant keys into array maps.
  c('array-const-key-zero-stored-imm-no-null-check-ok', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-const-key-zero-value-bounds-still-checked', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 16)
    r0 = 0
    exit`),
  c('array-const-key-3-spilled-register-no-null-check-ok', `
    ${ARRAY}
    w1 = 3
    *(u32 *)(r10 - 8) = r1
    r2 = r10
    r2 += -8
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-const-key-4-spilled-register-out-of-range', `
    ${ARRAY}
    w1 = 4
    *(u32 *)(r10 - 8) = r1
    r2 = r10
    r2 += -8
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-const-key-spilled-u64-wrong-size', `
    ${ARRAY}
    r1 = 1
    *(u64 *)(r10 - 8) = r1
    r2 = r10
    r2 += -8
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('percpu-array-const-key-no-null-check-ok', `
    .map m type=percpu_array key_size=4 value_size=16 max_entries=4
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-const-key-3-stored-imm-not-tracked', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 3
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-const-key-out-of-range-no-null-check', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 4
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('array-unknown-key-no-null-check', `
    ${ARRAY}
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  c('hash-const-key-zero-no-null-check', `
    ${HASH}
    *(u64 *)(r10 - 8) = 0
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_lookup_elem
    r1 = *(u64 *)(r0 + 0)
    r0 = 0
    exit`),
  // Key arguments.
  c('key-stack-uninitialised-ok', `
    ${HASH}
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-stack-partly-initialised-ok', `
    ${HASH}
    *(u32 *)(r10 - 8) = 0
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-stack-runs-past-fp', `
    ${HASH}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-stack-below-512', `
    ${HASH}
    r2 = r10
    r2 += -516
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-null', `
    ${HASH}
    r2 = 0
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-scalar', `
    ${HASH}
    r2 = 64
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-ctx-pointer', `
    ${HASH}
    r2 = r1
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('key-packet-checked-ok', `
    ${HASH}
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto out
    r1 = h ll
    call bpf_map_lookup_elem
    out:
    r0 = 0
    exit`),
  c('key-packet-too-short', `
    ${HASH}
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r1 = h ll
    call bpf_map_lookup_elem
    out:
    r0 = 0
    exit`),
  lookup('key-map-value-ok', `
    if r0 == 0 goto out
    r2 = r0
    r1 = h ll
    call bpf_map_lookup_elem
    out:`, `${ARRAY}\n${HASH}`),
  lookup('key-map-value-too-small', `
    if r0 == 0 goto out
    r2 = r0
    r2 += 12
    r1 = h ll
    call bpf_map_lookup_elem
    out:`, `${ARRAY}\n${HASH}`),
  c('key-map-value-or-null', `
    ${ARRAY}
    ${HASH}
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r2 = r0
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('map-arg-scalar', `
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = 0
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('map-arg-stack-pointer', `
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = r10
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('map-pointer-deref-ok', `
    ${ARRAY}
    r1 = m ll
    r0 = *(u64 *)(r1 + 0)
    r0 = 0
    exit`),
  c('map-pointer-arithmetic', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    r1 += 8
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('map-pointer-spill-fill-ok', `
    ${ARRAY}
    r1 = m ll
    *(u64 *)(r10 - 16) = r1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = *(u64 *)(r10 - 16)
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  // Update and delete.
  c('update-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    *(u64 *)(r10 - 24) = 0
    *(u64 *)(r10 - 16) = 0
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -24
    r4 = 0
    r1 = h ll
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('update-value-uninitialised-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -24
    r4 = 0
    r1 = h ll
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('update-value-past-fp', `
    ${HASH}
    *(u64 *)(r10 - 16) = 1
    r2 = r10
    r2 += -16
    r3 = r10
    r3 += -8
    r4 = 0
    r1 = h ll
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('update-flags-uninitialised', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -24
    r1 = h ll
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('update-flags-pointer-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r3 = r10
    r3 += -24
    r4 = r10
    r1 = h ll
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('update-value-from-map-value-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r3 = r0
    r2 = r10
    r2 += -8
    r4 = 0
    r1 = h ll
    call bpf_map_update_elem
    out:
    r0 = 0
    exit`),
  c('delete-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_delete_elem
    r0 = 0
    exit`),
  c('delete-array-ok', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 1
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_delete_elem
    r0 = 0
    exit`),
  c('delete-key-null', `
    ${HASH}
    r2 = 0
    r1 = h ll
    call bpf_map_delete_elem
    r0 = 0
    exit`),
  c('return-map-value-or-null-ok', `
    ${HASH}
    *(u64 *)(r10 - 8) = 1
    r2 = r10
    r2 += -8
    r1 = h ll
    call bpf_map_lookup_elem
    exit`),
  // Map types.
  value('percpu-array-lookup-ok', 'r1 = *(u64 *)(r0 + 8)', '.map m type=percpu_array key_size=4 value_size=16 max_entries=4'),
  value('percpu-hash-lookup-past-value', 'r1 = *(u64 *)(r0 + 16)', '.map m type=percpu_hash key_size=4 value_size=16 max_entries=4'),
  value('lru-hash-lookup-ok', 'r1 = *(u64 *)(r0 + 8)', '.map m type=lru_hash key_size=4 value_size=16 max_entries=4'),
  c('lpm-trie-lookup-ok', `
    .map t type=lpm_trie key_size=8 value_size=16 max_entries=4 map_flags=1
    *(u32 *)(r10 - 8) = 32
    *(u32 *)(r10 - 4) = 0x0100000a
    r2 = r10
    r2 += -8
    r1 = t ll
    call bpf_map_lookup_elem
    if r0 == 0 goto +1
    r1 = *(u64 *)(r0 + 8)
    r0 = 0
    exit`),
  lookup('lpm-trie-key-too-short', 'r1 = 0', '.map m type=lpm_trie key_size=8 value_size=16 max_entries=4 map_flags=1'),
  lookup('ringbuf-lookup', 'r1 = 0', '.map m type=ringbuf key_size=0 value_size=0 max_entries=4096'),
  lookup('perf-event-array-lookup', 'r1 = 0', '.map m type=perf_event_array key_size=4 value_size=4 max_entries=4'),
  lookup('prog-array-lookup', 'r1 = 0', '.map m type=prog_array key_size=4 value_size=4 max_entries=4'),
  lookup('queue-lookup', 'r1 = 0', '.map m type=queue key_size=0 value_size=8 max_entries=4'),
  value('devmap-lookup-in-xdp-ok', 'r1 = *(u32 *)(r0 + 0)', '.map m type=devmap key_size=4 value_size=4 max_entries=4'),
  value('devmap-lookup-value-write', '*(u32 *)(r0 + 0) = 1', '.map m type=devmap key_size=4 value_size=4 max_entries=4'),
  lookup('sockmap-lookup-without-release-leaks-reference', 'if r0 == 0 goto +1\n    r1 = 0', '.map m type=sockmap key_size=4 value_size=4 max_entries=4'),
  lookup('sockmap-lookup-then-release-ok', `
    if r0 == 0 goto out
    r1 = r0
    call bpf_sk_release
    out:`, '.map m type=sockmap key_size=4 value_size=4 max_entries=4'),
  lookup('sockmap-lookup-then-deref-without-release', `
    if r0 == 0 goto out
    r1 = *(u32 *)(r0 + 4)
    out:`, '.map m type=sockmap key_size=4 value_size=4 max_entries=4'),
  lookup('stack-trace-map-lookup', 'r1 = 0', '.map m type=stack_trace key_size=4 value_size=8 max_entries=4'),
  c('queue-push-ok', `
    .map q type=queue key_size=0 value_size=8 max_entries=4
    *(u64 *)(r10 - 8) = 7
    r2 = r10
    r2 += -8
    r3 = 0
    r1 = q ll
    call bpf_map_push_elem
    r0 = 0
    exit`),
  c('queue-push-to-hash', `
    ${HASH}
    *(u64 *)(r10 - 8) = 7
    r2 = r10
    r2 += -8
    r3 = 0
    r1 = h ll
    call bpf_map_push_elem
    r0 = 0
    exit`),
  c('ringbuf-output-ok', `
    .map rb type=ringbuf key_size=0 value_size=0 max_entries=4096
    *(u64 *)(r10 - 8) = 7
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    r1 = rb ll
    call bpf_ringbuf_output
    r0 = 0
    exit`),
  c('ringbuf-output-to-array', `
    ${ARRAY}
    *(u64 *)(r10 - 8) = 7
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    r1 = m ll
    call bpf_ringbuf_output
    r0 = 0
    exit`),
  // ld_imm64 of a map value address (BPF_PSEUDO_MAP_IDX_VALUE).
  c('direct-value-read-ok', `
    .map g type=array key_size=4 value_size=16 max_entries=1
    r1 = map[g]+8 ll
    r0 = *(u64 *)(r1 + 0)
    exit`),
  c('direct-value-read-past-end', `
    .map g type=array key_size=4 value_size=16 max_entries=1
    r1 = map[g]+8 ll
    r0 = *(u64 *)(r1 + 4)
    exit`),
  c('direct-value-offset-at-value-size', `
    .map g type=array key_size=4 value_size=16 max_entries=1
    r1 = map[g]+16 ll
    r0 = 0
    exit`),
  c('direct-value-offset-huge', `
    .map g type=array key_size=4 value_size=16 max_entries=1
    r1 = map[g]+4096 ll
    r0 = 0
    exit`),
  c('direct-value-array-with-4-entries', `
    ${ARRAY}
    r1 = map[m]+0 ll
    r0 = 0
    exit`),
  c('direct-value-hash-map', `
    ${HASH}
    r1 = map[h]+0 ll
    r0 = 0
    exit`),
  c('direct-value-write-ok', `
    .map g type=array key_size=4 value_size=16 max_entries=1
    r1 = map[g]+0 ll
    *(u64 *)(r1 + 8) = 3
    r0 = 0
    exit`),
  c('direct-value-rdonly-prog-write', `
    .map g type=array key_size=4 value_size=16 max_entries=1 map_flags=0x80
    r1 = map[g]+0 ll
    *(u64 *)(r1 + 8) = 3
    r0 = 0
    exit`),
  c('map-ld-imm64-nonzero-second-imm', `
    ${ARRAY}
    .8byte 0x0000000000001118
    .8byte 0x0000000100000000
    r0 = 0
    exit`),
  // Reading struct bpf_map through a map pointer: BTF bounds it by the map type's struct
  // (bpf_array: 312 bytes, bpf_htab: 832 on 6.18).
  ...[
    ['array', ARRAY, 311, 1],
    ['array', ARRAY, 312, 1],
    ['array', ARRAY, 304, 8],
    ['array', ARRAY, 308, 8],
    ['hash', HASH, 831, 1],
    ['hash', HASH, 832, 1],
  ].map(([kind, decl, off, size]) =>
    c(`map-ptr-read-${kind}-off${off}-size${size}`, `
    ${decl}
    r1 = ${kind === 'array' ? 'm' : 'h'} ll
    r0 = *(${size === 1 ? 'u8' : 'u64'} *)(r1 + ${off})
    r0 = 0
    exit`),
  ),
];
