// A host: one network namespace with its devices (lo first), addresses, routes and
// neighbour table, the IPv4/IPv6 layer (ip_rcv/ip_local_deliver, ip_queue_xmit/
// ip_finish_output2, and the IPv6 twins), ICMP, and its kernel (processes, cgroups, BPF).
// Transport protocols register a handler per protocol number.
import { Kernel } from '@bpfsim/kernel';
import type { KernelOptions, Process } from '@bpfsim/kernel';
import type { Sock } from '../sock/sock';
import { installUdp } from '../udp/udp';
import { installTcp } from '../tcp/tcp';
import type { TcpProtocol } from '../tcp/tcp';
import type { DropReason } from '../events';
import type { Network } from '../network';
import type { NetHooks } from '../sock/hooks';
import { traceKfreeSkb, traceNetDevXmit, traceNetifReceive } from '../bpf/tracepoints';
import type { IpAddr } from '../wire/addr';
import { addr4At, addrEqual, addrFromBytes, isAny, isLoopback, isMulticast, parsePrefix } from '../wire/addr';
import { ARPOP_REPLY, ARPOP_REQUEST, buildArp, parseArp } from '../wire/arp';
import { BROADCAST_MAC, ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, ZERO_MAC, buildEth, isMulticastMac, macEqual, parseEth } from '../wire/ethernet';
import type { Mac } from '../wire/ethernet';
import {
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  ICMPV6_TIME_EXCEED,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_TIME_EXCEEDED,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  buildIcmp,
  buildIcmp6,
  icmp6ChecksumOk,
  icmpChecksumOk,
  parseIcmp,
  quote,
} from '../wire/icmp';
import { IPPROTO_ICMP, IPPROTO_ICMPV6, buildIpv4, ipv4ChecksumOk, parseIpv4 } from '../wire/ipv4';
import { buildIpv6, parseIpv6 } from '../wire/ipv6';
import type { DeviceHost } from './device';
import { EthernetDevice, LoopbackDevice } from './device';
import type { NetDevice } from './device';
import type { Route } from './route';
import { RoutingTable } from './route';

/** A datagram handed to a transport protocol. */
export interface InPacket {
  family: 4 | 6;
  src: IpAddr;
  dst: IpAddr;
  protocol: number;
  /** The transport header and data. */
  payload: Uint8Array;
  ttl: number;
  tos: number;
  dev: NetDevice;
  /** The whole IP datagram (what ICMP errors quote). */
  datagram: Uint8Array;
}

/** An ICMP error about a datagram we sent, for the transport that sent it. */
export interface IcmpError {
  family: 4 | 6;
  type: number;
  code: number;
  /** Addresses and transport bytes of the quoted (our) datagram. */
  src: IpAddr;
  dst: IpAddr;
  protocol: number;
  quoted: Uint8Array;
}

export interface Protocol {
  /** tcp_v4_rcv / udp_rcv: return false when no socket took it (for ICMP unreachable). */
  receive(pkt: InPacket): void;
  /** tcp_v4_err / __udp4_lib_err */
  error?(err: IcmpError): void;
}

export interface OutPacket {
  family: 4 | 6;
  src: IpAddr;
  dst: IpAddr;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  tos?: number;
  /** SO_BINDTODEVICE / the socket's bound device. */
  oif?: NetDevice;
}

/** A resolved path: the route, the device, the source address to use. */
export interface PathInfo {
  dev: NetDevice;
  src: IpAddr;
  route: Route | undefined;
  /** Delivered locally (through lo). */
  local: boolean;
}

interface Neighbour {
  mac?: Mac;
  /** Frames waiting for resolution (NUD_INCOMPLETE), at most 101 (the unres_qlen_bytes-ish bound). */
  queue: Uint8Array[];
  tries: number;
  timer?: { cancel(): void };
}

/** Makes a protocol's socket (inet_create() after the protosw lookup). */
export interface SockFactory {
  type: number;
  protocol: number;
  create(host: Host, family: 4 | 6, owner: Process): Sock;
}

export interface HostOptions {
  /** sysctl net.ipv4.ip_forward / net.ipv6.conf.all.forwarding. */
  forwarding?: boolean;
  /** sysctl net.ipv4.tcp_timestamps: 1 (Linux's default) offers and accepts RFC 7323
   * timestamps, 0 neither. */
  tcpTimestamps?: 0 | 1;
  kernel?: KernelOptions;
}

const NEIGH_RETRIES = 3;
const NEIGH_RETRANS = 1_000_000_000;

export class Host implements DeviceHost {
  readonly devices = new Map<string, NetDevice>();
  readonly routes4 = new RoutingTable();
  readonly routes6 = new RoutingTable();
  readonly kernel: Kernel;
  readonly protocols = new Map<number, Protocol>();
  /** The TCP protocol (installTcp), for its sockets to reach without a field of their own. */
  tcp: TcpProtocol | undefined;
  readonly lo: LoopbackDevice;
  forwarding: boolean;
  /** sysctl net.ipv4.tcp_timestamps (HostOptions.tcpTimestamps). */
  tcpTimestamps: 0 | 1;
  /** inet_protosw: how socket(family, type, protocol) makes a socket; the UDP and TCP
   * modules register themselves here (protocol 0 picks the type's default). */
  readonly protosw = new Map<string, SockFactory>();
  /** cgroup BPF hook call sites (the hooks package fills these in). */
  hooks: NetHooks = {};
  /** The cookie of this host's network namespace (bpf_get_netns_cookie). */
  readonly netnsCookie: bigint;
  private nextIfindex = 1;
  private cookie = 0n;
  private readonly neigh = new Map<string, Neighbour>();
  private ipId = 0;

  constructor(
    readonly network: Network,
    readonly name: string,
    options: HostOptions = {},
  ) {
    this.forwarding = options.forwarding ?? false;
    this.tcpTimestamps = options.tcpTimestamps ?? 1;
    this.netnsCookie = network.nextNetnsCookie();
    const sim = network.sim;
    this.kernel = new Kernel({ profile: network.profile, ...options.kernel, clock: { now: () => BigInt(sim.now) }, seed: options.kernel?.seed ?? sim.rng.split(`kernel:${name}`).u32() });
    this.lo = new LoopbackDevice(this, 'lo', this.nextIfindex++, ZERO_MAC, 65536);
    this.devices.set('lo', this.lo);
    this.network.watchDevice(this, this.lo);
    this.addAddress('lo', '127.0.0.1/8');
    this.addAddress('lo', '::1/128');
    installUdp(this);
    installTcp(this);
  }

  /** sock_gen_cookie(): socket cookies, from 1, per host. */
  nextSocketCookie(): bigint {
    return ++this.cookie;
  }

  // ---- DeviceHost ------------------------------------------------------------------------

  traceXmit(dev: NetDevice, frame: Uint8Array): void {
    traceNetDevXmit(this.kernel, dev, frame);
  }

  defer(fn: () => void): void {
    this.network.sim.schedule(0, fn);
  }

  // ---- configuration -----------------------------------------------------------------------

  /** Adds an Ethernet device (eth0, eth1, … when unnamed). */
  addDevice(name?: string, options: { mac?: Mac; mtu?: number } = {}): EthernetDevice {
    const n = name ?? `eth${[...this.devices.keys()].filter((k) => k.startsWith('eth')).length}`;
    if (this.devices.has(n)) throw new Error(`${this.name}: a device named ${n} exists`);
    const mac = options.mac ?? this.network.allocMac();
    const dev = new EthernetDevice(this, n, this.nextIfindex++, mac, options.mtu ?? 1500);
    this.devices.set(n, dev);
    this.network.watchDevice(this, dev);
    return dev;
  }

  device(name: string): NetDevice {
    const d = this.devices.get(name);
    if (!d) throw new Error(`${this.name}: no device ${name}`);
    return d;
  }

  /** `ip addr add 10.0.0.1/24 dev eth0`: the address and its connected route. */
  addAddress(devName: string, cidr: string): IpAddr {
    const dev = this.device(devName);
    const p = parsePrefix(cidr);
    if (dev.addresses.some((a) => addrEqual(a.addr, p.addr))) throw new Error(`${this.name}: ${p.addr.text} is already on ${devName}`);
    dev.addresses.push({ addr: p.addr, prefixLen: p.len });
    const table = p.addr.family === 4 ? this.routes4 : this.routes6;
    if (dev !== this.lo) table.add({ prefix: maskPrefix(p.addr, p.len), dev, metric: 0, kind: 'connected', src: p.addr });
    return p.addr;
  }

  /** `ip route add PREFIX [via GW] [dev DEV] [src SRC] [metric N]`. */
  addRoute(cidr: string, r: { via?: string; dev?: string; src?: string; metric?: number }): void {
    const prefix = parsePrefix(cidr);
    const via = r.via ? parsePrefix(r.via).addr : undefined;
    const table = prefix.addr.family === 4 ? this.routes4 : this.routes6;
    let dev = r.dev ? this.device(r.dev) : undefined;
    if (!dev && via) dev = table.lookup(via)?.dev;
    if (!dev) throw new Error(`${this.name}: route ${cidr}: no device reaches ${r.via ?? '(no gateway)'}`);
    table.add({ prefix: maskPrefix(prefix.addr, prefix.len), dev, via, src: r.src ? parsePrefix(r.src).addr : undefined, metric: r.metric ?? 0, kind: 'static' });
  }

  /** The host's own addresses (every device's), IPv4 loopback being all of 127/8. */
  isLocal(a: IpAddr): boolean {
    if (a.family === 4 && a.bytes[0] === 127) return true;
    for (const d of this.devices.values()) for (const x of d.addresses) if (addrEqual(x.addr, a)) return true;
    return false;
  }

  /** fib_prefsrc of the local route a local destination matches (see route()). */
  private localPrefSrc(dst: IpAddr): IpAddr {
    if (dst.family === 4 && dst.bytes[0] === 127 && !this.lo.addresses.some((x) => addrEqual(x.addr, dst))) {
      const covering = this.lo.addresses.find((x) => x.addr.family === 4 && x.addr.bytes[0] === 127 && x.prefixLen <= 8);
      if (covering) return covering.addr;
    }
    return dst;
  }

  /** The device an address is on, if local. */
  deviceOf(a: IpAddr): NetDevice | undefined {
    if (isLoopback(a)) return this.lo;
    for (const d of this.devices.values()) for (const x of d.addresses) if (addrEqual(x.addr, a)) return d;
    return undefined;
  }

  addresses(family?: 4 | 6): IpAddr[] {
    const out: IpAddr[] = [];
    for (const d of this.devices.values()) for (const x of d.addresses) if (!family || x.addr.family === family) out.push(x.addr);
    return out;
  }

  // ---- output --------------------------------------------------------------------------------

  /** ip_route_output(): how a datagram to `dst` leaves, and the source address to use
   * (inet_select_addr: the route's preferred source, else an address of the device in the
   * same subnet, else the device's first, else any address of the host). */
  route(dst: IpAddr, oif?: NetDevice, src?: IpAddr): PathInfo | undefined {
    if (this.isLocal(dst)) {
      // RTN_LOCAL: the local route's preferred source. Every address has its own host route
      // (src = the address itself); the rest of 127/8 matches lo's "local 127.0.0.0/8 src
      // 127.0.0.1" prefix route, so 127.0.0.5 is reached from 127.0.0.1 (checked on Linux).
      const s = src && !isAny(src) ? src : this.localPrefSrc(dst);
      return { dev: this.lo, src: s, route: undefined, local: true };
    }
    const table = dst.family === 4 ? this.routes4 : this.routes6;
    const r = table.lookup(dst, oif && oif !== this.lo ? oif : undefined);
    if (!r) return undefined;
    let s = src && !isAny(src) ? src : r.src;
    if (!s) {
      const onDev = r.dev.addresses.filter((a) => a.addr.family === dst.family && !isLoopback(a.addr));
      s = onDev[0]?.addr ?? this.addresses(dst.family).find((a) => !isLoopback(a));
    }
    if (!s) return undefined;
    return { dev: r.dev, src: s, route: r, local: false };
  }

  /** ip_queue_xmit / ip6_xmit: route, build the datagram, resolve the next hop, send.
   * Returns 0 or a negative errno (-ENETUNREACH when no route). */
  ipOutput(p: OutPacket): number {
    const path = this.route(p.dst, p.oif, p.src);
    if (!path) {
      this.drop('no-route', p.payload);
      return p.family === 4 ? -101 : -101; // ENETUNREACH
    }
    const datagram =
      p.family === 4
        ? buildIpv4({ src: p.src.bytes, dst: p.dst.bytes, protocol: p.protocol, ttl: p.ttl ?? 64, tos: p.tos ?? 0, id: (this.ipId = (this.ipId + 1) & 0xffff) }, p.payload)
        : buildIpv6({ src: p.src.bytes, dst: p.dst.bytes, nextHeader: p.protocol, hopLimit: p.ttl ?? 64, trafficClass: p.tos ?? 0 }, p.payload);
    this.sendDatagram(path, p.family, p.dst, datagram);
    return 0;
  }

  private sendDatagram(path: PathInfo, family: 4 | 6, dst: IpAddr, datagram: Uint8Array): void {
    const type = family === 4 ? ETH_P_IP : ETH_P_IPV6;
    if (path.local) {
      path.dev.xmit(buildEth(ZERO_MAC, ZERO_MAC, type, datagram, false));
      return;
    }
    if (datagram.length > path.dev.mtu) {
      // Fragmentation is not modelled: transports keep within the MTU (TCP's MSS); a UDP
      // datagram too big for the path is refused earlier with EMSGSIZE.
      this.drop('other', datagram, path.dev);
      return;
    }
    const nexthop = path.route?.via ?? dst;
    this.neighOutput(path.dev, nexthop, type, datagram);
  }

  // ---- neighbours (ARP, IPv6 neighbour discovery) ----------------------------------------

  private neighOutput(dev: NetDevice, nexthop: IpAddr, type: number, datagram: Uint8Array): void {
    if (isMulticast(nexthop)) {
      dev.xmit(buildEth(multicastMac(nexthop), dev.mac, type, datagram));
      return;
    }
    const key = `${dev.ifindex}|${nexthop.text}`;
    let n = this.neigh.get(key);
    if (n?.mac) {
      dev.xmit(buildEth(n.mac, dev.mac, type, datagram));
      return;
    }
    if (!n) {
      n = { queue: [], tries: 0 };
      this.neigh.set(key, n);
    }
    const frame = buildEth(ZERO_MAC, dev.mac, type, datagram);
    if (n.queue.length >= 101) this.drop('neigh-queue-full', datagram, dev);
    else n.queue.push(frame);
    if (!n.timer) this.solicit(dev, nexthop, n, key);
  }

  private solicit(dev: NetDevice, target: IpAddr, n: Neighbour, key: string): void {
    if (n.tries >= NEIGH_RETRIES) {
      for (const f of n.queue) this.drop('neigh-failed', f, dev);
      this.neigh.delete(key);
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
    n.timer = this.network.sim.schedule(NEIGH_RETRANS, () => {
      n.timer = undefined;
      if (!n.mac) this.solicit(dev, target, n, key);
    });
  }

  private neighLearn(dev: NetDevice, ip: IpAddr, mac: Mac): void {
    const key = `${dev.ifindex}|${ip.text}`;
    const n = this.neigh.get(key) ?? { queue: [], tries: 0 };
    n.mac = mac.slice();
    n.timer?.cancel();
    n.timer = undefined;
    this.neigh.set(key, n);
    const q = n.queue;
    n.queue = [];
    for (const f of q) {
      f.set(n.mac, 0);
      dev.xmit(f);
    }
  }

  // ---- input ---------------------------------------------------------------------------------

  /** netif_receive_skb(): a frame arrived on `dev`. */
  netifReceive(dev: NetDevice, frame: Uint8Array): void {
    traceNetifReceive(this.kernel, dev, frame);
    if (frame.length < ETH_HLEN) return this.drop('bad-header', frame, dev);
    // eth_type_trans(): PACKET_OTHERHOST frames are not ours (compared in the frame itself).
    if (dev !== this.lo && (frame[0]! & 1) === 0 && !frameDstIs(frame, dev.mac)) return this.drop('not-for-us', frame, dev);
    const type = (frame[12]! << 8) | frame[13]!;
    const payload = frame.subarray(ETH_HLEN);
    if (type === ETH_P_ARP) return this.arpRcv(dev, payload);
    if (type === ETH_P_IP) return this.ipRcv(dev, payload);
    if (type === ETH_P_IPV6) return this.ipv6Rcv(dev, payload);
    this.drop('other', frame, dev);
  }

  private arpRcv(dev: NetDevice, b: Uint8Array): void {
    const arp = parseArp(b);
    if (!arp) return this.drop('bad-header', b, dev);
    const sender = addrFromBytes(arp.senderIp);
    const target = addrFromBytes(arp.targetIp);
    if (!isAny(sender)) this.neighLearn(dev, sender, arp.senderMac);
    if (arp.op === ARPOP_REQUEST && dev.addresses.some((a) => addrEqual(a.addr, target))) {
      const reply = buildArp({ op: ARPOP_REPLY, senderMac: dev.mac, senderIp: target.bytes, targetMac: arp.senderMac, targetIp: arp.senderIp });
      dev.xmit(buildEth(arp.senderMac, dev.mac, ETH_P_ARP, reply));
    }
  }

  /** ip_rcv() + ip_rcv_finish() + ip_local_deliver(). */
  private ipRcv(dev: NetDevice, b: Uint8Array): void {
    const h = parseIpv4(b);
    if (!h) return this.drop('ip-header', b, dev);
    if (!ipv4ChecksumOk(b, h.ihl)) return this.drop('ip-checksum', b, dev);
    const datagram = b.subarray(0, h.totalLength);
    const dst = addr4At(b, 16);
    const src = addr4At(b, 12);
    if (!this.isLocal(dst) && !(dst.bytes[0] === 255 && dst.bytes[3] === 255)) return this.forward(dev, 4, dst, datagram, h.ttl);
    if (h.flagsFrag & 0x3fff) return this.drop('other', datagram, dev); // fragments: not modelled
    const pkt: InPacket = { family: 4, src, dst, protocol: h.protocol, payload: datagram.subarray(h.ihl), ttl: h.ttl, tos: h.tos, dev, datagram };
    this.localDeliver(pkt);
  }

  private ipv6Rcv(dev: NetDevice, b: Uint8Array): void {
    const h = parseIpv6(b);
    if (!h) return this.drop('ip-header', b, dev);
    const datagram = b.subarray(0, 40 + h.payloadLength);
    const dst = addrFromBytes(h.dst);
    const src = addrFromBytes(h.src);
    const forUs = this.isLocal(dst) || (isMulticast(dst) && (dst.text === 'ff02::1' || dev.addresses.some((a) => addrEqual(solicitedNode(a.addr), dst))));
    if (!forUs) return this.forward(dev, 6, dst, datagram, h.hopLimit);
    const pkt: InPacket = { family: 6, src, dst, protocol: h.nextHeader, payload: datagram.subarray(40), ttl: h.hopLimit, tos: h.trafficClass, dev, datagram };
    this.localDeliver(pkt);
  }

  private localDeliver(pkt: InPacket): void {
    if (pkt.protocol === IPPROTO_ICMP && pkt.family === 4) return this.icmpRcv(pkt);
    if (pkt.protocol === IPPROTO_ICMPV6 && pkt.family === 6) return this.icmp6Rcv(pkt);
    const proto = this.protocols.get(pkt.protocol);
    if (!proto) {
      this.drop('proto-unreachable', pkt.datagram, pkt.dev);
      return this.icmpSend(pkt, 'proto-unreachable');
    }
    proto.receive(pkt);
  }

  /** ip_forward(): routers only; TTL expiry answers with ICMP time exceeded. */
  private forward(dev: NetDevice, family: 4 | 6, dst: IpAddr, datagram: Uint8Array, ttl: number): void {
    if (!this.forwarding) return this.drop('not-for-us', datagram, dev);
    if (ttl <= 1) {
      this.drop('ip-ttl', datagram, dev);
      const h = family === 4 ? parseIpv4(datagram)! : parseIpv6(datagram)!;
      return this.icmpSend({ family, src: addrFromBytes(h.src), dst, protocol: 0, payload: new Uint8Array(), ttl, tos: 0, dev, datagram }, 'ttl');
    }
    const copy = datagram.slice();
    if (family === 4) {
      copy[8] = ttl - 1;
      copy[10] = copy[11] = 0;
      const c = ipv4HeaderChecksum(copy);
      copy[10] = c >> 8;
      copy[11] = c & 255;
    } else copy[7] = ttl - 1;
    const path = this.route(dst);
    if (!path || path.local) return this.drop('no-route', datagram, dev);
    this.sendDatagram(path, family, dst, copy);
  }

  // ---- ICMP ----------------------------------------------------------------------------------

  private icmpRcv(pkt: InPacket): void {
    if (!icmpChecksumOk(pkt.payload)) return this.drop('icmp-checksum', pkt.datagram, pkt.dev);
    const m = parseIcmp(pkt.payload)!;
    if (m.type === ICMP_ECHO) {
      const reply = buildIcmp(ICMP_ECHOREPLY, 0, m.rest, m.body);
      this.ipOutput({ family: 4, src: pkt.dst, dst: pkt.src, protocol: IPPROTO_ICMP, payload: reply });
      return;
    }
    if (m.type === ICMP_DEST_UNREACH || m.type === ICMP_TIME_EXCEEDED) this.icmpErrorToTransport(4, m.type, m.code, m.body);
  }

  private icmp6Rcv(pkt: InPacket): void {
    if (!icmp6ChecksumOk(pkt.src.bytes, pkt.dst.bytes, pkt.payload)) return this.drop('icmp-checksum', pkt.datagram, pkt.dev);
    const m = parseIcmp(pkt.payload)!;
    if (m.type === NDISC_NEIGHBOUR_SOLICITATION || m.type === NDISC_NEIGHBOUR_ADVERTISEMENT) return this.ndiscRcv(pkt, m.type, m.body);
    if (m.type === ICMPV6_ECHO_REQUEST) {
      const reply = buildIcmp6(pkt.dst.bytes, pkt.src.bytes, ICMPV6_ECHO_REPLY, 0, m.rest, m.body);
      this.ipOutput({ family: 6, src: pkt.dst, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: reply });
      return;
    }
    if (m.type === ICMPV6_DEST_UNREACH || m.type === ICMPV6_TIME_EXCEED) this.icmpErrorToTransport(6, m.type, m.code, m.body);
  }

  private ndiscRcv(pkt: InPacket, type: number, body: Uint8Array): void {
    if (body.length < 16) return;
    const target = addrFromBytes(body.subarray(0, 16));
    const lladdr = body.length >= 24 && (body[16] === 1 || body[16] === 2) ? body.subarray(18, 24) : undefined;
    if (type === NDISC_NEIGHBOUR_SOLICITATION) {
      if (lladdr && !isAny(pkt.src)) this.neighLearn(pkt.dev, pkt.src, lladdr);
      if (!pkt.dev.addresses.some((a) => addrEqual(a.addr, target))) return;
      const na = new Uint8Array(16 + 8);
      na.set(target.bytes, 0);
      na[16] = 2; // target link-layer address option
      na[17] = 1;
      na.set(pkt.dev.mac, 18);
      // Solicited + override flags in the reserved word.
      const icmp = buildIcmp6(target.bytes, pkt.src.bytes, NDISC_NEIGHBOUR_ADVERTISEMENT, 0, 0x60000000, na);
      this.ipOutput({ family: 6, src: target, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: icmp, ttl: 255 });
    } else if (lladdr) {
      this.neighLearn(pkt.dev, target, lladdr);
    }
  }

  /** icmp_unreach → the transport's err handler: the quoted header says which socket. */
  private icmpErrorToTransport(family: 4 | 6, type: number, code: number, body: Uint8Array): void {
    const inner = family === 4 ? parseIpv4Quoted(body) : parseIpv6Quoted(body);
    if (!inner) return;
    const proto = this.protocols.get(inner.protocol);
    proto?.error?.({ family, type, code, src: inner.src, dst: inner.dst, protocol: inner.protocol, quoted: inner.transport });
  }

  /** icmp_send / icmpv6_send: an error about `pkt` back to its sender. */
  icmpSend(pkt: InPacket, what: 'port-unreachable' | 'proto-unreachable' | 'ttl'): void {
    if (isMulticast(pkt.dst) || isAny(pkt.src)) return;
    if (pkt.family === 4) {
      if (pkt.protocol === IPPROTO_ICMP && pkt.payload[0] !== ICMP_ECHO && pkt.payload[0] !== ICMP_ECHOREPLY) return; // never about ICMP errors
      const [type, code] = what === 'ttl' ? [ICMP_TIME_EXCEEDED, 0] : [ICMP_DEST_UNREACH, what === 'port-unreachable' ? 3 : 2];
      const body = buildIcmp(type, code, 0, quote(pkt.datagram, 576 - 20 - 8));
      const src = this.isLocal(pkt.dst) ? pkt.dst : this.route(pkt.src)?.src;
      if (!src) return;
      this.ipOutput({ family: 4, src, dst: pkt.src, protocol: IPPROTO_ICMP, payload: body });
    } else {
      const [type, code] = what === 'ttl' ? [ICMPV6_TIME_EXCEED, 0] : [ICMPV6_DEST_UNREACH, what === 'port-unreachable' ? 4 : 1];
      const src = this.isLocal(pkt.dst) ? pkt.dst : this.route(pkt.src)?.src;
      if (!src) return;
      const body = buildIcmp6(src.bytes, pkt.src.bytes, type, code, 0, quote(pkt.datagram, 1280 - 40 - 8));
      this.ipOutput({ family: 6, src, dst: pkt.src, protocol: IPPROTO_ICMPV6, payload: body });
    }
  }

  // ---- events --------------------------------------------------------------------------------

  drop(reason: DropReason, bytes: Uint8Array, dev?: NetDevice): void {
    traceKfreeSkb(this.kernel, reason, bytes, dev);
    this.network.events.emit('drop', { time: this.network.sim.now, host: this.name, ...(dev ? { dev: dev.name } : {}), reason, bytes });
  }
}

function maskPrefix(a: IpAddr, len: number): { addr: IpAddr; len: number } {
  const b = a.bytes.slice();
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return { addr: addrFromBytes(b), len };
}

/** ff02::1:ffXX:XXXX */
function solicitedNode(a: IpAddr): IpAddr {
  const b = new Uint8Array(16);
  b[0] = 0xff;
  b[1] = 0x02;
  b[11] = 1;
  b[12] = 0xff;
  b.set(a.bytes.subarray(13), 13);
  return addrFromBytes(b);
}

/** 01:00:5e + low 23 bits (IPv4), 33:33 + low 32 bits (IPv6). */
function multicastMac(a: IpAddr): Mac {
  if (a.family === 4) return Uint8Array.of(1, 0, 0x5e, a.bytes[1]! & 0x7f, a.bytes[2]!, a.bytes[3]!);
  return Uint8Array.of(0x33, 0x33, a.bytes[12]!, a.bytes[13]!, a.bytes[14]!, a.bytes[15]!);
}

function ipv4HeaderChecksum(b: Uint8Array): number {
  const ihl = (b[0]! & 15) * 4;
  let sum = 0;
  for (let i = 0; i < ihl; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface Quoted {
  src: IpAddr;
  dst: IpAddr;
  protocol: number;
  transport: Uint8Array;
}

/** The IPv4 header an ICMP error quotes (it may be cut short after 8 transport bytes). */
function parseIpv4Quoted(b: Uint8Array): Quoted | undefined {
  if (b.length < 20 || b[0]! >> 4 !== 4) return undefined;
  const ihl = (b[0]! & 15) * 4;
  if (b.length < ihl + 8) return undefined;
  return { src: addrFromBytes(b.subarray(12, 16)), dst: addrFromBytes(b.subarray(16, 20)), protocol: b[9]!, transport: b.subarray(ihl) };
}

function parseIpv6Quoted(b: Uint8Array): Quoted | undefined {
  if (b.length < 48 || b[0]! >> 4 !== 6) return undefined;
  return { src: addrFromBytes(b.subarray(8, 24)), dst: addrFromBytes(b.subarray(24, 40)), protocol: b[6]!, transport: b.subarray(40) };
}

/** Whether a frame's destination address (its first 6 bytes) is `mac`. */
function frameDstIs(frame: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}
