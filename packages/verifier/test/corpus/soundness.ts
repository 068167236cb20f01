// What random programs found where bpfsim's verdict differed from Linux's (issue 21), each
// reduced to the rule it breaks: a linked register's delta outliving its link, one load or
// store reached with a ctx pointer on one path and another pointer on another
// (save_aux_ptr_type), a helper writing to a map programs may only read (record_func_map),
// sign extension of a range across zero (coerce_reg_to_size_sx), and bpf_spin_lock's
// argument checks.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('soundness');
const SKF = { progType: 'socket_filter' } as const;

/** `r7` as a linked copy of an unknown, moved by `op`, then used as a stack offset through
 * a second copy bounded by a branch (the sync of linked registers decides the offset). */
const linked = (name: string, op: string): CorpusCase =>
  c(name, `
    call bpf_get_prandom_u32
    r7 = r0
    r7 += 3
    ${op}
    r4 = r7
    r4 += -1
    if r4 > 7 goto out
    r0 = r10
    r0 += -16
    r0 += r7
    r1 = *(u8 *)(r0 + 0)
    out:
    r0 = 0
    exit`, SKF);

/** A load (or store) at one instruction whose base is the ctx on one path and `other` on
 * the other (r1's first field decides). */
const mixed = (name: string, other: string, access = 'r0 = *(u32 *)(r3 + 0)', decl = ''): CorpusCase =>
  c(name, `
    ${decl}
    r6 = r1
    *(u64 *)(r10 - 8) = 0
    r2 = *(u32 *)(r1 + 0)
    if r2 == 0 goto other
    r3 = r6
    goto use
    other:
    ${other}
    use:
    ${access}
    r0 = 2
    exit`);

/** A map helper on a map created with BPF_F_RDONLY_PROG (128). */
const rdonly = (name: string, decl: string, call: string): CorpusCase =>
  c(name, `
    ${decl}
    *(u32 *)(r10 - 4) = 0
    *(u64 *)(r10 - 16) = 0
    r1 = m ll
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r4 = 0
    ${call}
    r0 = 2
    exit`);

/** r1 = (SX)r0 with r0 in [add, add + mask]: accepted iff the verifier keeps r1 in [lo, hi]. */
const sext = (name: string, mask: number, add: number, sx: string, lo: number, hi: number): CorpusCase =>
  c(name, `
    call bpf_get_prandom_u32
    r0 &= ${mask}
    r0 += ${add}
    r1 = (${sx})r0
    if r1 s> ${hi} goto bad
    if r1 s< ${lo} goto bad
    r0 = 0
    exit
    bad:
    r0 = r9
    exit`, SKF);

const ARRAY = '.map m type=array key_size=4 value_size=16 max_entries=1';

export const SOUNDNESS_CASES: CorpusCase[] = [
  // The program random testing found: w7 >>= 31 must drop r7's delta with its link, or the
  // later sync gives r0 a wrong constant offset (misaligned, and outside the stack).
  c('linked-delta-dropped-by-alu32-shift', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    r0 = *(u8 *)(r2 + 0)
    r7 = r0
    r7 += -9
    w7 >>= 31
    r4 = r7
    r4 += -1
    if r4 > 31 goto out
    r0 = r10
    r0 += r7
    *(u64 *)(r0 + 0) = 0
    out:
    r0 = 2
    exit`),
  // The same cause made bpfsim refuse a valid program: a stale delta of 2^31-1 on a constant.
  c('linked-delta-dropped-then-fp-math-ok', `
    call bpf_get_prandom_u32
    r7 = r0
    r6 = r7
    r7 += 2147483647
    r7 <<= 8
    r7 &= 0
    r5 = r7
    r5 += r10
    r0 = 0
    exit`, SKF),
  linked('linked-delta-kept-by-add-ok', 'r7 += 0'),
  linked('linked-delta-dropped-by-mul', 'r7 *= 1'),
  linked('linked-delta-dropped-by-or', 'r7 |= 0'),
  linked('linked-delta-dropped-by-alu32-add', 'w7 += 0'),
  linked('linked-delta-dropped-by-neg', 'r7 = -r7'),
  mixed('same-insn-ctx-and-stack-load', 'r3 = r10\n    r3 += -8'),
  mixed('same-insn-ctx-and-stack-store', 'r3 = r10\n    r3 += -8', '*(u32 *)(r3 + 0) = r2'),
  mixed('same-insn-ctx-and-stack-store-imm', 'r3 = r10\n    r3 += -8', '*(u32 *)(r3 + 0) = 0'),
  mixed('same-insn-ctx-and-packet-load', 'r3 = *(u32 *)(r6 + 0)\n    r4 = *(u32 *)(r6 + 4)\n    r5 = r3\n    r5 += 4\n    if r5 > r4 goto out\n    goto use\n    out:\n    r0 = 2\n    exit'),
  mixed('same-insn-ctx-twice-ok', 'r3 = r6'),
  c('same-insn-stack-and-map-value-ok', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    *(u64 *)(r10 - 16) = 0
    r6 = r1
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r3 = r0
    r2 = *(u32 *)(r6 + 0)
    if r2 == 0 goto use
    r3 = r10
    r3 += -16
    use:
    r0 = *(u32 *)(r3 + 0)
    out:
    r0 = 2
    exit`),
  rdonly('rdonly-prog-map-update', `.map m type=hash key_size=4 value_size=8 max_entries=4 map_flags=128`, 'call bpf_map_update_elem'),
  rdonly('rdonly-prog-map-delete', `.map m type=hash key_size=4 value_size=8 max_entries=4 map_flags=128`, 'call bpf_map_delete_elem'),
  rdonly('rdonly-prog-map-lookup-ok', `.map m type=hash key_size=4 value_size=8 max_entries=4 map_flags=128`, 'call bpf_map_lookup_elem'),
  rdonly('rdonly-prog-queue-push', `.map m type=queue key_size=0 value_size=8 max_entries=4 map_flags=128`, 'r2 = r3\n    r3 = 0\n    call bpf_map_push_elem'),
  rdonly('rdonly-prog-queue-pop', `.map m type=queue key_size=0 value_size=8 max_entries=4 map_flags=128`, 'r2 = r3\n    call bpf_map_pop_elem'),
  rdonly('rdonly-prog-queue-peek-ok', `.map m type=queue key_size=0 value_size=8 max_entries=4 map_flags=128`, 'r2 = r3\n    call bpf_map_peek_elem'),
  rdonly('wronly-prog-map-update-ok', `.map m type=hash key_size=4 value_size=8 max_entries=4 map_flags=256`, 'call bpf_map_update_elem'),
  sext('sext-s16-across-zero-kept-ok', 1, -1, 's16', -1, 0),
  sext('sext-s8-across-zero-kept-ok', 3, -2, 's8', -2, 1),
  sext('sext-s32-across-zero-kept-ok', 1, -1, 's32', -1, 0),
  // 0xfe..0x101 as s8 is -2..1, but its two ends differ above bit 7: the full s8 range.
  sext('sext-s8-across-bit-8-widens', 3, 0xfe, 's8', -2, 1),
  sext('sext-s8-wider-than-s8-widens', 0x1ff, -256, 's8', -100, 100),
  // The 32-bit range decides when the 64-bit one is not known (LD_ABS leaves the top half
  // unknown; a jmp32 bounds the subregister).
  c('sext-s16-of-jmp32-bounded-subreg-ok', `
    r6 = r1
    r0 = *(u8 *)skb[35]
    r1 = r0
    if w1 > 40 goto out
    r1 = (s16)r1
    if r1 s> 40 goto bad
    if r1 s< 0 goto bad
    out:
    r0 = 0
    exit
    bad:
    r0 = r9
    exit`, SKF),
  c('sext-s32-of-jmp32-bounded-subreg-ok', `
    r6 = r1
    r0 = *(u8 *)skb[35]
    r1 = r0
    if w1 s> 3 goto out
    if w1 s< -5 goto out
    r1 = (s32)r1
    if r1 s> 3 goto bad
    if r1 s< -5 goto bad
    out:
    r0 = 0
    exit
    bad:
    r0 = r9
    exit`, SKF),
  // A linked register's delta of 2^31 - 1 is not a pointer offset: the sum stays bounded.
  c('linked-delta-large-then-map-value-math-ok', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r9 = r0
    call bpf_get_prandom_u32
    r5 = r0
    r5 += 2147483647
    if r5 > 12 goto out
    r9 += r5
    r1 = *(u8 *)(r9 + 0)
    out:
    r0 = 0
    exit`, SKF),
  // Reads through a map pointer are typed by the kernel's BTF of struct bpf_array.
  ...(
    [
      ['max-entries-ok', 'r0 = *(u32 *)(r1 + 76)'],
      ['max-entries-narrow-ok', 'r0 = *(u8 *)(r1 + 77)'],
      ['ops-pointer-ok', 'r0 = *(u64 *)(r1 + 40)'],
      ['ops-pointer-in-part', 'r0 = *(u32 *)(r1 + 40)'],
      ['ops-pointer-then-field-ok', 'r2 = *(u64 *)(r1 + 40)\n    r0 = *(u64 *)(r2 + 0)'],
      ['inner-map-meta-then-max-entries-ok', 'r2 = *(u64 *)(r1 + 48)\n    r0 = *(u32 *)(r2 + 76)'],
      ['inner-map-meta-then-ops-in-part', 'r2 = *(u64 *)(r1 + 48)\n    r0 = *(u16 *)(r2 + 42)'],
      ['past-the-end', 'r0 = *(u32 *)(r1 + 312)'],
      ['write', '*(u32 *)(r1 + 76) = 0'],
      ['security-void-pointer-deref', 'r2 = *(u64 *)(r1 + 56)\n    r0 = *(u8 *)(r2 + 0)'],
      ['elem-size-ok', 'r0 = *(u32 *)(r1 + 296)'],
    ] as const
  ).map(([name, body]) =>
    c(`map-ptr-read-${name}`, `
    ${ARRAY}
    r1 = m ll
    ${body}
    r0 = 0
    exit`, SKF),
  ),
  c('spin-lock-scalar-arg', `
    r1 = 0
    call bpf_spin_lock
    r0 = 0
    exit`, SKF),
  c('spin-lock-stack-arg', `
    r1 = r10
    r1 += -8
    call bpf_spin_lock
    r0 = 0
    exit`, SKF),
  c('spin-lock-map-value-without-btf', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = r0
    call bpf_spin_lock
    out:
    r0 = 0
    exit`, SKF),
  c('spin-unlock-map-value-without-btf', `
    ${ARRAY}
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = r0
    call bpf_spin_unlock
    out:
    r0 = 0
    exit`, SKF),
];
