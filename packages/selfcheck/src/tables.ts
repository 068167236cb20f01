// What BPF_PROG_LOAD checks programs against in a bpfsim kernel with every layer installed
// (the kernel's program types and helpers, and sockmap's SK_MSG type and msg_* helpers):
// the tables `bpfsim verify` and selfcheck hand the verifier.
import { Kernel } from '@bpfsim/kernel';
import { installSockmap } from '@bpfsim/sockmap';
import type { HelperProto, ProgTypeDescriptor } from '@bpfsim/verifier';

export interface VerifierTables {
  readonly progTypes: readonly ProgTypeDescriptor[];
  readonly helpers: readonly HelperProto[];
}

let tables: VerifierTables | undefined;

/** The program-type descriptors and helper prototypes of a kernel with sockmap installed. */
export function verifierTables(): VerifierTables {
  if (!tables) {
    const k = new Kernel();
    installSockmap(k);
    tables = { progTypes: k.progTypes.descriptors(), helpers: k.helpers.protos() };
  }
  return tables;
}
