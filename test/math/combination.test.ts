// §3.3 learned combinations and the §3.3.1 sparsity penalties.
//
// The notes' L1 penalty λΣ|α| cannot act: under α = softmax(c) every α is positive and each column
// sums to 1, so Σ|α| is constant and its gradient with respect to c is exactly zero. These tests show
// that, and that the entropy and power penalties do have a gradient (checked by finite differences)
// that drives α towards one-hot columns.
import { describe, expect, it } from 'vitest';
import type { NetworkDescription, PenaltyName } from '../../src/network/description.js';
import { extrapolatedDifference, gradientCheck } from '../../src/network/gradcheck.js';
import { CombinationLayer, softmaxRows } from '../../src/layers/combination.js';
import { Network } from '../../src/network/network.js';
import { randomInputs } from '../helpers/random-networks.js';

function withPenalty(type: PenaltyName, lambda: number, kernels: 'shared' | 'pair' = 'pair'): NetworkDescription {
  return {
    name: `combination-${type}`,
    input: [4, 9, 8],
    seed: 5,
    layers: [
      { type: 'combination', name: 'C', maps: 5, kernel: 3, activation: 'tanh', kernels, penalty: { type, lambda, p: 0.5 }, cInit: 1.5 },
      { type: 'full', name: 'F', units: 3, activation: 'identity' },
    ],
    loss: 'cross-entropy',
  };
}

/** The penalty's own gradient with respect to c: Ω alone, accumulated into zeroed gradients. */
function penaltyGradient(net: Network): Float64Array {
  net.zeroGrads();
  (net.layers[0] as CombinationLayer).penalty(true);
  return Float64Array.from(net.gradView('C.c'));
}

describe('§3.3.1 the L1 penalty as written', () => {
  it('has a gradient through the softmax of exactly zero (|g| ≤ 1e-12), for any c', () => {
    for (const seed of [1, 2, 3]) {
      const net = new Network(withPenalty('l1', 10), { seed });
      const c = net.view('C.c');
      const noise = randomInputs(seed, c.length);
      for (let i = 0; i < c.length; i++) c[i] += 3 * noise[i];
      const g = penaltyGradient(net);
      expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(1e-12);
    }
  });

  it('is constant: λ Σ|α| = λ · (number of output maps) whatever c is', () => {
    const net = new Network(withPenalty('l1', 0.7));
    const layer = net.layers[0] as CombinationLayer;
    const c = net.view('C.c');
    for (const scale of [0, 1, 5]) {
      const noise = randomInputs(11, c.length);
      for (let i = 0; i < c.length; i++) c[i] = scale * noise[i];
      expect(layer.penalty(false)).toBeCloseTo(0.7 * 5, 12);
    }
  });

  it('leaves training unchanged: the gradient with λ = 10 equals the gradient with λ = 0', () => {
    const x = randomInputs(4, 2 * 4 * 9 * 8);
    const a = new Network(withPenalty('l1', 10));
    const b = new Network(withPenalty('none', 0));
    for (const net of [a, b]) {
      net.forward(x, 2);
      net.zeroGrads();
      net.backward([0, 2]);
    }
    for (let i = 0; i < a.grads.length; i++) expect(Math.abs(a.grads[i] - b.grads[i])).toBeLessThanOrEqual(1e-12);
  });
});

describe('§3.3.1 penalties that act on the simplex', () => {
  for (const type of ['entropy', 'power'] as const) {
    it(`${type}: its gradient is not zero and agrees with finite differences`, () => {
      const net = new Network(withPenalty(type, 0.3));
      const layer = net.layers[0] as CombinationLayer;
      const g = penaltyGradient(net);
      expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(1e-3);
      const c = net.view('C.c');
      for (let i = 0; i < c.length; i++) {
        const n = extrapolatedDifference(c, i, 1e-2, () => layer.penalty(false));
        expect(Math.abs(n - g[i])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(n)));
      }
    });

    it(`${type}: the whole network, penalty included, passes the gradient check`, () => {
      for (const kernels of ['shared', 'pair'] as const) {
        const net = new Network(withPenalty(type, 0.3, kernels));
        const r = gradientCheck(net, randomInputs(8, 2 * net.inputSize), [1, 2], 2);
        expect(r.maxRelativeError).toBeLessThanOrEqual(1e-6);
      }
    });

    it(`${type}: descending on Ω alone makes every column of α one-hot; L1 leaves α where it was`, () => {
      const net = new Network(withPenalty(type, 1));
      const l1 = new Network(withPenalty('l1', 1));
      for (const n of [net, l1]) {
        const layer = n.layers[0] as CombinationLayer;
        const c = n.view('C.c');
        const before = Float64Array.from(c);
        for (let step = 0; step < 2000; step++) {
          n.zeroGrads();
          layer.penalty(true);
          const g = n.gradView('C.c');
          for (let i = 0; i < c.length; i++) c[i] -= 1 * g[i];
        }
        const alpha = new Float64Array(c.length);
        softmaxRows(c, 5, 4, alpha);
        const largest = Array.from({ length: 5 }, (_, j) => Math.max(...alpha.subarray(j * 4, j * 4 + 4)));
        if (n === net) {
          for (const m of largest) expect(m).toBeGreaterThan(0.99);
        } else {
          // 2000 steps of a gradient that is zero up to rounding (≈1e-17) leave c where it was.
          for (let i = 0; i < c.length; i++) expect(Math.abs(c[i] - before[i])).toBeLessThanOrEqual(1e-12);
        }
      }
    });
  }
});

describe('§3.3 the two forms', () => {
  it('shared: one kernel per input map; pair: one per (input, output) pair', () => {
    expect(new Network(withPenalty('none', 0, 'shared')).view('C.kernel').length).toBe(4 * 9);
    expect(new Network(withPenalty('none', 0, 'pair')).view('C.kernel').length).toBe(4 * 5 * 9);
  });

  it('α is a softmax over input maps for every output map: positive, columns summing to 1', () => {
    const net = new Network(withPenalty('entropy', 0.1));
    net.forward(randomInputs(2, net.inputSize), 1);
    const alpha = (net.layers[0] as CombinationLayer).alpha;
    for (let j = 0; j < 5; j++) {
      let s = 0;
      for (let i = 0; i < 4; i++) {
        expect(alpha[j * 4 + i]).toBeGreaterThan(0);
        s += alpha[j * 4 + i];
      }
      expect(s).toBeCloseTo(1, 14);
    }
  });

  it('with one-hot α the layer equals a convolution layer with the matching connection table', () => {
    // c = +40 on the chosen input map, 0 elsewhere: α is one-hot to within e^-40 ≈ 4e-18.
    const comb = new Network(withPenalty('none', 0, 'pair'));
    const chosen = [2, 0, 3, 1, 2];
    const table = Array.from({ length: 4 }, (_, i) => chosen.map((ci) => (ci === i ? 1 : 0)));
    const conv = new Network({
      ...withPenalty('none', 0),
      layers: [
        { type: 'conv', name: 'C', maps: 5, kernel: 3, activation: 'tanh', connections: table },
        { type: 'full', name: 'F', units: 3, activation: 'identity' },
      ],
    });
    const c = comb.view('C.c');
    c.fill(0);
    chosen.forEach((i, j) => (c[j * 4 + i] = 40));
    const combKernel = comb.view('C.kernel');
    const convKernel = conv.view('C.kernel');
    chosen.forEach((i, j) => convKernel.set(combKernel.subarray((j * 4 + i) * 9, (j * 4 + i + 1) * 9), j * 9));
    conv.view('F.weights').set(comb.view('F.weights'));
    const x = randomInputs(3, comb.inputSize);
    const a = Float64Array.from(comb.forward(x, 1));
    const b = conv.forward(x, 1);
    for (let k = 0; k < 3; k++) expect(Math.abs(a[k] - b[k])).toBeLessThan(1e-12);
  });
});
