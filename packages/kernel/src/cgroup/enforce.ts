// prog->enforce_expected_attach_type for cgroup skb programs: check_return_code() sets it
// when an egress program's R0 at some exit is known to be 2 or 3 (tnum_in(tnum_range(2, 3),
// r0)); such a program may not be attached at ingress, where bit 1 means nothing. The
// verifier reports the bit (VerifyResult.enforceExpectedAttachType) and the loader keeps it.
import type { BpfProg } from '../prog';

/** prog->enforce_expected_attach_type */
export function enforceExpectedAttachType(prog: BpfProg): boolean {
  return prog.spec.enforceExpectedAttachType;
}
