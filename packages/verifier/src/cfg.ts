// The checks before abstract interpretation, in bpf_check()'s order: subprograms
// (add_subprog_and_kfunc, check_subprogs), ld_imm64 and opcode sanity
// (resolve_pseudo_ldimm64), and the control-flow graph (check_cfg: every instruction
// reachable, no jump into the middle of ld_imm64, back edges only when privileged).
import type { Insn } from '@bpfsim/isa';
import {
  BPF_ABS,
  BPF_ATOMIC,
  BPF_B,
  BPF_CALL,
  BPF_CLASS,
  BPF_DW,
  BPF_EXIT,
  BPF_H,
  BPF_IND,
  BPF_JA,
  BPF_JCOND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_OP,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  BPF_ST,
  BPF_STX,
  BPF_W,
  LD_IMM64,
} from '@bpfsim/isa';
import type { MapInfo } from './api';
import type { Env } from './env';
import { fail } from './env';

/** bpf_opcode_in_insntable(): the opcodes Linux accepts (kernel/bpf/core.c's BPF_INSN_MAP). */
const INSNTABLE: ReadonlySet<number> = (() => {
  const s = new Set<number>();
  const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
  for (const cls of [0x04, 0x07]) for (const op of aluOps) for (const src of [0x00, 0x08]) s.add(cls | op | src);
  s.add(0x84).add(0x87); // NEG
  s.add(0xd4).add(0xdc).add(0xd7); // END: ALU to_le/to_be, ALU64 bswap
  s.add(0x85).add(0x95); // CALL, EXIT
  const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
  for (const cls of [0x05, 0x06]) for (const op of jmpOps) for (const src of [0x00, 0x08]) s.add(cls | op | src);
  s.add(0x05).add(0x06).add(0xe5); // JA, JMP32 JA (gotol), JCOND (may_goto)
  for (const size of [BPF_B, BPF_H, BPF_W, BPF_DW]) {
    s.add(BPF_STX | BPF_ATOMIC | size).add(BPF_STX | BPF_MEM | size).add(BPF_ST | BPF_MEM | size).add(BPF_LDX | BPF_MEM | size);
  }
  for (const size of [BPF_B, BPF_H, BPF_W]) s.add(BPF_LDX | BPF_MEMSX | size).add(BPF_LD | BPF_ABS | size).add(BPF_LD | BPF_IND | size);
  s.add(LD_IMM64);
  return s;
})();

const isJmp = (i: Insn): boolean => BPF_CLASS(i.code) === BPF_JMP || BPF_CLASS(i.code) === BPF_JMP32;
const isPseudoCall = (i: Insn): boolean => i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL;
const isPseudoFunc = (i: Insn): boolean => i.code === LD_IMM64 && i.src === BPF_PSEUDO_FUNC;

/** bpf_jmp_offset(): JMP32|JA takes its displacement from imm. */
export const jmpOffset = (i: Insn): number => (i.code === (BPF_JMP32 | BPF_JA) ? i.imm : i.off);

/** add_subprog_and_kfunc(): subprogram starts, sorted; [0] is the main program. */
export function addSubprogs(env: Env): void {
  const starts = new Set<number>([0]);
  const n = env.insns.length;
  env.insns.forEach((ins, i) => {
    if (!isPseudoCall(ins) && !isPseudoFunc(ins) && !(ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_KFUNC_CALL)) return;
    if (!env.privileged) fail('EPERM', 'loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN');
    if (ins.src === BPF_PSEUDO_KFUNC_CALL) {
      // add_kfunc_call(): bpfsim's kernel BTF describes no kernel functions, so every
      // kfunc id is "not a function" (ids from module BTF, off != 0, have no BTF at all).
      if (!env.gplCompatible) fail('EINVAL', 'cannot call kernel function from non-GPL compatible program');
      if (!ins.imm && !ins.off) return;
      if (ins.off) fail('EINVAL', 'failed to find BTF for kernel function');
      fail('EINVAL', `kernel btf_id ${ins.imm >>> 0} is not a function`);
    }
    const t = i + ins.imm + 1;
    if (t < 0 || t >= n) fail('EINVAL', 'call to invalid destination');
    starts.add(t);
  });
  env.subprogs = [...starts].sort((a, b) => a - b).map((start) => ({ start, stackDepth: 0, hasTailCall: false, hasLdAbs: false }));
  if (env.log.level >= 2) env.subprogs.forEach((s, i) => env.verbose(`func#${i} @${s.start}\n`));
}

/** check_subprogs(): jumps stay inside their subprogram, which ends in an exit or a jump. */
export function checkSubprogs(env: Env): void {
  const insns = env.insns;
  const n = insns.length;
  let cur = 0;
  let start = 0;
  let end = env.subprogs[1]?.start ?? n;
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    const sp = env.subprogs[cur]!;
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === 0 && ins.imm === 12 /* BPF_FUNC_tail_call */) sp.hasTailCall = true;
    if (BPF_CLASS(ins.code) === BPF_LD && (BPF_MODE(ins.code) === BPF_ABS || BPF_MODE(ins.code) === BPF_IND)) sp.hasLdAbs = true;
    if (isJmp(ins) && BPF_OP(ins.code) !== BPF_EXIT && BPF_OP(ins.code) !== BPF_CALL) {
      const off = i + jmpOffset(ins) + 1;
      if (off < start || off >= end) fail('EINVAL', `jump out of range from insn ${i} to ${off}`);
    }
    if (i === end - 1) {
      if (ins.code !== (BPF_JMP | BPF_EXIT) && ins.code !== (BPF_JMP32 | BPF_JA) && ins.code !== (BPF_JMP | BPF_JA))
        fail('EINVAL', 'last insn is not an exit or jmp');
      start = end;
      cur++;
      end = env.subprogs[cur + 1]?.start ?? n;
    }
  }
}

/** check_abnormal_return() (check_btf_info without BTF): subprograms may not end the
 * program behind the verifier's back (LD_ABS on a short packet, a tail call). */
export function checkAbnormalReturn(env: Env): void {
  for (let i = 1; i < env.subprogs.length; i++) {
    if (env.subprogs[i]!.hasLdAbs) fail('EINVAL', 'LD_ABS is not allowed in subprogs without BTF');
    if (env.subprogs[i]!.hasTailCall) fail('EINVAL', 'tail_call is not allowed in subprogs without BTF');
  }
}

/** The maps a program's ld_imm64 instructions refer to, checked as resolve_pseudo_ldimm64() does. */
export function resolvePseudoLdImm64(env: Env): void {
  const insns = env.insns;
  const n = insns.length;
  for (let i = 0; i < n; i++) {
    const ins = insns[i]!;
    if (BPF_CLASS(ins.code) === BPF_LDX && ((BPF_MODE(ins.code) !== BPF_MEM && BPF_MODE(ins.code) !== BPF_MEMSX) || ins.imm !== 0))
      fail('EINVAL', 'BPF_LDX uses reserved fields');
    if (ins.code === LD_IMM64) {
      const next = insns[i + 1];
      if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) fail('EINVAL', 'invalid bpf_ld_imm64 insn');
      const src = ins.src;
      if (src !== 0 && src !== BPF_PSEUDO_FUNC) {
        if (src === BPF_PSEUDO_BTF_ID) fail('EINVAL', 'kernel symbols (BPF_PSEUDO_BTF_ID) are not supported by bpfsim');
        const value = src === BPF_PSEUDO_MAP_VALUE || src === BPF_PSEUDO_MAP_IDX_VALUE;
        const fdForm = src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_IDX;
        if (!value && !(fdForm && next!.imm === 0)) fail('EINVAL', 'unrecognized bpf_ld_imm64 insn');
        let map: MapInfo | undefined;
        if (src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE) {
          if (!env.options.mapsByIdx?.length) fail('EPROTO', 'fd_idx without fd_array is invalid');
          map = env.options.mapsByIdx![ins.imm];
          if (!map) fail('EBADF', `fd ${ins.imm} is not pointing to valid bpf_map`);
        } else {
          map = env.options.mapsByFd?.get(ins.imm);
          if (!map) fail('EBADF', `fd ${ins.imm} is not pointing to valid bpf_map`);
        }
        if (value) {
          const off = next!.imm >>> 0;
          if (off >= 1 << 29) fail('EINVAL', `direct value offset of ${off} is not allowed`);
          // Only array maps give direct value addresses (array_map_direct_value_addr): one
          // element (else EOPNOTSUPP), offset inside the value (else EINVAL).
          if (map!.type !== 2 /* BPF_MAP_TYPE_ARRAY */) fail('EINVAL', 'no direct value access support for this map type');
          const why = `invalid access to map value pointer, value_size=${map!.valueSize} off=${off}`;
          if (map!.maxEntries !== 1) fail('ENOTSUPP', why);
          if (off >= map!.valueSize) fail('EINVAL', why);
        }
        env.insnMaps.set(i, map!);
      }
      i++;
      continue;
    }
    if (!INSNTABLE.has(ins.code)) fail('EINVAL', `unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
  }
}

/** check_cfg(): a depth-first walk over the instructions; marks prune points as it goes. */
export function checkCfg(env: Env): void {
  const insns = env.insns;
  const n = insns.length;
  const DISCOVERED = 0x10;
  const EXPLORED = 0x20;
  const FALLTHROUGH = 1;
  const BRANCH = 2;
  const state = new Int32Array(n);
  const stack: number[] = [0];
  state[0] = DISCOVERED;
  const prune = (w: number): void => void env.prunePoints.add(w);

  /** push_insn(): 0 = keep exploring, 1 = done with this edge. */
  const push = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return 1;
    if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return 1;
    if (w < 0 || w >= n) fail('EINVAL', `jump out of range from insn ${t} to ${w}`);
    if (e === BRANCH) {
      prune(w);
      env.jmpPoints.add(w);
    }
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack.push(w);
      return 0;
    }
    if ((state[w]! & 0xf0) === DISCOVERED) {
      if (env.privileged) return 1;
      fail('EINVAL', `back-edge from insn ${t} to ${w}`);
    }
    state[t] = DISCOVERED | e; // forward or cross edge
    return 1;
  };
  const visitCall = (t: number, visitCallee: boolean): number => {
    const sz = insns[t]!.code === LD_IMM64 ? 2 : 1;
    if (push(t, t + sz, FALLTHROUGH) === 0) return 0;
    prune(t + sz);
    env.jmpPoints.add(t + sz);
    if (visitCallee) {
      prune(t);
      return push(t, t + insns[t]!.imm + 1, BRANCH);
    }
    return 1;
  };
  /** visit_insn() */
  const visit = (t: number): number => {
    const ins = insns[t]!;
    if (isPseudoFunc(ins)) return visitCall(t, true);
    if (!isJmp(ins)) return push(t, t + (ins.code === LD_IMM64 ? 2 : 1), FALLTHROUGH);
    const op = BPF_OP(ins.code);
    if (op === BPF_EXIT) return 1;
    if (op === BPF_CALL) return visitCall(t, ins.src === BPF_PSEUDO_CALL);
    if (op === BPF_JA) {
      const w = t + jmpOffset(ins) + 1;
      const r = push(t, w, FALLTHROUGH);
      if (r === 0) return 0;
      prune(w);
      env.jmpPoints.add(w);
      return r;
    }
    prune(t);
    if (op === BPF_JCOND) env.forceCheckpoints.add(t);
    if (push(t, t + 1, FALLTHROUGH) === 0) return 0;
    return push(t, t + ins.off + 1, BRANCH);
  };
  while (stack.length) {
    const t = stack[stack.length - 1]!;
    if (visit(t) === 1) {
      state[t] = EXPLORED;
      stack.pop();
    }
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) fail('EINVAL', `unreachable insn ${i}`);
    if (insns[i]!.code === LD_IMM64) {
      if (state[i + 1] !== 0) fail('EINVAL', `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
}
