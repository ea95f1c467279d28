// §3.1 Convolution layer: each output map j combines valid convolutions of its chosen input maps M_j,
// one kernel per connection (i, j), plus one additive bias per output map:
//
//     x_j = f( Σ_{i∈M_j} x_i * k_ij + b_j )
//
// Specification: docs/SPEC.md §3.1 (forward), §3.1.1 and §3.2.1 (gradients); zero padding P and
// stride s ("Beyond the notes: padding and stride") generalise all three. With P = 0, s = 1 the layer
// runs the notes' valid-convolution kernels, and otherwise their strided counterparts (kernels.ts).
//
// Kernels are stored for TRUE convolution, as the notes (and MATLAB's conv2) write `*`:
// (x * k)[u][v] = Σ_{p,q} x[u+p][v+q] k[K-1-p][K-1-q]. ONNX and TF.js store them for correlation;
// an exporter flips each kernel by 180°.
//
// Parameters: kernel [connections][K][K] (connection order: output map, then input map; see
// network/connections.ts), convBias [maps].

import { activationCode } from '../network/activation.js';
import { compileConnections, type Connections } from '../network/connections.js';
import { convOutputSize, type ResolvedConv, type Shape } from '../network/description.js';
import type { Act, Kernels } from '../kernels/kernels.js';
import { fillUniform, initBound } from '../network/init.js';
import type { Rng } from '../util/rng.js';
import { grow, squareInto, type Layer, type ParamSpec } from './layer.js';

/** §3.1 a convolution's parameters, in the flat array's order: its kernels k_ij (one per connection), its biases b_j. */
export function convParamSpecs(spec: ResolvedConv, connections: number): ParamSpec[] {
  return [
    { kind: 'kernel', shape: [connections, spec.kernel, spec.kernel] },
    { kind: 'convBias', shape: [spec.maps] },
  ];
}

export class ConvLayer implements Layer {
  readonly type = 'conv' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[];
  readonly connections: Connections;
  readonly act: Act;
  /** Zero padding P and stride s; `valid` when P = 0 and s = 1 (the notes' convolution, its own kernels). */
  readonly pad: number;
  readonly stride: number;
  readonly valid: boolean;
  private kernel!: Float64Array;
  private bias!: Float64Array;
  private dKernel!: Float64Array;
  private dBias!: Float64Array;
  /** §4.2 scratch of the curvature pass: x² [batch][inputs][h][w] and k² [connections][K][K]. */
  private xSquared = new Float64Array(0);
  private kSquared = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedConv) {
    this.name = spec.name;
    const K = spec.kernel;
    this.pad = spec.pad;
    this.stride = spec.stride;
    this.valid = spec.pad === 0 && spec.stride === 1;
    this.outShape = [spec.maps, convOutputSize(inShape[1], K, spec.pad, spec.stride), convOutputSize(inShape[2], K, spec.pad, spec.stride)];
    this.connections = compileConnections(spec.connections, inShape[0], spec.maps);
    this.act = activationCode(spec.activation);
    this.paramSpecs = convParamSpecs(spec, this.connections.count);
  }

  bind(params: Float64Array[], grads: Float64Array[]): void {
    [this.kernel, this.bias] = params;
    [this.dKernel, this.dBias] = grads;
  }

  // fan-in of output map j: |M_j|·K²; fan-out of input map i: (number of maps reading i)·K².
  initialise(rng: Rng): void {
    const { count, input, start, outputMaps, inputMaps } = this.connections;
    const KK = this.spec.kernel * this.spec.kernel;
    const readers = new Int32Array(inputMaps);
    for (let c = 0; c < count; c++) readers[input[c]]++;
    for (let j = 0; j < outputMaps; j++) {
      const fanIn = (start[j + 1] - start[j]) * KK;
      for (let c = start[j]; c < start[j + 1]; c++) {
        fillUniform(rng, this.kernel, c * KK, KK, initBound(this.spec.init, fanIn, readers[input[c]] * KK));
      }
    }
    this.bias.fill(0);
  }

  reserve(): void {}

  // §3.1  u_j = Σ_{i∈M_j} x_i * k_ij + b_j,   x_j = f(u_j)   (x_i padded and strided unless valid)
  forward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const { input, start } = this.connections;
    const { valid, pad, stride } = this;
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const yo = (b * J + j) * Ho * Wo;
        y.fill(this.bias[j], yo, yo + Ho * Wo);
        for (let c = start[j]; c < start[j + 1]; c++) {
          if (valid) ops.convValid(x, (b * I + input[c]) * H * W, H, W, this.kernel, c * KK, K, y, yo);
          else ops.convStrided(x, (b * I + input[c]) * H * W, H, W, this.kernel, c * KK, K, pad, stride, y, yo);
        }
      }
    }
    ops.activate(this.act, y, 0, batch * J * Ho * Wo, y, 0);
  }

  // §3.1.1  δ_j = ∂E/∂x_j ∘ f'(u_j);  ∂E/∂b_j = Σ_uv (δ_j)_uv;  ∂E/∂k_ij = Σ_uv (δ_j)_uv (p_i)_uv
  // §3.2.1  ∂E/∂x_i = Σ_{j : i∈M_j} conv2(δ_j, rot180(k_ij), 'full')
  // (padded or strided: kernelGradientStrided and convStridedTranspose, the same sums over x̃)
  backward(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const { input, start } = this.connections;
    const { valid, pad, stride } = this;
    ops.activationBackward(this.act, y, 0, batch * J * Ho * Wo, dy, 0);
    if (dx) dx.fill(0, 0, batch * I * H * W);
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const d = (b * J + j) * Ho * Wo;
        this.dBias[j] += ops.sum(dy, d, Ho * Wo);
        for (let c = start[j]; c < start[j + 1]; c++) {
          const xi = (b * I + input[c]) * H * W;
          if (valid) {
            ops.kernelGradient(x, xi, H, W, dy, d, K, this.dKernel, c * KK);
            if (dx) ops.convFull(dy, d, Ho, Wo, this.kernel, c * KK, K, dx, xi);
          } else {
            ops.kernelGradientStrided(x, xi, H, W, dy, d, K, pad, stride, this.dKernel, c * KK);
            if (dx) ops.convStridedTranspose(dy, d, H, W, this.kernel, c * KK, K, pad, stride, dx, xi);
          }
        }
      }
    }
  }

  // §4.2 diagonal Gauss-Newton curvature, as backward with every factor squared. Each unit (j, u, v)
  // has u = Σ_{i∈M_j} Σ_pq x_i[u+p][v+q] k_ij[K-1-p][K-1-q] + b_j, so
  //   h_u      = f'(u)² h_y                                   (activationBackward applied twice)
  //   h_{k_ij} = Σ_uv (p_i)²_uv (h_u)_uv = kernelGradient of x_i² with h_u in place of δ (§3.1.1)
  //   h_{b_j}  = Σ_uv (h_u)_uv
  //   h_{x_i}  = Σ_{j : i∈M_j} conv2(h_u_j, rot180(k_ij²), 'full')       (convFull with k², §3.2.1)
  // Shared weights collect the terms of every unit (and pattern) that uses them. Padded or strided:
  // the same with the strided kernels (a padding zero squared is still zero).
  curvature(ops: Kernels, batch: number, x: Float64Array, y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    const [I, H, W] = this.inShape;
    const [J, Ho, Wo] = this.outShape;
    const K = this.spec.kernel;
    const KK = K * K;
    const { input, start, count } = this.connections;
    const { valid, pad, stride } = this;
    ops.activationBackward(this.act, y, 0, batch * J * Ho * Wo, hy, 0);
    ops.activationBackward(this.act, y, 0, batch * J * Ho * Wo, hy, 0);
    this.xSquared = grow(this.xSquared, batch * I * H * W);
    squareInto(x, 0, batch * I * H * W, this.xSquared, 0);
    if (hx) {
      this.kSquared = grow(this.kSquared, count * KK);
      squareInto(this.kernel, 0, count * KK, this.kSquared, 0);
      hx.fill(0, 0, batch * I * H * W);
    }
    for (let b = 0; b < batch; b++) {
      for (let j = 0; j < J; j++) {
        const d = (b * J + j) * Ho * Wo;
        this.dBias[j] += ops.sum(hy, d, Ho * Wo);
        for (let c = start[j]; c < start[j + 1]; c++) {
          const xi = (b * I + input[c]) * H * W;
          if (valid) {
            ops.kernelGradient(this.xSquared, xi, H, W, hy, d, K, this.dKernel, c * KK);
            if (hx) ops.convFull(hy, d, Ho, Wo, this.kSquared, c * KK, K, hx, xi);
          } else {
            ops.kernelGradientStrided(this.xSquared, xi, H, W, hy, d, K, pad, stride, this.dKernel, c * KK);
            if (hx) ops.convStridedTranspose(hy, d, H, W, this.kSquared, c * KK, K, pad, stride, hx, xi);
          }
        }
      }
    }
  }
}
