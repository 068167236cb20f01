// Log printing shared by the checks: print_insn_state() and the state suffixes.
import type { Env } from './env';
import { frameStateStr, vlogAlignment } from './log';

/** print_insn_state(): the registers and slots the last instruction touched. */
export function printInsnState(env: Env): void {
  if (!env.log.enabled) return;
  if (env.prevLogPos && env.prevLogPos === env.log.endPos) {
    env.log.reset(env.prevLogPos - 1);
    env.verbose(' '.repeat(Math.max(1, vlogAlignment(env.prevInsnPrintLen))) + ';');
  } else {
    env.verbose(`${env.insnIdx}:`);
  }
  const regs = env.scratchedRegs;
  const slots = env.scratchedSlots;
  env.verbose(frameStateStr(env.frame, (i) => (regs & (1 << i)) !== 0, (spi) => slots.has(spi)) + refsStr(env) + '\n');
  env.scratchedRegs = 0;
  env.scratchedSlots = new Set();
}

export const refsStr = (env: Env): string => (env.cur.refs.length ? ` refs=${env.cur.refs.join(',')}` : '');

