// Loops: bounded loops are walked iteration by iteration (and accepted), loops whose
// states repeat are infinite, loops that never settle hit the 1M-instruction budget;
// may_goto and bpf_loop bound loops the verifier cannot count.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('loops');

export const LOOPS_CASES: CorpusCase[] = [
  c('bounded-count-up-10-ok', `
    r1 = 0
    loop:
    r1 += 1
    if r1 < 10 goto loop
    r0 = 0
    exit`),
  c('bounded-count-down-10-ok', `
    r1 = 10
    loop:
    r1 -= 1
    if r1 != 0 goto loop
    r0 = 0
    exit`),
  c('bounded-jmp32-ok', `
    w1 = 0
    loop:
    w1 += 1
    if w1 < 10 goto loop
    r0 = 0
    exit`),
  c('bounded-by-unknown-masked-ok', `
    call bpf_get_prandom_u32
    r2 = r0
    r2 &= 0xf
    r1 = 0
    loop:
    r1 += 1
    if r1 < r2 goto loop
    r0 = 0
    exit`),
  c('bounded-sum-over-stack-ok', `
    *(u64 *)(r10 - 8) = 0
    *(u64 *)(r10 - 16) = 0
    r1 = 0
    r0 = 0
    loop:
    r2 = r10
    r2 += -16
    r2 += r1
    r3 = *(u8 *)(r2 + 0)
    r0 += r3
    r1 += 1
    if r1 < 16 goto loop
    exit`),
  c('bounded-nested-ok', `
    r1 = 0
    r0 = 0
    outer:
    r2 = 0
    inner:
    r0 += 1
    r2 += 1
    if r2 < 4 goto inner
    r1 += 1
    if r1 < 4 goto outer
    exit`),
  c('bounded-100000-iterations-ok', `
    r1 = 0
    loop:
    r1 += 1
    if r1 < 100000 goto loop
    r0 = 0
    exit`),
  c('bounded-1000000-iterations-too-complex', `
    r1 = 0
    loop:
    r1 += 1
    if r1 < 1000000 goto loop
    r0 = 0
    exit`),
  c('infinite-goto-self', `
    r0 = 0
    loop:
    goto loop`),
  c('infinite-same-state', `
    r0 = 0
    loop:
    r1 = 0
    if r1 == 0 goto loop
    exit`),
  c('infinite-counter-grows', `
    r0 = 0
    r1 = 0
    loop:
    r1 += 1
    goto loop`),
  c('infinite-counter-grows-and-is-compared', `
    r0 = 0
    r1 = 0
    loop:
    r1 += 1
    if r1 != 0 goto loop
    exit`),
  c('unbounded-counter-unknown-start', `
    call bpf_get_prandom_u32
    r1 = r0
    r0 = 0
    loop:
    r1 -= 1
    if r1 != 0 goto loop
    exit`),
  c('infinite-loop-on-unchanging-packet-byte', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 1
    r0 = 2
    if r4 > r3 goto out
    loop:
    r5 = *(u8 *)(r2 + 0)
    if r5 != 0 goto loop
    out:
    exit`),
  c('loop-bound-off-by-stack-value-ok', `
    *(u64 *)(r10 - 8) = 5
    r1 = 0
    loop:
    r1 += 1
    r2 = *(u64 *)(r10 - 8)
    if r1 < r2 goto loop
    r0 = 0
    exit`),
  // may_goto
  c('may-goto-bounds-infinite-loop-ok', `
    r0 = 0
    loop:
    may_goto out
    r0 += 1
    goto loop
    out:
    exit`),
  c('may-goto-plus-zero-ok', `
    r0 = 0
    may_goto +0
    exit`),
  c('may-goto-nonzero-imm', `
    r0 = 0
    .8byte 0x00000001000000e5
    exit`),
  c('may-goto-nonzero-src', `
    r0 = 0
    .8byte 0x00000000000010e5
    exit`),
  c('may-goto-out-of-range', `
    r0 = 0
    may_goto +5
    exit`),
  c('may-goto-counter-unknown-loop-ok', `
    call bpf_get_prandom_u32
    r1 = r0
    r0 = 0
    loop:
    may_goto out
    r1 -= 1
    if r1 != 0 goto loop
    out:
    exit`),
  c('may-goto-in-socket-filter-ok', `
    r0 = 0
    loop:
    may_goto out
    r0 += 1
    goto loop
    out:
    exit`, { progType: 'socket_filter' }),
  // bpf_loop with a callback (BPF_PSEUDO_FUNC).
  c('bpf-loop-callback-needs-btf-func-info', `
    r1 = 10
    r2 = cb ll
    r3 = 0
    r4 = 0
    call bpf_loop
    r0 = 0
    exit
    cb:
    r0 = 0
    exit`),
  c('bpf-loop-callback-not-a-function', `
    r1 = 10
    r2 = 0
    r3 = 0
    r4 = 0
    call bpf_loop
    r0 = 0
    exit`),
];
