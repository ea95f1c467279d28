// The trainer of §4: epochs of shuffled online, mini-batch or full-batch gradient descent (§4.1) with
// a rate schedule, per-layer rates, momentum, weight decay, and LeCun's stochastic diagonal
// Levenberg-Marquardt (§4.2), on either backend. It owns no files: the caller checkpoints from
// `onEpoch` (the CLI writes model files) and resumes by passing the saved state back.
// Specification: docs/SPEC.md §4.1 and §4.2.
//
// Determinism: everything random (the order of each epoch, SDLM's sample) is drawn from one Rng whose
// state is saved at every epoch end, and the wasm engine gives the same bits at any thread count. So a
// run resumed from an epoch-end checkpoint ends with exactly the weights of an uninterrupted run.

import { Augmenter, fillDistortedBatch } from '../data/augment.js';
import { checkDataset, checkLabels, checkNormalisation, fillBatch, LECUN, UNIT, type Dataset, type Normalisation } from '../data/dataset.js';
import { checkTrainable, distortsItself, type TrainableNetwork } from '../backend.js';
import { Network } from '../network.js';
import { Rng } from '../rng.js';
import { evaluate, range } from './evaluate.js';
import { checkRecipe, RecipeError, scheduledRate, type Recipe } from './recipe.js';
import * as check from '../validate.js';

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  rate: number;
  /** Mean training loss over the epoch's updates (penalties included), as training saw it. */
  trainLoss: number;
  trainError: number | null;
  testError: number | null;
  testLoss: number | null;
  /** Wall time of the epoch's updates (curvature estimate included, evaluation excluded). */
  seconds: number;
  imagesPerSecond: number;
}

/** Everything needed to continue a run exactly; JSON-able. */
export interface TrainingState {
  seed: number;
  /** Epochs completed. */
  epoch: number;
  /** The trainer's Rng state at the start of the next epoch. */
  rng: [number, number, number, number];
  history: EpochLog[];
}

export interface Progress {
  phase: 'curvature' | 'train' | 'evaluate';
  /** 1-based epoch being run, of `epochs`. */
  epoch: number;
  epochs: number;
  /** Patterns done of `total` in this phase. */
  done: number;
  total: number;
  /** Running mean of the training loss this epoch. */
  loss: number;
  imagesPerSecond: number;
}

export interface TrainerOptions {
  net: TrainableNetwork;
  recipe: Recipe;
  train: Dataset;
  test?: Dataset | null;
  seed: number;
  /** A saved state to continue from (the net must hold the saved parameters and velocities). */
  state?: TrainingState;
  /** Training patterns whose error is reported after each epoch (default: all; 0: none). */
  evalTrain?: number;
  /** Patterns per forward pass when evaluating (≤ the net's capacity). */
  evalBatch?: number;
  onProgress?(p: Progress): void;
  /** Called at each epoch end with the state to save (checkpoint here). */
  onEpoch?(log: EpochLog, state: TrainingState): void | Promise<void>;
  /** Set `stop` to true to end after the current step; the state of the last epoch end stays valid. */
  signal?: { stop: boolean };
}

/** The loss went NaN or infinite: which epoch and step, and the loss. */
export class DivergenceError extends Error {
  constructor(readonly epoch: number, readonly step: number, readonly loss: number, what?: string) {
    super(`training diverged in epoch ${epoch}, update ${step}: ${what ?? `the loss is ${loss}`} (lower the rate, or check the input for NaN/Inf)`);
    this.name = 'DivergenceError';
  }
}

export function normalisation(recipe: Recipe): Normalisation {
  check.object(recipe, 'recipe', 'a recipe');
  if (recipe.normalise !== 'unit' && recipe.normalise !== 'lecun') throw new RecipeError('normalise', `expected "unit" or "lecun", got ${check.show(recipe.normalise)}`);
  return recipe.normalise === 'lecun' ? LECUN : UNIT;
}

/** The state of a fresh run. */
export function initialState(seed: number): TrainingState {
  check.integer(seed, 'seed', 0, 0xffffffff);
  return { seed, epoch: 0, rng: new Rng(seed).getState(), history: [] };
}

const PROGRESS_EVERY_MS = 100;

/** Checks train()'s options once, before anything runs: ArgumentError or RecipeError naming the field. */
function checkOptions(o: TrainerOptions): { recipe: Recipe; batch: number; evalBatch: number } {
  check.object(o, 'options', 'an object {net, recipe, train, seed, …}');
  const net = checkTrainable(o.net, 'options.net');
  const recipe = checkRecipe(o.recipe);
  const data = checkDataset(o.train, 'options.train');
  if (data.count === 0) check.fail('options.train.count', 'at least one training pattern', 0);
  const [maps, height, width] = net.description.input;
  for (const [d, path] of [[data, 'options.train'], [o.test, 'options.test']] as const) {
    if (d === undefined || d === null) continue;
    checkDataset(d, path);
    if (maps !== 1 || d.rows > height || d.cols > width) {
      check.fail(`${path}.rows`, `images that fit the network's ${maps}×${height}×${width} input (one map, at most ${height}×${width})`, `${d.rows}×${d.cols}`);
    }
    checkLabels(d, path, net.classes);
  }
  if (o.state === undefined || o.state === null) check.integer(o.seed, 'options.seed', 0, 0xffffffff);
  else {
    const s = check.object(o.state, 'options.state', 'a TrainingState {seed, epoch, rng, history} (an onEpoch state)');
    check.integer(s.seed, 'options.state.seed', 0, 0xffffffff);
    check.integer(s.epoch, 'options.state.epoch', 0);
    if (!Array.isArray(s.rng) || s.rng.length !== 4 || !s.rng.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) check.fail('options.state.rng', 'four uint32 words', s.rng);
    if (!Array.isArray(s.history)) check.fail('options.state.history', 'an array of epoch logs', s.history);
  }
  if (o.evalTrain !== undefined && o.evalTrain !== null) check.integer(o.evalTrain, 'options.evalTrain', 0);
  if (o.evalBatch !== undefined && o.evalBatch !== null) check.batchSize(o.evalBatch, 'options.evalBatch');
  for (const f of ['onProgress', 'onEpoch'] as const) if (o[f] !== undefined && o[f] !== null && typeof o[f] !== 'function') check.fail(`options.${f}`, 'a function', o[f]);
  if (o.signal !== undefined && o.signal !== null && !check.isObject(o.signal)) check.fail('options.signal', 'an object {stop: boolean}', o.signal);
  const capacity = net.maxBatch;
  const t = recipe.training;
  const batch = t.batch === 0 ? Math.min(data.count, capacity === Infinity ? 1000 : capacity) : t.batch;
  if (batch > capacity) throw new RecipeError('training.batch', `expected at most ${capacity} (the batch the network was laid out for: createNetwork's batch option), got ${batch}`);
  return { recipe, batch, evalBatch: Math.min(o.evalBatch ?? 250, capacity) };
}

export async function train(o: TrainerOptions): Promise<TrainingState> {
  const { recipe, batch, evalBatch } = checkOptions(o);
  const { net, train: data } = o;
  const t = recipe.training;
  const norm = normalisation(recipe);
  const [, height, width] = net.description.input;
  const state: TrainingState = o.state ? structuredClone(o.state) : initialState(o.seed);
  const rng = new Rng(state.seed);

  // §4.2 per-layer rate multipliers, the base of every weight's rate
  const layerRate = new Float64Array(net.params.length).fill(1);
  for (const v of net.views) {
    const m = t.layerRates[v.layer];
    if (m !== undefined) layerRate.fill(m, v.offset, v.offset + v.length);
  }
  if (!t.sdlm) net.rates.set(layerRate);
  const curvatureNet = t.sdlm ? new Network(net.description) : null;

  const order = range(data.count);
  const labels = new Uint8Array(batch);
  const scratch = net.params instanceof Float64Array ? new Float64Array(batch * net.inputSize) : new Float32Array(batch * net.inputSize);
  const inputView = (net as { inputView?: (b: number) => Float32Array }).inputView?.bind(net);
  const accumulated = t.batch === 0 ? new Float64Array(net.params.length) : null;
  // distortions: their own stream, seeded from the trainer's at each epoch start (so resumable)
  const augmenter = recipe.augment ? new Augmenter(data.rows, data.cols, recipe.augment) : null;
  const augmentRng = new Rng(1);
  const distorted = new Float64Array(data.rows * data.cols);
  // the wasm engine's threads distort their own chunks from draws made here (the same stream as the
  // float64 path's, so the two give the same distortions up to float32 rounding)
  const distorting = augmenter && distortsItself(net) ? net : null;
  const draws = new Float64Array(distorting ? batch * Augmenter.DRAW : 0);

  while (state.epoch < t.epochs) {
    rng.setState(state.rng);
    const epoch = state.epoch + 1;
    const rate = scheduledRate(t.schedule, state.epoch);
    const started = performance.now();
    if (t.shuffle) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
    }
    if (augmenter) augmentRng.setState(new Rng(rng.nextUint32()).getState());
    if (t.sdlm && curvatureNet) {
      o.onProgress?.({ phase: 'curvature', epoch, epochs: t.epochs, done: 0, total: t.sdlm.samples, loss: 0, imagesPerSecond: 0 });
      const h = estimateCurvature(curvatureNet, net.params, data, rng, t.sdlm.samples, norm, height, width);
      // §4.2 each weight's rate ε/(μ + h_kk) (ε is the scheduled rate, applied by update())
      for (let k = 0; k < h.length; k++) net.rates[k] = layerRate[k] / (t.sdlm.mu + h[k]);
    }

    let lossSum = 0;
    let updates = 0;
    let lastReport = performance.now();
    const patterns = t.batch === 0 ? data.count : Math.floor(data.count / batch) * batch;
    for (let start = 0; start < patterns; start += batch) {
      const b = Math.min(batch, patterns - start);
      const input = inputView ? inputView(b) : scratch;
      let loss: number;
      if (distorting && augmenter) {
        for (let k = 0; k < b; k++) {
          labels[k] = data.labels[order[start + k]];
          augmenter.draw(augmentRng, draws, k * Augmenter.DRAW);
        }
        distorting.stageDistortedBatch(data, order, start, b, norm, draws, augmenter);
        loss = distorting.computeGradients(null, labels.subarray(0, b), b);
      } else {
        if (augmenter) fillDistortedBatch(data, order, start, b, height, width, norm, input, labels, augmenter, augmentRng, distorted);
        else fillBatch(data, order, start, b, height, width, norm, input, labels);
        loss = net.computeGradients(input, labels.subarray(0, b), b);
      }
      if (!Number.isFinite(loss)) throw new DivergenceError(epoch, updates + 1, loss);
      if (accumulated) {
        // full batch: the mean gradient over the whole set, gathered a capacity-sized chunk at a time
        const g = net.grads;
        for (let k = 0; k < g.length; k++) accumulated[k] += g[k] * b;
        lossSum += loss * b;
        if (start + b < patterns) continue;
        for (let k = 0; k < g.length; k++) g[k] = accumulated[k] / patterns;
        accumulated.fill(0);
        lossSum /= patterns;
      } else {
        lossSum += loss;
      }
      net.update(rate, t.momentum, t.weightDecay);
      updates++;
      if (o.onProgress) {
        const now = performance.now();
        if (now - lastReport >= PROGRESS_EVERY_MS || start + b >= patterns) {
          lastReport = now;
          const done = start + b;
          o.onProgress({ phase: 'train', epoch, epochs: t.epochs, done, total: patterns, loss: accumulated ? lossSum : lossSum / updates, imagesPerSecond: done / ((now - started) / 1000) });
        }
      }
      if (o.signal?.stop) return state;
    }
    const seconds = (performance.now() - started) / 1000;
    // the last update may have left non-finite weights with no later loss to show it: never checkpoint them
    for (let k = 0; k < net.params.length; k++) {
      if (Number.isFinite(net.params[k])) continue;
      const v = net.views.find((w) => k >= w.offset && k < w.offset + w.length);
      throw new DivergenceError(epoch, updates, lossSum, `parameter ${v ? `${v.name}[${k - v.offset}]` : k} is ${net.params[k]} after the update`);
    }

    o.onProgress?.({ phase: 'evaluate', epoch, epochs: t.epochs, done: 0, total: 0, loss: lossSum / Math.max(1, updates), imagesPerSecond: patterns / seconds });
    const evalTrain = Math.min(o.evalTrain ?? data.count, data.count);
    const trainEval = evalTrain > 0 ? evaluate(net, data, range(evalTrain), norm, evalBatch) : null;
    const testEval = o.test ? evaluate(net, o.test, range(o.test.count), norm, evalBatch) : null;
    const log: EpochLog = {
      epoch, rate, trainLoss: accumulated ? lossSum : lossSum / Math.max(1, updates),
      trainError: trainEval ? trainEval.error : null, testError: testEval ? testEval.error : null, testLoss: testEval ? testEval.loss : null,
      seconds, imagesPerSecond: patterns / seconds,
    };
    state.epoch = epoch;
    state.rng = rng.getState();
    state.history.push(log);
    await o.onEpoch?.(log, structuredClone(state));
  }
  return state;
}

/**
 * §4.2 LeCun's running estimate of the Gauss-Newton diagonal h_kk, averaged over `samples` patterns
 * drawn at random, computed in float64 by the reference network from the current parameters.
 */
export function estimateCurvature(
  ref: Network, params: ArrayLike<number>, data: Dataset, rng: Rng, samples: number, norm: Normalisation, height: number, width: number,
): Float64Array {
  if (!check.isObject(ref) || typeof ref.computeCurvature !== 'function' || !(ref.params instanceof Float64Array)) check.fail('ref', 'a float64 Network (the curvature is computed in float64)', ref);
  check.numbers(params, 'params', 0, `${ref.params.length} parameter values`);
  if (params.length !== ref.params.length) check.fail('params', `${ref.params.length} parameter values`, params);
  checkDataset(data, 'data');
  if (!check.isObject(rng) || typeof rng.int !== 'function') check.fail('rng', 'an Rng', rng);
  check.integer(samples, 'samples', 1);
  checkNormalisation(norm, 'norm');
  ref.params.set(params);
  const chunk = 50;
  const picks = new Uint32Array(samples);
  for (let i = 0; i < samples; i++) picks[i] = rng.int(data.count);
  const x = new Float64Array(chunk * ref.inputSize);
  const labels = new Uint8Array(chunk);
  const h = new Float64Array(ref.params.length);
  for (let start = 0; start < samples; start += chunk) {
    const b = Math.min(chunk, samples - start);
    fillBatch(data, picks, start, b, height, width, norm, x, labels);
    const part = ref.computeCurvature(x, labels.subarray(0, b), b);
    for (let k = 0; k < h.length; k++) h[k] += part[k] * b;
  }
  for (let k = 0; k < h.length; k++) h[k] /= samples;
  return h;
}
