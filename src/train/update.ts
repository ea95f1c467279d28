// §4.1–4.2 the parameter update of the float64 backend: the one loop every float64 step runs (the
// trainer through the reference backend's update(), Network.trainStep with unit rates). The wasm
// engine runs the same formula in float32 (sgd_update, assembly/update.ts), held to this one by
// test/math/update.test.ts. Every weight has its own rate multiplier r_k: 1, a per-layer rate, or LeCun's
// stochastic diagonal Levenberg-Marquardt m_layer/(μ + h_kk).
//   step_k = η r_k (g_k + λ θ_k);  momentum m > 0: v_k ← m v_k − step_k, θ_k ← θ_k + v_k;  else θ_k ← θ_k − step_k
//   Nesterov (m > 0): v_k ← m v_k − step_k, θ_k ← θ_k + m v_k − step_k (the look-ahead step, Sutskever et al.'s form)
// (m = 0 leaves the velocities untouched, so a checkpoint's velocities are those of the last momentum step.)
// Specification: docs/SPEC.md §4.1 and §4.2.

import * as check from '../util/validate.js';

/**
 * The update with no argument checks, for callers that own their arrays (all params.length long;
 * `velocity` is read and written only when momentum > 0, and may be empty otherwise).
 */
export function sgdUpdate(
  params: Float64Array, grads: Float64Array, rates: Float64Array, velocity: Float64Array,
  rate: number, momentum: number, decay: number, nesterov = false,
): void {
  const n = params.length;
  if (momentum === 0) {
    for (let k = 0; k < n; k++) params[k] -= rate * rates[k] * (grads[k] + decay * params[k]);
    return;
  }
  if (nesterov) {
    for (let k = 0; k < n; k++) {
      const step = rate * rates[k] * (grads[k] + decay * params[k]);
      const v = momentum * velocity[k] - step;
      velocity[k] = v;
      params[k] += momentum * v - step;
    }
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
 * through `velocity` when momentum > 0 (v ← momentum·v − step; θ ← θ + v; Nesterov: θ ← θ + momentum·v − step).
 * Checks its arguments (ArgumentError naming the field), then runs sgdUpdate.
 */
export function applyUpdate(
  params: Float64Array, grads: Float64Array, rates: Float64Array, velocity: Float64Array,
  rate: number, momentum: number, decay: number, nesterov = false,
): void {
  const n = check.floats(params, 'params', 0, 'a Float64Array of parameters').length;
  for (const [a, name] of [[grads, 'grads'], [rates, 'rates'], [velocity, 'velocity']] as const) {
    if (!(a instanceof Float64Array) || a.length !== n) check.fail(name, `a Float64Array of ${n} values (as many as params)`, a);
  }
  checkUpdate(rate, momentum, decay, nesterov);
  sgdUpdate(params, grads, rates, velocity, rate, momentum, decay, nesterov);
}

/** Adam's hyper-parameters (Kingma & Ba), and whether weight decay is decoupled (AdamW, Loshchilov & Hutter). */
export interface AdamSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** true: AdamW (θ ← θ − ηr(Adam's step + λθ)); false: Adam (λθ added to the gradient). */
  decoupled: boolean;
}

/** Adam's bias corrections for update t (1-based): 1/(1 − β1^t) and 1/(1 − β2^t), computed in float64 (both backends). */
export function adamCorrections(t: number, beta1: number, beta2: number): [number, number] {
  return [1 / (1 - beta1 ** t), 1 / (1 - beta2 ** t)];
}

/**
 * Adam (decoupled false) and AdamW (true), update t (1-based), with no argument checks; every array
 * params.length long. With g'_k = g_k + λθ_k (Adam) or g_k (AdamW):
 *   m_k ← β1 m_k + (1 − β1) g'_k;  v_k ← β2 v_k + (1 − β2) g'_k²
 *   θ_k ← θ_k − η r_k (c1 m_k / (√(c2 v_k) + ε) [+ λ θ_k for AdamW]),  c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t)
 */
export function adamUpdate(
  params: Float64Array, grads: Float64Array, rates: Float64Array, m: Float64Array, v: Float64Array,
  t: number, rate: number, decay: number, s: AdamSettings,
): void {
  const n = params.length;
  const { beta1, beta2, epsilon } = s;
  const [c1, c2] = adamCorrections(t, beta1, beta2);
  const coupled = s.decoupled ? 0 : decay;
  const decoupled = s.decoupled ? decay : 0;
  for (let k = 0; k < n; k++) {
    const p = params[k];
    const g = grads[k] + coupled * p;
    const mk = beta1 * m[k] + (1 - beta1) * g;
    const vk = beta2 * v[k] + (1 - beta2) * g * g;
    m[k] = mk;
    v[k] = vk;
    params[k] = p - rate * rates[k] * ((c1 * mk) / (Math.sqrt(c2 * vk) + epsilon) + decoupled * p);
  }
}

/** Checks update()'s rate, momentum, decay and Nesterov flag (ArgumentError naming the field), both backends. */
export function checkUpdate(rate: number, momentum: number, decay: number, nesterov = false): void {
  check.finite(rate, 'rate');
  check.finite(momentum, 'momentum', 0, 1, 'a number in [0, 1)');
  if (momentum === 1) check.fail('momentum', 'a number in [0, 1)', momentum);
  check.finite(decay, 'decay', 0, Infinity, 'a non-negative number');
  if (typeof nesterov !== 'boolean') check.fail('nesterov', 'true or false', nesterov);
}

/** Checks Adam's settings and its update count (ArgumentError naming the field), both backends. */
export function checkAdam(t: number, rate: number, decay: number, s: AdamSettings): void {
  check.integer(t, 't', 1);
  check.finite(rate, 'rate');
  check.finite(decay, 'decay', 0, Infinity, 'a non-negative number');
  check.object(s, 'settings', 'an object {beta1, beta2, epsilon, decoupled}');
  for (const f of ['beta1', 'beta2'] as const) {
    check.finite(s[f], `settings.${f}`, 0, 1, 'a number in [0, 1)');
    if (s[f] === 1) check.fail(`settings.${f}`, 'a number in [0, 1)', s[f]);
  }
  check.finite(s.epsilon, 'settings.epsilon', 0, Infinity, 'a positive number');
  if (s.epsilon === 0) check.fail('settings.epsilon', 'a positive number', 0);
  if (typeof s.decoupled !== 'boolean') check.fail('settings.decoupled', 'true (AdamW) or false (Adam)', s.decoupled);
}

/**
 * Gradient-norm clipping: when the global L2 norm ‖g‖ = √(Σ_k g_k²) (summed in float64, in index order)
 * exceeds maxNorm, every g_k is scaled by maxNorm/‖g‖ in place (in the array's own precision). Returns ‖g‖.
 * The trainer runs it after the batch's reduction and before the update, on either backend's gradients.
 */
export function clipGradients(grads: Float32Array | Float64Array, maxNorm: number): number {
  let ss = 0;
  for (let k = 0; k < grads.length; k++) ss += grads[k] * grads[k];
  const norm = Math.sqrt(ss);
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let k = 0; k < grads.length; k++) grads[k] *= scale;
  }
  return norm;
}
