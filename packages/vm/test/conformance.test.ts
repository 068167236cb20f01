// bpf_conformance (../shared/conformance): every test passes on both engines, apart from
// those needing a helper only the suite's plugins define; every negative case is refused.
import { ENGINES, runConformanceCase, summarize } from '../src';
import { conformanceDir, dataFiles } from '@bpfsim/test-support';

const dir = conformanceDir();

if (!dir) {
  test.skip('bpf_conformance data not found beside the repository (../shared/conformance): skipped', () => {});
} else {
  const tests = dataFiles(dir, 'tests');
  const negatives = dataFiles(dir, 'negative');
  describe.each(ENGINES)('%s engine', (engine) => {
    const outcomes = tests.map((t) => runConformanceCase(t.name, t.text, engine));
    test.each(outcomes.map((o) => [o.file, o]))('%s', (_name, o) => {
      if (o.status === 'skip') expect(o.reason).toMatch(/helper|callx/);
      else expect(o).toEqual({ file: o.file, status: 'pass' });
    });
    test('only the tests of bpf_conformance-specific helpers and callx are skipped', () => {
      const s = summarize(outcomes);
      expect(s.failed).toBe(0);
      expect(outcomes.filter((o) => o.status === 'skip').map((o) => o.file).sort()).toEqual(['call_unwind_fail.data', 'callx.data']);
    });
    test.each(negatives.map((n) => [n.name, n.text]))('negative %s is refused', (name, text) => {
      expect(runConformanceCase(name, text, engine).status).not.toBe('pass');
    });
  });
}
