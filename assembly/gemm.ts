// The one matrix product training runs (§3.1's convolutions as im2col products, assembly/conv.ts),
// and the small vector loops the layer kernels share. float32, 128-bit SIMD; addresses are byte
// offsets into the one linear memory, sizes in elements. Of these only `matmul` is a wasm export
// (assembly/index.ts: the bench's peak, the tests' check of mm_nn); the layer files import the rest,
// inlined where marked @inline.

import { hsum } from './vmath';

// a·b + c: one fused multiply-add in the relaxed-SIMD build (rounded once), a multiply and an add in
// the standard one. Either way the same on every thread, so results never depend on the thread count.
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** C[M×N] = A[M×K] · B[K×N], all row-major and dense: mm_nn, exported for the bench and the tests. */
export function matmul(M: i32, N: i32, K: i32, A: usize, B: usize, C: usize): void {
  mm_nn(M, N, K, A, K, 1, B, N, C, N, false);
}

// C[M×N] (+)= A·B with A(m, k) at A + 4·(m·sam + k·sak) (so Aᵀ is sam = 1, sak = lda), B [K][ldb],
// C [M][ldc]; `accumulate` false overwrites C. Blocks of 4 rows × 8 columns keep 8 sums in registers.
export function mm_nn(M: i32, N: i32, K: i32, A: usize, sam: i32, sak: i32, B: usize, ldb: i32, C: usize, ldc: i32, accumulate: bool): void {
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
export function mm_nt(M: i32, N: i32, K: i32, A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32): void {
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
@inline export function copyf(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

// @ts-ignore: decorator
@inline export function addf(src: usize, dst: usize, n: i32): void {
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
@inline export function fillf(dst: usize, v: f32, n: i32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), v);
}

// @ts-ignore: decorator
@inline export function dotf(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = madd(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2)), acc);
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

// @ts-ignore: decorator
@inline export function axpyf(n: i32, a: f32, x: usize, y: usize): void {
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

export const ZERO: v128 = i32x4(0, 0, 0, 0);

/** base + 4·i bytes. */
// @ts-ignore: decorator
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Σ x[n]. */
// @ts-ignore: decorator
@inline export function sum(x: usize, n: i32): f32 {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const xa = at(x, i);
    a0 = f32x4.add(a0, v128.load(xa));
    a1 = f32x4.add(a1, v128.load(xa, 16));
    a2 = f32x4.add(a2, v128.load(xa, 32));
    a3 = f32x4.add(a3, v128.load(xa, 48));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, v128.load(at(x, i)));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += load<f32>(at(x, i));
  return s;
}
