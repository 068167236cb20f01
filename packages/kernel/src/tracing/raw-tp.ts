// BPF_RAW_TRACEPOINT_OPEN and raw tracepoint links (kernel/bpf/syscall.c:
// bpf_raw_tracepoint_open(), bpf_raw_tp_link_attach(); kernel/trace/bpf_trace.c:
// __bpf_probe_register()), and BPF_PROG_TEST_RUN for raw tracepoint programs
// (net/bpf/test_run.c: bpf_prog_test_run_raw_tp()). The link is the attachment: closing
// its last fd (or unpinning it) takes the program off the tracepoint.
import { BPF_CMD, BPF_PROG_TYPE, SysError } from '@bpfsim/isa';
import { ExecContext, runIn } from '@bpfsim/vm';
import type { Kernel } from '../kernel';
import { TraceRunCtx } from '../helpers/run-ctx';
import { BpfLink } from '../link';
import type { Process } from '../process';
import type { BpfProg } from '../prog';
import { RAW_TP_MAX_ARGS } from '../prog-types/raw-tracepoint';
import type { BpfCommand, TestRunAttr } from '../syscall';
import { command, fdProg } from '../syscall';
import type { Tracepoint, TracepointProbe } from './tracepoints';
import { kernelStack } from './kallsyms';
import { addProbe, findTracepoint, removeProbe } from './tracepoints';

/** enum bpf_link_type: BPF_LINK_TYPE_RAW_TRACEPOINT */
export const BPF_LINK_TYPE_RAW_TRACEPOINT = 1;
/** The name buffer of bpf_raw_tp_link_attach(): 127 bytes and a NUL. */
const TP_NAME_MAX = 127;
/** BPF_F_TEST_RUN_ON_CPU */
const BPF_F_TEST_RUN_ON_CPU = 1 << 0;

const { BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_EXT, BPF_PROG_TYPE_LSM } = BPF_PROG_TYPE;

/** struct bpf_raw_tp_link: a program on a tracepoint, with the cookie bpf_get_attach_cookie() returns. */
export class RawTpLink extends BpfLink implements TracepointProbe {
  constructor(
    kernel: Kernel,
    prog: BpfProg,
    readonly tracepoint: Tracepoint,
    readonly cookie: bigint,
  ) {
    super(kernel, BPF_LINK_TYPE_RAW_TRACEPOINT, prog, prog.expectedAttachType);
  }

  protected detachFromHook(): void {
    removeProbe(this.tracepoint, this);
  }

  /** bpf_raw_tp_link_fill_link_info() */
  protected override fillInfo(): Record<string, unknown> {
    return { raw_tracepoint: { tp_name: this.tracepoint.name, tp_name_len: this.tracepoint.name.length + 1, cookie: this.cookie } };
  }
}

export interface RawTracepointOpenAttr {
  /** raw_tracepoint.name: the tracepoint's name (null: a NULL pointer). */
  name: string | null;
  prog_fd: number;
  cookie?: bigint | number;
}

/** bpf_raw_tp_link_attach(): returns the link's fd. */
export function rawTpLinkAttach(kernel: Kernel, proc: Process, prog: BpfProg, userName: string | null, cookie: bigint): number {
  switch (prog.type) {
    case BPF_PROG_TYPE_TRACING:
    case BPF_PROG_TYPE_EXT:
    case BPF_PROG_TYPE_LSM:
      // These attach by the BTF id given at load; bpfsim has no BTF to load them with.
      throw new SysError('EINVAL', userName !== null ? 'BTF tracing programs take no tracepoint name' : 'bpfsim cannot load BTF tracing programs');
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
    case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
      break;
    default:
      throw new SysError('EINVAL', `a program of type ${prog.type} cannot attach to a raw tracepoint`);
  }
  if (userName === null) throw new SysError('EFAULT', 'raw_tracepoint.name is NULL');
  const name = userName.slice(0, TP_NAME_MAX);
  const tp = findTracepoint(kernel, name);
  if (!tp) throw new SysError('ENOENT', `no tracepoint named '${name}'`);
  const link = new RawTpLink(kernel, prog, tp, cookie);
  return BpfLink.settle(kernel, proc, link, () => {
    // __bpf_probe_register(): a program may read only as many arguments as there are.
    if (prog.spec.maxCtxOffset > tp.numArgs * 8) {
      throw new SysError('EINVAL', `the program reads ${prog.spec.maxCtxOffset} bytes of arguments; ${tp.name} has ${tp.numArgs} (${tp.numArgs * 8} bytes)`);
    }
    addProbe(tp, link);
  });
}

/** bpf_raw_tracepoint_open() */
export function rawTracepointOpen(kernel: Kernel, proc: Process, attr: RawTracepointOpenAttr): number {
  const prog = fdProg(proc, attr.prog_fd);
  return rawTpLinkAttach(kernel, proc, prog, attr.name, BigInt.asUintN(64, BigInt(attr.cookie ?? 0)));
}

/** BPF_RAW_TRACEPOINT_OPEN, for the kernel's bpf() table (bpf-commands.ts). */
export const RAW_TP_COMMANDS: readonly BpfCommand[] = [command(BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, rawTracepointOpen)];

/** bpf_prog_test_run_raw_tp(): runs the program once on ctx_in (the u64 arguments). */
export function testRunRawTp(kernel: Kernel, proc: Process, prog: BpfProg, attr: TestRunAttr & { batch_size?: number }): number {
  if (attr.data_in || attr.data_out || attr.data_size_out || attr.ctx_out || attr.repeat || attr.batch_size) {
    throw new SysError('EINVAL', 'raw tracepoint test runs take only ctx_in (no data, ctx_out, repeat or batch_size)');
  }
  const ctxIn = attr.ctx_in ?? new Uint8Array(0);
  if (ctxIn.length < prog.spec.maxCtxOffset || ctxIn.length > RAW_TP_MAX_ARGS * 8) {
    throw new SysError('EINVAL', `ctx_size_in must be between the program's ${prog.spec.maxCtxOffset} bytes of arguments and ${RAW_TP_MAX_ARGS * 8}, not ${ctxIn.length}`);
  }
  const flags = attr.flags ?? 0;
  const cpu = attr.cpu ?? 0;
  if (!(flags & BPF_F_TEST_RUN_ON_CPU) && cpu !== 0) throw new SysError('EINVAL', 'cpu is set without BPF_F_TEST_RUN_ON_CPU');
  if (flags & BPF_F_TEST_RUN_ON_CPU && cpu >= kernel.cpus) throw new SysError('ENXIO', `cpu ${cpu} is not online (${kernel.cpus} CPUs)`);
  const ctx = kernel.memory.alloc(Math.max(ctxIn.length, 1), { kind: 'ctx', name: 'bpf_raw_tracepoint_args' });
  ctx.bytes.set(ctxIn);
  const C = new ExecContext(kernel.memory, { helpers: kernel.helpers.funcs });
  const savedCpu = kernel.cpu;
  if (flags & BPF_F_TEST_RUN_ON_CPU) kernel.cpu = cpu;
  try {
    // The program runs on the bpf() syscall's own kernel stack, as in Linux.
    C.env = new TraceRunCtx(kernel, proc, 0n, TEST_RUN_KSTACK);
    const r = runIn(prog.vm, kernel.engine, C, [ctx.address()]);
    if (r.fault) throw new SysError('EFAULT', `the program faulted: ${r.fault.message}`);
    prog.runCnt++;
    attr.retval = r.retval;
    return 0;
  } finally {
    kernel.cpu = savedCpu;
    C.release();
    kernel.memory.unmap(ctx);
  }
}

const TEST_RUN_KSTACK = kernelStack('__bpf_prog_test_run_raw_tp', 'bpf_prog_test_run_raw_tp', 'bpf_prog_test_run', '__sys_bpf', '__x64_sys_bpf', 'x64_sys_call', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe');
