// How the debugger shows a machine state: registers as numbers or as pointers into the ctx
// and the stack, the ctx as the uapi struct's fields (include/uapi/linux/bpf.h, as the
// program types' descriptors lay them out), the stack as 8-byte slots below the frame pointer.
import { builtinProgTypes } from '@bpfsim/kernel';
import { SK_MSG } from '@bpfsim/sockmap';
import type { ProgTypeDescriptor } from '@bpfsim/verifier';
import { REGION_HI_BASE, REGION_LO_BASE } from '@bpfsim/vm';

/** Where the run's ctx and stack frames live (region hi words), to name pointers. */
export interface TraceLayout {
  ctxHi?: number;
  /** The stack region's hi word of each call depth. */
  stackHi: number[];
  /** Bytes of a stack frame (MAX_BPF_STACK). */
  stackSize: number;
}

/** A register's value for people: "ctx+4", "fp-16", a number (signed when negative). */
export function fmtReg(v: bigint, layout: TraceLayout, depth = 0): string {
  const hi = Number(BigInt.asIntN(32, v >> 32n));
  const lo = Number(BigInt.asIntN(32, v & 0xffffffffn));
  if (hi >> 24 === REGION_HI_BASE >> 24) {
    const off = lo - REGION_LO_BASE;
    if (layout.ctxHi !== undefined && hi === layout.ctxHi) return `ctx${off ? `+${off}` : ''}`;
    const d = layout.stackHi.indexOf(hi);
    if (d >= 0) {
      const fpOff = off - layout.stackSize;
      return `fp${fpOff ? fpOff : '-0'}${d !== depth ? ` (frame ${d})` : ''}`;
    }
    return `pointer (region ${(hi - REGION_HI_BASE) >>> 0}, offset ${off})`;
  }
  const s = BigInt.asIntN(64, v);
  return s < 0n ? `${s} (${v})` : String(v);
}

type Field = [offset: number, size: number, name: string];

/** Every program type's descriptor: the kernel's built-in types and the sockmap's SK_MSG. */
const DESCRIPTORS: readonly ProgTypeDescriptor[] = [...builtinProgTypes().map((e) => e.descriptor), SK_MSG];
const layouts = new Map<string, Field[] | undefined>();

/**
 * The uapi layout of a ctx struct by its name (the ctx region's name), from the descriptors
 * the verifier checks against: every field some type may read (entries that only refuse
 * bytes inside a field are not fields), by offset; types sharing a struct (__sk_buff) add up.
 * An array region wider than a u64 (__sk_buff->cb) shows as u32 elements.
 */
function ctxLayout(ctxName: string): Field[] | undefined {
  if (layouts.has(ctxName)) return layouts.get(ctxName);
  const byOff = new Map<number, Field>();
  for (const d of DESCRIPTORS) {
    if (d.ctxName !== ctxName) continue;
    for (const f of d.fields) {
      if (f.read === false) continue;
      const parts: Field[] = f.size > 8 ? Array.from({ length: f.size / 4 }, (_, i): Field => [f.off + 4 * i, 4, `${f.name}[${i}]`]) : [[f.off, f.size, f.name]];
      for (const p of parts) if (!byOff.has(p[0])) byOff.set(p[0], p);
    }
  }
  const layout = byOff.size ? [...byOff.values()].sort((x, y) => x[0] - y[0]) : undefined;
  layouts.set(ctxName, layout);
  return layout;
}

const le = (b: Uint8Array, off: number, size: number): bigint => {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
};
const ip4 = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/**
 * The ctx as rows: named fields for the uapi structs of the program types, else u32 words.
 * Address fields (network byte order) also read as an IPv4 address, ports as numbers.
 */
export function ctxFields(ctx: Uint8Array | undefined, type: string | undefined): { offset: number; name: string; value: string }[] {
  if (!ctx) return [];
  const layout = type ? ctxLayout(type) : undefined;
  if (layout) {
    return layout
      .filter(([off, size]) => off + size <= ctx.length)
      .map(([off, size, name]) => {
        const v = le(ctx, off, size);
        let extra = '';
        if (/ip4$/.test(name) && v !== 0n) extra = ` (${ip4(ctx, off)})`;
        // A __be16 in the low half, or (bpf_sock_ops, __sk_buff: shifted by the ctx rewrite) the high.
        else if (/^(user_port|dst_port|remote_port)$/.test(name) && v !== 0n) extra = ` (port ${ctx[off] || ctx[off + 1] ? (ctx[off]! << 8) | ctx[off + 1]! : (ctx[off + 2]! << 8) | ctx[off + 3]!})`;
        return { offset: off, name, value: `0x${v.toString(16).padStart(size * 2, '0')}${extra}` };
      });
  }
  const out: { offset: number; name: string; value: string }[] = [];
  for (let off = 0; off + 4 <= ctx.length; off += 4) out.push({ offset: off, name: '', value: `0x${le(ctx, off, 4).toString(16).padStart(8, '0')}` });
  return out;
}

/**
 * The stack frame's 8-byte slots that hold anything but zeros, top (fp-8) first. `frame`
 * is the whole region (MAX_BPF_STACK bytes; the frame pointer is its end).
 */
export function stackSlots(frame: Uint8Array | undefined): { slot: string; hex: string; u64: string }[] {
  if (!frame) return [];
  const out: { slot: string; hex: string; u64: string }[] = [];
  for (let off = frame.length - 8; off >= 0; off -= 8) {
    const bytes = frame.subarray(off, off + 8);
    if (bytes.every((b) => b === 0)) continue;
    out.push({ slot: `fp-${frame.length - off}`, hex: [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' '), u64: le(frame, off, 8).toString() });
  }
  return out;
}
