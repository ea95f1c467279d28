// The steppable Trainer, the one training loop every client drives (train(), the CLI, the playground's
// worker, demo, the bench): stepped one batch at a time, in time slices with evaluations between them,
// stopped and resumed, it reaches exactly the weights train() does; its state resumes exactly; it stops
// on divergence; and the network it trains is made by one rule (trainingCapacity, createTrainingNetwork).
import { describe, expect, it } from 'vitest';
import { createNetwork, type TrainableNetwork } from '../../src/network/backend.js';
import { UNIT } from '../../src/data/dataset.js';
import { evaluate, range } from '../../src/train/evaluate.js';
import { builtinRecipe, resolveRecipe, type Recipe } from '../../src/recipes/recipe.js';
import { createTrainingNetwork, DivergenceError, train, Trainer, trainingCapacity, type TrainingState } from '../../src/train/trainer.js';
import { head, realDigits } from '../helpers/mnist.js';
import { fitRecipe, withStatistics } from '../../src/recipes/fit.js';

const small = {
  name: 'small', input: [1, 28, 28], seed: 3, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C1', maps: 4, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S2', factor: 2, activation: 'identity' },
    { type: 'conv', name: 'C3', maps: 8, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S4', factor: 2, activation: 'identity' },
    { type: 'full', name: 'F5', units: 10, activation: 'identity' },
  ],
};

/** Distortions, momentum and per-layer rates: every piece of state the trainer carries between steps. */
function recipe(training: Record<string, unknown> = {}): Recipe {
  return resolveRecipe({
    name: 'steps', network: small,
    data: { augment: { affine: { rotate: 8, scale: 0.08, shear: 8, translate: 1.5 } } },
    training: { epochs: 3, batch: 20, rate: [{ epochs: 1, rate: 0.05 }, { rate: 0.02 }], momentum: 0.9, layerRates: { C1: 2 }, ...training },
  });
}

const { train: all, test } = realDigits();
const data = head(all, 500);

async function trained(r: Recipe, drive: (net: TrainableNetwork) => Promise<void> | void): Promise<Float32Array | Float64Array> {
  const net = await createTrainingNetwork(r, data, { threads: 2 });
  try {
    await drive(net);
    return net.params.slice();
  } finally {
    await net.dispose();
  }
}

describe('the steppable Trainer', () => {
  it('stepped, in time slices with evaluations between them, or stopped and resumed: the weights of train()', async () => {
    const r = recipe();
    const reference = await trained(r, (net) => train({ net, recipe: r, train: data, seed: 5, evalTrain: 0 }).then(() => undefined));
    const stepped = await trained(r, (net) => {
      const t = new Trainer({ net, recipe: r, train: data, seed: 5, evalTrain: 0 });
      expect(t.patterns).toBe(500);
      let steps = 0;
      while (!t.done) {
        const log = t.step();
        steps++;
        // an epoch ends exactly at its last batch, and only there
        expect(log !== null).toBe(steps % 25 === 0);
      }
      expect([steps, t.updates, t.images, t.epoch]).toEqual([75, 75, 1500, 3]);
    });
    const sliced = await trained(r, (net) => {
      const t = new Trainer({ net, recipe: r, train: data, seed: 5, evalTrain: 0 });
      let stops = 0;
      while (!t.done) {
        t.runFor(1);
        // what the playground does between slices: evaluate on the same network
        evaluate(net, test, range(100), UNIT, 100);
        stops++;
      }
      expect(stops).toBeGreaterThan(1);
    });
    expect(Buffer.from(stepped.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
    expect(Buffer.from(sliced.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });

  it('stop() ends runFor after the current step; state() is the last epoch end, and resumes exactly', async () => {
    const r = recipe();
    const reference = await trained(r, (net) => train({ net, recipe: r, train: data, seed: 5, evalTrain: 0 }).then(() => undefined));
    let saved: TrainingState | null = null;
    let velocity: Float32Array | Float64Array | null = null;
    let params: Float32Array | Float64Array | null = null;
    await trained(r, (net) => {
      // stopped from a callback at epoch 1's end: runFor returns after that step
      const t = new Trainer({ net, recipe: r, train: data, seed: 5, evalTrain: 0, onProgress: (p) => {
        if (p.phase === 'evaluate') t.stop();
      } });
      t.runFor(60_000);
      expect([t.epoch, t.updates, t.position, t.done]).toEqual([1, 25, 0, false]);
      // a few steps into epoch 2: the state stays at epoch 1's end
      saved = t.state();
      velocity = net.velocity.slice();
      params = net.params.slice();
      for (let k = 0; k < 5; k++) t.step();
      expect(t.position).toBe(100);
      expect(t.state()).toEqual(saved);
    });
    expect(saved!.epoch).toBe(1);
    const resumed = await trained(r, async (net) => {
      net.setParams(params!);
      net.velocity.set(velocity!);
      const state = await train({ net, recipe: r, train: data, seed: 999, state: saved!, evalTrain: 0 });
      expect(state.epoch).toBe(3);
    });
    expect(Buffer.from(resumed.buffer).equals(Buffer.from(reference.buffer))).toBe(true);
  });

  it('full batch: a step is a chunk of the whole-set gradient, one update per epoch', async () => {
    const r = recipe({ batch: 'full', epochs: 2, momentum: 0, rate: 0.1 });
    const net = await createNetwork(r.network, { backend: 'reference', batch: 1 });
    const t = new Trainer({ net, recipe: r, train: head(all, 1200), seed: 1, evalTrain: 0 });
    expect([t.batch, t.patterns]).toEqual([1000, 1200]);
    expect([t.step(), t.updates, t.position]).toEqual([null, 0, 1000]);
    expect(t.step()!.epoch).toBe(1);
    expect(t.updates).toBe(1);
  });

  it('divergence: DivergenceError on a non-finite loss, and checkWeights refuses NaN weights', async () => {
    const r = recipe({ rate: 1e30, momentum: 0 });
    const net = await createNetwork(r.network, { backend: 'reference', batch: 20 });
    const t = new Trainer({ net, recipe: r, train: data, seed: 1, evalTrain: 0 });
    expect(() => t.runFor(60_000)).toThrow(DivergenceError);
    const u = new Trainer({ net, recipe: recipe(), train: data, seed: 1, evalTrain: 0 });
    net.params[7] = NaN;
    expect(() => u.checkWeights()).toThrow(DivergenceError);
  });

  it('one capacity rule, and the network a distorting recipe trains distorts its own patterns', async () => {
    expect(trainingCapacity(recipe())).toBe(250);
    expect(trainingCapacity(recipe({ batch: 300 }))).toBe(300);
    expect(trainingCapacity(recipe({ batch: 'full' }))).toBe(500);
    const wide = builtinRecipe('simard-wide');
    const net = await createTrainingNetwork(wide, { rows: 28, cols: 28 }, { threads: 1 });
    try {
      expect([net.maxBatch, net.canDistort]).toEqual([250, true]);
    } finally {
      await net.dispose();
    }
    const plain = await createTrainingNetwork(builtinRecipe('dlt'), { rows: 28, cols: 28 }, { threads: 1 });
    expect(plain.canDistort).toBe(false);
    await plain.dispose();
  });

  it('the engine\'s threads make each batch\'s input from its bytes: the weights fillBatch gives, at 1 and 2 threads, padded and not', async () => {
    for (const name of ['dlt', 'lenet5'] as const) {
      const r = builtinRecipe(name);
      r.training.epochs = 1;
      if (name === 'lenet5') r.training.sdlm = null;
      const run = async (stage: boolean, threads: number) => {
        // createNetwork without `stage` has the trainer fill each batch on the calling thread (fillBatch)
        const net = stage
          ? await createTrainingNetwork(r, data, { threads })
          : await createNetwork(r.network, { batch: trainingCapacity(r), threads, seed: r.network.seed });
        try {
          expect(net.canStage).toBe(stage);
          await train({ net, recipe: r, train: head(data, 300), seed: 3, evalTrain: 0 });
          return Buffer.from(net.params.buffer.slice(net.params.byteOffset, net.params.byteOffset + net.params.byteLength));
        } finally {
          await net.dispose();
        }
      };
      const filled = await run(false, 2);
      expect((await run(true, 2)).equals(filled), `${name}: staged at 2 threads`).toBe(true);
      expect((await run(true, 1)).equals(filled), `${name}: staged at 1 thread`).toBe(true);
    }
  });

  it('colour: the threads make every channel\'s input from its bytes (each channel standardised alike by its own table), as fillBatch does', async () => {
    // three different channels from real digits: the digit, its negative, the digit mirrored
    const n = 300;
    const size = data.rows * data.cols;
    const images = new Uint8Array(n * 3 * size);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < size; i++) {
        const level = data.images[p * size + i];
        const r = Math.floor(i / data.cols);
        const c = i % data.cols;
        images[(p * 3) * size + i] = level;
        images[(p * 3 + 1) * size + i] = 255 - level;
        images[(p * 3 + 2) * size + r * data.cols + (data.cols - 1 - c)] = level;
      }
    }
    const colour = { ...data, images, labels: data.labels.slice(0, n), count: n, channels: 3, source: 'colour digits' };
    const base = builtinRecipe('dlt');
    base.training.epochs = 1;
    const r = withStatistics({ ...fitRecipe(base, { channels: 3, rows: 28, cols: 28, classes: 10, source: 'colour digits' }).recipe, normalise: 'standard' }, colour).recipe;
    expect(r.statistics?.mean.length).toBe(3);
    const run = async (stage: boolean, threads: number) => {
      const net = stage
        ? await createTrainingNetwork(r, colour, { threads })
        : await createNetwork(r.network, { batch: trainingCapacity(r), threads, seed: r.network.seed });
      try {
        expect(net.canStage).toBe(stage);
        await train({ net, recipe: r, train: colour, seed: 3, evalTrain: 0 });
        return Buffer.from(net.params.buffer.slice(net.params.byteOffset, net.params.byteOffset + net.params.byteLength));
      } finally {
        await net.dispose();
      }
    };
    const filled = await run(false, 2);
    expect((await run(true, 2)).equals(filled), 'staged at 2 threads').toBe(true);
    expect((await run(true, 1)).equals(filled), 'staged at 1 thread').toBe(true);
  });
});
