// The trainer of §4: epochs of shuffled online, mini-batch or full-batch gradient descent (§4.1) with
// a rate schedule, per-layer rates, momentum, weight decay, and LeCun's stochastic diagonal
// Levenberg-Marquardt (§4.2), on either backend. The one training loop: `Trainer` steps it a batch at
// a time (the playground's worker in time slices, demo and the bench step by step) and `train()` runs
// it to the end (the CLI). It owns no files: the caller checkpoints from `onEpoch` or `state()` (the
// CLI writes model files) and resumes by passing the saved state back.
// Specification: docs/SPEC.md §4.1 and §4.2.
//
// Determinism: everything random (the order of each epoch, SDLM's sample) is drawn from one Rng whose
// state is saved at every epoch end, and the wasm engine gives the same bits at any thread count. So a
// run resumed from an epoch-end checkpoint ends with exactly the weights of an uninterrupted run.

import { Augmenter, fillDistortedBatch, smoothingRadius } from '../data/augment.js';
import { standardisation } from '../data/statistics.js';
import { channelsOf, checkDataset, checkLabels, checkNormalisation, fillBatch, LECUN, UNIT, type Dataset, type Normalisation } from '../data/dataset.js';
import { checkTrainable, createNetwork, distortsItself, stagesItself, type BackendName, type DistortingNetwork, type StagingNetwork, type TrainableNetwork } from '../network/backend.js';
import { Network } from '../network/network.js';
import { STATISTIC_KINDS, unitRatesOf } from '../layers/layer.js';
import { Rng } from '../util/rng.js';
import { evaluate, range } from './evaluate.js';
import { checkRecipe, perUpdateRate, rateFactor, RecipeError, scheduledRate, type Recipe } from '../recipes/recipe.js';
import { clipGradients, type AdamSettings } from './update.js';
import * as check from '../util/validate.js';

export interface EpochLog {
  /** 1-based. */
  epoch: number;
  rate: number;
  /** Mean training loss over the epoch's updates (penalties included), as training saw it. */
  trainLoss: number;
  trainError: number | null;
  testError: number | null;
  testLoss: number | null;
  /** Error and loss on the validation set, when the trainer has one (`val`). */
  valError?: number;
  valLoss?: number;
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
  /** Updates made since the run began, over all epochs (Adam's step count t, and where a warm-up or anneal stands; written when the recipe has either). */
  updates?: number;
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
  /** Patterns held out of training, evaluated at each epoch end (valError): what may choose an epoch. */
  val?: Dataset | null;
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

/**
 * How a recipe's images become input values: the one rule training, eval, predict and the playground
 * apply. `standard` needs the training set's statistics in the recipe (withStatistics measures them).
 */
export function normalisation(recipe: Recipe): Normalisation {
  check.object(recipe, 'recipe', 'a recipe');
  if (recipe.normalise === 'standard') {
    const maps = recipe.network.input[0];
    if (!recipe.statistics || recipe.statistics.mean.length !== maps) {
      throw new RecipeError('data.statistics', `expected the training set's mean and deviation of each of the ${maps} input channel(s) with normalise "standard" (withStatistics measures them), got ${check.show(recipe.statistics)}`);
    }
    return standardisation(recipe.statistics);
  }
  if (recipe.normalise !== 'unit' && recipe.normalise !== 'lecun') throw new RecipeError('normalise', `expected "unit", "lecun" or "standard", got ${check.show(recipe.normalise)}`);
  return recipe.normalise === 'lecun' ? LECUN : UNIT;
}

/** The state of a fresh run. */
export function initialState(seed: number): TrainingState {
  check.integer(seed, 'seed', 0, 0xffffffff);
  return { seed, epoch: 0, rng: new Rng(seed).getState(), history: [] };
}

const PROGRESS_EVERY_MS = 100;

/**
 * The one batch-capacity rule: the batch a network made to train `recipe` is laid out for (the wasm
 * engine sizes its memory by it). The recipe's batch, and at least 250 (evaluation's chunk); full batch
 * gathers the whole-set gradient 500 patterns at a time.
 */
export function trainingCapacity(recipe: Recipe): number {
  const b = checkRecipe(recipe).training.batch;
  return Math.max(b === 0 ? 500 : b, 250);
}

/**
 * The network that trains `recipe` on images of rows×cols: the recipe's network with its initial
 * parameters, laid out for trainingCapacity(recipe), with room for the wasm engine's threads to
 * distort the patterns themselves when the recipe distorts them. The CLI and the playground both train this.
 * Grey images only: the threads' staging and distortion read one channel, so colour images (channels
 * > 1) are made into input on the host (fillBatch, fillDistortedBatch).
 */
export function createTrainingNetwork(
  recipe: Recipe, images: { rows: number; cols: number; channels?: number }, options: { backend?: BackendName; threads?: number } = {},
): Promise<TrainableNetwork> {
  const r = checkRecipe(recipe);
  check.object(images, 'images', 'an object {rows, cols, channels?} (the training images\' size)');
  check.integer(images.rows, 'images.rows', 1);
  check.integer(images.cols, 'images.cols', 1);
  const grey = images.channels === undefined || check.integer(images.channels, 'images.channels', 1) === 1;
  const distort = r.augment && grey ? { rows: images.rows, cols: images.cols, radius: smoothingRadius(r.augment) } : undefined;
  // otherwise the engine's threads make each chunk's input from the batch's bytes themselves, every channel
  const stage = r.augment ? undefined : { rows: images.rows, cols: images.cols, channels: images.channels ?? 1 };
  return createNetwork(r.network, { backend: options.backend, batch: trainingCapacity(r), threads: options.threads, seed: r.network.seed, distort, stage });
}

/** Checks the trainer's options once, before anything runs: ArgumentError or RecipeError naming the field. */
function checkOptions(o: TrainerOptions): { recipe: Recipe; batch: number; evalBatch: number } {
  check.object(o, 'options', 'an object {net, recipe, train, seed, …}');
  const net = checkTrainable(o.net, 'options.net');
  const recipe = checkRecipe(o.recipe);
  const data = checkDataset(o.train, 'options.train');
  if (data.count === 0) check.fail('options.train.count', 'at least one training pattern', 0);
  const [maps, height, width] = net.description.input;
  for (const [d, path] of [[data, 'options.train'], [o.test, 'options.test'], [o.val, 'options.val']] as const) {
    if (d === undefined || d === null) continue;
    checkDataset(d, path);
    const channels = channelsOf(d);
    if (maps !== channels || d.rows > height || d.cols > width) {
      check.fail(`${path}.rows`, `images that fit the network's ${maps}×${height}×${width} input (${maps} channel(s), at most ${height}×${width})`, `${channels}×${d.rows}×${d.cols}`);
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
    if (s.updates !== undefined) check.integer(s.updates, 'options.state.updates', 0);
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

/**
 * The one training loop, a batch at a time: every client (`train()`, the CLI, the playground's worker,
 * `demo`, the bench) steps it. It owns where training stands — the epoch, the position in the epoch's
 * shuffled order, the Rng, the rates (per layer, SDLM's at each epoch start), the full-batch sums, the
 * divergence checks and the evaluation at each epoch end — and hands out the TrainingState of the last
 * epoch end (what a checkpoint saves and `state` resumes). The momentum velocities live in the net.
 */
export class Trainer {
  readonly net: TrainableNetwork;
  readonly recipe: Recipe;
  /** Patterns per computeGradients: the recipe's batch, or (full batch) the chunk the whole-set gradient is gathered in. */
  readonly batch: number;
  /** Patterns an epoch visits: whole batches of the shuffled set (full batch: all of it). */
  readonly patterns: number;
  private readonly o: TrainerOptions;
  private readonly evalBatch: number;
  private readonly norm: Normalisation;
  private readonly height: number;
  private readonly width: number;
  private readonly saved: TrainingState;
  private readonly rng: Rng;
  private readonly layerRate: Float64Array;
  /** Whether the network has dropout, whose masks follow the update count (so checkpoints keep it). */
  private readonly dropout: boolean;
  private readonly curvatureNet: Network | null;
  private readonly order: Uint32Array;
  private readonly labels: Uint8Array;
  private readonly accumulated: Float64Array | null;
  private readonly augmenter: Augmenter | null;
  private readonly augmentRng = new Rng(1);
  private readonly distorted: Float64Array;
  private readonly distorting: DistortingNetwork | null;
  /** The network itself makes its batches' input from their bytes (stageBatch), or null. */
  private readonly staging: StagingNetwork | null;
  private readonly draws: Float64Array;
  /** Where the current epoch stands (`started` false: it begins at the next step). */
  private started = false;
  private cursor = 0;
  private rate = 0;
  private lossSum = 0;
  private epochUpdates = 0;
  private epochMs = 0;
  private lastReport = 0;
  private stopping = false;
  private readonly made = { updates: 0, images: 0, lastLoss: NaN };
  /** Updates since the run began (a resumed state's included): Adam's t is this after the update. */
  private totalUpdates: number;
  /** Adam's settings (null: SGD). */
  private readonly adam: AdamSettings | null;
  /** The rate changes within epochs (warm-up, anneal): updates an epoch makes, else 0. */
  private readonly perEpoch: number;
  /** The epoch's scheduled rate (the factor of rateFactor multiplies it per update). */
  private stageRate = 0;

  constructor(o: TrainerOptions) {
    const { recipe, batch, evalBatch } = checkOptions(o);
    this.o = o;
    this.net = o.net;
    this.recipe = recipe;
    this.batch = batch;
    this.evalBatch = evalBatch;
    const { net, train: data } = o;
    const t = recipe.training;
    this.patterns = t.batch === 0 ? data.count : Math.floor(data.count / batch) * batch;
    if (this.patterns === 0) throw new RecipeError('training.batch', `expected at most ${data.count} (the training set's patterns), got ${batch}`);
    this.norm = normalisation(recipe);
    [, this.height, this.width] = net.description.input;
    this.saved = o.state ? structuredClone(o.state) : initialState(o.seed);
    this.rng = new Rng(this.saved.seed);
    this.totalUpdates = this.saved.updates ?? 0;
    const opt = t.optimizer;
    this.dropout = net.description.layers.some((l) => l.type === 'dropout');
    this.perEpoch = perUpdateRate(t) ? (t.batch === 0 ? 1 : this.patterns / batch) : 0;
    this.adam = opt && opt.type !== 'sgd' ? { beta1: opt.beta1, beta2: opt.beta2, epsilon: opt.epsilon, decoupled: opt.type === 'adamw' } : null;

    // §4.2 per-layer rate multipliers, the base of every weight's rate
    this.layerRate = unitRatesOf(net.views, new Float64Array(net.params.length)) as Float64Array;
    for (const v of net.views) {
      const m = t.layerRates[v.layer];
      if (m !== undefined && !STATISTIC_KINDS.includes(v.kind)) this.layerRate.fill(m, v.offset, v.offset + v.length);
    }
    if (!t.sdlm) net.rates.set(this.layerRate);
    this.curvatureNet = t.sdlm ? new Network(net.description) : null;

    this.order = range(data.count);
    this.labels = new Uint8Array(batch);
    this.accumulated = t.batch === 0 ? new Float64Array(net.params.length) : null;
    // distortions: their own stream, seeded from the trainer's at each epoch start (so resumable)
    this.augmenter = recipe.augment ? new Augmenter(data.rows, data.cols, recipe.augment) : null;
    const grey = channelsOf(data) === 1;
    this.distorted = new Float64Array(channelsOf(data) * data.rows * data.cols);
    // the wasm engine's threads distort their own chunks from draws made here (the same stream as the
    // float64 path's, so the two give the same distortions up to float32 rounding); grey images only
    this.distorting = this.augmenter && grey && distortsItself(net) ? net : null;
    this.staging = !this.augmenter && stagesItself(net, data.rows, data.cols, channelsOf(data)) ? net : null;
    this.draws = new Float64Array(this.distorting ? batch * Augmenter.DRAW : 0);
  }

  /** Updates made by this trainer (not counting a resumed state's). */
  get updates(): number {
    return this.made.updates;
  }

  /** Patterns this trainer has trained on. */
  get images(): number {
    return this.made.images;
  }

  /** The loss of the last batch, before its update (NaN before the first). */
  get lastLoss(): number {
    return this.made.lastLoss;
  }

  /** Epochs completed. */
  get epoch(): number {
    return this.saved.epoch;
  }

  /** Whether the recipe's epochs are all done. */
  get done(): boolean {
    return this.saved.epoch >= this.recipe.training.epochs;
  }

  /** Patterns done in the current epoch (0 at an epoch end). */
  get position(): number {
    return this.cursor;
  }

  /** Mean training loss of the current epoch's updates so far (NaN before the first). */
  get loss(): number {
    return this.accumulated ? (this.epochUpdates ? this.lossSum : NaN) : this.lossSum / this.epochUpdates;
  }

  /** The state of the last epoch end (a copy): what a checkpoint saves and `state` resumes exactly. */
  state(): TrainingState {
    return structuredClone(this.saved);
  }

  /** Ends the current runFor after the step it is in (callable from onProgress); stepping may go on later. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * One batch of §4.1 and its update (full batch: one chunk of the whole-set gradient, the update after
   * the last). Begins an epoch when none is under way; returns the epoch's log when this batch ended one.
   */
  step(): EpochLog | null {
    if (this.done) throw new RecipeError('training.epochs', `expected more than ${this.saved.epoch} (the recipe's epochs are done)`);
    const begun = performance.now();
    if (!this.started) this.beginEpoch();
    const { net, o } = this;
    const data = o.train;
    const t = this.recipe.training;
    const { order, labels, augmenter, accumulated, patterns } = this;
    const start = this.cursor;
    const b = Math.min(this.batch, patterns - start);
    // dropout's masks are those of this update (full batch: one mask set for the whole set's chunks)
    net.step = this.totalUpdates;
    let loss: number;
    if (this.distorting && augmenter) {
      for (let k = 0; k < b; k++) {
        labels[k] = data.labels[order[start + k]];
        augmenter.draw(this.augmentRng, this.draws, k * Augmenter.DRAW);
      }
      this.distorting.stageDistortedBatch(data, order, start, b, this.norm, this.draws, augmenter);
      loss = this.distorting.computeGradients(null, labels.subarray(0, b), b);
    } else if (this.staging) {
      for (let k = 0; k < b; k++) labels[k] = data.labels[order[start + k]];
      this.staging.stageBatch(data, order, start, b, this.norm);
      loss = this.staging.computeGradients(null, labels.subarray(0, b), b);
    } else {
      const input = net.inputView(b);
      if (augmenter) fillDistortedBatch(data, order, start, b, this.height, this.width, this.norm, input, labels, augmenter, this.augmentRng, this.distorted);
      else fillBatch(data, order, start, b, this.height, this.width, this.norm, input, labels);
      loss = net.computeGradients(input, labels.subarray(0, b), b);
    }
    const epoch = this.saved.epoch + 1;
    this.made.lastLoss = loss;
    if (!Number.isFinite(loss)) throw new DivergenceError(epoch, this.epochUpdates + 1, loss);
    this.cursor += b;
    this.made.images += b;
    let updated = true;
    if (accumulated) {
      // full batch: the mean gradient over the whole set, gathered a capacity-sized chunk at a time
      const g = net.grads;
      for (let k = 0; k < g.length; k++) accumulated[k] += g[k] * b;
      this.lossSum += loss * b;
      if (this.cursor < patterns) updated = false;
      else {
        for (let k = 0; k < g.length; k++) g[k] = accumulated[k] / patterns;
        accumulated.fill(0);
        this.lossSum /= patterns;
      }
    } else {
      this.lossSum += loss;
    }
    if (updated) {
      // gradient-norm clipping: after the reduction (and full batch's mean), before the update
      if (t.clip !== undefined) clipGradients(net.grads, t.clip);
      if (this.perEpoch) this.rate = this.stageRate * rateFactor(t, this.totalUpdates, this.perEpoch, t.epochs * this.perEpoch);
      this.totalUpdates++;
      if (this.adam) net.adamUpdate(this.totalUpdates, this.rate, t.weightDecay, this.adam);
      else net.update(this.rate, t.momentum, t.weightDecay, t.optimizer?.type === 'sgd' && t.optimizer.nesterov);
      this.epochUpdates++;
      this.made.updates++;
    }
    const now = performance.now();
    this.epochMs += now - begun;
    const ended = this.cursor >= patterns;
    if (updated && o.onProgress && (now - this.lastReport >= PROGRESS_EVERY_MS || ended)) {
      this.lastReport = now;
      o.onProgress({ phase: 'train', epoch, epochs: t.epochs, done: this.cursor, total: patterns, loss: this.loss, imagesPerSecond: this.cursor / (this.epochMs / 1000) });
    }
    return ended ? this.endEpoch() : null;
  }

  /** Steps for about `ms` milliseconds (at least one step), until done, or until stop(); returns the logs of the epochs ended. */
  runFor(ms: number): EpochLog[] {
    check.finite(ms, 'ms', 0, Infinity, 'a non-negative number of milliseconds');
    const logs: EpochLog[] = [];
    const until = performance.now() + ms;
    this.stopping = false;
    while (!this.done) {
      const log = this.step();
      if (log) logs.push(log);
      if (this.stopping || performance.now() >= until) break;
    }
    this.stopping = false;
    return logs;
  }

  /**
   * Throws DivergenceError naming the first parameter that is NaN or infinite (the last update may have
   * left such weights with no later loss to show it): never save them.
   */
  checkWeights(): void {
    const { net } = this;
    for (let k = 0; k < net.params.length; k++) {
      if (Number.isFinite(net.params[k])) continue;
      const v = net.views.find((w) => k >= w.offset && k < w.offset + w.length);
      const epoch = this.saved.epoch + (this.started ? 1 : 0);
      throw new DivergenceError(epoch, this.epochUpdates, this.lossSum, `parameter ${v ? `${v.name}[${k - v.offset}]` : k} is ${net.params[k]} after the update`);
    }
  }

  /** An epoch's start: its order, its distortions' stream and (SDLM) its rates, all from the saved Rng state. */
  private beginEpoch(): void {
    const { net, rng, o, order } = this;
    const t = this.recipe.training;
    rng.setState(this.saved.rng);
    const epoch = this.saved.epoch + 1;
    this.stageRate = scheduledRate(t.schedule, this.saved.epoch);
    this.rate = this.perEpoch ? this.stageRate * rateFactor(t, this.totalUpdates, this.perEpoch, t.epochs * this.perEpoch) : this.stageRate;
    this.cursor = 0;
    this.lossSum = 0;
    this.epochUpdates = 0;
    this.epochMs = 0;
    this.lastReport = performance.now();
    if (t.shuffle) {
      for (let i = 0; i < order.length; i++) order[i] = i;
      rng.shuffle(order);
    }
    if (this.augmenter) this.augmentRng.setState(new Rng(rng.nextUint32()).getState());
    if (t.sdlm && this.curvatureNet) {
      o.onProgress?.({ phase: 'curvature', epoch, epochs: t.epochs, done: 0, total: t.sdlm.samples, loss: 0, imagesPerSecond: 0 });
      const h = estimateCurvature(this.curvatureNet, net.params, o.train, rng, t.sdlm.samples, this.norm, this.height, this.width);
      // §4.2 each weight's rate ε/(μ + h_kk) (ε is the scheduled rate, applied by update())
      for (let k = 0; k < h.length; k++) net.rates[k] = this.layerRate[k] / (t.sdlm.mu + h[k]);
    }
    this.started = true;
  }

  /** An epoch's end: the weights checked, the evaluation, the state to save. */
  private endEpoch(): EpochLog {
    const { net, o, patterns } = this;
    const data = o.train;
    const epoch = this.saved.epoch + 1;
    const seconds = this.epochMs / 1000;
    this.checkWeights();
    const trainLoss = this.accumulated ? this.lossSum : this.lossSum / Math.max(1, this.epochUpdates);
    o.onProgress?.({ phase: 'evaluate', epoch, epochs: this.recipe.training.epochs, done: 0, total: 0, loss: trainLoss, imagesPerSecond: patterns / seconds });
    const evalTrain = Math.min(o.evalTrain ?? data.count, data.count);
    const trainEval = evalTrain > 0 ? evaluate(net, data, range(evalTrain), this.norm, this.evalBatch) : null;
    const testEval = o.test ? evaluate(net, o.test, range(o.test.count), this.norm, this.evalBatch) : null;
    const valEval = o.val ? evaluate(net, o.val, range(o.val.count), this.norm, this.evalBatch) : null;
    const log: EpochLog = {
      epoch, rate: this.rate, trainLoss,
      trainError: trainEval ? trainEval.error : null, testError: testEval ? testEval.error : null, testLoss: testEval ? testEval.loss : null,
      ...(valEval ? { valError: valEval.error, valLoss: valEval.loss } : {}),
      seconds, imagesPerSecond: patterns / seconds,
    };
    this.saved.epoch = epoch;
    this.saved.rng = this.rng.getState();
    this.saved.history.push(log);
    if (this.adam || this.perEpoch || this.dropout || this.saved.updates !== undefined) this.saved.updates = this.totalUpdates;
    this.started = false;
    this.cursor = 0;
    return log;
  }
}

/** Trains to the recipe's last epoch (or until `signal.stop`), calling onEpoch at each epoch end; returns the state of the last one. */
export async function train(o: TrainerOptions): Promise<TrainingState> {
  const trainer = new Trainer(o);
  while (!trainer.done) {
    const log = trainer.step();
    if (log) await o.onEpoch?.(log, trainer.state());
    if (o.signal?.stop) break;
  }
  return trainer.state();
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
