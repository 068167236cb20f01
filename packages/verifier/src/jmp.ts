// Conditional jumps: check_cond_jmp_op() with is_branch_taken(), reg_set_min_max(), linked
// scalars, NULL checks of maybe-NULL pointers (mark_ptr_or_null_regs) and packet range
// discovery from comparisons with pkt_end (try_match_pkt_pointers).
import type { Insn } from '@bpfsim/isa';
import {
  BPF_CLASS,
  BPF_JCOND,
  BPF_MAP_TYPE,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JMP,
  BPF_JMP32,
  BPF_JNE,
  BPF_MAY_GOTO,
  BPF_OP,
  BPF_SRC,
  BPF_X,
} from '@bpfsim/isa';
import type { Env } from './env';
import { fail } from './env';
import { printInsnState } from './print';
import { markChainPrecision, pushJmpHistory } from './precision';
import { findPrevEntryFor, widenImpreciseScalars } from './prune';
import type { RegState } from './reg';
import { BPF_ADD_CONST, BPF_ADD_CONST32, addConstFlags, baseId, clearScalarId, cloneReg, immOperand, immReg, isPktPointerAny, knownReg } from './reg';
import { flipOpcode, isBranchTaken, regBoundsSync, regSetMinMax, scalarAddConst, tnumIsConst, zext32To64 } from './scalar';
import { isSpilledReg } from './state';
import { checkRegArg } from './regs';
import type { VerifierState } from './state';
import { big } from './scalar/int';

const MAX_PACKET_OFF = 0xffff;
/** Negative packet ranges: the pointer is beyond pkt_end, or at it. */
// The values Linux gives them (the log prints -2 as r=0xfffffffffffffffe).
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;

/** Every register and spilled register of every frame (bpf_for_each_reg_in_vstate). */
function* allRegs(st: VerifierState): Generator<RegState> {
  for (const f of st.frames) {
    yield* f.regs;
    for (const s of f.stack) if (s.slotType[7] === 1) yield s.spilled;
  }
}

/** reg_not_null(): pointer types that are never NULL. */
function regNotNull(r: RegState): boolean {
  if (r.maybeNull) return false;
  return ['PTR_TO_SOCKET', 'PTR_TO_TCP_SOCK', 'PTR_TO_MAP_VALUE', 'PTR_TO_MAP_KEY', 'PTR_TO_SOCK_COMMON', 'PTR_TO_MEM', 'CONST_PTR_TO_MAP'].includes(r.type);
}

const isConst = (r: RegState, is32: boolean): boolean =>
  r.type === 'SCALAR_VALUE' && (is32 ? tnumIsConst({ value: r.varOff.value & 0xffffffffn, mask: r.varOff.mask & 0xffffffffn }) : tnumIsConst(r.varOff));
const constValue = (r: RegState, is32: boolean): bigint => (is32 ? r.varOff.value & 0xffffffffn : r.varOff.value);

/** is_pkt_ptr_branch_taken() */
function pktBranchTaken(dst: RegState, src: RegState, op: number): number {
  let pkt: RegState;
  if (src.type === 'PTR_TO_PACKET_END') pkt = dst;
  else if (dst.type === 'PTR_TO_PACKET_END') {
    pkt = src;
    op = flipOpcode(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case BPF_JLE:
    case BPF_JGT:
      if (pkt.range === BEYOND_PKT_END) return op === BPF_JGT ? 1 : 0;
      break;
    case BPF_JLT:
    case BPF_JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === BPF_JGE ? 1 : 0;
      break;
  }
  return -1;
}

/** is_branch_taken(): 1 or 0 when known, -1 otherwise. */
function branchTaken(a: RegState, b: RegState, op: number, is32: boolean): number {
  if (isPktPointerAny(a) && isPktPointerAny(b) && !is32) return pktBranchTaken(a, b, op);
  if (a.type !== 'SCALAR_VALUE' || b.type !== 'SCALAR_VALUE') {
    let r1 = a;
    let r2 = b;
    if (!isConst(r2, is32)) {
      op = flipOpcode(op);
      [r1, r2] = [r2, r1];
    }
    if (!isConst(r2, is32)) return -1;
    if (!regNotNull(r1)) return -1;
    if (constValue(r2, is32) !== 0n) return -1;
    return op === BPF_JEQ ? 0 : op === BPF_JNE ? 1 : -1;
  }
  return isBranchTaken(a, b, op, is32);
}

/** find_good_pkt_pointers(): copies of `dst` (same id) are proven in range up to its offset. */
function findGoodPktPointers(st: VerifierState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > big(MAX_PACKET_OFF) || dst.umax + big(dst.off) > big(MAX_PACKET_OFF)) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  for (const r of allRegs(st)) if (r.type === dst.type && r.id === dst.id) r.range = Math.max(r.range, newRange);
}

/** mark_pkt_end() */
function markPktEnd(st: VerifierState, regno: number, rangeOpen: boolean): void {
  const r = st.frames[st.curframe]!.regs[regno]!;
  if (r.type !== 'PTR_TO_PACKET') return;
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

const isInitPkt = (r: RegState, type: string): boolean => r.type === type && r.id === 0 && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** try_match_pkt_pointers(): a comparison of a packet pointer with pkt_end (or meta with data). */
function matchPktPointers(insn: Insn, dst: RegState, src: RegState, thisSt: VerifierState, otherSt: VerifierState): boolean {
  if (BPF_SRC(insn.code) !== BPF_X || BPF_CLASS(insn.code) === BPF_JMP32) return false;
  const otherRegs = otherSt.frames[otherSt.curframe]!.regs;
  const pktVsEnd = (dst.type === 'PTR_TO_PACKET' && src.type === 'PTR_TO_PACKET_END') || (dst.type === 'PTR_TO_PACKET_META' && isInitPkt(src, 'PTR_TO_PACKET'));
  const endVsPkt = (dst.type === 'PTR_TO_PACKET_END' && src.type === 'PTR_TO_PACKET') || (isInitPkt(dst, 'PTR_TO_PACKET') && src.type === 'PTR_TO_PACKET_META');
  const op = BPF_OP(insn.code);
  // The pointer register in each branch state (this branch holds `dst`/`src` itself).
  const good = (st: VerifierState, which: 'dst' | 'src', open: boolean): void =>
    findGoodPktPointers(st, which === 'dst' ? (st === thisSt ? dst : otherRegs[insn.dst]!) : st === thisSt ? src : otherRegs[insn.src]!, open);
  switch (op) {
    case BPF_JGT:
      if (pktVsEnd) {
        good(thisSt, 'dst', false);
        markPktEnd(otherSt, insn.dst, true);
      } else if (endVsPkt) {
        good(otherSt, 'src', true);
        markPktEnd(thisSt, insn.src, false);
      } else return false;
      return true;
    case BPF_JLT:
      if (pktVsEnd) {
        good(otherSt, 'dst', true);
        markPktEnd(thisSt, insn.dst, false);
      } else if (endVsPkt) {
        good(thisSt, 'src', false);
        markPktEnd(otherSt, insn.src, true);
      } else return false;
      return true;
    case BPF_JGE:
      if (pktVsEnd) {
        good(thisSt, 'dst', true);
        markPktEnd(otherSt, insn.dst, false);
      } else if (endVsPkt) {
        good(otherSt, 'src', false);
        markPktEnd(thisSt, insn.src, true);
      } else return false;
      return true;
    case BPF_JLE:
      if (pktVsEnd) {
        good(otherSt, 'dst', false);
        markPktEnd(thisSt, insn.dst, true);
      } else if (endVsPkt) {
        good(thisSt, 'src', true);
        markPktEnd(otherSt, insn.src, false);
      } else return false;
      return true;
  }
  return false;
}

/** mark_ptr_not_null_reg(): what a map lookup's result is once checked non-NULL: the
 * inner map of a map-in-map, a socket from a sockmap/sockhash or xskmap, else the value. */
function markPtrNotNull(r: RegState): void {
  r.maybeNull = false;
  if (r.type !== 'PTR_TO_MAP_VALUE' || !r.map) return;
  const t = r.map.type;
  if (t === BPF_MAP_TYPE.BPF_MAP_TYPE_ARRAY_OF_MAPS || t === BPF_MAP_TYPE.BPF_MAP_TYPE_HASH_OF_MAPS) {
    r.type = 'CONST_PTR_TO_MAP';
    r.map = r.map.inner ?? r.map;
  } else if (t === BPF_MAP_TYPE.BPF_MAP_TYPE_XSKMAP) {
    r.type = 'PTR_TO_XDP_SOCK';
  } else if (t === BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKMAP || t === BPF_MAP_TYPE.BPF_MAP_TYPE_SOCKHASH) {
    r.type = 'PTR_TO_SOCKET';
  }
}

/** mark_ptr_or_null_regs(): every copy (same id) of a maybe-NULL pointer, in one branch. */
function markPtrOrNullRegs(st: VerifierState, regno: number, isNull: boolean): void {
  const regs = st.frames[st.curframe]!.regs;
  const { id, refObjId } = regs[regno]!;
  if (refObjId && refObjId === id && isNull) st.refs = st.refs.filter((x) => x !== id);
  for (const f of st.frames) {
    const update = (r: RegState): RegState => {
      if (!r.maybeNull || r.id !== id) return r;
      if (isNull) return knownReg(0n);
      const c = cloneReg(r);
      markPtrNotNull(c);
      c.id = 0;
      return c;
    };
    f.regs = f.regs.map(update);
    for (const s of f.stack) if (s.slotType[7] === 1) s.spilled = update(s.spilled);
  }
}

/** One member of a linked set: a register or a spilled register (struct linked_reg). */
interface LinkedReg {
  frameno: number;
  isReg: boolean;
  /** regno or spi */
  index: number;
}

/** LINKED_REGS_MAX: members beyond it lose their id. */
const LINKED_REGS_MAX = 6;

/** collect_linked_regs(): live scalars (and spilled scalars) whose base id is `id`. */
function collectLinkedRegs(env: Env, st: VerifierState, id: number, set: LinkedReg[]): void {
  id = baseId(id);
  const add = (reg: RegState, frameno: number, index: number, isReg: boolean): void => {
    if (reg.type !== 'SCALAR_VALUE' || baseId(reg.id) !== id) return;
    if (set.length < LINKED_REGS_MAX) set.push({ frameno, isReg, index });
    else clearScalarId(reg);
  };
  for (let i = st.curframe; i >= 0; i--) {
    const live = env.liveRegsBefore[i === st.curframe ? st.insnIdx : st.frames[i + 1]!.callsite]!;
    const f = st.frames[i]!;
    for (let j = 0; j < 10; j++) if (live & (1 << j)) add(f.regs[j]!, i, j, true);
    f.stack.forEach((slot, spi) => {
      if (isSpilledReg(slot)) add(slot.spilled, i, spi, false);
    });
  }
}

/** sync_linked_regs(): the members take the refined range of `known`, plus their delta. */
function syncLinkedRegs(st: VerifierState, known: RegState, set: readonly LinkedReg[]): void {
  for (const e of set) {
    const f = st.frames[e.frameno]!;
    const reg = e.isReg ? f.regs[e.index]! : f.stack[e.index]!.spilled;
    if (reg.type !== 'SCALAR_VALUE' || reg === known) continue;
    if (baseId(reg.id) !== baseId(known.id)) continue;
    // Mixed 32/64-bit links: the delta does not carry across widths.
    if (addConstFlags(reg.id ^ known.id) === BPF_ADD_CONST) continue;
    let next: RegState;
    if ((!addConstFlags(reg.id) && !addConstFlags(known.id)) || reg.off === known.off) {
      next = cloneReg(known);
    } else {
      // reg = known; reg += delta (keeping reg's own id and off)
      next = cloneReg(known);
      next.id = reg.id;
      next.off = reg.off;
      scalarAddConst(next, big(reg.off) - big(known.off));
      if (addConstFlags(reg.id | known.id) & BPF_ADD_CONST32) zext32To64(next);
      regBoundsSync(next);
    }
    if (e.isReg) f.regs[e.index] = next;
    else f.stack[e.index]!.spilled = next;
  }
}

/** check_cond_jmp_op(): returns the next instruction index. */
export function checkCondJmp(env: Env, insn: Insn, idx: number): number {
  const op = BPF_OP(insn.code);
  if (op === BPF_JCOND) {
    if (insn.code !== (BPF_JMP | BPF_JCOND) || insn.src !== BPF_MAY_GOTO || insn.dst || insn.imm) fail('EINVAL', `invalid may_goto imm ${insn.imm}`);
    // may_goto: the jump (the loop's way out) is explored first; the fall-through (another
    // iteration) later, one level deeper, with the scalars that changed since the previous
    // iteration's checkpoint and that nothing needed precise widened to unknown.
    const prev = env.cur.parent ? findPrevEntryFor(env, env.cur.parent.state, idx) : undefined;
    const queued = env.pushBranch(idx + 1, idx);
    queued.mayGotoDepth++;
    if (prev) widenImpreciseScalars(prev, queued, env.privileged);
    return idx + insn.off + 1;
  }
  checkRegArg(env, insn.dst, 'src');
  const regs = env.regs;
  const dst = regs[insn.dst]!;
  let src: RegState;
  if (BPF_SRC(insn.code) === BPF_X) {
    if (insn.imm !== 0) fail('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
    checkRegArg(env, insn.src, 'src');
    src = regs[insn.src]!;
    if (!(isPktPointerAny(dst) && isPktPointerAny(src)) && src.type !== 'SCALAR_VALUE' && !env.privileged) fail('EACCES', `R${insn.src} pointer comparison prohibited`);
  } else {
    if (insn.src !== 0) fail('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
    src = immOperand(insn.imm) as RegState;
  }
  // Comparisons of stack pointers are recorded, so backtracking does not follow them.
  const srcStack = BPF_SRC(insn.code) === BPF_X && src.type === 'PTR_TO_STACK';
  const dstStack = dst.type === 'PTR_TO_STACK';
  if (srcStack || dstStack) pushJmpHistory(env, { ...(srcStack ? { srcStack } : {}), ...(dstStack ? { dstStack } : {}) });
  const is32 = BPF_CLASS(insn.code) === BPF_JMP32;
  const pred = branchTaken(dst, src, op, is32);
  if (pred >= 0) {
    // The verifier relies on the values it predicted the branch from.
    if (dst.type === 'SCALAR_VALUE') markChainPrecision(env, insn.dst);
    if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE') markChainPrecision(env, insn.src);
  }
  const aux = env.aux[idx]!;
  aux.outcomes = (aux.outcomes ?? 0) | (pred === 1 ? 2 : pred === 0 ? 1 : 3);
  if (pred === 1) {
    logState(env);
    return idx + insn.off + 1;
  }
  if (pred === 0) {
    logState(env);
    return idx + 1;
  }
  const thisSt = env.cur;
  // Linked scalars are collected before the branch is pushed, so both branches use the set.
  const linked: LinkedReg[] = [];
  if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE' && src.id) collectLinkedRegs(env, thisSt, src.id, linked);
  if (dst.type === 'SCALAR_VALUE' && dst.id) collectLinkedRegs(env, thisSt, dst.id, linked);
  if (linked.length > 1) pushJmpHistory(env, { linked: linked.slice() });
  const otherSt = env.pushBranch(idx + insn.off + 1, idx);
  const otherRegs = otherSt.frames[otherSt.curframe]!.regs;
  if (BPF_SRC(insn.code) === BPF_X) {
    if (dst.type === 'SCALAR_VALUE' && src.type === 'SCALAR_VALUE') {
      // With the same register on both sides the copies must stay one object.
      if (insn.dst === insn.src) regSetMinMax(otherRegs[insn.dst]!, otherRegs[insn.src]!, dst, src, op, is32);
      else regSetMinMax(otherRegs[insn.dst]!, otherRegs[insn.src]!, dst, src, op, is32);
    }
  } else if (dst.type === 'SCALAR_VALUE') {
    regSetMinMax(otherRegs[insn.dst]!, immReg(insn.imm), dst, immReg(insn.imm), op, is32);
  }
  if (BPF_SRC(insn.code) === BPF_X && src.type === 'SCALAR_VALUE' && src.id) {
    syncLinkedRegs(thisSt, regs[insn.src]!, linked);
    syncLinkedRegs(otherSt, otherRegs[insn.src]!, linked);
  }
  if (dst.type === 'SCALAR_VALUE' && dst.id) {
    syncLinkedRegs(thisSt, regs[insn.dst]!, linked);
    syncLinkedRegs(otherSt, otherRegs[insn.dst]!, linked);
  }
  // One pointer maybe-NULL, the other not: equality proves non-NULL.
  if (!is32 && BPF_SRC(insn.code) === BPF_X && dst.type !== 'SCALAR_VALUE' && src.type !== 'SCALAR_VALUE' && src.maybeNull !== dst.maybeNull) {
    const eqRegs = op === BPF_JEQ ? otherRegs : op === BPF_JNE ? regs : undefined;
    if (eqRegs) markPtrNotNull(src.maybeNull ? eqRegs[insn.src]! : eqRegs[insn.dst]!);
  }
  if (!is32 && BPF_SRC(insn.code) !== BPF_X && insn.imm === 0 && (op === BPF_JEQ || op === BPF_JNE) && dst.maybeNull) {
    markPtrOrNullRegs(thisSt, insn.dst, op === BPF_JNE);
    markPtrOrNullRegs(otherSt, insn.dst, op === BPF_JEQ);
  } else if (!matchPktPointers(insn, dst, regs[insn.src]!, thisSt, otherSt) && dst.type !== 'SCALAR_VALUE' && !env.privileged) {
    fail('EACCES', `R${insn.dst} pointer comparison prohibited`);
  }
  logState(env);
  return idx + 1;
}

function logState(env: Env): void {
  if (env.log.enabled) printInsnState(env);
}
