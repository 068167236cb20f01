// Context access: every field of struct xdp_md (XDP) and struct __sk_buff (socket filter)
// read and written at sizes 1, 2, 4 and 8, narrow loads at offsets inside a field,
// offsets outside the struct or in its padding, BPF_ST and atomics on ctx, sign-extending
// loads, and accesses through a modified ctx pointer.
import type { CorpusCase } from './index';
import type { Extra } from './make';
import { maker } from './make';

const c = maker('ctx');

const SIZES = [1, 2, 4, 8] as const;
const type = (n: number): string => `u${8 * n}`;
const at = (off: number): string => (off < 0 ? `r1 - ${-off}` : `r1 + ${off}`);

const read = (name: string, off: number, size: number, extra: Extra = {}): CorpusCase =>
  c(name, `r2 = *(${type(size)} *)(${at(off)}); r0 = 0; exit`, extra);
const write = (name: string, off: number, size: number, extra: Extra = {}): CorpusCase =>
  c(name, `r2 = 1; *(${type(size)} *)(${at(off)}) = r2; r0 = 0; exit`, extra);

/** Every size, read and written, at the field's offset. */
const matrix = (prefix: string, field: string, off: number, extra: Extra): CorpusCase[] =>
  SIZES.flatMap((n) => [read(`${prefix}-${field}-read-${type(n)}`, off, n, extra), write(`${prefix}-${field}-write-${type(n)}`, off, n, extra)]);

const XDP_MD: [string, number][] = [
  ['data', 0],
  ['data_end', 4],
  ['data_meta', 8],
  ['ingress_ifindex', 12],
  ['rx_queue_index', 16],
  ['egress_ifindex', 20],
];

const SK_BUFF: [string, number][] = [
  ['len', 0],
  ['pkt_type', 4],
  ['mark', 8],
  ['queue_mapping', 12],
  ['protocol', 16],
  ['vlan_present', 20],
  ['vlan_tci', 24],
  ['vlan_proto', 28],
  ['priority', 32],
  ['ingress_ifindex', 36],
  ['ifindex', 40],
  ['tc_index', 44],
  ['cb0', 48],
  ['hash', 68],
  ['tc_classid', 72],
  ['data', 76],
  ['data_end', 80],
  ['napi_id', 84],
  ['family', 88],
  ['remote_ip4', 92],
  ['local_ip4', 96],
  ['remote_ip6_0', 100],
  ['local_ip6_0', 116],
  ['remote_port', 132],
  ['local_port', 136],
  ['data_meta', 140],
  ['flow_keys', 144],
  ['tstamp', 152],
  ['wire_len', 160],
  ['gso_segs', 164],
  ['sk', 168],
  ['gso_size', 176],
  ['tstamp_type', 180],
  ['hwtstamp', 184],
];

const XDP = { progType: 'xdp' } as const;
const SKF = { progType: 'socket_filter' } as const;
const DEVMAP = { progType: 'xdp', attachType: 33 } as const; // BPF_XDP_DEVMAP
const CPUMAP = { progType: 'xdp', attachType: 35 } as const; // BPF_XDP_CPUMAP

export const CTX_CASES: CorpusCase[] = [
  // struct xdp_md
  ...XDP_MD.flatMap(([f, off]) => matrix('xdp', f, off, XDP)),
  read('xdp-egress_ifindex-read-u32-devmap-ok', 20, 4, DEVMAP),
  read('xdp-egress_ifindex-read-u16-devmap', 20, 2, DEVMAP),
  write('xdp-egress_ifindex-write-u32-devmap', 20, 4, DEVMAP),
  read('xdp-egress_ifindex-read-u32-cpumap', 20, 4, CPUMAP),
  read('xdp-ingress_ifindex-read-u32-cpumap-ok', 12, 4, CPUMAP),
  read('xdp-data-read-u32-attach-xdp-ok', 0, 4, { progType: 'xdp', attachType: 37 }),
  read('xdp-narrow-data-byte-1', 1, 1, XDP),
  read('xdp-narrow-ingress_ifindex-half-2', 14, 2, XDP),
  read('xdp-narrow-rx_queue_index-byte-3', 19, 1, XDP),
  read('xdp-misaligned-u32-at-2', 2, 4, XDP),
  read('xdp-offset-24-past-end', 24, 4, XDP),
  read('xdp-offset-28-past-end', 28, 4, XDP),
  read('xdp-offset-negative', -4, 4, XDP),
  read('xdp-u64-at-data-end-covers-two-fields', 4, 8, XDP),
  c('xdp-store-imm-to-ctx', `*(u32 *)(r1 + 12) = 1; r0 = 0; exit`),
  c('xdp-atomic-add-to-ctx', `r2 = 1; lock *(u32 *)(r1 + 12) += r2; r0 = 0; exit`),
  c('xdp-sign-extending-load-data', `r2 = *(s32 *)(r1 + 0); r0 = 0; exit`),
  c('xdp-sign-extending-load-ingress_ifindex-ok', `r2 = *(s32 *)(r1 + 12); r0 = 0; exit`),
  c('xdp-sign-extending-load-s16-ingress_ifindex', `r2 = *(s16 *)(r1 + 12); r0 = 0; exit`),
  c('xdp-read-via-modified-ctx-pointer', `r1 += 4; r2 = *(u32 *)(r1 + 0); r0 = 0; exit`),
  c('xdp-read-via-modified-ctx-pointer-zero-ok', `r1 += 0; r2 = *(u32 *)(r1 + 0); r0 = 0; exit`),
  c('xdp-read-via-copied-ctx-pointer-ok', `r3 = r1; r2 = *(u32 *)(r3 + 12); r0 = 0; exit`),
  c('xdp-read-via-variable-offset-ctx', `
    r6 = r1
    call bpf_get_prandom_u32
    r0 &= 4
    r6 += r0
    r2 = *(u32 *)(r6 + 0)
    r0 = 0
    exit`),
  c('xdp-read-ctx-after-helper-via-r1', `
    call bpf_get_prandom_u32
    r2 = *(u32 *)(r1 + 12)
    r0 = 0
    exit`),
  c('xdp-return-ingress_ifindex-ok', `r0 = *(u32 *)(r1 + 12); exit`),
  // struct __sk_buff in a socket filter
  ...SK_BUFF.flatMap(([f, off]) => matrix('skb', f, off, SKF)),
  ...[1, 2, 3, 4].flatMap((i) => [
    read(`skb-cb${i}-read-u32-ok`, 48 + 4 * i, 4, SKF),
    write(`skb-cb${i}-write-u32-ok`, 48 + 4 * i, 4, SKF),
  ]),
  ...[1, 2, 3].flatMap((i) => [
    read(`skb-remote_ip6_${i}-read-u32`, 100 + 4 * i, 4, SKF),
    read(`skb-local_ip6_${i}-read-u32`, 116 + 4 * i, 4, SKF),
  ]),
  read('skb-narrow-len-byte-1-ok', 1, 1, SKF),
  read('skb-narrow-len-byte-3-ok', 3, 1, SKF),
  read('skb-narrow-len-half-2-ok', 2, 2, SKF),
  read('skb-narrow-len-half-1-misaligned', 1, 2, SKF),
  read('skb-narrow-mark-byte-2-ok', 10, 1, SKF),
  read('skb-narrow-hash-half-2-ok', 70, 2, SKF),
  read('skb-narrow-protocol-byte-1-ok', 17, 1, SKF),
  read('skb-narrow-ifindex-half-2-ok', 42, 2, SKF),
  read('skb-narrow-cb0-byte-3-ok', 51, 1, SKF),
  write('skb-narrow-cb0-write-byte-3-ok', 51, 1, SKF),
  write('skb-narrow-cb2-write-half-2-ok', 58, 2, SKF),
  read('skb-cb2-read-u64-ok', 56, 8, SKF),
  write('skb-cb2-write-u64-ok', 56, 8, SKF),
  read('skb-cb3-read-u64-misaligned', 60, 8, SKF),
  write('skb-cb3-write-u64-misaligned', 60, 8, SKF),
  read('skb-cb4-read-u64-past-cb', 64, 8, SKF),
  write('skb-cb4-write-u64-past-cb', 64, 8, SKF),
  read('skb-cb1-read-u64-misaligned', 52, 8, SKF),
  read('skb-padding-181', 181, 1, SKF),
  read('skb-padding-182-half', 182, 2, SKF),
  read('skb-offset-192-past-end', 192, 4, SKF),
  read('skb-offset-negative', -4, 4, SKF),
  read('skb-tstamp-upper-half-u32', 156, 4, SKF),
  read('skb-sk-upper-half-u32', 172, 4, SKF),
  c('skb-store-imm-to-cb0-ok', `*(u32 *)(r1 + 48) = 1; r0 = 0; exit`, SKF),
  c('skb-atomic-add-to-cb0', `r2 = 1; lock *(u32 *)(r1 + 48) += r2; r0 = 0; exit`, SKF),
  c('skb-write-pointer-into-cb0-u32-ok', `*(u32 *)(r1 + 48) = r10; r0 = 0; exit`, SKF),
  c('skb-write-pointer-into-cb0-u64-ok', `*(u64 *)(r1 + 48) = r10; r0 = 0; exit`, SKF),
  c('skb-sign-extending-load-len-ok', `r2 = *(s32 *)(r1 + 0); r0 = 0; exit`, SKF),
  c('skb-sign-extending-load-s8-mark-ok', `r2 = *(s8 *)(r1 + 8); r0 = 0; exit`, SKF),
  c('skb-read-via-modified-ctx-pointer', `r1 += 8; r0 = *(u32 *)(r1 + 0); exit`, SKF),
  c('skb-sk-read-then-deref-without-null-check', `
    r2 = *(u64 *)(r1 + 168)
    r0 = *(u32 *)(r2 + 4)
    exit`, SKF),
  c('skb-sk-read-then-deref-after-null-check-ok', `
    r2 = *(u64 *)(r1 + 168)
    r0 = 0
    if r2 == 0 goto +1
    r0 = *(u32 *)(r2 + 4)
    exit`, SKF),
  c('skb-sk-read-then-deref-src_ip6-ok', `
    r2 = *(u64 *)(r1 + 168)
    r0 = 0
    if r2 == 0 goto +1
    r0 = *(u32 *)(r2 + 32)
    exit`, SKF),
  c('skb-sk-deref-type-needs-full-sock', `
    r2 = *(u64 *)(r1 + 168)
    r0 = 0
    if r2 == 0 goto +1
    r0 = *(u32 *)(r2 + 8)
    exit`, SKF),
  c('skb-sk-deref-past-bpf_sock', `
    r2 = *(u64 *)(r1 + 168)
    r0 = 0
    if r2 == 0 goto +1
    r0 = *(u32 *)(r2 + 120)
    exit`, SKF),
  c('skb-sk-write-through-pointer', `
    r2 = *(u64 *)(r1 + 168)
    r0 = 0
    if r2 == 0 goto +2
    r3 = 1
    *(u32 *)(r2 + 4) = r3
    exit`, SKF),
  c('skb-return-len-ok', `r0 = *(u32 *)(r1 + 0); exit`, SKF),
  c('skb-ctx-in-xdp-offset-28', `r0 = *(u32 *)(r1 + 28); exit`, XDP),
];
