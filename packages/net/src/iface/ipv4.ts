// IPv4: datagrams in (checked, then delivered to the protocol or forwarded) and out (the
// header built, then through lo or to the next hop's neighbour). Mirrors
// net/ipv4/ip_input.c (ip_rcv, ip_rcv_finish, ip_local_deliver, ip_protocol_deliver_rcu),
// net/ipv4/ip_output.c (ip_queue_xmit, ip_finish_output, ip_finish_output2) and
// net/ipv4/ip_forward.c (ip_forward).
import { ERRNO } from '@bpfsim/isa';
import type { IpAddr } from '../wire/addr';
import { addr4At } from '../wire/addr';
import { checksum } from '../wire/checksum';
import { ETH_P_IP, ZERO_MAC, buildEth } from '../wire/ethernet';
import { IPPROTO_ICMP, buildIpv4Header, ipv4ChecksumOk } from '../wire/ipv4';
import type { NetDevice } from './device';
import type { Host, InPacket, OutPacket } from './host';
import type { Icmp } from './icmp';
import type { Neighbours } from './neighbour';
import type { PathInfo } from './route';
import { routeOutput } from './route';

export class Ipv4 {
  /** The last IP ID sent: one counter for the host (Linux hashes per destination). */
  private id = 0;

  constructor(
    private readonly host: Host,
    private readonly neigh: Neighbours,
    private readonly icmp: Icmp,
  ) {}

  /** ip_queue_xmit(): route, build the header, send. 0, -ENETUNREACH when no route, or
   * NET_XMIT_DROP (positive) when the device's queue refused the frame. */
  output(p: OutPacket): number {
    const path = routeOutput(this.host, p.dst, p.oif, p.src);
    if (!path) {
      this.host.drop('no-route', p.payload);
      return -ERRNO.ENETUNREACH;
    }
    const datagram = buildIpv4Header(p.payload, p.src.bytes, p.dst.bytes, p.protocol, p.ttl ?? 64, p.tos ?? 0, (this.id = (this.id + 1) & 0xffff), true);
    return this.finishOutput(path, p.dst, datagram);
  }

  /** ip_finish_output() + ip_finish_output2(): through lo when local, else to the next hop. */
  private finishOutput(path: PathInfo, dst: IpAddr, datagram: Uint8Array): number {
    if (path.local) return path.dev.xmit(buildEth(ZERO_MAC, ZERO_MAC, ETH_P_IP, datagram, false));
    // Fragmentation is not modelled: transports keep within the MTU (TCP's MSS); a UDP
    // datagram too big for the path is refused earlier with EMSGSIZE.
    if (datagram.length > path.dev.mtu) {
      this.host.drop('other', datagram, path.dev);
      return 0;
    }
    return this.neigh.output(path.dev, path.route?.via ?? dst, ETH_P_IP, datagram);
  }

  /** ip_rcv() + ip_rcv_finish() + ip_local_deliver(). */
  rcv(dev: NetDevice, b: Uint8Array): void {
    // parseIpv4()'s checks, read in place (no header object per datagram).
    if (b.length < 20 || b[0]! >> 4 !== 4) return this.host.drop('ip-header', b, dev);
    const ihl = (b[0]! & 15) * 4;
    const totalLength = (b[2]! << 8) | b[3]!;
    if (ihl < 20 || totalLength < ihl || totalLength > b.length) return this.host.drop('ip-header', b, dev);
    if (!ipv4ChecksumOk(b, ihl)) return this.host.drop('ip-checksum', b, dev);
    const datagram = b.subarray(0, totalLength);
    const dst = addr4At(b, 16);
    const src = addr4At(b, 12);
    const ttl = b[8]!;
    if (!this.host.isLocal(dst) && !(dst.bytes[0] === 255 && dst.bytes[3] === 255)) return this.forward(dev, src, dst, datagram, ttl);
    if (((b[6]! << 8) | b[7]!) & 0x3fff) return this.host.drop('other', datagram, dev); // fragments: not modelled
    this.deliver({ family: 4, src, dst, protocol: b[9]!, payload: datagram.subarray(ihl), ttl, tos: b[1]!, dev, datagram });
  }

  /** ip_protocol_deliver_rcu(): ICMP, else the transport registered for the protocol, else
   * ICMP protocol unreachable. */
  private deliver(pkt: InPacket): void {
    if (pkt.protocol === IPPROTO_ICMP) return this.icmp.rcv(pkt);
    const proto = this.host.protocols.get(pkt.protocol);
    if (!proto) {
      this.host.drop('proto-unreachable', pkt.datagram, pkt.dev);
      return this.icmp.send(pkt, 'proto-unreachable');
    }
    proto.receive(pkt);
  }

  /** ip_forward(): routers only; TTL expiry answers with ICMP time exceeded, else the TTL
   * goes down by one (ip_decrease_ttl, the header checksum redone) and the datagram out. */
  private forward(dev: NetDevice, src: IpAddr, dst: IpAddr, datagram: Uint8Array, ttl: number): void {
    if (!this.host.forwarding) return this.host.drop('not-for-us', datagram, dev);
    if (ttl <= 1) {
      this.host.drop('ip-ttl', datagram, dev);
      return this.icmp.send({ family: 4, src, dst, protocol: 0, payload: new Uint8Array(), ttl, tos: 0, dev, datagram }, 'ttl');
    }
    const path = routeOutput(this.host, dst);
    if (!path || path.local) return this.host.drop('no-route', datagram, dev);
    const copy = datagram.slice();
    copy[8] = ttl - 1;
    copy[10] = copy[11] = 0;
    const c = checksum(copy, 0, (copy[0]! & 15) * 4);
    copy[10] = c >> 8;
    copy[11] = c & 255;
    this.finishOutput(path, dst, copy);
  }
}
