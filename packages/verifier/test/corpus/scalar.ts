// Scalar tracking: constants folded through ALU ops (64- and 32-bit), ranges through
// masks and shifts, branches that refine bounds (unsigned, signed, 32-bit), and scalars
// then used as offsets into map values. Many cases use one shape: compute r1, then
// `if COND goto ok` followed by a read of the never-written r9; the program is accepted
// exactly when the verifier knows COND holds (the fall-through is then dead code).
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('scalar');

/** r6: an unknown u32 (xdp_md.ingress_ifindex); r7: an unknown u64 (bpf_ktime_get_ns). */
const UNKNOWNS = `
  r6 = *(u32 *)(r1 + 12)
  call bpf_ktime_get_ns
  r7 = r0`;

/** Accepted iff the verifier can tell that `cond` holds after `compute`. */
const knows = (name: string, compute: string, cond: string): CorpusCase =>
  c(name, `
    ${UNKNOWNS}
    ${compute}
    if ${cond} goto ok
    r0 = r9
    exit
    ok:
    r0 = 0
    exit`);

/** Indexes a 16-byte array map value with r1 after `compute` (r6, r7 as in UNKNOWNS). */
const index = (name: string, compute: string, access = 'r1 = *(u8 *)(r0 + 0)'): CorpusCase =>
  c(name, `
    .map m type=array key_size=4 value_size=16 max_entries=1
    ${UNKNOWNS}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    ${compute}
    r0 += r1
    ${access}
    out:
    r0 = 0
    exit`);

export const SCALAR_CASES: CorpusCase[] = [
  // Constant folding, 64-bit.
  knows('const-mov-ok', 'r1 = 7', 'r1 == 7'),
  knows('const-mov-wrong-value', 'r1 = 7', 'r1 == 8'),
  knows('const-mov-negative-sign-extends-ok', 'r1 = -1', 'r1 == -1'),
  knows('const-ld-imm64-ok', 'r1 = 0x123456789 ll; r2 = 0x123456789 ll', 'r1 == r2'),
  knows('const-add-ok', 'r1 = 40; r1 += 2', 'r1 == 42'),
  knows('const-add-reg-ok', 'r1 = 40; r2 = 2; r1 += r2', 'r1 == 42'),
  knows('const-sub-ok', 'r1 = 40; r1 -= 50', 'r1 == -10'),
  knows('const-mul-ok', 'r1 = 6; r1 *= 7', 'r1 == 42'),
  knows('const-or-ok', 'r1 = 0x40; r1 |= 2', 'r1 == 0x42'),
  knows('const-and-ok', 'r1 = 0xff; r1 &= 0x42', 'r1 == 0x42'),
  knows('const-xor-ok', 'r1 = 0xff; r1 ^= 0xbd', 'r1 == 0x42'),
  knows('const-lsh-ok', 'r1 = 1; r1 <<= 40; r2 = 0x10000000000 ll', 'r1 == r2'),
  knows('const-rsh-ok', 'r1 = -1; r1 >>= 60', 'r1 == 15'),
  knows('const-arsh-ok', 'r1 = -64; r1 s>>= 4', 'r1 == -4'),
  knows('const-neg-ok', 'r1 = 5; r1 = -r1', 'r1 == -5'),
  knows('const-lsh-by-reg-ok', 'r1 = 1; r2 = 4; r1 <<= r2', 'r1 == 16'),
  knows('const-div-not-folded', 'r1 = 42; r1 /= 2', 'r1 == 21'),
  knows('const-mod-not-folded', 'r1 = 42; r1 %= 5', 'r1 == 2'),
  knows('const-sdiv-not-folded', 'r1 = -42; r1 s/= 2', 'r1 == -21'),
  knows('const-be16-ok', 'r1 = 0x1234; r1 = be16 r1', 'r1 == 0x3412'),
  knows('const-le16-truncates-ok', 'r1 = 0x12345 ll; r1 = le16 r1', 'r1 == 0x2345'),
  knows('const-be32-wrong-value', 'r1 = 0x1234; r1 = be32 r1', 'r1 == 0x3412'),
  knows('const-bswap64-ok', 'r1 = 1; r1 = bswap64 r1; r2 = 0x100000000000000 ll', 'r1 == r2'),
  knows('range-be16-of-unknown-bounded-ok', 'r1 = r7; r1 = be16 r1', 'r1 <= 0xffff'),
  knows('const-movsx8-ok', 'r2 = 0x80; r1 = (s8)r2', 'r1 == -128'),
  knows('const-movsx32-ok', 'r2 = 0xffffffff ll; r1 = (s32)r2', 'r1 == -1'),
  // Constant folding, 32-bit: results are zero-extended.
  knows('const32-mov-zero-extends-ok', 'w1 = -1; r2 = 0xffffffff ll', 'r1 == r2'),
  knows('const32-mov-is-not-sign-extended', 'w1 = -1', 'r1 == -1'),
  knows('const32-add-wraps-ok', 'w1 = -1; w1 += 2', 'r1 == 1'),
  knows('const64-add-does-not-wrap-at-32', 'r1 = 0xffffffff ll; r1 += 1', 'r1 == 0'),
  knows('const32-mov-truncates-ok', 'r2 = 0x1ffffffff ll; w1 = w2; r3 = 0xffffffff ll', 'r1 == r3'),
  knows('const32-mov-truncates-jmp32-ok', 'r2 = 0x1ffffffff ll; w1 = w2', 'w1 == -1'),
  knows('const32-lsh-ok', 'w1 = 1; w1 <<= 31; r2 = 0x80000000 ll', 'r1 == r2'),
  knows('const32-arsh-ok', 'w1 = -64; w1 s>>= 4', 'w1 == -4'),
  knows('const32-neg-ok', 'w1 = 5; w1 = -w1; r2 = 0xfffffffb ll', 'r1 == r2'),
  knows('const32-upper-cleared-by-alu32-ok', 'r1 = -1; w1 += 0; r2 = 0xffffffff ll', 'r1 == r2'),
  knows('const32-mul-ok', 'w1 = 0x10000; w1 *= 0x10000', 'r1 == 0'),
  // Ranges through ALU ops on unknowns.
  knows('range-u32-load-upper-zero-ok', 'r1 = r6', 'r1 <= 0xffffffff'),
  knows('range-u64-unknown-not-bounded', 'r1 = r7; r2 = 0xffffffff ll', 'r1 <= r2'),
  knows('range-and-mask-ok', 'r1 = r7; r1 &= 0xff', 'r1 <= 255'),
  knows('range-and-mask-tight', 'r1 = r7; r1 &= 0xff', 'r1 <= 254'),
  knows('range-rsh-ok', 'r1 = r6; r1 >>= 24', 'r1 <= 255'),
  knows('range-rsh-tight', 'r1 = r6; r1 >>= 24', 'r1 < 255'),
  knows('range-rsh64-of-u64-ok', 'r1 = r7; r1 >>= 56', 'r1 <= 255'),
  knows('range-add-after-mask-ok', 'r1 = r7; r1 &= 0xf; r1 += 16', 'r1 <= 31'),
  knows('range-add-after-mask-min-ok', 'r1 = r7; r1 &= 0xf; r1 += 16', 'r1 >= 16'),
  knows('range-sub-may-go-negative', 'r1 = r7; r1 &= 0xf; r1 -= 1', 'r1 s>= 0'),
  knows('range-mul-ok', 'r1 = r7; r1 &= 0xf; r1 *= 4', 'r1 <= 60'),
  knows('range-or-ok', 'r1 = r7; r1 &= 0xf; r1 |= 0x10', 'r1 >= 16'),
  knows('range-xor-ok', 'r1 = r7; r1 &= 0xf; r1 ^= 0x30', 'r1 <= 0x3f'),
  knows('range-lsh-ok', 'r1 = r7; r1 &= 0xf; r1 <<= 4', 'r1 <= 0xf0'),
  knows('range-arsh-keeps-sign', 'r1 = r7; r1 s>>= 60', 'r1 s>= 0'),
  knows('range-arsh-bounded-ok', 'r1 = r7; r1 s>>= 60', 'r1 s>= -8'),
  knows('range-shift-by-unknown-unbounded', 'r1 = 1; r2 = r7; r2 &= 7; r1 <<= r2', 'r1 <= 128'),
  knows('range-shift-by-64-via-reg-unknown', 'r1 = 1; r2 = 64; r1 <<= r2', 'r1 == 0'),
  knows('range-mod-unbounded', 'r1 = r7; r1 %= 16', 'r1 < 16'),
  knows('range-div-unbounded', 'r1 = r6; r1 /= 0x1000000', 'r1 <= 255'),
  knows('range-neg-ok', 'r1 = r7; r1 &= 0xf; r1 = -r1', 'r1 s<= 0'),
  knows('range-neg-tight', 'r1 = r7; r1 &= 0xf; r1 = -r1', 'r1 s< 0'),
  knows('range-tnum-or-sets-min-ok', 'r1 = r7; r1 &= 0xf0; r1 |= 1', 'r1 != 0'),
  knows('range-tnum-jset-known-bit-ok', 'r1 = r7; r1 &= 0xf0; r1 |= 1', 'r1 & 1'),
  knows('range-tnum-jset-unknown-bit', 'r1 = r7; r1 &= 0xf0; r1 |= 1', 'r1 & 0x10'),
  knows('range-sum-of-two-ok', 'r1 = r7; r1 &= 7; r2 = r6; r2 &= 8; r1 += r2', 'r1 <= 15'),
  knows('range-movsx8-of-byte', 'r1 = r6; r1 &= 0xff; r1 = (s8)r1', 'r1 s>= 0'),
  knows('range-movsx8-of-byte-bounded-ok', 'r1 = r6; r1 &= 0xff; r1 = (s8)r1', 'r1 s>= -128'),
  // 32-bit subregisters.
  knows('sub32-alu32-zero-extends-unknown-ok', 'w1 = w7', 'r1 <= 0xffffffff'),
  knows('sub32-and32-mask-ok', 'w1 = w7; w1 &= 0xff', 'r1 <= 255'),
  knows('sub32-jmp32-bounds-upper-unknown', 'r1 = r7; if w1 > 15 goto +3', 'r1 <= 15'),
  knows('sub32-jmp32-bounds-u32-load-ok', 'r1 = r6; if w1 > 15 goto +3', 'r1 <= 15'),
  knows('sub32-add32-may-wrap-to-zero', 'w1 = w6; w1 += 1', 'r1 != 0'),
  knows('sub32-add32-result-zero-extended-ok', 'w1 = w6; w1 += 1', 'r1 <= 0xffffffff'),
  // Branches refine bounds; the second test is then always true.
  knows('refine-jgt-ok', 'r1 = r7; if r1 > 10 goto +3', 'r1 <= 10'),
  knows('refine-jge-ok', 'r1 = r7; if r1 >= 10 goto +3', 'r1 < 10'),
  knows('refine-jlt-ok', 'r1 = r7; if r1 < 10 goto +3', 'r1 >= 10'),
  knows('refine-jle-ok', 'r1 = r7; if r1 <= 10 goto +3', 'r1 > 10'),
  knows('refine-jeq-false-branch-learns-nothing', 'r1 = r7; if r1 == 10 goto +3', 'r1 != 10'),
  knows('refine-jeq-true-branch-ok', 'r1 = r7; if r1 != 10 goto +3', 'r1 == 10'),
  knows('refine-jne-at-bound-ok', 'r1 = r7; r1 &= 0xf; if r1 == 0 goto +3', 'r1 >= 1'),
    knows('refine-jsgt-ok', 'r1 = r7; if r1 s> 10 goto +3', 'r1 s<= 10'),
  knows('refine-jsge-ok', 'r1 = r7; if r1 s>= -10 goto +3', 'r1 s< -10'),
  knows('refine-jslt-ok', 'r1 = r7; if r1 s< -10 goto +3', 'r1 s>= -10'),
  knows('refine-jsle-ok', 'r1 = r7; if r1 s<= 10 goto +3', 'r1 s> 10'),
  knows('refine-jset-false-branch-ok', 'r1 = r7; if r1 & -16 goto +3', 'r1 <= 15'),
  knows('refine-jgt-off-by-one', 'r1 = r7; if r1 > 10 goto +3', 'r1 < 10'),
  knows('refine-signed-does-not-bound-unsigned', 'r1 = r7; if r1 s> 10 goto +3', 'r1 <= 10'),
  knows('refine-signed-pair-bounds-unsigned-ok', 'r1 = r7; if r1 s> 10 goto +4; if r1 s< 0 goto +3', 'r1 <= 10'),
  knows('refine-unsigned-bounds-signed-ok', 'r1 = r7; if r1 > 10 goto +3', 'r1 s>= 0'),
  knows('refine-reg-reg-const-ok', 'r1 = r7; r2 = 10; if r1 > r2 goto +3', 'r1 <= 10'),
  knows('refine-reg-reg-bounded-by-other-ok', 'r1 = r7; r2 = r6; if r1 > r2 goto +3', 'r1 <= 0xffffffff'),
  knows('refine-reg-reg-no-relational-tracking', 'r1 = r7; r2 = r6; if r1 > r2 goto +3', 'r1 <= r2'),
  knows('refine-jmp32-jgt-ok', 'w1 = w7; if w1 > 10 goto +3', 'w1 <= 10'),
  knows('refine-jmp32-signed-ok', 'w1 = w7; if w1 s> 10 goto +4; if w1 s< 0 goto +3', 'r1 <= 10'),
  knows('refine-copy-shares-bounds-ok', 'r1 = r7; r2 = r1; if r2 > 10 goto +3', 'r1 <= 10'),
  knows('refine-copy-after-alu-not-shared', 'r1 = r7; r2 = r1; r2 += 0; r2 += 1; if r2 > 10 goto +3', 'r1 <= 10'),
  // Scalars used as offsets into a 16-byte map value.
  index('map-index-const-15-ok', 'r1 = 15'),
  index('map-index-const-16', 'r1 = 16'),
  index('map-index-const-minus-1', 'r1 = -1'),
  index('map-index-unknown-u64', 'r1 = r7'),
  index('map-index-unknown-u32', 'r1 = r6'),
  index('map-index-masked-ok', 'r1 = r7; r1 &= 15'),
  index('map-index-masked-too-wide', 'r1 = r7; r1 &= 31'),
  index('map-index-masked-u16-access-at-edge', 'r1 = r7; r1 &= 15', 'r1 = *(u16 *)(r0 + 0)'),
  index('map-index-masked-u16-access-ok', 'r1 = r7; r1 &= 14', 'r1 = *(u16 *)(r0 + 0)'),
  index('map-index-rsh-ok', 'r1 = r6; r1 >>= 28'),
  index('map-index-rsh-too-wide', 'r1 = r6; r1 >>= 27'),
  index('map-index-jgt-15-ok', 'r1 = r7; if r1 > 15 goto out'),
  index('map-index-jgt-16', 'r1 = r7; if r1 > 16 goto out'),
  index('map-index-jge-16-ok', 'r1 = r7; if r1 >= 16 goto out'),
  index('map-index-jlt-negated-ok', 'r1 = r7; if r1 < 16 goto +1; goto out'),
  index('map-index-jsgt-only-min-negative', 'r1 = r7; if r1 s> 15 goto out'),
  index('map-index-jsgt-and-jslt-ok', 'r1 = r7; if r1 s> 15 goto out; if r1 s< 0 goto out'),
  index('map-index-jmp32-on-u64', 'r1 = r7; if w1 > 15 goto out'),
  index('map-index-jmp32-on-u32-ok', 'r1 = r6; if w1 > 15 goto out'),
  index('map-index-sub-negative', 'r1 = r7; r1 &= 7; r1 -= 1'),
  index('map-index-add-in-range-ok', 'r1 = r7; r1 &= 7; r1 += 8'),
  index('map-index-add-past-end', 'r1 = r7; r1 &= 7; r1 += 9'),
  index('map-index-mod-unbounded', 'r1 = r7; r1 %= 16'),
  index('map-index-const-mul-ok', 'r1 = 3; r1 *= 5'),
  index('map-index-const-lsh-past-end', 'r1 = 4; r1 <<= 2'),
  index('map-index-w-wraps-to-zero-ok', 'w1 = -1; w1 += 1'),
  index('map-index-r-no-wrap-past-end', 'w1 = -1; r1 += 1'),
  index('map-index-neg-offset-then-fixed-ok', 'r1 = r7; r1 &= 7', 'r1 = *(u8 *)(r0 + 8)'),
  index('map-index-fixed-offset-past-end', 'r1 = r7; r1 &= 7', 'r1 = *(u8 *)(r0 + 9)'),
];
