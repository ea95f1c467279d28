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
//
// The colour group (NET_GROUPS.colour) asks how speed and memory grow with the image: L28, L32, L64
// and L128 are one net (conv 16@5 ReLU, mean pool, conv 32@5 ReLU, mean pool, full 10) on 1×28×28
// MNIST digits and on 3×32×32, 3×64×64 and 3×128×128 colour images; C32 is a CIFAR-style net of three
// 'same'-padded 3×3 convolutions with max pooling. The colour nets are fed seeded random pixels
// (bench/data.ts): there is no colour data set to read, and speed does not depend on pixel values.

import {
  algorithmName, builtinNetwork, chooseConvAlgorithm, resolveDescription, shapeSize,
  type ActivationName, type LossName, type NetworkDescription, type ResolvedDescription,
} from 'convnotes';

export type NetId = 'N1' | 'N2' | 'N3' | 'bouvrie' | 'lenet5' | 'L28' | 'L32' | 'L64' | 'L128' | 'C32';

export interface BenchNet {
  id: NetId;
  title: string;
  description: NetworkDescription;
  /** What every system is fed: MNIST's training digits, or seeded random pixels (bench/data.ts). */
  data: 'mnist' | 'random';
  /** Channels of the image every system is fed (1: grey; 3: red, green, blue). */
  channels: number;
  /** Side of the (square) image every system is fed: 28 for MNIST. */
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
  data: 'mnist',
  channels: 1,
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
  data: 'mnist',
  channels: 1,
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
  data: 'mnist',
  channels: 1,
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
  data: 'mnist',
  channels: 1,
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
  data: 'mnist',
  channels: 1,
  image: 28,
  pad: 2,
  trainBatch: 64,
  inferBatch: 1000,
  rate: 0.02,
  convnetjs: false,
};

// mean pooling as N2 writes it: β·(2×2 sum) with a fixed β of ¼, no bias, no activation
const MEAN_POOL = { type: 'subsample', factor: 2, down: 'sum', beta: 'fixed', betaInit: 0.25, bias: false, activation: 'identity' } as const;
// max pooling as lenet-bn writes it
const MAX_POOL = { type: 'subsample', factor: 2, down: 'max', beta: 'fixed', betaInit: 1, bias: false, activation: 'identity' } as const;

/** The L net on channels×side×side input: valid 5×5 convolutions and mean pools, so the maps shrink
 *  side → side − 4 → ½ → − 4 → ½ (32: 28, 14, 10, 5; 64: 60, 30, 26, 13; 128: 124, 62, 58, 29). */
function sizeNet(id: NetId, channels: number, side: number, inferBatch: number): BenchNet {
  const c1 = side - 4;
  const s2 = c1 / 2;
  const c3 = s2 - 4;
  const s4 = c3 / 2;
  return {
    id,
    title: `${id}: ${channels}×${side}×${side} ${channels === 1 ? 'MNIST' : 'random pixels'} → conv 16@5 ReLU → ${c1}×${c1}, mean pool → ${s2}×${s2}, conv 32@5 ReLU → ${c3}×${c3}, mean pool → ${s4}×${s4}, full 10, softmax cross-entropy`,
    description: {
      name: id,
      input: [channels, side, side],
      seed: 1,
      init: { type: 'glorot' },
      layers: [
        { type: 'conv', name: 'C1', maps: 16, kernel: 5, activation: 'relu', connections: 'all' },
        { ...MEAN_POOL, name: 'S2' },
        { type: 'conv', name: 'C3', maps: 32, kernel: 5, activation: 'relu', connections: 'all' },
        { ...MEAN_POOL, name: 'S4' },
        { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
      ],
      loss: 'cross-entropy',
    },
    data: channels === 1 ? 'mnist' : 'random',
    channels,
    image: side,
    pad: 0,
    trainBatch: 32,
    // activations grow with side²: the inference batch shrinks to keep the memory sensible
    inferBatch,
    rate: 0.05,
    convnetjs: false,
  };
}

export const L28 = sizeNet('L28', 1, 28, 256);
export const L32 = sizeNet('L32', 3, 32, 256);
export const L64 = sizeNet('L64', 3, 64, 64);
export const L128 = sizeNet('L128', 3, 128, 32);

export const C32: BenchNet = {
  id: 'C32',
  title: "C32 = CIFAR-style: 3×32×32 random pixels → conv 32@3 SAME ReLU, max pool, conv 64@3 SAME ReLU, max pool, conv 64@3 SAME ReLU, max pool → 64×4×4, full 10, softmax cross-entropy",
  description: {
    name: 'C32',
    input: [3, 32, 32],
    seed: 1,
    init: { type: 'glorot' },
    layers: [
      { type: 'conv', name: 'C1', maps: 32, kernel: 3, pad: 'same', activation: 'relu', connections: 'all' },
      { ...MAX_POOL, name: 'P1' },
      { type: 'conv', name: 'C2', maps: 64, kernel: 3, pad: 'same', activation: 'relu', connections: 'all' },
      { ...MAX_POOL, name: 'P2' },
      { type: 'conv', name: 'C3', maps: 64, kernel: 3, pad: 'same', activation: 'relu', connections: 'all' },
      { ...MAX_POOL, name: 'P3' },
      { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
    ],
    loss: 'cross-entropy',
  },
  data: 'random',
  channels: 3,
  image: 32,
  pad: 0,
  trainBatch: 32,
  inferBatch: 256,
  rate: 0.05,
  convnetjs: false,
};

export const NETS: Record<NetId, BenchNet> = { N1, N2, N3, bouvrie: BOUVRIE, lenet5: LENET5, L28, L32, L64, L128, C32 };
export const NET_IDS = Object.keys(NETS) as NetId[];

/** Names --nets accepts for several nets. `default` is what runs without --nets: the MNIST nets, a few
 *  minutes at 2 s a measurement; the colour group's large images (L128: 16k pixels × 3 channels, batch
 *  after batch in TF.js's cpu backend) would make that run several times longer. */
export const NET_GROUPS = {
  default: ['N1', 'N2', 'N3', 'bouvrie', 'lenet5'],
  colour: ['L28', 'L32', 'L64', 'L128', 'C32'],
  all: NET_IDS,
} as const satisfies Record<string, readonly NetId[]>;

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

/** How convnotes' fast path runs the net's convolutions (src/wasm/conv-algorithm.ts's choice), e.g.
 *  "C1 im2col, C3 winograd F(4×4, 5×5)"; empty for a net without convolutions. */
export function convAlgorithms(net: BenchNet): string {
  const d = resolved(net);
  const out: string[] = [];
  d.layers.forEach((l, i) => {
    if (l.type !== 'conv' && l.type !== 'combination') return;
    const [I, H, W] = i === 0 ? d.input : d.shapes[i - 1];
    out.push(`${l.name} ${algorithmName(chooseConvAlgorithm({ I, H, W, J: l.maps, K: l.kernel, pad: l.pad, stride: l.stride }), l.kernel)}`);
  });
  return out.join(', ');
}
