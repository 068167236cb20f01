// TCP segments (RFC 9293): the header, its options (MSS, window scale, SACK-permitted,
// SACK blocks, timestamps) and the pseudo-header checksum.
import { finish, pseudoSum4, pseudoSum6, sumBytes, sumBytesFast } from './checksum';
import { IPPROTO_TCP } from './ipv4';
import { offerHeadroom } from './headroom';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;

export interface TcpOptions {
  mss?: number;
  /** Window scale shift (0..14). */
  wscale?: number;
  sackPermitted?: boolean;
  /** SACK blocks [left, right) as sequence numbers. */
  sack?: [number, number][];
  /** Timestamps: TSval and TSecr. */
  ts?: [number, number];
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence and acknowledgement numbers, u32. */
  seq: number;
  ack: number;
  flags: number;
  /** The window field as sent (unscaled). */
  window: number;
  checksum: number;
  urgent: number;
  options: TcpOptions;
  /** Header length in bytes. */
  headerLength: number;
  payload: Uint8Array;
}

/** The options of a segment that has none (shared: parsed options are never written to). */
const NO_OPTIONS: TcpOptions = Object.freeze({});

export function parseTcp(b: Uint8Array): TcpSegment | undefined {
  if (b.length < 20) return undefined;
  const headerLength = (b[12]! >> 4) * 4;
  if (headerLength < 20 || headerLength > b.length) return undefined;
  const options = headerLength === 20 ? NO_OPTIONS : parseOptions(b.subarray(20, headerLength));
  if (!options) return undefined;
  return {
    srcPort: (b[0]! << 8) | b[1]!,
    dstPort: (b[2]! << 8) | b[3]!,
    seq: be32(b, 4),
    ack: be32(b, 8),
    flags: b[13]!,
    window: (b[14]! << 8) | b[15]!,
    checksum: (b[16]! << 8) | b[17]!,
    urgent: (b[18]! << 8) | b[19]!,
    options,
    headerLength,
    payload: b.subarray(headerLength),
  };
}

const be32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function parseOptions(o: Uint8Array): TcpOptions | undefined {
  const out: TcpOptions = {};
  for (let i = 0; i < o.length; ) {
    const kind = o[i]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= o.length) return undefined;
    const len = o[i + 1]!;
    if (len < 2 || i + len > o.length) return undefined;
    switch (kind) {
      case 2:
        if (len === 4) out.mss = (o[i + 2]! << 8) | o[i + 3]!;
        break;
      case 3:
        if (len === 3) out.wscale = Math.min(14, o[i + 2]!);
        break;
      case 4:
        if (len === 2) out.sackPermitted = true;
        break;
      case 5:
        out.sack = [];
        for (let j = 2; j + 8 <= len; j += 8) out.sack.push([be32(o, i + j), be32(o, i + j + 4)]);
        break;
      case 8:
        if (len === 10) out.ts = [be32(o, i + 2), be32(o, i + 6)];
        break;
    }
    i += len;
  }
  return out;
}

/** The options as Linux lays them out (tcp_options_write): MSS, SACK-perm+TS or NOPs, WS, SACK. */
export function encodeOptions(opt: TcpOptions): Uint8Array {
  const b: number[] = [];
  if (opt.mss !== undefined) b.push(2, 4, opt.mss >> 8, opt.mss & 255);
  if (opt.ts) {
    if (opt.sackPermitted) b.push(4, 2);
    else b.push(1, 1);
    b.push(8, 10, ...u32(opt.ts[0]), ...u32(opt.ts[1]));
  } else if (opt.sackPermitted) b.push(1, 1, 4, 2);
  if (opt.wscale !== undefined) b.push(1, 3, 3, opt.wscale);
  if (opt.sack?.length) {
    b.push(1, 1, 5, 2 + 8 * opt.sack.length);
    for (const [l, r] of opt.sack) b.push(...u32(l), ...u32(r));
  }
  while (b.length % 4) b.push(1);
  return Uint8Array.from(b);
}

const u32 = (x: number): number[] => [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];

export interface TcpBuild {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent?: number;
  options?: TcpOptions;
}

function pseudo(src: Uint8Array, dst: Uint8Array, length: number): number {
  return src.length === 4 ? pseudoSum4(src, dst, IPPROTO_TCP, length) : pseudoSum6(src, dst, IPPROTO_TCP, length);
}

const EMPTY = new Uint8Array(0);

export function buildTcp(src: Uint8Array, dst: Uint8Array, s: TcpBuild, payload: Uint8Array = EMPTY): Uint8Array {
  const opts = s.options ? encodeOptions(s.options) : EMPTY;
  const hl = 20 + opts.length;
  const out = new Uint8Array(hl + payload.length);
  // Byte stores rather than a DataView: one allocation per segment instead of two.
  out[0] = s.srcPort >> 8;
  out[1] = s.srcPort & 0xff;
  out[2] = s.dstPort >> 8;
  out[3] = s.dstPort & 0xff;
  putU32(out, 4, s.seq);
  putU32(out, 8, s.ack);
  out[12] = (hl / 4) << 4;
  out[13] = s.flags;
  out[14] = s.window >> 8;
  out[15] = s.window & 0xff;
  const urg = s.urgent ?? 0;
  out[18] = urg >> 8;
  out[19] = urg & 0xff;
  if (opts.length) out.set(opts, 20);
  if (payload.length) out.set(payload, hl);
  const sum = finish(sumBytes(out, pseudo(src, dst, out.length)));
  out[16] = sum >> 8;
  out[17] = sum & 0xff;
  return out;
}

function putU32(b: Uint8Array, at: number, x: number): void {
  b[at] = x >>> 24;
  b[at + 1] = (x >>> 16) & 0xff;
  b[at + 2] = (x >>> 8) & 0xff;
  b[at + 3] = x & 0xff;
}

/**
 * The options of a segment the stack sends, as plain fields (no arrays or objects to make per
 * segment): what TcpOptions says, laid out by the same rules (tcp_options_write). `mss` and
 * `wscale` are -1 when absent; SACK blocks are `nSack` start/end pairs in `sack`.
 */
export class TcpOptsOut {
  mss = -1;
  wscale = -1;
  sackPermitted = false;
  ts = false;
  tsVal = 0;
  tsEcr = 0;
  nSack = 0;
  readonly sack: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

  clear(): void {
    this.mss = -1;
    this.wscale = -1;
    this.sackPermitted = false;
    this.ts = false;
    this.nSack = 0;
  }
}

/** The bytes the options take (encodeOptions(...).length). */
function optsLength(o: TcpOptsOut): number {
  let n = 0;
  if (o.mss >= 0) n += 4;
  if (o.ts) n += 12;
  else if (o.sackPermitted) n += 4;
  if (o.wscale >= 0) n += 4;
  if (o.nSack) n += 4 + 8 * o.nSack;
  return (n + 3) & ~3;
}

/** encodeOptions() written in place at b[at…]. */
function writeOpts(b: Uint8Array, at: number, o: TcpOptsOut, end: number): void {
  if (o.mss >= 0) {
    b[at] = 2;
    b[at + 1] = 4;
    b[at + 2] = o.mss >> 8;
    b[at + 3] = o.mss & 255;
    at += 4;
  }
  if (o.ts) {
    if (o.sackPermitted) {
      b[at] = 4;
      b[at + 1] = 2;
    } else b[at] = b[at + 1] = 1;
    b[at + 2] = 8;
    b[at + 3] = 10;
    putU32(b, at + 4, o.tsVal);
    putU32(b, at + 8, o.tsEcr);
    at += 12;
  } else if (o.sackPermitted) {
    b[at] = b[at + 1] = 1;
    b[at + 2] = 4;
    b[at + 3] = 2;
    at += 4;
  }
  if (o.wscale >= 0) {
    b[at] = 1;
    b[at + 1] = 3;
    b[at + 2] = 3;
    b[at + 3] = o.wscale;
    at += 4;
  }
  if (o.nSack) {
    b[at] = b[at + 1] = 1;
    b[at + 2] = 5;
    b[at + 3] = 2 + 8 * o.nSack;
    at += 4;
    for (let i = 0; i < 2 * o.nSack; i++, at += 4) putU32(b, at, o.sack[i]!);
  }
  while (at < end) b[at++] = 1;
}

/** Ethernet's header and IPv4's or IPv6's: the headroom of a segment for IP (headroom.ts). */
const HEADROOM4 = 14 + 20;
const HEADROOM6 = 14 + 40;

/** Segments (but huge ones) are carved from shared slabs: nothing keeps a frame's bytes once
 * it is delivered (the receiver copies data into its receive queue's ring, or its
 * out-of-order queue), so a slab lives only while its frames are in flight (or in a capture),
 * and one ArrayBuffer serves dozens of segments instead of one each. */
const SLAB_SIZE = 65536;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/** A zeroed segment of `hl` bytes with `room` bytes of headroom before it, from the slab. */
function slabSegment(room: number, hl: number): Uint8Array {
  const need = room + hl;
  if (slabUsed + need > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const at = slabUsed + room;
  // Frames start 8-byte aligned, so the segment's words are too (sumBytesFast).
  slabUsed = (slabUsed + need + 7) & ~7;
  return new Uint8Array(slab, at, hl);
}

/**
 * buildTcp() for the stack's own segments: the same bytes, with the options from `o`
 * (undefined: none), in a buffer with room in front for the IP and Ethernet headers,
 * offered to the IP layer (offerHeadroom) so the frame is built around the segment.
 */
export function buildTcpSegment(src: Uint8Array, dst: Uint8Array, srcPort: number, dstPort: number, seq: number, ack: number, flags: number, window: number, o: TcpOptsOut | undefined, payload: Uint8Array | undefined): Uint8Array {
  const optLen = o ? optsLength(o) : 0;
  const hl = 20 + optLen;
  const plen = payload ? payload.length : 0;
  const room = src.length === 4 ? HEADROOM4 : HEADROOM6;
  const out = room + hl + plen > SLAB_SIZE >> 2 ? new Uint8Array(room + hl + plen).subarray(room) : slabSegment(room, hl + plen);
  out[0] = srcPort >> 8;
  out[1] = srcPort & 0xff;
  out[2] = dstPort >> 8;
  out[3] = dstPort & 0xff;
  putU32(out, 4, seq);
  putU32(out, 8, ack);
  out[12] = (hl / 4) << 4;
  out[13] = flags;
  out[14] = window >> 8;
  out[15] = window & 0xff;
  if (optLen) writeOpts(out, 20, o!, hl);
  if (plen) out.set(payload!, hl);
  const sum = finish(sumBytesFast(out, pseudo(src, dst, out.length)));
  out[16] = sum >> 8;
  out[17] = sum & 0xff;
  return offerHeadroom(out);
}

export function tcpChecksumOk(src: Uint8Array, dst: Uint8Array, seg: Uint8Array): boolean {
  return finish(sumBytesFast(seg, pseudo(src, dst, seg.length))) === 0;
}
