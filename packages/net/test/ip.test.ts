// The IP layer end to end: ARP and neighbour discovery, routing through a router, ICMP
// echo and errors, link impairments (and a delayed lo), captures.
import type { DropEvent, Host, PacketEvent } from '../src';
import { AF_INET, ICMPV6_ECHO_REQUEST, ICMP_ECHO, IPPROTO_ICMP, IPPROTO_ICMPV6, MS, Network, SOCK_STREAM, SocketApi, ZERO_MAC, buildEth, buildIcmp, buildIcmp6, parseAddr, parseEth, parseIcmp, parseIpv4, parseIpv6, parseTcp, readPcapNg } from '../src';

function lan(options: { loss?: number } = {}) {
  const net = new Network({ seed: 3 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 100_000, ...options });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  a.addAddress('eth0', 'fd00::1/64');
  b.addAddress('eth0', 'fd00::2/64');
  return { net, a, b };
}

function ping4(from: Host, dst: string, seq: number): number {
  const d = parseAddr(dst);
  const path = from.route(d)!;
  return from.ipOutput({ family: 4, src: path.src, dst: d, protocol: IPPROTO_ICMP, payload: buildIcmp(ICMP_ECHO, 0, (1 << 16) | seq, Uint8Array.of(0xab)) });
}

/** ICMP echo replies seen arriving at `host`. */
function replies(net: Network, host: string): number[] {
  const seen: number[] = [];
  net.events.on('packet', (e: PacketEvent) => {
    // lo frames are seen once, going out; other devices' replies come in.
    if (e.host !== host || (e.dir !== 'in' && e.dev !== 'lo')) return;
    const eth = parseEth(e.frame)!;
    if (eth.type === 0x0800) {
      const ip = parseIpv4(eth.payload)!;
      if (ip.protocol === 1) {
        const m = parseIcmp(eth.payload.subarray(ip.ihl))!;
        if (m.type === 0) seen.push(m.rest & 0xffff);
      }
    } else if (eth.type === 0x86dd) {
      const ip = parseIpv6(eth.payload)!;
      if (ip.nextHeader === 58) {
        const m = parseIcmp(eth.payload.subarray(40))!;
        if (m.type === 129) seen.push(m.rest & 0xffff);
      }
    }
  });
  return seen;
}

describe('IPv4 on a LAN', () => {
  test('ARP resolves the neighbour, the echo is answered, and the exchange is what a capture shows', () => {
    const { net, a } = lan();
    const got = replies(net, 'a');
    const cap = net.capture(['a/eth0']);
    expect(ping4(a, '10.0.0.2', 1)).toBe(0);
    net.sim.run();
    expect(got).toEqual([1]);
    const pcap = readPcapNg(cap.stop());
    const types = pcap.packets.map((p) => parseEth(p.data)!.type.toString(16));
    // ARP request out, ARP reply in, echo out, echo reply in.
    expect(types).toEqual(['806', '806', '800', '800']);
    expect(pcap.packets.map((p) => p.ns)).toEqual([0n, 200000n, 200000n, 400000n]);
    // A second ping goes straight out: the neighbour is known.
    ping4(a, '10.0.0.2', 2);
    net.sim.run();
    expect(got).toEqual([1, 2]);
  });
  test('an unanswered ARP is retried 3 times, then the queued datagram is dropped', () => {
    const { net, a } = lan();
    const drops: DropEvent[] = [];
    net.events.on('drop', (e) => drops.push(e));
    ping4(a, '10.0.0.99', 1);
    net.sim.run();
    expect(net.sim.now).toBe(3000 * MS);
    expect(drops.map((d) => d.reason)).toContain('neigh-failed');
  });
  test('no route: -ENETUNREACH and a no-route drop', () => {
    const { net, a } = lan();
    const drops: string[] = [];
    net.events.on('drop', (e) => drops.push(e.reason));
    expect(ping4(a, '10.0.0.2', 1)).toBe(0);
    const d = parseAddr('192.0.2.1');
    expect(a.route(d)).toBeUndefined();
    expect(a.ipOutput({ family: 4, src: parseAddr('10.0.0.1'), dst: d, protocol: IPPROTO_ICMP, payload: new Uint8Array(8) })).toBe(-101);
    expect(drops).toEqual(['no-route']);
  });
  test('a router forwards between subnets and decrements the TTL; TTL 1 gets time exceeded', () => {
    const net = new Network();
    const a = net.addHost('a');
    const r = net.addHost('r', { forwarding: true });
    const b = net.addHost('b');
    net.connect(a.addDevice(), r.addDevice());
    net.connect(r.addDevice(), b.addDevice());
    a.addAddress('eth0', '10.0.1.2/24');
    r.addAddress('eth0', '10.0.1.1/24');
    r.addAddress('eth1', '10.0.2.1/24');
    b.addAddress('eth0', '10.0.2.2/24');
    a.addRoute('0.0.0.0/0', { via: '10.0.1.1' });
    b.addRoute('0.0.0.0/0', { via: '10.0.2.1' });
    const got = replies(net, 'a');
    const ttls: number[] = [];
    net.events.on('packet', (e) => {
      if (e.host === 'b' && e.dir === 'in') {
        const eth = parseEth(e.frame)!;
        if (eth.type === 0x800) ttls.push(parseIpv4(eth.payload)!.ttl);
      }
    });
    ping4(a, '10.0.2.2', 7);
    net.sim.run();
    expect(got).toEqual([7]);
    expect(ttls).toEqual([63]);
    const errs: number[] = [];
    net.events.on('packet', (e) => {
      if (e.host === 'a' && e.dir === 'in') {
        const eth = parseEth(e.frame)!;
        const ip = parseIpv4(eth.payload);
        if (ip?.protocol === 1) errs.push(parseIcmp(eth.payload.subarray(ip.ihl))!.type);
      }
    });
    a.ipOutput({ family: 4, src: parseAddr('10.0.1.2'), dst: parseAddr('10.0.2.2'), protocol: IPPROTO_ICMP, payload: buildIcmp(ICMP_ECHO, 0, 9, new Uint8Array()), ttl: 1 });
    net.sim.run();
    expect(errs).toEqual([11]);
  });
});

describe('IPv6', () => {
  test('neighbour discovery and echo', () => {
    const { net, a } = lan();
    const got = replies(net, 'a');
    const src = parseAddr('fd00::1');
    const dst = parseAddr('fd00::2');
    a.ipOutput({ family: 6, src, dst, protocol: IPPROTO_ICMPV6, payload: buildIcmp6(src.bytes, dst.bytes, ICMPV6_ECHO_REQUEST, 0, 5, Uint8Array.of(1)) });
    net.sim.run();
    expect(got).toEqual([5]);
  });
});

describe('loopback and links', () => {
  test('a datagram to an own address goes through lo', () => {
    const { net, a } = lan();
    const got = replies(net, 'a');
    ping4(a, '10.0.0.1', 3);
    ping4(a, '127.0.0.5', 4);
    net.sim.run();
    expect(got).toEqual([3, 4]);
    expect(net.sim.now).toBe(0);
  });
  test('a lo with a one-way delay holds every frame that long, in the order sent', () => {
    const net = new Network();
    const h = net.addHost('h');
    h.lo.delay = 5 * MS;
    // Frames of an ethertype no handler takes come back in as 'other' drops: when, and which.
    const arrived: string[] = [];
    net.events.on('drop', (e) => arrived.push(`${e.time / MS}:${e.bytes[14]}`));
    const send = (n: number): void => void h.lo.xmit(buildEth(ZERO_MAC, ZERO_MAC, 0x88b5, Uint8Array.of(n), false));
    send(1);
    send(2);
    net.sim.schedule(1 * MS, () => {
      send(3);
      send(4);
    });
    net.sim.schedule(5 * MS, () => send(5));
    net.sim.run();
    expect(arrived).toEqual(['5:1', '5:2', '6:3', '6:4', '10:5']);
    expect(h.lo.stats).toMatchObject({ txPackets: 5, rxPackets: 5 });
  });
  test('a TCP connect over a lo with a 5 ms one-way delay takes one round trip, 10 ms', () => {
    const net = new Network({ seed: 5 });
    const h = net.addHost('h');
    h.lo.delay = 5 * MS;
    const api = new SocketApi(h, h.kernel.spawn({ comm: 'p' }));
    const l = api.socket(AF_INET, SOCK_STREAM);
    api.bind(l, { family: 4, addr: '127.0.0.1', port: 9000 });
    api.listen(l);
    const events: string[] = [];
    net.events.on('packet', (e) => {
      const t = parseTcp(e.frame.subarray(14 + 20))!;
      const what = t.flags & 0x02 ? (t.flags & 0x10 ? 'SYN-ACK' : 'SYN') : 'ACK';
      events.push(`${e.time / MS} ms: ${what} ${t.srcPort === 9000 ? '<-' : '->'}`);
    });
    net.events.on('tcp:state', (e) => events.push(`${e.time / MS} ms: ${e.to}${e.socket.includes(':9000 ->') ? ' (server)' : ''}`));
    const c = api.socket(AF_INET, SOCK_STREAM);
    expect(api.connectStart(c, { family: 4, addr: '127.0.0.1', port: 9000 })).toBe(false);
    net.sim.runFor(20 * MS);
    expect(events).toEqual([
      '0 ms: TCP_SYN_SENT',
      '0 ms: SYN ->',
      '5 ms: SYN-ACK <-',
      '10 ms: TCP_ESTABLISHED',
      '10 ms: ACK ->',
      '15 ms: TCP_ESTABLISHED (server)',
    ]);
    expect(api.getpeername(api.accept(l)).port).toBe(api.getsockname(c).port);
  });
  test('a lossy link drops some echoes; the same seed drops the same ones', () => {
    const run = (): number[] => {
      const { net, a } = lan({ loss: 0.3 });
      const got = replies(net, 'a');
      for (let i = 0; i < 40; i++) net.sim.schedule(i * MS, () => ping4(a, '10.0.0.2', i));
      net.sim.run();
      return got;
    };
    const first = run();
    expect(first.length).toBeGreaterThan(5);
    expect(first.length).toBeLessThan(40);
    expect(run()).toEqual(first);
  });
  test('a cut link drops; healed, it carries again', () => {
    const { net, a } = lan();
    const got = replies(net, 'a');
    ping4(a, '10.0.0.2', 1);
    net.sim.run();
    net.links[0]!.cut();
    ping4(a, '10.0.0.2', 2);
    net.sim.run();
    net.links[0]!.heal();
    ping4(a, '10.0.0.2', 3);
    net.sim.run();
    expect(got).toEqual([1, 3]);
  });
  test('bandwidth serialises frames and the queue bounds them', () => {
    const net = new Network();
    const a = net.addHost('a');
    const b = net.addHost('b');
    // 8 Mbit/s: a 1000-byte frame takes 1 ms; queue of 3.
    const link = net.connect(a.addDevice(), b.addDevice(), { delay: 0, bandwidth: 8_000_000, queue: 3 });
    const arrivals: number[] = [];
    net.events.on('packet', (e) => {
      if (e.host === 'b' && e.dir === 'in') arrivals.push(e.time);
    });
    for (let i = 0; i < 5; i++) a.device('eth0').xmit(new Uint8Array(1000));
    net.sim.run();
    expect(arrivals).toEqual([1 * MS, 2 * MS, 3 * MS]);
    expect(link.stats.queueDrops).toBe(2);
  });
});
