// Dropout (Srivastava, Hinton, Krizhevsky, Sutskever, Salakhutdinov 2014), "inverted": in a training
// pass each value x is kept with probability 1 − p and scaled, or dropped:
//
//     y = m x / (1 − p),   m ∈ {0, 1},   P(m = 1) = 1 − p;      inference: y = x
//
// Specification: docs/SPEC.md, "Beyond the notes: dropout".
//
// The mask is not drawn from a stream but computed: m is a hash of (seed, layer, update, pattern's place
// in the batch, unit), so any thread computes any pattern's mask, the same at every thread count, and a
// resumed run draws the masks the interrupted one would have (the update number is in its checkpoint).
// A gradient check holds the update number still, and with it the mask. assembly/dropout.ts computes
// the same bits (test/math/wasm-norm-dropout.test.ts holds them equal).
//
// No parameters.

import type { ResolvedDropout, Shape } from '../network/description.js';
import type { Kernels } from '../kernels/kernels.js';
import { grow, type Layer, type ParamSpec, type Pass } from './layer.js';

/** murmur3's 32-bit finaliser: a bijection on 32-bit integers whose every output bit depends on every input bit. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key of one pattern's mask in one dropout layer and update: every unit's draw derives from it. */
export function dropoutKey(seed: number, layer: number, step: number, pattern: number): number {
  return mix32(mix32(mix32(mix32(seed ^ 0x9e3779b9) ^ layer) ^ step) ^ pattern);
}

/** A unit's 24-bit uniform draw in [0, 2^24) under a pattern's key. */
export function dropoutDraw(key: number, unit: number): number {
  return mix32(key ^ Math.imul(unit + 1, 0x9e3779b9)) >>> 8;
}

/** Units whose draw is below this are dropped: p·2^24, rounded (so P(drop) is p to within 2^-25). */
export function dropoutThreshold(rate: number): number {
  return Math.round(rate * 16777216);
}

export class DropoutLayer implements Layer {
  readonly type = 'dropout' as const;
  readonly name: string;
  readonly outShape: Shape;
  readonly paramSpecs: readonly ParamSpec[] = [];
  /** m/(1 − p) of every value of the last forward pass (1 after an inference pass), [batch][maps][h][w]. */
  private factor = new Float64Array(0);

  constructor(readonly index: number, readonly inShape: Shape, readonly spec: ResolvedDropout) {
    this.name = spec.name;
    this.outShape = inShape;
  }

  bind(): void {}
  initialise(): void {}

  reserve(batch: number): void {
    this.factor = grow(this.factor, batch * this.size());
  }

  private size(): number {
    return this.inShape[0] * this.inShape[1] * this.inShape[2];
  }

  // y = m x/(1 − p) with m = [draw ≥ threshold] (training), y = x (inference)
  forward(_ops: Kernels, batch: number, x: Float64Array, y: Float64Array, pass: Pass): void {
    const n = this.size();
    this.reserve(batch);
    const f = this.factor;
    if (!pass.training) {
      f.fill(1, 0, batch * n);
    } else {
      const threshold = dropoutThreshold(this.spec.rate);
      const keep = 1 / (1 - this.spec.rate);
      for (let b = 0; b < batch; b++) {
        const key = dropoutKey(pass.seed, this.index, pass.step, b);
        for (let i = 0; i < n; i++) f[b * n + i] = dropoutDraw(key, i) >= threshold ? keep : 0;
      }
    }
    for (let i = 0; i < batch * n; i++) y[i] = f[i] * x[i];
  }

  // no activation: δ = ∂E/∂y;  ∂E/∂x = m/(1 − p) · δ
  backward(_ops: Kernels, batch: number, _x: Float64Array, _y: Float64Array, dy: Float64Array, dx: Float64Array | null): void {
    if (!dx) return;
    const f = this.factor;
    for (let i = 0; i < batch * this.size(); i++) dx[i] = f[i] * dy[i];
  }

  // §4.2  h_x = (m/(1 − p))² h_y
  curvature(_ops: Kernels, batch: number, _x: Float64Array, _y: Float64Array, hy: Float64Array, hx: Float64Array | null): void {
    if (!hx) return;
    const f = this.factor;
    for (let i = 0; i < batch * this.size(); i++) hx[i] = f[i] * f[i] * hy[i];
  }
}
