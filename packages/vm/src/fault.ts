// Typed faults: the ways a run can end other than `exit`. Both engines raise the same fault
// (kind, pc, address) for the same program and input.

export type FaultKind =
  /** A load, store or atomic outside every region, or a store to read-only memory. */
  | 'memory'
  /** The instruction budget ran out (charged per basic block on entry). */
  | 'budget'
  /** A call to a helper id the program type does not provide. */
  | 'helper'
  /** A helper reported that its arguments were unusable (a bug the verifier would catch). */
  | 'helper-args'
  /** bpf-to-bpf calls nested deeper than MAX_CALL_FRAMES. */
  | 'call-depth'
  /** An instruction that cannot run (callx, an unresolved pseudo ld_imm64). */
  | 'invalid';

export interface Fault {
  kind: FaultKind;
  /** Instruction (slot) index, in the program that was running. */
  pc: number;
  /** The faulting 64-bit address, for memory faults. */
  address?: bigint;
  /** A sentence for people. */
  message: string;
}

/** Thrown inside a run and caught by the engine, which returns it as RunResult.fault. */
export class VmFault extends Error {
  readonly fault: Fault;
  constructor(fault: Fault) {
    super(fault.message);
    this.name = 'VmFault';
    this.fault = fault;
  }
}

const hex64 = (a: bigint): string => '0x' + a.toString(16).padStart(16, '0');

export function memoryFault(pc: number, address: bigint, size: number, write: boolean, readOnly = false): VmFault {
  const what = readOnly ? `write of ${size} bytes to read-only memory at ${hex64(address)}` : `${write ? 'write' : 'read'} of ${size} bytes at ${hex64(address)} is outside every region`;
  return new VmFault({ kind: 'memory', pc, address, message: `insn ${pc}: invalid memory access: ${what}` });
}

export function budgetFault(pc: number, budget: number): VmFault {
  return new VmFault({ kind: 'budget', pc, message: `insn ${pc}: instruction budget of ${budget} exhausted` });
}

export function helperFault(pc: number, id: number): VmFault {
  return new VmFault({ kind: 'helper', pc, message: `insn ${pc}: unknown helper ${id}` });
}

export function callDepthFault(pc: number, depth: number): VmFault {
  return new VmFault({ kind: 'call-depth', pc, message: `insn ${pc}: bpf-to-bpf calls nested deeper than ${depth} frames` });
}

export function invalidFault(pc: number, why: string): VmFault {
  return new VmFault({ kind: 'invalid', pc, message: `insn ${pc}: ${why}` });
}
