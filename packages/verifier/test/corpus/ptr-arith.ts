// Pointer arithmetic: what may be added to which pointer (ctx, stack, map value, packet,
// map_ptr, pkt_end), pointer-pointer subtraction, 32-bit ALU and bitwise ops on pointers,
// out-of-bounds constants, and comparisons between pointers.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('ptr-arith');

/** r2 = a stack pointer; `op` on it; then the program exits without using it. */
const onStack = (name: string, op: string): CorpusCase =>
  c(name, `
    r2 = r10
    r2 += -8
    ${op}
    r0 = 0
    exit`);

const MAP = `
  .map m type=array key_size=4 value_size=16 max_entries=1
  *(u32 *)(r10 - 4) = 0
  r2 = r10
  r2 += -4
  r1 = m ll
  call bpf_map_lookup_elem
  if r0 == 0 goto out`;

const PKT = `
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)`;

export const PTR_ARITH_CASES: CorpusCase[] = [
  // Stack pointers.
  onStack('stack-add-const-ok', 'r2 += 4'),
  onStack('stack-sub-const-prohibited', 'r2 -= 4'),
  onStack('stack-and', 'r2 &= -8'),
  onStack('stack-or', 'r2 |= 1'),
  onStack('stack-xor', 'r2 ^= 1'),
  onStack('stack-lsh', 'r2 <<= 1'),
  onStack('stack-rsh', 'r2 >>= 1'),
  onStack('stack-arsh', 'r2 s>>= 1'),
  onStack('stack-mul', 'r2 *= 2'),
  onStack('stack-div', 'r2 /= 2'),
  onStack('stack-mod', 'r2 %= 2'),
  onStack('stack-neg-becomes-scalar-ok', 'r2 = -r2'),
  onStack('stack-bswap-becomes-scalar-ok', 'r2 = bswap64 r2'),
  onStack('stack-be16-becomes-scalar-ok', 'r2 = be16 r2'),
  onStack('stack-add32', 'w2 += 1'),
  onStack('stack-mov32-truncates-to-scalar-ok', 'w2 = w2'),
  onStack('stack-movsx-ok', 'r2 = (s32)r2'),
  onStack('stack-plus-stack', 'r3 = r10; r2 += r3'),
  onStack('stack-minus-stack-is-unknown-scalar', 'r2 -= r10; r0 = r2; if r2 == -8 goto +1; r0 = r9'),
  onStack('scalar-minus-stack', 'r3 = 0; r3 -= r2'),
  onStack('scalar-plus-stack-gives-stack-pointer-ok', 'r3 = -8; r3 += r10; *(u64 *)(r3 + 0) = 0'),
  onStack('stack-add-huge-const', 'r2 += 0x7fffffff; *(u8 *)(r2 + 0) = 0'),
  onStack('stack-add-huge-const-unused', 'r2 += 0x7fffffff'),
  onStack('stack-sub-huge-ld-imm64-const', 'r3 = 0x100000000 ll; r2 -= r3; *(u8 *)(r2 + 0) = 0'),
  onStack('stack-compare-with-stack-ok', 'r3 = r10; if r2 > r3 goto +0'),
  onStack('stack-compare-with-scalar-ok', 'if r2 == 0 goto +0'),
  onStack('stack-compare-with-ctx-ok', 'if r2 != r1 goto +0'),
  onStack('stack-jmp32-compare-ok', 'if w2 == 0 goto +0'),
  // ctx pointers.
  c('ctx-add-const-unused-ok', `r1 += 8; r0 = 0; exit`),
  c('ctx-add-const-then-deref', `r1 += 8; r0 = *(u32 *)(r1 + 0); exit`),
  c('ctx-add-then-sub-back-then-deref-ok', `r1 += 8; r1 -= 8; r0 = *(u32 *)(r1 + 12); exit`),
  c('ctx-add-unknown-scalar', `
    r6 = r1
    call bpf_get_prandom_u32
    r6 += r0
    r0 = 0
    exit`),
  c('ctx-and', `r1 &= -4; r0 = 0; exit`),
  c('ctx-add32', `w1 += 4; r0 = 0; exit`),
  c('ctx-minus-ctx-ok', `r2 = r1; r2 -= r1; r0 = r2; exit`),
  c('ctx-plus-stack', `r1 += r10; r0 = 0; exit`),
  // map_ptr and pkt_end never take arithmetic.
  c('map-ptr-add-zero-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    r1 = m ll
    r1 += 0
    r0 = 0
    exit`),
  c('map-ptr-sub-const', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    r1 = m ll
    r1 -= 8
    r0 = 0
    exit`),
  c('map-ptr-add-register', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    r2 = 8
    r1 = m ll
    r1 += r2
    r0 = 0
    exit`),
  c('map-ptr-minus-map-ptr-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    r1 = m ll
    r2 = r1
    r2 -= r1
    r0 = 0
    exit`),
  c('pkt-end-add-const', `${PKT}\n r3 += 1\n r0 = 0\n exit`),
  c('pkt-end-sub-const', `${PKT}\n r3 -= 1\n r0 = 0\n exit`),
  c('pkt-end-minus-pkt-ok', `${PKT}\n r3 -= r2\n r0 = r3\n exit`),
  c('pkt-end-compare-pkt-end-ok', `${PKT}\n r4 = r3\n r0 = 0\n if r4 > r3 goto +0\n exit`),
  // Packet pointers.
  c('pkt-add-const-ok', `${PKT}\n r2 += 14\n r0 = 2\n exit`),
  c('pkt-add-const-max-offset-ok', `${PKT}\n r2 += 0xffff\n r0 = 2\n exit`),
  c('pkt-add-const-past-max-offset-unused-ok', `${PKT}\n r2 += 0x10000\n r0 = 2\n exit`),
  c('pkt-add-negative-const-unused-ok', `${PKT}\n r2 += -1\n r0 = 2\n exit`),
  c('pkt-add-const-past-max-offset-then-checked', `
    ${PKT}
    r2 += 0x10000
    r4 = r2
    r4 += 1
    if r4 > r3 goto +1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('pkt-sub-const-then-deref', `
    ${PKT}
    r4 = r2
    r4 += 14
    if r4 > r3 goto +2
    r2 -= 1
    r0 = *(u8 *)(r2 + 0)
    r0 = 2
    exit`),
  c('pkt-minus-pkt-is-unknown-scalar', `
    ${PKT}
    r4 = r2
    r4 += 14
    r4 -= r2
    r0 = 2
    if r4 == 14 goto +1
    r0 = r9
    exit`),
  c('pkt-and', `${PKT}\n r2 &= -2\n r0 = 2\n exit`),
  c('pkt-add32', `${PKT}\n w2 += 2\n r0 = 2\n exit`),
  c('pkt-plus-pkt', `${PKT}\n r4 = r2\n r2 += r4\n r0 = 2\n exit`),
  c('pkt-meta-add-const-ok', `r2 = *(u32 *)(r1 + 8); r2 += 4; r0 = 2; exit`),
  // Map value pointers.
  c('map-value-add-const-ok', `
    ${MAP}
    r0 += 8
    r1 = *(u64 *)(r0 + 0)
    out:
    r0 = 0
    exit`),
  c('map-value-add-huge-const', `
    ${MAP}
    r0 += 0x20000000
    out:
    r0 = 0
    exit`),
  c('map-value-add-huge-negative-const', `
    ${MAP}
    r0 += -0x20000000
    out:
    r0 = 0
    exit`),
  c('map-value-sub-register-const-ok', `
    ${MAP}
    r0 += 12
    r1 = 4
    r0 -= r1
    r1 = *(u64 *)(r0 + 0)
    out:
    r0 = 0
    exit`),
  c('map-value-xor', `
    ${MAP}
    r0 ^= 8
    out:
    r0 = 0
    exit`),
  c('map-value-plus-map-value', `
    ${MAP}
    r1 = r0
    r0 += r1
    out:
    r0 = 0
    exit`),
  c('map-value-minus-stack-ok', `
    ${MAP}
    r0 -= r10
    out:
    r0 = 0
    exit`),
  c('map-value-or-null-compare-with-stack-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == r10 goto +0
    r0 = 0
    exit`),
  c('map-value-or-null-compare-with-nonzero-const-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    call bpf_get_prandom_u32
    *(u32 *)(r10 - 4) = r0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 != 5 goto +0
    r0 = 0
    exit`),
];
