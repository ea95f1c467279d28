// The plain-JSON network description, its validation and its resolved form.
//
// A description says what the network is; `resolveDescription` checks every field and fills in
// the defaults, so the rest of the library reads a ResolvedDescription whose fields are all present
// and valid. Errors name the field by its path (`layers[2].kernel`) and say what was expected.

import { CONNECTION_NAMES, inputSets, type ConnectionSpec } from './connections.js';
import { show } from '../util/validate.js';

export const ACTIVATIONS = ['sigmoid', 'tanh', 'lecun', 'identity', 'relu'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export const INITS = ['glorot', 'lecun', 'uniform'] as const;
export type InitName = (typeof INITS)[number];

export const LOSSES = ['mse', 'cross-entropy'] as const;
export type LossName = (typeof LOSSES)[number];

export const PENALTIES = ['none', 'l1', 'entropy', 'power'] as const;
export type PenaltyName = (typeof PENALTIES)[number];

export const LAYER_TYPES = ['conv', 'combination', 'subsample', 'full', 'batchnorm', 'dropout'] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

/** Weight initialisation: `glorot` ±√(6/(fan-in + fan-out)) (DeepLearnToolbox), `lecun` ±2.4/fan-in
 *  (LeCun et al. 1998), `uniform` ±scale. Biases start at zero. */
export interface InitSpec {
  type: InitName;
  scale?: number;
}

/** §3.3.1 sparsity penalty on the learned α: `l1` λΣ|α| (the notes'; its gradient is zero, see
 *  layers/combination.ts), `entropy` −λΣ α log α, `power` λΣ α^p with 0 < p < 1. */
export interface PenaltySpec {
  type: PenaltyName;
  lambda?: number;
  p?: number;
}

/** Zero padding of a convolution's input maps: P rows and columns of zeros on every side, or `same`
 *  ((K − 1)/2 for an odd K, so that a stride of 1 keeps the maps' size). */
export type PadSpec = number | 'same';

export interface ConvDescription {
  type: 'conv';
  name?: string;
  maps: number;
  kernel: number;
  activation: ActivationName;
  connections?: ConnectionSpec;
  init?: InitSpec;
  /** Zero padding (default 0: the notes' valid convolution). */
  pad?: PadSpec;
  /** The step between the output units' input patches (default 1). */
  stride?: number;
}

export interface CombinationDescription {
  type: 'combination';
  name?: string;
  maps: number;
  kernel: number;
  activation: ActivationName;
  /** `shared`: one kernel per input map, shared by all output maps (the notes' form); `pair`: k_ij. */
  kernels?: 'shared' | 'pair';
  penalty?: PenaltySpec;
  init?: InitSpec;
  /** The unconstrained weights c start uniform in ±cInit (random, so output maps differ). */
  cInit?: number;
  pad?: PadSpec;
  stride?: number;
}

export interface SubsampleDescription {
  type: 'subsample';
  name?: string;
  factor: number;
  /** `sum`: down() sums each n×n block; `decimate`: keeps every n-th sample; `max`: the block's largest value (max pooling). */
  down?: DownName;
  /** `trainable` β per map, or `fixed` at betaInit (DeepLearnToolbox's mean pooling). */
  beta?: 'trainable' | 'fixed';
  betaInit?: number;
  /** A trainable additive bias b per map. */
  bias?: boolean;
  activation?: ActivationName;
}

export interface FullDescription {
  type: 'full';
  name?: string;
  units: number;
  activation: ActivationName;
  init?: InitSpec;
}

/**
 * Batch normalisation (Ioffe & Szegedy 2015) of each map (or unit) of the layer below, then a scale γ, a
 * shift β and an activation: y = f(γ x̂ + β), x̂ = (x − μ)/√(σ² + ε). Training normalises with the
 * batch's μ and σ² (over its patterns and the map's pixels) and keeps running averages of them, which
 * inference uses.
 */
export interface BatchNormDescription {
  type: 'batchnorm';
  name?: string;
  /** ε in √(σ² + ε) (default 1e-5). */
  epsilon?: number;
  /** The running averages' weight of each new batch (default 0.1): r ← (1 − m) r + m · (batch's). */
  momentum?: number;
  activation?: ActivationName;
}

/** Dropout (Srivastava et al. 2014): in training, each value is kept with probability 1 − rate and
 *  scaled by 1/(1 − rate), else zeroed; inference passes values through. */
export interface DropoutDescription {
  type: 'dropout';
  name?: string;
  rate: number;
}

export type LayerDescription = ConvDescription | CombinationDescription | SubsampleDescription | FullDescription
  | BatchNormDescription | DropoutDescription;

export interface NetworkDescription {
  name?: string;
  /** [maps, height, width] of one input pattern. */
  input: [number, number, number];
  seed?: number;
  init?: InitSpec;
  layers: LayerDescription[];
  /** §4.3 `mse`: ½Σ(y−t)²; `cross-entropy`: softmax cross-entropy on the outputs. */
  loss: LossName;
  /** Target values [off, on] for `mse` (default [0, 1], or [−1, 1] after tanh/lecun outputs). */
  targets?: [number, number];
  /**
   * Class codes for `mse` instead of one output per class (LeCun et al. 1998's RBF output): one code
   * per class, as many values as the network has outputs, each a list of numbers or of strings of
   * `X` (+1) and `.` (−1), e.g. a 7×12 bitmap as 12 strings of 7. A pattern's target is its class's
   * code, and its class is the nearest code.
   */
  codes?: (number[] | string[])[];
  /** Label smoothing ε for `cross-entropy`: targets (1 − ε) on the class plus ε/K on every one of K outputs (default 0). */
  labelSmoothing?: number;
  /** Class c's name (an image folder's class folder), one per class: what eval, predict and the page show. */
  classNames?: string[];
}

export type Shape = readonly [number, number, number];

export const DOWNS = ['sum', 'decimate', 'max'] as const;
export type DownName = (typeof DOWNS)[number];

/** A convolution's geometry: zero padding P on every side, stride s. The output is
 *  ⌊(h + 2P − K)/s⌋ + 1 by ⌊(w + 2P − K)/s⌋ + 1 (P = 0, s = 1: the notes' valid convolution). */
export interface ConvGeometry {
  pad: number;
  stride: number;
}
export interface ResolvedConv extends ConvGeometry {
  type: 'conv'; name: string; maps: number; kernel: number; activation: ActivationName;
  connections: ConnectionSpec; init: Required<InitSpec>;
}
export interface ResolvedCombination extends ConvGeometry {
  type: 'combination'; name: string; maps: number; kernel: number; activation: ActivationName;
  kernels: 'shared' | 'pair'; penalty: Required<PenaltySpec>; init: Required<InitSpec>; cInit: number;
}
export interface ResolvedSubsample {
  type: 'subsample'; name: string; factor: number; down: DownName; beta: 'trainable' | 'fixed';
  betaInit: number; bias: boolean; activation: ActivationName;
}
export interface ResolvedFull {
  type: 'full'; name: string; units: number; activation: ActivationName; init: Required<InitSpec>;
}
export interface ResolvedBatchNorm {
  type: 'batchnorm'; name: string; epsilon: number; momentum: number; activation: ActivationName;
}
export interface ResolvedDropout {
  type: 'dropout'; name: string; rate: number;
}
export type ResolvedLayer = ResolvedConv | ResolvedCombination | ResolvedSubsample | ResolvedFull | ResolvedBatchNorm | ResolvedDropout;

export interface ResolvedDescription {
  name: string;
  input: Shape;
  seed: number;
  layers: ResolvedLayer[];
  loss: LossName;
  targets: [number, number];
  /** Class codes [classes][outputs] (`mse` only), or null: one output per class. */
  codes: number[][] | null;
  /** Label smoothing ε (cross-entropy), present only when the description gives it. */
  labelSmoothing?: number;
  /** Class names, present only when the description gives them. */
  classNames?: string[];
  /** Shape of each layer's output, as [maps, height, width] (fully connected: [units, 1, 1]). */
  shapes: Shape[];
}

/** A description that cannot be built; `path` names the offending field. */
export class DescriptionError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'DescriptionError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value in a message, on one short line (validate.ts: the one form every error of the library uses). */
const str = show;

/** The path of field `key` of the object at `path` ('' is the description itself: `loss`, not `.loss`). */
function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function positiveInt(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (v === undefined) throw new DescriptionError(at(path, key), 'expected a positive integer, but the field is missing');
  // sizes beyond 2^53 are not integers a size can be computed with (and no network has them)
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new DescriptionError(at(path, key), `expected a positive integer, got ${str(v)}`);
  }
  return v;
}

function finiteNumber(o: Obj, key: string, path: string, fallback: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DescriptionError(at(path, key), `expected a finite number, got ${str(v)}`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, options: readonly T[], fallback?: T): T {
  const v = o[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new DescriptionError(at(path, key), `expected one of ${options.join(', ')}, but the field is missing`);
  }
  if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
    throw new DescriptionError(at(path, key), `expected one of ${options.join(', ')}, got ${str(v)}`);
  }
  return v as T;
}

function boolField(o: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new DescriptionError(at(path, key), `expected true or false, got ${str(v)}`);
  return v;
}

function checkKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new DescriptionError(at(path, k), `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

function resolveInit(v: unknown, path: string, fallback: Required<InitSpec>): Required<InitSpec> {
  if (v === undefined) return fallback;
  if (!isObj(v)) throw new DescriptionError(path, `expected an object like {"type": "glorot"}, got ${str(v)}`);
  checkKeys(v, path, ['type', 'scale']);
  const type = oneOf(v, 'type', path, INITS);
  const scale = finiteNumber(v, 'scale', path, type === 'uniform' ? 0.05 : 1);
  if (scale <= 0) throw new DescriptionError(`${path}.scale`, `expected a positive number, got ${scale}`);
  return { type, scale };
}

function resolvePenalty(v: unknown, path: string): Required<PenaltySpec> {
  if (v === undefined) return { type: 'none', lambda: 0, p: 0.5 };
  if (!isObj(v)) throw new DescriptionError(path, `expected an object like {"type": "entropy", "lambda": 0.001}, got ${str(v)}`);
  checkKeys(v, path, ['type', 'lambda', 'p']);
  const type = oneOf(v, 'type', path, PENALTIES);
  const lambda = finiteNumber(v, 'lambda', path, type === 'none' ? 0 : 1e-3);
  if (lambda < 0) throw new DescriptionError(`${path}.lambda`, `expected a non-negative number, got ${lambda}`);
  const p = finiteNumber(v, 'p', path, 0.5);
  if (!(p > 0 && p < 1)) throw new DescriptionError(`${path}.p`, `expected 0 < p < 1 (a penalty that is concave on the simplex), got ${p}`);
  return { type, lambda, p };
}

function resolvePad(v: unknown, kernel: number, path: string): number {
  if (v === undefined) return 0;
  if (v === 'same') {
    if (kernel % 2 === 0) throw new DescriptionError(path, `expected an odd kernel with pad "same" (P = (K − 1)/2 on every side), got kernel ${kernel}`);
    return (kernel - 1) / 2;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new DescriptionError(path, `expected a non-negative integer or "same", got ${str(v)}`);
  if (v >= kernel) throw new DescriptionError(path, `expected a padding smaller than the kernel (${kernel}), got ${v}: an output unit would see only zeros`);
  return v;
}

/** Output size of a convolution along one axis: ⌊(n + 2P − K)/s⌋ + 1. */
export function convOutputSize(n: number, kernel: number, pad: number, stride: number): number {
  return Math.floor((n + 2 * pad - kernel) / stride) + 1;
}

function checkShape(shape: Shape, path: string): void {
  if (shape[1] <= 0 || shape[2] <= 0) throw new DescriptionError(path, `the maps would be ${shape[1]}×${shape[2]}: expected a positive size`);
}

/** Descriptions that came out of resolveDescription (and so need no second validation). */
const resolved = new WeakSet<object>();

export function isResolvedDescription(d: unknown): d is ResolvedDescription {
  return typeof d === 'object' && d !== null && resolved.has(d);
}

/** Validates a description, fills in defaults and infers every layer's output shape (a resolved one is returned as it is). */
export function resolveDescription(value: unknown): ResolvedDescription {
  if (isResolvedDescription(value)) return value;
  const r = resolveUnchecked(value);
  resolved.add(r);
  return r;
}

function resolveUnchecked(value: unknown): ResolvedDescription {
  if (!isObj(value)) throw new DescriptionError('description', `expected a JSON object, got ${str(value)}`);
  checkKeys(value, '', ['name', 'input', 'seed', 'init', 'layers', 'loss', 'targets', 'codes', 'labelSmoothing', 'classNames', '$comment']);
  const name = value.name === undefined ? 'network' : value.name;
  if (typeof name !== 'string') throw new DescriptionError('name', `expected a string, got ${str(name)}`);

  const input = value.input;
  if (!Array.isArray(input) || input.length !== 3 || !input.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0)) {
    throw new DescriptionError('input', `expected [maps, height, width] as three positive integers, got ${str(input)}`);
  }
  const seed = value.seed === undefined ? 1 : value.seed;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DescriptionError('seed', `expected an integer in [0, 4294967295], got ${str(seed)}`);
  }
  const defaultInit = resolveInit(value.init, 'init', { type: 'glorot', scale: 1 });

  if (!Array.isArray(value.layers) || value.layers.length === 0) {
    throw new DescriptionError('layers', `expected a non-empty array of layers, got ${str(value.layers)}`);
  }

  let shape: Shape = [input[0], input[1], input[2]];
  const layers: ResolvedLayer[] = [];
  const shapes: Shape[] = [];
  value.layers.forEach((raw: unknown, index: number) => {
    const path = `layers[${index}]`;
    if (!isObj(raw)) throw new DescriptionError(path, `expected a layer object, got ${str(raw)}`);
    const type = oneOf(raw, 'type', path, LAYER_TYPES);
    const lname = raw.name === undefined ? `${type}${index}` : raw.name;
    if (typeof lname !== 'string' || lname.length === 0) throw new DescriptionError(`${path}.name`, `expected a non-empty string, got ${str(lname)}`);
    const [maps, h, w] = shape;
    switch (type) {
      case 'conv':
      case 'combination': {
        const common = ['type', 'name', 'maps', 'kernel', 'activation', 'init', 'pad', 'stride'];
        checkKeys(raw, path, type === 'conv' ? [...common, 'connections'] : [...common, 'kernels', 'penalty', 'cInit']);
        const outMaps = positiveInt(raw, 'maps', path);
        const kernel = positiveInt(raw, 'kernel', path);
        const pad = resolvePad(raw.pad, kernel, `${path}.pad`);
        const stride = raw.stride === undefined ? 1 : positiveInt(raw, 'stride', path);
        if (kernel > h + 2 * pad || kernel > w + 2 * pad) {
          const padded = pad === 0 ? `${h}×${w} input maps` : `${h + 2 * pad}×${w + 2 * pad} padded input maps`;
          throw new DescriptionError(`${path}.kernel`, `expected a kernel no larger than the ${padded}, got ${kernel}×${kernel}`);
        }
        const activation = oneOf(raw, 'activation', path, ACTIVATIONS);
        const init = resolveInit(raw.init, `${path}.init`, defaultInit);
        if (type === 'conv') {
          const connections = (raw.connections === undefined ? 'all' : raw.connections) as ConnectionSpec;
          if (typeof connections === 'string' && !(CONNECTION_NAMES as readonly string[]).includes(connections)) {
            throw new DescriptionError(`${path}.connections`, `expected one of ${CONNECTION_NAMES.join(', ')} or a boolean table, got ${str(connections)}`);
          }
          if (typeof connections !== 'string' && !Array.isArray(connections)) {
            throw new DescriptionError(`${path}.connections`, `expected one of ${CONNECTION_NAMES.join(', ')} or a boolean table [input map][output map], got ${str(connections)}`);
          }
          if (connections === 'lenet5-c3' && (maps !== 6 || outMaps !== 16)) {
            throw new DescriptionError(`${path}.connections`, `expected 6 input maps and 16 output maps for 'lenet5-c3' (LeCun et al. 1998, Table I), got ${maps} → ${outMaps}`);
          }
          if ((connections === 'pairs' && maps < 2) || (connections === 'triplets' && maps < 3)) {
            throw new DescriptionError(`${path}.connections`, `expected at least ${connections === 'pairs' ? 2 : 3} input maps for '${connections}', got ${maps}`);
          }
          try {
            inputSets(connections, maps, outMaps);
          } catch (e) {
            throw new DescriptionError(`${path}.connections`, (e as Error).message);
          }
          layers.push({ type, name: lname, maps: outMaps, kernel, activation, connections, init, pad, stride });
        } else {
          const kernels = oneOf(raw, 'kernels', path, ['shared', 'pair'] as const, 'shared');
          const penalty = resolvePenalty(raw.penalty, `${path}.penalty`);
          const cInit = finiteNumber(raw, 'cInit', path, 1);
          if (cInit < 0) throw new DescriptionError(`${path}.cInit`, `expected a non-negative number, got ${cInit}`);
          layers.push({ type, name: lname, maps: outMaps, kernel, activation, kernels, penalty, init, cInit, pad, stride });
        }
        shape = [outMaps, convOutputSize(h, kernel, pad, stride), convOutputSize(w, kernel, pad, stride)];
        break;
      }
      case 'subsample': {
        checkKeys(raw, path, ['type', 'name', 'factor', 'down', 'beta', 'betaInit', 'bias', 'activation']);
        const factor = positiveInt(raw, 'factor', path);
        if (h % factor !== 0 || w % factor !== 0) {
          throw new DescriptionError(`${path}.factor`, `expected a factor that divides the ${h}×${w} input maps, got ${factor}`);
        }
        const down = oneOf(raw, 'down', path, DOWNS, 'sum');
        const beta = oneOf(raw, 'beta', path, ['trainable', 'fixed'] as const, 'trainable');
        // β·down() starts as a mean (β = 1/n²) for block sums, as the identity for decimation and maxima.
        const betaInit = finiteNumber(raw, 'betaInit', path, down === 'sum' ? 1 / (factor * factor) : 1);
        const bias = boolField(raw, 'bias', path, true);
        const activation = oneOf(raw, 'activation', path, ACTIVATIONS, 'sigmoid');
        layers.push({ type, name: lname, factor, down, beta, betaInit, bias, activation });
        shape = [maps, h / factor, w / factor];
        break;
      }
      case 'full': {
        checkKeys(raw, path, ['type', 'name', 'units', 'activation', 'init']);
        const units = positiveInt(raw, 'units', path);
        const activation = oneOf(raw, 'activation', path, ACTIVATIONS);
        const init = resolveInit(raw.init, `${path}.init`, defaultInit);
        layers.push({ type, name: lname, units, activation, init });
        shape = [units, 1, 1];
        break;
      }
      case 'batchnorm': {
        checkKeys(raw, path, ['type', 'name', 'epsilon', 'momentum', 'activation']);
        const epsilon = finiteNumber(raw, 'epsilon', path, 1e-5);
        if (!(epsilon > 0)) throw new DescriptionError(`${path}.epsilon`, `expected a positive number, got ${epsilon}`);
        const momentum = finiteNumber(raw, 'momentum', path, 0.1);
        if (!(momentum > 0 && momentum <= 1)) throw new DescriptionError(`${path}.momentum`, `expected a number in (0, 1], got ${momentum}`);
        const activation = oneOf(raw, 'activation', path, ACTIVATIONS, 'identity');
        layers.push({ type, name: lname, epsilon, momentum, activation });
        break;
      }
      case 'dropout': {
        checkKeys(raw, path, ['type', 'name', 'rate']);
        const rate = raw.rate;
        if (rate === undefined) throw new DescriptionError(`${path}.rate`, 'expected a number in [0, 1), but the field is missing');
        if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate >= 1) {
          throw new DescriptionError(`${path}.rate`, `expected a number in [0, 1), got ${str(rate)}`);
        }
        layers.push({ type, name: lname, rate });
        break;
      }
    }
    checkShape(shape, path);
    shapes.push(shape);
  });
  const names = new Set<string>();
  layers.forEach((l, i) => {
    if (names.has(l.name)) throw new DescriptionError(`layers[${i}].name`, `expected a unique layer name, "${l.name}" is used twice`);
    names.add(l.name);
  });

  const loss = oneOf(value, 'loss', '', LOSSES);
  const last = layers[layers.length - 1];
  const lastAct = 'activation' in last ? last.activation : 'identity';
  let targets: [number, number] = lastAct === 'tanh' || lastAct === 'lecun' ? [-1, 1] : [0, 1];
  if (value.targets !== undefined) {
    const t = value.targets;
    if (!Array.isArray(t) || t.length !== 2 || !t.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new DescriptionError('targets', `expected [off, on] as two finite numbers, got ${str(t)}`);
    }
    targets = [t[0], t[1]];
  }
  const codes = value.codes === undefined || value.codes === null ? null : resolveCodes(value.codes, loss, shapeSize(shapes[shapes.length - 1]));
  let labelSmoothing: number | undefined;
  if (value.labelSmoothing !== undefined) {
    const e = value.labelSmoothing;
    if (typeof e !== 'number' || !Number.isFinite(e) || e < 0 || e >= 1) throw new DescriptionError('labelSmoothing', `expected a number in [0, 1), got ${str(e)}`);
    if (loss !== 'cross-entropy') throw new DescriptionError('labelSmoothing', `expected loss "cross-entropy" with label smoothing, got loss "${loss}"`);
    labelSmoothing = e;
  }
  const classNames = value.classNames === undefined ? undefined : resolveClassNames(value.classNames, codes ? codes.length : shapeSize(shapes[shapes.length - 1]));
  return {
    name, input: [input[0], input[1], input[2]], seed, layers, loss, targets, codes,
    ...(labelSmoothing === undefined ? {} : { labelSmoothing }), ...(classNames === undefined ? {} : { classNames }), shapes,
  };
}

/** One distinct, non-empty name per class. */
function resolveClassNames(raw: unknown, classes: number): string[] {
  if (!Array.isArray(raw) || raw.length !== classes) throw new DescriptionError('classNames', `expected ${classes} class names (one per class), got ${str(raw)}`);
  const seen = new Set<string>();
  raw.forEach((n, c) => {
    if (typeof n !== 'string' || n.length === 0) throw new DescriptionError(`classNames[${c}]`, `expected a non-empty string, got ${str(n)}`);
    if (seen.has(n)) throw new DescriptionError(`classNames[${c}]`, `expected distinct names, got "${n}" twice`);
    seen.add(n);
  });
  return [...raw] as string[];
}

function resolveCodes(raw: unknown, loss: LossName, outputs: number): number[][] {
  if (loss !== 'mse') throw new DescriptionError('codes', `expected loss "mse" with class codes (the target is the class's code), got loss "${loss}"`);
  if (!Array.isArray(raw) || raw.length < 2) throw new DescriptionError('codes', `expected a list of at least 2 class codes, got ${str(raw)}`);
  return raw.map((code: unknown, c: number) => {
    const path = `codes[${c}]`;
    if (!Array.isArray(code)) throw new DescriptionError(path, `expected a list of ${outputs} numbers or strings of X and ., got ${str(code)}`);
    let values: number[];
    if (code.every((v) => typeof v === 'string')) {
      const bits = (code as string[]).join('');
      if (!/^[X.]*$/.test(bits)) throw new DescriptionError(path, `expected strings of X (+1) and . (−1) only, got ${str(code)}`);
      values = Array.from(bits, (ch) => (ch === 'X' ? 1 : -1));
    } else if (code.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      values = code as number[];
    } else {
      throw new DescriptionError(path, `expected all numbers or all strings of X and ., got ${str(code)}`);
    }
    if (values.length !== outputs) throw new DescriptionError(path, `expected ${outputs} values (one per network output), got ${values.length}`);
    return values;
  });
}

export function shapeSize(s: Shape): number {
  return s[0] * s[1] * s[2];
}
