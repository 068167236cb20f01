// BPF_PROG_TEST_RUN as a program type provides it: struct bpf_prog_ops.test_run, named by the
// type's registry entry (ProgTypeEntry.testRun). bpf_prog_test_run() calls it and answers
// ENOTSUPP for a type without one. The packet types (socket filters, XDP) run in the VM's
// test-run session (bpf_prog_test_run_skb() / bpf_prog_test_run_xdp() in net/bpf/test_run.c);
// other types bring their own (raw tracepoints: bpf_prog_test_run_raw_tp()).
import { SysError } from '@bpfsim/isa';
import type { TestRunProgType } from '@bpfsim/vm';
import { TestRunSession } from '@bpfsim/vm';
import { RunCtx } from '../helpers/run-ctx';
import type { Kernel } from '../kernel';
import type { Process } from '../process';
import type { BpfProg } from '../prog';
import type { TestRunAttr } from '../syscall';

/** A program type's BPF_PROG_TEST_RUN (prog->aux->ops->test_run): returns 0 or throws SysError. */
export type TestRunner = (kernel: Kernel, proc: Process, prog: BpfProg, attr: TestRunAttr) => number;

/**
 * bpf_prog_test_run_skb() / bpf_prog_test_run_xdp(): the packet in data_in, run `repeat`
 * times in the VM's test-run session (which builds the type's ctx and packet as Linux does);
 * retval and data_out back in attr.
 */
export function packetTestRun(flavour: TestRunProgType): TestRunner {
  return (kernel, proc, prog, attr) => {
    if (attr.ctx_in?.length || attr.ctx_out) throw new SysError('EINVAL', 'ctx_in/ctx_out are not supported by bpfsim for this program type yet');
    if (attr.flags) throw new SysError('EINVAL', `flags 0x${attr.flags.toString(16)} are not valid here`);
    const session = TestRunSession.create(prog.vm, flavour, attr.data_in ?? new Uint8Array(), {
      engine: kernel.engine,
      helpers: kernel.helpers.funcs,
      memory: kernel.memory,
      env: new RunCtx(kernel, proc),
    });
    try {
      const r = session.run(Math.max(1, attr.repeat ?? 1));
      if (r.fault) throw new SysError('EFAULT', `the program faulted: ${r.fault.message}`);
      prog.runCnt += BigInt(Math.max(1, attr.repeat ?? 1));
      attr.retval = r.retval;
      attr.duration = 0;
      const out = session.dataOut();
      if (attr.data_size_out) {
        attr.data_out = out.slice(0, attr.data_size_out);
        if (out.length > attr.data_size_out) throw new SysError('ENOSPC', `data_out needs ${out.length} bytes, data_size_out is ${attr.data_size_out}`);
      }
      return 0;
    } finally {
      session.close();
    }
  };
}
