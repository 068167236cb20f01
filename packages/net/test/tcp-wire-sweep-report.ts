// Pure helpers of the lossy-tcp sweep's Linux recording (tcp-wire-sweep.kernel.test.ts,
// tcp-wire-sweep-extra.kernel.test.ts): the golden file's shape, the CSV, the per-point table,
// and the check that a run's random drops are the hash's. No node: imports.
import type { WireCase, WireDir, WireGolden, WireRandomDrop, WireResult, WireSummary } from './tcp-wire-cases';
import { wireRandomDrop } from './tcp-wire-cases';
import { SWEEP_LIMIT_MS, sweepFinished } from './tcp-wire-sweep-cases';

/** golden/tcp-wire-sweep.json: the sweep's cases and results (WireGolden), and the extra case's
 * (its own id, recorded apart: extraWallSeconds, extraKernel) when recorded. */
export interface SweepGolden extends WireGolden {
  extraWallSeconds?: number;
  extraKernel?: string;
}

/** The loss rate of a case as the scenario's parameter (a fraction): its random rule's per mille / 1000, 0 without. */
export const caseLoss = (c: WireCase): number => {
  const r = (c.drops ?? []).find((d): d is WireRandomDrop => d.kind === 'random');
  return r ? r.permille / 1000 : 0;
};

/** The two kept runs' summaries of a result. */
export const keptRuns = (r: WireResult): WireSummary[] => [r.summary, r.summaryRun2].filter((s): s is WireSummary => !!s);

/** docs/lossy-tcp-linux.csv: one row per sweep case per kept run (transfer_ms empty when not finished). */
export function sweepCsv(cases: readonly WireCase[], results: readonly WireResult[]): string {
  const rows = ['loss,cc,seed,transfer_ms,finished'];
  cases.forEach((c, i) => {
    const seed = (c.drops ?? []).find((d): d is WireRandomDrop => d.kind === 'random')?.seed ?? Number(/seed(\d+)$/.exec(c.id)?.[1]);
    for (const s of keptRuns(results[i]!)) {
      const ok = sweepFinished(s.transferMs, c.waitLimitMs ?? SWEEP_LIMIT_MS);
      rows.push(`${caseLoss(c)},${c.cc ?? 'cubic'},${seed},${ok ? s.transferMs : ''},${ok}`);
    }
  });
  return rows.join('\n') + '\n';
}

export interface SweepPointStats {
  loss: number;
  cc: string;
  runs: number;
  finished: number;
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Dropped / packets over both directions and all kept runs. */
  dropRate: number;
}

/** Mean, min and max transferMs (finished runs) and the drop rate per loss and cc. */
export function sweepStats(cases: readonly WireCase[], results: readonly WireResult[]): SweepPointStats[] {
  const groups = new Map<string, { loss: number; cc: string; ms: number[]; runs: number; dropped: number; packets: number }>();
  cases.forEach((c, i) => {
    const key = `${caseLoss(c)} ${c.cc ?? 'cubic'}`;
    const g = groups.get(key) ?? { loss: caseLoss(c), cc: c.cc ?? 'cubic', ms: [], runs: 0, dropped: 0, packets: 0 };
    groups.set(key, g);
    for (const s of keptRuns(results[i]!)) {
      g.runs++;
      if (sweepFinished(s.transferMs, c.waitLimitMs ?? SWEEP_LIMIT_MS)) g.ms.push(s.transferMs);
      g.dropped += s.dropped.c2s + s.dropped.s2c;
      g.packets += s.packets.c2s + s.packets.s2c;
    }
  });
  return [...groups.values()].map((g) => ({
    loss: g.loss,
    cc: g.cc,
    runs: g.runs,
    finished: g.ms.length,
    meanMs: g.ms.length ? g.ms.reduce((a, b) => a + b, 0) / g.ms.length : NaN,
    minMs: Math.min(...g.ms),
    maxMs: Math.max(...g.ms),
    dropRate: g.packets ? g.dropped / g.packets : 0,
  }));
}

/** The per-point table, as markdown. */
export function sweepTable(stats: readonly SweepPointStats[]): string {
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
  return [
    '| loss | cc | runs | finished | mean transfer_ms | min | max | drop rate |',
    '|---|---|---|---|---|---|---|---|',
    ...stats.map((s) => `| ${s.loss} | ${s.cc} | ${s.runs} | ${s.finished} | ${f(s.meanMs)} | ${f(s.minMs)} | ${f(s.maxMs)} | ${(s.dropRate * 100).toFixed(1)}% |`),
  ].join('\n');
}

/** '' when a run's drops are exactly the random rules' (the hash's ordinals among the packets
 * seen, their count and the first 20 of them, per direction), else what differs. Assumes no dup rule (no copies). */
export function sweepDropsAsHashed(c: WireCase, s: WireSummary): string {
  for (const dir of ['c2s', 's2c'] as WireDir[]) {
    const rule = (c.drops ?? []).find((d): d is WireRandomDrop => d.kind === 'random' && d.dir === dir);
    const want: number[] = [];
    if (rule) for (let k = 1; k <= s.packets[dir]; k++) if (wireRandomDrop(dir, k, rule.seed, rule.permille)) want.push(k);
    if (want.length !== s.dropped[dir]) return `${dir}: ${s.dropped[dir]} dropped, the hash says ${want.length} of ${s.packets[dir]}`;
    if (want.slice(0, 20).join() !== s.firstDropped[dir].join()) return `${dir}: dropped ordinals ${s.firstDropped[dir].join()}, the hash says ${want.slice(0, 20).join()}`;
  }
  return '';
}
