// ONNX export of the layers beyond the notes (issue 15), checked by ONNX Runtime against the float64
// reference's inference pass: padding and strides (Conv's pads and strides), max pooling (MaxPool, then
// β and b), batch normalisation (folded into the convolution or fully connected layer below it when that
// layer's activation is the identity, else a per-map Mul and Add) and dropout (nothing). Networks are
// trained a few steps first (training passes: the running averages, γ and β move off their initial
// values), so the folding is exercised with real statistics.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fillBatch, UNIT } from '../../src/data/dataset.js';
import { resolveDescription, type NetworkDescription } from '../../src/network/description.js';
import { Network } from '../../src/network/network.js';
import { unitRatesOf } from '../../src/layers/layer.js';
import { paramCount, paramViews } from '../../src/model/views.js';
import { checkOnnxModel, exportOnnx, ONNX_INPUT, ONNX_OUTPUT } from '../../src/onnx/export.js';
import { decodeModel } from '../../src/onnx/onnx-schema.js';
import { argmax, range } from '../../src/train/evaluate.js';
import { sgdUpdate } from '../../src/train/update.js';
import { head, realDigits } from '../helpers/mnist.js';
import { randomInputs, randomLabels, randomModernNetwork } from '../helpers/random-networks.js';
import { slowRun } from '../math/independent/slow-network.js';

const ort = createRequire(import.meta.url)('onnxruntime-node') as typeof import('onnxruntime-node');

/** `steps` SGD steps on training passes over consecutive batches of x (rates 0 keep the statistics out of the update). */
function trainSteps(net: Network, x: Float64Array, labels: ArrayLike<number>, batch: number, steps: number, rate: number): void {
  const rates = unitRatesOf(net.views, new Float64Array(net.params.length)) as Float64Array;
  const patterns = labels.length;
  for (let s = 0; s < steps; s++) {
    const start = (s * batch) % (patterns - batch + 1);
    net.step = s;
    net.forward(x.subarray(start * net.inputSize, (start + batch) * net.inputSize), batch, { training: true });
    net.zeroGrads();
    net.backward(Array.from(labels).slice(start, start + batch));
    sgdUpdate(net.params, net.grads, rates, rates, rate, 0, 0);
  }
}

/** The reference's inference outputs as the graph gives them (softmax for cross-entropy), [batch][outputs]. */
function referenceOutputs(net: Network, x: Float64Array, batch: number): Float64Array {
  const y = Float64Array.from(net.forward(x, batch));
  if (net.description.loss === 'cross-entropy') softmaxInPlace(y, batch, net.outputSize);
  return y;
}

function softmaxInPlace(y: Float64Array, rows: number, cols: number): void {
  for (let n = 0; n < rows; n++) {
    const row = y.subarray(n * cols, (n + 1) * cols);
    const max = Math.max(...row);
    let sum = 0;
    for (let k = 0; k < cols; k++) sum += (row[k] = Math.exp(row[k] - max));
    for (let k = 0; k < cols; k++) row[k] /= sum;
  }
}

async function runOnnx(bytes: Uint8Array, x: Float32Array, batch: number, input: readonly number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', x, [batch, ...input]) });
  return result[ONNX_OUTPUT].data as Float32Array;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

/** The names of the graph's nodes. */
function nodeNames(bytes: Uint8Array): string[] {
  return (decodeModel(bytes).graph?.node ?? []).map((n) => n.name ?? '');
}

const EVERY_LAYER: [string, NetworkDescription, { folded: string[]; unfolded: string[] }][] = [
  ['pad same, folded batchnorm after conv, max pooling, an unfolded one after it, dropout, a padded strided combination, folded after full', {
    name: 'every-a', input: [1, 12, 10], loss: 'cross-entropy', layers: [
      { type: 'conv', name: 'C1', maps: 4, kernel: 3, pad: 'same', activation: 'identity' },
      { type: 'batchnorm', name: 'B1', activation: 'relu' },
      { type: 'subsample', name: 'S2', factor: 2, down: 'max', activation: 'tanh' },
      { type: 'batchnorm', name: 'B2', activation: 'sigmoid' },
      { type: 'dropout', name: 'D2', rate: 0.3 },
      { type: 'combination', name: 'C3', maps: 3, kernel: 3, pad: 1, stride: 2, kernels: 'pair', activation: 'identity' },
      { type: 'batchnorm', name: 'B3', activation: 'tanh' },
      { type: 'full', name: 'F4', units: 6, activation: 'identity' },
      { type: 'batchnorm', name: 'B4', activation: 'lecun' },
      { type: 'dropout', name: 'D4', rate: 0.5 },
      { type: 'full', name: 'F5', units: 4, activation: 'identity' },
    ],
  }, { folded: ['B1', 'B3', 'B4'], unfolded: ['B2'] }],
  ['strided padded conv with an unfolded batchnorm (tanh below it), max pooling with β fixed and no b, unfolded after a relu full layer', {
    name: 'every-b', input: [2, 12, 16], loss: 'mse', layers: [
      { type: 'conv', name: 'C1', maps: 3, kernel: 3, pad: 1, stride: 2, activation: 'tanh', connections: 'pairs' },
      { type: 'batchnorm', name: 'B1', activation: 'relu', epsilon: 1e-3, momentum: 0.3 },
      { type: 'subsample', name: 'S2', factor: 2, down: 'max', beta: 'fixed', betaInit: 0.7, bias: false, activation: 'identity' },
      { type: 'full', name: 'F3', units: 5, activation: 'relu' },
      { type: 'batchnorm', name: 'B3', activation: 'identity' },
      { type: 'dropout', name: 'D3', rate: 0.2 },
      { type: 'full', name: 'F4', units: 3, activation: 'sigmoid' },
    ],
  }, { folded: [], unfolded: ['B1', 'B3'] }],
];

describe('ONNX export of padding, strides, max pooling, batch normalisation and dropout', () => {
  for (const [what, description, { folded, unfolded }] of EVERY_LAYER) {
    it(`${what}: ONNX Runtime gives the reference's inference outputs within 1e-5`, async () => {
      const net = new Network(description);
      const batch = 4;
      const train = randomInputs(21, 40 * net.inputSize);
      const trainLabels = randomLabels(22, 40, net.classes);
      const initial = Float64Array.from(net.params);
      trainSteps(net, train, trainLabels, batch, 12, 0.1);
      // the running averages, γ and β have moved (a unit that a ReLU below held at 0 over every batch has
      // x̂ = 0, so its γ has no gradient: most, not all, of a layer's values move)
      for (const v of net.views.filter((w) => ['scale', 'shift', 'runningMean', 'runningVar'].includes(w.kind))) {
        let moved = 0;
        for (let k = v.offset; k < v.offset + v.length; k++) if (net.params[k] !== initial[k]) moved++;
        expect(moved, v.name).toBeGreaterThan(v.length / 2);
      }
      const d = resolveDescription(description);
      const bytes = exportOnnx(d, net.params);
      expect(checkOnnxModel(bytes)).toEqual([]);
      const names = nodeNames(bytes);
      // (LeCun's activation has Mul nodes of its own, .MulS and .MulA: the affine map's are exactly .Mul and .Add)
      for (const b of folded) expect(names.some((n) => n === `${b}.Mul` || n === `${b}.Add`), `${b} is folded`).toBe(false);
      for (const b of unfolded) expect(names, `${b} is a Mul and an Add`).toEqual(expect.arrayContaining([`${b}.Mul`, `${b}.Add`]));
      expect(names.filter((n) => n.endsWith('.MaxPool')).length).toBe(d.layers.filter((l) => l.type === 'subsample' && l.down === 'max').length);

      const count = 50;
      const x32 = Float32Array.from(randomInputs(23, count * net.inputSize));
      const ours = referenceOutputs(net, Float64Array.from(x32), count);
      const theirs = await runOnnx(bytes, x32, count, d.input);
      expect(maxAbsDifference(theirs, ours)).toBeLessThanOrEqual(1e-5);
      // inference, not training: a training pass (batch statistics, dropout) gives other outputs
      const trained = Float64Array.from(net.forward(Float64Array.from(x32), count, { training: true }));
      if (d.loss === 'cross-entropy') softmaxInPlace(trained, count, net.outputSize);
      expect(maxAbsDifference(theirs, trained)).toBeGreaterThan(1e-3);
    });
  }

  // the exported graph against the independent slow implementation's inference pass, on every network
  // of the modern family (every padding, stride, max pooling and batchnorm placement it holds)
  for (let n = 0; n < 16; n++) {
    it(`${randomModernNetwork(n).name}: ONNX Runtime gives the slow implementation's inference outputs within 1e-5`, async () => {
      const d = resolveDescription(randomModernNetwork(n));
      // (no Network: the parameters from the layout alone) off their initial values, γ and the running variances 1 ± 0.3
      const views = paramViews(d);
      const noise = randomInputs(40 + n, paramCount(views));
      const params = Float64Array.from(noise, (v) => 0.5 * v);
      for (const v of views) if (v.kind === 'scale' || v.kind === 'runningVar') for (let k = v.offset; k < v.offset + v.length; k++) params[k] = 1 + 0.3 * noise[k];
      const count = 20;
      const inputSize = d.input[0] * d.input[1] * d.input[2];
      const outputs = d.shapes[d.shapes.length - 1][0];
      const x32 = Float32Array.from(randomInputs(60 + n, count * inputSize));
      const slow = slowRun(d, params, Float64Array.from(x32), randomLabels(1, count, outputs), count);
      const ours = Float64Array.from(slow.outputs[d.layers.length - 1]);
      if (d.loss === 'cross-entropy') softmaxInPlace(ours, count, outputs);
      const bytes = exportOnnx(d, params);
      expect(checkOnnxModel(bytes)).toEqual([]);
      expect(maxAbsDifference(await runOnnx(bytes, x32, count, d.input), ours)).toBeLessThanOrEqual(1e-5);
    });
  }

  it('a LeNet-class network (pad same, batchnorm relu, max pooling, dropout) gives the reference\'s classes on 1,000 test digits', async () => {
    const description: NetworkDescription = {
      name: 'lenet-bn', input: [1, 28, 28], loss: 'cross-entropy', seed: 3, layers: [
        { type: 'conv', name: 'C1', maps: 6, kernel: 5, pad: 'same', activation: 'identity' },
        { type: 'batchnorm', name: 'B1', activation: 'relu' },
        { type: 'subsample', name: 'S2', factor: 2, down: 'max', activation: 'identity' },
        { type: 'conv', name: 'C3', maps: 12, kernel: 5, activation: 'identity' },
        { type: 'batchnorm', name: 'B3', activation: 'relu' },
        { type: 'subsample', name: 'S4', factor: 2, down: 'max', activation: 'identity' },
        { type: 'dropout', name: 'D5', rate: 0.3 },
        { type: 'full', name: 'F6', units: 10, activation: 'identity' },
      ],
    };
    const d = resolveDescription(description);
    const net = new Network(d);
    const { train, test } = realDigits();
    const patterns = 2000;
    const x = new Float64Array(patterns * net.inputSize);
    const labels = new Uint8Array(patterns);
    fillBatch(head(train, patterns), range(patterns), 0, patterns, 28, 28, UNIT, x, labels);
    trainSteps(net, x, labels, 20, 100, 0.1);

    const IMAGES = 1000;
    const tx = new Float32Array(IMAGES * net.inputSize);
    const testLabels = new Uint8Array(IMAGES);
    fillBatch(test, range(IMAGES), 0, IMAGES, 28, 28, UNIT, tx, testLabels);
    const ours = referenceOutputs(net, Float64Array.from(tx), IMAGES);
    const bytes = exportOnnx(d, net.params);
    expect(checkOnnxModel(bytes)).toEqual([]);
    expect(nodeNames(bytes).some((n) => n.startsWith('B1.Mul') || n.startsWith('B3.Mul'))).toBe(false);
    const theirs = await runOnnx(bytes, tx, IMAGES, d.input);
    expect(maxAbsDifference(theirs, ours)).toBeLessThanOrEqual(1e-5);
    let same = 0;
    let right = 0;
    for (let n = 0; n < IMAGES; n++) {
      if (argmax(theirs, n, 10) === argmax(ours, n, 10)) same++;
      if (argmax(ours, n, 10) === testLabels[n]) right++;
    }
    expect(same).toBe(IMAGES);
    // the comparison means something only if the network tells digits apart
    expect(new Set(Array.from({ length: IMAGES }, (_, n) => argmax(ours, n, 10))).size).toBeGreaterThanOrEqual(8);
    expect(right / IMAGES).toBeGreaterThan(0.7);
  }, 120_000);
});
