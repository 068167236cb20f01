// How the debugger shows a machine state: registers as numbers or as pointers into the ctx
// and the stack, the ctx as the uapi struct's fields (include/uapi/linux/bpf.h), the stack as
// 8-byte slots below the frame pointer.
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

/** uapi ctx layouts by the ctx region's name (linux-bpf-facts.md §2). */
const CTX_LAYOUTS: Record<string, Field[]> = {
  bpf_sock_addr: [
    [0, 4, 'user_family'], [4, 4, 'user_ip4'], [8, 4, 'user_ip6[0]'], [12, 4, 'user_ip6[1]'], [16, 4, 'user_ip6[2]'], [20, 4, 'user_ip6[3]'],
    [24, 4, 'user_port'], [28, 4, 'family'], [32, 4, 'type'], [36, 4, 'protocol'], [40, 4, 'msg_src_ip4'],
    [44, 4, 'msg_src_ip6[0]'], [48, 4, 'msg_src_ip6[1]'], [52, 4, 'msg_src_ip6[2]'], [56, 4, 'msg_src_ip6[3]'], [64, 8, 'sk'],
  ],
  bpf_sock: [
    [0, 4, 'bound_dev_if'], [4, 4, 'family'], [8, 4, 'type'], [12, 4, 'protocol'], [16, 4, 'mark'], [20, 4, 'priority'], [24, 4, 'src_ip4'],
    [28, 4, 'src_ip6[0]'], [32, 4, 'src_ip6[1]'], [36, 4, 'src_ip6[2]'], [40, 4, 'src_ip6[3]'], [44, 4, 'src_port'], [48, 2, 'dst_port'],
    [52, 4, 'dst_ip4'], [56, 4, 'dst_ip6[0]'], [60, 4, 'dst_ip6[1]'], [64, 4, 'dst_ip6[2]'], [68, 4, 'dst_ip6[3]'], [72, 4, 'state'], [76, 4, 'rx_queue_mapping'],
  ],
  sk_msg_md: [
    [0, 8, 'data'], [8, 8, 'data_end'], [16, 4, 'family'], [20, 4, 'remote_ip4'], [24, 4, 'local_ip4'],
    [28, 4, 'remote_ip6[0]'], [32, 4, 'remote_ip6[1]'], [36, 4, 'remote_ip6[2]'], [40, 4, 'remote_ip6[3]'],
    [44, 4, 'local_ip6[0]'], [48, 4, 'local_ip6[1]'], [52, 4, 'local_ip6[2]'], [56, 4, 'local_ip6[3]'],
    [60, 4, 'remote_port'], [64, 4, 'local_port'], [68, 4, 'size'], [72, 8, 'sk'],
  ],
};

const le = (b: Uint8Array, off: number, size: number): bigint => {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
};
const ip4 = (b: Uint8Array, off: number): string => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/**
 * The ctx as rows: named fields for the uapi structs the hooks pass, else u64 words (raw
 * tracepoint args) or u32 words. Address fields (network byte order) also read as an IPv4
 * address, ports as numbers.
 */
export function ctxFields(ctx: Uint8Array | undefined, type: string | undefined): { offset: number; name: string; value: string }[] {
  if (!ctx) return [];
  const layout = type ? CTX_LAYOUTS[type] : undefined;
  if (layout) {
    return layout
      .filter(([off, size]) => off + size <= ctx.length)
      .map(([off, size, name]) => {
        const v = le(ctx, off, size);
        let extra = '';
        if (/ip4$/.test(name) && v !== 0n) extra = ` (${ip4(ctx, off)})`;
        else if (/^(user_port|dst_port|remote_port)$/.test(name) && v !== 0n) extra = ` (port ${(ctx[off]! << 8) | ctx[off + 1]!})`;
        return { offset: off, name, value: `0x${v.toString(16).padStart(size * 2, '0')}${extra}` };
      });
  }
  const word = type === 'bpf_raw_tracepoint_args' ? 8 : 4;
  const out: { offset: number; name: string; value: string }[] = [];
  for (let off = 0; off + word <= ctx.length; off += word) out.push({ offset: off, name: word === 8 ? `args[${off / 8}]` : '', value: `0x${le(ctx, off, word).toString(16).padStart(word * 2, '0')}` });
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
