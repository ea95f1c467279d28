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
  downSum,
  downDecimate,
  upSum,
  upDecimate,
  activate,
  activationBackward,
  gemm,
  axpy,
  addScalar,
  sum,
  dot,
};
