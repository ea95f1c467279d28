// Whole-layer kernels over a range of patterns [b0, b1) of a batch, fused the way §3.4 asks: bias and
// activation inside the forward convolution, f'(u) inside the backward pass, down() as a strided block
// sum, β·up(δ) written straight into the previous layer's gradient. float32, 128-bit SIMD, vectorised
// along output rows. Addresses are byte offsets into the one linear memory; sizes are in elements.
// Every function reads and writes only the patterns of its range (and, for gradients, the buffers it is
// given), so threads can run disjoint ranges at once.
//
// Conventions are those of src/kernels/kernels.ts: layout [batch][map][row][col], kernels stored for
// true convolution ((x * k)[u][v] = Σ x[u+p][v+q] k[K-1-p][K-1-q]).

import { activate, activation_backward, sum } from './primitives';
import { hsum } from './vmath';

// a·b + c: one fused multiply-add in the relaxed-SIMD build (rounded once), a multiply and an add in
// the standard one. Either way the same on every thread, so results never depend on the thread count.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

// ---------------------------------------------------------------------------------------------------
// Activations (codes as src/kernels/kernels.ts: 0 identity, 1 sigmoid, 2 tanh, 3 LeCun, 4 ReLU).

// §2  x = f(u) in place, and g ∘= f'(u) written through x = f(u): the primitives' vectorised
// activations (primitives.ts, vmath.ts), called once per map or chunk, never per pixel.
function act_forward(act: i32, p: usize, n: i32): void {
  activate(act, p, n, p);
}

function act_backward(act: i32, x: usize, g: usize, n: i32): void {
  activation_backward(act, x, n, g);
}

// ---------------------------------------------------------------------------------------------------
// §3.1 convolution layer, as matrix products over unrolled patches ("im2col").
//
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
// deltaReady ≠ 0: dy already holds δ (the next layer folded f' in: subsample_backward).
export function conv_backward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32,
  kmat: usize, act: i32, y: usize, dy: usize, dK: usize, dBias: usize, dx: usize, cols: usize, dcols: usize,
  deltaReady: i32,
): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const S = Ho * Wo;
  const R = I * K * K;
  const first = <usize>(b0 * J * S) << 2;
  if (deltaReady == 0) act_backward(act, y + first, dy + first, (b1 - b0) * J * S);
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

// C[M×N] (+)= A·B with A(m, k) at A + 4·(m·sam + k·sak) (so Aᵀ is sam = 1, sak = lda), B [K][ldb],
// C [M][ldc]; `accumulate` false overwrites C. Blocks of 4 rows × 8 columns keep 8 sums in registers.
function mm_nn(M: i32, N: i32, K: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, C: usize, ldc: i32, accumulate: bool): void {
  const bStep = <usize>ldb << 2;
  const aStep = <usize>sak << 2;
  let m = 0;
  for (; m + 4 <= M; m += 4) {
    const a0 = A + (<usize>(m * sam) << 2);
    const a1 = a0 + (<usize>sam << 2);
    const a2 = a1 + (<usize>sam << 2);
    const a3 = a2 + (<usize>sam << 2);
    const c0 = C + (<usize>(m * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    const c2 = c1 + (<usize>ldc << 2);
    const c3 = c2 + (<usize>ldc << 2);
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      const o = <usize>n << 2;
      const z = f32x4.splat(0);
      let s00 = accumulate ? v128.load(c0 + o) : z;
      let s01 = accumulate ? v128.load(c0 + o, 16) : z;
      let s10 = accumulate ? v128.load(c1 + o) : z;
      let s11 = accumulate ? v128.load(c1 + o, 16) : z;
      let s20 = accumulate ? v128.load(c2 + o) : z;
      let s21 = accumulate ? v128.load(c2 + o, 16) : z;
      let s30 = accumulate ? v128.load(c3 + o) : z;
      let s31 = accumulate ? v128.load(c3 + o, 16) : z;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const v0 = v128.load(bp);
        const v1 = v128.load(bp, 16);
        let a = v128.load32_splat(a0 + ak);
        s00 = madd(a, v0, s00);
        s01 = madd(a, v1, s01);
        a = v128.load32_splat(a1 + ak);
        s10 = madd(a, v0, s10);
        s11 = madd(a, v1, s11);
        a = v128.load32_splat(a2 + ak);
        s20 = madd(a, v0, s20);
        s21 = madd(a, v1, s21);
        a = v128.load32_splat(a3 + ak);
        s30 = madd(a, v0, s30);
        s31 = madd(a, v1, s31);
        bp += bStep;
        ak += aStep;
      }
      v128.store(c0 + o, s00);
      v128.store(c0 + o, s01, 16);
      v128.store(c1 + o, s10);
      v128.store(c1 + o, s11, 16);
      v128.store(c2 + o, s20);
      v128.store(c2 + o, s21, 16);
      v128.store(c3 + o, s30);
      v128.store(c3 + o, s31, 16);
    }
    for (; n + 4 <= N; n += 4) {
      const o = <usize>n << 2;
      const z = f32x4.splat(0);
      let s0 = accumulate ? v128.load(c0 + o) : z;
      let s1 = accumulate ? v128.load(c1 + o) : z;
      let s2 = accumulate ? v128.load(c2 + o) : z;
      let s3 = accumulate ? v128.load(c3 + o) : z;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const v = v128.load(bp);
        s0 = madd(v128.load32_splat(a0 + ak), v, s0);
        s1 = madd(v128.load32_splat(a1 + ak), v, s1);
        s2 = madd(v128.load32_splat(a2 + ak), v, s2);
        s3 = madd(v128.load32_splat(a3 + ak), v, s3);
        bp += bStep;
        ak += aStep;
      }
      v128.store(c0 + o, s0);
      v128.store(c1 + o, s1);
      v128.store(c2 + o, s2);
      v128.store(c3 + o, s3);
    }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      let s0: f32 = accumulate ? load<f32>(c0 + o) : 0;
      let s1: f32 = accumulate ? load<f32>(c1 + o) : 0;
      let s2: f32 = accumulate ? load<f32>(c2 + o) : 0;
      let s3: f32 = accumulate ? load<f32>(c3 + o) : 0;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const v = load<f32>(bp);
        s0 += load<f32>(a0 + ak) * v;
        s1 += load<f32>(a1 + ak) * v;
        s2 += load<f32>(a2 + ak) * v;
        s3 += load<f32>(a3 + ak) * v;
        bp += bStep;
        ak += aStep;
      }
      store<f32>(c0 + o, s0);
      store<f32>(c1 + o, s1);
      store<f32>(c2 + o, s2);
      store<f32>(c3 + o, s3);
    }
  }
  for (; m + 2 <= M; m += 2) {
    const a0 = A + (<usize>(m * sam) << 2);
    const a1 = a0 + (<usize>sam << 2);
    const c0 = C + (<usize>(m * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      const o = <usize>n << 2;
      const z = f32x4.splat(0);
      let s00 = accumulate ? v128.load(c0 + o) : z;
      let s01 = accumulate ? v128.load(c0 + o, 16) : z;
      let s10 = accumulate ? v128.load(c1 + o) : z;
      let s11 = accumulate ? v128.load(c1 + o, 16) : z;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const v0 = v128.load(bp);
        const v1 = v128.load(bp, 16);
        const x0 = v128.load32_splat(a0 + ak);
        const x1 = v128.load32_splat(a1 + ak);
        s00 = madd(x0, v0, s00);
        s01 = madd(x0, v1, s01);
        s10 = madd(x1, v0, s10);
        s11 = madd(x1, v1, s11);
        bp += bStep;
        ak += aStep;
      }
      v128.store(c0 + o, s00);
      v128.store(c0 + o, s01, 16);
      v128.store(c1 + o, s10);
      v128.store(c1 + o, s11, 16);
    }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      let s0: f32 = accumulate ? load<f32>(c0 + o) : 0;
      let s1: f32 = accumulate ? load<f32>(c1 + o) : 0;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const v = load<f32>(bp);
        s0 += load<f32>(a0 + ak) * v;
        s1 += load<f32>(a1 + ak) * v;
        bp += bStep;
        ak += aStep;
      }
      store<f32>(c0 + o, s0);
      store<f32>(c1 + o, s1);
    }
  }
  for (; m < M; m++) {
    const a0 = A + (<usize>(m * sam) << 2);
    const c0 = C + (<usize>(m * ldc) << 2);
    let n = 0;
    for (; n + 8 <= N; n += 8) {
      const o = <usize>n << 2;
      let s0 = accumulate ? v128.load(c0 + o) : f32x4.splat(0);
      let s1 = accumulate ? v128.load(c0 + o, 16) : f32x4.splat(0);
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        const a = v128.load32_splat(a0 + ak);
        s0 = madd(a, v128.load(bp), s0);
        s1 = madd(a, v128.load(bp, 16), s1);
        bp += bStep;
        ak += aStep;
      }
      v128.store(c0 + o, s0);
      v128.store(c0 + o, s1, 16);
    }
    for (; n + 4 <= N; n += 4) {
      const o = <usize>n << 2;
      let s0 = accumulate ? v128.load(c0 + o) : f32x4.splat(0);
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        s0 = madd(v128.load32_splat(a0 + ak), v128.load(bp), s0);
        bp += bStep;
        ak += aStep;
      }
      v128.store(c0 + o, s0);
    }
    for (; n < N; n++) {
      const o = <usize>n << 2;
      let s0: f32 = accumulate ? load<f32>(c0 + o) : 0;
      let bp = B + o;
      let ak: usize = 0;
      for (let k = 0; k < K; k++) {
        s0 += load<f32>(a0 + ak) * load<f32>(bp);
        bp += bStep;
        ak += aStep;
      }
      store<f32>(c0 + o, s0);
    }
  }
}

// C[M×N] += A·Bᵀ with A [M][lda], B [N][ldb]: dot products along k, 2 rows × 4 columns at a time.
function mm_nt(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
  const K4 = K & ~3;
  let m = 0;
  for (; m < M; m += 2) {
    const two = m + 1 < M;
    const a0 = A + (<usize>(m * lda) << 2);
    const a1 = two ? a0 + (<usize>lda << 2) : a0;
    const c0 = C + (<usize>(m * ldc) << 2);
    const c1 = c0 + (<usize>ldc << 2);
    let n = 0;
    for (; n + 4 <= N; n += 4) {
      const p0 = B + (<usize>(n * ldb) << 2);
      const p1 = p0 + (<usize>ldb << 2);
      const p2 = p1 + (<usize>ldb << 2);
      const p3 = p2 + (<usize>ldb << 2);
      let s00 = f32x4.splat(0);
      let s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
      for (let k = 0; k < K4; k += 4) {
        const o = <usize>k << 2;
        const x0 = v128.load(a0 + o);
        const x1 = v128.load(a1 + o);
        const y0 = v128.load(p0 + o);
        const y1 = v128.load(p1 + o);
        const y2 = v128.load(p2 + o);
        const y3 = v128.load(p3 + o);
        s00 = madd(x0, y0, s00);
        s01 = madd(x0, y1, s01);
        s02 = madd(x0, y2, s02);
        s03 = madd(x0, y3, s03);
        s10 = madd(x1, y0, s10);
        s11 = madd(x1, y1, s11);
        s12 = madd(x1, y2, s12);
        s13 = madd(x1, y3, s13);
      }
      let r00 = hsum(s00), r01 = hsum(s01), r02 = hsum(s02), r03 = hsum(s03);
      let r10 = hsum(s10), r11 = hsum(s11), r12 = hsum(s12), r13 = hsum(s13);
      for (let k = K4; k < K; k++) {
        const o = <usize>k << 2;
        const x0 = load<f32>(a0 + o);
        const x1 = load<f32>(a1 + o);
        const y0 = load<f32>(p0 + o), y1 = load<f32>(p1 + o), y2 = load<f32>(p2 + o), y3 = load<f32>(p3 + o);
        r00 += x0 * y0; r01 += x0 * y1; r02 += x0 * y2; r03 += x0 * y3;
        r10 += x1 * y0; r11 += x1 * y1; r12 += x1 * y2; r13 += x1 * y3;
      }
      const o = <usize>n << 2;
      store<f32>(c0 + o, load<f32>(c0 + o) + r00);
      store<f32>(c0 + o, load<f32>(c0 + o, 4) + r01, 4);
      store<f32>(c0 + o, load<f32>(c0 + o, 8) + r02, 8);
      store<f32>(c0 + o, load<f32>(c0 + o, 12) + r03, 12);
      if (two) {
        store<f32>(c1 + o, load<f32>(c1 + o) + r10);
        store<f32>(c1 + o, load<f32>(c1 + o, 4) + r11, 4);
        store<f32>(c1 + o, load<f32>(c1 + o, 8) + r12, 8);
        store<f32>(c1 + o, load<f32>(c1 + o, 12) + r13, 12);
      }
    }
    for (; n < N; n++) {
      const p0 = B + (<usize>(n * ldb) << 2);
      const o = <usize>n << 2;
      store<f32>(c0 + o, load<f32>(c0 + o) + dotf(a0, p0, K));
      if (two) store<f32>(c1 + o, load<f32>(c1 + o) + dotf(a1, p0, K));
    }
  }
}

// @ts-ignore: decorator
@inline function copyf(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline function addf(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = dst + (<usize>i << 2);
    v128.store(a, f32x4.add(v128.load(a), v128.load(src + (<usize>i << 2))));
  }
  for (; i < n; i++) {
    const a = dst + (<usize>i << 2);
    store<f32>(a, load<f32>(a) + load<f32>(src + (<usize>i << 2)));
  }
}

// @ts-ignore: decorator
@inline function fillf(dst: usize, v: f32, n: i32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline function dotf(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = madd(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)), acc);
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

// ---------------------------------------------------------------------------------------------------
// §3.2 subsampling layer. mode 0: down() sums n×n blocks; mode 1: keeps every n-th sample.

// §3.2  d_j = down(x_j) (kept in `downed`), u_j = β_j d_j + b_j, x_j = f(u_j).
export function subsample_forward(
  b0: i32, b1: i32, x: usize, J: i32, H: i32, W: i32, n: i32, mode: i32,
  beta: usize, bias: usize, act: i32, downed: usize, y: usize,
): void {
  const Ho = H / n;
  const Wo = W / n;
  const S = Ho * Wo;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < J; j++) {
      const m = b * J + j;
      const xm = x + (<usize>(m * H * W) << 2);
      const dm = downed + (<usize>(m * S) << 2);
      const ym = y + (<usize>(m * S) << 2);
      const bt = load<f32>(beta + (<usize>j << 2));
      const bs = load<f32>(bias + (<usize>j << 2));
      for (let a = 0; a < Ho; a++) {
        const dr = dm + (<usize>(a * Wo) << 2);
        const yr = ym + (<usize>(a * Wo) << 2);
        let c = 0;
        if (mode == 0 && n == 2) {
          // two input rows, eight columns → four block sums
          const r0 = xm + (<usize>(2 * a * W) << 2);
          const r1 = r0 + (<usize>W << 2);
          const vb = f32x4.splat(bt);
          const vs = f32x4.splat(bs);
          for (; c + 4 <= Wo; c += 4) {
            const o = <usize>(2 * c) << 2;
            const s0 = f32x4.add(v128.load(r0 + o), v128.load(r1 + o));
            const s1 = f32x4.add(v128.load(r0 + o, 16), v128.load(r1 + o, 16));
            const dsum = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 2, 4, 6), v128.shuffle<f32>(s0, s1, 1, 3, 5, 7));
            v128.store(dr + (<usize>c << 2), dsum);
            v128.store(yr + (<usize>c << 2), madd(vb, dsum, vs));
          }
        }
        for (; c < Wo; c++) {
          let s: f32 = 0;
          if (mode == 0) {
            for (let r = 0; r < n; r++) {
              const xr = xm + (<usize>((a * n + r) * W + c * n) << 2);
              for (let q = 0; q < n; q++) s += load<f32>(xr + (<usize>q << 2));
            }
          } else {
            s = load<f32>(xm + (<usize>(a * n * W + c * n) << 2));
          }
          store<f32>(dr + (<usize>c << 2), s);
          store<f32>(yr + (<usize>c << 2), bt * s + bs);
        }
      }
      act_forward(act, ym, S);
    }
  }
}

// §3.2.1  δ_j = dy_j ∘ f'(u_j); ∂E/∂b_j += Σ δ_j; ∂E/∂β_j += Σ δ_j ∘ d_j;
// §3.1.1  the previous (convolution) layer's sensitivities δ^{ℓ-1}_j = β_j (f'(u^{ℓ-1}_j) ∘ up(δ_j)),
// written map by map while the map is in cache when prevY ≠ 0 (prevY: that layer's outputs, prevAct
// its activation), so up(δ) is never a pass of its own; else dx_j = β_j up(δ_j).
// dBeta, dBias, dx = 0: not wanted (fixed β, no b, first layer).
export function subsample_backward(
  b0: i32, b1: i32, J: i32, H: i32, W: i32, n: i32, mode: i32,
  beta: usize, act: i32, y: usize, dy: usize, downed: usize, dBeta: usize, dBias: usize, dx: usize,
  prevAct: i32, prevY: usize,
): void {
  const Ho = H / n;
  const Wo = W / n;
  const S = Ho * Wo;
  const first = <usize>(b0 * J * S) << 2;
  act_backward(act, y + first, dy + first, (b1 - b0) * J * S);
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < J; j++) {
      const m = b * J + j;
      const d = dy + (<usize>(m * S) << 2);
      if (dBias != 0) store<f32>(dBias + (<usize>j << 2), load<f32>(dBias + (<usize>j << 2)) + sum(d, S));
      if (dBeta != 0) store<f32>(dBeta + (<usize>j << 2), load<f32>(dBeta + (<usize>j << 2)) + dotf(d, downed + (<usize>(m * S) << 2), S));
      if (dx == 0) continue;
      const bt = load<f32>(beta + (<usize>j << 2));
      const xm = dx + (<usize>(m * H * W) << 2);
      if (mode == 1) memory.fill(xm, 0, <usize>(H * W) << 2);
      for (let a = 0; a < Ho; a++) {
        const dr = d + (<usize>(a * Wo) << 2);
        let c = 0;
        if (mode == 0 && n == 2) {
          const r0 = xm + (<usize>(2 * a * W) << 2);
          const r1 = r0 + (<usize>W << 2);
          const vb = f32x4.splat(bt);
          for (; c + 4 <= Wo; c += 4) {
            const v = f32x4.mul(vb, v128.load(dr + (<usize>c << 2)));
            const lo = v128.shuffle<f32>(v, v, 0, 0, 1, 1);
            const hi = v128.shuffle<f32>(v, v, 2, 2, 3, 3);
            const o = <usize>(2 * c) << 2;
            v128.store(r0 + o, lo);
            v128.store(r0 + o, hi, 16);
            v128.store(r1 + o, lo);
            v128.store(r1 + o, hi, 16);
          }
        }
        for (; c < Wo; c++) {
          const v = bt * load<f32>(dr + (<usize>c << 2));
          if (mode == 0) {
            for (let r = 0; r < n; r++) {
              const xr = xm + (<usize>((a * n + r) * W + c * n) << 2);
              for (let q = 0; q < n; q++) store<f32>(xr + (<usize>q << 2), v);
            }
          } else {
            store<f32>(xm + (<usize>(a * n * W + c * n) << 2), v);
          }
        }
      }
      if (prevY != 0) act_backward(prevAct, prevY + (<usize>(m * H * W) << 2), xm, H * W);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// §2 fully connected layer: weights [O][N], row o = weights into unit o; inputs [batch][N].

// §2  u = W x + b, y = f(u), four patterns at a time sharing each weight load.
export function full_forward(b0: i32, b1: i32, x: usize, N: i32, O: i32, w: usize, bias: usize, act: i32, y: usize): void {
  const xBytes = <usize>N << 2;
  let b = b0;
  for (; b + 4 <= b1; b += 4) {
    const x0 = x + <usize>b * xBytes;
    const x1 = x0 + xBytes;
    const x2 = x1 + xBytes;
    const x3 = x2 + xBytes;
    for (let o = 0; o < O; o++) {
      const wr = w + <usize>o * xBytes;
      let a0 = f32x4.splat(0);
      let a1 = a0;
      let a2 = a0;
      let a3 = a0;
      let i = 0;
      for (; i + 4 <= N; i += 4) {
        const off = <usize>i << 2;
        const wv = v128.load(wr + off);
        a0 = madd(wv, v128.load(x0 + off), a0);
        a1 = madd(wv, v128.load(x1 + off), a1);
        a2 = madd(wv, v128.load(x2 + off), a2);
        a3 = madd(wv, v128.load(x3 + off), a3);
      }
      let s0 = hsum(a0);
      let s1 = hsum(a1);
      let s2 = hsum(a2);
      let s3 = hsum(a3);
      for (; i < N; i++) {
        const off = <usize>i << 2;
        const wv = load<f32>(wr + off);
        s0 += wv * load<f32>(x0 + off);
        s1 += wv * load<f32>(x1 + off);
        s2 += wv * load<f32>(x2 + off);
        s3 += wv * load<f32>(x3 + off);
      }
      const bo = load<f32>(bias + (<usize>o << 2));
      store<f32>(y + (<usize>(b * O + o) << 2), s0 + bo);
      store<f32>(y + (<usize>((b + 1) * O + o) << 2), s1 + bo);
      store<f32>(y + (<usize>((b + 2) * O + o) << 2), s2 + bo);
      store<f32>(y + (<usize>((b + 3) * O + o) << 2), s3 + bo);
    }
  }
  for (; b < b1; b++) {
    const xb = x + <usize>b * xBytes;
    for (let o = 0; o < O; o++) {
      store<f32>(y + (<usize>(b * O + o) << 2), dotf(w + <usize>o * xBytes, xb, N) + load<f32>(bias + (<usize>o << 2)));
    }
  }
  act_forward(act, y + (<usize>(b0 * O) << 2), (b1 - b0) * O);
}

// §2  δ = dy ∘ f'(u);  ∂E/∂W += δ xᵀ;  ∂E/∂b += δ;  dx = Wᵀ δ (dx = 0: not wanted).
export function full_backward(
  b0: i32, b1: i32, x: usize, N: i32, O: i32, w: usize, act: i32, y: usize, dy: usize,
  dW: usize, dBias: usize, dx: usize,
): void {
  const xBytes = <usize>N << 2;
  act_backward(act, y + (<usize>(b0 * O) << 2), dy + (<usize>(b0 * O) << 2), (b1 - b0) * O);
  for (let o = 0; o < O; o++) {
    const gr = dW + <usize>o * xBytes;
    let db: f32 = 0;
    let b = b0;
    // four patterns per pass over the weight-gradient row
    for (; b + 4 <= b1; b += 4) {
      const d0 = load<f32>(dy + (<usize>(b * O + o) << 2));
      const d1 = load<f32>(dy + (<usize>((b + 1) * O + o) << 2));
      const d2 = load<f32>(dy + (<usize>((b + 2) * O + o) << 2));
      const d3 = load<f32>(dy + (<usize>((b + 3) * O + o) << 2));
      db += d0 + d1 + d2 + d3;
      const v0 = f32x4.splat(d0);
      const v1 = f32x4.splat(d1);
      const v2 = f32x4.splat(d2);
      const v3 = f32x4.splat(d3);
      const x0 = x + <usize>b * xBytes;
      const x1 = x0 + xBytes;
      const x2 = x1 + xBytes;
      const x3 = x2 + xBytes;
      let i = 0;
      for (; i + 4 <= N; i += 4) {
        const off = <usize>i << 2;
        let g = v128.load(gr + off);
        g = madd(v0, v128.load(x0 + off), g);
        g = madd(v1, v128.load(x1 + off), g);
        g = madd(v2, v128.load(x2 + off), g);
        g = madd(v3, v128.load(x3 + off), g);
        v128.store(gr + off, g);
      }
      for (; i < N; i++) {
        const off = <usize>i << 2;
        store<f32>(gr + off, load<f32>(gr + off) + d0 * load<f32>(x0 + off) + d1 * load<f32>(x1 + off) + d2 * load<f32>(x2 + off) + d3 * load<f32>(x3 + off));
      }
    }
    for (; b < b1; b++) {
      const d0 = load<f32>(dy + (<usize>(b * O + o) << 2));
      db += d0;
      axpyf(N, d0, x + <usize>b * xBytes, gr);
    }
    store<f32>(dBias + (<usize>o << 2), load<f32>(dBias + (<usize>o << 2)) + db);
  }
  if (dx == 0) return;
  for (let b = b0; b < b1; b++) {
    const xr = dx + <usize>b * xBytes;
    memory.fill(xr, 0, xBytes);
    for (let o = 0; o < O; o++) axpyf(N, load<f32>(dy + (<usize>(b * O + o) << 2)), w + <usize>o * xBytes, xr);
  }
}

// @ts-ignore: decorator
@inline function axpyf(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, madd(av, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

// ---------------------------------------------------------------------------------------------------
// §4.3 losses over patterns [b0, b1) of a batch whose error is the mean (invB = 1/batch).
// loss 0: ½Σ(y−t)² with targets off/on; 1: softmax cross-entropy. Writes ∂E/∂y into dy; returns Σ E^n.

export function loss_forward_backward(
  b0: i32, b1: i32, kind: i32, y: usize, labels: usize, classes: i32, off: f32, on: f32, invB: f32, dy: usize, codes: usize,
): f64 {
  let total: f64 = 0;
  for (let b = b0; b < b1; b++) {
    const label = <i32>load<u8>(labels + <usize>b);
    const yo = y + (<usize>(b * classes) << 2);
    const go = dy + (<usize>(b * classes) << 2);
    if (kind == 0) {
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

// ---------------------------------------------------------------------------------------------------
// Gradient reduction and the SGD update, over parameter range [i0, i1): g = Σ_c chunk_c (in chunk
// order, whatever thread runs it, so results never depend on the thread count), θ −= rate · g.

export function reduce_chunks(i0: i32, i1: i32, chunks: usize, nChunks: i32, stride: i32, out: usize): void {
  const strideBytes = <usize>stride << 2;
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    let s = v128.load(chunks + o);
    for (let c = 1; c < nChunks; c++) s = f32x4.add(s, v128.load(chunks + <usize>c * strideBytes + o));
    v128.store(out + o, s);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    let s = load<f32>(chunks + o);
    for (let c = 1; c < nChunks; c++) s += load<f32>(chunks + <usize>c * strideBytes + o);
    store<f32>(out + o, s);
  }
}

export function sgd_update(i0: i32, i1: i32, params: usize, grads: usize, rate: f32): void {
  const r = f32x4.splat(rate);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    v128.store(params + o, f32x4.sub(v128.load(params + o), f32x4.mul(r, v128.load(grads + o))));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(params + o, load<f32>(params + o) - rate * load<f32>(grads + o));
  }
}

// §4.1–4.2 the general update over params[i0, i1): every weight its own rate η·r_k (per-layer rates,
// or LeCun's ε/(μ + h_kk)), weight decay λ and momentum m:
//   step = η r_k (g_k + λ θ_k);  v_k ← m v_k − step;  θ_k ← θ_k + v_k      (m = 0: θ_k ← θ_k − step)
export function sgd_update_rates(i0: i32, i1: i32, params: usize, grads: usize, rates: usize, velocity: usize, rate: f32, momentum: f32, decay: f32): void {
  const eta = f32x4.splat(rate);
  const m = f32x4.splat(momentum);
  const lambda = f32x4.splat(decay);
  let i = i0;
  if (momentum == 0) {
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      const p = v128.load(params + o);
      const step = f32x4.mul(f32x4.mul(eta, v128.load(rates + o)), f32x4.add(v128.load(grads + o), f32x4.mul(lambda, p)));
      v128.store(params + o, f32x4.sub(p, step));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const p = load<f32>(params + o);
      store<f32>(params + o, p - rate * load<f32>(rates + o) * (load<f32>(grads + o) + decay * p));
    }
    return;
  }
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(params + o);
    const step = f32x4.mul(f32x4.mul(eta, v128.load(rates + o)), f32x4.add(v128.load(grads + o), f32x4.mul(lambda, p)));
    const v = f32x4.sub(f32x4.mul(m, v128.load(velocity + o)), step);
    v128.store(velocity + o, v);
    v128.store(params + o, f32x4.add(p, v));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    const v = momentum * load<f32>(velocity + o) - rate * load<f32>(rates + o) * (load<f32>(grads + o) + decay * p);
    store<f32>(velocity + o, v);
    store<f32>(params + o, p + v);
  }
}
