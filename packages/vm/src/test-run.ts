// BPF_PROG_TEST_RUN for the program types the VM knows now (XDP and socket filters), as
// net/bpf/test_run.c does it: bpf_prog_test_run_xdp() and bpf_prog_test_run_skb(). Facts
// checked on Linux 6.18 (scripts/kernel/probe_test_run.py): the sizes accepted, the ctx
// field values, and what data_out holds.
import { SysError } from '@bpfsim/isa';
import type { HelperTable } from './context';
import { ExecContext } from './context';
import type { EngineName, RunResult, VmProgram } from './engine';
import { runIn } from './engine';
import type { Fault } from './fault';
import type { FieldAccess, Region } from './memory';
import { Memory } from './memory';

export type TestRunProgType = 'xdp' | 'socket_filter';

export const ETH_HLEN = 14;
/** XDP_PACKET_HEADROOM: bytes before data that bpf_xdp_adjust_head may claim. */
export const XDP_PACKET_HEADROOM = 256;
/** Linear XDP data: a page minus the headroom and skb_shared_info (4096 - 256 - 320). */
export const XDP_LINEAR_MAX = 3520;
/** MAX_SKB_FRAGS: beyond the linear part, a test packet fills up to this many page frags. */
export const MAX_SKB_FRAGS = 17;
/** Largest XDP test packet: 73152 bytes on 6.18 (one more fails with ENOMEM). */
export const XDP_TEST_MAX = XDP_LINEAR_MAX + MAX_SKB_FRAGS * 4096;
/** Largest skb test packet: 3712 bytes on 6.18 (one more fails with EINVAL). */
export const SKB_TEST_MAX = 3712;
/** The ifindex of lo, the device test runs pretend the packet came in on. */
export const LOOPBACK_IFINDEX = 1;

export interface TestRunOptions {
  engine: EngineName;
  repeat?: number;
  helpers?: HelperTable;
  budget?: number;
  /** Room for data_out, as data_size_out (default: enough). ENOSPC when it is too small. */
  dataSizeOut?: number;
  /** A clock in nanoseconds for duration (performance.now() * 1e6 in practice); 0 without one. */
  now?: () => number;
  /** The address space to run in (a kernel's, where its maps live); a fresh one by default.
   * The session's packet, ctx and stack regions are unmapped from it on close(). */
  memory?: Memory;
  /** What helpers need from the caller (ExecContext.env). */
  env?: unknown;
}

export interface TestRunResult {
  retval: number;
  dataOut: Uint8Array;
  /** Average duration of one run, in ns (0 without a clock). */
  durationNs: number;
  /** Set when a run faulted (Linux has no equivalent: its verifier rules these out). */
  fault?: Fault;
  insnCount: number;
}

/** struct xdp_md: data, data_end and data_meta read as packet pointers (convert_ctx_access). */
class XdpMd implements FieldAccess {
  data = 0;
  dataEnd = 0;
  dataMeta = 0;
  constructor(private readonly packet: Region) {}
  load(offset: number, size: number, out: Int32Array): boolean {
    if (size !== 4 || offset > 8 || offset % 4 !== 0) return false;
    const at = offset === 0 ? this.data : offset === 4 ? this.dataEnd : this.dataMeta;
    out[0] = this.packet.lo(at);
    out[1] = this.packet.hi;
    return true;
  }
}

function eth_pkt_type(dst: Uint8Array): number {
  // eth_type_trans() on lo, whose address and broadcast address are all zeros.
  if (dst[0]! & 1) return 2; // PACKET_MULTICAST (ff:ff:... is not lo's broadcast)
  return dst.every((b) => b === 0) ? 0 : 3; // PACKET_HOST : PACKET_OTHERHOST
}

/** skb->protocol as eth_type_trans() derives it, in network byte order (as __sk_buff holds it). */
function eth_protocol(pkt: Uint8Array): number {
  const type = (pkt[12]! << 8) | pkt[13]!;
  let proto = type;
  if (type < 0x600) proto = pkt.length >= 16 && pkt[14] === 0xff && pkt[15] === 0xff ? 0x0001 : 0x0004; // 802.3 / 802.2
  return ((proto & 0xff) << 8) | (proto >> 8);
}

/**
 * One BPF_PROG_TEST_RUN set up: the packet and ctx in their own address space, ready to run
 * the program any number of times (benchmarks call run() in their own loop).
 */
export class TestRunSession {
  private readonly C: ExecContext;
  private readonly args: bigint[];

  private constructor(
    readonly prog: VmProgram,
    readonly engine: EngineName,
    memory: Memory,
    ctx: Region,
    skbData: Region | null,
    private readonly output: () => Uint8Array,
    options: TestRunOptions,
  ) {
    prog.runnable(engine); // compiled before any timing, as the kernel JITs at load
    this.C = new ExecContext(memory, { helpers: options.helpers ?? [], budget: options.budget, skbData, env: options.env });
    this.args = [ctx.address()];
    this.memory = memory;
    this.owned = [ctx, ...(skbData ? [skbData] : [])];
  }

  private readonly memory: Memory;
  /** Regions this session mapped (unmapped on close). */
  private owned: Region[];

  static create(prog: VmProgram, progType: TestRunProgType, data: Uint8Array, options: TestRunOptions): TestRunSession {
    return progType === 'xdp' ? TestRunSession.xdp(prog, data, options) : TestRunSession.skb(prog, data, options);
  }

  /**
   * bpf_prog_test_run_xdp: the packet after XDP_PACKET_HEADROOM. The program sees the linear
   * part only (up to XDP_LINEAR_MAX bytes); the rest travels in frags and comes back in
   * data_out after data..data_end.
   */
  static xdp(prog: VmProgram, data: Uint8Array, options: TestRunOptions): TestRunSession {
    if (data.length < ETH_HLEN) throw new SysError('EINVAL', `XDP test data must hold an Ethernet header (${ETH_HLEN} bytes), got ${data.length}`, 'BPF_PROG_TEST_RUN');
    if (data.length > XDP_TEST_MAX) throw new SysError('ENOMEM', `XDP test data of ${data.length} bytes is too large`, 'BPF_PROG_TEST_RUN');
    const memory = options.memory ?? new Memory();
    const tailroom = 320; // skb_shared_info
    const linear = Math.min(data.length, XDP_LINEAR_MAX);
    const packet = memory.alloc(XDP_PACKET_HEADROOM + linear + tailroom, { kind: 'packet', name: 'xdp packet' });
    packet.bytes.set(data.subarray(0, linear), XDP_PACKET_HEADROOM);
    const frags = data.slice(linear);
    const ctx = memory.alloc(24, { kind: 'ctx', name: 'xdp_md', writable: false });
    const md = new XdpMd(packet);
    md.data = md.dataMeta = XDP_PACKET_HEADROOM;
    md.dataEnd = XDP_PACKET_HEADROOM + linear;
    ctx.access = md;
    ctx.view.setUint32(12, LOOPBACK_IFINDEX, true); // ingress_ifindex
    ctx.view.setUint32(16, 0, true); // rx_queue_index
    const output = (): Uint8Array => {
      const head = packet.bytes.subarray(md.dataMeta, md.dataEnd);
      const out = new Uint8Array(head.length + frags.length);
      out.set(head);
      out.set(frags, head.length);
      return out;
    };
    const session = new TestRunSession(prog, options.engine, memory, ctx, null, output, options);
    session.owned.push(packet);
    return session;
  }

  /**
   * bpf_prog_test_run_skb for a socket filter: eth_type_trans() pulls the Ethernet header, so
   * the program (and LD_ABS offset 0) starts at the network header; on the way out the
   * header is pushed back zero-filled.
   */
  static skb(prog: VmProgram, data: Uint8Array, options: TestRunOptions): TestRunSession {
    if (data.length < ETH_HLEN) throw new SysError('EINVAL', `skb test data must hold an Ethernet header (${ETH_HLEN} bytes), got ${data.length}`, 'BPF_PROG_TEST_RUN');
    if (data.length > SKB_TEST_MAX) throw new SysError('EINVAL', `skb test data of ${data.length} bytes does not fit one page`, 'BPF_PROG_TEST_RUN');
    const proto = eth_protocol(data);
    const l3 = data.length - ETH_HLEN;
    if ((proto === 0x0008 && l3 < 20) || (proto === 0xdd86 && l3 < 40))
      throw new SysError('EINVAL', `skb test data too short for its ${proto === 0x0008 ? 'IPv4' : 'IPv6'} header`, 'BPF_PROG_TEST_RUN');
    const memory = options.memory ?? new Memory();
    const net = memory.map(data.slice(ETH_HLEN), { kind: 'packet', name: 'skb data' });
    const ctx = memory.alloc(192, { kind: 'ctx', name: '__sk_buff' });
    const v = ctx.view;
    v.setUint32(0, l3, true); // len
    v.setUint32(4, eth_pkt_type(data.subarray(0, 6)), true); // pkt_type
    v.setUint32(16, proto, true); // protocol
    v.setUint32(40, LOOPBACK_IFINDEX, true); // ifindex
    const output = (): Uint8Array => {
      const out = new Uint8Array(data.length);
      out.set(net.bytes, ETH_HLEN);
      return out;
    };
    return new TestRunSession(prog, options.engine, memory, ctx, net, output, options);
  }

  /** Runs `repeat` times (each with a fresh budget); the last run's result, or the fault. */
  run(repeat = 1): RunResult {
    this.C.reset();
    return runIn(this.prog, this.engine, this.C, this.args, repeat);
  }

  /** data_out: the packet as the kernel would copy it back. */
  dataOut(): Uint8Array {
    return this.output();
  }

  close(): void {
    this.C.release();
    for (const r of this.owned) this.memory.unmap(r);
    this.owned = [];
  }
}

export function testRun(prog: VmProgram, progType: TestRunProgType, data: Uint8Array, options: TestRunOptions): TestRunResult {
  const session = TestRunSession.create(prog, progType, data, options);
  try {
    const repeat = Math.max(1, options.repeat ?? 1);
    const t0 = options.now?.() ?? 0;
    const last = session.run(repeat);
    const t1 = options.now?.() ?? 0;
    const dataOut = session.dataOut();
    checkOut(dataOut, options);
    return result(last, dataOut, options.now ? Math.round((t1 - t0) / repeat) : 0);
  } finally {
    session.close();
  }
}

export const testRunXdp = (prog: VmProgram, data: Uint8Array, options: TestRunOptions): TestRunResult => testRun(prog, 'xdp', data, options);
export const testRunSkb = (prog: VmProgram, data: Uint8Array, options: TestRunOptions): TestRunResult => testRun(prog, 'socket_filter', data, options);

function checkOut(dataOut: Uint8Array, options: TestRunOptions): void {
  if (options.dataSizeOut !== undefined && dataOut.length > options.dataSizeOut)
    throw new SysError('ENOSPC', `data_out needs ${dataOut.length} bytes, data_size_out is ${options.dataSizeOut}`, 'BPF_PROG_TEST_RUN');
}

function result(last: RunResult, dataOut: Uint8Array, durationNs: number): TestRunResult {
  const r: TestRunResult = { retval: last.retval, dataOut, durationNs, insnCount: last.insnCount };
  if (last.fault) r.fault = last.fault;
  return r;
}
