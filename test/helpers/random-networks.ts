// Seeded random small networks that, together, cover every construct of the notes: every layer kind,
// every connection-table kind, both forms of learned combinations, every penalty, both losses, every
// activation, both down() kinds, β fixed and trainable, b on and off. Maps are never square, so a
// transposed index cannot pass unnoticed.

import type { ActivationName, LayerDescription, NetworkDescription, PenaltyName } from '../../src/network/description.js';
import { Rng } from '../../src/util/rng.js';

const ACTS: ActivationName[] = ['sigmoid', 'tanh', 'lecun', 'identity', 'relu'];
const TABLES = ['all', 'pairs', 'triplets', 'explicit'] as const;
const PENALTIES: PenaltyName[] = ['none', 'l1', 'entropy', 'power'];

function explicitTable(rng: Rng, inputs: number, outputs: number): (0 | 1)[][] {
  const t = Array.from({ length: inputs }, () => Array.from({ length: outputs }, (): 0 | 1 => (rng.uniform() < 0.5 ? 1 : 0)));
  for (let j = 0; j < outputs; j++) t[rng.int(inputs)][j] = 1; // every output map reads something
  return t;
}

/** Network n of the family (n = 0, 1, 2, …); the same n always gives the same description. */
export function randomNetwork(n: number): NetworkDescription {
  const rng = new Rng(1000 + n);
  const act = (k: number) => ACTS[(n + k) % ACTS.length];
  const inMaps = 1 + (n % 3);
  const H = 12 + 2 * (n % 2);
  const W = n % 5 === 4 ? 12 : 10;
  const m1 = 3 + (n % 3);
  const layers: LayerDescription[] = [];
  const table = TABLES[n % TABLES.length];
  layers.push({
    type: 'conv', maps: m1, kernel: 3, activation: act(0),
    connections: table === 'explicit' ? explicitTable(rng, inMaps, m1) : inMaps < 3 && table === 'triplets' ? 'all' : inMaps < 2 && table === 'pairs' ? 'all' : table,
  });
  // (H-2)×(W-2) maps; factor 2 divides both
  layers.push({
    type: 'subsample', factor: 2, down: n % 2 === 0 ? 'sum' : 'decimate',
    beta: n % 3 === 2 ? 'fixed' : 'trainable', bias: n % 4 !== 3, activation: act(1),
  });
  const hh = (H - 2) / 2; // 5 or 6
  const m2 = 3 + (n % 2);
  if (n % 2 === 0) {
    layers.push({
      type: 'combination', maps: m2, kernel: 2, activation: act(2),
      kernels: n % 4 === 0 ? 'shared' : 'pair',
      penalty: { type: PENALTIES[(n / 2) % PENALTIES.length], lambda: 0.05, p: 0.5 },
    });
  } else {
    layers.push({ type: 'conv', maps: m2, kernel: 2, activation: act(2), connections: n % 3 === 0 ? 'pairs' : 'all' });
  }
  const ww = (W - 2) / 2;
  // (hh-1)×(ww-1) maps: a second subsampling layer where 2 divides both
  if ((hh - 1) % 2 === 0 && (ww - 1) % 2 === 0) {
    layers.push({ type: 'subsample', factor: 2, down: n % 3 === 0 ? 'decimate' : 'sum', activation: act(3) });
  }
  layers.push({ type: 'full', units: 5 + (n % 3), activation: act(3) });
  const crossEntropy = n % 2 === 1;
  layers.push({ type: 'full', units: 3 + (n % 2), activation: crossEntropy ? 'identity' : act(4) === 'relu' ? 'sigmoid' : act(4) });
  return { name: `random${n}`, input: [inMaps, H, W], seed: 7 + n, layers, loss: crossEntropy ? 'cross-entropy' : 'mse' };
}

/** LeNet-5's C3 table needs exactly 6 → 16 maps: one small network of its own. */
export function lenetTableNetwork(): NetworkDescription {
  return {
    name: 'c3-table',
    input: [1, 14, 12],
    seed: 3,
    layers: [
      { type: 'conv', maps: 6, kernel: 3, activation: 'tanh' },
      { type: 'subsample', factor: 2, activation: 'lecun' },
      { type: 'conv', maps: 16, kernel: 3, activation: 'sigmoid', connections: 'lenet5-c3' },
      { type: 'full', units: 4, activation: 'lecun' },
    ],
    loss: 'mse',
  };
}

export function randomInputs(seed: number, count: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = rng.range(-1, 1);
  return x;
}

export function randomLabels(seed: number, batch: number, classes: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: batch }, () => rng.int(classes));
}
