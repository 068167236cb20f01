// ELF objects on the command line: `bpfsim obj|verify|test-run|disasm FILE.o`. An object is
// opened with @bpfsim/loader and, where a verdict is wanted, loaded program by program into
// a fresh simulated kernel (as root, sockmap installed) exactly as libbpf would load it.
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, BPF_PROG_TYPE, SysError, uapiShortName } from '@bpfsim/isa';
import { BpfClient, Kernel } from '@bpfsim/kernel';
import { LoaderUsageError, ObjectFormatError, ProgramLoadError, openObject, type ObjectFile, type ObjectProgram } from '@bpfsim/loader';
import { installSockmap } from '@bpfsim/sockmap';
import type { Io } from './io';
import { UsageError, displayName, readInput } from './io';

/** An ELF file, by its magic (not its name). */
export const isElf = (bytes: Uint8Array): boolean => bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;

export function readObject(io: Io, file: string): ObjectFile {
  const bytes = readInput(io, file);
  return openObjectBytes(bytes, displayName(file));
}

export function openObjectBytes(bytes: Uint8Array, name: string): ObjectFile {
  // An ObjectFormatError names its place (`file.o: section 'x' +0x10: ...`); runCli prints it as is.
  return openObject(bytes, { file: name });
}

export const progTypeName = (t: number): string => uapiShortName(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', t) ?? String(t);
export const attachTypeName = (t: number): string => (t ? (uapiShortName(BPF_ATTACH_TYPE, 'BPF_', t) ?? String(t)) : '-');
export const mapTypeName = (t: number): string => uapiShortName(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', t) ?? String(t);

/** Picks the programs `--program NAME` names (all when none). */
export function selectPrograms(obj: ObjectFile, name: string | undefined): ObjectProgram[] {
  if (!name) return obj.programs;
  try {
    return [obj.program(name)];
  } catch (e) {
    if (e instanceof LoaderUsageError) throw new UsageError(`--program: ${e.message}`);
    throw e;
  }
}

export interface ObjectVerdict {
  program: string;
  section: string;
  accepted: boolean;
  errno?: string;
  error?: string;
  insns: number;
  log: string;
}

/**
 * Loads one program of an object into a fresh simulated kernel (its maps created, relocations
 * applied, only that program autoloaded, as `probe_objects.py` does on Linux) and returns the
 * verdict. `prepare` may set globals or map sizes first.
 */
export function loadOne(bytes: Uint8Array, file: string, program: string, logLevel: 0 | 1 | 2, prepare?: (obj: ObjectFile) => void): { verdict: ObjectVerdict; obj: ObjectFile; client: BpfClient } {
  const obj = openObjectBytes(bytes, file);
  for (const p of obj.programs) p.autoload = p.name === program;
  prepare?.(obj);
  const kernel = new Kernel();
  installSockmap(kernel);
  const client = new BpfClient(kernel, kernel.spawn({ comm: 'bpfsim' }));
  const p = obj.program(program);
  try {
    obj.load(client, { logLevel });
    return { verdict: { program, section: p.sectionName, accepted: true, insns: p.insns.length, log: p.log }, obj, client };
  } catch (e) {
    if (e instanceof ProgramLoadError) return { verdict: { program, section: p.sectionName, accepted: false, errno: e.code, error: e.reason, insns: p.insns.length, log: e.log }, obj, client };
    if (e instanceof ObjectFormatError) throw new UsageError(e.message);
    if (e instanceof SysError) return { verdict: { program, section: p.sectionName, accepted: false, errno: e.code, error: `creating the object's maps: ${e.message.replace(/^[A-Z0-9]+: /, '')}`, insns: 0, log: '' }, obj, client };
    throw e;
  }
}
