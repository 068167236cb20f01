import fc from 'fast-check';
import {
  BROADCAST_MAC,
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_PORT_UNREACH,
  IPPROTO_TCP,
  IPPROTO_UDP,
  PcapNgWriter,
  TCP_ACK,
  TCP_SYN,
  buildArp,
  buildEth,
  buildIcmp,
  buildIcmp6,
  buildIpv4,
  buildIpv6,
  buildTcp,
  buildUdp,
  checksum,
  encodeOptions,
  icmp6ChecksumOk,
  icmpChecksumOk,
  inPrefix,
  ipv4ChecksumOk,
  parseAddr,
  parseArp,
  parseEth,
  parseIcmp,
  parseIpv4,
  parseIpv6,
  parseMac,
  parsePrefix,
  parseTcp,
  parseUdp,
  readPcapNg,
  tcpChecksumOk,
  udpChecksumOk,
  v4Mapped,
  isV4Mapped,
  unmapV4,
} from '../src';

const a4 = parseAddr('10.0.0.1').bytes;
const b4 = parseAddr('10.0.0.2').bytes;
const a6 = parseAddr('fd00::1').bytes;
const b6 = parseAddr('fd00::2').bytes;

describe('Internet checksum', () => {
  test('the RFC 1071 example sums to 0xddf2 (complement 0x220d)', () => {
    expect(checksum(Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7))).toBe(0x220d);
  });
  test('a well-known IPv4 header: checksum field 0xb861', () => {
    const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
    expect(checksum(h)).toBe(0xb861);
  });
});

describe('addresses and prefixes', () => {
  test('canonical text, prefixes, v4-mapped', () => {
    expect(parseAddr('FD00:0:0::1').text).toBe('fd00::1');
    expect(() => parseAddr('10.0.0')).toThrow(/not an IPv4 or IPv6 address/);
    expect(inPrefix(parseAddr('10.1.2.3'), parsePrefix('10.0.0.0/8'))).toBe(true);
    expect(inPrefix(parseAddr('11.1.2.3'), parsePrefix('10.0.0.0/8'))).toBe(false);
    expect(inPrefix(parseAddr('fd00::5'), parsePrefix('fd00::/64'))).toBe(true);
    const m = v4Mapped(parseAddr('192.0.2.1'));
    expect(m.text).toBe('::ffff:192.0.2.1');
    expect(isV4Mapped(m)).toBe(true);
    expect(unmapV4(m).text).toBe('192.0.2.1');
  });
});

describe('headers round-trip with valid checksums', () => {
  test('IPv4 + UDP, and a corrupted byte fails the checksum', () => {
    const udp = buildUdp(a4, b4, 40000, 53, Uint8Array.of(1, 2, 3));
    const ip = buildIpv4({ src: a4, dst: b4, protocol: IPPROTO_UDP, id: 7 }, udp);
    const h = parseIpv4(ip)!;
    expect(h).toMatchObject({ ihl: 20, totalLength: 31, protocol: IPPROTO_UDP, ttl: 64, id: 7, flagsFrag: 0x4000 });
    expect(ipv4ChecksumOk(ip, 20)).toBe(true);
    const seg = ip.subarray(20);
    expect(parseUdp(seg)).toMatchObject({ srcPort: 40000, dstPort: 53, length: 11 });
    expect(udpChecksumOk(a4, b4, seg)).toBe(true);
    seg[9] = seg[9]! ^ 0xff;
    expect(udpChecksumOk(a4, b4, seg)).toBe(false);
  });
  test('TCP segments with options over IPv4 and IPv6 (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          srcPort: fc.integer({ min: 0, max: 65535 }),
          dstPort: fc.integer({ min: 0, max: 65535 }),
          seq: fc.integer({ min: 0, max: 0xffffffff }),
          ack: fc.integer({ min: 0, max: 0xffffffff }),
          flags: fc.integer({ min: 0, max: 255 }),
          window: fc.integer({ min: 0, max: 65535 }),
        }),
        fc.record({ mss: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }), wscale: fc.option(fc.integer({ min: 0, max: 14 }), { nil: undefined }), sackPermitted: fc.option(fc.constant(true), { nil: undefined }), ts: fc.option(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })), { nil: undefined }) }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (s, opts, payload, v6) => {
          const options = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
          const [src, dst] = v6 ? [a6, b6] : [a4, b4];
          const seg = buildTcp(src, dst, { ...s, options }, payload);
          expect(tcpChecksumOk(src, dst, seg)).toBe(true);
          const p = parseTcp(seg)!;
          expect({ ...p, payload: [...p.payload] }).toMatchObject({ ...s, options, payload: [...payload], headerLength: 20 + encodeOptions(options).length });
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });
  test("a SYN's options come out in Linux's order", () => {
    expect([...encodeOptions({ mss: 1460, sackPermitted: true, ts: [1, 0], wscale: 7 })]).toEqual([2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]);
  });
  test('IPv6 + ICMPv6 and ICMPv4 errors', () => {
    const icmp6 = buildIcmp6(a6, b6, 1, 4, 0, Uint8Array.of(9, 9));
    const ip6 = buildIpv6({ src: a6, dst: b6, nextHeader: 58 }, icmp6);
    expect(parseIpv6(ip6)).toMatchObject({ payloadLength: icmp6.length, nextHeader: 58, hopLimit: 64 });
    expect(icmp6ChecksumOk(a6, b6, ip6.subarray(40))).toBe(true);
    const icmp = buildIcmp(ICMP_DEST_UNREACH, ICMP_PORT_UNREACH, 0, Uint8Array.of(1, 2, 3));
    expect(icmpChecksumOk(icmp)).toBe(true);
    expect(parseIcmp(icmp)).toMatchObject({ type: 3, code: 3, rest: 0 });
  });
  test('Ethernet pads short frames; ARP round-trips', () => {
    const mac = parseMac('02:00:00:00:00:01');
    const arp = { op: 1, senderMac: mac, senderIp: a4, targetMac: new Uint8Array(6), targetIp: b4 };
    const f = buildEth(BROADCAST_MAC, mac, 0x0806, buildArp(arp));
    expect(f.length).toBe(60);
    const e = parseEth(f)!;
    expect(e.type).toBe(0x0806);
    expect(parseArp(e.payload)).toEqual(arp);
    expect(() => parseMac('02:00')).toThrow(/not a MAC/);
  });
  test('malformed headers are refused, not misread', () => {
    expect(parseIpv4(Uint8Array.of(0x45, 0, 0, 10))).toBeUndefined();
    const ip = buildIpv4({ src: a4, dst: b4, protocol: IPPROTO_TCP }, new Uint8Array(4));
    ip[0] = 0x44; // IHL 16 < 20
    expect(parseIpv4(ip)).toBeUndefined();
    expect(parseTcp(new Uint8Array(19))).toBeUndefined();
    const seg = buildTcp(a4, b4, { srcPort: 1, dstPort: 2, seq: 0, ack: 0, flags: TCP_SYN | TCP_ACK, window: 0, options: { mss: 1 } });
    seg[21] = 40; // the MSS option's length, past the header
    expect(parseTcp(seg)).toBeUndefined();
  });
});

describe('pcapng', () => {
  test('interfaces and packets read back with names, link types and ns timestamps', () => {
    const w = new PcapNgWriter();
    const eth0 = w.addInterface({ name: 'h1/eth0' });
    const lo = w.addInterface({ name: 'h1/lo' });
    const f1 = buildEth(BROADCAST_MAC, parseMac('02:00:00:00:00:01'), ETH_P_IP, buildIpv4({ src: a4, dst: b4, protocol: IPPROTO_UDP }, buildUdp(a4, b4, 1, 2, Uint8Array.of(7))));
    w.addPacket(eth0, 1_500_000_123, f1);
    w.addPacket(lo, 2 ** 40 + 5, Uint8Array.of(1, 2, 3));
    const r = readPcapNg(w.bytes());
    expect(r.interfaces).toEqual([
      { name: 'h1/eth0', linkType: 1 },
      { name: 'h1/lo', linkType: 1 },
    ]);
    expect(r.packets.map((p) => [p.interfaceId, p.ns, [...p.data]])).toEqual([
      [0, 1_500_000_123n, [...f1]],
      [1, 2n ** 40n + 5n, [1, 2, 3]],
    ]);
    expect(() => w.addPacket(5, 0, f1)).toThrow(RangeError);
    const bad = w.bytes();
    bad[4] = 13;
    expect(() => readPcapNg(bad)).toThrow(/bad block length 13 at byte 0/);
  });
});
