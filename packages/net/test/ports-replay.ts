// Replays a port case in bpfsim's socket API on one host's loopback, answering as
// ports_probe.py does. Cases needing TCP replay only once the stack has SOCK_STREAM.
import { SysError } from '@bpfsim/isa';
import type { SockAddrIn } from '../src';
import { AF_INET, AF_INET6, IP, IPV6, IP_LOCAL_PORT_RANGE, Network, SOCK_DGRAM, SOCK_STREAM, SO, SOL_IP, SOL_IPV6, SOL_SOCKET, SocketApi } from '../src';
import type { PortCase, PortResult } from './ports-cases';

export const SKIPPED = 'skipped: no TCP in the stack yet';

const OPT = {
  reuseaddr: [SOL_SOCKET, SO.SO_REUSEADDR],
  reuseport: [SOL_SOCKET, SO.SO_REUSEPORT],
  v6only: [SOL_IPV6, IPV6.IPV6_V6ONLY],
  freebind: [SOL_IP, IP.IP_FREEBIND],
  noport: [SOL_IP, IP.IP_BIND_ADDRESS_NO_PORT],
} as const;

export function replayPorts(c: PortCase, index: number): PortResult[] | typeof SKIPPED {
  const net = new Network({ seed: 5 });
  const host = net.addHost('h');
  if (c.steps.some((s) => s.op === 'socket' && s.type === 'tcp') && !host.protosw.has(`${SOCK_STREAM}:0`)) return SKIPPED;
  const base = 47800 + 8 * index;
  const proc = host.kernel.spawn(c.uid === 0 ? { comm: 'probe' } : { comm: 'probe', uid: c.uid, caps: [] });
  const api = new SocketApi(host, proc);
  const fds = new Map<string, number>();
  const port = (p: number): number => (p === 0 ? 0 : base + p);
  return c.steps.map((st): PortResult => {
    try {
      switch (st.op) {
        case 'socket':
          fds.set(st.name, api.socket(st.family === 6 ? AF_INET6 : AF_INET, st.type === 'udp' ? SOCK_DGRAM : SOCK_STREAM));
          return 'ok';
        case 'opt': {
          const [level, name] = OPT[st.opt];
          api.setsockopt(fds.get(st.sock)!, level, name, st.value);
          return 'ok';
        }
        case 'bind':
        case 'connect':
        case 'sendto': {
          const a: SockAddrIn = { family: st.family, addr: st.addr, port: port(st.port) };
          const fd = fds.get(st.sock)!;
          if (st.op === 'bind') api.bind(fd, a);
          else if (st.op === 'connect') api.connect(fd, a);
          else api.sendto(fd, new Uint8Array([0x78]), a);
          net.sim.run();
          return 'ok';
        }
        case 'listen':
          api.socketOf(fds.get(st.sock)!).listen(8);
          return 'ok';
        case 'name': {
          const n = api.getsockname(fds.get(st.sock)!);
          const sk = api.socketOf(fds.get(st.sock)!);
          let p: number | string = n.port;
          if (p !== 0 && p >= IP_LOCAL_PORT_RANGE[0] && p <= IP_LOCAL_PORT_RANGE[1] && !(p >= base && p < base + 8)) {
            p = sk.type === SOCK_STREAM ? `ephemeral-${p % 2 ? 'odd' : 'even'}` : 'ephemeral';
          } else if (p !== 0) p -= base;
          return { addr: n.addr.text, port: p };
        }
        case 'recv':
          net.sim.run();
          api.recvfrom(fds.get(st.sock)!);
          return 'ok';
        case 'close':
          api.close(fds.get(st.sock)!);
          fds.delete(st.sock);
          return 'ok';
      }
    } catch (e) {
      if (e instanceof SysError) return e.code;
      throw e;
    }
  });
}
