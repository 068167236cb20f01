// The checked memory access both engines share: region lookup, faults, ctx field hooks,
// plain bytes, and the atomics' read-modify-write. Mirrors the LDX/ST/STX and ATOMIC cases
// of ___bpf_prog_run (kernel/bpf/core.c); where Linux trusts the verifier, an access outside
// every region (or a store to read-only memory) raises a memory fault here.
//
// The interpreter takes every access through this file; the JIT inlines its fast paths
// (plain in-region memory) and calls this file for the rest, so the two agree bit for bit.
import { BPF_ADD, BPF_AND, BPF_CMPXCHG, BPF_FETCH, BPF_OR, BPF_XCHG, BPF_XOR } from '@bpfsim/isa';
import type { ExecContext } from './context';
import { invalidFault, memoryFault } from './fault';
import type { Resolved } from './memory';
import { addressOf } from './memory';

const TWO32 = 4294967296;

/**
 * The region and offset of [hi:lo + off, +size) with exact 64-bit address arithmetic, or a
 * memory fault at `pc`: outside every region, or (for a write) in read-only memory.
 */
export function resolveAccess(C: ExecContext, pc: number, hi: number, lo: number, off: number, size: number, write: boolean): Resolved {
  const t = (lo >>> 0) + off;
  const m = C.memory.resolve((hi + (t >= TWO32 ? 1 : t < 0 ? -1 : 0)) | 0, t | 0, size);
  if (!m) throw memoryFault(pc, addressOf(hi, lo, off), size, write);
  if (write && !m.region.writable) throw memoryFault(pc, addressOf(hi, lo, off), size, true, true);
  return m;
}

/**
 * Loads `size` bytes at hi:lo + off into out (out[0] lo, out[1] hi, zero-extended): through
 * the region's field hook when it has one for the offset, else plain little-endian bytes.
 */
export function memLoad(C: ExecContext, pc: number, hi: number, lo: number, off: number, size: number, out: Int32Array): void {
  const m = resolveAccess(C, pc, hi, lo, off, size, false);
  if (m.region.access?.load(m.offset, size, out)) return;
  const v = m.region.view;
  out[1] = 0;
  if (size === 1) out[0] = v.getUint8(m.offset);
  else if (size === 2) out[0] = v.getUint16(m.offset, true);
  else if (size === 4) out[0] = v.getInt32(m.offset, true);
  else {
    out[0] = v.getInt32(m.offset, true);
    out[1] = v.getInt32(m.offset + 4, true);
  }
}

/** Stores the low `size` bytes of vh:vl at hi:lo + off: through the field hook, else plain bytes. */
export function memStore(C: ExecContext, pc: number, hi: number, lo: number, off: number, size: number, vl: number, vh: number): void {
  const m = resolveAccess(C, pc, hi, lo, off, size, true);
  if (m.region.access?.store?.(m.offset, size, vl, vh)) return;
  const v = m.region.view;
  if (size === 1) v.setUint8(m.offset, vl & 0xff);
  else if (size === 2) v.setUint16(m.offset, vl & 0xffff, true);
  else if (size === 4) v.setInt32(m.offset, vl, true);
  else {
    v.setInt32(m.offset, vl, true);
    v.setInt32(m.offset + 4, vh, true);
  }
}

/**
 * An atomic read-modify-write of `size` (4 or 8) bytes at hi:lo + off, checked as a write:
 * add/or/and/xor (with or without BPF_FETCH), xchg, and cmpxchg, which compares eh:el (r0)
 * with memory and stores vh:vl on a match. The old value, zero-extended for 32-bit
 * operations, is left in out (the caller puts it in src for a fetch, in r0 for cmpxchg).
 * Atomics work on plain memory: ctx fields with field hooks take none.
 */
export function memAtomic(C: ExecContext, pc: number, op: number, size: number, hi: number, lo: number, off: number, vl: number, vh: number, el: number, eh: number, out: Int32Array): void {
  const m = resolveAccess(C, pc, hi, lo, off, size, true);
  const wide = size === 8;
  const view = m.region.view;
  const ol = view.getInt32(m.offset, true);
  const oh = wide ? view.getInt32(m.offset + 4, true) : 0;
  let nl = vl;
  let nh = wide ? vh : 0;
  const base = op & ~BPF_FETCH;
  if (op === BPF_CMPXCHG) {
    if (!(wide ? el === ol && eh === oh : el === ol)) {
      out[0] = ol;
      out[1] = oh;
      return;
    }
  } else if (op === BPF_XCHG) {
    // nl, nh: the new value as given
  } else if (base === BPF_ADD) {
    const s = (ol >>> 0) + (vl >>> 0);
    nl = s | 0;
    nh = wide ? (oh + vh + (s >= TWO32 ? 1 : 0)) | 0 : 0;
  } else if (base === BPF_OR) {
    nl = ol | vl;
    nh = oh | nh;
  } else if (base === BPF_AND) {
    nl = ol & vl;
    nh = oh & nh;
  } else if (base === BPF_XOR) {
    nl = ol ^ vl;
    nh = oh ^ nh;
  } else throw invalidFault(pc, `unknown atomic op ${op}`);
  view.setInt32(m.offset, nl, true);
  if (wide) view.setInt32(m.offset + 4, nh, true);
  out[0] = ol;
  out[1] = oh;
}
