// Ethernet II frames (IEEE 802.3): destination, source, EtherType, payload. No FCS (as
// captures on Linux show frames). MAC addresses are 6-byte arrays.

import { claimHeadroom } from './headroom';

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_HLEN = 14;
/** Smallest frame on the wire without FCS (short frames are padded). */
export const ETH_ZLEN = 60;

export type Mac = Uint8Array;

export const BROADCAST_MAC: Mac = Uint8Array.of(255, 255, 255, 255, 255, 255);
export const ZERO_MAC: Mac = new Uint8Array(6);

export interface EthFrame {
  dst: Mac;
  src: Mac;
  type: number;
  payload: Uint8Array;
}

/** A parsed frame: the address views are made when asked for (most frames are only looked
 * at for their type and payload). */
class EthView implements EthFrame {
  readonly type: number;
  readonly payload: Uint8Array;
  constructor(private readonly b: Uint8Array) {
    this.type = (b[12]! << 8) | b[13]!;
    this.payload = b.subarray(ETH_HLEN);
  }
  get dst(): Mac {
    return this.b.subarray(0, 6);
  }
  get src(): Mac {
    return this.b.subarray(6, 12);
  }
}

export function parseEth(b: Uint8Array): EthFrame | undefined {
  if (b.length < ETH_HLEN) return undefined;
  return new EthView(b);
}

export function buildEth(dst: Mac, src: Mac, type: number, payload: Uint8Array, pad = true): Uint8Array {
  const len = Math.max(ETH_HLEN + payload.length, pad ? ETH_ZLEN : 0);
  // The header goes in the payload's headroom when it has some and no padding is due
  // (headroom.ts).
  if (len === ETH_HLEN + payload.length) {
    const room = claimHeadroom(payload, ETH_HLEN);
    if (room) {
      room.set(dst, 0);
      room.set(src, 6);
      room[12] = type >> 8;
      room[13] = type & 255;
      return room;
    }
  }
  const out = new Uint8Array(len);
  out.set(dst, 0);
  out.set(src, 6);
  out[12] = type >> 8;
  out[13] = type & 255;
  out.set(payload, ETH_HLEN);
  return out;
}

export const macText = (m: Mac): string => [...m].map((x) => x.toString(16).padStart(2, '0')).join(':');

export function parseMac(text: string): Mac {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`'${text}' is not a MAC address`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export const isMulticastMac = (m: Mac): boolean => (m[0]! & 1) === 1;
export const macEqual = (a: Mac, b: Mac): boolean => a.every((x, i) => x === b[i]);
