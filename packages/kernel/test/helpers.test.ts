// Generic helpers as programs see them, through BPF_PROG_TEST_RUN in the kernel.
import { BpfClient, Kernel, ManualClock, formatPrintk } from '../src';

function setup(options: { comm?: string; uid?: number } = {}) {
  const clock = new ManualClock(5_000_000_000n);
  const k = new Kernel({ clock, seed: 42, cpus: 4 });
  k.cgroups.create('/app/web');
  const proc = k.spawn({ comm: options.comm ?? 'worker', uid: options.uid ?? 0, cgroup: k.cgroups.lookup('/app/web') });
  return { k, clock, proc, c: new BpfClient(k, proc) };
}

/** Runs an XDP program whose r0 is the result; returns it (low 32 bits). */
function run(c: BpfClient, body: string): number {
  return c.loadProgram({ type: 'xdp', insns: `${body}\nexit` }).testRun(new Uint8Array(64)).retval;
}

describe('generic helpers', () => {
  test('time comes from the virtual clock', () => {
    const { c, clock } = setup();
    expect(run(c, 'call bpf_ktime_get_ns\nr0 /= 1000000')).toBe(5000);
    clock.advance(2_000_000_000n);
    expect(run(c, 'call bpf_ktime_get_ns\nr0 /= 1000000')).toBe(7000);
    expect(run(c, 'call bpf_jiffies64')).toBe(7000);
  });
  test('the current task: pid/tgid, uid/gid, comm, cgroup id', () => {
    const { k, c, proc } = setup({ comm: 'nginx', uid: 0 });
    expect(run(c, 'call bpf_get_current_pid_tgid\nr0 >>= 32')).toBe(proc.tgid);
    expect(run(c, 'call bpf_get_current_uid_gid')).toBe(0);
    expect(run(c, 'call bpf_get_current_cgroup_id')).toBe(Number(k.cgroups.lookup('/app/web')!.id));
    const comm = run(c, 'r1 = r10\nr1 += -16\nr2 = 16\ncall bpf_get_current_comm\nr0 = *(u32 *)(r10 - 16)');
    expect(comm).toBe(0x6e69676e); // "ngin" read as a little-endian u32
  });
  test('bpf_map_update_elem refuses flags with high bits (a u64 argument)', () => {
    const { c } = setup();
    const m = c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 4 });
    const update = (flags: string): number =>
      c
        .loadProgram({
          type: 'xdp',
          maps: { m },
          insns: `
            .map m type=array key_size=4 value_size=8 max_entries=4
            r1 = 0
            *(u64 *)(r10 - 8) = r1
            *(u64 *)(r10 - 16) = r1
            r2 = r10
            r2 += -8
            r3 = r10
            r3 += -16
            r1 = m ll
            r4 = ${flags} ll
            call bpf_map_update_elem
            exit`,
        })
        .testRun(new Uint8Array(64)).retval | 0;
    expect(update('0')).toBe(0);
    expect(update('2')).toBe(0); // BPF_EXIST: array elements always exist
    expect(update('1')).toBe(-17); // BPF_NOEXIST: EEXIST
    expect(update('0x100000000')).toBe(-22);
    expect(update('0x80000000')).toBe(-22);
  });
  test('prandom is seeded: the same seed draws the same numbers', () => {
    const draw = (): number[] => {
      const { c } = setup();
      return [0, 1, 2].map(() => run(c, 'call bpf_get_prandom_u32') >>> 0);
    };
    const a = draw();
    expect(draw()).toEqual(a);
    expect(new Set(a).size).toBe(3);
  });
  test('bpf_trace_printk writes to the trace pipe', () => {
    const { k, c, proc } = setup({ comm: 'loader' });
    const src = `
      r1 = 0x0a64252078 ll
      *(u64 *)(r10 - 8) = r1
      r1 = r10
      r1 += -8
      r2 = 6
      r3 = 42
      call bpf_trace_printk`;
    expect(run(c, src)).toBe(5);
    expect(k.trace).toEqual([{ time: 5_000_000_000n, cpu: 0, pid: proc.pid, comm: 'loader', text: 'x 42\n' }]);
  });
  test('formatPrintk: conversions, widths, too many arguments', () => {
    const s = (a: bigint): string | undefined => (a === 1n ? 'str' : undefined);
    expect(formatPrintk('%d %u %x %lld %s %%', [-1n, -1n, 255n], s)).toBeUndefined(); // four conversions
    expect(formatPrintk('%d|%5u|%-4x|', [-1n, 7n, 255n], s)).toBe('-1|    7|ff  |');
    expect(formatPrintk('%lld %llx %s', [-1n, -1n, 1n], s)).toBe('-1 ffffffffffffffff str');
    expect(formatPrintk('%q', [], s)).toBeUndefined();
  });
});
