// A recipe: a network description and how to train it (§4): batch size (online, mini-batch or full
// batch, §4.1), a rate schedule, per-layer rates and LeCun's stochastic diagonal Levenberg-Marquardt
// (§4.2), momentum, weight decay, and the input normalisation. Recipes are JSON; the built-in ones are
// the files in src/recipes/, usable by name and as templates (`convnotes recipe NAME`).
// Specification: docs/SPEC.md §4.
//
// Validation mirrors the description's: a RecipeError names the field by its path
// (`training.rate[2].epochs`) and says what was expected.

import type { AugmentSpec } from '../data/augment.js';
import type { ChannelStatistics } from '../data/statistics.js';
import { DescriptionError, isResolvedDescription, resolveDescription, type NetworkDescription, type ResolvedDescription } from '../network/description.js';
import { builtinNetworks } from './builtin.js';
import { firstUnitNorm } from '../layers/batchnorm.js';
import bouvrie from './bouvrie.json' with { type: 'json' };
import dlt from './dlt.json' with { type: 'json' };
import learned from './learned.json' with { type: 'json' };
import lenet5Distort from './lenet5-distort.json' with { type: 'json' };
import simard from './simard.json' with { type: 'json' };
import simardWide from './simard-wide.json' with { type: 'json' };
import simard2003 from './simard-2003.json' with { type: 'json' };
import lenetBn from './lenet-bn.json' with { type: 'json' };
import speedrun99 from './speedrun-99.json' with { type: 'json' };
import speedrun995 from './speedrun-995.json' with { type: 'json' };
import lenet5 from './lenet5.json' with { type: 'json' };
import * as check from '../util/validate.js';

export const builtinRecipes: Record<string, unknown> = { dlt, bouvrie, lenet5, learned, 'lenet5-distort': lenet5Distort, simard, 'simard-wide': simardWide, 'simard-2003': simard2003, 'lenet-bn': lenetBn, 'speedrun-99': speedrun99, 'speedrun-995': speedrun995 };

export type NormalisationName = 'unit' | 'lecun' | 'standard';

/** One stage of a rate schedule: `rate` for `epochs` epochs (the last stage: for the rest). */
export interface RateStage {
  epochs: number;
  rate: number;
}

export interface SdlmSpec {
  /** μ of ε/(μ + h_kk): keeps the rate bounded where the curvature is tiny. */
  mu: number;
  /** Patterns h_kk is estimated on before each epoch (LeCun et al. used 500). */
  samples: number;
}

/**
 * The update rule: SGD (the notes' §4.1–4.2, with the recipe's momentum) or Adam / AdamW (decoupled weight
 * decay), with Adam's β1, β2 and ε.
 */
export type OptimizerSpec = { type: 'sgd'; nesterov: boolean } | { type: 'adam' | 'adamw'; beta1: number; beta2: number; epsilon: number };

const OPTIMIZER_WHAT = '"sgd", "adam", "adamw", {type: "sgd", nesterov?} or {type: "adam" | "adamw", beta1?, beta2?, epsilon?}';

/** Checks and completes a recipe's `optimizer` field (a name or {type, beta1?, beta2?, epsilon?}) at `path` (defaults false: a resolved one, every field present). */
function resolveOptimizer(o: unknown, path: string, defaults = true): OptimizerSpec {
  const spec: Obj = typeof o === 'string' ? { type: o } : isObj(o) ? o : (() => { throw new RecipeError(path, `expected ${OPTIMIZER_WHAT}, got ${show(o)}`); })();
  const type = spec.type;
  if (type !== 'sgd' && type !== 'adam' && type !== 'adamw') throw new RecipeError(typeof o === 'string' ? path : `${path}.type`, `expected "sgd", "adam" or "adamw", got ${show(type)}`);
  if (type === 'sgd') {
    checkKeys(spec, path, ['type', 'nesterov']);
    const nesterov = spec.nesterov ?? (defaults ? false : undefined);
    if (typeof nesterov !== 'boolean') throw new RecipeError(`${path}.nesterov`, `expected true or false, got ${show(nesterov)}`);
    return { type, nesterov };
  }
  checkKeys(spec, path, ['type', 'beta1', 'beta2', 'epsilon']);
  const unit = (v: number): boolean => v >= 0 && v < 1;
  return {
    type,
    beta1: number(spec, 'beta1', path, defaults ? 0.9 : undefined, unit, 'a number in [0, 1)'),
    beta2: number(spec, 'beta2', path, defaults ? 0.999 : undefined, unit, 'a number in [0, 1)'),
    epsilon: number(spec, 'epsilon', path, defaults ? 1e-8 : undefined, (v) => v > 0, 'a positive number'),
  };
}

/** A linear warm-up of the rate over the run's first updates (or epochs): factor (u + 1)/W for update u < W. */
export type WarmupSpec = { updates: number } | { epochs: number };

/**
 * The rate's shape over the whole run, a factor on the scheduled (per-epoch) rate at each update:
 * cosine annealing to `floor` (after any warm-up), or Smith's one-cycle (up from 1/div over the first
 * `start` of the updates, then down to 1/(div·finalDiv), both halves cosine).
 */
export type AnnealSpec = { type: 'cosine'; floor: number } | { type: 'one-cycle'; start: number; div: number; finalDiv: number };

/** Checks a recipe's `warmup` ({updates} or {epochs}) at `path`. */
function resolveWarmup(w: unknown, path: string): WarmupSpec {
  if (!isObj(w)) throw new RecipeError(path, `expected {updates: N} or {epochs: N}, got ${show(w)}`);
  checkKeys(w, path, ['updates', 'epochs']);
  if ((w.updates === undefined) === (w.epochs === undefined)) throw new RecipeError(path, `expected exactly one of updates and epochs, got ${show(w)}`);
  return w.updates !== undefined
    ? { updates: number(w, 'updates', path, undefined, positiveInt, 'a positive integer') }
    : { epochs: number(w, 'epochs', path, undefined, positiveInt, 'a positive integer') };
}

/** Checks and completes a recipe's `anneal` ("cosine", "one-cycle" or an object) at `path` (defaults false: every field present). */
function resolveAnneal(a: unknown, path: string, defaults = true): AnnealSpec {
  const spec: Obj = typeof a === 'string' ? { type: a } : isObj(a) ? a : (() => { throw new RecipeError(path, `expected "cosine", "one-cycle", {type: "cosine", floor?} or {type: "one-cycle", start?, div?, finalDiv?}, got ${show(a)}`); })();
  if (spec.type === 'cosine') {
    checkKeys(spec, path, ['type', 'floor']);
    return { type: 'cosine', floor: number(spec, 'floor', path, defaults ? 0 : undefined, (v) => v >= 0 && v < 1, 'a fraction of the rate in [0, 1)') };
  }
  if (spec.type === 'one-cycle') {
    checkKeys(spec, path, ['type', 'start', 'div', 'finalDiv']);
    return {
      type: 'one-cycle',
      start: number(spec, 'start', path, defaults ? 0.3 : undefined, (v) => v > 0 && v < 1, 'a fraction of the updates in (0, 1)'),
      div: number(spec, 'div', path, defaults ? 25 : undefined, (v) => v >= 1, 'a number ≥ 1'),
      finalDiv: number(spec, 'finalDiv', path, defaults ? 1e4 : undefined, (v) => v >= 1, 'a number ≥ 1'),
    };
  }
  throw new RecipeError(typeof a === 'string' ? path : `${path}.type`, `expected "cosine" or "one-cycle", got ${show(spec.type)}`);
}

export interface TrainingSpec {
  epochs: number;
  /** Patterns per update: 1 is online (§4.1), 0 is the whole training set (full batch). */
  batch: number;
  /** Rate per epoch: a constant or stages. With SDLM it is ε of ε/(μ + h_kk). */
  schedule: RateStage[];
  /** Multipliers of the rate by layer name (§4.2: lower layers often want larger rates). */
  layerRates: Record<string, number>;
  momentum: number;
  weightDecay: number;
  /** The update rule (absent: SGD). Adam's decay is added to the gradient; AdamW's is decoupled from it. */
  optimizer?: OptimizerSpec;
  /** Gradient-norm clipping: the largest global L2 norm of a batch's gradient (absent: none). */
  clip?: number;
  /** Linear warm-up (absent: none). */
  warmup?: WarmupSpec;
  /** Cosine or one-cycle shape of the rate over the run, per update (absent: the per-epoch schedule alone). */
  anneal?: AnnealSpec;
  sdlm: SdlmSpec | null;
  shuffle: boolean;
}

export interface Recipe {
  name: string;
  network: ResolvedDescription;
  normalise: NormalisationName;
  /** `standard`'s per-channel mean and deviation of level/255, measured on the training set (withStatistics). */
  statistics?: ChannelStatistics;
  /** Distortions of the training images, drawn afresh for every pattern (none: null). */
  augment: AugmentSpec | null;
  training: TrainingSpec;
}

export class RecipeError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'RecipeError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A value in a message: the one form every error of the library uses (validate.ts). */
const show = check.show;

function checkKeys(o: Obj, path: string, allowed: string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k) && k !== '$comment') throw new RecipeError(path ? `${path}.${k}` : k, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

function number(o: Obj, key: string, path: string, dflt: number | undefined, test: (v: number) => boolean, what: string): number {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !test(v)) throw new RecipeError(`${path}.${key}`, `expected ${what}, got ${show(v)}`);
  return v;
}

const positiveInt = (v: number): boolean => Number.isInteger(v) && v > 0;

/**
 * Checks and completes a distortion spec (a recipe's data.augment, or the Augmenter's): null or
 * {elastic?: {sigma, alpha}, affine?: {rotate, scale, shear, translate}}; a RecipeError names the field.
 */
export function resolveAugment(a: unknown, path: string): AugmentSpec | null {
  if (a === undefined || a === null) return null;
  if (!isObj(a)) throw new RecipeError(path, `expected {elastic?: {sigma, alpha}, affine?: {rotate, scale, shear, translate}, flip?, crop?}, got ${show(a)}`);
  checkKeys(a, path, ['elastic', 'affine', 'flip', 'crop']);
  let elastic: AugmentSpec['elastic'] = null;
  if (a.elastic !== undefined && a.elastic !== null) {
    if (!isObj(a.elastic)) throw new RecipeError(`${path}.elastic`, `expected {sigma, alpha}, got ${show(a.elastic)}`);
    checkKeys(a.elastic, `${path}.elastic`, ['sigma', 'alpha']);
    elastic = {
      sigma: number(a.elastic, 'sigma', `${path}.elastic`, undefined, (v) => v > 0 && v <= 32, 'a Gaussian width in pixels, in (0, 32]'),
      alpha: number(a.elastic, 'alpha', `${path}.elastic`, undefined, (v) => v >= 0, 'a non-negative scale in pixels'),
    };
  }
  let affine: AugmentSpec['affine'] = null;
  if (a.affine !== undefined && a.affine !== null) {
    if (!isObj(a.affine)) throw new RecipeError(`${path}.affine`, `expected {rotate, scale, shear, translate}, got ${show(a.affine)}`);
    checkKeys(a.affine, `${path}.affine`, ['rotate', 'scale', 'shear', 'translate']);
    const p = `${path}.affine`;
    affine = {
      rotate: number(a.affine, 'rotate', p, 0, (v) => v >= 0 && v <= 180, 'degrees in [0, 180]'),
      scale: number(a.affine, 'scale', p, 0, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
      shear: number(a.affine, 'shear', p, 0, (v) => v >= 0 && v < 90, 'degrees in [0, 90)'),
      translate: number(a.affine, 'translate', p, 0, (v) => v >= 0, 'a non-negative number of pixels'),
    };
  }
  if (a.flip !== undefined && typeof a.flip !== 'boolean') throw new RecipeError(`${path}.flip`, `expected true or false (a left–right mirror of half the patterns), got ${show(a.flip)}`);
  const flip = a.flip === true;
  const crop = a.crop === undefined ? 0 : number(a, 'crop', path, undefined, (v) => Number.isInteger(v) && v >= 0 && v <= 64, 'a padding in whole pixels, in [0, 64]');
  if (!elastic && !affine && !flip && !crop) return null;
  // flip and crop appear only when set, so the specs of recipes without them are what they were
  return { elastic, affine, ...(flip ? { flip } : {}), ...(crop ? { crop } : {}) };
}

/** `standard` normalisation's statistics: per channel a mean in [0, 1] and a positive deviation. */
function resolveStatistics(raw: unknown, path: string): ChannelStatistics {
  if (!isObj(raw)) throw new RecipeError(path, `expected {mean, std}, one number per channel each, got ${show(raw)}`);
  checkKeys(raw, path, ['mean', 'std']);
  const { mean, std } = raw;
  if (!Array.isArray(mean) || mean.length === 0 || !mean.every((m) => typeof m === 'number' && m >= 0 && m <= 1)) {
    throw new RecipeError(`${path}.mean`, `expected a list of per-channel means of level/255 in [0, 1], got ${show(mean)}`);
  }
  if (!Array.isArray(std) || std.length !== mean.length || !std.every((d) => typeof d === 'number' && Number.isFinite(d) && d > 0)) {
    throw new RecipeError(`${path}.std`, `expected ${mean.length} positive deviations (one per channel), got ${show(std)}`);
  }
  return { mean: [...mean] as number[], std: [...std] as number[] };
}

/**
 * Checks and completes a recipe (a parsed JSON value); `"network": "NAME"` names one of `networks`
 * (default: the built-in networks, builtinNetworks).
 */
export function resolveRecipe(raw: unknown, networks: Record<string, NetworkDescription> = builtinNetworks): Recipe {
  if (!isObj(raw)) throw new RecipeError('recipe', `expected a JSON object, got ${show(raw)}`);
  checkKeys(raw, '', ['name', 'network', 'data', 'training']);
  const name = raw.name ?? 'recipe';
  if (typeof name !== 'string' || name.length === 0) throw new RecipeError('name', `expected a non-empty string, got ${show(name)}`);

  let description: unknown = raw.network;
  if (typeof description === 'string') {
    if (!isObj(networks)) throw new RecipeError('network', `${show(description)} names a network, but no networks to look it up in were given`);
    if (!Object.hasOwn(networks, description)) {
      const names = Object.keys(networks);
      throw new RecipeError('network', `unknown network ${show(description)}; expected a description${names.length ? ` or one of ${names.join(', ')}` : ' (no named networks were given)'}`);
    }
    description = networks[description];
  }
  if (!isObj(description)) throw new RecipeError('network', `expected a network description (an object), got ${show(description)}`);
  let network: ResolvedDescription;
  try {
    network = resolveDescription(description);
  } catch (e) {
    if (e instanceof DescriptionError) throw new RecipeError(`network.${e.path}`, e.message.slice(e.path.length + 2));
    throw e;
  }

  const data = raw.data ?? {};
  if (!isObj(data)) throw new RecipeError('data', `expected an object, got ${show(data)}`);
  checkKeys(data, 'data', ['normalise', 'statistics', 'augment']);
  const normalise = data.normalise ?? 'unit';
  if (normalise !== 'unit' && normalise !== 'lecun' && normalise !== 'standard') {
    throw new RecipeError('data.normalise', `expected "unit" ([0, 1]), "lecun" (background −0.1, foreground 1.175) or "standard" (per channel, by the training set's mean and deviation), got ${show(normalise)}`);
  }
  const statistics = data.statistics === undefined ? undefined : resolveStatistics(data.statistics, 'data.statistics');
  if (statistics && normalise !== 'standard') throw new RecipeError('data.statistics', `expected normalise "standard" with statistics, got normalise ${show(normalise)}`);
  const augment = resolveAugment(data.augment, 'data.augment');

  const t = raw.training ?? {};
  if (!isObj(t)) throw new RecipeError('training', `expected an object, got ${show(t)}`);
  checkKeys(t, 'training', ['epochs', 'batch', 'rate', 'layerRates', 'momentum', 'weightDecay', 'optimizer', 'clip', 'warmup', 'anneal', 'sdlm', 'shuffle']);
  const epochs = number(t, 'epochs', 'training', 1, positiveInt, 'a positive integer');
  const batch = t.batch === 'full' ? 0 : number(t, 'batch', 'training', 50, positiveInt, 'a positive integer or "full"');

  const rate = t.rate ?? 0.1;
  let schedule: RateStage[];
  if (typeof rate === 'number') {
    if (!Number.isFinite(rate) || rate <= 0) throw new RecipeError('training.rate', `expected a positive number or a list of {epochs, rate} stages, got ${show(rate)}`);
    schedule = [{ epochs: Infinity, rate }];
  } else if (Array.isArray(rate) && rate.length > 0) {
    schedule = rate.map((s, i) => {
      const p = `training.rate[${i}]`;
      if (!isObj(s)) throw new RecipeError(p, `expected {epochs, rate}, got ${show(s)}`);
      checkKeys(s, p, ['epochs', 'rate']);
      const last = i === rate.length - 1;
      return {
        epochs: last && s.epochs === undefined ? Infinity : number(s, 'epochs', p, undefined, positiveInt, 'a positive integer (only the last stage may omit it)'),
        rate: number(s, 'rate', p, undefined, (v) => v > 0, 'a positive number'),
      };
    });
  } else {
    throw new RecipeError('training.rate', `expected a positive number or a non-empty list of {epochs, rate} stages, got ${show(rate)}`);
  }

  const layerRates: Record<string, number> = {};
  const lr = t.layerRates ?? {};
  if (!isObj(lr)) throw new RecipeError('training.layerRates', `expected an object of layer name → multiplier, got ${show(lr)}`);
  const layerNames = network.layers.map((l) => l.name);
  for (const [k, v] of Object.entries(lr)) {
    if (!layerNames.includes(k)) throw new RecipeError(`training.layerRates.${k}`, `no layer of that name; the network's layers are ${layerNames.join(', ')}`);
    layerRates[k] = number(lr, k, 'training.layerRates', undefined, (x) => x >= 0, 'a non-negative number');
  }
  const momentum = number(t, 'momentum', 'training', 0, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  const weightDecay = number(t, 'weightDecay', 'training', 0, (v) => v >= 0, 'a non-negative number');
  const optimizer = t.optimizer === undefined ? undefined : resolveOptimizer(t.optimizer, 'training.optimizer');
  if (optimizer && optimizer.type !== 'sgd' && momentum !== 0) throw new RecipeError('training.momentum', `expected 0 or none with ${optimizer.type} (its momentum is optimizer.beta1), got ${show(momentum)}`);
  if (optimizer?.type === 'sgd' && optimizer.nesterov && momentum === 0) throw new RecipeError('training.optimizer.nesterov', 'expected false with no momentum (Nesterov\'s look-ahead needs training.momentum > 0), got true');
  const clip = t.clip === undefined ? undefined : number(t, 'clip', 'training', undefined, (v) => v > 0, 'a positive number (the largest gradient norm)');
  const warmup = t.warmup === undefined ? undefined : resolveWarmup(t.warmup, 'training.warmup');
  const anneal = t.anneal === undefined ? undefined : resolveAnneal(t.anneal, 'training.anneal');
  if (warmup && anneal?.type === 'one-cycle') throw new RecipeError('training.warmup', 'expected none with a one-cycle anneal (its first part is the warm-up)');

  let sdlm: SdlmSpec | null = null;
  if (t.sdlm !== undefined && t.sdlm !== null && t.sdlm !== false) {
    if (!isObj(t.sdlm)) throw new RecipeError('training.sdlm', `expected {mu, samples} or null, got ${show(t.sdlm)}`);
    checkKeys(t.sdlm, 'training.sdlm', ['mu', 'samples']);
    sdlm = {
      mu: number(t.sdlm, 'mu', 'training.sdlm', 0.02, (v) => v > 0, 'a positive number'),
      samples: number(t.sdlm, 'samples', 'training.sdlm', 500, positiveInt, 'a positive integer'),
    };
  }
  const shuffle = t.shuffle ?? true;
  if (typeof shuffle !== 'boolean') throw new RecipeError('training.shuffle', `expected true or false, got ${show(shuffle)}`);
  checkNormBatches(network, batch);
  return { name, network, normalise, ...(statistics ? { statistics } : {}), augment, training: { epochs, batch, schedule, layerRates, momentum, weightDecay, ...(optimizer ? { optimizer } : {}), ...(clip === undefined ? {} : { clip }), ...(warmup ? { warmup } : {}), ...(anneal ? { anneal } : {}), sdlm, shuffle } };
}

/**
 * A recipe as train() takes it: a resolved Recipe (resolveRecipe's or builtinRecipe's, each field
 * checked here, since it may have been edited or made by hand), or a recipe's JSON, which is resolved.
 * Either way a field that is wrong is a RecipeError naming it.
 */
export function checkRecipe(v: unknown): Recipe {
  if (!isObj(v)) throw new RecipeError('recipe', `expected a recipe (resolveRecipe's or builtinRecipe's, or its JSON), got ${show(v)}`);
  const t = v.training;
  // a recipe's JSON has training.rate; a resolved one training.schedule
  if (!isObj(t) || !Array.isArray(t.schedule)) return resolveRecipe(v);
  if (typeof v.name !== 'string') throw new RecipeError('name', `expected a string, got ${show(v.name)}`);
  let network = v.network;
  if (!isResolvedDescription(network)) {
    // a resolved recipe's network is resolved; one made by hand is checked like any description
    try {
      network = resolveDescription(network);
    } catch (e) {
      if (e instanceof DescriptionError) throw new RecipeError(`network.${e.path}`, e.message.slice(e.path.length + 2));
      throw e;
    }
  }
  if (v.normalise !== 'unit' && v.normalise !== 'lecun' && v.normalise !== 'standard') throw new RecipeError('normalise', `expected "unit", "lecun" or "standard", got ${show(v.normalise)}`);
  if (v.statistics !== undefined) resolveStatistics(v.statistics, 'statistics');
  if (v.augment !== null) resolveAugment(v.augment, 'augment');
  number(t, 'epochs', 'training', undefined, positiveInt, 'a positive integer');
  number(t, 'batch', 'training', undefined, (b) => Number.isInteger(b) && b >= 0, 'a positive integer (0: full batch)');
  if (t.schedule.length === 0) throw new RecipeError('training.schedule', 'expected a non-empty list of {epochs, rate} stages, got []');
  t.schedule.forEach((s: unknown, i: number) => {
    const p = `training.schedule[${i}]`;
    if (!isObj(s)) throw new RecipeError(p, `expected {epochs, rate}, got ${show(s)}`);
    if (!(s.epochs === Infinity || (typeof s.epochs === 'number' && positiveInt(s.epochs)))) throw new RecipeError(`${p}.epochs`, `expected a positive integer or Infinity, got ${show(s.epochs)}`);
    number(s, 'rate', p, undefined, (r) => r > 0, 'a positive number');
  });
  if (!isObj(t.layerRates)) throw new RecipeError('training.layerRates', `expected an object of layer name → multiplier, got ${show(t.layerRates)}`);
  for (const k of Object.keys(t.layerRates)) number(t.layerRates, k, 'training.layerRates', undefined, (x) => x >= 0, 'a non-negative number');
  number(t, 'momentum', 'training', undefined, (m) => m >= 0 && m < 1, 'a number in [0, 1)');
  number(t, 'weightDecay', 'training', undefined, (d) => d >= 0, 'a non-negative number');
  if (t.optimizer !== undefined) {
    const o = resolveOptimizer(t.optimizer, 'training.optimizer', false);
    if (o.type !== 'sgd' && t.momentum !== 0) throw new RecipeError('training.momentum', `expected 0 with ${o.type} (its momentum is optimizer.beta1), got ${show(t.momentum)}`);
    if (o.type === 'sgd' && o.nesterov && t.momentum === 0) throw new RecipeError('training.optimizer.nesterov', 'expected false with no momentum (Nesterov\'s look-ahead needs training.momentum > 0), got true');
  }
  if (t.clip !== undefined) number(t, 'clip', 'training', undefined, (v) => v > 0, 'a positive number (the largest gradient norm)');
  if (t.warmup !== undefined) resolveWarmup(t.warmup, 'training.warmup');
  if (t.anneal !== undefined) resolveAnneal(t.anneal, 'training.anneal', false);
  if (t.warmup !== undefined && isObj(t.anneal) && t.anneal.type === 'one-cycle') throw new RecipeError('training.warmup', 'expected none with a one-cycle anneal (its first part is the warm-up)');
  if (t.sdlm !== null) {
    if (!isObj(t.sdlm)) throw new RecipeError('training.sdlm', `expected {mu, samples} or null, got ${show(t.sdlm)}`);
    number(t.sdlm, 'mu', 'training.sdlm', undefined, (m) => m > 0, 'a positive number');
    number(t.sdlm, 'samples', 'training.sdlm', undefined, positiveInt, 'a positive integer');
  }
  if (typeof t.shuffle !== 'boolean') throw new RecipeError('training.shuffle', `expected true or false, got ${show(t.shuffle)}`);
  checkNormBatches(network as ResolvedDescription, t.batch as number);
  return (network === v.network ? v : { ...v, network }) as unknown as Recipe;
}

/**
 * Batch normalisation normalises each batch by its own statistics: refuses full-batch training (the
 * whole set's gradient is gathered in pieces, each of which would have statistics of its own) and,
 * after a fully connected layer, batches of 1 (one value a unit has no variance).
 */
function checkNormBatches(d: ResolvedDescription, batch: number): void {
  const norm = d.layers.findIndex((l) => l.type === 'batchnorm');
  if (norm >= 0 && batch === 0) throw new RecipeError('training.batch', `expected a batch size with batch normalisation (layers[${norm}] normalises each batch by its own statistics), got "full"`);
  const unit = firstUnitNorm(d);
  if (unit >= 0 && batch === 1) throw new RecipeError('training.batch', `expected at least 2 with batch normalisation after a fully connected layer (layers[${unit}]: one value a unit has no variance), got ${batch}`);
}

/** The rate of epoch e (0-based) under a schedule. */
export function scheduledRate(schedule: readonly RateStage[], epoch: number): number {
  if (!Array.isArray(schedule) || schedule.length === 0) check.fail('schedule', 'a non-empty list of {epochs, rate} stages', schedule);
  check.integer(epoch, 'epoch', 0);
  let e = epoch;
  for (const s of schedule) {
    if (e < s.epochs) return s.rate;
    e -= s.epochs;
  }
  return schedule[schedule.length - 1].rate;
}

/**
 * The factor on the scheduled rate at update u (0-based, counted over the whole run) of a run of `total`
 * updates, `perEpoch` to an epoch, under a recipe's warm-up and anneal (1 with neither):
 *   warm-up over W updates (W = epochs·perEpoch for {epochs}):  (u + 1)/W  for u < W
 *   cosine, after the warm-up:  floor + (1 − floor)·½(1 + cos(π (u − W)/(total − W)))
 *   one-cycle, U = max(1, round(start·total)) updates up:  u < U: 1/div + (1 − 1/div)·½(1 − cos(π u/U));
 *     then e + (1 − e)·½(1 + cos(π (u − U)/(total − U))),  e = 1/(div·finalDiv)
 */
export function rateFactor(t: Pick<TrainingSpec, 'warmup' | 'anneal'>, u: number, perEpoch: number, total: number): number {
  check.object(t, 'training', 'a recipe\'s training {warmup?, anneal?}');
  check.integer(u, 'u', 0);
  check.integer(perEpoch, 'perEpoch', 1);
  check.integer(total, 'total', 1);
  const a = t.anneal;
  if (a?.type === 'one-cycle') {
    const up = Math.max(1, Math.round(a.start * total));
    if (u < up) {
      const lo = 1 / a.div;
      return lo + (1 - lo) * 0.5 * (1 - Math.cos((Math.PI * u) / up));
    }
    const end = 1 / (a.div * a.finalDiv);
    const p = Math.min(1, (u - up) / Math.max(1, total - up));
    return end + (1 - end) * 0.5 * (1 + Math.cos(Math.PI * p));
  }
  const w = t.warmup === undefined ? 0 : 'updates' in t.warmup ? t.warmup.updates : t.warmup.epochs * perEpoch;
  if (u < w) return (u + 1) / w;
  if (a?.type === 'cosine') {
    if (total <= w) return 1;
    const p = Math.min(1, (u - w) / (total - w));
    return a.floor + (1 - a.floor) * 0.5 * (1 + Math.cos(Math.PI * p));
  }
  return 1;
}

/** Whether a recipe's rate changes within an epoch (a warm-up or an anneal): the trainer then counts updates in its state. */
export function perUpdateRate(t: Pick<TrainingSpec, 'warmup' | 'anneal'>): boolean {
  return t.warmup !== undefined || t.anneal !== undefined;
}

/** A built-in recipe by name, resolved. */
export function builtinRecipe(name: string): Recipe {
  if (!Object.hasOwn(builtinRecipes, name)) throw new RecipeError('recipe', `unknown recipe ${show(name)}; expected one of ${Object.keys(builtinRecipes).join(', ')}, or a path to a JSON recipe`);
  return resolveRecipe(structuredClone(builtinRecipes[name]));
}

/** The recipe back as JSON (schedules with their finite stages; Infinity is dropped). */
export function recipeToJson(r: Recipe): unknown {
  r = checkRecipe(r);
  const t = r.training;
  const { shapes: _shapes, ...network } = r.network;
  return {
    name: r.name,
    network,
    data: { normalise: r.normalise, ...(r.statistics ? { statistics: r.statistics } : {}), ...(r.augment ? { augment: r.augment } : {}) },
    training: {
      epochs: t.epochs,
      batch: t.batch === 0 ? 'full' : t.batch,
      rate: t.schedule.length === 1 && t.schedule[0].epochs === Infinity ? t.schedule[0].rate : t.schedule.map((s) => (s.epochs === Infinity ? { rate: s.rate } : s)),
      layerRates: t.layerRates,
      momentum: t.momentum,
      weightDecay: t.weightDecay,
      ...(t.optimizer ? { optimizer: t.optimizer } : {}),
      ...(t.clip === undefined ? {} : { clip: t.clip }),
      ...(t.warmup ? { warmup: t.warmup } : {}),
      ...(t.anneal ? { anneal: t.anneal } : {}),
      sdlm: t.sdlm,
      shuffle: t.shuffle,
    },
  };
}
