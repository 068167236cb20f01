// The facts the verifier hands the JIT: what held on every path that reached an instruction.
import { BPF_PROG_TYPE, assemble } from '@bpfsim/isa';
import { verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const facts = (src: string) => {
  const r = verify(assemble(src).insns, { progType: XDP, progTypes: PROG_TYPES, helpers: HELPERS });
  expect(r.accepted).toBe(true);
  return r.facts!;
};

describe('verifier facts for the JIT', () => {
  test('a register masked to 8 bits is a u32 on every later instruction; an unknown one is not', () => {
    const f = facts(`
      call bpf_get_prandom_u32
      r1 = r0
      r1 &= 0xff
      r2 = r0
      r0 = r1
      exit`);
    expect(f[4]!.u32Regs).toContain(1);
    expect(f[4]!.u32Regs).not.toContain(2);
    // After the call r0 is an unknown 64-bit value (bpf_get_prandom_u32 returns an int).
    expect(f[1]!.u32Regs).not.toContain(0);
  });
  test('a fact must hold on every path: one path with a large value removes it', () => {
    const f = facts(`
      call bpf_get_prandom_u32
      r1 = 5
      if r0 > 10 goto big
      goto join
    big:
      r1 = 0x100000000 ll
    join:
      r0 = r1
      exit`);
    const join = f.length - 2;
    expect(f[join]!.reached).toBe(true);
    expect(f[join]!.u32Regs).not.toContain(1);
    expect(f[3]!.u32Regs).toContain(1);
  });
  test('memory instructions carry the pointer kinds of their base register', () => {
    const f = facts(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r4 = r2
      r4 += 1
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 0)
      *(u64 *)(r10 - 8) = r0
    out:
      r0 = 2
      exit`);
    expect(f[0]!.ptrKinds).toEqual(['ctx']);
    expect(f[5]!.ptrKinds).toEqual(['pkt']);
    expect(f[6]!.ptrKinds).toEqual(['fp']);
    expect(f[7]!.ptrKinds).toBeUndefined();
  });
  test('branches decided on every path, and dead code, are marked', () => {
    const f = facts(`
      r1 = 3
      if r1 > 5 goto dead
      r0 = 1
      exit
    dead:
      r0 = 2
      exit`);
    expect(f[1]!.branch).toBe('never');
    expect(f[4]!.reached).toBe(false);
    expect(f[2]!.reached).toBe(true);
  });
});
