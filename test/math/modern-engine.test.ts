// The fast path with the layers beyond the notes (padding, stride, max pooling, batch normalisation,
// dropout) against the float64 reference, whole networks: a training pass's outputs, loss, every
// gradient and the input gradient; the running averages it leaves and the inference pass that reads
// them; and, for a network using all of them trained with Adam, bit-identical weights at 1 and 2 threads
// for 100 steps (batch normalisation's statistics are reduced across the chunks in chunk order).
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../../src/network/network.js';
import { builtinNetwork } from '../../src/recipes/builtin.js';
import { FastNetwork } from '../../src/wasm/engine.js';
import { createNetwork } from '../../src/network/backend.js';
import type { NetworkDescription, ResolvedDescription } from '../../src/network/description.js';
import { checkRecipe } from '../../src/recipes/recipe.js';
import { Trainer } from '../../src/train/trainer.js';
import { STATISTIC_KINDS } from '../../src/layers/layer.js';
import { randomInputs, randomLabels, randomModernNetwork } from '../helpers/random-networks.js';
import { head, realDigits } from '../helpers/mnist.js';
import { expectNormwiseClose } from '../helpers/compare.js';

const open: FastNetwork[] = [];
afterAll(async () => {
  await Promise.all(open.map((n) => n.dispose()));
});

async function fast(d: NetworkDescription | ResolvedDescription, batch: number, threads = 1): Promise<FastNetwork> {
  const n = await FastNetwork.create(d, { batch, threads });
  open.push(n);
  return n;
}


function maxAbs(a: ArrayLike<number>, from: number, n: number): number {
  let m = 0;
  for (let i = from; i < from + n; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** A small net with every new piece: padded and strided convolutions, a combination, max pooling, batchnorm after conv and full, dropout. */
export function everythingNetwork(): NetworkDescription {
  return {
    name: 'everything', input: [2, 14, 10], seed: 3, loss: 'cross-entropy', labelSmoothing: 0.1,
    layers: [
      { type: 'conv', name: 'C1', maps: 4, kernel: 3, pad: 'same', activation: 'identity', connections: 'all' },
      { type: 'batchnorm', name: 'N1', activation: 'relu' },
      { type: 'subsample', name: 'P1', factor: 2, down: 'max', beta: 'trainable', bias: true, activation: 'tanh' },
      { type: 'combination', name: 'C2', maps: 5, kernel: 3, pad: 1, stride: 2, kernels: 'pair', activation: 'identity' },
      { type: 'batchnorm', name: 'N2', activation: 'sigmoid' },
      { type: 'dropout', name: 'D2', rate: 0.3 },
      { type: 'full', name: 'F3', units: 12, activation: 'identity' },
      { type: 'batchnorm', name: 'N3', activation: 'relu' },
      { type: 'dropout', name: 'D3', rate: 0.5 },
      { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
    ],
  };
}

const NETWORKS: NetworkDescription[] = [
  everythingNetwork(),
  builtinNetwork('lenet-bn'),
  ...Array.from({ length: 16 }, (_, n) => randomModernNetwork(n)),
];

describe('fast path against the float64 reference: padding, stride, max pooling, batch normalisation, dropout', () => {
  for (const d of NETWORKS) {
    it(`${d.name}: a training pass's outputs, loss, gradients and input gradient; the running averages; inference`, async () => {
      const batch = 5;
      const ref = new Network(d);
      const noise = randomInputs(17, ref.params.length);
      for (const v of ref.views) {
        if (STATISTIC_KINDS.includes(v.kind)) continue;
        for (let i = v.offset; i < v.offset + v.length; i++) ref.params[i] = Math.fround(ref.params[i] + 0.1 * noise[i]);
      }
      const net = await fast(d, batch);
      net.setParams(ref.params);
      ref.step = net.step = 11;
      const x = Float64Array.from(randomInputs(5, batch * ref.inputSize), Math.fround);
      const labels = randomLabels(6, batch, ref.classes);

      const e = ref.computeGradients(x, labels, batch, { inputGradient: true });
      const ef = net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
      expect(Math.abs(ef - e) / Math.max(1, Math.abs(e))).toBeLessThanOrEqual(1e-5);
      for (let l = 0; l < ref.layers.length; l++) expectNormwiseClose(`training pass, layer ${l} output`, net.activation(l), ref.activation(l), 1e-5);
      for (const v of ref.views) {
        if (STATISTIC_KINDS.includes(v.kind)) {
          // the running averages took in the batch's statistics, in both
          expectNormwiseClose(`${v.name} after the pass`, net.params.subarray(v.offset, v.offset + v.length), ref.params.subarray(v.offset, v.offset + v.length), 1e-5);
          expect(net.grads.subarray(v.offset, v.offset + v.length).every((g) => g === 0), `∂E/∂${v.name} is zero`).toBe(true);
          continue;
        }
        // a gradient that is exactly zero (float64 leaves rounding only): a shift that batch normalisation
        // further up takes back out (a bias below it, a batchnorm's β seen only through linear layers)
        const vanishes = maxAbs(ref.grads, v.offset, v.length) < 1e-9 * maxAbs(ref.grads, 0, ref.grads.length);
        let layerScale = 0;
        if (vanishes) for (const u of ref.views) if (u.layerIndex === v.layerIndex) layerScale = Math.max(layerScale, maxAbs(ref.grads, u.offset, u.length));
        expectNormwiseClose(`∂E/∂${v.name}`, net.grads.subarray(v.offset, v.offset + v.length), ref.grads.subarray(v.offset, v.offset + v.length), 1e-5, layerScale);
      }
      expectNormwiseClose('∂E/∂input', net.inputGradient(), ref.inputGradient(), 1e-5);

      // inference: running averages, no dropout
      const y = ref.forward(x, batch);
      expectNormwiseClose('inference output', net.forward(Float32Array.from(x), batch), y, 1e-5);
    });
  }

  it('a batch of 1 after a fully connected layer is refused, naming the layer; a conv layer\'s maps still have statistics', async () => {
    const d = everythingNetwork();
    const net = await fast(d, 2);
    const x = Float32Array.from(randomInputs(1, net.inputSize));
    expect(() => net.computeGradients(x, [3], 1)).toThrow(/layers\[7\] \(batchnorm "N3"\): batch statistics need at least 2 values a map, got 1/);
    expect(() => new Network(d).computeGradients(Float64Array.from(x), [3], 1)).toThrow(/layers\[7\] \(batchnorm "N3"\)/);
    const convOnly: NetworkDescription = { ...d, layers: d.layers.slice(0, 3).concat([{ type: 'full', name: 'OUT', units: 10, activation: 'identity' }]) };
    const one = await fast(convOnly, 1);
    expect(Number.isFinite(one.computeGradients(x, [3], 1))).toBe(true);
  });
});

describe('the reference backend behind TrainableNetwork', () => {
  it('trains as a Network does: batch statistics and dropout masks in computeGradients, running averages in forward', async () => {
    const d = everythingNetwork();
    const batch = 4;
    const net = await createNetwork(d, { backend: 'reference', batch });
    const plain = new Network(d);
    net.step = plain.step = 3;
    const x = Float64Array.from(randomInputs(8, batch * plain.inputSize));
    const labels = randomLabels(9, batch, 10);
    expect(net.computeGradients(Float32Array.from(x), labels, batch)).toBe(plain.computeGradients(Float64Array.from(x, Math.fround), labels, batch));
    expect(Array.from(net.grads)).toEqual(Array.from(plain.grads));
    expect(Array.from(net.forward(Float32Array.from(x), batch))).toEqual(Array.from(plain.forward(Float64Array.from(x, Math.fround), batch)));
    // a training pass differs from an inference pass (batch statistics, dropout)
    const training = Float64Array.from(plain.forward(Float64Array.from(x, Math.fround), batch, { training: true }));
    expect(Array.from(training)).not.toEqual(Array.from(net.forward(Float32Array.from(x), batch)));
  });
});

describe('threads', () => {
  it('a network with every new layer (padding, stride, max pooling, batchnorm, dropout, a learned combination), trained with Adam for 100 steps: bit-identical weights at 1 and 2 threads', async () => {
    const digits = realDigits();
    const recipe = checkRecipe({
      name: 'everything-adam',
      network: {
        name: 'everything-28', input: [1, 28, 28], seed: 4, loss: 'cross-entropy', layers: [
          { type: 'conv', name: 'C1', maps: 6, kernel: 5, pad: 'same', activation: 'identity' },
          { type: 'batchnorm', name: 'N1', activation: 'relu' },
          { type: 'subsample', name: 'P1', factor: 2, down: 'max', activation: 'identity' },
          { type: 'combination', name: 'C2', maps: 8, kernel: 3, pad: 1, stride: 2, kernels: 'pair', activation: 'identity' },
          { type: 'batchnorm', name: 'N2', activation: 'sigmoid' },
          { type: 'dropout', name: 'D2', rate: 0.3 },
          { type: 'full', name: 'F3', units: 32, activation: 'identity' },
          { type: 'batchnorm', name: 'N3', activation: 'relu' },
          { type: 'dropout', name: 'D3', rate: 0.5 },
          { type: 'full', name: 'OUT', units: 10, activation: 'identity' },
        ],
      },
      training: { epochs: 1, batch: 24, rate: 0.002, weightDecay: 0.01, optimizer: { type: 'adamw' }, anneal: 'one-cycle' },
    });
    const train = head(digits.train, 2400);
    const params: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const net = await fast(recipe.network, 24, threads);
      expect(net.threads).toBe(threads);
      const trainer = new Trainer({ net, recipe, train, seed: 5, evalTrain: 0 });
      for (let s = 0; s < 100; s++) trainer.step();
      expect(trainer.updates).toBe(100);
      params.push(Float32Array.from(net.params));
    }
    const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bits(params[1]).equals(bits(params[0]))).toBe(true);
    const start = new Network(recipe.network).params;
    let moved = 0;
    for (let i = 0; i < start.length; i++) if (Math.fround(start[i]) !== params[0][i]) moved++;
    expect(moved).toBeGreaterThan(start.length / 2);
  }, 120_000);
});
