// Raw tracepoints (include/linux/tracepoint.h, kernel/trace/bpf_trace.c): the points the
// simulated kernel and stack announce, by Linux's name and argument list, and the programs
// BPF_RAW_TRACEPOINT_OPEN attached to them. Firing a tracepoint with nothing attached costs
// one array length check (Linux's static key); with programs attached, each runs on a
// struct bpf_raw_tracepoint_args holding the arguments as u64s, as __bpf_trace_run() does.
import type { Region } from '@bpfsim/vm';
import { ExecContext, runCtx } from '@bpfsim/vm';
import type { Kernel } from '../kernel';
import { TraceRunCtx } from '../helpers/run-ctx';
import type { Process } from '../process';
import type { BpfProg } from '../prog';

/** A tracepoint: `system:name` and TP_PROTO's arguments, as Linux 6.18 declares them. */
export interface TracepointDef {
  system: string;
  name: string;
  /** The C arguments, in order (their count bounds what a program may read). */
  args: readonly string[];
}

/**
 * The tracepoints bpfsim fires, with Linux 6.18's argument lists. The argument counts are
 * checked against the live kernel (packages/kernel/test/golden/kernel-raw-tp.json).
 */
export const TRACEPOINTS: readonly TracepointDef[] = [
  { system: 'raw_syscalls', name: 'sys_enter', args: ['struct pt_regs *regs', 'long id'] },
  { system: 'raw_syscalls', name: 'sys_exit', args: ['struct pt_regs *regs', 'long ret'] },
  { system: 'sock', name: 'inet_sock_set_state', args: ['const struct sock *sk', 'const int oldstate', 'const int newstate'] },
  { system: 'sock', name: 'inet_sk_error_report', args: ['const struct sock *sk'] },
  { system: 'tcp', name: 'tcp_retransmit_skb', args: ['const struct sock *sk', 'const struct sk_buff *skb', 'int err'] },
  { system: 'tcp', name: 'tcp_send_reset', args: ['const struct sock *sk', 'const struct sk_buff *skb', 'const enum sk_rst_reason reason'] },
  { system: 'tcp', name: 'tcp_receive_reset', args: ['struct sock *sk'] },
  { system: 'tcp', name: 'tcp_probe', args: ['struct sock *sk', 'const struct sk_buff *skb'] },
  { system: 'net', name: 'net_dev_xmit', args: ['struct sk_buff *skb', 'int rc', 'struct net_device *dev', 'unsigned int skb_len'] },
  { system: 'net', name: 'netif_receive_skb', args: ['struct sk_buff *skb'] },
  { system: 'skb', name: 'kfree_skb', args: ['struct sk_buff *skb', 'void *location', 'enum skb_drop_reason reason', 'struct sock *rx_sk'] },
  { system: 'udp', name: 'udp_fail_queue_rcv_skb', args: ['int rc', 'struct sock *sk', 'struct sk_buff *skb'] },
  { system: 'bpf_trace', name: 'bpf_trace_printk', args: ['const char *bpf_string'] },
];

/** One program run from a tracepoint ('tracepoint:run' on kernel.events). */
export interface TraceRunEvent {
  type: 'tracepoint';
  time: bigint;
  tracepoint: string;
  progId: number;
  progName: string;
  ret: number;
  insns: number;
}

/** Something attached to a tracepoint: a raw tracepoint link, with its cookie. */
export interface TracepointProbe {
  readonly prog: BpfProg | null;
  readonly cookie: bigint;
}

export class Tracepoint {
  /** The attached probes, in attach order (tracepoint_probe_register appends). */
  probes: readonly TracepointProbe[] = [];

  constructor(
    readonly def: TracepointDef,
    /** The kernel's tracing state it belongs to (which counts the probes of all its tracepoints). */
    readonly owner: TracingState,
  ) {}

  get name(): string {
    return this.def.name;
  }
  get numArgs(): number {
    return this.def.args.length;
  }
}

/** A kernel's tracepoints and the state of their runs (kernel.tracing). */
export class TracingState {
  readonly points = new Map<string, Tracepoint>(TRACEPOINTS.map((d) => [d.name, new Tracepoint(d, this)]));
  /** Probes on any of these tracepoints: the stack's call sites test this first, so with no
   * tracing program on the kernel a tracepoint costs one comparison. */
  liveProbes = 0;
  /** Programs running now (prog->active): a program is not re-entered from its own run. */
  readonly active = new Set<BpfProg>();
  /** One ctx region and execution context per nesting level (a program's helper may fire
   * another tracepoint, as bpf_trace_printk does). */
  readonly frames: { ctx: Region; exec: ExecContext }[] = [];
  depth = 0;
  /** bpf_prog_inc_misses_counter(): runs skipped because the program was already active. */
  readonly misses = new Map<BpfProg, number>();
}

/** bpf_get_raw_tracepoint(): the tracepoint by name (no system prefix), or undefined. */
export function findTracepoint(kernel: Kernel, name: string): Tracepoint | undefined {
  return kernel.tracing.points.get(name);
}

/** Every tracepoint the kernel has. */
export function tracepoints(kernel: Kernel): Tracepoint[] {
  return [...kernel.tracing.points.values()];
}

/** Whether any tracepoint of `kernel` has a probe (TracingState.liveProbes). */
export function anyTracepointProbes(kernel: Kernel): boolean {
  return kernel.tracing.liveProbes > 0;
}

/** bpf_probe_register() / bpf_probe_unregister(). */
export function addProbe(tp: Tracepoint, probe: TracepointProbe): void {
  tp.probes = [...tp.probes, probe];
  tp.owner.liveProbes++;
}
export function removeProbe(tp: Tracepoint, probe: TracepointProbe): void {
  const before = tp.probes.length;
  tp.probes = tp.probes.filter((p) => p !== probe);
  tp.owner.liveProbes -= before - tp.probes.length;
}

/** Listens to every program run from a tracepoint ('tracepoint:run' on kernel.events);
 * returns the function that stops it. */
export function onTraceRun(kernel: Kernel, listener: (e: TraceRunEvent) => void): () => void {
  return kernel.events.on('tracepoint:run', listener);
}

/** Runs skipped because the program was already running (bpf_prog_info.recursion_misses). */
export function recursionMisses(kernel: Kernel, prog: BpfProg): number {
  return kernel.tracing.misses.get(prog) ?? 0;
}

/**
 * trace_<name>(args…) → __bpf_trace_run(): runs every attached program on the arguments.
 * Arguments are u64s (pointers are VM addresses of the objects they describe); extra
 * arguments beyond the tracepoint's own are ignored, missing ones read as 0. `kstack` is the
 * kernel call chain at the firing site (innermost first), for the stack helpers.
 */
export function fireTracepoint(kernel: Kernel, name: string | Tracepoint, args: readonly (bigint | number)[], process?: Process, kstack?: readonly bigint[]): void {
  const s = kernel.tracing;
  const tp = typeof name === 'string' ? s.points.get(name) : name;
  if (!tp || tp.probes.length === 0) return;
  const frame = (s.frames[s.depth] ??= {
    ctx: kernel.memory.alloc(8 * 12, { kind: 'ctx', name: 'bpf_raw_tracepoint_args' }),
    exec: new ExecContext(kernel.memory, { helpers: kernel.helpers.funcs }),
  });
  s.depth++;
  try {
    for (const probe of tp.probes) {
      const prog = probe.prog;
      if (!prog) continue;
      if (s.active.has(prog)) {
        s.misses.set(prog, (s.misses.get(prog) ?? 0) + 1);
        continue;
      }
      // The ctx is rewritten for every program: one may not see what another left.
      const v = frame.ctx.view;
      for (let i = 0; i < 12; i++) v.setBigUint64(8 * i, i < tp.numArgs ? BigInt.asUintN(64, BigInt(args[i] ?? 0)) : 0n, true);
      const C = frame.exec;
      C.reset();
      // The kernel stack the firing site is on (bpf_get_stackid without BPF_F_USER_STACK).
      C.env = new TraceRunCtx(kernel, process, probe.cookie, kstack);
      s.active.add(prog);
      const report = kernel.events.listening('tracepoint:run');
      const t0 = report ? kernel.now() : 0n;
      let r;
      try {
        r = runCtx(prog.vm, kernel.engine, C, frame.ctx);
      } finally {
        s.active.delete(prog);
        C.env = undefined;
      }
      prog.runCnt++;
      if (report) kernel.events.emit('tracepoint:run', { type: 'tracepoint', time: t0, tracepoint: tp.name, progId: prog.id, progName: prog.name, ret: r.retval, insns: r.insnCount });
    }
  } finally {
    s.depth--;
  }
}
