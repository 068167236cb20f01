// Replays a hooks case (hooks-cases.ts) in bpfsim: one host, cgroups /p and /p/c, the
// case's maps and programs attached as the probe attaches them, and one process in /p/c
// making the socket calls on loopback. Answers in probe_hooks.py's format.
import { SysError } from '@bpfsim/isa';
import type { MapHandle } from '@bpfsim/kernel';
import { BpfClient } from '@bpfsim/kernel';
import type { SockAddr, SockAddrIn } from '../src';
import { AF_INET, AF_INET6, IPV6, MS, Network, SOCK_DGRAM, SOCK_STREAM, SO, SOL_IPV6, SOL_SOCKET, SocketApi, TCP_STATE, installCgroupHooks } from '../src';
import type { HookCase, HookResult, StepOut } from './hooks-cases';
import { mapDecls, relPort } from './hooks-cases';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function replayHooks(c: HookCase): HookResult {
  const net = new Network({ seed: 11 });
  const host = net.addHost('h');
  installCgroupHooks(host);
  const k = host.kernel;
  k.cgroups.create('/p');
  k.cgroups.create('/p/c');
  const admin = new BpfClient(k, k.spawn({ comm: 'probe' }));
  const maps = new Map<string, MapHandle>(c.maps.map((m) => [m.name, admin.createMap(m)]));
  const attach = c.progs.map((p) => {
    try {
      const prog = admin.loadProgram({ type: p.type, attachType: p.attach, maps: Object.fromEntries(maps), insns: `${mapDecls(c.maps)}\n${p.body}` });
      prog.attach(p.cg === 'p' ? '/p' : '/p/c', p.attach, p.flags);
      return 'ok';
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  });
  const proc = k.spawn(c.uid === 0 ? { comm: 'app', cgroup: k.cgroups.lookup('/p/c') } : { comm: 'app', uid: c.uid, caps: [], cgroup: k.cgroups.lookup('/p/c') });
  const api = new SocketApi(host, proc);
  const fds = new Map<string, number>();
  const fd = (n: string): number => fds.get(n)!;
  const out = (a: SockAddr): { addr: string; port: ReturnType<typeof relPort> } => ({ addr: a.addr.text, port: relPort(a.port, c.base) });

  const steps = c.steps.map((st): StepOut => {
    try {
      switch (st.op) {
        case 'socket':
          fds.set(st.name, api.socket(st.family === 6 ? AF_INET6 : AF_INET, st.type === 'udp' ? SOCK_DGRAM : SOCK_STREAM));
          return 'ok';
        case 'opt': {
          const [level, name] = { reuseaddr: [SOL_SOCKET, SO.SO_REUSEADDR], v6only: [SOL_IPV6, IPV6.IPV6_V6ONLY], mark: [SOL_SOCKET, SO.SO_MARK] }[st.opt];
          api.setsockopt(fd(st.sock), level!, name!, st.value);
          return 'ok';
        }
        case 'getopt':
          return Number(api.getsockopt(fd(st.sock), SOL_SOCKET, st.opt === 'mark' ? SO.SO_MARK : SO.SO_PRIORITY));
        case 'bind':
        case 'connect':
        case 'sendto': {
          const a: SockAddrIn = { family: st.family, addr: st.addr, port: st.port };
          if (st.op === 'bind') api.bind(fd(st.sock), a);
          else if (st.op === 'sendto') api.sendto(fd(st.sock), Buffer.from(st.data ?? '78', 'hex'), a);
          else if (!api.connectStart(fd(st.sock), a)) {
            // A blocking connect: the handshake runs to its end.
            const sk = api.socketOf(fd(st.sock));
            net.sim.run();
            const e = sk.takeError();
            if (e) throw new SysError(e, 'connect failed');
            if (sk.state !== TCP_STATE.TCP_ESTABLISHED) throw new SysError('ECONNREFUSED', 'connect failed');
          }
          net.sim.run();
          return 'ok';
        }
        case 'send':
          api.send(fd(st.sock), Buffer.from(st.data, 'hex'));
          net.sim.run();
          return 'ok';
        case 'listen':
          api.listen(fd(st.sock), 8);
          return 'ok';
        case 'accept': {
          const r = api.acceptFrom(fd(st.sock));
          fds.set(st.as, r.fd);
          return out(r.from);
        }
        case 'name':
          return out(api.getsockname(fd(st.sock)));
        case 'peer':
          return out(api.getpeername(fd(st.sock)));
        case 'recv': {
          const r = api.recvfrom(fd(st.sock));
          return { ...out(r.from!), data: hex(r.data) };
        }
        case 'close':
          api.close(fd(st.sock));
          fds.delete(st.sock);
          // What loopback delivers while the probe's process goes on to its next call (µs
          // apart): not the 40 ms delayed-ACK timer, which the next call usually beats.
          net.sim.runFor(1 * MS);
          return 'ok';
      }
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  });

  const dumps: HookResult['maps'] = {};
  for (const m of c.maps) {
    const h = maps.get(m.name)!;
    dumps[m.name] = [...h.entries()].map(([key, v]): [string, string] => [hex(key), hex(v)]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
  return { attach, steps, maps: dumps };
}
