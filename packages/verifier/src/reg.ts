// Register state, as struct bpf_reg_state: a type, and for scalars and pointers alike the
// numeric domain of the (variable part of the) value, plus pointer details.
import type { MapInfo } from './api';
import type { ScalarBounds } from './scalar/types';
import { knownScalar, unknownScalar } from './scalar';

/** enum bpf_reg_type (base types; flags are separate fields). */
export type RegType =
  | 'NOT_INIT'
  | 'SCALAR_VALUE'
  | 'PTR_TO_CTX'
  | 'CONST_PTR_TO_MAP'
  | 'PTR_TO_MAP_VALUE'
  | 'PTR_TO_MAP_KEY'
  | 'PTR_TO_STACK'
  | 'PTR_TO_PACKET_META'
  | 'PTR_TO_PACKET'
  | 'PTR_TO_PACKET_END'
  | 'PTR_TO_SOCKET'
  | 'PTR_TO_SOCK_COMMON'
  | 'PTR_TO_TCP_SOCK'
  | 'PTR_TO_XDP_SOCK'
  | 'PTR_TO_MEM'
  | 'PTR_TO_FUNC'
  | 'PTR_TO_BTF_ID';

/** Flags in a scalar's id: it equals the register with the base id plus `off`
 * (BPF_ADD_CONST64 after a 64-bit add, BPF_ADD_CONST32 after a 32-bit one). */
export const BPF_ADD_CONST64 = 0x80000000;
export const BPF_ADD_CONST32 = 0x40000000;
export const BPF_ADD_CONST = 0xc0000000;
/** id & ~BPF_ADD_CONST */
export const baseId = (id: number): number => id & 0x3fffffff;
/** id & BPF_ADD_CONST */
export const addConstFlags = (id: number): number => (id & BPF_ADD_CONST) >>> 0;
/** clear_scalar_id(): a scalar leaves its linked set — its id and, with it, the delta (off)
 * it had from the set's base, which would otherwise come back wrong when the register is
 * linked again (a fresh id keeps off). */
export function clearScalarId(r: { id: number; off: number }): void {
  r.id = 0;
  r.off = 0;
}

/** reg_type_str()'s names. */
const TYPE_STR: Record<RegType, string> = {
  NOT_INIT: '?',
  SCALAR_VALUE: 'scalar',
  PTR_TO_CTX: 'ctx',
  CONST_PTR_TO_MAP: 'map_ptr',
  PTR_TO_MAP_VALUE: 'map_value',
  PTR_TO_MAP_KEY: 'map_key',
  PTR_TO_STACK: 'fp',
  PTR_TO_PACKET_META: 'pkt_meta',
  PTR_TO_PACKET: 'pkt',
  PTR_TO_PACKET_END: 'pkt_end',
  PTR_TO_SOCKET: 'sock',
  PTR_TO_SOCK_COMMON: 'sock_common',
  PTR_TO_TCP_SOCK: 'tcp_sock',
  PTR_TO_XDP_SOCK: 'xdp_sock',
  PTR_TO_MEM: 'mem',
  PTR_TO_FUNC: 'func',
  PTR_TO_BTF_ID: 'ptr_',
};

export interface RegState extends ScalarBounds {
  type: RegType;
  /** PTR_MAYBE_NULL: a pointer that must be NULL-checked before use. */
  maybeNull: boolean;
  /** MEM_RDONLY */
  rdonly: boolean;
  /** MEM_RINGBUF */
  ringbuf: boolean;
  /** PTR_UNTRUSTED: memory read with probing loads (a kernel pointer to anything but a
   * struct, read from a kernel struct): no bounds to check. */
  untrusted: boolean;
  /** Fixed offset of a pointer. */
  off: number;
  /** Links copies of the same value: NULL checks and bounds refine them all. */
  id: number;
  /** The reference a pointer holds (sockets, ring buffer records), or 0. */
  refObjId: number;
  /** PTR_TO_PACKET: bytes after the pointer proven to be inside the packet. */
  range: number;
  /** CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE, PTR_TO_MAP_KEY */
  map: MapInfo | undefined;
  /** PTR_TO_MEM: its size. */
  memSize: number;
  /** PTR_TO_STACK: the frame it points into. */
  frameno: number;
  /** PTR_TO_FUNC: the subprogram. */
  subprogno: number;
  /** PTR_TO_BTF_ID: the kernel struct it points to (reg->btf_id), when bpfsim knows it. */
  btfName: string | undefined;
  /** Marked precise (privileged programs track precision lazily; we keep it simple). */
  precise: boolean;
}

/** One literal with every field, so all registers share a shape (spreads are slow here). */
function make(type: RegType, b: ScalarBounds): RegState {
  return {
    type,
    maybeNull: false,
    rdonly: false,
    ringbuf: false,
    untrusted: false,
    off: 0,
    id: 0,
    refObjId: 0,
    range: 0,
    map: undefined,
    memSize: 0,
    frameno: 0,
    subprogno: 0,
    btfName: undefined,
    precise: false,
    varOff: b.varOff,
    smin: b.smin,
    smax: b.smax,
    umin: b.umin,
    umax: b.umax,
    s32min: b.s32min,
    s32max: b.s32max,
    u32min: b.u32min,
    u32max: b.u32max,
  };
}

const UNKNOWN: ScalarBounds = unknownScalar();
const ZERO: ScalarBounds = knownScalar(0n);

/** __mark_reg_not_init(): an uninitialised register. */
export function notInit(): RegState {
  return make('NOT_INIT', UNKNOWN);
}

/** __mark_reg_unknown(): a scalar about which nothing is known. */
export function unknownReg(): RegState {
  return make('SCALAR_VALUE', UNKNOWN);
}

/** A scalar with a known value (taken mod 2^64). */
export function knownReg(v: bigint): RegState {
  return make('SCALAR_VALUE', v === 0n ? ZERO : knownScalar(v));
}

/** The numeric part of a known 32-bit immediate, by value: instructions name few constants
 * and a BPF_K operand is made for each one checked (not from Linux, which builds the fake
 * register on its stack). The bounds are immutable, so the registers share them. */
const IMM_BOUNDS = new Map<number, ScalarBounds>();
const IMM_BOUNDS_MAX = 4096;

function immBounds(imm: number): ScalarBounds {
  let b = IMM_BOUNDS.get(imm);
  if (b === undefined) {
    if (IMM_BOUNDS.size >= IMM_BOUNDS_MAX) IMM_BOUNDS.clear();
    b = knownScalar(BigInt(imm));
    Object.freeze(b.varOff);
    IMM_BOUNDS.set(imm, Object.freeze(b));
  }
  return b;
}

/** A fresh register holding the sign-extended immediate `imm` (__mark_reg_known(reg, imm)). */
export function immReg(imm: number): RegState {
  return make('SCALAR_VALUE', immBounds(imm));
}

const IMM_OPERANDS = new Map<number, Readonly<RegState>>();

/** The BPF_K operand of an ALU or jump instruction (the kernel's fake src register): shared
 * and frozen, for code that only reads it. */
export function immOperand(imm: number): Readonly<RegState> {
  let r = IMM_OPERANDS.get(imm);
  if (r === undefined) {
    if (IMM_OPERANDS.size >= IMM_BOUNDS_MAX) IMM_OPERANDS.clear();
    r = Object.freeze(immReg(imm));
    IMM_OPERANDS.set(imm, r);
  }
  return r;
}

/** __mark_reg_known_zero() with a pointer type: a fresh pointer at offset 0. */
export function ptrReg(type: RegType, extra: Partial<RegState> = {}): RegState {
  return Object.assign(make(type, ZERO), extra);
}

/** A copy; the tnum is immutable (every tnum operation returns a new one), so it is shared. */
export function cloneReg(r: RegState): RegState {
  return {
    type: r.type,
    maybeNull: r.maybeNull,
    rdonly: r.rdonly,
    ringbuf: r.ringbuf,
    untrusted: r.untrusted,
    off: r.off,
    id: r.id,
    refObjId: r.refObjId,
    range: r.range,
    map: r.map,
    memSize: r.memSize,
    frameno: r.frameno,
    subprogno: r.subprogno,
    btfName: r.btfName,
    precise: r.precise,
    varOff: r.varOff,
    smin: r.smin,
    smax: r.smax,
    umin: r.umin,
    umax: r.umax,
    s32min: r.s32min,
    s32max: r.s32max,
    u32min: r.u32min,
    u32max: r.u32max,
  };
}

/** reg_type_str(): `map_value_or_null`, `rdonly_mem`, `fp`, … */
export function regTypeStr(r: Pick<RegState, 'type' | 'maybeNull' | 'rdonly' | 'ringbuf'> & { untrusted?: boolean }): string {
  const prefix = (r.rdonly ? 'rdonly_' : '') + (r.ringbuf ? 'ringbuf_' : '') + (r.untrusted ? 'untrusted_' : '');
  const postfix = r.maybeNull ? (r.type === 'PTR_TO_BTF_ID' ? 'or_null_' : '_or_null') : '';
  return prefix + TYPE_STR[r.type] + postfix;
}

export const isPointer = (r: RegState): boolean => r.type !== 'SCALAR_VALUE' && r.type !== 'NOT_INIT';
export const isPktPointer = (r: RegState): boolean => r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META';
export const isPktPointerAny = (r: RegState): boolean => isPktPointer(r) || r.type === 'PTR_TO_PACKET_END';

/** Pointer types that may be spilled to the stack and filled back (is_spillable_regtype). */
export function isSpillable(t: RegType): boolean {
  return t !== 'SCALAR_VALUE' && t !== 'NOT_INIT';
}
