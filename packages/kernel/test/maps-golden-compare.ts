// How a replayed step's result is compared with the kernel's.
import type { Step, StepResult } from './maps-golden-cases';

/** The kernel's result without what bpfsim does not reproduce (the verifier log line). */
export function comparable(r: StepResult): StepResult {
  const { log: _log, ...rest } = r;
  return rest;
}

export function compareStep(step: Step, mine: StepResult, kernel: StepResult, index: number): void {
  expect({ step: index, op: step.op, result: comparable(mine) }).toEqual({ step: index, op: step.op, result: comparable(kernel) });
}
