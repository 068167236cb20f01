// `bpfsim verify`: BPF_PROG_LOAD's verifier in the simulator: the verdict, the errno, the
// kernel's error sentence and (with --log-level) the verifier log in the kernel's format.
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Insn } from '@bpfsim/isa';
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE, IsaError, SysError, decode, mapTypeByName, parseHexBytes } from '@bpfsim/isa';
import type { MapInfo, VerifyOptions, VerifyResult } from '@bpfsim/verifier';
import type { ProgTypeDescriptor } from '@bpfsim/verifier';
import { verifierTables } from '@bpfsim/selfcheck';
import { verify } from '@bpfsim/verifier';
import { CheckFailed } from './conformance';
import type { Io } from '../io';
import { UsageError, displayName, readInput, utf8 } from '../io';
import { readProgramUnit } from '../program-input';
import { isElf, loadOne, readObject, selectPrograms, type ObjectVerdict } from '../object-input';

/** Every program type bpfsim registers (a kernel with sockmap installed). */
export const progTypeDescriptors = (): readonly ProgTypeDescriptor[] => verifierTables().progTypes;

interface VerifyFlags {
  progType?: string;
  attachType?: string;
  logLevel: string;
  unprivileged?: boolean;
  license: string;
  map: string[];
  hex?: boolean;
  json?: boolean;
  batch?: boolean;
  program?: string;
}

const P = BPF_PROG_TYPE;
const A = BPF_ATTACH_TYPE;

/** What a type name implies: the program type and, for hook-specific names, the
 * expected_attach_type (libbpf's section_defs). */
interface TypeSpec {
  progType: number;
  attachType?: number;
}

/** libbpf section names (exact, or the prefix before '/'): program type and attach type. */
const SECTIONS: Record<string, TypeSpec> = {
  xdp: { progType: P.BPF_PROG_TYPE_XDP, attachType: A.BPF_XDP },
  'xdp.frags': { progType: P.BPF_PROG_TYPE_XDP, attachType: A.BPF_XDP },
  'xdp/devmap': { progType: P.BPF_PROG_TYPE_XDP, attachType: A.BPF_XDP_DEVMAP },
  'xdp/cpumap': { progType: P.BPF_PROG_TYPE_XDP, attachType: A.BPF_XDP_CPUMAP },
  socket: { progType: P.BPF_PROG_TYPE_SOCKET_FILTER },
  sk_filter: { progType: P.BPF_PROG_TYPE_SOCKET_FILTER },
  tc: { progType: P.BPF_PROG_TYPE_SCHED_CLS },
  classifier: { progType: P.BPF_PROG_TYPE_SCHED_CLS },
  action: { progType: P.BPF_PROG_TYPE_SCHED_ACT },
  'cgroup/skb': { progType: P.BPF_PROG_TYPE_CGROUP_SKB },
  'cgroup_skb/ingress': { progType: P.BPF_PROG_TYPE_CGROUP_SKB, attachType: A.BPF_CGROUP_INET_INGRESS },
  'cgroup_skb/egress': { progType: P.BPF_PROG_TYPE_CGROUP_SKB, attachType: A.BPF_CGROUP_INET_EGRESS },
  'cgroup/sock': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK, attachType: A.BPF_CGROUP_INET_SOCK_CREATE },
  'cgroup/sock_create': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK, attachType: A.BPF_CGROUP_INET_SOCK_CREATE },
  'cgroup/sock_release': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK, attachType: A.BPF_CGROUP_INET_SOCK_RELEASE },
  'cgroup/post_bind4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK, attachType: A.BPF_CGROUP_INET4_POST_BIND },
  'cgroup/post_bind6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK, attachType: A.BPF_CGROUP_INET6_POST_BIND },
  'cgroup/bind4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET4_BIND },
  'cgroup/bind6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET6_BIND },
  'cgroup/connect4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET4_CONNECT },
  'cgroup/connect6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET6_CONNECT },
  'cgroup/sendmsg4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_UDP4_SENDMSG },
  'cgroup/sendmsg6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_UDP6_SENDMSG },
  'cgroup/recvmsg4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_UDP4_RECVMSG },
  'cgroup/recvmsg6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_UDP6_RECVMSG },
  'cgroup/getpeername4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET4_GETPEERNAME },
  'cgroup/getpeername6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET6_GETPEERNAME },
  'cgroup/getsockname4': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET4_GETSOCKNAME },
  'cgroup/getsockname6': { progType: P.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, attachType: A.BPF_CGROUP_INET6_GETSOCKNAME },
  sockops: { progType: P.BPF_PROG_TYPE_SOCK_OPS, attachType: A.BPF_CGROUP_SOCK_OPS },
  sk_skb: { progType: P.BPF_PROG_TYPE_SK_SKB },
  'sk_skb/stream_parser': { progType: P.BPF_PROG_TYPE_SK_SKB, attachType: A.BPF_SK_SKB_STREAM_PARSER },
  'sk_skb/stream_verdict': { progType: P.BPF_PROG_TYPE_SK_SKB, attachType: A.BPF_SK_SKB_STREAM_VERDICT },
  sk_msg: { progType: P.BPF_PROG_TYPE_SK_MSG, attachType: A.BPF_SK_MSG_VERDICT },
  raw_tp: { progType: P.BPF_PROG_TYPE_RAW_TRACEPOINT },
  raw_tracepoint: { progType: P.BPF_PROG_TYPE_RAW_TRACEPOINT },
  kprobe: { progType: P.BPF_PROG_TYPE_KPROBE },
  tracepoint: { progType: P.BPF_PROG_TYPE_TRACEPOINT },
  sk_lookup: { progType: P.BPF_PROG_TYPE_SK_LOOKUP, attachType: A.BPF_SK_LOOKUP },
};

/** Attach types that name their program type (`cgroup_inet4_connect`). */
function attachTypeProgType(attach: number): number | undefined {
  for (const spec of Object.values(SECTIONS)) if (spec.attachType === attach && spec.progType !== P.BPF_PROG_TYPE_XDP) return spec.progType;
  return undefined;
}

const supported = (): string => progTypeDescriptors().map((d) => d.name).join(', ');

/** A program type name: the uapi name (`BPF_PROG_TYPE_CGROUP_SOCK_ADDR`), its short form
 * (`cgroup_sock_addr`), an attach type that implies one (`cgroup_inet4_connect`), a libbpf
 * section name (`cgroup/connect4`, `xdp`), or a number. */
export function typeSpec(name: string): TypeSpec {
  const lower = name.toLowerCase();
  if (/^\d+$/.test(lower)) return { progType: Number(lower) };
  const bare = lower.replace(/^bpf_prog_type_/, '');
  const upper = `BPF_PROG_TYPE_${bare.toUpperCase()}` as keyof typeof BPF_PROG_TYPE;
  let spec: TypeSpec | undefined = Object.prototype.hasOwnProperty.call(BPF_PROG_TYPE, upper) ? { progType: BPF_PROG_TYPE[upper] } : undefined;
  if (!spec) {
    const attachKey = `BPF_${lower.replace(/^bpf_/, '').toUpperCase()}` as keyof typeof BPF_ATTACH_TYPE;
    if (Object.prototype.hasOwnProperty.call(BPF_ATTACH_TYPE, attachKey)) {
      const progType = attachTypeProgType(BPF_ATTACH_TYPE[attachKey]);
      if (progType !== undefined) spec = { progType, attachType: BPF_ATTACH_TYPE[attachKey] };
    }
  }
  spec ??= SECTIONS[lower] ?? SECTIONS[lower.split('/')[0]!];
  if (!spec) throw new UsageError(`unknown program type '${name}' (the verifier knows: ${supported()})`);
  if (!progTypeDescriptors().some((x) => x.type === spec!.progType)) {
    throw new UsageError(`program type '${name}' is not modelled by the verifier yet (it knows: ${supported()})`);
  }
  return spec;
}

/** The program type alone (see typeSpec). */
export function progTypeNumber(name: string): number {
  return typeSpec(name).progType;
}

/** `xdp_devmap`, `BPF_XDP_DEVMAP`, `cgroup_inet4_bind`, or a number. */
export function attachTypeNumber(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const up = name.toUpperCase();
  const key = (up.startsWith('BPF_') ? up : `BPF_${up}`) as keyof typeof BPF_ATTACH_TYPE;
  if (!Object.prototype.hasOwnProperty.call(BPF_ATTACH_TYPE, key)) throw new UsageError(`unknown attach type '${name}'`);
  return BPF_ATTACH_TYPE[key];
}

/** `--map FD:TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES`, e.g. `5:array:4:8:16`. */
export function parseMapSpec(spec: string): [number, MapInfo] {
  const parts = spec.split(':');
  const bad = (why: string): never => {
    throw new UsageError(`--map '${spec}': ${why} (expected FD:TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES, e.g. 5:array:4:8:16)`);
  };
  if (parts.length !== 5) bad(`${parts.length} fields`);
  const [fd, type, key, value, entries] = parts as [string, string, string, string, string];
  const num = (s: string, what: string): number => (/^\d+$/.test(s) ? Number(s) : bad(`${what} '${s}' is not a number`));
  const t = mapTypeByName(type);
  if (t === undefined) bad(`unknown map type '${type}'`);
  return [num(fd, 'fd'), { type: t!, keySize: num(key, 'key size'), valueSize: num(value, 'value size'), maxEntries: num(entries, 'max entries') }];
}

const LEVELS: Record<string, 0 | 1 | 2> = { '0': 0, '1': 1, '2': 2 };

function resultJson(r: VerifyResult, withLog: boolean): Record<string, unknown> {
  const o: Record<string, unknown> = { accepted: r.accepted };
  if (!r.accepted) {
    o.errno = r.errno;
    o.error = r.error;
  }
  o.insnProcessed = r.insnProcessed;
  if (withLog) o.log = r.log;
  return o;
}

export function registerVerify(program: Command, io: Io): void {
  program
    .command('verify')
    .description('check a program as the kernel verifier does at BPF_PROG_LOAD')
    .argument('<file>', "program (.s assembly, .bin bytecode, or hex with --hex), or a JSON-lines file with --batch; '-' for standard input")
    .option('--prog-type <type>', `program type (${supported()}, or a libbpf section name such as xdp)`)
    .option('--attach-type <type>', 'expected_attach_type given at load, e.g. xdp_devmap')
    .addOption(new Option('--log-level <n>', 'verifier log: 0 none, 1 the failing path, 2 every path').choices(['0', '1', '2']).default('0'))
    .option('--unprivileged', 'verify as a user without CAP_BPF (stricter: no pointer leaks, no uninitialised stack reads, no loops)')
    .option('--license <string>', 'the program license (GPL-only helpers need a GPL-compatible one)', 'GPL')
    .option('--map <spec>', 'a map the program refers to by fd: FD:TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--hex', 'FILE holds hex text of the bytecode')
    .option('--json', 'print one JSON object {accepted, errno?, error?, insnProcessed, log?}')
    .option('--batch', 'FILE is JSON lines {"id","progType","attachType"?,"insns":hex,"maps"?}; one result line each')
    .option('--program <name>', 'with an ELF object: check only this program (default: each in turn)')
    .addHelpText(
      'after',
      `
Exit status: 0 accepted, 1 rejected (the verdict is the check), 2 bad input.
Maps declared with .map in assembly are passed as the program's fd_array; bytecode
refers to maps by fd, declared with --map. An ELF object (clang -target bpf) is loaded
as libbpf loads it, one program at a time: its maps are created, relocations and CO-RE
applied, subprograms linked; type and attach type come from the section name, and the
log shows the C source lines.

Examples:
  bpfsim verify prog.s --prog-type xdp --log-level 1
  bpfsim verify prog.bin --prog-type socket_filter --map 5:array:4:8:1 --json
  bpfsim verify --batch cases.jsonl
  bpfsim verify scenarios/progs/single_ip.bpf.o --program force_connect4 --log-level 1`,
    )
    .action((file: string, flags: VerifyFlags) => {
      if (flags.batch) return batch(io, file, flags);
      const level = LEVELS[flags.logLevel]!;
      if (file !== '-' && isElf(readInput(io, file))) return verifyObject(io, file, flags, level);
      if (flags.program) throw new UsageError('--program is for ELF objects; this file is not one');
      // The verifier judges malformed instructions itself, with the kernel's words.
      const unit = readProgramUnit(io, file, { hex: !!flags.hex, validate: false });
      for (const w of unit.warnings) io.stderr(w + '\n');
      const typeName = flags.progType ?? unit.section;
      if (!typeName) throw new UsageError('--prog-type is required (or a .section directive naming the type)');
      const mapsByFd = new Map(flags.map.map(parseMapSpec));
      const spec = typeSpec(typeName);
      const options: VerifyOptions = {
        progType: spec.progType,
        expectedAttachType: flags.attachType ? attachTypeNumber(flags.attachType) : (spec.attachType ?? 0),
        logLevel: level,
        privileged: !flags.unprivileged,
        license: unit.license ?? flags.license,
        mapsByFd,
        mapsByIdx: unit.maps,
        ...verifierTables(),
      };
      const r = verify(unit.insns, options);
      if (flags.json) io.stdout(JSON.stringify(resultJson(r, level > 0)) + '\n');
      else {
        if (level > 0) io.stdout(r.log);
        io.stdout(r.accepted ? `accepted (${r.insnProcessed} insns processed)\n` : `rejected: ${r.error} (${r.errno})\n`);
      }
      if (!r.accepted) throw new CheckFailed();
    });
}

/** `verify FILE.o`: each program (or --program's) loaded into a fresh simulated kernel. */
function verifyObject(io: Io, file: string, flags: VerifyFlags, level: 0 | 1 | 2): void {
  if (flags.progType || flags.attachType || flags.map.length || flags.hex)
    throw new UsageError('--prog-type, --attach-type, --map and --hex do not apply to an ELF object: its sections and maps say these');
  const bytes = readInput(io, file);
  const obj = readObject(io, file);
  for (const w of obj.warnings) io.stderr(`${w.place}: warning: ${w.message}\n`);
  const programs = selectPrograms(obj, flags.program);
  if (!programs.length) throw new UsageError('the object has no programs', displayName(file));
  const results: ObjectVerdict[] = [];
  for (const p of programs) {
    const { verdict, obj: loaded } = loadOne(bytes, displayName(file), p.name, level);
    const processed = /processed (\d+) insns/.exec(verdict.log)?.[1] ?? (verdict.accepted ? String(loaded.program(p.name).handle?.prog.spec.verifiedInsns ?? 0) : undefined);
    loaded.close();
    results.push(verdict);
    if (flags.json) {
      io.stdout(JSON.stringify({ program: verdict.program, section: verdict.section, accepted: verdict.accepted, ...(verdict.accepted ? {} : { errno: verdict.errno, error: verdict.error }), insns: verdict.insns, ...(processed ? { insnProcessed: Number(processed) } : {}), ...(level ? { log: verdict.log } : {}) }) + '\n');
      continue;
    }
    if (programs.length > 1 || level) io.stdout(`${programs.length > 1 && results.length > 1 ? '\n' : ''}program '${verdict.program}' (section ${verdict.section}):\n`);
    if (level || !verdict.accepted) io.stdout(verdict.log && (level || !verdict.accepted) ? (level ? verdict.log : tail(verdict.log)) : '');
    io.stdout(verdict.accepted ? `accepted (${processed ?? '?'} insns processed)\n` : `rejected: ${verdict.error} (${verdict.errno})\n`);
  }
  if (results.some((r) => !r.accepted)) throw new CheckFailed();
}

/** The end of a log: what libbpf prints of a failed load without asking for more. */
function tail(log: string): string {
  const lines = log.trimEnd().split('\n');
  return lines.slice(-12).join('\n') + '\n';
}

interface BatchLine {
  id?: unknown;
  progType?: unknown;
  attachType?: unknown;
  insns?: unknown;
  maps?: unknown;
  logLevel?: unknown;
  privileged?: unknown;
}

function batchMaps(v: unknown, where: string): Map<number, MapInfo> {
  const out = new Map<number, MapInfo>();
  if (v === undefined) return out;
  if (!Array.isArray(v)) throw new UsageError(`${where}: "maps" must be an array of {fd, type, keySize, valueSize, maxEntries}`);
  for (const m of v as Record<string, unknown>[]) {
    const type = typeof m.type === 'string' ? mapTypeByName(m.type) : m.type;
    const fields = [m.fd, type, m.keySize, m.valueSize, m.maxEntries];
    if (!fields.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
      throw new UsageError(`${where}: a map needs integer fd, type, keySize, valueSize, maxEntries`);
    }
    out.set(m.fd as number, { type: type as number, keySize: m.keySize as number, valueSize: m.valueSize as number, maxEntries: m.maxEntries as number });
  }
  return out;
}

/** One program a line in, one verdict a line out; a bad line is reported and the rest still run. */
function batch(io: Io, file: string, flags: VerifyFlags): void {
  const name = displayName(file);
  const lines = utf8(readInput(io, file)).split('\n');
  let bad = 0;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let id: unknown = null;
    const where = `${name}:${i + 1}`;
    try {
      let v: BatchLine;
      try {
        v = JSON.parse(line) as BatchLine;
      } catch {
        throw new UsageError(`${where}: not valid JSON`);
      }
      id = v.id ?? null;
      if ((typeof v.progType !== 'string' && typeof v.progType !== 'number') || typeof v.insns !== 'string') {
        throw new UsageError(`${where}: expected {"id", "progType", "insns": hex, "attachType"?, "maps"?}`);
      }
      const insns: Insn[] = decode(parseHexBytes(v.insns, `${where} insns`), { validate: false });
      const level = typeof v.logLevel === 'number' && (v.logLevel === 1 || v.logLevel === 2) ? v.logLevel : 0;
      const spec = typeof v.progType === 'number' ? { progType: v.progType } : typeSpec(v.progType);
      const r = verify(insns, {
        progType: spec.progType,
        expectedAttachType: typeof v.attachType === 'number' ? v.attachType : typeof v.attachType === 'string' ? attachTypeNumber(v.attachType) : (spec.attachType ?? 0),
        mapsByFd: batchMaps(v.maps, where),
        logLevel: level,
        privileged: v.privileged === false ? false : !flags.unprivileged,
        license: flags.license,
        ...verifierTables(),
      });
      io.stdout(JSON.stringify({ id, ...resultJson(r, level > 0) }) + '\n');
    } catch (e) {
      if (!(e instanceof UsageError || e instanceof IsaError || e instanceof SysError)) throw e;
      bad++;
      const message = e instanceof UsageError && e.place ? `${e.place}: ${e.message}` : e.message;
      io.stdout(JSON.stringify({ id, error: message.startsWith(name) ? message : `${where}: ${message}` }) + '\n');
    }
  });
  if (bad) throw new UsageError(`${bad} line${bad === 1 ? '' : 's'} could not be checked (see their "error")`, name);
}
