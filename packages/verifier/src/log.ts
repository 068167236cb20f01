// The verifier log in the kernel's format (kernel/bpf/log.c): instruction lines
// `N: (code) text`, register/stack state lines `R1=ctx() R10=fp0 fp-8=mmmmmmmm`, and the
// error sentences. Level 1 prints each processed instruction and changed state; level 2
// also prints the whole state at each branch ("from X to Y:").
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, U32_MAX, U64_MAX, asUintN, asIntN, big } from './scalar/int';
import { tnumIsConst, tnumIsUnknown, tnumStr } from './scalar';
import type { RegState } from './reg';
import { addConstFlags, baseId, regTypeStr } from './reg';
import type { FuncState } from './state';
import { BPF_REG_SIZE, SLOT_CHAR, STACK_INVALID, STACK_SPILL } from './state';

/** Values that print in decimal (is_unum_decimal / is_snum_decimal). */
const unum = (v: bigint): string => (v <= 65535n ? `${v}` : `0x${v.toString(16)}`);
const snum = (v: bigint): string => (v >= -32768n && v <= 32767n ? `${v}` : `0x${asUintN(64, v).toString(16)}`);

/** print_scalar_ranges(): the bounds that say something, equal ones merged (`smin=smin32=0`). */
function scalarRanges(r: RegState): string[] {
  const s32hex = (v: bigint): bigint => (v >= -32768n && v <= 32767n ? v : asUintN(32, v));
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    { name: 'smin32', val: s32hex(r.s32min), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: s32hex(r.s32max), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i]!;
    if (m1.omit) continue;
    const neg1 = m1.name[0] === 's' && m1.val < 0n;
    let names = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j]!;
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === 's' && m2.val < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      names += `${m2.name}=`;
    }
    out.push(names + (m1.name[0] === 's' ? snum(m1.val) : unum(m1.val)));
  }
  return out;
}

/** print_reg_state() */
export function regStateStr(r: RegState, frameno: number): string {
  if (r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff)) return (r.precise ? 'P' : '') + snum(asIntN(64, r.varOff.value));
  let s = (r.type === 'SCALAR_VALUE' && r.precise ? 'P' : '') + regTypeStr(r) + (r.type === 'PTR_TO_BTF_ID' && r.btfName ? r.btfName : '');
  if (r.type === 'PTR_TO_STACK') {
    if (frameno !== r.frameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(asIntN(64, r.varOff.value) + big(r.off));
  }
  const attrs: string[] = [];
  if (r.id) attrs.push(`id=${baseId(r.id)}` + (addConstFlags(r.id) ? (r.off >= 0 ? `+${r.off}` : `${r.off}`) : ''));
  if (r.refObjId) attrs.push(`ref_obj_id=${r.refObjId}`);
  if ((r.type === 'CONST_PTR_TO_MAP' || r.type === 'PTR_TO_MAP_VALUE' || r.type === 'PTR_TO_MAP_KEY') && r.map) {
    if (r.map.name) attrs.push(`map=${r.map.name}`);
    attrs.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  }
  if (r.type !== 'SCALAR_VALUE' && r.off) attrs.push(`off=${snum(big(r.off))}`);
  if (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META') attrs.push(`r=${unum(BigInt.asUintN(64, big(r.range)))}`);
  if (r.type === 'PTR_TO_MEM') attrs.push(`sz=${unum(big(r.memSize))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) attrs.push(`imm=${snum(asIntN(64, r.varOff.value))}`);
  } else {
    attrs.push(...scalarRanges(r));
    if (!tnumIsUnknown(r.varOff)) attrs.push(`var_off=${tnumStr(r.varOff)}`);
  }
  return `${s}(${attrs.join(',')})`;
}

/** print_verifier_state() for one frame: ` R1=ctx() R10=fp0 fp-8=mmmmmmmm`. */
export function frameStateStr(f: FuncState, regsFilter?: (i: number) => boolean, slotsFilter?: (spi: number) => boolean): string {
  let out = f.frameno ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.type === 'NOT_INIT') return;
    if (regsFilter && !regsFilter(i)) return;
    out += ` R${i}=${regStateStr(r, f.frameno)}`;
  });
  f.stack.forEach((slot, spi) => {
    if (slotsFilter && !slotsFilter(spi)) return;
    if (slot.slotType.every((t) => t === STACK_INVALID)) return;
    let types = slot.slotType.map((t) => SLOT_CHAR[t]).join('');
    const name = ` fp${-(spi + 1) * BPF_REG_SIZE}=`;
    if (slot.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) {
      const first = slot.slotType.indexOf(STACK_SPILL);
      types = types.slice(0, first);
      out += name + types + regStateStr(slot.spilled, f.frameno);
    } else {
      out += name + types;
    }
  });
  return out;
}

/** The log buffer: levels as BPF_LOG_LEVEL1 / BPF_LOG_LEVEL2. Positions let the verifier
 * rewind it (bpf_vlog_reset): at level 1 the log of every path that verified is dropped
 * when the next branch is popped, so what remains leads to the error. */
export class VerifierLog {
  /** Chunks as written; rewinding drops or trims the last ones (no whole-log copies). */
  private readonly parts: string[] = [];
  private length = 0;
  constructor(readonly level: 0 | 1 | 2) {}

  get enabled(): boolean {
    return this.level > 0;
  }

  /** log->end_pos */
  get endPos(): number {
    return this.length;
  }

  write(text: string): void {
    this.parts.push(text);
    this.length += text.length;
  }

  /** bpf_vlog_reset() */
  reset(pos: number): void {
    while (this.length > pos) {
      const last = this.parts.pop()!;
      this.length -= last.length;
      if (this.length < pos) {
        this.parts.push(last.slice(0, pos - this.length));
        this.length = pos;
      }
    }
  }

  text(): string {
    return this.parts.join('');
  }
}

/** vlog_alignment(): where `; state` annotations start after an instruction line. */
export function vlogAlignment(pos: number): number {
  const MIN = 8;
  const ALIGN = 40;
  const x = Math.max(pos + MIN / 2, ALIGN);
  return Math.ceil(x / MIN) * MIN - pos - 1;
}
