// bpfsim's one seeded generator: xoshiro128** (Blackman and Vigna), seeded through
// SplitMix32, so every choice a run makes follows from its seed: the simulation's loss,
// reordering, initial sequence numbers and ephemeral ports, and each kernel's
// bpf_get_prandom_u32 and hash seeds (where Linux draws from prandom_u32_state, lib/random32.c,
// and get_random_u32). Streams can be split so that, say, each link draws from its own
// generator and adding a link does not shift the others' draws.

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** A uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (!(span > 0) || span > 4294967296) throw new RangeError(`bad range [${lo}, ${hi}]`);
    // Rejection sampling: no modulo bias.
    const limit = 4294967296 - (4294967296 % span);
    let v: number;
    do v = this.u32();
    while (v >= limit);
    return lo + (v % span);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.float() < p;
  }

  /** An independent generator derived from this one (and its name). */
  split(name: string): Rng {
    let h = this.u32();
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
