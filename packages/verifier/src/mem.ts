// Memory accesses: check_mem_access() and what it dispatches to (stack, map values and keys,
// ctx, packet, memory from helpers), the load/store/atomic instructions, and memory
// arguments of helpers (check_helper_mem_access).
import type { Insn } from '@bpfsim/isa';
import {
  BPF_MAP_TYPE,
  BPF_ADD,
  BPF_AND,
  BPF_CMPXCHG,
  BPF_DW,
  BPF_FETCH,
  BPF_LOAD_ACQ,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_OR,
  BPF_SIZE,
  BPF_STORE_REL,
  BPF_W,
  BPF_XCHG,
  BPF_XOR,
  bpfSizeBytes,
} from '@bpfsim/isa';
import type { MapInfo } from './api';
import type { AuxPtrType, Env } from './env';
import { fail } from './env';
import type { CtxField } from './prog-type';
import type { RegState, RegType } from './reg';
import { clearScalarId, cloneReg, notInit, immReg, isPktPointer, knownReg, ptrReg, regTypeStr, unknownReg } from './reg';
import { S64_MIN, asIntN, big } from './scalar/int';
import type { WalkResult } from './btf-walk';
import { btfStructAccess } from './btf-walk';
import { MAP_BTF } from './btf-map-structs';
import { coerceRegToSize, coerceRegToSizeSx, tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumStr } from './scalar';
import { checkRegArg, isPointerValue } from './regs';
import { markChainPrecision, pushJmpHistory } from './precision';
import { assignScalarId } from './alu';
import type { FuncState, StackSlot } from './state';
import { BPF_REG_SIZE, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, growStack, isSpilledReg, isSpilledScalarReg } from './state';
import { BPF_MAX_VAR_OFF } from './alu';

export type AccessType = 'read' | 'write';
const MAX_BPF_STACK = 512;
const MAX_PACKET_OFF = 0xffff;

const registerIsNull = (r: RegState): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** check_ptr_alignment(): only stack accesses are strict here (x86 has efficient unaligned access). */
function checkPtrAlignment(env: Env, reg: RegState, off: number, size: number, strictOnce: boolean): void {
  let strict = strictOnce;
  let desc = '';
  switch (reg.type) {
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META': {
      if (!strict || size === 1) return;
      const regOff = tnumAdd(reg.varOff, tnumConst(big(2 + reg.off + off)));
      if (!tnumIsAligned(regOff, big(size))) fail('EACCES', `misaligned packet access off 2+${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}`);
      return;
    }
    case 'PTR_TO_MAP_KEY':
      desc = 'key ';
      break;
    case 'PTR_TO_MAP_VALUE':
      desc = 'value ';
      break;
    case 'PTR_TO_CTX':
      desc = 'context ';
      break;
    case 'PTR_TO_STACK':
      desc = 'stack ';
      strict = true;
      break;
    case 'PTR_TO_SOCKET':
      desc = 'sock ';
      break;
    case 'PTR_TO_SOCK_COMMON':
      desc = 'sock_common ';
      break;
    case 'PTR_TO_TCP_SOCK':
      desc = 'tcp_sock ';
      break;
  }
  if (!strict || size === 1) return;
  const regOff = tnumAdd(reg.varOff, tnumConst(big(reg.off + off)));
  if (!tnumIsAligned(regOff, big(size))) fail('EACCES', `misaligned ${desc}access off ${tnumStr(reg.varOff)}+${reg.off}+${off} size ${size}`);
}

/** __check_mem_access(): [off, off + size) inside [0, memSize). */
function checkMemRange(env: Env, regno: number, off: bigint, size: number, memSize: number, zeroSizeAllowed: boolean): string | undefined {
  const sizeOk = size > 0 || (size === 0 && zeroSizeAllowed);
  if (off >= 0n && sizeOk && off + big(size) <= big(memSize)) return undefined;
  const reg = env.regs[regno]!;
  switch (reg.type) {
    case 'PTR_TO_MAP_KEY':
      return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case 'PTR_TO_MAP_VALUE':
      return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
    case 'PTR_TO_PACKET_END':
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default:
      return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
}

/** check_mem_region_access(): a region access with a possibly variable offset. */
function checkMemRegionAccess(env: Env, regno: number, off: number, size: number, memSize: number, zeroSizeAllowed: boolean): void {
  const reg = env.regs[regno]!;
  const o = big(off);
  if (reg.smin < 0n && (reg.smin === S64_MIN || asIntN(32, o + reg.smin) !== o + reg.smin || reg.smin + o < 0n))
    fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  let why = checkMemRange(env, regno, reg.smin + o, size, memSize, zeroSizeAllowed);
  if (why) {
    env.verbose(why + '\n');
    fail('EACCES', `R${regno} min value is outside of the allowed memory range`);
  }
  if (reg.umax >= big(BPF_MAX_VAR_OFF)) fail('EACCES', `R${regno} unbounded memory access, make sure to bounds check any such access`);
  why = checkMemRange(env, regno, reg.umax + o, size, memSize, zeroSizeAllowed);
  if (why) {
    env.verbose(why + '\n');
    fail('EACCES', `R${regno} max value is outside of the allowed memory range`);
  }
}

/** BPF_F_RDONLY_PROG (1 << 7) / BPF_F_WRONLY_PROG (1 << 8) of a map: what programs may do
 * with it. Device maps set RDONLY_PROG themselves (dev_map_init_map): a lookup gives the
 * ifindex, read-only. */
export function mapProgFlags(map: MapInfo): number {
  const devmap = map.type === BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP || map.type === BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH;
  return (map.flags ?? 0) | (devmap ? 1 << 7 : 0);
}

/** check_map_access() with the map's access rights (check_map_access_type). */
function checkMapValueAccess(env: Env, regno: number, off: number, size: number, t: AccessType, zeroSizeAllowed: boolean): void {
  const reg = env.regs[regno]!;
  const map = reg.map!;
  const flags = mapProgFlags(map);
  if (t === 'write' && flags & (1 << 7)) fail('EACCES', `write into map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
  if (t === 'read' && flags & (1 << 8)) fail('EACCES', `read from map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
  checkMemRegionAccess(env, regno, off, size, map.valueSize, zeroSizeAllowed);
}

/** check_packet_access() */
export function checkPacketAccess(env: Env, regno: number, off: number, size: number, zeroSizeAllowed: boolean): void {
  const reg = env.regs[regno]!;
  if (reg.smin < 0n) fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const why = reg.range < 0 ? 'range' : checkMemRange(env, regno, big(off), size, reg.range, zeroSizeAllowed);
  if (why) {
    if (why !== 'range') env.verbose(why + '\n');
    fail(reg.range < 0 ? 'EINVAL' : 'EACCES', `R${regno} offset is outside of the packet`);
  }
}

/** may_access_direct_pkt_data() */
function mayAccessPktData(env: Env, t: AccessType): boolean {
  const p = env.prog.packetAccess;
  return p === 'rw' || (p === 'r' && t === 'read');
}

/** The ctx field an access falls in, as the type's is_valid_access() decides. */
function ctxAccess(env: Env, off: number, size: number, t: AccessType, ldsx: boolean): CtxField | undefined {
  const d = env.prog;
  if (off < 0 || off >= d.ctxSize || off % size !== 0) return undefined;
  const f = d.fields.find((x) => off >= x.off && off < x.off + x.size);
  if (!f) return undefined;
  if (f.attachTypes && !f.attachTypes.includes(env.attachType)) return undefined;
  if (size === 8 && f.wideEnd !== undefined && off % 8 === 0 && off + 8 <= f.wideEnd && !(ldsx && f.noLdsx)) return f;
  const rule = t === 'write' ? f.write : f.read;
  if (rule === false) return undefined;
  if (ldsx && f.noLdsx) return undefined;
  if (rule === 'exact' && (size !== f.size || off !== f.off)) return undefined;
  if (rule === 'narrow' && (size > f.size || (size & (size - 1)) !== 0)) return undefined;
  if (rule === 'narrowAtStart' && (off !== f.off || size > f.size || (size & (size - 1)) !== 0)) return undefined;
  if (rule === 'region' && off + size > f.off + f.size) return undefined;
  return f;
}

/** check_stack_access_within_bounds() */
function checkStackWithinBounds(env: Env, regno: number, off: number, size: number, t: AccessType): void {
  const reg = env.regs[regno]!;
  const state = env.frameOf(reg);
  const extra = t === 'read' ? ' read from' : ' write to';
  let minOff: bigint;
  let maxOff: bigint;
  if (tnumIsConst(reg.varOff)) {
    minOff = asIntN(64, reg.varOff.value) + big(off);
    maxOff = minOff + big(size);
  } else {
    if (reg.smax >= big(BPF_MAX_VAR_OFF) || reg.smin <= -big(BPF_MAX_VAR_OFF)) fail('EACCES', `invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = reg.smin + big(off);
    maxOff = reg.smax + big(off) + big(size);
  }
  // Privileged loaders may read stack they never wrote (allow_uninit_stack).
  const minValid = t === 'write' || env.privileged ? -MAX_BPF_STACK : -state.stack.length * BPF_REG_SIZE;
  // check_stack_slot_within_bounds(): the start below the frame is EACCES; a start inside
  // it that runs past the frame pointer is EINVAL.
  const errno = minOff < big(minValid) || minOff > -1n ? 'EACCES' : maxOff > 0n ? 'EINVAL' : undefined;
  if (errno) {
    if (tnumIsConst(reg.varOff)) fail(errno, `invalid${extra} stack R${regno} off=${off} size=${size}`);
    fail(errno, `invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.varOff)} off=${off} size=${size}`);
  }
  growStack(state, Number(-minOff));
  // update_stack_depth(): the subprogram owning the frame needs this much stack.
  const sp = env.subprogs[state.subprogno];
  if (sp && Number(-minOff) > sp.stackDepth) sp.stackDepth = Number(-minOff);
}

const slotOf = (f: FuncState, off: number): { spi: number; byte: number } => {
  const slot = -off - 1;
  return { spi: Math.floor(slot / BPF_REG_SIZE), byte: slot % BPF_REG_SIZE };
};

/** save_register_state(): spill `reg` into the top `size` bytes of slot spi. */
function saveRegisterState(slot: StackSlot, reg: RegState, size: number): void {
  slot.spilled = cloneReg(reg);
  for (let i = BPF_REG_SIZE; i > BPF_REG_SIZE - size; i--) slot.slotType[i - 1] = STACK_SPILL;
  // mark_stack_slot_misc(): the bytes a narrow spill leaves become MISC, except ZERO (more
  // precise) and INVALID (equivalent when privileged; in unprivileged mode MISC would wrongly
  // make them readable). Linux 6.18's log shows `fp-16=????scalar(...)` for a u32 spill.
  for (let i = BPF_REG_SIZE - size; i > 0; i--) if (slot.slotType[i - 1] !== STACK_ZERO && slot.slotType[i - 1] !== STACK_INVALID) slot.slotType[i - 1] = STACK_MISC;
}

/** scrub_special_slot(): a data write over a spilled register turns the whole slot into
 * plain data (every written-before byte MISC) and forgets the register. */
function scrubSpecialSlot(slot: StackSlot): void {
  if (slot.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) {
    for (let i = 0; i < BPF_REG_SIZE; i++) if (slot.slotType[i] !== STACK_INVALID) slot.slotType[i] = STACK_MISC;
  }
  slot.spilled = notInit();
}

/** check_stack_write_fixed_off() */
function stackWriteFixed(env: Env, state: FuncState, off: number, size: number, valueRegno: number, insn: Insn): void {
  const valueReg = valueRegno >= 0 ? env.regs[valueRegno] : undefined;
  const { spi } = slotOf(state, off);
  // A spill is recorded in the path's history, so precision can follow it back.
  const spilled = (): void => pushJmpHistory(env, { stack: { frameno: state.frameno, spi } });
  env.markSlotScratched(spi);
  const slot = state.stack[spi]!;
  if (!env.privileged && isSpilledReg(slot) && !isSpilledScalarReg(slot) && size !== BPF_REG_SIZE) fail('EACCES', 'attempt to corrupt spilled pointer on stack');
  const isSt = BPF_MODE(insn.code) === BPF_MEM && (insn.code & 0x07) === 0x02;
  if (valueReg && off % BPF_REG_SIZE === 0 && valueReg.type === 'SCALAR_VALUE' && env.privileged) {
    const width = valueReg.umax === 0n ? 0 : valueReg.umax.toString(2).length;
    const fits = width <= 8 * size;
    // The spill and the register stay linked (same id), unless the spill narrows it.
    if (fits) assignScalarId(env, valueReg);
    saveRegisterState(slot, valueReg, size);
    if (!fits) clearScalarId(slot.spilled);
    return spilled();
  }
  if (!valueReg && off % BPF_REG_SIZE === 0 && isSt && env.privileged) {
    saveRegisterState(slot, immReg(insn.imm), size);
    return spilled();
  }
  if (valueReg && valueReg.type !== 'SCALAR_VALUE' && valueReg.type !== 'NOT_INIT') {
    if (size !== BPF_REG_SIZE) fail('EACCES', 'invalid size of register spill');
    if (state !== env.frame && valueReg.type === 'PTR_TO_STACK') fail('EINVAL', 'cannot spill pointers to stack into stack frame of the caller');
    saveRegisterState(slot, valueReg, size);
    return spilled();
  }
  // A data write: any spilled register here is gone.
  let type = STACK_MISC;
  scrubSpecialSlot(slot);
  if ((valueReg && registerIsNull(valueReg)) || (!valueReg && isSt && insn.imm === 0)) {
    // STACK_ZERO depends on the value being exactly 0: make that precise.
    if (valueRegno >= 0) markChainPrecision(env, valueRegno);
    type = STACK_ZERO;
  }
  const first = -off - 1;
  for (let i = 0; i < size; i++) slot.slotType[(first - i) % BPF_REG_SIZE] = type;
}

/** check_stack_write_var_off() */
function stackWriteVar(env: Env, state: FuncState, ptrRegno: number, off: number, size: number, valueRegno: number, insn: Insn): void {
  const valueReg = valueRegno >= 0 ? env.regs[valueRegno] : undefined;
  let zeroUsed = false;
  const ptr = env.regs[ptrRegno]!;
  const minOff = Number(ptr.smin) + off;
  const maxOff = Number(ptr.smax) + off + size;
  const isSt = (insn.code & 0x07) === 0x02;
  const writingZero = (valueReg && registerIsNull(valueReg)) || (!valueReg && isSt && insn.imm === 0);
  for (let i = minOff; i < maxOff; i++) {
    const { spi, byte } = slotOf(state, i);
    env.markSlotScratched(spi);
    const slot = state.stack[spi]!;
    const st = slot.slotType[byte]!;
    if (writingZero && st === STACK_SPILL && isSpilledScalarReg(slot) && tnumIsConst(slot.spilled.varOff) && slot.spilled.varOff.value === 0n) {
      zeroUsed = true;
      continue;
    }
    scrubSpecialSlot(slot);
    const keepZero = writingZero && slot.slotType[byte] === STACK_ZERO;
    if (keepZero) zeroUsed = true;
    slot.slotType[byte] = keepZero ? STACK_ZERO : STACK_MISC;
  }
  // backtracking does not follow STACK_ZERO: make the zero written precise.
  if (zeroUsed && valueRegno >= 0) markChainPrecision(env, valueRegno);
}

/** check_stack_read_fixed_off() */
function stackReadFixed(env: Env, state: FuncState, off: number, size: number, dstRegno: number): void {
  const { spi } = slotOf(state, off);
  // A fill that restores the spilled register is recorded for precision backtracking.
  const filled = (): void => pushJmpHistory(env, { stack: { frameno: state.frameno, spi } });
  env.markSlotScratched(spi);
  const slot = state.stack[spi]!;
  const regs = env.regs;
  const first = -off - 1;
  if (isSpilledReg(slot)) {
    let spillSize = 1;
    for (let i = BPF_REG_SIZE - 1; i > 0 && slot.slotType[i - 1] === STACK_SPILL; i--) spillSize++;
    const reg = slot.spilled;
    if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
      if (reg.type !== 'SCALAR_VALUE') fail('EACCES', 'invalid size of register fill');
      if (dstRegno < 0) return filled();
      // bpf_stack_narrow_access_ok(): on little-endian, a fill at the slot start reads the
      // spill's low bytes.
      if (size <= spillSize && off % BPF_REG_SIZE === 0) {
        const d = cloneReg(reg);
        const width = reg.umax === 0n ? 0 : reg.umax.toString(2).length;
        if (width > size * 8) clearScalarId(d);
        regs[dstRegno] = d;
        return filled();
      } else {
        let spillCnt = 0;
        let zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = slot.slotType[(first - i) % BPF_REG_SIZE];
          if (t === STACK_SPILL) spillCnt++;
          else if (t === STACK_ZERO) zeroCnt++;
          else if (t === STACK_MISC || (t === STACK_INVALID && env.privileged)) continue;
          else fail('EACCES', `invalid read from stack off ${off}+${i} size ${size}`);
        }
        if (spillCnt === size && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) {
          regs[dstRegno] = knownReg(0n);
          return filled();
        }
        regs[dstRegno] = zeroCnt === size ? knownReg(0n) : unknownReg();
        return; // not the spilled register: nothing to backtrack through
      }
    } else if (dstRegno >= 0) {
      regs[dstRegno] = cloneReg(reg);
    } else if (!env.privileged && reg.type !== 'SCALAR_VALUE') {
      fail('EACCES', `leaking pointer from stack off ${off}`);
    }
    return filled();
  }
  for (let i = 0; i < size; i++) {
    const t = slot.slotType[(first - i) % BPF_REG_SIZE];
    if (t === STACK_MISC || t === STACK_ZERO) continue;
    if (t === STACK_INVALID && env.privileged) continue;
    fail('EACCES', `invalid read from stack off ${off}+${i} size ${size}`);
  }
  if (dstRegno >= 0) markRegStackRead(env, state, off, off + size, dstRegno);
}

/** mark_reg_stack_read(): all-zero bytes read as the constant 0, anything else unknown. */
function markRegStackRead(env: Env, state: FuncState, minOff: number, maxOff: number, dstRegno: number): void {
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const { spi, byte } = slotOf(state, i);
    if (state.stack[spi]?.slotType[byte] !== STACK_ZERO) break;
    zeros++;
  }
  env.regs[dstRegno] = zeros === maxOff - minOff ? knownReg(0n) : unknownReg();
}

/** bpf_map_direct_read(): `size` bytes at `off` of a read-only map's value, little-endian. */
function mapDirectRead(value: Uint8Array, off: number, size: number, signExtend: boolean): bigint {
  if (off < 0 || off + size > value.length) fail('EINVAL', `direct read of ${size} bytes at ${off} is outside the map value (${value.length} bytes)`);
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | big(value[off + i]!);
  return signExtend ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
}

/** check_mem_access() */
export function checkMemAccess(env: Env, regno: number, off: number, size: number, t: AccessType, valueRegno: number, strictOnce: boolean, isLdsx: boolean, insn: Insn): void {
  const regs = env.regs;
  const reg = regs[regno]!;
  // A fact for the JIT: what this instruction's base register points to.
  if (env.insns[env.insnIdx] === insn) (env.aux[env.insnIdx]!.ptrTypes ??= new Set()).add(regTypeStr(reg));
  checkPtrAlignment(env, reg, off, size, strictOnce);
  off += reg.off;
  const valueReg = valueRegno >= 0 ? regs[valueRegno] : undefined;
  const readInto = t === 'read' && valueRegno >= 0;

  if (reg.type === 'PTR_TO_MAP_KEY' && !reg.maybeNull) {
    if (t === 'write') fail('EACCES', `write to change key R${regno} not allowed`);
    checkMemRegionAccess(env, regno, off, size, reg.map!.keySize, false);
    if (readInto) regs[valueRegno] = unknownReg();
  } else if (reg.type === 'PTR_TO_MAP_VALUE' && !reg.maybeNull) {
    if (t === 'write' && valueReg && isPointerValue(env, valueReg)) fail('EACCES', `R${valueRegno} leaks addr into map`);
    checkMapValueAccess(env, regno, off, size, t, false);
    if (readInto) {
      // A read-only map's contents are tracked as scalars (bpf_map_direct_read): `const
      // volatile` configuration in .rodata becomes a constant, and dead branches die.
      const ro = reg.map!.rdonlyValue;
      regs[valueRegno] = ro && tnumIsConst(reg.varOff) ? knownReg(mapDirectRead(ro, off + Number(reg.varOff.value), size, isLdsx)) : unknownReg();
    }
  } else if (reg.type === 'PTR_TO_MEM' && !reg.maybeNull) {
    if (t === 'write' && reg.rdonly) fail('EACCES', `R${regno} cannot write into ${regTypeStr(reg)}`);
    if (t === 'write' && valueReg && isPointerValue(env, valueReg)) fail('EACCES', `R${valueRegno} leaks addr into mem`);
    // Untrusted read-only memory is read with probing loads: no bounds to check.
    if (!(reg.rdonly && reg.untrusted)) checkMemRegionAccess(env, regno, off, size, reg.memSize, false);
    if (valueRegno >= 0 && (t === 'read' || reg.rdonly)) regs[valueRegno] = unknownReg();
  } else if (reg.type === 'PTR_TO_CTX') {
    if (t === 'write' && valueReg && isPointerValue(env, valueReg)) fail('EACCES', `R${valueRegno} leaks addr into ctx`);
    checkPtrOffReg(env, reg, regno, false);
    const f = ctxAccess(env, off, size, t, isLdsx);
    if (!f) fail('EACCES', `invalid bpf_context access off=${off} size=${size}`);
    // check_ctx_access(): raw tracepoints check this against their argument count at attach.
    if (off + size > env.maxCtxOffset) env.maxCtxOffset = off + size;
    if (readInto) {
      if (!f!.regType) regs[valueRegno] = unknownReg();
      else {
        const p = ptrReg(f!.regType, { maybeNull: !!f!.maybeNull });
        if (f!.maybeNull) p.id = env.newId();
        regs[valueRegno] = p;
      }
    }
  } else if (reg.type === 'PTR_TO_STACK') {
    checkStackWithinBounds(env, regno, off, size, t);
    const state = env.frameOf(reg);
    if (t === 'read') {
      if (valueRegno < 0 && !tnumIsConst(reg.varOff))
        fail('EACCES', `variable offset stack pointer cannot be passed into helper function; var_off=${tnumStr(reg.varOff)} off=${off} size=${size}`);
      if (tnumIsConst(reg.varOff)) stackReadFixed(env, state, off + Number(asIntN(64, reg.varOff.value)), size, valueRegno);
      else {
        checkStackRangeInitialized(env, regno, off, size, false, 'read', false);
        markRegStackRead(env, state, Number(reg.smin) + off, Number(reg.smax) + off + size, valueRegno);
      }
    } else if (tnumIsConst(reg.varOff)) {
      stackWriteFixed(env, state, off + Number(asIntN(64, reg.varOff.value)), size, valueRegno, insn);
    } else {
      stackWriteVar(env, state, regno, off, size, valueRegno, insn);
    }
  } else if (isPktPointer(reg)) {
    if (t === 'write' && !mayAccessPktData(env, 'write')) fail('EACCES', 'cannot write into packet');
    if (t === 'write' && valueReg && isPointerValue(env, valueReg)) fail('EACCES', `R${valueRegno} leaks addr into packet`);
    checkPacketAccess(env, regno, off, size, false);
    if (readInto) regs[valueRegno] = unknownReg();
  } else if ((reg.type === 'PTR_TO_SOCKET' || reg.type === 'PTR_TO_SOCK_COMMON' || reg.type === 'PTR_TO_TCP_SOCK' || reg.type === 'PTR_TO_XDP_SOCK') && !reg.maybeNull) {
    if (t === 'write') fail('EACCES', `R${regno} cannot write into ${regTypeStr(reg)}`);
    checkSockAccess(env, regno, off, size);
    if (valueRegno >= 0) regs[valueRegno] = unknownReg();
  } else if (reg.type === 'CONST_PTR_TO_MAP') {
    const found = checkPtrToMapAccess(env, regno, off, size, t);
    if (valueRegno >= 0) regs[valueRegno] = btfLoadReg(found);
  } else if (reg.type === 'PTR_TO_BTF_ID' && reg.btfName && !reg.maybeNull) {
    const found = checkPtrToBtfAccess(env, regno, off, size, t);
    if (valueRegno >= 0) regs[valueRegno] = btfLoadReg(found);
  } else {
    fail('EACCES', `R${regno} invalid mem access '${regTypeStr(reg)}'`);
  }

  if (size < BPF_REG_SIZE && readInto && regs[valueRegno]!.type === 'SCALAR_VALUE') {
    if (isLdsx) coerceRegToSizeSx(regs[valueRegno]!, size);
    else coerceRegToSize(regs[valueRegno]!, size);
  }
}

/** The kernel struct behind each map type (map->ops->map_btf_id). */
const MAP_STRUCT: Record<number, string> = {
  [BPF_MAP_TYPE.BPF_MAP_TYPE_HASH]: 'bpf_htab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_HASH]: 'bpf_htab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_HASH]: 'bpf_htab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_LRU_PERCPU_HASH]: 'bpf_htab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_HASH_OF_MAPS]: 'bpf_htab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_PERCPU_ARRAY]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_PROG_ARRAY]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_PERF_EVENT_ARRAY]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_CGROUP_ARRAY]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS]: 'bpf_array',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_LPM_TRIE]: 'lpm_trie',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_STACK_TRACE]: 'bpf_stack_map',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP]: 'bpf_dtab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_DEVMAP_HASH]: 'bpf_dtab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKMAP]: 'bpf_stab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKHASH]: 'bpf_shtab',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_CPUMAP]: 'bpf_cpu_map',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_XSKMAP]: 'xsk_map',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_QUEUE]: 'bpf_queue_stack',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_STACK]: 'bpf_queue_stack',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_RINGBUF]: 'bpf_ringbuf_map',
  [BPF_MAP_TYPE.BPF_MAP_TYPE_BLOOM_FILTER]: 'bpf_bloom_filter',
};

/** check_ptr_to_map_access(): reading the kernel's map struct through a map pointer, as
 * Linux types the read from its BTF (btf_struct_access over the recorded layouts of this
 * machine's structs, btf-map-structs.ts). */
function checkPtrToMapAccess(env: Env, regno: number, off: number, size: number, t: AccessType): WalkResult {
  const map = env.regs[regno]!.map!;
  const name = MAP_STRUCT[map.type];
  if (!name) fail('ENOTSUPP', `map_ptr access not supported for map type ${map.type}`);
  if (!env.privileged) fail('EPERM', `'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (off < 0) fail('EACCES', `R${regno} is ${name} invalid negative access: off=${off}`);
  if (t !== 'read') fail('EACCES', `only read from ${name} is supported`);
  return walked(btfStructAccess(MAP_BTF.types, name!, off, size));
}

/** check_ptr_to_btf_access(): a read through a BTF pointer (one that a read of a kernel
 * struct gave), walked in the struct it points to. A struct whose layout bpfsim did not
 * record reads as an unknown scalar. */
function checkPtrToBtfAccess(env: Env, regno: number, off: number, size: number, t: AccessType): WalkResult {
  const reg = env.regs[regno]!;
  const name = reg.btfName!;
  if (!env.privileged) fail('EPERM', `'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (!env.gplCompatible) fail('EINVAL', `Cannot access kernel 'struct ${name}' from non-GPL compatible program`);
  if (off < 0) fail('EACCES', `R${regno} is ptr_${name} invalid negative access: off=${off}`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) fail('EACCES', `R${regno} is ptr_${name} invalid variable offset: off=${off}, var_off=${tnumStr(reg.varOff)}`);
  if (t !== 'read') fail('EACCES', 'only read is supported');
  if (!MAP_BTF.types[name]) return { kind: 'scalar' };
  return walked(btfStructAccess(MAP_BTF.types, name, off, size));
}

const walked = (r: WalkResult): WalkResult => (r.kind === 'error' ? fail(r.errno, r.message) : r);

/** mark_btf_ld_reg(): what the read gives — a scalar, a BTF pointer to the member's struct,
 * or (a pointer to anything else) untrusted read-only memory (PTR_UNTRUSTED, size 0). */
function btfLoadReg(r: WalkResult): RegState {
  if (r.kind !== 'ptr') return unknownReg();
  if (r.to === null) return ptrReg('PTR_TO_MEM', { rdonly: true, untrusted: true, memSize: 0 });
  return ptrReg('PTR_TO_BTF_ID', { btfName: r.to });
}

/** bpf_sock_is_valid_access() over struct bpf_sock (80 bytes): u32 fields; the IP
 * addresses and dst_port (a __be16 with 2 bytes of padding) also allow narrow loads. */
function bpfSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= 80 || off % size !== 0) return false;
  const narrow = (fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;
  if (off >= 24 && off < 44) return narrow(4); // src_ip4, src_ip6[4]
  if (off >= 52 && off < 72) return narrow(4); // dst_ip4, dst_ip6[4]
  if (off === 72 || off === 76 || off === 4 || off === 8 || off === 12 || off === 44) return narrow(4); // state, rx_queue_mapping, family, type, protocol, src_port
  if (off === 48 || off === 49) return narrow(size === 4 ? 4 : 2); // dst_port
  if (off === 50 || off === 51) return false; // padding
  return size === 4;
}

/** check_sock_access(): what a socket pointer may read, by its type. */
function checkSockAccess(env: Env, regno: number, off: number, size: number): void {
  const reg = env.regs[regno]!;
  if (reg.smin < 0n) fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  let valid: boolean;
  switch (reg.type) {
    case 'PTR_TO_SOCK_COMMON':
      // bpf_sock_common_is_valid_access(): type .. priority are not in sock_common.
      valid = !(off >= 8 && off < 24) && bpfSockValid(off, size);
      break;
    case 'PTR_TO_SOCKET':
      valid = bpfSockValid(off, size);
      break;
    case 'PTR_TO_TCP_SOCK':
      // struct bpf_tcp_sock: u32 fields, bytes_received and bytes_acked are u64.
      valid = off >= 0 && off < 112 && off % size === 0 && size === (off === 80 || off === 88 ? 8 : 4);
      break;
    case 'PTR_TO_XDP_SOCK':
      // struct bpf_xdp_sock: queue_id
      valid = off >= 0 && off < 4 && off % size === 0 && size === 4;
      break;
    default:
      valid = false;
  }
  if (!valid) fail('EACCES', `R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
}

/** __check_ptr_off_reg(): ctx (and other) pointers are used unmodified. */
export function checkPtrOffReg(env: Env, reg: RegState, regno: number, fixedOffOk: boolean): void {
  if (reg.off < 0) fail('EACCES', `negative offset ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off) fail('EACCES', `dereference of modified ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value) fail('EACCES', `variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.varOff)} disallowed`);
}

/** check_stack_range_initialized(): helper memory arguments on the stack. */
export function checkStackRangeInitialized(env: Env, regno: number, off: number, size: number, zeroSizeAllowed: boolean, t: AccessType, rawMode: boolean): void {
  const reg = env.regs[regno]!;
  const state = env.frameOf(reg);
  if (size === 0 && !zeroSizeAllowed) fail('EACCES', 'invalid zero-sized read');
  checkStackWithinBounds(env, regno, off, size, t);
  let minOff: number;
  let maxOff: number;
  if (tnumIsConst(reg.varOff)) minOff = maxOff = Number(asIntN(64, reg.varOff.value)) + off;
  else {
    if (!env.privileged) fail('EACCES', `R${regno} variable offset stack access prohibited for !root, var_off=${tnumStr(reg.varOff)}`);
    rawMode = false;
    minOff = Number(reg.smin) + off;
    maxOff = Number(reg.smax) + off;
  }
  if (rawMode) return;
  const clobber = t === 'write';
  for (let i = minOff; i < maxOff + size; i++) {
    const { spi, byte } = slotOf(state, i);
    const slot = state.stack[spi];
    if (!slot) fail('EFAULT', 'allocated_stack too small');
    const st = slot!.slotType[byte];
    if (st === STACK_MISC || st === STACK_ZERO || (st === STACK_INVALID && env.privileged)) continue;
    if (isSpilledReg(slot!) && (slot!.spilled.type === 'SCALAR_VALUE' || env.privileged)) {
      if (clobber) {
        slot!.spilled = unknownReg();
        for (let j = 0; j < BPF_REG_SIZE; j++) if (slot!.slotType[j] === STACK_SPILL) slot!.slotType[j] = STACK_MISC;
      }
      continue;
    }
    if (tnumIsConst(reg.varOff)) fail('EACCES', `invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${size}`);
    fail('EACCES', `invalid read from stack R${regno} var_off ${tnumStr(reg.varOff)}+${i - minOff} size ${size}`);
  }
}

/** check_helper_mem_access(): the memory a helper reads or writes through a pointer argument. */
export function checkHelperMemAccess(env: Env, regno: number, size: number, t: AccessType, zeroSizeAllowed: boolean, rawMode: boolean): void {
  const reg = env.regs[regno]!;
  switch (reg.type) {
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
      checkPacketAccess(env, regno, reg.off, size, zeroSizeAllowed);
      return;
    case 'PTR_TO_MAP_KEY':
      if (t === 'write') fail('EACCES', `R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegionAccess(env, regno, reg.off, size, reg.map!.keySize, false);
      return;
    case 'PTR_TO_MAP_VALUE':
      checkMapValueAccess(env, regno, reg.off, size, t, zeroSizeAllowed);
      return;
    case 'PTR_TO_MEM':
      if (reg.rdonly && t === 'write') fail('EACCES', `R${regno} cannot write into ${regTypeStr(reg)}`);
      checkMemRegionAccess(env, regno, reg.off, size, reg.memSize, zeroSizeAllowed);
      return;
    case 'PTR_TO_STACK':
      checkStackRangeInitialized(env, regno, reg.off, size, zeroSizeAllowed, t, rawMode);
      return;
    default:
      if (zeroSizeAllowed && size === 0 && registerIsNull(reg)) return;
      fail('EACCES', `R${regno} type=${regTypeStr(reg)} expected=fp`);
  }
}

/** check_load_mem(): LDX (and load-acquire, whose alignment is always strict). */
export function checkLoad(env: Env, insn: Insn, strictOnce = false): void {
  checkRegArg(env, insn.src, 'src');
  checkRegArg(env, insn.dst, 'dst_no_mark');
  const size = bpfSizeBytes(BPF_SIZE(insn.code));
  const base = ptrTypeOf(env.regs[insn.src]!);
  checkMemAccess(env, insn.src, insn.off, size, 'read', insn.dst, strictOnce, BPF_MODE(insn.code) === BPF_MEMSX, insn);
  saveAuxPtrType(env, base, !strictOnce);
}

/** check_store_reg(): STX MEM (and store-release, strictly aligned). */
export function checkStoreReg(env: Env, insn: Insn, strictOnce = false): void {
  checkRegArg(env, insn.src, 'src');
  checkRegArg(env, insn.dst, 'src');
  const base = ptrTypeOf(env.regs[insn.dst]!);
  checkMemAccess(env, insn.dst, insn.off, bpfSizeBytes(BPF_SIZE(insn.code)), 'write', insn.src, strictOnce, false, insn);
  saveAuxPtrType(env, base, false);
}

/** ST MEM: a store of an immediate. */
export function checkStoreImm(env: Env, insn: Insn): void {
  if (BPF_MODE(insn.code) !== BPF_MEM || insn.src !== 0) fail('EINVAL', 'BPF_ST uses reserved fields');
  checkRegArg(env, insn.dst, 'src');
  const base = ptrTypeOf(env.regs[insn.dst]!);
  checkMemAccess(env, insn.dst, insn.off, bpfSizeBytes(BPF_SIZE(insn.code)), 'write', -1, false, false, insn);
  saveAuxPtrType(env, base, false);
}

/** A register's type with its flags (PTR_MAYBE_NULL, MEM_RDONLY, MEM_RINGBUF), as the
 * kernel's enum bpf_reg_type carries them. */
const ptrTypeOf = (r: RegState): AuxPtrType => ({ base: r.type, flags: (r.maybeNull ? 1 : 0) | (r.rdonly ? 2 : 0) | (r.ringbuf ? 4 : 0) });

/** reg_type_mismatch_ok() is false for these: the pointer kinds a load or store is
 * rewritten for (ctx field conversion, socket fields, BTF), so one instruction may serve
 * only one of them. */
const REWRITTEN: ReadonlySet<RegType> = new Set<RegType>(['PTR_TO_CTX', 'PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON', 'PTR_TO_TCP_SOCK', 'PTR_TO_XDP_SOCK', 'PTR_TO_BTF_ID']);

/**
 * save_aux_ptr_type(): the first path to reach a load or store records its base pointer's
 * type (with its flags); a later path with another type is refused when either is one the
 * kernel rewrites the access for (a ctx field on one path and the stack on another cannot
 * share one converted instruction). A plain load may mix BTF pointers and memory of
 * different trust (both become a probing load).
 */
function saveAuxPtrType(env: Env, type: AuxPtrType, allowTrustMismatch: boolean): void {
  const aux = env.aux[env.insnIdx]!;
  const prev = aux.ptrType;
  if (!prev) {
    aux.ptrType = type;
    return;
  }
  if ((type.base === prev.base && type.flags === prev.flags) || (!REWRITTEN.has(type.base) && !REWRITTEN.has(prev.base))) return;
  const btfOrMem = (t: RegType): boolean => t === 'PTR_TO_BTF_ID' || t === 'PTR_TO_MEM';
  if (allowTrustMismatch && btfOrMem(type.base) && btfOrMem(prev.base)) return;
  fail('EINVAL', 'same insn cannot be used with different pointers');
}

/** atomic_ptr_type_ok(): atomics work on memory, not on ctx, packets or sockets. */
function atomicPtrTypeOk(reg: RegState): boolean {
  return !['PTR_TO_CTX', 'PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON', 'PTR_TO_TCP_SOCK'].includes(reg.type);
}

/** check_atomic(): read-modify-write (check_atomic_rmw), load-acquire and store-release. */
export function checkAtomic(env: Env, insn: Insn): void {
  // The plain load/store an acquire/release performs, on the same registers.
  const plain = { ...insn, code: (insn.code & ~0xe0) | BPF_MEM, imm: 0 } as Insn;
  switch (insn.imm) {
    case BPF_ADD:
    case BPF_ADD | BPF_FETCH:
    case BPF_AND:
    case BPF_AND | BPF_FETCH:
    case BPF_OR:
    case BPF_OR | BPF_FETCH:
    case BPF_XOR:
    case BPF_XOR | BPF_FETCH:
    case BPF_XCHG:
    case BPF_CMPXCHG:
      return checkAtomicRmw(env, insn);
    case BPF_LOAD_ACQ: {
      // check_atomic_load(): the base's kind first, then the load (6.18.44 checks in this
      // order; the store-release below still checks its base after the store).
      const src = env.regs[insn.src]!;
      if (!atomicPtrTypeOk(src)) fail('EACCES', `BPF_ATOMIC loads from R${insn.src} ${regTypeStr(src)} is not allowed`);
      checkLoad(env, plain, true);
      return;
    }
    case BPF_STORE_REL: {
      checkStoreReg(env, plain, true);
      const dst = env.regs[insn.dst]!;
      if (!atomicPtrTypeOk(dst)) fail('EACCES', `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
      return;
    }
    default:
      fail('EINVAL', `BPF_ATOMIC uses invalid atomic opcode ${insn.imm.toString(16).padStart(2, '0')}`);
  }
}

/** check_atomic_rmw() */
function checkAtomicRmw(env: Env, insn: Insn): void {
  const size = BPF_SIZE(insn.code);
  if (size !== BPF_W && size !== BPF_DW) fail('EINVAL', 'invalid atomic operand size');
  checkRegArg(env, insn.src, 'src');
  checkRegArg(env, insn.dst, 'src');
  if (insn.imm === BPF_CMPXCHG) {
    checkRegArg(env, 0, 'src');
    if (isPointerValue(env, env.regs[0]!)) fail('EACCES', 'R0 leaks addr into mem');
  }
  if (isPointerValue(env, env.regs[insn.src]!)) fail('EACCES', `R${insn.src} leaks addr into mem`);
  const dst = env.regs[insn.dst]!;
  if (!atomicPtrTypeOk(dst)) fail('EACCES', `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
  let loadReg = -1;
  if (insn.imm & BPF_FETCH) {
    loadReg = insn.imm === BPF_CMPXCHG ? 0 : insn.src;
    checkRegArg(env, loadReg, 'dst');
  }
  const bytes = bpfSizeBytes(size);
  // The read, then again into the fetch register (the fill), then the write.
  checkMemAccess(env, insn.dst, insn.off, bytes, 'read', -1, true, false, insn);
  if (loadReg >= 0) checkMemAccess(env, insn.dst, insn.off, bytes, 'read', loadReg, true, false, insn);
  checkMemAccess(env, insn.dst, insn.off, bytes, 'write', -1, true, false, insn);
}
