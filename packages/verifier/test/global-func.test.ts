// Global functions (BTF func info with BTF_FUNC_GLOBAL linkage): Linux verifies each one on
// its own, for any arguments its prototype allows, and a call to one checks only the
// arguments and leaves an unknown scalar in R0. The messages are Linux 6.18's (verifier.c
// check_func_call, do_check_subprogs; btf.c btf_prepare_func_args); the example object
// connect_lb.bpf.o checks the whole log against the live kernel (loader/test/objects-log).
import { BPF_PROG_TYPE, assemble } from '@bpfsim/isa';
import type { BtfFuncInfo, BtfParam } from '../src';
import { verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';

const XDP = BPF_PROG_TYPE.BPF_PROG_TYPE_XDP;
const ctxArg: BtfParam = { kind: 'ptr', target: { kind: 'STRUCT', name: 'xdp_md', size: 24 } };
const int: BtfParam = { kind: 'scalar' };
const main: BtfFuncInfo = { insnOff: 0, name: 'prog', linkage: 'global', returnsScalar: true, params: [ctxArg] };
const fn = (insnOff: number, linkage: 'static' | 'global', params: BtfParam[], returnsScalar = true): BtfFuncInfo => ({ insnOff, name: 'helper_fn', linkage, returnsScalar, params });

/** main calls the function at insn 5 with r1 = ctx, r2 = 7; the function returns r2 + 1. */
const PROG = `
  r2 = 7
  call helper
  if r0 > 2 goto out
  r0 = 2
out:
  exit
helper:
  r0 = r2
  r0 += 1
  exit`;

const run = (src: string, funcInfo?: BtfFuncInfo[], logLevel: 0 | 1 | 2 = 2) => verify(assemble(src).insns, { progType: XDP, progTypes: PROG_TYPES, helpers: HELPERS, logLevel, ...(funcInfo ? { funcInfo } : {}) });

describe('global functions', () => {
  test('a static function is verified inline: its exact result (8) flows back to the caller', () => {
    const r = run(PROG, [main, fn(5, 'static', [ctxArg, int])]);
    expect(r.accepted).toBe(true);
    expect(r.log).toContain('caller:');
    expect(r.log).not.toContain('is global');
    // r0 = 8 > 2, so the fall-through `r0 = 2` is dead: never visited.
    expect(r.log).not.toMatch(/^3: \(b7\) r0 = 2/m);
  });

  test('a global one is assumed valid at the call (R0 unknown), then verified on its own', () => {
    const r = run(PROG, [main, fn(5, 'global', [ctxArg, int])]);
    expect(r.accepted).toBe(true);
    expect(r.log).toContain("Func#1 ('helper_fn') is global and assumed valid.\n");
    expect(r.log).toMatch(/^2: R0=scalar\(\)$/m);
    // R0 is unknown now, so both branches are explored.
    expect(r.log).toMatch(/^3: \(b7\) r0 = 2/m);
    expect(r.log).toContain('Validating helper_fn() func#1...\n5: R1=ctx() R2=scalar() R10=fp0\n');
    expect(r.log).toContain("Func#1 ('helper_fn') is safe for any args that match its prototype\n");
  });

  test('the caller must pass what the prototype says', () => {
    const bad = PROG.replace('r2 = 7', 'r2 = r10');
    const r = run(bad, [main, fn(5, 'global', [ctxArg, int])]);
    expect(r.accepted).toBe(false);
    expect(r.errno).toBe('EINVAL');
    expect(r.log).toContain('R2 is not a scalar\n');
    expect(r.error).toBe("Caller passes invalid args into func#1 ('helper_fn')");
  });

  test("a global function's result is unknown: a caller that relied on it is refused", () => {
    // The value returned is used as an offset into the 8-byte stack slot at fp-8.
    const src = `
      r2 = 0
      call helper
      r1 = r10
      r1 += -8
      r1 += r0
      r3 = 0
      *(u8 *)(r1 + 0) = r3
      r0 = 2
      exit
    helper:
      r0 = 3
      exit`;
    expect(run(src, [main, fn(9, 'static', [ctxArg, int])]).accepted).toBe(true);
    const g = run(src, [main, fn(9, 'global', [ctxArg, int])]);
    expect(g.accepted).toBe(false);
    expect(g.log).toContain("is global and assumed valid");
  });

  test('verified on its own, a global function must be safe for any argument', () => {
    // Safe for the caller's r2 = 7, not for every int: the function indexes the stack with it.
    const src = `
      r2 = 0
      call helper
      exit
    helper:
      r1 = r10
      r1 += -8
      r1 += r2
      r3 = 0
      *(u8 *)(r1 + 0) = r3
      r0 = 0
      exit`;
    expect(run(src, [main, fn(3, 'static', [ctxArg, int])]).accepted).toBe(true);
    const g = run(src, [main, fn(3, 'global', [ctxArg, int])]);
    expect(g.accepted).toBe(false);
    expect(g.log).toContain('Validating helper_fn() func#1...');
  });

  test('a global function must return a scalar, and one nobody calls is not verified', () => {
    const noScalar = run(PROG, [main, fn(5, 'global', [ctxArg, int], false)]);
    expect(noScalar.accepted).toBe(false);
    expect(noScalar.error).toBe("Caller passes invalid args into func#1 ('helper_fn')");
    expect(noScalar.log).toContain("Global function helper_fn() doesn't return scalar. Only those are supported.\n");

    const dead = `
      r0 = 2
      if r0 == 2 goto out
      call helper
    out:
      exit
    helper:
      r0 = r10
      exit`;
    const r = run(dead, [main, fn(4, 'global', [ctxArg])]);
    expect(r.accepted).toBe(true);
    expect(r.log).not.toContain('Validating');
  });

  test('pointer arguments of a global function are memory of the pointee size, maybe NULL', () => {
    const memArg: BtfParam = { kind: 'ptr', target: { kind: 'STRUCT', name: 'pair', size: 8 } };
    const src = `
      r1 = r10
      r1 += -8
      r2 = 0
      *(u64 *)(r1 + 0) = r2
      call helper
      r0 = 2
      exit
    helper:
      r0 = *(u64 *)(r1 + 0)
      exit`;
    const r = run(src, [main, fn(7, 'global', [memArg])]);
    expect(r.accepted).toBe(false);
    expect(r.log).toContain('7: R1=mem_or_null(id=1,sz=8) R10=fp0');
    expect(r.error).toBe("R1 invalid mem access 'mem_or_null'");
    const fwd: BtfParam = { kind: 'ptr', target: { kind: 'FWD', name: 'sock' } };
    const f = run(src, [main, fn(7, 'global', [fwd])]);
    expect(f.log).toContain("arg#0 reference type('FWD sock') size cannot be determined: -22\n");
  });

  test('func info must have one record per subprogram, at its start', () => {
    expect(run(PROG, [main]).error).toBe("number of funcs in func_info doesn't match number of subprogs");
    expect(run(PROG, [main, fn(6, 'global', [ctxArg, int])]).error).toBe("func_info BTF section doesn't match subprog layout in BPF program");
  });
});
