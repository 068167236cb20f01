// Structural rules checked before or while walking the program: jump targets, ld_imm64
// pairs, reachability, the last instruction, reserved fields and opcodes, immediates of
// shifts and divisions, the read-only frame pointer, bpf-to-bpf calls and subprograms.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('structure');

export const STRUCTURE_CASES: CorpusCase[] = [
  c('minimal-ok', `r0 = 0; exit`),
  c('minimal-socket-filter-ok', `r0 = 0; exit`, { progType: 'socket_filter' }),
  c('empty-body-only-exit', `exit`),
  c('no-instructions', `# an empty program`),
  c('jump-forward-out-of-range', `
    goto +5
    r0 = 0
    exit`),
  c('jump-backward-out-of-range', `
    r0 = 0
    goto -3
    exit`),
  c('jump-to-one-past-last', `
    r0 = 0
    if r1 == 0 goto +1
    exit`),
  c('jump-to-last-ok', `
    r0 = 0
    if r1 == 0 goto +0
    exit`),
  c('jump32-out-of-range', `
    r0 = 0
    if w1 > 3 goto +7
    exit`),
  c('gotol-out-of-range', `
    r0 = 0
    gotol +100
    exit`),
  c('gotol-ok', `
    r0 = 0
    if r1 == 0 goto +1
    gotol +1
    r0 = 1
    exit`),
  c('jump-into-middle-of-ld-imm64', `
    if r1 == 0 goto +1
    r0 = 0x100000000 ll
    exit`),
  c('jump-over-ld-imm64-ok', `
    r0 = 0
    if r1 == 0 goto +2
    r0 = 0x100000000 ll
    exit`),
  c('ld-imm64-missing-second-slot', `
    r0 = 0
    exit
    .8byte 0x0000000100000018`),
  c('ld-imm64-second-slot-nonzero-code', `
    .8byte 0x0000000100000018
    .8byte 0x00000000000000b7
    exit`),
  c('ld-imm64-second-slot-nonzero-off', `
    .8byte 0x0000000100000018
    .8byte 0x0000000000010000
    exit`),
  c('ld-imm64-unknown-pseudo-src', `
    ld_pseudo r0, 7, 1
    r0 = 0
    exit`),
  c('ld-imm64-map-fd-bad-fd', `
    r1 = map[fd:12345] ll
    r0 = 0
    exit`),
  c('ld-imm64-map-idx-without-fd-array', `
    r1 = map[idx:3] ll
    r0 = 0
    exit`),
  c('unreachable-after-exit', `
    r0 = 0
    exit
    r0 = 1
    exit`),
  c('unreachable-skipped-by-goto', `
    r0 = 0
    goto +1
    r0 = 1
    exit`),
  c('dead-branch-still-reachable-ok', `
    r0 = 0
    if r0 != 0 goto +1
    exit
    r0 = 1
    exit`),
  c('last-insn-not-exit', `r0 = 0`),
  c('last-insn-conditional-jump', `
    r0 = 0
    exit
    if r0 == 0 goto -2`),
  c('last-insn-goto-back-ok', `
    r0 = 0
    goto end
    out:
    exit
    end:
    goto out`),
  c('fall-off-end-after-branch', `
    r0 = 0
    if r1 == 0 goto +1
    exit
    r0 = 1`),
  c('reserved-alu64-add-k-src-set', `
    r0 = 0
    .8byte 0x0000000100001007
    exit`),
  c('reserved-alu64-add-x-imm-set', `
    r0 = 0
    r1 = 0
    .8byte 0x000000010000100f
    exit`),
  c('reserved-alu64-add-off-set', `
    r0 = 0
    .8byte 0x0000000100010007
    exit`),
  c('reserved-mov-k-src-set', `
    .8byte 0x00000001000010b7
    exit`),
  c('reserved-mov-x-imm-set', `
    r1 = 0
    .8byte 0x00000001000010bf
    exit`),
  c('reserved-mov-x-bad-sign-extension-off', `
    r1 = 0
    .8byte 0x00000000000710bf
    exit`),
  c('reserved-neg-src-set', `
    r0 = 0
    .8byte 0x0000000000001087
    exit`),
  c('reserved-end-bad-width', `
    r0 = 0
    .8byte 0x00000018000000d4
    exit`),
  c('reserved-exit-imm-set', `
    r0 = 0
    .8byte 0x0000000100000095`),
  c('reserved-exit-dst-set', `
    r0 = 0
    .8byte 0x0000000000000195`),
  c('reserved-ja-src-set', `
    r0 = 0
    .8byte 0x0000000000001005
    exit`),
  c('reserved-ja-imm-set', `
    r0 = 0
    .8byte 0x0000000100000005
    exit`),
  c('reserved-jeq-k-src-set', `
    r0 = 0
    .8byte 0x0000000000001015
    exit`),
  c('reserved-jeq-x-imm-set', `
    r0 = 0
    .8byte 0x000000010000101d
    exit`),
  c('reserved-call-dst-set', `
    r0 = 0
    .8byte 0x0000000700000185
    exit`),
  c('reserved-call-off-set', `
    .8byte 0x0000000700010085
    exit`),
  c('reserved-ldx-imm-set', `
    .8byte 0x0000000100000161
    r0 = 0
    exit`),
  c('reserved-st-src-set', `
    .8byte 0x00000001fff8107a
    r0 = 0
    exit`),
  c('reserved-stx-imm-set', `
    r1 = 0
    .8byte 0x00000001fff81a7b
    r0 = 0
    exit`),
  // The same instruction classes with their reserved fields zero.
  c('fields-alu64-add-k-ok', `r0 = 0; r0 += 1; exit`),
  c('fields-alu64-add-x-ok', `r0 = 0; r1 = 1; r0 += r1; exit`),
  c('fields-alu32-sub-x-ok', `w0 = 5; w1 = 1; w0 -= w1; exit`),
  c('fields-neg-ok', `r0 = 1; r0 = -r0; exit`),
  c('fields-end-be16-le32-be64-ok', `r0 = 1; r0 = be16 r0; r0 = le32 r0; r0 = be64 r0; exit`),
  c('fields-ja-ok', `r0 = 0; goto +0; exit`),
  c('fields-jeq-k-ok', `r0 = 0; if r0 == 1 goto +0; exit`),
  c('fields-jeq-x-ok', `r0 = 0; r1 = 0; if r0 == r1 goto +0; exit`),
  c('fields-ldx-st-stx-ok', `
    *(u64 *)(r10 - 8) = 1
    r1 = *(u64 *)(r10 - 8)
    *(u32 *)(r10 - 16) = r1
    r0 = *(u32 *)(r10 - 16)
    exit`),
  c('fields-call-helper-ok', `call bpf_get_prandom_u32; exit`),
  c('fields-ld-imm64-ok', `r0 = -1 ll; exit`),
  c('fields-ld-imm64-high-bits-ok', `r0 = 0x8000000000000000 ll; exit`),
  c('jump-backward-in-range-ok', `
    r0 = 0
    loop:
    r0 += 1
    if r0 < 3 goto loop
    exit`),
  c('goto-chain-ok', `
    r0 = 0
    goto a
    b:
    goto c
    a:
    goto b
    c:
    exit`),
  c('uncalled-subprog-is-unreachable', `
    r0 = 0
    exit
    sub:
    r0 = 1
    exit`),
  c('unknown-opcode-alu64-0xe0', `
    r0 = 0
    .8byte 0x00000000000000e7
    exit`),
  c('ldx-imm-mode', `
    r0 = 0
    .8byte 0x0000000000000001
    exit`),
  c('unknown-opcode-jmp-0xf0', `
    r0 = 0
    .8byte 0x00000000000000f5
    exit`),
  c('unknown-opcode-jmp32-exit', `
    r0 = 0
    .8byte 0x0000000000000096
    exit`),
  c('unknown-opcode-jmp32-call', `
    r0 = 0
    .8byte 0x0000000700000086
    exit`),
  c('ld-imm-mode-word-size', `
    .8byte 0x0000000000000000
    r0 = 0
    exit`),
  c('ld-mem-mode', `
    .8byte 0x0000000000000060
    r0 = 0
    exit`),
  c('callx-register', `
    r1 = 0
    callx r1
    r0 = 0
    exit`),
  c('kfunc-call-without-btf', `
    call kfunc 1
    r0 = 0
    exit`),
  c('reserved-alu32-add-off-set', `
    w0 = 0
    .8byte 0x0000000100010004
    exit`),
  c('reserved-movsx32-off-32', `
    w1 = 0
    .8byte 0x00000000002010bc
    w0 = 0
    exit`),
  c('movsx32-off-16-ok', `
    w1 = 0
    w0 = (s16)w1
    exit`),
  c('unknown-opcode-0xff', `
    r0 = 0
    .8byte 0x00000000000000ff
    exit`),
  c('shift-lsh64-by-63-ok', `r0 = 1; r0 <<= 63; r0 = 0; exit`),
  c('shift-lsh64-by-64', `r0 = 1; r0 <<= 64; exit`),
  c('shift-rsh64-by-minus-1', `r0 = 1; r0 >>= -1; exit`),
  c('shift-arsh64-by-64', `r0 = 1; r0 s>>= 64; exit`),
  c('shift-lsh32-by-31-ok', `w0 = 1; w0 <<= 31; w0 = 0; exit`),
  c('shift-lsh32-by-32', `w0 = 1; w0 <<= 32; exit`),
  c('shift-rsh32-by-32', `w0 = 1; w0 >>= 32; exit`),
  c('shift-arsh32-by-32', `w0 = 1; w0 s>>= 32; exit`),
  c('shift-by-register-64-ok', `r0 = 1; r1 = 70; r0 <<= r1; r0 = 0; exit`),
  c('div64-by-imm-zero', `r0 = 1; r0 /= 0; exit`),
  c('mod64-by-imm-zero', `r0 = 1; r0 %= 0; exit`),
  c('div32-by-imm-zero', `w0 = 1; w0 /= 0; exit`),
  c('mod32-by-imm-zero', `w0 = 1; w0 %= 0; exit`),
  c('sdiv64-by-imm-zero', `r0 = 1; r0 s/= 0; exit`),
  c('smod32-by-imm-zero', `w0 = 1; w0 s%= 0; exit`),
  c('div64-by-imm-one-ok', `r0 = 7; r0 /= 1; exit`),
  c('div64-by-register-zero-ok', `r0 = 7; r1 = 0; r0 /= r1; exit`),
  c('mod32-by-register-zero-ok', `w0 = 7; w1 = 0; w0 %= w1; exit`),
  c('write-r10-mov-imm', `r10 = 0; r0 = 0; exit`),
  c('write-r10-mov-reg', `r10 = r1; r0 = 0; exit`),
  c('write-r10-add', `r10 += -8; r0 = 0; exit`),
  c('write-w10-mov', `w10 = 0; r0 = 0; exit`),
  c('write-r10-ldx', `
    *(u64 *)(r10 - 8) = 0
    r10 = *(u64 *)(r10 - 8)
    r0 = 0
    exit`),
  c('write-r10-ld-imm64', `r10 = 1 ll; r0 = 0; exit`),
  c('write-r10-neg', `r10 = -r10; r0 = 0; exit`),
  c('read-r10-copy-ok', `r1 = r10; r1 += -8; r0 = 0; exit`),
  c('bpf2bpf-call-ok', `
    call sub
    exit
    sub:
    r0 = 2
    exit`),
  c('bpf2bpf-call-socket-filter-ok', `
    call sub
    exit
    sub:
    r0 = 0
    exit`, { progType: 'socket_filter' }),
  c('bpf2bpf-call-invalid-destination', `
    call pc+10
    r0 = 0
    exit`),
  c('bpf2bpf-call-negative-destination', `
    r0 = 0
    call pc-5
    exit`),
  c('bpf2bpf-jump-into-other-subprog', `
    call sub
    if r0 == 0 goto inside
    exit
    sub:
    r0 = 0
    inside:
    exit`),
  c('bpf2bpf-jump-out-of-subprog', `
    r0 = 0
    call sub
    back:
    exit
    sub:
    r0 = 1
    goto back`),
  c('bpf2bpf-subprog-falls-through', `
    call sub
    exit
    sub:
    r0 = 1
    call sub2
    r0 = 3
    sub2:
    r0 = 2
    exit`),
  c('bpf2bpf-main-falls-into-subprog', `
    call sub
    r0 = 0
    sub:
    r0 = 1
    exit`),
  c('bpf2bpf-recursive-call', `
    call sub
    exit
    sub:
    r0 = 0
    if r1 == 0 goto +1
    call sub
    exit`),
  c('bpf2bpf-callee-r0-unset', `
    call sub
    exit
    sub:
    exit`),
  c('bpf2bpf-callee-reads-caller-r6', `
    r6 = 1
    call sub
    exit
    sub:
    r0 = r6
    exit`),
  c('bpf2bpf-caller-r6-preserved-ok', `
    r6 = 5
    call sub
    r0 = r6
    exit
    sub:
    r6 = 1
    r0 = 0
    exit`),
  c('bpf2bpf-caller-r1-clobbered', `
    r1 = 5
    call sub
    r0 = r1
    exit
    sub:
    r0 = 0
    exit`),
  c('bpf2bpf-args-passed-ok', `
    r1 = 3
    r2 = 4
    call sub
    exit
    sub:
    r0 = r1
    r0 += r2
    exit`),
  c('bpf2bpf-callee-reads-unpassed-arg', `
    r1 = 3
    call sub
    exit
    sub:
    r0 = r3
    exit`),
  c('bpf2bpf-callee-writes-caller-stack-ok', `
    r1 = r10
    r1 += -8
    call sub
    r0 = *(u64 *)(r10 - 8)
    exit
    sub:
    *(u64 *)(r1 + 0) = 7
    r0 = 0
    exit`),
  c('bpf2bpf-call-depth-8-ok', `
    call f1
    exit
    f1:
    call f2
    exit
    f2:
    call f3
    exit
    f3:
    call f4
    exit
    f4:
    call f5
    exit
    f5:
    call f6
    exit
    f6:
    call f7
    exit
    f7:
    r0 = 0
    exit`),
  c('bpf2bpf-call-depth-9-too-deep', `
    call f1
    exit
    f1:
    call f2
    exit
    f2:
    call f3
    exit
    f3:
    call f4
    exit
    f4:
    call f5
    exit
    f5:
    call f6
    exit
    f6:
    call f7
    exit
    f7:
    call f8
    exit
    f8:
    r0 = 0
    exit`),
  c('bpf2bpf-combined-stack-too-large', `
    *(u64 *)(r10 - 512) = 0
    call sub
    exit
    sub:
    *(u64 *)(r10 - 64) = 0
    r0 = 0
    exit`),
  c('bpf2bpf-combined-stack-fits-ok', `
    *(u64 *)(r10 - 256) = 0
    call sub
    exit
    sub:
    *(u64 *)(r10 - 256) = 0
    r0 = 0
    exit`),
  c('bpf2bpf-return-pointer-to-stack', `
    call sub
    r0 = 0
    exit
    sub:
    r0 = r10
    r0 += -8
    exit`),
  c('exit-inside-subprog-only-ok', `
    call sub
    r0 = 0
    exit
    sub:
    r0 = 1
    if r1 > 3 goto +1
    exit
    r0 = 2
    exit`),
];
