// §4.1–4.2 the parameter update of the float64 backend: the one loop every float64 step runs (the
// trainer through the reference backend's update(), Network.trainStep with unit rates). The wasm
// engine runs the same formula in float32 (sgd_update, assembly/update.ts), held to this one by
// test/math/update.test.ts. Every weight has its own rate multiplier r_k: 1, a per-layer rate, or LeCun's
// stochastic diagonal Levenberg-Marquardt m_layer/(μ + h_kk).
//   step_k = η r_k (g_k + λ θ_k);  momentum m > 0: v_k ← m v_k − step_k, θ_k ← θ_k + v_k;  else θ_k ← θ_k − step_k
// (m = 0 leaves the velocities untouched, so a checkpoint's velocities are those of the last momentum step.)
// Specification: docs/SPEC.md §4.1 and §4.2.

import * as check from '../util/validate.js';

/**
 * The update with no argument checks, for callers that own their arrays (all params.length long;
 * `velocity` is read and written only when momentum > 0, and may be empty otherwise).
 */
export function sgdUpdate(
  params: Float64Array, grads: Float64Array, rates: Float64Array, velocity: Float64Array,
  rate: number, momentum: number, decay: number,
): void {
  const n = params.length;
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

/**
 * §4.1–4.2 one update of `params` by `grads` in place: θ_k ← θ_k − rate·rates_k·(g_k + decay·θ_k),
 * through `velocity` when momentum > 0 (v ← momentum·v − step; θ ← θ + v). Checks its arguments
 * (ArgumentError naming the field), then runs sgdUpdate.
 */
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
  sgdUpdate(params, grads, rates, velocity, rate, momentum, decay);
}
