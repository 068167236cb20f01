#!/usr/bin/env node
// Records what this machine's LLVM says about eBPF encodings, as golden data for the isa tests:
//  - disasm: each encoding below, put in an object by llvm-mc and printed by
//    `llvm-objdump -d --mattr=+alu32`; and whether llvm-mc reads that text back to the same bytes;
//  - asm: assembly lines and the bytes `llvm-mc -triple=bpfel -show-encoding` gives them.
// The encodings are generated here from the RFC 9669 field layout, independently of bpfsim.
// Usage: node scripts/golden/llvm-disasm.mjs  (needs llvm-mc and llvm-objdump; LLVM 14 here)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'packages/isa/test/golden/llvm-disasm.json');

const insn = (code, dst, src, off, imm) => {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (src << 4) | dst;
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm | 0, 4);
  return b;
};
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const vectors = [];
const add = (...slots) => vectors.push(Buffer.concat(slots));

const IMMS = [0, 1, -1, 42, 0x7fffffff, -0x80000000, 0x1234];
const OFFS = [0, 8, -8, 0x7fff, -0x8000];
const REGS = [[0, 1], [1, 10], [9, 2], [10, 0], [5, 5]];

// ALU and ALU64: every op with K and X operands.
for (const cls of [0x04, 0x07]) {
  for (const op of [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]) {
    for (const imm of IMMS) add(insn(cls | op, 3, 0, 0, imm));
    for (const [d, s] of REGS) add(insn(cls | op | 0x08, d, s, 0, 0));
  }
  add(insn(cls | 0x80, 4, 0, 0, 0)); // neg
  for (const off of [1]) for (const op of [0x30, 0x90]) { add(insn(cls | op, 2, 0, off, 7)); add(insn(cls | op | 0x08, 2, 3, off, 0)); }
  for (const off of cls === 0x07 ? [8, 16, 32] : [8, 16]) add(insn(cls | 0xb8, 1, 2, off, 0)); // movsx
}
for (const w of [16, 32, 64]) {
  add(insn(0xd4, 1, 0, 0, w)); // le
  add(insn(0xdc, 1, 0, 0, w)); // be
  add(insn(0xd7, 1, 0, 0, w)); // bswap
}
add(insn(0xbf, 1, 2, 1, 1)); // addr_space_cast

// Jumps.
for (const off of [0, 1, -1, 0x7fff, -0x8000]) add(insn(0x05, 0, 0, off, 0));
for (const imm of [0, 1, -1, 100000]) add(insn(0x06, 0, 0, 0, imm)); // gotol
for (const cls of [0x05, 0x06]) {
  for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
    for (const imm of [0, -1, 0x7fffffff]) add(insn(cls | op, 1, 0, 3, imm));
    add(insn(cls | op | 0x08, 2, 9, -3, 0));
  }
}
for (const imm of [1, 12, 64, 211]) add(insn(0x85, 0, 0, 0, imm));
add(insn(0x85, 0, 1, 0, 5)); // pseudo call
add(insn(0x85, 0, 2, 0, 77)); // kfunc
add(insn(0x8d, 3, 0, 0, 0)); // callx
add(insn(0x95, 0, 0, 0, 0));
add(insn(0xe5, 0, 0, 4, 0)); // may_goto

// ld_imm64 and its pseudo sources.
for (const v of [0n, 1n, -1n, 0x123456789abcdefn, 0x8000000000000000n, 0xffffffffn, 0x100000000n]) {
  const u = BigInt.asUintN(64, v);
  add(insn(0x18, 1, 0, 0, Number(BigInt.asIntN(32, u))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))));
}
for (const [src, hi] of [[1, 0], [2, 16], [3, 0], [4, 0], [5, 0], [6, 24]]) add(insn(0x18, 2, src, 0, 3), insn(0, 0, 0, 0, hi));

// Legacy packet loads.
for (const size of [0x00, 0x08, 0x10]) {
  add(insn(0x20 | size, 0, 0, 0, 12));
  add(insn(0x40 | size, 0, 3, 0, 0));
  add(insn(0x40 | size, 0, 3, 0, 14));
}

// Loads and stores.
for (const size of [0x00, 0x08, 0x10, 0x18]) {
  for (const off of OFFS) {
    add(insn(0x61 | size, 1, 2, off, 0)); // ldx
    add(insn(0x63 | size, 10, 3, off, 0)); // stx
    add(insn(0x62 | size, 10, 0, off, 7)); // st
  }
  if (size !== 0x18) add(insn(0x81 | size, 1, 2, -4, 0)); // ldxs
  add(insn(0xd3 | size, 0, 1, 0, 0x100)); // load_acquire
  add(insn(0xd3 | size, 1, 2, 0, 0x110)); // store_release
}
// Atomics.
for (const size of [0x00, 0x18]) {
  for (const imm of [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1]) add(insn(0xc3 | size, 1, 2, 8, imm));
}

const work = mkdtempSync(join(tmpdir(), 'bpfsim-llvm-'));
const run = (cmd, args, input) => execFileSync(cmd, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
try {
  const version = run('llvm-mc', ['--version']).match(/LLVM version ([\d.]+)/)?.[1] ?? 'unknown';
  // One object holding every vector; objdump prints one line per instruction.
  const src = ['.text', ...vectors.map((v) => `.byte ${Array.from(v, (b) => '0x' + b.toString(16)).join(',')}`)].join('\n') + '\n';
  writeFileSync(join(work, 'v.s'), src);
  run('llvm-mc', ['-triple=bpfel', '-filetype=obj', join(work, 'v.s'), '-o', join(work, 'v.o')]);
  const dump = run('llvm-objdump', ['-d', '--mattr=+alu32', join(work, 'v.o')]);
  const texts = [];
  for (const line of dump.split('\n')) {
    const m = /^\s*(\d+):\t([0-9a-f ]+?)\t(.*)$/.exec(line);
    if (m) texts.push({ bytes: m[2].trim(), text: m[3].replace(/\s+<[^<>\s]*>$/, '').trim() });
  }
  // objdump decodes an unknown 16-byte ld_imm64 pair as one slot at a time; align by bytes.
  let k = 0;
  const disasm = vectors.map((v) => {
    const want = hex(v);
    let got = '';
    const parts = [];
    while (got.length < want.length && k < texts.length) {
      parts.push(texts[k]);
      got = got ? `${got} ${texts[k].bytes}` : texts[k].bytes;
      k++;
    }
    if (got !== want) throw new Error(`objdump output out of step at ${want}: got ${got}`);
    const text = parts.length === 1 && parts[0].text !== '<unknown>' ? parts[0].text : null;
    return { hex: want, llvm: text };
  });
  // Does llvm-mc read LLVM's own text back to the same bytes ('same'), to other bytes
  // ('different': LLVM 14 dropped a field it does not know, e.g. movsx's off), or not at all
  // ('error': its parser lags its printer, e.g. atomic_fetch_add)?
  for (const d of disasm) {
    if (d.llvm === null) continue;
    try {
      const enc = run('llvm-mc', ['-triple=bpfel', '-mattr=+alu32', '-show-encoding'], d.llvm + '\n');
      const bytes = [...enc.matchAll(/encoding: \[([^\]]*)\]/g)].flatMap((m) => m[1].split(',').map((x) => parseInt(x, 16)));
      d.reassembly = hex(Buffer.from(bytes)) === d.hex ? 'same' : 'different';
    } catch {
      d.reassembly = 'error';
    }
  }
  // Assembly the way people write it, with what llvm-mc makes of it.
  const asmLines = [
    'r0 = 1', 'w0 = 1', 'r0 = r1', 'w3 = w4', 'r0 += 1', 'r1 -= r2', 'w0 *= w1', 'r0 /= 7', 'r0 s>>= 3',
    'r0 = -r0', 'w1 = -w1', 'r0 = be16 r0', 'r0 = le32 r0', 'r0 = be64 r0', 'r0 = *(u32 *)(r1 + 24)',
    'r0 = *(u8 *)(r1 - 2)', 'w0 = *(u16 *)(r1 + 0)', 'r2 = *(u64 *)(r10 - 8)', '*(u32 *)(r1 + 24) = r2',
    '*(u64 *)(r10 - 8) = r1', '*(u8 *)(r10 - 1) = w1', 'lock *(u64 *)(r1 + 8) += r2', 'lock *(u32 *)(r1 + 8) += w2',
    'goto +1', 'goto -1', 'if r1 > 16 goto +1', 'if r1 == r2 goto -3', 'if w1 s< w2 goto +1', 'if w1 != 5 goto -1',
    'if r1 s>= -1 goto +7', 'if r3 <= r4 goto +0', 'call 12', 'call 1', 'exit', 'r1 = 0x123456789abcdef ll',
    'r1 = -1 ll', 'r0 = 0xffffffff', 'r0 = -1', 'r0 = 2147483648', 'r1 = 4294967296 ll', 'w1 = 0xffffffff',
    'r0 = *(u8 *)skb[12]', 'r0 = *(u16 *)skb[r1]', 'r0 = *(u32 *)skb[r1]', 'r9 ^= r9', 'w7 &= 255', 'r6 |= 0x100',
    'r5 <<= 32', 'r5 >>= 32', 'w5 >>= 3', 'w5 s>>= 3', 'r2 = r10', 'r2 += -16',
    'r0 = 1 ; r1 = 2', 'r0 = 3 # comment', 'r0 = 4 // comment',
    'r2 = atomic_fetch_add((u64 *)(r1 + 8), r2)', 'w2 = atomic_fetch_or((u32 *)(r1 + 8), w2)',
    'r2 = xchg_64(r1 + 8, r2)', 'w2 = xchg32_32(r1 + 8, w2)', 'r0 = cmpxchg_64(r1 + 8, r0, r2)', 'w0 = cmpxchg32_32(r1 + 8, w0, w2)',
  ];
  // LLVM 14's parser refuses some of what its printer prints (atomic_fetch_*, xchg, cmpxchg):
  // those lines are recorded with the error instead of bytes.
  const asm = asmLines.map((text) => {
    try {
      const enc = run('llvm-mc', ['-triple=bpfel', '-mattr=+alu32', '-show-encoding'], text + '\n');
      const bytes = [...enc.matchAll(/encoding: \[([^\]]*)\]/g)].flatMap((m) => m[1].split(',').map((x) => parseInt(x, 16)));
      return { text, hex: hex(Buffer.from(bytes)) };
    } catch (e) {
      return { text, hex: null, llvmError: String(e.stderr).split('\n')[0].replace(/^<stdin>:/, '') };
    }
  });
  const data = {
    recordedBy: 'scripts/golden/llvm-disasm.mjs',
    llvmVersion: version,
    commands: {
      disasm: 'llvm-mc -triple=bpfel -filetype=obj (.byte data) && llvm-objdump -d --mattr=+alu32',
      asm: 'llvm-mc -triple=bpfel -mattr=+alu32 -show-encoding',
    },
    disasm,
    asm,
  };
  writeFileSync(out, JSON.stringify(data, null, 1) + '\n');
  const known = disasm.filter((d) => d.llvm !== null).length;
  const trips = disasm.filter((d) => d.reassembly === 'same').length;
  console.log(`LLVM ${version}: ${disasm.length} encodings, ${known} known to LLVM, ${trips} round-trip in LLVM; ${asm.length} asm lines -> ${out}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
