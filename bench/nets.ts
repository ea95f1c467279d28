// The networks the benchmark runs, and their translation into the layer list every other system
// (TF.js, PyTorch) builds from.
//
// N1 is convnotes' built-in `dlt` (DeepLearnToolbox's CNN); N2 is a LeNet-5-like net as TF.js and
// PyTorch users write it: 28×28 input, a SAME-padded first convolution, tanh, mean pooling, softmax
// cross-entropy. convnotes has no padding, so N2's convnotes description takes the 28×28 image already
// zero-padded to 32×32, which is the same function with the same arithmetic. `bouvrie` and `lenet5`
// are convnotes' own built-ins; lenet5's C3 connection table has no counterpart elsewhere.

import {
  builtinNetwork, resolveDescription, shapeSize,
  type ActivationName, type LossName, type NetworkDescription, type ResolvedDescription,
} from 'convnotes';

export type NetId = 'N1' | 'N2' | 'bouvrie' | 'lenet5';

export interface BenchNet {
  id: NetId;
  title: string;
  description: NetworkDescription;
  /** Side of the MNIST image every system is fed (28). */
  image: number;
  /** Zero padding of the first convolution: convnotes' input side is image + 2·pad (it pads the data;
   *  the other systems pad inside their first convolution). */
  pad: number;
  trainBatch: number;
  inferBatch: number;
  /** SGD learning rate (plain SGD, no momentum, no weight decay, in every system). */
  rate: number;
  /** Whether ConvNetJS builds an (approximate: max pooling) version of it. */
  convnetjs: boolean;
}

export const N1: BenchNet = {
  id: 'N1',
  title: 'N1 = dlt: conv 6@5 sigmoid, mean pool, conv 12@5 sigmoid, mean pool, full 10 sigmoid, squared error',
  description: builtinNetwork('dlt'),
  image: 28,
  pad: 0,
  trainBatch: 50,
  inferBatch: 1000,
  rate: 1,
  convnetjs: true,
};

export const N2: BenchNet = {
  id: 'N2',
  title: 'N2 = LeNet-5-like: conv 6@5 SAME tanh, mean pool, conv 16@5 tanh, mean pool, full 120 tanh, 84 tanh, 10, softmax cross-entropy',
  description: {
    name: 'N2',
    input: [1, 32, 32],
    seed: 1,
    init: { type: 'glorot' },
    layers: [
      { type: 'conv', name: 'C1', maps: 6, kernel: 5, activation: 'tanh', connections: 'all' },
      { type: 'subsample', name: 'S2', factor: 2, down: 'sum', beta: 'fixed', betaInit: 0.25, bias: false, activation: 'identity' },
      { type: 'conv', name: 'C3', maps: 16, kernel: 5, activation: 'tanh', connections: 'all' },
      { type: 'subsample', name: 'S4', factor: 2, down: 'sum', beta: 'fixed', betaInit: 0.25, bias: false, activation: 'identity' },
      { type: 'full', name: 'F5', units: 120, activation: 'tanh' },
      { type: 'full', name: 'F6', units: 84, activation: 'tanh' },
      { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
    ],
    loss: 'cross-entropy',
  },
  image: 28,
  pad: 2,
  trainBatch: 64,
  inferBatch: 1000,
  rate: 0.1,
  convnetjs: true,
};

export const BOUVRIE: BenchNet = {
  id: 'bouvrie',
  title: "bouvrie: the notes' net (dlt with trainable β, b and sigmoid after each subsampling)",
  description: builtinNetwork('bouvrie'),
  image: 28,
  pad: 0,
  trainBatch: 50,
  inferBatch: 1000,
  rate: 1,
  convnetjs: false,
};

export const LENET5: BenchNet = {
  id: 'lenet5',
  title: "lenet5: LeCun et al. 1998 (C3's partial connection table, scaled tanh, ±1 targets)",
  description: builtinNetwork('lenet5'),
  image: 28,
  pad: 2,
  trainBatch: 64,
  inferBatch: 1000,
  rate: 0.02,
  convnetjs: false,
};

export const NETS: Record<NetId, BenchNet> = { N1, N2, bouvrie: BOUVRIE, lenet5: LENET5 };
export const NET_IDS = Object.keys(NETS) as NetId[];

// ---------------------------------------------------------------------------------------------------
// The portable form: a plain layer list that TF.js and PyTorch build from, with convnotes' parameter
// layout spelled out so each of them can copy convnotes' weights.

export type PortableLayer =
  /** Weights [maps][inMaps][K][K] for TRUE convolution (flip 180° for cross-correlation), then bias [maps]. */
  | { type: 'conv'; inMaps: number; maps: number; kernel: number; pad: number; activation: ActivationName }
  /** β·(n×n block sum) + b, activation. Parameters (in this order, when present): beta [maps], bias [maps]. */
  | { type: 'pool'; maps: number; factor: number; trainableBeta: boolean; betaInit: number; bias: boolean; activation: ActivationName }
  /** Weights [units][inputs] with inputs in [map][row][col] order, then bias [units]. */
  | { type: 'full'; inShape: [number, number, number]; units: number; activation: ActivationName };

export interface PortableNet {
  id: NetId;
  /** [channels, height, width] of the image fed to the other systems (unpadded). */
  input: [number, number, number];
  layers: PortableLayer[];
  loss: LossName;
  targets: [number, number];
  classes: number;
  /** Total number of parameters, = convnotes' Network.params.length. */
  paramCount: number;
}

export function resolved(net: BenchNet): ResolvedDescription {
  return resolveDescription(net.description);
}

/** The net as a plain layer list, or the reason the other systems cannot build the same function. */
export function portable(net: BenchNet): PortableNet | string {
  const d = resolved(net);
  const layers: PortableLayer[] = [];
  let shape: [number, number, number] = [d.input[0], d.input[1], d.input[2]];
  let count = 0;
  for (const [i, l] of d.layers.entries()) {
    switch (l.type) {
      case 'conv':
        if (l.connections !== 'all') return `${l.name} uses the '${typeof l.connections === 'string' ? l.connections : 'explicit'}' connection table (only 'all' has a counterpart in the other systems)`;
        layers.push({ type: 'conv', inMaps: shape[0], maps: l.maps, kernel: l.kernel, pad: i === 0 ? net.pad : 0, activation: l.activation });
        count += l.maps * shape[0] * l.kernel * l.kernel + l.maps;
        break;
      case 'combination':
        return `${l.name} is a learned combination (§3.3), which the other systems do not have`;
      case 'subsample':
        if (l.down !== 'sum') return `${l.name} subsamples by decimation`;
        layers.push({ type: 'pool', maps: shape[0], factor: l.factor, trainableBeta: l.beta === 'trainable', betaInit: l.betaInit, bias: l.bias, activation: l.activation });
        count += (l.beta === 'trainable' ? shape[0] : 0) + (l.bias ? shape[0] : 0);
        break;
      case 'full':
        layers.push({ type: 'full', inShape: shape, units: l.units, activation: l.activation });
        count += l.units * shapeSize(shape) + l.units;
        break;
    }
    shape = [d.shapes[i][0], d.shapes[i][1], d.shapes[i][2]];
  }
  if (net.pad > 0 && layers[0].type !== 'conv') return 'the first layer must be a convolution to carry the padding';
  return {
    id: net.id,
    input: [d.input[0], d.input[1] - 2 * net.pad, d.input[2] - 2 * net.pad],
    layers,
    loss: d.loss,
    targets: d.targets,
    classes: shapeSize(d.shapes[d.shapes.length - 1]),
    paramCount: count,
  };
}
