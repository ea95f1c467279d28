// The trainer of §4 on real MNIST digits: accuracy floors with fixed seeds. (The update against its
// formula: update.test.ts; full-batch accumulation against one big batch: full-batch.test.ts; SDLM's
// rates by hand: sdlm.test.ts.)
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { UNIT } from '../../src/data/dataset.js';
import { resolveRecipe, scheduledRate, RecipeError, builtinRecipe } from '../../src/recipes/recipe.js';
import { train } from '../../src/train/trainer.js';
import { evaluate, range } from '../../src/train/evaluate.js';
import { builtinNetworks } from '../../src/recipes/builtin.js';
import { head, realDigits } from '../helpers/mnist.js';

const small = {
  name: 'small', input: [1, 28, 28], seed: 3, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C1', maps: 6, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S2', factor: 2, activation: 'identity' },
    { type: 'conv', name: 'C3', maps: 12, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S4', factor: 2, activation: 'identity' },
    { type: 'full', name: 'F5', units: 10, activation: 'identity' },
  ],
};

describe('training on real MNIST digits (fixed seeds)', () => {
  it('dlt on 6,000 training images, 3 epochs at batch 10: test error on 1,000 test images from > 80 % to < 25 %', async () => {
    const { train: all, test } = realDigits();
    const recipe = builtinRecipe('dlt');
    recipe.training.batch = 10;
    recipe.training.epochs = 3;
    const net = await createNetwork(recipe.network, { batch: 250, threads: 2 });
    const before = evaluate(net, head(test, 1000), range(1000), UNIT, 250).error;
    await train({ net, recipe, train: head(all, 6000), test: null, seed: 1, evalTrain: 0 });
    const after = evaluate(net, head(test, 1000), range(1000), UNIT, 250).error;
    await net.dispose();
    expect(before).toBeGreaterThan(0.8);
    expect(after).toBeLessThan(0.25);
  }, 60_000);

  it('a tanh / cross-entropy net with momentum: 3 epochs of 3,000 images reach < 12 % test error', async () => {
    const { train: all, test } = realDigits();
    const recipe = resolveRecipe({ name: 'small', network: small, training: { epochs: 3, batch: 20, rate: 0.02, momentum: 0.9 } });
    const net = await createNetwork(recipe.network, { batch: 250, threads: 2 });
    const state = await train({ net, recipe, train: head(all, 3000), test: head(test, 1000), seed: 2, evalTrain: 1000 });
    await net.dispose();
    expect(state.history).toHaveLength(3);
    expect(state.history[2].testError!).toBeLessThan(0.12);
    expect(state.history[2].trainError!).toBeLessThan(state.history[0].trainError!);
  }, 60_000);
});
