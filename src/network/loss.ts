// §4.3 Error functions (docs/SPEC.md §4.3; the batch mean: §4.1).
//
// ONE CONVENTION, used everywhere (training, evaluation, gradient checks): the error of a batch is
// the MEAN over its B patterns of the per-pattern error E^n. The notes write the sum; the mean keeps a
// learning rate meaningful whatever the batch size, and online training (B = 1) is exactly the notes'.
// Penalties (§3.3.1) are added once per batch on top of the mean.
//
//   mse:           E^n = ½ Σ_k (y_k − t_k)²            ∂E^n/∂y = y − t
//   cross-entropy: E^n = −Σ_k t_k log softmax(y)_k     ∂E^n/∂y = softmax(y) − t
//   label smoothing ε (cross-entropy): t_k = (1 − ε)[k = label] + ε/K over the K outputs
//
// Targets are one-hot class labels, written as [off, on] values for mse (0/1 after a sigmoid, ±1 after
// tanh) and as probabilities 0/1 for cross-entropy (whose softmax is part of the loss, so the last
// layer's activation is usually the identity).

import { LOSSES, type LossName } from './description.js';
import * as check from '../util/validate.js';

export type Labels = ArrayLike<number>;

/**
 * Mean loss over the batch; writes ∂E/∂y (already divided by B) into dy when given.
 * y and dy are [batch][classes].
 */
export function lossAndGradient(
  loss: LossName, targets: readonly [number, number], y: Float64Array, labels: Labels,
  batch: number, classes: number, dy: Float64Array | null, codes: readonly (readonly number[])[] | null = null,
  smoothing = 0,
): number {
  check.oneOf(loss, 'loss', LOSSES);
  check.finite(smoothing, 'smoothing', 0, 1, 'a number in [0, 1)');
  if (smoothing === 1) check.fail('smoothing', 'a number in [0, 1)', smoothing);
  check.batchSize(batch, 'batch');
  check.integer(classes, 'classes', 1);
  if (!Array.isArray(targets) || targets.length !== 2 || !targets.every(Number.isFinite)) check.fail('targets', '[off, on] as two finite numbers', targets);
  check.floats(y, 'y', batch * classes, `a Float64Array of batch × classes = ${batch * classes} outputs`);
  if (dy !== null) check.floats(dy, 'dy', batch * classes, `null or a Float64Array of batch × classes = ${batch * classes} values`);
  if (codes !== null && (!Array.isArray(codes) || !codes.every((c) => Array.isArray(c) && c.length === classes))) check.fail('codes', `null or class codes of ${classes} values each`, codes);
  if (!((ArrayBuffer.isView(labels) && !(labels instanceof DataView)) || Array.isArray(labels)) || labels.length < batch) check.fail('labels', `${batch} class labels (one per pattern of the batch)`, labels);
  let total = 0;
  const invB = 1 / batch;
  const [off, on] = targets;
  const labelCount = codes ? codes.length : classes;
  for (let b = 0; b < batch; b++) {
    const label = labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= labelCount) {
      throw new check.ArgumentError(`labels[${b}]`, `expected a class index in [0, ${labelCount - 1}], got ${label}`);
    }
    const o = b * classes;
    if (loss === 'mse') {
      // with class codes (LeCun et al.'s RBF output) the target is the label's code
      const code = codes ? codes[label] : null;
      let e = 0;
      for (let k = 0; k < classes; k++) {
        const r = y[o + k] - (code ? code[k] : k === label ? on : off);
        e += r * r;
        if (dy) dy[o + k] = r * invB;
      }
      total += 0.5 * e;
    } else {
      let max = -Infinity;
      for (let k = 0; k < classes; k++) if (y[o + k] > max) max = y[o + k];
      let s = 0;
      for (let k = 0; k < classes; k++) s += Math.exp(y[o + k] - max);
      const logZ = max + Math.log(s);
      if (smoothing === 0) {
        total += logZ - y[o + label];
        if (dy) for (let k = 0; k < classes; k++) dy[o + k] = (Math.exp(y[o + k] - logZ) - (k === label ? 1 : 0)) * invB;
      } else {
        // E^n = −Σ t_k (y_k − logZ) = logZ − Σ t_k y_k (Σ t_k = 1)
        const off = smoothing / classes, on = 1 - smoothing + off;
        let ty = 0;
        for (let k = 0; k < classes; k++) ty += (k === label ? on : off) * y[o + k];
        total += logZ - ty;
        if (dy) for (let k = 0; k < classes; k++) dy[o + k] = (Math.exp(y[o + k] - logZ) - (k === label ? on : off)) * invB;
      }
    }
  }
  return total * invB;
}

/**
 * §4.2 The output end of the diagonal Gauss-Newton (curvature) pass: writes into h [batch][classes]
 * h_y = ∂²E^n/∂y_k² of each pattern's error, divided by B like the gradient, so the pass returns the
 * MEAN over the batch of the per-pattern curvature.
 *   mse:           E^n = ½ Σ_k (y_k − t_k)²           ⇒ h_y = 1 for every output
 *   cross-entropy: E^n = −Σ_k t_k log softmax(y)_k     ⇒ the Hessian w.r.t. the logits y is
 *                  diag(p) − p pᵀ (p = softmax(y)); its diagonal p_k (1 − p_k) is kept and the
 *                  off-diagonal −p_k p_l dropped, as LeCun's diagonal approximation does.
 * Neither depends on the targets (both are already Gauss-Newton: the loss is convex in y); labels
 * are validated as lossAndGradient does, so the two accept the same calls.
 */
export function lossCurvature(
  loss: LossName, y: Float64Array, labels: Labels, batch: number, classes: number, h: Float64Array,
): void {
  const invB = 1 / batch;
  for (let b = 0; b < batch; b++) {
    const label = labels[b];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new check.ArgumentError(`labels[${b}]`, `expected a class index in [0, ${classes - 1}], got ${label}`);
    }
    const o = b * classes;
    if (loss === 'mse') {
      h.fill(invB, o, o + classes);
    } else {
      // p_k = e_k / s with e_k = exp(y_k − max). 1 − p_k is computed as (s − e_k)/s for every k but the
      // largest, whose p may be within rounding of 1: its 1 − p is Σ_{l≠k} e_l / s, without cancellation.
      let top = 0;
      for (let k = 1; k < classes; k++) if (y[o + k] > y[o + top]) top = k;
      const max = y[o + top];
      let rest = 0;
      for (let k = 0; k < classes; k++) if (k !== top) rest += Math.exp(y[o + k] - max);
      const s = 1 + rest;
      for (let k = 0; k < classes; k++) {
        const p = Math.exp(y[o + k] - max) / s;
        h[o + k] = p * (k === top ? rest / s : 1 - p) * invB;
      }
    }
  }
}

/** Number of classes a network tells apart: its codes, else its outputs. */
export function classCount(d: { codes: readonly (readonly number[])[] | null }, outputs: number): number {
  return d.codes ? d.codes.length : outputs;
}

/**
 * The class scores of output row `row` (of `outputs` values): the outputs themselves, or with class
 * codes −½‖y − code_c‖² (the RBF units' outputs, negated so that the largest score wins).
 */
export function classScores(
  codes: readonly (readonly number[])[] | null, y: ArrayLike<number>, row: number, outputs: number, scores: Float64Array,
): void {
  const o = row * outputs;
  if (!codes) {
    for (let k = 0; k < outputs; k++) scores[k] = y[o + k];
    return;
  }
  for (let c = 0; c < codes.length; c++) scores[c] = -0.5 * squaredDistance(codes[c], y, o, outputs);
}

/** ‖y[o .. o+n) − code‖². */
function squaredDistance(code: readonly number[], y: ArrayLike<number>, o: number, n: number): number {
  let d = 0;
  for (let k = 0; k < n; k++) {
    const r = y[o + k] - code[k];
    d += r * r;
  }
  return d;
}

/** The predicted class of output row `row`: the largest output, or the nearest code (first on ties). */
export function predictClass(codes: readonly (readonly number[])[] | null, y: ArrayLike<number>, row: number, outputs: number): number {
  const o = row * outputs;
  if (!codes) {
    let best = 0;
    for (let k = 1; k < outputs; k++) if (y[o + k] > y[o + best]) best = k;
    return best;
  }
  let best = 0;
  let bestD = Infinity;
  for (let c = 0; c < codes.length; c++) {
    const d = squaredDistance(codes[c], y, o, outputs);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
