// The CGROUP_SOCK_ADDR verifier matrices asked of the live kernel (sock-addr.kernel.test.ts
// records them with scripts/kernel/probe_prog_matrix.py) and of bpfsim
// (sock-addr-golden.test.ts): every attach type × ctx offset × access size × read, write of
// a register and write of an immediate; every helper id per attach type; return values.
import { BPF_ATTACH_TYPE, assemble, encode } from '@bpfsim/isa';

export type MatrixCase = { id: string; progType: number; attachType: number; insns: string } | { id: string; progType: number; attachType: number; helper: number };
export interface MatrixGolden {
  recordedBy: string;
  kernel: string;
  cases: MatrixCase[];
  results: string[];
}

const T = 18;
const A = BPF_ATTACH_TYPE;
export const ATTACH: Record<string, number> = {
  inet4_bind: A.BPF_CGROUP_INET4_BIND,
  inet6_bind: A.BPF_CGROUP_INET6_BIND,
  inet4_connect: A.BPF_CGROUP_INET4_CONNECT,
  inet6_connect: A.BPF_CGROUP_INET6_CONNECT,
  udp4_sendmsg: A.BPF_CGROUP_UDP4_SENDMSG,
  udp6_sendmsg: A.BPF_CGROUP_UDP6_SENDMSG,
  udp4_recvmsg: A.BPF_CGROUP_UDP4_RECVMSG,
  udp6_recvmsg: A.BPF_CGROUP_UDP6_RECVMSG,
  inet4_getpeername: A.BPF_CGROUP_INET4_GETPEERNAME,
  inet6_getpeername: A.BPF_CGROUP_INET6_GETPEERNAME,
  inet4_getsockname: A.BPF_CGROUP_INET4_GETSOCKNAME,
  inet6_getsockname: A.BPF_CGROUP_INET6_GETSOCKNAME,
  unix_connect: A.BPF_CGROUP_UNIX_CONNECT,
};
const hex = (s: string): string => Buffer.from(encode(assemble(s).insns)).toString('hex');
const SZ = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

export function sockAddrCases(): MatrixCase[] {
  const out: MatrixCase[] = [];
  const one = (name: string): string => (name.includes('recvmsg') || name.includes('getpeername') || name.includes('getsockname') ? 'r0 = 1' : 'r0 = 1');
  for (const [name, at] of Object.entries(ATTACH)) {
    for (const off of [0, 1, 2, 4, 5, 6, 8, 10, 12, 16, 20, 24, 25, 26, 28, 30, 32, 36, 40, 42, 44, 48, 52, 56, 60, 64, 68, 72]) {
      for (const size of [1, 2, 4, 8] as const) {
        out.push({ id: `${name}-read-${off}-${size}`, progType: T, attachType: at, insns: hex(`r2 = *(${SZ[size]} *)(r1 + ${off})\n${one(name)}\nexit`) });
        out.push({ id: `${name}-stx-${off}-${size}`, progType: T, attachType: at, insns: hex(`r2 = 7\n*(${SZ[size]} *)(r1 + ${off}) = r2\n${one(name)}\nexit`) });
        out.push({ id: `${name}-st-${off}-${size}`, progType: T, attachType: at, insns: hex(`*(${SZ[size]} *)(r1 + ${off}) = 7\n${one(name)}\nexit`) });
      }
    }
    for (let h = 1; h <= 211; h++) out.push({ id: `${name}-helper-${h}`, progType: T, attachType: at, helper: h });
    for (const r of [0, 1, 2, 3, 4]) out.push({ id: `${name}-return-${r}`, progType: T, attachType: at, insns: hex(`r0 = ${r}\nexit`) });
    out.push({ id: `${name}-sk-deref`, progType: T, attachType: at, insns: hex(`r1 = *(u64 *)(r1 + 64)\nr0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit`) });
  }
  // No expected_attach_type, and another type's attach type.
  out.push({ id: 'load-attach-0', progType: T, attachType: 0, insns: hex('r0 = 1\nexit') });
  out.push({ id: 'load-attach-post-bind', progType: T, attachType: A.BPF_CGROUP_INET4_POST_BIND, insns: hex('r0 = 1\nexit') });
  return out;
}
