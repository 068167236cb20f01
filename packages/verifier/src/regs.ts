// Register operand checks shared by every instruction: check_reg_arg() and the marks.
import type { Env } from './env';
import { fail } from './env';
import type { RegState } from './reg';
import { knownReg, unknownReg } from './reg';

export type RegArgType = 'src' | 'dst' | 'dst_no_mark';

/** check_reg_arg(): a source must be initialised; r10 cannot be a destination. */
export function checkRegArg(env: Env, regno: number, t: RegArgType): void {
  if (regno >= 11) fail('EINVAL', `R${regno} is invalid`);
  env.markRegScratched(regno);
  const reg = env.regs[regno]!;
  if (t === 'src') {
    if (reg.type === 'NOT_INIT') fail('EACCES', `R${regno} !read_ok`);
    return;
  }
  if (regno === 10) fail('EACCES', 'frame pointer is read only');
  if (t === 'dst') markRegUnknown(env, regno);
}

/** mark_reg_unknown() */
export function markRegUnknown(env: Env, regno: number): void {
  env.regs[regno] = unknownReg();
}

/** __mark_reg_const_zero() */
export function markRegConstZero(env: Env, regno: number): void {
  env.regs[regno] = knownReg(0n);
}

/** mark_reg_not_init() for r0-r5 after a call (caller_saved). */
export const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

/** is_pointer_value(): a pointer where only scalars may go; privileged loads may leak
 * pointers (allow_ptr_leaks), so for them nothing counts. */
export function isPointerValue(env: Env, reg: RegState): boolean {
  return !env.privileged && reg.type !== 'SCALAR_VALUE';
}
