// State equivalence for pruning and loop detection: states_equal() with regsafe(),
// stacksafe() and refsafe(), and is_state_visited()'s checkpoint bookkeeping (branch
// counts, hit/miss eviction, infinite-loop detection, may_goto iterations, loops as
// strongly connected components with backedges).
//
// As in Linux, an explored state's imprecise scalars match anything (precision.ts marks
// the ones a decision depended on), registers are compared only where live (live.ts).
// Not modelled yet: the 6.18 stack liveness analysis (kernel/bpf/liveness.c), which lets
// Linux ignore dead stack slots too; bpfsim compares every slot the explored state used,
// so it prunes a little less (about 1-2% more instructions on large programs).
import type { Env } from './env';
import type { SccVisit } from './env';
import { BPF_COMPLEXITY_LIMIT_STATES, VerifyError, fail } from './env';
import { frameStateStr } from './log';
import type { RegState } from './reg';
import { addConstFlags, baseId, unknownReg } from './reg';
import type { Checkpoint, FuncState, StackSlot, VerifierState } from './state';
import { BPF_REG_SIZE, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, checkpointState, cloneState, isSpilledReg } from './state';
import { markAllScalarsImprecise, markAllScalarsPreciseFrom, markChainPrecision, pushJmpHistory } from './precision';
import type { Tnum } from './scalar/types';

export type ExactLevel = 'NOT_EXACT' | 'EXACT' | 'RANGE_WITHIN';

/** struct bpf_idmap: ids of the old state mapped to ids of the current one, as pairs
 * (struct bpf_id_pair) searched in order; one scratch map is reset per comparison. */
class IdMap {
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  /** Pairs in use (the first cnt of olds/curs). */
  private cnt = 0;
  private tmp: number;
  constructor(idGen: number) {
    this.tmp = idGen;
  }
  /** reset_idmap_scratch() */
  reset(idGen: number): this {
    this.cnt = 0;
    this.tmp = idGen;
    return this;
  }
  /** check_ids() */
  check(oldId: number, curId: number): boolean {
    if (!!oldId !== !!curId) return false;
    if (oldId === 0) return true;
    const olds = this.olds;
    const n = this.cnt;
    for (let i = 0; i < n; i++) if (olds[i] === oldId) return this.curs[i] === curId;
    olds[n] = oldId;
    this.curs[n] = curId;
    this.cnt = n + 1;
    return true;
  }
  /** check_scalar_ids(): an old scalar without an id relied on no link; a current one
   * without an id gets a fresh one, so two unlinked registers cannot pass for a linked
   * pair. A linked-with-delta id must map consistently with its base id too. */
  checkScalar(oldId: number, curId: number): boolean {
    if (!oldId) return true;
    curId = curId || ++this.tmp;
    if (!this.check(oldId, curId)) return false;
    if (addConstFlags(oldId)) return this.check(baseId(oldId), baseId(curId));
    return true;
  }
}

/** env->idmap_scratch: verification is synchronous, so one map serves every comparison. */
const idmapScratch = new IdMap(0);

/** tnum_in(a, b): every value b may hold, a may hold too. */
const tnumIn = (a: Tnum, b: Tnum): boolean => (b.mask & ~a.mask) === 0n && (b.value & ~a.mask) === a.value;

/** range_within() */
function rangeWithin(o: RegState, c: RegState): boolean {
  return (
    o.umin <= c.umin &&
    o.umax >= c.umax &&
    o.smin <= c.smin &&
    o.smax >= c.smax &&
    o.u32min <= c.u32min &&
    o.u32max >= c.u32max &&
    o.s32min <= c.s32min &&
    o.s32max >= c.s32max
  );
}

/** The fields before `var_off` in struct bpf_reg_state: type with its flags, off, and the union. */
function sameHead(o: RegState, c: RegState): boolean {
  return (
    o.type === c.type &&
    o.maybeNull === c.maybeNull &&
    o.rdonly === c.rdonly &&
    o.untrusted === c.untrusted &&
    o.ringbuf === c.ringbuf &&
    o.off === c.off &&
    o.map === c.map &&
    o.memSize === c.memSize &&
    o.range === c.range &&
    o.subprogno === c.subprogno &&
    o.btfName === c.btfName
  );
}

/** var_off and the bounds are the same. */
function sameNumbers(o: RegState, c: RegState): boolean {
  return (
    o.varOff.value === c.varOff.value &&
    o.varOff.mask === c.varOff.mask &&
    o.smin === c.smin &&
    o.smax === c.smax &&
    o.umin === c.umin &&
    o.umax === c.umax &&
    o.s32min === c.s32min &&
    o.s32max === c.s32max &&
    o.u32min === c.u32min &&
    o.u32max === c.u32max
  );
}

/** regs_exact() */
function regsExact(o: RegState, c: RegState, idmap: IdMap): boolean {
  return (
    sameHead(o, c) &&
    sameNumbers(o, c) &&
    o.frameno === c.frameno &&
    idmap.check(o.id, c.id) &&
    idmap.check(o.refObjId, c.refObjId)
  );
}

/** regsafe(). allPrecise: an unprivileged verifier's scalars are all precise (Linux's
 * __mark_reg_unknown() sets reg->precise = !env->bpf_capable, and __mark_chain_precision()
 * does nothing then), so none of them matches "anything". */
function regsafe(o: RegState, c: RegState, idmap: IdMap, exact: ExactLevel, allPrecise: boolean): boolean {
  if (exact === 'EXACT') return regsExact(o, c, idmap);
  if (o.type === 'NOT_INIT' && (exact === 'NOT_EXACT' || c.type === 'NOT_INIT')) return true;
  if (o.type !== c.type || o.maybeNull !== c.maybeNull || o.rdonly !== c.rdonly || o.ringbuf !== c.ringbuf) return false;
  switch (o.type) {
    case 'SCALAR_VALUE':
      // Only what the explored path needed precise must be covered exactly.
      if (!o.precise && !allPrecise && exact === 'NOT_EXACT') return true;
      // BPF_ADD_CONST32 and 64 link differently: the flags must match exactly; linked
      // offsets too.
      if (o.id && addConstFlags(o.id) !== addConstFlags(c.id)) return false;
      if (addConstFlags(o.id) && o.off !== c.off) return false;
      if (!idmap.checkScalar(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'PTR_TO_MAP_KEY':
    case 'PTR_TO_MAP_VALUE':
    case 'PTR_TO_MEM':
      return sameHead(o, c) && rangeWithin(o, c) && tnumIn(o.varOff, c.varOff) && idmap.check(o.id, c.id) && idmap.check(o.refObjId, c.refObjId);
    case 'PTR_TO_PACKET_META':
    case 'PTR_TO_PACKET':
      // A negative range marks "at/beyond pkt_end" ([BEYOND|AT]_PKT_END): exact match only.
      if (o.range < 0 || c.range < 0) {
        if (o.range !== c.range) return false;
      } else if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!idmap.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.varOff, c.varOff);
    case 'PTR_TO_STACK':
      return regsExact(o, c, idmap) && o.frameno === c.frameno;
    default:
      return regsExact(o, c, idmap);
  }
}

/** An unbounded scalar standing for a slot of all-MISC bytes (unbound_reg). */
const UNBOUND = unknownReg();

/** scalar_reg_for_stack() */
function scalarRegForStack(env: Env, s: StackSlot): RegState | undefined {
  if (s.slotType[0] === STACK_SPILL && s.spilled.type === 'SCALAR_VALUE') return s.spilled;
  if (s.slotType.every((t) => t === STACK_MISC || (t === STACK_INVALID && env.privileged))) return UNBOUND;
  return undefined;
}

/** stacksafe(): every slot the explored state relied on is at least as good now. */
function stacksafe(env: Env, old: FuncState, cur: FuncState, idmap: IdMap, exact: ExactLevel): boolean {
  const oldBytes = old.stack.length * BPF_REG_SIZE;
  const curBytes = cur.stack.length * BPF_REG_SIZE;
  for (let i = 0; i < oldBytes; i++) {
    const spi = Math.floor(i / BPF_REG_SIZE);
    const b = i % BPF_REG_SIZE;
    const os = old.stack[spi]!;
    const cs = cur.stack[spi];
    const ot = os.slotType[b]!;
    if (exact !== 'NOT_EXACT' && (i >= curBytes || ot !== cs!.slotType[b])) return false;
    if (ot === STACK_INVALID) continue;
    if (env.privileged && ot === STACK_MISC) continue;
    if (i >= curBytes) return false;
    const oreg = scalarRegForStack(env, os);
    const creg = scalarRegForStack(env, cs!);
    if (oreg && creg) {
      if (!regsafe(oreg, creg, idmap, exact, !env.privileged)) return false;
      i += BPF_REG_SIZE - 1 - b;
      continue;
    }
    const ct = cs!.slotType[b]!;
    if (ot === STACK_MISC && ct === STACK_ZERO) continue;
    if (ot !== ct) return false;
    if (b !== BPF_REG_SIZE - 1) continue;
    if (os.slotType[BPF_REG_SIZE - 1] === STACK_SPILL && !regsafe(os.spilled, cs!.spilled, idmap, exact, !env.privileged)) return false;
  }
  return true;
}

/** refsafe() */
function refsafe(old: VerifierState, cur: VerifierState, idmap: IdMap): boolean {
  if (old.refs.length !== cur.refs.length) return false;
  return old.refs.every((id, i) => idmap.check(id, cur.refs[i]!));
}

/** frame_insn_idx(): where frame i of a state is (its callee's call site, or the state's insn). */
const frameInsnIdx = (st: VerifierState, i: number): number => (i === st.curframe ? st.insnIdx : st.frames[i + 1]!.callsite);

/** states_equal() */
export function statesEqual(env: Env, old: VerifierState, cur: VerifierState, exact: ExactLevel): boolean {
  if (old.curframe !== cur.curframe) return false;
  const idmap = idmapScratch.reset(env.idGen);
  if (!refsafe(old, cur, idmap)) return false;
  for (let i = 0; i <= old.curframe; i++) {
    const of = old.frames[i]!;
    const cf = cur.frames[i]!;
    if (of.callsite !== cf.callsite) return false;
    const live = env.liveRegsBefore[frameInsnIdx(old, i)]!;
    for (let r = 0; r < 11; r++) if (live & (1 << r) && !regsafe(of.regs[r]!, cf.regs[r]!, idmap, exact, !env.privileged)) return false;
    if (!stacksafe(env, of, cf, idmap, exact)) return false;
  }
  return true;
}

/** states_maybe_looping(): the registers of the current frame are byte-for-byte the same. */
function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.curframe !== cur.curframe) return false;
  const fo = old.frames[old.curframe]!.regs;
  const fc = cur.frames[cur.curframe]!.regs;
  // The fields before frameno compared as they are (memcmp): ids equal, not mapped.
  for (let i = 0; i < fo.length; i++) {
    const o = fo[i]!;
    const c = fc[i]!;
    if (o.id !== c.id || o.refObjId !== c.refObjId || !sameNumbers(o, c) || !sameHead(o, c) || o.frameno !== c.frameno) return false;
  }
  return true;
}

/** is_state_visited(): true when an explored state covers this one (prune the path). */
export function isStateVisited(env: Env, insnIdx: number): boolean {
  const cur = env.cur;
  const force = env.forceCheckpoints.has(insnIdx) || cur.jmpHistory.length > 40;
  let addNewState = force || (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.insnProcessed - env.prevInsnProcessed >= 8);
  const mayGoto = env.forceCheckpoints.has(insnIdx);
  let list = env.explored[insnIdx];
  let statesCnt = 0;
  for (let k = 0; list !== undefined && k < list.length; ) {
    const sl = list[k]!;
    statesCnt++;
    let hit = false;
    let loop = false;
    if (sl.branches > 0) {
      // A state on the current path. At may_goto, another iteration that is no wider is
      // covered (the runtime bounds the loop); elsewhere reaching it again unchanged is an
      // infinite loop.
      if (mayGoto && sl.state.mayGotoDepth !== cur.mayGotoDepth && statesEqual(env, sl.state, cur, 'RANGE_WITHIN')) hit = loop = true;
      else {
        if (statesMaybeLooping(sl.state, cur) && statesEqual(env, sl.state, cur, 'EXACT') && sl.state.mayGotoDepth === cur.mayGotoDepth) {
          const sentence = `infinite loop detected at insn ${insnIdx}`;
          env.verbose(`${sentence}\ncur state:${frameStateStr(env.frame)}\nold state:${frameStateStr(sl.state.frames[cur.curframe]!)}\n`);
          throw new VerifyError('EINVAL', sentence, true, true);
        }
        if (!force && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.insnProcessed - env.prevInsnProcessed < 100) addNewState = false;
      }
    } else {
      // Inside a loop whose precision marks are not final yet, compare as if all precise.
      loop = incompleteReadMarks(env, sl.state);
      if (statesEqual(env, sl.state, cur, loop ? 'RANGE_WITHIN' : 'NOT_EXACT')) hit = true;
    }
    if (hit) {
      sl.hitCnt++;
      if (env.jmpPoints.has(insnIdx)) pushJmpHistory(env);
      propagatePrecision(env, sl.state, cur);
      if (loop) {
        // Pruned inside a loop: remember it, to propagate marks again when the loop is done.
        const backedge = cloneState(cur);
        backedge.insnIdx = insnIdx;
        addSccBackedge(env, sl.state, backedge);
      }
      return true;
    }
    // miss: states that keep failing to match are dropped.
    if (addNewState) sl.missCnt++;
    const n = force && sl.branches > 0 ? 64 : 3;
    if (sl.missCnt > sl.hitCnt * n + n) {
      list.splice(k, 1);
      env.exploredStatesSize--;
    } else k++;
  }
  env.maxStatesPerInsn = Math.max(env.maxStatesPerInsn, statesCnt);
  if (!env.privileged && statesCnt > BPF_COMPLEXITY_LIMIT_STATES) return false;
  if (!addNewState) return false;
  env.totalStates++;
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.insnProcessed;
  // Precision is demanded afresh below each checkpoint (mark_all_scalars_imprecise).
  if (env.privileged) markAllScalarsImprecise(cur);
  const state = checkpointState(cur);
  state.insnIdx = insnIdx;
  const cp: Checkpoint = { state, branches: 1, hitCnt: 0, missCnt: 0 };
  cur.parent = cp;
  cur.firstInsnIdx = insnIdx;
  cur.jmpHistory = [];
  cur.dfsDepth = state.dfsDepth + 1;
  if (list === undefined) list = env.explored[insnIdx] = [];
  list.unshift(cp);
  env.exploredStatesSize++;
  updatePeakStates(env);
  maybeEnterScc(env, state);
  return false;
}

/** compute_scc_callchain(): the loop a state is in, with the call sites leading to it. */
function sccCallchain(env: Env, st: VerifierState): string | undefined {
  const sites: number[] = [];
  for (let i = 0; i <= st.curframe; i++) {
    const idx = frameInsnIdx(st, i);
    const scc = env.scc[idx]!;
    if (scc) return `(${sites.map((c) => `${c},`).join('')}${scc})`;
    if (i < st.curframe) sites.push(idx);
    else return undefined;
  }
  return undefined;
}

/** maybe_enter_scc(): the first checkpoint inside a loop marks the loop's entry. */
function maybeEnterScc(env: Env, st: VerifierState): void {
  const key = sccCallchain(env, st);
  if (!key) return;
  let visit = env.sccVisits.get(key);
  if (!visit) {
    visit = { key, entryState: undefined, backedges: [] };
    env.sccVisits.set(key, visit);
  }
  if (!visit.entryState) {
    visit.entryState = st;
    if (env.log.level >= 2) env.verbose(`SCC enter ${key}\n`);
  }
}

/** maybe_exit_scc(): the loop's entry is fully explored; its backedges' marks are final. */
function maybeExitScc(env: Env, st: VerifierState): void {
  const key = sccCallchain(env, st);
  if (!key) return;
  const visit = env.sccVisits.get(key);
  if (!visit || visit.entryState !== st) return;
  if (env.log.level >= 2) env.verbose(`SCC exit ${key}\n`);
  visit.entryState = undefined;
  env.numBackedges -= visit.backedges.length;
  updatePeakStates(env);
  propagateBackedges(env, visit);
}

/** incomplete_read_marks(): the state's loop still has backedges waiting. */
function incompleteReadMarks(env: Env, st: VerifierState): boolean {
  const key = sccCallchain(env, st);
  return !!key && !!env.sccVisits.get(key)?.backedges.length;
}

/** add_scc_backedge() */
function addSccBackedge(env: Env, equal: VerifierState, st: VerifierState): void {
  const key = sccCallchain(env, equal);
  const visit = key ? env.sccVisits.get(key) : undefined;
  if (!visit) fail('EFAULT', `verifier bug: add backedge: no visit info for insn ${st.insnIdx}`);
  if (env.log.level >= 2) env.verbose(`SCC backedge ${key}\n`);
  visit!.backedges.unshift({ state: st, equal });
  env.numBackedges++;
  updatePeakStates(env);
}

/** propagate_backedges(): precision marks of the states that covered pruned loop paths go
 * to those paths' parents, until nothing changes (at most 64 rounds, then all precise). */
function propagateBackedges(env: Env, visit: SccVisit): void {
  for (let i = 0; ; i++) {
    if (i > 64) {
      if (env.log.level >= 2) env.verbose('propagate_backedges: too many iterations\n');
      for (const b of visit.backedges) markAllScalarsPreciseFrom(env, b.state);
      break;
    }
    let changed = false;
    for (const b of visit.backedges) if (propagatePrecision(env, b.equal, b.state)) changed = true;
    if (!changed) break;
  }
  visit.backedges = [];
}

/** update_peak_states() */
function updatePeakStates(env: Env): void {
  env.peakStates = Math.max(env.peakStates, env.statesOfEarlierPasses + env.exploredStatesSize + env.numBackedges);
}

/** propagate_precision(): what the covering state needed precise, the current path needs too. */
function propagatePrecision(env: Env, old: VerifierState, cur: VerifierState): boolean {
  const regs: { frameno: number; regno: number }[] = [];
  const slots: { frameno: number; spi: number }[] = [];
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr]!;
    const names: string[] = [];
    f.regs.forEach((r, i) => {
      if (i >= 10 || r.type !== 'SCALAR_VALUE' || !r.precise) return;
      regs.push({ frameno: fr, regno: i });
      names.push(`r${i}`);
    });
    f.stack.forEach((slot, spi) => {
      if (!isSpilledReg(slot) || slot.spilled.type !== 'SCALAR_VALUE' || !slot.spilled.precise) return;
      slots.push({ frameno: fr, spi });
      names.push(`fp${-(spi + 1) * BPF_REG_SIZE}`);
    });
    if (names.length && env.log.level >= 2) env.verbose(`frame ${fr}: propagating ${names.join(',')}\n`);
  }
  return markChainPrecision(env, { regs, slots }, cur);
}

/** find_prev_entry(): the checkpoint at this instruction on the path of `cur` (a loop). */
export function findPrevEntryFor(env: Env, cur: VerifierState, insnIdx: number): VerifierState | undefined {
  for (const sl of env.explored[insnIdx] ?? []) {
    const st = sl.state;
    if (st.insnIdx === insnIdx && sl.branches > 0 && sameCallsites(st, cur) && st.dfsDepth < cur.dfsDepth) return st;
  }
  return undefined;
}

const sameCallsites = (a: VerifierState, b: VerifierState): boolean =>
  a.curframe === b.curframe && a.frames.every((f, i) => f.callsite === b.frames[i]!.callsite);

/** widen_imprecise_scalars(): scalars that change from one may_goto iteration to the next
 * and that nothing needed precise become unknown, so the iterations converge. */
export function widenImpreciseScalars(old: VerifierState, cur: VerifierState, privileged = true): void {
  if (!privileged) return; // every scalar is precise (see regsafe)
  const idmap = new IdMap(0);
  const widen = (o: RegState, c: RegState): RegState => {
    if (o.type !== 'SCALAR_VALUE' || c.type !== o.type) return c;
    if (o.precise || c.precise || regsExact(o, c, idmap)) return c;
    return unknownReg();
  };
  for (let fr = old.curframe; fr >= 0; fr--) {
    const fo = old.frames[fr]!;
    const fc = cur.frames[fr]!;
    for (let i = 0; i < 11; i++) fc.regs[i] = widen(fo.regs[i]!, fc.regs[i]!);
    const n = Math.min(fo.stack.length, fc.stack.length);
    for (let i = 0; i < n; i++) {
      if (!isSpilledReg(fo.stack[i]!) || !isSpilledReg(fc.stack[i]!)) continue;
      fc.stack[i]!.spilled = widen(fo.stack[i]!.spilled, fc.stack[i]!.spilled);
    }
  }
}


/** update_branch_counts(): a path ended; checkpoints with no live descendants are complete. */
export function updateBranchCounts(env: Env): void {
  let cp = env.cur.parent;
  while (cp) {
    cp.branches--;
    if (cp.branches > 0) break;
    maybeExitScc(env, cp.state);
    cp = cp.state.parent;
  }
}
