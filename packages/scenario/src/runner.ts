// Runs a scenario: builds its World, starts run(w), and moves the simulation's clock only
// when every process is waiting (microtasks drained), until run() settles, the network is
// quiet, or the time limit passes. Collects the timeline (hook runs, TCP states, packets,
// syscalls, expectations) and, on request, one pcapng per device.
import type { HookEvent } from '@bpfsim/net';
import { MS, PcapNgWriter } from '@bpfsim/net';
import { ExpectationFailed, ScenarioError } from './errors';
import { summarizeFrame } from './packets';
import type { ScenarioDef } from './scenario';
import type { TimelineEvent } from './timeline';
import { World } from './world';
import type { ProgramRecord, WorldMap, WorldProgramOptions } from './world';

export interface RunOptions {
  seed?: number;
  /** Collect a pcapng per device ("host/dev" → file bytes). */
  pcap?: boolean;
  /** Values for w.param() (bpfsim sweep); a parameter not given takes its default. */
  params?: Record<string, string | number>;
  /** The engine every host's kernel runs programs on (default: the JIT). */
  engine?: 'jit' | 'interp';
  /** Program overrides, the verifier log level and a load callback (the playground). */
  programs?: WorldProgramOptions;
  /** Read every map's entries at the end (RunResult.maps); at most this many per map. */
  dumpMaps?: number;
}

/** A map's contents at the end of a run (RunOptions.dumpMaps). */
export interface MapDump {
  host: string;
  name: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  /** Keys and values as bytes, in GET_NEXT_KEY order (undefined value: not readable from
   * user space, as a sockmap's with a 4-byte value slot is when empty). */
  entries: { key: Uint8Array; value: Uint8Array | undefined }[];
  /** More entries than dumpMaps allowed. */
  truncated: boolean;
  /** Why the map could not be read (maps whose lookups from user space fail, e.g. stack maps' missing ids). */
  error?: string;
}

export interface RunResult {
  name: string;
  seed: number;
  /** true when run() finished and every expectation held. */
  ok: boolean;
  /** Why not: the failed expectation or the error, one line. */
  failure?: { code: string; message: string };
  events: TimelineEvent[];
  /** Virtual time at the end, ns. */
  endNs: number;
  expectations: { passed: number; failed: number };
  pcaps?: Map<string, Uint8Array>;
  /**
   * What the run measured: the scenario's w.metric() values and the built-in ones
   * (BUILTIN_METRICS: virtual_ms, expectations_failed, packets, hook_runs, retransmits).
   */
  metrics: Record<string, number>;
  /** The parameter names run() asked for with w.param(), in order. */
  paramsRead: string[];
  /** The links of the world (host/device pairs), for renderSvg. */
  links: { a: { host: string; dev: string }; b: { host: string; dev: string } }[];
  /** Every program the scenario loaded or tried to (with its verifier log at
   * RunOptions.programs.logLevel). */
  programs: ProgramRecord[];
  /** With RunOptions.dumpMaps: every map's entries at the end. */
  maps?: MapDump[];
}

/** Settles microtasks: loops until a few turns pass with no process activity. */
async function drain(w: World): Promise<void> {
  let last = -1;
  for (let stable = 0; stable < 6; ) {
    await Promise.resolve();
    if (w.activity === last) stable++;
    else {
      stable = 0;
      last = w.activity;
    }
  }
}

export async function runScenario(def: ScenarioDef, opts: RunOptions = {}): Promise<RunResult> {
  const seed = opts.seed ?? def.seed ?? 1;
  const w = new World(seed, opts.params ?? {}, { ...(opts.engine ? { engine: opts.engine } : {}), ...(opts.programs ? { programs: opts.programs } : {}) });
  const net = w.net;
  let retransmits = 0;
  net.events.on('tcp:retransmit', () => retransmits++);
  const limit = (def.timeLimitMs ?? 60_000) * MS;
  net.events.on('hook', (e: HookEvent) => {
    w.activity++;
    const { time: _time, progs, ...rest } = e;
    w.events.push({ t: net.sim.now, kind: 'hook', ...rest, progs: progs.map(({ durationNs: _d, ...p }) => p) });
  });
  net.events.on('tcp:state', (e) => w.events.push({ t: e.time, kind: 'tcp', host: e.host, socket: e.socket, from: e.from, to: e.to }));
  const pcaps = opts.pcap ? new Map<string, { w: PcapNgWriter; id: number }>() : undefined;
  net.events.on('packet', (e) => {
    if (e.dir === 'out') w.events.push({ t: e.time, kind: 'packet', host: e.host, dev: e.dev, summary: summarizeFrame(e.frame) });
    if (pcaps && !(e.dev === 'lo' && e.dir === 'in')) {
      const key = `${e.host}/${e.dev}`;
      let p = pcaps.get(key);
      if (!p) {
        const writer = new PcapNgWriter();
        p = { w: writer, id: writer.addInterface({ name: key }) };
        pcaps.set(key, p);
      }
      p.w.addPacket(p.id, e.time, e.frame);
    }
  });

  let settled = false;
  let failure: RunResult['failure'];
  // The scenario ends when run() does; processes still waiting then (servers) are left.
  const main = Promise.resolve().then(() => def.run(w));
  main.then(
    () => (settled = true),
    (e: unknown) => {
      settled = true;
      failure = describe(e);
    },
  );
  for (;;) {
    await drain(w);
    if (w.processFailure !== undefined && !failure) failure = describe(w.processFailure);
    if (settled || failure) break;
    if (net.sim.now > limit) {
      failure = { code: 'E_TIMEOUT', message: `the scenario did not finish within ${limit / MS} ms of virtual time` };
      break;
    }
    if (!net.sim.step()) {
      await drain(w);
      if (settled) break;
      failure = { code: 'E_STUCK', message: 'every process is waiting and the network is quiet: nothing more can happen (a recv or accept that no one will answer?)' };
      break;
    }
  }
  // Let what is in flight land (ACKs, FINs) for the timeline and the captures, with the
  // processes still running between events (the same stepping as above, so the tail is as
  // deterministic as the rest).
  if (!failure) {
    const end = Math.min(net.sim.now + 200 * MS, limit);
    for (;;) {
      const next = net.sim.nextTime();
      if (next === undefined || next > end) break;
      net.sim.step();
      await drain(w);
    }
    net.sim.runUntil(end);
  }
  const expects = w.events.filter((e) => e.kind === 'expect');
  const failed = expects.filter((e) => !e.ok).length;
  const builtin: Record<string, number> = {
    virtual_ms: net.sim.now / MS,
    expectations_failed: failed,
    packets: w.events.filter((e) => e.kind === 'packet').length,
    hook_runs: w.events.filter((e) => e.kind === 'hook').length,
    retransmits,
  };
  return {
    name: def.name,
    seed,
    ok: !failure && failed === 0,
    ...(failure ? { failure } : {}),
    events: w.events,
    endNs: net.sim.now,
    expectations: { passed: expects.length - failed, failed },
    metrics: { ...w.metrics, ...builtin },
    paramsRead: [...w.paramsRead],
    links: w.links,
    programs: w.programs,
    ...(opts.dumpMaps !== undefined ? { maps: w.maps.map((m) => dumpMap(m, opts.dumpMaps!)) } : {}),
    ...(pcaps ? { pcaps: new Map([...pcaps].map(([k, v]) => [k, v.w.bytes()])) } : {}),
  };
}

function dumpMap(m: WorldMap & { host: string }, max: number): MapDump {
  const d: MapDump = { host: m.host, name: m.name, type: m.spec.type, keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, entries: [], truncated: false };
  try {
    for (const key of m.handle.keys()) {
      if (d.entries.length >= max) {
        d.truncated = true;
        break;
      }
      let value: Uint8Array | undefined;
      try {
        value = m.handle.lookup(key);
      } catch {
        value = undefined;
      }
      d.entries.push({ key, value });
    }
  } catch (e) {
    d.error = e instanceof Error ? e.message : String(e);
  }
  return d;
}

function describe(e: unknown): { code: string; message: string } {
  if (e instanceof ExpectationFailed || e instanceof ScenarioError) return { code: e.code, message: e.message };
  const err = e as { code?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && typeof err.message === 'string') return { code: err.code, message: err.message };
  return { code: 'E_ERROR', message: e instanceof Error ? e.message : String(e) };
}
