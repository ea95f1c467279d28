// Batch normalisation kernels (src/layers/batchnorm.ts is their float64 twin; docs/SPEC.md, "Beyond the
// notes: batch normalisation"). Activations x, y, dy, dx are f32 [batch][C][S], S = h·w (1 after a fully
// connected layer); [b0, b1) a chunk of the batch (src/wasm/chunk.ts's chunkRange). Statistics are f64:
// stats [C][3] = (μ_c, σ_c², 1/√(σ_c² + ε)), a chunk's partials [C][2].
//
// A training step runs, each phase over every chunk before the next:
//   batchnorm_partials → batchnorm_combine → batchnorm_forward               (forward)
//   batchnorm_backward_partials → batchnorm_sum_partials → batchnorm_backward_input   (backward)
// The reductions over the batch (combine, sum_partials) run in chunk order, and a chunk's bounds do not
// depend on the thread count, so every statistic is bit-identical at any thread count.

import { act_backward, act_forward } from './activation';
import { at, madd } from './gemm';

/** Bytes from one map's f64 pair (partials, totals) to the next. */
const PAIR_SHIFT: usize = 4;

/** The f64 lanes of two f64x2 accumulators, summed. */
// @ts-ignore: decorator
@inline function hsum64(a: v128, b: v128): f64 {
  const s = f64x2.add(a, b);
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/** The high two f32 lanes of v as f64x2 (promote_low's twin). */
// @ts-ignore: decorator
@inline function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

// Over the chunk's n = (b1 − b0)·S values of each map c, in f64 and in two passes (no cancellation in
// Σx² − nμ²):  partials[c] = (μ_q = Σx / n,  M2_q = Σ (x − μ_q)²)
export function batchnorm_partials(b0: i32, b1: i32, x: usize, C: i32, S: i32, partials: usize): void {
  const count = <f64>(b1 - b0) * <f64>S;
  for (let c = 0; c < C; c++) {
    let a0 = f64x2.splat(0);
    let a1 = a0;
    let s: f64 = 0;
    for (let b = b0; b < b1; b++) {
      const xm = at(x, (b * C + c) * S);
      let i = 0;
      for (; i + 4 <= S; i += 4) {
        const v = v128.load(at(xm, i));
        a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
        a1 = f64x2.add(a1, promoteHigh(v));
      }
      for (; i < S; i++) s += <f64>load<f32>(at(xm, i));
    }
    const mean = count > 0 ? (hsum64(a0, a1) + s) / count : 0;
    const mv = f64x2.splat(mean);
    a0 = f64x2.splat(0);
    a1 = a0;
    s = 0;
    for (let b = b0; b < b1; b++) {
      const xm = at(x, (b * C + c) * S);
      let i = 0;
      for (; i + 4 <= S; i += 4) {
        const v = v128.load(at(xm, i));
        const lo = f64x2.sub(f64x2.promote_low_f32x4(v), mv);
        const hi = f64x2.sub(promoteHigh(v), mv);
        a0 = f64x2.add(a0, f64x2.mul(lo, lo));
        a1 = f64x2.add(a1, f64x2.mul(hi, hi));
      }
      for (; i < S; i++) {
        const d = <f64>load<f32>(at(xm, i)) - mean;
        s += d * d;
      }
    }
    const p = partials + (<usize>c << PAIR_SHIFT);
    store<f64>(p, mean);
    store<f64>(p, hsum64(a0, a1) + s, 8);
  }
}

// Chan, Golub & LeVeque's pairwise update, chunk q = 0, 1, … in order (n_q = |chunk q|·S values):
//   δ = μ_q − μ;  μ += δ n_q/(n + n_q);  M2 += M2_q + δ² n n_q/(n + n_q);  n += n_q
// then stats[c] = (μ, σ² = M2/N (biased, N = B·S), 1/√(σ² + ε)). Chunk q's partials: partials + q·C·16 bytes.
export function batchnorm_combine(partials: usize, chunks: i32, B: i32, S: i32, C: i32, epsilon: f64, stats: usize): void {
  const N = <f64>B * <f64>S;
  for (let c = 0; c < C; c++) {
    let n: f64 = 0;
    let mean: f64 = 0;
    let m2: f64 = 0;
    for (let q = 0; q < chunks; q++) {
      const nq = <f64>(((q + 1) * B) / chunks - (q * B) / chunks) * <f64>S;
      if (nq == 0) continue;
      const p = partials + (<usize>(q * C + c) << PAIR_SHIFT);
      const d = load<f64>(p) - mean;
      const nn = n + nq;
      mean += (d * nq) / nn;
      m2 += load<f64>(p, 8) + (d * d * n * nq) / nn;
      n = nn;
    }
    const variance = m2 / N;
    const st = stats + (<usize>(c * 3) << 3);
    store<f64>(st, mean);
    store<f64>(st, variance, 8);
    store<f64>(st, 1 / Math.sqrt(variance + epsilon), 16);
  }
}

// u = γ_c (x − μ_c)/√(σ_c² + ε) + β_c,  y = f(u): stats from the batch (training) or from the running
// averages (inference, written by the host). μ is split into f32 hi + lo, so x − μ keeps its bits when
// |μ| ≫ σ (x − hi is exact for x near μ).
export function batchnorm_forward(b0: i32, b1: i32, x: usize, C: i32, S: i32, stats: usize, scale: usize, shift: usize, act: i32, y: usize): void {
  for (let c = 0; c < C; c++) {
    const st = stats + (<usize>(c * 3) << 3);
    const mean = load<f64>(st);
    const hi = <f32>mean;
    const lo = <f32>(mean - <f64>hi);
    const k = <f32>(<f64>load<f32>(at(scale, c)) * load<f64>(st, 16));
    const beta = load<f32>(at(shift, c));
    const hv = f32x4.splat(hi);
    const lv = f32x4.splat(lo);
    const kv = f32x4.splat(k);
    const bv = f32x4.splat(beta);
    for (let b = b0; b < b1; b++) {
      const o = (b * C + c) * S;
      const xm = at(x, o);
      const ym = at(y, o);
      let i = 0;
      for (; i + 4 <= S; i += 4) {
        const dev = f32x4.sub(f32x4.sub(v128.load(at(xm, i)), hv), lv);
        v128.store(at(ym, i), madd(kv, dev, bv));
      }
      for (; i < S; i++) store<f32>(at(ym, i), k * (load<f32>(at(xm, i)) - hi - lo) + beta);
    }
  }
  act_forward(act, at(y, b0 * C * S), (b1 - b0) * C * S);
}

// δ = dy ∘ f'(u) (in place, through y = f(u)); over the chunk, per map c (f64):
//   partials[c] = (Σ δ,  Σ δ x̂),  x̂ = (x − μ_c)/√(σ_c² + ε);   dShift[c] += Σ δ,  dScale[c] += Σ δ x̂
// (dShift, dScale: the chunk's gradient buffer, ∂E/∂β and ∂E/∂γ.)
export function batchnorm_backward_partials(
  b0: i32, b1: i32, x: usize, C: i32, S: i32, stats: usize, act: i32, y: usize, dy: usize,
  partials: usize, dScale: usize, dShift: usize,
): void {
  const first = b0 * C * S;
  act_backward(act, at(y, first), at(dy, first), (b1 - b0) * C * S);
  for (let c = 0; c < C; c++) {
    const st = stats + (<usize>(c * 3) << 3);
    const mean = load<f64>(st);
    const mv = f64x2.splat(mean);
    let d0 = f64x2.splat(0);
    let d1 = d0;
    let x0 = d0;
    let x1 = d0;
    let sd: f64 = 0;
    let sx: f64 = 0;
    for (let b = b0; b < b1; b++) {
      const o = (b * C + c) * S;
      const xm = at(x, o);
      const dm = at(dy, o);
      let i = 0;
      for (; i + 4 <= S; i += 4) {
        const d = v128.load(at(dm, i));
        const v = v128.load(at(xm, i));
        const dl = f64x2.promote_low_f32x4(d);
        const dh = promoteHigh(d);
        d0 = f64x2.add(d0, dl);
        d1 = f64x2.add(d1, dh);
        x0 = f64x2.add(x0, f64x2.mul(dl, f64x2.sub(f64x2.promote_low_f32x4(v), mv)));
        x1 = f64x2.add(x1, f64x2.mul(dh, f64x2.sub(promoteHigh(v), mv)));
      }
      for (; i < S; i++) {
        const d = <f64>load<f32>(at(dm, i));
        sd += d;
        sx += d * (<f64>load<f32>(at(xm, i)) - mean);
      }
    }
    const sumD = hsum64(d0, d1) + sd;
    // Σ δ x̂ = invStd · Σ δ (x − μ): one multiply, not one per value
    const sumDX = (hsum64(x0, x1) + sx) * load<f64>(st, 16);
    const p = partials + (<usize>c << PAIR_SHIFT);
    store<f64>(p, sumD);
    store<f64>(p, sumDX, 8);
    store<f32>(at(dShift, c), load<f32>(at(dShift, c)) + <f32>sumD);
    store<f32>(at(dScale, c), load<f32>(at(dScale, c)) + <f32>sumDX);
  }
}

// totals[c] = Σ_q partials_q[c], q = 0, 1, … in order (f64; chunk q's at partials + q·C·16 bytes).
export function batchnorm_sum_partials(partials: usize, chunks: i32, C: i32, totals: usize): void {
  for (let c = 0; c < C; c++) {
    let s0: f64 = 0;
    let s1: f64 = 0;
    for (let q = 0; q < chunks; q++) {
      const p = partials + (<usize>(q * C + c) << PAIR_SHIFT);
      s0 += load<f64>(p);
      s1 += load<f64>(p, 8);
    }
    const t = totals + (<usize>c << PAIR_SHIFT);
    store<f64>(t, s0);
    store<f64>(t, s1, 8);
  }
}

// dy holds δ. Training (μ, σ² depend on every x of map c):
//   dx = γ_c/√(σ_c² + ε) · (δ − Σδ/N − x̂ Σ(δx̂)/N),  Σ over the batch (totals);
// inference: dx = γ_c/√(σ_c² + ε) · δ. dx = 0: not wanted (the first layer).
export function batchnorm_backward_input(
  b0: i32, b1: i32, x: usize, C: i32, S: i32, stats: usize, scale: usize, dy: usize,
  totals: usize, N: f64, training: i32, dx: usize,
): void {
  if (dx == 0) return;
  for (let c = 0; c < C; c++) {
    const st = stats + (<usize>(c * 3) << 3);
    const mean = load<f64>(st);
    const inv = load<f64>(st, 16);
    const k = <f32>(<f64>load<f32>(at(scale, c)) * inv);
    const kv = f32x4.splat(k);
    if (!training) {
      for (let b = b0; b < b1; b++) {
        const o = (b * C + c) * S;
        const dm = at(dy, o);
        const gm = at(dx, o);
        let i = 0;
        for (; i + 4 <= S; i += 4) v128.store(at(gm, i), f32x4.mul(kv, v128.load(at(dm, i))));
        for (; i < S; i++) store<f32>(at(gm, i), k * load<f32>(at(dm, i)));
      }
      continue;
    }
    const t = totals + (<usize>c << PAIR_SHIFT);
    // γ invStd (δ − Σδ/N − x̂ Σ(δx̂)/N) = k (δ − (m1 + m2 (x − μ))), m2 = invStd Σ(δx̂)/N. The three
    // terms nearly cancel wherever the batch's δ is mostly its mean: in float64, rounded once.
    const m1 = load<f64>(t) / N;
    const m2 = (load<f64>(t, 8) * inv) / N;
    const k64 = <f64>load<f32>(at(scale, c)) * inv;
    const m1v = f64x2.splat(m1);
    const m2v = f64x2.splat(m2);
    const mv = f64x2.splat(mean);
    const k2 = f64x2.splat(k64);
    for (let b = b0; b < b1; b++) {
      const o = (b * C + c) * S;
      const xm = at(x, o);
      const dm = at(dy, o);
      const gm = at(dx, o);
      let i = 0;
      for (; i + 2 <= S; i += 2) {
        const dev = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(at(xm, i))), mv);
        const d = f64x2.promote_low_f32x4(v128.load64_zero(at(dm, i)));
        const r = f64x2.mul(k2, f64x2.sub(d, f64x2.add(m1v, f64x2.mul(m2v, dev))));
        v128.store64_lane(at(gm, i), f32x4.demote_f64x2_zero(r), 0);
      }
      for (; i < S; i++) {
        const dev = <f64>load<f32>(at(xm, i)) - mean;
        store<f32>(at(gm, i), <f32>(k64 * (<f64>load<f32>(at(dm, i)) - (m1 + m2 * dev))));
      }
    }
  }
}
