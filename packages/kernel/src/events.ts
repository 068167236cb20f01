// The kernel's events: one typed emitter per Kernel (kernel.events) for what the kernel
// itself reports — every cgroup program run ('hook:run', cgroup/runner.ts) and every
// tracepoint program run ('tracepoint:run', tracing/tracepoints.ts). Higher packages add
// theirs to KernelEvents by module augmentation (sockmap: 'msg:verdict',
// 'msg:disposition'). The kernel package cannot import the network simulation, so a
// simulation reaches these through a sink (pipe()): net's Network forwards each event,
// stamped with its host's name, onto the simulation's one emitter.
//
// Emitters ask listening(name) before they build an event: with nobody listening (here or
// through a sink) an event costs that check only.
import type { HookRunEvent } from './cgroup/runner';
import type { TraceRunEvent } from './tracing/tracepoints';

/** A kernel's events, by name: the payload each carries. */
export interface KernelEvents {
  /** One program run by a cgroup hook. */
  'hook:run': HookRunEvent;
  /** One program run from a tracepoint. */
  'tracepoint:run': TraceRunEvent;
}

export type KernelEventName = keyof KernelEvents & string;

/** Somewhere else a kernel's events go (a simulation's emitter). */
export interface KernelEventSink {
  /** Whether an event of this name would reach anyone there. */
  listening(name: KernelEventName): boolean;
  emit<K extends KernelEventName>(name: K, payload: KernelEvents[K]): void;
}

type Listener<K extends KernelEventName> = (e: KernelEvents[K]) => void;

export class KernelEmitter {
  /** Listeners by event name (a new array on each change: one may unsubscribe while called). */
  private readonly listeners = new Map<KernelEventName, readonly Listener<never>[]>();
  private sinks: readonly KernelEventSink[] = [];

  /** Listens to `name`; returns the function that stops it. */
  on<K extends KernelEventName>(name: K, listener: Listener<K>): () => void {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), listener as Listener<never>]);
    return () => this.off(name, listener);
  }

  off<K extends KernelEventName>(name: K, listener: Listener<K>): void {
    const ls = this.listeners.get(name);
    if (!ls) return;
    const rest = ls.filter((l) => l !== listener);
    if (rest.length) this.listeners.set(name, rest);
    else this.listeners.delete(name);
  }

  /** Whether an event of this name would reach anyone (a listener or a sink's). */
  listening(name: KernelEventName): boolean {
    if (this.listeners.has(name)) return true;
    for (const s of this.sinks) if (s.listening(name)) return true;
    return false;
  }

  emit<K extends KernelEventName>(name: K, payload: KernelEvents[K]): void {
    const ls = this.listeners.get(name) as readonly Listener<K>[] | undefined;
    if (ls) for (const l of ls) l(payload);
    for (const s of this.sinks) if (s.listening(name)) s.emit(name, payload);
  }

  /** Sends every event on to `sink` too; returns the function that stops it. */
  pipe(sink: KernelEventSink): () => void {
    this.sinks = [...this.sinks, sink];
    return () => {
      this.sinks = this.sinks.filter((s) => s !== sink);
    };
  }
}
