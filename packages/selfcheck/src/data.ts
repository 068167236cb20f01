// The recorded verdicts of the live kernel that selfcheck replays where bpf() cannot be
// asked (data/ of this package: kernel-verifier.json, the corpus; kernel-random.json, the
// random slice). The recorders (packages/verifier/test/*.kernel.test.ts) write them here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { VerifierGolden } from './golden';
import type { RandomGolden } from './random';

/** data/ of this package: found upwards from this module (a source file or the CLI's bundle). */
function findData(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const d of [path.join(dir, 'data'), path.join(dir, 'packages', 'selfcheck', 'data'), path.join(dir, 'node_modules', '@bpfsim', 'selfcheck', 'data')]) {
      if (fs.existsSync(path.join(d, 'kernel-verifier.json'))) return d;
    }
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../data');
  }
}

export const DATA_DIR = findData();

/** The path of a recording in data/. */
export const dataFile = (name: 'kernel-verifier.json' | 'kernel-random.json'): string => path.join(DATA_DIR, name);

function readJson<T>(name: 'kernel-verifier.json' | 'kernel-random.json'): T {
  const file = dataFile(name);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`selfcheck: the recording ${file} cannot be read (${(e as Error).message})`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`selfcheck: the recording ${file} is not JSON (${(e as Error).message})`);
  }
}

/** The verifier corpus and the verdicts the kernel gave each case. */
export const readCorpus = (): VerifierGolden => readJson<VerifierGolden>('kernel-verifier.json');

/** The random slice's recorded verdicts (programs regenerate from their seeds). */
export const readRandomSlice = (): RandomGolden => readJson<RandomGolden>('kernel-random.json');
