// §4.1–4.2 the parameter update, one per backend: the float64 one (train/update.ts) against its formula
// written out here, bit for bit; Network.trainStep as that update with every rate 1; and the wasm
// engine's float32 update (update(), trainStep) held to the float64 one within float32 rounding.
//
//   step_k = η r_k (g_k + λ θ_k);  m > 0: v_k ← m v_k − step_k, θ_k ← θ_k + v_k;  m = 0: θ_k ← θ_k − step_k
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { Network } from '../../src/network/network.js';
import { Rng } from '../../src/util/rng.js';
import { applyUpdate } from '../../src/train/update.js';
import { randomInputs, randomLabels, randomNetwork } from '../helpers/random-networks.js';

function random(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.range(lo, hi));
}

/** The formula, one weight at a time, with no code of the library's. */
function byFormula(p: Float64Array, g: Float64Array, r: Float64Array, v: Float64Array, eta: number, m: number, lambda: number): void {
  for (let k = 0; k < p.length; k++) {
    const step = eta * r[k] * (g[k] + lambda * p[k]);
    if (m === 0) {
      p[k] = p[k] - step;
    } else {
      v[k] = m * v[k] - step;
      p[k] = p[k] + v[k];
    }
  }
}

const CASES: [string, number, number][] = [
  ['plain (m = 0, λ = 0)', 0, 0],
  ['weight decay (λ = 0.01)', 0, 0.01],
  ['momentum (m = 0.9)', 0.9, 0],
  ['momentum and weight decay (m = 0.5, λ = 0.003)', 0.5, 0.003],
];

describe('the float64 update (applyUpdate) against its formula', () => {
  it('one weight by hand: θ = 1, g = 0.5, r = 2, η = 0.1, λ = 0.01, m = 0.9, v = 0.2 → v = 0.078, θ = 1.078', () => {
    const p = Float64Array.of(1), v = Float64Array.of(0.2);
    applyUpdate(p, Float64Array.of(0.5), Float64Array.of(2), v, 0.1, 0.9, 0.01);
    // step = 0.1·2·(0.5 + 0.01·1) = 0.102;  v = 0.9·0.2 − 0.102 = 0.078;  θ = 1 + 0.078
    expect(v[0]).toBeCloseTo(0.078, 15);
    expect(p[0]).toBeCloseTo(1.078, 15);
  });

  it.each(CASES)('%s: five updates on 1,001 random weights equal the formula bit for bit', (_, m, lambda) => {
    const rng = new Rng(7);
    const n = 1001;
    const p = random(rng, n, -2, 2), r = random(rng, n, 0, 3), v = random(rng, n, -0.1, 0.1);
    const q = p.slice(), w = v.slice(), v0 = v.slice(), p0 = p.slice();
    for (let s = 0; s < 5; s++) {
      const g = random(rng, n, -1, 1);
      const eta = 0.05 * (s + 1);
      applyUpdate(p, g, r, v, eta, m, lambda);
      byFormula(q, g, r, w, eta, m, lambda);
      expect(p).toEqual(q);
      expect(v).toEqual(w);
    }
    // it moved the weights; without momentum it leaves the velocities alone
    expect(Math.max(...p.map((x, k) => Math.abs(x - p0[k])))).toBeGreaterThan(0.01);
    if (m === 0) expect(v).toEqual(v0);
  });

  it('a rate multiplier of 0 freezes its weight, and each weight moves in proportion to its own r_k', () => {
    const p = Float64Array.of(1, 1, 1), g = Float64Array.of(0.5, 0.5, 0.5);
    applyUpdate(p, g, Float64Array.of(0, 1, 4), new Float64Array(3), 0.1, 0, 0);
    expect(Array.from(p)).toEqual([1, 1 - 0.1 * 0.5, 1 - 0.4 * 0.5]);
  });
});

describe('Network.trainStep is the update with every r_k = 1', () => {
  it.each([0, 5, 9])('random network %i: trainStep = computeGradients, then θ ← θ − η g, bit for bit', (i) => {
    const d = randomNetwork(i);
    const a = new Network(d), b = new Network(d);
    const batch = 3;
    const x = randomInputs(40 + i, batch * a.inputSize);
    const labels = randomLabels(50 + i, batch, a.classes);
    const before = a.params.slice();
    const ea = a.trainStep(x, labels, batch, 0.3);
    const eb = b.computeGradients(x, labels, batch);
    for (let k = 0; k < b.params.length; k++) b.params[k] -= 0.3 * b.grads[k];
    expect(ea).toBe(eb);
    expect(a.params).toEqual(b.params);
    expect(a.params).not.toEqual(before);
  });
});

describe('the wasm update against the float64 update (within float32 rounding)', () => {
  /** |a − b| within a few float32 roundings of the values involved. */
  function expectF32Close(got: ArrayLike<number>, want: Float64Array, scale: Float64Array, what: string): void {
    let worst = 0;
    for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k] - want[k]) / (Math.abs(want[k]) + scale[k] + 1e-30));
    expect(worst, what).toBeLessThan(4 * 2 ** -23);
  }

  it.each(CASES)('%s: four updates of random parameters, gradients, rates and velocities', async (_, m, lambda) => {
    const net = await createNetwork(randomNetwork(3), { batch: 2, threads: 1 });
    try {
      expect(net.backend).toBe('wasm');
      const rng = new Rng(11);
      const n = net.params.length;
      for (let s = 0; s < 4; s++) {
        net.setParams(random(rng, n, -2, 2));
        net.grads.set(random(rng, n, -1, 1));
        net.rates.set(random(rng, n, 0, 3));
        net.velocity.set(random(rng, n, -0.1, 0.1));
        // the float64 update from the same float32 values
        const p = Float64Array.from(net.params), g = Float64Array.from(net.grads);
        const r = Float64Array.from(net.rates), v = Float64Array.from(net.velocity);
        const p0 = p.slice();
        const eta = 0.1 * (s + 1);
        applyUpdate(p, g, r, v, eta, m, lambda);
        net.update(eta, m, lambda);
        // rounding scale: the size of the terms summed into each result
        const scale = Float64Array.from(p0, (x, k) => Math.abs(x) + Math.abs(eta * r[k] * (Math.abs(g[k]) + lambda * Math.abs(x))) + m * Math.abs(v[k]));
        expectF32Close(net.params, p, scale, `params after update ${s + 1}`);
        if (m > 0) expectF32Close(net.velocity, v, scale, `velocity after update ${s + 1}`);
        // the update moved the weights by far more than the tolerance
        expect(Math.max(...p.map((x, k) => Math.abs(x - p0[k])))).toBeGreaterThan(1e-2);
      }
    } finally {
      await net.dispose();
    }
  });

  it('trainStep is θ ← θ − η·∂Ẽ/∂θ on both backends, whatever rate multipliers a trainer left', async () => {
    const d = randomNetwork(6);
    const fast = await createNetwork(d, { batch: 3, threads: 1 });
    const ref = await createNetwork(d, { backend: 'reference', batch: 3 });
    try {
      ref.setParams(fast.params);
      fast.rates.fill(2.5);
      ref.rates.fill(2.5);
      const x = Float32Array.from(randomInputs(12, 3 * fast.inputSize));
      const labels = randomLabels(13, 3, fast.classes);
      const before = Float64Array.from(fast.params);
      fast.trainStep(x, labels, 3, 0.2);
      ref.trainStep(x, labels, 3, 0.2);
      const byHand = new Network(d);
      byHand.params.set(before);
      byHand.computeGradients(Float64Array.from(x), labels, 3);
      const want = Float64Array.from(before, (p, k) => p - 0.2 * byHand.grads[k]);
      expect(ref.params).toEqual(want);
      const scale = Float64Array.from(before, (p, k) => Math.abs(p) + Math.abs(0.2 * byHand.grads[k]) || 1);
      let worst = 0;
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(fast.params[k] - want[k]) / scale[k]);
      // float32 forward and backward: the gradient itself carries float32 rounding
      expect(worst).toBeLessThan(1e-5);
      expect(Math.max(...want.map((p, k) => Math.abs(p - before[k]) / scale[k]))).toBeGreaterThan(1e-3);
    } finally {
      await fast.dispose();
      await ref.dispose();
    }
  });

  it('trainStep is update() with every r_k = 1, bit for bit (one update kernel)', async () => {
    const d = randomNetwork(4);
    const a = await createNetwork(d, { batch: 4, threads: 1 });
    const b = await createNetwork(d, { batch: 4, threads: 1 });
    try {
      expect(Array.from(b.rates).every((r) => r === 1)).toBe(true);
      const x = Float32Array.from(randomInputs(8, 4 * a.inputSize));
      const labels = randomLabels(9, 4, a.classes);
      for (let s = 0; s < 3; s++) {
        const ea = a.trainStep(x, labels, 4, 0.2);
        const eb = b.computeGradients(x, labels, 4);
        b.update(0.2);
        expect(ea).toBe(eb);
        expect(a.params).toEqual(b.params);
      }
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});
