// Rate schedules beyond the per-epoch steps (issue 15): a linear warm-up (over updates or epochs), cosine
// annealing and Smith's one-cycle, as a factor on the scheduled rate at each update (rateFactor, recipe.ts):
// its values at chosen updates against hand-computed ones; the trainer applying it per update, counting
// the updates in its state so that a run resumed from an epoch end is bit-identical; the recipe's fields.
import { describe, expect, it } from 'vitest';
import { rateFactor, RecipeError, recipeToJson, resolveRecipe, checkRecipe, type Recipe } from '../../src/recipes/recipe.js';
import { createTrainingNetwork, Trainer } from '../../src/train/trainer.js';
import { head, realDigits } from '../helpers/mnist.js';

describe('rateFactor at chosen updates', () => {
  it('no warm-up, no anneal: 1 everywhere', () => {
    for (const u of [0, 5, 99]) expect(rateFactor({}, u, 10, 100)).toBe(1);
  });

  it('warm-up over 4 updates: 1/4, 2/4, 3/4, then 1; over 2 epochs of 5 updates: (u + 1)/10', () => {
    expect([0, 1, 2, 3, 4, 50].map((u) => rateFactor({ warmup: { updates: 4 } }, u, 10, 100))).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    expect(rateFactor({ warmup: { epochs: 2 } }, 4, 5, 100)).toBe(0.5);
    expect(rateFactor({ warmup: { epochs: 2 } }, 9, 5, 100)).toBe(1);
  });

  it('cosine over 10 updates: 1 at the start, ½ halfway, 0 at the end; with floor 0.1: 0.55 halfway; after a warm-up of 2 of 12 updates: ½ at update 7', () => {
    const c = { anneal: { type: 'cosine', floor: 0 } } as const;
    expect(rateFactor(c, 0, 5, 10)).toBe(1);
    expect(rateFactor(c, 5, 5, 10)).toBeCloseTo(0.5, 15);
    // ½(1 + cos(π/10)) = 0.975528…
    expect(rateFactor(c, 1, 5, 10)).toBeCloseTo(0.9755282581475768, 15);
    expect(rateFactor(c, 10, 5, 10)).toBeCloseTo(0, 15);
    expect(rateFactor({ anneal: { type: 'cosine', floor: 0.1 } }, 5, 5, 10)).toBeCloseTo(0.55, 15);
    const w = { warmup: { updates: 2 }, anneal: { type: 'cosine', floor: 0 } } as const;
    expect(rateFactor(w, 0, 6, 12)).toBe(0.5);
    expect(rateFactor(w, 2, 6, 12)).toBe(1);
    expect(rateFactor(w, 7, 6, 12)).toBeCloseTo(0.5, 15);
  });

  it('one-cycle over 100 updates (start 0.3, div 25, finalDiv 1e4): 0.04 → 0.52 at 15 → 1 at 30 → ½(1 + 1/250000) at 65 → 1/250000 at 100', () => {
    const o = { anneal: { type: 'one-cycle', start: 0.3, div: 25, finalDiv: 1e4 } } as const;
    expect(rateFactor(o, 0, 10, 100)).toBeCloseTo(0.04, 15);
    expect(rateFactor(o, 15, 10, 100)).toBeCloseTo(0.52, 15);
    expect(rateFactor(o, 30, 10, 100)).toBe(1);
    expect(rateFactor(o, 65, 10, 100)).toBeCloseTo(0.5 + 0.5 / 250000, 15);
    expect(rateFactor(o, 100, 10, 100)).toBeCloseTo(1 / 250000, 15);
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
const data = head(realDigits().train, 200);

describe('the trainer under a per-update schedule', () => {
  const recipe = (training: Record<string, unknown>): Recipe => resolveRecipe({ name: 's', network: small, training: { epochs: 3, batch: 20, rate: [{ epochs: 2, rate: 0.1 }, { rate: 0.05 }], momentum: 0.5, ...training } });

  it.each([
    ['warm-up and cosine', { warmup: { epochs: 1 }, anneal: { type: 'cosine', floor: 0.2 } }],
    ['one-cycle', { anneal: 'one-cycle' }],
  ])('%s: each epoch logs its last update\'s rate (the stage\'s rate × the factor); resumed from epoch 1, bit-identical', async (_, training) => {
    const r = recipe(training);
    const net = await createTrainingNetwork(r, data, { threads: 1 });
    const t = new Trainer({ net, recipe: r, train: data, seed: 4, evalTrain: 0 });
    const logs = [];
    let afterOne: { params: Float32Array | Float64Array; velocity: Float32Array | Float64Array; state: ReturnType<Trainer['state']> } | null = null;
    while (!t.done) {
      const log = t.step();
      if (log) logs.push(log);
      if (log?.epoch === 1) afterOne = { params: net.params.slice(), velocity: net.velocity.slice(), state: t.state() };
    }
    // 10 updates an epoch, 30 in all
    expect(t.state().updates).toBe(30);
    const stage = [0.1, 0.1, 0.05];
    logs.forEach((l, e) => expect(l.rate).toBe(stage[e] * rateFactor(r.training, 10 * e + 9, 10, 30)));
    const whole = net.params.slice();
    await net.dispose();

    const again = await createTrainingNetwork(r, data, { threads: 2 });
    try {
      again.setParams(afterOne!.params);
      again.velocity.set(afterOne!.velocity);
      expect(afterOne!.state.updates).toBe(10);
      const t2 = new Trainer({ net: again, recipe: r, train: data, seed: 4, evalTrain: 0, state: afterOne!.state });
      while (!t2.done) t2.step();
      expect(again.params).toEqual(whole);
    } finally {
      await again.dispose();
    }
  }, 60_000);
});

describe('the recipe\'s training.warmup and training.anneal', () => {
  const base = { name: 'x', network: 'dlt', training: { rate: 0.1 } };
  const withT = (extra: Record<string, unknown>) => ({ ...base, training: { ...base.training, ...extra } });

  it('resolved with defaults (cosine floor 0; one-cycle start 0.3, div 25, finalDiv 1e4); round-trips through recipeToJson; absent: absent', () => {
    expect(resolveRecipe(withT({ anneal: 'cosine' })).training.anneal).toEqual({ type: 'cosine', floor: 0 });
    expect(resolveRecipe(withT({ anneal: { type: 'one-cycle', div: 10 } })).training.anneal).toEqual({ type: 'one-cycle', start: 0.3, div: 10, finalDiv: 1e4 });
    const r = resolveRecipe(withT({ warmup: { updates: 100 }, anneal: { type: 'cosine', floor: 0.01 } }));
    expect(r.training.warmup).toEqual({ updates: 100 });
    expect(resolveRecipe(recipeToJson(r))).toEqual(r);
    expect(checkRecipe(r)).toBe(r);
    const plain = resolveRecipe(base);
    expect('warmup' in plain.training || 'anneal' in plain.training).toBe(false);
  });

  it.each([
    ['warm-up not an object', { warmup: 5 }, /^training\.warmup: expected \{updates: N\} or \{epochs: N\}, got 5$/],
    ['warm-up with both', { warmup: { updates: 5, epochs: 1 } }, /^training\.warmup: expected exactly one of updates and epochs/],
    ['warm-up of 0 updates', { warmup: { updates: 0 } }, /^training\.warmup\.updates: expected a positive integer, got 0$/],
    ['warm-up, unknown field', { warmup: { steps: 5 } }, /^training\.warmup\.steps: unknown field; expected one of updates, epochs$/],
    ['an unknown anneal', { anneal: 'linear' }, /^training\.anneal: expected "cosine" or "one-cycle", got "linear"$/],
    ['an unknown anneal type', { anneal: { type: 'exp' } }, /^training\.anneal\.type: expected "cosine" or "one-cycle", got "exp"$/],
    ['cosine floor 1', { anneal: { type: 'cosine', floor: 1 } }, /^training\.anneal\.floor: expected a fraction of the rate in \[0, 1\), got 1$/],
    ['one-cycle start 0', { anneal: { type: 'one-cycle', start: 0 } }, /^training\.anneal\.start: expected a fraction of the updates in \(0, 1\), got 0$/],
    ['one-cycle div 0.5', { anneal: { type: 'one-cycle', div: 0.5 } }, /^training\.anneal\.div: expected a number ≥ 1, got 0\.5$/],
    ['one-cycle with a warm-up', { anneal: 'one-cycle', warmup: { updates: 3 } }, /^training\.warmup: expected none with a one-cycle anneal/],
  ])('%s: a RecipeError naming the field', (_, extra, message) => {
    expect(() => resolveRecipe(withT(extra))).toThrow(RecipeError);
    expect(() => resolveRecipe(withT(extra))).toThrow(message);
  });
});
