// The seeded RNG (src/util/rng.ts): xoshiro128** seeded through splitmix32. Every random choice in
// convnotes draws from it, so these tests pin its stream, its distributions and its save/restore.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';

const U32 = 0xffffffffn;

/** xoshiro128** written independently with BigInt (Blackman & Vigna), for cross-checking the stream. */
function bigXoshiro(state: readonly number[]): () => number {
  const s = state.map((w) => BigInt(w));
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & U32;
  return () => {
    const result = (rotl((s[1] * 5n) & U32, 7n) * 9n) & U32;
    const t = (s[1] << 9n) & U32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    return Number(result);
  };
}

/** The seeding described in src/util/rng.ts (golden-ratio increments, murmur3-style finaliser), in BigInt. */
function bigSeedState(seed: number): number[] {
  let x = BigInt(seed);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9n) & U32;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & U32;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & U32;
    out.push(Number(z ^ (z >> 16n)));
  }
  return out;
}

function draws<T>(n: number, f: () => T): T[] {
  return Array.from({ length: n }, f);
}

describe('pinned stream', () => {
  it('seed 1 gives these first four uint32 values (any change to the generator is caught here)', () => {
    const r = new Rng(1);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([
      2442144158, 3238099751, 3819917871, 2104621829,
    ]);
  });

  it('seed 1 starts from this state', () => {
    expect(new Rng(1).getState()).toEqual([2527132011, 314344336, 2535364964, 2041432039]);
  });

  it('seeding matches an independent BigInt implementation of the documented splitmix32 spread', () => {
    for (const seed of [0, 1, 2, 12345, 0x7fffffff, 0x80000000, 0xffffffff]) {
      expect(new Rng(seed).getState(), `seed ${seed}`).toEqual(bigSeedState(seed));
    }
  });

  it('nextUint32 is xoshiro128** (matches an independent BigInt implementation for 2000 steps)', () => {
    for (const state of [[1, 2, 3, 4], [0xffffffff, 0, 0x80000000, 0x12345678], new Rng(7).getState()]) {
      const r = new Rng(0);
      r.setState(state);
      const ref = bigXoshiro(state);
      const got = draws(2000, () => r.nextUint32());
      const want = draws(2000, ref);
      expect(got).toEqual(want);
    }
  });
});

describe('determinism', () => {
  it('the same seed gives identical streams for every method', () => {
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const a = new Rng(seed);
      const b = new Rng(seed);
      expect(draws(100, () => a.nextUint32())).toEqual(draws(100, () => b.nextUint32()));
      expect(draws(100, () => a.uniform())).toEqual(draws(100, () => b.uniform()));
      expect(draws(100, () => a.normal())).toEqual(draws(100, () => b.normal()));
      expect(draws(100, () => a.int(37))).toEqual(draws(100, () => b.int(37)));
      expect(draws(100, () => a.range(-3, 5))).toEqual(draws(100, () => b.range(-3, 5)));
      const xa = Array.from({ length: 50 }, (_, i) => i);
      const xb = xa.slice();
      a.shuffle(xa);
      b.shuffle(xb);
      expect(xa).toEqual(xb);
      expect(a.getState()).toEqual(b.getState());
    }
  });

  it('different seeds give different streams', () => {
    const seeds = [0, 1, 2, 3, 1000, 0x7fffffff, 0xfffffffe, 0xffffffff];
    const streams = seeds.map((s) => {
      const r = new Rng(s);
      return draws(8, () => r.nextUint32()).join(',');
    });
    expect(new Set(streams).size).toBe(seeds.length);
    // and not merely shifted copies of each other
    const firsts = seeds.map((s) => new Rng(s).nextUint32());
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('seed 0 is not stuck (its state is not all zero and its outputs vary)', () => {
    const r = new Rng(0);
    expect(r.getState().some((w) => w !== 0)).toBe(true);
    expect(new Set(draws(100, () => r.nextUint32())).size).toBe(100);
  });
});

describe('distributions', () => {
  it('nextUint32 returns integers in [0, 2^32)', () => {
    const r = new Rng(3);
    let sawHighBit = false;
    for (let i = 0; i < 10_000; i++) {
      const v = r.nextUint32();
      if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`bad uint32 ${v}`);
      if (v >= 0x80000000) sawHighBit = true;
    }
    expect(sawHighBit).toBe(true);
  });

  it('uniform is built from two uint32 draws with 53 bits (27 high + 26 low)', () => {
    for (const seed of [1, 99]) {
      const a = new Rng(seed);
      const b = new Rng(seed);
      for (let i = 0; i < 100; i++) {
        const hi = a.nextUint32() >>> 5;
        const lo = a.nextUint32() >>> 6;
        expect(b.uniform()).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
      }
    }
  });

  it('normal is one Box-Muller value from two uniforms: sqrt(-2 ln(1-u1))·cos(2π u2)', () => {
    const a = new Rng(5);
    const b = new Rng(5);
    for (let i = 0; i < 200; i++) {
      const u1 = b.uniform();
      const u2 = b.uniform();
      expect(a.normal()).toBe(Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2));
    }
    // one normal consumes exactly four uint32 draws
    const c = new Rng(6);
    const d = new Rng(6);
    c.normal();
    for (let i = 0; i < 4; i++) d.nextUint32();
    expect(c.getState()).toEqual(d.getState());
  });

  it('uniform lies in [0, 1) with mean ≈ 0.5 and variance ≈ 1/12 over 1e5 draws', () => {
    const r = new Rng(11);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let min = Infinity;
    let max = -Infinity;
    let oddLowBits = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      s += u;
      s2 += u * u;
      if (u < min) min = u;
      if (u > max) max = u;
      if ((u * 2 ** 53) % 2 === 1) oddLowBits++;
    }
    const mean = s / n;
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - mean * mean - 1 / 12)).toBeLessThan(0.005);
    // the lowest of the 53 bits is really random (about half the draws have it set)
    expect(Math.abs(oddLowBits / n - 0.5)).toBeLessThan(0.01);
    // no bucket of [0,1) is missed
    const r2 = new Rng(12);
    const buckets = new Array<number>(20).fill(0);
    for (let i = 0; i < n; i++) buckets[Math.floor(r2.uniform() * 20)]++;
    for (const c of buckets) expect(Math.abs(c - n / 20)).toBeLessThan(0.1 * (n / 20));
  });

  it('range(lo, hi) lies in [lo, hi)', () => {
    const r = new Rng(13);
    const v = draws(10_000, () => r.range(-2, 3));
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v)).toBeLessThan(3);
    expect(Math.min(...v)).toBeLessThan(-1.99);
    expect(Math.max(...v)).toBeGreaterThan(2.99);
  });

  it('normal has mean ≈ 0 and variance ≈ 1 over 1e5 draws, and is finite', () => {
    const r = new Rng(17);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      if (!Number.isFinite(z)) throw new Error(`non-finite normal ${z}`);
      s += z;
      s2 += z * z;
      s4 += z ** 4;
      if (Math.abs(z) < 1) within1++;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    // shape, not just moments: kurtosis 3 and P(|z| < 1) ≈ 0.6827
    expect(Math.abs(s4 / n - 3)).toBeLessThan(0.1);
    expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
  });

  it('int(n) covers [0, n) with roughly uniform counts', () => {
    for (const [seed, k] of [[19, 10], [20, 7], [21, 2]] as const) {
      const r = new Rng(seed);
      const draws = 100_000;
      const counts = new Array<number>(k).fill(0);
      for (let i = 0; i < draws; i++) {
        const v = r.int(k);
        if (!(Number.isInteger(v) && v >= 0 && v < k)) throw new Error(`int(${k}) gave ${v}`);
        counts[v]++;
      }
      const expected = draws / k;
      for (const c of counts) expect(Math.abs(c - expected) / expected, `int(${k}) counts ${counts}`).toBeLessThan(0.05);
      const chi2 = counts.reduce((t, c) => t + (c - expected) ** 2 / expected, 0);
      expect(chi2, `χ² for int(${k})`).toBeLessThan(30); // 99.9% point of χ²(9) is 27.9
    }
  });

  it('int handles the extreme bounds 1, 2^31+1 and 2^32', () => {
    const r = new Rng(23);
    for (let i = 0; i < 100; i++) expect(r.int(1)).toBe(0);
    const big = 2 ** 31 + 1; // nearly half of all uint32 values are rejected here
    let sawUpperHalf = false;
    for (let i = 0; i < 1000; i++) {
      const v = r.int(big);
      expect(v >= 0 && v < big && Number.isInteger(v)).toBe(true);
      if (v >= 2 ** 30) sawUpperHalf = true;
    }
    expect(sawUpperHalf).toBe(true);
    // int(2^32) is the raw uint32 stream
    const a = new Rng(29);
    const b = new Rng(29);
    expect(draws(50, () => a.int(2 ** 32))).toEqual(draws(50, () => b.nextUint32()));
  });

  it('int is unbiased for bounds that do not divide 2^32 (rejection, not a plain modulo)', () => {
    // With n = 3·2^30 a plain r % n would map [0, 2^30) twice and give P(v < 2^30) = 1/2, not 1/3.
    const r = new Rng(27);
    const n = 3 * 2 ** 30;
    const draws = 20_000;
    let low = 0;
    for (let i = 0; i < draws; i++) if (r.int(n) < 2 ** 30) low++;
    expect(Math.abs(low / draws - 1 / 3)).toBeLessThan(0.02);
  });

  it('int rejects invalid bounds', () => {
    const r = new Rng(1);
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 32 + 1]) {
      expect(() => r.int(bad), `int(${bad})`).toThrow(/expected an integer bound in \[1, 2\^32\]/);
    }
  });
});

describe('state save and restore', () => {
  it('getState/setState resume the stream exactly, also in another instance', () => {
    const r = new Rng(31);
    draws(17, () => r.uniform());
    const saved = r.getState();
    const a = [...draws(50, () => r.nextUint32()), ...draws(10, () => r.normal()), r.int(1000)];
    r.setState(saved);
    const b = [...draws(50, () => r.nextUint32()), ...draws(10, () => r.normal()), r.int(1000)];
    expect(b).toEqual(a);
    const other = new Rng(999);
    other.setState(saved);
    const c = [...draws(50, () => other.nextUint32()), ...draws(10, () => other.normal()), other.int(1000)];
    expect(c).toEqual(a);
  });

  it('getState returns a copy of four uint32 words', () => {
    const r = new Rng(37);
    const s = r.getState();
    expect(s).toHaveLength(4);
    for (const w of s) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
    s[0] ^= 1;
    expect(r.getState()).not.toEqual(s);
  });

  it('the state advances with every draw', () => {
    const r = new Rng(41);
    const s0 = r.getState();
    r.nextUint32();
    expect(r.getState()).not.toEqual(s0);
  });

  it('invalid seeds throw a RangeError that says what was expected', () => {
    for (const bad of [-1, 1.5, 2 ** 32, NaN, Infinity, -Infinity]) {
      expect(() => new Rng(bad), `seed ${bad}`).toThrow(RangeError);
      expect(() => new Rng(bad), `seed ${bad}`).toThrow(/seed: expected an integer in \[0, 4294967295\]/);
    }
    expect(() => new Rng(0)).not.toThrow();
    expect(() => new Rng(0xffffffff)).not.toThrow();
  });

  it('invalid states throw and leave the generator unchanged', () => {
    const r = new Rng(43);
    const before = r.getState();
    const bad: number[][] = [[], [1, 2, 3], [1, 2, 3, 4, 5], [1, 2, 3, -1], [1, 2, 3, 1.5], [1, 2, 3, 2 ** 32], [1, 2, NaN, 4]];
    for (const s of bad) {
      expect(() => r.setState(s), JSON.stringify(s)).toThrow(/expected four uint32 words/);
      expect(r.getState()).toEqual(before);
    }
    expect(() => r.setState([0, 0, 0, 0])).toThrow(/all-zero state is invalid/);
    expect(r.getState()).toEqual(before);
    expect(() => r.setState([0, 0, 0, 1])).not.toThrow();
    expect(r.getState()).toEqual([0, 0, 0, 1]);
  });
});

describe('shuffle', () => {
  const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

  it('is a permutation of number[], Uint32Array and Int32Array, and actually moves elements', () => {
    const r = new Rng(47);
    const base = Array.from({ length: 100 }, (_, i) => i * 3 - 50);
    const asArray = base.slice();
    r.shuffle(asArray);
    expect(sorted(asArray)).toEqual(sorted(base));
    expect(asArray).not.toEqual(base);
    const asI32 = Int32Array.from(base);
    r.shuffle(asI32);
    expect(sorted(asI32)).toEqual(sorted(base));
    expect(Array.from(asI32)).not.toEqual(base);
    const asU32 = Uint32Array.from(base, (v) => v + 50);
    r.shuffle(asU32);
    expect(sorted(asU32)).toEqual(sorted(base.map((v) => v + 50)));
    // duplicates are preserved too
    const dup = [1, 1, 2, 2, 2, 3];
    r.shuffle(dup);
    expect(sorted(dup)).toEqual([1, 1, 2, 2, 2, 3]);
  });

  it('handles empty and one-element arrays without drawing', () => {
    const r = new Rng(53);
    const s = r.getState();
    const empty: number[] = [];
    r.shuffle(empty);
    const one = [7];
    r.shuffle(one);
    expect(empty).toEqual([]);
    expect(one).toEqual([7]);
    expect(r.getState()).toEqual(s);
  });

  it('all 6 orders of 3 elements are about equally likely (Fisher-Yates, not an off-by-one variant)', () => {
    const r = new Rng(59);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let i = 0; i < n; i++) {
      const a = [0, 1, 2];
      r.shuffle(a);
      const key = a.join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['012', '021', '102', '120', '201', '210']);
    for (const [key, c] of counts) expect(Math.abs(c - n / 6) / (n / 6), key).toBeLessThan(0.05);
  });

  it('every element can end up in every position', () => {
    const r = new Rng(61);
    const n = 8;
    const seen = Array.from({ length: n }, () => new Set<number>());
    for (let t = 0; t < 2000; t++) {
      const a = Array.from({ length: n }, (_, i) => i);
      r.shuffle(a);
      a.forEach((v, pos) => seen[v].add(pos));
    }
    for (const s of seen) expect(s.size).toBe(n);
  });
});
