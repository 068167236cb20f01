// Routing (the FIB): per family, routes by prefix; lookup is longest-prefix match, then the
// lowest metric, then the order added. A route names its device, an optional gateway and
// an optional preferred source; connected routes appear when an address is added, and
// local routes for the host's own addresses (the "local" table) are implicit.
import type { IpAddr, Prefix } from '../wire/addr';
import { inPrefix } from '../wire/addr';
import type { NetDevice } from './device';

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
