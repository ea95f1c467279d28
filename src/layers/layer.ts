// What every layer is to the network: shapes, the parameters it declares, and a forward/backward pair
// over a batch held in plain arrays laid out [batch][map][row][col].
//
// Backward convention (llm.c's): `dy` arrives holding ∂E/∂y for the layer's outputs y = f(u); the layer
// turns it, in place, into its sensitivities δ = ∂E/∂u (the notes' δ), adds its parameter gradients
// into the gradient views (zeroed once per step by the network), and writes ∂E/∂x for its inputs into
// `dx` unless dx is null (the first layer, when nobody asks for input sensitivities).

import type { Kernels } from '../kernels/kernels.js';
import type { Rng } from '../rng.js';
import type { LayerType, Shape } from '../description.js';

/** Parameter kinds, reported separately by gradient checks and addressable by optimisers. */
export type ParamKind = 'kernel' | 'convBias' | 'c' | 'beta' | 'subsampleBias' | 'weights' | 'bias';

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
  forward(k: Kernels, batch: number, x: Float64Array, y: Float64Array): void;
  backward(k: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void;
  /** An extra term Ω of the objective (§3.3.1); adds ∂Ω/∂θ into the gradients when `accumulate`. */
  penalty?(accumulate: boolean): number;
}

export function size(s: Shape): number {
  return s[0] * s[1] * s[2];
}
