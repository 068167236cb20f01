// IP addresses as the stack handles them: the family and the bytes in network order (what
// goes on the wire and into sockaddr), with a canonical string (ipaddr.js formats and
// parses). An address is immutable once made.
import ipaddr from 'ipaddr.js';

export type Family = 4 | 6;

export interface IpAddr {
  readonly family: Family;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** Canonical text (RFC 5952 for IPv6): also a map key. */
  readonly text: string;
}

function make(family: Family, bytes: Uint8Array): IpAddr {
  let text: string;
  if (family === 4) text = ipaddr.fromByteArray([...bytes]).toString();
  else if (bytes.subarray(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    // RFC 5952 §5 (and inet_ntop): a v4-mapped address ends in dotted quad.
    text = `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  } else text = (ipaddr.fromByteArray([...bytes]) as ipaddr.IPv6).toRFC5952String();
  return Object.freeze({ family, bytes, text });
}

/** Parses "10.0.0.1" or "fd00::1"; throws a clear error otherwise. */
export function parseAddr(text: string): IpAddr {
  // (IPv4 from the cache: a connect() per connection to one server shares one address; the
  // text seen before goes there without being parsed again.)
  const known = v4Texts.get(text);
  if (known !== undefined) {
    const a = v4Cache.get(known);
    if (a) return a;
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const a = addrFromBytes(Uint8Array.from(ipaddr.IPv4.parse(text).toByteArray()));
    if (v4Texts.size >= 4096) v4Texts.clear();
    v4Texts.set(text, addrValue4(a));
    return a;
  }
  if (ipaddr.IPv6.isValid(text) && text.includes(':')) return make(6, Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray()));
  throw new Error(`'${text}' is not an IPv4 or IPv6 address`);
}

/** IPv4 addresses seen on the wire, by value: every packet carries two, and making one
 * (with its text) costs more than the rest of parsing the header. Addresses are immutable,
 * so one object serves every packet. Bounded, so a scan of the address space cannot grow it
 * without limit. */
const v4Cache = new Map<number, IpAddr>();
/** IPv4 texts parseAddr() has seen, and their values (the key of v4Cache). */
const v4Texts = new Map<string, number>();

/** The IPv4 address at b[at, at + 4) (a received header's source or destination), from the
 * cache without a copy of the bytes. */
export function addr4At(b: Uint8Array, at: number): IpAddr {
  const key = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  const a = v4Cache.get(key);
  return a ?? addrFromBytes(b.slice(at, at + 4));
}

export function addrFromBytes(bytes: Uint8Array): IpAddr {
  if (bytes.length === 4) {
    const key = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    let a = v4Cache.get(key);
    if (!a) {
      if (v4Cache.size >= 65536) v4Cache.clear();
      v4Cache.set(key, (a = make(4, Uint8Array.from(bytes))));
    }
    return a;
  }
  if (bytes.length === 16) return make(6, Uint8Array.from(bytes));
  throw new Error(`an address has 4 or 16 bytes, not ${bytes.length}`);
}

/** An IPv4 address from its 32-bit value (host order). */
export function addr4(value: number): IpAddr {
  return make(4, Uint8Array.of(value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255));
}

export function addrValue4(a: IpAddr): number {
  const b = a.bytes;
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export const ANY4 = addr4(0);
export const ANY6 = make(6, new Uint8Array(16));
export const LOOPBACK4 = addr4(0x7f000001);
export const LOOPBACK6 = make(6, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1));

export const addrEqual = (a: IpAddr, b: IpAddr): boolean => a.text === b.text;
export function isAny(a: IpAddr): boolean {
  const b = a.bytes;
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}
export const isLoopback = (a: IpAddr): boolean => (a.family === 4 ? a.bytes[0] === 127 : a.text === '::1');
export const isMulticast = (a: IpAddr): boolean => (a.family === 4 ? (a.bytes[0]! & 0xf0) === 0xe0 : a.bytes[0] === 0xff);

/** ::ffff:a.b.c.d */
export function isV4Mapped(a: IpAddr): boolean {
  if (a.family !== 6) return false;
  for (let i = 0; i < 10; i++) if (a.bytes[i] !== 0) return false;
  return a.bytes[10] === 0xff && a.bytes[11] === 0xff;
}

export function v4Mapped(a: IpAddr): IpAddr {
  const b = new Uint8Array(16);
  b[10] = b[11] = 0xff;
  b.set(a.bytes, 12);
  return make(6, b);
}

export function unmapV4(a: IpAddr): IpAddr {
  return make(4, a.bytes.slice(12));
}

/** A prefix: address and length ("10.0.0.0/24"). */
export interface Prefix {
  readonly addr: IpAddr;
  readonly len: number;
}

export function parsePrefix(text: string): Prefix {
  const [a, l] = text.split('/');
  const addr = parseAddr(a!);
  const len = l === undefined ? addr.bytes.length * 8 : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > addr.bytes.length * 8) throw new Error(`bad prefix length in '${text}'`);
  return { addr, len };
}

/** Whether `a` is inside `p`. */
export function inPrefix(a: IpAddr, p: Prefix): boolean {
  if (a.family !== p.addr.family) return false;
  let bits = p.len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a.bytes[i]! & mask) !== (p.addr.bytes[i]! & mask)) return false;
  }
  return true;
}
