// The minimizer (src/minimize.ts): what it keeps still shows the disagreement, it never grows
// a program, and dropping the blanks re-aims every jump at the instruction it meant.
import type { Insn } from '@bpfsim/isa';
import { assemble, disasmText } from '@bpfsim/isa';
import { BPF_PROG_TYPE } from '@bpfsim/isa';
import { bpfsimVerdict, compact, compareVerdicts, minimize } from '../src';

const xdp = (insns: readonly Insn[]) => bpfsimVerdict({ id: 't', progType: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, attachType: 0, insns, maps: [] });

/** A refused program buried in work the refusal does not need. */
const BIG = assemble(`
  r6 = r1
  r2 = 7
  r3 = r2
  r3 += 5
  if r3 > 100 goto skip
  r4 = r3
  r4 *= 3
skip:
  r5 = 9
  r5 <<= 2
  r7 = 1
  r7 += r5
  call bpf_ktime_get_ns
  r0 = *(u32 *)(r6 + 100)
  r0 = 2
  exit`).insns;

describe('minimize', () => {
  test('keeps the refusal, and only what it needs', () => {
    const target = xdp(BIG);
    expect(target).toMatchObject({ accepted: false, error: 'invalid bpf_context access off=100 size=4' });
    const calls: number[] = [];
    const small = minimize(BIG, (cands) => {
      calls.push(cands.length);
      return cands.map((c) => compareVerdicts(target, xdp(c)) === 'agree');
    });
    expect(xdp(small)).toEqual(target);
    expect(small.length).toBeLessThan(BIG.length);
    // The ctx read past its end, the copy of r1 it reads through, and an exit: all it needs.
    expect(disasmText(small)).toBe('0: r6 = r1\n1: w0 = *(u32 *)(r6 + 100)\n2: exit\n');
    expect(calls.length).toBeLessThanOrEqual(40);
  });

  test('never asks more rounds than allowed, and returns the input when nothing smaller differs', () => {
    let rounds = 0;
    const out = minimize(BIG, (cands) => {
      rounds++;
      return cands.map(() => false);
    }, { maxRounds: 5 });
    expect(rounds).toBeLessThanOrEqual(5);
    expect(out).toEqual(BIG);
  });

  test('compact drops blanks and re-aims jumps, calls and ld_imm64 pairs', () => {
    const prog = assemble(`
      r1 = 0
      goto +0
      if r1 > 3 goto out
      goto +0
      call sub
      r2 = 0x100000000 ll
      goto +0
    out:
      r0 = 0
      exit
    sub:
      goto +0
      r0 = 1
      exit`).insns;
    const small = compact(prog);
    expect(small.length).toBe(prog.length - 4);
    expect(disasmText(small)).toBe(
      disasmText(
        assemble(`
      r1 = 0
      if r1 > 3 goto out
      call sub
      r2 = 0x100000000 ll
    out:
      r0 = 0
      exit
    sub:
      r0 = 1
      exit`).insns,
      ),
    );
  });
});
