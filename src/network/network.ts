// A network: layers built from a description, one flat parameter array with named views, and
// forward/backward over a batch.
//
// The path of a batch: input [B][maps][h][w] → layer 0 → … → output [B][classes] → loss (mean over the
// batch, loss.ts) → ∂E/∂output → each layer's backward, last to first, turning ∂E/∂y into its
// sensitivities δ and adding its parameter gradients into `grads` (zeroed once per step).
// §4.2 computeCurvature runs the same pass with squared factors: the diagonal Gauss-Newton curvature
// h_kk of every parameter, for LeCun's stochastic diagonal Levenberg-Marquardt.

import {
  isResolvedDescription, resolveDescription, shapeSize, type NetworkDescription, type ResolvedDescription, type Shape,
} from './description.js';
import type { Kernels } from '../kernels/kernels.js';
import { referenceKernels } from '../kernels/reference.js';
import { CombinationLayer } from '../layers/combination.js';
import { ConvLayer } from '../layers/conv.js';
import { FullLayer } from '../layers/full.js';
import { INFERENCE, unitRatesOf, type Layer, type ParamView, type Pass } from '../layers/layer.js';
import { BatchNormLayer } from '../layers/batchnorm.js';
import { DropoutLayer } from '../layers/dropout.js';
import { SubsampleLayer } from '../layers/subsample.js';
import { classCount, lossAndGradient, lossCurvature, type Labels } from './loss.js';
import { Rng } from '../util/rng.js';
import { sgdUpdate } from '../train/update.js';
import * as check from '../util/validate.js';

export interface NetworkOptions {
  /** The kernel implementation (default: the float64 reference). */
  kernels?: Kernels;
  /** Overrides the description's seed for initialisation. */
  seed?: number;
}

export class Network {
  readonly description: ResolvedDescription;
  readonly layers: Layer[];
  /** Every trainable parameter, one flat array; `views` says which slice is what. */
  readonly params: Float64Array;
  /** ∂E/∂params, same layout. */
  readonly grads: Float64Array;
  readonly views: ParamView[];
  readonly inputShape: Shape;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly kernels: Kernels;
  private capacity = 0;
  /** acts[ℓ+1] is layer ℓ's output; acts[0] is the caller's input. */
  private acts: Float64Array[] = [];
  /** dActs[ℓ+1] = ∂E/∂acts[ℓ+1], turned into δ by layer ℓ's backward; dActs[0] = input sensitivities. */
  private dActs: Float64Array[] = [];
  private batch = 0;
  /** What the last forward pass was for (forwardFrom repeats it). */
  private pass: Pass = INFERENCE;
  /** The seed dropout masks are drawn from (the network's seed). */
  readonly seed: number;
  /** The update whose dropout masks the training passes draw (the trainer sets it before each step). */
  step = 0;

  constructor(description: NetworkDescription | ResolvedDescription | unknown, options: NetworkOptions = {}) {
    const d = isResolvedDescription(description) ? description : resolveDescription(description);
    check.object(options, 'options', 'an object {kernels?, seed?}');
    if (options.seed !== undefined) check.integer(options.seed, 'options.seed', 0, 0xffffffff);
    if (options.kernels !== undefined) check.object(options.kernels, 'options.kernels', 'a Kernels implementation (referenceKernels)');
    this.description = d;
    this.kernels = options.kernels ?? referenceKernels;
    this.inputShape = d.input;
    this.inputSize = shapeSize(d.input);
    let shape = d.input;
    this.layers = d.layers.map((spec, index) => {
      const layer = buildLayer(index, shape, spec);
      shape = layer.outShape;
      return layer;
    });
    this.outputSize = shapeSize(shape);

    this.views = [];
    let offset = 0;
    for (const layer of this.layers) {
      for (const ps of layer.paramSpecs) {
        const length = ps.shape.reduce((a, b) => a * b, 1);
        this.views.push({
          name: `${layer.name}.${ps.kind}`, layer: layer.name, layerIndex: layer.index,
          kind: ps.kind, shape: ps.shape, offset, length,
        });
        offset += length;
      }
    }
    this.params = new Float64Array(offset);
    this.grads = new Float64Array(offset);
    for (const layer of this.layers) {
      const mine = this.views.filter((v) => v.layerIndex === layer.index);
      layer.bind(
        mine.map((v) => this.params.subarray(v.offset, v.offset + v.length)),
        mine.map((v) => this.grads.subarray(v.offset, v.offset + v.length)),
      );
    }
    this.seed = options.seed ?? d.seed;
    this.initialise(this.seed);
  }

  /** Classes the network tells apart: its outputs, or its class codes (LeCun's RBF output). */
  get classes(): number {
    return classCount(this.description, this.outputSize);
  }

  /** Draws fresh initial parameters from `seed` (layer by layer, in order). */
  initialise(seed: number): void {
    const rng = new Rng(seed);
    for (const layer of this.layers) layer.initialise(rng);
  }

  view(name: string): Float64Array {
    const v = this.views.find((x) => x.name === name);
    if (!v) check.fail('name', `the name of a parameter view: one of ${this.views.map((x) => x.name).join(', ')}`, name);
    return this.params.subarray(v.offset, v.offset + v.length);
  }

  gradView(name: string): Float64Array {
    const v = this.views.find((x) => x.name === name);
    if (!v) check.fail('name', `the name of a parameter view: one of ${this.views.map((x) => x.name).join(', ')}`, name);
    return this.grads.subarray(v.offset, v.offset + v.length);
  }

  /** Grows activation and sensitivity buffers to hold `batch` patterns (no-op when they already do). */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    this.acts = [new Float64Array(0)];
    this.dActs = [new Float64Array(batch * this.inputSize)];
    for (const layer of this.layers) {
      const n = batch * shapeSize(layer.outShape);
      this.acts.push(new Float64Array(n));
      this.dActs.push(new Float64Array(n));
      layer.reserve(batch);
    }
    this.capacity = batch;
  }

  /**
   * Forward pass over `batch` patterns of input [batch][maps][h][w]; returns the output [batch][outputs]
   * (a view, valid until the next call): the last layer's values, which for a cross-entropy network
   * are the logits (the softmax is part of its loss). `predict` (predict.ts) gives what the CLI
   * prints and the ONNX graph outputs: classes, scores and, for cross-entropy, probabilities.
   * An inference pass unless `training` (batch statistics, dropout masks of update `step`; see Pass).
   */
  forward(input: Float64Array, batch: number, options: { training?: boolean } = {}): Float64Array {
    check.batchSize(batch, 'batch');
    check.object(options, 'options', 'an object {training?}');
    if (!(input instanceof Float64Array) || input.length < batch * this.inputSize) {
      check.fail('input', `a Float64Array of batch × ${this.inputShape.join('×')} = ${batch * this.inputSize} values`, input);
    }
    this.reserve(batch);
    this.batch = batch;
    this.acts[0] = input;
    this.pass = options.training === true ? { training: true, step: this.step, seed: this.seed } : INFERENCE;
    for (let l = 0; l < this.layers.length; l++) this.layers[l].forward(this.kernels, batch, this.acts[l], this.acts[l + 1], this.pass);
    return this.acts[this.layers.length].subarray(0, batch * this.outputSize);
  }

  /**
   * Re-runs the last forward pass from layer `from` on (the layers before it, and the input, must be
   * unchanged): a gradient check that perturbs a weight of layer ℓ only needs layers ℓ… again.
   */
  forwardFrom(from: number): Float64Array {
    if (this.batch === 0) throw new Error('forwardFrom: call forward first');
    check.integer(from, 'from', 0, this.layers.length - 1);
    for (let l = from; l < this.layers.length; l++) this.layers[l].forward(this.kernels, this.batch, this.acts[l], this.acts[l + 1], this.pass);
    return this.acts[this.layers.length].subarray(0, this.batch * this.outputSize);
  }

  /** Σ of the layers' penalties Ω (§3.3.1). */
  penalty(): number {
    let s = 0;
    for (const layer of this.layers) if (layer.penalty) s += layer.penalty(false);
    return s;
  }

  /** Ẽ = mean error of the last forward pass + penalties, without touching gradients. */
  loss(labels: Labels): number {
    if (this.batch === 0) throw new Error('loss: call forward first');
    check.labels(labels, 'labels', this.batch, this.classes);
    const d = this.description;
    const y = this.acts[this.layers.length];
    return lossAndGradient(d.loss, d.targets, y, labels, this.batch, this.outputSize, null, d.codes, d.labelSmoothing ?? 0) + this.penalty();
  }

  /** Sets every gradient to zero: once per step, before backward. */
  zeroGrads(): void {
    this.grads.fill(0);
  }

  /**
   * Backward pass for the last forward: adds ∂Ẽ/∂θ into `grads` (call zeroGrads first) and returns
   * Ẽ. With `inputGradient`, also computes ∂Ẽ/∂input (see inputGradient()).
   */
  backward(labels: Labels, options: { inputGradient?: boolean } = {}): number {
    const d = this.description;
    const L = this.layers.length;
    const batch = this.batch;
    if (batch === 0) throw new Error('backward: call forward first');
    check.labels(labels, 'labels', batch, this.classes);
    check.object(options, 'options', 'an object {inputGradient?}');
    let e = lossAndGradient(d.loss, d.targets, this.acts[L], labels, batch, this.outputSize, this.dActs[L], d.codes, d.labelSmoothing ?? 0);
    for (let l = L - 1; l >= 0; l--) {
      const dx = l > 0 || options.inputGradient ? this.dActs[l] : null;
      this.layers[l].backward(this.kernels, batch, this.acts[l], this.acts[l + 1], this.dActs[l + 1], dx);
    }
    for (const layer of this.layers) if (layer.penalty) e += layer.penalty(true);
    return e;
  }

  /** ∂Ẽ/∂input from the last backward({inputGradient: true}), [batch][maps][h][w]. */
  inputGradient(): Float64Array {
    return this.dActs[0].subarray(0, this.batch * this.inputSize);
  }

  /** A training pass's forward and backward in one call (the shape every backend shares): ∂Ẽ/∂θ into grads, returns Ẽ. */
  computeGradients(input: Float64Array, labels: Labels, batch: number, options: { inputGradient?: boolean } = {}): number {
    this.forward(input, batch, { training: true });
    this.zeroGrads();
    return this.backward(labels, options);
  }

  /** r_k = 1 for every parameter: trainStep's rates (made on its first call). */
  private unitRates: Float64Array | null = null;

  /**
   * §4.1 one step of gradient descent, θ ← θ − rate·∂Ẽ/∂θ: the one update (train/update.ts) with
   * r_k = 1, no momentum and no decay (the same bits as the plain formula). Returns Ẽ before the step.
   */
  trainStep(input: Float64Array, labels: Labels, batch: number, rate: number): number {
    check.finite(rate, 'rate');
    const e = this.computeGradients(input, labels, batch);
    this.unitRates ??= unitRatesOf(this.views, new Float64Array(this.params.length)) as Float64Array;
    sgdUpdate(this.params, this.grads, this.unitRates, this.unitRates, rate, 0, 0);
    return e;
  }

  /**
   * §4.2 LeCun's stochastic diagonal Levenberg-Marquardt needs h_kk, the diagonal of the Gauss-Newton
   * approximation of the Hessian, for every parameter (LeCun, Bottou, Orr, Müller, "Efficient
   * BackProp", 1998; LeCun et al. 1998, appendix). It is backpropagated like the gradient, with squared
   * derivatives, squared weights and squared inputs, for the per-pattern error E^n:
   *   outputs:     h_y = ∂²E^n/∂y² (mse: 1; softmax cross-entropy: p(1 − p) w.r.t. the logits; loss.ts)
   *   each layer:  h_u = f'(u)² h_y, for its pre-activations u and outputs y = f(u)
   *   parameters:  h_θ = Σ_units (∂u/∂θ)² h_u (shared weights sum the terms of every unit using them)
   *   inputs:      h_x = Σ_units (∂u/∂x)² h_u, which the layer below turns into its h_u, …
   * (each layer's `curvature` states its own terms). Terms that couple two units (the off-diagonal
   * of the output Hessian, and the cross terms of a parameter or input reaching an output along
   * several paths) are dropped: h is exactly the Gauss-Newton diagonal Σ_o H_oo (∂y_o/∂θ)² where
   * every parameter reaches every output along at most one path, an approximation elsewhere.
   *
   * Runs forward, then the curvature pass, and returns a fresh array in the params' flat layout
   * (`views`) holding the MEAN over the batch's patterns of the per-pattern h (batch 1: that
   * pattern's h). h covers the data term only: the §3.3.1 penalties are not included. h ≥ 0 always.
   * For these losses it does not depend on the labels (they are validated all the same).
   *
   * CLOBBERS `grads` (the pass accumulates into them; they hold h afterwards) and the sensitivity
   * buffers: call zeroGrads/backward again before a gradient step. With `inputCurvature`, also
   * computes h for the input (see inputCurvature()).
   */
  computeCurvature(input: Float64Array, labels: Labels, batch: number, options: { inputCurvature?: boolean } = {}): Float64Array {
    const d = this.description;
    const L = this.layers.length;
    this.forward(input, batch, { training: true });
    check.labels(labels, 'labels', batch, this.classes);
    this.zeroGrads();
    lossCurvature(d.loss, this.acts[L], labels, batch, this.outputSize, this.dActs[L]);
    for (let l = L - 1; l >= 0; l--) {
      const hx = l > 0 || options.inputCurvature ? this.dActs[l] : null;
      this.layers[l].curvature(this.kernels, batch, this.acts[l], this.acts[l + 1], this.dActs[l + 1], hx);
    }
    return this.grads.slice();
  }

  /**
   * §4.2 h for the input, [batch][maps][h][w], from the last computeCurvature(…, {inputCurvature: true}):
   * the curvature of the batch's mean error, so each pattern's per-pattern h_x divided by the batch
   * size (as inputGradient() is ∂Ẽ/∂input of the mean). A view, valid until the next pass.
   */
  inputCurvature(): Float64Array {
    return this.dActs[0].subarray(0, this.batch * this.inputSize);
  }

  /** Output of layer ℓ for the last forward pass, [batch][maps][h][w]. */
  activation(layer: number): Float64Array {
    check.integer(layer, 'layer', 0, this.layers.length - 1);
    const n = this.batch * shapeSize(this.layers[layer].outShape);
    return this.acts[layer + 1].subarray(0, n);
  }
}

function buildLayer(index: number, inShape: Shape, spec: ResolvedDescription['layers'][number]): Layer {
  switch (spec.type) {
    case 'conv': return new ConvLayer(index, inShape, spec);
    case 'combination': return new CombinationLayer(index, inShape, spec);
    case 'subsample': return new SubsampleLayer(index, inShape, spec);
    case 'full': return new FullLayer(index, inShape, spec);
    case 'batchnorm': return new BatchNormLayer(index, inShape, spec);
    case 'dropout': return new DropoutLayer(index, inShape, spec);
  }
}
