// The timeline of a scenario run: what happened, in virtual time, as typed events (the
// `--json` schema, one object per line) and as text for people. The text is a function of
// the events only, so the same seed prints the same bytes.
import type { HookEvent } from '@bpfsim/net';

interface Base {
  /** Virtual time, ns since the start of the run. */
  t: number;
}
/** A socket call a scenario process made, and what it returned (a value or an errno). */
export interface SyscallEvent extends Base {
  kind: 'syscall';
  host: string;
  /** "comm[pid]" */
  proc: string;
  call: string;
  args: string;
  /** The return value as text, or the errno name ("EPERM"). */
  ret: string;
  ok: boolean;
}
/** A cgroup hook that ran programs (see HookEvent in @bpfsim/net); wall-clock times are left out. */
export interface HookTimelineEvent extends Base, Omit<HookEvent, 'time' | 'progs'> {
  kind: 'hook';
  progs: { id: number; name: string; ret: number; insns: number }[];
}
/**
 * An SK_MSG verdict program's run on a send (sk_psock_msg_verdict): what it returned and
 * what that meant for the message's bytes. A drop fails the send with EACCES.
 */
export interface MsgTimelineEvent extends Base {
  kind: 'msg';
  host: string;
  /** The sending socket. */
  socket: string;
  prog: { id: number; name: string; ret: number; insns: number };
  verdict: 'pass' | 'redirect' | 'drop';
  /** Bytes in the message the program saw. */
  size: number;
  /** What bpf_msg_apply_bytes / bpf_msg_cork_bytes set (0: not set). */
  applyBytes: number;
  corkBytes: number;
  redirect?: { socket: string; ingress: boolean };
}
/** A frame a device sent: one line summary. */
export interface PacketTimelineEvent extends Base {
  kind: 'packet';
  host: string;
  dev: string;
  summary: string;
}
export interface TcpStateEvent extends Base {
  kind: 'tcp';
  host: string;
  socket: string;
  from: string;
  to: string;
}
/** An expectation a scenario checked. */
export interface ExpectEvent extends Base {
  kind: 'expect';
  /** What was checked, as the scenario named it. */
  step: string;
  ok: boolean;
  expected: string;
  actual: string;
}
/** A line of prose the scenario wrote (w.note()). */
export interface NoteEvent extends Base {
  kind: 'note';
  text: string;
}
export type TimelineEvent = SyscallEvent | HookTimelineEvent | MsgTimelineEvent | PacketTimelineEvent | TcpStateEvent | ExpectEvent | NoteEvent;

/** How much the text timeline shows: 0 expectations and notes, 1 + syscalls and hooks,
 * 2 + TCP states, 3 + every packet. */
export type TraceLevel = 0 | 1 | 2 | 3;

const LEVEL: Record<TimelineEvent['kind'], TraceLevel> = { expect: 0, note: 0, syscall: 1, hook: 1, msg: 1, tcp: 2, packet: 3 };

const ANSI = { dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m', blue: '\x1b[34m', magenta: '\x1b[35m', cyan: '\x1b[36m', bold: '\x1b[1m', reset: '\x1b[0m' };
type Color = keyof typeof ANSI;

/** "   1.250 ms" */
export function fmtTime(ns: number): string {
  return `${(ns / 1e6).toFixed(3).padStart(10)} ms`;
}

/** One event as a line of text (undefined when the trace level hides it). */
export function formatEvent(e: TimelineEvent, opts: { level: TraceLevel; color: boolean }): string | undefined {
  if (LEVEL[e.kind] > opts.level) return undefined;
  const c = (color: Color, s: string): string => (opts.color ? `${ANSI[color]}${s}${ANSI.reset}` : s);
  const t = c('dim', fmtTime(e.t));
  switch (e.kind) {
    case 'syscall':
      return `${t}  ${e.host.padEnd(8)} ${c('cyan', e.proc.padEnd(14))} ${e.call}(${e.args}) = ${e.ok ? e.ret : c('red', e.ret)}`;
    case 'hook': {
      const progs = e.progs.map((p) => `${p.name || `prog ${p.id}`}→${p.ret} (${p.insns} insns)`).join(', ');
      const rewrite = e.addr && e.addr.before !== e.addr.after ? ` ${e.addr.before} ⇒ ${c('bold', e.addr.after)}` : e.addr ? ` ${e.addr.before}` : '';
      const src = e.msgSrc ? ` from ${c('bold', e.msgSrc)}` : '';
      const verdict = e.verdict === 'ok' ? c('green', 'ok') : c('red', e.verdict);
      return `${t}  ${e.host.padEnd(8)} ${c('magenta', `hook ${e.hook}`)} ${e.cgroup}${rewrite}${src}: ${progs} → ${verdict}`;
    }
    case 'msg': {
      const to = e.redirect ? ` to ${c('bold', e.redirect.socket)}${e.redirect.ingress ? ' (ingress)' : ''}` : '';
      const bytes = `${e.size} bytes${e.applyBytes ? `, apply_bytes ${e.applyBytes}` : ''}${e.corkBytes ? `, cork_bytes ${e.corkBytes}` : ''}`;
      const verdict = e.verdict === 'drop' ? c('red', 'drop (EACCES)') : c('green', e.verdict);
      return `${t}  ${e.host.padEnd(8)} ${c('magenta', 'sk_msg')} ${e.socket}: ${bytes}: ${e.prog.name || `prog ${e.prog.id}`}→${e.prog.ret} (${e.prog.insns} insns) → ${verdict}${to}`;
    }
    case 'packet':
      return `${t}  ${e.host.padEnd(8)} ${c('blue', `pkt  ${e.dev}`)} ${e.summary}`;
    case 'tcp':
      return `${t}  ${e.host.padEnd(8)} ${c('yellow', 'tcp ')} ${e.socket} ${e.from} → ${e.to}`;
    case 'expect':
      return e.ok ? `${t}  ${c('green', '✓')} ${e.step}` : `${t}  ${c('red', `✗ ${e.step}: expected ${e.expected}, got ${e.actual}`)}`;
    case 'note':
      return `${t}  ${c('bold', `# ${e.text}`)}`;
  }
}
