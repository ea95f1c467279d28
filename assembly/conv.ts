// §3.1 convolution layer kernels over a range of patterns [b0, b1) of a batch (so threads can run
// disjoint ranges at once), bias and activation fused into the forward pass, f'(u) into the backward
// (§3.4). Layout [batch][map][row][col]; kernels stored for true convolution
// ((x * k)[u][v] = Σ x[u+p][v+q] k[K-1-p][K-1-q]). Host side: src/layers/conv.ts's layout, src/wasm/plan.ts.

import { CONV_BAND_FLOATS, DY_GRADIENT } from '../src/wasm/abi-constants';
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
// Zero padding P and stride s (docs/SPEC.md, "Beyond the notes: padding and stride"): the tap meets
// x̃[s·u + K−1−p'][s·v + K−1−q'] of x padded with P zeros. The kernels copy x into x̃ (padMaps), so that
// no im2col or col2im row needs bounds: im2col at any stride; col2im at stride 1, col2imStrided else.
// Bands: cols holds the output rows [u0, u0 + n) at a time (n from convBandRows, the same rule as
// src/wasm/abi.ts's convScratchFloats), so a pattern's im2col needs at most about CONV_BAND_FLOATS
// floats however large the image; each band's products write (or read) its own rows of y and δ.

// dx_i[u + K−1−p'][v + K−1−q'] += dcols[(i·K² + t)·S + (u − u0)·Wo + v] for the band's rows u0 ≤ u < u0 + n
// (S = n·Wo). Taps of one column q' run on different rows one after another, so no store waits on an
// overlapping one.
function col2im(dcols: usize, I: i32, H: i32, W: i32, K: i32, u0: i32, n: i32, dx: usize): void {
  const Wo = W - K + 1;
  const S = n * Wo;
  const KK = K * K;
  for (let i = 0; i < I; i++) {
    const xi = dx + (<usize>(i * H * W) << 2);
    for (let qq = 0; qq < K; qq++) {
      for (let u = u0; u < u0 + n; u++) {
        for (let pp = 0; pp < K; pp++) {
          const src = dcols + (<usize>((i * KK + pp * K + qq) * S + (u - u0) * Wo) << 2);
          const dst = xi + (<usize>((u + K - 1 - pp) * W + (K - 1 - qq)) << 2);
          addf(src, dst, Wo);
        }
      }
    }
  }
}

// im2col of one pattern's output rows u0 ≤ u < u0 + n at stride s over maps that need no bounds (x, or
// x̃ already padded): cols[(i·K² + t)·S + (u − u0)·Wo + v] = x_i[s·u + K−1−p'][s·v + K−1−q'], S = n·Wo.
// Stride 1 copies rows, stride 2 gathers four at a time; the choice is made per tap, outside the loop
// over rows (inside it, it cost a 3×3 stride-2 convolution 7 % of its forward pass).
function im2col(x: usize, I: i32, H: i32, W: i32, K: i32, s: i32, u0: i32, n: i32, Wo: i32, cols: usize): void {
  const S = n * Wo;
  let row = cols;
  for (let i = 0; i < I; i++) {
    const xi = x + (<usize>(i * H * W) << 2);
    for (let pp = 0; pp < K; pp++) {
      for (let qq = 0; qq < K; qq++) {
        const src = xi + (<usize>((s * u0 + K - 1 - pp) * W + (K - 1 - qq)) << 2);
        if (s == 1) {
          for (let u = 0; u < n; u++) copyf(src + (<usize>(u * W) << 2), row + (<usize>(u * Wo) << 2), Wo);
        } else if (s == 2) {
          for (let u = 0; u < n; u++) gather2(src + (<usize>(2 * u * W) << 2), row + (<usize>(u * Wo) << 2), Wo);
        } else {
          for (let u = 0; u < n; u++) gather(src + (<usize>(s * u * W) << 2), row + (<usize>(u * Wo) << 2), Wo, s);
        }
        row += <usize>S << 2;
      }
    }
  }
}

// out[v] = src[s·v], v < n: any other stride's im2col rows (out of line, so that stride 2's loop stays small).
function gather(src: usize, out: usize, n: i32, s: i32): void {
  for (let v = 0; v < n; v++) store<f32>(out + (<usize>v << 2), load<f32>(src + (<usize>(s * v) << 2)));
}

// out[v] = src[2v], v < n: stride 2's im2col rows, four at a time (the even lanes of eight; the last
// group reads src[2n − 1] too, a float of the memory that is never used).
// @ts-ignore: decorator
@inline function gather2(src: usize, out: usize, n: i32): void {
  let v = 0;
  for (; v + 4 <= n; v += 4) {
    const a = src + (<usize>(2 * v) << 2);
    v128.store(out + (<usize>v << 2), v128.shuffle<f32>(v128.load(a), v128.load(a, 16), 0, 2, 4, 6));
  }
  for (; v < n; v++) store<f32>(out + (<usize>v << 2), load<f32>(src + (<usize>(2 * v) << 2)));
}

// col2im at stride s over maps that need no bounds (dx̃): dx_i[s·u + K−1−p'][s·v + K−1−q'] +=
// dcols[(i·K² + t)·S + (u − u0)·Wo + v] for the band's rows u0 ≤ u < u0 + n (S = n·Wo). At stride 2, taps q' and q'+1 of one row p' land on the even and odd
// columns of one span: they are interleaved and added eight floats at a time (addPair2), so every
// float read and written carries a value; an odd K's last column of taps goes alone (scatterAdd2).
function col2imStrided(dcols: usize, I: i32, H: i32, W: i32, K: i32, s: i32, u0: i32, n: i32, Wo: i32, dx: usize): void {
  const S = n * Wo;
  const KK = K * K;
  for (let i = 0; i < I; i++) {
    const xi = dx + (<usize>(i * H * W) << 2);
    const di = dcols + (<usize>(i * KK * S) << 2);
    let qq = 0;
    if (s == 2) {
      for (; qq + 1 < K; qq += 2) {
        for (let u = u0; u < u0 + n; u++) {
          for (let pp = 0; pp < K; pp++) {
            const a = di + (<usize>((pp * K + qq) * S + (u - u0) * Wo) << 2); // column 2v + K−1−q'
            const dst = xi + (<usize>((2 * u + K - 1 - pp) * W + K - 2 - qq) << 2);
            addPair2(a + (<usize>S << 2), a, dst, Wo);
          }
        }
      }
    }
    for (; qq < K; qq++) {
      for (let u = u0; u < u0 + n; u++) {
        for (let pp = 0; pp < K; pp++) {
          const src = di + (<usize>((pp * K + qq) * S + (u - u0) * Wo) << 2);
          const dst = xi + (<usize>((s * u + K - 1 - pp) * W + K - 1 - qq) << 2);
          if (s == 2) scatterAdd2(src, dst, Wo);
          else scatterAdd(src, dst, Wo, s);
        }
      }
    }
  }
}

// dst[s·v] += src[v], v < n: any other stride's col2im rows (out of line, so that stride 2's loop stays small).
function scatterAdd(src: usize, dst: usize, n: i32, s: i32): void {
  for (let v = 0; v < n; v++) {
    const at = dst + (<usize>(s * v) << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>v << 2)));
  }
}

// dst[2v] += even[v], dst[2v + 1] += odd[v], v < n: two stride-2 col2im rows in one pass.
// @ts-ignore: decorator
@inline function addPair2(even: usize, odd: usize, dst: usize, n: i32): void {
  let v = 0;
  for (; v + 4 <= n; v += 4) {
    const e = v128.load(even + (<usize>v << 2));
    const o = v128.load(odd + (<usize>v << 2));
    const a = dst + (<usize>(2 * v) << 2);
    v128.store(a, f32x4.add(v128.load(a), v128.shuffle<f32>(e, o, 0, 4, 1, 5)));
    v128.store(a, f32x4.add(v128.load(a, 16), v128.shuffle<f32>(e, o, 2, 6, 3, 7)), 16);
  }
  for (; v < n; v++) {
    const a = dst + (<usize>(2 * v) << 2);
    store<f32>(a, load<f32>(a) + load<f32>(even + (<usize>v << 2)));
    store<f32>(a, load<f32>(a, 4) + load<f32>(odd + (<usize>v << 2)), 4);
  }
}

// dst[2v] += src[v], v < n: stride 2's col2im rows, four at a time (the odd lanes add zeros). Nothing is
// stored past dst[2n − 2], which may be another thread's pattern: a last group of four ends with two
// scalar adds.
// @ts-ignore: decorator
@inline function scatterAdd2(src: usize, dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let v = 0;
  for (; v + 4 <= n; v += 4) {
    const x = v128.load(src + (<usize>v << 2));
    const a = dst + (<usize>(2 * v) << 2);
    v128.store(a, f32x4.add(v128.load(a), v128.shuffle<f32>(x, zero, 0, 4, 1, 4)));
    if (v + 4 < n) v128.store(a, f32x4.add(v128.load(a, 16), v128.shuffle<f32>(x, zero, 2, 4, 3, 4)), 16);
    else {
      store<f32>(a, load<f32>(a, 16) + f32x4.extract_lane(x, 2), 16);
      store<f32>(a, load<f32>(a, 24) + f32x4.extract_lane(x, 3), 24);
    }
  }
  for (; v < n; v++) {
    const a = dst + (<usize>(2 * v) << 2);
    store<f32>(a, load<f32>(a) + load<f32>(src + (<usize>v << 2)));
  }
}

// x̃_i = x_i with P zeros before it and zeros after it up to Hp×Wp (H + 2P×W + 2P here; winograd.ts's
// tiles may reach further): I maps at xp, of consecutive inputs (a group of patterns is I·count maps).
// With a stride of 1 a padded convolution is the valid one over x̃: the same im2col, the same efficiency.
export function padMaps(x: usize, I: i32, H: i32, W: i32, P: i32, Hp: i32, Wp: i32, xp: usize): void {
  memory.fill(xp, 0, <usize>(I * Hp * Wp) << 2);
  for (let i = 0; i < I; i++) {
    for (let r = 0; r < H; r++) copyf(x + (<usize>((i * H + r) * W) << 2), xp + (<usize>((i * Hp + r + P) * Wp + P) << 2), W);
  }
}

// dx_i = the H×W interior at (P, P) of dx̃_i (I maps of Hp×Wp at xp): what col2im (or the tiles) over x̃
// gave the input's own positions (its padding positions are zeros, whose gradient nobody wants).
export function cropMaps(xp: usize, I: i32, H: i32, W: i32, P: i32, Hp: i32, Wp: i32, dx: usize): void {
  for (let i = 0; i < I; i++) {
    for (let r = 0; r < H; r++) copyf(xp + (<usize>((i * Hp + r + P) * Wp + P) << 2), dx + (<usize>((i * H + r) * W) << 2), W);
  }
}

// Output rows an im2col band holds: as many as fit CONV_BAND_FLOATS floats (at least one), at most Ho.
// src/wasm/abi.ts's convScratchFloats sizes the scratch by the same rule.
// @ts-ignore: decorator
@inline function convBandRows(R: i32, Ho: i32, Wo: i32): i32 {
  return max(1, min(Ho, CONV_BAND_FLOATS / (R * Wo)));
}

// Bytes of a band (R·rows·Wo floats, rounded up to 16): where the padded maps start in each scratch area.
// @ts-ignore: decorator
@inline function bandBytes(R: i32, rows: i32, Wo: i32): usize {
  return <usize>((R * rows * Wo + 15) & ~15) << 2;
}

// §3.1  u_j = Σ_i x_i * k_ij + b_j,  x_j = f(u_j), for patterns [b0, b1). kmat: [J][I·K²].
// pad P, stride s: x_i padded with P zeros and sampled every s-th position (0, 1: the notes' valid
// convolution), Ho = ⌊(H + 2P − K)/s⌋ + 1. cols, dcols: scratch of convScratchFloats (src/wasm/abi.ts)
// floats each for this caller: a band, then (P > 0) x̃ after cols' band.
export function conv_forward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32, pad: i32, stride: i32,
  kmat: usize, bias: usize, act: i32, y: usize, cols: usize, dcols: usize,
): void {
  const Ho = (H + 2 * pad - K) / stride + 1;
  const Wo = (W + 2 * pad - K) / stride + 1;
  const S = Ho * Wo;
  const R = I * K * K;
  const rows = convBandRows(R, Ho, Wo);
  const xp = cols + bandBytes(R, rows, Wo);
  for (let b = b0; b < b1; b++) {
    const yb = y + (<usize>(b * J * S) << 2);
    let from = x + (<usize>(b * I * H * W) << 2);
    if (pad > 0) {
      padMaps(from, I, H, W, pad, H + 2 * pad, W + 2 * pad, xp);
      from = xp;
    }
    for (let j = 0; j < J; j++) fillf(yb + (<usize>(j * S) << 2), load<f32>(bias + (<usize>j << 2)), S);
    for (let u0 = 0; u0 < Ho; u0 += rows) {
      const n = min(rows, Ho - u0);
      im2col(from, I, H + 2 * pad, W + 2 * pad, K, stride, u0, n, Wo, cols);
      if (S == 1) {
        for (let j = 0; j < J; j++) {
          const a = yb + (<usize>j << 2);
          store<f32>(a, load<f32>(a) + dotf(kmat + (<usize>(j * R) << 2), cols, R));
        }
      } else {
        mm_nn(J, n * Wo, R, kmat, R, 1, cols, n * Wo, yb + (<usize>(u0 * Wo) << 2), S, true);
      }
    }
    act_forward(act, yb, J * S);
  }
}

// §3.1.1 for patterns [b0, b1) of J maps of S pixels: δ_j = dy_j ∘ f'(u_j) in dy (unless dy holds δ
// already: dyHolds), and ∂E/∂b_j += Σ δ_j. The start of every convolution's backward pass (winograd.ts's too).
export function sensitivities(b0: i32, b1: i32, J: i32, S: i32, act: i32, y: usize, dy: usize, dBias: usize, dyHolds: i32): void {
  const first = <usize>(b0 * J * S) << 2;
  if (dyHolds == DY_GRADIENT) act_backward(act, y + first, dy + first, (b1 - b0) * J * S);
  for (let b = b0; b < b1; b++) {
    const d = dy + (<usize>(b * J * S) << 2);
    for (let j = 0; j < J; j++) {
      const a = dBias + (<usize>j << 2);
      store<f32>(a, load<f32>(a) + sum(d + (<usize>(j * S) << 2), S));
    }
  }
}

// §3.1.1  δ_j = dy_j ∘ f'(u_j);  ∂E/∂b_j += Σ δ_j;  ∂E/∂k_ij += Σ_uv δ_j[u][v] (patch of x_i)[u][v];
// §3.2.1  dx_i = Σ_j conv2(δ_j, rot180(k_ij), 'full'), as Kmatᵀ·Δ scattered back (with pad P onto dx̃,
// whose interior is dx_i: the padding zeros' gradient is dropped). Band by band, as conv_forward.
// dK: [J][I·K²]; dx = 0: no input gradient. cols, dcols: scratch as conv_forward's (with P > 0, x̃
// after cols' band and dx̃ after dcols' band).
// dyHolds: DY_GRADIENT (∂E/∂y, f' applied here) or DY_SENSITIVITY (δ already: the subsampling layer
// above folded f' in, subsample_backward's prevY).
export function conv_backward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32, pad: i32, stride: i32,
  kmat: usize, act: i32, y: usize, dy: usize, dK: usize, dBias: usize, dx: usize, cols: usize, dcols: usize,
  dyHolds: i32,
): void {
  const Ho = (H + 2 * pad - K) / stride + 1;
  const Wo = (W + 2 * pad - K) / stride + 1;
  const S = Ho * Wo;
  const R = I * K * K;
  const rows = convBandRows(R, Ho, Wo);
  const xp = cols + bandBytes(R, rows, Wo);
  const dxp = dcols + bandBytes(R, rows, Wo);
  const Hp = H + 2 * pad;
  const Wp = W + 2 * pad;
  sensitivities(b0, b1, J, S, act, y, dy, dBias, dyHolds);
  for (let b = b0; b < b1; b++) {
    const d = dy + (<usize>(b * J * S) << 2);
    let from = x + (<usize>(b * I * H * W) << 2);
    if (pad > 0) {
      padMaps(from, I, H, W, pad, H + 2 * pad, W + 2 * pad, xp);
      from = xp;
    }
    // the input gradient goes straight into dx, or (P > 0) into dx̃, whose interior is then dx
    const dxb = dx + (<usize>(b * I * H * W) << 2);
    const to = pad > 0 ? dxp : dxb;
    if (dx != 0) memory.fill(to, 0, <usize>(I * Hp * Wp) << 2);
    for (let u0 = 0; u0 < Ho; u0 += rows) {
      const n = min(rows, Ho - u0);
      const nS = n * Wo;
      const dBand = d + (<usize>(u0 * Wo) << 2);
      im2col(from, I, Hp, Wp, K, stride, u0, n, Wo, cols);
      if (S == 1) {
        for (let j = 0; j < J; j++) axpyf(R, load<f32>(d + (<usize>j << 2)), cols, dK + (<usize>(j * R) << 2));
      } else {
        mm_nt(J, R, nS, dBand, S, cols, nS, dK, R);
      }
      if (dx == 0) continue;
      if (S == 1) {
        memory.fill(dcols, 0, <usize>R << 2);
        for (let j = 0; j < J; j++) axpyf(R, load<f32>(d + (<usize>j << 2)), kmat + (<usize>(j * R) << 2), dcols);
      } else {
        mm_nn(R, nS, J, kmat, 1, R, dBand, S, dcols, nS, false);
      }
      if (stride == 1) col2im(dcols, I, Hp, Wp, K, u0, n, to);
      else col2imStrided(dcols, I, Hp, Wp, K, stride, u0, n, Wo, to);
    }
    if (dx != 0 && pad > 0) cropMaps(dxp, I, H, W, pad, Hp, Wp, dxb);
  }
}
