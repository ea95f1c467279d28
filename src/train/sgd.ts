// §4.1 Gradient descent on the flat parameter array: θ ← θ − η ∂Ẽ/∂θ. Because every parameter lives
// in one array with named views, a per-layer (or per-kind) rate is just a rate per slice.

import type { Network } from '../network.js';

/** One step with a single rate η for every parameter. */
export function sgdStep(net: Network, rate: number): void {
  const p = net.params;
  const g = net.grads;
  for (let i = 0; i < p.length; i++) p[i] -= rate * g[i];
}

/** One step with a rate per parameter view (by layer name; `default` for the rest). */
export function sgdStepPerLayer(net: Network, rates: Record<string, number> & { default: number }): void {
  const p = net.params;
  const g = net.grads;
  for (const v of net.views) {
    const rate = rates[v.layer] ?? rates.default;
    for (let i = v.offset; i < v.offset + v.length; i++) p[i] -= rate * g[i];
  }
}
