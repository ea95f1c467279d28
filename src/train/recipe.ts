// A recipe: a network description and how to train it (§4): batch size (online, mini-batch or full
// batch, §4.1), a rate schedule, per-layer rates and LeCun's stochastic diagonal Levenberg-Marquardt
// (§4.2), momentum, weight decay, and the input normalisation. Recipes are JSON; the built-in ones are
// the files in src/recipes/, usable by name and as templates (`convnotes recipe NAME`).
//
// Validation mirrors the description's: a RecipeError names the field by its path
// (`training.rate[2].epochs`) and says what was expected.

import type { AugmentSpec } from '../data/augment.js';
import { DescriptionError, resolveDescription, type NetworkDescription, type ResolvedDescription } from '../description.js';
import bouvrie from '../recipes/bouvrie.json' with { type: 'json' };
import dlt from '../recipes/dlt.json' with { type: 'json' };
import learned from '../recipes/learned.json' with { type: 'json' };
import lenet5Distort from '../recipes/lenet5-distort.json' with { type: 'json' };
import simard from '../recipes/simard.json' with { type: 'json' };
import simardWide from '../recipes/simard-wide.json' with { type: 'json' };
import lenet5 from '../recipes/lenet5.json' with { type: 'json' };

export const builtinRecipes: Record<string, unknown> = { dlt, bouvrie, lenet5, learned, 'lenet5-distort': lenet5Distort, simard, 'simard-wide': simardWide };

export type NormalisationName = 'unit' | 'lecun';

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
  sdlm: SdlmSpec | null;
  shuffle: boolean;
}

export interface Recipe {
  name: string;
  network: ResolvedDescription;
  normalise: NormalisationName;
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
const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v) ?? String(v));

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

/** Checks and completes a recipe (a parsed JSON value); `builtin` resolves `"network": "NAME"`. */
export function resolveRecipe(raw: unknown, networks: Record<string, NetworkDescription> = {}): Recipe {
  if (!isObj(raw)) throw new RecipeError('recipe', `expected a JSON object, got ${show(raw)}`);
  checkKeys(raw, '', ['name', 'network', 'data', 'training']);
  const name = raw.name ?? 'recipe';
  if (typeof name !== 'string' || name.length === 0) throw new RecipeError('name', `expected a non-empty string, got ${show(name)}`);

  let description: unknown = raw.network;
  if (typeof description === 'string') {
    if (!Object.hasOwn(networks, description)) throw new RecipeError('network', `unknown network ${show(description)}; expected a description or one of ${Object.keys(networks).join(', ')}`);
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
  checkKeys(data, 'data', ['normalise', 'augment']);
  const normalise = data.normalise ?? 'unit';
  if (normalise !== 'unit' && normalise !== 'lecun') throw new RecipeError('data.normalise', `expected "unit" ([0, 1]) or "lecun" (background −0.1, foreground 1.175), got ${show(normalise)}`);
  let augment: AugmentSpec | null = null;
  if (data.augment !== undefined && data.augment !== null) {
    const a = data.augment;
    if (!isObj(a)) throw new RecipeError('data.augment', `expected {elastic?: {sigma, alpha}, affine?: {rotate, scale, shear, translate}}, got ${show(a)}`);
    checkKeys(a, 'data.augment', ['elastic', 'affine']);
    let elastic: AugmentSpec['elastic'] = null;
    if (a.elastic !== undefined && a.elastic !== null) {
      if (!isObj(a.elastic)) throw new RecipeError('data.augment.elastic', `expected {sigma, alpha}, got ${show(a.elastic)}`);
      checkKeys(a.elastic, 'data.augment.elastic', ['sigma', 'alpha']);
      elastic = {
        sigma: number(a.elastic, 'sigma', 'data.augment.elastic', undefined, (v) => v > 0 && v <= 32, 'a Gaussian width in pixels, in (0, 32]'),
        alpha: number(a.elastic, 'alpha', 'data.augment.elastic', undefined, (v) => v >= 0, 'a non-negative scale in pixels'),
      };
    }
    let affine: AugmentSpec['affine'] = null;
    if (a.affine !== undefined && a.affine !== null) {
      if (!isObj(a.affine)) throw new RecipeError('data.augment.affine', `expected {rotate, scale, shear, translate}, got ${show(a.affine)}`);
      checkKeys(a.affine, 'data.augment.affine', ['rotate', 'scale', 'shear', 'translate']);
      const p = 'data.augment.affine';
      affine = {
        rotate: number(a.affine, 'rotate', p, 0, (v) => v >= 0 && v <= 180, 'degrees in [0, 180]'),
        scale: number(a.affine, 'scale', p, 0, (v) => v >= 0 && v < 1, 'a fraction in [0, 1)'),
        shear: number(a.affine, 'shear', p, 0, (v) => v >= 0 && v < 90, 'degrees in [0, 90)'),
        translate: number(a.affine, 'translate', p, 0, (v) => v >= 0, 'a non-negative number of pixels'),
      };
    }
    augment = elastic || affine ? { elastic, affine } : null;
  }

  const t = raw.training ?? {};
  if (!isObj(t)) throw new RecipeError('training', `expected an object, got ${show(t)}`);
  checkKeys(t, 'training', ['epochs', 'batch', 'rate', 'layerRates', 'momentum', 'weightDecay', 'sdlm', 'shuffle']);
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
  return { name, network, normalise, augment, training: { epochs, batch, schedule, layerRates, momentum, weightDecay, sdlm, shuffle } };
}

/** The rate of epoch e (0-based) under a schedule. */
export function scheduledRate(schedule: readonly RateStage[], epoch: number): number {
  let e = epoch;
  for (const s of schedule) {
    if (e < s.epochs) return s.rate;
    e -= s.epochs;
  }
  return schedule[schedule.length - 1].rate;
}

/** A built-in recipe by name, resolved. */
export function builtinRecipe(name: string): Recipe {
  if (!Object.hasOwn(builtinRecipes, name)) throw new RecipeError('recipe', `unknown recipe ${show(name)}; expected one of ${Object.keys(builtinRecipes).join(', ')}, or a path to a JSON recipe`);
  return resolveRecipe(structuredClone(builtinRecipes[name]));
}

/** The recipe back as JSON (schedules with their finite stages; Infinity is dropped). */
export function recipeToJson(r: Recipe): unknown {
  const t = r.training;
  const { shapes: _shapes, ...network } = r.network;
  return {
    name: r.name,
    network,
    data: r.augment ? { normalise: r.normalise, augment: r.augment } : { normalise: r.normalise },
    training: {
      epochs: t.epochs,
      batch: t.batch === 0 ? 'full' : t.batch,
      rate: t.schedule.length === 1 && t.schedule[0].epochs === Infinity ? t.schedule[0].rate : t.schedule.map((s) => (s.epochs === Infinity ? { rate: s.rate } : s)),
      layerRates: t.layerRates,
      momentum: t.momentum,
      weightDecay: t.weightDecay,
      sdlm: t.sdlm,
      shuffle: t.shuffle,
    },
  };
}
