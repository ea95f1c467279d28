// The built-in network descriptions. Each is a plain JSON-able object: copy one as a template
// (`convnotes describe NAME` prints it) and change what you like.

import type { NetworkDescription } from '../description.js';

/** The notes' network: §3.1 convolutions and §3.2 subsampling with trainable β, b and activation. */
export const bouvrie: NetworkDescription = {
  name: 'bouvrie',
  input: [1, 28, 28],
  seed: 1,
  init: { type: 'glorot' },
  layers: [
    { type: 'conv', name: 'C1', maps: 6, kernel: 5, activation: 'sigmoid', connections: 'all' },
    { type: 'subsample', name: 'S2', factor: 2, down: 'sum', beta: 'trainable', bias: true, activation: 'sigmoid' },
    { type: 'conv', name: 'C3', maps: 12, kernel: 5, activation: 'sigmoid', connections: 'all' },
    { type: 'subsample', name: 'S4', factor: 2, down: 'sum', beta: 'trainable', bias: true, activation: 'sigmoid' },
    { type: 'full', name: 'F5', units: 10, activation: 'sigmoid' },
  ],
  loss: 'mse',
};

/** DeepLearnToolbox's CNN: the same net with fixed mean pooling (β = 1/4, no b, no activation). */
export const dlt: NetworkDescription = {
  ...bouvrie,
  name: 'dlt',
  layers: bouvrie.layers.map((l) =>
    l.type === 'subsample' ? { type: 'subsample', name: l.name, factor: 2, down: 'sum', beta: 'fixed', betaInit: 0.25, bias: false, activation: 'identity' } : l,
  ),
};

/**
 * LeNet-5 (LeCun et al. 1998): 32×32 input, C1 6@5×5, S2, C3 16@5×5 with the paper's table, S4,
 * C5 120 (a 5×5 convolution over all of S4's 5×5 maps, hence 1×1 maps), F6 84, 10 outputs, all with
 * the scaled tanh 1.7159·tanh(2x/3) and fan-in initialisation ±2.4/F. The paper's RBF output layer
 * (fixed ±1 codes, penalising the squared distance to the code of each class) is replaced by a fully
 * connected layer of 10 scaled-tanh units trained by squared error towards targets of ±1.
 */
export const lenet5: NetworkDescription = {
  name: 'lenet5',
  input: [1, 32, 32],
  seed: 1,
  init: { type: 'lecun' },
  layers: [
    { type: 'conv', name: 'C1', maps: 6, kernel: 5, activation: 'lecun', connections: 'all' },
    { type: 'subsample', name: 'S2', factor: 2, down: 'sum', beta: 'trainable', bias: true, activation: 'lecun' },
    { type: 'conv', name: 'C3', maps: 16, kernel: 5, activation: 'lecun', connections: 'lenet5-c3' },
    { type: 'subsample', name: 'S4', factor: 2, down: 'sum', beta: 'trainable', bias: true, activation: 'lecun' },
    { type: 'conv', name: 'C5', maps: 120, kernel: 5, activation: 'lecun', connections: 'all' },
    { type: 'full', name: 'F6', units: 84, activation: 'lecun' },
    { type: 'full', name: 'OUT', units: 10, activation: 'lecun' },
  ],
  loss: 'mse',
  targets: [-1, 1],
};

/** LeNet-5 with C3's hand-made table replaced by §3.3 learned combinations (a kernel per pair) and
 *  the entropy penalty, which does make α sparse (§3.3.1). */
export const learned: NetworkDescription = {
  ...lenet5,
  name: 'learned',
  layers: lenet5.layers.map((l) =>
    l.name === 'C3'
      ? { type: 'combination', name: 'C3', maps: 16, kernel: 5, activation: 'lecun', kernels: 'pair', penalty: { type: 'entropy', lambda: 1e-3 } }
      : l,
  ),
};

export const builtinNetworks: Record<string, NetworkDescription> = { bouvrie, dlt, lenet5, learned };

export function builtinNetwork(name: string): NetworkDescription {
  const d = builtinNetworks[name];
  if (!d) throw new Error(`unknown network "${name}": expected one of ${Object.keys(builtinNetworks).join(', ')}, or a path to a JSON description`);
  return structuredClone(d);
}
