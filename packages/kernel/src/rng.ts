// The kernel's pseudo-random numbers: seeded, so a simulation with the same seed draws
// the same values (bpf_get_prandom_u32, ephemeral ports, hash seeds). SplitMix32 over a
// 32-bit state: small, fast and well distributed for a simulator's needs.

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    let z = (this.state = (this.state + 0x9e3779b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
}
