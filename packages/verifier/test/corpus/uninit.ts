// Reads of registers that hold nothing: r0 and r2-r9 at entry, r0 at exit, the argument
// registers r1-r5 after helper calls (the callee-saved r6-r9 survive them).
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('uninit');

const regs = [2, 3, 4, 5, 6, 7, 8, 9];

export const UNINIT_CASES: CorpusCase[] = [
  c('read-r0-at-entry', `r1 = r0; r0 = 0; exit`),
  c('read-r1-ctx-at-entry-ok', `r2 = r1; r0 = 0; exit`),
  c('read-r10-at-entry-ok', `r2 = r10; r0 = 0; exit`),
  ...regs.map((n) => c(`read-r${n}-at-entry`, `r0 = r${n}; exit`)),
  ...[2, 6, 9].map((n) => c(`read-r${n}-at-entry-socket-filter`, `r0 = r${n}; exit`, { progType: 'socket_filter' })),
  ...[2, 6].map((n) => c(`write-then-read-r${n}-ok`, `r${n} = 1; r0 = r${n}; exit`)),
  c('w-write-then-read-r3-ok', `w3 = 1; r0 = r3; exit`),
  c('alu-dst-uninit', `r2 += 1; r0 = 0; exit`),
  c('alu32-dst-uninit', `w2 += 1; r0 = 0; exit`),
  c('alu-src-uninit', `r0 = 0; r0 += r4; exit`),
  c('mov-self-uninit', `r3 = r3; r0 = 0; exit`),
  c('neg-uninit', `r5 = -r5; r0 = 0; exit`),
  c('bswap-uninit', `r5 = be16 r5; r0 = 0; exit`),
  c('store-source-uninit', `*(u64 *)(r10 - 8) = r2; r0 = 0; exit`),
  c('store-base-uninit', `*(u64 *)(r2 + 0) = 1; r0 = 0; exit`),
  c('load-base-uninit', `r0 = *(u64 *)(r2 + 0); exit`),
  c('cond-jump-dst-uninit', `r0 = 0; if r3 > 0 goto +0; exit`),
  c('cond-jump-src-uninit', `r0 = 0; if r0 > r3 goto +0; exit`),
  c('cond-jump32-dst-uninit', `r0 = 0; if w7 == 0 goto +0; exit`),
  c('exit-r0-uninit', `r1 = 0; exit`),
  c('exit-r0-set-on-one-branch', `
    if r1 == 0 goto +1
    r0 = 0
    exit`),
  c('exit-r0-set-on-both-branches-ok', `
    r2 = *(u32 *)(r1 + 0)
    if r2 == 0 goto +2
    r0 = 1
    exit
    r0 = 2
    exit`),
  c('exit-r0-only-w0-set-ok', `w0 = 2; exit`),
  c('dead-branch-reads-uninit-ok', `
    r0 = 0
    if r0 != 0 goto +1
    exit
    r0 = r5
    exit`),
  ...[1, 2, 3, 4, 5].map((n) =>
    c(`helper-clobbers-r${n}`, `
      r${n} = 1
      call bpf_get_prandom_u32
      r0 = r${n}
      exit`),
  ),
  ...[6, 7, 8, 9].map((n) =>
    c(`helper-preserves-r${n}-ok`, `
      r${n} = 1
      call bpf_get_prandom_u32
      r0 = r${n}
      exit`),
  ),
  c('helper-sets-r0-ok', `call bpf_get_prandom_u32; exit`),
  c('helper-r1-rewritten-after-call-ok', `
    call bpf_get_prandom_u32
    r1 = 3
    r0 = r1
    exit`),
  c('helper-r5-rewritten-via-alu32-ok', `
    call bpf_get_prandom_u32
    w5 = 3
    r0 = r5
    exit`),
  c('ctx-copied-to-r6-survives-ok', `
    r6 = r1
    call bpf_ktime_get_ns
    r0 = *(u32 *)(r6 + 12)
    exit`),
  c('all-registers-written-then-read-ok', `
    r0 = 0
    r2 = 2
    r3 = 3
    r4 = 4
    r5 = 5
    r6 = 6
    r7 = 7
    r8 = 8
    r9 = 9
    r0 += r2
    r0 += r3
    r0 += r4
    r0 += r5
    r0 += r6
    r0 += r7
    r0 += r8
    r0 += r9
    exit`),
  c('written-on-both-paths-ok', `
    r2 = *(u32 *)(r1 + 12)
    if r2 > 3 goto +2
    r3 = 1
    goto +1
    r3 = 2
    r0 = r3
    exit`),
  c('written-on-one-path-read-after-join', `
    r2 = *(u32 *)(r1 + 12)
    if r2 > 3 goto +1
    r3 = 1
    r0 = r3
    exit`),
  c('stack-fill-initialises-register-ok', `
    *(u64 *)(r10 - 8) = 4
    r7 = *(u64 *)(r10 - 8)
    r0 = r7
    exit`),
  c('ld-imm64-initialises-register-ok', `r4 = 0x1122334455667788 ll; r0 = r4; exit`),

  c('helper-clobbers-r1-socket-filter', `
    call bpf_get_prandom_u32
    r0 = *(u32 *)(r1 + 0)
    exit`, { progType: 'socket_filter' }),
  c('helper-ctx-kept-in-r6-socket-filter-ok', `
    r6 = r1
    call bpf_get_prandom_u32
    r0 = *(u32 *)(r6 + 0)
    exit`, { progType: 'socket_filter' }),
  c('helper-arg1-uninit-after-call', `
    call bpf_get_prandom_u32
    r2 = r10
    r2 += -8
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('helper-arg2-uninit', `
    .map h type=hash key_size=8 value_size=8 max_entries=1
    r1 = h ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('helper-arg3-uninit-after-call', `
    .map h type=hash key_size=8 value_size=8 max_entries=1
    *(u64 *)(r10 - 8) = 0
    call bpf_get_prandom_u32
    r1 = h ll
    r2 = r10
    r2 += -8
    r4 = 0
    call bpf_map_update_elem
    r0 = 0
    exit`),
  c('helper-arg-unused-uninit-ok', `
    call bpf_ktime_get_ns
    r0 = 0
    exit`),
  c('r0-uninit-after-exit-of-other-path', `
    r2 = *(u32 *)(r1 + 0)
    if r2 > 5 goto +2
    r0 = 1
    exit
    r3 = r0
    r0 = 0
    exit`),
];
