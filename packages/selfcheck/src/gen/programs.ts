// Random programs for the verifier's soundness property (../soundness.property.test.ts).
// One seed makes one program: an instruction soup the verifier mostly refuses, or a
// structured program built from snippets the verifier mostly accepts, but only by reasoning
// (packet bounds against data_end, scalar bounds from masks, shifts, 32-bit ALU, sign
// extension and branches, spills and fills, bounded loops, bpf-to-bpf calls, LD_ABS, map
// values), with slips (off by one, a missing check, a stale pointer) so that every boundary
// is probed from both sides; or such a program with a few instructions mutated.
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ADD,
  BPF_ALU,
  BPF_ALU32_IMM,
  BPF_ALU64,
  BPF_ALU64_IMM,
  BPF_ALU64_REG,
  BPF_AND,
  BPF_ARSH,
  BPF_ATOMIC,
  BPF_ATOMIC_OP,
  BPF_B,
  BPF_BSWAP,
  BPF_CALL,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_DW,
  BPF_EMIT_CALL,
  BPF_END,
  BPF_ENDIAN,
  BPF_EXIT,
  BPF_EXIT_INSN,
  BPF_FETCH,
  BPF_H,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LDX_MEM,
  BPF_LDX_MEMSX,
  BPF_LD_ABS,
  BPF_LD_IMM64,
  BPF_LD_IMM64_RAW,
  BPF_LD_IND,
  BPF_LSH,
  BPF_MAP_TYPE,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOD,
  BPF_MOV,
  BPF_MOV32_IMM,
  BPF_MOV32_REG,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_MOVSX32_REG,
  BPF_MOVSX64_REG,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_RAW_INSN,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_STX_MEM,
  BPF_ST_MEM,
  BPF_SUB,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_XCHG,
  BPF_XOR,
  LD_IMM64,
  ProgramBuilder,
  helperId,
} from '@bpfsim/isa';
import type { MapInfo } from '@bpfsim/verifier';

// ---- seeded randomness -----------------------------------------------------------------

/** mulberry32: small, fast, and the same sequence everywhere. */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** 0 ≤ n' < n */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** lo ≤ n' ≤ hi */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of xs) total += w;
    let x = this.next() * total;
    for (const [v, w] of xs) {
      x -= w;
      if (x < 0) return v;
    }
    return xs[xs.length - 1]![0];
  }
  u32(): number {
    return this.int(4294967296);
  }
}

// ---- what a generated program is ---------------------------------------------------------

export type ProgType = 'xdp' | 'socket_filter';

export const GEN_KINDS = [
  'soup',
  'soup-typed',
  'packet',
  'var-offset',
  'spill-fill',
  'loop',
  'bpf-call',
  'map',
  'ld-abs',
  'diamond',
  'mixed',
  'mutant',
] as const;
export type GenKind = (typeof GEN_KINDS)[number];

/** How often each kind is drawn. */
const KIND_WEIGHTS: readonly (readonly [GenKind, number])[] = [
  ['soup', 14],
  ['soup-typed', 10],
  ['packet', 9],
  ['var-offset', 13],
  ['spill-fill', 7],
  ['loop', 6],
  ['bpf-call', 7],
  ['map', 8],
  ['ld-abs', 6],
  ['diamond', 5],
  ['mixed', 8],
  ['mutant', 12],
];

export interface GenProgram {
  seed: number;
  kind: GenKind;
  progType: ProgType;
  insns: Insn[];
  /** The fd_array: ld_imm64 with BPF_PSEUDO_MAP_IDX[_VALUE] refers to these by index. */
  maps: MapInfo[];
  /** CAP_BPF + CAP_PERFMON (most programs) or an unprivileged socket filter. */
  privileged: boolean;
}

const { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH } = BPF_MAP_TYPE;
/** BPF_F_RDONLY_PROG: the program may read values, not write them. */
export const BPF_F_RDONLY_PROG = 1 << 7;

const helper = (name: string): number => {
  const id = helperId(name);
  if (id === undefined) throw new Error(`unknown helper ${name}`);
  return id;
};

/** The helpers generated programs call (the test gives the VM an implementation of each). */
export const HELPER = {
  map_lookup_elem: helper('map_lookup_elem'),
  map_update_elem: helper('map_update_elem'),
  map_delete_elem: helper('map_delete_elem'),
  ktime_get_ns: helper('ktime_get_ns'),
  get_prandom_u32: helper('get_prandom_u32'),
  get_smp_processor_id: helper('get_smp_processor_id'),
  skb_load_bytes: helper('skb_load_bytes'),
  csum_diff: helper('csum_diff'),
  probe_read_kernel: helper('probe_read_kernel'),
  xdp_adjust_head: helper('xdp_adjust_head'),
  xdp_adjust_meta: helper('xdp_adjust_meta'),
  xdp_adjust_tail: helper('xdp_adjust_tail'),
  xdp_get_buff_len: helper('xdp_get_buff_len'),
  xdp_load_bytes: helper('xdp_load_bytes'),
  xdp_store_bytes: helper('xdp_store_bytes'),
} as const;

/** One program from one seed. */
export function generateProgram(seed: number): GenProgram {
  const r = new Rand(seed ^ 0x3c6ef372);
  const kind = r.weighted(KIND_WEIGHTS);
  return generateKind(kind, seed);
}

/** One program of a given kind from one seed. */
export function generateKind(kind: GenKind, seed: number): GenProgram {
  const r = new Rand(seed);
  if (kind === 'soup') return soup(r, seed, false);
  if (kind === 'soup-typed') return soup(r, seed, true);
  if (kind === 'mutant') return mutant(r, seed);
  return structured(r, seed, kind);
}

// ---- value ranges the generator believes in ------------------------------------------

/** A signed 64-bit range. */
interface Iv {
  lo: bigint;
  hi: bigint;
}
/**
 * A scalar the generator made: `t` holds every value it can take (a sound over-
 * approximation), `c` what a careless reasoner would claim (narrower after a 32-bit check
 * of a 64-bit value, a 32-bit add that can wrap…). Accesses are sized from one or the
 * other, so a verifier that believes the claim shows up as a fault.
 */
interface Val {
  t: Iv;
  c: Iv;
}

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U32_MAX = (1n << 32n) - 1n;
const TOP: Iv = { lo: S64_MIN, hi: S64_MAX };
const iv = (lo: bigint | number, hi: bigint | number): Iv => ({ lo: BigInt(lo), hi: BigInt(hi) });
const clampIv = (v: Iv): Iv => (v.lo < S64_MIN || v.hi > S64_MAX || v.lo > v.hi ? TOP : v);
const within = (v: Iv, lo: bigint, hi: bigint): boolean => v.lo >= lo && v.hi <= hi;
const isU32 = (v: Iv): boolean => within(v, 0n, U32_MAX);
const big = (n: number): bigint => BigInt(n);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const same = (v: Iv): Val => ({ t: v, c: v });

/** The smallest 2^k - 1 ≥ x (x ≥ 0). */
function ones(x: bigint): bigint {
  let m = 0n;
  while (m < x) m = (m << 1n) | 1n;
  return m;
}

// ---- the program under construction -------------------------------------------------------

const ALU_JMP_OPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE];
const SIZES = [BPF_B, BPF_H, BPF_W, BPF_DW] as const;
const sizeBytes = (s: number): number => (s === BPF_B ? 1 : s === BPF_H ? 2 : s === BPF_W ? 4 : 8);
const sizeOf = (z: number): number => (z === 1 ? BPF_B : z === 2 ? BPF_H : z === 4 ? BPF_W : BPF_DW);

/** Registers: r6 = ctx throughout; XDP keeps data in r7 and data_end in r8. */
const CTX = 6;
const DATA = 7;
const DATA_END = 8;

class Gen {
  readonly b = new ProgramBuilder();
  readonly maps: MapInfo[] = [];
  /** Subprograms, emitted after the main program. */
  readonly subs: { label: string; body: (g: Gen) => void }[] = [];
  private labels = 0;
  /** The label that ends the (sub)program early (r0 = some verdict, exit). */
  out = 'out';
  /** Whether anything jumps to `out` (else its block would be unreachable, and refused). */
  outUsed = false;
  /** Registers a snippet keeps a live value in: scratch() and saved() avoid them. */
  readonly held = new Set<number>();
  /** False inside a subprogram, which has no r6/r7/r8 of its own. */
  inMain = true;
  /** Slot of the frame this code writes scratch data to (grows down). */
  stackUse = 0;

  constructor(
    readonly r: Rand,
    readonly progType: ProgType,
    readonly privileged: boolean,
  ) {
    this.slipScale = r.chance(0.5) ? 0 : 1.5;
  }

  get xdp(): boolean {
    return this.progType === 'xdp';
  }
  label(): string {
    return `l${this.labels++}`;
  }
  emit(...parts: (Insn | readonly Insn[])[]): void {
    this.b.emit(...parts);
  }
  at(label: string): void {
    this.b.label(label);
  }
  private use(label: string): string {
    if (label === this.out) this.outUsed = true;
    return label;
  }
  /** `if dst op imm goto label`, 64- or 32-bit. */
  jImm(op: number, dst: number, imm: number, label: string, is32 = false): void {
    if (is32) this.b.jmp32Imm(op, dst, imm, this.use(label));
    else this.b.jmpImm(op, dst, imm, this.use(label));
  }
  jReg(op: number, dst: number, src: number, label: string, is32 = false): void {
    if (is32) this.b.jmp32Reg(op, dst, src, this.use(label));
    else this.b.jmpReg(op, dst, src, this.use(label));
  }
  ja(label: string): void {
    this.b.ja(this.use(label));
  }
  hold(reg: number): number {
    this.held.add(reg);
    return reg;
  }
  release(reg: number): void {
    this.held.delete(reg);
  }
  call(id: number): void {
    this.emit(BPF_EMIT_CALL(id));
  }
  /**
   * Slips (off by one, a missing check, a stale pointer) happen in some programs only, so
   * that the rest are meant to be safe all through; `p` is the chance where they happen.
   */
  readonly slipScale: number;
  slip(p = 0.1): boolean {
    return this.r.chance(p * this.slipScale);
  }
  /** An 8-aligned stack offset below everything used so far (at most 512 down). */
  stackSlot(bytes = 8): number {
    this.stackUse = Math.min(512, this.stackUse + Math.ceil(bytes / 8) * 8);
    return -this.stackUse;
  }
  /** A map of the given kind, made on first use. */
  map(kind: 'array' | 'hash' | 'any' = 'any'): { idx: number; info: MapInfo } {
    const found = this.maps.findIndex((m) => kind === 'any' || m.type === (kind === 'array' ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_HASH));
    if (found >= 0 && this.r.chance(0.8)) return { idx: found, info: this.maps[found]! };
    const r = this.r;
    const array = kind === 'array' || (kind === 'any' && r.chance(0.7));
    const info: MapInfo = array
      ? {
          type: BPF_MAP_TYPE_ARRAY,
          keySize: 4,
          valueSize: r.pick([1, 3, 4, 8, 12, 16, 16, 24, 32, 48, 64, 100]),
          maxEntries: r.pick([1, 1, 2, 4, 16]),
          flags: r.chance(0.1) ? BPF_F_RDONLY_PROG : 0,
        }
      : { type: BPF_MAP_TYPE_HASH, keySize: r.pick([4, 8]), valueSize: r.pick([4, 8, 16, 32, 40]), maxEntries: 8, flags: 0 };
    this.maps.push(info);
    return { idx: this.maps.length - 1, info };
  }
  /** A scratch register (r1..r5, or r0) other than the ones given. */
  scratch(...not: number[]): number {
    const pool = [0, 1, 2, 3, 4, 5].filter((x) => !not.includes(x) && !this.held.has(x));
    return pool.length ? this.r.pick(pool) : 0;
  }
  /** A register that survives helper and bpf-to-bpf calls (r9; r7/r8 too in socket filters). */
  saved(...not: number[]): number {
    const pool = (this.xdp || !this.inMain ? [9] : [7, 8, 9]).filter((x) => !not.includes(x) && !this.held.has(x));
    return pool.length ? this.r.pick(pool) : 9;
  }
}

// ---- snippets: pieces of structured programs ---------------------------------------------

/**
 * Bounds check of `ptr` (a packet pointer that is `n` bytes past the start the program
 * wants to read from) against data_end in one of the eight forms that prove `ptr <= end`
 * (or `ptr - 1 < end`); the fall-through continues, the other way leaves. Returns the bytes
 * the check really proves (a slip proves one fewer, or nothing).
 */
function pktCheck(g: Gen, ptr: number, end: number, n: number): number {
  const r = g.r;
  const form = r.int(8);
  let proven = n;
  // Forms 4..7 compare ptr - 1 (ptr' >= end leaves): the pointer is one byte lower for the
  // compare and moved back after it (the range stays with the pointer's id).
  let adj = form >= 4 ? -1 : 0;
  if (g.slip(0.06)) {
    // Off by one: the check is one byte short.
    adj--;
    proven--;
  }
  if (adj) g.emit(BPF_ALU64_IMM(BPF_ADD, ptr, adj));
  const ok = g.label();
  if (g.slip(0.04)) {
    // A comparison that proves nothing about the range (signed, or equality).
    const op = r.pick([BPF_JSGT, BPF_JEQ, BPF_JNE, BPF_JSGE]);
    g.jReg(op, ptr, end, g.out);
    g.at(ok);
    if (adj) g.emit(BPF_ALU64_IMM(BPF_ADD, ptr, -adj));
    return 0;
  }
  switch (form) {
    case 0: // if ptr > end goto out
      g.jReg(BPF_JGT, ptr, end, g.out);
      break;
    case 1: // if end < ptr goto out
      g.jReg(BPF_JLT, end, ptr, g.out);
      break;
    case 2: // if ptr <= end goto ok
      g.jReg(BPF_JLE, ptr, end, ok);
      g.ja(g.out);
      break;
    case 3: // if end >= ptr goto ok
      g.jReg(BPF_JGE, end, ptr, ok);
      g.ja(g.out);
      break;
    case 4: // if ptr' >= end goto out
      g.jReg(BPF_JGE, ptr, end, g.out);
      break;
    case 5: // if end <= ptr' goto out
      g.jReg(BPF_JLE, end, ptr, g.out);
      break;
    case 6: // if ptr' < end goto ok
      g.jReg(BPF_JLT, ptr, end, ok);
      g.ja(g.out);
      break;
    default: // if end > ptr' goto ok
      g.jReg(BPF_JGT, end, ptr, ok);
      g.ja(g.out);
      break;
  }
  g.at(ok);
  if (adj) g.emit(BPF_ALU64_IMM(BPF_ADD, ptr, -adj));
  return proven;
}

/** Loads `data` and `data_end` again (after a helper that moved the packet). */
function reloadPkt(g: Gen): void {
  g.emit(BPF_LDX_MEM(BPF_W, DATA, CTX, 0), BPF_LDX_MEM(BPF_W, DATA_END, CTX, 4));
}

/** How far past a room's edge an access goes: usually 0 (exactly fits), sometimes over. */
function overshoot(g: Gen): number {
  if (!g.slip(0.3)) return g.r.chance(0.8) ? 0 : -g.r.range(1, 8);
  return g.r.chance(0.7) ? 1 : g.r.range(2, 9);
}

/** One memory access at base + off of `z` bytes, in any of the forms that touch memory. */
function access(g: Gen, base: number, off: number, z: number, opts: { write: boolean; atomic: boolean; value?: number }): void {
  const r = g.r;
  const size = sizeOf(z);
  const dst = g.scratch(base);
  const kind = r.weighted([
    ['ldx', 40],
    ['ldsx', z < 8 ? 8 : 0],
    ['stx', opts.write ? 20 : 2],
    ['st', opts.write ? 12 : 1],
    ['atomic', opts.atomic && z >= 4 ? 8 : 0.5],
  ] as const);
  if (kind === 'ldx') g.emit(BPF_LDX_MEM(size, dst, base, off));
  else if (kind === 'ldsx') g.emit(BPF_LDX_MEMSX(size, dst, base, off));
  else if (kind === 'stx') {
    const v = opts.value ?? g.scratch(base);
    if (opts.value === undefined) g.emit(BPF_MOV64_IMM(v, r.pick([0, 1, -1, 0x7f, 0x1234])));
    g.emit(BPF_STX_MEM(size, base, v, off));
  } else if (kind === 'st') g.emit(BPF_ST_MEM(size, base, off, r.pick([0, 1, -1, 42])));
  else {
    const az = z >= 8 ? BPF_DW : BPF_W;
    const op = r.pick(base === 0 ? [BPF_ADD, BPF_ADD | BPF_FETCH, BPF_OR, BPF_XCHG] : [BPF_ADD, BPF_ADD | BPF_FETCH, BPF_OR, BPF_XCHG, BPF_CMPXCHG]);
    const v = g.scratch(base, 0);
    g.emit(BPF_MOV64_IMM(v, r.pick([1, 3, -1])));
    if (op === BPF_CMPXCHG) g.emit(BPF_MOV64_IMM(0, r.pick([0, 1])));
    g.emit(BPF_ATOMIC_OP(az, op, base, v, off));
  }
}

/**
 * Packet parsing: a header of `n` bytes checked against data_end, then reads and writes
 * inside it, through data or through the checked pointer with negative offsets.
 */
function snipPacket(g: Gen): void {
  if (!g.xdp || !g.inMain) return;
  const r = g.r;
  const n = r.weighted([
    [r.range(1, 8), 3],
    [r.range(9, 64), 5],
    [r.range(65, 140), 1],
  ]);
  const p = g.scratch();
  // p = data + start + n; the header starts `start` bytes in.
  const start = r.chance(0.3) ? r.range(1, 20) : 0;
  g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_IMM(BPF_ADD, p, start + n));
  g.hold(p);
  const proven = pktCheck(g, p, DATA_END, n);
  for (let k = r.range(1, 3); k > 0; k--) {
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= Math.max(1, proven)));
    // The access [o, o + z) inside [0, n), or over its end by `overshoot`.
    const maxO = Math.max(0, n - z);
    let o = r.chance(0.5) ? maxO : r.range(0, maxO);
    o += g.slip(0.05) ? 1 : 0;
    if (start > 0 && r.chance(0.2)) o = -r.range(1, start); // before the header, inside the packet
    else if (g.slip(0.05)) o = -r.range(1, 4); // before the packet
    const viaEnd = r.chance(0.35);
    access(g, viaEnd ? p : DATA, viaEnd ? o - n : start + o, z, { write: true, atomic: false });
  }
  // The checked range outlives a copy and a constant move of the pointer.
  if (r.chance(0.3)) {
    const q = g.scratch(p);
    const d = r.range(0, n);
    g.emit(BPF_MOV64_REG(q, DATA), BPF_ALU64_IMM(BPF_ADD, q, start + d));
    const z = r.pick([1, 2, 4]);
    access(g, q, n - d - z + (g.slip(0.15) ? 1 : 0), z, { write: false, atomic: false });
  }
  g.release(p);
}

/** data_meta: readable only up to data, after checking against it. */
function snipMeta(g: Gen): void {
  if (!g.xdp || !g.inMain) return;
  const r = g.r;
  const m = g.scratch();
  const p = g.scratch(m);
  const n = r.pick([1, 4, 8]);
  g.emit(BPF_LDX_MEM(BPF_W, m, CTX, 8), BPF_MOV64_REG(p, m), BPF_ALU64_IMM(BPF_ADD, p, n));
  pktCheck(g, p, DATA, n);
  access(g, m, g.slip(0.2) ? n - 1 : 0, g.slip(0.2) ? n : 1, { write: true, atomic: false });
}

/**
 * bpf_xdp_adjust_head/meta/tail move the packet: every packet pointer is stale afterwards.
 * The program loads data/data_end again (or, as a slip, keeps using the old ones).
 */
function snipAdjust(g: Gen): void {
  if (!g.xdp || !g.inMain) return;
  const r = g.r;
  const which = r.pick([HELPER.xdp_adjust_head, HELPER.xdp_adjust_meta, HELPER.xdp_adjust_tail]);
  const delta = which === HELPER.xdp_adjust_meta ? -r.pick([4, 8, 16, 0]) : r.pick([-16, -8, -4, 0, 4, 8, 14, 20]);
  g.emit(BPF_MOV64_REG(1, CTX), BPF_MOV64_IMM(2, delta));
  g.call(which);
  if (r.chance(0.6)) g.jImm(BPF_JNE, 0, 0, g.out);
  if (!g.slip(0.25)) reloadPkt(g);
  if (r.chance(0.7)) snipPacket(g);
  if (which === HELPER.xdp_adjust_meta && r.chance(0.6)) snipMeta(g);
}

// ---- scalars: where they come from, how they get bounded, where they are used -----------

/** Leaves a scalar the verifier does not know in `reg`; returns what it can be. */
function scalarSource(g: Gen, reg: number): Val {
  const r = g.r;
  const kinds: [string, number][] = [
    ['prandom', 2],
    ['const', 1],
  ];
  if (g.xdp && g.inMain) kinds.push(['packet', 8], ['ctx', 0.5]);
  if (!g.xdp && g.inMain) kinds.push(['ldabs', 5], ['ctx', 3]);
  if (g.inMain) kinds.push(['map', 1.5]);
  const kind = r.weighted(kinds);
  if (kind === 'packet') {
    const z = r.pick([1, 1, 2, 4, 8]);
    const off = r.range(0, 40);
    const p = g.scratch(reg);
    g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_IMM(BPF_ADD, p, off + z));
    pktCheck(g, p, DATA_END, off + z);
    if (z < 8 && r.chance(0.25)) {
      g.emit(BPF_LDX_MEMSX(sizeOf(z), reg, DATA, off));
      const h = (1n << big(8 * z - 1)) - 1n;
      return same(iv(-h - 1n, h));
    }
    g.emit(BPF_LDX_MEM(sizeOf(z), reg, DATA, off));
    return same(z === 8 ? TOP : iv(0, (1n << big(8 * z)) - 1n));
  }
  if (kind === 'ldabs') {
    const z = r.pick([1, 2, 4]);
    if (r.chance(0.3)) {
      const x = g.scratch(reg);
      g.emit(BPF_MOV64_IMM(x, r.range(0, 30)));
      g.emit(BPF_LD_IND(sizeOf(z), x, r.range(0, 20)));
    } else g.emit(BPF_LD_ABS(sizeOf(z), r.range(0, 60)));
    if (reg !== 0) g.emit(BPF_MOV64_REG(reg, 0));
    return same(iv(0, (1n << big(8 * z)) - 1n));
  }
  if (kind === 'ctx') {
    if (g.xdp) {
      g.emit(BPF_LDX_MEM(BPF_W, reg, CTX, r.pick([12, 16])));
      return same(iv(0, U32_MAX));
    }
    // len, mark, protocol, priority, cb[0..4], hash; narrow loads too.
    const off = r.pick([0, 8, 16, 32, 48, 52, 56, 60, 64, 68]);
    const z = r.pick([4, 4, 2, 1]);
    g.emit(BPF_LDX_MEM(sizeOf(z), reg, CTX, off));
    return same(iv(0, (1n << big(8 * z)) - 1n));
  }
  if (kind === 'map') {
    const { idx, info } = g.map('array');
    const slot = g.stackSlot();
    g.emit(BPF_ST_MEM(BPF_W, 10, slot, r.range(0, info.maxEntries - 1)));
    g.emit(BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, slot));
    g.emit(BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, idx));
    g.call(HELPER.map_lookup_elem);
    g.jImm(BPF_JEQ, 0, 0, g.out);
    const z = [8, 4, 2, 1].find((x) => x <= info.valueSize)!;
    g.emit(BPF_LDX_MEM(sizeOf(z), reg, 0, r.range(0, info.valueSize - z)));
    return same(z === 8 ? TOP : iv(0, (1n << big(8 * z)) - 1n));
  }
  if (kind === 'const') {
    const k = r.pick([0, 1, 7, 8, 15, 16, 63, 100, -1, -8]);
    g.emit(BPF_MOV64_IMM(reg, k));
    return same(iv(k, k));
  }
  g.call(HELPER.get_prandom_u32);
  if (reg !== 0) g.emit(BPF_MOV64_REG(reg, 0));
  return same(iv(0, U32_MAX));
}

type Refiner = (g: Gen, reg: number, v: Val) => Val;

/** Applies `f` to both the true range and the claim. */
const both = (v: Val, f: (x: Iv) => Iv): Val => ({ t: clampIv(f(v.t)), c: clampIv(f(v.c)) });

const REFINERS: readonly (readonly [Refiner, number])[] = [
  // reg &= mask (64 or 32 bits)
  [
    (g, reg, v) => {
      const mask = g.r.pick([1, 3, 7, 15, 31, 63, 127, 255, 511, 0xf0, 0x7c, 0x3f8, g.r.range(0, 300)]);
      const is32 = g.r.chance(0.3);
      g.emit(is32 ? BPF_ALU32_IMM(BPF_AND, reg, mask) : BPF_ALU64_IMM(BPF_AND, reg, mask));
      const m = big(mask);
      return both(v, (x) => iv(0, minB(m, (is32 ? isU32(x) : x.lo >= 0n) ? x.hi : m)));
    },
    6,
  ],
  // reg >>= k, 64 or 32 bits
  [
    (g, reg, v) => {
      const is32 = g.r.chance(0.3);
      const k = g.r.pick(is32 ? [1, 2, 4, 8, 16, 24, 28, 31] : [1, 2, 4, 8, 16, 32, 48, 56, 60, 63]);
      g.emit(is32 ? BPF_ALU32_IMM(BPF_RSH, reg, k) : BPF_ALU64_IMM(BPF_RSH, reg, k));
      const K = big(k);
      if (is32) return both(v, (x) => (isU32(x) ? iv(x.lo >> K, x.hi >> K) : iv(0, U32_MAX >> K)));
      return both(v, (x) => (x.lo >= 0n ? iv(x.lo >> K, x.hi >> K) : iv(0, ((1n << 64n) - 1n) >> K)));
    },
    4,
  ],
  // reg s>>= k
  [
    (g, reg, v) => {
      const k = g.r.pick([1, 3, 8, 32, 56, 63]);
      g.emit(BPF_ALU64_IMM(BPF_ARSH, reg, k));
      return both(v, (x) => iv(x.lo >> big(k), x.hi >> big(k)));
    },
    1,
  ],
  // reg <<= k
  [
    (g, reg, v) => {
      const k = g.r.pick([1, 2, 3, 4, 8]);
      const is32 = g.r.chance(0.25);
      g.emit(is32 ? BPF_ALU32_IMM(BPF_LSH, reg, k) : BPF_ALU64_IMM(BPF_LSH, reg, k));
      const K = big(k);
      return {
        t: clampIv(is32 ? (isU32(v.t) && v.t.hi << K <= U32_MAX ? iv(v.t.lo << K, v.t.hi << K) : iv(0, U32_MAX)) : v.t.lo >= 0n && v.t.hi < 1n << 56n ? iv(v.t.lo << K, v.t.hi << K) : TOP),
        c: clampIv(v.c.lo >= 0n && v.c.hi < 1n << 56n ? iv(v.c.lo << K, v.c.hi << K) : TOP),
      };
    },
    2,
  ],
  // reg += c / reg -= c (64), wreg += c (32: may wrap, the claim says it does not)
  [
    (g, reg, v) => {
      const c = g.r.pick([1, 2, 4, 8, 14, 20, -1, -4, -8, 100, 0x7fffffff]);
      const is32 = g.r.chance(0.3);
      const sub = g.r.chance(0.3);
      g.emit(is32 ? BPF_ALU32_IMM(sub ? BPF_SUB : BPF_ADD, reg, sub ? -c : c) : BPF_ALU64_IMM(sub ? BPF_SUB : BPF_ADD, reg, sub ? -c : c));
      const C = big(c);
      const naive = (x: Iv): Iv => iv(x.lo + C, x.hi + C);
      if (!is32) return both(v, naive);
      return {
        t: isU32(v.t) && within(naive(v.t), 0n, U32_MAX) ? naive(v.t) : iv(0, U32_MAX),
        c: clampIv(naive(v.c)),
      };
    },
    4,
  ],
  // reg *= c
  [
    (g, reg, v) => {
      const c = g.r.pick([2, 3, 4, 8, 12]);
      g.emit(BPF_ALU64_IMM(BPF_MUL, reg, c));
      return both(v, (x) => (x.lo >= 0n && x.hi < 1n << 50n ? iv(x.lo * big(c), x.hi * big(c)) : TOP));
    },
    1.5,
  ],
  // reg %= K, reg /= K (unsigned)
  [
    (g, reg, v) => {
      const k = g.r.pick([2, 3, 7, 10, 16, 60, 255]);
      const mod = g.r.chance(0.6);
      const is32 = g.r.chance(0.3);
      g.emit((is32 ? BPF_ALU32_IMM : BPF_ALU64_IMM)(mod ? BPF_MOD : BPF_DIV, reg, k));
      const K = big(k);
      const top = is32 ? U32_MAX : (1n << 64n) - 1n;
      const ok = (x: Iv): boolean => (is32 ? isU32(x) : x.lo >= 0n);
      if (mod) return both(v, (x) => (ok(x) ? iv(x.hi < K ? x.lo : 0n, minB(x.hi, K - 1n)) : iv(0, K - 1n)));
      return both(v, (x) => (ok(x) ? iv(x.lo / K, x.hi / K) : iv(0, top / K)));
    },
    0.7,
  ],
  // reg ^= c, reg |= c
  [
    (g, reg, v) => {
      const c = g.r.pick([1, 2, 0x10, 0x80, 3]);
      const or = g.r.chance(0.5);
      g.emit(BPF_ALU64_IMM(or ? BPF_OR : BPF_XOR, reg, c));
      return both(v, (x) => (x.lo >= 0n ? iv(or ? maxB(x.lo, big(c)) : 0n, ones(maxB(x.hi, big(c)))) : TOP));
    },
    1.5,
  ],
  // reg = -reg
  [
    (g, reg, v) => {
      g.emit(BPF_ALU64_IMM(BPF_NEG, reg, 0));
      return both(v, (x) => (x.lo > S64_MIN ? iv(-x.hi, -x.lo) : TOP));
    },
    1,
  ],
  // Sign extension: r = (s8/s16/s32) r, w = (s8/s16) w
  [
    (g, reg, v) => {
      const bits = g.r.pick([8, 16, 32]);
      const is32 = bits < 32 && g.r.chance(0.3);
      g.emit(is32 ? BPF_MOVSX32_REG(reg, reg, bits) : BPF_MOVSX64_REG(reg, reg, bits));
      const h = (1n << big(bits - 1)) - 1n;
      if (is32) return both(v, (x) => (within(x, 0n, h) ? x : iv(0, U32_MAX)));
      return both(v, (x) => (within(x, -h - 1n, h) ? x : iv(-h - 1n, h)));
    },
    3,
  ],
  // Zero extension: w = w
  [
    (g, reg, v) => {
      g.emit(BPF_MOV32_REG(reg, reg));
      return both(v, (x) => (isU32(x) ? x : iv(0, U32_MAX)));
    },
    2,
  ],
  // Byte swaps: be16/be32/le16/bswap16
  [
    (g, reg, v) => {
      const w = g.r.pick([16, 32]);
      const k = g.r.int(3);
      g.emit(k === 0 ? BPF_ENDIAN(BPF_TO_BE, reg, w) : k === 1 ? BPF_ENDIAN(BPF_TO_LE, reg, w) : BPF_BSWAP(reg, w));
      const m = (1n << big(w)) - 1n;
      if (k === 1) return both(v, (x) => (within(x, 0n, m) ? x : iv(0, m)));
      return same(iv(0, m));
    },
    1,
  ],
  // Unsigned upper bound by a jump (either operand order, 64 or 32 bits)
  [(g, reg, v) => upperBound(g, reg, v, g.r.pick([3, 7, 8, 15, 16, 31, 40, 63, 64, 100, 200, 255, 400, 511])), 8],
  // Signed bounds: if reg s> K goto out; if reg s< L goto out
  [
    (g, reg, v) => {
      const k = big(g.r.pick([7, 15, 60, 127, 255, 300]));
      const l = big(g.r.pick([0, 0, 0, -8, -64, -128]));
      const is32 = g.r.chance(0.25);
      const rk = g.r.chance(0.3) ? g.scratch(reg) : -1;
      if (rk >= 0) {
        g.emit(BPF_MOV64_IMM(rk, Number(k)));
        g.jReg(BPF_JSLT, rk, reg, g.out, is32); // K s< reg
      } else g.jImm(g.r.chance(0.5) ? BPF_JSGT : BPF_JSGE, reg, Number(k) + (g.r.chance(0.5) ? 0 : 0), g.out, is32);
      g.jImm(BPF_JSLT, reg, Number(l), g.out, is32);
      const f = (x: Iv): Iv => iv(maxB(x.lo, l), minB(x.hi, k));
      // A 32-bit check bounds the 64-bit value only when it is a sign-extended s32.
      return { t: is32 && !within(v.t, -(1n << 31n), (1n << 31n) - 1n) ? v.t : clampIv(f(v.t)), c: clampIv(f(v.c)) };
    },
    4,
  ],
  // Equality: if reg != K goto out
  [
    (g, reg, v) => {
      const k = g.r.pick([0, 1, 8, 60, 255]);
      g.jImm(BPF_JNE, reg, k, g.out);
      return same(iv(k, k));
    },
    0.7,
  ],
  // A bit test (no bound)
  [
    (g, reg, v) => {
      g.jImm(BPF_JSET, reg, g.r.pick([1, 0x80, 0x100]), g.out, g.r.chance(0.3));
      return v;
    },
    0.7,
  ],
  // A linked copy checked instead of reg itself, possibly with a constant added (the
  // verifier must carry the bound back to reg through the copy's id).
  [
    (g, reg, v) => {
      const t = g.scratch(reg);
      const is32 = g.r.chance(0.3);
      const c = g.r.chance(0.5) ? g.r.pick([1, 2, 4, 8, -1, -2]) : 0;
      const k = g.r.pick([7, 15, 31, 63, 100, 255]);
      g.emit(is32 ? BPF_MOV32_REG(t, reg) : BPF_MOV64_REG(t, reg));
      if (c) g.emit(is32 ? BPF_ALU32_IMM(BPF_ADD, t, c) : BPF_ALU64_IMM(BPF_ADD, t, c));
      g.jImm(g.r.chance(0.5) ? BPF_JGT : BPF_JGE, t, k, g.out, is32 && g.r.chance(0.5));
      const C = big(c);
      const K = big(k);
      const f = (x: Iv): Iv => iv(maxB(x.lo, -C), minB(x.hi, K - C));
      // A 32-bit copy (or an add that may wrap in 32 bits) says little about the 64-bit reg.
      const exact = !is32 || (isU32(v.t) && v.t.hi + (C > 0n ? C : 0n) <= U32_MAX && v.t.lo + C >= 0n);
      return { t: exact ? clampIv(f(v.t)) : v.t, c: clampIv(f(v.c)) };
    },
    4,
  ],
];

/** if reg > K goto out, in one of its forms: unsigned, either operand order, 64 or 32 bits. */
function upperBound(g: Gen, reg: number, v: Val, k: number): Val {
  const r = g.r;
  const is32 = r.chance(0.3);
  const form = r.int(6);
  const ok = g.label();
  const K = big(k);
  let bound = K; // reg <= bound on the way on
  if (form === 0) g.jImm(BPF_JGT, reg, k, g.out, is32);
  else if (form === 1) {
    g.jImm(BPF_JGE, reg, k, g.out, is32);
    bound = K - 1n;
  } else if (form === 2) {
    g.jImm(BPF_JLE, reg, k, ok, is32);
    g.ja(g.out);
  } else if (form === 3) {
    g.jImm(BPF_JLT, reg, k, ok, is32);
    g.ja(g.out);
    bound = K - 1n;
  } else {
    // The constant in a register, on the left: if K < reg goto out / if K >= reg goto ok.
    const rk = g.scratch(reg);
    g.emit(is32 ? BPF_MOV32_IMM(rk, k) : BPF_MOV64_IMM(rk, k));
    if (form === 4) g.jReg(BPF_JLT, rk, reg, g.out, is32);
    else {
      g.jReg(BPF_JGE, rk, reg, ok, is32);
      g.ja(g.out);
    }
  }
  g.at(ok);
  const f = (x: Iv): Iv => iv(maxB(x.lo, 0n), minB(x.hi, bound));
  // A 32-bit compare bounds the 64-bit value only when its upper half is known zero.
  return { t: is32 && !isU32(v.t) ? v.t : clampIv(f(v.t)), c: clampIv(f(v.c)) };
}

/** 1..4 refining operations; afterwards the value fits in `room` bytes (or the claim does). */
function refine(g: Gen, reg: number, v: Val, room: number): Val {
  for (let k = g.r.range(1, 4); k > 0; k--) v = g.r.weighted(REFINERS)(g, reg, v);
  return fitTo(g, reg, v, room);
}

/** Makes sure the value (or its claim) spans less than `room`: a last bound when it does not. */
function fitTo(g: Gen, reg: number, v: Val, room: number): Val {
  const fits = (x: Iv): boolean => x.hi - x.lo < big(room) && x.lo > -1000n && x.hi < 1n << 20n;
  if (fits(v.t) || (fits(v.c) && g.r.chance(0.6))) return v;
  const k = g.r.range(0, Math.max(0, room - 1));
  if (g.r.chance(0.5)) return upperBound(g, reg, v, k);
  const mask = Number(ones(big(k)) >> (g.r.chance(0.5) ? 1n : 0n));
  g.emit(BPF_ALU64_IMM(BPF_AND, reg, mask));
  return same(iv(0, mask));
}

/** Which range an access is sized for: the true one, or (sometimes) the claim. */
function plan(g: Gen, v: Val): Iv {
  const fits = (x: Iv): boolean => x.hi - x.lo < 1n << 20n && x.lo > -(1n << 20n) && x.hi < 1n << 20n;
  if (!fits(v.c)) return fits(v.t) ? v.t : iv(0, 0);
  if (!fits(v.t)) return v.c;
  if (v.t.lo === v.c.lo && v.t.hi === v.c.hi) return v.t;
  return g.r.chance(0.6) ? v.c : v.t;
}

/**
 * A variable-offset access of `z` bytes at base + B + reg + off inside a room
 * [roomLo, roomHi) (relative to base), sized from range `p` so it fits (or, sometimes, goes
 * over an edge by a little). Returns B.
 */
function placeInRoom(g: Gen, p: Iv, roomLo: number, roomHi: number, z: number, off: number): number {
  const lo = Number(p.lo);
  const hi = Number(p.hi);
  // Highest B with B + hi + off + z <= roomHi; lowest with B + lo + off >= roomLo.
  const bMax = roomHi - (hi + off + z);
  const bMin = roomLo - (lo + off);
  const over = overshoot(g);
  const edge = g.r.int(3);
  if (bMin > bMax) return edge === 0 ? bMax : bMin;
  if (edge === 0) return bMax + over;
  if (edge === 1) return bMin - over;
  return g.r.range(bMin, bMax);
}

/** Uses a bounded scalar as an offset or a size; `reg` holds it, r6..r8 as usual. */
function sink(g: Gen, reg: number, v: Val, where?: string): void {
  const r = g.r;
  const kinds: [string, number][] = [
    ['stack', 5],
    ['map', g.inMain ? 3 : 0],
    ['helper-size', g.inMain ? 3 : 0],
    ['return', 0.5],
  ];
  if (g.xdp && g.inMain) kinds.push(['packet', 5]);
  if (!g.xdp && g.inMain) kinds.push(['ld-ind', 1]);
  const kind = where ?? r.weighted(kinds);
  const z = r.pick([1, 2, 4, 8]);
  if (kind === 'stack') {
    v = fitTo(g, reg, v, 400);
    // Stack accesses must be aligned (the spill tracking relies on it): the variable part
    // gets its low bits cleared, the constant parts are multiples of the size.
    if (z > 1 && !g.slip(0.1)) {
      g.emit(BPF_ALU64_IMM(BPF_AND, reg, -z));
      v = both(v, (x) => iv(x.lo - big(z - 1), x.hi));
    }
    const p = plan(g, v);
    const off = r.chance(0.6) ? 0 : z * r.range(-4, 4);
    const B = Math.floor(placeInRoom(g, p, -512, 0, z, off) / z) * z;
    const ptr = g.scratch(reg);
    const form = r.int(3);
    if (form === 0) g.emit(BPF_MOV64_REG(ptr, 10), BPF_ALU64_IMM(BPF_ADD, ptr, B), BPF_ALU64_REG(BPF_ADD, ptr, reg));
    else if (form === 1) g.emit(BPF_MOV64_REG(ptr, reg), BPF_ALU64_REG(BPF_ADD, ptr, 10), BPF_ALU64_IMM(BPF_ADD, ptr, B));
    else {
      g.emit(BPF_MOV64_REG(ptr, 10), BPF_ALU64_REG(BPF_ADD, ptr, reg));
      access(g, ptr, B + off, z, { write: true, atomic: true });
      return;
    }
    access(g, ptr, off, z, { write: true, atomic: true });
    return;
  }
  if (kind === 'map') {
    const { idx, info } = g.map();
    const keep = g.hold(g.saved(reg));
    if (keep !== reg) g.emit(BPF_MOV64_REG(keep, reg));
    const z2 = r.pick([8, 4, 2, 1].filter((x) => x <= info.valueSize));
    v = fitTo(g, keep, v, info.valueSize - z2 + 1);
    lookup(g, idx, info);
    g.release(keep);
    const p = plan(g, v);
    const off = r.chance(0.7) ? 0 : r.range(0, 8);
    const B = placeInRoom(g, p, 0, info.valueSize, z2, off);
    g.emit(BPF_ALU64_IMM(BPF_ADD, 0, B), BPF_ALU64_REG(BPF_ADD, 0, keep));
    access(g, 0, off, z2, { write: !(info.flags ?? 0), atomic: true });
    return;
  }
  if (kind === 'packet') {
    v = fitTo(g, reg, v, 200);
    const p = plan(g, v);
    const c0 = r.chance(0.5) ? r.range(0, 20) : 0;
    const ptr = g.scratch(reg);
    const end = g.scratch(reg, ptr);
    g.emit(BPF_MOV64_REG(ptr, DATA));
    if (c0) g.emit(BPF_ALU64_IMM(BPF_ADD, ptr, c0));
    const need = r.range(1, 16);
    const checkFirst = g.slip(0.1); // checking before the variable add proves nothing
    if (checkFirst) {
      g.emit(BPF_MOV64_REG(end, ptr), BPF_ALU64_IMM(BPF_ADD, end, need));
      pktCheck(g, end, DATA_END, need);
      g.emit(BPF_ALU64_REG(BPF_ADD, ptr, reg));
    } else {
      // A negative lower bound is refused for packet pointers; the claim may hide one.
      g.emit(BPF_ALU64_REG(BPF_ADD, ptr, reg));
      g.emit(BPF_MOV64_REG(end, ptr), BPF_ALU64_IMM(BPF_ADD, end, need));
      pktCheck(g, end, DATA_END, need);
    }
    const zz = [1, 2, 4, 8].filter((x) => x <= need);
    const z2 = r.pick(zz);
    let off = r.range(0, need - z2);
    if (g.slip(0.1)) off = need - z2 + 1;
    if (g.slip(0.08)) off = -r.range(1, Math.max(1, c0 + Number(p.lo > 0n ? p.lo : 0n) + 1));
    access(g, ptr, off, z2, { write: true, atomic: false });
    return;
  }
  if (kind === 'helper-size') {
    helperSize(g, reg, v);
    return;
  }
  if (kind === 'ld-ind') {
    g.emit(BPF_LD_IND(r.pick([BPF_B, BPF_H, BPF_W]), reg, r.range(-2, 20)));
    return;
  }
  // The scalar becomes the return value (unless overwritten later).
  g.emit(BPF_MOV64_REG(0, reg));
}

/** map_lookup_elem(map, &key) with a key on the stack (or in the packet); r0 = value, checked. */
function lookup(g: Gen, idx: number, info: MapInfo, nullCheck = true): void {
  const r = g.r;
  const slot = g.stackSlot(info.keySize);
  const key = info.type === BPF_MAP_TYPE_ARRAY ? r.weighted([
    [r.range(0, info.maxEntries - 1), 8],
    [info.maxEntries, 1],
    [r.range(0, 40), 1],
  ]) : r.range(0, 5);
  const form = r.int(4);
  if (form === 0) g.emit(BPF_ST_MEM(info.keySize === 8 ? BPF_DW : BPF_W, 10, slot, key));
  else if (form === 1) g.emit(BPF_MOV64_IMM(2, key), BPF_STX_MEM(info.keySize === 8 ? BPF_DW : BPF_W, 10, 2, slot));
  else if (form === 2) {
    // A key the verifier does not know: from prandom, then bounded or not.
    g.call(HELPER.get_prandom_u32);
    if (r.chance(0.5)) g.emit(BPF_ALU64_IMM(BPF_AND, 0, r.pick([0, 1, 3, 15])));
    g.emit(BPF_STX_MEM(info.keySize === 8 ? BPF_DW : BPF_W, 10, 0, slot));
  } else {
    // A zeroed key (STACK_ZERO slots).
    g.emit(BPF_ST_MEM(BPF_DW, 10, slot, 0));
    if (info.keySize > 8) g.emit(BPF_ST_MEM(BPF_DW, 10, slot + 8, 0));
  }
  g.emit(BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, slot));
  if (g.xdp && g.inMain && r.chance(0.1)) {
    // The key straight from the packet.
    g.emit(BPF_MOV64_REG(2, DATA), BPF_MOV64_REG(3, DATA), BPF_ALU64_IMM(BPF_ADD, 3, info.keySize));
    pktCheck(g, 3, DATA_END, info.keySize);
  }
  g.emit(BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, idx));
  g.call(HELPER.map_lookup_elem);
  if (!nullCheck || g.slip(0.12)) return;
  const ok = g.label();
  const form2 = r.int(4);
  if (form2 === 0) g.jImm(BPF_JEQ, 0, 0, g.out);
  else if (form2 === 1) {
    g.jImm(BPF_JNE, 0, 0, ok);
    g.ja(g.out);
  } else if (form2 === 2) {
    // The check on a copy.
    g.emit(BPF_MOV64_REG(1, 0));
    g.jImm(BPF_JEQ, 1, 0, g.out);
  } else {
    // Spilled, checked, filled.
    const s = g.stackSlot();
    g.emit(BPF_STX_MEM(BPF_DW, 10, 0, s));
    g.jImm(BPF_JEQ, 0, 0, g.out);
    g.emit(BPF_LDX_MEM(BPF_DW, 0, 10, s));
  }
  g.at(ok);
}

/** A helper taking memory and its size from a bounded scalar (size argument set first). */
function helperSize(g: Gen, reg: number, v: Val): void {
  const r = g.r;
  const fn = g.xdp
    ? r.pick([HELPER.probe_read_kernel, HELPER.xdp_load_bytes, HELPER.xdp_store_bytes, HELPER.csum_diff])
    : r.pick([HELPER.probe_read_kernel, HELPER.skb_load_bytes, HELPER.skb_load_bytes]);
  v = fitTo(g, reg, v, 256);
  if (fn !== HELPER.probe_read_kernel && fn !== HELPER.csum_diff && !g.slip(0.15)) {
    // ARG_CONST_SIZE: zero is refused, so rule it out.
    if (r.chance(0.5)) g.jImm(BPF_JEQ, reg, 0, g.out);
    else g.jImm(BPF_JLT, reg, 1, g.out);
    v = both(v, (x) => iv(maxB(x.lo, 1n), x.hi));
  }
  const p = plan(g, v);
  const hi = Number(p.hi);
  // Which argument is the buffer, which its size.
  const [bufArg, sizeArg] = fn === HELPER.probe_read_kernel || fn === HELPER.csum_diff ? [1, 2] : [3, 4];
  const useMap = g.inMain && r.chance(0.2) && fn !== HELPER.xdp_store_bytes;
  let size = reg;
  let B = 0;
  if (useMap) {
    // The buffer is a map value: the size must survive the lookup.
    const { idx, info } = g.map('array');
    size = g.hold(g.saved(reg));
    if (size !== reg) g.emit(BPF_MOV64_REG(size, reg));
    lookup(g, idx, info);
    g.release(size);
  } else {
    let room = Math.min(512, Math.max(1, hi + (r.chance(0.5) ? 0 : r.range(0, 16))));
    if (g.slip(0.15)) room = Math.min(512, Math.max(1, hi - r.range(1, 4))); // a few bytes short
    B = -room;
    if (fn === HELPER.csum_diff || fn === HELPER.xdp_store_bytes || !g.privileged) {
      // Memory a helper reads must be initialized (for unprivileged programs).
      for (let o = B; o < 0; o += 8) g.emit(BPF_ST_MEM(o + 8 <= 0 ? BPF_DW : BPF_B, 10, o, 0));
    }
  }
  g.emit(BPF_MOV64_REG(sizeArg, size));
  if (useMap) g.emit(BPF_MOV64_REG(bufArg, 0));
  else g.emit(BPF_MOV64_REG(bufArg, 10), BPF_ALU64_IMM(BPF_ADD, bufArg, B));
  if (fn === HELPER.probe_read_kernel) g.emit(BPF_MOV64_IMM(3, 0));
  else if (fn === HELPER.csum_diff) g.emit(BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_MOV64_IMM(5, r.pick([0, 0xffff])));
  else g.emit(BPF_MOV64_REG(1, CTX), BPF_MOV64_IMM(2, r.range(0, 20)));
  g.call(fn);
}

/** A scalar from somewhere, bounded, used as an offset or a size. */
function snipVarOffset(g: Gen): void {
  const reg = g.r.chance(0.5) ? g.saved() : g.scratch();
  let v = scalarSource(g, reg);
  v = refine(g, reg, v, 400);
  sink(g, reg, v);
}

/**
 * Spills and fills: scalars (whole, narrow, 32-bit) and pointers (packet with its range,
 * map value, ctx, stack), across a helper call; partial overwrites turn a spilled pointer
 * into bytes.
 */
function snipSpillFill(g: Gen): void {
  const r = g.r;
  const s = g.stackSlot();
  const what = r.weighted([
    ['scalar', 5],
    ['scalar32', 2],
    ['pkt', g.xdp && g.inMain ? 4 : 0],
    ['ctx', g.inMain ? 1 : 0],
    ['stack', 1.5],
    ['map', g.inMain ? 2 : 0],
  ] as const);
  const clobber = (): void => {
    const k = r.int(3);
    if (k === 0) g.call(HELPER.get_prandom_u32);
    else if (k === 1) g.call(HELPER.ktime_get_ns);
    // k === 2: nothing in between
  };
  const corrupt = (): void => {
    // The spilled register overwritten, in part or whole, in one of the ways a verifier
    // must notice: the slot then holds plain bytes (or another value), not the spill.
    if (!g.slip(0.2)) return;
    const how = r.int(6);
    if (how === 0) g.emit(BPF_ST_MEM(BPF_B, 10, s + r.range(0, 7), 0));
    else if (how === 1) g.emit(BPF_ST_MEM(BPF_DW, 10, s, r.pick([0, 8, -1])));
    else if (how === 2) {
      // A variable-offset write that may land on the slot.
      const x = g.scratch();
      const p = g.scratch(x);
      g.call(HELPER.get_prandom_u32);
      g.emit(BPF_ALU64_IMM(BPF_AND, 0, 7), BPF_MOV64_REG(p, 10), BPF_ALU64_IMM(BPF_ADD, p, s - 7), BPF_ALU64_REG(BPF_ADD, p, 0));
      g.emit(BPF_MOV64_IMM(x, 0), BPF_STX_MEM(BPF_B, p, x, 0));
    } else if (how === 3) {
      // A helper writing over it.
      g.emit(BPF_MOV64_REG(1, 10), BPF_ALU64_IMM(BPF_ADD, 1, s - 8 * r.int(2)), BPF_MOV64_IMM(2, r.pick([8, 16])), BPF_MOV64_IMM(3, 0));
      g.call(HELPER.probe_read_kernel);
    } else if (how === 4) {
      // An atomic exchange or add on it.
      const x = g.scratch();
      g.emit(BPF_MOV64_IMM(x, r.pick([0, 1, 8])), BPF_ATOMIC_OP(BPF_DW, r.pick([BPF_XCHG, BPF_ADD, BPF_ADD | BPF_FETCH]), 10, x, s));
    } else {
      // A narrower register spill into its upper half.
      const x = g.scratch();
      g.emit(BPF_MOV64_IMM(x, 0), BPF_STX_MEM(BPF_W, 10, x, s + 4));
    }
  };
  if (what === 'scalar' || what === 'scalar32') {
    const reg = g.scratch();
    let v = scalarSource(g, reg);
    v = refine(g, reg, v, 300);
    const w = what === 'scalar32' ? BPF_W : BPF_DW;
    g.emit(BPF_STX_MEM(w, 10, reg, s));
    if (r.chance(0.3)) g.emit(BPF_MOV64_IMM(reg, r.pick([0, 4096, -1])));
    clobber();
    corrupt();
    const dst = g.scratch();
    // Fill whole, or narrower (the low bytes on little-endian), or wider than spilled.
    const fill = r.weighted([
      [w, 6],
      [BPF_W, 2],
      [BPF_H, 1],
      [BPF_B, 1],
      [BPF_DW, w === BPF_W ? 1 : 0],
    ] as const);
    g.emit(BPF_LDX_MEM(fill, dst, 10, s));
    const bits = BigInt(8 * sizeBytes(fill));
    const m = (1n << bits) - 1n;
    const narrowT = fill === BPF_DW ? (w === BPF_DW ? v.t : TOP) : within(v.t, 0n, m) ? v.t : iv(0, m);
    const narrowC = fill === BPF_DW ? v.c : within(v.c, 0n, m) ? v.c : iv(0, m);
    sink(g, dst, { t: narrowT, c: narrowC });
    return;
  }
  if (what === 'pkt') {
    const n = r.range(1, 40);
    const p = g.scratch();
    g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_IMM(BPF_ADD, p, n));
    pktCheck(g, p, DATA_END, n);
    const sp = r.chance(0.5) ? DATA : p;
    g.emit(BPF_STX_MEM(g.slip(0.05) ? BPF_W : BPF_DW, 10, sp, s));
    clobber();
    corrupt();
    const q = g.scratch();
    g.emit(BPF_LDX_MEM(BPF_DW, q, 10, s));
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= n));
    const o = r.range(0, n - z) + (g.slip(0.1) ? n - z + 1 : 0);
    access(g, q, sp === DATA ? o : o - n, z, { write: true, atomic: false });
    return;
  }
  if (what === 'ctx') {
    g.emit(BPF_STX_MEM(BPF_DW, 10, CTX, s));
    clobber();
    corrupt();
    const q = g.scratch();
    g.emit(BPF_LDX_MEM(BPF_DW, q, 10, s));
    if (g.xdp) {
      g.emit(BPF_LDX_MEM(BPF_W, q, q, r.pick([0, 4, 8, 12, 16])));
      if (r.chance(0.5)) {
        // data from the filled ctx: a packet pointer again, with no range yet.
        if (r.chance(0.3)) g.emit(BPF_LDX_MEM(BPF_B, 0, q, 0));
      }
    } else g.emit(BPF_LDX_MEM(BPF_W, q, q, r.pick([0, 8, 16, 48, 64])));
    return;
  }
  if (what === 'stack') {
    const q = g.scratch();
    const t = g.stackSlot();
    g.emit(BPF_MOV64_REG(q, 10), BPF_ALU64_IMM(BPF_ADD, q, t));
    g.emit(BPF_STX_MEM(BPF_DW, 10, q, s));
    clobber();
    corrupt();
    const d = g.scratch();
    g.emit(BPF_LDX_MEM(BPF_DW, d, 10, s));
    access(g, d, g.slip(0.1) ? -t : r.range(0, 7) & ~0, 1, { write: true, atomic: false });
    return;
  }
  // A map value pointer, spilled before or after its NULL check.
  const { idx, info } = g.map();
  const early = r.chance(0.4);
  lookup(g, idx, info, !early);
  g.emit(BPF_STX_MEM(BPF_DW, 10, 0, s));
  if (early) {
    g.jImm(BPF_JEQ, 0, 0, g.out);
  }
  clobber();
  corrupt();
  const q = g.saved();
  g.emit(BPF_LDX_MEM(BPF_DW, q, 10, s));
  const z = [8, 4, 2, 1].find((x) => x <= info.valueSize)!;
  access(g, q, r.range(0, info.valueSize - z) + (g.slip(0.1) ? 1 : 0), z, { write: !(info.flags ?? 0), atomic: true });
}

/** Bounded loops: a counter indexing the stack, a walk over the packet, a scalar bound. */
function snipLoop(g: Gen): void {
  const r = g.r;
  const form = r.weighted([
    ['stack', 4],
    ['packet', g.xdp && g.inMain ? 3 : 0],
    ['scalar-bound', 3],
  ] as const);
  const top = g.label();
  // No calls in the loop bodies: counters may live in scratch registers.
  if (form === 'stack') {
    const i = g.hold(g.scratch());
    const limit = r.range(1, 24);
    const step = r.pick([1, 1, 2, 4, 8]);
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= step || g.slip(0.1)));
    // The counter's last value below `limit` (a multiple of step).
    const last = Math.floor((limit - 1) / step) * step;
    const base = Math.max(-512, Math.floor((-(last + z) - r.range(0, 16)) / z) * z + (g.slip(0.12) ? z * r.range(1, 2) : 0));
    g.emit(BPF_MOV64_IMM(i, 0));
    g.at(top);
    const p = g.scratch();
    g.emit(BPF_MOV64_REG(p, 10), BPF_ALU64_IMM(BPF_ADD, p, base), BPF_ALU64_REG(BPF_ADD, p, i));
    access(g, p, 0, z, { write: true, atomic: false, value: i });
    g.emit(BPF_ALU64_IMM(BPF_ADD, i, step));
    const is32 = r.chance(0.3);
    const k = r.int(4);
    if (k === 0) g.jImm(BPF_JLT, i, limit, top, is32);
    else if (k === 1) g.jImm(BPF_JLE, i, limit - 1 + (g.slip(0.1) ? step : 0), top, is32);
    else if (k === 2) g.jImm(BPF_JSLT, i, limit, top, is32);
    else g.jImm(BPF_JNE, i, last + step, top, is32); // the first multiple of step at or past limit
    g.release(i);
    return;
  }
  if (form === 'packet') {
    const limit = r.range(1, 16);
    const i = g.hold(g.scratch());
    const ptr = g.hold(g.scratch());
    g.emit(BPF_MOV64_IMM(i, 0), BPF_MOV64_REG(ptr, DATA));
    g.at(top);
    const e = g.hold(g.scratch());
    const z = r.pick([1, 2, 4]);
    g.emit(BPF_MOV64_REG(e, ptr), BPF_ALU64_IMM(BPF_ADD, e, z));
    pktCheck(g, e, DATA_END, z);
    g.release(e);
    g.emit(BPF_LDX_MEM(sizeOf(z), g.scratch(), ptr, g.slip(0.08) ? 1 : 0));
    g.emit(BPF_ALU64_IMM(BPF_ADD, ptr, z), BPF_ALU64_IMM(BPF_ADD, i, 1));
    g.jImm(BPF_JLT, i, limit, top, r.chance(0.3));
    g.release(i);
    g.release(ptr);
    return;
  }
  // while (i < n) with n a bounded scalar: the loop runs up to n's maximum.
  const n = g.hold(g.saved());
  refine(g, n, scalarSource(g, n), 16);
  const bound = 8;
  const done = g.label();
  const i = g.hold(g.scratch());
  g.emit(BPF_MOV64_IMM(i, 0));
  g.jImm(BPF_JGT, n, bound + (g.slip(0.1) ? 16 : 0), done);
  g.at(top);
  const p = g.scratch();
  const z = g.slip(0.1) ? r.pick([2, 4, 8]) : 1;
  const base = -(bound + z) - r.range(0, 8) + (g.slip(0.08) ? 1 : 0);
  g.emit(BPF_MOV64_REG(p, 10), BPF_ALU64_IMM(BPF_ADD, p, base), BPF_ALU64_REG(BPF_ADD, p, i));
  access(g, p, 0, z, { write: true, atomic: false });
  g.emit(BPF_ALU64_IMM(BPF_ADD, i, 1));
  g.jReg(r.chance(0.8) ? BPF_JLT : BPF_JLE, i, n, top, r.chance(0.2));
  g.at(done);
  g.release(i);
  g.release(n);
}

/**
 * bpf-to-bpf calls: pointers and bounded scalars passed down, accessed in the callee;
 * bounded values returned up; the callee writing into the caller's frame.
 */
function snipCall(g: Gen): void {
  if (!g.inMain || g.subs.length >= 4) return;
  const r = g.r;
  const label = `sub${g.subs.length}`;
  const form = r.weighted([
    ['ptr-idx', 4],
    ['ret-bounded', 3],
    ['write-caller', 2],
    ['own-stack', 2],
  ] as const);
  if (form === 'ptr-idx') {
    // callee(ptr, idx): bounds idx, reads ptr[idx]; the caller passes a stack area, a
    // checked packet range or a map value of `room` bytes.
    const target = r.weighted([
      ['stack', 3],
      ['packet', g.xdp ? 3 : 0],
      ['map', 2],
    ] as const);
    const idxReg = g.hold(g.saved());
    const v0 = scalarSource(g, idxReg);
    let room = r.pick([8, 16, 24, 32, 64]);
    if (target === 'stack') {
      g.stackUse = Math.max(g.stackUse, room);
      for (let o = -room; o < 0; o += 8) g.emit(BPF_ST_MEM(BPF_DW, 10, o, r.range(0, 255)));
      g.emit(BPF_MOV64_REG(1, 10), BPF_ALU64_IMM(BPF_ADD, 1, -room));
    } else if (target === 'packet') {
      g.emit(BPF_MOV64_REG(2, DATA), BPF_ALU64_IMM(BPF_ADD, 2, room));
      room = Math.max(1, pktCheck(g, 2, DATA_END, room));
      g.emit(BPF_MOV64_REG(1, DATA));
    } else {
      const { idx, info } = g.map('array');
      lookup(g, idx, info);
      room = info.valueSize;
      g.emit(BPF_MOV64_REG(1, 0));
    }
    g.emit(BPF_MOV64_REG(2, idxReg));
    g.release(idxReg);
    g.b.callLocal(label);
    const z = r.pick([1, 2, 4, 8]);
    g.subs.push({
      label,
      body: (s) => {
        s.hold(1);
        let v = refine(s, 2, v0, room);
        if (target === 'stack' && z > 1 && !s.slip(0.1)) {
          // Stack accesses are aligned.
          s.emit(BPF_ALU64_IMM(BPF_AND, 2, -z));
          v = both(v, (x) => iv(x.lo - big(z - 1), x.hi));
        }
        const p = plan(s, v);
        const B = Math.floor(placeInRoom(s, p, 0, room, z, 0) / z) * z;
        s.emit(BPF_ALU64_IMM(BPF_ADD, 1, B), BPF_ALU64_REG(BPF_ADD, 1, 2));
        s.emit(BPF_LDX_MEM(sizeOf(z), 0, 1, 0));
        s.emit(BPF_EXIT_INSN());
      },
    });
    return;
  }
  if (form === 'ret-bounded') {
    // callee(data, data_end) or callee(ctx) returns a value in [0, k]; the caller uses it.
    const k = r.pick([7, 15, 31, 63, 127, 255]);
    if (g.xdp) g.emit(BPF_MOV64_REG(1, DATA), BPF_MOV64_REG(2, DATA_END));
    else g.emit(BPF_MOV64_REG(1, CTX));
    g.b.callLocal(label);
    const claim = iv(0, g.slip(0.1) ? Math.floor(k / 2) : k);
    const keep = g.saved();
    g.emit(BPF_MOV64_REG(keep, 0));
    sink(g, keep, { t: iv(0, k), c: claim });
    const xdp = g.xdp;
    g.subs.push({
      label,
      body: (s) => {
        const rr = s.r;
        if (xdp) {
          // One byte (or more) of the packet, or k when it is too short.
          const z = rr.pick([1, 2, 4]);
          s.emit(BPF_MOV64_REG(3, 1), BPF_ALU64_IMM(BPF_ADD, 3, z));
          const short = s.label();
          const end = s.label();
          s.jReg(BPF_JGT, 3, 2, short);
          s.emit(BPF_LDX_MEM(sizeOf(z), 0, 1, 0));
          s.ja(end);
          s.at(short);
          s.emit(BPF_MOV64_IMM(0, k));
          s.at(end);
        } else s.emit(BPF_LDX_MEM(BPF_W, 0, 1, rr.pick([0, 8, 16])));
        upperBound(s, 0, same(iv(0, U32_MAX)), k);
        s.emit(BPF_EXIT_INSN());
      },
    });
    return;
  }
  if (form === 'write-caller') {
    // callee(&slot, value): *slot = bounded value; the caller fills the slot and uses it.
    const s = g.stackSlot();
    const reg = g.saved();
    scalarSource(g, reg);
    const k = r.pick([7, 15, 63, 255]);
    const w = r.chance(0.7) ? BPF_DW : BPF_W;
    if (!g.slip(0.1)) g.emit(BPF_ST_MEM(BPF_DW, 10, s, 0)); // the slot holds 0 when the callee does not write
    g.emit(BPF_MOV64_REG(1, 10), BPF_ALU64_IMM(BPF_ADD, 1, s), BPF_MOV64_REG(2, reg));
    g.b.callLocal(label);
    const d = g.scratch();
    g.emit(BPF_LDX_MEM(w, d, 10, s));
    sink(g, d, same(iv(0, k)));
    g.subs.push({
      label,
      body: (sg) => {
        sg.hold(1);
        upperBound(sg, 2, same(iv(0, U32_MAX)), k);
        sg.emit(BPF_STX_MEM(w, 1, 2, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN());
      },
    });
    return;
  }
  // The callee's own frame, indexed by a bounded argument; sometimes a nested call.
  const reg = g.saved();
  const v0 = scalarSource(g, reg);
  g.emit(BPF_MOV64_REG(1, reg));
  g.b.callLocal(label);
  const nested = r.chance(0.3) && g.subs.length < 3;
  const inner = `sub${g.subs.length + 1}`;
  g.subs.push({
    label,
    body: (s) => {
      s.stackUse = 0;
      const v = refine(s, 1, v0, 200);
      sink(s, 1, v, 'stack');
      if (nested) {
        s.emit(BPF_MOV64_IMM(1, s.r.range(0, 40)));
        s.b.callLocal(inner);
      }
      s.emit(BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN());
    },
  });
  if (nested) {
    g.subs.push({
      label: inner,
      body: (s) => {
        s.stackUse = 0;
        const v = refine(s, 1, same(iv(0, 40)), 64);
        sink(s, 1, v, 'stack');
        s.emit(BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN());
      },
    });
  }
}

/** Map lookups: NULL checks in their forms (or missing), fixed and variable offsets, updates. */
function snipMap(g: Gen): void {
  const r = g.r;
  const { idx, info } = g.map();
  const form = r.weighted([
    ['fixed', 4],
    ['var', 3],
    ['update', 2],
    ['direct', info.type === BPF_MAP_TYPE_ARRAY && info.maxEntries === 1 ? 1.5 : 0],
    ['delete', 0.5],
    ['struct', g.privileged ? 0.6 : 0],
  ] as const);
  if (form === 'fixed' || form === 'var') {
    lookup(g, idx, info, !g.slip(0.08));
    if (form === 'fixed') {
      const n = r.range(1, 3);
      const keep = g.saved();
      g.emit(BPF_MOV64_REG(keep, 0));
      for (let k = 0; k < n; k++) {
        const z = r.pick([1, 2, 4, 8].filter((x) => x <= info.valueSize));
        const o = r.chance(0.5) ? info.valueSize - z : r.range(0, info.valueSize - z);
        access(g, keep, o + (g.slip(0.08) ? 1 : 0), z, { write: !(info.flags ?? 0) || g.slip(0.3), atomic: true });
      }
      return;
    }
    const keep = g.saved();
    g.emit(BPF_MOV64_REG(keep, 0));
    const s = g.scratch();
    let v = scalarSource(g, s);
    v = refine(g, s, v, info.valueSize);
    const p = plan(g, v);
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= info.valueSize));
    const B = placeInRoom(g, p, 0, info.valueSize, z, 0);
    // (keep survived any call in the scalar's source; s did not need to.)
    g.emit(BPF_ALU64_IMM(BPF_ADD, keep, B), BPF_ALU64_REG(BPF_ADD, keep, s));
    access(g, keep, 0, z, { write: !(info.flags ?? 0), atomic: true });
    return;
  }
  if (form === 'update') {
    const ks = g.stackSlot(info.keySize);
    const room = g.slip(0.1) ? info.valueSize - 1 : info.valueSize;
    const vs = -Math.min(512, g.stackUse + Math.ceil(Math.max(1, room) / 8) * 8);
    g.stackUse = -vs;
    for (let o = vs; o < vs + room && o + 8 <= 0; o += 8) g.emit(BPF_ST_MEM(BPF_DW, 10, o, r.range(0, 255)));
    g.emit(BPF_ST_MEM(info.keySize === 8 ? BPF_DW : BPF_W, 10, ks, r.range(0, info.maxEntries)));
    g.emit(BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, idx));
    g.emit(BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, ks), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM(BPF_ADD, 3, vs + (info.valueSize - room)));
    g.emit(BPF_MOV64_IMM(4, 0));
    g.call(HELPER.map_update_elem);
    return;
  }
  if (form === 'struct') {
    // A read of struct bpf_array / bpf_htab through the map pointer (BTF-checked in Linux).
    const size = info.type === BPF_MAP_TYPE_ARRAY ? 312 : 832;
    const z = r.pick([1, 2, 4, 8]);
    const off = g.slip(0.1) ? size - z + r.range(1, 64) : z * r.range(0, Math.floor(size / z) - 1);
    const m = g.scratch();
    g.emit(BPF_LD_IMM64_RAW(m, BPF_PSEUDO_MAP_IDX, idx), BPF_LDX_MEM(sizeOf(z), g.scratch(m), m, off));
    return;
  }
  if (form === 'delete') {
    const ks = g.stackSlot(info.keySize);
    g.emit(BPF_ST_MEM(info.keySize === 8 ? BPF_DW : BPF_W, 10, ks, r.range(0, 4)));
    g.emit(BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, idx), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, ks));
    g.call(HELPER.map_delete_elem);
    return;
  }
  // ld_imm64 of a value address (BPF_PSEUDO_MAP_IDX_VALUE) with a constant offset.
  const off = r.range(0, info.valueSize - 1);
  const keep = g.saved();
  g.emit(BPF_LD_IMM64_RAW(keep, BPF_PSEUDO_MAP_IDX_VALUE, (BigInt(off) << 32n) | BigInt(idx)));
  const z = r.pick([1, 2, 4, 8].filter((x) => x <= info.valueSize));
  const o = info.valueSize - z - off + (g.slip(0.15) ? 1 : 0);
  access(g, keep, r.chance(0.5) ? o : Math.min(o, r.range(-off, o)), z, { write: !(info.flags ?? 0), atomic: true });
}

/** LD_ABS / LD_IND (socket filters): results as scalars; r1-r5 do not survive them. */
function snipLdAbs(g: Gen): void {
  if (g.xdp || !g.inMain) return;
  const r = g.r;
  for (let k = r.range(1, 3); k > 0; k--) {
    const z = r.pick([BPF_B, BPF_H, BPF_W]);
    if (r.chance(0.4)) {
      const x = g.saved();
      scalarSource(g, x);
      if (r.chance(0.6)) g.emit(BPF_ALU64_IMM(BPF_AND, x, r.pick([15, 63, 255])));
      g.emit(BPF_LD_IND(z, x, r.range(-4, 40)));
    } else g.emit(BPF_LD_ABS(z, r.weighted([
      [r.range(0, 64), 8],
      [r.range(65, 4000), 1],
      [-r.range(1, 8), 0.5],
      [-0x100000 + r.range(0, 20), 0.5], // SKF_NET_OFF
    ])));
  }
  if (g.slip(0.1)) g.emit(BPF_MOV64_REG(0, r.range(1, 5))); // r1-r5 after LD_ABS: not readable
  if (r.chance(0.7)) {
    const s = g.saved();
    g.emit(BPF_MOV64_REG(s, 0));
    const bits = r.pick([8, 16, 32]);
    const v = refine(g, s, same(iv(0, (1n << BigInt(bits)) - 1n)), 300);
    sink(g, s, v);
  }
}

/** ctx: fields read in their allowed sizes, cb written; sometimes a field or size that is not. */
function snipCtx(g: Gen): void {
  if (!g.inMain) return;
  const r = g.r;
  const dst = g.scratch();
  if (g.xdp) {
    const off = g.slip(0.1) ? r.pick([2, 20, 24, 1]) : r.pick([0, 4, 8, 12, 16]);
    const z = g.slip(0.08) ? r.pick([1, 2, 8]) : 4;
    if (g.slip(0.05)) g.emit(BPF_ST_MEM(BPF_W, CTX, 12, 1));
    else g.emit(BPF_LDX_MEM(sizeOf(z), dst, CTX, off));
    return;
  }
  if (r.chance(0.4)) {
    // cb[]: any aligned access inside the array.
    const z = r.pick([1, 2, 4, 8]);
    const o = 48 + z * r.range(0, Math.floor(20 / z) - 1) + (g.slip(0.08) ? r.pick([z, 1]) : 0);
    access(g, CTX, o, z, { write: true, atomic: false });
    return;
  }
  const fields = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 68, 84, 164, 176];
  let off = r.pick(fields);
  let z = r.pick([4, 4, 2, 1]);
  if (z < 4) off += r.int(4 / z) * z;
  if (g.slip(0.1)) off = r.pick([72, 76, 80, 88, 140, 144, 168, 180, 184, 190]);
  if (g.slip(0.05)) z = 8;
  if (g.slip(0.05)) g.emit(BPF_ST_MEM(BPF_W, CTX, r.pick([0, 8, 32]), 1));
  else g.emit(BPF_LDX_MEM(sizeOf(z), dst, CTX, off));
  // A pointer to ctx with a constant added: refused.
  if (g.slip(0.04)) g.emit(BPF_MOV64_REG(dst, CTX), BPF_ALU64_IMM(BPF_ADD, dst, 8), BPF_LDX_MEM(BPF_W, dst, dst, 0));
}

/**
 * Pruning stress: two paths give a register different values (one possibly unsafe) and
 * join; the access after the join must be checked for both.
 */
function snipDiamond(g: Gen): void {
  const r = g.r;
  const c = g.scratch();
  scalarSource(g, c);
  const x = g.hold(g.saved());
  const a = g.label();
  const join = g.label();
  const where = r.weighted([
    ['stack', 3],
    ['map', g.inMain ? 2 : 0],
    ['packet', g.xdp && g.inMain ? 2 : 0],
  ] as const);
  const mapRef = where === 'map' ? g.map('array') : undefined;
  const room = mapRef ? mapRef.info.valueSize : r.pick([8, 16, 32, 64, 128, 256]);
  // Stack accesses are aligned: offsets are multiples of the access size.
  const z = where === 'stack' ? r.pick([1, 2, 4].filter((x) => x <= room)) : 1;
  const safe = (): number => z * r.range(0, room / z - 1);
  const k1 = safe();
  const k2 = g.slip(0.35) ? room + z * r.range(0, 2) : safe();
  const viaStack = r.chance(0.3);
  const s = viaStack ? g.stackSlot() : 0;
  const is32 = r.chance(0.3);
  // The branch on the unknown scalar: bit tests and compares.
  const op = r.pick([BPF_JSET, BPF_JGT, BPF_JLT, BPF_JEQ, BPF_JSGT]);
  g.jImm(op, c, op === BPF_JSET ? r.pick([1, 2, 0x80]) : r.pick([0, 1, 127, 128, 1000]), a, is32);
  const set = (k: number): void => {
    if (viaStack) {
      g.emit(BPF_MOV64_IMM(x, k), BPF_STX_MEM(BPF_DW, 10, x, s));
      if (r.chance(0.5)) g.emit(BPF_MOV64_IMM(x, 0));
    } else if (r.chance(0.3)) g.emit(BPF_MOV32_IMM(x, k));
    else g.emit(BPF_MOV64_IMM(x, k));
  };
  const first = r.chance(0.5);
  set(first ? k1 : k2);
  g.ja(join);
  g.at(a);
  set(first ? k2 : k1);
  g.at(join);
  // Some filler so that the join is not the access itself.
  for (let k = r.range(0, 3); k > 0; k--) g.emit(BPF_MOV64_IMM(g.scratch(), r.range(0, 9)));
  if (viaStack) g.emit(BPF_LDX_MEM(BPF_DW, x, 10, s));
  if (where === 'stack') {
    // fp - room + x: inside the frame for x <= room - z
    const p = g.scratch();
    g.emit(BPF_MOV64_REG(p, 10), BPF_ALU64_IMM(BPF_ADD, p, -room), BPF_ALU64_REG(BPF_ADD, p, x));
    access(g, p, 0, z, { write: true, atomic: false });
  } else if (mapRef) {
    lookup(g, mapRef.idx, mapRef.info);
    g.emit(BPF_ALU64_REG(BPF_ADD, 0, x));
    access(g, 0, 0, 1, { write: !(mapRef.info.flags ?? 0), atomic: false });
  } else {
    const p = g.hold(g.scratch());
    const e = g.scratch(p);
    g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_REG(BPF_ADD, p, x), BPF_MOV64_REG(e, p), BPF_ALU64_IMM(BPF_ADD, e, 1));
    pktCheck(g, e, DATA_END, 1);
    access(g, p, 0, 1, { write: true, atomic: false });
    g.release(p);
  }
  g.release(x);
}

/**
 * Pruning stress with pointers: the paths check different packet lengths, or only one of
 * them NULL-checks a map value, or they leave pointers of different kinds in a register;
 * after the join the access must be safe for both.
 */
function snipDiamondPtr(g: Gen): void {
  const r = g.r;
  const form = r.weighted([
    ['pkt-range', g.xdp && g.inMain ? 3 : 0],
    ['null', g.inMain ? 2 : 0],
    ['kinds', 2],
  ] as const);
  const a = g.label();
  const join = g.label();
  const branch = (): void => {
    const c = g.scratch();
    scalarSource(g, c);
    g.jImm(r.pick([BPF_JSET, BPF_JGT, BPF_JEQ]), c, r.pick([1, 2, 100, 0x80]), a, r.chance(0.3));
  };
  if (form === 'pkt-range') {
    branch();
    const n1 = r.range(1, 48);
    const n2 = r.range(1, 48);
    const path = (n: number): void => {
      const p = g.scratch();
      g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_IMM(BPF_ADD, p, n));
      pktCheck(g, p, DATA_END, n);
    };
    path(n1);
    g.ja(join);
    g.at(a);
    path(n2);
    g.at(join);
    const room = g.slip(0.4) ? Math.max(n1, n2) : Math.min(n1, n2);
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= room));
    access(g, DATA, room - z, z, { write: true, atomic: false });
    return;
  }
  if (form === 'null') {
    const { idx, info } = g.map();
    const v = g.hold(g.saved());
    lookup(g, idx, info, false);
    g.emit(BPF_MOV64_REG(v, 0));
    const w = g.hold(g.saved(v)); // a second copy (same id) when there is a register for it
    if (w !== v) g.emit(BPF_MOV64_REG(w, 0));
    branch();
    const check = (): void => {
      g.jImm(BPF_JEQ, r.pick([v, w]), 0, g.out); // the copies share the check through their id
    };
    const skip = g.slip(0.4);
    check();
    g.ja(join);
    g.at(a);
    if (!skip) check();
    g.at(join);
    const z = r.pick([1, 2, 4, 8].filter((x) => x <= info.valueSize));
    access(g, v, r.range(0, info.valueSize - z), z, { write: !(info.flags ?? 0), atomic: false });
    g.release(v);
    g.release(w);
    return;
  }
  // A stack pointer on one path, a packet or map value pointer (or a scalar) on the other.
  const v = g.hold(g.saved());
  const stackPtr = (): void => {
    g.emit(BPF_MOV64_REG(v, 10), BPF_ALU64_IMM(BPF_ADD, v, -16));
  };
  const other = (): void => {
    const k = r.weighted([
      ['pkt', g.xdp && g.inMain ? 2 : 0],
      ['ctx', g.inMain ? 1 : 0],
      ['scalar', g.slip(0.5) ? 2 : 0],
      ['stack', 1],
    ] as const);
    if (k === 'pkt') {
      const p = g.scratch(v);
      g.emit(BPF_MOV64_REG(p, DATA), BPF_ALU64_IMM(BPF_ADD, p, 16));
      pktCheck(g, p, DATA_END, 16);
      g.emit(BPF_MOV64_REG(v, DATA));
    } else if (k === 'ctx') g.emit(BPF_MOV64_REG(v, CTX));
    else if (k === 'scalar') g.emit(BPF_MOV64_IMM(v, 0));
    else g.emit(BPF_MOV64_REG(v, 10), BPF_ALU64_IMM(BPF_ADD, v, -32));
  };
  g.emit(BPF_ST_MEM(BPF_DW, 10, -16, 0), BPF_ST_MEM(BPF_DW, 10, -8, 0));
  g.stackUse = Math.max(g.stackUse, 32);
  branch();
  const first = r.chance(0.5);
  if (first) stackPtr();
  else other();
  g.ja(join);
  g.at(a);
  if (first) other();
  else stackPtr();
  g.at(join);
  g.emit(BPF_LDX_MEM(BPF_W, g.scratch(v), v, r.pick([0, 4, 8])));
  g.release(v);
}

/** Direct helper calls with memory arguments of constant sizes. */
function snipHelperConst(g: Gen): void {
  if (!g.inMain) return;
  const reg = g.saved();
  const n = g.r.range(0, 64);
  g.emit(BPF_MOV64_IMM(reg, n));
  helperSize(g, reg, same(iv(n, n)));
}

type Snippet = (g: Gen) => void;

const SNIPPETS: Record<Exclude<GenKind, 'soup' | 'soup-typed' | 'mutant' | 'mixed'>, Snippet> = {
  packet: (g) => {
    snipPacket(g);
    if (g.r.chance(0.5)) snipPacket(g);
    if (g.r.chance(0.2)) snipMeta(g);
    if (g.r.chance(0.15)) snipAdjust(g);
  },
  'var-offset': snipVarOffset,
  'spill-fill': snipSpillFill,
  loop: snipLoop,
  'bpf-call': snipCall,
  map: snipMap,
  'ld-abs': snipLdAbs,
  diamond: (g) => (g.r.chance(0.5) ? snipDiamond(g) : snipDiamondPtr(g)),
};

const MIXED: readonly (readonly [Snippet, number])[] = [
  [snipPacket, 3],
  [snipMeta, 0.5],
  [snipAdjust, 1],
  [snipVarOffset, 4],
  [snipSpillFill, 2],
  [snipLoop, 1.5],
  [snipCall, 1.5],
  [snipMap, 2],
  [snipLdAbs, 2],
  [snipCtx, 1.5],
  [snipDiamond, 1.5],
  [snipDiamondPtr, 1],
  [snipHelperConst, 1],
];

function prologue(g: Gen): void {
  g.emit(BPF_MOV64_REG(CTX, 1));
  if (g.xdp) reloadPkt(g);
}

/** The end of main: a verdict and exit, the `out` path, then the subprograms. */
function epilogue(g: Gen): void {
  const r = g.r;
  g.emit(BPF_MOV64_IMM(0, g.xdp ? r.pick([1, 2, 3]) : r.pick([0, 0xffff, 64])));
  g.emit(BPF_EXIT_INSN());
  const outBlock = (): void => {
    if (!g.outUsed) return;
    g.at(g.out);
    g.emit(BPF_MOV64_IMM(0, g.inMain && g.xdp ? 2 : 0), BPF_EXIT_INSN());
  };
  outBlock();
  // Subprograms may add more (nested calls): the list grows while it is walked.
  g.inMain = false;
  for (let k = 0; k < g.subs.length; k++) {
    const s = g.subs[k]!;
    g.at(s.label);
    g.out = `${s.label}_out`;
    g.outUsed = false;
    g.held.clear();
    s.body(g);
    outBlock();
  }
}

function structured(r: Rand, seed: number, kind: GenKind): GenProgram {
  let progType: ProgType = r.chance(0.65) ? 'xdp' : 'socket_filter';
  if (kind === 'ld-abs') progType = 'socket_filter';
  if (kind === 'packet') progType = 'xdp';
  const privileged = progType === 'xdp' || kind === 'bpf-call' || r.chance(0.85);
  const g = new Gen(r, progType, privileged);
  prologue(g);
  if (kind === 'mixed') {
    for (let k = r.range(2, 5); k > 0; k--) r.weighted(MIXED)(g);
  } else {
    const main = SNIPPETS[kind as keyof typeof SNIPPETS];
    main(g);
    // A little company: another snippet before or after, now and then.
    if (r.chance(0.3)) r.weighted(MIXED)(g);
  }
  epilogue(g);
  return { seed, kind, progType, insns: g.b.build(), maps: g.maps, privileged };
}

// ---- mutants: structured programs with a few instructions changed -----------------------

const COND_OPS = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE];
const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV, BPF_ARSH];

function mutateOne(r: Rand, insns: Insn[]): void {
  // A slot that starts an instruction (not the second half of an ld_imm64).
  let i = r.int(insns.length);
  if (i > 0 && insns[i - 1]!.code === LD_IMM64) i--;
  const ins = insns[i]!;
  const cls = ins.code & 7;
  const m = r.int(9);
  const nudge = (x: number): number => x + r.pick([1, -1, 2, -2, 4, -4, 8, -8, 16]);
  if (cls === BPF_JMP || cls === BPF_JMP32) {
    const op = ins.code & 0xf0;
    if (op === BPF_CALL || op === BPF_EXIT) {
      if (m < 2 && op === BPF_CALL && ins.src === 0) ins.imm = r.pick(Object.values(HELPER));
      return;
    }
    if (op === BPF_JA) return;
    if (m < 3) ins.code = cls | (ins.code & BPF_X) | r.pick(COND_OPS);
    else if (m < 4) ins.code = (ins.code & ~7) | (cls === BPF_JMP ? BPF_JMP32 : BPF_JMP);
    else if (m < 6 && (ins.code & BPF_X) === 0) ins.imm = nudge(ins.imm);
    else if (m < 7) ins.off = nudge(ins.off);
    else if (m < 8) ins.dst = r.int(10);
    else ins.src = (ins.code & BPF_X) !== 0 ? r.int(11) : ins.src;
    return;
  }
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    const op = ins.code & 0xf0;
    if (m < 2 && op !== BPF_END && op !== BPF_NEG) ins.code = cls | (ins.code & BPF_X) | r.pick(ALU_OPS);
    else if (m < 3) ins.code = (ins.code & ~7) | (cls === BPF_ALU ? BPF_ALU64 : BPF_ALU);
    else if (m < 6 && (ins.code & BPF_X) === 0) ins.imm = r.chance(0.5) ? nudge(ins.imm) : r.pick([0, 1, -1, 31, 32, 63, 64, 0x7fffffff]);
    else if (m < 7) ins.dst = r.int(10);
    else if (m < 8) ins.src = r.int(11);
    else ins.off = ins.off === 0 ? 0 : r.pick([0, 8, 16, 32]);
    return;
  }
  if (cls === BPF_LDX || cls === BPF_STX || cls === BPF_ST) {
    const mode = ins.code & 0xe0;
    if (m < 3) ins.off = nudge(ins.off);
    else if (m < 5 && mode !== BPF_ATOMIC) ins.code = (ins.code & ~0x18) | r.pick(SIZES);
    else if (m < 6 && cls === BPF_LDX) ins.code = (ins.code & ~0xe0) | (mode === BPF_MEM ? BPF_MEMSX : BPF_MEM);
    else if (m < 7) ins.dst = r.pick([ins.dst, 10, r.int(10)]);
    else if (m < 8 && cls !== BPF_ST) ins.src = r.pick([ins.src, 10, r.int(10)]);
    else if (cls === BPF_ST) ins.imm = nudge(ins.imm);
    return;
  }
  if (cls === BPF_LD && ins.code !== LD_IMM64) {
    ins.imm = nudge(ins.imm);
    return;
  }
  if (ins.code === LD_IMM64 && ins.src !== 0) {
    if (m < 3) ins.src = r.pick([BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, 0]);
    else if (m < 5) ins.imm = nudge(ins.imm) & 1;
    else insns[i + 1]!.imm = nudge(insns[i + 1]!.imm);
  }
}

function mutant(r: Rand, seed: number): GenProgram {
  const kinds = GEN_KINDS.filter((k) => k !== 'soup' && k !== 'soup-typed' && k !== 'mutant');
  const base = structured(r, seed, r.pick(kinds));
  const insns = base.insns.map((i) => ({ ...i }));
  for (let k = r.weighted([
    [1, 6],
    [2, 3],
    [3, 1],
  ]); k > 0; k--) {
    const op = r.int(10);
    if (op === 0 && insns.length > 2) {
      // An instruction turned into a no-op (ja +0): the jumps around it stay valid.
      const i = r.int(insns.length);
      if (insns[i]!.code === 0 || insns[i]!.code === LD_IMM64) continue;
      insns[i] = BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    } else if (op === 1 && insns.length > 3) {
      // Two neighbouring ALU/memory instructions swapped.
      const i = r.int(insns.length - 1);
      const a = insns[i]!;
      const b = insns[i + 1]!;
      const plain = (x: Insn): boolean => [BPF_ALU, BPF_ALU64, BPF_LDX, BPF_ST, BPF_STX].includes(x.code & 7);
      if (plain(a) && plain(b)) {
        insns[i] = b;
        insns[i + 1] = a;
      }
    } else mutateOne(r, insns);
  }
  return { ...base, kind: 'mutant', insns };
}

// ---- instruction soup ---------------------------------------------------------------------

const INTERESTING = [0, 1, -1, 2, 4, 7, 8, 14, 15, 16, 31, 32, 63, 64, 255, 256, 0xffff, 0x7fffffff, -0x80000000, -8, -16, -512];

/**
 * Random instructions with plausible fields (registers r0..r10, small offsets, stack-ish
 * displacements off r10, jumps that stay inside the program). `typed` starts from the usual
 * register setup (ctx, data, data_end, a stack pointer, a map value) so more of it gets far.
 */
function soup(r: Rand, seed: number, typed: boolean): GenProgram {
  const progType: ProgType = r.chance(0.6) ? 'xdp' : 'socket_filter';
  const privileged = progType === 'xdp' || r.chance(0.8);
  const xdp = progType === 'xdp';
  const out: Insn[] = [];
  const maps: MapInfo[] = [];
  if (r.chance(0.5)) maps.push({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: r.pick([4, 8, 16, 64]), maxEntries: r.pick([1, 4]), flags: 0 });
  if (typed) {
    out.push(BPF_MOV64_REG(6, 1));
    if (xdp) out.push(BPF_LDX_MEM(BPF_W, 7, 6, 0), BPF_LDX_MEM(BPF_W, 8, 6, 4));
    // Every register starts defined: small constants and stack pointers.
    out.push(BPF_ST_MEM(BPF_DW, 10, -8, 0), BPF_MOV64_IMM(0, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM(BPF_ADD, 2, -8));
    for (const x of [1, 3, 4, 5, 9]) out.push(r.chance(0.3) ? BPF_MOV64_REG(x, 10) : BPF_MOV64_IMM(x, r.pick([0, 1, 8, 16, 255])));
    if (r.chance(0.3)) out.push(BPF_ALU64_IMM(BPF_ADD, r.pick([1, 3, 4, 5, 9]), -r.pick([8, 16, 32])));
    if (!xdp) out.push(BPF_MOV64_IMM(7, 0), BPF_MOV64_IMM(8, 4));
    if (xdp && r.chance(0.6)) {
      // r9 = data, with some bytes checked against data_end.
      out.push(BPF_MOV64_REG(9, 7), BPF_MOV64_REG(3, 7), BPF_ALU64_IMM(BPF_ADD, 3, r.range(1, 40)));
      out.push(BPF_JMP_REG_RAW(BPF_JLE, 3, 8, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN());
    }
    if (maps.length && r.chance(0.5)) {
      out.push(...BPF_LD_IMM64_RAW(1, BPF_PSEUDO_MAP_IDX, 0), BPF_EMIT_CALL(HELPER.map_lookup_elem));
      out.push(BPF_JMP_IMM_RAW(BPF_JNE, 0, 0, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(), BPF_MOV64_REG(9, 0));
    }
  }
  const n = r.range(2, typed ? 20 : 28);
  const body: Insn[] = [];
  for (let k = 0; k < n; k++) body.push(...soupInsn(r, xdp, maps.length > 0, n - k, typed));
  out.push(...body);
  if (typed || r.chance(0.85)) out.push(BPF_MOV64_IMM(0, r.pick([0, 1, 2])), BPF_EXIT_INSN());
  else if (r.chance(0.5)) out.push(BPF_EXIT_INSN());
  return { seed, kind: typed ? 'soup-typed' : 'soup', progType, insns: out, maps, privileged };
}

function BPF_JMP_REG_RAW(op: number, dst: number, src: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | op | BPF_X, dst, src, off, 0);
}
function BPF_JMP_IMM_RAW(op: number, dst: number, imm: number, off: number): Insn {
  return BPF_RAW_INSN(BPF_JMP | op | BPF_K, dst, 0, off, imm);
}

/** One random instruction (two slots for ld_imm64); `left` instructions follow it. */
function soupInsn(r: Rand, xdp: boolean, hasMap: boolean, left: number, typed: boolean): Insn[] {
  const reg = (): number => (r.chance(0.05) ? 10 : r.int(10));
  const imm = (): number => (r.chance(0.7) ? r.pick(INTERESTING) : r.u32() | 0);
  // Instructions after this one: left - 1 in the body, then `r0 = k; exit`.
  const fwd = (): number => r.range(0, Math.max(0, typed ? left : left + 1));
  const k = r.weighted([
    ['alu', 30],
    ['ldx', 12],
    ['stx', 8],
    ['st', 5],
    ['jmp', 14],
    ['call', typed ? 1.5 : 4],
    ['ldimm', typed ? 0 : 3],
    ['ldabs', xdp ? 0.3 : 4],
    ['atomic', 2],
    ['exit', typed ? 0 : 2],
    ['ja', typed ? 0 : 1.5],
  ] as const);
  switch (k) {
    case 'alu': {
      const cls = r.chance(0.55) ? BPF_ALU64 : BPF_ALU;
      let op = r.pick([...ALU_OPS, BPF_NEG, BPF_END]);
      const x = r.chance(0.45);
      let off = 0;
      if (op === BPF_END) return [BPF_RAW_INSN(cls | BPF_END | (r.chance(0.5) && !(typed && cls === BPF_ALU64) ? BPF_TO_BE : BPF_TO_LE), reg(), 0, 0, r.pick([16, 32, 64]))];
      if (op === BPF_NEG) return [BPF_RAW_INSN(cls | BPF_NEG, reg(), 0, 0, 0)];
      if ((op === BPF_DIV || op === BPF_MOD) && r.chance(0.3)) off = 1;
      if (op === BPF_MOV && x && r.chance(0.3)) off = r.pick(cls === BPF_ALU64 ? [8, 16, 32] : [8, 16]);
      if (op === 0xe0) op = BPF_ADD;
      return [BPF_RAW_INSN(cls | op | (x ? BPF_X : BPF_K), reg(), x ? reg() : 0, off, x ? 0 : imm())];
    }
    case 'ldx': {
      const size = r.pick(SIZES);
      const base = typed ? r.pick([10, 10, 2, 6, xdp ? 7 : 10, 9]) : r.pick([10, 10, 1, 6, 7, 8, 9, 0, r.int(10)]);
      const off = base === 10 ? -r.pick([8, 16, 4, 1, 24, 512, 520]) : r.pick([0, 0, 4, 8, 12, 14, 16, 48, -1]);
      const sx = size !== BPF_DW && r.chance(0.15);
      return [BPF_RAW_INSN(BPF_LDX | size | (sx ? BPF_MEMSX : BPF_MEM), r.int(10), base, off, 0)];
    }
    case 'stx':
    case 'st': {
      const size = r.pick(SIZES);
      const base = typed ? r.pick([10, 10, 2, xdp ? 7 : 10, 9]) : r.pick([10, 10, 10, 1, 7, 9, r.int(10)]);
      const off = base === 10 ? -r.pick([8, 16, 4, 1, 24, 512]) : r.pick([0, 4, 8, 48, -1]);
      if (k === 'st') return [BPF_RAW_INSN(BPF_ST | size | BPF_MEM, base, 0, off, imm())];
      return [BPF_RAW_INSN(BPF_STX | size | BPF_MEM, base, r.int(11), off, 0)];
    }
    case 'atomic': {
      const size = r.chance(0.5) ? BPF_DW : BPF_W;
      const op = r.pick([BPF_ADD, BPF_ADD | BPF_FETCH, BPF_OR, BPF_XCHG, BPF_CMPXCHG]);
      return [BPF_RAW_INSN(BPF_STX | size | BPF_ATOMIC, r.pick([10, 9, r.int(10)]), r.int(10), -r.pick([8, 16]), op)];
    }
    case 'jmp': {
      const cls = r.chance(0.7) ? BPF_JMP : BPF_JMP32;
      const x = r.chance(0.4);
      return [BPF_RAW_INSN(cls | r.pick(ALU_JMP_OPS) | (x ? BPF_X : BPF_K), reg(), x ? reg() : 0, fwd(), x ? 0 : imm())];
    }
    case 'ja':
      return [BPF_RAW_INSN(BPF_JMP | BPF_JA, 0, 0, r.chance(0.9) ? fwd() : -r.range(1, 3), 0)];
    case 'call': {
      if (r.chance(0.1)) return [BPF_RAW_INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, fwd())];
      return [BPF_EMIT_CALL(r.chance(0.85) ? r.pick(Object.values(HELPER)) : r.range(0, 220))];
    }
    case 'ldimm': {
      if (hasMap && r.chance(0.5)) return BPF_LD_IMM64_RAW(r.int(10), r.chance(0.8) ? BPF_PSEUDO_MAP_IDX : BPF_PSEUDO_MAP_IDX_VALUE, r.chance(0.8) ? 0 : r.range(0, 70) * 2 ** 32);
      return BPF_LD_IMM64(r.int(10), BigInt.asIntN(64, (BigInt(r.u32()) << 32n) | BigInt(r.u32())));
    }
    case 'ldabs': {
      const size = r.pick([BPF_B, BPF_H, BPF_W, BPF_DW]);
      if (r.chance(0.5)) return [BPF_LD_ABS(size, r.pick([0, 1, 12, 14, 23, 60, -1, 0x7fffffff]))];
      return [BPF_LD_IND(size, r.int(10), r.pick([0, 2, 14, -4]))];
    }
    default:
      return [BPF_EXIT_INSN()];
  }
}

/** Does the program contain a BPF_JCOND (may_goto)? Its loops may legitimately run long. */
export function hasMayGoto(insns: readonly Insn[]): boolean {
  return insns.some((i) => i.code === (BPF_JMP | 0xe0));
}
