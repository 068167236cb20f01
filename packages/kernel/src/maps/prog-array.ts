// BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c, prog_fd_array_*): the programs a
// bpf_tail_call() may jump to. Only user space fills it (values are prog fds; lookups
// return prog ids). A slot holds a reference to its program. The first program to meet
// the map (inserted, or loaded using it for tail calls) becomes its owner; later ones
// must have the same type and expected_attach_type (__bpf_prog_map_compatible), else
// EINVAL.
import { BPF_PROG_TYPE, SysError } from '@bpfsim/isa';
import type { Runnable } from '@bpfsim/vm';
import type { BpfProg } from '../prog';
import type { MapHost, MapSpec } from './map';
import type { FdSource } from './fd-array';
import { FdArrayMap, fdArrayMapAllocCheck } from './fd-array';
import { arrayMapAllocSize } from './array-map';
import type { BuiltinMapTypeOps } from './ops';

/** map->owner: what programs sharing the map must agree on. */
export interface ProgArrayOwner {
  type: number;
  expectedAttachType: number;
}

export class ProgArrayMap extends FdArrayMap<BpfProg> {
  /** Set by the first compatible program; kept for the map's life. */
  owner: ProgArrayOwner | null = null;
  protected readonly sysLookupId = (p: BpfProg): number => p.id;

  constructor(host: MapHost, spec: MapSpec) {
    super(host, spec);
  }

  /** __bpf_prog_map_compatible(): the first program sets the owner; the others must match. */
  compatible(prog: BpfProg): boolean {
    if (!this.owner) {
      this.owner = { type: prog.type, expectedAttachType: prog.expectedAttachType };
      return true;
    }
    return this.owner.type === prog.type && this.owner.expectedAttachType === prog.expectedAttachType;
  }

  /** prog_fd_array_get_ptr() */
  protected getPtr(fds: FdSource, fd: number): BpfProg {
    const o = fds.lookup(fd);
    if (!o) throw new SysError('EBADF', `fd ${fd} is not open`);
    if (o.kind !== 'prog') throw new SysError('EINVAL', `fd ${fd} is not a program`);
    const prog = o as BpfProg;
    if (prog.type === BPF_PROG_TYPE.BPF_PROG_TYPE_EXT || !this.compatible(prog)) {
      throw new SysError('EINVAL', `a ${prog.type}/${prog.expectedAttachType} program does not go with this prog array (owner ${this.owner?.type}/${this.owner?.expectedAttachType})`);
    }
    return prog.get();
  }

  protected putPtr(prog: BpfProg): void {
    prog.put();
  }

  /** The TailCallMap side: the program in slot `index`, as the kernel's engine runs it. */
  tailCallTarget(index: number): Runnable | undefined {
    return this.slots[index]?.runnable();
  }
}

export const PROG_ARRAY_OPS: BuiltinMapTypeOps = {
  name: 'prog_array',
  check: fdArrayMapAllocCheck,
  allocCheck: (spec, _host, ctx) => arrayMapAllocSize(spec, 1, ctx.perfmon),
  create: (host, spec) => new ProgArrayMap(host, spec),
};
