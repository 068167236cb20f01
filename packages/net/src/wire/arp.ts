// ARP for IPv4 over Ethernet (RFC 826): requests and replies.
import type { Mac } from './ethernet';

export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

export interface ArpPacket {
  op: number;
  senderMac: Mac;
  senderIp: Uint8Array;
  targetMac: Mac;
  targetIp: Uint8Array;
}

export function parseArp(b: Uint8Array): ArpPacket | undefined {
  if (b.length < 28) return undefined;
  // htype Ethernet (1), ptype IPv4, hlen 6, plen 4
  if (b[0] !== 0 || b[1] !== 1 || b[2] !== 0x08 || b[3] !== 0 || b[4] !== 6 || b[5] !== 4) return undefined;
  return { op: (b[6]! << 8) | b[7]!, senderMac: b.slice(8, 14), senderIp: b.slice(14, 18), targetMac: b.slice(18, 24), targetIp: b.slice(24, 28) };
}

export function buildArp(p: ArpPacket): Uint8Array {
  const out = new Uint8Array(28);
  out.set([0, 1, 0x08, 0, 6, 4, 0, p.op]);
  out.set(p.senderMac, 8);
  out.set(p.senderIp, 14);
  out.set(p.targetMac, 18);
  out.set(p.targetIp, 24);
  return out;
}
