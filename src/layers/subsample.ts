// §3.2 Subsampling layer: N input maps give N maps n times smaller in each dimension,
//
//     x_j = f( β_j down(x_j) + b_j )
//
// Specification: docs/SPEC.md §3.2 (forward), §3.2.1 and §3.1.1 (gradients).
//
// down() sums each distinct n×n block (or, the notes' alternative, keeps every n-th sample; or, beyond
// the notes, takes each block's maximum: max pooling, docs/SPEC.md "Beyond the notes"). β_j (the
// multiplicative bias) and b_j (the additive one) are trainable per map; either can be switched off:
// `beta: "fixed"` keeps β at betaInit, `bias: false` drops b. DeepLearnToolbox's mean pooling is
// β fixed at 1/n², no b, identity activation.
//
// Parameters (those switched on): beta [maps], subsampleBias [maps].

import { activationCode } from '../network/activation.js';
import type { ResolvedSubsample, Shape } from '../network/description.js';
import type { Act, Kernels } from '../kernels/kernels.js';
import type { Rng } from '../util/rng.js';
import { grow, squareInto, type Layer, type ParamSpec, type Pass } from './layer.js';

/** §3.2 a subsampling layer's parameters, in the flat array's order: β_j when trainable, b_j when it has biases. */
export function subsampleParamSpecs(spec: ResolvedSubsample, maps: number): ParamSpec[] {
  const specs: ParamSpec[] = [];
  if (spec.beta === 'trainable') specs.push({ kind: 'beta', shape: [maps] });
  if (spec.bias) specs.push({ kind: 'subsampleBias', shape: [maps] });
  return specs;
}

export class SubsampleLayer implements Layer {
  readonly type = 'subsample' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];
  readonly act: Act;
  /** β per map: a parameter view when trainable, else a constant array. */
  private beta: Float64Array;
  private bias: Float64Array;
  private dBeta: Float64Array | null = null;
  private dBias: Float64Array | null = null;
  /** d_j = down(x_j), saved by the forward pass for ∂E/∂β: [batch][maps][h/n][w/n]. */
  private downed = new Float64Array(0);
  /** §4.2 scratch of the curvature pass: d² for one map. */
  private dSquared = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedSubsample) {
    this.name = spec.name;
    const n = spec.factor;
    this.outShape = [inShape[0], inShape[1] / n, inShape[2] / n];
    this.act = activationCode(spec.activation);
    this.paramSpecs = subsampleParamSpecs(spec, inShape[0]);
    this.beta = new Float64Array(inShape[0]).fill(spec.betaInit);
    this.bias = new Float64Array(inShape[0]);
  }

  bind(params: Float64Array[], grads: Float64Array[]): void {
    let p = 0;
    if (this.spec.beta === 'trainable') {
      this.beta = params[p];
      this.dBeta = grads[p++];
    }
    if (this.spec.bias) {
      this.bias = params[p];
      this.dBias = grads[p++];
    }
  }

  initialise(_rng: Rng): void {
    this.beta.fill(this.spec.betaInit);
    this.bias.fill(0);
  }

  reserve(batch: number): void {
    const need = batch * this.outShape[0] * this.outShape[1] * this.outShape[2];
    if (this.downed.length < need) this.downed = new Float64Array(need);
  }

  // §3.2  d_j = down(x_j),  u_j = β_j d_j + b_j,  x_j = f(u_j)   (the Pass changes nothing here)
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, _pass: Pass): void {
    const [J, H, W] = this.inShape;
    const [, Ho, Wo] = this.outShape;
    const n = this.spec.factor;
    const S = Ho * Wo;
    const decimate = this.spec.down === 'decimate';
    const max = this.spec.down === 'max';
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const m = b * J + j;
        if (decimate) ops.downDecimate(x, m * H * W, H, W, n, this.downed, m * S);
        else if (max) ops.downMax(x, m * H * W, H, W, n, this.downed, m * S);
        else ops.downSum(x, m * H * W, H, W, n, this.downed, m * S);
        y.fill(this.bias[j], m * S, (m + 1) * S);
        ops.axpy(S, this.beta[j], this.downed, m * S, y, m * S);
      }
    }
    ops.activate(this.act, y, 0, batch * J * S, y, 0);
  }

  // §3.2.1  δ_j = ∂E/∂x_j ∘ f'(u_j);  ∂E/∂b_j = Σ_uv (δ_j)_uv;  ∂E/∂β_j = Σ_uv (δ_j ∘ d_j)_uv
  // §3.1.1  the previous layer receives ∂E/∂x^{ℓ-1}_j = β_j up(δ_j) (it multiplies in its own f');
  // max pooling routes β_j δ_j[a][b] to the argmax of block (a, b) of x_j alone (upMax reads x).
  backward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    const [J, H, W] = this.inShape;
    const [, Ho, Wo] = this.outShape;
    const n = this.spec.factor;
    const S = Ho * Wo;
    const decimate = this.spec.down === 'decimate';
    const max = this.spec.down === 'max';
    ops.activationBackward(this.act, y, 0, batch * J * S, dy, 0);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const m = b * J + j;
        if (this.dBias) this.dBias[j] += ops.sum(dy, m * S, S);
        if (this.dBeta) this.dBeta[j] += ops.dot(S, dy, m * S, this.downed, m * S);
        if (!dx) continue;
        if (decimate) ops.upDecimate(dy, m * S, Ho, Wo, n, this.beta[j], dx, m * H * W);
        else if (max) ops.upMax(dy, m * S, Ho, Wo, n, this.beta[j], x, m * H * W, dx, m * H * W);
        else ops.upSum(dy, m * S, Ho, Wo, n, this.beta[j], dx, m * H * W);
      }
    }
  }

  // §4.2 diagonal Gauss-Newton curvature, as backward with every factor squared. Unit (j, a, b) has
  // u = β_j d_j[a][b] + b_j, with d = down(x) a block sum (each x in the block with weight 1) or one
  // kept sample, or the block's maximum (max pooling: locally the argmax sample), so
  //   h_u = f'(u)² h_y;   h_{β_j} = Σ_uv (d_j² ∘ h_u)_uv;   h_{b_j} = Σ_uv (h_u)_uv
  //   h_x = β_j² up(h_u)  (sum: every x of a block meets one unit with weight β_j)
  //   h_x = β_j² h_u at the kept samples, 0 elsewhere                          (decimate)
  //   h_x = β_j² h_u at each block's argmax, 0 elsewhere                      (max)
  curvature(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    const [J, H, W] = this.inShape;
    const [, Ho, Wo] = this.outShape;
    const n = this.spec.factor;
    const S = Ho * Wo;
    const decimate = this.spec.down === 'decimate';
    const max = this.spec.down === 'max';
    ops.activationBackward(this.act, y, 0, batch * J * S, hy, 0);
    ops.activationBackward(this.act, y, 0, batch * J * S, hy, 0);
    this.dSquared = grow(this.dSquared, S);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const m = b * J + j;
        if (this.dBias) this.dBias[j] += ops.sum(hy, m * S, S);
        if (this.dBeta) {
          squareInto(this.downed, m * S, S, this.dSquared, 0);
          this.dBeta[j] += ops.dot(S, hy, m * S, this.dSquared, 0);
        }
        if (!hx) continue;
        const beta2 = this.beta[j] * this.beta[j];
        if (decimate) ops.upDecimate(hy, m * S, Ho, Wo, n, beta2, hx, m * H * W);
        else if (max) ops.upMax(hy, m * S, Ho, Wo, n, beta2, x, m * H * W, hx, m * H * W);
        else ops.upSum(hy, m * S, Ho, Wo, n, beta2, hx, m * H * W);
      }
    }
  }
}
