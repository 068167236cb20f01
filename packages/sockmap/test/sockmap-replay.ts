// Replays a sockmap case in bpfsim, as probe_sockmap.py runs it in Linux. The sockmap looks
// at a socket's type, protocol and state only, so until the stack's TCP and UDP sockets are
// in (issue 6) each socket kind is a Sock in the state the real socket of that kind is in
// (tcp-listen: TCP_LISTEN, tcp-est: TCP_ESTABLISHED, …).
import { BPF_CMD, SysError, decode, parseHexBytes } from '@bpfsim/isa';
import type { BpfProg, Process } from '@bpfsim/kernel';
import { bpf, openCgroup } from '@bpfsim/kernel';
import type { PollState, SockAddr } from '@bpfsim/net';
import { ANY4, Network, SOCK_DGRAM, SOCK_STREAM, Sock, TCP_STATE } from '@bpfsim/net';
import { installSockmap } from '../src';
import type { SockKind, SockmapCase, StepResult } from './sockmap-cases';

/** A socket in a given state, with no protocol behind it. */
export class StateSock extends Sock {
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

const KIND: Record<SockKind, { type: number; protocol: number; state: number; port?: number }> = {
  'tcp-fresh': { type: SOCK_STREAM, protocol: 6, state: TCP_STATE.TCP_CLOSE },
  'tcp-bound': { type: SOCK_STREAM, protocol: 6, state: TCP_STATE.TCP_CLOSE },
  'tcp-listen': { type: SOCK_STREAM, protocol: 6, state: TCP_STATE.TCP_LISTEN },
  'tcp-est': { type: SOCK_STREAM, protocol: 6, state: TCP_STATE.TCP_ESTABLISHED },
  'tcp-accepted': { type: SOCK_STREAM, protocol: 6, state: TCP_STATE.TCP_ESTABLISHED },
  udp: { type: SOCK_DGRAM, protocol: 17, state: TCP_STATE.TCP_CLOSE },
  // connect() autobinds: the socket is hashed on an ephemeral port.
  'udp-connected': { type: SOCK_DGRAM, protocol: 17, state: TCP_STATE.TCP_ESTABLISHED, port: 40001 },
};

export function makeSock(host: ReturnType<Network['addHost']>, proc: Process, kind: SockKind): { sk: StateSock; fd: number } {
  const k = KIND[kind];
  const sk = new StateSock(host, 4, k.type, k.protocol, proc, ANY4);
  sk.state = k.state;
  if (k.port) sk.localPort = k.port;
  return { sk, fd: proc.fds.install(sk.get()) };
}

const errno = (e: unknown): string => {
  if (e instanceof SysError) return e.code;
  throw e;
};

export function replaySockmap(c: SockmapCase): StepResult[] {
  const net = new Network({ seed: 1 });
  const host = net.addHost('h');
  const k = host.kernel;
  installSockmap(k);
  const p = k.spawn({ comm: 'probe' });
  const maps = new Map<string, { fd: number; value: number }>();
  const socks = new Map<string, { sk: StateSock; fd: number }>();
  const progs = new Map<string, number>();
  const key = (n: number | null): Uint8Array | null => (n === null ? null : new Uint8Array(new Uint32Array([n]).buffer));
  return c.steps.map((st): StepResult => {
    try {
      switch (st.op) {
        case 'map':
          maps.set(st.name, { fd: bpf(k, p, BPF_CMD.BPF_MAP_CREATE, { map_type: st.type, key_size: st.key, value_size: st.value, max_entries: st.max, map_flags: st.flags ?? 0 }), value: st.value });
          return 'ok';
        case 'sock':
          socks.set(st.name, makeSock(host, p, st.kind));
          return 'ok';
        case 'close':
          p.fds.close(socks.get(st.sock)!.fd);
          socks.delete(st.sock);
          return 'ok';
        case 'prog':
          progs.set(st.name, bpf(k, p, BPF_CMD.BPF_PROG_LOAD, { prog_type: st.type, insns: decode(parseHexBytes(st.insns)), license: 'GPL' }));
          return 'ok';
        case 'attach':
        case 'detach':
          bpf(k, p, st.op === 'attach' ? BPF_CMD.BPF_PROG_ATTACH : BPF_CMD.BPF_PROG_DETACH, { target_fd: maps.get(st.map)!.fd, attach_bpf_fd: progs.get(st.prog)!, attach_type: st.attachType, attach_flags: st.flags ?? 0 });
          return 'ok';
        case 'query': {
          const attr: { target_fd: number; attach_type: number; prog_ids: number[]; prog_cnt: number } = { target_fd: maps.get(st.map)!.fd, attach_type: st.attachType, prog_ids: [], prog_cnt: 8 };
          bpf(k, p, BPF_CMD.BPF_PROG_QUERY, attr);
          const byId = new Map([...progs].map(([n, fd]) => [(p.fds.lookup(fd) as BpfProg).id, n]));
          return { progs: attr.prog_ids.map((id) => byId.get(id) ?? '?') };
        }
        default:
      }
      const m = maps.get(st.map)!;
      if (st.op === 'update') {
        // 'pipe': an open fd that is not a socket (a cgroup directory here, a pipe in Linux).
        const fd = st.sock !== undefined ? socks.get(st.sock)!.fd : st.fd === 'pipe' ? openCgroup(k, p, '/') : st.fd === 'closed' ? 900 : 0x80000000;
        const value = new Uint8Array(m.value);
        const dv = new DataView(value.buffer);
        if (m.value === 8) dv.setBigUint64(0, BigInt(fd), true);
        else dv.setUint32(0, fd >>> 0, true);
        bpf(k, p, BPF_CMD.BPF_MAP_UPDATE_ELEM, { map_fd: m.fd, key: key(st.key), value, flags: st.flags ?? 0 });
        return 'ok';
      }
      if (st.op === 'lookup') {
        const value = new Uint8Array(m.value);
        bpf(k, p, BPF_CMD.BPF_MAP_LOOKUP_ELEM, { map_fd: m.fd, key: key(st.key), value });
        const cookie = new DataView(value.buffer).getBigUint64(0, true);
        const name = [...socks].find(([, s]) => s.sk.cookie() === cookie)?.[0];
        return `cookie:${name ?? '?'}`;
      }
      if (st.op === 'delete') {
        bpf(k, p, BPF_CMD.BPF_MAP_DELETE_ELEM, { map_fd: m.fd, key: key(st.key) });
        return 'ok';
      }
      const attr: { map_fd: number; key: Uint8Array | null; next_key: Uint8Array } = { map_fd: m.fd, key: key(st.key), next_key: new Uint8Array(4) };
      bpf(k, p, BPF_CMD.BPF_MAP_GET_NEXT_KEY, attr);
      return { next: new DataView(attr.next_key.buffer).getUint32(0, true) };
    } catch (e) {
      return errno(e);
    }
  });
}
