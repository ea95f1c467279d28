// §4.4 Checking your work with finite differences: estimate each gradient from the central difference
//
//     ∂Ẽ/∂w ≈ (Ẽ(w+h) − Ẽ(w−h)) / 2h
//
// and compare it with backpropagation's. Everything runs in float64. Specification: docs/SPEC.md §4.4.
//
// A single difference has two errors: truncation, ≈ h²·|E‴|/6, and rounding, ≈ 1e-16·|E|/h. No one h
// makes both small enough to check a gradient of 1e-8 to a relative 1e-6 (measured on LeNet-5: worst
// relative errors 3e-4 … 3e-2 for h = 1e-4 … 1e-6). So by default (`method: "extrapolated"`) the
// central difference is taken at h0, h0/1.4, h0/1.4², … and extrapolated to h → 0 with Richardson's
// tableau (Ridders' method): truncation is removed order by order while the steps stay large enough
// for rounding to stay near 1e-16·|E|/h0. `method: "central"` is the notes' single difference.
//
// The error reported is   relative error = |a − n| / max(|a|, |n|, floor)
// with a backpropagation's value and n the finite difference's. The floor (default 1e-6, see below) is there for
// gradients that are zero or nearly so. The extrapolated differences are accurate to 1e-14 … 4e-13
// absolutely (measured on the built-in networks, whose loss is 1.5 … 5 at initialisation): a fine
// absolute accuracy, but a large relative error on an input sensitivity of 1e-9 or a gradient of 1e-18.
// A gradient below the floor is therefore judged by its absolute error: a relative error of 1e-6 then
// means |a − n| ≤ 1e-12, still a million times below the gradients that move training (1e-6 … 1).
// Since rounding grows with |Ẽ|, the default floor is 1e-6 · max(1, |Ẽ|) at the checked point.
//
// ReLU has a kink at 0, where the two one-sided slopes differ; a difference whose steps carry a unit
// across its kink measures neither. So every evaluation compares each ReLU unit's on/off state with
// the unperturbed pass: an evaluation that flipped one is discarded and the steps shrink tenfold. A
// parameter sitting so close to a kink that even h0·1e-8 crosses it is counted in `atKink` and left out.
// Max pooling (beyond the notes) has a kink wherever two values of a block are equal: there its argmax
// changes. So an evaluation that moves any block's argmax away from the unperturbed pass's is void too.

import { fillBatch, UNIT, type Dataset } from '../data/dataset.js';
import { Act } from '../kernels/kernels.js';
import { blockArgmax } from '../kernels/reference.js';
import { size, STATISTIC_KINDS } from '../layers/layer.js';
import type { Labels } from './loss.js';
import type { Network } from './network.js';
import { Rng } from '../util/rng.js';
import * as arg from '../util/validate.js';

export interface GradCheckOptions {
  /** `extrapolated` (default): central differences extrapolated to h → 0; `central`: one difference. */
  method?: 'extrapolated' | 'central';
  /** Step h of the central difference (default 1e-5), or the first step of the extrapolation (default 1e-2). */
  epsilon?: number;
  /** Perturb at most this many parameters per group, a seeded sample (default: all). */
  maxPerGroup?: number;
  /** Seed of that sample (default 1). */
  seed?: number;
  /** Denominator floor of the relative error (default 1e-6 · max(1, |Ẽ|)). */
  floor?: number;
  /** Also check ∂Ẽ/∂input (default true). */
  input?: boolean;
}

export interface GradCheckGroup {
  layer: string;
  kind: string;
  count: number;
  /** Parameters left out because every usable step crossed a ReLU or max-pooling kink (see above). */
  atKink: number;
  maxRelativeError: number;
  /** Where the largest error was seen (index within the group) and the two estimates there. */
  worst: { index: number; analytic: number; numeric: number };
}

export interface GradCheckResult {
  maxRelativeError: number;
  groups: GradCheckGroup[];
}

export function relativeError(a: number, n: number, floor = 1e-6): number {
  const d = Math.abs(a - n);
  if (d === 0) return 0;
  if (!Number.isFinite(d)) return Infinity;
  return d / Math.max(Math.abs(a), Math.abs(n), floor);
}

/** A seeded sample of min(length, max) indices, sorted. */
function sampleIndices(length: number, max: number, rng: Rng): number[] {
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const all = new Uint32Array(length);
  for (let i = 0; i < length; i++) all[i] = i;
  for (let i = 0; i < max; i++) { // partial Fisher–Yates
    const j = i + rng.int(length - i);
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return Array.from(all.subarray(0, max)).sort((a, b) => a - b);
}

/**
 * Gradient check of every parameter group of `net`, and of the input sensitivities, on one batch
 * (`input` [batch][maps][h][w], `labels` [batch]). Parameters are restored exactly afterwards.
 */
export function gradientCheck(net: Network, input: Float64Array, labels: Labels, batch: number, options: GradCheckOptions = {}): GradCheckResult {
  if (!arg.isObject(net) || typeof (net as Partial<Network>).forwardFrom !== 'function') arg.fail('net', 'a float64 Network (gradient checks run in float64)', net);
  arg.batchSize(batch, 'batch');
  arg.floats(input, 'input', batch * net.inputSize, `a Float64Array of batch × ${net.inputShape.join('×')} = ${batch * net.inputSize} values`);
  if (!(input instanceof Float64Array)) arg.fail('input', 'a Float64Array (gradient checks run in float64)', input);
  arg.labels(labels, 'labels', batch, net.classes);
  arg.object(options, 'options', 'an object {method?, epsilon?, maxPerGroup?, seed?, floor?, input?}');
  if (options.method !== undefined) arg.oneOf(options.method, 'options.method', ['extrapolated', 'central'] as const);
  if (options.epsilon !== undefined) arg.finite(options.epsilon, 'options.epsilon', Number.MIN_VALUE, Infinity, 'a positive number');
  if (options.maxPerGroup !== undefined && options.maxPerGroup !== Infinity) arg.integer(options.maxPerGroup, 'options.maxPerGroup', 1);
  if (options.seed !== undefined) arg.integer(options.seed, 'options.seed', 0, 0xffffffff);
  if (options.floor !== undefined) arg.finite(options.floor, 'options.floor', Number.MIN_VALUE, Infinity, 'a positive number');
  if (options.input !== undefined && typeof options.input !== 'boolean') arg.fail('options.input', 'true or false', options.input);
  const method = options.method ?? 'extrapolated';
  const h = options.epsilon ?? (method === 'central' ? 1e-5 : 1e-2);
  const max = options.maxPerGroup ?? Infinity;
  const rng = new Rng(options.seed ?? 1);
  const checkInput = options.input ?? true;

  const x = Float64Array.from(input.subarray(0, batch * net.inputSize));
  net.forward(x, batch, { training: true });
  net.zeroGrads();
  const objective = net.backward(labels, { inputGradient: checkInput });
  // rounding in a difference of Ẽ values grows with |Ẽ|: so does the floor below which gradients are
  // judged by their absolute error (a class-code output of 84 units starts near Ẽ = 40)
  const floor = options.floor ?? 1e-6 * Math.max(1, Math.abs(objective));
  const analytic = Float64Array.from(net.grads);
  const analyticInput = checkInput ? Float64Array.from(net.inputGradient()) : null;

  // On/off state of every ReLU unit in the unperturbed pass; an evaluation that changes one is void.
  const reluLayers = net.layers.map((l, i) => ('act' in l && l.act === Act.Relu ? i : -1)).filter((i) => i >= 0);
  const pattern = (l: number): Uint8Array => Uint8Array.from(net.activation(l), (v) => (v > 0 ? 1 : 0));
  const base = reluLayers.map(pattern);
  // The argmax of every block of every max-pooling layer in the unperturbed pass, likewise.
  const maxLayers = net.description.layers.flatMap((l, i) => (l.type === 'subsample' && l.down === 'max' ? [i] : []));
  const argmaxes = (l: number, out: Int32Array): Int32Array => {
    const [J, H, W] = net.layers[l].inShape;
    const spec = net.description.layers[l];
    const n = spec.type === 'subsample' ? spec.factor : 1;
    const input = l === 0 ? x : net.activation(l - 1);
    let k = 0;
    for (let m = 0; m < batch * J; m++) {
      for (let a = 0; a < H / n; a++) for (let b = 0; b < W / n; b++) out[k++] = blockArgmax(input, m * H * W, W, n, a, b);
    }
    return out;
  };
  const blocks = (l: number): number => batch * size(net.layers[l].outShape);
  const baseArgmax = maxLayers.map((l) => argmaxes(l, new Int32Array(blocks(l))));
  const argmaxNow = maxLayers.map((l) => new Int32Array(blocks(l)));
  // Perturbing a weight of layer ℓ changes nothing before ℓ: only layers ℓ… are recomputed.
  let from = 0;
  const loss = (): number => {
    if (from === 0) net.forward(x, batch, { training: true });
    else net.forwardFrom(from);
    for (let r = 0; r < reluLayers.length; r++) {
      const y = net.activation(reluLayers[r]);
      const b = base[r];
      for (let i = 0; i < y.length; i++) if ((y[i] > 0 ? 1 : 0) !== b[i]) return NaN;
    }
    for (let r = 0; r < maxLayers.length; r++) {
      const now = argmaxes(maxLayers[r], argmaxNow[r]);
      const b = baseArgmax[r];
      for (let i = 0; i < now.length; i++) if (now[i] !== b[i]) return NaN;
    }
    return net.loss(labels);
  };
  const numeric = (w: Float64Array, i: number): number =>
    method === 'central' ? centralDifference(w, i, h, loss) : extrapolatedDifference(w, i, h, loss);

  const check = (layer: string, kind: string, w: Float64Array, offset: number, length: number, a: Float64Array): GradCheckGroup => {
    const g: GradCheckGroup = { layer, kind, count: 0, atKink: 0, maxRelativeError: 0, worst: { index: -1, analytic: 0, numeric: 0 } };
    for (const i of sampleIndices(length, max, rng)) {
      const n = numeric(w, offset + i);
      if (Number.isNaN(n)) {
        g.atKink++;
        continue;
      }
      const r = relativeError(a[offset + i], n, floor);
      g.count++;
      if (r >= g.maxRelativeError) {
        g.maxRelativeError = r;
        g.worst = { index: i, analytic: a[offset + i], numeric: n };
      }
    }
    return g;
  };

  // batch normalisation's running averages are statistics, not parameters: a training pass never reads them
  const groups = net.views.filter((v) => !STATISTIC_KINDS.includes(v.kind)).map((v) => {
    // Refresh every layer (the previous group's last evaluation left a perturbed weight's outputs).
    from = 0;
    net.forward(x, batch, { training: true });
    from = v.layerIndex;
    return check(v.layer, v.kind, net.params, v.offset, v.length, analytic);
  });
  from = 0;
  if (analyticInput) groups.push(check('input', 'input', x, 0, x.length, analyticInput));
  net.forward(x, batch, { training: true });
  return { maxRelativeError: groups.reduce((m, g) => Math.max(m, g.maxRelativeError), 0), groups };
}

/** §4.4  (E(w+h) − E(w−h)) / 2h, restoring w[i] afterwards. */
export function centralDifference(w: Float64Array, i: number, h: number, loss: () => number): number {
  const saved = w[i];
  w[i] = saved + h;
  const plus = loss();
  w[i] = saved - h;
  const minus = loss();
  w[i] = saved;
  return (plus - minus) / (2 * h);
}

/**
 * Central differences at h0, h0/c, h0/c², … extrapolated to h → 0 by Richardson's tableau (a central
 * difference's error is a series in h², so each column cancels one more term). Keeps the estimate
 * whose error estimate is smallest; stops once higher orders get worse (rounding has taken over).
 */
export function extrapolatedDifference(w: Float64Array, i: number, h0: number, loss: () => number): number {
  // A NaN difference marks a void evaluation (a ReLU or max-pooling kink was crossed): start again with smaller steps.
  for (let start = h0, tries = 0; tries < 9; start /= 10, tries++) {
    const d = richardson(w, i, start, loss);
    if (!Number.isNaN(d)) return d;
  }
  return NaN;
}

function richardson(w: Float64Array, i: number, h0: number, loss: () => number): number {
  const CON = 1.4;
  const CON2 = CON * CON;
  const NTAB = 10;
  const prev = new Float64Array(NTAB);
  const cur = new Float64Array(NTAB);
  let h = h0;
  prev[0] = centralDifference(w, i, h, loss);
  if (Number.isNaN(prev[0])) return NaN;
  let best = prev[0];
  let err = Infinity;
  for (let col = 1; col < NTAB; col++) {
    h /= CON;
    cur[0] = centralDifference(w, i, h, loss);
    if (Number.isNaN(cur[0])) return NaN;
    let fac = CON2;
    for (let row = 1; row <= col; row++) {
      cur[row] = (cur[row - 1] * fac - prev[row - 1]) / (fac - 1);
      fac *= CON2;
      const e = Math.max(Math.abs(cur[row] - cur[row - 1]), Math.abs(cur[row] - prev[row - 1]));
      if (e <= err) {
        err = e;
        best = cur[row];
      }
    }
    if (Math.abs(cur[col] - prev[col - 1]) >= 2 * err) break;
    prev.set(cur);
  }
  return best;
}

/**
 * The patterns `convnotes gradcheck` checks a network on: the first `batch` images of `data` (grey
 * levels scaled to [0, 1]), or, without data, `batch` patterns uniform in [0, 1) with random labels
 * from `seed`; `source` says which, in words.
 */
export function checkPatterns(net: Network, batch: number, seed: number, data?: Dataset): { x: Float64Array; labels: ArrayLike<number>; source: string } {
  const [maps, h, w] = net.description.input;
  const x = new Float64Array(batch * net.inputSize);
  if (data !== undefined) {
    if (maps !== 1) throw new RangeError(`--data: the network takes ${maps} input maps, the images have 1`);
    const labels = new Uint8Array(batch);
    fillBatch(data, Array.from({ length: batch }, (_, i) => i), 0, batch, h, w, UNIT, x, labels);
    return { x, labels, source: `the first ${batch} test pattern(s) of ${data.source}` };
  }
  const rng = new Rng(seed);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const labels = Array.from({ length: batch }, () => rng.int(net.classes));
  return { x, labels, source: `${batch} random pattern(s) (uniform in [0, 1), seed ${seed})` };
}
