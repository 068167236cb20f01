// Linux's side of the lossy-tcp sweep (scenarios/lossy-tcp.ts): the scenario's transfer — 256 KiB
// from a client to a server, the client shutting down writing once all is taken, the server
// reading to end of file — over the delay line with a 5 ms one-way delay and the same random
// loss rate in both directions (no bandwidth limit, no duplication or reordering), for every
// point of
//   bpfsim sweep lossy-tcp --param loss=0,0.02,0.05,0.1,0.15,0.2 --param cc=cubic,bbr
//     --param duplicate=0 --param reorder=0 --param bandwidth=0 --seeds 1..5 --metric transfer_ms
// with the drop hash's seed standing in for the scenario's seed (the two draw different losses:
// the points are to be compared as distributions, not seed by seed). Kept in summary only; the
// summary's transferMs (WireSummary) is the scenario's transfer_ms: the client's first SYN to the
// server having every byte through the FIN. tcp-wire-sweep.kernel.test.ts records them into
// golden/tcp-wire-sweep.json and docs/lossy-tcp-linux.csv.
//
// Also one case apart from the sweep (SWEEP_EXTRA_ID): 10 MB at RTT 1 ms with 20% random loss
// each way, to learn whether Linux finishes it within 10 minutes.
import type { WireCase, WireStep } from './tcp-wire-cases';
import { mk } from './tcp-wire-cases';

/** The scenario's transfer: 256 KiB. */
export const SWEEP_BYTES = 256 * 1024;
/** The sweep's loss rates, per mille (the scenario's loss 0, 0.02, 0.05, 0.1, 0.15, 0.2). */
export const SWEEP_PERMILLE = [0, 20, 50, 100, 150, 200] as const;
export const SWEEP_CCS = ['cubic', 'bbr'] as const;
export const SWEEP_SEEDS = [1, 2, 3, 4, 5] as const;
/** A sweep case's limit (WireCase.limitMs and waitLimitMs): the case gives up this long after
 * its start; a run whose server has not had the stream through the FIN within this long of the
 * first SYN counts as not finished (sweepFinished). */
export const SWEEP_LIMIT_MS = 300_000;
/** The extra case: 10 MB at delay 0.5 ms, 20% random loss each way, seed 1, cubic. */
export const SWEEP_EXTRA_ID = 'extra-10m-loss20-seed1';
export const SWEEP_EXTRA_BYTES = 10_000_000;
export const SWEEP_EXTRA_LIMIT_MS = 600_000;

/** The loss rates at which seeds 4 and 5 are left out when `short` (to keep the recording under ~20 minutes). */
export const SWEEP_SHORT_PERMILLE: readonly number[] = [150, 200];

/** The scenario's steps: the client connects and sends `bytes` once connected, shuts down writing
 * when all is taken; the server accepts, reads to EOF and closes. */
export function sweepSteps(bytes: number): WireStep[] {
  return [
    { op: 'listen', sock: 'L' },
    { op: 'connect', sock: 'c' },
    { op: 'send', sock: 'c', bytes, wait: 'connected' },
    { op: 'accept', sock: 's', from: 'L', wait: 'acceptable' },
    { op: 'read', sock: 's' },
    { op: 'shutdown', sock: 'c', how: 'wr', wait: 'sent' },
    { op: 'info', sock: 's', wait: 'read-done' },
    { op: 'close', sock: 's' },
  ];
}

export const sweepId = (cc: string, permille: number, seed: number): string => `sweep-${cc}-loss${permille / 10}-seed${seed}`;

/** The sweep's cases: loss × cc × seed (60; with `short`, seeds 4-5 left out at 15% and 20%: 52). */
export function wireSweepCases(opts: { short?: boolean } = {}): WireCase[] {
  const out: WireCase[] = [];
  for (const permille of SWEEP_PERMILLE) {
    for (const cc of SWEEP_CCS) {
      for (const seed of SWEEP_SEEDS) {
        if (opts.short && seed > 3 && SWEEP_SHORT_PERMILLE.includes(permille)) continue;
        out.push(
          mk({
            id: sweepId(cc, permille, seed),
            lesson: `lossy-tcp's transfer (256 KiB, the client shuts down writing) at RTT 10 ms, ${permille / 10}% random loss each way (hash seed ${seed}), ${cc}: transferMs (kept in summary)`,
            delayMs: 5,
            ...(cc === 'cubic' ? {} : { cc }),
            summary: true,
            waitLimitMs: SWEEP_LIMIT_MS,
            limitMs: SWEEP_LIMIT_MS,
            ...(permille ? { needsSack: 'loss recovery under random loss: RACK, PRR, TLP, RTOs with backoff' } : {}),
            drops: permille
              ? [
                  { kind: 'random', dir: 'c2s', permille, seed },
                  { kind: 'random', dir: 's2c', permille, seed },
                ]
              : [],
            steps: sweepSteps(SWEEP_BYTES),
          }),
        );
      }
    }
  }
  return out;
}

/** The extra case (recorded after the sweep, in the same golden file). */
export function wireSweepExtraCase(): WireCase {
  return mk({
    id: SWEEP_EXTRA_ID,
    lesson: '10 MB at RTT 1 ms with 20% random loss each way (hash seed 1), cubic: does Linux finish within 10 minutes? (kept in summary)',
    delayMs: 0.5,
    summary: true,
    waitLimitMs: SWEEP_EXTRA_LIMIT_MS,
    limitMs: SWEEP_EXTRA_LIMIT_MS,
    needsSack: 'loss recovery at 20% loss: RACK, PRR, TLP, RTOs with backoff',
    drops: [
      { kind: 'random', dir: 'c2s', permille: 200, seed: 1 },
      { kind: 'random', dir: 's2c', permille: 200, seed: 1 },
    ],
    steps: sweepSteps(SWEEP_EXTRA_BYTES),
  });
}

/** Loss of a sweep case as the scenario's parameter (a fraction: 0, 0.02, …) and its cc and seed, from its id. */
export function sweepPoint(id: string): { loss: number; cc: string; seed: number } | null {
  const m = /^sweep-(\w+)-loss(\d+)-seed(\d+)$/.exec(id);
  return m ? { loss: Number(m[2]) / 100, cc: m[1]!, seed: Number(m[3]) } : null;
}

/** Whether a run finished: the server had the stream through the FIN within `limitMs` of the first SYN. */
export const sweepFinished = (transferMs: number | null | undefined, limitMs: number): transferMs is number =>
  typeof transferMs === 'number' && transferMs <= limitMs;
