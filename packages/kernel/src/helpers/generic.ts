// Generic helpers (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c): map access, time,
// randomness, the current task. Each reads its arguments from the VM's helper ABI and
// mirrors the kernel function named beside it; GENERIC_HELPERS at the end gives each its
// prototype (bpf_map_lookup_elem_proto, …). The verifier has already checked argument
// types; a helper still checks what it reads (defence in depth, as the VM does).
import type { ExecContext, Helper } from '@bpfsim/vm';
import type { BpfMap } from '../maps/map';
import type { BpfFuncProto } from './func-proto';
import { helper } from './func-proto';
import { TraceRunCtx, runCtxOf } from './run-ctx';
import { utf8Decode, utf8Encode } from '../utf8';

/** The map behind a CONST_PTR_TO_MAP argument. */
export function mapArg(run: ExecContext, i: number): BpfMap {
  const r = run.argPtr(i, 0);
  const map = r?.region.object as BpfMap | undefined;
  if (!map || r!.region.kind !== 'map') throw run.failArgs(`R${i} is not a map pointer`);
  return map;
}

/** `size` bytes at argument i, copied out of VM memory. */
export function memArg(run: ExecContext, i: number, size: number): Uint8Array {
  const r = run.argMem(i, size);
  const out = new Uint8Array(size);
  const src = r.region.bytes;
  for (let k = 0, o = r.offset; k < size; k++) out[k] = src[o + k]!;
  return out;
}

/** A u64 flags argument as a non-negative int32 (so flag masks stay positive): valid flags
 * are small, and any bit from 31 up makes the value invalid for every map. */
const flagsArg = (run: ExecContext, i: number): number => (run.argHi(i) === 0 && run.argLo(i) >= 0 ? run.argLo(i) : 0x7fffffff);

/** bpf_map_lookup_elem(map, key): a pointer to the value or NULL. */
const mapLookupElem: Helper = (run) => {
  const map = mapArg(run, 1);
  const addr = map.lookupElem(memArg(run, 2, map.keySize));
  if (addr) run.ret(addr.hi, addr.lo);
  else run.ret(0, 0);
};

/** bpf_map_update_elem(map, key, value, flags) */
const mapUpdateElem: Helper = (run) => {
  const map = mapArg(run, 1);
  run.retInt(map.updateElem(memArg(run, 2, map.keySize), memArg(run, 3, map.valueSize), flagsArg(run, 4)));
};

/** bpf_map_delete_elem(map, key) */
const mapDeleteElem: Helper = (run) => {
  const map = mapArg(run, 1);
  run.retInt(map.deleteElem(memArg(run, 2, map.keySize)));
};

/** bpf_ktime_get_ns(), bpf_ktime_get_boot_ns(), bpf_ktime_get_coarse_ns(): the virtual clock. */
const ktimeGetNs: Helper = (run) => run.retU64(runCtxOf(run).kernel.now());

/** bpf_get_prandom_u32(): the kernel's seeded generator. */
const getPrandomU32: Helper = (run) => run.ret(0, runCtxOf(run).kernel.prandomU32());

/** bpf_get_smp_processor_id() */
const getSmpProcessorId: Helper = (run) => run.retInt(runCtxOf(run).cpu);

/** bpf_get_numa_node_id(): one NUMA node. */
const getNumaNodeId: Helper = (run) => run.retInt(0);

/** bpf_get_current_pid_tgid(): tgid << 32 | pid, or -EINVAL outside a task (softirq). */
const getCurrentPidTgid: Helper = (run) => {
  const p = runCtxOf(run).process;
  if (!p) return run.retInt(-22);
  run.ret(p.tgid, p.pid);
};

/** bpf_get_current_uid_gid(): gid << 32 | uid. */
const getCurrentUidGid: Helper = (run) => {
  const p = runCtxOf(run).process;
  if (!p) return run.retInt(-22);
  run.ret(p.gid, p.uid);
};

/** bpf_get_current_comm(buf, size): the task name, NUL-padded; -EINVAL (zeroed) without a task. */
const getCurrentComm: Helper = (run) => {
  const size = run.argU32(2);
  const r = run.argMem(1, size, true);
  const dst = r.region.bytes.subarray(r.offset, r.offset + size);
  dst.fill(0);
  const p = runCtxOf(run).process;
  if (!p) return run.retInt(-22);
  const name = utf8Encode(p.comm);
  dst.set(name.subarray(0, Math.max(0, size - 1)));
  run.retInt(0);
};

/** bpf_get_current_cgroup_id(): the current task's cgroup v2 id. */
const getCurrentCgroupId: Helper = (run) => {
  const p = runCtxOf(run).process;
  run.retU64(p ? p.cgroup.id : 0n);
};

/** bpf_jiffies64(): HZ=1000 ticks of the virtual clock (INITIAL_JIFFIES aside). */
const jiffies64: Helper = (run) => run.retU64(runCtxOf(run).kernel.now() / 1_000_000n);

/** bpf_probe_read_kernel/user(dst, size, src): copies, or zero-fills and -EFAULT. */
const probeRead: Helper = (run) => {
  const size = run.argU32(2);
  const d = run.argMem(1, size, true);
  const dst = d.region.bytes.subarray(d.offset, d.offset + size);
  const s = run.argPtr(3, size);
  if (!s) {
    dst.fill(0);
    return run.retInt(-14);
  }
  dst.set(s.region.bytes.subarray(s.offset, s.offset + size));
  run.retInt(0);
};

/** bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3): to the kernel's trace pipe. */
const tracePrintk: Helper = (run) => {
  const size = run.argU32(2);
  const fmtBytes = memArg(run, 1, size);
  const nul = fmtBytes.indexOf(0);
  if (nul < 0) return run.retInt(-22);
  const fmt = utf8Decode(fmtBytes.subarray(0, nul));
  const args = [run.arg(3), run.arg(4), run.arg(5)];
  const out = formatPrintk(fmt, args, (addr) => readString(run, addr));
  if (out === undefined) return run.retInt(-22);
  const ctx = runCtxOf(run);
  ctx.kernel.tracePrintk(ctx, out);
  run.retInt(utf8Encode(out).length);
};

function readString(run: ExecContext, addr: bigint): string | undefined {
  const hi = Number(BigInt.asIntN(32, addr >> 32n));
  const lo = Number(BigInt.asIntN(32, addr));
  const r = run.memory.resolve(hi, lo, 1);
  if (!r) return undefined;
  const bytes = r.region.bytes.subarray(r.offset);
  const end = bytes.indexOf(0);
  return utf8Decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/**
 * bpf_trace_printk's format (bpf_bprintf_prepare): at most three arguments, conversions
 * %d %i %u %x %X %ld %lu %lx %lld %llu %llx %p %s %c and %%; anything else is -EINVAL.
 */
export function formatPrintk(fmt: string, args: readonly bigint[], str: (addr: bigint) => string | undefined): string | undefined {
  let out = '';
  let n = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const m = /^%([-0 +#]*)(\d*)(ll|l|h|hh|z)?([diuxXpsc%])/.exec(fmt.slice(i));
    if (!m) return undefined;
    i += m[0].length - 1;
    const [, flags, width, len, conv] = m;
    if (conv === '%') {
      out += '%';
      continue;
    }
    if (n >= 3) return undefined;
    const a = args[n++]!;
    let text: string;
    const bits = len === 'll' || len === 'l' || len === 'z' ? 64 : 32;
    switch (conv) {
      case 'd':
      case 'i':
        text = BigInt.asIntN(bits, a).toString();
        break;
      case 'u':
        text = BigInt.asUintN(bits, a).toString();
        break;
      case 'x':
        text = BigInt.asUintN(bits, a).toString(16);
        break;
      case 'X':
        text = BigInt.asUintN(bits, a).toString(16).toUpperCase();
        break;
      case 'p':
        text = `0x${BigInt.asUintN(64, a).toString(16)}`;
        break;
      case 'c':
        text = String.fromCharCode(Number(a & 0xffn));
        break;
      default: {
        const s = str(a);
        text = s ?? '(efault)';
      }
    }
    const w = Number(width || 0);
    if (flags!.includes('#') && (conv === 'x' || conv === 'X')) text = `0x${text}`;
    if (text.length < w) text = flags!.includes('-') ? text.padEnd(w) : flags!.includes('0') && conv !== 's' ? text.padStart(w, '0') : text.padStart(w);
    out += text;
  }
  return out;
}

/** bpf_get_attach_cookie(ctx): the cookie the program's link was made with (struct
 * bpf_trace_run_ctx's bpf_cookie, bpf_get_attach_cookie_trace()/_tracing()); 0 for a run
 * without one (a cgroup hook's, as bpf_cg_run_ctx's prog_item cookie is 0 without one). */
const getAttachCookie: Helper = (run) => {
  const c = runCtxOf(run);
  run.retU64(c instanceof TraceRunCtx ? c.cookie : 0n);
};

/** The generic helpers with their prototypes. */
export const GENERIC_HELPERS: readonly BpfFuncProto[] = [
  helper('map_lookup_elem', ['map', 'map_key'], 'map_value_or_null', mapLookupElem, { pktAccess: true }),
  helper('map_update_elem', ['map', 'map_key', 'map_value', 'any'], 'integer', mapUpdateElem, { pktAccess: true }),
  helper('map_delete_elem', ['map', 'map_key'], 'integer', mapDeleteElem, { pktAccess: true }),
  helper('ktime_get_ns', [], 'integer', ktimeGetNs),
  helper('ktime_get_boot_ns', [], 'integer', ktimeGetNs),
  helper('ktime_get_coarse_ns', [], 'integer', ktimeGetNs),
  helper('ktime_get_tai_ns', [], 'integer', ktimeGetNs),
  helper('jiffies64', [], 'integer', jiffies64),
  helper('get_prandom_u32', [], 'integer', getPrandomU32),
  helper('get_smp_processor_id', [], 'integer', getSmpProcessorId),
  helper('get_numa_node_id', [], 'integer', getNumaNodeId),
  helper('get_current_pid_tgid', [], 'integer', getCurrentPidTgid),
  helper('get_current_uid_gid', [], 'integer', getCurrentUidGid),
  helper('get_current_comm', ['mem_uninit', 'size'], 'integer', getCurrentComm),
  helper('get_current_cgroup_id', [], 'integer', getCurrentCgroupId),
  helper('probe_read_kernel', ['mem_uninit', 'size_or_zero', 'any'], 'integer', probeRead, { gplOnly: true }),
  helper('probe_read_user', ['mem_uninit', 'size_or_zero', 'any'], 'integer', probeRead, { gplOnly: true }),
  helper('trace_printk', ['mem_ro', 'size'], 'integer', tracePrintk, { gplOnly: true }),
  helper('get_attach_cookie', ['ctx'], 'integer', getAttachCookie),
];
