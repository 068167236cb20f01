// Compares bpfsim's BPF_PROG_TEST_RUN with what the live kernel recorded.
import { decode } from '@bpfsim/isa';
import { SysError } from '@bpfsim/isa';
import type { EngineName } from '../src';
import { VmProgram, testRun } from '../src';
import type { KernelCase } from './kernel-cases';
import { expandData } from './kernel-cases';

export interface KernelResult {
  id: string;
  loaded: boolean;
  errno?: string;
  verifierError?: string;
  retval?: number;
  /** Hex, or for large outputs `sha1:` and the digest. */
  dataOut?: string;
}

export interface TestRunGolden {
  recordedBy: string;
  kernel: string;
  cases: KernelCase[];
  results: KernelResult[];
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function digest(hexText: string): string {
  if (hexText.length <= 2048) return hexText;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return 'sha1:' + createHash('sha1').update(hexText).digest('hex');
}

/** What bpfsim gives for a case, in the form the kernel's result takes. */
export function bpfsimResult(c: KernelCase, engine: EngineName): Omit<KernelResult, 'verifierError'> {
  const prog = new VmProgram(decode(Uint8Array.from(Buffer.from(c.insns, 'hex'))));
  try {
    const r = testRun(prog, c.progType, expandData(c.data), { engine });
    if (r.fault) return { id: c.id, loaded: true, errno: `fault: ${r.fault.message}` };
    return { id: c.id, loaded: true, retval: r.retval, dataOut: digest(hex(r.dataOut)) };
  } catch (e) {
    if (e instanceof SysError) return { id: c.id, loaded: true, errno: e.code };
    throw e;
  }
}
