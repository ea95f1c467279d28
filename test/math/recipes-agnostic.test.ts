// Issue 8: the distortion recipes are dataset-agnostic. Nothing in them is specific to digits beyond
// the input size: no class codes, no normalisation fitted to MNIST's statistics, distortions that are
// plain geometry. Shown by training each, with only its input size changed, on images that are not
// digits: 36×36 pictures of a bar at one of 10 orientations 18° apart, on a noisy background.
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { smoothingRadius } from '../../src/data/augment.js';
import type { Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';
import { builtinRecipes, resolveRecipe } from '../../src/recipes/recipe.js';
import { train } from '../../src/train/trainer.js';

const DISTORTION_RECIPES = ['simard-wide', 'simard', 'simard-2003', 'lenet5-distort'];
const SIDE = 36;

/** count bars, class k at k·18° (± 4°), random length, width and centre offset, noise in the background. */
function bars(count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const images = new Uint8Array(count * SIDE * SIDE);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const k = rng.int(10);
    labels[n] = k;
    const theta = ((k * 18 + rng.range(-4, 4)) * Math.PI) / 180;
    const [ux, uy] = [Math.cos(theta), Math.sin(theta)];
    const half = rng.range(8, 13);
    const width = rng.range(1, 2.2);
    const cx = SIDE / 2 + rng.range(-3, 3);
    const cy = SIDE / 2 + rng.range(-3, 3);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const along = (c - cx) * ux + (r - cy) * uy;
        const across = Math.abs(-(c - cx) * uy + (r - cy) * ux);
        const ink = Math.abs(along) <= half && across <= width ? 230 : 0;
        images[n * SIDE * SIDE + r * SIDE + c] = Math.min(255, ink + rng.int(40));
      }
    }
  }
  return { images, labels, count, rows: SIDE, cols: SIDE, source: `bars(${seed})` };
}

describe('the distortion recipes are dataset-agnostic', () => {
  it.each(DISTORTION_RECIPES)('%s: no class codes, no MNIST-fitted normalisation; only its input size changed, it learns bars at 10 orientations', async (name) => {
    const raw = structuredClone(builtinRecipes[name]) as { network: Record<string, unknown>; data: Record<string, unknown>; training: Record<string, unknown> };
    expect(raw.network.codes).toBeUndefined();
    expect(raw.data.normalise ?? 'unit').toBe('unit');
    expect(raw.data.augment).toBeDefined();
    // the one change: the input size
    raw.network.input = [1, SIDE, SIDE];
    raw.training.epochs = 2;
    const recipe = resolveRecipe(raw);
    const data = bars(3000, 1);
    const test = bars(1000, 2);
    const net = await createNetwork(recipe.network, { batch: 250, threads: 2, distort: { rows: SIDE, cols: SIDE, radius: smoothingRadius(recipe.augment!) } });
    try {
      const state = await train({ net, recipe, train: data, test, seed: 1, evalTrain: 0 });
      // chance is 90 % error
      expect(state.history[1].testError!).toBeLessThan(0.3);
    } finally {
      await net.dispose();
    }
  }, 120_000);
});
