// Shared by the corpus modules: builds cases of one category with tidy assembly text.
import type { CorpusCase } from './index';

/** Trims each line of a template and drops blank lines, so the stored asm is tidy. */
export function tidy(asm: string): string {
  return asm
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n');
}

export type Extra = Partial<Pick<CorpusCase, 'progType' | 'attachType' | 'license'>>;

/** A case maker for one category: `make('name', asm)` → a case with id `category/name`. */
export function maker(category: string, progType: CorpusCase['progType'] = 'xdp') {
  return (name: string, asm: string, extra: Extra = {}): CorpusCase => {
    const c: CorpusCase = { id: `${category}/${name}`, category, progType: extra.progType ?? progType, asm: tidy(asm) };
    if (extra.attachType !== undefined) c.attachType = extra.attachType;
    if (extra.license !== undefined) c.license = extra.license;
    return c;
  };
}
