// Every scenario under scenarios/ runs as a test: it must finish with every expectation
// met, and run the same way twice (same seed, same timeline, byte for byte).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScenarioDef } from '../src';
import { formatEvent, runScenario } from '../src';

const dir = path.resolve(__dirname, '../../../scenarios');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();

test('there are scenarios to run', () => {
  expect(files.length).toBeGreaterThanOrEqual(3);
});

describe.each(files)('%s', (file) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const def = (require(path.join(dir, file)) as { default: ScenarioDef }).default;
  test(`${def.lesson}`, async () => {
    const r = await runScenario(def);
    const text = r.events.map((e) => formatEvent(e, { level: 3, color: false })).join('\n');
    if (!r.ok) throw new Error(`${r.failure?.code ?? 'E_EXPECT'}: ${r.failure?.message ?? 'an expectation failed'}\n${text}`);
    expect(r.expectations.failed).toBe(0);
    expect(r.expectations.passed).toBeGreaterThan(0);
    expect(path.basename(file, '.ts')).toBe(def.name);
    const again = await runScenario(def);
    expect(JSON.stringify(again.events)).toBe(JSON.stringify(r.events));
  });
});
