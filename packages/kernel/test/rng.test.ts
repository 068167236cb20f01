// The seeded generator every random choice in bpfsim draws from (src/rng.ts): the same seed
// gives the same stream, ranges hold, the output is uniform, split streams stay independent.
import { Rng } from '../src';

describe('Rng', () => {
  test('the same seed draws the same sequence; different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 20 }, () => a.u32());
    expect(Array.from({ length: 20 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.u32())).not.toEqual(sa);
  });
  test('int() stays in range and reaches both ends; float() is in [0, 1)', () => {
    const r = new Rng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.int(3, 9);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(9);
      seen.add(v);
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });
  test('u32 is roughly uniform (chi-square over 16 buckets)', () => {
    const r = new Rng(99);
    const n = 64000;
    const buckets = new Array(16).fill(0);
    for (let i = 0; i < n; i++) buckets[r.u32() >>> 28]++;
    const e = n / 16;
    const chi = buckets.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    expect(chi).toBeLessThan(37.7); // p = 0.001 for 15 degrees of freedom
  });
  test('split streams are independent of later draws on the parent', () => {
    const p1 = new Rng(5);
    const s1 = p1.split('link0');
    const p2 = new Rng(5);
    const s2 = p2.split('link0');
    p2.u32();
    expect(s1.u32()).toBe(s2.u32());
    expect(new Rng(5).split('link1').u32()).not.toBe(new Rng(5).split('link0').u32());
  });
});
