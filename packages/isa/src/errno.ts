// errno values of include/uapi/asm-generic/errno*.h (x86_64), and the error every
// kernel-facing call in bpfsim fails with: SysError carries `code` ('EINVAL') and
// `errno` (22), as Node's own system errors do.
import { uapiName } from './uapi';

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  EPIPE: 32,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  ENOTEMPTY: 39,
  ENOLINK: 67,
  ENODATA: 61,
  EPROTO: 71,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  /** Kernel-internal, but bpf() lets it reach user space. */
  ENOTSUPP: 524,
} as const;

export type ErrnoCode = keyof typeof ERRNO;

/** A failed kernel-facing call: `code` names the errno, `errno` is its number. */
export class SysError extends Error {
  readonly code: ErrnoCode;
  readonly errno: number;
  /** The call that failed (`bind`, `BPF_PROG_LOAD`, …). */
  readonly syscall?: string;
  constructor(code: ErrnoCode, message?: string, syscall?: string) {
    super(message ? `${code}: ${message}` : code);
    this.name = 'SysError';
    this.code = code;
    this.errno = ERRNO[code];
    if (syscall !== undefined) this.syscall = syscall;
  }
}

/** The errno name of a number, if Linux defines it. */
export function errnoName(n: number): ErrnoCode | undefined {
  return uapiName(ERRNO, n);
}
