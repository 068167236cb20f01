// The runtime honours every ctx field a program-type descriptor lets a program write. For
// cgroup_sock_addr, cgroup_sock and sock_ops, the writable fields and their attach types come
// from the descriptor (what the verifier allows: sock_addr_is_valid_access(),
// bpf_sock_is_valid_access(), sock_ops_is_valid_access()); for each attach type a program
// writes all of them, the hook runs, and what the stack did must show every value written
// (the *_convert_ctx_access() side). A field made writable later without runtime support —
// or without a way to observe it here — fails, as does an attach type with writable fields
// and no call site listed below.
//
// sock_addr hooks run through the socket API (bind, connect, sendto, recvfrom, getpeername,
// getsockname) and are observed as the application or the wire sees the address; the
// CGROUP_SOCK and SOCK_OPS hooks are driven at the stack's hook entry points (as TCP and the
// socket API call them) and observed on the socket and in tcp_call_bpf()'s reply.
import { BpfClient, CGROUP_SOCK, CGROUP_SOCK_ADDR, SOCK_OPS } from '@bpfsim/kernel';
import { BPF_ATTACH_TYPE } from '@bpfsim/isa';
import type { CtxField, ProgTypeDescriptor } from '@bpfsim/verifier';
import type { PacketEvent, SockAddr } from '../src';
import { AF_INET, AF_INET6, BPF_SOCK_OPS, MS, Network, SOCK_DGRAM, SocketApi, UdpSock, addrFromBytes, installCgroupHooks, parseAddr } from '../src';

const A = BPF_ATTACH_TYPE;
const ATTACH_NAME = new Map(Object.entries(A).map(([k, v]) => [v as number, k]));

/** The fields of `desc` a program attached with `attachType` may write. */
function writableAt(desc: ProgTypeDescriptor, attachType: number): CtxField[] {
  return desc.fields.filter((f) => f.write !== false && (!f.attachTypes || f.attachTypes.includes(attachType)));
}

/** The attach types a descriptor's programs load with (sock_ops has no list: any loads, and
 * BPF_CGROUP_SOCK_OPS is where they attach). */
const attachTypesOf = (desc: ProgTypeDescriptor): readonly number[] => desc.attachTypes ?? (desc === SOCK_OPS ? [A.BPF_CGROUP_SOCK_OPS] : []);

const u32le = (b: Uint8Array, off = 0): number => ((b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0);
const STORE = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' } as const;

/** A program storing `values` (u32s by field) into its ctx, returning 1. */
function writer(fields: readonly CtxField[], values: ReadonlyMap<string, number>): string {
  const lines = fields.map((f) => `r2 = ${values.get(f.name)! | 0}\n*(${STORE[f.size as 4]} *)(r1 + ${f.off}) = r2 // ${f.name}`);
  return `${lines.join('\n')}\nr0 = 1\nexit`;
}

/**
 * One attach type's check: the state before (`input`: what the hook is given) and the state
 * the program writes (`target`); `run` attaches nothing itself, drives the hook and returns
 * the state the stack ended with. `value` reads a field's u32 out of a state (undefined: this
 * test has no way to see that field).
 */
interface Case<S> {
  input: S;
  target: S;
  run(input: S): S | string;
}

function check<S>(desc: ProgTypeDescriptor, attachType: number, c: Case<S>, value: (name: string, s: S) => number | undefined, attach: (insns: string) => void): void {
  const fields = writableAt(desc, attachType);
  expect(fields.length).toBeGreaterThan(0);
  const unobservable = fields.filter((f) => value(f.name, c.target) === undefined).map((f) => f.name);
  expect({ unobservable }).toEqual({ unobservable: [] });
  // Each field must differ between input and target, or the check could not tell.
  expect(fields.filter((f) => value(f.name, c.input) === value(f.name, c.target)).map((f) => f.name)).toEqual([]);
  attach(writer(fields, new Map(fields.map((f) => [f.name, value(f.name, c.target)!]))));
  const out = c.run(c.input);
  if (typeof out === 'string') throw new Error(`${ATTACH_NAME.get(attachType)}: ${out}`);
  const notHonoured = fields.filter((f) => value(f.name, out) !== value(f.name, c.target)).map((f) => f.name);
  expect({ attachType: ATTACH_NAME.get(attachType), notHonoured }).toEqual({ attachType: ATTACH_NAME.get(attachType), notHonoured: [] });
}

// ---- cgroup_sock_addr ---------------------------------------------------------------------

/** What a sock_addr hook's ctx stands for: the user's address, and a datagram's source. */
interface AddrState {
  family: 4 | 6;
  addr: Uint8Array;
  port: number;
  /** msg_src_ip4/6: undefined when none was set. */
  src?: Uint8Array;
}

/** A bpf_sock_addr field's u32 in a state, as sock_addr_convert_ctx_access() lays it out. */
function addrValue(name: string, s: AddrState): number | undefined {
  if (name === 'user_port') return ((s.port >> 8) | ((s.port & 0xff) << 8)) >>> 0; // htons, low 16 bits
  if (name === 'user_ip4') return s.family === 4 ? u32le(s.addr) : undefined;
  if (name === 'msg_src_ip4') return s.family === 4 ? (s.src ? u32le(s.src) : 0) : undefined;
  const m = /^(user_ip6|msg_src_ip6)\[([0-3])\]$/.exec(name);
  if (!m || s.family !== 6) return undefined;
  const b = m[1] === 'user_ip6' ? s.addr : s.src;
  return b ? u32le(b, 4 * Number(m[2])) : 0;
}

const ADDRS = {
  4: { local: '10.0.0.1', local2: '10.0.0.3', peer: '10.0.0.2', nowhere: '10.9.9.9', any: '0.0.0.0' },
  // Every 32-bit word of nowhere differs from local's, local2's and peer's.
  6: { local: 'fd00::1', local2: 'fd01:1:2:3:4:5:6:7', peer: 'fd00::2', nowhere: '2001:db8:1:2:3:4:5:6', any: '::' },
} as const;

function addrWorld() {
  const net = new Network({ seed: 20 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 1 * MS });
  for (const f of [4, 6] as const) {
    a.addAddress('eth0', `${ADDRS[f].local}/${f === 4 ? 24 : 64}`);
    a.addAddress('eth0', `${ADDRS[f].local2}/${f === 4 ? 24 : 64}`);
    b.addAddress('eth0', `${ADDRS[f].peer}/${f === 4 ? 24 : 64}`);
  }
  installCgroupHooks(a);
  a.kernel.cgroups.create('/app');
  const admin = new BpfClient(a.kernel, a.kernel.spawn({ comm: 'admin' }));
  const app = new SocketApi(a, a.kernel.spawn({ comm: 'app', cgroup: a.kernel.cgroups.lookup('/app') }));
  const peer = new SocketApi(b, b.kernel.spawn({ comm: 'peer' }));
  const frames: PacketEvent[] = [];
  net.events.on('packet', (e) => {
    if (e.host === 'a' && e.dir === 'out') frames.push(e);
  });
  return { net, admin, app, peer, frames };
}
type AddrWorld = ReturnType<typeof addrWorld>;

const state = (family: 4 | 6, text: string, port: number, src?: string): AddrState => {
  const s: AddrState = { family, addr: parseAddr(text).bytes, port };
  if (src) s.src = parseAddr(src).bytes;
  return s;
};
const fromSockAddr = (a: SockAddr): AddrState => ({ family: a.family, addr: a.family === 4 && a.addr.bytes.length === 16 ? a.addr.bytes.subarray(12) : a.addr.bytes, port: a.port });
const sockAddrIn = (s: AddrState) => ({ family: s.family, addr: addrFromBytes(s.addr).text, port: s.port });

/** The first UDP datagram host a sent, as its destination and source. */
function sentDatagram(w: AddrWorld, family: 4 | 6): AddrState | string {
  for (const e of w.frames) {
    const f = e.frame;
    const ethType = (f[12]! << 8) | f[13]!;
    if (family === 4 && ethType === 0x0800 && f[23] === 17) return { family, addr: f.slice(30, 34), port: (f[36]! << 8) | f[37]!, src: f.slice(26, 30) };
    if (family === 6 && ethType === 0x86dd && f[20] === 17) return { family, addr: f.slice(38, 54), port: (f[56]! << 8) | f[57]!, src: f.slice(22, 38) };
  }
  return 'no UDP datagram left the host';
}

const AF = (f: 4 | 6): number => (f === 4 ? AF_INET : AF_INET6);

const INET4: readonly number[] = [A.BPF_CGROUP_INET4_BIND, A.BPF_CGROUP_INET4_CONNECT, A.BPF_CGROUP_INET4_GETPEERNAME, A.BPF_CGROUP_INET4_GETSOCKNAME, A.BPF_CGROUP_UDP4_SENDMSG, A.BPF_CGROUP_UDP4_RECVMSG];

/** The socket API call sites of each sock_addr attach type, for each family. */
function addrCase(w: AddrWorld, attachType: number): Case<AddrState> | undefined {
  const family: 4 | 6 = INET4.includes(attachType) ? 4 : 6;
  const n = ADDRS[family];
  const bindThenName: Case<AddrState>['run'] = (input) => {
    const s = w.app.socket(AF(family), SOCK_DGRAM);
    w.app.bind(s, sockAddrIn(input));
    return fromSockAddr(w.app.getsockname(s));
  };
  const connectThenPeer: Case<AddrState>['run'] = (input) => {
    const s = w.app.socket(AF(family), SOCK_DGRAM);
    w.app.connect(s, sockAddrIn(input));
    return fromSockAddr(w.app.getpeername(s));
  };
  switch (attachType) {
    case A.BPF_CGROUP_INET4_BIND:
    case A.BPF_CGROUP_INET6_BIND:
      // inet_bind_sk(): the program moves a bind to an address the host lacks onto its own.
      return { input: state(family, n.nowhere, 9), target: state(family, n.local2, 4242), run: bindThenName };
    case A.BPF_CGROUP_INET4_GETSOCKNAME:
    case A.BPF_CGROUP_INET6_GETSOCKNAME:
      return { input: state(family, n.local, 5000), target: state(family, n.nowhere, 9), run: bindThenName };
    case A.BPF_CGROUP_INET4_CONNECT:
    case A.BPF_CGROUP_INET6_CONNECT:
      // __inet_dgram_connect's pre_connect: where the socket connects to.
      return { input: state(family, n.nowhere, 9), target: state(family, n.peer, 8080), run: connectThenPeer };
    case A.BPF_CGROUP_INET4_GETPEERNAME:
    case A.BPF_CGROUP_INET6_GETPEERNAME:
      return { input: state(family, n.peer, 8080), target: state(family, n.nowhere, 9), run: connectThenPeer };
    case A.BPF_CGROUP_UDP4_SENDMSG:
    case A.BPF_CGROUP_UDP6_SENDMSG:
      // udp_sendmsg(): the datagram's destination and (msg_src_ip4/6) its source, on the wire.
      return {
        input: state(family, n.nowhere, 9),
        target: state(family, n.peer, 8080, n.local2),
        run: (input) => {
          const s = w.app.socket(AF(family), SOCK_DGRAM);
          w.app.sendto(s, Uint8Array.of(1, 2, 3), sockAddrIn(input));
          w.net.sim.runFor(20 * MS);
          return sentDatagram(w, family);
        },
      };
    case A.BPF_CGROUP_UDP4_RECVMSG:
    case A.BPF_CGROUP_UDP6_RECVMSG:
      // udp_recvmsg(): the source address the application is shown.
      return {
        input: state(family, n.peer, 5353),
        target: state(family, n.nowhere, 9),
        run: (input) => {
          const s = w.app.socket(AF(family), SOCK_DGRAM);
          w.app.bind(s, { family, addr: n.any, port: 7000 });
          const t = w.peer.socket(AF(family), SOCK_DGRAM);
          w.peer.bind(t, sockAddrIn(input));
          w.peer.sendto(t, Uint8Array.of(1), { family, addr: n.local, port: 7000 });
          w.net.sim.runFor(20 * MS);
          const r = w.app.recvfrom(s);
          return r.from ? fromSockAddr(r.from) : 'recvfrom gave no source';
        },
      };
  }
  return undefined;
}

/** Attach types the descriptor allows that no call site in bpfsim runs (no AF_UNIX sockets). */
const NO_CALL_SITE: ReadonlySet<number> = new Set([A.BPF_CGROUP_UNIX_CONNECT, A.BPF_CGROUP_UNIX_SENDMSG, A.BPF_CGROUP_UNIX_RECVMSG, A.BPF_CGROUP_UNIX_GETPEERNAME, A.BPF_CGROUP_UNIX_GETSOCKNAME]);

// ---- cgroup_sock --------------------------------------------------------------------------

interface SockState {
  boundDevIf: number;
  mark: number;
  priority: number;
}

/** A bpf_sock field's u32 as bpf_sock_convert_ctx_access() reads it from struct sock. */
function sockValue(name: string, s: SockState): number | undefined {
  return ({ bound_dev_if: s.boundDevIf, mark: s.mark, priority: s.priority } as Record<string, number | undefined>)[name];
}

function sockWorld() {
  const net = new Network({ seed: 20 });
  const host = net.addHost('a');
  const eth = host.addDevice();
  host.addAddress('eth0', '10.0.0.1/24');
  const hooks = installCgroupHooks(host);
  host.kernel.cgroups.create('/app');
  const admin = new BpfClient(host.kernel, host.kernel.spawn({ comm: 'admin' }));
  const app = host.kernel.spawn({ comm: 'app', cgroup: host.kernel.cgroups.lookup('/app') });
  return { host, eth, hooks, admin, app };
}

const sockStateOf = (sk: UdpSock): SockState => ({ boundDevIf: sk.options.boundDev?.ifindex ?? 0, mark: sk.options.mark, priority: sk.options.priority });

function sockCase(w: ReturnType<typeof sockWorld>, attachType: number): Case<SockState> | undefined {
  const target: SockState = { boundDevIf: w.eth.ifindex, mark: 0x77, priority: 6 };
  const input = sockStateOf(new UdpSock(w.host, 4, w.app));
  /** The socket's options after `hook` ran on a new socket (what SO_MARK, SO_PRIORITY and
   * routing then see). */
  const after = (hook: (sk: UdpSock) => unknown) => (): SockState => {
    const sk = new UdpSock(w.host, 4, w.app);
    hook(sk);
    return sockStateOf(sk);
  };
  switch (attachType) {
    case 0: // bpf_prog_load_fixup_attach_type(): a SOCK_CREATE program
    case A.BPF_CGROUP_INET_SOCK_CREATE:
      return { input, target, run: after((sk) => w.hooks.sockCreate(sk)) }; // inet_create()
    case A.BPF_CGROUP_INET_SOCK_RELEASE:
      return { input, target, run: after((sk) => w.hooks.sockRelease(sk)) }; // inet_release()
  }
  return undefined;
}

// ---- sock_ops ---------------------------------------------------------------------------

interface OpsState {
  /** tcp_call_bpf()'s result: the reply (args[0] unless a program wrote it). */
  reply: number;
  txhash: number;
}

function opsValue(name: string, s: OpsState): number | undefined {
  return ({ reply: s.reply >>> 0, sk_txhash: s.txhash >>> 0 } as Record<string, number | undefined>)[name];
}

function opsCase(w: ReturnType<typeof sockWorld>, attachType: number): Case<OpsState> | undefined {
  if (attachType !== A.BPF_CGROUP_SOCK_OPS) return undefined;
  const info = { sndCwnd: 10, srttUs: 0, rttMinUs: 0, sndSsthresh: 0x7fffffff, rcvNxt: 0, sndNxt: 0, sndUna: 0, mss: 1460, packetsOut: 0, totalRetrans: 0, bytesReceived: 0, bytesAcked: 0, cbFlags: 0 };
  return {
    input: { reply: 3, txhash: 0 },
    target: { reply: 50, txhash: 0x9e3779b9 },
    // tcp_timeout_init(): TIMEOUT_INIT with args[0] = input.reply.
    run: (input) => {
      const sk = new UdpSock(w.host, 4, w.app);
      const reply = w.hooks.sockOps(sk, BPF_SOCK_OPS.TIMEOUT_INIT, [input.reply], () => info, () => {});
      return { reply, txhash: sk.txhash };
    },
  };
}

// ---- the checks ---------------------------------------------------------------------------

const name = (t: number): string => (t === 0 ? 'expected_attach_type 0' : (ATTACH_NAME.get(t) ?? String(t)));

describe('every writable ctx field is honoured by the runtime', () => {
  describe.each([
    ['cgroup_sock_addr', CGROUP_SOCK_ADDR],
    ['cgroup_sock', CGROUP_SOCK],
    ['sock_ops', SOCK_OPS],
  ] as const)('%s', (_n, desc) => {
    const withWrites = attachTypesOf(desc).filter((t) => writableAt(desc, t).length > 0);

    test('each attach type with writable fields has a call site here (or none in bpfsim), and together they cover every writable field', () => {
      const missing = withWrites.filter((t) => !NO_CALL_SITE.has(t) && !caseFor(desc, t)).map(name);
      expect(missing).toEqual([]);
      const covered = new Set(withWrites.filter((t) => !NO_CALL_SITE.has(t)).flatMap((t) => writableAt(desc, t).map((f) => f.name)));
      expect(desc.fields.filter((f) => f.write !== false && !covered.has(f.name)).map((f) => f.name)).toEqual([]);
    });

    test.each(withWrites.filter((t) => !NO_CALL_SITE.has(t)).map((t) => [name(t), t] as const))('%s', (_t, t) => {
      expect(caseFor(desc, t)).toBeDefined();
      caseFor(desc, t)!();
    });
  });
});

/** The check of one attach type, in a fresh world; undefined when there is no call site. */
function caseFor(desc: ProgTypeDescriptor, attachType: number): (() => void) | undefined {
  const load = (admin: BpfClient, type: string, attachAs: number) => (insns: string) => {
    admin.loadProgram({ type, attachType, insns }).attach('/app', attachAs);
  };
  if (desc === CGROUP_SOCK_ADDR) {
    if (!addrCase(addrWorld(), attachType)) return undefined;
    return () => {
      const w = addrWorld();
      check(desc, attachType, addrCase(w, attachType)!, addrValue, load(w.admin, 'cgroup_sock_addr', attachType));
    };
  }
  if (desc === CGROUP_SOCK) {
    if (!sockCase(sockWorld(), attachType)) return undefined;
    return () => {
      const w = sockWorld();
      check(desc, attachType, sockCase(w, attachType)!, sockValue, load(w.admin, 'cgroup_sock', attachType === 0 ? A.BPF_CGROUP_INET_SOCK_CREATE : attachType));
    };
  }
  if (desc === SOCK_OPS) {
    if (!opsCase(sockWorld(), attachType)) return undefined;
    return () => {
      const w = sockWorld();
      check(desc, attachType, opsCase(w, attachType)!, opsValue, load(w.admin, 'sock_ops', attachType));
    };
  }
  return undefined;
}
