// A simulated network: the simulation (clock, events, RNG) and what lives in it — hosts,
// links between their devices, bridges — plus packet capture to pcapng. The world builder
// of the scenario package drives this; tests use it directly.
import type { KernelProfile } from '@bpfsim/kernel';
import type { Simulation } from './sim/simulation';
import { Simulation as Sim } from './sim/simulation';
import type { NetEvents } from './events';
import type { HostOptions } from './iface/host';
import { Host } from './iface/host';
import type { NetDevice } from './iface/device';
import { EthernetDevice } from './iface/device';
import { Bridge } from './link/bridge';
import type { LinkOptions } from './link/link';
import { Link } from './link/link';
import { PcapNgWriter } from './wire/pcapng';

export interface NetworkOptions {
  seed?: number;
  /** The Linux every host's kernel behaves as: '6.18' (default) or '4.17' (KERNEL_PROFILES). */
  profile?: KernelProfile;
}

export class Network {
  readonly sim: Simulation<NetEvents>;
  readonly hosts = new Map<string, Host>();
  readonly links: Link[] = [];
  readonly bridges = new Map<string, Bridge>();
  private nextMac = 1;
  private netnsCookies = 0n;

  readonly profile: KernelProfile;

  constructor(options: NetworkOptions = {}) {
    this.sim = new Sim<NetEvents>({ seed: options.seed ?? 1 });
    this.profile = options.profile ?? '6.18';
  }

  get events(): Simulation<NetEvents>['events'] {
    return this.sim.events;
  }

  addHost(name: string, options: HostOptions = {}): Host {
    if (this.hosts.has(name)) throw new Error(`a host named ${name} exists`);
    const h = new Host(this, name, options);
    this.hosts.set(name, h);
    // The host kernel's events go on, stamped with the host, to the simulation's emitter
    // (built only when someone listens there).
    const events = this.sim.events;
    const emit = events.emit as (event: string, payload: unknown) => boolean;
    h.kernel.events.pipe({
      listening: (event) => events.listenerCount(event) > 0,
      emit: (event, payload) => void emit.call(events, event, { ...payload, host: name }),
    });
    return h;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  addBridge(name: string): Bridge {
    if (this.bridges.has(name)) throw new Error(`a bridge named ${name} exists`);
    const b = new Bridge(name);
    this.bridges.set(name, b);
    return b;
  }

  /** A locally administered, unicast MAC: 02:00:00:xx:xx:xx, in creation order. */
  /** net->net_cookie: each host is a network namespace; cookies count from 1. */
  nextNetnsCookie(): bigint {
    return ++this.netnsCookies;
  }

  allocMac(): Uint8Array {
    const n = this.nextMac++;
    return Uint8Array.of(0x02, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255);
  }

  /** A link between two devices (or a device and a new port of a bridge). */
  connect(a: EthernetDevice, b: EthernetDevice | Bridge, options: LinkOptions = {}): Link {
    const bEnd = b instanceof Bridge ? b.addPort() : b;
    const name = `${a.host.name}/${a.name}<->${b instanceof Bridge ? bEnd.name : `${b.host.name}/${b.name}`}`;
    const link = new Link(name, this.sim, this.sim.rng.split(`link:${name}`), a, bEnd, options, {
      onDrop: (_l, from, frame, reason) => {
        const host = from instanceof EthernetDevice ? from.host.name : name;
        this.events.emit('drop', { time: this.sim.now, host, reason, bytes: frame });
      },
    });
    for (const end of [a, bEnd]) {
      if ('link' in end) {
        if (end.link) throw new Error(`${end.name} is already connected`);
        end.link = link;
      }
    }
    this.links.push(link);
    return link;
  }

  /** Emits a 'packet' event for every frame a device sends or receives. */
  watchDevice(host: Host, dev: NetDevice): void {
    dev.captures.add((frame, dir) => {
      if (this.events.listenerCount('packet')) this.events.emit('packet', { time: this.sim.now, host: host.name, dev: dev.name, dir, frame: frame.slice() });
    });
  }

  /** Captures devices ('host/dev', or every device when none are named) into a pcapng file. */
  capture(devices?: string[]): { stop(): Uint8Array } {
    const w = new PcapNgWriter();
    const ids = new Map<string, number>();
    const want = devices ? new Set(devices) : undefined;
    for (const h of this.hosts.values()) {
      for (const d of h.devices.values()) {
        const key = `${h.name}/${d.name}`;
        if (!want || want.has(key)) ids.set(key, w.addInterface({ name: key }));
      }
    }
    if (want) for (const k of want) if (!ids.has(k)) throw new Error(`capture: no device ${k}`);
    const listener = (e: { host: string; dev: string; dir: 'in' | 'out'; frame: Uint8Array; time: number }): void => {
      const id = ids.get(`${e.host}/${e.dev}`);
      // lo shows each frame once (on the way out), as tcpdump -i lo does.
      if (id !== undefined && !(e.dev === 'lo' && e.dir === 'in')) w.addPacket(id, e.time, e.frame);
    };
    this.events.on('packet', listener);
    return {
      stop: () => {
        this.events.off('packet', listener);
        return w.bytes();
      },
    };
  }
}
