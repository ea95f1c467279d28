// Winograd's minimal filtering (beyond the notes; docs/SPEC.md, "Beyond the notes: fast convolution"):
// the transforms that let the wasm kernels (assembly/winograd.ts) compute §3.1's convolution, §3.1.1's
// kernel gradient and §3.2.1's full convolution with fewer multiplications than the direct sums.
//
// F(m, r) computes m outputs of a correlation with an r-tap kernel from α = m + r − 1 inputs with α
// multiplications. In 2-D, for one α×α tile d of the input and one r×r kernel g (g[p][q] = k[K−1−p][K−1−q]:
// convnotes stores kernels for true convolution):
//   Y  = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A                       the m×m outputs (§3.1)
// and, since Y is linear in d and in g, its adjoints, with dM = A dY Aᵀ:
//   ∂E/∂g = Gᵀ [ Σ_tiles dM ⊙ (Bᵀ d B) ] G                   (§3.1.1's kernel gradient)
//   ∂E/∂d = B [ dM ⊙ (G g Gᵀ) ] Bᵀ, added over overlapping tiles (§3.2.1's input gradient)
// Over maps, the ⊙ becomes α² matrix products, one per point ξ of the tile (U = G g Gᵀ, V = Bᵀ d B):
//   M[ξ][j][t] = Σ_i U[ξ][j][i] V[ξ][i][t],  ∂U[ξ][j][i] = Σ_t dM[ξ][j][t] V[ξ][i][t],  ∂V[ξ][i][t] = Σ_j U[ξ][j][i] dM[ξ][j][t].
//
// The matrices come from Toom–Cook: evaluate at α points (here 0, ±1, ±2, ±½ and ∞, as many as α takes)
// and interpolate. With E_n the α×n matrix whose row for a finite point p is (1, p, …, p^{n−1}) and whose
// row for ∞ is (0, …, 0, 1), the linear convolution of an m- and an r-vector is E_α⁻¹[(E_m a) ⊙ (E_r g)];
// its transpose in a is the correlation: Aᵀ = E_mᵀ, G = E_r, Bᵀ = E_α⁻ᵀ.

/** The interpolation points by α (∞ last): small integers and halves keep the transforms' float32 error low. */
const POINTS: Record<number, readonly number[]> = {
  3: [0, 1],
  4: [0, 1, -1],
  5: [0, 1, -1, 2],
  6: [0, 1, -1, 2, -2],
  7: [0, 1, -1, 2, -2, 0.5],
  8: [0, 1, -1, 2, -2, 0.5, -0.5],
};

/** The largest tile α = m + r − 1 with transforms here: beyond 8, float32 loses more than 1e-4 (docs/SPEC.md). */
export const MAX_WINOGRAD_ALPHA = 8;

/** F(m, r)'s transforms, row-major float64: Bᵀ [α][α], Aᵀ [m][α], G [α][r]. */
export interface WinogradTransforms {
  m: number;
  r: number;
  alpha: number;
  BT: Float64Array;
  AT: Float64Array;
  G: Float64Array;
}

/** E_n: α×n, row j the powers of point j (the last row: ∞, the leading coefficient). */
function evaluation(points: readonly number[], n: number): Float64Array {
  const alpha = points.length + 1;
  const E = new Float64Array(alpha * n);
  points.forEach((p, j) => {
    let power = 1;
    for (let c = 0; c < n; c++, power *= p) E[j * n + c] = power;
  });
  E[(alpha - 1) * n + n - 1] = 1;
  return E;
}

/** The inverse of an n×n matrix by Gauss–Jordan with partial pivoting (n ≤ 8, well conditioned by the points' choice). */
function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[pivot * n + c])) pivot = r;
    for (let k = 0; k < n; k++) {
      [m[c * n + k], m[pivot * n + k]] = [m[pivot * n + k], m[c * n + k]];
      [inv[c * n + k], inv[pivot * n + k]] = [inv[pivot * n + k], inv[c * n + k]];
    }
    const d = m[c * n + c];
    for (let k = 0; k < n; k++) {
      m[c * n + k] /= d;
      inv[c * n + k] /= d;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      if (f === 0) continue;
      for (let k = 0; k < n; k++) {
        m[r * n + k] -= f * m[c * n + k];
        inv[r * n + k] -= f * inv[c * n + k];
      }
    }
  }
  return inv;
}

/** F(m, r)'s transforms (m ≥ 1, r ≥ 2, α = m + r − 1 from 3 to MAX_WINOGRAD_ALPHA). */
export function winogradTransforms(m: number, r: number): WinogradTransforms {
  const alpha = m + r - 1;
  const points = POINTS[alpha];
  if (!points || m < 1 || r < 2) throw new RangeError(`winogradTransforms: no transforms for F(${m}, ${r}) (α = ${alpha}; 3 ≤ α ≤ ${MAX_WINOGRAD_ALPHA})`);
  const Em = evaluation(points, m);
  const AT = new Float64Array(m * alpha);
  for (let j = 0; j < alpha; j++) for (let c = 0; c < m; c++) AT[c * alpha + j] = Em[j * m + c];
  // Bᵀ = E_α⁻ᵀ: row a of Bᵀ is column a of E_α⁻¹
  const inv = invert(evaluation(points, alpha), alpha);
  const BT = new Float64Array(alpha * alpha);
  for (let a = 0; a < alpha; a++) for (let b = 0; b < alpha; b++) BT[a * alpha + b] = inv[b * alpha + a];
  // exact zeros where the elimination left rounding dust, so the kernels skip them
  for (let i = 0; i < BT.length; i++) if (Math.abs(BT[i]) < 1e-12) BT[i] = 0;
  return { m, r, alpha, BT, AT, G: evaluation(points, r) };
}

/**
 * §3.1 by F(m, r) tiles in float64, accumulate: y[(h−K+1)×(w−K+1)] += x[h×w] * k[K×K] (what convValid
 * computes, kernels stored for true convolution). The tiles past the edge read zeros and their outputs
 * past it are dropped. The tests hold the transforms to convValid with it; the wasm kernels are the fast form.
 */
export function winogradConvValid(t: WinogradTransforms, x: Float64Array, h: number, w: number, k: Float64Array, y: Float64Array): void {
  const { m, r: K, alpha, BT, AT, G } = t;
  const Ho = h - K + 1;
  const Wo = w - K + 1;
  // U = G g Gᵀ, g the correlation kernel
  const U = new Float64Array(alpha * alpha);
  for (let a = 0; a < alpha; a++) {
    for (let b = 0; b < alpha; b++) {
      let s = 0;
      for (let p = 0; p < K; p++) for (let q = 0; q < K; q++) s += G[a * K + p] * k[(K - 1 - p) * K + (K - 1 - q)] * G[b * K + q];
      U[a * alpha + b] = s;
    }
  }
  const d = new Float64Array(alpha * alpha);
  const M = new Float64Array(alpha * alpha);
  for (let u0 = 0; u0 < Ho; u0 += m) {
    for (let v0 = 0; v0 < Wo; v0 += m) {
      for (let a = 0; a < alpha; a++) {
        for (let b = 0; b < alpha; b++) d[a * alpha + b] = u0 + a < h && v0 + b < w ? x[(u0 + a) * w + v0 + b] : 0;
      }
      // M = U ⊙ (Bᵀ d B)
      for (let a = 0; a < alpha; a++) {
        for (let b = 0; b < alpha; b++) {
          let s = 0;
          for (let c = 0; c < alpha; c++) for (let e = 0; e < alpha; e++) s += BT[a * alpha + c] * d[c * alpha + e] * BT[b * alpha + e];
          M[a * alpha + b] = U[a * alpha + b] * s;
        }
      }
      // y += Aᵀ M A
      for (let i = 0; i < m && u0 + i < Ho; i++) {
        for (let j = 0; j < m && v0 + j < Wo; j++) {
          let s = 0;
          for (let a = 0; a < alpha; a++) for (let b = 0; b < alpha; b++) s += AT[i * alpha + a] * M[a * alpha + b] * AT[j * alpha + b];
          y[(u0 + i) * Wo + v0 + j] += s;
        }
      }
    }
  }
}
