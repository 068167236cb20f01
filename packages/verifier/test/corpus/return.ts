// Return values. Neither XDP nor socket filters have a range check on r0 (check_return_code
// has no case for them), and a root loader may return pointers, from static subprograms
// too; what is refused is an unset r0 that is read, and a pointer to the callee's stack.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('return');
const SKF = { progType: 'socket_filter' } as const;

const both = (name: string, asm: string): CorpusCase[] => [c(`xdp-${name}`, asm), c(`socket-filter-${name}`, asm, SKF)];

export const RETURN_CASES: CorpusCase[] = [
  ...[0, 1, 2, 3, 4].map((v) => c(`xdp-action-${v}-ok`, `r0 = ${v}; exit`)),
  ...both('const-5-ok', `r0 = 5; exit`),
  ...both('const-minus-1-ok', `r0 = -1; exit`),
  ...both('const-64-bit-ok', `r0 = 0x100000000 ll; exit`),
  ...both('w0-only-ok', `w0 = 7; exit`),
  ...both('unknown-scalar-ok', `call bpf_get_prandom_u32; exit`),
  ...both('ctx-pointer-ok', `r0 = r1; exit`),
  ...both('stack-pointer-ok', `r0 = r10; r0 += -8; exit`),
  ...both('uninitialised', `exit`),
  ...both('uninitialised-on-one-path', `
    r2 = *(u32 *)(r1 + 0)
    if r2 == 7 goto +1
    r0 = 1
    exit`),
  ...both('clobbered-by-ld-imm64-of-map-ok', `
    .map m type=array key_size=4 value_size=8 max_entries=1
    r0 = m ll
    exit`),
  c('xdp-packet-pointer-ok', `r0 = *(u32 *)(r1 + 0); exit`),
  c('xdp-packet-end-pointer-ok', `r0 = *(u32 *)(r1 + 4); exit`),
  c('socket-filter-len-ok', `r0 = *(u32 *)(r1 + 0); exit`, SKF),
  c('socket-filter-sk-pointer-or-null-ok', `r0 = *(u64 *)(r1 + 168); exit`, SKF),
  c('socket-filter-ld-abs-result-ok', `r6 = r1; r0 = *(u8 *)skb[0]; exit`, SKF),
  ...both('map-value-ok', `
    .map m type=array key_size=4 value_size=8 max_entries=1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    exit`),
  // Subprograms must return scalars.
  ...both('subprog-scalar-ok', `
    call sub
    exit
    sub:
    r0 = 3
    exit`),
  ...both('subprog-ctx-pointer-ok', `
    call sub
    r0 = 0
    exit
    sub:
    r0 = r1
    exit`),
  c('xdp-subprog-map-value-ok', `
    .map m type=array key_size=4 value_size=8 max_entries=1
    call sub
    r0 = 0
    exit
    sub:
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    exit`),
  c('xdp-subprog-map-value-converted-to-scalar-ok', `
    .map m type=array key_size=4 value_size=8 max_entries=1
    call sub
    r0 = 0
    exit
    sub:
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r0 = 0
    exit`),
  c('xdp-subprog-packet-pointer-ok', `
    call sub
    r0 = 0
    exit
    sub:
    r0 = *(u32 *)(r1 + 0)
    exit`),
  c('xdp-subprog-stack-pointer-of-caller', `
    r1 = r10
    r1 += -8
    call sub
    r0 = 0
    exit
    sub:
    r0 = r1
    exit`),
  c('xdp-subprog-uninitialised-unused-ok', `
    call sub
    r0 = 0
    exit
    sub:
    r1 = 0
    exit`),
  ...both('subprog-uninitialised-returned-by-caller', `
    call sub
    exit
    sub:
    r1 = 0
    exit`),
  ...both('subprog-uninitialised-on-one-path', `
    r2 = 1
    call sub
    exit
    sub:
    if r2 == 1 goto +1
    r0 = 0
    exit`),
  c('xdp-subprog-result-used-ok', `
    call sub
    r0 += 1
    exit
    sub:
    r0 = 1
    exit`),
  c('xdp-subprog-result-as-pointer', `
    call sub
    r0 = *(u32 *)(r0 + 0)
    exit
    sub:
    r0 = 1
    exit`),
];
