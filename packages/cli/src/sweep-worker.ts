// Runs the points of a `bpfsim sweep` grid: in this thread one after the other (--jobs 1),
// or on a pool of worker_threads, each loading the scenario module once (as `bpfsim run`
// does, with loadScenario) and running the points it is handed. The worker is the CLI
// bundle itself started again: entry.ts sees isSweepWorker() and serves runs instead of
// parsing argv. Results are stored by grid index, so their order never depends on timing.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { ScenarioDef } from '@bpfsim/scenario';
import { runScenario } from '@bpfsim/scenario';
import { loadScenario } from './commands/run';

/** One point of the grid: a seed and the parameter values. */
export interface SweepPoint {
  seed: number;
  params: Record<string, string | number>;
}

/** What one run gave: ok, why not, the metrics, and the parameters the scenario read. */
export interface PointResult {
  ok: boolean;
  failure?: string;
  metrics: Record<string, number>;
  paramsRead: string[];
}

interface Job extends SweepPoint {
  id: number;
  file: string;
}

const WORKER_TAG = 'bpfsim-sweep-worker';

/** Runs one point; a scenario that throws or fails is a result with ok=false, never an exception. */
export async function runPoint(def: ScenarioDef, point: SweepPoint): Promise<PointResult> {
  try {
    const r = await runScenario(def, { seed: point.seed, params: point.params });
    return {
      ok: r.ok,
      ...(r.ok ? {} : { failure: r.failure ? `${r.failure.code}: ${r.failure.message}` : 'an expectation did not hold' }),
      metrics: r.metrics,
      paramsRead: r.paramsRead,
    };
  } catch (e) {
    return { ok: false, failure: (e as Error)?.message ?? String(e), metrics: {}, paramsRead: [] };
  }
}

/** True in a thread started by runGrid (entry.ts then calls sweepWorkerMain). */
export function isSweepWorker(): boolean {
  return !isMainThread && (workerData as { tag?: string } | null)?.tag === WORKER_TAG;
}

/** The worker's loop: a job in, a result out; scenario modules are loaded once per file. */
export function sweepWorkerMain(): void {
  const defs = new Map<string, Promise<ScenarioDef>>();
  parentPort!.on('message', (job: Job) => {
    void (async () => {
      let result: PointResult;
      try {
        let def = defs.get(job.file);
        if (!def) defs.set(job.file, (def = loadScenario(job.file)));
        result = await runPoint(await def, job);
      } catch (e) {
        result = { ok: false, failure: (e as Error)?.message ?? String(e), metrics: {}, paramsRead: [] };
      }
      parentPort!.postMessage({ id: job.id, result });
    })();
  });
}

let devWorker: string | undefined;

/**
 * The script a worker runs: this bundle (dist/bpfsim.cjs). Run from sources (the tests),
 * entry.ts is bundled once with esbuild next to the CLI bundle, where 'esbuild' (which
 * loadScenario imports) resolves; the file is named by its content hash and renamed into
 * place, so concurrent test processes never read a half-written one.
 */
async function workerScript(): Promise<string> {
  if (/\.c?js$/.test(__filename)) return __filename;
  if (devWorker) return devWorker;
  const esbuild = await import('esbuild');
  const r = await esbuild.build({ entryPoints: [path.join(__dirname, 'entry.ts')], bundle: true, write: false, platform: 'node', format: 'cjs', target: 'node20', external: ['esbuild'], logLevel: 'silent' });
  const code = r.outputFiles[0]!.contents;
  const dir = path.resolve(__dirname, '../dist');
  const file = path.join(dir, `.sweep-worker-${crypto.createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
    // Older sources' workers, unused for an hour, go.
    for (const f of fs.readdirSync(dir)) {
      const old = path.join(dir, f);
      if (/^\.sweep-worker-[0-9a-f]+\.cjs$/.test(f) && old !== file && fs.statSync(old).mtimeMs < Date.now() - 3_600_000) fs.rmSync(old, { force: true });
    }
  }
  return (devWorker = file);
}

/**
 * Runs every point and returns the results in grid order. `jobs` 1 runs them here, in
 * order, with `def`; more starts that many workers. `onDone` is called as each finishes.
 */
export async function runGrid(file: string, def: ScenarioDef, points: readonly SweepPoint[], jobs: number, onDone: (index: number, r: PointResult) => void): Promise<PointResult[]> {
  const results: PointResult[] = new Array<PointResult>(points.length);
  if (jobs <= 1) {
    for (const [i, p] of points.entries()) {
      results[i] = await runPoint(def, p);
      onDone(i, results[i]!);
    }
    return results;
  }
  const script = await workerScript();
  let next = 0;
  let done = 0;
  const workers = new Set<Worker>();
  await new Promise<void>((resolve) => {
    const finish = (i: number, r: PointResult): void => {
      results[i] = r;
      done++;
      onDone(i, r);
      if (done === points.length) resolve();
    };
    const start = (): void => {
      const w = new Worker(script, { workerData: { tag: WORKER_TAG } });
      workers.add(w);
      let current = -1;
      const feed = (): void => {
        if (next >= points.length) {
          current = -1;
          workers.delete(w);
          void w.terminate();
          return;
        }
        current = next++;
        w.postMessage({ id: current, file, ...points[current]! } satisfies Job);
      };
      // A worker that dies takes its run with it (a row with ok=false); a fresh one goes on.
      const lost = (why: string): void => {
        if (!workers.has(w)) return;
        workers.delete(w);
        void w.terminate();
        if (current >= 0) {
          const i = current;
          current = -1;
          if (next < points.length) start();
          finish(i, { ok: false, failure: `the worker died: ${why}`, metrics: {}, paramsRead: [] });
        }
      };
      w.on('message', (m: { id: number; result: PointResult }) => {
        const i = m.id;
        feed();
        finish(i, m.result);
      });
      w.on('error', (e) => lost(e.message));
      w.on('exit', (code) => lost(`exit code ${code}`));
      feed();
    };
    for (let k = 0; k < Math.min(jobs, points.length); k++) start();
  });
  await Promise.all([...workers].map((w) => w.terminate()));
  return results;
}
