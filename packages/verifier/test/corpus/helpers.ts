// Helper calls: unknown ids, helpers the program type may not call, argument types,
// memory + size argument pairs, helpers that invalidate packet pointers, bpf_tail_call,
// and gpl_only helpers under licenses that are and are not GPL-compatible.
import type { CorpusCase } from './index';
import { maker } from './make';

const c = maker('helpers');
const SKF = { progType: 'socket_filter' } as const;

/** bpf_csum_diff(r1 = stack buffer of 16 initialised bytes, r2 = `size`, r3 = NULL, r4 = 0, r5 = 0). */
const csum = (name: string, size: string, buf = 'r1 = r10\n    r1 += -16'): CorpusCase =>
  c(name, `
    call bpf_ktime_get_ns
    r6 = r0
    *(u64 *)(r10 - 16) = 0
    *(u64 *)(r10 - 8) = 0
    ${buf}
    ${size}
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 2
    exit`);

/** bpf_trace_printk("hi", 3) under a license. */
const printk = (name: string, license: string): CorpusCase =>
  c(name, `
    .license "${license}"
    *(u32 *)(r10 - 4) = 0x6968
    r1 = r10
    r1 += -4
    r2 = 3
    call bpf_trace_printk
    r0 = 2
    exit`, { license });

export const HELPERS_CASES: CorpusCase[] = [
  c('unknown-helper-id-1000', `call 1000; r0 = 0; exit`),
  c('unknown-helper-id-0', `call 0; r0 = 0; exit`),
  c('unknown-helper-id-negative', `call -1; r0 = 0; exit`),
  c('last-helper-id-plus-one', `call 212; r0 = 0; exit`),
  c('known-helper-ktime-ok', `call bpf_ktime_get_ns; r0 = 0; exit`),
  c('known-helper-ktime-socket-filter-ok', `call bpf_ktime_get_ns; r0 = 0; exit`, SKF),
  c('get-smp-processor-id-ok', `call bpf_get_smp_processor_id; exit`),
  // Helpers by program type.
  c('xdp-cannot-call-skb-load-bytes', `
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    call bpf_skb_load_bytes
    r0 = 0
    exit`),
  c('socket-filter-skb-load-bytes-ok', `
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 8
    call bpf_skb_load_bytes
    r0 = 0
    exit`, SKF),
  c('socket-filter-cannot-call-xdp-adjust-head', `
    r2 = 4
    call bpf_xdp_adjust_head
    r0 = 0
    exit`, SKF),
  c('socket-filter-cannot-call-redirect', `
    r1 = 1
    r2 = 0
    call bpf_redirect
    r0 = 0
    exit`, SKF),
  c('xdp-redirect-ok', `
    r1 = 1
    r2 = 0
    call bpf_redirect
    exit`),
  c('xdp-get-current-pid-tgid-ok', `call bpf_get_current_pid_tgid; r0 = 0; exit`),
  c('socket-filter-get-current-comm-ok', `
    r1 = r10
    r1 += -16
    r2 = 16
    call bpf_get_current_comm
    r0 = 0
    exit`, SKF),
  c('socket-filter-get-socket-cookie-ok', `call bpf_get_socket_cookie; r0 = 0; exit`, SKF),
  c('xdp-cannot-call-get-socket-cookie', `call bpf_get_socket_cookie; r0 = 0; exit`),
  c('socket-filter-get-socket-uid-ok', `call bpf_get_socket_uid; exit`, SKF),
  c('xdp-cannot-call-skb-store-bytes', `
    r2 = 0
    r3 = r10
    r3 += -8
    *(u64 *)(r10 - 8) = 0
    r4 = 8
    r5 = 0
    call bpf_skb_store_bytes
    r0 = 0
    exit`),
  c('socket-filter-cannot-call-skb-store-bytes', `
    r2 = 0
    r3 = r10
    r3 += -8
    *(u64 *)(r10 - 8) = 0
    r4 = 8
    r5 = 0
    call bpf_skb_store_bytes
    r0 = 0
    exit`, SKF),
  // Argument types.
  c('ctx-arg-gets-stack-pointer', `
    r1 = r10
    r2 = 4
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  c('ctx-arg-gets-scalar', `
    r1 = 0
    r2 = 4
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  c('ctx-arg-modified-ctx', `
    r1 += 4
    r2 = 4
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  c('scalar-arg-gets-pointer-ok', `
    r2 = r10
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  c('scalar-arg-uninitialised', `
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  c('helper-return-used-as-pointer', `
    call bpf_get_prandom_u32
    r1 = *(u32 *)(r0 + 0)
    r0 = 0
    exit`),
  // Memory + size pairs (bpf_csum_diff's from/from_size).
  csum('mem-size-const-ok', 'r2 = 16'),
  csum('mem-size-past-buffer', 'r2 = 24'),
  csum('mem-size-zero-ok', 'r2 = 0'),
  csum('mem-size-zero-null-pointer-ok', 'r2 = 0', 'r1 = 0'),
  csum('mem-size-nonzero-null-pointer', 'r2 = 8', 'r1 = 0'),
  csum('mem-size-negative', 'r2 = -8'),
  csum('mem-size-unbounded', 'r2 = r6'),
  csum('mem-size-masked-ok', 'r2 = r6\n    r2 &= 15'),
  csum('mem-size-bounded-by-branch-ok', 'r2 = r6\n    if r2 > 16 goto +5'),
  csum('mem-size-bounded-too-large', 'r2 = r6\n    if r2 > 17 goto +5'),
  csum('mem-size-signed-unbounded-min', 'r2 = r6\n    if r2 s> 16 goto +5'),
  csum('mem-size-uninitialised-buffer-ok', 'r2 = 16', 'r1 = r10\n    r1 += -32'),
  c('mem-pointer-is-ctx', `
    r2 = 8
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 2
    exit`),
  c('mem-pointer-is-data-end', `
    r1 = *(u32 *)(r1 + 4)
    r2 = 8
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 2
    exit`),
  csum('mem-pointer-is-scalar', 'r2 = 8', 'r1 = 64'),
  c('mem-pointer-is-packet-checked-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 8
    if r4 > r3 goto out
    r1 = r2
    r2 = 8
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    out:
    r0 = 2
    exit`),
  c('mem-pointer-is-packet-too-short', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 4
    if r4 > r3 goto out
    r1 = r2
    r2 = 8
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    out:
    r0 = 2
    exit`),
  c('mem-pointer-is-map-value-ok', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = r0
    r2 = 16
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 2
    exit`),
  c('mem-pointer-is-map-value-size-past-end', `
    .map m type=array key_size=4 value_size=16 max_entries=1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = r0
    r2 = 20
    r3 = 0
    r4 = 0
    r5 = 0
    call bpf_csum_diff
    r0 = 2
    exit`),
  c('skb-load-bytes-len-zero', `
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_skb_load_bytes
    r0 = 0
    exit`, SKF),
  c('skb-load-bytes-into-ctx', `
    r2 = 0
    r3 = r1
    r4 = 4
    call bpf_skb_load_bytes
    r0 = 0
    exit`, SKF),
  c('skb-load-bytes-len-past-stack-top', `
    r2 = 0
    r3 = r10
    r3 += -8
    r4 = 16
    call bpf_skb_load_bytes
    r0 = 0
    exit`, SKF),
  c('skb-load-bytes-into-readonly-map', `
    .map m type=array key_size=4 value_size=16 max_entries=1 map_flags=0x80
    r6 = r1
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    r1 = r6
    r2 = 0
    r3 = r0
    r4 = 16
    call bpf_skb_load_bytes
    r0 = 0
    exit`, SKF),
  c('xdp-load-bytes-ok', `
    r2 = 0
    r3 = r10
    r3 += -16
    r4 = 16
    call bpf_xdp_load_bytes
    r0 = *(u64 *)(r10 - 16)
    exit`),
  c('xdp-load-bytes-len-zero', `
    r2 = 0
    r3 = r10
    r3 += -16
    r4 = 0
    call bpf_xdp_load_bytes
    r0 = 2
    exit`),
  // Helpers that change packet data invalidate packet pointers.
  ...['bpf_xdp_adjust_head', 'bpf_xdp_adjust_tail', 'bpf_xdp_adjust_meta'].flatMap((h) => [
    c(`${h.slice(4)}-then-old-packet-pointer`, `
      r6 = r1
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = r2
      r4 += 14
      if r4 > r3 goto out
      r7 = r2
      r1 = r6
      r2 = 0
      call ${h}
      r0 = *(u8 *)(r7 + 0)
      out:
      r0 = 2
      exit`),
    c(`${h.slice(4)}-then-reloaded-packet-pointer-ok`, `
      r6 = r1
      r2 = 0
      call ${h}
      r2 = *(u32 *)(r6 + 0)
      r3 = *(u32 *)(r6 + 4)
      r4 = r2
      r4 += 14
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 0)
      out:
      r0 = 2
      exit`),
  ]),
  c('adjust-head-then-old-data-end-compare', `
    r6 = r1
    r7 = *(u32 *)(r1 + 4)
    r2 = 0
    call bpf_xdp_adjust_head
    r2 = *(u32 *)(r6 + 0)
    r4 = r2
    r4 += 14
    if r4 > r7 goto out
    r0 = *(u8 *)(r2 + 0)
    out:
    r0 = 2
    exit`),
  c('ktime-keeps-packet-pointer-ok', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r7 = r2
    call bpf_ktime_get_ns
    r0 = *(u8 *)(r7 + 13)
    out:
    r0 = 2
    exit`),
  c('adjust-head-in-subprog-invalidates-caller-pointer', `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    if r4 > r3 goto out
    r7 = r2
    call adjust
    r0 = *(u8 *)(r7 + 0)
    out:
    r0 = 2
    exit
    adjust:
    r2 = 0
    call bpf_xdp_adjust_head
    r0 = 0
    exit`),
  // bpf_tail_call
  c('tail-call-ok', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    r2 = progs ll
    r3 = 0
    call bpf_tail_call
    r0 = 2
    exit`),
  c('tail-call-socket-filter-ok', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    r2 = progs ll
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit`, SKF),
  c('tail-call-array-map', `
    .map m type=array key_size=4 value_size=4 max_entries=4
    r2 = m ll
    r3 = 0
    call bpf_tail_call
    r0 = 2
    exit`),
  c('tail-call-ctx-not-in-r1', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    r1 = 0
    r2 = progs ll
    r3 = 0
    call bpf_tail_call
    r0 = 2
    exit`),
  c('tail-call-index-uninitialised', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    r2 = progs ll
    call bpf_tail_call
    r0 = 2
    exit`),
  c('tail-call-r0-after-is-unset', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    r2 = progs ll
    r3 = 0
    call bpf_tail_call
    exit`),
  c('tail-call-in-subprog-without-btf', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    call sub
    r0 = 2
    exit
    sub:
    r2 = progs ll
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit`),
  c('tail-call-prog-array-lookup-not-allowed', `
    .map progs type=prog_array key_size=4 value_size=4 max_entries=4
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = progs ll
    call bpf_map_lookup_elem
    r0 = 2
    exit`),
  c('redirect-map-devmap-ok', `
    .map d type=devmap key_size=4 value_size=4 max_entries=4
    r1 = d ll
    r2 = 0
    r3 = 0
    call bpf_redirect_map
    exit`),
  c('redirect-map-array', `
    .map m type=array key_size=4 value_size=4 max_entries=4
    r1 = m ll
    r2 = 0
    r3 = 0
    call bpf_redirect_map
    exit`),
  c('perf-event-output-ok', `
    .map ev type=perf_event_array key_size=4 value_size=4 max_entries=4
    *(u64 *)(r10 - 8) = 1
    r2 = ev ll
    r3 = 0xffffffff ll
    r4 = r10
    r4 += -8
    r5 = 8
    call bpf_perf_event_output
    r0 = 2
    exit`),
  c('perf-event-output-hash-map', `
    .map h type=hash key_size=4 value_size=4 max_entries=4
    *(u64 *)(r10 - 8) = 1
    r2 = h ll
    r3 = 0
    r4 = r10
    r4 += -8
    r5 = 8
    call bpf_perf_event_output
    r0 = 2
    exit`),
  // gpl_only helpers and the license string.
  printk('gpl-only-trace-printk-license-GPL-ok', 'GPL'),
  printk('gpl-only-trace-printk-license-GPL-v2-ok', 'GPL v2'),
  printk('gpl-only-trace-printk-license-Dual-MIT-GPL-ok', 'Dual MIT/GPL'),
  printk('gpl-only-trace-printk-license-Dual-BSD-GPL-ok', 'Dual BSD/GPL'),
  printk('gpl-only-trace-printk-license-MIT', 'MIT'),
  printk('gpl-only-trace-printk-license-Proprietary', 'Proprietary'),
  printk('gpl-only-trace-printk-license-BSD', 'BSD'),
  printk('gpl-only-trace-printk-license-gpl-lowercase', 'gpl'),
  c('non-gpl-helper-license-MIT-ok', `
    .license "MIT"
    call bpf_get_prandom_u32
    exit`, { license: 'MIT' }),
  c('gpl-only-probe-read-kernel-license-MIT', `
    .license "MIT"
    r1 = r10
    r1 += -8
    r2 = 8
    r3 = 0
    call bpf_probe_read_kernel
    r0 = 2
    exit`, { license: 'MIT' }),
  c('gpl-only-probe-read-kernel-license-GPL-ok', `
    r1 = r10
    r1 += -8
    r2 = 8
    r3 = 0
    call bpf_probe_read_kernel
    r0 = 2
    exit`),
  c('trace-printk-size-past-buffer', `
    *(u32 *)(r10 - 4) = 0x6968
    r1 = r10
    r1 += -4
    r2 = 8
    call bpf_trace_printk
    r0 = 2
    exit`),
  // do_refine_retval_range(): bpf_get_smp_processor_id() < nr_cpu_ids (2 here).
  c('smp-processor-id-bounded-by-nr-cpus-ok', `
    .map m type=array key_size=4 value_size=2 max_entries=1
    call bpf_get_smp_processor_id
    r6 = r0
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 += r6
    r0 = *(u8 *)(r0 + 0)
    out:
    r0 = 2
    exit`),
  c('smp-processor-id-past-a-1-byte-value', `
    .map m type=array key_size=4 value_size=1 max_entries=1
    call bpf_get_smp_processor_id
    r6 = r0
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    r1 = m ll
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r0 += r6
    r0 = *(u8 *)(r0 + 0)
    out:
    r0 = 2
    exit`),
];
