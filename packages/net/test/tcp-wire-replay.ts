// Replays a wire case (tcp-wire-cases.ts) in bpfsim as scripts/kernel/probe_tcp_wire.py runs
// it on the live kernel: one host, its lo at MTU 1500 with the case's one-way delay (the
// delay line), the case's delay-line rules (drops, holds, copies: capture(), on lo's
// txFilter), and one event loop over non-blocking sockets doing the steps in order — each
// at or after its `at`, once its `wait` holds — with background sends (one send() of at
// most 1 MiB per writable wakeup), readers (one recv(65536) per readable wakeup) and
// connects finishing as the sockets become ready. The trace is
// normalised exactly as the probe normalises its capture (sequence numbers from each
// direction's ISN, timestamps from its first TSval, times from the first packet).
import { SysError } from '@bpfsim/isa';
import type { Host, Sock } from '../src';
import { AF_INET, AF_INET6, MS, Network, SO, SOCK_STREAM, SOL_SOCKET, SOL_TCP, SocketApi, TCP_CONGESTION, TCP_CORK, TCP_KEEPCNT, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY, TCP_QUICKACK, TCP_STATE } from '../src';
import type { WireCase, WireDir, WireDrop, WireEvent, WireOpt, WirePacket, WireStep } from './tcp-wire-cases';
import { wireRandomDrop } from './tcp-wire-cases';

const CHUNK = 1 << 20;
const BASE_PORT = 39000;

/** What the probe's worker reports of a run, in its format. */
export interface WireRun {
  packets: WirePacket[];
  steps: { t: number; out: unknown }[];
  events: { t: number; sock: string; ev: string; out?: unknown }[];
}

const OPTS: Record<Exclude<WireOpt, 'linger'>, [number, number]> = {
  nodelay: [SOL_TCP, TCP_NODELAY],
  cork: [SOL_TCP, TCP_CORK],
  quickack: [SOL_TCP, TCP_QUICKACK],
  maxseg: [SOL_TCP, TCP_MAXSEG],
  keepidle: [SOL_TCP, TCP_KEEPIDLE],
  keepintvl: [SOL_TCP, TCP_KEEPINTVL],
  keepcnt: [SOL_TCP, TCP_KEEPCNT],
  rcvbuf: [SOL_SOCKET, SO.SO_RCVBUF],
  sndbuf: [SOL_SOCKET, SO.SO_SNDBUF],
  keepalive: [SOL_SOCKET, SO.SO_KEEPALIVE],
  reuseaddr: [SOL_SOCKET, SO.SO_REUSEADDR],
};

interface RSock {
  name: string;
  fd: number;
  sk: Sock;
  closed: boolean;
  connecting: boolean;
  connected: boolean;
  connectErr: string | undefined;
  pending: number;
  tx: number;
  rx: number;
  reader: { want: number | undefined; got: number; done: boolean } | undefined;
  readyAt?: number | undefined;
  writableAt?: number | undefined;
  eof: boolean;
  /** The recording's background reads and writes still to replay (ns, bytes). */
  ioR: { at: number; n: number }[];
  ioW: { at: number; n: number }[];
  /** setsockopt(TCP_CONGESTION)'s errno, when the case's congestion control is not bpfsim's. */
  ccErr?: string | undefined;
}

const pattern = (from: number, n: number): Uint8Array => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) & 0xff;
  return b;
};

const errName = (e: unknown): string => {
  if (e instanceof SysError) return e.code;
  throw e;
};

/** How a replay follows the recording (all optional). */
export interface ReplayOptions {
  seed?: number;
  /** ms from the case start of each step as the live run did it: each step waits until then,
   * so the application's own latency (the probe's event loop takes a fraction of a
   * millisecond to act) is replayed too. */
  stepTimes?: readonly number[];
  /** The recording's background send() and recv() calls ('w' and 'r' events: when, and how
   * many bytes each took or returned): the replay makes the same calls at the same times,
   * so write boundaries (PSH) and reads (window updates) fall where the kernel saw them. */
  io?: readonly WireEvent[];
  /** Without `io` (or past its end): how long after the socket becomes readable / writable
   * the event loop acts, ns. */
  readLatency?: number;
  writeLatency?: number;
  /** HostOptions.clockBase: where the kernel's jiffies stood (wireClockBase). */
  clockBase?: number;
}

/** Runs the case in bpfsim; `index` is the case's place in the list (its port, 39000 + index). */
export function replayWire(c: WireCase, index: number, o: ReplayOptions = {}): WireRun {
  const { seed = 1, stepTimes, readLatency = 100_000, clockBase = 0, writeLatency = readLatency } = o;
  const net = new Network({ seed });
  const host = net.addHost('h', { clockBase });
  host.lo.mtu = 1500;
  host.lo.delay = c.delayMs * MS;
  const port = BASE_PORT + index;
  const frames = capture(host, c);
  const api = new SocketApi(host, host.kernel.spawn({ comm: 'wire' }));
  const sim = net.sim;
  const waitLimit = (c.waitLimitMs ?? 20_000) * MS;
  const fam = c.family === 6 ? AF_INET6 : AF_INET;
  const addr = c.family === 6 ? '::1' : '127.0.0.1';
  const socks = new Map<string, RSock>();
  const steps: WireRun['steps'] = [];
  const events: WireRun['events'] = [];
  const ms = (): number => Math.round(sim.now / 1e3) / 1e3;
  const event = (s: RSock, ev: string, out?: unknown): void => void events.push(out === undefined ? { t: ms(), sock: s.name, ev } : { t: ms(), sock: s.name, ev, out });

  const ioOf = (name: string, ev: 'r' | 'w'): { at: number; n: number }[] => (o.io ?? []).filter((e) => e.sock === name && e.ev === ev).map((e) => ({ at: Math.round(e.t * MS), n: Number(e.out) }));
  const applyOpt = (fd: number, opt: WireOpt, value: number): void => {
    if (opt === 'linger') api.setsockopt(fd, SOL_SOCKET, SO.SO_LINGER, { onoff: 1, linger: value });
    else api.setsockopt(fd, OPTS[opt][0], OPTS[opt][1], value);
  };
  const newSocket = (name: string, opts: [WireOpt, number][] = []): RSock => {
    const fd = api.socket(fam, SOCK_STREAM);
    // A congestion control bpfsim does not have (as bbr was before tcp-bbr.ts): the socket
    // keeps the default, and the step that made it reports the errno (ENOENT) instead of
    // 'ok'; the case goes on.
    let ccErr: string | undefined;
    try {
      api.setsockopt(fd, SOL_TCP, TCP_CONGESTION, c.cc ?? 'cubic');
    } catch (e) {
      ccErr = errName(e);
    }
    for (const [o, v] of opts) applyOpt(fd, o, v);
    const s: RSock = { name, fd, sk: api.socketOf(fd), closed: false, connecting: false, connected: false, connectErr: undefined, pending: 0, tx: 0, rx: 0, reader: undefined, eof: false, ioR: ioOf(name, 'r'), ioW: ioOf(name, 'w'), ccErr };
    socks.set(name, s);
    return s;
  };
  const checkStream = (s: RSock, d: Uint8Array): void => {
    for (let i = 0; i < d.length; i++) if (d[i] !== ((s.rx + i) & 0xff)) return void event(s, 'corrupt', s.rx);
    s.rx += d.length;
  };
  const bgSend = (s: RSock, limit = CHUNK): string | undefined => {
    const n = Math.min(s.pending, limit);
    let k: number;
    try {
      k = api.send(s.fd, pattern(s.tx, n));
    } catch (e) {
      const code = errName(e);
      if (code === 'EAGAIN') return undefined;
      s.pending = 0;
      event(s, 'send-error', code);
      return code;
    }
    s.tx += k;
    s.pending -= k;
    if (s.pending === 0) event(s, 'sent', s.tx);
    return undefined;
  };
  const bgRecv = (s: RSock, limit = 65536): void => {
    const r = s.reader!;
    const want = Math.min(limit, r.want === undefined ? 65536 : r.want - r.got);
    let d: Uint8Array;
    try {
      d = api.recvfrom(s.fd, want).data;
    } catch (e) {
      if (errName(e) === 'EAGAIN') return;
      r.done = true;
      event(s, 'read-error', errName(e));
      return;
    }
    if (!d.length) {
      s.eof = true;
      r.done = true;
      event(s, 'eof');
      event(s, 'read-done', r.got);
      return;
    }
    checkStream(s, d);
    r.got += d.length;
    if (r.want !== undefined && r.got >= r.want) {
      r.done = true;
      event(s, 'read-done', r.got);
    }
  };
  const finishConnect = (s: RSock): void => {
    const e = s.sk.takeError();
    s.connecting = false;
    s.connected = true;
    s.connectErr = e;
    event(s, 'connected', e ?? 'ok');
  };

  const run = (st: WireStep): unknown => {
    try {
      switch (st.op) {
        case 'listen': {
          const s = newSocket(st.sock, [['reuseaddr', 1], ...(st.opts ?? [])]);
          api.bind(s.fd, { family: c.family, addr, port });
          api.listen(s.fd, st.backlog ?? 128);
          return s.ccErr ?? 'ok';
        }
        case 'connect': {
          const s = newSocket(st.sock, st.opts);
          try {
            api.connectStart(s.fd, { family: c.family, addr, port });
          } catch (e) {
            return errName(e);
          }
          s.connecting = true;
          return s.ccErr ?? 'ok';
        }
        case 'accept': {
          const l = socks.get(st.from);
          if (!l || l.closed) return 'EBADF';
          let fd: number;
          try {
            fd = api.accept(l.fd);
          } catch (e) {
            return errName(e);
          }
          socks.set(st.sock, { name: st.sock, fd, sk: api.socketOf(fd), closed: false, connecting: false, connected: true, connectErr: undefined, pending: 0, tx: 0, rx: 0, reader: undefined, eof: false, ioR: ioOf(st.sock, 'r'), ioW: ioOf(st.sock, 'w') });
          return 'ok';
        }
      }
      const s = socks.get(st.sock);
      if (!s || s.closed) return 'EBADF';
      switch (st.op) {
        case 'setopt':
          applyOpt(s.fd, st.opt, st.value);
          return 'ok';
        case 'send':
          s.pending += st.bytes;
          // The step's own send() is the first recorded write after it.
          return bgSend(s, s.ioW.length ? s.ioW.shift()!.n : CHUNK) ?? 'ok';
        case 'recv': {
          let d: Uint8Array;
          try {
            d = api.recvfrom(s.fd, st.max).data;
          } catch (e) {
            return errName(e);
          }
          if (!d.length) s.eof = true;
          checkStream(s, d);
          return d.length;
        }
        case 'read':
          s.reader = { want: st.bytes, got: 0, done: false };
          return 'ok';
        case 'shutdown':
          api.shutdown(s.fd, { rd: 0, wr: 1, rdwr: 2 }[st.how]);
          return 'ok';
        case 'close':
          api.close(s.fd);
          s.closed = true;
          s.pending = 0;
          return 'ok';
        case 'info':
          return api.tcpInfo(s.fd);
        case 'error': {
          let e: string | undefined;
          if (s.connectErr) [e, s.connectErr] = [s.connectErr, undefined];
          else e = s.sk.takeError();
          return e ?? 0;
        }
      }
    } catch (e) {
      return errName(e);
    }
  };

  const waitSock = (st: WireStep): string => st.waitSock ?? (st.op === 'accept' ? st.from : st.sock);
  const holds = (st: WireStep): boolean => {
    const s = socks.get(waitSock(st));
    if (!s) return false;
    const w = st.wait!;
    if (w === 'connected') return s.connected;
    if (w === 'sent') return s.pending === 0;
    if (w === 'read-done') return !!s.reader?.done;
    if (w === 'eof' && s.eof) return true;
    if (s.closed) return false;
    const p = s.sk.poll();
    if (w === 'readable') return p.readable || p.error || p.hup;
    if (w === 'acceptable') return p.readable;
    if (w === 'writable') return p.writable || p.error || p.hup;
    // eof: POLLRDHUP | POLLHUP (the peer's FIN, or the connection gone).
    return p.hup;
  };
  /** One background operation per ready socket (as one poll round does); true if any ran. */
  let wake = Infinity;
  const background = (): boolean => {
    let any = false;
    for (const s of socks.values()) {
      if (s.closed) continue;
      const p = s.sk.poll();
      const outReady = p.writable || p.error || p.hup;
      if (s.connecting && (outReady || s.sk.state === TCP_STATE.TCP_CLOSE)) {
        finishConnect(s);
        any = true;
      }
      const w = s.ioW[0];
      if (s.pending && w) {
        // As recorded: this send() at this time (once writable).
        if (sim.now < w.at) wake = Math.min(wake, w.at);
        else if (outReady) {
          s.ioW.shift();
          const before = s.pending;
          bgSend(s, w.n);
          any ||= s.pending !== before;
        }
      } else if (s.pending && outReady) {
        // The writer, too, wakes a while after the socket became writable.
        s.writableAt ??= sim.now;
        if (sim.now - s.writableAt >= writeLatency) {
          s.writableAt = undefined;
          const before = s.pending;
          bgSend(s);
          any ||= s.pending !== before;
        } else wake = Math.min(wake, s.writableAt + writeLatency);
      } else s.writableAt = undefined;
      const r = s.ioR[0];
      if (s.reader && !s.reader.done && r) {
        // As recorded: a recv() of at most what the kernel's returned, at its time.
        if (sim.now < r.at) wake = Math.min(wake, r.at);
        else if (p.readable || p.error || p.hup) {
          s.ioR.shift();
          bgRecv(s, r.n);
          any = true;
        }
      } else if (s.reader && !s.reader.done && (p.readable || p.error || p.hup)) {
        // The reader wakes `readLatency` after the data (the probe's poll loop is not
        // instant: segments that arrive in a burst are read together).
        s.readyAt ??= sim.now;
        if (sim.now - s.readyAt >= readLatency) {
          s.readyAt = undefined;
          bgRecv(s);
          any = true;
        } else wake = Math.min(wake, s.readyAt + readLatency);
      }
    }
    return any;
  };

  const due = (k: number): number => Math.max((c.steps[k]!.at ?? 0) * MS, Math.round((stepTimes?.[k] ?? 0) * MS));
  let i = 0;
  let waitSince: number | undefined;
  let tailEnd: number | undefined;
  for (let guard = 0; ; guard++) {
    if (guard > 50_000_000) throw new Error(`${c.id}: the replay did not end`);
    let ran = false;
    while (i < c.steps.length) {
      const st = c.steps[i]!;
      if (sim.now < due(i)) break;
      if (st.wait) {
        waitSince ??= sim.now;
        if (!holds(st)) {
          if (sim.now - waitSince > waitLimit) {
            steps.push({ t: ms(), out: 'wait-timeout' });
            i++;
            waitSince = undefined;
            continue;
          }
          break;
        }
      }
      steps.push({ t: ms(), out: run(st) });
      i++;
      waitSince = undefined;
      ran = true;
    }
    if (i === c.steps.length && tailEnd === undefined) tailEnd = sim.now + c.tailMs * MS;
    if (tailEnd !== undefined && sim.now >= tailEnd) break;
    wake = Infinity;
    if (background() || ran) continue;
    // Nothing to do now: the next event, or the next deadline (a step's `at`, a wait's limit,
    // the tail's end), whichever comes first.
    const st = c.steps[i];
    const deadline = Math.min(wake, st ? (sim.now >= due(i) && st.wait ? waitSince! + waitLimit + 1 : due(i)) : tailEnd!);
    const next = sim.nextTime();
    if (next !== undefined && next <= deadline) sim.step();
    else sim.runUntil(deadline);
  }
  const end = sim.now;
  return { packets: normalise(frames.filter((f) => f.t < end), port), steps, events };
}

interface Frame {
  t: number;
  dropped: boolean;
  held?: boolean;
  copy?: boolean;
  ip: Uint8Array;
}

/** The delay line's view: every TCP packet lo carries, its time, and the case's rules
 * (tcp_delayline.c's, the same way: ordinals per direction as packets reach it, sequence
 * numbers from the ISN of the direction's first SYN, a dup rule's copies delivered right
 * after the original and captured as packets of their own then, not counted as ordinals). */
function capture(host: Host, c: WireCase): Frame[] {
  const frames: Frame[] = [];
  const seen = { c2s: 0, s2c: 0 };
  const isn: Partial<Record<WireDir, number>> = {};
  const seqSeen = new Map<WireDrop, number>();
  let serverPort: number | undefined;
  host.lo.txFilter = (frame) => {
    const ip = frame.subarray(14);
    const v4 = ip[0]! >> 4 === 4;
    const proto = v4 ? ip[9] : ip[6];
    if (proto !== 6) return true;
    const off = v4 ? (ip[0]! & 15) * 4 : 40;
    const tcp = ip.subarray(off);
    const dport = (tcp[2]! << 8) | tcp[3]!;
    // The first SYN is the client's: the server port is its destination.
    serverPort ??= dport;
    const dir: WireDir = dport === serverPort ? 'c2s' : 's2c';
    const nth = ++seen[dir];
    const seq = ((tcp[4]! << 24) | (tcp[5]! << 16) | (tcp[6]! << 8) | tcp[7]!) >>> 0;
    const payload = (v4 ? ((ip[2]! << 8) | ip[3]!) - off : (ip[4]! << 8) | ip[5]!) - (tcp[12]! >> 4) * 4;
    if (tcp[13]! & 2 && isn[dir] === undefined) isn[dir] = seq;
    let dropped = false;
    let extra = 0;
    let copies = 0;
    for (const d of c.drops ?? []) {
      if (d.dir !== dir) continue;
      switch (d.kind) {
        case undefined:
        case 'nth':
          if (nth >= d.nth && nth < d.nth + (d.count ?? 1)) dropped = true;
          break;
        case 'seq': {
          const base = isn[dir];
          if (payload <= 0 || base === undefined) break;
          const rel = (seq - base) >>> 0;
          const hit = d.covers ? ((d.seq - rel) >>> 0) < payload : rel === d.seq;
          if (!hit) break;
          const k = seqSeen.get(d) ?? 0;
          seqSeen.set(d, k + 1);
          if (k < (d.count ?? 1)) dropped = true;
          break;
        }
        case 'hold':
          if (nth === d.nth) extra += d.extraMs * MS;
          break;
        case 'dup':
          if (nth === d.nth) copies += d.copies ?? 1;
          break;
        case 'random':
          if (wireRandomDrop(dir, nth, d.seed, d.permille)) dropped = true;
          break;
      }
    }
    const sim = host.network.sim;
    frames.push({ t: sim.now, dropped, ...(extra && !dropped ? { held: true } : {}), ip: ip.slice() });
    if (dropped) return false;
    if (!extra && !copies) return true;
    return { extraDelay: Math.round(extra), copies, onCopy: (dup) => void frames.push({ t: sim.now, dropped: false, copy: true, ip: dup.slice(14) }) };
  };
  return frames;
}

const rel32 = (x: number, base: number): number => ((x - base) | 0);

/** normalise() of probe_tcp_wire.py, for bpfsim's frames. */
function normalise(frames: Frame[], port: number): WirePacket[] {
  interface P {
    t: number;
    dropped: boolean;
    held: boolean;
    copy: boolean;
    dir: 0 | 1;
    conn: number;
    seq: number;
    ack: number;
    flags: number;
    win: number;
    len: number;
    opts: (string | number | number[])[][];
  }
  const conns = new Map<number, number>();
  const raw: P[] = frames.map((f) => {
    const b = f.ip;
    const v4 = b[0]! >> 4 === 4;
    const ihl = v4 ? (b[0]! & 15) * 4 : 40;
    const payload = v4 ? ((b[2]! << 8) | b[3]!) - ihl : (b[4]! << 8) | b[5]!;
    const t = b.subarray(ihl);
    const u32 = (o: number): number => ((t[o]! << 24) | (t[o + 1]! << 16) | (t[o + 2]! << 8) | t[o + 3]!) >>> 0;
    const sport = (t[0]! << 8) | t[1]!;
    const dport = (t[2]! << 8) | t[3]!;
    const doff = (t[12]! >> 4) * 4;
    const dir = dport === port ? 0 : sport === port ? 1 : 0;
    const cport = dir === 0 ? sport : dport;
    if (!conns.has(cport)) conns.set(cport, conns.size);
    return { t: f.t, dropped: f.dropped, held: !!f.held, copy: !!f.copy, dir, conn: conns.get(cport)!, seq: u32(4), ack: u32(8), flags: t[13]! | ((t[12]! & 1) << 8), win: (t[14]! << 8) | t[15]!, len: payload - doff, opts: parseOptions(t.subarray(20, doff)) };
  });
  const isn = new Map<string, number>();
  const ts0 = new Map<string, number>();
  const key = (p: P, d = p.dir): string => `${p.conn}:${d}`;
  for (const p of raw) if (p.flags & 2 && !isn.has(key(p))) isn.set(key(p), p.seq);
  for (const p of raw) {
    if (!isn.has(key(p))) isn.set(key(p), p.seq);
    for (const o of p.opts) if (o[0] === 'ts' && !ts0.has(key(p))) ts0.set(key(p), o[1] as number);
  }
  const t0 = raw[0]?.t ?? 0;
  return raw.map((p) => {
    const k = key(p);
    const other = key(p, p.dir ? 0 : 1);
    const opts = p.opts.map((o) => {
      if (o[0] === 'ts') {
        let ecr = o[2] as number;
        if (ecr !== 0 && ts0.has(other)) ecr = rel32(ecr, ts0.get(other)!);
        return ['ts', rel32(o[1] as number, ts0.get(k)!), ecr];
      }
      if (o[0] === 'sack') return ['sack', ...(o.slice(1) as number[][]).map(([l, r]) => [rel32(l!, isn.get(other) ?? 0), rel32(r!, isn.get(other) ?? 0)])];
      return o;
    });
    const q: WirePacket = {
      dir: p.dir ? 's2c' : 'c2s',
      t: Math.round((p.t - t0) / 1000),
      flags: flagStr(p.flags),
      seq: rel32(p.seq, isn.get(k)!),
      ack: p.flags & 0x10 ? (isn.has(other) ? rel32(p.ack, isn.get(other)!) : p.ack) : 0,
      len: p.len,
      win: p.win,
      opts,
    };
    if (p.conn) q.conn = p.conn;
    if (p.dropped) q.dropped = true;
    if (p.held) q.held = true;
    if (p.copy) q.copy = true;
    return q;
  });
}

const FLAG_LETTERS: [number, string][] = [
  [0x01, 'F'],
  [0x02, 'S'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
  [0x20, 'U'],
  [0x40, 'E'],
  [0x80, 'W'],
  [0x100, 'e'],
];
const flagStr = (f: number): string => FLAG_LETTERS.filter(([bit]) => f & bit).map(([, ch]) => ch).join('') || 'none';

function parseOptions(o: Uint8Array): (string | number | number[])[][] {
  const out: (string | number | number[])[][] = [];
  const u32 = (i: number): number => ((o[i]! << 24) | (o[i + 1]! << 16) | (o[i + 2]! << 8) | o[i + 3]!) >>> 0;
  for (let j = 0; j < o.length; ) {
    const kind = o[j]!;
    if (kind === 0) {
      out.push(['eol']);
      break;
    }
    if (kind === 1) {
      out.push(['nop']);
      j++;
      continue;
    }
    const len = o[j + 1];
    if (len === undefined || len < 2) {
      out.push(['bad', kind]);
      break;
    }
    if (kind === 2 && len === 4) out.push(['mss', (o[j + 2]! << 8) | o[j + 3]!]);
    else if (kind === 3 && len === 3) out.push(['wscale', o[j + 2]!]);
    else if (kind === 4 && len === 2) out.push(['sackOK']);
    else if (kind === 5) {
      const blocks: number[][] = [];
      for (let k = j + 2; k + 8 <= j + len; k += 8) blocks.push([u32(k), u32(k + 4)]);
      out.push(['sack', ...blocks]);
    } else if (kind === 8 && len === 10) out.push(['ts', u32(j + 2), u32(j + 6)]);
    else out.push(['opt', kind, Buffer.from(o.subarray(j + 2, j + len)).toString('hex')]);
    j += len;
  }
  return out;
}
