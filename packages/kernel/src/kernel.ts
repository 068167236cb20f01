// One simulated host's kernel, as far as BPF is concerned: the address space programs and
// maps share, object ids, processes and their fd tables, the cgroup tree, bpffs, the map
// and program type registries, the helper table, the bpf() command table, the kernel
// objects tracing programs see, the virtual clock and the seeded RNG. bpf() itself is in
// syscall.ts, its table in bpf-commands.ts; the friendly API in api.ts.
import type { EngineName, ExecContext, Region } from '@bpfsim/vm';
import { Memory } from '@bpfsim/vm';
import { BpfFs } from './bpffs';
import { commandTable, linkCreatorTable } from './bpf-commands';
import type { LinkCreator } from './link';
import type { CommandHandler } from './syscall';
import { KernelEmitter } from './events';
import { TracingState, fireTracepoint, findTracepoint } from './tracing/tracepoints';
import { utf8Encode } from './utf8';
import { CgroupTree } from './cgroup/cgroup';
import { IdAllocator } from './idr';
import { builtinHelpers } from './helpers/builtin';
import { HelperTable } from './helpers/func-proto';
import type { HelperKernel, RunCtx } from './helpers/run-ctx';
import type { BpfMap, MapHost } from './maps/map';
import { MapTypeRegistry } from './maps/map';
import { registerBuiltinMaps } from './maps/index';
import type { BpfObject } from './object';
import type { ProcessOptions } from './process';
import { Process } from './process';
import type { BpfProg } from './prog';
import { ProgTypeRegistry, builtinProgTypes } from './prog-types/registry';
import { Rng } from './rng';

/** A source of virtual time in nanoseconds (the simulation's clock). */
export interface Clock {
  now(): bigint;
}

/** A clock that only moves when told to (the default outside a simulation). */
export class ManualClock implements Clock {
  constructor(private t = 0n) {}
  now(): bigint {
    return this.t;
  }
  advance(ns: bigint): void {
    this.t += ns;
  }
}

export interface KernelOptions {
  /** CPUs of the machine (per-CPU maps, bpf_get_smp_processor_id). Default 2. */
  cpus?: number;
  clock?: Clock;
  /** Seed of the kernel's random numbers. Default 1. */
  seed?: number;
  /** The engine programs run on (the JIT by default, as with bpf_jit_enable=1). */
  engine?: EngineName;
  /** sysctl kernel.unprivileged_bpf_disabled: 0 lets users without CAP_BPF create maps
   * and load the program types open to them; 1 and 2 refuse them with EPERM. Default 2,
   * Linux's default (CONFIG_BPF_UNPRIV_DEFAULT_OFF=y) and this project's reference machine. */
  unprivilegedBpfDisabled?: 0 | 1 | 2;
  /**
   * Which Linux the kernel behaves as where behaviour changed since the seed's era: '6.18'
   * (default, this project's reference machine) or '4.17'. See KERNEL_PROFILES.
   */
  profile?: KernelProfile;
}

/** A Linux version whose observable behaviour bpfsim can show. */
export type KernelProfile = '6.18' | '4.17';

/** Where the profiles differ (each place that reads Kernel.profile cites its entry). */
export const KERNEL_PROFILES: Readonly<Record<KernelProfile, readonly string[]>> = {
  '6.18': [
    'bpf_bind() binds the port it is given (since 5.8; port 0 still leaves the choice to connect)',
    'sendfile() on a socket with an SK_MSG program goes through sendmsg (splice, since 6.5): the program sees the bytes as with send()',
  ],
  '4.17': [
    'bpf_bind() takes the address only: a non-zero port is -EINVAL',
    'sendfile() goes through tcp_bpf_sendpage(): the file pages are not copied, data == data_end == NULL until bpf_msg_pull_data()',
  ],
};

/** A line bpf_trace_printk wrote (what /sys/kernel/tracing/trace_pipe shows). */
export interface TraceLine {
  time: bigint;
  cpu: number;
  pid: number;
  comm: string;
  text: string;
}

export class Kernel implements MapHost, HelperKernel {
  readonly memory = new Memory();
  readonly cpus: number;
  readonly clock: Clock;
  engine: EngineName;
  /** sysctl kernel.unprivileged_bpf_disabled (see KernelOptions). */
  unprivilegedBpfDisabled: 0 | 1 | 2;
  /** The Linux version it behaves as where behaviour changed (KernelOptions.profile). */
  readonly profile: KernelProfile;
  readonly mapIds = new IdAllocator<BpfMap>();
  readonly progIds = new IdAllocator<BpfProg>();
  readonly linkIds = new IdAllocator<BpfObject>();
  readonly mapTypes = new MapTypeRegistry();
  readonly progTypes = new ProgTypeRegistry();
  /** Helpers by id, prototype and implementation (struct bpf_func_proto): the verifier
   * checks calls against helpers.protos(), the VM calls helpers.funcs. */
  readonly helpers = new HelperTable();
  /** bpf()'s commands by number, built from the static list in bpf-commands.ts. */
  readonly commands: ReadonlyMap<number, CommandHandler> = commandTable();
  /** BPF_LINK_CREATE's creators by program type, from the static list in bpf-commands.ts. */
  readonly linkCreators: ReadonlyMap<number, LinkCreator> = linkCreatorTable();
  readonly cgroups = new CgroupTree();
  readonly bpffs = new BpfFs();
  readonly processes = new Map<number, Process>();
  readonly trace: TraceLine[] = [];
  /** The kernel objects (struct sock, sk_buff, net_device, pt_regs…) tracing programs read,
   * by the simulated object they mirror: made when a tracepoint with programs fires, freed
   * when the object goes (tracing/kobjects.ts: kernelObject, releaseKernelObject). */
  readonly kobjects = new WeakMap<object, Region>();
  /** The tracepoints and the state of their runs (tracing/tracepoints.ts). */
  readonly tracing = new TracingState();
  /** What the kernel reports: every cgroup program run, every tracepoint run (events.ts). */
  readonly events = new KernelEmitter();
  /** Execution contexts the cgroup runner reuses (one per nesting level in use). */
  readonly execPool: ExecContext[] = [];
  /** The CPU the running program is on. */
  cpu = 0;
  private readonly rng: Rng;
  private nextPid = 1;

  constructor(options: KernelOptions = {}) {
    this.cpus = options.cpus ?? 2;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 1024) throw new RangeError(`cpus must be 1..1024, got ${options.cpus}`);
    this.clock = options.clock ?? new ManualClock();
    this.rng = new Rng(options.seed ?? 1);
    this.engine = options.engine ?? 'jit';
    this.unprivilegedBpfDisabled = options.unprivilegedBpfDisabled ?? 2;
    this.profile = options.profile ?? '6.18';
    for (const t of builtinProgTypes()) this.progTypes.register(t);
    this.helpers.register(builtinHelpers());
    registerBuiltinMaps(this);
  }

  // ---- MapHost / HelperKernel --------------------------------------------------------

  now(): bigint {
    return this.clock.now();
  }

  currentCpu(): number {
    return this.cpu;
  }

  prandomU32(): number {
    return this.rng.u32();
  }

  tracePrintk(run: RunCtx, text: string): void {
    this.trace.push({ time: this.now(), cpu: run.cpu, pid: run.process?.pid ?? 0, comm: run.process?.comm ?? '<idle>', text });
    // trace_bpf_trace_printk(buf): programs on bpf_trace:bpf_trace_printk see the line.
    if ((findTracepoint(this, 'bpf_trace_printk')?.probes.length ?? 0) > 0) {
      const bytes = utf8Encode(`${text}\0`);
      const r = this.memory.map(bytes, { kind: 'mem', name: 'bpf_trace_printk buf' });
      try {
        fireTracepoint(this, 'bpf_trace_printk', [r.address()], run.process);
      } finally {
        this.memory.unmap(r);
      }
    }
  }

  // ---- processes ---------------------------------------------------------------------

  /** A new process (pid 1, 2, …) in the root cgroup unless told otherwise. */
  spawn(options: ProcessOptions = {}): Process {
    const pid = this.nextPid++;
    const p = new Process(pid, pid, this.cgroups.root, options);
    this.processes.set(pid, p);
    return p;
  }

  /** The process exits: its fds close (objects they alone held are freed). */
  exit(p: Process): void {
    p.fds.closeAll();
    this.processes.delete(p.pid);
  }
}
