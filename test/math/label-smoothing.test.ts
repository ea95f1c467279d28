// Label smoothing for cross-entropy (issue 15): the description's labelSmoothing ε makes the targets
// t_k = (1 − ε)[k = label] + ε/K. The float64 loss and ∂E/∂y against the formula written out; the whole
// network's gradient against finite differences (gradientCheck); the wasm engine's loss and gradients
// within float32 rounding of the float64 ones; ε = 0 the same bits as no smoothing; the field's validation.
//
//   E^n = −Σ_k t_k log softmax(y)_k;   ∂E^n/∂y_k = softmax(y)_k − t_k
import { describe, expect, it } from 'vitest';
import { DescriptionError, resolveDescription } from '../../src/network/description.js';
import { lossAndGradient } from '../../src/network/loss.js';
import { gradientCheck } from '../../src/network/gradcheck.js';
import { Network } from '../../src/network/network.js';
import { createNetwork } from '../../src/network/backend.js';
import { Rng } from '../../src/util/rng.js';
import { randomInputs } from '../helpers/random-networks.js';

const net = (extra: Record<string, unknown> = {}) => ({
  name: 'ls', input: [1, 12, 12], seed: 4, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C1', maps: 3, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S2', factor: 2, activation: 'tanh' },
    { type: 'full', name: 'F3', units: 5, activation: 'identity' },
  ],
  ...extra,
});

describe('the smoothed cross-entropy (float64)', () => {
  it('loss and ∂E/∂y against the formula written out, on random logits', () => {
    const rng = new Rng(8);
    const B = 4, K = 7, eps = 0.1;
    const y = Float64Array.from({ length: B * K }, () => rng.range(-3, 3));
    const labels = [0, 3, 6, 2];
    const dy = new Float64Array(B * K);
    const e = lossAndGradient('cross-entropy', [0, 1], y, labels, B, K, dy, null, eps);
    let want = 0;
    for (let b = 0; b < B; b++) {
      const row = Array.from(y.subarray(b * K, (b + 1) * K));
      const z = row.reduce((s, v) => s + Math.exp(v), 0);
      for (let k = 0; k < K; k++) {
        const t = (k === labels[b] ? 1 - eps : 0) + eps / K;
        const p = Math.exp(row[k]) / z;
        want -= t * Math.log(p);
        expect(dy[b * K + k]).toBeCloseTo((p - t) / B, 14);
      }
    }
    expect(e).toBeCloseTo(want / B, 13);
    // ε = 0: the unsmoothed loss, bit for bit
    const d0 = new Float64Array(B * K), d1 = new Float64Array(B * K);
    expect(lossAndGradient('cross-entropy', [0, 1], y, labels, B, K, d0, null, 0)).toBe(lossAndGradient('cross-entropy', [0, 1], y, labels, B, K, d1));
    expect(d0).toEqual(d1);
  });

  it('a network with labelSmoothing 0.2: every parameter and input sensitivity within 1e-6 of finite differences', () => {
    const n = new Network(net({ labelSmoothing: 0.2 }));
    const noise = randomInputs(9, n.params.length);
    for (let i = 0; i < n.params.length; i++) n.params[i] += 0.3 * noise[i];
    const x = randomInputs(5, 2 * n.inputSize);
    const r = gradientCheck(n, x, [1, 4], 2);
    expect(r.maxRelativeError).toBeLessThanOrEqual(1e-6);
    // the loss is the smoothed one, not the plain one
    const plain = new Network(net());
    plain.params.set(n.params);
    expect(n.computeGradients(x, [1, 4], 2)).not.toBe(plain.computeGradients(x, [1, 4], 2));
  });
});

describe('the wasm engine\'s smoothed cross-entropy', () => {
  it('loss and gradients within float32 rounding of the float64 network\'s', async () => {
    const d = net({ labelSmoothing: 0.1 });
    const fast = await createNetwork(d, { batch: 3, threads: 1 });
    try {
      const ref = new Network(d);
      ref.params.set(fast.params);
      const x = randomInputs(11, 3 * ref.inputSize);
      const labels = [0, 2, 4];
      const e64 = ref.computeGradients(x, labels, 3);
      const e32 = fast.computeGradients(Float32Array.from(x), Uint8Array.from(labels), 3);
      expect(Math.abs(e32 - e64)).toBeLessThan(1e-5 * Math.max(1, e64));
      let worst = 0, size = 0;
      for (let k = 0; k < ref.grads.length; k++) {
        worst = Math.max(worst, Math.abs(fast.grads[k] - ref.grads[k]));
        size = Math.max(size, Math.abs(ref.grads[k]));
      }
      expect(worst).toBeLessThan(1e-5 * size);
      // the unsmoothed engine differs
      const plain = await createNetwork(net(), { batch: 3, threads: 1 });
      plain.setParams(fast.params);
      expect(plain.computeGradients(Float32Array.from(x), Uint8Array.from(labels), 3)).not.toBe(e32);
      await plain.dispose();
    } finally {
      await fast.dispose();
    }
  });
});

describe('the description\'s labelSmoothing', () => {
  it('kept when given (absent otherwise); a DescriptionError naming the field for a bad value or a loss other than cross-entropy', () => {
    expect(resolveDescription(net({ labelSmoothing: 0.1 })).labelSmoothing).toBe(0.1);
    expect('labelSmoothing' in resolveDescription(net())).toBe(false);
    for (const bad of [-0.1, 1, 'x']) {
      expect(() => resolveDescription(net({ labelSmoothing: bad }))).toThrow(DescriptionError);
      expect(() => resolveDescription(net({ labelSmoothing: bad }))).toThrow(/^labelSmoothing: expected a number in \[0, 1\), got /);
    }
    expect(() => resolveDescription(net({ loss: 'mse', labelSmoothing: 0.1 }))).toThrow(/^labelSmoothing: expected loss "cross-entropy" with label smoothing, got loss "mse"$/);
  });
});
