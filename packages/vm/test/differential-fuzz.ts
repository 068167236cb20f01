// `npm run fuzz -- jit-interp N [SEED]`: N cases of the JIT/interpreter differential
// (differential-case.ts) outside Jest, one after the other in constant memory. Program i's
// seed is programSeed(SEED, i). A progress line (programs done, rate, disagreements, ETA)
// goes to stderr, in place on a terminal and once a minute otherwise; every disagreeing
// program is printed on stdout with the command that replays it; the last line is the
// summary. Exit status 1 on any disagreement (or an engine's crash), 0 otherwise.
//
// scripts/fuzz.mjs bundles this file with esbuild and runs it: node <bundle> N SEED.
import { agree, diffCase, programSeed } from './differential-case';
import type { DiffCase, Ending } from './differential-case';

const REPLAY_ONE = (seed: number): string => `BPFSIM_DIFF_PROGRAM=${seed} npx jest packages/vm/test/differential`;
/** Seeds kept for the summary; every one is printed when found. */
const KEEP = 20;

function describe(c: DiffCase): string {
  const a = c.interp;
  const b = c.jit;
  const what: string[] = [];
  const fault = (o: typeof a): string => (o.result.fault ? `${o.result.fault.kind} fault at ${o.result.fault.pc}` : 'exit');
  if (fault(a) !== fault(b)) what.push(`interp ${fault(a)}, jit ${fault(b)}`);
  if (a.result.r0 !== b.result.r0) what.push(`r0 interp 0x${a.result.r0.toString(16)}, jit 0x${b.result.r0.toString(16)}`);
  if (a.result.insnCount !== b.result.insnCount) what.push(`insns interp ${a.result.insnCount}, jit ${b.result.insnCount}`);
  if (a.calls.join() !== b.calls.join()) what.push('helper calls differ');
  const names = ['data', 'rodata', ...a.memory.slice(2).map((_, d) => `frame ${d}`)];
  const mem = a.memory.findIndex((m, i) => m.some((x, j) => x !== b.memory[i]![j]));
  if (mem >= 0) what.push(`${names[mem]} memory differs`);
  return what.join('; ') || 'fault details differ';
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  s = Math.round(s);
  const m = Math.floor(s / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function main(): Promise<number> {
  const total = Number(process.argv[2]);
  const runSeed = Number(process.argv[3]);
  if (!Number.isSafeInteger(total) || total < 1 || !Number.isSafeInteger(runSeed) || runSeed < 0) {
    console.error('usage: node <bundle> N SEED (N >= 1, SEED >= 0)');
    return Promise.resolve(2);
  }
  const replayRun = `npm run fuzz -- jit-interp ${total} ${runSeed}`;
  const tty = process.stderr.isTTY === true;
  const started = performance.now();
  const endings: Record<Ending, number> = { exit: 0, fault: 0, budget: 0 };
  const bad: number[] = [];
  let done = 0;
  let disagreements = 0;
  let crashes = 0;
  let lastProgress = started;

  const progress = (final = false): void => {
    const s = (performance.now() - started) / 1000;
    const rate = done / Math.max(s, 1e-9);
    const line = `jit-interp: ${done.toLocaleString('en')}/${total.toLocaleString('en')} programs, ${Math.round(rate)}/s, ${disagreements + crashes} disagreeing, ${final ? `${fmtTime(s)} elapsed` : `ETA ${fmtTime((total - done) / rate)}`}`;
    process.stderr.write(tty ? `\r${line}\x1b[K${final ? '\n' : ''}` : `${line}\n`);
  };
  const say = (line: string): void => {
    if (tty) process.stderr.write('\r\x1b[K');
    process.stdout.write(line + '\n');
  };
  const summary = (stopped?: string): void => {
    if (tty) progress(true);
    const s = (performance.now() - started) / 1000;
    const pct = (n: number): string => `${((100 * n) / Math.max(done, 1)).toFixed(1)}%`;
    const failed = disagreements + crashes;
    const seeds = bad.length ? `; seeds ${bad.join(', ')}${failed > bad.length ? ', …' : ''}` : '';
    say(
      `fuzz jit-interp${stopped ? ` (${stopped})` : ''}: ${done.toLocaleString('en')} of ${total.toLocaleString('en')} programs, seed ${runSeed}, in ${s.toFixed(1)} s (${Math.round(done / Math.max(s, 1e-9))} programs/s): ` +
        `${disagreements} disagreements, ${crashes} crashes${seeds}; endings: exit ${pct(endings.exit)}, fault ${pct(endings.fault)}, budget ${pct(endings.budget)}; rerun: ${replayRun}`,
    );
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      summary(`stopped by ${sig}`);
      process.exit(disagreements + crashes > 0 ? 1 : 130);
    });
  }

  say(`fuzz jit-interp: ${total.toLocaleString('en')} random programs, seed ${runSeed} (program i's seed is programSeed(${runSeed}, i); rerun: ${replayRun})`);
  // Signals are handled between chunks: the loop yields to the event loop every CHUNK cases.
  const CHUNK = 200;
  return new Promise<number>((resolve) => {
    const step = (): void => {
      const end = Math.min(total, done + CHUNK);
      for (; done < end; ) {
        const seed = programSeed(runSeed, done);
        let c: DiffCase | undefined;
        try {
          c = diffCase(seed);
        } catch (e) {
          crashes++;
          if (bad.length < KEEP) bad.push(seed);
          say(`crash: program seed ${seed} (#${done}): ${e instanceof Error ? e.message : String(e)}; replay: ${REPLAY_ONE(seed)}`);
        }
        done++;
        if (c === undefined) continue;
        endings[c.ending]++;
        if (!agree(c)) {
          disagreements++;
          if (bad.length < KEEP) bad.push(seed);
          say(`disagreement: program seed ${seed} (#${done - 1}): ${describe(c)}; replay: ${REPLAY_ONE(seed)}`);
        }
        if ((done & 63) === 0) {
          const now = performance.now();
          if (now - lastProgress >= (tty ? 250 : 60_000)) {
            lastProgress = now;
            progress();
          }
        }
      }
      if (done < total) {
        setImmediate(step);
        return;
      }
      summary();
      let status = disagreements + crashes > 0 ? 1 : 0;
      // As the Jest slice checks: the generator must reach every ending, or agreement proves little.
      if (done >= 1000 && (endings.exit <= done / 10 || endings.fault <= done / 20 || endings.budget <= done / 100)) {
        say(`fuzz jit-interp: the generator's endings are too one-sided (exit ${endings.exit}, fault ${endings.fault}, budget ${endings.budget})`);
        status = 1;
      }
      resolve(status);
    };
    step();
  });
}

void main().then((status) => {
  process.exitCode = status;
});
