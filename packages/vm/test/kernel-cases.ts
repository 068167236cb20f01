// Programs the real verifier accepts, for golden BPF_PROG_TEST_RUN vectors: random XDP
// programs that check the packet is 64 bytes long and then compute on packet bytes, the
// stack and constants with every ALU, jump, load, store and atomic form; and random socket
// filters built on LD_ABS/LD_IND. Seeded: the same seed gives the same programs.
import type { Insn } from '@bpfsim/isa';
import { assemble, encode } from '@bpfsim/isa';
import { rng } from './random-programs';

export interface KernelCase {
  id: string;
  progType: 'xdp' | 'socket_filter';
  insns: string;
  /** Hex bytes, where `XX*N` stands for the byte XX repeated N times. */
  data: string;
}

/** Expands a case's data: hex, with `XX*N` for runs. */
export function expandData(s: string): Uint8Array {
  const hexText = s.replace(/([0-9a-f]{2})\*(\d+)/gi, (_m, b: string, n: string) => b.repeat(Number(n)));
  return Uint8Array.from(hexText.match(/../g) ?? [], (h) => parseInt(h, 16));
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const SCALARS = ['r0', 'r1', 'r3', 'r4', 'r5', 'r7', 'r8', 'r9'];

function randomXdpText(seed: number): string {
  const rand = rng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const imm = (): string => `${pick([0, 1, -1, 2, 3, 7, 8, 31, 0x7f, 0xff, 0x7fffffff, -0x80000000, int(1 << 20), (rand() * 4294967296) | 0])}`;
  const reg = (): string => pick(SCALARS);
  const w = (r: string): string => 'w' + r.slice(1);
  const lines: string[] = [
    'r6 = r1',
    'r0 = 0',
    'r2 = *(u32 *)(r6 + 0)',
    'r3 = *(u32 *)(r6 + 4)',
    'r4 = r2',
    'r4 += 64',
    'if r4 > r3 goto out',
  ];
  // Initialise every scalar register and four stack slots.
  for (const r of SCALARS) {
    const k = int(3);
    if (k === 0) lines.push(`${r} = ${imm()}`);
    else if (k === 1) lines.push(`${r} = *(u${pick([8, 16, 32, 64])} *)(r2 + ${int(56)})`);
    else lines.push(`${r} = ${BigInt.asIntN(64, BigInt(Math.floor(rand() * 2 ** 32)) * BigInt(Math.floor(rand() * 2 ** 32)))} ll`);
  }
  for (let s = 1; s <= 4; s++) lines.push(`*(u64 *)(r10 - ${8 * s}) = ${reg()}`);
  const n = 20 + int(40);
  let label = 0;
  const pending: { at: number; name: string }[] = [];
  for (let i = 0; i < n; i++) {
    // Place labels of earlier forward jumps.
    for (const p of pending.filter((q) => q.at === i)) lines.push(`${p.name}:`);
    const k = rand();
    const d = reg();
    if (k < 0.45) {
      const wide = rand() < 0.6;
      const D = wide ? d : w(d);
      const ops = ['+=', '-=', '*=', '|=', '&=', '^=', '/=', '%=', 's/=', 's%=', '<<=', '>>=', 's>>='];
      const op = pick(ops);
      const useReg = rand() < 0.5;
      if (useReg) lines.push(`${D} ${op} ${wide ? reg() : w(reg())}`);
      else if (['<<=', '>>=', 's>>='].includes(op)) lines.push(`${D} ${op} ${int(wide ? 64 : 32)}`);
      else if (['/=', '%=', 's/=', 's%='].includes(op)) lines.push(`${D} ${op} ${pick([1, 2, 3, 7, -1, -3, 1000, 0x7fffffff])}`);
      else lines.push(`${D} ${op} ${imm()}`);
    } else if (k < 0.52) {
      const kind = int(6);
      if (kind === 0) lines.push(`${d} = -${d}`);
      else if (kind === 1) lines.push(`${d} = ${pick(['be16', 'be32', 'be64', 'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64'])} ${d}`);
      else if (kind === 2) lines.push(`${d} = (s${pick([8, 16, 32])})${reg()}`);
      else if (kind === 3) lines.push(`${w(d)} = (s${pick([8, 16])})${w(reg())}`);
      else if (kind === 4) lines.push(`${w(d)} = ${w(reg())}`);
      else lines.push(`${d} = ${reg()}`);
    } else if (k < 0.62) {
      const size = pick([8, 16, 32, 64]);
      const off = int(64 - size / 8 + 1);
      if (rand() < 0.5) lines.push(`${d} = *(${rand() < 0.3 && size < 64 ? 's' : 'u'}${size} *)(r2 + ${off})`);
      else lines.push(`*(u${size} *)(r2 + ${off}) = ${rand() < 0.5 ? (size === 64 ? reg() : reg()) : imm()}`);
    } else if (k < 0.7) {
      const slot = 8 * (1 + int(4));
      const kind = int(4);
      if (kind === 0) lines.push(`${d} = *(u64 *)(r10 - ${slot})`);
      else if (kind === 1) lines.push(`*(u64 *)(r10 - ${slot}) = ${reg()}`);
      else if (kind === 2) lines.push(`lock *(u64 *)(r10 - ${slot}) ${pick(['+=', '|=', '&=', '^='])} ${reg()}`);
      else lines.push(`${d} = ${pick(['atomic_fetch_add', 'atomic_fetch_or', 'atomic_fetch_and', 'atomic_fetch_xor'])}((u64 *)(r10 - ${slot}), ${d})`);
    } else if (k < 0.9) {
      const name = `L${label++}`;
      pending.push({ at: i + 1 + int(6), name });
      const wide = rand() < 0.6;
      const a = wide ? d : w(d);
      const cmp = pick(['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&']);
      lines.push(`if ${a} ${cmp} ${rand() < 0.5 ? (wide ? reg() : w(reg())) : imm()} goto ${name}`);
    } else {
      lines.push(`${d} = ${imm()}`);
    }
  }
  for (const p of pending.filter((q) => q.at >= n)) lines.push(`${p.name}:`);
  // Mix the scalars into r0 so the return value depends on them.
  for (const r of SCALARS.slice(1)) lines.push(`r0 ^= ${r}`);
  lines.push('out:', 'exit');
  return lines.join('\n');
}

function randomSocketFilterText(seed: number): string {
  const rand = rng(seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const lines = ['r6 = r1', 'r7 = 0', 'r8 = 0', 'r9 = 0'];
  const n = 4 + int(12);
  for (let i = 0; i < n; i++) {
    const size = pick(['u8', 'u16', 'u32']);
    if (rand() < 0.5) lines.push(`r0 = *(${size} *)skb[${int(60)}]`);
    else lines.push(`r0 = *(${size} *)skb[r${pick([7, 8, 9])} + ${int(40)}]`);
    const acc = pick(['r7', 'r8', 'r9']);
    lines.push(pick([`${acc} += r0`, `${acc} ^= r0`, `${acc} = r0`, `${acc} &= 31`, `${acc} *= 3`]));
  }
  lines.push('r0 = *(u32 *)(r6 + 0)', 'r0 += r7', 'r0 ^= r8', 'r0 -= r9', 'exit');
  return lines.join('\n');
}

export function randomPacket(seed: number, min: number, max: number): Uint8Array {
  const rand = rng(seed);
  const n = min + Math.floor(rand() * (max - min + 1));
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const caseOf = (id: string, progType: KernelCase['progType'], insns: Insn[], data: Uint8Array): KernelCase => ({
  id,
  progType,
  insns: hex(encode(insns)),
  data: hex(data),
});

/** Hand-written cases for facts worth pinning (ctx fields, sizes, ends of the packet). */
const FACTS: [string, KernelCase['progType'], string, string][] = [
  ['xdp-ingress-ifindex', 'xdp', 'r0 = *(u32 *)(r1 + 12)\nexit', '00'.repeat(20)],
  ['xdp-rx-queue', 'xdp', 'r0 = *(u32 *)(r1 + 16)\nexit', '00'.repeat(20)],
  ['xdp-linear-length', 'xdp', 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr0 = r3\nr0 -= r2\nexit', '11*5000'],
  ['xdp-meta-is-data', 'xdp', 'r2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 8)\nr0 = r3\nr0 -= r2\nexit', '22'.repeat(40)],
  ['xdp-r0-64bit', 'xdp', 'r0 = 0x123456789abcdef0 ll\nexit', '00'.repeat(14)],
  ['xdp-min-size', 'xdp', 'r0 = 2\nexit', '00'.repeat(14)],
  ['xdp-too-small', 'xdp', 'r0 = 2\nexit', '00'.repeat(13)],
  ['xdp-frags', 'xdp', 'r0 = 2\nexit', '33*10000'],
  ['xdp-max', 'xdp', 'r0 = 2\nexit', '44*73152'],
  ['xdp-too-large', 'xdp', 'r0 = 2\nexit', '44*73153'],
  ['skb-len', 'socket_filter', 'r0 = *(u32 *)(r1 + 0)\nexit', '000000000000112233445566080045' + '00'.repeat(30)],
  ['skb-pkt-type-host', 'socket_filter', 'r0 = *(u32 *)(r1 + 4)\nexit', '000000000000112233445566080045' + '00'.repeat(30)],
  ['skb-pkt-type-other', 'socket_filter', 'r0 = *(u32 *)(r1 + 4)\nexit', '020000000000112233445566080045' + '00'.repeat(30)],
  ['skb-pkt-type-multicast', 'socket_filter', 'r0 = *(u32 *)(r1 + 4)\nexit', 'ffffffffffff112233445566080045' + '00'.repeat(30)],
  ['skb-protocol-ipv4', 'socket_filter', 'r0 = *(u32 *)(r1 + 16)\nexit', '000000000000112233445566080045' + '00'.repeat(30)],
  ['skb-protocol-ipv6', 'socket_filter', 'r0 = *(u32 *)(r1 + 16)\nexit', '00000000000011223344556686dd' + '00'.repeat(40)],
  ['skb-protocol-8023', 'socket_filter', 'r0 = *(u32 *)(r1 + 16)\nexit', '0000000000001122334455660020ffff' + '00'.repeat(20)],
  ['skb-protocol-8022', 'socket_filter', 'r0 = *(u32 *)(r1 + 16)\nexit', '0000000000001122334455660020aaaa' + '00'.repeat(20)],
  ['skb-ifindex', 'socket_filter', 'r0 = *(u32 *)(r1 + 40)\nexit', '000000000000112233445566080045' + '00'.repeat(30)],
  ['skb-ipv4-too-short', 'socket_filter', 'r0 = 1\nexit', '0000000000001122334455660800' + '00'.repeat(19)],
  ['skb-ipv6-too-short', 'socket_filter', 'r0 = 1\nexit', '00000000000011223344556686dd' + '00'.repeat(39)],
  ['skb-too-small', 'socket_filter', 'r0 = 1\nexit', '00'.repeat(13)],
  ['skb-max', 'socket_filter', 'r0 = 1\nexit', '00*3712'],
  ['skb-too-large', 'socket_filter', 'r0 = 1\nexit', '00*3713'],
  ['skb-ldabs-oob', 'socket_filter', 'r6 = r1\nr0 = 7\nr0 = *(u8 *)skb[100]\nexit', '000000000000112233445566080045' + '00'.repeat(30)],
  ['skb-ldabs-last-byte', 'socket_filter', 'r6 = r1\nr0 = *(u8 *)skb[30]\nexit', '000000000000112233445566080045' + '00'.repeat(29) + 'ab'],
  ['skb-ldabs-word', 'socket_filter', 'r6 = r1\nr0 = *(u32 *)skb[0]\nexit', '00000000000011223344556608004500001c' + '00'.repeat(30)],
];

export function kernelCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  for (const [id, type, text, data] of FACTS) cases.push({ id, progType: type, insns: hex(encode(assemble(text).insns)), data });
  for (let k = 0; k < 300; k++) {
    const insns = assemble(randomXdpText(1000 + k)).insns;
    cases.push(caseOf(`xdp-random-${k}`, 'xdp', insns, randomPacket(5000 + k, 64, 200)));
  }
  for (let k = 0; k < 100; k++) {
    const insns = assemble(randomSocketFilterText(2000 + k)).insns;
    cases.push(caseOf(`skb-random-${k}`, 'socket_filter', insns, randomPacket(6000 + k, 34, 120)));
  }
  return cases;
}
