// Optimisers beyond the notes' SGD (issue 15). Nesterov momentum: the float64 sgdUpdate against its formula,
// the wasm sgd_update within float32 rounding of it, the recipe's field. Adam and AdamW, one update per backend: the float64 adamUpdate (train/update.ts) against its
// formula written out here, bit for bit; the wasm engine's adam_update (assembly/update.ts) held to it
// within float32 rounding; the trainer driving it (the step count t from the trainer's update count);
// a network trained 100 Adam steps on the wasm engine bit-identical at 1 and 2 threads; a stopped run
// resumed from its state, moments restored, bit-identical to an uninterrupted one; the recipe's field.
//
//   g' = g + λθ (Adam) or g (AdamW);  m ← β1 m + (1 − β1) g';  v ← β2 v + (1 − β2) g'²
//   θ ← θ − η r (c1 m / (√(c2 v) + ε) [+ λθ, AdamW]),  c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t)
// Nesterov:  step = η r (g + λθ);  v ← m v − step;  θ ← θ + m v − step
import { describe, expect, it } from 'vitest';
import { createNetwork } from '../../src/network/backend.js';
import { Rng } from '../../src/util/rng.js';
import { adamUpdate, applyUpdate, sgdUpdate, type AdamSettings } from '../../src/train/update.js';
import { RecipeError, recipeToJson, resolveRecipe, checkRecipe, type Recipe } from '../../src/recipes/recipe.js';
import { createTrainingNetwork, Trainer, type TrainingState } from '../../src/train/trainer.js';
import { randomNetwork } from '../helpers/random-networks.js';
import { head, realDigits } from '../helpers/mnist.js';

function random(rng: Rng, n: number, lo: number, hi: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.range(lo, hi));
}

/** The formula, one weight at a time, with no code of the library's. */
function byFormula(
  p: Float64Array, g: Float64Array, r: Float64Array, m: Float64Array, v: Float64Array,
  t: number, eta: number, lambda: number, b1: number, b2: number, eps: number, decoupled: boolean,
): void {
  const c1 = 1 / (1 - Math.pow(b1, t)), c2 = 1 / (1 - Math.pow(b2, t));
  for (let k = 0; k < p.length; k++) {
    const gk = decoupled ? g[k] : g[k] + lambda * p[k];
    m[k] = b1 * m[k] + (1 - b1) * gk;
    v[k] = b2 * v[k] + (1 - b2) * gk * gk;
    const adam = (c1 * m[k]) / (Math.sqrt(c2 * v[k]) + eps);
    p[k] = p[k] - eta * r[k] * (adam + (decoupled ? lambda * p[k] : 0));
  }
}

const CASES: [string, number, boolean][] = [
  ['Adam, no decay', 0, false],
  ['Adam, decay added to the gradient (λ = 0.01)', 0.01, false],
  ['AdamW, decoupled decay (λ = 0.05)', 0.05, true],
];
const settings = (decoupled: boolean, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8): AdamSettings => ({ beta1, beta2, epsilon, decoupled });

describe('the float64 Adam update (adamUpdate) against its formula', () => {
  it('the first update, by hand: m̂ = g, v̂ = g², so each weight moves by η r g/(|g| + ε) (≈ η r sign g)', () => {
    const p = Float64Array.of(1, -2), m = new Float64Array(2), v = new Float64Array(2);
    adamUpdate(p, Float64Array.of(0.5, -0.25), Float64Array.of(1, 2), m, v, 1, 0.1, 0, settings(false, 0.9, 0.999, 0));
    expect(m[0]).toBeCloseTo(0.05, 15);
    expect(v[0]).toBeCloseTo(0.00025, 15);
    expect(p[0]).toBeCloseTo(0.9, 12);
    expect(p[1]).toBeCloseTo(-2 + 0.2, 12);
  });

  it('AdamW decays apart from the step: a zero gradient still shrinks θ by η r λ θ (Adam with g = 0 would move it by ≈ η r)', () => {
    const p = Float64Array.of(2), m = new Float64Array(1), v = new Float64Array(1);
    adamUpdate(p, Float64Array.of(0), Float64Array.of(1), m, v, 1, 0.1, 0.5, settings(true));
    expect(p[0]).toBe(2 - 0.1 * 0.5 * 2);
    expect([m[0], v[0]]).toEqual([0, 0]);
    const q = Float64Array.of(2);
    adamUpdate(q, Float64Array.of(0), Float64Array.of(1), new Float64Array(1), new Float64Array(1), 1, 0.1, 0.5, settings(false));
    // Adam: g' = λθ = 1, the normalised step ≈ 1
    expect(q[0]).toBeCloseTo(2 - 0.1, 6);
  });

  it.each(CASES)('%s: six updates on 1,001 random weights equal the formula bit for bit', (_, lambda, decoupled) => {
    const rng = new Rng(17);
    const n = 1001;
    const p = random(rng, n, -2, 2), r = random(rng, n, 0, 3);
    const m = new Float64Array(n), v = new Float64Array(n);
    const q = p.slice(), mq = m.slice(), vq = v.slice(), p0 = p.slice();
    const s = settings(decoupled, 0.8, 0.99, 1e-6);
    for (let t = 1; t <= 6; t++) {
      const g = random(rng, n, -1, 1);
      const eta = 0.01 * t;
      adamUpdate(p, g, r, m, v, t, eta, lambda, s);
      byFormula(q, g, r, mq, vq, t, eta, lambda, 0.8, 0.99, 1e-6, decoupled);
      expect(p).toEqual(q);
      expect(m).toEqual(mq);
      expect(v).toEqual(vq);
    }
    expect(Math.max(...p.map((x, k) => Math.abs(x - p0[k])))).toBeGreaterThan(0.01);
  });
});

describe('the wasm Adam update against the float64 one (within float32 rounding)', () => {
  it.each(CASES)('%s: five updates of random parameters, gradients, rates and moments', async (_, lambda, decoupled) => {
    const net = await createNetwork(randomNetwork(3), { batch: 2, threads: 1 });
    try {
      expect(net.backend).toBe('wasm');
      const rng = new Rng(23);
      const n = net.params.length;
      const s = settings(decoupled);
      net.setParams(random(rng, n, -2, 2));
      net.rates.set(random(rng, n, 0, 3));
      let worst = 0;
      for (let t = 1; t <= 5; t++) {
        net.grads.set(random(rng, n, -1, 1));
        // the float64 update from the same float32 values
        const p = Float64Array.from(net.params), g = Float64Array.from(net.grads), r = Float64Array.from(net.rates);
        const m = Float64Array.from(net.moment1), v = Float64Array.from(net.moment2);
        const p0 = p.slice();
        const eta = 0.01 * t;
        adamUpdate(p, g, r, m, v, t, eta, lambda, s);
        net.adamUpdate(t, eta, lambda, s);
        for (let k = 0; k < n; k++) {
          // rounding scale: θ, and the step (η r times a normalised direction of size ≲ 1/(1 − β1) + λ|θ|)
          const scale = Math.abs(p0[k]) + eta * r[k] * (10 + lambda * Math.abs(p0[k]));
          worst = Math.max(worst, Math.abs(net.params[k] - p[k]) / scale);
          expect(Math.abs(net.moment1[k] - m[k])).toBeLessThanOrEqual(4 * 2 ** -23 * (Math.abs(m[k]) + 1));
          expect(Math.abs(net.moment2[k] - v[k])).toBeLessThanOrEqual(4 * 2 ** -23 * (Math.abs(v[k]) + 1));
        }
        expect(Math.max(...p.map((x, k) => Math.abs(x - p0[k])))).toBeGreaterThan(1e-3);
      }
      expect(worst).toBeLessThan(8 * 2 ** -23);
    } finally {
      await net.dispose();
    }
  });
});

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
const adamRecipe = (type: 'adam' | 'adamw', epochs = 4): Recipe => resolveRecipe({
  name: 'adam', network: small,
  training: { epochs, batch: 20, rate: 0.002, weightDecay: 0.01, layerRates: { C1: 2 }, optimizer: { type, beta2: 0.99 } },
});
const data = head(realDigits().train, 500);

async function run(r: Recipe, threads: number, backend: 'wasm' | 'reference' = 'wasm', steps = Infinity): Promise<{ params: Float64Array; m: Float64Array; v: Float64Array; state: TrainingState; loss: number }> {
  const net = await createTrainingNetwork(r, data, { threads, backend });
  try {
    const t = new Trainer({ net, recipe: r, train: data, seed: 5, evalTrain: 0 });
    for (let s = 0; s < steps && !t.done; s++) t.step();
    return { params: Float64Array.from(net.params), m: Float64Array.from(net.moment1), v: Float64Array.from(net.moment2), state: t.state(), loss: t.lastLoss };
  } finally {
    await net.dispose();
  }
}

describe('training with Adam', () => {
  it.each(['adam', 'adamw'] as const)('%s: 100 steps on the wasm engine, bit-identical at 1 and 2 threads (weights and moments), and it learns', async (type) => {
    const r = adamRecipe(type);
    const one = await run(r, 1, 'wasm', 100);
    const two = await run(r, 2, 'wasm', 100);
    expect(two.params).toEqual(one.params);
    expect(two.m).toEqual(one.m);
    expect(two.v).toEqual(one.v);
    expect(one.m.some((x) => x !== 0)).toBe(true);
    expect(one.loss).toBeLessThan(1);
  }, 60_000);

  it('the state counts the updates (Adam\'s t), and a run resumed from an epoch end (moments restored) ends bit-identical', async () => {
    const r = adamRecipe('adam', 3);
    const whole = await run(r, 2);
    expect(whole.state.updates).toBe(75);
    // stopped after epoch 1: the state and the moments are what a checkpoint holds
    const first = await createTrainingNetwork(r, data, { threads: 1 });
    const t1 = new Trainer({ net: first, recipe: r, train: data, seed: 5, evalTrain: 0 });
    while (t1.epoch < 1) t1.step();
    const saved = { params: first.params.slice(), m: first.moment1.slice(), v: first.moment2.slice(), state: t1.state() };
    await first.dispose();
    expect(saved.state.updates).toBe(25);
    const second = await createTrainingNetwork(r, data, { threads: 2 });
    try {
      second.setParams(saved.params);
      second.moment1.set(saved.m);
      second.moment2.set(saved.v);
      const t2 = new Trainer({ net: second, recipe: r, train: data, seed: 5, evalTrain: 0, state: saved.state });
      while (!t2.done) t2.step();
      expect(Float64Array.from(second.params)).toEqual(whole.params);
      expect(Float64Array.from(second.moment2)).toEqual(whole.v);
      expect(t2.state().updates).toBe(75);
    } finally {
      await second.dispose();
    }
  }, 60_000);

  it('the float64 reference trains the same recipe to weights within float32 drift of the wasm engine\'s', async () => {
    const r = adamRecipe('adamw', 1);
    const fast = await run(r, 1, 'wasm', 5);
    const ref = await run(r, 1, 'reference', 5);
    let worst = 0;
    for (let k = 0; k < ref.params.length; k++) worst = Math.max(worst, Math.abs(fast.params[k] - ref.params[k]));
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});

describe('the recipe\'s training.optimizer', () => {
  const base = { name: 'x', network: 'dlt', training: { rate: 0.001 } };
  const withOpt = (o: unknown, extra: Record<string, unknown> = {}) => ({ ...base, training: { ...base.training, optimizer: o, ...extra } });

  it('a name or an object; Adam\'s defaults β1 0.9, β2 0.999, ε 1e-8; absent: SGD, and the recipe\'s JSON unchanged', () => {
    expect(resolveRecipe(withOpt('adam')).training.optimizer).toEqual({ type: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    expect(resolveRecipe(withOpt({ type: 'adamw', beta1: 0.5 })).training.optimizer).toEqual({ type: 'adamw', beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
    expect(resolveRecipe(withOpt('sgd')).training.optimizer).toEqual({ type: 'sgd', nesterov: false });
    expect(resolveRecipe(base).training.optimizer).toBeUndefined();
    expect((recipeToJson(resolveRecipe(base)) as { training: object }).training).not.toHaveProperty('optimizer');
    const r = resolveRecipe(withOpt({ type: 'adamw', epsilon: 1e-6 }));
    expect(resolveRecipe(recipeToJson(r))).toEqual(r);
    expect(checkRecipe(r)).toBe(r);
  });

  it.each([
    ['an unknown name', 'rmsprop', /^training\.optimizer: expected "sgd", "adam" or "adamw", got "rmsprop"$/],
    ['a bad type', { type: 'nadam' }, /^training\.optimizer\.type: expected "sgd", "adam" or "adamw", got "nadam"$/],
    ['a number', 3, /^training\.optimizer: expected "sgd", "adam", "adamw", \{type: "sgd", nesterov\?\} or \{type: "adam" \| "adamw", beta1\?, beta2\?, epsilon\?\}, got 3$/],
    ['nesterov not a boolean', { type: 'sgd', nesterov: 1 }, /^training\.optimizer\.nesterov: expected true or false, got 1$/],
    ['nesterov with no momentum', { type: 'sgd', nesterov: true }, /^training\.optimizer\.nesterov: expected false with no momentum \(Nesterov's look-ahead needs training\.momentum > 0\), got true$/],
    ['β1 = 1', { type: 'adam', beta1: 1 }, /^training\.optimizer\.beta1: expected a number in \[0, 1\), got 1$/],
    ['β2 < 0', { type: 'adam', beta2: -0.1 }, /^training\.optimizer\.beta2: expected a number in \[0, 1\), got -0\.1$/],
    ['ε = 0', { type: 'adamw', epsilon: 0 }, /^training\.optimizer\.epsilon: expected a positive number, got 0$/],
    ['an unknown field', { type: 'adam', gamma: 1 }, /^training\.optimizer\.gamma: unknown field; expected one of type, beta1, beta2, epsilon$/],
    ['β1 for SGD', { type: 'sgd', beta1: 0.9 }, /^training\.optimizer\.beta1: unknown field; expected one of type, nesterov$/],
  ])('%s: a RecipeError naming the field', (_, o, message) => {
    expect(() => resolveRecipe(withOpt(o))).toThrow(RecipeError);
    expect(() => resolveRecipe(withOpt(o))).toThrow(message);
  });

  it('momentum with Adam: a RecipeError naming training.momentum; a resolved recipe edited wrongly is caught too', () => {
    expect(() => resolveRecipe(withOpt('adam', { momentum: 0.9 }))).toThrow(/^training\.momentum: expected 0 or none with adam \(its momentum is optimizer\.beta1\), got 0\.9$/);
    const r = resolveRecipe(withOpt('adam'));
    const edited = { ...r, training: { ...r.training, optimizer: { type: 'adam', beta1: 0.9, beta2: 2, epsilon: 1e-8 } } };
    expect(() => checkRecipe(edited)).toThrow(/^training\.optimizer\.beta2: expected a number in \[0, 1\), got 2$/);
    const missing = { ...r, training: { ...r.training, optimizer: { type: 'adam' } } };
    expect(() => checkRecipe(missing)).toThrow(/^training\.optimizer\.beta1: expected a number in \[0, 1\), got undefined$/);
  });
});

/** Nesterov's update, one weight at a time, with no code of the library's. */
function nesterovByFormula(p: Float64Array, g: Float64Array, r: Float64Array, v: Float64Array, eta: number, m: number, lambda: number): void {
  for (let k = 0; k < p.length; k++) {
    const step = eta * r[k] * (g[k] + lambda * p[k]);
    v[k] = m * v[k] - step;
    p[k] = p[k] + (m * v[k] - step);  // θ moves by the look-ahead m v − step
  }
}

describe('Nesterov momentum', () => {
  it('one weight by hand: θ = 1, g = 0.5, r = 2, η = 0.1, λ = 0.01, m = 0.9, v = 0.2 → v = 0.078, θ = 1 + 0.9·0.078 − 0.102', () => {
    const p = Float64Array.of(1), v = Float64Array.of(0.2);
    applyUpdate(p, Float64Array.of(0.5), Float64Array.of(2), v, 0.1, 0.9, 0.01, true);
    expect(v[0]).toBeCloseTo(0.078, 15);
    expect(p[0]).toBeCloseTo(1 + 0.9 * 0.078 - 0.102, 15);
  });

  it.each([[0.9, 0], [0.5, 0.003]])('m = %f, λ = %f: five float64 updates on 1,001 random weights equal the formula bit for bit; without nesterov it is the plain momentum update', (m, lambda) => {
    const rng = new Rng(29);
    const n = 1001;
    const p = random(rng, n, -2, 2), r = random(rng, n, 0, 3), v = random(rng, n, -0.1, 0.1);
    const q = p.slice(), w = v.slice(), plain = p.slice(), pv = v.slice();
    for (let s = 0; s < 5; s++) {
      const g = random(rng, n, -1, 1);
      applyUpdate(p, g, r, v, 0.05 * (s + 1), m, lambda, true);
      nesterovByFormula(q, g, r, w, 0.05 * (s + 1), m, lambda);
      expect(p).toEqual(q);
      expect(v).toEqual(w);
      sgdUpdate(plain, g, r, pv, 0.05 * (s + 1), m, lambda);
    }
    expect(plain).not.toEqual(p);
  });

  it('the wasm update against the float64 one within float32 rounding', async () => {
    const net = await createNetwork(randomNetwork(3), { batch: 2, threads: 1 });
    try {
      const rng = new Rng(31);
      const n = net.params.length;
      for (let s = 0; s < 4; s++) {
        net.setParams(random(rng, n, -2, 2));
        net.grads.set(random(rng, n, -1, 1));
        net.rates.set(random(rng, n, 0, 3));
        net.velocity.set(random(rng, n, -0.1, 0.1));
        const p = Float64Array.from(net.params), g = Float64Array.from(net.grads);
        const r = Float64Array.from(net.rates), v = Float64Array.from(net.velocity);
        const p0 = p.slice(), v0 = v.slice();
        const eta = 0.1 * (s + 1);
        applyUpdate(p, g, r, v, eta, 0.9, 0.01, true);
        net.update(eta, 0.9, 0.01, true);
        let worst = 0;
        for (let k = 0; k < n; k++) {
          const scale = Math.abs(p0[k]) + 2 * eta * r[k] * (Math.abs(g[k]) + 0.01 * Math.abs(p0[k])) + Math.abs(v0[k]);
          worst = Math.max(worst, Math.abs(net.params[k] - p[k]) / scale, Math.abs(net.velocity[k] - v[k]) / scale);
        }
        expect(worst).toBeLessThan(4 * 2 ** -23);
        expect(Math.max(...p.map((x, k) => Math.abs(x - p0[k])))).toBeGreaterThan(1e-2);
      }
    } finally {
      await net.dispose();
    }
  });

  it('a recipe with {type: "sgd", nesterov: true} trains on the wasm engine bit-identically at 1 and 2 threads, the reference close to it', async () => {
    const r = resolveRecipe({ name: 'nag', network: small, training: { epochs: 1, batch: 20, rate: 0.01, momentum: 0.9, optimizer: { type: 'sgd', nesterov: true } } });
    expect(r.training.optimizer).toEqual({ type: 'sgd', nesterov: true });
    const plain = resolveRecipe({ name: 'mom', network: small, training: { epochs: 1, batch: 20, rate: 0.01, momentum: 0.9 } });
    const one = await run(r, 1, 'wasm', 20);
    const two = await run(r, 2, 'wasm', 20);
    const ref = await run(r, 1, 'reference', 20);
    const mom = await run(plain, 1, 'wasm', 20);
    expect(two.params).toEqual(one.params);
    expect(mom.params).not.toEqual(one.params);
    let worst = 0;
    for (let k = 0; k < ref.params.length; k++) worst = Math.max(worst, Math.abs(one.params[k] - ref.params[k]));
    expect(worst).toBeLessThan(1e-3);
  }, 60_000);
});
