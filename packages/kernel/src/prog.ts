// A loaded program (struct bpf_prog + bpf_prog_aux): the instructions after the loader
// resolved map references to addresses, the engines' form, the maps it holds, and what
// BPF_OBJ_GET_INFO_BY_FD reports.
import type { Insn } from '@bpfsim/isa';
import type { EngineName, Runnable, VmProgram } from '@bpfsim/vm';
import type { InsnFacts } from '@bpfsim/verifier';
import type { BpfMap } from './maps/map';
import { BpfObject } from './object';

export interface ProgSpec {
  type: number;
  expectedAttachType: number;
  name: string;
  license: string;
  gplCompatible: boolean;
  /** The instructions as loaded (before map fds became addresses): what info's xlated shows. */
  origInsns: readonly Insn[];
  /** bpf_prog_calc_tag(): sha1 of the program with map references zeroed, first 8 bytes. */
  tag: Uint8Array;
  /** The verifier's insn_processed (bpf_prog_info.verified_insns). */
  verifiedInsns: number;
  facts: InsnFacts[] | undefined;
  /** The verifier proved an exit returns a value only the expected attach type gives meaning
   * to (prog->enforce_expected_attach_type): attaching elsewhere is refused. */
  enforceExpectedAttachType: boolean;
  /** prog->aux->max_ctx_offset: raw tracepoints check it against the argument count. */
  maxCtxOffset: number;
  loadTime: bigint;
  uid: number;
}

export class BpfProg extends BpfObject {
  readonly kind = 'prog' as const;
  /** Runs of the program (bpf_prog_info.run_cnt / run_time_ns when stats are on). */
  runCnt = 0n;
  runTimeNs = 0n;

  constructor(
    readonly spec: ProgSpec,
    readonly vm: VmProgram,
    /** Maps the program refers to; it holds a reference to each. */
    readonly usedMaps: readonly BpfMap[],
    private readonly engine: () => EngineName,
    private readonly onRelease: (p: BpfProg) => void,
  ) {
    super();
  }

  get type(): number {
    return this.spec.type;
  }
  get expectedAttachType(): number {
    return this.spec.expectedAttachType;
  }
  get name(): string {
    return this.spec.name;
  }

  /** The program as the kernel's current engine runs it (tail calls land here). */
  runnable(): Runnable {
    return this.vm.runnable(this.engine());
  }

  protected release(): void {
    this.onRelease(this);
    for (const m of this.usedMaps) m.put();
  }
}
