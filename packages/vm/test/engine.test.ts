// Faults, budget, calls and tail calls, the helper ABI and memory rules, on both engines.
import { BPF_PSEUDO_CALL, assemble } from '@bpfsim/isa';
import type { Helper, RunResult } from '../src';
import { ENGINES, ExecContext, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, Memory, PrepareError, VmProgram, run, runIn } from '../src';

const prog = (text: string): VmProgram => new VmProgram(assemble(text).insns);

describe.each(ENGINES)('%s', (engine) => {
  const exec = (text: string, args: (bigint | number)[] = [], memory = new Memory(), helpers: Helper[] = [], budget?: number): RunResult =>
    run(prog(text), engine, memory, args, { helpers, budget });

  test('r0 is returned as an unsigned 64-bit value', () => {
    expect(exec('r0 = -2\nexit')).toEqual({ r0: 0xfffffffffffffffen, retval: 0xfffffffe, insnCount: 2 });
  });

  test('a read outside every region is a memory fault with the exact address', () => {
    const r = exec('r1 = 0x1000 ll\nr0 = *(u32 *)(r1 - 8)\nexit');
    expect(r.fault).toEqual({ kind: 'memory', pc: 2, address: 0xff8n, message: 'insn 2: invalid memory access: read of 4 bytes at 0x0000000000000ff8 is outside every region' });
    expect(r.r0).toBe(0n);
  });

  test('an access that runs off the end of a region faults, one that fits does not', () => {
    const memory = new Memory();
    const m = memory.alloc(8, { kind: 'mem' });
    m.view.setUint32(4, 0xdeadbeef, true);
    expect(exec('r0 = *(u32 *)(r1 + 4)\nexit', [m.address()], memory).r0).toBe(0xdeadbeefn);
    const bad = exec('r0 = *(u32 *)(r1 + 5)\nexit', [m.address()], memory);
    expect(bad.fault?.kind).toBe('memory');
    expect(bad.fault?.address).toBe(m.address() + 5n);
  });

  test('a store to read-only memory faults and leaves it unchanged', () => {
    const memory = new Memory();
    const ro = memory.alloc(8, { kind: 'rodata', writable: false });
    const r = exec('*(u8 *)(r1 + 0) = 1\nr0 = 0\nexit', [ro.address()], memory);
    expect(r.fault?.message).toMatch(/write of 1 bytes to read-only memory/);
    expect(ro.bytes[0]).toBe(0);
  });

  test('a pointer cannot reach the next region by running past its end', () => {
    const memory = new Memory();
    const a = memory.alloc(16, { kind: 'mem' });
    memory.alloc(16, { kind: 'mem' }).bytes.fill(7);
    expect(exec('r0 = *(u8 *)(r1 + 16)\nexit', [a.address()], memory).fault?.kind).toBe('memory');
  });

  test('the stack frame is 512 bytes below r10', () => {
    expect(exec('*(u64 *)(r10 - 512) = 5\nr0 = *(u64 *)(r10 - 512)\nexit').r0).toBe(5n);
    expect(exec('r0 = *(u8 *)(r10 - 513)\nexit').fault?.kind).toBe('memory');
    expect(exec('r0 = *(u8 *)(r10 + 0)\nexit').fault?.kind).toBe('memory');
  });

  test('the budget is charged per block and a loop that does not end faults', () => {
    const r = exec('r0 = 0\nloop: r0 += 1\ngoto loop', [], new Memory(), [], 1000);
    expect(r.fault).toEqual({ kind: 'budget', pc: 1, message: 'insn 1: instruction budget of 1000 exhausted' });
    expect(r.insnCount).toBe(1000);
    expect(exec('r0 = 0\nloop: r0 += 1\nif r0 < 10 goto loop\nexit').insnCount).toBe(1 + 2 * 10 + 1);
  });

  test('may_goto ends a loop once its allowance is used', () => {
    // The allowance is 8M per frame: a small budget shows the jump is not taken before that.
    const r = exec('r0 = 0\nloop: may_goto out\nr0 += 1\ngoto loop\nout: exit', [], new Memory(), [], 100);
    expect(r.fault?.kind).toBe('budget');
  });

  test('helpers get r1-r5, set r0, and r1-r5 keep their values across the call', () => {
    const seen: bigint[] = [];
    const h: Helper = (C) => {
      for (let i = 1; i <= 5; i++) seen.push(C.arg(i));
      C.retU64(0x1122334455667788n);
    };
    const r = exec('r1 = 1\nr2 = -2\nr3 = 3\nr4 = 4\nr5 = 5 ll\ncall 7\nr0 += r2\nexit', [], new Memory(), Object.assign([], { 7: h }));
    expect(seen).toEqual([1n, 0xfffffffffffffffen, 3n, 4n, 5n]);
    expect(r.r0).toBe(0x1122334455667786n);
  });

  test('an unknown helper id is a helper fault', () => {
    expect(exec('call 99\nexit').fault).toEqual({ kind: 'helper', pc: 0, message: 'insn 0: unknown helper 99' });
  });

  test('bpf-to-bpf calls get their own frame and keep r6-r9', () => {
    const r = exec(`
      r6 = 6
      *(u64 *)(r10 - 8) = 100
      r1 = 5
      call f
      r0 += r6
      r1 = *(u64 *)(r10 - 8)
      r0 += r1
      exit
    f:
      *(u64 *)(r10 - 8) = 1000
      r6 = 99
      r0 = r1
      r0 *= 2
      exit`);
    expect(r.r0).toBe(10n + 6n + 100n);
  });

  test(`calls nest at most ${MAX_CALL_FRAMES} frames deep`, () => {
    const r = exec('call f\nexit\nf: call f\nexit');
    expect(r.fault).toEqual({ kind: 'call-depth', pc: 2, message: `insn 2: bpf-to-bpf calls nested deeper than ${MAX_CALL_FRAMES} frames` });
  });

  test(`tail calls replace the program, fall through on an empty slot, and stop after ${MAX_TAIL_CALL_CNT}`, () => {
    const memory = new Memory();
    const progs: VmProgram[] = [];
    const map = memory.alloc(8, { kind: 'map', object: { maxEntries: 4, tailCallTarget: (i: number) => progs[i]?.runnable(engine) } });
    const mapAddr = `0x${map.address().toString(16)} ll`;
    // Slot 0: count in the memory r1 points at, then tail-call itself.
    progs[0] = prog(`r6 = r1\nr2 = *(u64 *)(r6 + 0)\nr2 += 1\n*(u64 *)(r6 + 0) = r2\nr1 = r6\nr2 = ${mapAddr}\nr3 = 0\ncall 12\nr0 = 77\nexit`);
    const counter = memory.alloc(8, { kind: 'mem' });
    const r = run(progs[0], engine, memory, [counter.address()]);
    expect(r.r0).toBe(77n);
    expect(counter.view.getBigUint64(0, true)).toBe(BigInt(MAX_TAIL_CALL_CNT + 1));
    // An empty slot and an index out of range fall through with r0 = -EINVAL.
    expect(exec(`r2 = ${mapAddr}\nr3 = 3\ncall 12\nexit`, [], memory).r0).toBe(BigInt.asUintN(64, -22n));
    expect(exec(`r2 = ${mapAddr}\nr3 = 9\ncall 12\nexit`, [], memory).r0).toBe(BigInt.asUintN(64, -22n));
  });

  test('LD_ABS past the packet ends the program with r0 = 0', () => {
    const memory = new Memory();
    const pkt = memory.map(Uint8Array.of(0x12, 0x34, 0x56, 0x78), { kind: 'packet' });
    const p = prog('r0 = 5\nr0 = *(u16 *)skb[2]\nr0 = *(u32 *)skb[1]\nexit');
    const C = new ExecContext(memory, { skbData: pkt });
    expect(runIn(p, engine, C, [])).toEqual({ r0: 0n, retval: 0, insnCount: 4 });
    const C2 = new ExecContext(memory, { skbData: pkt });
    expect(runIn(prog('r6 = 1\nr0 = *(u16 *)skb[r6 + 1]\nexit'), engine, C2, []).r0).toBe(0x5678n);
  });

  test('unresolved map references cannot run', () => {
    const r = exec('r1 = map[fd:3] ll\nr0 = 0\nexit');
    expect(r.fault?.kind).toBe('invalid');
    expect(r.fault?.message).toMatch(/must be resolved by the loader/);
  });
});

describe('prepareProgram refuses what neither engine can run', () => {
  test.each([
    ['r0 = 0', /must be an exit or a jump/],
    ['goto +5\nexit', /jump out of range to insn 6/],
    ['call f\ngoto +1\nf: r0 = 0\nexit', /jump out of its subprogram/],
    ['callx r1\nexit', /callx/],
  ])('%j', (text, why) => {
    expect(() => prog(text)).toThrow(PrepareError);
    expect(() => prog(text)).toThrow(why);
  });
  test('a jump into the middle of ld_imm64', () => {
    const insns = assemble('goto +1\nr1 = 1 ll\nexit').insns;
    expect(() => new VmProgram(insns)).toThrow(/jump out of range to insn 2/);
  });
  test('a call into the middle of ld_imm64', () => {
    const insns = assemble('r1 = 1 ll\nexit').insns;
    insns.unshift({ code: 0x85, dst: 0, src: BPF_PSEUDO_CALL, off: 0, imm: 1 });
    expect(() => new VmProgram(insns)).toThrow(/not the start of an instruction/);
  });
});

test('the JIT compiles loops into real JS loops and irreducible graphs into a dispatch loop', () => {
  expect(prog('r0 = 0\nl: r0 += 1\nif r0 < 9 goto l\nexit').jitSource()).toMatch(/L1: for \(;;\)/);
  // Two entries into the loop {a, b}: irreducible.
  const irreducible = prog('if r1 > 5 goto b\na: r1 += 1\nb: r1 += 2\nif r1 < 20 goto a\nr0 = r1\nexit');
  expect(irreducible.jitSource()).toMatch(/switch \(pc\)/);
  for (const e of ENGINES) expect(run(irreducible, e, new Memory(), [7]).r0).toBe(21n);
});
