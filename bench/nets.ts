// The networks the benchmark runs, and their translation into the layer list every other system
// (TF.js, PyTorch) builds from.
//
// N1 is convnotes' built-in `dlt` (DeepLearnToolbox's CNN); N2 is a LeNet-5-like net as TF.js and
// PyTorch users write it: 28×28 input, a SAME-padded first convolution, tanh, mean pooling, softmax
// cross-entropy. N2's convnotes description keeps the notes' valid convolutions and takes the 28×28
// image already zero-padded to 32×32 (the data padding, BenchNet.pad), which is the same function with
// the same arithmetic. N3 is the built-in `lenet-bn` without its dropout: 'same'-padded convolutions
// (the layers' own padding), batch normalisation, ReLU and max pooling. `bouvrie` and `lenet5` are
// convnotes' own built-ins; lenet5's C3 connection table has no counterpart elsewhere.

import {
  builtinNetwork, resolveDescription, shapeSize,
  type ActivationName, type LossName, type NetworkDescription, type ResolvedDescription,
} from 'convnotes';

export type NetId = 'N1' | 'N2' | 'N3' | 'bouvrie' | 'lenet5';

export interface BenchNet {
  id: NetId;
  title: string;
  description: NetworkDescription;
  /** Side of the MNIST image every system is fed (28). */
  image: number;
  /** Data padding: convnotes' input side is image + 2·pad, the image centred in zeros (N2, lenet5: the
   *  notes' valid first convolution on a padded image); the other systems get the image and pad inside
   *  their first convolution instead. A layer's own `pad` (N3) is not this: every system sees it alike. */
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

/** lenet-bn's network without its dropout layer: dropout's masks are drawn differently in every system,
 *  so with it the same-function check could not compare losses. Its batch normalisation layers N1–N3
 *  are renamed BN1–BN3, so that the kernel table's rows ("engine N3 BN1 forward") do not read as nets. */
function lenetBnWithoutDropout(): NetworkDescription {
  const d = builtinNetwork('lenet-bn');
  const layers = d.layers.filter((l) => l.type !== 'dropout').map((l) => (l.type === 'batchnorm' ? { ...l, name: `B${l.name ?? ''}` } : l));
  return { ...d, name: 'N3', layers };
}

export const N3: BenchNet = {
  id: 'N3',
  title: 'N3 = lenet-bn without dropout: conv 20@5 SAME, batch norm ReLU, 2×2 max pool, conv 50@5 SAME, batch norm ReLU, max pool, full 256, batch norm ReLU, 10, softmax cross-entropy',
  description: lenetBnWithoutDropout(),
  image: 28,
  pad: 0,
  trainBatch: 64,
  inferBatch: 1000,
  rate: 0.05,
  convnetjs: false,
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

export const NETS: Record<NetId, BenchNet> = { N1, N2, N3, bouvrie: BOUVRIE, lenet5: LENET5 };
export const NET_IDS = Object.keys(NETS) as NetId[];

// ---------------------------------------------------------------------------------------------------
// The portable form: a plain layer list that TF.js and PyTorch build from, with convnotes' parameter
// layout spelled out so each of them can copy convnotes' weights.

export type PortableLayer =
  /** Weights [maps][inMaps][K][K] for TRUE convolution (flip 180° for cross-correlation), then bias
   *  [maps]. `pad` zeros on every side of the input as the other systems apply it (a first layer's
   *  includes the net's data padding: zeros around zeros are one wider border), output positions every
   *  `stride` pixels: side ⌊(n + 2·pad − K)/stride⌋ + 1. */
  | { type: 'conv'; inMaps: number; maps: number; kernel: number; pad: number; stride: number; activation: ActivationName }
  /** β·down(x) + b, activation, where down is the n×n block's sum or its maximum. Parameters (in this
   *  order, when present): beta [maps], bias [maps]; a fixed β is betaInit. */
  | { type: 'pool'; maps: number; factor: number; down: 'sum' | 'max'; trainableBeta: boolean; betaInit: number; bias: boolean; activation: ActivationName }
  /** Weights [units][inputs] with inputs in [map][row][col] order, then bias [units]. */
  | { type: 'full'; inShape: [number, number, number]; units: number; activation: ActivationName }
  /** y = f(γ x̂ + β), x̂ = (x − μ)/√(σ² + ε) per map: in training μ and the biased σ² of the batch (over
   *  patterns × pixels), folded into running averages r ← (1 − m) r + m·stat (σ²'s unbiased); inference
   *  uses the running averages. Parameters: scale γ [maps], shift β [maps], runningMean [maps],
   *  runningVar [maps] (the last two never trained). `spatial`: over maps [maps][h][w] (below the first
   *  fully connected layer), else over the units of a flattened vector. */
  | { type: 'batchnorm'; maps: number; spatial: boolean; epsilon: number; momentum: number; activation: ActivationName };
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
  // whether a fully connected layer lies below: the other systems hold flat vectors from there on
  let flat = false;
  for (const [i, l] of d.layers.entries()) {
    switch (l.type) {
      case 'conv':
        if (l.connections !== 'all') return `${l.name} uses the '${typeof l.connections === 'string' ? l.connections : 'explicit'}' connection table (only 'all' has a counterpart in the other systems)`;
        if (flat) return `${l.name} is a convolution above a fully connected layer`;
        layers.push({ type: 'conv', inMaps: shape[0], maps: l.maps, kernel: l.kernel, pad: l.pad + (i === 0 ? net.pad : 0), stride: l.stride, activation: l.activation });
        count += l.maps * shape[0] * l.kernel * l.kernel + l.maps;
        break;
      case 'combination':
        return `${l.name} is a learned combination (§3.3), which the other systems do not have`;
      case 'subsample':
        if (l.down === 'decimate') return `${l.name} subsamples by decimation`;
        if (flat) return `${l.name} subsamples above a fully connected layer`;
        layers.push({ type: 'pool', maps: shape[0], factor: l.factor, down: l.down, trainableBeta: l.beta === 'trainable', betaInit: l.betaInit, bias: l.bias, activation: l.activation });
        count += (l.beta === 'trainable' ? shape[0] : 0) + (l.bias ? shape[0] : 0);
        break;
      case 'full':
        layers.push({ type: 'full', inShape: shape, units: l.units, activation: l.activation });
        count += l.units * shapeSize(shape) + l.units;
        flat = true;
        break;
      case 'batchnorm':
        layers.push({ type: 'batchnorm', maps: shape[0], spatial: !flat, epsilon: l.epsilon, momentum: l.momentum, activation: l.activation });
        count += 4 * shape[0];
        break;
      case 'dropout':
        return `${l.name} is dropout, whose masks differ between systems (the losses could not be compared)`;
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
