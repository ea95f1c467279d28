// The float64 reference kernels: straightforward loops, written to be read against the notes
// (docs/SPEC.md; the § numbers below are its sections).
// Loop order keeps the innermost loop contiguous and hoists kernel values, but nothing cleverer:
// this is the implementation the fast paths are tested against.

import { Act, type Kernels, type Vec } from './kernels.js';

const LECUN_A = 1.7159;
const LECUN_S = 2 / 3;

// §3.1  (x * k)[u][v] = Σ_{p,q} x[u+p][v+q] · k[K-1-p][K-1-q]          y += x * k   (valid)
export function convValid(x: Vec, xo: number, h: number, w: number, k: Vec, ko: number, K: number, y: Vec, yo: number): void {
  const oh = h - K + 1;
  const ow = w - K + 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      const kv = k[ko + (K - 1 - p) * K + (K - 1 - q)];
      for (let u = 0; u < oh; u++) {
        const xr = xo + (u + p) * w + q;
        const yr = yo + u * ow;
        for (let v = 0; v < ow; v++) y[yr + v] += kv * x[xr + v];
      }
    }
  }
}

// §3.2.1  y += conv2(d, rot180(k), 'full'):  ∂/∂x[u+p][v+q] of (x * k)[u][v] is k[K-1-p][K-1-q],
// so each sensitivity d[u][v] scatters through the kernel back onto the K×K patch it came from.
export function convFull(d: Vec, dO: number, h: number, w: number, k: Vec, ko: number, K: number, y: Vec, yo: number): void {
  const yw = w + K - 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      const kv = k[ko + (K - 1 - p) * K + (K - 1 - q)];
      for (let u = 0; u < h; u++) {
        const yr = yo + (u + p) * yw + q;
        const dr = dO + u * w;
        for (let v = 0; v < w; v++) y[yr + v] += kv * d[dr + v];
      }
    }
  }
}

// §3.1.1  ∂E/∂k_ij = Σ_{u,v} (δ_j)_{uv} (p_i)_{uv} = rot180(conv2(x_i, rot180(δ_j), 'valid'))
export function kernelGradient(x: Vec, xo: number, h: number, w: number, d: Vec, dO: number, K: number, g: Vec, go: number): void {
  const oh = h - K + 1;
  const ow = w - K + 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      let s = 0;
      for (let u = 0; u < oh; u++) {
        const xr = xo + (u + p) * w + q;
        const dr = dO + u * ow;
        for (let v = 0; v < ow; v++) s += d[dr + v] * x[xr + v];
      }
      g[go + (K - 1 - p) * K + (K - 1 - q)] += s;
    }
  }
}

// Beyond the notes (docs/SPEC.md, "padding and stride"): §3.1 over x̃, x padded with P zeros on every
// side, at every s-th position: y[Ho×Wo] += u with Ho = ⌊(h + 2P − K)/s⌋ + 1,
//   u[a][b] = Σ_{p,q} x̃[s·a + p][s·b + q] · k[K-1-p][K-1-q].
// Padding positions contribute nothing, so each tap (p, q) runs only over the output columns
// [b0, b1] whose input column s·b + q − P lies inside x (firstInside/lastInside).
export function convStrided(
  x: Vec, xo: number, h: number, w: number, k: Vec, ko: number, K: number, pad: number, stride: number, y: Vec, yo: number,
): void {
  const oh = Math.floor((h + 2 * pad - K) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - K) / stride) + 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      const kv = k[ko + (K - 1 - p) * K + (K - 1 - q)];
      const b0 = firstInside(q - pad, stride);
      const b1 = lastInside(q - pad, stride, w, ow);
      for (let a = 0; a < oh; a++) {
        const r = stride * a + p - pad;
        if (r < 0 || r >= h) continue;
        const xr = xo + r * w + q - pad;
        const yr = yo + a * ow;
        for (let b = b0; b <= b1; b++) y[yr + b] += kv * x[xr + stride * b];
      }
    }
  }
}

// The input gradient of convStrided (its transpose), accumulate into y[h×w] from d[Ho×Wo]:
//   ∂E/∂x[r][c] = Σ_{a,b,p,q : s·a+p = r+P, s·b+q = c+P} d[a][b] · k[K-1-p][K-1-q]
// (§3.2.1's full convolution when P = 0, s = 1); sensitivities of padding positions are dropped.
export function convStridedTranspose(
  d: Vec, dO: number, h: number, w: number, k: Vec, ko: number, K: number, pad: number, stride: number, y: Vec, yo: number,
): void {
  const oh = Math.floor((h + 2 * pad - K) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - K) / stride) + 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      const kv = k[ko + (K - 1 - p) * K + (K - 1 - q)];
      const b0 = firstInside(q - pad, stride);
      const b1 = lastInside(q - pad, stride, w, ow);
      for (let a = 0; a < oh; a++) {
        const r = stride * a + p - pad;
        if (r < 0 || r >= h) continue;
        const yr = yo + r * w + q - pad;
        const dr = dO + a * ow;
        for (let b = b0; b <= b1; b++) y[yr + stride * b] += kv * d[dr + b];
      }
    }
  }
}

// The kernel gradient of convStrided (§3.1.1 when P = 0, s = 1), accumulate into g[K×K]:
//   ∂E/∂k[K-1-p][K-1-q] = Σ_{a,b} d[a][b] · x̃[s·a + p][s·b + q]      (x is h×w, d is Ho×Wo)
export function kernelGradientStrided(
  x: Vec, xo: number, h: number, w: number, d: Vec, dO: number, K: number, pad: number, stride: number, g: Vec, go: number,
): void {
  const oh = Math.floor((h + 2 * pad - K) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - K) / stride) + 1;
  for (let p = 0; p < K; p++) {
    for (let q = 0; q < K; q++) {
      const b0 = firstInside(q - pad, stride);
      const b1 = lastInside(q - pad, stride, w, ow);
      let s = 0;
      for (let a = 0; a < oh; a++) {
        const r = stride * a + p - pad;
        if (r < 0 || r >= h) continue;
        const xr = xo + r * w + q - pad;
        const dr = dO + a * ow;
        for (let b = b0; b <= b1; b++) s += d[dr + b] * x[xr + stride * b];
      }
      g[go + (K - 1 - p) * K + (K - 1 - q)] += s;
    }
  }
}

/** The first output index b ≥ 0 whose input index s·b + o is ≥ 0. */
function firstInside(o: number, stride: number): number {
  return o >= 0 ? 0 : Math.ceil(-o / stride);
}

/** The last output index b < n whose input index s·b + o is < w (−1 when none). */
function lastInside(o: number, stride: number, w: number, n: number): number {
  return Math.min(n - 1, Math.floor((w - 1 - o) / stride));
}

// §3.2  down(x): the sum over each distinct n×n block
export function downSum(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void {
  const oh = h / n;
  const ow = w / n;
  for (let a = 0; a < oh; a++) {
    for (let b = 0; b < ow; b++) {
      let s = 0;
      for (let r = 0; r < n; r++) {
        const xr = xo + (a * n + r) * w + b * n;
        for (let c = 0; c < n; c++) s += x[xr + c];
      }
      y[yo + a * ow + b] = s;
    }
  }
}

// §3.2  the alternative down(): keep every n-th sample
export function downDecimate(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void {
  const oh = h / n;
  const ow = w / n;
  for (let a = 0; a < oh; a++) {
    for (let b = 0; b < ow; b++) y[yo + a * ow + b] = x[xo + a * n * w + b * n];
  }
}

// §3.1.1  up(x) = x ⊗ 1_{n×n}, scaled by s (the next layer's β)
export function upSum(d: Vec, dO: number, h: number, w: number, n: number, s: number, y: Vec, yo: number): void {
  const yw = w * n;
  for (let a = 0; a < h; a++) {
    for (let b = 0; b < w; b++) {
      const v = s * d[dO + a * w + b];
      for (let r = 0; r < n; r++) {
        const yr = yo + (a * n + r) * yw + b * n;
        for (let c = 0; c < n; c++) y[yr + c] = v;
      }
    }
  }
}

// The transpose of downDecimate: only the kept samples receive a gradient.
export function upDecimate(d: Vec, dO: number, h: number, w: number, n: number, s: number, y: Vec, yo: number): void {
  const yw = w * n;
  y.fill(0, yo, yo + h * n * yw);
  for (let a = 0; a < h; a++) {
    for (let b = 0; b < w; b++) y[yo + a * n * yw + b * n] = s * d[dO + a * w + b];
  }
}

// Beyond the notes: max pooling (docs/SPEC.md), the third down() of §3.2.
//   down(x)[a][b] = max_{r,c<n} x[a·n+r][b·n+c]
// Its derivative is 1 at one sample of the block, the argmax, and 0 at the others; ties go to the first
// maximum in row-major order (a strict > keeps the first).

/** Offset within x (of row width w) of the argmax of n×n block (a, b), starting at xo. */
export function blockArgmax(x: Vec, xo: number, w: number, n: number, a: number, b: number): number {
  let at = xo + a * n * w + b * n;
  let best = x[at];
  for (let r = 0; r < n; r++) {
    const xr = xo + (a * n + r) * w + b * n;
    for (let c = 0; c < n; c++) {
      if (x[xr + c] > best) {
        best = x[xr + c];
        at = xr + c;
      }
    }
  }
  return at;
}

// down(x)[a][b] = max of the n×n block (a, b)
export function downMax(x: Vec, xo: number, h: number, w: number, n: number, y: Vec, yo: number): void {
  const oh = h / n;
  const ow = w / n;
  for (let a = 0; a < oh; a++) {
    for (let b = 0; b < ow; b++) y[yo + a * ow + b] = x[blockArgmax(x, xo, w, n, a, b)];
  }
}

// ∂E/∂x = s · δ[a][b] at the argmax of block (a, b) of x, 0 elsewhere: the only sample that moved down(x)
export function upMax(d: Vec, dO: number, h: number, w: number, n: number, s: number, x: Vec, xo: number, y: Vec, yo: number): void {
  const yw = w * n;
  y.fill(0, yo, yo + h * n * yw);
  for (let a = 0; a < h; a++) {
    for (let b = 0; b < w; b++) y[yo + blockArgmax(x, xo, yw, n, a, b) - xo] = s * d[dO + a * w + b];
  }
}

// §2  x = f(u)
export function activate(act: Act, u: Vec, uo: number, count: number, x: Vec, xo: number): void {
  switch (act) {
    case Act.Identity:
      if (u !== x || uo !== xo) for (let i = 0; i < count; i++) x[xo + i] = u[uo + i];
      return;
    case Act.Sigmoid:
      for (let i = 0; i < count; i++) x[xo + i] = 1 / (1 + Math.exp(-u[uo + i]));
      return;
    case Act.Tanh:
      for (let i = 0; i < count; i++) x[xo + i] = Math.tanh(u[uo + i]);
      return;
    case Act.LeCun:
      for (let i = 0; i < count; i++) x[xo + i] = LECUN_A * Math.tanh(LECUN_S * u[uo + i]);
      return;
    case Act.Relu:
      for (let i = 0; i < count; i++) {
        const v = u[uo + i];
        x[xo + i] = v > 0 ? v : 0;
      }
      return;
  }
}

// §2  δ = ∂E/∂x ∘ f'(u), with f'(u) written through x = f(u)
export function activationBackward(act: Act, x: Vec, xo: number, count: number, g: Vec, go: number): void {
  switch (act) {
    case Act.Identity:
      return;
    case Act.Sigmoid: // σ' = σ(1 − σ)
      for (let i = 0; i < count; i++) {
        const y = x[xo + i];
        g[go + i] *= y * (1 - y);
      }
      return;
    case Act.Tanh: // tanh' = 1 − tanh²
      for (let i = 0; i < count; i++) {
        const y = x[xo + i];
        g[go + i] *= 1 - y * y;
      }
      return;
    case Act.LeCun: // d/du A·tanh(S·u) = S·(A − x²/A)
      for (let i = 0; i < count; i++) {
        const y = x[xo + i];
        g[go + i] *= LECUN_S * (LECUN_A - (y * y) / LECUN_A);
      }
      return;
    case Act.Relu:
      for (let i = 0; i < count; i++) if (!(x[xo + i] > 0)) g[go + i] = 0;
      return;
  }
}

// §2  C = alpha · op(A) · op(B) + beta · C
export function gemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: Vec, ao: number, B: Vec, bo: number, beta: number, C: Vec, co: number,
): void {
  for (let m = 0; m < M; m++) {
    const cr = co + m * N;
    if (beta === 0) C.fill(0, cr, cr + N);
    else if (beta !== 1) for (let n = 0; n < N; n++) C[cr + n] *= beta;
    for (let k = 0; k < K; k++) {
      const a = alpha * (transA ? A[ao + k * M + m] : A[ao + m * K + k]);
      if (transB) {
        for (let n = 0; n < N; n++) C[cr + n] += a * B[bo + n * K + k];
      } else {
        const br = bo + k * N;
        for (let n = 0; n < N; n++) C[cr + n] += a * B[br + n];
      }
    }
  }
}

export function axpy(n: number, a: number, x: Vec, xo: number, y: Vec, yo: number): void {
  for (let i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
}

export function addScalar(n: number, a: number, y: Vec, yo: number): void {
  for (let i = 0; i < n; i++) y[yo + i] += a;
}

export function sum(x: Vec, xo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += x[xo + i];
  return s;
}

export function dot(n: number, a: Vec, ao: number, b: Vec, bo: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

export const referenceKernels: Kernels = {
  name: 'reference',
  convValid,
  convFull,
  kernelGradient,
  convStrided,
  convStridedTranspose,
  kernelGradientStrided,
  downSum,
  downDecimate,
  upSum,
  upDecimate,
  downMax,
  upMax,
  activate,
  activationBackward,
  gemm,
  axpy,
  addScalar,
  sum,
  dot,
};
