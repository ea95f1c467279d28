// §4.3 losses over patterns [b0, b1) of a batch whose error is the mean (invB = 1/batch).
// kind LOSS_MSE: ½Σ(y−t)² with targets off/on (or class codes); LOSS_CROSS_ENTROPY: softmax
// cross-entropy (src/wasm/abi-constants.ts), with label smoothing ε (smooth): targets (1 − ε)[k = label] + ε/K.
// Writes ∂E/∂y into dy; returns Σ E^n.

import { LOSS_MSE } from '../src/wasm/abi-constants';

export function loss_forward_backward(
  b0: i32, b1: i32, kind: i32, y: usize, labels: usize, classes: i32, off: f32, on: f32, invB: f32, dy: usize, codes: usize, smooth: f32,
): f64 {
  const tOff: f32 = smooth / <f32>classes;
  const tOn: f32 = 1 - smooth + tOff;
  let total: f64 = 0;
  for (let b = b0; b < b1; b++) {
    const label = <i32>load<u8>(labels + <usize>b);
    const yo = y + (<usize>(b * classes) << 2);
    const go = dy + (<usize>(b * classes) << 2);
    if (kind == LOSS_MSE) {
      // with class codes [labels][classes] (LeCun's RBF output) the target is the label's code
      const code = codes + (<usize>(label * classes) << 2);
      let e: f64 = 0;
      for (let k = 0; k < classes; k++) {
        const t = codes != 0 ? load<f32>(code + (<usize>k << 2)) : (k == label ? on : off);
        const r = load<f32>(yo + (<usize>k << 2)) - t;
        e += <f64>r * <f64>r;
        if (dy != 0) store<f32>(go + (<usize>k << 2), r * invB);
      }
      total += 0.5 * e;
    } else {
      let max: f32 = -Infinity;
      for (let k = 0; k < classes; k++) max = Mathf.max(max, load<f32>(yo + (<usize>k << 2)));
      let s: f64 = 0;
      for (let k = 0; k < classes; k++) s += Math.exp(<f64>(load<f32>(yo + (<usize>k << 2)) - max));
      const logZ = <f64>max + Math.log(s);
      if (smooth != 0) {
        // E^n = logZ − Σ t_k y_k (Σ t_k = 1)
        let ty: f64 = 0;
        for (let k = 0; k < classes; k++) ty += <f64>(k == label ? tOn : tOff) * <f64>load<f32>(yo + (<usize>k << 2));
        total += logZ - ty;
        if (dy != 0) {
          for (let k = 0; k < classes; k++) {
            const p = <f32>Math.exp(<f64>load<f32>(yo + (<usize>k << 2)) - logZ);
            store<f32>(go + (<usize>k << 2), (p - (k == label ? tOn : tOff)) * invB);
          }
        }
        continue;
      }
      total += logZ - <f64>load<f32>(yo + (<usize>label << 2));
      if (dy != 0) {
        for (let k = 0; k < classes; k++) {
          const p = <f32>Math.exp(<f64>load<f32>(yo + (<usize>k << 2)) - logZ);
          store<f32>(go + (<usize>k << 2), (p - (k == label ? 1 : 0)) * invB);
        }
      }
    }
  }
  return total;
}
