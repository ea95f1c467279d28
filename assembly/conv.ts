// §3.1 convolution layer kernels over a range of patterns [b0, b1) of a batch (so threads can run
// disjoint ranges at once), bias and activation fused into the forward pass, f'(u) into the backward
// (§3.4). Layout [batch][map][row][col]; kernels stored for true convolution
// ((x * k)[u][v] = Σ x[u+p][v+q] k[K-1-p][K-1-q]). Host side: src/layers/conv.ts's layout, src/wasm/plan.ts.

import { DY_GRADIENT } from '../src/wasm/abi-constants';
import { act_backward, act_forward } from './activation';
import { addf, axpyf, copyf, dotf, fillf, mm_nn, mm_nt, sum } from './gemm';

// The kernels of a layer form one dense matrix Kmat [J][I·K²] (row j: the kernels k_ij of output map j,
// input map after input map; a connection table's missing pairs are zero rows of K² there). For one
// pattern, cols [I·K²][S] (S = output pixels) holds in row (i, t) the input pixels that kernel tap t of
// map i meets at each output pixel, so that
//   forward        U  [J][S]    = Kmat · cols            (+ b_j, then f)
//   kernel grad    dK [J][I·K²] += Δ · colsᵀ
//   input grad     dcols        = Kmatᵀ · Δ, scattered back onto the input maps ("col2im")
// Tap t = p'·K + q' of the stored (true-convolution) kernel meets x[u + K−1−p'][v + K−1−q'].

// cols[(i·K² + t)·S + u·Wo + v] = x_i[u + K−1−p'][v + K−1−q'] for one pattern (x at its first map).
function im2col(x: usize, I: i32, H: i32, W: i32, K: i32, cols: usize): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const S = Ho * Wo;
  let row = cols;
  for (let i = 0; i < I; i++) {
    const xi = x + (<usize>(i * H * W) << 2);
    for (let pp = 0; pp < K; pp++) {
      for (let qq = 0; qq < K; qq++) {
        const src = xi + (<usize>((K - 1 - pp) * W + (K - 1 - qq)) << 2);
        for (let u = 0; u < Ho; u++) copyf(src + (<usize>(u * W) << 2), row + (<usize>(u * Wo) << 2), Wo);
        row += <usize>S << 2;
      }
    }
  }
}

// dx_i[u + K−1−p'][v + K−1−q'] += dcols[(i·K² + t)·S + u·Wo + v]. Taps of one column q' run on
// different rows one after another, so no store waits on an overlapping one.
function col2im(dcols: usize, I: i32, H: i32, W: i32, K: i32, dx: usize): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const S = Ho * Wo;
  const KK = K * K;
  for (let i = 0; i < I; i++) {
    const xi = dx + (<usize>(i * H * W) << 2);
    for (let qq = 0; qq < K; qq++) {
      for (let u = 0; u < Ho; u++) {
        for (let pp = 0; pp < K; pp++) {
          const src = dcols + (<usize>((i * KK + pp * K + qq) * S + u * Wo) << 2);
          const dst = xi + (<usize>((u + K - 1 - pp) * W + (K - 1 - qq)) << 2);
          addf(src, dst, Wo);
        }
      }
    }
  }
}

// §3.1  u_j = Σ_i x_i * k_ij + b_j,  x_j = f(u_j), for patterns [b0, b1). kmat: [J][I·K²].
// cols: scratch of I·K²·S floats for this caller.
export function conv_forward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32,
  kmat: usize, bias: usize, act: i32, y: usize, cols: usize,
): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const S = Ho * Wo;
  const R = I * K * K;
  for (let b = b0; b < b1; b++) {
    const yb = y + (<usize>(b * J * S) << 2);
    im2col(x + (<usize>(b * I * H * W) << 2), I, H, W, K, cols);
    for (let j = 0; j < J; j++) fillf(yb + (<usize>(j * S) << 2), load<f32>(bias + (<usize>j << 2)), S);
    if (S == 1) {
      for (let j = 0; j < J; j++) {
        const a = yb + (<usize>j << 2);
        store<f32>(a, load<f32>(a) + dotf(kmat + (<usize>(j * R) << 2), cols, R));
      }
    } else {
      mm_nn(J, S, R, kmat, R, 1, cols, S, yb, S, true);
    }
    act_forward(act, yb, J * S);
  }
}

// §3.1.1  δ_j = dy_j ∘ f'(u_j);  ∂E/∂b_j += Σ δ_j;  ∂E/∂k_ij += Σ_uv δ_j[u][v] (patch of x_i)[u][v];
// §3.2.1  dx_i = Σ_j conv2(δ_j, rot180(k_ij), 'full'), as Kmatᵀ·Δ scattered back (no padding zeros).
// dK: [J][I·K²]; dx = 0: no input gradient. cols, dcols: scratch of I·K²·S floats each.
// dyHolds: DY_GRADIENT (∂E/∂y, f' applied here) or DY_SENSITIVITY (δ already: the subsampling layer
// above folded f' in, subsample_backward's prevY).
export function conv_backward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32,
  kmat: usize, act: i32, y: usize, dy: usize, dK: usize, dBias: usize, dx: usize, cols: usize, dcols: usize,
  dyHolds: i32,
): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const S = Ho * Wo;
  const R = I * K * K;
  const first = <usize>(b0 * J * S) << 2;
  if (dyHolds == DY_GRADIENT) act_backward(act, y + first, dy + first, (b1 - b0) * J * S);
  for (let b = b0; b < b1; b++) {
    const d = dy + (<usize>(b * J * S) << 2);
    for (let j = 0; j < J; j++) {
      const a = dBias + (<usize>j << 2);
      store<f32>(a, load<f32>(a) + sum(d + (<usize>(j * S) << 2), S));
    }
    im2col(x + (<usize>(b * I * H * W) << 2), I, H, W, K, cols);
    if (S == 1) {
      for (let j = 0; j < J; j++) axpyf(R, load<f32>(d + (<usize>j << 2)), cols, dK + (<usize>(j * R) << 2));
    } else {
      mm_nt(J, R, S, d, S, cols, S, dK, R);
    }
    if (dx == 0) continue;
    const dxb = dx + (<usize>(b * I * H * W) << 2);
    memory.fill(dxb, 0, <usize>(I * H * W) << 2);
    if (S == 1) {
      memory.fill(dcols, 0, <usize>R << 2);
      for (let j = 0; j < J; j++) axpyf(R, load<f32>(d + (<usize>j << 2)), kmat + (<usize>(j * R) << 2), dcols);
    } else {
      mm_nn(R, S, J, kmat, 1, R, d, S, dcols, S, false);
    }
    col2im(dcols, I, H, W, K, dxb);
  }
}
