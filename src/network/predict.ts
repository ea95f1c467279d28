// What a trained network says about a batch of patterns, as the CLI prints it (`convnotes predict`)
// and the ONNX graph outputs it: each pattern's class, its class scores and, for a cross-entropy
// network, its class probabilities. `forward` gives the last layer's values, which for a
// cross-entropy network are the logits: the softmax is part of its loss (§4.3, loss.ts), so it is
// applied here, as the ONNX export ends such a network with a Softmax node.

import { fillBatch, type Dataset, type Normalisation } from '../data/dataset.js';
import { softmaxRows } from '../layers/combination.js';
import { classCount, classScores, predictClass } from './loss.js';
import { checkEvaluable, type Evaluable } from '../train/evaluate.js';
import * as check from '../util/validate.js';

export interface Predictions {
  /** Patterns predicted. */
  batch: number;
  /** Classes the network tells apart (its outputs, or its class codes). */
  classCount: number;
  /** The predicted class of each pattern: the largest output, or the nearest class code. */
  classes: Int32Array;
  /** [batch][classCount] class scores: the outputs (logits for cross-entropy), or −½‖y − code‖² with class codes. */
  scores: Float64Array;
  /** [batch][classCount] softmax of the scores for a cross-entropy network (what the CLI prints and the ONNX graph outputs); null for squared error. */
  probabilities: Float64Array | null;
}

/**
 * Runs `net` forward over `batch` patterns of `input` ([batch][maps][h][w]: a Float64Array for the
 * float64 Network, either precision for the wasm engine) and returns each pattern's class, scores and,
 * for cross-entropy networks, probabilities.
 */
export function predict(net: Evaluable, input: Float32Array | Float64Array, batch: number): Predictions {
  checkEvaluable(net, 'net');
  check.batchSize(batch, 'batch', net.maxBatch ?? Infinity);
  const n = batch * net.inputSize;
  const precision = net.params instanceof Float64Array ? 'a Float64Array' : 'a Float32Array or Float64Array';
  if (net.params instanceof Float64Array ? !(input instanceof Float64Array) : !(input instanceof Float32Array || input instanceof Float64Array)) {
    check.fail('input', `${precision} of batch × ${net.description.input.join('×')} = ${n} values`, input);
  }
  check.floats(input, 'input', n, `${precision} of batch × ${net.description.input.join('×')} = ${n} values`);
  const d = net.description;
  const outputs = net.outputSize;
  const classes = classCount(d, outputs);
  const y = net.forward(input, batch);
  const scores = new Float64Array(batch * classes);
  const predicted = new Int32Array(batch);
  const row = new Float64Array(classes);
  for (let b = 0; b < batch; b++) {
    classScores(d.codes, y, b, outputs, row);
    scores.set(row, b * classes);
    predicted[b] = predictClass(d.codes, y, b, outputs);
  }
  return { batch, classCount: classes, classes: predicted, scores, probabilities: d.loss === 'cross-entropy' ? softmaxed(scores, batch, classes) : null };
}

/** Row-wise softmax of [rows][cols] scores into a new array (§3.3's softmaxRows, the one the layers use). */
function softmaxed(scores: Float64Array, rows: number, cols: number): Float64Array {
  const p = new Float64Array(rows * cols);
  softmaxRows(scores, rows, cols, p);
  return p;
}

/**
 * The class probabilities of a cross-entropy network over `batch` patterns of `input`, [batch][classes]:
 * the softmax of its outputs (its logits), what `convnotes predict` prints and the ONNX graph outputs.
 */
export function probabilities(net: Evaluable, input: Float32Array | Float64Array, batch: number): Float64Array {
  checkEvaluable(net, 'net');
  if (net.description.loss !== 'cross-entropy') {
    check.fail('net.description.loss', '"cross-entropy" (a squared-error network\'s outputs are its scores: predict(net, …).scores)', net.description.loss);
  }
  return predict(net, input, batch).probabilities as Float64Array;
}

/** One image's prediction, as `convnotes predict` prints it. */
export interface ImagePrediction {
  /** The image's index in the dataset. */
  index: number;
  class: number;
  scores: number[];
  probabilities?: number[];
}

/**
 * predict() over the images `indices` of `data`, placed and normalised by fillBatch as for training
 * and evaluation, at most `net.maxBatch` (else 500) at a time.
 */
export function predictImages(net: Evaluable, data: Dataset, indices: readonly number[], normalisation: Normalisation): ImagePrediction[] {
  const [, height, width] = net.description.input;
  const capacity = Math.min(indices.length, net.maxBatch ?? 500, 500);
  const x = net.params instanceof Float64Array ? new Float64Array(capacity * net.inputSize) : new Float32Array(capacity * net.inputSize);
  const labels = new Uint8Array(capacity);
  const out: ImagePrediction[] = [];
  for (let start = 0; start < indices.length; start += capacity) {
    const b = Math.min(capacity, indices.length - start);
    fillBatch(data, indices as number[], start, b, height, width, normalisation, x, labels);
    const r = predict(net, x, b);
    const classes = r.classCount;
    for (let n = 0; n < b; n++) {
      const row = (a: Float64Array) => Array.from(a.subarray(n * classes, (n + 1) * classes));
      const p: ImagePrediction = { index: indices[start + n], class: r.classes[n], scores: row(r.scores) };
      if (r.probabilities) p.probabilities = row(r.probabilities);
      out.push(p);
    }
  }
  return out;
}
