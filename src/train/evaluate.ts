// Error rate, mean loss and confusion matrix of a network on a set of patterns, on either backend.
import { checkDataset, checkIndices, checkLabels, checkNormalisation, fillBatch, type Dataset, type Normalisation } from '../data/dataset.js';
import type { ResolvedDescription } from '../network/description.js';
import { classCount, lossAndGradient, predictClass } from '../network/loss.js';
import * as check from '../util/validate.js';

/** What evaluation needs of a network: a forward pass over up to `capacity` patterns. */
export interface Evaluable {
  readonly description: ResolvedDescription;
  readonly inputSize: number;
  readonly outputSize: number;
  /** Its parameters' precision decides the input's (float64 for the reference path). */
  readonly params: Float32Array | Float64Array;
  /** The largest batch it takes (the wasm engine's planned batch); none: any. */
  readonly maxBatch?: number;
  forward(input: Float32Array | Float64Array, batch: number): Float32Array | Float64Array;
}

export interface Evaluation {
  /** Fraction misclassified (the largest output is the predicted class). */
  error: number;
  /** Mean per-pattern loss (§4.3), penalties excluded. */
  loss: number;
  count: number;
  /** confusion[true·classes + predicted]: counts. */
  confusion: Uint32Array;
}

/** The class of each output row: the index of its largest value (the first on ties). */
export function argmax(y: ArrayLike<number>, row: number, classes: number): number {
  check.integer(classes, 'classes', 1);
  check.integer(row, 'row', 0);
  check.numbers(y, 'y', (row + 1) * classes, `at least (row + 1) × classes = ${(row + 1) * classes} values`);
  let best = 0;
  const o = row * classes;
  for (let k = 1; k < classes; k++) if (y[o + k] > y[o + best]) best = k;
  return best;
}

/** The batch evaluation runs at when not told: 100, or less if the network was laid out for less. */
export const EVALUATION_BATCH = 100;

/** Checks `net` is a network evaluate() and predict() can run (either backend's). */
export function checkEvaluable(v: unknown, path: string): Evaluable {
  const n = check.object(v, path, 'a network (Network, FastNetwork or createNetwork\'s)');
  if (typeof n.forward !== 'function' || !check.isObject(n.description) || typeof n.inputSize !== 'number' || typeof n.outputSize !== 'number'
    || !(n.params instanceof Float32Array || n.params instanceof Float64Array)) {
    check.fail(path, 'a network (Network, FastNetwork or createNetwork\'s)', v);
  }
  return v as unknown as Evaluable;
}

/**
 * Error rate, mean loss and confusion matrix of `net` on patterns `indices` of `data`. `batch` is
 * how many patterns go through one forward pass (default 100); it is fitted to the network, so a
 * network laid out for fewer (FastNetwork's planned batch) runs at its own.
 */
export function evaluate(net: Evaluable, data: Dataset, indices: ArrayLike<number>, norm: Normalisation, batch = EVALUATION_BATCH): Evaluation {
  checkEvaluable(net, 'net');
  checkDataset(data, 'data');
  checkIndices(indices, 'indices', data.count);
  checkNormalisation(norm, 'norm');
  check.batchSize(batch, 'batch');
  batch = Math.min(batch, net.maxBatch ?? Infinity);
  const [, h, w] = net.description.input;
  const outputs = net.outputSize;
  const codes = net.description.codes;
  const classes = classCount(net.description, outputs);
  checkLabels(data, 'data', classes, indices);
  const x = net.params instanceof Float64Array ? new Float64Array(batch * net.inputSize) : new Float32Array(batch * net.inputSize);
  const labels = new Uint8Array(batch);
  const y64 = new Float64Array(batch * outputs);
  const confusion = new Uint32Array(classes * classes);
  let wrong = 0;
  let loss = 0;
  for (let start = 0; start < indices.length; start += batch) {
    const b = Math.min(batch, indices.length - start);
    fillBatch(data, indices, start, b, h, w, norm, x, labels);
    const y = net.forward(x, b);
    for (let i = 0; i < b * outputs; i++) y64[i] = y[i];
    loss += lossAndGradient(net.description.loss, net.description.targets, y64, labels, b, outputs, null, codes, net.description.labelSmoothing ?? 0) * b;
    for (let n = 0; n < b; n++) {
      const predicted = predictClass(codes, y, n, outputs);
      confusion[labels[n] * classes + predicted]++;
      if (predicted !== labels[n]) wrong++;
    }
  }
  const count = indices.length;
  return { error: count ? wrong / count : 0, loss: count ? loss / count : 0, count, confusion };
}

/** 0, 1, …, n−1. */
export function range(n: number): Uint32Array {
  check.integer(n, 'n', 0);
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}
