// The plot of `bpfsim sweep --svg FILE`: a metric against the first parameter, one series
// per value of the second, a point per run (hollow when the run failed) and a line through
// the mean at each x. The x axis is numeric when every value is a number, else the values
// as categories in the order given. Plain SVG 1.1 text, made without a DOM (as
// @bpfsim/scenario's sequence diagrams), and the same input gives the same bytes.

export interface PlotPoint {
  /** The first parameter's value, as given on the command line. */
  x: string;
  /** The second parameter's value, when there is one. */
  series?: string;
  seed: number;
  ok: boolean;
  value: number;
}

export interface PlotInput {
  title: string;
  subtitle: string;
  metric: string;
  x: { name: string; values: readonly string[] };
  series?: { name: string; values: readonly string[] };
  points: readonly PlotPoint[];
  /** Points measured elsewhere (e.g. Linux on the same kind of link), drawn as crosses in
   * their series' colour beside the runs: `bpfsim sweep --reference FILE`. */
  reference?: { label: string; points: readonly Omit<PlotPoint, 'seed' | 'ok'>[] };
  /** A logarithmic y axis (for a metric over orders of magnitude). */
  logY?: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r2 = (n: number): number => Math.round(n * 100) / 100;
/** A number for people: at most 6 significant digits, no float noise (0.30000000000000004). */
export const fmtNum = (n: number): string => String(Number(n.toPrecision(6)));
const isNum = (s: string): boolean => /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s);
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

/** Round tick positions covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
function ticks(lo: number, hi: number): { lo: number; hi: number; at: number[] } {
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    (lo -= pad), (hi += pad);
  }
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const at: number[] = [];
  for (let i = 0; first + i * step <= last + step * 1e-9; i++) at.push(Number((first + i * step).toPrecision(12)));
  return { lo: first, hi: last, at };
}

/** Mean, min and max of the values (for the plot's line and the summary table). */
export function stats(values: readonly number[]): { n: number; mean: number; min: number; max: number } {
  return { n: values.length, mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

export function renderPlot(p: PlotInput): string {
  const W = 780;
  const H = 480;
  const L = 90;
  const T = 70;
  const R = W - 190;
  const B = H - 70;
  const series = p.series ? p.series.values.map((v) => ({ key: v as string | undefined, name: `${p.series!.name}=${v}` })) : [{ key: undefined, name: p.metric }];
  const numeric = p.x.values.every(isNum);
  const band = (R - L) / p.x.values.length;
  let xOf: (x: string) => number;
  const xTicks: { at: number; label: string }[] = [];
  if (numeric) {
    const vals = p.x.values.map(Number);
    const t = ticks(Math.min(...vals), Math.max(...vals));
    xOf = (x) => L + 20 + ((Number(x) - t.lo) / (t.hi - t.lo)) * (R - L - 40);
    for (const v of t.at) xTicks.push({ at: xOf(String(v)), label: fmtNum(v) });
  } else {
    xOf = (x) => L + (p.x.values.indexOf(x) + 0.5) * band;
    for (const v of p.x.values) xTicks.push({ at: xOf(v), label: v });
  }
  // Series side by side at each x, so their points do not hide each other.
  const dodge = (si: number): number => (si - (series.length - 1) / 2) * Math.min(8, (numeric ? 40 : band) / (series.length + 1));
  const ref = p.reference?.points ?? [];
  const values = [...p.points, ...ref].map((q) => q.value).filter((v) => !p.logY || v > 0);
  let yt: { lo: number; hi: number; at: number[] };
  let yOf: (v: number) => number;
  if (p.logY) {
    // Decades: 10^k ticks from below the least value to above the largest.
    const lo = Math.floor(Math.log10(values.length ? Math.min(...values) : 1));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(values.length ? Math.max(...values) : 10)));
    yt = { lo, hi, at: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)) };
    yOf = (v) => B - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (B - T);
  } else {
    yt = ticks(values.length ? Math.min(...values) : 0, values.length ? Math.max(...values) : 1);
    yOf = (v) => B - ((v - yt.lo) / (yt.hi - yt.lo)) * (B - T);
  }

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(`<text x="${L}" y="24" font-size="15" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<text x="${L}" y="44" fill="#6b7280">${esc(p.subtitle)}</text>`);
  // Grid, axes and their labels.
  for (const v of yt.at) {
    const y = r2(yOf(v));
    out.push(`<line x1="${L}" y1="${y}" x2="${R}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(`<text x="${L - 8}" y="${y + 4}" text-anchor="end" fill="#374151">${esc(fmtNum(v))}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${r2(t.at)}" y1="${B}" x2="${r2(t.at)}" y2="${B + 5}" stroke="#374151"/>`);
    out.push(`<text x="${r2(t.at)}" y="${B + 20}" text-anchor="middle" fill="#374151">${esc(t.label)}</text>`);
  }
  out.push(`<line x1="${L}" y1="${B}" x2="${R}" y2="${B}" stroke="#374151"/>`);
  out.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${B}" stroke="#374151"/>`);
  out.push(`<text x="${r2((L + R) / 2)}" y="${B + 45}" text-anchor="middle" font-weight="bold">${esc(p.x.name)}</text>`);
  out.push(`<text x="20" y="${r2((T + B) / 2)}" text-anchor="middle" font-weight="bold" transform="rotate(-90 20 ${r2((T + B) / 2)})">${esc(p.metric)}</text>`);
  // Each series: its runs as points, the mean at each x joined by a line.
  series.forEach((s, si) => {
    const color = COLORS[si % COLORS.length]!;
    const mine = p.points.filter((q) => q.series === s.key);
    const means: string[] = [];
    out.push(`<g>`);
    for (const x of p.x.values) {
      const here = mine.filter((q) => q.x === x);
      const cx = r2(xOf(x) + dodge(si));
      for (const q of here) {
        const attrs = q.ok ? `fill="${color}" fill-opacity="0.5"` : `fill="#ffffff" stroke="${color}"`;
        out.push(`<circle cx="${cx}" cy="${r2(yOf(q.value))}" r="3" ${attrs}><title>${esc(`${p.x.name}=${x}${s.key !== undefined ? ` ${s.name}` : ''} seed ${q.seed}: ${fmtNum(q.value)}${q.ok ? '' : ' (failed)'}`)}</title></circle>`);
      }
      if (here.length) means.push(`${cx},${r2(yOf(stats(here.map((q) => q.value)).mean))}`);
    }
    if (means.length > 1) out.push(`<polyline points="${means.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
    // The reference's points for this series: crosses, a little to the right of the runs.
    for (const q of ref.filter((r) => r.series === s.key && p.x.values.includes(r.x))) {
      const cx = r2(xOf(q.x) + dodge(si) + 6);
      const cy = r2(yOf(q.value));
      out.push(`<path d="M${r2(cx - 4)},${r2(cy - 4)}L${r2(cx + 4)},${r2(cy + 4)}M${r2(cx - 4)},${r2(cy + 4)}L${r2(cx + 4)},${r2(cy - 4)}" stroke="${color}" stroke-width="1.5"><title>${esc(`${p.reference!.label}: ${p.x.name}=${q.x}${s.key !== undefined ? ` ${s.name}` : ''}: ${fmtNum(q.value)}`)}</title></path>`);
    }
    for (const m of means) {
      const [mx, my] = m.split(',');
      out.push(`<rect x="${r2(Number(mx) - 3.5)}" y="${r2(Number(my) - 3.5)}" width="7" height="7" fill="${color}"/>`);
    }
    out.push(`</g>`);
  });
  // Legend: the series, then what the marks mean.
  const lx = R + 24;
  let ly = T + 6;
  for (const [si, s] of series.entries()) {
    const color = COLORS[si % COLORS.length]!;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<rect x="${lx + 7.5}" y="${ly - 3.5}" width="7" height="7" fill="${color}"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(s.name)}</text>`);
    ly += 20;
  }
  ly += 8;
  out.push(`<circle cx="${lx + 11}" cy="${ly}" r="3" fill="#6b7280" fill-opacity="0.5"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 4}" fill="#6b7280">a run (seed)</text>`);
  ly += 18;
  out.push(`<rect x="${lx + 7.5}" y="${ly - 3.5}" width="7" height="7" fill="#6b7280"/>`);
  out.push(`<text x="${lx + 30}" y="${ly + 4}" fill="#6b7280">mean</text>`);
  if (ref.length) {
    ly += 18;
    out.push(`<path d="M${lx + 7},${ly - 4}L${lx + 15},${ly + 4}M${lx + 7},${ly + 4}L${lx + 15},${ly - 4}" stroke="#6b7280" stroke-width="1.5"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}" fill="#6b7280">${esc(p.reference!.label)}</text>`);
  }
  if (p.points.some((q) => !q.ok)) {
    ly += 18;
    out.push(`<circle cx="${lx + 11}" cy="${ly}" r="3" fill="#ffffff" stroke="#6b7280"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}" fill="#6b7280">a failed run</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
