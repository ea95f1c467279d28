// §4.1 full-batch training (`batch: "full"`, 0 in a resolved recipe): each epoch is one update by the
// mean gradient over the whole training set, which the trainer gathers a capacity-sized piece at a
// time (Σ_pieces B_piece·ḡ_piece / N). Held here to one computeGradients over a single batch of all N
// patterns followed by the one update: to 1e-12 on the float64 backend (pieces of 1,000 patterns),
// within float32 rounding on the wasm engine (pieces of its capacity, each cut into chunks).
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { fillBatch, UNIT, type Dataset } from '../../src/data/dataset.js';
import type { NetworkDescription } from '../../src/network/description.js';
import { Network } from '../../src/network/network.js';
import { Rng } from '../../src/util/rng.js';
import { range } from '../../src/train/evaluate.js';
import { resolveRecipe } from '../../src/recipes/recipe.js';
import { train } from '../../src/train/trainer.js';
import { applyUpdate } from '../../src/train/update.js';

const description: NetworkDescription = {
  name: 'tiny', input: [1, 4, 4], seed: 5, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C', maps: 2, kernel: 3, activation: 'tanh' },
    { type: 'full', name: 'F', units: 3, activation: 'identity' },
  ],
};
const RATE = 0.5, MOMENTUM = 0.5, DECAY = 0.001, C_RATE = 2;

function randomSet(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  return {
    images: Uint8Array.from({ length: count * 16 }, () => rng.int(256)),
    labels: Uint8Array.from({ length: count }, () => rng.int(3)),
    count, rows: 4, cols: 4, source: 'random',
  };
}

function recipe(epochs: number) {
  return resolveRecipe({
    name: 'full-batch', network: description,
    training: { epochs, batch: 'full', rate: RATE, momentum: MOMENTUM, weightDecay: DECAY, layerRates: { C: C_RATE } },
  });
}

/** The rate multipliers of the recipe's layerRates, in the params' layout. */
function layerRates(net: { views: { layer: string; offset: number; length: number }[]; params: ArrayLike<number> }): Float64Array {
  const r = new Float64Array(net.params.length).fill(1);
  for (const v of net.views) if (v.layer === 'C') r.fill(C_RATE, v.offset, v.offset + v.length);
  return r;
}

/** Every input of the set in one batch, and its labels. */
function allPatterns(data: Dataset, out: Float64Array | Float32Array): Uint8Array {
  const labels = new Uint8Array(data.count);
  fillBatch(data, range(data.count), 0, data.count, 4, 4, UNIT, out, labels);
  return labels;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k])));
  return worst;
}

/** Full-batch epochs done by hand in float64: one computeGradients over all N, then the update. */
function byHand(params: ArrayLike<number>, data: Dataset, epochs: number): { params: Float64Array[]; losses: number[] } {
  const net = new Network(description);
  net.params.set(params);
  const x = new Float64Array(data.count * net.inputSize);
  const labels = allPatterns(data, x);
  const rates = layerRates(net), velocity = new Float64Array(net.params.length);
  const out: Float64Array[] = [], losses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    losses.push(net.computeGradients(x, labels, data.count));
    applyUpdate(net.params, net.grads, rates, velocity, RATE, MOMENTUM, DECAY);
    out.push(net.params.slice());
  }
  return { params: out, losses };
}

/** One epoch's step from the gradient of only the first `count` patterns: what a wrong accumulation gives. */
function partialStep(params: ArrayLike<number>, data: Dataset, count: number): Float64Array {
  return byHand(params, { ...data, count }, 1).params[0];
}

describe('full batch (§4.1): the trainer\'s accumulation over pieces equals one batch of all patterns', () => {
  it('float64: 2,300 patterns in pieces of 1,000, 1,000 and 300, two epochs with momentum, decay and a layer rate: to 1e-12', async () => {
    const data = randomSet(2300, 1);
    const net = await createNetwork(description, { backend: 'reference', batch: 1 });
    const initial = net.params.slice();
    const after: Float64Array[] = [];
    const state = await train({ net, recipe: recipe(2), train: data, seed: 3, evalTrain: 0, onEpoch: () => { after.push(Float64Array.from(net.params)); } });
    const want = byHand(initial, data, 2);
    for (let e = 0; e < 2; e++) {
      expect(maxRelDiff(after[e], want.params[e]), `params after epoch ${e + 1}`).toBeLessThan(1e-12);
      expect(Math.abs(state.history[e].trainLoss - want.losses[e]), `loss of epoch ${e + 1}`).toBeLessThan(1e-12);
    }
    // the comparison tells a wrong accumulation apart
    expect(maxRelDiff(partialStep(initial, data, 1000), want.params[0])).toBeGreaterThan(1e-5);
    await net.dispose();
  });

  it('wasm: 300 patterns through a capacity of 64 (pieces 64 × 4 + 44) equal one batch of 300 and the float64 step, within float32 rounding', async () => {
    const set = randomSet(300, 2);
    const pieces = await createNetwork(description, { batch: 64, threads: 1 });
    const whole = await createNetwork(description, { batch: 300, threads: 1 });
    try {
      expect(pieces.backend).toBe('wasm');
      const initial = Float64Array.from(pieces.params);
      await train({ net: pieces, recipe: recipe(1), train: set, seed: 3, evalTrain: 0 });

      const x = new Float32Array(300 * whole.inputSize);
      const labels = allPatterns(set, x);
      whole.rates.set(layerRates(whole));
      whole.computeGradients(x, labels, 300);
      whole.update(RATE, MOMENTUM, DECAY);

      const want = byHand(initial, set, 1).params[0];
      const moved = maxRelDiff(want, initial);
      expect(moved).toBeGreaterThan(1e-2);
      // float32: parameters stored to 2^-24, gradients summed over 300 patterns in another order (seen: 3e-8)
      expect(maxRelDiff(pieces.params, whole.params), 'pieces vs one batch (wasm)').toBeLessThan(1e-6);
      expect(maxRelDiff(pieces.params, want), 'wasm pieces vs float64 one batch').toBeLessThan(1e-6);
      // a gradient of the four full pieces only (the last piece dropped) is far outside that
      expect(maxRelDiff(partialStep(initial, set, 256), want)).toBeGreaterThan(1e-3);
    } finally {
      await pieces.dispose();
      await whole.dispose();
    }
  });
});
