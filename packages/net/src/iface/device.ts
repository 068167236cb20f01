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

/** lo: what is sent comes back in (loopback_xmit → netif_rx). */
export class LoopbackDevice extends NetDevice {
  /** One-way delay in ns: 0 (Linux's lo) delivers each frame at once, more holds every
   * frame that long, in order (a fixed-delay line, as `tc qdisc add dev lo root netem
   * delay`; a frame in flight keeps the delay it was sent with). */
  delay = 0;
  /** A filter every frame passes on its way out (an iptables rule on the way in, as a
   * scripted delay line drops packets): false drops the frame (counted in txDropped). */
  txFilter: ((frame: Uint8Array) => boolean) | undefined;

  protected transmit(frame: Uint8Array): number {
    if (this.txFilter && !this.txFilter(frame)) {
      // Dropped on the way in, as the delay line's rule does: the sender is not told.
      this.stats.txDropped++;
      return NET_XMIT_SUCCESS;
    }
    const copy = frame.slice();
    this.host.defer(() => {
      this.stats.rxPackets++;
      this.stats.rxBytes += copy.length;
      this.host.netifReceive(this, copy);
    }, this.delay);
    return NET_XMIT_SUCCESS;
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
