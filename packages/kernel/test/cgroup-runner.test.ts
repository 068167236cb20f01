// The cgroup hook runner: effective programs run in order on the caller's ctx, verdicts
// combine as bpf_prog_run_array_cg() does, and every run is reported to the listeners.
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_PROG_TYPE, assemble } from '@bpfsim/isa';
import type { Region } from '@bpfsim/vm';
import type { HookRunEvent, Process } from '../src';
import { ENGINES } from '@bpfsim/vm';
import { BPF_F_ALLOW_MULTI, BPF_F_ALLOW_OVERRIDE, Kernel, ManualClock, NET_XMIT_CN, NET_XMIT_DROP, NET_XMIT_SUCCESS, bpf, onHookRun, openCgroup, runCgroupHook, runCgroupSkb } from '../src';

const { BPF_CGROUP_INET_INGRESS: IN, BPF_CGROUP_INET_EGRESS: EG } = BPF_ATTACH_TYPE;
const SKB = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SKB;
const EPERM = -1;

function setup(engine: (typeof ENGINES)[number] = 'jit') {
  const k = new Kernel({ engine });
  const p = k.spawn({ comm: 'admin' });
  k.cgroups.create('/app/web');
  const load = (src: string, eat: number = IN, name = ''): number =>
    bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble(src).insns, license: 'GPL', expected_attach_type: eat, prog_name: name });
  const attach = (cg: string, fd: number, at: number, flags = BPF_F_ALLOW_MULTI): void => {
    const cfd = openCgroup(k, p, cg);
    bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: fd, attach_type: at, attach_flags: flags });
    p.fds.close(cfd);
  };
  /** A hand-built struct __sk_buff: len, mark, priority, cb[] set. */
  const skb = (len = 100, mark = 0): Region => {
    const r = k.memory.alloc(192, { kind: 'ctx', name: '__sk_buff' });
    r.view.setUint32(0, len, true);
    r.view.setUint32(8, mark, true);
    return r;
  };
  return { k, p, load, attach, skb, cg: (path: string) => k.cgroups.lookup(path)! };
}

describe.each(ENGINES)('%s engine', (engine) => {
  test('no programs: allowed, nothing runs', () => {
    const { k, skb, cg } = setup(engine);
    expect(runCgroupHook(k, cg('/app'), IN, { ctx: skb() })).toEqual({ retval: 0, flags: 0, ran: 0 });
    expect(runCgroupSkb(k, cg('/app'), EG, { ctx: skb() })).toBe(NET_XMIT_SUCCESS);
  });

  test('every effective program runs, child first, even after a deny; one deny is EPERM', () => {
    const { k, load, attach, skb, cg } = setup(engine);
    // Each program appends its digit to cb[0]: cb[0] = cb[0] * 10 + n.
    const mark = (n: number, ret: number) => load(`r2 = *(u32 *)(r1 + 48)\nr2 *= 10\nr2 += ${n}\n*(u32 *)(r1 + 48) = r2\nr0 = ${ret}\nexit`);
    attach('/', mark(1, 1), IN);
    attach('/app', mark(2, 0), IN);
    attach('/app/web', mark(3, 1), IN);
    const ctx = skb();
    const r = runCgroupHook(k, cg('/app/web'), IN, { ctx });
    expect(r).toEqual({ retval: EPERM, flags: 0, ran: 3 });
    expect(ctx.view.getUint32(48, true)).toBe(321);
    expect(runCgroupSkb(k, cg('/app/web'), IN, { ctx: skb() })).toBe(EPERM);
    expect(runCgroupSkb(k, cg('/'), IN, { ctx: skb() })).toBe(0);
  });

  test('an overridable parent program yields to the child\'s', () => {
    const { k, load, attach, skb, cg } = setup(engine);
    attach('/app', load('r0 = 0\nexit'), IN, BPF_F_ALLOW_OVERRIDE);
    expect(runCgroupHook(k, cg('/app/web'), IN, { ctx: skb() }).retval).toBe(EPERM);
    attach('/app/web', load('r0 = 1\nexit'), IN, BPF_F_ALLOW_OVERRIDE);
    expect(runCgroupHook(k, cg('/app/web'), IN, { ctx: skb() })).toEqual({ retval: 0, flags: 0, ran: 1 });
    expect(runCgroupHook(k, cg('/app'), IN, { ctx: skb() }).retval).toBe(EPERM);
  });

  test('egress: bit 1 is congestion notification, bit 0 the verdict', () => {
    const { k, load, attach, skb, cg } = setup(engine);
    const ret = (n: number) => load(`r0 = ${n}\nexit`, EG);
    attach('/app', ret(1), EG);
    expect(runCgroupSkb(k, cg('/app'), EG, { ctx: skb() })).toBe(NET_XMIT_SUCCESS);
    attach('/app', ret(3), EG);
    expect(runCgroupHook(k, cg('/app'), EG, { ctx: skb(), retFlags: true })).toEqual({ retval: 0, flags: 1, ran: 2 });
    expect(runCgroupSkb(k, cg('/app'), EG, { ctx: skb() })).toBe(NET_XMIT_CN);
    attach('/app', ret(2), EG);
    expect(runCgroupHook(k, cg('/app'), EG, { ctx: skb(), retFlags: true })).toEqual({ retval: EPERM, flags: 1, ran: 3 });
    expect(runCgroupSkb(k, cg('/app'), EG, { ctx: skb() })).toBe(NET_XMIT_DROP);
    // A plain deny without congestion notification: -EPERM.
    const { k: k2, load: load2, attach: attach2, skb: skb2, cg: cg2 } = setup(engine);
    attach2('/app', load2('r0 = 0\nexit', EG), EG);
    expect(runCgroupSkb(k2, cg2('/app'), EG, { ctx: skb2() })).toBe(EPERM);
  });

  test('ingress has no flags: only 0 denies', () => {
    const { k, load, attach, skb, cg } = setup(engine);
    // Loaded for egress but never returning 2 or 3: it may go to ingress.
    attach('/app', load('r0 = *(u32 *)(r1 + 0)\nr0 &= 1\nexit', EG), IN);
    expect(runCgroupSkb(k, cg('/app'), IN, { ctx: skb(1) })).toBe(0);
    expect(runCgroupSkb(k, cg('/app'), IN, { ctx: skb(2) })).toBe(EPERM);
  });

  test('programs read the ctx and write mark; helpers see the process', () => {
    const { k, p, load, attach, skb, cg } = setup(engine);
    attach('/app', load('r6 = r1\nr2 = *(u32 *)(r6 + 0)\nr2 += 7\n*(u32 *)(r6 + 8) = r2\ncall bpf_get_current_pid_tgid\nr0 >>= 32\n*(u32 *)(r6 + 48) = r0\nr0 = 1\nexit'), IN);
    const ctx = skb(33);
    expect(runCgroupHook(k, cg('/app/web'), IN, { ctx, process: p as Process }).retval).toBe(0);
    expect(ctx.view.getUint32(8, true)).toBe(40);
    expect(ctx.view.getUint32(48, true)).toBe(p.tgid);
  });

  test('a ctx per program', () => {
    const { k, load, attach, skb, cg } = setup(engine);
    attach('/app', load('r0 = *(u32 *)(r1 + 8)\nr0 &= 1\nexit'), IN);
    attach('/app', load('r0 = *(u32 *)(r1 + 8)\nr0 &= 1\nexit'), IN);
    const seen: number[] = [];
    const r = runCgroupHook(k, cg('/app'), IN, {
      ctx: (prog, i) => {
        seen.push(prog.id);
        return skb(0, i);
      },
    });
    expect(seen).toEqual([1, 2]);
    expect(r.retval).toBe(EPERM); // the first returned mark 0
  });
});

test('hook events: one per program, with ids, cgroup, attach type, return value, insns and time', () => {
  const clock = new ManualClock(1000n);
  const k = new Kernel({ clock });
  const p = k.spawn();
  k.cgroups.create('/app');
  const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble('r0 = 1\nr0 += 1\nr0 &= 1\nexit').insns, license: 'GPL', prog_name: 'allow' });
  const cfd = openCgroup(k, p, '/app');
  bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: fd, attach_type: IN, attach_flags: BPF_F_ALLOW_MULTI });
  const events: HookRunEvent[] = [];
  const stop = onHookRun(k, (e) => events.push(e));
  const ctx = k.memory.alloc(192, { kind: 'ctx' });
  runCgroupHook(k, k.cgroups.lookup('/app')!, IN, { ctx });
  expect(events).toEqual([
    {
      type: 'hook',
      time: 1000n,
      cgroup: '/app',
      cgroupId: k.cgroups.lookup('/app')!.id,
      attachType: IN,
      attachTypeName: 'BPF_CGROUP_INET_INGRESS',
      progId: 1,
      progName: 'allow',
      index: 0,
      ret: 0,
      insns: 4,
      durationNs: 0,
      retval: EPERM,
    },
  ]);
  stop();
  runCgroupHook(k, k.cgroups.lookup('/app')!, IN, { ctx });
  expect(events).toHaveLength(1);
});

test('a faulting program counts as a deny and its event carries the fault', () => {
  const k = new Kernel();
  const p = k.spawn();
  k.cgroups.create('/app');
  const fd = bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble('r0 = *(u32 *)(r1 + 8)\nr0 = 1\nexit').insns, license: 'GPL' });
  const cfd = openCgroup(k, p, '/app');
  bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: fd, attach_type: IN });
  const events: HookRunEvent[] = [];
  onHookRun(k, (e) => events.push(e));
  // A 4-byte ctx: the program's load of mark at offset 8 is out of bounds.
  const r = runCgroupHook(k, k.cgroups.lookup('/app')!, IN, { ctx: k.memory.alloc(4, { kind: 'ctx' }) });
  expect(r.retval).toBe(EPERM);
  expect(events[0]!.fault).toBeDefined();
});

test('the starting retval: an errno already there is kept when a program denies', () => {
  const k = new Kernel();
  const p = k.spawn();
  k.cgroups.create('/app');
  const load = (ret: number) => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: SKB, insns: assemble(`r0 = ${ret}\nexit`).insns, license: 'GPL' });
  const cfd = openCgroup(k, p, '/app');
  bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: load(1), attach_type: IN, attach_flags: BPF_F_ALLOW_MULTI });
  bpf(k, p, BPF_CMD.BPF_PROG_ATTACH, { target_fd: cfd, attach_bpf_fd: load(0), attach_type: IN, attach_flags: BPF_F_ALLOW_MULTI });
  const ctx = k.memory.alloc(192, { kind: 'ctx' });
  expect(runCgroupHook(k, k.cgroups.lookup('/app')!, IN, { ctx, retval: -13 }).retval).toBe(-13);
  // A positive retval is not an errno: the deny replaces it (and the skb wrapper would say EFAULT).
  expect(runCgroupHook(k, k.cgroups.lookup('/app')!, IN, { ctx, retval: 5 }).retval).toBe(EPERM);
});
