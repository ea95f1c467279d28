// What every layer is to the network: shapes, the parameters it declares, and a forward/backward pair
// over a batch held in plain arrays laid out [batch][map][row][col]. The mathematics of every layer,
// by the notes' section numbers cited below and in each layer file, is docs/SPEC.md.
//
// Backward convention (llm.c's): `dy` arrives holding ∂E/∂y for the layer's outputs y = f(u); the layer
// turns it, in place, into its sensitivities δ = ∂E/∂u (the notes' δ), adds its parameter gradients
// into the gradient views (zeroed once per step by the network), and writes ∂E/∂x for its inputs into
// `dx` unless dx is null (the first layer, when nobody asks for input sensitivities).
//
// Curvature convention (§4.2, the same shape as backward): `hy` arrives holding the diagonal
// Gauss-Newton curvature h of the per-pattern error w.r.t. the outputs y (already divided by the batch
// size, so the sums over the batch are means); the layer turns it, in place, into h_u = f'(u)² h_y,
// ADDS Σ_units (∂u/∂θ)² h_u into the gradient views for each parameter θ, and writes
// h_x = Σ_units (∂u/∂x)² h_u for its inputs into `hx` unless hx is null. Penalties are not included.

import type { Kernels } from '../kernels/kernels.js';
import type { Rng } from '../util/rng.js';
import type { LayerType, Shape } from '../network/description.js';

/** Parameter kinds, reported separately by gradient checks and addressable by optimisers. */
export type ParamKind = 'kernel' | 'convBias' | 'c' | 'beta' | 'subsampleBias' | 'weights' | 'bias'
  | 'scale' | 'shift' | 'runningMean' | 'runningVar';

/**
 * Kinds that are statistics, not trained: batch normalisation's running averages. They sit in the flat
 * array beside the parameters (so model files, checkpoints and every backend carry them as they carry
 * the rest), the training pass updates them, their gradients are always zero, and their rates are 0,
 * so no update (decay included) moves them.
 */
export const STATISTIC_KINDS: readonly ParamKind[] = ['runningMean', 'runningVar'];

/** Rate multipliers r_k of a parameter layout: 1 for every parameter, 0 for the statistics (STATISTIC_KINDS). */
export function unitRatesOf(views: readonly { kind: ParamKind; offset: number; length: number }[], out: Float32Array | Float64Array): Float32Array | Float64Array {
  out.fill(1);
  for (const v of views) if (STATISTIC_KINDS.includes(v.kind)) out.fill(0, v.offset, v.offset + v.length);
  return out;
}

/**
 * What a forward pass is for. Training: batch normalisation uses the batch's statistics (and updates
 * its running averages), dropout draws the masks of update `step` from `seed`. Inference: running
 * averages, no dropout.
 */
export interface Pass {
  training: boolean;
  step: number;
  seed: number;
}

export const INFERENCE: Pass = Object.freeze({ training: false, step: 0, seed: 0 });

export interface ParamSpec {
  kind: ParamKind;
  /** Logical shape, outermost first (e.g. [connections, K, K]). */
  shape: number[];
}

/** A named slice of the network's flat parameter (and gradient) array. */
export interface ParamView {
  /** `${layer}.${kind}`, e.g. `C3.kernel`. */
  name: string;
  layer: string;
  layerIndex: number;
  kind: ParamKind;
  shape: number[];
  offset: number;
  length: number;
}

export interface Layer {
  readonly type: LayerType;
  readonly name: string;
  readonly index: number;
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];

  /** Receives its parameter and gradient views, in paramSpecs order. */
  bind(params: Float64Array[], grads: Float64Array[]): void;
  /** Draws initial parameter values. */
  initialise(rng: Rng): void;
  /** Makes room in the layer's own scratch buffers for `batch` patterns. */
  reserve(batch: number): void;
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, pass: Pass): void;
  backward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void;
  /**
   * §4.2 the diagonal Gauss-Newton pass (LeCun's stochastic diagonal Levenberg-Marquardt): like
   * backward, with squared derivatives, squared weights and squared inputs (see the header above).
   */
  curvature(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void;
  /** An extra term Ω of the objective (§3.3.1); adds ∂Ω/∂θ into the gradients when `accumulate`. */
  penalty?(accumulate: boolean): number;
}

export function size(s: Shape): number {
  return s[0] * s[1] * s[2];
}

/** A scratch array of at least n elements: `buf` itself when large enough, else a new one. */
export function grow(buf: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  return buf.length >= n ? buf : new Float64Array(n);
}

/** §4.2 out[oo + i] = v[vo + i]² for i < n (the squared inputs and weights of the curvature pass). */
export function squareInto(v: Float64Array, vo: number, n: number, out: Float64Array, oo: number): void {
  for (let i = 0; i < n; i++) {
    const a = v[vo + i];
    out[oo + i] = a * a;
  }
}
