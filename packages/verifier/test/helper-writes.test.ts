// Stack memory a helper writes (ARG_PTR_TO_UNINIT_MEM, "raw mode"): after the call the bytes
// hold an unknown value. check_helper_call() re-checks them as byte writes made by the call
// instruction, so bytes that were STACK_ZERO become STACK_MISC. Linux's log of the example
// objects shows it (fp-8=mmmmmmmm after bpf_probe_read_kernel into a zeroed buffer); here bpf_skb_load_bytes; bpfsim
// used to leave them zero, and then accepted a program that dereferences what the helper wrote.
import { BPF_PROG_TYPE, assemble } from '@bpfsim/isa';
import { verify } from '../src';
import { PROG_TYPES, HELPERS } from './prog-types';

const SOCKET_FILTER = BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER;

const prog = (readOff: number): string => `
  r2 = 0
  *(u64 *)(r10 - 8) = r2        // fp-8 = 00000000
  r2 = 0                        // offset in the packet
  r3 = r10
  r3 += -8
  r4 = 8
  call bpf_skb_load_bytes       // writes 8 unknown bytes there (r1: the skb)
  r0 = *(u8 *)(r10 ${readOff})
  if r0 == 0 goto ok
  r0 = *(u64 *)(r0 + 0)         // a scalar used as a pointer
ok:
  r0 = 0
  exit`;

describe('helper writes into zeroed stack', () => {
  test.each([-8, -7, -1])('a byte the helper wrote (fp%i) is unknown, so the bad branch is checked and refused', (off) => {
    const r = verify(assemble(prog(off)).insns, { progType: SOCKET_FILTER, progTypes: PROG_TYPES, helpers: HELPERS, logLevel: 2 });
    expect(r.accepted).toBe(false);
    expect(r.error).toBe("R0 invalid mem access 'scalar'");
    expect(r.log).toContain('fp-8=mmmmmmmm');
  });
});
