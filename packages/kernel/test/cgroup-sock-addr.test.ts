// BPF_PROG_TYPE_CGROUP_SOCK_ADDR through bpf() and BpfClient: what loads with which
// expected_attach_type (bpf_prog_load_check_attach), where it attaches
// (bpf_prog_attach_check_attach_type), check_return_code()'s ranges and messages,
// sock_addr_is_valid_access() and sock_addr_func_proto() per attach type, and hand-written
// programs run by the cgroup runner on a hand-built struct bpf_sock_addr.
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_PROG_TYPE, SysError, assemble } from '@bpfsim/isa';
import type { Region } from '@bpfsim/vm';
import { ENGINES } from '@bpfsim/vm';
import type { ProgLoadAttr } from '../src';
import { BPF_F_ALLOW_MULTI, BpfClient, CGROUP_SOCK_ADDR, Kernel, SOCK_ADDR_ATTACH_TYPES, bpf, runCgroupHook } from '../src';
import { errorLine } from './cgroup-replay';

const A = BPF_ATTACH_TYPE;
const ADDR = BPF_PROG_TYPE.BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
const EPERM = -1;
const EACCES = 13;

/** struct bpf_sock_addr offsets (include/uapi/linux/bpf.h). */
const OFF = { user_family: 0, user_ip4: 4, user_ip6: 8, user_port: 24, family: 28, type: 32, protocol: 36, msg_src_ip4: 40, msg_src_ip6: 44, sk: 64 } as const;

function setup(engine: (typeof ENGINES)[number] = 'jit') {
  const k = new Kernel({ engine });
  const p = k.spawn({ comm: 'admin' });
  k.cgroups.create('/app');
  const client = new BpfClient(k, p);
  const load = (src: string, attachType: string | number) => client.loadProgram({ type: 'cgroup_sock_addr', attachType, insns: src });
  /** A struct bpf_sock_addr as an AF_INET connect() would fill it (hton'd address and port). */
  const ctx = (fill: Partial<Record<keyof typeof OFF, number>> = {}): Region => {
    const r = k.memory.alloc(CGROUP_SOCK_ADDR.ctxSize, { kind: 'ctx', name: 'bpf_sock_addr' });
    for (const [name, v] of Object.entries({ user_family: 2, family: 2, type: 1, protocol: 6, ...fill })) r.view.setUint32(OFF[name as keyof typeof OFF], v, true);
    return r;
  };
  const run = (at: number, c: Region) => runCgroupHook(k, k.cgroups.lookup('/app')!, at, { ctx: c, process: p, retFlags: at === A.BPF_CGROUP_INET4_BIND || at === A.BPF_CGROUP_INET6_BIND });
  return { k, p, client, load, ctx, run };
}

/** Loads through bpf() with a log: undefined when it loads, else the errno and the verifier's reason. */
function refusal(src: string, eat: number | undefined): { code: string; why: string } | undefined {
  const k = new Kernel();
  const attr: ProgLoadAttr = { prog_type: ADDR, insns: assemble(src).insns, license: 'GPL', log_level: 1, log_size: 1 << 20, ...(eat !== undefined ? { expected_attach_type: eat } : {}) };
  try {
    bpf(k, k.spawn(), BPF_CMD.BPF_PROG_LOAD, attr);
    return undefined;
  } catch (e) {
    if (!(e instanceof SysError)) throw e;
    return { code: e.code, why: errorLine(attr.log_buf ?? '') };
  }
}

const errnoOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof SysError) return e.code;
    throw e;
  }
  return undefined;
};

/** htons() of a port, as the low 16 bits of user_port hold it on little-endian. */
const htons = (port: number): number => ((port & 0xff) << 8) | (port >> 8);
/** An IPv4 address in network byte order, read as a little-endian u32 (as user_ip4 holds it). */
const ip4 = (a: number, b: number, c: number, d: number): number => ((d << 24) | (c << 16) | (b << 8) | a) >>> 0;

describe('loading: expected_attach_type decides (bpf_prog_load_check_attach)', () => {
  test('every attach type of the type loads, UNIX_* included; nothing else does, not even 0', () => {
    expect(SOCK_ADDR_ATTACH_TYPES).toHaveLength(17);
    for (const at of SOCK_ADDR_ATTACH_TYPES) expect(refusal('r0 = 1\nexit', at)).toBeUndefined();
    expect(refusal('r0 = 1\nexit', undefined)?.code).toBe('EINVAL');
    for (const at of [A.BPF_CGROUP_INET_INGRESS, A.BPF_CGROUP_INET4_POST_BIND, A.BPF_CGROUP_INET_SOCK_CREATE, A.BPF_CGROUP_SETSOCKOPT, 200]) expect(refusal('r0 = 1\nexit', at)?.code).toBe('EINVAL');
  });

  test('loading needs CAP_NET_ADMIN (is_net_admin_prog_type), or CAP_SYS_ADMIN', () => {
    const k = new Kernel();
    const p = k.spawn({ uid: 1000, caps: ['CAP_BPF'] });
    const attr: ProgLoadAttr = { prog_type: ADDR, expected_attach_type: A.BPF_CGROUP_INET4_CONNECT, insns: assemble('r0 = 1\nexit').insns, license: 'GPL' };
    expect(errnoOf(() => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr))).toBe('EPERM');
    p.caps.add('CAP_NET_ADMIN');
    expect(errnoOf(() => bpf(k, p, BPF_CMD.BPF_PROG_LOAD, attr))).toBeUndefined();
  });
});

describe('attach checks the expected_attach_type again (bpf_prog_attach_check_attach_type)', () => {
  test('a connect4 program attaches and links at connect4 only', () => {
    const { client, load } = setup();
    const prog = load('r0 = 1\nexit', 'cgroup_inet4_connect');
    for (const at of ['cgroup_inet6_connect', 'cgroup_inet4_bind', 'cgroup_udp4_sendmsg', 'cgroup_unix_connect']) {
      expect(errnoOf(() => prog.attach('/app', at, BPF_F_ALLOW_MULTI))).toBe('EINVAL');
      expect(errnoOf(() => prog.link('/app', at))).toBe('EINVAL');
    }
    // Another program type's attach type: bpf_prog_get_type() refuses the fd.
    expect(errnoOf(() => prog.attach('/app', 'cgroup_inet_ingress'))).toBe('EINVAL');
    prog.attach('/app', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    const cg = client.openCgroup('/app');
    const q = { target_fd: cg, attach_type: A.BPF_CGROUP_INET4_CONNECT, prog_cnt: 4, prog_ids: [] as number[] };
    bpf(client.kernel, client.process, BPF_CMD.BPF_PROG_QUERY, q);
    expect(q.prog_ids.slice(0, 1)).toEqual([prog.id]);
  });
});

describe('check_return_code(): ranges by attach type, with Linux\'s message', () => {
  const BIND: readonly number[] = [A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET6_BIND];
  const EXACTLY_1: readonly number[] = [
    A.BPF_CGROUP_UDP4_RECVMSG, A.BPF_CGROUP_UDP6_RECVMSG, A.BPF_CGROUP_UNIX_RECVMSG,
    A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET6_GETPEERNAME, A.BPF_CGROUP_UNIX_GETPEERNAME,
    A.BPF_CGROUP_INET4_GETSOCKNAME, A.BPF_CGROUP_INET6_GETSOCKNAME, A.BPF_CGROUP_UNIX_GETSOCKNAME,
  ];
  test.each(SOCK_ADDR_ATTACH_TYPES.map((at) => [at]))('attach type %i', (at) => {
    const [lo, hi] = BIND.includes(at) ? [0, 3] : EXACTLY_1.includes(at) ? [1, 1] : [0, 1];
    for (let r = -1; r <= 4; r++) {
      const got = refusal(`r0 = ${r}\nexit`, at);
      if (r >= lo && r <= hi) expect(got).toBeUndefined();
      else expect(got).toEqual({ code: 'EINVAL', why: `At program exit the register R0 has smin=${r} smax=${r} should have been in [${lo}, ${hi}]` });
    }
  });
  test('an unknown u32 and a pointer', () => {
    expect(refusal('r0 = *(u32 *)(r1 + 28)\nexit', A.BPF_CGROUP_INET4_CONNECT)).toEqual({ code: 'EINVAL', why: 'At program exit the register R0 has smin=0 smax=4294967295 should have been in [0, 1]' });
    expect(refusal('r0 = r1\nexit', A.BPF_CGROUP_UDP4_RECVMSG)).toEqual({ code: 'EINVAL', why: 'At program exit the register R0 is not a known value (ctx)' });
  });
});

describe('struct bpf_sock_addr (sock_addr_is_valid_access)', () => {
  const C4 = A.BPF_CGROUP_INET4_CONNECT;
  const C6 = A.BPF_CGROUP_INET6_CONNECT;
  const S4 = A.BPF_CGROUP_UDP4_SENDMSG;
  const S6 = A.BPF_CGROUP_UDP6_SENDMSG;
  const denied = (off: number, size: number) => ({ code: 'EACCES', why: `invalid bpf_context access off=${off} size=${size}` });

  test('msg_src_ip4 is for UDP4 sendmsg only: a connect4 program reading it is refused', () => {
    expect(refusal('r0 = *(u32 *)(r1 + 40)\nr0 = 1\nexit', C4)).toEqual(denied(40, 4));
    expect(refusal('r0 = *(u32 *)(r1 + 40)\nr0 = 1\nexit', S4)).toBeUndefined();
    expect(refusal('r0 = *(u8 *)(r1 + 43)\n*(u32 *)(r1 + 40) = 0\nr0 = 1\nexit', S4)).toBeUndefined();
  });

  test('the address fields belong to their family: user_ip4 for INET4/UDP4, user_ip6 for INET6/UDP6, neither for UNIX', () => {
    expect(refusal('r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit', C6)).toEqual(denied(4, 4));
    expect(refusal('r0 = *(u32 *)(r1 + 8)\nr0 = 1\nexit', C4)).toEqual(denied(8, 4));
    expect(refusal('r0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit', A.BPF_CGROUP_UNIX_CONNECT)).toEqual(denied(4, 4));
    // user_port and the socket fields are there for every attach type.
    for (const at of SOCK_ADDR_ATTACH_TYPES) expect(refusal('r0 = *(u32 *)(r1 + 24)\nr0 = *(u32 *)(r1 + 36)\nr0 = 1\nexit', at)).toBeUndefined();
  });

  test('8-byte accesses inside user_ip6 and msg_src_ip6 (bpf_ctx_wide_access_ok), only 8-aligned', () => {
    for (const off of [8, 16]) {
      expect(refusal(`r0 = *(u64 *)(r1 + ${off})\n*(u64 *)(r1 + ${off}) = r0\nr0 = 1\nexit`, C6)).toBeUndefined();
      expect(refusal(`*(u64 *)(r1 + ${off}) = 0\nr0 = 1\nexit`, C6)).toBeUndefined();
    }
    expect(refusal('r0 = *(u64 *)(r1 + 12)\nr0 = 1\nexit', C6)).toEqual(denied(12, 8));
    expect(refusal('r0 = *(u64 *)(r1 + 24)\nr0 = 1\nexit', C6)).toEqual(denied(24, 8));
    // [44, 60): 48 is the one 8-aligned slot that fits.
    expect(refusal('r0 = *(u64 *)(r1 + 48)\n*(u64 *)(r1 + 48) = r0\nr0 = 1\nexit', S6)).toBeUndefined();
    expect(refusal('r0 = *(u64 *)(r1 + 56)\nr0 = 1\nexit', S6)).toEqual(denied(56, 8));
    expect(refusal('r0 = *(u64 *)(r1 + 48)\nr0 = 1\nexit', C6)).toEqual(denied(48, 8));
  });

  test('narrow reads anywhere in user_port, but stores only as a whole u32', () => {
    for (const [off, size] of [[24, 1], [25, 1], [26, 2], [27, 1], [24, 2]] as const) expect(refusal(`r0 = *(${size === 1 ? 'u8' : 'u16'} *)(r1 + ${off})\nr0 = 1\nexit`, C4)).toBeUndefined();
    expect(refusal('*(u16 *)(r1 + 24) = 80\nr0 = 1\nexit', C4)).toEqual(denied(24, 2));
    expect(refusal('*(u32 *)(r1 + 24) = 80\nr0 = 1\nexit', C4)).toBeUndefined();
  });

  test('user_family, family, type, protocol: whole u32 reads only', () => {
    expect(refusal('r0 = *(u16 *)(r1 + 0)\nr0 = 1\nexit', C4)).toEqual(denied(0, 2));
    expect(refusal('r2 = 2\n*(u32 *)(r1 + 28) = r2\nr0 = 1\nexit', C4)).toEqual(denied(28, 4));
  });

  test('sk is a struct bpf_sock pointer (PTR_TO_SOCKET, never NULL): read as a u64, its fields readable, never written', () => {
    expect(refusal('r1 = *(u64 *)(r1 + 64)\nr0 = *(u32 *)(r1 + 4)\nr0 = 1\nexit', C4)).toBeUndefined();
    expect(refusal('r0 = *(u32 *)(r1 + 64)\nr0 = 1\nexit', C4)).toEqual(denied(64, 4));
    expect(refusal('*(u64 *)(r1 + 64) = 0\nr0 = 1\nexit', C4)).toEqual(denied(64, 8));
    expect(refusal('r1 = *(u64 *)(r1 + 64)\n*(u32 *)(r1 + 16) = 0\nr0 = 1\nexit', C4)).toEqual({ code: 'EACCES', why: 'R1 cannot write into sock' });
    // The hole after msg_src_ip6 and the end of the struct.
    expect(refusal('r0 = *(u32 *)(r1 + 60)\nr0 = 1\nexit', S6)).toEqual(denied(60, 4));
    expect(refusal('r0 = *(u32 *)(r1 + 72)\nr0 = 1\nexit', S6)).toEqual(denied(72, 4));
  });
});

describe('helpers by attach type (sock_addr_func_proto, cgroup_common_func_proto)', () => {
  test('bpf_bind only for connect4/connect6', () => {
    const bind = 'r2 = r10\nr2 += -16\n*(u64 *)(r10 - 16) = 0\n*(u64 *)(r10 - 8) = 0\nr3 = 16\ncall 64\nr0 = 1\nexit';
    for (const at of SOCK_ADDR_ATTACH_TYPES) {
      const got = refusal(bind, at);
      if (at === A.BPF_CGROUP_INET4_CONNECT || at === A.BPF_CGROUP_INET6_CONNECT) expect(got).toBeUndefined();
      else expect(got).toEqual({ code: 'EINVAL', why: 'program of this type cannot use helper bpf_bind#64' });
    }
  });
  test('get_retval/set_retval not where the verdict is ignored (recvmsg, getpeername, getsockname)', () => {
    expect(refusal('call 186\nr0 = 1\nexit', A.BPF_CGROUP_INET4_CONNECT)).toBeUndefined();
    expect(refusal('r1 = -13\ncall 187\nr0 = 0\nexit', A.BPF_CGROUP_INET6_BIND)).toBeUndefined();
    expect(refusal('call 186\nr0 = 1\nexit', A.BPF_CGROUP_UDP4_RECVMSG)).toEqual({ code: 'EINVAL', why: 'program of this type cannot use helper bpf_get_retval#186' });
    expect(refusal('r1 = 0\ncall 187\nr0 = 1\nexit', A.BPF_CGROUP_UNIX_GETSOCKNAME)).toEqual({ code: 'EINVAL', why: 'program of this type cannot use helper bpf_set_retval#187' });
  });
  test('sk_lookup_tcp needs its reference released', () => {
    const lookup = 'r6 = r1\nr2 = r10\nr2 += -12\n*(u32 *)(r10 - 12) = 0\n*(u64 *)(r10 - 8) = 0\nr3 = 12\nr4 = -1\nr5 = 0\ncall 84\n';
    expect(refusal(`${lookup}if r0 == 0 goto +2\nr1 = r0\ncall 86\nr0 = 1\nexit`, A.BPF_CGROUP_INET4_CONNECT)).toBeUndefined();
    expect(refusal(`${lookup}r0 = 1\nexit`, A.BPF_CGROUP_INET4_CONNECT)?.code).toBe('EINVAL');
  });
});

describe.each(ENGINES)('hand-written programs on the %s engine', (engine) => {
  test('connect4 rewrites user_ip4 and user_port', () => {
    const { load, ctx, run } = setup(engine);
    // 10.0.0.2:8080 becomes 127.0.0.1:9090 when the destination port is 8080.
    load(
      `r2 = *(u32 *)(r1 + 24)
       if r2 != ${htons(8080)} goto +4
       r2 = ${ip4(127, 0, 0, 1)} ll
       *(u32 *)(r1 + 4) = r2
       *(u32 *)(r1 + 24) = ${htons(9090)}
       r0 = 1
       exit`,
      'cgroup_inet4_connect',
    ).attach('/app', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    const c = ctx({ user_ip4: ip4(10, 0, 0, 2), user_port: htons(8080) });
    expect(run(A.BPF_CGROUP_INET4_CONNECT, c)).toEqual({ retval: 0, flags: 0, ran: 1 });
    expect(c.view.getUint32(OFF.user_ip4, true)).toBe(ip4(127, 0, 0, 1));
    expect(c.view.getUint32(OFF.user_port, true)).toBe(htons(9090));
    const other = ctx({ user_ip4: ip4(10, 0, 0, 2), user_port: htons(80) });
    run(A.BPF_CGROUP_INET4_CONNECT, other);
    expect(other.view.getUint32(OFF.user_ip4, true)).toBe(ip4(10, 0, 0, 2));
  });

  test('connect4 refuses with return 0: the hook gives -EPERM', () => {
    const { load, ctx, run } = setup(engine);
    load('r0 = 0\nexit', 'cgroup_inet4_connect').attach('/app', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    expect(run(A.BPF_CGROUP_INET4_CONNECT, ctx()).retval).toBe(EPERM);
    // Other attach types are untouched.
    expect(run(A.BPF_CGROUP_INET6_CONNECT, ctx()).ran).toBe(0);
  });

  test('connect6 writes user_ip6 with two 8-byte stores', () => {
    const { load, ctx, run } = setup(engine);
    // ::1 — the last byte of the address is the high byte of user_ip6[3].
    load('r2 = 0\n*(u64 *)(r1 + 8) = r2\nr2 = 0x0100000000000000 ll\n*(u64 *)(r1 + 16) = r2\nr0 = 1\nexit', 'cgroup_inet6_connect').attach('/app', 'cgroup_inet6_connect', BPF_F_ALLOW_MULTI);
    const c = ctx({ user_family: 10, family: 10 });
    for (let i = 0; i < 16; i++) c.view.setUint8(OFF.user_ip6 + i, 0xff);
    expect(run(A.BPF_CGROUP_INET6_CONNECT, c).retval).toBe(0);
    expect([...c.bytes.subarray(OFF.user_ip6, OFF.user_ip6 + 16)]).toEqual([...new Array<number>(15).fill(0), 1]);
  });

  test('bind4 returning 3: allowed, and bit 1 asks to skip the CAP_NET_BIND_SERVICE check', () => {
    const { load, ctx, run } = setup(engine);
    load('r0 = 3\nexit', 'cgroup_inet4_bind').attach('/app', 'cgroup_inet4_bind', BPF_F_ALLOW_MULTI);
    expect(run(A.BPF_CGROUP_INET4_BIND, ctx())).toEqual({ retval: 0, flags: 1, ran: 1 });
  });

  test('sendmsg4 rewrites the source address (msg_src_ip4)', () => {
    const { load, ctx, run } = setup(engine);
    load(`r2 = ${ip4(192, 168, 1, 7)} ll\n*(u32 *)(r1 + 40) = r2\nr0 = 1\nexit`, 'cgroup_udp4_sendmsg').attach('/app', 'cgroup_udp4_sendmsg', BPF_F_ALLOW_MULTI);
    const c = ctx({ type: 2, protocol: 17 });
    expect(run(A.BPF_CGROUP_UDP4_SENDMSG, c).retval).toBe(0);
    expect(c.view.getUint32(OFF.msg_src_ip4, true)).toBe(ip4(192, 168, 1, 7));
  });

  test('set_retval: a connect4 program picks the errno; a later program sees it with get_retval', () => {
    const { load, ctx, run } = setup(engine);
    // The parent's program runs second and returns what get_retval says, as a u32 ctx mark.
    load(`r6 = r1\ncall 186\n*(u32 *)(r6 + 24) = r0\nr0 = 1\nexit`, 'cgroup_inet4_connect').attach('/', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    load(`r1 = -${EACCES}\ncall 187\nr0 = 0\nexit`, 'cgroup_inet4_connect').attach('/app', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    const c = ctx();
    expect(run(A.BPF_CGROUP_INET4_CONNECT, c)).toEqual({ retval: -EACCES, flags: 0, ran: 2 });
    expect(c.view.getInt32(OFF.user_port, true)).toBe(-EACCES);
  });

  test('sk: the program follows the pointer to the socket (struct bpf_sock)', () => {
    const { k, load, ctx, run } = setup(engine);
    // Returns 1 (allow) only for SOCK_STREAM sockets: bpf_sock.type is at 8.
    load('r1 = *(u64 *)(r1 + 64)\nr2 = *(u32 *)(r1 + 8)\nr0 = 0\nif r2 != 1 goto +1\nr0 = 1\nexit', 'cgroup_inet4_connect').attach('/app', 'cgroup_inet4_connect', BPF_F_ALLOW_MULTI);
    const withSock = (type: number): Region => {
      const sk = k.memory.alloc(80, { kind: 'ctx', name: 'bpf_sock', writable: false });
      sk.view.setUint32(8, type, true);
      const c = ctx();
      c.view.setBigUint64(OFF.sk, sk.address(), true);
      return c;
    };
    expect(run(A.BPF_CGROUP_INET4_CONNECT, withSock(1)).retval).toBe(0);
    expect(run(A.BPF_CGROUP_INET4_CONNECT, withSock(2)).retval).toBe(EPERM);
  });
});
