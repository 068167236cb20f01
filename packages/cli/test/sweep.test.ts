import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src';
import { MemoryIo } from './memory-io';

// A tiny scenario: no network, a metric computed from its parameters and seed, and a
// failing expectation at one grid point (a=3, mode=y).
const SCENARIO = `import { scenario } from '@bpfsim/scenario';
export default scenario({
  name: 'tiny',
  lesson: 'params in, metrics out',
  seed: 9,
  async run(w) {
    const a = w.param('a', 1);
    const mode = w.param('mode', 'x');
    w.metric('score', a * 10 + w.seed + (mode === 'y' ? 0.5 : 0));
    if (mode === 'y') w.metric('only_y', 1);
    w.expect(a === 3 && mode === 'y', 'not the bad corner').toBe(false);
  },
});
`;

let dir: string;
let file: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-sweep-'));
  file = path.join(dir, 'tiny.ts');
  fs.writeFileSync(file, SCENARIO);
});
afterAll(() => fs.rmSync(dir, { recursive: true }));

const text = (io: MemoryIo, f: string): string => new TextDecoder().decode(io.files.get(f)!);

async function sweep(...args: string[]): Promise<{ code: number; io: MemoryIo }> {
  const io = new MemoryIo();
  const code = await runCli(['sweep', ...args], io);
  return { code, io };
}

/** Start and end tags balance (a tiny well-formedness check; self-closing tags count as both). */
function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]!);
    else if (stack.pop() !== m[2]) return false;
  }
  return stack.length === 0;
}

describe('bpfsim sweep', () => {
  test('the CSV: a row per run in grid order (first param slowest, seed fastest); a failing point is ok=false with its message', async () => {
    const { code, io } = await sweep(file, '--param', 'a=1,3', '--param', 'mode=x,y', '--seeds', '1..2', '--jobs', '1');
    expect(code).toBe(0);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]).toBe('a,mode,seed,ok,expectations_failed,hook_runs,only_y,packets,retransmits,score,virtual_ms,failure');
    const cols = (l: string): string[] => l.split(',');
    expect(lines.slice(1).map((l) => cols(l).slice(0, 4).join(','))).toEqual(['1,x,1,true', '1,x,2,true', '1,y,1,true', '1,y,2,true', '3,x,1,true', '3,x,2,true', '3,y,1,false', '3,y,2,false']);
    // score = a*10 + seed (+0.5 for y); only_y is empty where the run did not report it.
    expect(lines.slice(1).map((l) => cols(l)[9])).toEqual(['11', '12', '11.5', '12.5', '31', '32', '31.5', '32.5']);
    expect(cols(lines[1]!)[6]).toBe('');
    // The message has a comma: the field is quoted (RFC 4180).
    expect(lines[7]).toBe('3,y,1,false,1,0,1,0,0,31.5,0,"E_EXPECT: not the bad corner: expected false, got true"');
    expect(io.err).toBe('1/8 runs\n2/8 runs\n3/8 runs\n4/8 runs\n5/8 runs\n6/8 runs\n7/8 runs\n8/8 runs\n');
  });

  test('--jobs 1 and --jobs 2 write the same CSV and SVG, byte for byte; without --seeds the scenario seed runs', async () => {
    const one = await sweep(file, '--param', 'a=1,2,3', '--param', 'mode=x,y', '--seeds', '1..3', '--jobs', '1', '--csv', 'o.csv', '--svg', 'o.svg', '--quiet');
    const two = await sweep(file, '--param', 'a=1,2,3', '--param', 'mode=x,y', '--seeds', '1..3', '--jobs', '2', '--csv', 'o.csv', '--svg', 'o.svg', '--quiet');
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(text(two.io, 'o.csv')).toBe(text(one.io, 'o.csv'));
    expect(text(two.io, 'o.svg')).toBe(text(one.io, 'o.svg'));
    expect(two.io.out).toBe(one.io.out);
    expect(one.io.err).toBe('');
    expect(text(one.io, 'o.csv').trimEnd().split('\n')).toHaveLength(1 + 3 * 2 * 3);
    const dflt = await sweep(file, '--param', 'a=5', '--jobs', '1', '--quiet');
    expect(dflt.io.out.split('\n')[1]).toMatch(/^5,9,true,/);
  });

  test('--svg: well-formed SVG with title, axis labels, a series per value of the second param; the summary on stdout', async () => {
    const { code, io } = await sweep(file, '--param', 'a=1,2,3', '--param', 'mode=x,y', '--seeds', '1..2', '--metric', 'score', '--svg', 'p.svg', '--jobs', '1', '--quiet');
    expect(code).toBe(0);
    const svg = text(io, 'p.svg');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(svg).toContain('>tiny: score by a and mode</text>');
    expect(svg).toContain('>mode=x</text>');
    expect(svg).toContain('>mode=y</text>');
    expect(svg).toContain('font-weight="bold">a</text>');
    expect(svg).toContain('>score</text>');
    expect(svg.match(/<circle [^>]*><title>/g)).toHaveLength(12);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(svg).toContain('2 failed'); // a=3 mode=y, both seeds (hollow points)
    expect(svg.replace(/<[^>]*>/g, '')).not.toMatch(/[<&](?!amp;|lt;|gt;|quot;)/);
    expect(io.out).toBe(
      ['a  mode  runs  failed  score mean   min   max', '1  x        2       0        11.5    11    12', '1  y        2       0          12  11.5  12.5', '2  x        2       0        21.5    21    22', '2  y        2       0          22  21.5  22.5', '3  x        2       0        31.5    31    32', '3  y        2       2          32  31.5  32.5', 'wrote p.svg', ''].join('\n'),
    );
  });

  test('categories on x when a value is not a number, in the order given; one param: one series named by the metric', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-sweep-'));
    const f = path.join(dir2, 'words.ts');
    fs.writeFileSync(f, "import { scenario } from '@bpfsim/scenario';\nexport default scenario({ name: 'words', lesson: 'l', async run(w) { w.metric('len', w.param('word', 'a').length); } });\n");
    const { code, io } = await sweep(f, '--param', 'word=zeta,al,b<c', '--seeds', '1..2', '--metric', 'len', '--svg', 'w.svg', '--jobs', '1', '--quiet');
    fs.rmSync(dir2, { recursive: true });
    expect(code).toBe(0);
    const svg = text(io, 'w.svg');
    expect(balanced(svg)).toBe(true);
    const labels = [...svg.matchAll(/text-anchor="middle" fill="#374151">([^<]*)</g)].map((m) => m[1]);
    expect(labels).toEqual(['zeta', 'al', 'b&lt;c']);
    expect(svg).toContain('>len</text>');
  });

  test('a worker that dies loses only its run: a row with ok=false, the others run on', async () => {
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'bpfsim-sweep-'));
    const f = path.join(dir2, 'dies.ts');
    fs.writeFileSync(f, "import { scenario } from '@bpfsim/scenario';\nexport default scenario({ name: 'dies', lesson: 'l', async run(w) { if (w.param('a', 0) === 2) process.exit(3); w.metric('a', w.param('a', 0)); } });\n");
    const { code, io } = await sweep(f, '--param', 'a=1,2,3,4', '--jobs', '2', '--quiet');
    fs.rmSync(dir2, { recursive: true });
    expect(code).toBe(0);
    const rows = io.out.trimEnd().split('\n').map((l) => l.split(','));
    expect(rows.map((r) => [r[0], r[2], r.at(-1)])).toEqual([['a', 'ok', 'failure'], ['1', 'true', ''], ['2', 'false', 'the worker died: exit code 3'], ['3', 'true', ''], ['4', 'true', '']]);
  });

  test('a parameter the scenario never reads is a warning after the first run', async () => {
    const { code, io } = await sweep(file, '--param', 'a=1', '--param', 'nope=1,2', '--seeds', '1', '--jobs', '1', '--quiet');
    expect(code).toBe(0);
    expect(io.err).toBe("bpfsim: warning: tiny never read parameter 'nope' (it reads: a, mode)\n");
  });

  test('--reference: measured points as crosses beside the runs, named in the legend; --log-y: decades on y', async () => {
    const io = new MemoryIo();
    io.files.set('linux.csv', new TextEncoder().encode('a,mode,score\n1,x,10\n2,x,20\n2,y,25\n'));
    const code = await runCli(['sweep', file, '--param', 'a=1,2', '--param', 'mode=x,y', '--metric', 'score', '--svg', 'r.svg', '--reference', 'linux.csv', '--reference-label', 'Linux 6.18', '--log-y', '--jobs', '1', '--quiet'], io);
    expect(code).toBe(0);
    const svg = text(io, 'r.svg');
    expect(balanced(svg)).toBe(true);
    expect(svg.match(/<path d="M[^"]*" stroke="[^"]*" stroke-width="1.5"><title>Linux 6.18: /g)).toHaveLength(3);
    expect(svg).toContain('>Linux 6.18</text>');
    // Decades: 10 and 100 on the axis.
    expect(svg).toMatch(/text-anchor="end" fill="#374151">10<\/text>/);
    expect(svg).toMatch(/text-anchor="end" fill="#374151">100<\/text>/);
    io.files.set('bad.csv', new TextEncoder().encode('a,score\n1,10\n'));
    const bad = new MemoryIo();
    bad.files.set('bad.csv', io.files.get('bad.csv')!);
    expect(await runCli(['sweep', file, '--param', 'a=1,2', '--param', 'mode=x,y', '--metric', 'score', '--svg', 'r.svg', '--reference', 'bad.csv', '--jobs', '1', '--quiet'], bad)).toBe(2);
    expect(bad.err).toBe("bpfsim: --reference bad.csv: no column 'mode' in the header (a, score)\n");
  });

  test.each([
    [['--param', 'a=1', '--reference', 'x.csv'], 'bpfsim: --reference goes with --svg (it changes the plot)'],
    [['--seeds', '1..'], "bpfsim: --seeds takes A..B, two non-negative integers with A ≤ B (or one seed N), not '1..'"],
    [['--seeds', 'b..3'], "bpfsim: --seeds takes A..B, two non-negative integers with A ≤ B (or one seed N), not 'b..3'"],
    [['--seeds', '3..1'], "bpfsim: --seeds takes A..B, two non-negative integers with A ≤ B (or one seed N), not '3..1'"],
    [['--param', 'loss'], "bpfsim: --param takes NAME=V1,V2,… (a name, '=', values separated by commas), not 'loss'"],
    [['--param', '=1'], "bpfsim: --param takes NAME=V1,V2,… (a name, '=', values separated by commas), not '=1'"],
    [['--param', 'a=1,,2'], "bpfsim: --param a: an empty value in '1,,2' (values are separated by commas)"],
    [['--param', 'a=1', '--param', 'a=2'], 'bpfsim: --param a is given twice (list its values in one: a=V1,V2)'],
    [['--jobs', '0'], "bpfsim: --jobs takes a positive integer, not '0'"],
    [['--metric', 'nope', '--jobs', '1', '--quiet'], "bpfsim: no run reported metric 'nope' (the metrics: expectations_failed, hook_runs, packets, retransmits, score, virtual_ms)"],
  ])('%j exits 2 with one line', async (args, message) => {
    const { code, io } = await sweep(file, ...args);
    expect(code).toBe(2);
    expect(io.err).toBe(`${message}\n`);
    expect(io.out).toBe('');
  });

  test('an unknown scenario exits 2 with one line', async () => {
    const { code, io } = await sweep('no-such-scenario', '--param', 'a=1');
    expect(code).toBe(2);
    expect(io.err).toMatch(/^no-such-scenario: no scenario 'no-such-scenario' in .*\n$/);
  });

  test('--help lists the options with examples', async () => {
    const { code, io } = await sweep('--help');
    expect(code).toBe(0);
    expect(io.out).toContain('--param <NAME=V1,V2>');
    expect(io.out).toContain('bpfsim sweep lossy-tcp --param loss=0,0.01,0.05 --seeds 1..3 --metric transfer_ms');
  });
});
