// Legacy packet loads (BPF_LD | BPF_ABS / BPF_IND): socket filters only, r6 must hold the
// skb, r1-r5 are clobbered and r0 is the result; sizes B/H/W only; reserved fields.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('ld-abs', 'socket_filter');
const XDP = { progType: 'xdp' } as const;

export const LD_ABS_CASES: CorpusCase[] = [
  c('abs-u8-ok', `r6 = r1; r0 = *(u8 *)skb[12]; exit`),
  c('abs-u16-ok', `r6 = r1; r0 = *(u16 *)skb[12]; exit`),
  c('abs-u32-ok', `r6 = r1; r0 = *(u32 *)skb[12]; exit`),
  c('abs-u64-size', `
    r6 = r1
    .8byte 0x0000000c00000038
    exit`),
  c('abs-large-offset-ok', `r6 = r1; r0 = *(u32 *)skb[0x7fffffff]; exit`),
  c('abs-negative-offset-ok', `r6 = r1; r0 = *(u8 *)skb[-0x100000]; exit`),
  c('abs-r6-not-set', `r0 = *(u8 *)skb[12]; exit`),
  c('abs-r6-scalar', `r6 = 0; r0 = *(u8 *)skb[12]; exit`),
  c('abs-r6-stack-pointer', `r6 = r10; r0 = *(u8 *)skb[12]; exit`),
  c('abs-r6-modified-ctx', `r6 = r1; r6 += 4; r0 = *(u8 *)skb[12]; exit`),
  c('abs-r6-ctx-spilled-and-filled-ok', `
    *(u64 *)(r10 - 8) = r1
    r6 = *(u64 *)(r10 - 8)
    r0 = *(u8 *)skb[12]
    exit`),
  c('abs-clobbers-r1', `r6 = r1; r0 = *(u8 *)skb[12]; r0 = r1; exit`),
  c('abs-clobbers-r2', `r6 = r1; r2 = 1; r0 = *(u8 *)skb[12]; r0 = r2; exit`),
  c('abs-clobbers-r5', `r6 = r1; r5 = 1; r0 = *(u8 *)skb[12]; r0 = r5; exit`),
  c('abs-keeps-r7-ok', `r6 = r1; r7 = 1; r0 = *(u8 *)skb[12]; r0 = r7; exit`),
  c('abs-u8-result-is-unbounded', `
    r6 = r1
    r0 = *(u8 *)skb[12]
    if r0 <= 255 goto +1
    r0 = r9
    exit`),
  c('abs-u16-result-is-unbounded', `
    r6 = r1
    r0 = *(u16 *)skb[12]
    if r0 <= 255 goto +1
    r0 = r9
    exit`),
  c('abs-reserved-dst-set', `
    r6 = r1
    .8byte 0x0000000c00000130
    exit`),
  c('abs-reserved-off-set', `
    r6 = r1
    .8byte 0x0000000c00010030
    exit`),
  c('abs-reserved-src-set', `
    r6 = r1
    .8byte 0x0000000c00001030
    exit`),
  c('ind-u8-ok', `r6 = r1; r2 = 14; r0 = *(u8 *)skb[r2 + 0]; exit`),
  c('ind-u16-ok', `r6 = r1; r2 = 14; r0 = *(u16 *)skb[r2 + 2]; exit`),
  c('ind-u32-unknown-index-ok', `
    r6 = r1
    r0 = *(u8 *)skb[14]
    r0 &= 0xf
    r0 <<= 2
    r1 = r0
    r0 = *(u32 *)skb[r1 + 14]
    exit`),
  c('ind-index-uninitialised', `r6 = r1; r0 = *(u8 *)skb[r2 + 0]; exit`),
  c('ind-index-pointer-ok', `r6 = r1; r2 = r10; r0 = *(u8 *)skb[r2 + 0]; exit`),
  c('ind-index-is-r6-ok', `r6 = r1; r0 = *(u8 *)skb[r6 + 0]; exit`),
  c('ind-reserved-dst-set', `
    r6 = r1
    r2 = 0
    .8byte 0x0000000000002150
    exit`),
  c('abs-in-xdp', `r6 = r1; r0 = *(u8 *)skb[12]; exit`, XDP),
  c('ind-in-xdp', `r6 = r1; r2 = 0; r0 = *(u8 *)skb[r2 + 0]; exit`, XDP),
  c('abs-in-subprog-without-btf', `
    r6 = r1
    call sub
    exit
    sub:
    r0 = *(u8 *)skb[12]
    exit`),
  c('abs-after-helper-call-r6-kept-ok', `
    r6 = r1
    call bpf_get_prandom_u32
    r0 = *(u8 *)skb[12]
    exit`),
  c('abs-with-license-non-gpl-ok', `
    .license "MIT"
    r6 = r1
    r0 = *(u8 *)skb[12]
    exit`, { license: 'MIT' }),
];
