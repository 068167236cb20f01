// IPv6: datagrams in (delivered to the protocol or forwarded) and out (the header built,
// then through lo or to the next hop's neighbour). Mirrors net/ipv6/ip6_input.c (ipv6_rcv,
// ip6_rcv_finish, ip6_input, ip6_protocol_deliver_rcu) and net/ipv6/ip6_output.c (ip6_xmit,
// ip6_finish_output, ip6_finish_output2, ip6_forward).
import { ERRNO } from '@bpfsim/isa';
import type { IpAddr } from '../wire/addr';
import { addrEqual, addrFromBytes, isMulticast } from '../wire/addr';
import { ETH_P_IPV6, ZERO_MAC, buildEth } from '../wire/ethernet';
import { IPPROTO_ICMPV6 } from '../wire/ipv4';
import { buildIpv6, parseIpv6 } from '../wire/ipv6';
import type { NetDevice } from './device';
import type { Host, InPacket, OutPacket } from './host';
import type { Icmp } from './icmp';
import type { Neighbours } from './neighbour';
import { solicitedNode } from './neighbour';
import type { PathInfo } from './route';
import { routeOutput } from './route';

export class Ipv6 {
  constructor(
    private readonly host: Host,
    private readonly neigh: Neighbours,
    private readonly icmp: Icmp,
  ) {}

  /** ip6_xmit(): route, build the header, send. 0, -ENETUNREACH when no route, or
   * NET_XMIT_DROP (positive) when the device's queue refused the frame. */
  output(p: OutPacket): number {
    const path = routeOutput(this.host, p.dst, p.oif, p.src);
    if (!path) {
      this.host.drop('no-route', p.payload);
      return -ERRNO.ENETUNREACH;
    }
    const datagram = buildIpv6({ src: p.src.bytes, dst: p.dst.bytes, nextHeader: p.protocol, hopLimit: p.ttl ?? 64, trafficClass: p.tos ?? 0 }, p.payload);
    return this.finishOutput(path, p.dst, datagram);
  }

  /** ip6_finish_output() + ip6_finish_output2(): through lo when local, else to the next hop. */
  private finishOutput(path: PathInfo, dst: IpAddr, datagram: Uint8Array): number {
    if (path.local) return path.dev.xmit(buildEth(ZERO_MAC, ZERO_MAC, ETH_P_IPV6, datagram, false));
    // Fragmentation is not modelled: transports keep within the MTU (TCP's MSS); a UDP
    // datagram too big for the path is refused earlier with EMSGSIZE.
    if (datagram.length > path.dev.mtu) {
      this.host.drop('other', datagram, path.dev);
      return 0;
    }
    return this.neigh.output(path.dev, path.route?.via ?? dst, ETH_P_IPV6, datagram);
  }

  /** ipv6_rcv() + ip6_rcv_finish() + ip6_input(): ours (an own address, all-nodes, or the
   * solicited-node group of one of the device's addresses), else forwarded. */
  rcv(dev: NetDevice, b: Uint8Array): void {
    const h = parseIpv6(b);
    if (!h) return this.host.drop('ip-header', b, dev);
    const datagram = b.subarray(0, 40 + h.payloadLength);
    const dst = addrFromBytes(h.dst);
    const src = addrFromBytes(h.src);
    const forUs = this.host.isLocal(dst) || (isMulticast(dst) && (dst.text === 'ff02::1' || dev.addresses.some((a) => addrEqual(solicitedNode(a.addr), dst))));
    if (!forUs) return this.forward(dev, src, dst, datagram, h.hopLimit);
    this.deliver({ family: 6, src, dst, protocol: h.nextHeader, payload: datagram.subarray(40), ttl: h.hopLimit, tos: h.trafficClass, dev, datagram });
  }

  /** ip6_protocol_deliver_rcu(): ICMPv6, else the transport registered for the next header,
   * else an ICMPv6 error back (Linux's is a parameter problem, unrecognized next header;
   * this one is destination unreachable, code 1). */
  private deliver(pkt: InPacket): void {
    if (pkt.protocol === IPPROTO_ICMPV6) return this.icmp.rcv6(pkt);
    const proto = this.host.protocols.get(pkt.protocol);
    if (!proto) {
      this.host.drop('proto-unreachable', pkt.datagram, pkt.dev);
      return this.icmp.send(pkt, 'proto-unreachable');
    }
    proto.receive(pkt);
  }

  /** ip6_forward(): routers only; hop limit expiry answers with ICMPv6 time exceeded, else
   * the hop limit goes down by one (IPv6 has no header checksum) and the datagram out. */
  private forward(dev: NetDevice, src: IpAddr, dst: IpAddr, datagram: Uint8Array, hopLimit: number): void {
    if (!this.host.forwarding) return this.host.drop('not-for-us', datagram, dev);
    if (hopLimit <= 1) {
      this.host.drop('ip-ttl', datagram, dev);
      return this.icmp.send({ family: 6, src, dst, protocol: 0, payload: new Uint8Array(), ttl: hopLimit, tos: 0, dev, datagram }, 'ttl');
    }
    const path = routeOutput(this.host, dst);
    if (!path || path.local) return this.host.drop('no-route', datagram, dev);
    const copy = datagram.slice();
    copy[7] = hopLimit - 1;
    this.finishOutput(path, dst, copy);
  }
}
