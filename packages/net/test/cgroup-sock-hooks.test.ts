// The CGROUP_SOCK hook call sites (sock_create, post_bind, sock_release) run the socket's
// cgroup's programs on a struct bpf_sock view of the socket: what the programs read is the
// socket's, what sock_create writes (mark, priority, bound_dev_if) lands on it, and a
// refusal comes back as -EPERM. Driven here on a socket in a chosen state; the socket API
// calls the same hooks.
import type { Process } from '@bpfsim/kernel';
import { BpfClient } from '@bpfsim/kernel';
import type { PollState, SockAddr } from '../src';
import { Network, SOCK_STREAM, Sock, TCP_STATE, installCgroupHooks, parseAddr } from '../src';

class TestSock extends Sock {
  poll(): PollState {
    return { readable: false, writable: false, error: false, hup: false };
  }
  bind(_addr: SockAddr): void {}
  connect(_addr: SockAddr): void {}
  listen(): void {}
  accept(): Sock | undefined {
    return undefined;
  }
  sendmsg(data: Uint8Array): number {
    return data.length;
  }
  recvmsg(): undefined {
    return undefined;
  }
  shutdown(): void {}
  close(): void {}
}

function world() {
  const net = new Network({ seed: 5 });
  const host = net.addHost('a');
  const eth = host.addDevice();
  host.addAddress('eth0', '10.0.0.1/24');
  const hooks = installCgroupHooks(host);
  const k = host.kernel;
  k.cgroups.create('/app');
  const admin = k.spawn({ comm: 'admin' });
  const app = k.spawn({ comm: 'app', cgroup: k.cgroups.lookup('/app') });
  const c = new BpfClient(k, admin);
  const sock = (proc: Process = app): TestSock => new TestSock(host, 4, SOCK_STREAM, 6, proc, parseAddr('0.0.0.0'));
  return { net, host, eth, hooks, k, admin, app, c, sock };
}

describe('CGROUP_SOCK hooks', () => {
  test('sock_create: a program sets mark, priority and bound_dev_if on the new socket', () => {
    const w = world();
    const p = w.c.loadProgram({
      type: 'cgroup_sock',
      attachType: 'cgroup_inet_sock_create',
      insns: `
        r2 = 0x77
        *(u32 *)(r1 + 16) = r2   // mark
        r2 = 6
        *(u32 *)(r1 + 20) = r2   // priority
        r2 = ${w.eth.ifindex}
        *(u32 *)(r1 + 0) = r2    // bound_dev_if
        r0 = 1
        exit`,
    });
    p.attach('/app', 'cgroup_inet_sock_create');
    const sk = w.sock();
    expect(w.hooks.sockCreate(sk)).toBe(0);
    expect(sk.options.mark).toBe(0x77);
    expect(sk.options.priority).toBe(6);
    expect(sk.options.boundDev).toBe(w.eth);
    // A socket of a process outside /app runs nothing.
    const other = w.sock(w.admin);
    expect(w.hooks.sockCreate(other)).toBe(0);
    expect(other.options.mark).toBe(0);
  });

  test('sock_create: returning 0 refuses the socket with EPERM; programs see family, type, protocol', () => {
    const w = world();
    // Refuse TCP (protocol 6) over IPv4 (family 2), stream (type 1).
    w.c
      .loadProgram({
        type: 'cgroup_sock',
        attachType: 'cgroup_inet_sock_create',
        insns: `
          r0 = 1
          r2 = *(u32 *)(r1 + 4)
          if r2 != 2 goto out
          r2 = *(u32 *)(r1 + 8)
          if r2 != 1 goto out
          r2 = *(u32 *)(r1 + 12)
          if r2 != 6 goto out
          r0 = 0
        out:
          exit`,
      })
      .attach('/app', 'cgroup_inet_sock_create');
    expect(w.hooks.sockCreate(w.sock())).toBe(-1);
    const udp = new TestSock(w.host, 4, 2, 17, w.app, parseAddr('0.0.0.0'));
    expect(w.hooks.sockCreate(udp)).toBe(0);
  });

  test('post_bind: the program sees the bound address and the allocated port, and may refuse', () => {
    const w = world();
    const seen = w.c.createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    w.c
      .loadProgram({
        type: 'cgroup_sock',
        attachType: 'cgroup_inet4_post_bind',
        maps: { seen },
        insns: `
          .map seen type=array key_size=4 value_size=8 max_entries=1
          r6 = r1
          r7 = *(u32 *)(r6 + 24)   // src_ip4 (network order)
          r8 = *(u32 *)(r6 + 44)   // src_port (host order)
          r1 = 0
          *(u32 *)(r10 - 4) = r1
          r2 = r10
          r2 += -4
          r1 = seen ll
          call bpf_map_lookup_elem
          if r0 == 0 goto out
          *(u32 *)(r0 + 0) = r7
          *(u32 *)(r0 + 4) = r8
        out:
          r0 = 1
          if r8 != 8080 goto done
          r0 = 0
        done:
          exit`,
      })
      .attach('/app', 'cgroup_inet4_post_bind');
    const sk = w.sock();
    sk.boundAddr = parseAddr('10.0.0.1');
    sk.localPort = 8081;
    expect(w.hooks.postBind(sk)).toBe(0);
    const v = seen.lookup(0)!;
    expect([...v.subarray(0, 4)]).toEqual([10, 0, 0, 1]);
    expect(new DataView(v.buffer).getUint32(4, true)).toBe(8081);
    sk.localPort = 8080;
    expect(w.hooks.postBind(sk)).toBe(-1);
  });

  test('the socket helpers see the hook socket: get_socket_cookie and get_netns_cookie', () => {
    const w = world();
    const out = w.c.createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 });
    w.c
      .loadProgram({
        type: 'cgroup_sock',
        attachType: 'cgroup_inet_sock_release',
        maps: { out },
        insns: `
          .map out type=array key_size=4 value_size=16 max_entries=1
          r6 = r1
          call bpf_get_socket_cookie
          r7 = r0
          r1 = r6
          call bpf_get_netns_cookie
          r8 = r0
          r1 = 0
          *(u32 *)(r10 - 4) = r1
          r2 = r10
          r2 += -4
          r1 = out ll
          call bpf_map_lookup_elem
          if r0 == 0 goto done
          *(u64 *)(r0 + 0) = r7
          *(u64 *)(r0 + 8) = r8
        done:
          r0 = 1
          exit`,
      })
      .attach('/app', 'cgroup_inet_sock_release');
    const sk = w.sock();
    w.hooks.sockRelease(sk);
    const v = new DataView(out.lookup(0)!.buffer);
    expect(v.getBigUint64(0, true)).toBe(sk.cookie());
    expect(v.getBigUint64(8, true)).toBe(w.host.netnsCookie);
  });

  test('a host without programs runs nothing: no ctx is allocated or filled', () => {
    const w = world();
    const sk = w.sock();
    sk.state = TCP_STATE.TCP_ESTABLISHED;
    const regions = (): number => w.k.memory.regions.filter(Boolean).length;
    const before = regions();
    expect(w.hooks.sockCreate(sk)).toBe(0);
    expect(w.hooks.postBind(sk)).toBe(0);
    w.hooks.sockRelease(sk);
    expect(regions()).toBe(before);
    // Attached elsewhere (the root's SOCK_CREATE), a program makes the hooks work.
    w.c.loadProgram({ type: 'cgroup_sock', attachType: 'cgroup_inet_sock_create', insns: 'r0 = 1\nexit' }).attach('/', 'cgroup_inet_sock_create');
    expect(w.hooks.sockCreate(sk)).toBe(0);
    expect(regions()).toBeGreaterThan(before);
  });
});
