// Network devices (struct net_device): a name and ifindex, a MAC, an MTU, up/down, the
// addresses configured on it, and a transmit side. Frames a device sends or receives are
// shown to its captures (a pcap tap sees both directions, as tcpdump on the device does).
import type { Link, Port } from '../link/link';
import type { Mac } from '../wire/ethernet';
import type { IpAddr } from '../wire/addr';

export interface DeviceAddress {
  addr: IpAddr;
  prefixLen: number;
}

export type CaptureDirection = 'in' | 'out';
export type Capture = (frame: Uint8Array, dir: CaptureDirection) => void;

/** What a device needs from its host. */
export interface DeviceHost {
  readonly name: string;
  /** A frame arrived on `dev` (netif_receive_skb). */
  netifReceive(dev: NetDevice, frame: Uint8Array): void;
  /** Runs `fn` as a softirq would: at the current instant (or `delay` ns later), after
   * what is already due then. */
  defer(fn: () => void, delay?: number): void;
  /** The driver took a frame (net:net_dev_xmit). */
  traceXmit?(dev: NetDevice, frame: Uint8Array): void;
}

/** dev_queue_xmit()'s answers (include/linux/netdevice.h). */
export const NET_XMIT_SUCCESS = 0;
export const NET_XMIT_DROP = 1;

export abstract class NetDevice implements Port {
  up = true;
  readonly addresses: DeviceAddress[] = [];
  readonly captures = new Set<Capture>();
  readonly stats = { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxDropped: 0, txDropped: 0 };

  constructor(
    readonly host: DeviceHost,
    readonly name: string,
    readonly ifindex: number,
    readonly mac: Mac,
    public mtu: number,
  ) {}

  /** dev_queue_xmit(): sends a frame out of the device. NET_XMIT_SUCCESS (0), or
   * NET_XMIT_DROP when the transmit queue refused it — a local drop the sender is told
   * of (TCP takes it as congestion, not loss). A refused frame is not captured: tcpdump
   * sees frames as the queue hands them to the driver. */
  xmit(frame: Uint8Array): number {
    if (!this.up) {
      this.stats.txDropped++;
      return NET_XMIT_SUCCESS;
    }
    const rc = this.transmit(frame);
    if (rc !== NET_XMIT_SUCCESS) {
      this.stats.txDropped++;
      return rc;
    }
    this.stats.txPackets++;
    this.stats.txBytes += frame.length;
    for (const c of this.captures) c(frame, 'out');
    this.host.traceXmit?.(this, frame);
    return NET_XMIT_SUCCESS;
  }

  protected abstract transmit(frame: Uint8Array): number;

  /** Port: a frame from the link. */
  receiveFrame(frame: Uint8Array): void {
    if (!this.up) {
      this.stats.rxDropped++;
      return;
    }
    this.stats.rxPackets++;
    this.stats.rxBytes += frame.length;
    for (const c of this.captures) c(frame, 'in');
    this.host.netifReceive(this, frame);
  }
}

/** What a LoopbackDevice.txFilter may say of a frame it lets through, beside `true`. */
export interface LoopbackTxVerdict {
  /** Hold the frame this many ns longer than `delay` (frames sent after it whose time comes
   * first are delivered first: reordering). Default 0. */
  extraDelay?: number;
  /** Deliver this many more copies of the frame right after it: each copy is received as
   * its own frame as soon as the receive processing of the one before returns (before other
   * frames due at the same instant), as a delay line that re-sends a packet the moment it
   * has released it. Default 0. */
  copies?: number;
  /** Called with each copy just before it is received (a capture's view of it: the copy is
   * a packet of its own, sent at that moment). */
  onCopy?: (copy: Uint8Array) => void;
}

/** lo: what is sent comes back in (loopback_xmit → netif_rx). */
export class LoopbackDevice extends NetDevice {
  /** One-way delay in ns: 0 (Linux's lo) delivers each frame at once, more holds every
   * frame that long, in order (a fixed-delay line, as `tc qdisc add dev lo root netem
   * delay`; a frame in flight keeps the delay it was sent with). */
  delay = 0;
  /** A filter every frame passes on its way out (an iptables rule on the way in, as a
   * scripted delay line drops, holds or duplicates packets): `true` lets the frame through,
   * `false` drops it (counted in txDropped; the sender is not told), a LoopbackTxVerdict lets
   * it through held longer (`extraDelay`) and/or followed by copies (`copies`). Frames due at
   * the same instant are delivered in the order they were sent: deterministic. */
  txFilter: ((frame: Uint8Array) => boolean | LoopbackTxVerdict) | undefined;

  protected transmit(frame: Uint8Array): number {
    const verdict = this.txFilter ? this.txFilter(frame) : true;
    if (verdict === false) {
      // Dropped on the way in, as the delay line's rule does: the sender is not told.
      this.stats.txDropped++;
      return NET_XMIT_SUCCESS;
    }
    const v = verdict === true ? undefined : verdict;
    const copy = frame.slice();
    const copies = v?.copies ?? 0;
    this.host.defer(() => {
      this.deliver(copy);
      for (let k = 0; k < copies; k++) {
        const dup = copy.slice();
        // The copy is a frame of its own, sent now (by the delay line): captures see it go out.
        for (const c of this.captures) c(dup, 'out');
        v!.onCopy?.(dup);
        this.deliver(dup);
      }
    }, this.delay + (v?.extraDelay ?? 0));
    return NET_XMIT_SUCCESS;
  }

  private deliver(frame: Uint8Array): void {
    this.stats.rxPackets++;
    this.stats.rxBytes += frame.length;
    this.host.netifReceive(this, frame);
  }

  /** Loopback frames are captured once, as they go out (tcpdump -i lo shows each once). */
  override receiveFrame(frame: Uint8Array): void {
    this.host.netifReceive(this, frame);
  }
}

/** An Ethernet device, plugged into a link (or nothing: frames go nowhere). */
export class EthernetDevice extends NetDevice {
  link: Link | undefined;

  protected transmit(frame: Uint8Array): number {
    if (!this.link) {
      this.stats.txDropped++;
      return NET_XMIT_SUCCESS;
    }
    return this.link.transmit(this, frame) ? NET_XMIT_SUCCESS : NET_XMIT_DROP;
  }
}
