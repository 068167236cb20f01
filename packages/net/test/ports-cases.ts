// Bind and port cases asked of the live kernel on loopback (ports.kernel.test.ts records them
// with scripts/kernel/ports_probe.py) and of bpfsim (ports-golden.test.ts). Ports are
// offsets from each case's base port (47800 + 8 * index); 0 asks for an ephemeral one.
export type PortStep =
  | { op: 'socket'; name: string; family: 4 | 6; type: 'udp' | 'tcp' }
  | { op: 'opt'; sock: string; opt: 'reuseaddr' | 'reuseport' | 'v6only' | 'freebind' | 'noport'; value: number }
  | { op: 'bind' | 'connect' | 'sendto'; sock: string; family: 0 | 4 | 6; addr: string; port: number }
  | { op: 'listen' | 'name' | 'recv' | 'close'; sock: string };
export type PortResult = string | { addr: string; port: number | string };
export interface PortCase {
  id: string;
  uid: number;
  steps: PortStep[];
}
export interface PortsGolden {
  recordedBy: string;
  kernel: string;
  cases: PortCase[];
  results: PortResult[][];
}

const sock = (name: string, family: 4 | 6 = 4, type: 'udp' | 'tcp' = 'udp'): PortStep => ({ op: 'socket', name, family, type });
const bind = (s: string, addr: string, port: number, family: 0 | 4 | 6 = addr.includes(':') ? 6 : 4): PortStep => ({ op: 'bind', sock: s, family, addr, port });
const opt = (s: string, o: 'reuseaddr' | 'reuseport' | 'v6only' | 'freebind' | 'noport', value = 1): PortStep => ({ op: 'opt', sock: s, opt: o, value });
const name = (s: string): PortStep => ({ op: 'name', sock: s });

export function portCases(): PortCase[] {
  const cases: PortCase[] = [];
  const add = (id: string, steps: PortStep[], uid = 0): void => {
    cases.push({ id, uid, steps });
  };
  for (const type of ['udp', 'tcp'] as const) {
    const t = (n: string, f: 4 | 6 = 4): PortStep => sock(n, f, type);
    add(`${type}-same-port-twice`, [t('a'), t('b'), bind('a', '127.0.0.1', 1), bind('b', '127.0.0.1', 1)]);
    add(`${type}-wildcard-then-specific`, [t('a'), t('b'), bind('a', '0.0.0.0', 1), bind('b', '127.0.0.1', 1)]);
    add(`${type}-specific-then-wildcard`, [t('a'), t('b'), bind('a', '127.0.0.1', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-two-specific`, [t('a'), t('b'), bind('a', '127.0.0.1', 1), bind('b', '127.0.0.2', 1)]);
    add(`${type}-reuseaddr-both`, [t('a'), t('b'), opt('a', 'reuseaddr'), opt('b', 'reuseaddr'), bind('a', '0.0.0.0', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-reuseaddr-one`, [t('a'), t('b'), opt('b', 'reuseaddr'), bind('a', '0.0.0.0', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-reuseport-both`, [t('a'), t('b'), opt('a', 'reuseport'), opt('b', 'reuseport'), bind('a', '0.0.0.0', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-bind-twice`, [t('a'), bind('a', '127.0.0.1', 1), bind('a', '127.0.0.1', 2)]);
    add(`${type}-non-local`, [t('a'), bind('a', '192.0.2.1', 1)]);
    add(`${type}-non-local-freebind`, [t('a'), opt('a', 'freebind'), bind('a', '192.0.2.1', 1), name('a')]);
    add(`${type}-family-mismatch`, [t('a'), bind('a', '::1', 1)]);
    add(`${type}-af-unspec-any`, [t('a'), bind('a', '0.0.0.0', 1, 0), name('a')]);
    add(`${type}-ephemeral`, [t('a'), bind('a', '127.0.0.1', 0), name('a')]);
    add(`${type}-privileged-port-as-nobody`, [t('a'), bind('a', '127.0.0.1', -47800 + 80)], 65534);
    add(`${type}-port-1024-as-nobody`, [t('a'), bind('a', '0.0.0.0', -47800 + 1024 + 7), name('a')], 65534);
    add(`${type}-v6-dual-wildcard-takes-v4`, [t('a', 6), t('b'), bind('a', '::', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-v6only-wildcard-leaves-v4`, [t('a', 6), t('b'), opt('a', 'v6only'), bind('a', '::', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-v4-then-v6-wildcard`, [t('a'), t('b', 6), bind('a', '127.0.0.1', 1), bind('b', '::', 1)]);
    add(`${type}-v6-mapped-bind`, [t('a', 6), bind('a', '::ffff:127.0.0.1', 1), name('a')]);
    add(`${type}-v6only-mapped-bind`, [t('a', 6), opt('a', 'v6only'), bind('a', '::ffff:127.0.0.1', 1)]);
    add(`${type}-v6-specific-vs-v4-wildcard`, [t('a', 6), t('b'), bind('a', '::1', 1), bind('b', '0.0.0.0', 1)]);
    add(`${type}-mapped-vs-v4-specific`, [t('a', 6), t('b'), bind('a', '::ffff:127.0.0.1', 1), bind('b', '127.0.0.1', 1)]);
    add(`${type}-noport-bind`, [t('a'), opt('a', 'noport'), bind('a', '127.0.0.1', 0), name('a')]);
  }
  // UDP only: connect autobinds; ICMP errors reach connected sockets.
  add('udp-connect-autobind', [sock('a'), { op: 'connect', sock: 'a', family: 4, addr: '127.0.0.1', port: 1 }, name('a')]);
  add('udp-connect-closed-port', [sock('a'), { op: 'connect', sock: 'a', family: 4, addr: '127.0.0.1', port: 3 }, { op: 'sendto', sock: 'a', family: 4, addr: '127.0.0.1', port: 3 }, { op: 'recv', sock: 'a' }, { op: 'recv', sock: 'a' }]);
  add('udp-unconnected-closed-port', [sock('a'), { op: 'sendto', sock: 'a', family: 4, addr: '127.0.0.1', port: 3 }, { op: 'recv', sock: 'a' }]);
  add('udp-noport-then-connect', [sock('a'), opt('a', 'noport'), bind('a', '127.0.0.1', 0), { op: 'connect', sock: 'a', family: 4, addr: '127.0.0.1', port: 1 }, name('a')]);
  add('udp-v6only-connect-v4', [sock('a', 6), opt('a', 'v6only'), { op: 'connect', sock: 'a', family: 4, addr: '127.0.0.1', port: 1 }]);
  // TCP: listen re-checks the port; SO_REUSEADDR does not let two listeners share it.
  add('tcp-reuseaddr-both-listen', [sock('a', 4, 'tcp'), sock('b', 4, 'tcp'), opt('a', 'reuseaddr'), opt('b', 'reuseaddr'), bind('a', '0.0.0.0', 1), bind('b', '0.0.0.0', 1), { op: 'listen', sock: 'a' }, { op: 'listen', sock: 'b' }]);
  add('tcp-bind-after-listener', [sock('a', 4, 'tcp'), sock('b', 4, 'tcp'), opt('a', 'reuseaddr'), opt('b', 'reuseaddr'), bind('a', '0.0.0.0', 1), { op: 'listen', sock: 'a' }, bind('b', '0.0.0.0', 1)]);
  add('tcp-reuseport-listeners', [sock('a', 4, 'tcp'), sock('b', 4, 'tcp'), opt('a', 'reuseport'), opt('b', 'reuseport'), bind('a', '0.0.0.0', 1), bind('b', '0.0.0.0', 1), { op: 'listen', sock: 'a' }, { op: 'listen', sock: 'b' }]);
  return cases;
}
