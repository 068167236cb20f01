// Random eBPF programs for differential testing: every instruction class, loads and stores
// that mostly hit real memory (and sometimes miss), loops that may run out of budget,
// helper calls, bpf-to-bpf calls and tail calls. Structurally valid (prepareProgram accepts
// them), not verified: both engines must agree on whatever they do.
import type { Insn } from '@bpfsim/isa';
import {
  ATOMIC_RMW_OPS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_DW,
  BPF_END,
  BPF_EXIT,
  BPF_H,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LDX,
  BPF_LOAD_ACQ,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MOV,
  BPF_PSEUDO_CALL,
  BPF_ST,
  BPF_STORE_REL,
  BPF_STX,
  BPF_W,
  BPF_X,
  LD_IMM64,
  checkInsn,
  ldImm64,
} from '@bpfsim/isa';

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomProgramOptions {
  length: number;
  /** Include a bpf-to-bpf subprogram and calls to it. */
  subprog?: boolean;
  /** Helper ids the program may call. */
  helpers?: readonly number[];
  /** Emit bpf_tail_call (helper 12) with r2 loaded from this 64-bit map address. */
  tailCallMap?: bigint;
}

const INTERESTING = [0, 1, -1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xff, 0xffff, -2, 3];

export function randomProgram(seed: number, opts: RandomProgramOptions): Insn[] {
  const rand = rng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const imm32 = (): number => (rand() < 0.6 ? pick(INTERESTING) : (rand() * 4294967296) | 0);
  const reg = (): number => int(10); // r0..r9 (r10 is written only rarely, below)
  const anyReg = (): number => (rand() < 0.08 ? 10 : reg());
  const sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];

  const body = (n: number, isSub: boolean): { insns: Insn[]; jumps: number[] } => {
    const out: Insn[] = [];
    const jumps: number[] = []; // indexes of jumps whose off is fixed up below
    // Base pointers: the main program gets r1 = memory, r10 = frame; copy them around.
    while (out.length < n) {
      const k = rand();
      if (k < 0.3) {
        const cls = rand() < 0.5 ? BPF_ALU64 : BPF_ALU;
        let op = int(14) << 4;
        if (op === 0x80 && rand() < 0.5) op = 0xb0;
        const x = op !== 0x80 && rand() < 0.5;
        let off = 0;
        if ((op === 0x30 || op === 0x90) && rand() < 0.4) off = 1;
        if (op === 0xb0 && x && rand() < 0.3) off = pick(cls === BPF_ALU64 ? [8, 16, 32] : [8, 16]);
        let imm = x || op === 0x80 ? 0 : imm32();
        if (op === BPF_END) {
          imm = pick([16, 32, 64]);
          const code = cls === BPF_ALU64 ? BPF_ALU64 | BPF_END : BPF_ALU | BPF_END | (rand() < 0.5 ? BPF_X : BPF_K);
          out.push({ code, dst: reg(), src: 0, off: 0, imm });
          continue;
        }
        out.push({ code: cls | op | (x ? BPF_X : BPF_K), dst: rand() < 0.02 ? 10 : reg(), src: x ? anyReg() : 0, off, imm });
      } else if (k < 0.37) {
        const [a, b] = ldImm64(reg(), BigInt.asUintN(64, (BigInt(imm32()) << 32n) | BigInt(imm32() >>> 0)));
        out.push(a, b);
      } else if (k < 0.55) {
        // A load or store relative to r1 (memory), r10 (stack) or any register.
        // r1 is data memory and r3 a ctx with field hooks (in the differential test's world).
        const base = rand() < 0.35 ? 1 : rand() < 0.2 ? 3 : rand() < 0.75 ? 10 : anyReg();
        const size = base === 3 && rand() < 0.7 ? BPF_W : pick(sizes);
        const off = base === 10 ? -8 * (1 + int(64)) + (rand() < 0.1 ? int(16) - 8 : 0) : base === 3 ? pick([0, 0, 8, 4, 12]) : int(72) - 4;
        const kind = int(6);
        if (kind === 0) out.push({ code: BPF_LDX | BPF_MEM | size, dst: reg(), src: base, off, imm: 0 });
        else if (kind === 1 && size !== BPF_DW) out.push({ code: BPF_LDX | BPF_MEMSX | size, dst: reg(), src: base, off, imm: 0 });
        else if (kind === 2) out.push({ code: BPF_ST | BPF_MEM | size, dst: base, src: 0, off, imm: imm32() });
        else if (kind === 3) out.push({ code: BPF_STX | BPF_MEM | size, dst: base, src: anyReg(), off, imm: 0 });
        else if (kind === 4) {
          const w = rand() < 0.5 ? BPF_W : BPF_DW;
          out.push({ code: BPF_STX | BPF_ATOMIC | w, dst: base, src: reg(), off: off & ~(w === BPF_DW ? 7 : 3), imm: pick(ATOMIC_RMW_OPS) });
        } else {
          const acq = rand() < 0.5;
          out.push(acq ? { code: BPF_STX | BPF_ATOMIC | size, dst: reg(), src: base, off, imm: BPF_LOAD_ACQ } : { code: BPF_STX | BPF_ATOMIC | size, dst: base, src: reg(), off, imm: BPF_STORE_REL });
        }
      } else if (k < 0.62) {
        // Copy a pointer into another register, or move it along.
        out.push({ code: BPF_ALU64 | BPF_MOV | BPF_X, dst: reg(), src: rand() < 0.5 ? 1 : 10, off: 0, imm: 0 });
      } else if (k < 0.82) {
        const cls = rand() < 0.5 ? BPF_JMP : BPF_JMP32;
        const op = pick([0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
        const x = rand() < 0.5;
        jumps.push(out.length);
        out.push({ code: cls | op | (x ? BPF_X : BPF_K), dst: reg(), src: x ? anyReg() : 0, off: 0, imm: x ? 0 : imm32() });
      } else if (k < 0.85) {
        jumps.push(out.length);
        out.push(rand() < 0.7 ? { code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: 0, imm: 0 } : { code: BPF_JMP | BPF_JCOND, dst: 0, src: 0, off: 0, imm: 0 });
      } else if (k < 0.9 && opts.helpers?.length) {
        out.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: pick(opts.helpers) });
      } else if (k < 0.93 && opts.subprog && !isSub) {
        out.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: BPF_PSEUDO_CALL, off: 0, imm: -1 }); // fixed up below
      } else if (k < 0.95 && opts.tailCallMap !== undefined && !isSub) {
        const [a, b] = ldImm64(2, opts.tailCallMap);
        out.push(a, b, { code: BPF_ALU64 | BPF_MOV | BPF_K, dst: 3, src: 0, off: 0, imm: int(4) });
        out.push({ code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: 12 });
      } else if (k < 0.97) {
        out.push({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
      } else {
        out.push({ code: BPF_ALU64 | BPF_MOV | BPF_K, dst: reg(), src: 0, off: 0, imm: imm32() });
      }
    }
    out.push({ code: BPF_JMP | BPF_EXIT, dst: 0, src: 0, off: 0, imm: 0 });
    return { insns: out, jumps };
  };

  const main = body(opts.length, false);
  const sub = opts.subprog ? body(Math.max(4, opts.length >> 2), true) : undefined;
  const fix = (part: { insns: Insn[]; jumps: number[] }): void => {
    const starts: number[] = [];
    for (let i = 0; i < part.insns.length; i++) {
      starts.push(i);
      if (part.insns[i]!.code === LD_IMM64) i++;
    }
    for (const j of part.jumps) {
      // Mostly forward; sometimes back (loops, bounded by the budget).
      const forward = starts.filter((s) => s > j);
      const target = rand() < 0.8 || j === 0 ? pick(forward) : pick(starts.filter((s) => s <= j));
      part.insns[j]!.off = target - (j + 1);
    }
  };
  fix(main);
  if (sub) fix(sub);
  const insns = [...main.insns, ...(sub?.insns ?? [])];
  for (let i = 0; i < main.insns.length; i++) {
    const ins = insns[i]!;
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) ins.imm = main.insns.length - (i + 1);
  }
  for (let i = 0; i < insns.length; i++) {
    const why = checkInsn(insns, i);
    if (why) throw new Error(`generator made an invalid instruction at ${i}: ${why}`);
    if (insns[i]!.code === LD_IMM64) i++;
  }
  return insns;
}
