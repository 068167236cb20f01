// The pcapng files the simulation writes open in tshark (Wireshark's dissector engine)
// without a warning or a malformed packet, and tshark reads back what the stack sent. Runs
// where tshark is installed (Debian: apt-get install tshark); elsewhere it is skipped with
// that reason (the pcapng reader test in wire.test.ts still parses the files).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ICMP_ECHO, ICMPV6_ECHO_REQUEST, IPPROTO_ICMP, IPPROTO_ICMPV6, Network, buildIcmp, buildIcmp6, parseAddr } from '../src';

const tshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const why = tshark.status === 0 ? undefined : 'tshark is not installed';
const maybe = why ? test.skip : test;
if (why) console.log(`pcap-tshark: skipped (${why})`);

function capture(): Uint8Array {
  const net = new Network({ seed: 9 });
  const a = net.addHost('a');
  const b = net.addHost('b');
  net.connect(a.addDevice(), b.addDevice(), { delay: 50_000 });
  a.addAddress('eth0', '10.0.0.1/24');
  b.addAddress('eth0', '10.0.0.2/24');
  a.addAddress('eth0', 'fd00::1/64');
  b.addAddress('eth0', 'fd00::2/64');
  const cap = net.capture();
  const d4 = parseAddr('10.0.0.2');
  a.ipOutput({ family: 4, src: a.route(d4)!.src, dst: d4, protocol: IPPROTO_ICMP, payload: buildIcmp(ICMP_ECHO, 0, (1 << 16) | 1, Uint8Array.of(1, 2, 3)) });
  const d6 = parseAddr('fd00::2');
  const s6 = a.route(d6)!.src;
  a.ipOutput({ family: 6, src: s6, dst: d6, protocol: IPPROTO_ICMPV6, payload: buildIcmp6(s6.bytes, d6.bytes, ICMPV6_ECHO_REQUEST, 0, (1 << 16) | 2, Uint8Array.of(4, 5)) });
  // A datagram to a closed port: the ICMP port unreachable quotes it.
  a.ipOutput({ family: 4, src: a.route(d4)!.src, dst: d4, protocol: 17, payload: Uint8Array.of(0x9c, 0x40, 0x30, 0x39, 0, 9, 0, 0, 7) });
  net.sim.run();
  return cap.stop();
}

maybe('tshark reads every packet with checksum validation on, with no warning and no malformed frame', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-pcap-'));
  try {
    const file = path.join(dir, 'capture.pcapng');
    fs.writeFileSync(file, capture());
    const r = spawnSync('tshark', ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE', '-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.protocols', '-e', '_ws.expert.severity', '-e', '_ws.malformed'], { encoding: 'utf8' });
    // tshark's own note about running as root is not about the file.
    const stderr = r.stderr.split('\n').filter((l) => l.trim() && !/^Running as user "root"/.test(l));
    expect(stderr).toEqual([]);
    expect(r.status).toBe(0);
    const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.length).toBeGreaterThanOrEqual(12);
    // No expert info at warning level or above, nothing malformed.
    const bad = rows.filter((c) => (c[3] ?? '') !== '' || /warn|error/i.test(c[2] ?? ''));
    expect(bad).toEqual([]);
    const protos = rows.map((c) => c[1]!);
    expect(protos.filter((p) => p.endsWith(':arp')).length).toBe(4);
    expect(protos.some((p) => p === 'eth:ethertype:ip:icmp:data')).toBe(true);
    expect(protos.some((p) => p.startsWith('eth:ethertype:ipv6:icmpv6'))).toBe(true);
    // The port unreachable quotes our UDP datagram.
    expect(protos.some((p) => p.startsWith('eth:ethertype:ip:icmp:ip:udp'))).toBe(true);
    // One interface block per device: both ends' eth0 appear by name.
    expect(new Set(rows.map((c) => c[0]))).toEqual(new Set(['a/eth0', 'b/eth0']));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
