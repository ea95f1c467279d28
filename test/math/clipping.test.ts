// Gradient-norm clipping (issue 15): clipGradients against its formula on random values; the trainer
// clipping after the reduction and before the update, bit-identical at 1 and 2 threads on the wasm
// engine and close to the float64 reference; a clip above every norm changes nothing; the recipe's field.
//
//   ‖g‖ = √(Σ_k g_k²);  ‖g‖ > c: g_k ← g_k · c/‖g‖
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';
import { clipGradients } from '../../src/train/update.js';
import { RecipeError, recipeToJson, resolveRecipe, type Recipe } from '../../src/recipes/recipe.js';
import { createTrainingNetwork, Trainer } from '../../src/train/trainer.js';
import { head, realDigits } from '../helpers/mnist.js';

describe('clipGradients', () => {
  it('by hand: (3, 4) has norm 5; clipped to 1 it is (0.6, 0.8); clipped to 10 it is unchanged', () => {
    const g = Float64Array.of(3, 4);
    expect(clipGradients(g, 10)).toBe(5);
    expect(Array.from(g)).toEqual([3, 4]);
    expect(clipGradients(g, 1)).toBe(5);
    expect(g[0]).toBeCloseTo(0.6, 15);
    expect(g[1]).toBeCloseTo(0.8, 15);
  });

  it('on 1,001 random values, float64 and float32: the formula written out', () => {
    const rng = new Rng(3);
    const g = Float64Array.from({ length: 1001 }, () => rng.range(-1, 1));
    const f = Float32Array.from(g);
    let ss = 0;
    for (const x of g) ss += x * x;
    const norm = Math.sqrt(ss);
    const want = Float64Array.from(g, (x) => x * (2 / norm));
    const f32 = Float32Array.from(f);
    let ss32 = 0;
    for (const x of f32) ss32 += x * x;
    const want32 = Float32Array.from(f32, (x) => x * (2 / Math.sqrt(ss32)));
    expect(clipGradients(g, 2)).toBe(norm);
    expect(g).toEqual(want);
    clipGradients(f, 2);
    expect(f).toEqual(want32);
    let after = 0;
    for (const x of g) after += x * x;
    expect(Math.sqrt(after)).toBeCloseTo(2, 12);
  });
});

const small = {
  name: 'small', input: [1, 28, 28], seed: 3, loss: 'cross-entropy',
  layers: [
    { type: 'conv', name: 'C1', maps: 4, kernel: 5, activation: 'tanh' },
    { type: 'subsample', name: 'S2', factor: 2, activation: 'identity' },
    { type: 'full', name: 'F5', units: 10, activation: 'identity' },
  ],
};
const data = head(realDigits().train, 400);
const recipe = (clip?: number): Recipe => resolveRecipe({ name: 'c', network: small, training: { epochs: 1, batch: 20, rate: 0.1, momentum: 0.5, ...(clip === undefined ? {} : { clip }) } });

async function trained(r: Recipe, threads: number, backend: 'wasm' | 'reference' = 'wasm'): Promise<Float64Array> {
  const net = await createTrainingNetwork(r, data, { threads, backend });
  try {
    const t = new Trainer({ net, recipe: r, train: data, seed: 2, evalTrain: 0 });
    while (!t.done) t.step();
    return Float64Array.from(net.params);
  } finally {
    await net.dispose();
  }
}

describe('the trainer with training.clip', () => {
  it('clipped updates: bit-identical at 1 and 2 threads, within float32 drift of the reference, unlike unclipped ones; a clip of 1e9 changes nothing', async () => {
    const one = await trained(recipe(0.05), 1);
    const two = await trained(recipe(0.05), 2);
    const ref = await trained(recipe(0.05), 1, 'reference');
    const none = await trained(recipe(), 1);
    const huge = await trained(recipe(1e9), 1);
    expect(two).toEqual(one);
    expect(none).not.toEqual(one);
    expect(huge).toEqual(none);
    let worst = 0;
    for (let k = 0; k < ref.length; k++) worst = Math.max(worst, Math.abs(one[k] - ref[k]));
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);

  it('the recipe: a positive number, kept through recipeToJson; else a RecipeError naming training.clip', () => {
    expect(recipe(2).training.clip).toBe(2);
    expect(resolveRecipe(recipeToJson(recipe(2)))).toEqual(recipe(2));
    expect('clip' in recipe().training).toBe(false);
    for (const bad of [0, -1, 'big']) {
      expect(() => recipe(bad as number)).toThrow(RecipeError);
      expect(() => recipe(bad as number)).toThrow(/^training\.clip: expected a positive number \(the largest gradient norm\), got /);
    }
  });
});
