// The world a scenario builds and drives: hosts on links, cgroups, maps and programs, and
// processes — async functions that use the socket API (`Proc`), each call logged on the
// timeline with what it returned. Blocking calls (connect on TCP, accept, recv) wait on the
// simulation's clock; the runner (runner.ts) moves the clock while every process waits.
import { BPF_ATTACH_TYPE, BPF_MAP_TYPE, BPF_PROG_TYPE, SysError, disassemble, uapiShortName } from '@bpfsim/isa';
import type { Cgroup, MapHandle, ProgHandle, Process, SimBinary, Vma } from '@bpfsim/kernel';
import { BpfClient, ProgLoadRefused, binaryFromElf, ipOf, symbolize, writeElf } from '@bpfsim/kernel';
import type { Host, Link, SockAddr, SockAddrIn } from '@bpfsim/net';
import { AF_INET, AF_INET6, MS, Network, SOCK_DGRAM, SOCK_STREAM, SocketApi, fmtSockAddr, installCgroupHooks } from '@bpfsim/net';
import { installSockmap } from '@bpfsim/sockmap';
import { ObjectFile, ObjectFormatError, ProgramLoadError, openObject } from '@bpfsim/loader';
import { ExpectationFailed, ScenarioError } from './errors';
import type { TimelineEvent } from './timeline';

/** Link options: delay as ns or "1ms"/"50us", plus the link's loss, bandwidth… */
export interface LinkOptions {
  delay?: number | string;
  bandwidth?: number;
  loss?: number;
  duplicate?: number;
  reorder?: number;
  corrupt?: number;
}

export interface MapSpec {
  type: 'hash' | 'array' | 'lru_hash' | 'percpu_array' | 'sockmap' | 'sockhash' | 'stack_trace' | 'ringbuf' | string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

export interface ProgramSpec {
  /** Shown in the timeline. */
  name: string;
  /** 'cgroup_sock_addr', 'cgroup_sock', 'sk_msg', 'raw_tracepoint', … */
  type: string;
  /** expected_attach_type and, for attach(), where it goes: 'cgroup_inet4_connect', … */
  attach?: string;
  /** The program in LLVM assembly syntax. Maps named in `maps` need no `.map` lines. */
  asm: string;
  maps?: Record<string, WorldMap>;
}

/**
 * How the world treats the programs a scenario loads (the playground's editor and
 * debugger): replacement assembly by program name, the verifier log level of every load,
 * and a callback after each load.
 */
export interface WorldProgramOptions {
  /** Assembly that replaces a w.program()'s `asm`, by "host/name" or by name (every host). */
  override?: Readonly<Record<string, string>>;
  /** BPF_PROG_LOAD's log_level for w.program() loads (0: no log). */
  logLevel?: 0 | 1 | 2;
  /** Called after every load that succeeded (w.program() and each program of w.object()). */
  onLoad?: (record: ProgramRecord, handle: ProgHandle) => void;
}

/** A program a scenario loaded, or tried to: what the playground lists and shows. */
export interface ProgramRecord {
  host: string;
  name: string;
  type: string;
  attach?: string;
  /** 'asm': w.program() (editable); 'object': a program of an ELF object. */
  origin: 'asm' | 'object';
  /** The assembly loaded (the override when there was one); for an object program, its
   * disassembly. */
  asm: string;
  /** The scenario's own assembly, before any override. */
  original: string;
  overridden: boolean;
  /** What the world put before `asm` when it assembled it (the `.map` declarations; '' or
   * lines ending in a newline). */
  prefix: string;
  /** The verifier log at WorldProgramOptions.logLevel ('' at level 0). */
  log: string;
  ok: boolean;
  /** The load's errno and message when the kernel refused the program. */
  error?: { code: string; message: string };
  progId?: number;
}

/** A map made by w.map(): the kernel handle and its spec (for programs' `.map` lines). */
export interface WorldMap {
  name: string;
  spec: MapSpec;
  handle: MapHandle;
}

const parseDelay = (d: number | string | undefined): number | undefined => {
  if (d === undefined || typeof d === 'number') return d;
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|ms|s)$/.exec(d.trim());
  if (!m) throw new ScenarioError('E_DELAY', `delay '${d}' is not a duration like "1ms" or "50us"`);
  return Math.round(Number(m[1]) * { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[m[2] as 'ns']);
};

/** "10.0.0.1:80", "[fd00::1]:53", or { addr, port } → a sockaddr for the socket API. */
export function sockaddr(a: string | { addr: string; port: number }): SockAddrIn {
  if (typeof a !== 'string') return { family: a.addr.includes(':') ? 6 : 4, addr: a.addr, port: a.port };
  const m6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(a);
  if (m6) return { family: 6, addr: m6[1]!, port: Number(m6[2]) };
  const m4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(a);
  if (m4) return { family: 4, addr: m4[1]!, port: Number(m4[2]) };
  throw new ScenarioError('E_ADDR', `'${a}' is not an address:port ("10.0.0.1:80" or "[::1]:80")`);
}

// WHATWG encoders (Node and browsers have them; the core's lib has no DOM types).
declare const TextEncoder: new () => { encode(s: string): Uint8Array };
declare const TextDecoder: new () => { decode(b: Uint8Array): string };
const text = (d: Uint8Array): string => new TextDecoder().decode(d);
const bytes = (d: string | Uint8Array): Uint8Array => (typeof d === 'string' ? new TextEncoder().encode(d) : d);
/** A timeline event before the runner stamps its time. */
type Unstamped<E> = E extends unknown ? Omit<E, 't'> : never;

/** A host of the world. */
export class WorldHost {
  readonly admin: BpfClient;
  private devices = 0;
  constructor(
    readonly world: World,
    readonly host: Host,
  ) {
    installCgroupHooks(host);
    installSockmap(host.kernel);
    this.admin = new BpfClient(host.kernel, host.kernel.spawn({ comm: 'bpfsim-admin' }));
  }
  get name(): string {
    return this.host.name;
  }
  /** A new Ethernet device (eth0, eth1, …). */
  newDevice(): ReturnType<Host['addDevice']> {
    this.devices++;
    return this.host.addDevice();
  }
  /** Adds an address ("10.0.0.5/24") to a device ('lo', 'eth0', …). */
  address(dev: string, cidr: string): this {
    this.host.addAddress(dev, cidr);
    return this;
  }
  /** A static route ("0.0.0.0/0" via "10.0.0.254" on eth0). */
  route(prefix: string, dev: string, via?: string): this {
    this.host.addRoute(prefix, { dev, ...(via ? { via } : {}) });
    return this;
  }
  /** Creates a cgroup (and its parents): '/app', '/app/web'. */
  cgroup(path: string): Cgroup {
    return this.host.kernel.cgroups.create(path);
  }
}

/** An async socket API for one simulated process; every call lands on the timeline. */
export class Proc {
  readonly api: SocketApi;
  constructor(
    private readonly world: World,
    readonly host: WorldHost,
    readonly process: Process,
    /** Where the process's executable is mapped (when it runs one). */
    readonly exe?: Vma,
  ) {
    this.api = new SocketApi(host.host, process);
  }

  /**
   * Runs `fn` inside the user call stack `path` of the executable (outermost first:
   * ['main', 'serve', 'handle_conn']), so stack helpers see the process there.
   */
  async frames<T>(path: readonly string[], fn: () => Promise<T>): Promise<T> {
    if (!this.exe) throw new ScenarioError('E_EXE', `process ${this.label} runs no executable (give it one with exe:)`);
    const saved = this.process.userStack;
    this.process.userStack = [...path].reverse().map((name) => ipOf(this.exe!, name, 0x10));
    try {
      return await fn();
    } finally {
      this.process.userStack = saved;
    }
  }
  get label(): string {
    return `${this.process.comm}[${this.process.pid}]`;
  }

  private log<T>(call: string, args: string, fn: () => T, show: (v: T) => string = String): T {
    this.world.activity++;
    try {
      const v = fn();
      this.world.record({ kind: 'syscall', host: this.host.name, proc: this.label, call, args, ret: show(v), ok: true });
      return v;
    } catch (e) {
      if (e instanceof SysError) this.world.record({ kind: 'syscall', host: this.host.name, proc: this.label, call, args, ret: e.code, ok: false });
      throw e;
    }
  }

  private async logAsync<T>(call: string, args: string, p: () => Promise<T>, show: (v: T) => string = String): Promise<T> {
    this.world.activity++;
    try {
      const v = await p();
      this.world.activity++;
      this.world.record({ kind: 'syscall', host: this.host.name, proc: this.label, call, args, ret: show(v), ok: true });
      return v;
    } catch (e) {
      this.world.activity++;
      if (e instanceof SysError) this.world.record({ kind: 'syscall', host: this.host.name, proc: this.label, call, args, ret: e.code, ok: false });
      throw e;
    }
  }

  socket(family: 4 | 6, type: 'tcp' | 'udp'): number {
    return this.log('socket', `${family === 4 ? 'AF_INET' : 'AF_INET6'}, ${type === 'tcp' ? 'SOCK_STREAM' : 'SOCK_DGRAM'}`, () => this.api.socket(family === 4 ? AF_INET : AF_INET6, type === 'tcp' ? SOCK_STREAM : SOCK_DGRAM));
  }
  bind(fd: number, addr: string | { addr: string; port: number }): void {
    const a = sockaddr(addr);
    this.log('bind', `${fd}, ${typeof addr === 'string' ? addr : fmtIn(a)}`, () => this.api.bind(fd, a), () => '0');
  }
  /** connect(): resolves when a TCP handshake completes (or at once for UDP). With
   * `timeoutMs` (SO_SNDTIMEO), a handshake not done by then fails the call with EINPROGRESS
   * and goes on. */
  connect(fd: number, addr: string | { addr: string; port: number }, opts: WaitOpts = {}): Promise<void> {
    const a = sockaddr(addr);
    return this.logAsync('connect', `${fd}, ${fmtIn(a)}`, () => this.api.connectAsync(fd, a, waitNs(opts)), () => '0');
  }
  listen(fd: number, backlog = 128): void {
    this.log('listen', `${fd}, ${backlog}`, () => this.api.listen(fd, backlog), () => '0');
  }
  /** accept(): resolves with the new fd when a connection arrives; with `timeoutMs`
   * (SO_RCVTIMEO), fails with EAGAIN when none came by then. */
  accept(fd: number, opts: WaitOpts = {}): Promise<number> {
    return this.logAsync('accept', String(fd), () => this.api.acceptAsync(fd, waitNs(opts)));
  }
  /** sendfile(2): `data` stands for the file's bytes. */
  sendfile(fd: number, data: string | Uint8Array): number {
    const b = bytes(data);
    return this.log('sendfile', `${fd}, ${b.length} bytes`, () => this.api.sendfile(fd, b));
  }
  /** send(2) on a blocking socket: waits while the send buffer is full, until every byte is
   * taken (resolves with the length). */
  async sendAll(fd: number, data: string | Uint8Array, opts: WaitOpts = {}): Promise<number> {
    const b = bytes(data);
    // With `timeoutMs` (SO_SNDTIMEO): what was taken by then, or EAGAIN if nothing was.
    return this.logAsync('send', `${fd}, ${b.length} bytes`, () => this.api.sendAsync(fd, b, waitNs(opts)));
  }
  send(fd: number, data: string | Uint8Array): number {
    const b = bytes(data);
    return this.log('send', `${fd}, ${b.length} bytes`, () => this.api.send(fd, b));
  }
  sendto(fd: number, data: string | Uint8Array, to: string | { addr: string; port: number }): number {
    const b = bytes(data);
    const a = sockaddr(to);
    return this.log('sendto', `${fd}, ${b.length} bytes, ${fmtIn(a)}`, () => this.api.sendto(fd, b, a));
  }
  /** recv(): resolves with the next bytes (empty at end of stream); with `timeoutMs`
   * (SO_RCVTIMEO), fails with EAGAIN when nothing came by then. */
  async recv(fd: number, max = 65536, opts: WaitOpts = {}): Promise<Uint8Array> {
    const r = await this.logAsync('recv', `${fd}, ${max}`, () => this.api.recvAsync(fd, max, waitNs(opts)), (v) => `${v.data.length} bytes`);
    return r.data;
  }
  /** recv() decoded as UTF-8. */
  async recvText(fd: number, max = 65536, opts: WaitOpts = {}): Promise<string> {
    return text(await this.recv(fd, max, opts));
  }
  /** recvfrom(): resolves with the next datagram and who sent it: `from` as text
   * ("10.0.0.1:5353") and `addr` structured ({ family, addr, port }); with `timeoutMs`, EAGAIN
   * when none came by then. */
  async recvfrom(fd: number, max = 65536, opts: WaitOpts = {}): Promise<{ data: Uint8Array; text: string; from: string; addr: SockName | undefined }> {
    const r = await this.logAsync('recvfrom', `${fd}, ${max}`, () => this.api.recvAsync(fd, max, waitNs(opts)), (v) => `${v.data.length} bytes from ${v.from ? fmtSockAddr(v.from) : '?'}`);
    return { data: r.data, text: text(r.data), from: r.from ? fmtSockAddr(r.from) : '', addr: r.from ? sockName(r.from) : undefined };
  }
  /** getsockname() as text ("10.0.0.1:80", "[::1]:53"); sockname() gives it structured. */
  getsockname(fd: number): string {
    return this.log('getsockname', String(fd), () => fmtSockAddr(this.api.getsockname(fd)));
  }
  /** getpeername() as text; peername() gives it structured. */
  getpeername(fd: number): string {
    return this.log('getpeername', String(fd), () => fmtSockAddr(this.api.getpeername(fd)));
  }
  /** getsockname(2) structured: { family: 4 | 6, addr: '10.0.0.1', port: 80 }. */
  sockname(fd: number): SockName {
    return this.log('getsockname', String(fd), () => sockName(this.api.getsockname(fd)), (v) => fmtName(v));
  }
  /** getpeername(2) structured. */
  peername(fd: number): SockName {
    return this.log('getpeername', String(fd), () => sockName(this.api.getpeername(fd)), (v) => fmtName(v));
  }
  /** accept(2) with an address buffer: the new fd and the peer's address, structured — the
   * GETPEERNAME hook runs on it, as __sys_accept4() asks getname(peer) (accept() does not). */
  acceptFrom(fd: number, opts: WaitOpts = {}): Promise<{ fd: number; peer: SockName }> {
    return this.logAsync(
      'accept',
      `${fd}, &addr`,
      async () => {
        const r = await this.api.acceptFromAsync(fd, waitNs(opts));
        return { fd: r.fd, peer: sockName(r.from) };
      },
      (v) => `${v.fd} (${fmtName(v.peer)})`,
    );
  }
  /** setsockopt(2): an integer option, or TCP_CONGESTION (SOL_TCP 6, 13) by name ('cubic',
   * 'reno', 'bbr'). */
  setsockopt(fd: number, level: number, name: number, value: number | string): void {
    this.log('setsockopt', `${fd}, ${level}, ${name}, ${typeof value === 'string' ? JSON.stringify(value) : value}`, () => this.api.setsockopt(fd, level, name, value), () => '0');
  }
  getsockopt(fd: number, level: number, name: number): number {
    return this.log('getsockopt', `${fd}, ${level}, ${name}`, () => Number(this.api.getsockopt(fd, level, name)));
  }
  shutdown(fd: number, how: 0 | 1 | 2): void {
    this.log('shutdown', `${fd}, ${['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'][how]}`, () => this.api.shutdown(fd, how), () => '0');
  }
  close(fd: number): void {
    this.log('close', String(fd), () => this.api.close(fd), () => '0');
  }
  /** Waits `ms` milliseconds of virtual time. */
  sleep(ms: number): Promise<void> {
    this.world.activity++;
    return new Promise((resolve) =>
      this.world.net.sim.schedule(Math.round(ms * MS), () => {
        this.world.activity++;
        resolve();
      }),
    );
  }
}

/** How long a waiting call may wait: `timeoutMs` of virtual time (SO_RCVTIMEO/SO_SNDTIMEO);
 * absent, until it can complete. */
export interface WaitOpts {
  timeoutMs?: number;
}

/** A socket address as the socket calls give it back. */
export interface SockName {
  family: 4 | 6;
  /** '10.0.0.1', '::1' */
  addr: string;
  port: number;
}

function waitNs(opts: WaitOpts): { timeoutNs?: number } {
  const t = opts.timeoutMs;
  if (t === undefined) return {};
  if (typeof t !== 'number' || !(t >= 0) || !Number.isFinite(t)) throw new ScenarioError('E_TIMEOUT', `timeoutMs must be a finite number of milliseconds >= 0, not ${String(t)}`);
  return { timeoutNs: Math.round(t * MS) };
}

const sockName = (a: SockAddr): SockName => ({ family: a.family, addr: a.addr.text, port: a.port });
const fmtName = (a: SockName): string => (a.family === 6 ? `[${a.addr}]:${a.port}` : `${a.addr}:${a.port}`);

const fmtIn = (a: SockAddrIn): string => (a.family === 6 ? `[${String(a.addr)}]:${a.port ?? 0}` : `${String(a.addr)}:${a.port ?? 0}`);

/** expect(actual, what).toBe(expected) — recorded on the timeline; a failure stops the scenario. */
export class Expectation<T> {
  constructor(
    private readonly world: World,
    private readonly actual: T,
    private readonly step: string,
  ) {}
  private check(ok: boolean, expected: string): void {
    this.world.record({ kind: 'expect', step: this.step, ok, expected, actual: show(this.actual) });
    if (!ok) throw new ExpectationFailed(this.step, expected, show(this.actual));
  }
  toBe(expected: T): void {
    this.check(Object.is(this.actual, expected), show(expected));
  }
  toEqual(expected: unknown): void {
    this.check(JSON.stringify(this.actual) === JSON.stringify(expected), show(expected));
  }
  toMatch(re: RegExp): void {
    this.check(typeof this.actual === 'string' && re.test(this.actual), String(re));
  }
  toBeGreaterThan(n: number): void {
    this.check(typeof this.actual === 'number' && this.actual > n, `> ${n}`);
  }
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return JSON.stringify(text(v));
  if (typeof v === 'string') return JSON.stringify(v);
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
}

/** Metrics every run has, filled by the runner: end time, failed expectations, frames sent, cgroup hook runs, TCP retransmissions. */
export const BUILTIN_METRICS: readonly string[] = ['virtual_ms', 'expectations_failed', 'packets', 'hook_runs', 'retransmits'];

/** What a scenario's run() receives. */
export class World {
  readonly net: Network;
  readonly events: TimelineEvent[] = [];
  /** Bumped by every process step; the runner flushes microtasks until it settles. */
  activity = 0;
  /** The first error a process threw (the runner reports it). */
  processFailure: unknown;
  private readonly hosts = new Map<string, WorldHost>();
  private readonly procs: Promise<unknown>[] = [];
  private readonly bins: SimBinary[] = [];
  /** The links made, by host and device (for the sequence diagram). */
  readonly links: { a: { host: string; dev: string }; b: { host: string; dev: string } }[] = [];

  /** Metrics the scenario reported with metric() (the runner adds its built-in ones). */
  readonly metrics: Record<string, number> = {};
  /** The parameters param() was asked for, in order (bpfsim sweep warns about the others). */
  readonly paramsRead: string[] = [];
  /** Every program load, in order (the playground's program list). */
  readonly programs: ProgramRecord[] = [];
  /** Every map the scenario made or an object brought (the playground's map view). */
  readonly maps: (WorldMap & { host: string })[] = [];

  constructor(
    readonly seed: number,
    /** Values given from outside (bpfsim sweep --param); param() falls back to its default. */
    private readonly params: Readonly<Record<string, string | number>> = {},
    readonly options: { engine?: 'jit' | 'interp'; programs?: WorldProgramOptions } = {},
  ) {
    this.net = new Network({ seed });
    // Every host kernel's SK_MSG verdicts, from the simulation's one emitter.
    this.net.events.on('msg:verdict', (e) => {
      this.record({
        kind: 'msg',
        host: e.host,
        socket: e.socket,
        prog: { id: e.progId, name: e.progName, ret: e.ret, insns: e.insns },
        verdict: e.verdict,
        size: e.size,
        applyBytes: e.applyBytes,
        corkBytes: e.corkBytes,
        ...(e.redirect ? { redirect: e.redirect } : {}),
      });
    });
  }

  /**
   * A parameter of the scenario: the value a sweep gives (`--param loss=0,0.05`) or
   * `defaultValue`. A number default takes only numbers; a string default gets the text.
   */
  param(name: string, defaultValue: number): number;
  param(name: string, defaultValue: string): string;
  param(name: string, defaultValue: string | number): string | number {
    if (!this.paramsRead.includes(name)) this.paramsRead.push(name);
    if (!Object.prototype.hasOwnProperty.call(this.params, name)) return defaultValue;
    const v = this.params[name]!;
    if (typeof defaultValue === 'string') return String(v);
    if (typeof v !== 'number') throw new ScenarioError('E_PARAM', `parameter '${name}' takes a number (its default is ${defaultValue}), not '${v}'`);
    return v;
  }

  /** Records a number the run measured (a sweep's CSV column and plot); the last value wins. */
  metric(name: string, value: number): void {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ScenarioError('E_METRIC', `a metric name is letters, digits and _ (got ${JSON.stringify(name)})`);
    if (BUILTIN_METRICS.includes(name)) throw new ScenarioError('E_METRIC', `'${name}' is a built-in metric (the runner fills it)`);
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ScenarioError('E_METRIC', `metric '${name}' must be a finite number (got ${String(value)})`);
    this.metrics[name] = value;
  }

  record(e: Unstamped<TimelineEvent>): void {
    this.events.push({ t: this.net.sim.now, ...e } as TimelineEvent);
  }

  /** A host with lo (127.0.0.1/8, ::1); `profile` makes its kernel behave as Linux 4.17
   * where behaviour changed (KERNEL_PROFILES); `tcpCongestionControl` is its
   * net.ipv4.tcp_congestion_control ('cubic' as upstream Linux, 'reno', 'bbr'), `tcpEcn` its
   * net.ipv4.tcp_ecn (2, Linux's default: accept ECN when the peer asks; 1: ask). */
  host(name: string, opts: { profile?: '6.18' | '4.17'; tcpCongestionControl?: string; tcpEcn?: 0 | 1 | 2 } = {}): WorldHost {
    if (this.hosts.has(name)) throw new ScenarioError('E_HOST', `host '${name}' exists`);
    const kernel = { ...(opts.profile ? { profile: opts.profile } : {}), ...(this.options.engine ? { engine: this.options.engine } : {}) };
    let nh;
    try {
      nh = this.net.addHost(name, { ...(Object.keys(kernel).length ? { kernel } : {}), ...(opts.tcpCongestionControl !== undefined ? { tcpCongestionControl: opts.tcpCongestionControl } : {}) });
    } catch (e) {
      throw new ScenarioError('E_HOST', (e as Error).message);
    }
    // net.ipv4.tcp_ecn: 2 (accept when asked) unless the scenario says.
    if (opts.tcpEcn !== undefined) {
      if (opts.tcpEcn !== 0 && opts.tcpEcn !== 1 && opts.tcpEcn !== 2) throw new ScenarioError('E_HOST', `host '${name}': tcpEcn is 0, 1 or 2 (net.ipv4.tcp_ecn), got ${String(opts.tcpEcn)}`);
      nh.tcpSysctl.tcpEcn = opts.tcpEcn;
    }
    const h = new WorldHost(this, nh);
    this.hosts.set(name, h);
    return h;
  }

  /** A point-to-point link between new devices of a and b, with their addresses. */
  link(a: WorldHost, b: WorldHost, opts: LinkOptions & { a?: string[]; b?: string[] } = {}): Link {
    const da = a.newDevice();
    const db = b.newDevice();
    const { a: aAddrs = [], b: bAddrs = [], delay, ...rest } = opts;
    const link = this.net.connect(da, db, { delay: parseDelay(delay) ?? 1 * MS, ...rest });
    for (const x of aAddrs) a.address(da.name, x);
    for (const x of bAddrs) b.address(db.name, x);
    this.links.push({ a: { host: a.name, dev: da.name }, b: { host: b.name, dev: db.name } });
    return link;
  }

  /** A BPF map on a host (made by the host's admin process). */
  map(host: WorldHost, name: string, spec: MapSpec): WorldMap {
    const m = { name, spec, handle: host.admin.createMap({ ...spec, name }) };
    this.maps.push({ ...m, host: host.name });
    return m;
  }

  /** Loads a program on a host; `.attach(cgroup)` attaches it with its attach type. */
  program(host: WorldHost, spec: ProgramSpec): WorldProgram {
    const maps = spec.maps ?? {};
    const popts = this.options.programs ?? {};
    // An override by "host/name" (one host's program) wins over one by name (every host's).
    const has = (k: string): boolean => !!popts.override && Object.prototype.hasOwnProperty.call(popts.override, k);
    const key = has(`${host.name}/${spec.name}`) ? `${host.name}/${spec.name}` : has(spec.name) ? spec.name : undefined;
    const override = key !== undefined ? popts.override![key]! : undefined;
    const asm = override ?? spec.asm;
    const decls = Object.entries(maps)
      .filter(([n]) => !new RegExp(`^\\s*\\.map\\s+${n}\\b`, 'm').test(asm))
      .map(([n, m]) => `.map ${n} type=${m.spec.type} key_size=${m.spec.keySize} value_size=${m.spec.valueSize} max_entries=${m.spec.maxEntries}${m.spec.flags ? ` map_flags=${m.spec.flags}` : ''}`);
    const rec: ProgramRecord = {
      host: host.name,
      name: spec.name,
      type: spec.type,
      ...(spec.attach ? { attach: spec.attach } : {}),
      origin: 'asm',
      asm,
      original: spec.asm,
      overridden: override !== undefined,
      prefix: decls.map((d) => `${d}\n`).join(''),
      log: '',
      ok: false,
    };
    this.programs.push(rec);
    const logLevel = popts.logLevel ?? 0;
    let handle: ProgHandle;
    try {
      handle = host.admin.loadProgram({
        type: spec.type,
        ...(spec.attach ? { attachType: spec.attach } : {}),
        name: spec.name.slice(0, 15),
        insns: decls.length ? `${decls.join('\n')}\n${asm}` : asm,
        maps: Object.fromEntries(Object.entries(maps).map(([n, m]) => [n, m.handle])),
        ...(logLevel ? { logLevel } : {}),
      });
    } catch (e) {
      rec.log = e instanceof ProgLoadRefused ? e.log : '';
      rec.error = e instanceof SysError ? { code: e.code, message: e.message } : { code: 'E_ASM', message: e instanceof Error ? e.message : String(e) };
      if (popts.override || popts.logLevel) throw new ScenarioError('E_LOAD', `program ${spec.name}: ${rec.error.message}`);
      throw e;
    }
    rec.ok = true;
    rec.log = handle.log;
    rec.progId = handle.id;
    popts.onLoad?.(rec, handle);
    return new WorldProgram(host, spec, handle);
  }

  /**
   * Loads an ELF object (clang -target bpf) on a host as libbpf does: maps created, globals
   * set (`globals`, before load: `const volatile` configuration), map sizes adjusted
   * (`maxEntries`), relocations and CO-RE applied. Its programs attach by their sections.
   * A scenario reads the file itself: `fs.readFileSync(path.join(__dirname, 'progs/x.bpf.o'))`.
   */
  object(
    host: WorldHost,
    bytes: Uint8Array,
    opts: { file?: string; globals?: Record<string, number | bigint | Uint8Array>; maxEntries?: Record<string, number> } = {},
  ): WorldObject {
    const file = opts.file ?? 'object.o';
    let obj: ObjectFile;
    try {
      obj = openObject(bytes, { file });
      for (const [name, v] of Object.entries(opts.globals ?? {})) obj.setGlobal(name, v);
      for (const [name, n] of Object.entries(opts.maxEntries ?? {})) obj.map(name).setMaxEntries(n);
      const logLevel = this.options.programs?.logLevel ?? 0;
      obj.load(host.admin, logLevel ? { logLevel } : {});
      this.recordObject(host, obj);
    } catch (e) {
      if (e instanceof ProgramLoadError) throw new ScenarioError('E_LOAD', `${file}: ${e.message}\n${e.log.trimEnd().split('\n').slice(-8).join('\n')}`);
      if (e instanceof ObjectFormatError) throw new ScenarioError('E_OBJECT', e.message);
      throw e;
    }
    return new WorldObject(host, obj);
  }

  /** The programs and maps of a loaded object, for the playground (read-only listings). */
  private recordObject(host: WorldHost, obj: ObjectFile): void {
    for (const p of obj.programs) {
      if (!p.handle) continue;
      const at = p.expectedAttachType ? attachTypeName(p.expectedAttachType) : undefined;
      const typeName = uapiShortName(BPF_PROG_TYPE, 'BPF_PROG_TYPE_', p.type) ?? String(p.type);
      // The disassembly, with each source line (BTF line info) as a comment above its insns.
      const src = new Map(p.lineInfo.map((l) => [l.insnOff, l]));
      const lines: string[] = [`// ${obj.file}: section ${p.sectionName} (read-only: programs of ELF objects are not edited here)`];
      for (const d of disassemble(p.insns, { helperNames: true })) {
        const l = src.get(d.index);
        if (l?.lineText) lines.push(`// ${l.lineText.trim()}  @ ${l.fileName.split('/').pop()}:${l.line}`);
        lines.push(`${String(d.index).padStart(4)}: ${d.text}`);
      }
      const asm = lines.join('\n') + '\n';
      const rec: ProgramRecord = { host: host.name, name: p.name, type: typeName, ...(at ? { attach: at } : {}), origin: 'object', asm, original: asm, overridden: false, prefix: '', log: p.log, ok: true, progId: p.handle.id };
      this.programs.push(rec);
      this.options.programs?.onLoad?.(rec, p.handle);
    }
    for (const m of obj.maps) {
      if (!m.handle) continue;
      const type = mapTypeName(m.type);
      this.maps.push({ host: host.name, name: m.name, spec: { type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }, handle: m.handle });
    }
  }

  /**
   * A simulated executable: an ELF file with a GNU build id (from `buildId`, hex, or derived
   * from the path) and one function per name. `noteResident: false` leaves the page with the
   * build-id note out of the page cache (stack maps then fall back to raw IPs).
   */
  binary(path: string, functions: readonly string[], opts: { buildId?: string; noteResident?: boolean } = {}): SimBinary {
    const id = opts.buildId ?? fnvHex(path, 20);
    const elf = writeElf({ buildId: Uint8Array.from(id.match(/../g)!.map((x) => parseInt(x, 16))), functions: functions.map((name) => ({ name, size: 0x100 })) });
    const bin = binaryFromElf(path, elf, opts.noteResident ?? true);
    this.bins.push(bin);
    return bin;
  }

  /** build id + file offset → "function+0xoff" over the world's binaries (as perf does). */
  symbolize(buildId: Uint8Array, offset: bigint): string | undefined {
    return symbolize(this.bins, buildId, offset);
  }

  /**
   * Puts a process's socket into a sockmap or sockhash slot (BPF_MAP_UPDATE_ELEM with the
   * socket's fd, made by the host's admin process through a dup of the socket).
   */
  addToSockmap(map: WorldMap, key: number, p: Proc, fd: number): void {
    const admin = p.host.admin;
    const afd = admin.process.fds.install(p.api.socketOf(fd).get());
    try {
      map.handle.update(key, BigInt(afd));
    } finally {
      admin.process.fds.close(afd);
    }
  }

  /** Starts a process on a host (in a cgroup, as a uid); resolves with what `main` returns. */
  process<T>(host: WorldHost, opts: { comm: string; cgroup?: string; uid?: number; exe?: SimBinary }, main: (p: Proc) => Promise<T>): Promise<T> {
    const cg = opts.cgroup ? host.host.kernel.cgroups.lookup(opts.cgroup) : undefined;
    if (opts.cgroup && !cg) throw new ScenarioError('E_CGROUP', `no cgroup ${opts.cgroup} on ${host.name} (make it with host.cgroup())`);
    const proc = host.host.kernel.spawn({ comm: opts.comm, ...(cg ? { cgroup: cg } : {}), ...(opts.uid !== undefined ? { uid: opts.uid } : {}) });
    // The executable at the usual PIE base.
    const exe = opts.exe ? proc.mm.map(opts.exe, 0x5555_5555_4000n, BigInt(Math.max(...opts.exe.symbols.map((x) => x.offset + x.size)))) : undefined;
    const p = Promise.resolve().then(() => main(new Proc(this, host, proc, exe)));
    // A process that fails fails the scenario, even one nobody awaits (a server loop).
    p.catch((e: unknown) => {
      this.processFailure ??= e;
    });
    this.procs.push(p);
    return p;
  }

  expect<T>(actual: T, step: string): Expectation<T> {
    return new Expectation(this, actual, step);
  }

  /** Expects `fn` (a call or a promise) to fail with `errno`; records the check. */
  async expectErrno(fn: (() => unknown) | Promise<unknown>, errno: string, step: string): Promise<void> {
    let got = 'success';
    try {
      await (typeof fn === 'function' ? fn() : fn);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      got = e.code;
    }
    this.record({ kind: 'expect', step, ok: got === errno, expected: errno, actual: got });
    if (got !== errno) throw new ExpectationFailed(step, errno, got);
  }

  /** A line of prose on the timeline. */
  note(text: string): void {
    this.record({ kind: 'note', text });
  }

  /** Waits `ms` of virtual time (for the scenario's top level). */
  sleep(ms: number): Promise<void> {
    this.activity++;
    return new Promise((resolve) =>
      this.net.sim.schedule(Math.round(ms * MS), () => {
        this.activity++;
        resolve();
      }),
    );
  }

  /** Every process started so far (the runner waits for them). */
  get processes(): readonly Promise<unknown>[] {
    return this.procs;
  }
}

/** A loaded ELF object: its programs and maps by name. */
export class WorldObject {
  constructor(
    readonly host: WorldHost,
    readonly obj: ObjectFile,
  ) {}
  program(name: string): WorldProgram {
    const p = this.obj.program(name);
    const at = p.expectedAttachType ? attachTypeName(p.expectedAttachType) : undefined;
    return new WorldProgram(this.host, { name: p.name, ...(at ? { attach: at } : {}), ...(p.attachTarget ? { tracepoint: p.attachTarget } : {}) }, p.handle!);
  }
  map(name: string): WorldMap {
    const m = this.obj.map(name);
    return { name: m.name, spec: { type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }, handle: m.handle! };
  }
  /** A global variable's bytes (read from its map). */
  global(name: string): Uint8Array {
    return this.obj.getGlobal(name);
  }
}

const attachTypeName = (t: number): string | undefined => uapiShortName(BPF_ATTACH_TYPE, 'BPF_', t);
const mapTypeName = (t: number): string => uapiShortName(BPF_MAP_TYPE, 'BPF_MAP_TYPE_', t) ?? String(t);

/** A loaded program. */
export class WorldProgram {
  constructor(
    readonly host: WorldHost,
    readonly spec: { name: string; attach?: string; tracepoint?: string },
    readonly handle: ProgHandle,
  ) {}
  /** Attaches to a cgroup of the host with the program's attach type ('multi' or 'override' as flags). */
  attach(cgroup: string, flags?: 'multi' | 'override'): this {
    if (!this.spec.attach) throw new ScenarioError('E_ATTACH', `program ${this.spec.name} has no attach type`);
    this.handle.attach(cgroup, this.spec.attach, flags === 'multi' ? 2 : flags === 'override' ? 1 : 0);
    return this;
  }
  /** BPF_PROG_ATTACH to a sockmap or sockhash (sk_msg programs: 'sk_msg_verdict'). */
  attachToMap(map: WorldMap, attachType = 'sk_msg_verdict'): this {
    this.handle.attachToMap(map.handle, attachType);
    return this;
  }

  /** BPF_RAW_TRACEPOINT_OPEN: runs the program on every fire of `name` (raw_tracepoint
   * programs; an object's program defaults to its section's, `raw_tp/NAME`). */
  attachRawTracepoint(name?: string): this {
    const tp = name ?? this.spec.tracepoint;
    if (!tp) throw new ScenarioError('E_ATTACH', `program ${this.spec.name}: which tracepoint? (attachRawTracepoint('sys_enter'))`);
    this.host.admin.rawTracepointOpen(this.handle, tp);
    return this;
  }
  detach(cgroup: string): this {
    this.handle.detach(cgroup, this.spec.attach!);
    return this;
  }
}

export type { SockAddr };

/** A stable hex string of `bytes` bytes from `text` (FNV-1a, repeated): a default build id. */
function fnvHex(text: string, bytes: number): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let i = 0; out.length < bytes * 2; i++) {
    h = Math.imul(h ^ text.charCodeAt(i % text.length) ^ i, 0x01000193) >>> 0;
    out += (h & 0xff).toString(16).padStart(2, '0');
  }
  return out;
}
