// Routing (the FIB): per family, routes by prefix; lookup is longest-prefix match, then the
// lowest metric, then the order added. A route names its device, an optional gateway and
// an optional preferred source; connected routes appear when an address is added, and
// local routes for the host's own addresses (the "local" table) are implicit.
// Mirrors net/ipv4/fib_trie.c (fib_table_lookup), net/ipv4/route.c (ip_route_output_key)
// with net/ipv4/devinet.c (inet_select_addr), and net/ipv6/route.c (ip6_route_output).
import type { IpAddr, Prefix } from '../wire/addr';
import { addrEqual, addrFromBytes, inPrefix, isAny, isLoopback } from '../wire/addr';
import type { NetDevice } from './device';
import type { Host } from './host';

export interface Route {
  prefix: Prefix;
  dev: NetDevice;
  /** Next hop; undefined for directly connected destinations. */
  via?: IpAddr;
  /** Preferred source address (ip route ... src). */
  src?: IpAddr;
  metric: number;
  /** 'connected' routes come and go with addresses. */
  kind: 'connected' | 'static';
}

/** A resolved path: the route, the device, the source address to use. */
export interface PathInfo {
  dev: NetDevice;
  src: IpAddr;
  route: Route | undefined;
  /** Delivered locally (through lo). */
  local: boolean;
}

export class RoutingTable {
  private readonly routes: Route[] = [];

  add(r: Route): void {
    this.routes.push(r);
  }

  /** Removes routes matching the predicate. */
  remove(pred: (r: Route) => boolean): void {
    for (let i = this.routes.length - 1; i >= 0; i--) if (pred(this.routes[i]!)) this.routes.splice(i, 1);
  }

  /** fib_lookup(): the best route to `dst` (only through devices that are up), or undefined. */
  lookup(dst: IpAddr, oif?: NetDevice): Route | undefined {
    let best: Route | undefined;
    for (const r of this.routes) {
      if (!r.dev.up || (oif && r.dev !== oif)) continue;
      if (!inPrefix(dst, r.prefix)) continue;
      if (!best || r.prefix.len > best.prefix.len || (r.prefix.len === best.prefix.len && r.metric < best.metric)) best = r;
    }
    return best;
  }

  list(): readonly Route[] {
    return this.routes;
  }
}

/** ip_route_output(): how a datagram to `dst` leaves `host`, and the source address to use
 * (inet_select_addr: the route's preferred source, else an address of the device in the
 * same subnet, else the device's first, else any address of the host). */
export function routeOutput(host: Host, dst: IpAddr, oif?: NetDevice, src?: IpAddr): PathInfo | undefined {
  if (host.isLocal(dst)) {
    // RTN_LOCAL: the local route's preferred source. Every address has its own host route
    // (src = the address itself); the rest of 127/8 matches lo's "local 127.0.0.0/8 src
    // 127.0.0.1" prefix route, so 127.0.0.5 is reached from 127.0.0.1 (checked on Linux).
    const s = src && !isAny(src) ? src : localPrefSrc(host.lo, dst);
    return { dev: host.lo, src: s, route: undefined, local: true };
  }
  const table = dst.family === 4 ? host.routes4 : host.routes6;
  const r = table.lookup(dst, oif && oif !== host.lo ? oif : undefined);
  if (!r) return undefined;
  let s = src && !isAny(src) ? src : r.src;
  if (!s) {
    const onDev = r.dev.addresses.filter((a) => a.addr.family === dst.family && !isLoopback(a.addr));
    s = onDev[0]?.addr ?? host.addresses(dst.family).find((a) => !isLoopback(a));
  }
  if (!s) return undefined;
  return { dev: r.dev, src: s, route: r, local: false };
}

/** fib_prefsrc of the local route a local destination matches (see routeOutput()). */
function localPrefSrc(lo: NetDevice, dst: IpAddr): IpAddr {
  if (dst.family === 4 && dst.bytes[0] === 127 && !lo.addresses.some((x) => addrEqual(x.addr, dst))) {
    const covering = lo.addresses.find((x) => x.addr.family === 4 && x.addr.bytes[0] === 127 && x.prefixLen <= 8);
    if (covering) return covering.addr;
  }
  return dst;
}

/** The prefix `a/len` with its host bits cleared, as a route keys it. */
export function maskPrefix(a: IpAddr, len: number): Prefix {
  const b = a.bytes.slice();
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { addr: addrFromBytes(b), len };
}
