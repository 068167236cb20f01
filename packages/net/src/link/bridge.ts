// A learning bridge (a switch): any number of ports; a frame is sent out of the port its
// destination MAC was last seen on, else flooded to every other port (broadcast and
// multicast too). Several hosts then share one Ethernet segment.
import type { Link, Port } from './link';
import type { Mac } from '../wire/ethernet';
import { isMulticastMac } from '../wire/ethernet';

const macKey = (m: Mac): string => [...m].join(':');

export class BridgePort implements Port {
  link: Link | undefined;
  constructor(
    readonly bridge: Bridge,
    readonly name: string,
  ) {}
  receiveFrame(frame: Uint8Array): void {
    this.bridge.forward(this, frame);
  }
  send(frame: Uint8Array): void {
    this.link?.transmit(this, frame);
  }
}

export class Bridge {
  readonly ports: BridgePort[] = [];
  private readonly fdb = new Map<string, BridgePort>();

  constructor(readonly name: string) {}

  addPort(): BridgePort {
    const p = new BridgePort(this, `${this.name}:p${this.ports.length}`);
    this.ports.push(p);
    return p;
  }

  forward(from: BridgePort, frame: Uint8Array): void {
    if (frame.length < 14) return;
    const src = frame.subarray(6, 12);
    if (!isMulticastMac(src)) this.fdb.set(macKey(src), from);
    const dst = frame.subarray(0, 6);
    const out = isMulticastMac(dst) ? undefined : this.fdb.get(macKey(dst));
    if (out) {
      if (out !== from) out.send(frame);
      return;
    }
    for (const p of this.ports) if (p !== from) p.send(frame);
  }
}
