// pcapng (draft-ietf-opsawg-pcapng): a Section Header Block, one Interface Description
// Block per device (link type Ethernet, nanosecond timestamps), and an Enhanced Packet
// Block per frame. Little-endian, as written on x86. Wireshark and tshark read it.

export const LINKTYPE_ETHERNET = 1;

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Options are (code, bytes) padded to 32 bits; 0 ends the list. */
function options(list: [number, Uint8Array][]): Uint8Array {
  if (!list.length) return new Uint8Array();
  const size = list.reduce((s, [, v]) => s + 4 + pad4(v.length), 4);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let o = 0;
  for (const [code, v] of list) {
    dv.setUint16(o, code, true);
    dv.setUint16(o + 2, v.length, true);
    out.set(v, o + 4);
    o += 4 + pad4(v.length);
  }
  return out; // the trailing 4 zero bytes are opt_endofopt
}

const pad4 = (n: number): number => (n + 3) & ~3;
const utf8 = (s: string): Uint8Array => Uint8Array.from(unescape(encodeURIComponent(s)), (c) => c.charCodeAt(0));

function block(type: number, body: Uint8Array): Uint8Array {
  const total = 12 + pad4(body.length);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, total, true);
  out.set(body, 8);
  dv.setUint32(total - 4, total, true);
  return out;
}

export interface PcapInterface {
  name: string;
  linkType?: number;
  snaplen?: number;
}

/** Builds a pcapng file in memory: add interfaces, then packets; bytes() is the file. */
export class PcapNgWriter {
  private readonly chunks: Uint8Array[] = [];
  private interfaces = 0;

  constructor(application = 'bpfsim') {
    const opts = options([[4, utf8(application)]]); // shb_userappl
    const body = new Uint8Array(16 + opts.length);
    const dv = new DataView(body.buffer);
    dv.setUint32(0, BYTE_ORDER_MAGIC, true);
    dv.setUint16(4, 1, true); // major
    dv.setUint16(6, 0, true); // minor
    dv.setInt32(8, -1, true); // section length unknown
    dv.setInt32(12, -1, true);
    body.set(opts, 16);
    this.chunks.push(block(SHB, body));
  }

  /** Adds an interface; returns its id for addPacket. */
  addInterface(i: PcapInterface): number {
    const opts = options([
      [2, utf8(i.name)], // if_name
      [9, Uint8Array.of(9)], // if_tsresol: 10^-9 s
    ]);
    const body = new Uint8Array(8 + opts.length);
    const dv = new DataView(body.buffer);
    dv.setUint16(0, i.linkType ?? LINKTYPE_ETHERNET, true);
    dv.setUint32(4, i.snaplen ?? 262144, true);
    body.set(opts, 8);
    this.chunks.push(block(IDB, body));
    return this.interfaces++;
  }

  /** A frame seen on interface `id` at virtual time `ns`. */
  addPacket(id: number, ns: number, frame: Uint8Array): void {
    if (id < 0 || id >= this.interfaces) throw new RangeError(`no pcapng interface ${id}`);
    const body = new Uint8Array(20 + pad4(frame.length));
    const dv = new DataView(body.buffer);
    dv.setUint32(0, id, true);
    const t = BigInt(Math.round(ns));
    dv.setUint32(4, Number(t >> 32n), true);
    dv.setUint32(8, Number(t & 0xffffffffn), true);
    dv.setUint32(12, frame.length, true); // captured
    dv.setUint32(16, frame.length, true); // original
    body.set(frame, 20);
    this.chunks.push(block(EPB, body));
  }

  bytes(): Uint8Array {
    const total = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** A packet read back from a pcapng file. */
export interface PcapNgPacket {
  interfaceId: number;
  ns: bigint;
  data: Uint8Array;
}

/** Reads a pcapng file as PcapNgWriter writes it (one section, little-endian): for tests
 * and for loading captures. Throws on anything malformed, naming the byte offset. */
export function readPcapNg(file: Uint8Array): { interfaces: { name: string; linkType: number }[]; packets: PcapNgPacket[] } {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const interfaces: { name: string; linkType: number }[] = [];
  const packets: PcapNgPacket[] = [];
  for (let o = 0; o < file.length; ) {
    if (o + 12 > file.length) throw new Error(`pcapng: truncated block at byte ${o}`);
    const type = dv.getUint32(o, true);
    const len = dv.getUint32(o + 4, true);
    if (len < 12 || len % 4 || o + len > file.length || dv.getUint32(o + len - 4, true) !== len) throw new Error(`pcapng: bad block length ${len} at byte ${o}`);
    if (o === 0 && (type !== SHB || dv.getUint32(8, true) !== BYTE_ORDER_MAGIC)) throw new Error('pcapng: no little-endian section header at byte 0');
    if (type === IDB) {
      let name = '';
      for (let p = o + 16; p + 4 <= o + len - 4; ) {
        const code = dv.getUint16(p, true);
        const l = dv.getUint16(p + 2, true);
        if (code === 0) break;
        if (code === 2) name = decodeURIComponent(escape(String.fromCharCode(...file.subarray(p + 4, p + 4 + l))));
        p += 4 + pad4(l);
      }
      interfaces.push({ name, linkType: dv.getUint16(o + 8, true) });
    } else if (type === EPB) {
      const id = dv.getUint32(o + 8, true);
      const ns = (BigInt(dv.getUint32(o + 12, true)) << 32n) | BigInt(dv.getUint32(o + 16, true));
      const cap = dv.getUint32(o + 20, true);
      packets.push({ interfaceId: id, ns, data: file.slice(o + 28, o + 28 + cap) });
    }
    o += len;
  }
  return { interfaces, packets };
}
