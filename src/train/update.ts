// §4.1–4.2 the parameter update, for the float64 reference path (the wasm engine runs the same formula
// in assembly/layers.ts, sgd_update_rates). Every weight has its own rate multiplier r_k: a per-layer
// rate, or LeCun's stochastic diagonal Levenberg-Marquardt ε/(μ + h_kk).
//   step_k = η r_k (g_k + λ θ_k);  momentum m > 0: v_k ← m v_k − step_k, θ_k ← θ_k + v_k;  else θ_k ← θ_k − step_k
// Specification: docs/SPEC.md §4.1 and §4.2.

import * as check from '../validate.js';

export function applyUpdate(
  params: Float64Array, grads: Float64Array, rates: Float64Array, velocity: Float64Array,
  rate: number, momentum: number, decay: number,
): void {
  const n = check.floats(params, 'params', 0, 'a Float64Array of parameters').length;
  for (const [a, name] of [[grads, 'grads'], [rates, 'rates'], [velocity, 'velocity']] as const) {
    if (!(a instanceof Float64Array) || a.length !== n) check.fail(name, `a Float64Array of ${n} values (as many as params)`, a);
  }
  check.finite(rate, 'rate');
  check.finite(momentum, 'momentum', 0, 1, 'a number in [0, 1)');
  if (momentum === 1) check.fail('momentum', 'a number in [0, 1)', momentum);
  check.finite(decay, 'decay', 0, Infinity, 'a non-negative number');
  if (momentum === 0) {
    for (let k = 0; k < n; k++) params[k] -= rate * rates[k] * (grads[k] + decay * params[k]);
    return;
  }
  for (let k = 0; k < n; k++) {
    const v = momentum * velocity[k] - rate * rates[k] * (grads[k] + decay * params[k]);
    velocity[k] = v;
    params[k] += v;
  }
}
