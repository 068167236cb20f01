// One-line summaries of frames for the timeline ("10.0.0.1:40000 > 10.0.0.2:80 TCP [SYN] len 0").
import { addrFromBytes, parseEth, parseIcmp, parseIpv4, parseIpv6, parseTcp, parseUdp } from '@bpfsim/net';

const TCP_FLAGS: [number, string][] = [
  [2, 'SYN'],
  [16, 'ACK'],
  [8, 'PSH'],
  [1, 'FIN'],
  [4, 'RST'],
];

function transport(proto: number, src: string, dst: string, body: Uint8Array, v6: boolean): string {
  const ep = (a: string, p: number): string => (v6 ? `[${a}]:${p}` : `${a}:${p}`);
  if (proto === 6) {
    const t = parseTcp(body);
    if (!t) return `${src} > ${dst} TCP (truncated)`;
    const f = TCP_FLAGS.filter(([bit]) => t.flags & bit).map(([, n]) => n).join(',');
    return `${ep(src, t.srcPort)} > ${ep(dst, t.dstPort)} TCP [${f}] seq ${t.seq >>> 0} len ${t.payload.length}`;
  }
  if (proto === 17) {
    const u = parseUdp(body);
    return u ? `${ep(src, u.srcPort)} > ${ep(dst, u.dstPort)} UDP len ${u.length - 8}` : `${src} > ${dst} UDP (truncated)`;
  }
  if (proto === 1 || proto === 58) {
    const m = parseIcmp(body);
    return m ? `${src} > ${dst} ICMP${v6 ? 'v6' : ''} type ${m.type} code ${m.code}` : `${src} > ${dst} ICMP (truncated)`;
  }
  return `${src} > ${dst} proto ${proto}`;
}

/** A frame of `dev` as one line; lo carries bare IP datagrams, other devices Ethernet. */
export function summarizeFrame(frame: Uint8Array): string {
  let ethType = 0;
  let ip = frame;
  if (frame.length && frame[0]! >> 4 === 4) ethType = 0x0800;
  else if (frame.length && frame[0]! >> 4 === 6) ethType = 0x86dd;
  const eth = ethType ? undefined : parseEth(frame);
  if (eth) {
    ethType = eth.type;
    ip = eth.payload;
  }
  if (ethType === 0x0806) return 'ARP';
  if (ethType === 0x0800) {
    const h = parseIpv4(ip);
    if (!h) return 'IPv4 (truncated)';
    return transport(h.protocol, addrFromBytes(h.src).text, addrFromBytes(h.dst).text, ip.subarray(h.ihl, h.totalLength), false);
  }
  if (ethType === 0x86dd) {
    const h = parseIpv6(ip);
    if (!h) return 'IPv6 (truncated)';
    return transport(h.nextHeader, addrFromBytes(h.src).text, addrFromBytes(h.dst).text, ip.subarray(40, 40 + h.payloadLength), true);
  }
  return `ethertype 0x${ethType.toString(16)}`;
}
