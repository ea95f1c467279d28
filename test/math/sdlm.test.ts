// §4.2 LeCun's stochastic diagonal Levenberg-Marquardt against a hand computation: on two networks small
// enough to write out, the Gauss-Newton diagonal h_kk (squared derivatives backpropagated), each
// weight's rate m_layer/(μ + h_kk) and the trainer's resulting update, all as plain arithmetic here,
// compared with Network.computeCurvature, estimateCurvature and train() to 1e-12.
//
//   mse: E = ½ Σ_o (y_o − t_o)², so h_y = 1;  h_u = f'(u)² h_y;  h_θ = Σ_units (∂u/∂θ)² h_u
//   rate_k = ε · m_layer / (μ + h_kk);   θ_k ← θ_k − rate_k · ∂E/∂θ_k      (batch 1, no momentum or decay)
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { UNIT, type Dataset } from '../../src/data/dataset.js';
import type { NetworkDescription } from '../../src/network/description.js';
import { Network } from '../../src/network/network.js';
import { Rng } from '../../src/util/rng.js';
import { resolveRecipe } from '../../src/recipes/recipe.js';
import { estimateCurvature, train } from '../../src/train/trainer.js';

function expectClose(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let k = 0; k < want.length; k++) {
    expect(Math.abs(got[k] - want[k]), `${what}[${k}]: ${got[k]} vs ${want[k]}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(want[k])));
  }
}

/** A one-pattern data set of grey levels (UNIT normalisation: x = grey/255). */
function onePattern(grey: number[], rows: number, cols: number, label: number): Dataset {
  return { images: Uint8Array.from(grey), labels: Uint8Array.of(label), count: 1, rows, cols, source: 'hand' };
}

interface Hand {
  description: NetworkDescription;
  data: Dataset;
  params: number[];
  /** The Gauss-Newton diagonal and the gradient of E for the pattern, by hand. */
  h: number[];
  g: number[];
}

// ─── one fully connected layer, 2 inputs → 2 tanh units ─────────────────────────────────────────────
// u_o = W_o0 x_0 + W_o1 x_1 + b_o, y_o = tanh(u_o), targets ±1 (label 1: t = [−1, 1]).
//   h_W_oi = x_i² (1 − y_o²)²     h_b_o = (1 − y_o²)²
//   ∂E/∂W_oi = (y_o − t_o)(1 − y_o²) x_i     ∂E/∂b_o = (y_o − t_o)(1 − y_o²)
function fullByHand(): Hand {
  const x = [51 / 255, 204 / 255];
  const W = [[0.5, -0.3], [0.1, 0.4]];
  const b = [0.05, -0.1];
  const t = [-1, 1];
  const h: number[] = [], g: number[] = [], hb: number[] = [], gb: number[] = [];
  for (let o = 0; o < 2; o++) {
    const y = Math.tanh(W[o][0] * x[0] + W[o][1] * x[1] + b[o]);
    const fPrime = 1 - y * y;
    for (let i = 0; i < 2; i++) {
      h.push(x[i] * x[i] * fPrime * fPrime);
      g.push((y - t[o]) * fPrime * x[i]);
    }
    hb.push(fPrime * fPrime);
    gb.push((y - t[o]) * fPrime);
  }
  return {
    description: { name: 'full-2-2', input: [1, 1, 2], seed: 1, loss: 'mse', layers: [{ type: 'full', name: 'F', units: 2, activation: 'tanh' }] },
    data: onePattern([51, 204], 1, 2, 1),
    params: [...W.flat(), ...b], // [units][inputs] weights, then biases (the layer's views)
    h: [...h, ...hb],
    g: [...g, ...gb],
  };
}

// ─── one convolution, a 3×3 input, one 2×2 kernel, sigmoid units that are the outputs ───────────────
// True convolution (the kernel rotated by 180°): u_rc = Σ_{a,b} k_ab x[r+1−a][c+1−b] + β, y = σ(u),
// four outputs (classes), targets 0/1 (label 2: output (1, 0) on). Every unit uses every weight, so
//   h_k_ab = Σ_rc x[r+1−a][c+1−b]² (y_rc (1 − y_rc))²     h_β = Σ_rc (y_rc (1 − y_rc))²
//   ∂E/∂k_ab = Σ_rc (y_rc − t_rc) y_rc (1 − y_rc) x[r+1−a][c+1−b]     ∂E/∂β = Σ_rc (y_rc − t_rc) y_rc (1 − y_rc)
function convByHand(): Hand {
  const grey = [10, 200, 30, 120, 60, 250, 0, 90, 170];
  const x = (r: number, c: number) => grey[r * 3 + c] / 255;
  const k = [[0.7, -0.4], [0.2, 0.9]];
  const beta = -0.3;
  const label = 2;
  const hk = [0, 0, 0, 0], gk = [0, 0, 0, 0];
  let hBeta = 0, gBeta = 0;
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 2; c++) {
      let u = beta;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) u += k[a][b] * x(r + 1 - a, c + 1 - b);
      const y = 1 / (1 + Math.exp(-u));
      const fPrime = y * (1 - y);
      const t = r * 2 + c === label ? 1 : 0;
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) {
          const xi = x(r + 1 - a, c + 1 - b);
          hk[a * 2 + b] += xi * xi * fPrime * fPrime;
          gk[a * 2 + b] += (y - t) * fPrime * xi;
        }
      }
      hBeta += fPrime * fPrime;
      gBeta += (y - t) * fPrime;
    }
  }
  return {
    description: { name: 'conv-3-2', input: [1, 3, 3], seed: 1, loss: 'mse', layers: [{ type: 'conv', name: 'C', maps: 1, kernel: 2, activation: 'sigmoid' }] },
    data: onePattern(grey, 3, 3, label),
    params: [...k.flat(), beta], // kernel [connections][K][K], then the bias
    h: [...hk, hBeta],
    g: [...gk, gBeta],
  };
}

describe('SDLM against a hand computation', () => {
  for (const [name, make] of [['full 2 → 2 tanh', fullByHand], ['conv 3×3 * 2×2 sigmoid', convByHand]] as const) {
    describe(name, () => {
      const hand = make();
      const input = Float64Array.from(hand.data.images, (v) => UNIT.background + ((UNIT.foreground - UNIT.background) / 255) * v);

      it('computeCurvature gives h_kk as written out (all different, so no rate is shared by accident)', () => {
        const net = new Network(hand.description);
        net.params.set(hand.params);
        expectClose(net.computeCurvature(input, hand.data.labels, 1), hand.h, 'h');
        expect(new Set(hand.h).size).toBe(hand.h.length);
      });

      it('computeGradients gives ∂E/∂θ as written out', () => {
        const net = new Network(hand.description);
        net.params.set(hand.params);
        net.computeGradients(input, hand.data.labels, 1);
        expectClose(net.grads, hand.g, 'g');
      });

      it('estimateCurvature over 3 samples of the one pattern is the same h', () => {
        const net = new Network(hand.description);
        expectClose(estimateCurvature(net, hand.params, hand.data, new Rng(1), 3, UNIT, hand.description.input[1], hand.description.input[2]), hand.h, 'h');
      });

      it('train(): each weight\'s rate is m_layer/(μ + h_kk) and one step moves it by ε·rate·∂E/∂θ', async () => {
        const eps = 0.05, mu = 0.02, layerRate = 3;
        const layer = hand.description.layers[0].name!;
        const recipe = resolveRecipe({
          name: 'sdlm-by-hand', network: hand.description,
          training: { epochs: 1, batch: 1, rate: eps, shuffle: false, layerRates: { [layer]: layerRate }, sdlm: { mu, samples: 1 } },
        });
        const net = await createNetwork(hand.description, { backend: 'reference', batch: 1 });
        net.setParams(hand.params);
        await train({ net, recipe, train: hand.data, seed: 1, evalTrain: 0 });
        const rates = hand.h.map((h) => layerRate / (mu + h));
        expectClose(net.rates, rates, 'rates');
        expectClose(net.params, hand.params.map((p, k) => p - eps * rates[k] * hand.g[k]), 'params after one step');
        await net.dispose();
      });
    });
  }
});
