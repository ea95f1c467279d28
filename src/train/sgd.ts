// §4.1 Gradient descent on the flat parameter array: θ ← θ − η ∂Ẽ/∂θ. Because every parameter lives
// in one array with named views, a per-layer (or per-kind) rate is just a rate per slice.

import type { Network } from '../network.js';
import * as check from '../validate.js';

function checkNet(net: unknown): void {
  const n = check.object(net, 'net', 'a float64 Network');
  if (!(n.params instanceof Float64Array) || !(n.grads instanceof Float64Array) || !Array.isArray(n.views)) check.fail('net', 'a float64 Network', net);
}

/** One step with a single rate η for every parameter. */
export function sgdStep(net: Network, rate: number): void {
  checkNet(net);
  check.finite(rate, 'rate');
  const p = net.params;
  const g = net.grads;
  for (let i = 0; i < p.length; i++) p[i] -= rate * g[i];
}

/** One step with a rate per parameter view (by layer name; `default` for the rest). */
export function sgdStepPerLayer(net: Network, rates: Record<string, number> & { default: number }): void {
  checkNet(net);
  check.object(rates, 'rates', 'an object of layer name → rate, with a "default"');
  check.finite(rates.default, 'rates.default');
  const layers = new Set(net.views.map((v) => v.layer));
  for (const [k, v] of Object.entries(rates)) {
    if (k !== 'default' && !layers.has(k)) check.fail(`rates.${k}`, `a layer name of this network (${[...layers].join(', ')}) or "default"`, k);
    check.finite(v, `rates.${k}`);
  }
  const p = net.params;
  const g = net.grads;
  for (const v of net.views) {
    const rate = rates[v.layer] ?? rates.default;
    for (let i = v.offset; i < v.offset + v.length; i++) p[i] -= rate * g[i];
  }
}
