// Small shared pieces of the map implementations: errno plumbing between the program side
// (helpers return -errno) and the syscall side (SysError), the u64 flags of update calls,
// and the memory bound that stands in for a failed kernel allocation.
import type { ErrnoCode } from '@bpfsim/isa';
import { ERRNO, SysError, errnoName } from '@bpfsim/isa';
import { MAX_REGION_SIZE } from '@bpfsim/vm';

export const EINVAL = ERRNO.EINVAL;
export const ENOENT = ERRNO.ENOENT;
export const EEXIST = ERRNO.EEXIST;
export const E2BIG = ERRNO.E2BIG;
export const ENOMEM = ERRNO.ENOMEM;
export const EOPNOTSUPP = ERRNO.EOPNOTSUPP;
export const ENOTSUPP = ERRNO.ENOTSUPP;
export const EBUSY = ERRNO.EBUSY;
export const EAGAIN = ERRNO.EAGAIN;

/** Throws the SysError of a negative errno `err` (a map op's result) unless it is 0. */
export function check(err: number, what: string): void {
  if (err < 0) throw new SysError(errnoName(-err) ?? 'EINVAL', what);
}

export function sysError(code: ErrnoCode, why: string): SysError {
  return new SysError(code, why);
}

/**
 * The u64 flags of an update as one number. The ops compare flags with small constants
 * (`flags > BPF_EXIST`, `flags != BPF_ANY`); a value with any of bits 32..63 set becomes one
 * with bit 30 set too, which no op accepts, as none accepts those bits in Linux.
 */
export function normFlags(flags: number | bigint | undefined): number {
  if (flags === undefined) return 0;
  const f = typeof flags === 'bigint' ? BigInt.asUintN(64, flags) : BigInt.asUintN(64, BigInt(Math.trunc(flags)));
  const lo = Number(f & 0xffffffffn);
  return f > 0xffffffffn ? (lo | 0x40000000) >>> 0 : lo;
}

/**
 * bpfsim's stand-in for a failed allocation: a map whose preallocated memory (as Linux
 * would size it) passes this fails BPF_MAP_CREATE with ENOMEM. The simulation maps values
 * lazily, so without the bound a 32 GiB array would "succeed".
 */
export const MAP_MEMORY_LIMIT = 2 ** 30;

export function checkMemory(bytes: number, what: string): void {
  if (!(bytes <= MAP_MEMORY_LIMIT)) throw new SysError('ENOMEM', `${what} needs ${bytes} bytes, more than bpfsim's ${MAP_MEMORY_LIMIT}-byte bound for one map`);
}

/** Memory that must be one VM region (one array element, a ring) fits MAX_REGION_SIZE. */
export function checkRegion(bytes: number, what: string): void {
  if (!(bytes <= MAX_REGION_SIZE)) throw new SysError('ENOMEM', `${what} needs one region of ${bytes} bytes, more than ${MAX_REGION_SIZE}`);
}
