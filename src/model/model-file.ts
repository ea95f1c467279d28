// convnotes' model file: a safetensors file whose tensors are the network's parameter views, named as
// the views are (`C1.kernel`, `S2.beta`, `F5.weights`, …) with their logical shapes, plus optional
// optimiser state as flat `state.<key>` tensors; its metadata says what the numbers are: the format
// and its version, the resolved description, and, when given, the training recipe and state as JSON.
// docs/MODEL-FORMAT.md describes it for readers in other languages. Browser-safe: the node:fs side
// is model-io.ts.

import {
  DescriptionError, isResolvedDescription, resolveDescription, type NetworkDescription, type ResolvedDescription,
} from '../network/description.js';
import type { ParamView } from '../layers/layer.js';
import { ModelFileError } from './errors.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from './safetensors.js';
import { paramCount, paramViews } from './views.js';

export const MODEL_FORMAT = 'convnotes-model';
export const MODEL_VERSION = 1;
/** Tensor names of optimiser state start with this; the rest of the name is the state's key. */
export const STATE_PREFIX = 'state.';

export type ParamArray = Float32Array | Float64Array;
export type FloatDtype = 'F32' | 'F64';

export interface ModelFile {
  description: NetworkDescription | ResolvedDescription;
  /** The network's flat parameter array (Network.params, FastNetwork.params, or a copy). */
  params: ParamArray;
  /** The network's views of `params`; they must be the layout the description implies. */
  views: readonly ParamView[];
  /** How the model was trained (JSON-able; stored as JSON). */
  recipe?: unknown;
  /** Where training stands: epoch, step, RNG state, … (JSON-able; stored as JSON). */
  training?: unknown;
  /** Optimiser arrays laid out like `params` (velocity, curvature, …), of the same type and length. */
  state?: Record<string, ParamArray>;
}

export interface LoadedModel {
  description: ResolvedDescription;
  params: ParamArray;
  dtype: FloatDtype;
  recipe?: unknown;
  training?: unknown;
  state: Record<string, ParamArray>;
}

function floatDtype(a: unknown, what: string): FloatDtype {
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof Float64Array) return 'F64';
  throw new TypeError(`${what}: expected a Float32Array or Float64Array, got ${describeValue(a)}`);
}

function describeValue(a: unknown): string {
  if (typeof a === 'object' && a !== null) return a.constructor?.name ?? 'an object';
  return typeof a;
}

/**
 * JSON text of a recipe or training state. Refuses what JSON would silently change: non-finite numbers
 * (→ null), typed arrays (→ {"0": …}), Maps and Sets (→ {}), functions and symbols (dropped).
 */
function toJson(value: unknown, field: string): string {
  const json = JSON.stringify(value, (key: string, v: unknown) => {
    const where = key === '' ? field : `${field} field "${key}"`;
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`${where}: ${v} has no JSON form`);
    if (ArrayBuffer.isView(v)) throw new TypeError(`${where}: a ${describeValue(v)} would be stored as an object; convert it with Array.from`);
    if (v instanceof Map || v instanceof Set) throw new TypeError(`${where}: a ${describeValue(v)} has no JSON form`);
    if (typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`${where}: a ${typeof v} has no JSON form`);
    return v;
  });
  if (json === undefined) throw new TypeError(`${field}: ${typeof value} has no JSON form`);
  return json;
}

/** What is stored of a resolved description: everything but the shapes, which resolution derives again
 *  (and which resolveDescription, rightly strict about unknown fields, would reject). */
function storedDescription(d: ResolvedDescription): Omit<ResolvedDescription, 'shapes'> {
  const { shapes: _derived, ...stored } = d;
  return stored;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** Serialises a model; throws TypeError/RangeError for a model that does not hold together. */
export function encodeModel(m: ModelFile): Uint8Array {
  const description = isResolvedDescription(m.description) ? m.description : resolveDescription(m.description);
  const views = paramViews(description);
  const total = paramCount(views);
  const dtype = floatDtype(m.params, 'params');
  if (m.params.length !== total) {
    throw new RangeError(`params: the description "${description.name}" has ${total} parameters, got an array of ${m.params.length}`);
  }
  if (m.views.length !== views.length) {
    throw new RangeError(`views: the description "${description.name}" has ${views.length} parameter views, got ${m.views.length}`);
  }
  m.views.forEach((v, i) => {
    const e = views[i];
    if (v.name !== e.name || v.offset !== e.offset || v.length !== e.length || !sameShape(v.shape, e.shape)) {
      throw new RangeError(
        `views[${i}]: "${v.name}" ${shapeText(v.shape)} at offset ${v.offset} is not the description's "${e.name}" ${shapeText(e.shape)} at offset ${e.offset}`,
      );
    }
  });

  const tensors: Record<string, Tensor> = {};
  for (const v of views) tensors[v.name] = { dtype, shape: [...v.shape], data: m.params.subarray(v.offset, v.offset + v.length) };
  for (const [key, array] of Object.entries(m.state ?? {})) {
    const name = STATE_PREFIX + key;
    if (key === '') throw new RangeError('state: a key must not be empty');
    if (Object.hasOwn(tensors, name)) throw new RangeError(`state "${key}": its tensor name "${name}" is a parameter view's`);
    if (floatDtype(array, `state "${key}"`) !== dtype) {
      throw new TypeError(`state "${key}": a ${describeValue(array)}, but params is a ${describeValue(m.params)}: one dtype for all`);
    }
    if (array.length !== total) throw new RangeError(`state "${key}": expected ${total} values (one per parameter), got ${array.length}`);
    tensors[name] = { dtype, shape: [total], data: array };
  }

  const metadata: Record<string, string> = {
    format: MODEL_FORMAT,
    version: String(MODEL_VERSION),
    description: JSON.stringify(storedDescription(description)),
  };
  if (m.recipe !== undefined) metadata.recipe = toJson(m.recipe, 'recipe');
  if (m.training !== undefined) metadata.training = toJson(m.training, 'training');
  return encodeSafetensors(tensors, metadata);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Any positive integer, as resolveDescription accepts: one beyond 2^53 (1.8e19 from a corrupt digit
 *  run, say) must meet the size checks below, not slip past them into an endless enumeration. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

/**
 * Resolving a description and laying out its views costs time and memory in proportion to its layer
 * sizes (a connection table of I·J entries, all C(I, k) subsets for `pairs`/`triplets`), which a
 * corrupt file could make enormous. Every output map and unit owns at least one bias, and an `all`
 * table or a learned combination at least one value per (input, output) pair, so a description
 * claiming more than the file's `budget` stored values cannot be this file's and is refused before
 * resolution. Returns what is wrong, or null (invalid fields are left to resolveDescription).
 */
function tooLargeForFile(raw: unknown, budget: number): string | null {
  if (!isObject(raw) || !Array.isArray(raw.layers)) return null;
  const needs = (path: string, what: string, count: number) =>
    `${path}: ${what} needs at least ${count} parameters, but the file stores ${budget} values in all`;
  let maps: unknown = Array.isArray(raw.input) ? raw.input[0] : undefined;
  for (const [index, layer] of raw.layers.entries()) {
    if (!isObject(layer)) return null;
    const path = `layers[${index}]`;
    if (layer.type === 'conv' || layer.type === 'combination') {
      const out = layer.maps;
      if (!isCount(out)) return null;
      if (out > budget) return needs(`${path}.maps`, `${out} output maps`, out);
      const table = layer.type === 'conv' ? (layer.connections ?? 'all') : 'all';
      if (isCount(maps)) {
        if (table === 'all' && maps * out > budget) return needs(path, `${maps} × ${out} input-output pairs`, maps * out);
        if (table === 'pairs' || table === 'triplets') {
          const subsets = table === 'pairs' ? (maps * (maps - 1)) / 2 : (maps * (maps - 1) * (maps - 2)) / 6;
          if (subsets > Math.max(budget, 1 << 20)) return `${path}.connections: ${maps} input maps have ${subsets} ${table}, too many to enumerate for a file of ${budget} values`;
        }
      }
      maps = out;
    } else if (layer.type === 'full') {
      if (!isCount(layer.units)) return null;
      if (layer.units > budget) return needs(`${path}.units`, `${layer.units} units`, layer.units);
      maps = layer.units;
    } else if (layer.type !== 'subsample' && layer.type !== 'batchnorm' && layer.type !== 'dropout') {
      return null;
    }
  }
  return null;
}

/** Parses a model file's bytes; `file` only names the source in errors (every one a ModelFileError). */
export function decodeModel(bytes: Uint8Array, file: string): LoadedModel {
  const bad = (message: string) => new ModelFileError(file, message);
  const { tensors, metadata } = decodeSafetensors(bytes, file);
  const field = (key: string): string | undefined => (Object.hasOwn(metadata, key) ? metadata[key] : undefined);
  const jsonField = (key: string): unknown => {
    try {
      return JSON.parse(field(key)!);
    } catch (e) {
      throw bad(`metadata "${key}" is not valid JSON (${(e as Error).message})`);
    }
  };

  const format = field('format');
  if (format === undefined) throw bad(`not a convnotes model: the safetensors metadata has no "format" field (expected "${MODEL_FORMAT}")`);
  if (format !== MODEL_FORMAT) throw bad(`metadata "format" is ${JSON.stringify(format)}, expected "${MODEL_FORMAT}"`);
  const version = field('version');
  if (version === undefined) throw bad('the metadata has no "version" field');
  if (!/^(0|[1-9][0-9]*)$/.test(version)) throw bad(`metadata "version" is ${JSON.stringify(version)}, expected an integer`);
  if (Number(version) !== MODEL_VERSION) throw bad(`format version ${version} is not supported (this convnotes reads version ${MODEL_VERSION})`);

  if (field('description') === undefined) throw bad('the metadata has no "description" field');
  const raw = jsonField('description');
  const stored = Object.values(tensors).reduce((n, t) => n + t.data.length, 0);
  const tooLarge = tooLargeForFile(raw, stored);
  if (tooLarge !== null) throw bad(`metadata "description", field ${tooLarge}`);
  let description: ResolvedDescription;
  try {
    description = resolveDescription(raw);
  } catch (e) {
    if (!(e instanceof DescriptionError)) throw e;
    const reason = e.message.startsWith(`${e.path}: `) ? e.message.slice(e.path.length + 2) : e.message;
    throw bad(`metadata "description", field ${e.path}: ${reason}`);
  }

  const views = paramViews(description);
  const total = paramCount(views);
  // The first float tensor sets the dtype; every other must share it.
  const shared: { dtype: FloatDtype | null; source: string } = { dtype: null, source: '' };
  const takeDtype = (name: string, t: Tensor): ParamArray => {
    if (t.dtype !== 'F32' && t.dtype !== 'F64') throw bad(`tensor "${name}" is ${t.dtype}, expected F32 or F64`);
    if (shared.dtype === null) {
      shared.dtype = t.dtype;
      shared.source = name;
    } else if (t.dtype !== shared.dtype) {
      throw bad(`tensor "${name}" is ${t.dtype} but "${shared.source}" is ${shared.dtype}: every parameter and state tensor must share one dtype`);
    }
    return t.data as ParamArray;
  };
  for (const v of views) {
    if (!Object.hasOwn(tensors, v.name)) throw bad(`no tensor "${v.name}": layer ${v.layer} of the description needs its ${v.kind} ${shapeText(v.shape)}`);
    const t = tensors[v.name];
    takeDtype(v.name, t);
    if (!sameShape(t.shape, v.shape)) throw bad(`tensor "${v.name}" has shape ${shapeText(t.shape)}, the description needs ${shapeText(v.shape)}`);
  }
  const viewNames = new Set(views.map((v) => v.name));
  const state: Record<string, ParamArray> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (viewNames.has(name)) continue;
    if (!name.startsWith(STATE_PREFIX) || name.length === STATE_PREFIX.length) {
      throw bad(`unknown tensor "${name}": neither a parameter of the description nor optimiser state (${STATE_PREFIX}<key>)`);
    }
    const data = takeDtype(name, t);
    if (!sameShape(t.shape, [total])) throw bad(`tensor "${name}" has shape ${shapeText(t.shape)}, expected [${total}] (one value per parameter)`);
    // defineProperty, so that even a key like "__proto__" becomes an own entry.
    Object.defineProperty(state, name.slice(STATE_PREFIX.length), { value: data, enumerable: true, writable: true, configurable: true });
  }

  // A network without parameters and without state stores no tensor to take the dtype from.
  const dtype: FloatDtype = shared.dtype ?? 'F64';
  const params = dtype === 'F32' ? new Float32Array(total) : new Float64Array(total);
  for (const v of views) params.set(tensors[v.name].data, v.offset);

  const model: LoadedModel = { description, params, dtype, state };
  if (field('recipe') !== undefined) model.recipe = jsonField('recipe');
  if (field('training') !== undefined) model.training = jsonField('training');
  return model;
}
