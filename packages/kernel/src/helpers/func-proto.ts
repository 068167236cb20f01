// A helper as the kernel holds it: struct bpf_func_proto (include/linux/bpf.h) — the
// prototype the verifier checks a call against (@bpfsim/verifier's HelperProto: argument
// and return kinds, gpl_only, pkt_access…) and the implementation the VM calls, in one
// object. The package that owns a helper defines it (helper()); the kernel's HelperTable
// holds them by id, and BPF_PROG_LOAD hands the verifier the table's prototypes
// (VerifyOptions.helpers), as it hands it the program types. A prototype without an
// implementation (protoOnly(): proto-only.ts) still verifies; a run that calls it faults.
import { helperId } from '@bpfsim/isa';
import type { HelperProto } from '@bpfsim/verifier';
import type { Helper } from '@bpfsim/vm';

/** struct bpf_func_proto: the prototype and, unless the entry is prototype-only, `func`. */
export interface BpfFuncProto extends HelperProto {
  /** What the VM calls (bpf_func_proto.func); undefined for a prototype-only entry. */
  readonly func: Helper | undefined;
}

/** The flags of a prototype (HelperProto less id, name, args and ret). */
export type ProtoFlags = Omit<HelperProto, 'id' | 'name' | 'args' | 'ret'>;

function protoOf(name: string, args: HelperProto['args'], ret: HelperProto['ret'], flags: ProtoFlags): HelperProto {
  const id = helperId(name);
  if (id === undefined) throw new Error(`bpfsim bug: no helper named ${name}`);
  return { id, name: `bpf_${name}`, args, ret, ...flags };
}

/** A helper: its prototype (the name without bpf_, resolved through the uapi's id table)
 * and its implementation. */
export function helper(name: string, args: HelperProto['args'], ret: HelperProto['ret'], func: Helper, flags: ProtoFlags = {}): BpfFuncProto {
  return { ...protoOf(name, args, ret, flags), func };
}

/** A prototype-only entry: the verifier checks calls against it; nothing implements it
 * (yet, or in this kernel: see proto-only.ts). */
export function protoOnly(name: string, args: HelperProto['args'], ret: HelperProto['ret'], flags: ProtoFlags = {}): BpfFuncProto {
  return { ...protoOf(name, args, ret, flags), func: undefined };
}

/** The implementation of a prototype the kernel declares for an upper layer (proto-only.ts:
 * a helper the kernel's program types offer whose work needs the socket layer). */
export function implement(proto: BpfFuncProto, func: Helper): BpfFuncProto {
  return { ...proto, func };
}

/** Whether two entries have the same prototype (everything but func). */
function sameProto(a: HelperProto, b: HelperProto): boolean {
  return (
    a.id === b.id &&
    a.name === b.name &&
    a.ret === b.ret &&
    a.args.length === b.args.length &&
    a.args.every((t, i) => t === b.args[i]) &&
    !a.gplOnly === !b.gplOnly &&
    !a.pktAccess === !b.pktAccess &&
    !a.changesPktData === !b.changesPktData &&
    !a.acquires === !b.acquires
  );
}

/** A kernel's helpers by id: the whole objects, the prototypes for the verifier, and the
 * functions for the VM. */
export class HelperTable {
  /** What the VM calls, by helper id (ExecOptions.helpers): each entry's func. */
  readonly funcs: (Helper | undefined)[] = [];
  private readonly byId: (BpfFuncProto | undefined)[] = [];
  private protoList: readonly BpfFuncProto[] | undefined;

  /**
   * Adds helpers. An id already present may be given again only with the same prototype:
   * the same object (a second host installing its stack's helpers), or the implementation
   * of a prototype-only entry (what the verifier checked programs against stays the same).
   */
  register(helpers: readonly BpfFuncProto[]): void {
    for (const h of helpers) {
      const old = this.byId[h.id];
      if (old && old !== h && (!sameProto(old, h) || (old.func !== undefined && old.func !== h.func))) {
        throw new Error(`bpfsim bug: ${h.name} is already in the helper table${sameProto(old, h) ? ' with another implementation' : ' with another prototype'}`);
      }
      this.byId[h.id] = h;
      this.funcs[h.id] = h.func;
      this.protoList = undefined;
    }
  }

  /** The entry for helper `id`, if the kernel has one. */
  get(id: number): BpfFuncProto | undefined {
    return this.byId[id];
  }

  /** Every prototype, for the verifier (VerifyOptions.helpers). */
  protos(): readonly BpfFuncProto[] {
    return (this.protoList ??= this.byId.filter((h): h is BpfFuncProto => h !== undefined));
  }
}
