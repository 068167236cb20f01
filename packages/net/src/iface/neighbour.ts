// The neighbour table and the protocols that fill it. Mirrors net/core/neighbour.c
// (__neigh_lookup, neigh_resolve_output, neigh_update, neigh_timer_handler), net/ipv4/arp.c
// (arp_solicit, arp_rcv/arp_process) and net/ipv6/ndisc.c (ndisc_solicit, ndisc_recv_ns,
// ndisc_recv_na).
import type { IpAddr } from '../wire/addr';
import { addrEqual, addrFromBytes, isAny, isMulticast } from '../wire/addr';
import { ARPOP_REPLY, ARPOP_REQUEST, buildArp, parseArp } from '../wire/arp';
import { BROADCAST_MAC, ETH_P_ARP, ETH_P_IPV6, ZERO_MAC, buildEth } from '../wire/ethernet';
import type { Mac } from '../wire/ethernet';
import { NDISC_NEIGHBOUR_ADVERTISEMENT, NDISC_NEIGHBOUR_SOLICITATION, buildIcmp6 } from '../wire/icmp';
import { IPPROTO_ICMPV6 } from '../wire/ipv4';
import { buildIpv6 } from '../wire/ipv6';
import type { NetDevice } from './device';
import type { Host, InPacket } from './host';

interface Neighbour {
  mac?: Mac;
  /** Frames waiting for resolution (NUD_INCOMPLETE), at most 101 (the unres_qlen_bytes-ish bound). */
  queue: Uint8Array[];
  tries: number;
  timer?: { cancel(): void };
}

/** Solicitations before giving up, and the time between them (sysctl
 * net.ipv4.neigh.default.mcast_solicit and retrans_time_ms: Linux's defaults, 3 and 1 s). */
const NEIGH_RETRIES = 3;
const NEIGH_RETRANS = 1_000_000_000;

/** A host's neighbours, by device and address: resolved ones carry the link-layer address,
 * unresolved ones the frames waiting for it. */
export class Neighbours {
  private readonly table = new Map<string, Neighbour>();

  constructor(private readonly host: Host) {}

  /** neigh_output(): a datagram to `nexthop` on `dev`, framed for the neighbour's address;
   * queued while it is being resolved. What dev_queue_xmit() answered (0 when queued). */
  output(dev: NetDevice, nexthop: IpAddr, type: number, datagram: Uint8Array): number {
    if (isMulticast(nexthop)) return dev.xmit(buildEth(multicastMac(nexthop), dev.mac, type, datagram));
    const key = `${dev.ifindex}|${nexthop.text}`;
    let n = this.table.get(key);
    if (n?.mac) return dev.xmit(buildEth(n.mac, dev.mac, type, datagram));
    if (!n) {
      n = { queue: [], tries: 0 };
      this.table.set(key, n);
    }
    const frame = buildEth(ZERO_MAC, dev.mac, type, datagram);
    if (n.queue.length >= 101) this.host.drop('neigh-queue-full', datagram, dev);
    else n.queue.push(frame);
    if (!n.timer) this.solicit(dev, nexthop, n, key);
    return 0;
  }

  /** arp_solicit / ndisc_solicit, retried every second; after the last try the queued
   * frames are dropped and the entry goes. */
  private solicit(dev: NetDevice, target: IpAddr, n: Neighbour, key: string): void {
    if (n.tries >= NEIGH_RETRIES) {
      for (const f of n.queue) this.host.drop('neigh-failed', f, dev);
      this.table.delete(key);
      return;
    }
    n.tries++;
    const src = dev.addresses.find((a) => a.addr.family === target.family)?.addr;
    if (target.family === 4) {
      const arp = buildArp({ op: ARPOP_REQUEST, senderMac: dev.mac, senderIp: src?.bytes ?? new Uint8Array(4), targetMac: new Uint8Array(6), targetIp: target.bytes });
      dev.xmit(buildEth(BROADCAST_MAC, dev.mac, ETH_P_ARP, arp));
    } else if (src) {
      // Neighbour solicitation to the solicited-node multicast address.
      const snm = solicitedNode(target);
      const body = new Uint8Array(4 + 16 + 8);
      body.set(target.bytes, 4);
      body[20] = 1; // source link-layer address option
      body[21] = 1;
      body.set(dev.mac, 22);
      const icmp = buildIcmp6(src.bytes, snm.bytes, NDISC_NEIGHBOUR_SOLICITATION, 0, 0, body.subarray(4));
      dev.xmit(buildEth(multicastMac(snm), dev.mac, ETH_P_IPV6, buildIpv6({ src: src.bytes, dst: snm.bytes, nextHeader: IPPROTO_ICMPV6, hopLimit: 255 }, icmp)));
    }
    n.timer = this.host.network.sim.schedule(NEIGH_RETRANS, () => {
      n.timer = undefined;
      if (!n.mac) this.solicit(dev, target, n, key);
    });
  }

  /** neigh_update(): `ip` is at `mac`; the frames queued for it go. */
  private update(dev: NetDevice, ip: IpAddr, mac: Mac): void {
    const key = `${dev.ifindex}|${ip.text}`;
    const n = this.table.get(key) ?? { queue: [], tries: 0 };
    n.mac = mac.slice();
    n.timer?.cancel();
    n.timer = undefined;
    this.table.set(key, n);
    const q = n.queue;
    n.queue = [];
    for (const f of q) {
      f.set(n.mac, 0);
      dev.xmit(f);
    }
  }

  /** arp_rcv() + arp_process(): learn the sender; answer a request for one of our addresses. */
  arpRcv(dev: NetDevice, b: Uint8Array): void {
    const arp = parseArp(b);
    if (!arp) return this.host.drop('bad-header', b, dev);
    const sender = addrFromBytes(arp.senderIp);
    const target = addrFromBytes(arp.targetIp);
    if (!isAny(sender)) this.update(dev, sender, arp.senderMac);
    if (arp.op === ARPOP_REQUEST && dev.addresses.some((a) => addrEqual(a.addr, target))) {
      const reply = buildArp({ op: ARPOP_REPLY, senderMac: dev.mac, senderIp: target.bytes, targetMac: arp.senderMac, targetIp: arp.senderIp });
      dev.xmit(buildEth(arp.senderMac, dev.mac, ETH_P_ARP, reply));
    }
  }

  /** ndisc_rcv(): a neighbour solicitation (ndisc_recv_ns: learn the sender, advertise when
   * the target is ours) or advertisement (ndisc_recv_na: learn the target). */
  ndiscRcv(pkt: InPacket, type: number, body: Uint8Array): void {
    if (body.length < 16) return;
    const target = addrFromBytes(body.subarray(0, 16));
    const lladdr = body.length >= 24 && (body[16] === 1 || body[16] === 2) ? body.subarray(18, 24) : undefined;
    if (type === NDISC_NEIGHBOUR_SOLICITATION) {
      if (lladdr && !isAny(pkt.src)) this.update(pkt.dev, pkt.src, lladdr);
      if (!pkt.dev.addresses.some((a) => addrEqual(a.addr, target))) return;
      const na = new Uint8Array(16 + 8);
      na.set(target.bytes, 0);
      na[16] = 2; // target link-layer address option
      na[17] = 1;
      na.set(pkt.dev.mac, 18);
      // Solicited + override flags in the reserved word.
      const icmp = buildIcmp6(target.bytes, pkt.src.bytes, NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0x60000000, na);
      this.host.ipOutput({ family: 6, src: target, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: icmp, ttl: 255 });
    } else if (lladdr) {
      this.update(pkt.dev, target, lladdr);
    }
  }
}

/** ff02::1:ffXX:XXXX (addrconf_addr_solict_mult). */
export function solicitedNode(a: IpAddr): IpAddr {
  const b = new Uint8Array(16);
  b[0] = 0xff;
  b[1] = 0x02;
  b[11] = 1;
  b[12] = 0xff;
  b.set(a.bytes.subarray(13), 13);
  return addrFromBytes(b);
}

/** 01:00:5e + low 23 bits (IPv4), 33:33 + low 32 bits (IPv6): ip_eth_mc_map / ipv6_eth_mc_map. */
function multicastMac(a: IpAddr): Mac {
  if (a.family === 4) return Uint8Array.of(1, 0, 0x5e, a.bytes[1]! & 0x7f, a.bytes[2]!, a.bytes[3]!);
  return Uint8Array.of(0x33, 0x33, a.bytes[12]!, a.bytes[13]!, a.bytes[14]!, a.bytes[15]!);
}
