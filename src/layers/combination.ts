// §3.3 Learned combinations of feature maps: instead of a hand-made table M_j, each output map learns
// how much of every input map it takes,
//
//     x_j = f( Σ_i α_ij (x_i * k_i) + b_j ),   α_·j = softmax(c_·j)  (so α_ij ≥ 0, Σ_i α_ij = 1).
//
// Specification: docs/SPEC.md §3.3 (combinations) and §3.3.1 (penalties). The convolutions z may be
// zero padded and strided as a convolution layer's ("Beyond the notes: padding and stride").
//
// `kernels: "shared"` is the notes' form: one kernel k_i per input map, shared by all output maps,
// which then differ only by their α. `kernels: "pair"` gives every pair its own kernel k_ij.
// The convolutions z = x_i * k (one per kernel) are kept from the forward pass: ∂E/∂α needs them.
//
// §3.3.1 sparsity penalty Ω(α), added once per batch to the (mean) error: Ẽ = E + Ω.
//   l1:      Ω = λ Σ_ij |α_ij|           (the notes' penalty, implemented exactly as written)
//   entropy: Ω = −λ Σ_ij α_ij log α_ij   (minimal at one-hot columns)
//   power:   Ω = λ Σ_ij α_ij^p, 0<p<1    (concave: minimal at the simplex's vertices)
// The notes' l1 cannot work: under the softmax every α_ij > 0 and each column sums to 1, so
// Σ|α| = J whatever c is, and ∂Ω/∂c = λ α_i (1 − Σ_k α_k) = 0. test/math/combination.test.ts shows the zero;
// entropy and power act on the simplex and do make α sparse.
//
// Parameters: kernel [P][K][K] (P = inputs for shared, outputs·inputs for pair, kernel of pair (i, j)
// at j·inputs + i), c [maps][inputs] (row j is the softmax's argument for output map j), convBias [maps].

import { activationCode } from '../network/activation.js';
import { convOutputSize, type PenaltySpec, type ResolvedCombination, type Shape } from '../network/description.js';
import type { Act, Kernels } from '../kernels/kernels.js';
import { fillUniform, initBound } from '../network/init.js';
import type { Rng } from '../util/rng.js';
import { grow, squareInto, type Layer, type ParamSpec } from './layer.js';

/** §3.3  α_i = exp(c_i) / Σ_k exp(c_k), for each of `rows` rows of length n (max subtracted for range). */
export function softmaxRows(c: Float64Array, rows: number, n: number, alpha: Float64Array): void {
  for (let j = 0; j < rows; j++) {
    const o = j * n;
    let max = -Infinity;
    for (let i = 0; i < n; i++) if (c[o + i] > max) max = c[o + i];
    let s = 0;
    for (let i = 0; i < n; i++) {
      const e = Math.exp(c[o + i] - max);
      alpha[o + i] = e;
      s += e;
    }
    for (let i = 0; i < n; i++) alpha[o + i] /= s;
  }
}

/**
 * §3.3  ∂/∂c_i = Σ_k g_k ∂α_k/∂c_i = Σ_k g_k (δ_ki α_i − α_i α_k) = α_i g_i − α_i Σ_k α_k g_k,
 * given the products a_k = α_k g_k (so penalties whose g_k is infinite at α_k = 0 stay finite).
 * Adds into dc, one row of length n.
 */
export function softmaxBackwardRow(alpha: Float64Array, a: Float64Array, o: number, n: number, dc: Float64Array): void {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[o + k];
  for (let i = 0; i < n; i++) dc[o + i] += a[o + i] - alpha[o + i] * s;
}

/**
 * §3.3 a learned combination's parameters, in the flat array's order: its kernels (one per input map
 * when shared, else one per pair), the weights c_ij whose row softmax is α_j, its biases b_j.
 */
export function combinationParamSpecs(spec: ResolvedCombination, inputMaps: number): ParamSpec[] {
  const P = spec.kernels === 'shared' ? inputMaps : inputMaps * spec.maps;
  return [
    { kind: 'kernel', shape: [P, spec.kernel, spec.kernel] },
    { kind: 'c', shape: [spec.maps, inputMaps] },
    { kind: 'convBias', shape: [spec.maps] },
  ];
}

export class CombinationLayer implements Layer {
  readonly type = 'combination' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];
  readonly act: Act;
  /** Number of kernels. */
  readonly P: number;
  /** Zero padding and stride of the convolutions z; `valid` when 0 and 1 (the notes' convolution, its own kernels). */
  readonly pad: number;
  readonly stride: number;
  readonly valid: boolean;
  private kernel!: Float64Array;
  private c!: Float64Array;
  private bias!: Float64Array;
  private dKernel!: Float64Array;
  private dc!: Float64Array;
  private dBias!: Float64Array;
  /** α [maps][inputs], recomputed from c by every forward pass. */
  readonly alpha: Float64Array;
  /** ∂E/∂α, then α·∂(E or Ω)/∂α, [maps][inputs]. */
  private gAlpha: Float64Array;
  /** z_p = x_{in(p)} * k_p and its gradient: [batch][P][h'][w']. */
  private z = new Float64Array(0);
  private dz = new Float64Array(0);
  /** §4.2 scratch of the curvature pass: x², k², and two maps (Σ_i α_ij z, (z − Σ_i α_ij z)²). */
  private xSquared = new Float64Array(0);
  private kSquared = new Float64Array(0);
  private zMean = new Float64Array(0);
  private zDev = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedCombination) {
    this.name = spec.name;
    const K = spec.kernel;
    const I = inShape[0];
    const J = spec.maps;
    this.pad = spec.pad;
    this.stride = spec.stride;
    this.valid = spec.pad === 0 && spec.stride === 1;
    this.outShape = [J, convOutputSize(inShape[1], K, spec.pad, spec.stride), convOutputSize(inShape[2], K, spec.pad, spec.stride)];
    this.act = activationCode(spec.activation);
    this.P = spec.kernels === 'shared' ? I : I * J;
    this.paramSpecs = combinationParamSpecs(spec, I);
    this.alpha = new Float64Array(J * I);
    this.gAlpha = new Float64Array(J * I);
  }

  /** The kernel (and z map) that pair (i, j) uses. */
  private source(i: number, j: number): number {
    return this.spec.kernels === 'shared' ? i : j * this.inShape[0] + i;
  }

  bind(params: Float64Array[], grads: Float64Array[]): void {
    [this.kernel, this.c, this.bias] = params;
    [this.dKernel, this.dc, this.dBias] = grads;
  }

  // Fan-in K²: α makes Σ_i an average, so each kernel's scale is that of a single-map convolution.
  // c starts random: with shared kernels, equal c would leave all output maps identical forever.
  initialise(rng: Rng): void {
    const KK = this.spec.kernel * this.spec.kernel;
    fillUniform(rng, this.kernel, 0, this.kernel.length, initBound(this.spec.init, KK, KK));
    fillUniform(rng, this.c, 0, this.c.length, this.spec.cInit);
    this.bias.fill(0);
  }

  reserve(batch: number): void {
    const need = batch * this.P * this.outShape[1] * this.outShape[2];
    if (this.z.length < need) {
      this.z = new Float64Array(need);
      this.dz = new Float64Array(need);
    }
  }

  // §3.3  z_p = x_{in(p)} * k_p;  u_j = Σ_i α_ij z_{src(i,j)} + b_j;  x_j = f(u_j)
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const S = Ho * Wo;
    const P = this.P;
    const { valid, pad, stride } = this;
    softmaxRows(this.c, J, I, this.alpha);
    this.z.fill(0, 0, batch * P * S);
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < P; p++) {
        if (valid) ops.convValid(x, (b * I + (p % I)) * H * W, H, W, this.kernel, p * KK, K, this.z, (b * P + p) * S);
        else ops.convStrided(x, (b * I + (p % I)) * H * W, H, W, this.kernel, p * KK, K, pad, stride, this.z, (b * P + p) * S);
      }
      for (let j = 0; j < J; j++) {
        const yo = (b * J + j) * S;
        y.fill(this.bias[j], yo, yo + S);
        for (let i = 0; i < I; i++) ops.axpy(S, this.alpha[j * I + i], this.z, (b * P + this.source(i, j)) * S, y, yo);
      }
    }
    ops.activate(this.act, y, 0, batch * J * S, y, 0);
  }

  // §3.3  ∂E/∂α_ij = Σ_uv (δ_j ∘ (x_i * k_i))_uv;   ∂E/∂c_i = α_i (∂E/∂α_i − Σ_k α_k ∂E/∂α_k)
  //       ∂E/∂z_src += α_ij δ_j, then z's kernel and input gradients as in a convolution layer (§3.1.1).
  backward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const S = Ho * Wo;
    const P = this.P;
    ops.activationBackward(this.act, y, 0, batch * J * S, dy, 0);
    this.gAlpha.fill(0);
    this.dz.fill(0, 0, batch * P * S);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const d = (b * J + j) * S;
        this.dBias[j] += ops.sum(dy, d, S);
        for (let i = 0; i < I; i++) {
          const zo = (b * P + this.source(i, j)) * S;
          this.gAlpha[j * I + i] += ops.dot(S, dy, d, this.z, zo);
          ops.axpy(S, this.alpha[j * I + i], dy, d, this.dz, zo);
        }
      }
    }
    for (let q = 0; q < J * I; q++) this.gAlpha[q] *= this.alpha[q];
    for (let j = 0; j < J; j++) softmaxBackwardRow(this.alpha, this.gAlpha, j * I, I, this.dc);
    if (dx) dx.fill(0, 0, batch * I * H * W);
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < P; p++) {
        const xi = (b * I + (p % I)) * H * W;
        const zo = (b * P + p) * S;
        if (this.valid) {
          ops.kernelGradient(x, xi, H, W, this.dz, zo, K, this.dKernel, p * KK);
          if (dx) ops.convFull(this.dz, zo, Ho, Wo, this.kernel, p * KK, K, dx, xi);
        } else {
          ops.kernelGradientStrided(x, xi, H, W, this.dz, zo, K, this.pad, this.stride, this.dKernel, p * KK);
          if (dx) ops.convStridedTranspose(this.dz, zo, H, W, this.kernel, p * KK, K, this.pad, this.stride, dx, xi);
        }
      }
    }
  }

  // §4.2 diagonal Gauss-Newton curvature, as backward with every factor squared. Unit (j, u, v) has
  // u_j = Σ_i α_ij z_src(i,j) + b_j with z_p = x_{in(p)} * k_p and α_·j = softmax(c_·j), so
  //   h_u       = f'(u)² h_y
  //   h_{b_j}   = Σ_uv (h_u_j)_uv
  //   h_{c_lj}  = Σ_uv (∂u_j/∂c_lj)² h_u_j, with ∂u_j/∂c_lj = Σ_i (∂α_ij/∂c_lj) z_src(i,j)
  //             = α_lj (z_src(l,j) − Σ_i α_ij z_src(i,j))        (per unit, squared, then summed)
  //   h_z_p     = Σ_{(i,j) : src(i,j)=p} α_ij² h_u_j             (∂u_j/∂z_p = α_ij, one term per unit)
  //   h_{k_p}   = kernelGradient of x_in(p)² with h_z_p in place of δ (§3.1.1)
  //   h_{x_i}   = Σ_{p : in(p)=i} conv2(h_z_p, rot180(k_p²), 'full')  (for each (i, j) one kernel
  //               src(i,j) joins x_i to u_j, so (∂u_j/∂x)² = α_ij² k²)
  // The shared kernels (kernels: "shared") collect the terms of every output map that uses them.
  // h_z is kept in dz (backward's scratch). The §3.3.1 penalty is not included (data term only).
  curvature(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const S = Ho * Wo;
    const P = this.P;
    ops.activationBackward(this.act, y, 0, batch * J * S, hy, 0);
    ops.activationBackward(this.act, y, 0, batch * J * S, hy, 0);
    this.zMean = grow(this.zMean, S);
    this.zDev = grow(this.zDev, S);
    const zMean = this.zMean;
    const zDev = this.zDev;
    this.dz.fill(0, 0, batch * P * S);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const d = (b * J + j) * S;
        this.dBias[j] += ops.sum(hy, d, S);
        zMean.fill(0, 0, S);
        for (let i = 0; i < I; i++) ops.axpy(S, this.alpha[j * I + i], this.z, (b * P + this.source(i, j)) * S, zMean, 0);
        for (let l = 0; l < I; l++) {
          const a2 = this.alpha[j * I + l] * this.alpha[j * I + l];
          const zo = (b * P + this.source(l, j)) * S;
          for (let s = 0; s < S; s++) {
            const e = this.z[zo + s] - zMean[s];
            zDev[s] = e * e;
          }
          this.dc[j * I + l] += a2 * ops.dot(S, hy, d, zDev, 0);
          ops.axpy(S, a2, hy, d, this.dz, zo);
        }
      }
    }
    this.xSquared = grow(this.xSquared, batch * I * H * W);
    squareInto(x, 0, batch * I * H * W, this.xSquared, 0);
    if (hx) {
      this.kSquared = grow(this.kSquared, P * KK);
      squareInto(this.kernel, 0, P * KK, this.kSquared, 0);
      hx.fill(0, 0, batch * I * H * W);
    }
    for (let b = 0; b < batch; b++) {
      for (let p = 0; p < P; p++) {
        const xi = (b * I + (p % I)) * H * W;
        const zo = (b * P + p) * S;
        if (this.valid) {
          ops.kernelGradient(this.xSquared, xi, H, W, this.dz, zo, K, this.dKernel, p * KK);
          if (hx) ops.convFull(this.dz, zo, Ho, Wo, this.kSquared, p * KK, K, hx, xi);
        } else {
          ops.kernelGradientStrided(this.xSquared, xi, H, W, this.dz, zo, K, this.pad, this.stride, this.dKernel, p * KK);
          if (hx) ops.convStridedTranspose(this.dz, zo, H, W, this.kSquared, p * KK, K, this.pad, this.stride, hx, xi);
        }
      }
    }
  }

  // §3.3.1  Ω(α) and, when accumulating, ∂Ω/∂c_i = Σ_k (∂Ω/∂α_k)(∂α_k/∂c_i).
  penalty(accumulate: boolean): number {
    const { type } = this.spec.penalty;
    if (type === 'none') return 0;
    const I = this.inShape[0];
    const J = this.spec.maps;
    softmaxRows(this.c, J, I, this.alpha);
    const omega = combinationPenalty(this.spec.penalty, this.alpha, J * I, this.gAlpha);
    if (accumulate) for (let j = 0; j < J; j++) softmaxBackwardRow(this.alpha, this.gAlpha, j * I, I, this.dc);
    return omega;
  }
}

/**
 * §3.3.1  Ω(α) over n weights, and a_q = α_q · ∂Ω/∂α_q (the products softmaxBackwardRow takes).
 *   l1:      Ω = λ|α|,       ∂Ω/∂α = λ sign(α)
 *   entropy: Ω = −λ α log α, ∂Ω/∂α = −λ (log α + 1)
 *   power:   Ω = λ α^p,      ∂Ω/∂α = λ p α^(p−1)
 */
export function combinationPenalty(penalty: Required<PenaltySpec>, alpha: Float64Array, n: number, a: Float64Array): number {
  const { type, lambda, p } = penalty;
  let omega = 0;
  for (let q = 0; q < n; q++) {
    const al = alpha[q];
    switch (type) {
      case 'none':
        a[q] = 0;
        break;
      case 'l1':
        omega += lambda * Math.abs(al);
        a[q] = al * lambda * Math.sign(al);
        break;
      case 'entropy': {
        const l = al > 0 ? Math.log(al) : 0;
        omega -= lambda * al * l;
        a[q] = -lambda * al * (l + 1);
        break;
      }
      case 'power': {
        const ap = Math.pow(al, p);
        omega += lambda * ap;
        a[q] = lambda * p * ap;
        break;
      }
    }
  }
  return omega;
}
