// A run as a sequence diagram (bpfsim run --svg FILE): one lane per host, time going down
// (one row per event, the virtual time at the left), packets as arrows from the sending
// host's lane to the receiving one's (a loop for loopback), hook runs as boxes on their
// host's lane with the verdict and the rewrite, socket calls as notes, expectations in the
// margin. Plain SVG 1.1 text, made without a DOM.
import type { RunResult } from './runner';
import type { TimelineEvent, TraceLevel } from './timeline';
import { fmtTime } from './timeline';

/** A link between two hosts' devices, to know where a frame a device sends arrives. */
export interface SvgLink {
  a: { host: string; dev: string };
  b: { host: string; dev: string };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function renderSvg(r: RunResult, links: readonly SvgLink[], opts: { level?: TraceLevel; title?: string } = {}): string {
  const level = opts.level ?? 3;
  const LEVEL: Record<TimelineEvent['kind'], number> = { expect: 0, note: 0, syscall: 1, hook: 1, msg: 1, tcp: 2, packet: 3 };
  const events = r.events.filter((e) => LEVEL[e.kind] <= level);
  const hosts: string[] = [];
  const see = (h: string): void => void (hosts.includes(h) || hosts.push(h));
  for (const l of links) (see(l.a.host), see(l.b.host));
  for (const e of events) if ('host' in e && typeof e.host === 'string') see(e.host);
  const peer = new Map<string, string>();
  for (const l of links) {
    peer.set(`${l.a.host}/${l.a.dev}`, l.b.host);
    peer.set(`${l.b.host}/${l.b.dev}`, l.a.host);
  }
  const LEFT = 110;
  const LANE = 340;
  const ROW = 22;
  const TOP = 70;
  const x = (h: string): number => LEFT + 130 + hosts.indexOf(h) * LANE;
  const width = LEFT + 130 + Math.max(1, hosts.length) * LANE;
  const height = TOP + (events.length + 1) * ROW + 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#2563eb"/></marker></defs>');
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${esc(opts.title ?? `${r.name} (seed ${r.seed})`)}</text>`);
  for (const h of hosts) {
    out.push(`<text x="${x(h)}" y="${TOP - 20}" text-anchor="middle" font-weight="bold">${esc(h)}</text>`);
    out.push(`<line x1="${x(h)}" y1="${TOP - 12}" x2="${x(h)}" y2="${height - 10}" stroke="#9ca3af" stroke-dasharray="4 3"/>`);
  }
  events.forEach((e, i) => {
    const y = TOP + i * ROW + 10;
    out.push(`<text x="10" y="${y + 4}" fill="#6b7280">${esc(fmtTime(e.t).trim())}</text>`);
    switch (e.kind) {
      case 'packet': {
        const from = x(e.host);
        const toHost = e.dev === 'lo' ? e.host : peer.get(`${e.host}/${e.dev}`);
        if (!toHost || toHost === e.host) {
          out.push(`<path d="M ${from} ${y - 6} C ${from + 40} ${y - 10}, ${from + 40} ${y + 8}, ${from + 2} ${y + 4}" fill="none" stroke="#2563eb" marker-end="url(#arrow)"/>`);
          out.push(`<text x="${from + 46}" y="${y + 4}" fill="#2563eb">${esc(clip(e.summary, 60))}</text>`);
        } else {
          const to = x(toHost);
          out.push(`<line x1="${from}" y1="${y}" x2="${to}" y2="${y}" stroke="#2563eb" marker-end="url(#arrow)"/>`);
          out.push(`<text x="${(from + to) / 2}" y="${y - 4}" text-anchor="middle" fill="#2563eb">${esc(clip(e.summary, Math.max(24, Math.floor(Math.abs(to - from) / 6.5))))}</text>`);
        }
        break;
      }
      case 'hook': {
        const label = `${e.hook.replace(/^cgroup_/, '')} ${e.addr && e.addr.before !== e.addr.after ? `${e.addr.before} ⇒ ${e.addr.after} ` : ''}${e.verdict}`;
        const w = Math.min(LANE - 12, 8 + label.length * 6.6);
        const fill = e.verdict === 'ok' ? '#f3e8ff' : '#fee2e2';
        out.push(`<rect x="${x(e.host) - w / 2}" y="${y - 9}" width="${w}" height="16" rx="3" fill="${fill}" stroke="#7c3aed"/>`);
        out.push(`<text x="${x(e.host)}" y="${y + 3}" text-anchor="middle">${esc(clip(label, Math.floor((LANE - 20) / 6.6)))}</text>`);
        break;
      }
      case 'msg': {
        const label = `sk_msg ${e.size} B ${e.verdict}${e.redirect ? ` → ${e.redirect.socket.replace(/^tcp /, '')}${e.redirect.ingress ? ' (ingress)' : ''}` : ''}`;
        const w = Math.min(LANE - 12, 8 + label.length * 6.6);
        const fill = e.verdict === 'drop' ? '#fee2e2' : '#f3e8ff';
        out.push(`<rect x="${x(e.host) - w / 2}" y="${y - 9}" width="${w}" height="16" rx="3" fill="${fill}" stroke="#7c3aed"/>`);
        out.push(`<text x="${x(e.host)}" y="${y + 3}" text-anchor="middle">${esc(clip(label, Math.floor((LANE - 20) / 6.6)))}</text>`);
        break;
      }
      case 'syscall':
        out.push(`<text x="${x(e.host) + 6}" y="${y + 4}" fill="${e.ok ? '#0f766e' : '#b91c1c'}">${esc(clip(`${e.call}(${e.args}) = ${e.ret}`, 40))}</text>`);
        break;
      case 'tcp':
        out.push(`<text x="${x(e.host) + 6}" y="${y + 4}" fill="#a16207">${esc(clip(`${e.from.replace('TCP_', '')} → ${e.to.replace('TCP_', '')}`, 40))}</text>`);
        break;
      case 'expect':
        out.push(`<text x="${LEFT}" y="${y + 4}" fill="${e.ok ? '#15803d' : '#b91c1c'}">${esc(e.ok ? `✓ ${clip(e.step, 80)}` : `✗ ${clip(e.step, 50)}: expected ${clip(e.expected, 20)}, got ${clip(e.actual, 20)}`)}</text>`);
        break;
      case 'note':
        out.push(`<text x="${LEFT}" y="${y + 4}" font-style="italic">${esc(clip(`# ${e.text}`, 110))}</text>`);
        break;
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
