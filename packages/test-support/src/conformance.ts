// Locates bpf_conformance's data (../shared/conformance beside the repository), if present.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function conformanceDir(): string | undefined {
  const candidates = [process.env.BPF_CONFORMANCE_DIR, path.resolve(__dirname, '../../../../shared/conformance')];
  return candidates.find((d): d is string => !!d && fs.existsSync(path.join(d, 'tests')));
}

export function dataFiles(dir: string, sub: 'tests' | 'negative'): { name: string; text: string }[] {
  return fs
    .readdirSync(path.join(dir, sub))
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((name) => ({ name, text: fs.readFileSync(path.join(dir, sub, name), 'utf8') }));
}
