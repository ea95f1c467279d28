// §2 Fully connected layer:  u = W x + b,  x_out = f(u). Specification: docs/SPEC.md §2.
//
// Flattening between maps and vectors costs nothing: a batch of maps is stored [batch][map][row][col],
// so each pattern's maps, read in that order, already are its input vector x (length maps·h·w), and
// the layer's output [batch][units] is a batch of `units` maps of size 1×1.
//
// Parameters: weights [units][inputs] (row u holds the weights into unit u), bias [units].

import { activationCode } from '../network/activation.js';
import type { ResolvedFull, Shape } from '../network/description.js';
import type { Act, Kernels } from '../kernels/kernels.js';
import { fillUniform, initBound } from '../network/init.js';
import type { Rng } from '../util/rng.js';
import { grow, size, squareInto, type Layer, type ParamSpec } from './layer.js';

/** §2 a fully connected layer's parameters, in the flat array's order: W [units][inputs], b. */
export function fullParamSpecs(spec: ResolvedFull, inputs: number): ParamSpec[] {
  return [
    { kind: 'weights', shape: [spec.units, inputs] },
    { kind: 'bias', shape: [spec.units] },
  ];
}

export class FullLayer implements Layer {
  readonly type = 'full' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];
  readonly act: Act;
  readonly inputs: number;
  private weights!: Float64Array;
  private bias!: Float64Array;
  private dWeights!: Float64Array;
  private dBias!: Float64Array;
  /** §4.2 scratch of the curvature pass: x² [batch][inputs] and W² [units][inputs]. */
  private xSquared = new Float64Array(0);
  private wSquared = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedFull) {
    this.name = spec.name;
    this.inputs = size(inShape);
    this.outShape = [spec.units, 1, 1];
    this.act = activationCode(spec.activation);
    this.paramSpecs = fullParamSpecs(spec, this.inputs);
  }

  bind(params: Float64Array[], grads: Float64Array[]): void {
    [this.weights, this.bias] = params;
    [this.dWeights, this.dBias] = grads;
  }

  initialise(rng: Rng): void {
    const bound = initBound(this.spec.init, this.inputs, this.spec.units);
    fillUniform(rng, this.weights, 0, this.weights.length, bound);
    this.bias.fill(0);
  }

  reserve(): void {}

  // §2  u = W x + b,  x_out = f(u)     (as a batch: U[B×O] = X[B×I] Wᵀ, plus b on every row)
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array): void {
    const O = this.spec.units;
    ops.gemm(false, true, batch, O, this.inputs, 1, x, 0, this.weights, 0, 0, y, 0);
    for (let b = 0; b < batch; b++) ops.axpy(O, 1, this.bias, 0, y, b * O);
    ops.activate(this.act, y, 0, batch * O, y, 0);
  }

  // §2  δ = ∂E/∂x_out ∘ f'(u);  ∂E/∂W = δ xᵀ;  ∂E/∂b = δ;  ∂E/∂x = Wᵀ δ      (summed over the batch)
  backward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    const O = this.spec.units;
    const I = this.inputs;
    ops.activationBackward(this.act, y, 0, batch * O, dy, 0);
    ops.gemm(true, false, O, I, batch, 1, dy, 0, x, 0, 1, this.dWeights, 0);
    for (let b = 0; b < batch; b++) ops.axpy(O, 1, dy, b * O, this.dBias, 0);
    if (dx) ops.gemm(false, false, batch, I, O, 1, dy, 0, this.weights, 0, 0, dx, 0);
  }

  // §4.2 diagonal Gauss-Newton curvature, as backward with every factor squared (u_o = Σ_i W_oi x_i + b_o):
  //   h_u = f'(u)² h_y;   h_W = h_u (x²)ᵀ;   h_b = h_u;   h_x = (W²)ᵀ h_u      (summed over the batch)
  curvature(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    const O = this.spec.units;
    const I = this.inputs;
    ops.activationBackward(this.act, y, 0, batch * O, hy, 0);
    ops.activationBackward(this.act, y, 0, batch * O, hy, 0);
    this.xSquared = grow(this.xSquared, batch * I);
    squareInto(x, 0, batch * I, this.xSquared, 0);
    ops.gemm(true, false, O, I, batch, 1, hy, 0, this.xSquared, 0, 1, this.dWeights, 0);
    for (let b = 0; b < batch; b++) ops.axpy(O, 1, hy, b * O, this.dBias, 0);
    if (hx) {
      this.wSquared = grow(this.wSquared, O * I);
      squareInto(this.weights, 0, O * I, this.wSquared, 0);
      ops.gemm(false, false, batch, I, O, 1, hy, 0, this.wSquared, 0, 0, hx, 0);
    }
  }
}
