// Sign extension and the other instructions of ISA v4: movsx (ALU64 and ALU32),
// sign-extending loads (stack, map values, packet, ctx), sdiv/smod, bswap, gotol; the
// verifier's bounds after sign extension; encodings v4 leaves reserved.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('v4');

/** r6: an unknown u64. Accepted iff the verifier knows `cond` after `compute`. */
const knows = (name: string, compute: string, cond: string): CorpusCase =>
  c(name, `
    call bpf_ktime_get_ns
    r6 = r0
    ${compute}
    if ${cond} goto ok
    r0 = r9
    exit
    ok:
    r0 = 0
    exit`);

export const V4_CASES: CorpusCase[] = [
  // movsx
  knows('movsx64-s8-range-ok', 'r1 = (s8)r6', 'r1 s>= -128'),
  knows('movsx64-s8-range-tight', 'r1 = (s8)r6', 'r1 s>= -127'),
  knows('movsx64-s16-range-ok', 'r1 = (s16)r6', 'r1 s<= 32767'),
  knows('movsx64-s32-range-ok', 'r1 = (s32)r6', 'r1 s>= -2147483648'),
  knows('movsx64-s32-not-unsigned-bounded', 'r1 = (s32)r6; r2 = 0xffffffff ll', 'r1 <= r2'),
  knows('movsx64-s8-of-small-positive-ok', 'r1 = r6; r1 &= 0x7f; r1 = (s8)r1', 'r1 <= 127'),
  knows('movsx32-s8-zero-extends-ok', 'w1 = (s8)w6; r2 = 0xffffffff ll', 'r1 <= r2'),
  knows('movsx32-s16-const-ok', 'w2 = 0x8000; w1 = (s16)w2; r3 = 0xffff8000 ll', 'r1 == r3'),
  knows('movsx64-s16-const-ok', 'r2 = 0x8000; r1 = (s16)r2', 'r1 == -32768'),
  c('movsx64-of-pointer-ok', `r1 = r10; r1 += -8; r2 = (s32)r1; r0 = 0; exit`),
  c('movsx32-of-pointer-ok', `r1 = r10; w2 = (s8)w1; r0 = 0; exit`),
  c('movsx64-s8-uninitialised', `r1 = (s8)r2; r0 = 0; exit`),
  c('movsx-bad-off-24', `
    r1 = 0
    .8byte 0x00000000001812bf
    r0 = 0
    exit`),
  c('movsx-k-form-reserved', `
    .8byte 0x00000001000801b7
    r0 = 0
    exit`),
  // Sign-extending loads.
  c('ldsx-stack-s8-ok', `*(u64 *)(r10 - 8) = -1; r0 = *(s8 *)(r10 - 8); exit`),
  c('ldsx-stack-s16-ok', `*(u64 *)(r10 - 8) = -1; r0 = *(s16 *)(r10 - 8); exit`),
  c('ldsx-stack-s32-ok', `*(u64 *)(r10 - 8) = -1; r0 = *(s32 *)(r10 - 8); exit`),
  c('ldsx-stack-s32-misaligned', `*(u64 *)(r10 - 8) = -1; r0 = *(s32 *)(r10 - 6); exit`),
  c('ldsx-stack-out-of-bounds', `r0 = *(s32 *)(r10 + 0); exit`),
  c('ldsx-s64-reserved', `
    *(u64 *)(r10 - 8) = 0
    .8byte 0x00000000fff80af9
    r0 = 0
    exit`),
  c('ldsx-spilled-pointer', `*(u64 *)(r10 - 8) = r10; r0 = *(s32 *)(r10 - 8); exit`),
  c('ldsx-stack-const-s8-known-ok', `
    *(u64 *)(r10 - 8) = 0xff
    r1 = *(s8 *)(r10 - 8)
    r0 = 0
    if r1 == -1 goto +1
    r0 = r9
    exit`),
  c('ldsx-map-value-s8-as-index', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(s8 *)(r0 + 0)
    r0 += r1
    r1 = *(u8 *)(r0 + 0)
    r0 = 0
    exit`),
  c('ldsx-map-value-s8-masked-index-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = *(s8 *)(r0 + 0)
    r1 &= 0xf
    r0 += r1
    r1 = *(u8 *)(r0 + 0)
    r0 = 0
    exit`),
  c('ldsx-packet-s16-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto +1
    r0 = *(s16 *)(r2 + 12)
    r0 = 2
    exit`),
  c('ldsx-packet-unchecked', `
    r2 = *(u32 *)(r1 + 0)
    r0 = *(s16 *)(r2 + 12)
    r0 = 2
    exit`),
  c('ldsx-ctx-socket-filter-s16-ok', `r0 = *(s16 *)(r1 + 0); exit`, { progType: 'socket_filter' }),
  c('ldsx-ctx-xdp-data-end', `r0 = *(s32 *)(r1 + 4); r0 = 0; exit`),
  // Signed division and modulo, byte swaps, long jumps.
  c('sdiv64-reg-ok', `r0 = -7; r1 = 2; r0 s/= r1; exit`),
  c('smod32-reg-ok', `w0 = -7; w1 = 2; w0 s%= w1; exit`),
  c('sdiv64-imm-minus-1-ok', `r0 = -7; r0 s/= -1; exit`),
  c('sdiv32-by-zero-reg-ok', `w0 = 7; w1 = 0; w0 s/= w1; exit`),
  c('sdiv-bad-off-2', `
    r0 = 7
    .8byte 0x000000020002003f
    exit`),
  c('sdiv-of-pointer', `r1 = r10; r1 s/= 2; r0 = 0; exit`),
  c('bswap16-ok', `r0 = 0x1234; r0 = bswap16 r0; exit`),
  c('bswap32-ok', `r0 = 0x1234; r0 = bswap32 r0; exit`),
  c('bswap64-ok', `r0 = 0x1234; r0 = bswap64 r0; exit`),
  c('bswap-uninitialised', `r2 = bswap64 r2; r0 = 0; exit`),
  c('bswap-bad-width-8', `
    r0 = 1
    .8byte 0x00000008000000d7
    exit`),
  c('bswap-alu64-to-be-reserved', `
    r0 = 1
    .8byte 0x00000010000000df
    exit`),
  c('gotol-forward-ok', `
    r0 = 0
    if r1 == 0 goto +1
    gotol +1
    r0 = 1
    exit`),
  c('gotol-backward-loop-bounded-ok', `
    r0 = 0
    loop:
    r0 += 1
    if r0 > 4 goto out
    gotol loop
    out:
    exit`),
  c('gotol-with-off-set', `
    r0 = 0
    .8byte 0x0000000000010006
    exit`),
  c('jmp32-ja-with-imm-zero-ok', `r0 = 0; gotol +0; exit`),
];
