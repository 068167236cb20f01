// Random programs for every program type beyond socket filters and XDP (cgroup_skb,
// cgroup_sock and cgroup_sock_addr per attach type, sock_ops, sk_msg, raw and classic
// tracepoints): what each type's descriptor decides — which ctx fields may be read and
// written at which sizes and offsets for which expected_attach_type
// (*_is_valid_access()), which helpers it offers (get_func_proto()), and what R0 may be at
// exit (check_return_code()). One seed makes one program for the type and attach type it is
// given: r6 = ctx, r7 = a constant, a few ctx loads and stores (mostly at a field's offset
// and size, sometimes narrow, misaligned, out of the struct or to a field another attach
// type has), a helper call or two (offered or not, with the ctx or constants as arguments),
// and R0 set from a short list of values before the exit (or left unset).
import type { Insn } from '@bpfsim/isa';
import { Rng } from '@bpfsim/kernel';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';

/** BPF_LDX | BPF_MEM, BPF_STX | BPF_MEM, BPF_ST | BPF_MEM (size bits apart). */
const LDX_MEM = 0x61;
const STX_MEM = 0x63;
const ST_MEM = 0x62;
/** BPF_W, BPF_H, BPF_B, BPF_DW by byte size. */
const SIZE_BITS: Readonly<Record<number, number>> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
const MOV64_IMM = 0xb7;
const MOV64_REG = 0xbf;
const ADD64_IMM = 0x07;
const AND64_IMM = 0x57;
const CALL = 0x85;
const EXIT = 0x95;

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

export interface CtxProgram {
  id: string;
  /** enum bpf_prog_type */
  progType: number;
  /** expected_attach_type at load */
  attachType: number;
  insns: Insn[];
}

/** An offset and size to access: mostly a field's, sometimes anything. */
function access(r: Rng, d: ProgTypeDescriptor, write: boolean): { off: number; size: number } {
  const fields = d.fields.filter((f: CtxField) => (write ? f.write : f.read) !== false);
  const pool = fields.length && r.chance(0.8) ? fields : d.fields;
  if (pool.length && r.chance(0.85)) {
    const f = r.chance(0.9) ? pool[r.int(0, pool.length - 1)]! : d.fields[r.int(0, d.fields.length - 1)]!;
    const size = r.chance(0.7) ? (SIZE_BITS[f.size] !== undefined ? f.size : 4) : [1, 2, 4, 8][r.int(0, 3)]!;
    // Inside the field, aligned to the access (narrow loads), or its start.
    const within = size < f.size && r.chance(0.4) ? size * r.int(0, f.size / size - 1) : 0;
    return { off: f.off + within + (r.chance(0.05) ? 1 : 0), size };
  }
  const size = [1, 2, 4, 8][r.int(0, 3)]!;
  return { off: r.int(-8, d.ctxSize + 16), size };
}

const RETURNS = [0, 1, 2, 3, -1, -22, 0x7fffffff];

/**
 * The program of `seed` for type `d` with expected_attach_type `attachType`; `helperIds` are
 * ids to pick from besides the type's offers (so some calls are of helpers not offered).
 */
export function generateCtxProgram(d: ProgTypeDescriptor, attachType: number, seed: number, helperIds: readonly number[]): CtxProgram {
  const r = new Rng(seed ^ Math.imul(d.type + 1, 0x9e3779b1) ^ Math.imul(attachType + 1, 0x85ebca6b));
  const out: Insn[] = [ins(MOV64_REG, 6, 1, 0, 0), ins(MOV64_IMM, 7, 0, 0, r.int(-4, 300))];
  const loaded: number[] = [];
  const ops = r.int(1, 6);
  for (let i = 0; i < ops; i++) {
    const kind = r.int(0, 9);
    if (kind <= 4) {
      const { off, size } = access(r, d, false);
      const dst = r.int(2, 5);
      out.push(ins(LDX_MEM | SIZE_BITS[size]!, dst, 6, off, 0));
      loaded.push(dst);
      if (r.chance(0.3)) out.push(ins(r.chance(0.5) ? ADD64_IMM : AND64_IMM, dst, 0, 0, r.int(-2, 255)));
    } else if (kind <= 6) {
      const { off, size } = access(r, d, true);
      // A register store of r7 or of a loaded value, or (rarely) BPF_ST of an immediate.
      if (r.chance(0.1)) out.push(ins(ST_MEM | SIZE_BITS[size]!, 6, 0, off, r.int(0, 65535)));
      else out.push(ins(STX_MEM | SIZE_BITS[size]!, 6, loaded.length && r.chance(0.5) ? loaded[r.int(0, loaded.length - 1)]! : 7, off, 0));
    } else {
      const offered = d.helpers.filter((h) => !h.attachTypes || h.attachTypes.includes(attachType)).map((h) => h.id);
      const id = offered.length && r.chance(0.85) ? offered[r.int(0, offered.length - 1)]! : helperIds[r.int(0, helperIds.length - 1)]!;
      out.push(ins(MOV64_REG, 1, 6, 0, 0));
      for (let a = 2; a <= 5; a++) out.push(r.chance(0.5) ? ins(MOV64_IMM, a, 0, 0, r.int(0, 64)) : ins(MOV64_REG, a, r.chance(0.5) ? 10 : 6, 0, 0));
      out.push(ins(CALL, 0, 0, 0, id));
      loaded.length = 0;
    }
  }
  if (r.chance(0.95)) out.push(ins(MOV64_IMM, 0, 0, 0, RETURNS[r.int(0, RETURNS.length - 1)]!));
  out.push(ins(EXIT, 0, 0, 0, 0));
  return { id: `c:${d.name}:${attachType}:${seed}`, progType: d.type, attachType, insns: out };
}

/** The program types ctx programs are made for: all but socket filters and XDP (the
 * structured generator's), each with its load-time attach types (0 where it takes any). */
export function ctxProgramTypes(descriptors: readonly ProgTypeDescriptor[]): { desc: ProgTypeDescriptor; attachTypes: readonly number[] }[] {
  return descriptors.filter((d) => d.name !== 'socket_filter' && d.name !== 'xdp').map((desc) => ({ desc, attachTypes: desc.attachTypes ?? [0] }));
}
