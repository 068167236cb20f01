// `bpfsim test-run`: BPF_PROG_TEST_RUN in the simulator (bpftool prog run's job).
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Insn } from '@bpfsim/isa';
import { BPF_PROG_TYPE, IsaError, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import type { EngineName, TestRunProgType, TestRunResult } from '@bpfsim/vm';
import { PrepareError, VmProgram, testRun } from '@bpfsim/vm';
import type { Io } from '../io';
import { UsageError, displayName, readInput, utf8 } from '../io';
import { readProgram } from '../program-input';
import { isElf, loadOne, readObject, selectPrograms } from '../object-input';

interface TestRunFlags {
  progType?: string;
  data?: string;
  repeat: string;
  engine: EngineName;
  json?: boolean;
  hex?: boolean;
  batch?: boolean;
  dumpJit?: boolean;
  program?: string;
}

const PROG_TYPES: Record<string, TestRunProgType> = {
  xdp: 'xdp',
  bpf_prog_type_xdp: 'xdp',
  socket_filter: 'socket_filter',
  socket: 'socket_filter',
  bpf_prog_type_socket_filter: 'socket_filter',
};

export function progTypeByName(name: string): TestRunProgType {
  const t = PROG_TYPES[name.toLowerCase()];
  if (!t) throw new UsageError(`unknown or unsupported program type '${name}' (test-run supports: xdp, socket_filter)`);
  return t;
}

const now = (): number => performance.now() * 1e6;

function prepare(insns: Insn[], name: string): VmProgram {
  try {
    return new VmProgram(insns);
  } catch (e) {
    if (e instanceof PrepareError) throw new UsageError(e.message, name);
    throw e;
  }
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function jsonResult(r: TestRunResult): Record<string, unknown> {
  const o: Record<string, unknown> = { retval: r.retval, dataOut: hex(r.dataOut), durationNs: r.durationNs };
  if (r.fault) o.fault = { kind: r.fault.kind, pc: r.fault.pc, message: r.fault.message, ...(r.fault.address !== undefined ? { address: '0x' + r.fault.address.toString(16) } : {}) };
  return o;
}

export function registerTestRun(program: Command, io: Io): void {
  program
    .command('test-run')
    .description('run a program on a packet, as BPF_PROG_TEST_RUN does')
    .argument('<file>', "program (.s assembly, .bin bytecode, or hex with --hex), or a JSON-lines file with --batch; '-' for standard input")
    .option('--prog-type <type>', 'program type: xdp or socket_filter')
    .option('--data <hex>', 'the packet, as hex bytes')
    .option('--repeat <n>', 'runs to average the duration over', '1')
    .addOption(new Option('--engine <engine>', 'execution engine').choices(['interp', 'jit']).default('jit'))
    .option('--hex', 'FILE holds hex text of the bytecode')
    .option('--json', 'print one JSON object {retval, dataOut, durationNs, fault?}')
    .option('--batch', 'FILE is JSON lines {"id","progType","insns":hex,"data":hex}; one result line each')
    .option('--dump-jit', "print the JavaScript the JIT generates for the program (to standard error)")
    .option('--program <name>', 'with an ELF object: the program to run (needed when it has several)')
    .addHelpText(
      'after',
      `
The packet gets what Linux gives it: XDP programs see it after 256 bytes of headroom
(data..data_end); socket filters start at the network header (LD_ABS offset 0), and the
Ethernet header comes back zeroed in data_out, as on Linux.

Examples:
  bpfsim test-run prog.s --prog-type xdp --data 00112233445566778899aabb0800
  bpfsim test-run prog.bin --prog-type xdp --data "$(cat pkt.hex)" --repeat 10000 --json
  bpfsim test-run --batch vectors.jsonl --engine interp
  bpfsim test-run scenarios/progs/xdp_socket.bpf.o --program NAME --data 0011...

An ELF object is loaded into a simulated kernel as libbpf would load it (maps created,
globals set) and run through BPF_PROG_TEST_RUN there; its type comes from its section.`,
    )
    .action((file: string, flags: TestRunFlags) => {
      if (flags.batch) return batch(io, file, flags);
      if (file !== '-' && !flags.hex && isElf(readInput(io, file))) return runObject(io, file, flags);
      if (flags.program) throw new UsageError('--program is for ELF objects; this file is not one');
      if (!flags.progType) throw new UsageError('--prog-type is required (xdp or socket_filter)');
      if (flags.data === undefined) throw new UsageError('--data is required (the packet as hex bytes)');
      const progType = progTypeByName(flags.progType);
      const repeat = Number(flags.repeat);
      if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100_000_000) throw new UsageError(`--repeat must be a positive integer, got '${flags.repeat}'`);
      const data = parseHexBytes(flags.data, '--data');
      const input = readProgram(io, file, { hex: !!flags.hex });
      for (const w of input.warnings) io.stderr(w + '\n');
      const prog = prepare(input.insns, input.name);
      if (flags.dumpJit) io.stderr(prog.jitSource() + '\n');
      const r = testRun(prog, progType, data, { engine: flags.engine, repeat, now });
      if (flags.json) {
        io.stdout(JSON.stringify(jsonResult(r)) + '\n');
      } else {
        io.stdout(`retval: ${r.retval} (0x${r.retval.toString(16)})\n`);
        io.stdout(`data_out: ${hex(r.dataOut)}\n`);
        io.stdout(`duration: ${r.durationNs} ns per run (${flags.engine}, ${repeat} run${repeat === 1 ? '' : 's'})\n`);
        if (r.fault) io.stdout(`fault: ${r.fault.message}\n`);
      }
    });
}

/** `test-run FILE.o`: BPF_PROG_TEST_RUN of one of the object's programs in a simulated kernel. */
function runObject(io: Io, file: string, flags: TestRunFlags): void {
  if (flags.progType) throw new UsageError('--prog-type does not apply to an ELF object: its section names the type');
  if (flags.data === undefined) throw new UsageError('--data is required (the packet as hex bytes)');
  const repeat = Number(flags.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100_000_000) throw new UsageError(`--repeat must be a positive integer, got '${flags.repeat}'`);
  const data = parseHexBytes(flags.data, '--data');
  const obj = readObject(io, file);
  const runnable = obj.programs.filter((p) => p.type === BPF_PROG_TYPE.BPF_PROG_TYPE_XDP || p.type === BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER);
  const chosen = flags.program ? selectPrograms(obj, flags.program)[0]! : runnable.length === 1 ? runnable[0]! : undefined;
  if (!chosen) throw new UsageError(`the object has ${runnable.length} programs test-run can run (xdp, socket): pick one with --program (${obj.programs.map((p) => p.name).join(', ')})`, displayName(file));
  const { verdict, obj: loaded } = loadOne(readInput(io, file), displayName(file), chosen.name, 0);
  if (!verdict.accepted) {
    io.stderr(verdict.log);
    throw new UsageError(`program '${chosen.name}' does not load: ${verdict.error} (${verdict.errno})`, displayName(file));
  }
  const prog = loaded.program(chosen.name);
  const t0 = now();
  let r;
  try {
    r = prog.testRun(data, { repeat });
  } catch (e) {
    if (e instanceof SysError) throw new UsageError(`BPF_PROG_TEST_RUN: ${e.message} (${e.code})`, displayName(file));
    throw e;
  }
  const durationNs = Math.round((now() - t0) / repeat);
  loaded.close();
  const out = r.dataOut ?? new Uint8Array(0);
  if (flags.json) io.stdout(JSON.stringify({ program: chosen.name, retval: r.retval, dataOut: hex(out), durationNs }) + '\n');
  else {
    io.stdout(`program: ${chosen.name} (section ${chosen.sectionName})\n`);
    io.stdout(`retval: ${r.retval} (0x${(r.retval >>> 0).toString(16)})\n`);
    io.stdout(`data_out: ${hex(out)}\n`);
    io.stdout(`duration: ${durationNs} ns per run (the kernel's BPF_PROG_TEST_RUN, ${repeat} run${repeat === 1 ? '' : 's'})\n`);
  }
}

/** One vector a line in, one result a line out; a bad line is reported and the rest still run. */
function batch(io: Io, file: string, flags: TestRunFlags): void {
  const name = displayName(file);
  const lines = utf8(readInput(io, file)).split('\n');
  const programs = new Map<string, VmProgram>();
  let bad = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let id: unknown = null;
    try {
      let v: { id?: unknown; progType?: unknown; insns?: unknown; data?: unknown };
      try {
        v = JSON.parse(line) as typeof v;
      } catch {
        throw new UsageError(`line ${i + 1}: not valid JSON`);
      }
      id = v.id ?? null;
      if (typeof v.progType !== 'string' || typeof v.insns !== 'string' || typeof v.data !== 'string')
        throw new UsageError(`line ${i + 1}: expected {"id", "progType", "insns": hex, "data": hex}`);
      const where = `${name}:${i + 1}`;
      let prog = programs.get(v.insns);
      if (!prog) {
        prog = prepare(decode(parseHexBytes(v.insns, `${where} insns`)), where);
        programs.set(v.insns, prog);
      }
      const r = testRun(prog, progTypeByName(v.progType), parseHexBytes(v.data, `${where} data`), { engine: flags.engine });
      const { durationNs: _d, ...rest } = jsonResult(r);
      io.stdout(JSON.stringify({ id, ...rest }) + '\n');
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof IsaError || e instanceof SysError)) throw e;
      bad++;
      const message = e instanceof UsageError && e.place ? `${e.place}: ${e.message}` : e.message;
      const error = e instanceof SysError ? { errno: e.code, error: e.message } : { error: message.startsWith(name) || message.startsWith('line') ? message : `line ${i + 1}: ${message}` };
      io.stdout(JSON.stringify({ id, ...error }) + '\n');
    }
  });
  if (bad) throw new UsageError(`${bad} line${bad === 1 ? '' : 's'} could not run (see their "error")`, name);
}
