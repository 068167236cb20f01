// A host: one network namespace (struct net) with its devices (lo first), addresses and
// routes, the protocol table transports register in (inet_protos) and the socket types
// (inet_protosw), its cgroup BPF hooks, and its kernel (processes, cgroups, BPF). Frames
// come in through netifReceive (net/core/dev.c: __netif_receive_skb_core, eth_type_trans);
// the layers live beside it: ipv4.ts and ipv6.ts, neighbour.ts (ARP, NDP), icmp.ts, route.ts.
import type { Region } from '@bpfsim/vm';
import { Kernel } from '@bpfsim/kernel';
import type { KernelOptions, Process } from '@bpfsim/kernel';
import type { Sock } from '../sock/sock';
import { installUdp } from '../udp/udp';
import { installTcp } from '../tcp/tcp-ipv4';
import type { TcpProtocol } from '../tcp/tcp-ipv4';
import { HZ, JIFFY_NS } from '../tcp/tcp-timer';
import type { TcpSysctls } from '../tcp/tcp-sysctl';
import { tcpSysctlDefaults } from '../tcp/tcp-sysctl';
import { CONGESTION_OPS } from '../tcp/tcp-cong';
import type { DropReason } from '../events';
import type { Network } from '../network';
import type { NetHooks } from '../sock/hooks';
import type { PortKind } from '../ports/port-table';
import { PortTable } from '../ports/port-table';
import { traceKfreeSkb, traceNetDevXmit, traceNetifReceive } from '../bpf/tracepoints';
import type { IpAddr } from '../wire/addr';
import { addrEqual, isLoopback, parsePrefix } from '../wire/addr';
import { ETH_HLEN, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, ZERO_MAC } from '../wire/ethernet';
import type { Mac } from '../wire/ethernet';
import type { DeviceHost } from './device';
import { EthernetDevice, LoopbackDevice } from './device';
import type { NetDevice } from './device';
import { Icmp } from './icmp';
import type { IcmpErrorKind } from './icmp';
import { Ipv4 } from './ipv4';
import { Ipv6 } from './ipv6';
import { Neighbours } from './neighbour';
import type { PathInfo } from './route';
import { RoutingTable, maskPrefix, routeOutput } from './route';

export type { PathInfo } from './route';

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
  /** sysctl net.ipv4.tcp_congestion_control: what new TCP sockets use — 'cubic' (Linux's
   * default), 'reno' or 'bbr' (this machine's); TCP_CONGESTION picks per socket. */
  tcpCongestionControl?: string;
  /** This host's monotonic clock at virtual time 0, ns (default 0). The kernel's clocks
   * tick on it: jiffies is floor((now + clockBase) / 4 ms) at HZ=250 — where the timer
   * wheel's ticks fall, and which of its coarse slots a long TCP timer lands in — and the
   * TCP timestamp clock counts its whole milliseconds. Replaying a trace, the kernel's
   * (jiffies × TICK_NSEC, plus where in its tick the trace began). */
  clockBase?: number;
  kernel?: KernelOptions;
}

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
  /** The namespace's net.ipv4.tcp_* sysctls (and the net.core buffer limits TCP reads):
   * this machine's 6.18 values, or 4.17's, until changed. */
  readonly tcpSysctl: TcpSysctls;
  /** HostOptions.clockBase: the monotonic clock at virtual time 0, ns. */
  readonly clockBase: number;
  /** sysctl net.ipv4.tcp_timestamps (HostOptions.tcpTimestamps). */
  get tcpTimestamps(): 0 | 1 {
    return this.tcpSysctl.tcpTimestamps;
  }
  set tcpTimestamps(v: 0 | 1) {
    this.tcpSysctl.tcpTimestamps = v;
  }
  /** inet_protosw: how socket(family, type, protocol) makes a socket; the UDP and TCP
   * modules register themselves here (protocol 0 picks the type's default). */
  readonly protosw = new Map<string, SockFactory>();
  /** cgroup BPF hook call sites (the hooks package fills these in). */
  hooks: NetHooks = {};
  /** The struct bpf_sock views bpf_sk_lookup_tcp/udp handed programs and bpf_sk_release
   * has not given back yet (bpf/sock-helpers.ts). */
  readonly skLookups = new Set<Region>();
  /** The cookie of this host's network namespace (bpf_get_netns_cookie). */
  readonly netnsCookie: bigint;
  /** The local port tables (inet_hashinfo's bind hash for TCP, udp_table for UDP), each
   * made on first use (it splits its generator off the simulation's then): portTable(). */
  private readonly ports: { tcp?: PortTable; udp?: PortTable } = {};
  private nextIfindex = 1;
  private cookie = 0n;
  private readonly neigh = new Neighbours(this);
  private readonly icmp = new Icmp(this, this.neigh);
  private readonly ipv4 = new Ipv4(this, this.neigh, this.icmp);
  private readonly ipv6 = new Ipv6(this, this.neigh, this.icmp);

  constructor(
    readonly network: Network,
    readonly name: string,
    options: HostOptions = {},
  ) {
    this.forwarding = options.forwarding ?? false;
    const base = options.clockBase ?? 0;
    if (!Number.isSafeInteger(base) || base < 0) throw new RangeError(`host ${name}: clockBase must be a whole number of ns >= 0 (a monotonic clock: jiffies × ${JIFFY_NS} at HZ=${HZ}, plus the phase), got ${base}`);
    this.clockBase = base;
    this.tcpSysctl = { ...tcpSysctlDefaults(network.profile), ...(options.tcpTimestamps !== undefined ? { tcpTimestamps: options.tcpTimestamps } : {}) };
    if (options.tcpCongestionControl !== undefined) {
      const known = [...CONGESTION_OPS.keys()];
      if (!known.includes(options.tcpCongestionControl)) throw new RangeError(`host ${name}: tcpCongestionControl must be one of ${known.join(', ')} (net.ipv4.tcp_available_congestion_control), got ${JSON.stringify(options.tcpCongestionControl)}`);
      this.tcpSysctl.tcpCongestionControl = options.tcpCongestionControl;
    }
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

  /** The host's port table for a protocol. */
  portTable(kind: PortKind): PortTable {
    return (this.ports[kind] ??= new PortTable(this, kind));
  }

  /** sock_gen_cookie(): socket cookies, from 1, per host. */
  nextSocketCookie(): bigint {
    return ++this.cookie;
  }

  // ---- DeviceHost ------------------------------------------------------------------------

  traceXmit(dev: NetDevice, frame: Uint8Array): void {
    traceNetDevXmit(this.kernel, dev, frame);
  }

  defer(fn: () => void, delay = 0): void {
    this.network.sim.schedule(delay, fn);
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

  // ---- the IP layer ----------------------------------------------------------------------------

  /** How a datagram to `dst` leaves, and the source address to use (routeOutput()). */
  route(dst: IpAddr, oif?: NetDevice, src?: IpAddr): PathInfo | undefined {
    return routeOutput(this, dst, oif, src);
  }

  /** ip_queue_xmit / ip6_xmit: route, build the datagram, resolve the next hop, send.
   * Returns 0 or a negative errno (-ENETUNREACH when no route). */
  ipOutput(p: OutPacket): number {
    return p.family === 4 ? this.ipv4.output(p) : this.ipv6.output(p);
  }

  /** netif_receive_skb(): a frame arrived on `dev`; its ethertype picks the handler. */
  netifReceive(dev: NetDevice, frame: Uint8Array): void {
    traceNetifReceive(this.kernel, dev, frame);
    if (frame.length < ETH_HLEN) return this.drop('bad-header', frame, dev);
    // eth_type_trans(): PACKET_OTHERHOST frames are not ours (compared in the frame itself).
    if (dev !== this.lo && (frame[0]! & 1) === 0 && !frameDstIs(frame, dev.mac)) return this.drop('not-for-us', frame, dev);
    const type = (frame[12]! << 8) | frame[13]!;
    const payload = frame.subarray(ETH_HLEN);
    if (type === ETH_P_ARP) return this.neigh.arpRcv(dev, payload);
    if (type === ETH_P_IP) return this.ipv4.rcv(dev, payload);
    if (type === ETH_P_IPV6) return this.ipv6.rcv(dev, payload);
    this.drop('other', frame, dev);
  }

  /** icmp_send / icmpv6_send: an error about `pkt` back to its sender. */
  icmpSend(pkt: InPacket, what: IcmpErrorKind): void {
    this.icmp.send(pkt, what);
  }

  // ---- events --------------------------------------------------------------------------------

  drop(reason: DropReason, bytes: Uint8Array, dev?: NetDevice): void {
    traceKfreeSkb(this.kernel, reason, bytes, dev);
    if (this.network.events.listenerCount('drop')) this.network.events.emit('drop', { time: this.network.sim.now, host: this.name, ...(dev ? { dev: dev.name } : {}), reason, bytes });
  }
}

/** Whether a frame's destination address (its first 6 bytes) is `mac`. */
function frameDstIs(frame: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}
