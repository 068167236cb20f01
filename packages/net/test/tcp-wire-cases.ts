// TCP wire traces of the live kernel: the cases, their format, and the pure helpers to compare
// traces. scripts/kernel/probe_tcp_wire.py runs each case on the machine's own kernel
// (tcp-wire.kernel.test.ts, `npm run test:kernel`) and golden/tcp-wire.json keeps what it saw:
// the oracle for making bpfsim's TCP behave packet for packet like Linux 6.18.
//
// How a case is recorded. A private network namespace, only its loopback (127.0.0.1, ::1;
// MTU 1500, TSO/GSO/GRO off). An iptables/ip6tables rule in the raw table's PREROUTING chain
// queues every TCP packet (NFQUEUE) to scripts/kernel/tcp_delayline.c, which timestamps it,
// holds it `delayMs` and re-injects it (or drops it, by `drops`): on lo each packet passes
// PREROUTING once, so RTT = 2 × delayMs, and the delay line's log is the capture. Every socket
// gets TCP_CONGESTION = `cc` (default cubic; the machine's default is bbr). The server port of the
// case with index i is 39000 + i. tcp_metrics are flushed before each case.
//
// Step semantics (one single-threaded event loop over non-blocking sockets). Steps run in list
// order: step i starts once step i-1 has started (background work never blocks the next step),
// at or after `at` ms from the case start, and when its `wait` holds on `waitSock` (default: the
// `from` socket for accept, else `sock`); then it acts at once. A wait that has not held 20 s
// (`waitLimitMs`) after the step became due gives the result 'wait-timeout'. Waits: readable
// (POLLIN/ERR/HUP), writable (POLLOUT/ERR/HUP), acceptable (POLLIN on a listener), connected (the non-blocking
// connect finished: writable, SO_ERROR read), eof (a FIN arrived: POLLRDHUP/HUP, or a reader
// saw EOF), sent (all of the socket's sends taken by the kernel), read-done (the socket's
// background reader finished).
// Background work is done as poll says a socket is ready: one send() of at most 1 MiB, or one
// recv(min(65536, left)), per readiness. Byte i of every socket's stream is i & 0xff.
// After the last step the capture goes on `tailMs`; then every open socket is closed with
// SO_LINGER 0 (plain close with `keep`) and nothing from then on is recorded.
// Step results (WireResult.steps): 'ok' or an errno name (connect's EINPROGRESS counts as 'ok');
// recv: the bytes read, 0 at EOF, 'EAGAIN' or an errno name; info: TCP_INFO as a dict (state
// and ca_state as names, e.g. 'ESTABLISHED', 'Open'; the numbers as the kernel gives them: µs,
// bytes, segments); error: SO_ERROR, 0 or an errno name, where the value read when a connect
// finished is reported by the first 'error' step after it.
//
// Additions to the format first agreed: WireCase.keep; WireDrop.count; WirePacket.conn;
// WireResult.firstPacketMs, events, diffs, stepsStable, runs, recorderErrors, holdLateUs,
// realtime (see their comments). For the loss cases (tcp-wire-loss-cases.ts): the rule kinds
// of WireDrop beside drop-by-ordinal (seq, hold, dup, random), WirePacket.held and .copy,
// WireCase.summary with WireResult.summary / summaryRun2 (WireSummary). For the lossy-tcp sweep
// (tcp-wire-sweep-cases.ts): WireCase.limitMs, WireSummary.transferMs.
// No node: imports here: pure data and types.

export type WireSock = string; // a name: 'L' (listener), 'c' (client), 's' (accepted), …
export type WireOpt =
  | 'nodelay' | 'cork' | 'quickack' | 'rcvbuf' | 'sndbuf' | 'keepalive' | 'keepidle' | 'keepintvl' | 'keepcnt' | 'maxseg' | 'reuseaddr'
  | 'linger'; // value: seconds; SO_LINGER {l_onoff: 1, l_linger: value}
export type WireWait = 'readable' | 'writable' | 'connected' | 'acceptable' | 'eof' | 'sent' | 'read-done';
export type WireStep = {
  /** Earliest time, ms from the start of the case (the first step is at 0). */
  at?: number;
  /** Also wait until this holds (then act at once): the step starts at max(at, the moment it holds). */
  wait?: WireWait;
  /** The socket waited on, if not `sock` (accept: `from`) (e.g. wait readable on s, then act on c). */
  waitSock?: WireSock;
} & (
  | { op: 'listen'; sock: WireSock; backlog?: number; opts?: [WireOpt, number][] } // socket(), TCP_CONGESTION, SO_REUSEADDR, opts, bind(port), listen(backlog ?? 128)
  | { op: 'connect'; sock: WireSock; opts?: [WireOpt, number][] } // socket(), TCP_CONGESTION, opts, non-blocking connect() to the listener's address and port
  | { op: 'accept'; sock: WireSock; from: WireSock } // accept() on `from`, the new socket named `sock` ('EAGAIN' when none)
  | { op: 'setopt'; sock: WireSock; opt: WireOpt; value: number }
  | { op: 'send'; sock: WireSock; bytes: number } // write `bytes` bytes; what send() does not take now is written in the background as the socket becomes writable, in order
  | { op: 'recv'; sock: WireSock; max: number } // ONE non-blocking recv(max) now
  | { op: 'read'; sock: WireSock; bytes?: number } // background reader: recv(65536) each time readable until `bytes` read (or EOF when absent)
  | { op: 'shutdown'; sock: WireSock; how: 'rd' | 'wr' | 'rdwr' }
  | { op: 'close'; sock: WireSock }
  | { op: 'info'; sock: WireSock } // getsockopt TCP_INFO
  | { op: 'error'; sock: WireSock } // getsockopt SO_ERROR
);
/** A delay-line rule (WireCase.drops; tcp_delayline.c's RULES). Ordinals (`nth`) are 1-based
 * among one direction's packets as they reach the delay line, all connections of the case,
 * dropped and held ones counted, a dup rule's copies not. A packet is dropped when any drop
 * rule (nth, seq, random) matches it; hold and dup apply to packets not dropped. */
export type WireDrop = WireDropNth | WireDropSeq | WireHold | WireDup | WireRandomDrop;
export type WireDir = 'c2s' | 's2c';
/** Drop by ordinal (the rule first agreed; `kind` may be left out). */
export interface WireDropNth {
  kind?: 'nth';
  dir: WireDir;
  /** 1-based ordinal among that direction's packets (counting dropped ones; all connections of the case). */
  nth: number;
  /** How many packets of that direction, from `nth` on, are dropped (default 1). */
  count?: number;
}
/** Drop by sequence number: the first `count` transmissions of one data segment. */
export interface WireDropSeq {
  kind: 'seq';
  dir: WireDir;
  /** The segment's relative sequence number, as WirePacket.seq (from the ISN of the direction's first SYN: 1 is the first data byte); only packets with data match. */
  seq: number;
  /** How many transmissions starting at `seq` are dropped: 1 the original, 2 the original and its first retransmission (default 1). */
  count?: number;
  /** Match the data segments that carry byte `seq` (p.seq <= seq < p.seq + p.len) rather than those starting at it: e.g. the last segment of a transfer of n bytes, `seq` n, however it was cut. */
  covers?: true;
}
/** Reordering: one packet held longer than the delay, so packets sent after it arrive first. */
export interface WireHold {
  kind: 'hold';
  dir: WireDir;
  /** Ordinal of the held packet. */
  nth: number;
  /** How much longer than delayMs it is held, ms. */
  extraMs: number;
}
/** Duplication: one packet delivered again right after itself (the copy is in the trace as its own packet, `copy`). */
export interface WireDup {
  kind: 'dup';
  dir: WireDir;
  /** Ordinal of the duplicated packet. */
  nth: number;
  /** How many extra copies (default 1). */
  copies?: number;
}
/** Random loss (rate runs): the packet of ordinal n is dropped when wireRandomDrop(dir, n, seed, permille). */
export interface WireRandomDrop {
  kind: 'random';
  dir: WireDir;
  /** Drop probability, per mille. */
  permille: number;
  /** Seed of the hash (the same seed drops the same ordinals in the kernel and in bpfsim). */
  seed: number;
}
export interface WireCase {
  id: string;
  /** What the case shows, one line. */
  lesson: string;
  family: 4 | 6;
  /** One-way delay the delay line adds to every packet, ms. */
  delayMs: number;
  /** Congestion control on every socket (default 'cubic'). */
  cc?: string;
  drops?: WireDrop[];
  steps: WireStep[];
  /** The capture goes on this long after the last step started, ms; then every socket still open is closed with SO_LINGER 0 (unless `keep`) and later packets are not recorded. */
  tailMs: number;
  /** Close the sockets left open at the end normally rather than with SO_LINGER 0 (it changes nothing recorded). */
  keep?: boolean;
  /** Needs the SACK scoreboard (loss recovery, a later issue): a reason, when it does. */
  needsSack?: string;
  /** How long a step's wait may take before its result is 'wait-timeout', ms (default 20000). */
  waitLimitMs?: number;
  /** How long the whole case may take, ms from its start: the steps not started by then are not done (each 'wait-timeout'), the tail follows (default: no limit). */
  limitMs?: number;
  /** A rate case: the recording keeps only a summary of the packets (WireResult.summary, wireSummary), not the packets. */
  summary?: true;
}
export type WireOption = (string | number | number[])[];
export interface WirePacket {
  dir: 'c2s' | 's2c'; // c2s: from the connecting side (towards the server port)
  /** µs since the first packet of the case (delay-line receive time = the send time on lo). */
  t: number;
  /** 'S', 'S.', '.', 'P.', 'F.', 'FP.', 'R', 'R.' … tcpdump's letters in tcpdump's order, '.' for ACK ('none' without flags). */
  flags: string;
  /** seq relative to this direction's ISN; ack relative to the other side's ISN (0 without ACK). A direction without a SYN takes its first packet's seq as ISN. */
  seq: number;
  ack: number;
  len: number;
  /** The raw 16-bit window field. */
  win: number;
  /** Options in wire order: ['mss',1460], ['sackOK'], ['ts',val,ecr], ['nop'], ['wscale',10], ['sack',[l,r],…] (edges relative to the other side's ISN, like ack), ['eol'], ['opt',kind,hex] … TSval relative to this direction's first TSval, TSecr relative to the other direction's first TSval (0 stays 0). */
  opts: WireOption[];
  /** Which connection of the case (0-based by first packet), when not the first. */
  conn?: number;
  dropped?: true;
  /** Held longer than the delay by a hold rule (t is still when it was sent). */
  held?: true;
  /** A dup rule's copy of an earlier packet, sent (undelayed) as that packet was delivered: t is then. */
  copy?: true;
}
/** A rate case's trace in brief (wireSummary; summarise() in probe_tcp_wire.py is the same). */
export interface WireSummary {
  /** Packets per direction (copies included). */
  packets: { c2s: number; s2c: number };
  dropped: { c2s: number; s2c: number };
  /** The ordinals of the first 20 dropped packets per direction (to check the random-drop hash). */
  firstDropped: { c2s: number[]; s2c: number[] };
  /** c2s packets with data (the first connection and any other). */
  dataSegments: number;
  /** c2s data packets starting below the highest sequence sent before them: retransmissions. */
  retransmits: number;
  /** The first connection's data bytes (its highest c2s sequence reached - 1). */
  bytes: number;
  /** First packet (the SYN) to the last packet, µs. */
  completionUs: number;
  /** First packet to the first ACK of all the first connection's data, µs (null: never ACKed). */
  dataAckedUs: number | null;
  /** First packet (the client's first SYN) to the moment the server has every byte of the first
   * connection through the client's FIN in order — the last c2s packet it needed (the FIN, or
   * the retransmission that filled the last hole before it) delivered: its capture time plus
   * delayMs (a dup rule's copy: its own time; hold rules' extra time not counted), ms. null:
   * not in the recording. Only with the delay (wireSummary's delayMs; recordings from
   * tcp-wire-sweep-cases.ts on; older golden files lack it). */
  transferMs?: number | null;
}
export interface WireEvent {
  /** ms from the case start */
  t: number;
  sock: WireSock;
  /** connected (out: 'ok' | errno name), sent (out: the socket's bytes taken in all), eof, read-done (out: bytes read in all), send-error / read-error (out: errno name), corrupt (out: stream offset); r / w (out: the bytes one background recv() returned / one send() took). */
  ev: 'connected' | 'sent' | 'eof' | 'read-done' | 'send-error' | 'read-error' | 'corrupt' | 'r' | 'w';
  out?: string | number;
}
export interface WireResult {
  id: string;
  packets: WirePacket[];
  /** ms from the case start (the time base of steps and events) to the first packet (the time base of packets). */
  firstPacketMs: number | null;
  /** Per step: its result (recv/info/error steps: the value; others: 'ok' or an errno name) and the ms at which it ran. */
  steps: { t: number; out: unknown }[];
  /** Background work as it happened (connects finishing, sends taken, readers ending). */
  events: WireEvent[];
  /** Where the case's time zero fell in its jiffy, µs (0..4000 at HZ=250): the kernel's
   * timer wheel ticks at whole jiffies of CLOCK_MONOTONIC; a replay ticks at the same times. */
  tickPhaseUs?: number;
  /** The kernel's jiffies at the case's time zero (mod 2^24: the wheel's coarse slots are
   * whole multiples of 8^level jiffies), from /proc/timer_list; null when unreadable. */
  jiffiesAtStart?: number | null;
  /** Whether the two kept runs agreed on every packet (see wirePacketDiff), and the timing difference between them per packet (µs). */
  stable: boolean;
  /** How many leading packets the two kept runs agree on (all of them when stable; when no two runs agreed, the pair kept is the one agreeing longest). */
  stablePrefix?: number;
  jitterUs: number[];
  /** What differed, when not stable (at most 20 lines). */
  diffs?: string[];
  /** Whether the two kept runs' step results agreed (info: only its state). */
  stepsStable: boolean;
  /** How many times the case ran: 2, more when the first runs disagreed or the delay line was held up (the VM's timer hiccups). */
  runs: number;
  /** Delay-line errors (lost netlink messages, queue overflows) in the kept runs: 0 when the capture is whole. */
  recorderErrors: number;
  /** The largest lateness of a release in the kept runs, µs (a release later than the hold time means the packet was delayed that much more). */
  holdLateUs: number;
  /** Whether both scripts ran SCHED_FIFO pinned to one CPU. */
  realtime: boolean;
  /** A rate case (WireCase.summary): the kept runs in brief (packets and jitterUs are then empty, events have no 'r'/'w'). */
  summary?: WireSummary;
  summaryRun2?: WireSummary;
}
export interface WireGolden {
  recordedBy: string;
  kernel: string;
  /** CONFIG_HZ (jiffies: 4 ms at 250), when /proc/config.gz said. */
  hz: number | null;
  /** The namespace's net.ipv4.tcp_* sysctls and net.core buffer limits (Linux has no delayed-ACK sysctl: ATO comes from HZ). */
  sysctls: Record<string, number | number[] | string>;
  setup: string;
  wallSeconds: number;
  cases: WireCase[];
  results: WireResult[];
}

/** Why two packets differ ('' when they agree). TSval/TSecr may differ by 1: they tick in ms. Times are not compared. */
export function wirePacketDiff(a: WirePacket, b: WirePacket, tsSlack = 1): string {
  for (const f of ['conn', 'dir', 'flags', 'seq', 'ack', 'len', 'win', 'dropped'] as const) {
    if (a[f] !== b[f]) return `${f} ${String(a[f])} != ${String(b[f])}`;
  }
  if (a.opts.length !== b.opts.length) return `opts ${JSON.stringify(a.opts)} != ${JSON.stringify(b.opts)}`;
  for (let i = 0; i < a.opts.length; i++) {
    const x = a.opts[i]!;
    const y = b.opts[i]!;
    if (x[0] === 'ts' && y[0] === 'ts') {
      if (Math.abs((x[1] as number) - (y[1] as number)) > tsSlack || Math.abs((x[2] as number) - (y[2] as number)) > tsSlack) {
        return `ts ${JSON.stringify(x)} != ${JSON.stringify(y)}`;
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      return `opts ${JSON.stringify(x)} != ${JSON.stringify(y)}`;
    }
  }
  return '';
}

/** Packet-by-packet differences of two traces (count first), as the recorder reports them. */
export function wireTraceDiffs(a: WirePacket[], b: WirePacket[], tsSlack = 1): string[] {
  const out: string[] = [];
  if (a.length !== b.length) out.push(`packet count ${a.length} != ${b.length}`);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = wirePacketDiff(a[i]!, b[i]!, tsSlack);
    if (d) out.push(`#${i}: ${d}`);
  }
  return out;
}

/** The host's clockBase (ns) that puts a replay's ticks where the recording's were. */
export function wireClockBase(r: WireResult): number {
  return (r.jiffiesAtStart ?? 0) * 4_000_000 + Math.round((r.tickPhaseUs ?? 0) * 1000);
}

/** A one-line tcpdump-like rendering of a packet, for test failure messages. */
export function wirePacketLine(p: WirePacket): string {
  const opts = p.opts.map((o) => (o[0] === 'sack' ? `sack ${o.slice(1).map((e) => (e as number[]).join('-')).join(' ')}` : o.join(' '))).join(',');
  return `${(p.t / 1000).toFixed(3)} ${p.conn ? `#${p.conn} ` : ''}${p.dir} [${p.flags}] seq ${p.seq} ack ${p.ack} win ${p.win} len ${p.len}${opts ? ` <${opts}>` : ''}${p.dropped ? ' DROPPED' : ''}${p.held ? ' HELD' : ''}${p.copy ? ' COPY' : ''}`;
}

/**
 * The random-drop rule's hash (tcp_delayline.c's wire_hash, the same): the 32-bit key
 * (2 * ordinal + dir) XOR (seed * 0x9e3779b9), dir 0 = c2s and 1 = s2c, through a
 * xor-shift/multiply finaliser (shifts 16, 13, 16; multipliers 0x85ebca6b, 0xc2b2ae35: the
 * shape of MurmurHash3's 32-bit finaliser), all mod 2^32; the packet is dropped when the hash
 * mod 1000 is under `permille`.
 */
export function wireRandomDrop(dir: WireDir, ordinal: number, seed: number, permille: number): boolean {
  let h = ((ordinal * 2 + (dir === 's2c' ? 1 : 0)) ^ Math.imul(seed, 0x9e3779b9)) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h % 1000 < permille;
}

/**
 * When the server's stream of the first connection is complete through the client's FIN
 * (WireSummary.transferMs): delivered c2s packets in order of arrival (capture time + the
 * one-way delay, a copy at its own time), the receiver's next expected sequence advanced over
 * them and over the out-of-order ranges they join; the arrival that takes it past the FIN.
 * µs from the first packet, null when it never gets there. probe_tcp_wire.py's
 * transfer_us() is the same.
 */
export function wireTransferUs(packets: WirePacket[], delayMs: number): number | null {
  const delayUs = Math.round(delayMs * 1000);
  const arrivals = packets
    .filter((p) => p.dir === 'c2s' && !p.conn && !p.dropped && !p.flags.includes('S') && !p.flags.includes('R'))
    .map((p, i) => ({ p, at: p.copy ? p.t : p.t + delayUs, i }))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  let next = 1;
  let finEnd: number | null = null;
  let ooo: [number, number][] = [];
  for (const { p, at } of arrivals) {
    const fin = p.flags.includes('F');
    const end = p.seq + p.len + (fin ? 1 : 0);
    if (fin) finEnd = end;
    if (end > next) {
      if (p.seq <= next) {
        next = end;
        // Join the out-of-order ranges the new edge reaches.
        for (let grew = true; grew; ) {
          grew = false;
          ooo = ooo.filter(([a, b]) => {
            if (a > next) return true;
            if (b > next) {
              next = b;
              grew = true;
            }
            return false;
          });
        }
      } else {
        ooo.push([p.seq, end]);
      }
    }
    if (finEnd !== null && next >= finEnd) return at;
  }
  return null;
}

/** A trace in brief (WireSummary), as probe_tcp_wire.py's summarise() makes it; with `delayMs`
 * (the case's one-way delay) also transferMs. */
export function wireSummary(packets: WirePacket[], delayMs?: number): WireSummary {
  const counts = { c2s: 0, s2c: 0 };
  const dropped = { c2s: 0, s2c: 0 };
  const firstDropped: WireSummary['firstDropped'] = { c2s: [], s2c: [] };
  const ordinal = { c2s: 0, s2c: 0 };
  const top = new Map<number, number>();
  let data = 0;
  let retrans = 0;
  for (const p of packets) {
    counts[p.dir]++;
    if (!p.copy) ordinal[p.dir]++;
    if (p.dropped) {
      dropped[p.dir]++;
      if (firstDropped[p.dir].length < 20) firstDropped[p.dir].push(ordinal[p.dir]);
    }
    if (p.dir === 'c2s' && p.len > 0) {
      const k = p.conn ?? 0;
      data++;
      if (p.seq < (top.get(k) ?? 0)) retrans++;
      top.set(k, Math.max(top.get(k) ?? 0, p.seq + p.len));
    }
  }
  const end = top.get(0) ?? 1;
  const acked = packets.find((p) => p.dir === 's2c' && !p.conn && p.flags.includes('.') && p.ack >= end);
  const out: WireSummary = { packets: counts, dropped, firstDropped, dataSegments: data, retransmits: retrans, bytes: end - 1, completionUs: packets[packets.length - 1]?.t ?? 0, dataAckedUs: acked?.t ?? null };
  if (delayMs !== undefined) {
    const us = wireTransferUs(packets, delayMs);
    out.transferMs = us === null ? null : us / 1000;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step builders
// ---------------------------------------------------------------------------------------------

type Opts = [WireOpt, number][];
const listen = (opts?: Opts, backlog?: number): WireStep => ({ op: 'listen', sock: 'L', ...(opts ? { opts } : {}), ...(backlog !== undefined ? { backlog } : {}) });
const connect = (opts?: Opts, sock = 'c'): WireStep => ({ op: 'connect', sock, ...(opts ? { opts } : {}) });
const accept = (extra: Partial<WireStep> = {}): WireStep => ({ op: 'accept', sock: 's', from: 'L', wait: 'acceptable', ...extra }) as WireStep;
/** listen, connect, accept when the final ACK arrives. */
const established = (lopts?: Opts, copts?: Opts): WireStep[] => [listen(lopts), connect(copts), accept()];

/** `n` request/response rounds on an established c/s pair: the client sends `req` (the first
 * once connected), the server reads it when readable and answers `resp`, the client reads the
 * answer (read-done when the answer is larger than one segment) and sends the next request. */
function rounds(n: number, req: number, resp: number): WireStep[] {
  const out: WireStep[] = [];
  for (let k = 0; k < n; k++) {
    out.push({ op: 'send', sock: 'c', bytes: req, ...(k === 0 ? { wait: 'connected' as const } : {}) });
    if (k === 0) out.push(accept());
    out.push({ op: 'recv', sock: 's', max: 65536, wait: 'readable' });
    out.push({ op: 'send', sock: 's', bytes: resp });
    if (resp > 1000) {
      out.push({ op: 'read', sock: 'c', bytes: resp });
      out.push({ op: 'info', sock: 'c', wait: 'read-done' });
    } else {
      out.push({ op: 'recv', sock: 'c', max: 65536, wait: 'readable' });
    }
  }
  return out;
}
/** The client closes; the server closes when it sees the FIN. */
const clientCloses = (at?: number): WireStep[] => [
  { op: 'close', sock: 'c', ...(at !== undefined ? { at } : {}) },
  { op: 'recv', sock: 's', max: 65536, wait: 'eof' },
  { op: 'close', sock: 's' },
];
/** The server closes; the client closes when it sees the FIN. */
const serverCloses = (at?: number): WireStep[] => [
  { op: 'close', sock: 's', ...(at !== undefined ? { at } : {}) },
  { op: 'recv', sock: 'c', max: 65536, wait: 'eof' },
  { op: 'close', sock: 'c' },
];
/** The client sends `bytes` once connected and closes when all is taken; the server reads to EOF and closes. */
export function bulk(bytes: number, opts: { lopts?: Opts; copts?: Opts; readAt?: number } = {}): WireStep[] {
  return [
    listen(opts.lopts),
    connect(opts.copts),
    { op: 'send', sock: 'c', bytes, wait: 'connected' },
    accept(),
    { op: 'read', sock: 's', ...(opts.readAt !== undefined ? { at: opts.readAt } : {}) },
    { op: 'close', sock: 'c', wait: 'sent' },
    { op: 'info', sock: 's', wait: 'read-done' },
    { op: 'close', sock: 's' },
  ];
}
const keepaliveOpts: Opts = [['keepalive', 1], ['keepidle', 1], ['keepintvl', 1], ['keepcnt', 2]];

export type CaseSpec = Omit<WireCase, 'family' | 'delayMs' | 'tailMs'> & Partial<Pick<WireCase, 'family' | 'delayMs' | 'tailMs'>>;
export const mk = (c: CaseSpec): WireCase => ({ family: 4, delayMs: 5, tailMs: 300, ...c });
/** The same case over IPv6. */
export const v6 = (c: WireCase): WireCase => ({ ...c, id: `${c.id}-v6`, family: 6, lesson: `${c.lesson} (IPv6: MSS 1440)` });

const TLP = 'the lost segment is repaired by a tail loss probe / RTO with the SACK scoreboard (RACK-TLP)';

export function wireCases(): WireCase[] {
  const handshake = mk({
    id: 'handshake',
    lesson: 'SYN, SYN-ACK, ACK: MSS 1460, SACK-permitted, timestamps, wscale 10 (windows 64240 / 65160), then the scaled window',
    steps: [...established(), { op: 'info', sock: 'c' }, { op: 'info', sock: 's' }],
  });
  const requestResponse = mk({
    id: 'request-response',
    lesson: '3 rounds of 100 B request / 1000 B answer, then the client closes: quick ACKs first, then delayed ACKs ride on the data (pingpong)',
    steps: [listen(), connect(), ...rounds(3, 100, 1000), { op: 'info', sock: 'c' }, ...clientCloses()],
  });
  const requestResponseServerCloses = mk({
    id: 'request-response-server-closes',
    lesson: 'the same 3 rounds, then the server closes first and the client closes on EOF',
    steps: [listen(), connect(), ...rounds(3, 100, 1000), ...serverCloses()],
  });
  const nagle = mk({
    id: 'nagle',
    lesson: 'two 100 B writes back to back: Nagle holds the second until the first is ACKed',
    steps: [...established(), { op: 'read', sock: 's', bytes: 200 }, { op: 'send', sock: 'c', bytes: 100, at: 30 }, { op: 'send', sock: 'c', bytes: 100, at: 30 }],
  });
  const bulk100k = mk({
    id: 'bulk-100k',
    lesson: '100 KB one way, reader reads as data arrives: slow start from IW10, ACK every 2 segments, window growth, FIN after the data',
    steps: bulk(100_000),
  });
  const zeroWindow = mk({
    id: 'zero-window',
    lesson: 'receiver with SO_RCVBUF 16384 reads only after 1 s, sender writes 200 KB: window closes to 0, zero-window probes back off, window update reopens it',
    steps: [
      listen([['rcvbuf', 16384]]),
      connect(),
      { op: 'send', sock: 'c', bytes: 200_000, wait: 'connected' },
      accept(),
      { op: 'info', sock: 'c', at: 900 },
      { op: 'read', sock: 's', bytes: 200_000, at: 1000 },
      { op: 'info', sock: 'c', wait: 'read-done', waitSock: 's' },
      { op: 'close', sock: 'c' },
      { op: 'close', sock: 's', wait: 'eof' },
    ],
  });
  const halfClose = mk({
    id: 'half-close',
    lesson: 'client shutdown(SHUT_WR) at once; the server sees EOF, still sends 50 KB, then closes',
    steps: [
      ...established(),
      { op: 'shutdown', sock: 'c', how: 'wr' },
      { op: 'read', sock: 'c' },
      { op: 'recv', sock: 's', max: 65536, wait: 'eof' },
      { op: 'send', sock: 's', bytes: 50_000 },
      { op: 'close', sock: 's', wait: 'sent' },
      { op: 'close', sock: 'c', wait: 'read-done' },
    ],
  });
  const closedPort = mk({
    id: 'closed-port',
    lesson: 'connect to a port without a listener: RST,ACK with seq 0, ack ISN+1; ECONNREFUSED',
    steps: [connect(), { op: 'error', sock: 'c', wait: 'connected' }],
  });
  const linger0 = mk({
    id: 'linger0-close',
    lesson: 'SO_LINGER {1, 0} then close(): an RST instead of a FIN; the peer reads ECONNRESET',
    steps: [
      listen(), connect(), ...rounds(1, 100, 100),
      { op: 'setopt', sock: 'c', opt: 'linger', value: 0, at: 60 },
      { op: 'close', sock: 'c' },
      { op: 'recv', sock: 's', max: 65536, wait: 'readable' },
      { op: 'error', sock: 's' },
    ],
  });
  const dropSyn = mk({
    id: 'drop-syn',
    lesson: 'the first SYN is lost: retransmitted after the 1 s initial RTO (same ISN and options, TSval later)',
    drops: [{ dir: 'c2s', nth: 1 }],
    steps: [listen(), connect(), ...rounds(1, 100, 1000), ...clientCloses()],
  });
  const dropRequest = mk({
    id: 'drop-request',
    lesson: 'the first request segment is lost: the client repairs it by a loss probe (PTO) before the RTO',
    drops: [{ dir: 'c2s', nth: 3 }],
    needsSack: TLP,
    steps: [listen(), connect(), ...rounds(1, 100, 1000), { op: 'info', sock: 'c' }, ...clientCloses(600)],
    tailMs: 300,
  });

  return [
    handshake,
    v6(handshake),
    mk({
      id: 'handshake-rcvbuf-client',
      lesson: 'SO_RCVBUF 65536 on the client before connect: its SYN offers a window from the doubled buffer and a smaller wscale',
      steps: [...established(undefined, [['rcvbuf', 65536]]), { op: 'info', sock: 'c' }, { op: 'info', sock: 's' }],
    }),
    mk({
      id: 'handshake-rcvbuf-listener',
      lesson: 'SO_RCVBUF 65536 on the listener before listen: the SYN-ACK window and wscale come from it (the child inherits)',
      steps: [...established([['rcvbuf', 65536]]), { op: 'info', sock: 'c' }, { op: 'info', sock: 's' }],
    }),
    mk({
      id: 'handshake-rcvbuf-4096',
      lesson: 'SO_RCVBUF 4096 on both sides (8192 after doubling): tiny windows, then 10 KB client→server in window-limited bursts',
      steps: [
        ...established([['rcvbuf', 4096]], [['rcvbuf', 4096]]),
        { op: 'info', sock: 'c' },
        { op: 'read', sock: 's', bytes: 10_000 },
        { op: 'send', sock: 'c', bytes: 10_000 },
        { op: 'info', sock: 's', wait: 'read-done' },
      ],
    }),
    mk({
      id: 'handshake-maxseg-1000',
      lesson: 'TCP_MAXSEG 1000 on the client: MSS option 1000, both directions segment at 988 B of payload (12 B of timestamps)',
      steps: [
        ...established(undefined, [['maxseg', 1000]]),
        { op: 'read', sock: 's', bytes: 5000 },
        { op: 'send', sock: 'c', bytes: 5000 },
        { op: 'send', sock: 's', bytes: 5000, wait: 'read-done' },
        { op: 'read', sock: 'c', bytes: 5000 },
        { op: 'info', sock: 'c', wait: 'read-done' },
      ],
    }),
    mk({
      id: 'handshake-maxseg-listener-536',
      lesson: 'TCP_MAXSEG 536 on the listener: the SYN-ACK says MSS 536 and the client sends 524 B segments',
      steps: [...established([['maxseg', 536]]), { op: 'read', sock: 's', bytes: 3000 }, { op: 'send', sock: 'c', bytes: 3000 }, { op: 'info', sock: 'c', wait: 'read-done', waitSock: 's' }],
    }),
    requestResponse,
    v6(requestResponse),
    requestResponseServerCloses,
    v6(requestResponseServerCloses),
    mk({
      id: 'delayed-ack-pingpong',
      lesson: 'after 2 rounds (pingpong), a request the server answers only 100 ms later is ACKed by the delayed-ACK timer (40 ms ATO)',
      steps: [
        listen(), connect(), ...rounds(2, 100, 100),
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'recv', sock: 's', max: 65536, wait: 'readable' },
        { op: 'send', sock: 's', bytes: 100, at: 150 },
        { op: 'recv', sock: 'c', max: 65536, wait: 'readable' },
      ],
    }),
    mk({
      id: 'quickack',
      lesson: 'the same, but the server sets TCP_QUICKACK after reading the request: the ACK goes out at once',
      steps: [
        listen(), connect(), ...rounds(2, 100, 100),
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'recv', sock: 's', max: 65536, wait: 'readable' },
        { op: 'setopt', sock: 's', opt: 'quickack', value: 1 },
        { op: 'send', sock: 's', bytes: 100, at: 150 },
        { op: 'recv', sock: 'c', max: 65536, wait: 'readable' },
      ],
    }),
    nagle,
    v6(nagle),
    mk({
      id: 'nagle-nodelay',
      lesson: 'the same two writes with TCP_NODELAY: two segments at once',
      steps: [
        ...established(undefined, [['nodelay', 1]]),
        { op: 'read', sock: 's', bytes: 200 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
      ],
    }),
    mk({
      id: 'nagle-three-writes',
      lesson: 'three 100 B writes: the first goes, the other two are coalesced into one 200 B segment when the ACK comes',
      steps: [
        ...established(),
        { op: 'read', sock: 's', bytes: 300 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
      ],
    }),
    mk({
      id: 'fin-piggyback',
      lesson: 'two 100 B writes then close(): the FIN rides on the Nagle-held second segment (FP.)',
      steps: [
        ...established(),
        { op: 'read', sock: 's' },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
        { op: 'send', sock: 'c', bytes: 100, at: 30 },
        { op: 'close', sock: 'c', at: 30 },
        { op: 'close', sock: 's', wait: 'read-done' },
      ],
    }),
    mk({
      id: 'cork',
      lesson: 'TCP_CORK, 3 × 100 B, uncork 50 ms later: one 300 B segment at the uncork',
      steps: [
        ...established(),
        { op: 'read', sock: 's', bytes: 300 },
        { op: 'setopt', sock: 'c', opt: 'cork', value: 1, at: 30 },
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'setopt', sock: 'c', opt: 'cork', value: 0, at: 80 },
      ],
    }),
    mk({
      id: 'cork-200ms-ceiling',
      lesson: 'TCP_CORK held 400 ms over 100 B: the corked data still leaves after the 200 ms cork ceiling',
      steps: [
        ...established(),
        { op: 'read', sock: 's', bytes: 200 },
        { op: 'setopt', sock: 'c', opt: 'cork', value: 1, at: 30 },
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'send', sock: 'c', bytes: 100, at: 330 },
        { op: 'setopt', sock: 'c', opt: 'cork', value: 0, at: 430 },
      ],
    }),
    bulk100k,
    v6(bulk100k),
    mk({ id: 'bulk-1m', lesson: '1 MB one way: slow start, cwnd and receive-window growth (autotuning), ACK pattern over a long transfer', steps: bulk(1_000_000) }),
    mk({ id: 'bulk-1m-rtt40', lesson: '1 MB at RTT 40 ms: the same growth over longer rounds', delayMs: 20, steps: bulk(1_000_000) }),
    mk({ id: 'bulk-1m-reno', lesson: '1 MB with reno instead of cubic', cc: 'reno', steps: bulk(1_000_000) }),
    mk({
      id: 'bulk-late-reader',
      lesson: 'SO_RCVBUF 32768 on the listener and a reader that starts at 300 ms: the window shrinks to 0, then the window update',
      steps: bulk(100_000, { lopts: [['rcvbuf', 32768]], readAt: 300 }),
    }),
    mk({
      id: 'sndbuf-small',
      lesson: 'SO_SNDBUF 4096 on the client sending 50 KB: the send buffer, not cwnd, limits what is in flight',
      steps: bulk(50_000, { copts: [['sndbuf', 4096]] }),
    }),
    zeroWindow,
    v6(zeroWindow),
    mk({
      id: 'idle-restart',
      lesson: '20 KB, 1.5 s idle (> RTO), 20 KB more: slow start after idle restarts from IW10',
      steps: [
        ...established(),
        { op: 'read', sock: 's' },
        { op: 'send', sock: 'c', bytes: 20_000, at: 20 },
        { op: 'info', sock: 'c', at: 1500 },
        { op: 'send', sock: 'c', bytes: 20_000, at: 1520 },
        { op: 'info', sock: 'c', wait: 'sent', at: 1700 },
      ],
    }),
    mk({
      id: 'idle-short',
      lesson: '20 KB, 100 ms idle (< RTO), 20 KB more: cwnd is kept, the second burst goes at once',
      steps: [
        ...established(),
        { op: 'read', sock: 's' },
        { op: 'send', sock: 'c', bytes: 20_000, at: 20 },
        { op: 'info', sock: 'c', at: 120 },
        { op: 'send', sock: 'c', bytes: 20_000, at: 120 },
      ],
    }),
    halfClose,
    v6(halfClose),
    linger0,
    v6(linger0),
    mk({
      id: 'close-unread',
      lesson: 'the server closes with 1000 B unread: RST instead of FIN; the client reads ECONNRESET',
      steps: [
        ...established(),
        { op: 'send', sock: 'c', bytes: 1000, at: 20 },
        { op: 'close', sock: 's', wait: 'readable' },
        { op: 'recv', sock: 'c', max: 65536, wait: 'readable' },
        { op: 'error', sock: 'c' },
      ],
    }),
    mk({
      id: 'simultaneous-close',
      lesson: 'after one round both sides close in the same ms: FINs cross, CLOSING on both, then TIME_WAIT',
      steps: [listen(), connect(), ...rounds(1, 100, 100), { op: 'close', sock: 'c', at: 100 }, { op: 'close', sock: 's', at: 100 }],
    }),
    mk({
      id: 'data-after-peer-closed',
      lesson: 'the server closes (FIN); the client, half-open, sends 100 B: the orphaned server answers RST',
      steps: [
        ...established(),
        { op: 'close', sock: 's', at: 30 },
        { op: 'send', sock: 'c', bytes: 100, wait: 'eof' },
        { op: 'recv', sock: 'c', max: 65536, at: 100 },
        { op: 'error', sock: 'c' },
      ],
    }),
    closedPort,
    v6(closedPort),
    mk({
      id: 'listener-closed',
      lesson: 'close the listener: the established child lives on, a new connect gets RST (ECONNREFUSED)',
      steps: [
        ...established(),
        { op: 'close', sock: 'L', at: 20 },
        connect(undefined, 'c2'),
        { op: 'error', sock: 'c2', wait: 'connected' },
        { op: 'send', sock: 'c', bytes: 100 },
        { op: 'recv', sock: 's', max: 65536, wait: 'readable' },
      ],
    }),
    mk({
      id: 'backlog-full',
      lesson: 'listen(1) and 4 connects never accepted: the third SYN finds two requests (more than the backlog) and gets a syncookie; its final ACK finds the accept queue full and is dropped, leaving nothing (no reset, no SYN-ACK again); a later SYN is dropped and retransmitted after 1 s',
      tailMs: 1300,
      steps: [listen(undefined, 1), connect(undefined, 'c1'), connect(undefined, 'c2'), connect(undefined, 'c3'), { ...connect(undefined, 'c4'), at: 50 }],
    }),
    mk({
      id: 'keepalive',
      lesson: 'SO_KEEPALIVE, keepidle 1, keepintvl 1, keepcnt 2 on an idle connection: a probe (seq snd_nxt-1, no data) every second, each answered',
      tailMs: 150,
      steps: [...established(undefined, keepaliveOpts), { op: 'info', sock: 'c', at: 3250 }],
    }),
    mk({
      id: 'keepalive-dead-peer',
      lesson: 'the same with the peer silent (its packets dropped): two unanswered probes, then RST and ETIMEDOUT',
      drops: [{ dir: 's2c', nth: 2, count: 1000 }],
      tailMs: 200,
      steps: [listen(), connect(keepaliveOpts), { op: 'info', sock: 'c', at: 2500 }, { op: 'error', sock: 'c', at: 3600 }],
    }),
    dropSyn,
    v6(dropSyn),
    mk({
      id: 'drop-synack',
      lesson: 'the first SYN-ACK is lost: the client retransmits its SYN and the server its SYN-ACK, both after 1 s',
      drops: [{ dir: 's2c', nth: 1 }],
      steps: [listen(), connect(), ...rounds(1, 100, 1000), ...clientCloses()],
    }),
    mk({
      id: 'drop-final-ack',
      lesson: 'the handshake\'s last ACK is lost: the client\'s first data carries the ACK and creates the server\'s socket',
      drops: [{ dir: 'c2s', nth: 2 }],
      steps: [listen(), connect(), { op: 'send', sock: 'c', bytes: 100, wait: 'connected', at: 50 }, accept(), { op: 'recv', sock: 's', max: 65536, wait: 'readable' }, { op: 'info', sock: 's' }],
    }),
    mk({
      id: 'drop-final-ack-idle',
      lesson: 'the handshake\'s last ACK is lost and the client sends nothing: the server retransmits the SYN-ACK after 1 s, the client ACKs again',
      drops: [{ dir: 'c2s', nth: 2 }],
      steps: [listen(), connect(), accept(), { op: 'info', sock: 's' }],
    }),
    dropRequest,
    v6(dropRequest),
    mk({
      id: 'drop-response-last',
      lesson: 'a 5000 B answer whose last segment is lost: a tail loss probe retransmits it',
      drops: [{ dir: 's2c', nth: 6 }],
      needsSack: TLP,
      steps: [listen(), connect(), ...rounds(1, 100, 5000), ...clientCloses(600)],
    }),
    mk({
      id: 'drop-fin-client',
      lesson: 'the client\'s FIN is lost: retransmitted (loss probe / RTO) until the server sees EOF',
      drops: [{ dir: 'c2s', nth: 5 }],
      steps: [listen(), connect(), ...rounds(1, 100, 1000), ...clientCloses(100)],
      tailMs: 600,
    }),
    mk({
      id: 'drop-fin-server',
      lesson: 'the server\'s FIN (in LAST_ACK) is lost: retransmitted after the RTO, the client in FIN_WAIT2 ACKs it',
      drops: [{ dir: 's2c', nth: 4 }],
      steps: [listen(), connect(), ...rounds(1, 100, 1000), ...clientCloses(100)],
      tailMs: 600,
    }),
    mk({
      id: 'drop-data-midstream',
      lesson: 'one data segment lost in the middle of 100 KB: duplicate ACKs with SACK blocks, fast retransmit, recovery',
      drops: [{ dir: 'c2s', nth: 20 }],
      needsSack: 'fast retransmit from SACK blocks (RACK loss detection), then recovery',
      steps: bulk(100_000),
    }),
    mk({
      id: 'accept-late',
      lesson: 'the client sends 1000 B at once; the server accepts only at 200 ms: the data waited in the child socket',
      steps: [listen(), connect(), { op: 'send', sock: 'c', bytes: 1000, wait: 'connected' }, { ...accept(), at: 200 }, { op: 'recv', sock: 's', max: 65536 }, { op: 'info', sock: 's' }],
    }),
  ];
}
