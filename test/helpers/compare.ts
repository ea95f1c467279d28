// The two measures the tests hold one implementation to another with.
import { expect } from 'vitest';

/**
 * The float32 paths against float64: normwise relative error max_i |a_i − r_i| / max(floor, max_i |r_i|)
 * ≤ tol. Elementwise relative error is not a float32 property: an output of 3e-3 that is the sum of
 * 400 terms of 0.1 carries an absolute rounding error of ~1e-7 whatever the implementation; measured
 * against the tensor's scale it is 1e-6. `floor` stands in for the scale of a tensor whose exact value
 * vanishes (a bias that batch normalisation takes back out), where float32 leaves only rounding.
 */
export function expectNormwiseClose(what: string, a: ArrayLike<number>, r: ArrayLike<number>, tol: number, floor = 0): void {
  expect(a.length, what).toBe(r.length);
  let scale = floor;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]));
  for (let i = 0; i < r.length; i++) {
    const e = Math.abs(a[i] - r[i]);
    if (e > worst) {
      worst = e;
      at = i;
    }
  }
  const rel = scale === 0 ? worst : worst / scale;
  expect(rel, `${what}: normwise relative error ${rel} (worst at [${at}]: ${a[at]} against ${r[at]}, scale ${scale})`).toBeLessThanOrEqual(tol);
}

/** Two float64 implementations: max_k |a_k − b_k| / max(1, |b_k|) ≤ tol, naming where it is largest. */
export function expectRelativeClose(what: string, a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length, `${what}: length`).toBe(b.length);
  let err = 0;
  let at = -1;
  for (let k = 0; k < b.length; k++) {
    const e = Math.abs(a[k] - b[k]) / Math.max(1, Math.abs(b[k]));
    if (!(e <= err)) {
      err = e;
      at = k;
    }
  }
  expect(err, `${what}: max relative error ${err} at [${at}]: ${a[at]} against ${b[at]}`).toBeLessThanOrEqual(tol);
}

/** What expectFastMatchesReference reads of each network (a FastNetwork, a float64 Network). */
interface Comparable {
  forward(x: Float32Array | Float64Array, batch: number): ArrayLike<number>;
  activation(layer: number): ArrayLike<number>;
  readonly grads: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> };
  inputGradient(): ArrayLike<number>;
}

/**
 * The fast path against the float64 reference on one batch (the notes' layers: no batch statistics,
 * so an inference pass's outputs and the backward after it are the training pass's): the output and
 * every layer's output, the loss, every gradient and the input gradient, each within 1e-5 normwise.
 * x holds float32 values (so both start from the same input).
 */
export function expectFastMatchesReference(
  net: Comparable & { computeGradients(x: Float32Array, labels: ArrayLike<number>, batch: number, o: { inputGradient: boolean }): number },
  ref: Comparable & { layers: readonly unknown[]; views: readonly { name: string; offset: number; length: number }[]; zeroGrads(): void; backward(labels: ArrayLike<number>, o: { inputGradient: boolean }): number },
  x: Float64Array, labels: ArrayLike<number>, batch: number,
): void {
  expectNormwiseClose('output', net.forward(Float32Array.from(x), batch), ref.forward(x, batch), 1e-5);
  for (let l = 0; l < ref.layers.length; l++) expectNormwiseClose(`layer ${l} output`, net.activation(l), ref.activation(l), 1e-5);
  ref.zeroGrads();
  const e = ref.backward(labels, { inputGradient: true });
  const ef = net.computeGradients(Float32Array.from(x), labels, batch, { inputGradient: true });
  expect(Math.abs(ef - e) / Math.max(1, Math.abs(e))).toBeLessThanOrEqual(1e-5);
  for (const v of ref.views) {
    expectNormwiseClose(`∂E/∂${v.name}`, net.grads.subarray(v.offset, v.offset + v.length), ref.grads.subarray(v.offset, v.offset + v.length), 1e-5);
  }
  expectNormwiseClose('∂E/∂input', net.inputGradient(), ref.inputGradient(), 1e-5);
}
