// Batch normalisation (Ioffe & Szegedy 2015): each map c of the layer below (each unit, after a fully
// connected layer) is normalised, then scaled, shifted and passed through an activation:
//
//     x̂ = (x − μ_c) / √(σ_c² + ε),    u = γ_c x̂ + β_c,    y = f(u)
//
// Specification: docs/SPEC.md, "Beyond the notes: batch normalisation".
//
// Training passes take μ_c and σ_c² from the batch: the mean and the (biased) variance over its N = B·h·w
// values of map c, and fold them into running averages, r ← (1 − m) r + m · (batch's), the variance's
// with N/(N − 1) (unbiased). Inference passes normalise with the running averages: then the layer is the
// affine map u = γ(x − r_μ)/√(r_σ² + ε) + β, which the ONNX export folds into the layer below.
//
// Parameters: scale γ [maps], shift β [maps]; statistics (never trained, rates 0): runningMean,
// runningVar [maps].

import { activationCode } from '../network/activation.js';
import type { ResolvedBatchNorm, ResolvedDescription, Shape } from '../network/description.js';
import type { Act, Kernels } from '../kernels/kernels.js';
import { grow, type Layer, type ParamSpec, type Pass } from './layer.js';

/** Batch normalisation's parameters and statistics, in the flat array's order: γ, β, running μ, running σ² (one per map). */
export function batchNormParamSpecs(_spec: ResolvedBatchNorm, maps: number): ParamSpec[] {
  return [
    { kind: 'scale', shape: [maps] },
    { kind: 'shift', shape: [maps] },
    { kind: 'runningMean', shape: [maps] },
    { kind: 'runningVar', shape: [maps] },
  ];
}

/**
 * The first batchnorm layer whose maps are single values (after a fully connected layer, or on a 1×1
 * input), to which a batch of 1 gives no statistics; −1 when there is none. The rule recipes, the
 * gradient check's default batch and checkStatisticsCount share.
 */
export function firstUnitNorm(d: ResolvedDescription): number {
  return d.layers.findIndex((l, i) => {
    if (l.type !== 'batchnorm') return false;
    const [, h, w] = i === 0 ? d.input : d.shapes[i - 1];
    return h * w === 1;
  });
}

/** Refuses batch statistics over fewer than 2 values a map (a batch of 1 after a fully connected layer): σ² would be 0/0 in the running average. */
export function checkStatisticsCount(layerIndex: number, name: string, values: number): void {
  if (values < 2) {
    throw new RangeError(`layers[${layerIndex}] (batchnorm "${name}"): batch statistics need at least 2 values a map, got ${values} (a batch of 1 after a fully connected layer): train with batches of 2 or more`);
  }
}

export class BatchNormLayer implements Layer {
  readonly type = 'batchnorm' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];
  readonly act: Act;
  private scale!: Float64Array;
  private shift!: Float64Array;
  private runningMean!: Float64Array;
  private runningVar!: Float64Array;
  private dScale!: Float64Array;
  private dShift!: Float64Array;
  /** The last forward pass's μ_c and 1/√(σ_c² + ε) (the batch's, or the running averages'). */
  private mean: Float64Array;
  private invStd: Float64Array;
  private training = false;
  /** x̂ of the last forward pass, [batch][maps][h][w]. */
  private normalised = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedBatchNorm) {
    this.name = spec.name;
    this.outShape = inShape;
    this.act = activationCode(spec.activation);
    this.paramSpecs = batchNormParamSpecs(spec, inShape[0]);
    this.mean = new Float64Array(inShape[0]);
    this.invStd = new Float64Array(inShape[0]);
  }

  bind(params: Float64Array[], grads: Float64Array[]): void {
    [this.scale, this.shift, this.runningMean, this.runningVar] = params;
    [this.dScale, this.dShift] = grads;
  }

  // γ = 1, β = 0: the layer starts as a plain normalisation; running averages start at μ = 0, σ² = 1.
  initialise(): void {
    this.scale.fill(1);
    this.shift.fill(0);
    this.runningMean.fill(0);
    this.runningVar.fill(1);
  }

  reserve(batch: number): void {
    this.normalised = grow(this.normalised, batch * this.inShape[0] * this.inShape[1] * this.inShape[2]);
  }

  // x̂ = (x − μ_c)/√(σ_c² + ε),  u = γ_c x̂ + β_c,  y = f(u)
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, pass: Pass): void {
    const [C, H, W] = this.inShape;
    const S = H * W;
    const N = batch * S;
    const eps = this.spec.epsilon;
    const m = this.spec.momentum;
    this.training = pass.training;
    this.reserve(batch);
    if (pass.training) checkStatisticsCount(this.index, this.name, N);
    for (let c = 0; c < C; c++) {
      let mu: number;
      let variance: number;
      if (pass.training) {
        // two passes: the mean, then the squared deviations from it (no cancellation in Σx² − Nμ²)
        let s = 0;
        for (let b = 0; b < batch; b++) s += ops.sum(x, (b * C + c) * S, S);
        mu = s / N;
        let q = 0;
        for (let b = 0; b < batch; b++) {
          const o = (b * C + c) * S;
          for (let t = 0; t < S; t++) q += (x[o + t] - mu) * (x[o + t] - mu);
        }
        variance = q / N;
        this.runningMean[c] = (1 - m) * this.runningMean[c] + m * mu;
        this.runningVar[c] = (1 - m) * this.runningVar[c] + m * variance * (N / (N - 1));
      } else {
        mu = this.runningMean[c];
        variance = this.runningVar[c];
      }
      const inv = 1 / Math.sqrt(variance + eps);
      this.mean[c] = mu;
      this.invStd[c] = inv;
      const g = this.scale[c];
      const beta = this.shift[c];
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let t = 0; t < S; t++) {
          const xh = (x[o + t] - mu) * inv;
          this.normalised[o + t] = xh;
          y[o + t] = g * xh + beta;
        }
      }
    }
    ops.activate(this.act, y, 0, batch * C * S, y, 0);
  }

  // δ = ∂E/∂y ∘ f'(u);  ∂E/∂γ_c = Σ δ x̂;  ∂E/∂β_c = Σ δ;
  // training: ∂E/∂x = γ_c/√(σ_c² + ε) · (δ − (1/N) Σ δ − x̂ (1/N) Σ δ x̂)   (μ and σ² depend on every x of map c)
  // inference: ∂E/∂x = γ_c/√(σ_c² + ε) · δ
  backward(ops: Kernels, batch: number, _x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    const [C, H, W] = this.inShape;
    const S = H * W;
    const N = batch * S;
    ops.activationBackward(this.act, y, 0, batch * C * S, dy, 0);
    const xh = this.normalised;
    for (let c = 0; c < C; c++) {
      let sd = 0;
      let sdx = 0;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        sd += ops.sum(dy, o, S);
        sdx += ops.dot(S, dy, o, xh, o);
      }
      this.dScale[c] += sdx;
      this.dShift[c] += sd;
      if (!dx) continue;
      const k = this.scale[c] * this.invStd[c];
      const md = this.training ? sd / N : 0;
      const mdx = this.training ? sdx / N : 0;
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let t = 0; t < S; t++) dx[o + t] = k * (dy[o + t] - md - xh[o + t] * mdx);
      }
    }
  }

  // §4.2 diagonal Gauss-Newton curvature with μ_c and σ_c treated as constants (their coupling of a
  // map's units is an off-diagonal term, dropped as the notes drop the others):
  //   h_u = f'(u)² h_y;  h_γ = Σ x̂² h_u;  h_β = Σ h_u;  h_x = (γ_c/√(σ_c² + ε))² h_u
  curvature(ops: Kernels, batch: number, _x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    const [C, H, W] = this.inShape;
    const S = H * W;
    ops.activationBackward(this.act, y, 0, batch * C * S, hy, 0);
    ops.activationBackward(this.act, y, 0, batch * C * S, hy, 0);
    const xh = this.normalised;
    for (let c = 0; c < C; c++) {
      const k = this.scale[c] * this.invStd[c];
      for (let b = 0; b < batch; b++) {
        const o = (b * C + c) * S;
        for (let t = 0; t < S; t++) {
          this.dScale[c] += xh[o + t] * xh[o + t] * hy[o + t];
          this.dShift[c] += hy[o + t];
          if (hx) hx[o + t] = k * k * hy[o + t];
        }
      }
    }
  }
}
