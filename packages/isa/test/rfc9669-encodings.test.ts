// Encodings LLVM 14 does not know (RFC 9669's v4 additions) and the Linux extensions since,
// written out from RFC 9669 §3–§5 and include/uapi/linux/bpf.h: each row is text, bytes.
import { assemble, decode, formatInsn } from '../src';
import { bytesOf, hexOfInsns } from './helpers';

const TABLE: [string, string][] = [
  // ALU: signed division and modulo (off = 1), modulo.
  ['r2 s/= 7', '37 02 01 00 07 00 00 00'],
  ['r2 s/= r3', '3f 32 01 00 00 00 00 00'],
  ['w2 s/= 7', '34 02 01 00 07 00 00 00'],
  ['w2 s/= w3', '3c 32 01 00 00 00 00 00'],
  ['r2 s%= 7', '97 02 01 00 07 00 00 00'],
  ['w2 s%= w3', '9c 32 01 00 00 00 00 00'],
  ['r3 %= 42', '97 03 00 00 2a 00 00 00'],
  ['w3 %= -1', '94 03 00 00 ff ff ff ff'],
  ['r1 %= r10', '9f a1 00 00 00 00 00 00'],
  // MOVSX: off is the source width.
  ['r1 = (s8)r2', 'bf 21 08 00 00 00 00 00'],
  ['r1 = (s16)r2', 'bf 21 10 00 00 00 00 00'],
  ['r1 = (s32)r2', 'bf 21 20 00 00 00 00 00'],
  ['w1 = (s8)w2', 'bc 21 08 00 00 00 00 00'],
  ['w1 = (s16)w2', 'bc 21 10 00 00 00 00 00'],
  // Unconditional byte swaps: ALU64 | END | TO_LE.
  ['r1 = bswap16 r1', 'd7 01 00 00 10 00 00 00'],
  ['r1 = bswap32 r1', 'd7 01 00 00 20 00 00 00'],
  ['r1 = bswap64 r1', 'd7 01 00 00 40 00 00 00'],
  // Sign-extending loads: LDX | MEMSX.
  ['r1 = *(s8 *)(r2 - 4)', '91 21 fc ff 00 00 00 00'],
  ['r1 = *(s16 *)(r2 - 4)', '89 21 fc ff 00 00 00 00'],
  ['r1 = *(s32 *)(r2 - 4)', '81 21 fc ff 00 00 00 00'],
  // JMP32 | JA: the displacement is in imm.
  ['gotol +100000', '06 00 00 00 a0 86 01 00'],
  ['gotol -1', '06 00 00 00 ff ff ff ff'],
  // JSET.
  ['if r1 & 4 goto +3', '45 01 03 00 04 00 00 00'],
  ['if w1 & -1 goto +3', '46 01 03 00 ff ff ff ff'],
  ['if r2 & r9 goto -3', '4d 92 fd ff 00 00 00 00'],
  ['if w2 & w9 goto -3', '4e 92 fd ff 00 00 00 00'],
  // ST | MEM with an immediate.
  ['*(u32 *)(r10 - 8) = 7', '62 0a f8 ff 07 00 00 00'],
  ['*(u16 *)(r10 - 8) = -1', '6a 0a f8 ff ff ff ff ff'],
  ['*(u8 *)(r1 + 0) = 255', '72 01 00 00 ff 00 00 00'],
  ['*(u64 *)(r10 + 32767) = 7', '7a 0a ff 7f 07 00 00 00'],
  // Linux 6.15: load-acquire and store-release (STX | ATOMIC, imm 0x100 / 0x110).
  ['w0 = load_acquire((u8 *)(r1 + 0))', 'd3 10 00 00 00 01 00 00'],
  ['w0 = load_acquire((u32 *)(r1 + 8))', 'c3 10 08 00 00 01 00 00'],
  ['r0 = load_acquire((u64 *)(r1 + 0))', 'db 10 00 00 00 01 00 00'],
  ['store_release((u16 *)(r1 + 0), w2)', 'cb 21 00 00 10 01 00 00'],
  ['store_release((u64 *)(r1 - 8), r2)', 'db 21 f8 ff 10 01 00 00'],
  // Linux 6.9: may_goto (JMP | JCOND, src BPF_MAY_GOTO) and addr_space_cast.
  ['may_goto +4', 'e5 00 04 00 00 00 00 00'],
  ['r1 = addr_space_cast(r2, 0, 1)', 'bf 21 01 00 01 00 00 00'],
  ['r1 = addr_space_cast(r2, 1, 0)', 'bf 21 01 00 00 00 01 00'],
  // Calls: helper, bpf-to-bpf (src 1), kfunc (src 2, off = BTF fd index), callx (dst).
  ['call 12', '85 00 00 00 0c 00 00 00'],
  ['call pc+5', '85 10 00 00 05 00 00 00'],
  ['call pc-3', '85 10 00 00 fd ff ff ff'],
  ['call kfunc 77', '85 20 00 00 4d 00 00 00'],
  ['call kfunc 77, 2', '85 20 02 00 4d 00 00 00'],
  ['callx r3', '8d 03 00 00 00 00 00 00'],
  // ld_imm64 pseudo sources.
  ['r2 = map[fd:3] ll', '18 12 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
  ['r2 = map[fd:3]+16 ll', '18 22 00 00 03 00 00 00 00 00 00 00 10 00 00 00'],
  ['r2 = btf_id[3] ll', '18 32 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
  ['r2 = btf_id[3, 7] ll', '18 32 00 00 03 00 00 00 00 00 00 00 07 00 00 00'],
  ['r2 = func[pc+3] ll', '18 42 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
  ['r2 = map[idx:3] ll', '18 52 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
  ['r2 = map[idx:3]+24 ll', '18 62 00 00 03 00 00 00 00 00 00 00 18 00 00 00'],
  // Legacy packet loads with an index register and offset.
  ['r0 = *(u8 *)skb[r3 + 14]', '50 30 00 00 0e 00 00 00'],
  ['r0 = *(u32 *)skb[r3 - 2]', '40 30 00 00 fe ff ff ff'],
  ['r0 = *(u16 *)skb[-4]', '28 00 00 00 fc ff ff ff'],
];

describe('RFC 9669 and Linux encodings', () => {
  test.each(TABLE)('%s assembles to %s', (text, hex) => {
    expect(hexOfInsns(assemble(text, { syntax: 'llvm' }).insns)).toBe(hex);
  });
  test.each(TABLE)('%s is what %s disassembles to', (text, hex) => {
    expect(formatInsn(decode(bytesOf(hex)), 0)).toBe(text);
  });
});
