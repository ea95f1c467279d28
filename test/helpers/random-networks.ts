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

// ---------------------------------------------------------------------------------------------
// The second family: the layers beyond the notes (issue 15) among the notes' own. Zero padding (numbers
// and 'same') and strides on convolutions and combinations, max pooling, batch normalisation after
// convolutions, combinations and fully connected layers, dropout after subsampling and fully connected
// layers. Networks n ≡ 0 (mod 4) use batch normalisation and dropout only (no padding, stride or max
// pooling). Small enough for a float64 gradient check of every parameter: a few hundred parameters.

/** Size of a convolution's output along one axis: ⌊(n + 2P − K)/s⌋ + 1. */
function convOut(n: number, kernel: number, pad: number | 'same', stride: number): number {
  const p = pad === 'same' ? (kernel - 1) / 2 : pad;
  return Math.floor((n + 2 * p - kernel) / stride) + 1;
}

/** Network n of the modern family (n = 0 … 15 cover every feature; any n ≥ 0 gives a valid network). */
export function randomModernNetwork(n: number): NetworkDescription {
  const rng = new Rng(5000 + n);
  const act = (k: number) => ACTS[(n + k) % ACTS.length];
  // n ≡ 0 (mod 4): the notes' convolutions and subsampling, with batch normalisation and dropout only
  const plain = n % 4 === 0;
  const inMaps = 1 + (n % 3);
  const m1 = 3 + (n % 2);
  const pad1: number | 'same' = plain ? 0 : ([0, 'same', 1, 2] as const)[n % 4];
  const stride1 = plain ? 1 : n % 8 < 4 ? 2 : 1;
  const pad2: number | 'same' = plain ? 0 : ([0, 1, 'same', 1] as const)[(n >> 2) % 4];
  const stride2 = plain ? 1 : n % 8 >= 4 ? 2 : 1;
  const k2 = pad2 === 'same' || n % 3 !== 0 ? 3 : 2;
  const down1 = plain || n % 3 === 0 ? ((n >> 2) % 2 === 0 ? 'sum' : 'decimate') : 'max';
  const bn1 = n % 3 !== 1;
  const bn2 = n % 4 !== 2;
  const bn3 = n % 2 === 1 || n % 4 === 0;
  const dropSub = n % 2 === 1 || n % 8 === 0;
  const dropFull = n % 4 === 0 ? n % 8 === 4 : n % 3 !== 1;
  const rate = (k: number) => 0.2 + 0.1 * ((n + k) % 5);
  const crossEntropy = (n + (n >> 2)) % 2 === 1;

  // non-square input whose first convolution gives even maps (the subsampling factor 2 divides them)
  // large enough for the second convolution
  let H = 0;
  let W = 0;
  search: for (let h = 8 + (n % 3); h < 20; h++) {
    for (let w = 7 + (n % 2); w < 20; w++) {
      const oh = convOut(h, 3, pad1, stride1);
      const ow = convOut(w, 3, pad1, stride1);
      if (h === w || oh === ow || oh % 2 !== 0 || ow % 2 !== 0) continue;
      if (convOut(oh / 2, k2, pad2, stride2) < 2 || convOut(ow / 2, k2, pad2, stride2) < 2) continue;
      H = h;
      W = w;
      break search;
    }
  }
  const layers: LayerDescription[] = [];
  const table = TABLES[n % TABLES.length];
  layers.push({
    type: 'conv', maps: m1, kernel: 3, activation: bn1 && n % 2 === 0 ? 'identity' : act(0), pad: pad1, stride: stride1,
    connections: table === 'explicit' ? explicitTable(rng, inMaps, m1) : inMaps < 3 && table === 'triplets' ? 'all' : inMaps < 2 && table === 'pairs' ? 'all' : table,
  });
  if (bn1) layers.push({ type: 'batchnorm', activation: act(1), epsilon: 1e-5 * (1 + (n % 3)), momentum: 0.1 + 0.05 * (n % 4) });
  layers.push({
    type: 'subsample', factor: 2, down: down1,
    beta: n % 3 === 1 ? 'fixed' : 'trainable', ...(n % 3 === 1 ? { betaInit: 0.8 } : {}), bias: n % 5 !== 2, activation: act(2),
  });
  if (dropSub) layers.push({ type: 'dropout', rate: rate(0) });
  if (n % 2 === 0) {
    layers.push({
      type: 'combination', maps: 3, kernel: k2, activation: bn2 ? 'identity' : act(3), pad: pad2, stride: stride2,
      kernels: n % 4 === 0 ? 'shared' : 'pair',
      penalty: { type: PENALTIES[(n >> 1) % PENALTIES.length], lambda: 0.05, p: 0.5 },
    });
  } else {
    const t2 = TABLES[(n >> 1) % TABLES.length];
    layers.push({
      type: 'conv', maps: 3, kernel: k2, activation: bn2 && n % 4 === 1 ? 'identity' : act(3), pad: pad2, stride: stride2,
      connections: t2 === 'explicit' ? explicitTable(rng, m1, 3) : t2,
    });
  }
  if (bn2) layers.push({ type: 'batchnorm', activation: act(4) });
  layers.push({ type: 'full', units: 4 + (n % 3), activation: bn3 && n % 4 !== 3 ? 'identity' : act(6) });
  if (bn3) layers.push({ type: 'batchnorm', activation: act(7) });
  if (dropFull) layers.push({ type: 'dropout', rate: rate(2) });
  layers.push({ type: 'full', units: 3 + (n % 2), activation: crossEntropy ? 'identity' : act(8) === 'relu' ? 'sigmoid' : act(8) });
  return { name: `modern${n}`, input: [inMaps, H, W], seed: 11 + n, layers, loss: crossEntropy ? 'cross-entropy' : 'mse' };
}

/**
 * The features network n of the modern family uses, as tags: `conv:pad`, `conv:pad-same`, `conv:stride`
 * (and `combination:…`), `max`, `max:beta-fixed`, `max:no-bias`, `batchnorm:after-conv` (-combination,
 * -full), `batchnorm:act-relu`, …, `dropout:after-subsample` (-full), `down:sum`, `table:pairs`, …,
 * `loss:mse`, `loss:cross-entropy`.
 */
export function modernFeatures(n: number): Set<string> {
  const d = randomModernNetwork(n);
  const tags = new Set<string>([`loss:${d.loss}`]);
  d.layers.forEach((l, i) => {
    const below = i > 0 ? d.layers[i - 1].type : 'input';
    tags.add(`layer:${l.type}`);
    if (l.type === 'conv' || l.type === 'combination') {
      if (l.pad === 'same') tags.add(`${l.type}:pad-same`);
      else if (l.pad !== undefined && l.pad > 0) tags.add(`${l.type}:pad`);
      if (l.stride !== undefined && l.stride > 1) tags.add(`${l.type}:stride`);
      if (l.type === 'conv') tags.add(`table:${Array.isArray(l.connections) ? 'explicit' : l.connections ?? 'all'}`);
      else tags.add(`kernels:${l.kernels ?? 'shared'}`).add(`penalty:${l.penalty?.type ?? 'none'}`);
    }
    if (l.type === 'subsample') {
      const down = l.down ?? 'sum';
      tags.add(`down:${down}`);
      if (down === 'max') tags.add('max').add(`max:beta-${l.beta ?? 'trainable'}`).add(l.bias === false ? 'max:no-bias' : 'max:bias');
    }
    if (l.type === 'batchnorm') tags.add(`batchnorm:after-${below}`).add(`batchnorm:act-${l.activation ?? 'identity'}`);
    if (l.type === 'dropout') tags.add(`dropout:after-${below}`);
  });
  return tags;
}

/** Whether network n needs the convolutions' padding or stride, or max pooling (beyond batch normalisation and dropout). */
export function modernNeedsGeometry(n: number): boolean {
  return [...modernFeatures(n)].some((t) => /:pad|:stride|^max$/.test(t));
}
