// Per-run state shared by the engines and the helpers: the address space, the instruction
// budget, stack frames, the helper ABI's argument and return slots, and tail calls.
import { MAX_BPF_STACK } from '@bpfsim/isa';
import { invalidFault, memoryFault, VmFault } from './fault';
import type { Memory, Region, Resolved } from './memory';
import { REGION_LO_BASE, addressOf, toU64 } from './memory';
import type { PreparedProgram } from './program';

/** Frames a bpf-to-bpf call chain may use, the main program's included (MAX_CALL_FRAMES). */
export const MAX_CALL_FRAMES = 8;
/** Tail calls a run may make (MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALL_CNT = 33;
/** Default instructions a run may execute. */
export const DEFAULT_BUDGET = 1_000_000;
/** may_goto's allowance per frame (BPF_MAX_LOOPS). */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** The frame pointer's offset in a stack region: r10 points just past the frame. */
export const FP_LO = (REGION_LO_BASE + MAX_BPF_STACK) | 0;

/**
 * A helper: reads its arguments from `run.args` (r1..r5 as lo/hi pairs) and sets the return
 * value with `run.ret…`. It may fault by throwing what `run.fail…` builds.
 */
export type Helper = (run: ExecContext) => void;
export type HelperTable = readonly (Helper | undefined)[];

/** What a prog-array map offers a tail call: the program in a slot, if any. */
export interface TailCallMap {
  readonly maxEntries: number;
  tailCallTarget(index: number): unknown;
}

/**
 * Told of each instruction before the interpreter executes it (a debugger's single step):
 * `regs` is the current depth's register file, (lo, hi) int32 pairs of r0..r10. See trace.ts.
 */
export interface InsnTracer {
  insn(pc: number, depth: number, regs: Int32Array, C: ExecContext): void;
  /** A bpf_tail_call() jumped to `prog`: the pcs that follow are its own. */
  tailCall?(prog: PreparedProgram, C: ExecContext): void;
}

/** Thrown by LD_ABS/LD_IND when the packet is too short: the program ends returning 0. */
export class LdAbsExit extends Error {}

export interface ExecOptions {
  helpers?: HelperTable;
  budget?: number;
  /** What helpers need from the kernel (current task, socket…); opaque to the VM. */
  env?: unknown;
  /** The packet LD_ABS/LD_IND read (socket filters). */
  skbData?: Region | null;
}

export class ExecContext {
  /** memory.regions, read directly by the engines. */
  readonly R: (Region | undefined)[];
  readonly helpers: HelperTable;
  readonly budgetLimit: number;
  /** Instructions left; charged per basic block. */
  b: number;
  /** Current bpf-to-bpf depth (0 = main program). */
  depth = 0;
  /** High words of the stack region of each depth. */
  readonly fh = new Int32Array(MAX_CALL_FRAMES);
  /** The interpreter's register file of each depth (lo, hi pairs of r0..r10). */
  readonly regs: Int32Array[] = Array.from({ length: MAX_CALL_FRAMES }, () => new Int32Array(22));
  tailCalls = 0;
  /** r1..r5 at a helper call: lo, hi, lo, hi, … */
  readonly args = new Int32Array(10);
  /** r1..r5 for runCtx(): r1 is the ctx pointer, the rest stay 0. */
  readonly ctxArgs = new Int32Array(10);
  retLo = 0;
  retHi = 0;
  /** The high word of a 64-bit value a JIT-compiled function returns (the low word is its result). */
  rh = 0;
  /** Slot of the call being made, for faults raised by helpers. */
  pc = 0;
  env: unknown;
  skbData: Region | null;
  /** Set for a traced run: the interpreter calls it before every instruction, and runCtx()/
   * runIn() run on the interpreter whatever engine is asked for (the JIT cannot trace). */
  tracer: InsnTracer | undefined = undefined;
  private readonly frames: Region[] = [];

  constructor(
    readonly memory: Memory,
    options: ExecOptions = {},
  ) {
    this.R = memory.regions;
    this.helpers = options.helpers ?? [];
    this.budgetLimit = options.budget ?? DEFAULT_BUDGET;
    this.b = this.budgetLimit;
    this.env = options.env;
    this.skbData = options.skbData ?? null;
    for (let d = 0; d < MAX_CALL_FRAMES; d++) {
      const f = memory.alloc(MAX_BPF_STACK, { kind: 'stack', name: `stack frame ${d}` });
      this.frames.push(f);
      this.fh[d] = f.hi;
    }
  }

  /** Instructions executed so far (blocks entered, counted whole). */
  get insnCount(): number {
    return this.budgetLimit - this.b;
  }

  /** The stack region of a call depth. */
  frame(depth: number): Region {
    return this.frames[depth]!;
  }

  /**
   * Makes the context ready for another run: a fresh budget and counters. The stack keeps
   * what the last run left, as a kernel stack does.
   */
  reset(): void {
    this.b = this.budgetLimit;
    this.depth = 0;
    this.tailCalls = 0;
    this.retLo = this.retHi = this.rh = 0;
  }

  /** Returns the frames to the address space. */
  release(): void {
    for (const f of this.frames) this.memory.unmap(f);
  }

  // ---- helper-facing API -------------------------------------------------------------

  argLo(i: number): number {
    return this.args[2 * (i - 1)]!;
  }
  argHi(i: number): number {
    return this.args[2 * (i - 1) + 1]!;
  }
  /** Argument ri (1..5) as an unsigned 64-bit BigInt. */
  arg(i: number): bigint {
    return toU64(this.argHi(i), this.argLo(i));
  }
  argU32(i: number): number {
    return this.argLo(i) >>> 0;
  }
  /** Argument ri as a pointer to `size` bytes, or undefined when it points at no region. */
  argPtr(i: number, size: number): Resolved | undefined {
    return this.memory.resolve(this.argHi(i), this.argLo(i), size);
  }
  /** argPtr() that faults (as the kernel would oops) when the memory is not there. */
  argMem(i: number, size: number, write = false): Resolved {
    const r = this.argPtr(i, size);
    if (!r) throw memoryFault(this.pc, this.arg(i), size, write);
    if (write && !r.region.writable) throw memoryFault(this.pc, this.arg(i), size, true, true);
    return r;
  }

  ret(hi: number, lo: number): void {
    this.retHi = hi | 0;
    this.retLo = lo | 0;
  }
  retU64(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    this.ret(Number(BigInt.asIntN(32, u >> 32n)), Number(BigInt.asIntN(32, u)));
  }
  /** A small integer return value (negative errno, u32, …), sign-extended to 64 bits. */
  retInt(v: number): void {
    this.ret(v < 0 ? -1 : Math.floor(v / 4294967296), v);
  }
  retPtr(region: Region, offset = 0): void {
    this.ret(region.hi, region.lo(offset));
  }

  failArgs(why: string): VmFault {
    return new VmFault({ kind: 'helper-args', pc: this.pc, message: `insn ${this.pc}: ${why}` });
  }

  // ---- engine-facing operations ------------------------------------------------------

  /** bpf_tail_call(ctx, map, index): the program to continue with, or undefined to fall through. */
  tailCall(mapHi: number, mapLo: number, index: number): unknown {
    const r = this.memory.resolve(mapHi, mapLo, 0);
    const map = r?.region.object as TailCallMap | undefined;
    if (!map || typeof map.tailCallTarget !== 'function') throw invalidFault(this.pc, `bpf_tail_call: r2 (${addressOf(mapHi, mapLo, 0)}) is not a prog-array map`);
    // Mirrors the order of checks in bpf_tail_call: index, then the count, then the slot.
    if (index >>> 0 >= map.maxEntries) return undefined;
    if (this.tailCalls >= MAX_TAIL_CALL_CNT) return undefined;
    this.tailCalls++;
    return map.tailCallTarget(index >>> 0) ?? undefined;
  }

  /**
   * LD_ABS / LD_IND: big-endian load of `size` bytes at `offset` of the packet. A load the
   * packet cannot satisfy ends the program with r0 = 0, as bpf_skb_load_helper does.
   */
  ldAbs(offset: number, size: number): number {
    const skb = this.skbData;
    if (!skb || offset < 0 || offset + size > skb.size) throw new LdAbsExit();
    const v = skb.view;
    return size === 1 ? v.getUint8(offset) : size === 2 ? v.getUint16(offset, false) : v.getUint32(offset, false) | 0;
  }
}
