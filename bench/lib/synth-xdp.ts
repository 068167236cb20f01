// Synthetic XDP programs of a chosen length for the verifier bench: packet parsing with
// bounds checks, stack spills and fills, scalar ALU, map lookups with NULL checks and
// diamonds, in LLVM assembly. Deterministic for a given seed.
//
// Register plan, kept by every block: r6 = data, r7 = data_end, r8 and r9 accumulate
// packet-derived scalars. r8 and r9 are never narrowed by a branch nor used in pointer
// arithmetic, so they stay imprecise and the paths of each diamond meet in states the
// verifier can prune (states_equal()), as in compiled code; otherwise insn_processed
// would grow with the number of paths rather than the length.
//
// Stack: r10-8 array key (u32), r10-16 hash key (u64), r10-32..-17 hash value, spills below.

/** The maps the programs use, in BPF_PSEUDO_MAP_IDX order (what `.map` declares). */
export const SYNTH_MAPS = [
  { name: 'counters', type: 2 /* ARRAY */, keySize: 4, valueSize: 16, maxEntries: 64 },
  { name: 'flows', type: 1 /* HASH */, keySize: 8, valueSize: 16, maxEntries: 1024 },
] as const;

const HEADER = [
  ...SYNTH_MAPS.map((m) => `.map ${m.name} type=${m.type} key_size=${m.keySize} value_size=${m.valueSize} max_entries=${m.maxEntries}`),
  '    r6 = *(u32 *)(r1 + 0)          # data',
  '    r7 = *(u32 *)(r1 + 4)          # data_end',
  '    r1 = r6',
  '    r1 += 64',
  '    if r1 > r7 goto out            # Ethernet + IPv4 + L4 ports',
  '    r8 = *(u32 *)(r6 + 26)         # saddr',
  '    r9 = *(u32 *)(r6 + 30)         # daddr',
];
const FOOTER = ['    r0 = r8', '    r0 ^= r9', '    r0 &= 1', '    r0 += 1                        # XDP_DROP or XDP_PASS', '    exit', 'out:', '    r0 = 0                         # XDP_ABORTED', '    exit'];

/** Instruction slots of assembly lines (code lines only; `ll` loads take two). */
function slots(lines: readonly string[]): number {
  let n = 0;
  for (const l of lines) {
    const code = l.replace(/#.*/, '').trim();
    if (!code || code.startsWith('.') || code.endsWith(':')) continue;
    n += code.endsWith(' ll') ? 2 : 1;
  }
  return n;
}

type Rng = (n: number) => number;

/** xorshift32: `rng(n)` is an integer in [0, n). */
function makeRng(seed: number): Rng {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng(xs.length)]!;
const acc = (rng: Rng): string => pick(rng, ['r8', 'r9']);
const SIZES = [
  { name: 'u8', bytes: 1 },
  { name: 'u16', bytes: 2 },
  { name: 'u32', bytes: 4 },
  { name: 'u64', bytes: 8 },
] as const;

/** One scalar ALU instruction on `dst` (a 64-bit register name). */
function aluOp(rng: Rng, dst: string): string {
  const w = `w${dst.slice(1)}`;
  const src = dst === 'r8' ? 'r9' : 'r8';
  switch (rng(12)) {
    case 0: return `    ${dst} += ${rng(1000) + 1}`;
    case 1: return `    ${dst} ^= ${rng(0x7fffffff)}`;
    case 2: return `    ${dst} *= ${pick(rng, [-1640531535, 31, 0x01000193, 2654435761 | 0])}`;
    case 3: return `    ${dst} <<= ${rng(31) + 1}`;
    case 4: return `    ${dst} >>= ${rng(31) + 1}`;
    case 5: return `    ${dst} s>>= ${rng(31) + 1}`;
    case 6: return `    ${dst} |= ${src}`;
    case 7: return `    ${dst} -= ${src}`;
    case 8: return `    ${w} += ${rng(1 << 20)}`;
    case 9: return `    ${w} ^= ${src === 'r8' ? 'w8' : 'w9'}`;
    case 10: return `    ${dst} /= ${rng(97) + 3}`;
    default: return `    ${dst} = be32 ${dst}`;
  }
}

/** Blocks, each a function of the rng and a unique suffix for its labels. */
const BLOCKS: { weight: number; emit: (rng: Rng, k: number) => string[] }[] = [
  {
    // A header field at a fixed offset, after its own bounds check.
    weight: 25,
    emit: (rng) => {
      const sz = pick(rng, SIZES);
      const off = (64 + rng(1400)) & ~(sz.bytes - 1);
      return [
        '    r1 = r6',
        `    r1 += ${off + sz.bytes}`,
        '    if r1 > r7 goto out',
        `    r2 = *(${sz.name} *)(r6 + ${off})`,
        `    ${acc(rng)} ${pick(rng, ['+=', '^=', '|='])} r2`,
      ];
    },
  },
  {
    // A field behind the IPv4 header: a variable offset from IHL, checked before the load.
    weight: 10,
    emit: (rng) => {
      const off = rng(16) * 2;
      return [
        '    r2 = *(u8 *)(r6 + 14)',
        '    r2 &= 15',
        '    r2 <<= 2',
        '    r1 = r6',
        '    r1 += r2',
        '    r3 = r1',
        `    r3 += ${off + 2}`,
        '    if r3 > r7 goto out',
        `    r4 = *(u16 *)(r1 + ${off})`,
        `    ${acc(rng)} += r4`,
      ];
    },
  },
  {
    // Register pressure: a scalar and a packet pointer spilled and filled back.
    weight: 15,
    emit: (rng) => {
      const s = 40 + 8 * rng(26);
      const a = acc(rng);
      return [
        `    *(u64 *)(r10 - ${s}) = ${a}`,
        `    *(u64 *)(r10 - ${s + 8}) = r6`,
        `    r2 = *(u64 *)(r10 - ${s})`,
        aluOp(rng, 'r2'),
        `    r3 = *(u64 *)(r10 - ${s + 8})`,
        `    r4 = *(u8 *)(r3 + ${rng(64)})`,
        '    r2 += r4',
        `    ${a === 'r8' ? 'r9' : 'r8'} ^= r2`,
      ];
    },
  },
  {
    // Straight-line arithmetic.
    weight: 20,
    emit: (rng) => Array.from({ length: 3 + rng(6) }, () => aluOp(rng, acc(rng))),
  },
  {
    // A per-CPU-style counter: array lookup by a variable key, NULL check, update.
    weight: 10,
    emit: (rng, k) => [
      `    r1 = ${acc(rng)}`,
      '    r1 &= 63',
      '    *(u32 *)(r10 - 8) = w1',
      '    r2 = r10',
      '    r2 += -8',
      '    r1 = counters ll',
      '    call bpf_map_lookup_elem',
      `    if r0 == 0 goto skip${k}`,
      '    r1 = *(u64 *)(r0 + 0)',
      '    r1 += r9',
      '    *(u64 *)(r0 + 0) = r1',
      '    r1 = 1',
      '    lock *(u64 *)(r0 + 8) += r1',
      `skip${k}:`,
    ],
  },
  {
    // The same with a constant, in-bounds key: recent Linux knows the value exists (no NULL path).
    weight: 3,
    emit: (rng, k) => [
      `    *(u32 *)(r10 - 8) = ${rng(64)}`,
      '    r2 = r10',
      '    r2 += -8',
      '    r1 = counters ll',
      '    call bpf_map_lookup_elem',
      `    if r0 == 0 goto skip${k}`,
      '    r1 = *(u64 *)(r0 + 8)',
      `    ${acc(rng)} += r1`,
      `skip${k}:`,
    ],
  },
  {
    // A flow table: lookup, bump on a hit, insert on a miss.
    weight: 5,
    emit: (_rng, k) => [
      '    r1 = r9',
      '    r1 ^= r8',
      '    *(u64 *)(r10 - 16) = r1',
      '    r2 = r10',
      '    r2 += -16',
      '    r1 = flows ll',
      '    call bpf_map_lookup_elem',
      `    if r0 != 0 goto hit${k}`,
      '    *(u64 *)(r10 - 32) = r8',
      '    *(u64 *)(r10 - 24) = 0',
      '    r1 = flows ll',
      '    r2 = r10',
      '    r2 += -16',
      '    r3 = r10',
      '    r3 += -32',
      '    r4 = 0',
      '    call bpf_map_update_elem',
      '    r9 += r0',
      `    goto done${k}`,
      `hit${k}:`,
      '    r1 = *(u64 *)(r0 + 8)',
      '    r1 += 1',
      '    *(u64 *)(r0 + 8) = r1',
      `done${k}:`,
    ],
  },
  {
    // An if/else on a scalar derived from the accumulators (a copy, so they stay unbounded).
    weight: 15,
    emit: (rng, k) => {
      const cond = pick(rng, ['>', '<', '==', '!=', 's>', 's<', '&']);
      const reg = rng(2) ? 'r2' : 'w2';
      return [
        '    r2 = r8',
        '    r2 ^= r9',
        `    if ${reg} ${cond} ${rng(1 << 16)} goto else${k}`,
        `    r9 += ${rng(1 << 16)}`,
        '    r3 = r8',
        `    r3 >>= ${rng(16) + 1}`,
        '    r9 ^= r3',
        `    goto fi${k}`,
        `else${k}:`,
        `    r9 -= ${rng(1 << 16)}`,
        `fi${k}:`,
      ];
    },
  },
];
const TOTAL_WEIGHT = BLOCKS.reduce((s, b) => s + b.weight, 0);

/** An XDP program of exactly `insns` instruction slots (at least 40), as LLVM assembly. */
export function synthXdp(insns: number, seed = 1): string {
  const rng = makeRng(seed);
  const body: string[] = [];
  let budget = insns - slots(HEADER) - slots(FOOTER);
  if (budget < 26) throw new Error(`synthXdp: ${insns} instructions is too short`);
  for (let k = 0; ; k++) {
    let r = rng(TOTAL_WEIGHT);
    const block = BLOCKS.find((b) => (r -= b.weight) < 0)!;
    const lines = block.emit(rng, k);
    const n = slots(lines);
    if (n > budget) break;
    body.push(...lines);
    budget -= n;
  }
  for (; budget > 0; budget--) body.push(aluOp(rng, acc(rng)));
  return [...HEADER, ...body, ...FOOTER].join('\n') + '\n';
}
