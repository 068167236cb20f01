// Local ports (net/ipv4/inet_connection_sock.c: inet_csk_get_port(), inet_bind_conflict(),
// inet_csk_find_open_port(); net/ipv4/inet_hashtables.c: __inet_hash_connect();
// net/ipv4/udp.c: udp_lib_get_port(), udp_lib_lport_inuse()). One table per host and
// protocol (`host.portTable('tcp' | 'udp')`): which sockets hold which port, the bind
// conflict rules between them, and ephemeral port choice in ip_local_port_range.
import { SysError } from '@bpfsim/isa';
import { Rng } from '@bpfsim/kernel';
import type { Host } from '../iface/host';
import type { Sock } from '../sock/sock';
import { TCP_STATE } from '../sock/state';
import { isAny, isV4Mapped } from '../wire/addr';

/** sysctl net.ipv4.ip_local_port_range (Linux's default). */
export const IP_LOCAL_PORT_RANGE: readonly [number, number] = [32768, 60999];

/** The protocols with a port table. */
export type PortKind = 'tcp' | 'udp';

const NONE: ReadonlySet<Sock> = new Set();

/** Sockets whose specific IPv6 bind made them IPv6-only (__inet6_bind sets ipv6only). */
const impliedV6only = new WeakSet<Sock>();

/** ipv6_only_sock() */
export const ipv6Only = (sk: Sock): boolean => sk.family === 6 && (sk.options.v6only || impliedV6only.has(sk));

/** Records that a specific, non-mapped IPv6 bind makes the socket IPv6-only. */
export function setImpliedV6only(sk: Sock, on: boolean): void {
  if (on) impliedV6only.add(sk);
  else impliedV6only.delete(sk);
}

/** sk_rcv_saddr as a number (an IPv6 socket's: its mapped IPv4 part, or 0 for ::, or
 * LOOPBACK4_IPV6 for any other IPv6 address, as __inet6_bind stores it). */
function rcvSaddr4(sk: Sock): number {
  const a = sk.boundAddr;
  const b = a.bytes;
  if (a.family === 4) return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (isAny(a)) return 0;
  if (isV4Mapped(a)) return ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
  return 0x7f000006; // LOOPBACK4_IPV6
}

type V6Type = 'any' | 'mapped' | 'other';
const v6Type = (sk: Sock): V6Type => (sk.family !== 6 ? 'mapped' : isAny(sk.boundAddr) ? 'any' : isV4Mapped(sk.boundAddr) ? 'mapped' : 'other');

/** inet_rcv_saddr_equal(sk, sk2, match_wildcard = true): do the bound addresses overlap? */
export function rcvSaddrEqual(sk: Sock, sk2: Sock): boolean {
  if (sk.family === 6) {
    // ipv6_rcv_saddr_equal(); an IPv4 sk2 counts as a mapped address.
    const t1 = v6Type(sk);
    const t2 = v6Type(sk2);
    if (t1 === 'mapped' && t2 === 'mapped') {
      if (ipv6Only(sk2)) return false;
      const a1 = rcvSaddr4(sk);
      const a2 = rcvSaddr4(sk2);
      return a1 === a2 || a1 === 0 || a2 === 0;
    }
    if (t1 === 'any' && t2 === 'any') return true;
    if (t2 === 'any' && !(ipv6Only(sk2) && t1 === 'mapped')) return true;
    if (t1 === 'any' && !(ipv6Only(sk) && t2 === 'mapped')) return true;
    return sk2.family === 6 && sk.boundAddr.text === sk2.boundAddr.text;
  }
  // ipv4_rcv_saddr_equal()
  if (ipv6Only(sk2)) return false;
  const a1 = rcvSaddr4(sk);
  const a2 = rcvSaddr4(sk2);
  return a1 === a2 || a1 === 0 || a2 === 0;
}

const devOk = (a: Sock, b: Sock): boolean => !a.options.boundDev || !b.options.boundDev || a.options.boundDev === b.options.boundDev;

export class PortTable {
  /** The sockets holding each port: one directly (most ports, an ephemeral port has one
   * connection: no Set per connection), a Set once two share it. */
  private readonly byPort = new Map<number, Sock | Set<Sock>>();
  /** table_perturb: where the next connect() to a destination starts looking. */
  private readonly perturb = new Map<string, number>();
  private readonly rng: Rng;

  constructor(
    readonly host: Host,
    readonly kind: PortKind,
  ) {
    this.rng = host.network.sim.rng.split(`ports:${host.name}:${kind}`);
  }

  owners(port: number): Iterable<Sock> {
    const v = this.byPort.get(port);
    return v === undefined ? NONE : v instanceof Set ? v : [v];
  }

  /** Would `sk` conflict at `port` with a socket already there? */
  conflict(sk: Sock, port: number): boolean {
    for (const sk2 of this.owners(port)) {
      if (sk2 === sk || !devOk(sk, sk2)) continue;
      if (this.kind === 'udp') {
        // udp_lib_lport_inuse()
        if (sk.options.reuseaddr && sk2.options.reuseaddr) continue;
        if (!rcvSaddrEqual(sk, sk2)) continue;
        if (sk.options.reuseport && sk2.options.reuseport && sk.owner.uid === sk2.owner.uid) continue;
        return true;
      }
      // inet_bind_conflict() with relax and reuseport_ok, as inet_csk_get_port() asks it.
      // sk_reuse of both, the other not listening (this one may be: listen() re-checks).
      if (sk.options.reuseaddr && sk2.options.reuseaddr && sk2.state !== TCP_STATE.TCP_LISTEN) continue;
      const reuseportOk = sk.options.reuseport && sk2.options.reuseport && (sk2.state === TCP_STATE.TCP_TIME_WAIT || sk.owner.uid === sk2.owner.uid);
      if (reuseportOk) continue;
      if (rcvSaddrEqual(sk, sk2)) return true;
    }
    return false;
  }

  private take(sk: Sock, port: number): void {
    const v = this.byPort.get(port);
    if (v === undefined) this.byPort.set(port, sk);
    else if (v instanceof Set) v.add(sk);
    else if (v !== sk) this.byPort.set(port, new Set([v, sk]));
    sk.localPort = port;
  }

  /**
   * inet_csk_get_port() / udp_lib_get_port(): `sk` takes `port` at its bound address, or an
   * ephemeral port for 0. Throws EADDRINUSE. A socket already holding `port` is re-checked
   * (listen() does that, with the socket now in TCP_LISTEN).
   */
  bind(sk: Sock, port: number): void {
    if (port !== 0) {
      if (this.conflict(sk, port)) throw new SysError('EADDRINUSE', `port ${port} is in use`);
      this.take(sk, port);
      return;
    }
    const p = this.kind === 'tcp' ? this.findOpenPort(sk) : this.udpEphemeral(sk);
    if (p === undefined) throw new SysError('EADDRINUSE', 'no ephemeral port is free');
    this.take(sk, p);
  }

  /** inet_csk_find_open_port(): odd ports first (connect() favours even ones). */
  private findOpenPort(sk: Sock): number | undefined {
    const [low, highIncl] = IP_LOCAL_PORT_RANGE;
    const high = highIncl + 1;
    let remaining = high - low;
    if (remaining > 1) remaining &= ~1;
    let offset = this.rng.int(0, remaining - 1) | 1;
    for (let parity = 0; parity < 2; parity++) {
      let port = low + offset;
      for (let i = 0; i < remaining; i += 2, port += 2) {
        if (port >= high) port -= remaining;
        if (!this.conflict(sk, port)) return port;
      }
      offset--;
    }
    return undefined;
  }

  /** udp_lib_get_port(snum = 0): a random port in the range that is free for `sk`. */
  private udpEphemeral(sk: Sock): number | undefined {
    const [low, high] = IP_LOCAL_PORT_RANGE;
    const n = high - low + 1;
    const first = this.rng.int(0, n - 1);
    for (let i = 0; i < n; i++) {
      const port = low + ((first + i) % n);
      if (!this.byPort.has(port) || !this.conflict(sk, port)) return port;
    }
    return undefined;
  }

  /**
   * __inet_hash_connect() for a socket without a port (or bound with
   * IP_BIND_ADDRESS_NO_PORT): an even port first, then odd, free for the 4-tuple as
   * `isFree` says. Throws EADDRNOTAVAIL when none is.
   */
  connectBind(sk: Sock, isFree: (port: number) => boolean): void {
    const [low, highIncl] = IP_LOCAL_PORT_RANGE;
    const high = highIncl + 1;
    let remaining = high - low;
    if (remaining > 1) remaining &= ~1;
    // Linux starts from a per-destination offset (a keyed hash plus table_perturb, which
    // moves past the port just taken), so consecutive connects to one destination try
    // consecutive ports instead of rescanning taken ones.
    const dest = sk.peer ? `${sk.peer.addr.text}|${sk.peer.port}` : '';
    let start = this.perturb.get(dest);
    // A fresh destination starts on an even port, as Linux does; once a destination's even
    // ports ran out, its hint stays odd so later connects do not rescan the even ones (Linux
    // rescans them, at C speed; a port freed meanwhile is taken here only on the next pass).
    let offset = start === undefined ? this.rng.int(0, remaining - 1) & ~1 : start;
    for (let parity = 0; parity < 2; parity++) {
      let port = low + offset;
      for (let i = 0; i < remaining; i += 2, port += 2) {
        if (port >= high) port -= remaining;
        // A port some socket bound (rather than connected) is not for connect() to share.
        let bound = false;
        for (const o of this.owners(port)) if (!o.peer) bound = true;
        if (!bound && isFree(port)) {
          this.take(sk, port);
          this.perturb.set(dest, (port - low + 2) % remaining);
          return;
        }
      }
      offset = (offset + 1) % remaining;
    }
    throw new SysError('EADDRNOTAVAIL', 'no local port is free for this destination');
  }

  /** __inet_inherit_port(): an accepted child shares its listener's port. */
  inherit(sk: Sock, port: number): void {
    this.take(sk, port);
  }

  /** inet_put_port() / udp_lib_unhash(). */
  unbind(sk: Sock): void {
    const v = this.byPort.get(sk.localPort);
    if (v instanceof Set) {
      v.delete(sk);
      if (!v.size) this.byPort.delete(sk.localPort);
    } else if (v === sk) this.byPort.delete(sk.localPort);
    sk.localPort = 0;
  }
}
