// The primitive kernels: src/kernels/kernels.ts's `Kernels` interface in float32 WebAssembly SIMD.
//
// Same functions as src/kernels/reference.ts (read them side by side), on raw byte addresses into the
// one linear memory; every size is an i32, every address a usize, every datum an f32. Conventions:
// - NCHW maps, row-major h×w blocks; kernels stored for TRUE convolution (see kernels.ts).
// - convValid, convFull, kernelGradient, axpy, addScalar ACCUMULATE into their output; downSum,
//   downDecimate, upSum, upDecimate, activate OVERWRITE; activationBackward scales g in place; gemm
//   computes C = alpha·op(A)·op(B) + beta·C (beta = 0 overwrites C, whatever it held).
// - No alignment is required anywhere (v128 loads/stores are unaligned-safe); 16-byte alignment of
//   the maps is merely a little faster. gemm's `scratch` must hold gemm_scratch_bytes(M, N, K) bytes.
// - Nothing here allocates, uses strings or keeps state between calls: several threads may run the
//   same instance over one shared memory, as long as their outputs (and gemm scratches) are disjoint.
//
// Every kernel is an `@inline export function`: exported under its snake_case name for the host, and
// inlined (no call) where assembly/layers.ts calls it. gemm is the exception (too large to inline; one
// call per product costs nothing).
//
// Vectorisation: along output rows, 4 f32 lanes per v128, register-blocked (several independent
// accumulators per call, kernel values loaded once per tap and shared). Rows whose width is not a
// multiple of 4 end with a vector that OVERLAPS the previous one instead of a scalar tail (see below
// for how the accumulating kernels avoid counting anything twice); rows narrower than 4 take a
// dot-product path. The vector math of the activations (exp, sigmoid, tanh) is in assembly/vmath.ts.
// Only convFull reads outside its arrays: up to 4(K-1) bytes before d and after it (masked, never
// used, skipped near the ends of the memory).

import { hsum, LECUN_A, LECUN_S, vlecun, vsigmoid, vtanh } from './vmath';

// ---------------------------------------------------------------------------------------------
// Helpers

const LANES: v128 = i32x4(0, 1, 2, 3);
const ZERO: v128 = i32x4(0, 0, 0, 0);

/** base + 4·i bytes; i may be negative (usize arithmetic wraps, so this is base − 4·|i|). */
@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Lanes reversed: [v3, v2, v1, v0]. */
@inline function rev(v: v128): v128 {
  return f32x4.shuffle(v, v, 3, 2, 1, 0);
}

/** [hsum(a), hsum(b), hsum(c), hsum(d)]. */
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const t0 = f32x4.add(f32x4.shuffle(a, b, 0, 4, 1, 5), f32x4.shuffle(a, b, 2, 6, 3, 7));
  const t1 = f32x4.add(f32x4.shuffle(c, d, 0, 4, 1, 5), f32x4.shuffle(c, d, 2, 6, 3, 7));
  return f32x4.add(f32x4.shuffle(t0, t1, 0, 1, 4, 5), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
}

@inline function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}
@inline function imax(a: i32, b: i32): i32 {
  return a > b ? a : b;
}

// ---------------------------------------------------------------------------------------------
// How convValid and convFull cut their output into vectors. A row of ow ≥ 4 columns has floor(ow/4)
// vectors at columns 0, 4, 8, … and, when 4 does not divide ow, a last vector at ow-4 that overlaps
// the one before it; that last vector adds only its lanes not covered already (a lane mask). Full
// 16-column blocks take four vectors with immediate offsets. Every other vector (the rest of each row
// and the last vector) is dealt out, row after row, into GROUPS of four vectors at arbitrary places,
// even in different rows: every call has four independent accumulator chains whatever the map's width
// (a lone vector would wait on its adds' latency at every tap), small maps waste nothing, and there is
// no scalar tail. A group accumulates from zero and ends with y += acc & mask (finishGroup), so
// overlapping vectors (masked) and the padding of the last group (mask 0) add each lane exactly once.
// Rows narrower than 4 take a dot-product path.

const ONES: v128 = i32x4(-1, -1, -1, -1);

/** The lanes of a row's last vector (at ow-4) that the vector before it does not cover. */
@inline function lastMask(ow: i32): v128 {
  const rem = ow & 3;
  return rem ? i32x4.ge_s(LANES, i32x4.splat(4 - rem)) : ONES;
}

/**
 * The end of a group: y_i += acc_i & m_i. All four outputs are read before any is written (a store
 * followed by an overlapping load would stall), then written last slot first: a slot that overlaps
 * another (a row's last vector, or padding) always comes after it in the group and has those lanes
 * masked off, so the earlier slot's full value is what remains.
 */
@inline function finishGroup(
  y0: usize, y1: usize, y2: usize, y3: usize, a0: v128, a1: v128, a2: v128, a3: v128,
  m0: v128, m1: v128, m2: v128, m3: v128,
): void {
  const v0 = v128.load(y0), v1 = v128.load(y1), v2 = v128.load(y2), v3 = v128.load(y3);
  v128.store(y3, f32x4.add(v3, v128.and(a3, m3)));
  v128.store(y2, f32x4.add(v2, v128.and(a2, m2)));
  v128.store(y1, f32x4.add(v1, v128.and(a1, m1)));
  v128.store(y0, f32x4.add(v0, v128.and(a0, m0)));
}

// ---------------------------------------------------------------------------------------------
// §3.1 valid convolution, accumulate: y[(h-K+1)×(w-K+1)] += x[h×w] * k[K×K]
//   y[u][v] += Σ_{p,q} x[u+p][v+q] · k[K-1-p][K-1-q]
// Tap (p,q) reads the kernel at kEnd − 4(pK+q), kEnd = &k[K-1][K-1]: the kernel walked backwards,
// one load32_splat per tap shared by the four vectors of a block or group.

@inline function cvBlock4(xs: usize, wb: usize, kEnd: usize, K: i32, ys: usize): void {
  let a0 = v128.load(ys), a1 = v128.load(ys, 16), a2 = v128.load(ys, 32), a3 = v128.load(ys, 48);
  let kp = kEnd;
  let xp = xs;
  for (let p = 0; p < K; p++) {
    let xq = xp;
    for (let q = 0; q < K; q++) {
      const kv = v128.load32_splat(kp);
      a0 = f32x4.add(a0, f32x4.mul(kv, v128.load(xq)));
      a1 = f32x4.add(a1, f32x4.mul(kv, v128.load(xq, 16)));
      a2 = f32x4.add(a2, f32x4.mul(kv, v128.load(xq, 32)));
      a3 = f32x4.add(a3, f32x4.mul(kv, v128.load(xq, 48)));
      xq += 4;
      kp -= 4;
    }
    xp += wb;
  }
  v128.store(ys, a0);
  v128.store(ys, a1, 16);
  v128.store(ys, a2, 32);
  v128.store(ys, a3, 48);
}

/** A group: four vectors with inputs at x0 … x3, outputs at y0 … y3, lane masks m0 … m3. */
@inline function cvGroup(
  x0: usize, x1: usize, x2: usize, x3: usize, y0: usize, y1: usize, y2: usize, y3: usize,
  m0: v128, m1: v128, m2: v128, m3: v128, wb: usize, kEnd: usize, K: i32,
): void {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
  let kp = kEnd;
  let off: usize = 0;
  for (let p = 0; p < K; p++) {
    let o = off;
    for (let q = 0; q < K; q++) {
      const kv = v128.load32_splat(kp);
      a0 = f32x4.add(a0, f32x4.mul(kv, v128.load(x0 + o)));
      a1 = f32x4.add(a1, f32x4.mul(kv, v128.load(x1 + o)));
      a2 = f32x4.add(a2, f32x4.mul(kv, v128.load(x2 + o)));
      a3 = f32x4.add(a3, f32x4.mul(kv, v128.load(x3 + o)));
      o += 4;
      kp -= 4;
    }
    off += wb;
  }
  finishGroup(y0, y1, y2, y3, a0, a1, a2, a3, m0, m1, m2, m3);
}

/** Σ_{i<n} a[i] · bEnd[-i] (b read backwards from bEnd). */
@inline function revdot(a: usize, bEnd: usize, n: i32): f32 {
  let a0 = ZERO, a1 = ZERO;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(at(a, i)), rev(v128.load(at(bEnd, -(i + 3))))));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(at(a, i + 4)), rev(v128.load(at(bEnd, -(i + 7))))));
  }
  if (i + 4 <= n) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(at(a, i)), rev(v128.load(at(bEnd, -(i + 3))))));
    i += 4;
  }
  let s = hsum(f32x4.add(a0, a1));
  for (; i < n; i++) s += load<f32>(at(a, i)) * load<f32>(at(bEnd, -i));
  return s;
}

/**
 * Column of the i-th vector a row leaves to the groups: first nLeft full vectors at columns 0, 4, …
 * (convFull's left edge; none for convValid), then nMid full vectors from column midStart on (after the
 * 16-column blocks), then the last, overlapping vector at ow-4.
 */
@inline function groupColumn(i: i32, nLeft: i32, nMid: i32, midStart: i32, ow: i32): i32 {
  return i < nLeft ? 4 * i : i < nLeft + nMid ? midStart + 4 * (i - nLeft) : ow - 4;
}

@inline export function conv_valid(x: usize, h: i32, w: i32, k: usize, K: i32, y: usize): void {
  const oh = h - K + 1;
  const ow = w - K + 1;
  if (K <= 0 || oh <= 0 || ow <= 0) return;
  const wb = <usize>w << 2;
  const kEnd = at(k, K * K - 1);
  if (ow < 4) {
    if (w == K) {
      // ow = 1 and every patch is contiguous: y[u] += Σ_i x[u·w + i] · k[K²-1-i]
      for (let u = 0; u < oh; u++) {
        const ya = at(y, u);
        store<f32>(ya, load<f32>(ya) + revdot(at(x, u * w), kEnd, K * K));
      }
      return;
    }
    for (let u = 0; u < oh; u++) {
      for (let v = 0; v < ow; v++) {
        let s: f32 = 0;
        for (let p = 0; p < K; p++) s += revdot(at(x, (u + p) * w + v), at(kEnd, -p * K), K);
        const ya = at(y, u * ow + v);
        store<f32>(ya, load<f32>(ya) + s);
      }
    }
    return;
  }
  const nf = ow >> 2; // full vectors per row
  const nb = nf >> 2; // 16-column blocks per row
  const nMid = nf - 4 * nb; // full vectors left to the groups
  const per = nMid + (ow & 3 ? 1 : 0); // vectors per row left to the groups
  const last = lastMask(ow);
  for (let u = 0; u < oh; u++) {
    const xr = at(x, u * w);
    const yr = at(y, u * ow);
    for (let b = 0; b < nb; b++) cvBlock4(at(xr, 16 * b), wb, kEnd, K, at(yr, 16 * b));
  }
  if (per == 0) return;
  const total = oh * per;
  let u = 0;
  let i = 0;
  for (let t = 0; t < total; t += 4) {
    // deal out up to four vectors; the padding repeats the last one with mask 0
    let c = groupColumn(i, 0, nMid, 16 * nb, ow);
    const x0 = at(x, u * w + c), y0 = at(y, u * ow + c);
    const m0 = i < nMid ? ONES : last;
    if (++i == per) { i = 0; u++; }
    let x1 = x0, y1 = y0, m1 = ZERO;
    if (t + 1 < total) {
      c = groupColumn(i, 0, nMid, 16 * nb, ow);
      x1 = at(x, u * w + c); y1 = at(y, u * ow + c);
      m1 = i < nMid ? ONES : last;
      if (++i == per) { i = 0; u++; }
    }
    let x2 = x1, y2 = y1, m2 = ZERO;
    if (t + 2 < total) {
      c = groupColumn(i, 0, nMid, 16 * nb, ow);
      x2 = at(x, u * w + c); y2 = at(y, u * ow + c);
      m2 = i < nMid ? ONES : last;
      if (++i == per) { i = 0; u++; }
    }
    let x3 = x2, y3 = y2, m3 = ZERO;
    if (t + 3 < total) {
      c = groupColumn(i, 0, nMid, 16 * nb, ow);
      x3 = at(x, u * w + c); y3 = at(y, u * ow + c);
      m3 = i < nMid ? ONES : last;
      if (++i == per) { i = 0; u++; }
    }
    cvGroup(x0, x1, x2, x3, y0, y1, y2, y3, m0, m1, m2, m3, wb, kEnd, K);
  }
}

// ---------------------------------------------------------------------------------------------
// §3.2.1 full convolution with the rotated kernel, accumulate: y[(h+K-1)×(w+K-1)] += conv2(d, rot180(k), 'full')
//   y[i][j] += Σ_{p,q} d[i-K+1+p][j-K+1+q] · k[p][q]   over the d indices inside the map
// i.e. a correlation of the zero-padded d with k walked forwards. Vectors near the left and right
// edges load across the row boundary and mask the lanes outside [0, w) to zero. Those masked loads
// may touch up to 4(K-1) bytes before d and after its end (never used); when that would leave the
// memory, a scalar path runs instead (as it does for outputs narrower than 4).
// - K = 5 and K = 3 (cfStream5/3): each output column vector streams down the rows of d (below).
// - Other K: output rows fall into bands that read the same kernel rows p (the first and last K-1
//   rows one by one, the rows between together). 16-column blocks whose taps all fall inside the map
//   load d directly; the other vectors of a band are dealt out into masked groups (as for convValid),
//   one mask per vector and q shared by the rows p.
// - A 1×1 map (the backward of a convolution as wide as its input) is y += d · rot180(k).

@inline function cfBlock4(dBase: usize, w: i32, k: usize, K: i32, pLo: i32, pHi: i32, j: i32, ys: usize): void {
  let a0 = v128.load(ys), a1 = v128.load(ys, 16), a2 = v128.load(ys, 32), a3 = v128.load(ys, 48);
  for (let p = pLo; p <= pHi; p++) {
    let da = at(dBase, p * w + j);
    let kp = at(k, p * K);
    for (let q = 0; q < K; q++) {
      const kv = v128.load32_splat(kp);
      a0 = f32x4.add(a0, f32x4.mul(kv, v128.load(da)));
      a1 = f32x4.add(a1, f32x4.mul(kv, v128.load(da, 16)));
      a2 = f32x4.add(a2, f32x4.mul(kv, v128.load(da, 32)));
      a3 = f32x4.add(a3, f32x4.mul(kv, v128.load(da, 48)));
      da += 4;
      kp += 4;
    }
  }
  v128.store(ys, a0);
  v128.store(ys, a1, 16);
  v128.store(ys, a2, 32);
  v128.store(ys, a3, 48);
}

/**
 * A group of four masked vectors: d0 … d3 address d[r][c] for tap (pLo, 0) (r the vector's first
 * d row, c = its column − (K-1), possibly outside the row), c0 … c3 are those columns, y0 … y3 the
 * outputs and m0 … m3 their lane masks.
 */
@inline function cfGroup(
  d0: usize, d1: usize, d2: usize, d3: usize, c0: i32, c1: i32, c2: i32, c3: i32,
  y0: usize, y1: usize, y2: usize, y3: usize, m0: v128, m1: v128, m2: v128, m3: v128,
  w: i32, k: usize, K: i32, pLo: i32, pHi: i32,
): void {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
  // A lane is inside the row iff 0 ≤ column < w, i.e. column <u w: one signed compare after adding
  // 2^31 to both sides. Masks are rebuilt from scalars at each q (fewer live vectors than stepping them).
  const wB = i32x4.splat(w ^ 0x80000000);
  const lanesB = i32x4.add(LANES, i32x4.splat(<i32>0x80000000));
  const wb = <usize>w << 2;
  const Kb = <usize>K << 2;
  const kq = at(k, pLo * K);
  for (let q = 0; q < K; q++) {
    const n0 = i32x4.gt_s(wB, i32x4.add(lanesB, i32x4.splat(c0 + q)));
    const n1 = i32x4.gt_s(wB, i32x4.add(lanesB, i32x4.splat(c1 + q)));
    const n2 = i32x4.gt_s(wB, i32x4.add(lanesB, i32x4.splat(c2 + q)));
    const n3 = i32x4.gt_s(wB, i32x4.add(lanesB, i32x4.splat(c3 + q)));
    let o = <usize>q << 2;
    let kp = kq + o;
    for (let p = pLo; p <= pHi; p++) {
      const kv = v128.load32_splat(kp);
      a0 = f32x4.add(a0, f32x4.mul(kv, v128.and(v128.load(d0 + o), n0)));
      a1 = f32x4.add(a1, f32x4.mul(kv, v128.and(v128.load(d1 + o), n1)));
      a2 = f32x4.add(a2, f32x4.mul(kv, v128.and(v128.load(d2 + o), n2)));
      a3 = f32x4.add(a3, f32x4.mul(kv, v128.and(v128.load(d3 + o), n3)));
      o += wb;
      kp += Kb;
    }
  }
  finishGroup(y0, y1, y2, y3, a0, a1, a2, a3, m0, m1, m2, m3);
}

// K = 5 and K = 3, the common kernels: each output column vector j streams down the d rows. A d row u
// meets output rows u … u+K-1 (kernel rows K-1 … 0), so K rolling accumulators hold those rows; the
// K masked loads of d row u (one per q, immediate offsets) feed all K² taps, output row u is complete
// after d row u and is added to y (y += acc & em), and the window moves down by one.

@inline function cfMaskQ(j: i32, q: i32, K: i32, wB: v128, lanesB: v128): v128 {
  return i32x4.gt_s(wB, i32x4.add(lanesB, i32x4.splat(j - K + 1 + q)));
}

@inline function cfStream5(d: usize, h: i32, w: i32, k: usize, j: i32, y: usize, ow: i32, em: v128): void {
  const wB = i32x4.splat(w ^ 0x80000000);
  const lanesB = i32x4.add(LANES, i32x4.splat(<i32>0x80000000));
  const n0 = cfMaskQ(j, 0, 5, wB, lanesB);
  const n1 = cfMaskQ(j, 1, 5, wB, lanesB);
  const n2 = cfMaskQ(j, 2, 5, wB, lanesB);
  const n3 = cfMaskQ(j, 3, 5, wB, lanesB);
  const n4 = cfMaskQ(j, 4, 5, wB, lanesB);
  const wb = <usize>w << 2;
  const owb = <usize>ow << 2;
  let dr = at(d, j - 4); // d[u][j-4]
  let yr = at(y, j); // y[u][j]
  let A0 = ZERO, A1 = ZERO, A2 = ZERO, A3 = ZERO, A4 = ZERO; // output rows u … u+4
  for (let u = 0; u < h; u++) {
    const e0 = v128.and(v128.load(dr), n0);
    const e1 = v128.and(v128.load(dr, 4), n1);
    const e2 = v128.and(v128.load(dr, 8), n2);
    const e3 = v128.and(v128.load(dr, 12), n3);
    const e4 = v128.and(v128.load(dr, 16), n4);
    // output row u+4-p uses kernel row p
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 80), e0));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 60), e0));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 40), e0));
    A3 = f32x4.add(A3, f32x4.mul(v128.load32_splat(k, 20), e0));
    A4 = f32x4.add(A4, f32x4.mul(v128.load32_splat(k, 0), e0));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 84), e1));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 64), e1));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 44), e1));
    A3 = f32x4.add(A3, f32x4.mul(v128.load32_splat(k, 24), e1));
    A4 = f32x4.add(A4, f32x4.mul(v128.load32_splat(k, 4), e1));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 88), e2));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 68), e2));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 48), e2));
    A3 = f32x4.add(A3, f32x4.mul(v128.load32_splat(k, 28), e2));
    A4 = f32x4.add(A4, f32x4.mul(v128.load32_splat(k, 8), e2));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 92), e3));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 72), e3));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 52), e3));
    A3 = f32x4.add(A3, f32x4.mul(v128.load32_splat(k, 32), e3));
    A4 = f32x4.add(A4, f32x4.mul(v128.load32_splat(k, 12), e3));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 96), e4));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 76), e4));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 56), e4));
    A3 = f32x4.add(A3, f32x4.mul(v128.load32_splat(k, 36), e4));
    A4 = f32x4.add(A4, f32x4.mul(v128.load32_splat(k, 16), e4));
    v128.store(yr, f32x4.add(v128.load(yr), v128.and(A0, em)));
    A0 = A1;
    A1 = A2;
    A2 = A3;
    A3 = A4;
    A4 = ZERO;
    dr += wb;
    yr += owb;
  }
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A0, em)));
  yr += owb;
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A1, em)));
  yr += owb;
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A2, em)));
  yr += owb;
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A3, em)));
}

@inline function cfStream3(d: usize, h: i32, w: i32, k: usize, j: i32, y: usize, ow: i32, em: v128): void {
  const wB = i32x4.splat(w ^ 0x80000000);
  const lanesB = i32x4.add(LANES, i32x4.splat(<i32>0x80000000));
  const n0 = cfMaskQ(j, 0, 3, wB, lanesB);
  const n1 = cfMaskQ(j, 1, 3, wB, lanesB);
  const n2 = cfMaskQ(j, 2, 3, wB, lanesB);
  const wb = <usize>w << 2;
  const owb = <usize>ow << 2;
  let dr = at(d, j - 2);
  let yr = at(y, j);
  let A0 = ZERO, A1 = ZERO, A2 = ZERO;
  for (let u = 0; u < h; u++) {
    const e0 = v128.and(v128.load(dr), n0);
    const e1 = v128.and(v128.load(dr, 4), n1);
    const e2 = v128.and(v128.load(dr, 8), n2);
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 24), e0));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 12), e0));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 0), e0));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 28), e1));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 16), e1));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 4), e1));
    A0 = f32x4.add(A0, f32x4.mul(v128.load32_splat(k, 32), e2));
    A1 = f32x4.add(A1, f32x4.mul(v128.load32_splat(k, 20), e2));
    A2 = f32x4.add(A2, f32x4.mul(v128.load32_splat(k, 8), e2));
    v128.store(yr, f32x4.add(v128.load(yr), v128.and(A0, em)));
    A0 = A1;
    A1 = A2;
    A2 = ZERO;
    dr += wb;
    yr += owb;
  }
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A0, em)));
  yr += owb;
  v128.store(yr, f32x4.add(v128.load(yr), v128.and(A1, em)));
}

function convFullScalar(d: usize, h: i32, w: i32, k: usize, K: i32, y: usize): void {
  const oh = h + K - 1;
  const ow = w + K - 1;
  for (let i = 0; i < oh; i++) {
    const pLo = imax(0, K - 1 - i);
    const pHi = imin(K - 1, h + K - 2 - i);
    for (let j = 0; j < ow; j++) {
      const qLo = imax(0, K - 1 - j);
      const qHi = imin(K - 1, w + K - 2 - j);
      let s: f32 = 0;
      for (let p = pLo; p <= pHi; p++) {
        const dr = at(d, (i - K + 1 + p) * w + j - K + 1);
        const kr = at(k, p * K);
        for (let q = qLo; q <= qHi; q++) s += load<f32>(at(dr, q)) * load<f32>(at(kr, q));
      }
      const ya = at(y, i * ow + j);
      store<f32>(ya, load<f32>(ya) + s);
    }
  }
}

@inline export function conv_full(d: usize, h: i32, w: i32, k: usize, K: i32, y: usize): void {
  if (h <= 0 || w <= 0 || K <= 0) return;
  const K1 = K - 1;
  const oh = h + K1;
  const ow = w + K1;
  if (h == 1 && w == 1) {
    // a 1×1 map (a fully connected convolution's backward): y[K×K] += d · rot180(k), y[t] += d · k[K²-1-t]
    const dv = v128.load32_splat(d);
    const n = K * K;
    const kEnd = at(k, n - 1);
    let t = 0;
    for (; t + 4 <= n; t += 4) {
      const ya = at(y, t);
      v128.store(ya, f32x4.add(v128.load(ya), f32x4.mul(dv, rev(v128.load(at(kEnd, -(t + 3)))))));
    }
    const ds = load<f32>(d);
    for (; t < n; t++) {
      const ya = at(y, t);
      store<f32>(ya, load<f32>(ya) + ds * load<f32>(at(kEnd, -t)));
    }
    return;
  }
  const dEnd = at(d, h * w + K1);
  if (ow < 4 || d < (<usize>K1 << 2) || dEnd < d || <u64>dEnd > (<u64>memory.size() << 16)) {
    convFullScalar(d, h, w, k, K, y);
    return;
  }
  if (K == 5 || K == 3) {
    const last = lastMask(ow);
    for (let j = 0; j + 4 <= ow; j += 4) {
      if (K == 5) cfStream5(d, h, w, k, j, y, ow, ONES);
      else cfStream3(d, h, w, k, j, y, ow, ONES);
    }
    if (ow & 3) {
      if (K == 5) cfStream5(d, h, w, k, ow - 4, y, ow, last);
      else cfStream3(d, h, w, k, ow - 4, y, ow, last);
    }
    return;
  }
  const nf = ow >> 2;
  // 16-column blocks inside the map: from the first multiple of 4 ≥ K-1, ending at most at w
  const sI = (K1 + 3) & ~3;
  const nb = w - sI >= 16 ? (w - sI) >> 4 : 0;
  const nLeft = imin(sI >> 2, nf); // full vectors before the blocks
  const midStart = sI + 16 * nb;
  const nMid = nf - nLeft - 4 * nb; // full vectors after them
  const per = nLeft + nMid + (ow & 3 ? 1 : 0); // vectors per row left to the groups
  const last = lastMask(ow);
  let i = 0;
  while (i < oh) {
    // a band of rows [i, iEnd) reading kernel rows pLo … pHi
    const pLo = imax(0, K1 - i);
    const pHi = imin(K1, h - 1 - i + K1);
    const iEnd = i >= K1 && i < h ? h : i + 1;
    for (let r = i; r < iEnd; r++) {
      const dBase = at(d, (r - K1) * w - K1); // d[r-K1+p][j-K1+q] is at(dBase, p·w + j + q)
      const yr = at(y, r * ow);
      for (let b = 0; b < nb; b++) cfBlock4(dBase, w, k, K, pLo, pHi, sI + 16 * b, at(yr, sI + 16 * b));
    }
    const total = (iEnd - i) * per;
    let r = i;
    let v = 0;
    for (let t = 0; t < total; t += 4) {
      let c = groupColumn(v, nLeft, nMid, midStart, ow);
      const c0 = c - K1;
      const d0 = at(d, (r - K1 + pLo) * w + c0), y0 = at(y, r * ow + c);
      const m0 = v < nLeft + nMid ? ONES : last;
      if (++v == per) { v = 0; r++; }
      let d1 = d0, y1 = y0, c1 = c0, m1 = ZERO;
      if (t + 1 < total) {
        c = groupColumn(v, nLeft, nMid, midStart, ow);
        c1 = c - K1;
        d1 = at(d, (r - K1 + pLo) * w + c1); y1 = at(y, r * ow + c);
        m1 = v < nLeft + nMid ? ONES : last;
        if (++v == per) { v = 0; r++; }
      }
      let d2 = d1, y2 = y1, c2 = c1, m2 = ZERO;
      if (t + 2 < total) {
        c = groupColumn(v, nLeft, nMid, midStart, ow);
        c2 = c - K1;
        d2 = at(d, (r - K1 + pLo) * w + c2); y2 = at(y, r * ow + c);
        m2 = v < nLeft + nMid ? ONES : last;
        if (++v == per) { v = 0; r++; }
      }
      let d3 = d2, y3 = y2, c3 = c2, m3 = ZERO;
      if (t + 3 < total) {
        c = groupColumn(v, nLeft, nMid, midStart, ow);
        c3 = c - K1;
        d3 = at(d, (r - K1 + pLo) * w + c3); y3 = at(y, r * ow + c);
        m3 = v < nLeft + nMid ? ONES : last;
        if (++v == per) { v = 0; r++; }
      }
      cfGroup(d0, d1, d2, d3, c0, c1, c2, c3, y0, y1, y2, y3, m0, m1, m2, m3, w, k, K, pLo, pHi);
    }
    i = iEnd;
  }
}

// ---------------------------------------------------------------------------------------------
// §3.1.1 kernel gradient, accumulate: g[K-1-p][K-1-q] += Σ_{u,v} d[u][v] · x[u+p][v+q]
// K² dot products over the (h-K+1)×(w-K+1) output, vectorised along v. Taps are taken eight at a time
// sharing each load of d: 2 rows p × 4 columns q with immediate offsets where K ≥ 4, then the remaining
// taps in groups of 8 (or 4, or 1) at arbitrary offsets. The last vector of each row of d overlaps
// the previous one, with its already-counted lanes of d masked to zero. Outputs narrower than 4
// (the kernel about as wide as the map) are vectorised along q instead.

@inline function kg8(x: usize, w: i32, d: usize, oh: i32, ow: i32, p: i32, q: i32, rem: i32, mask: v128, K: i32, gEnd: usize): void {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
  let b0 = ZERO, b1 = ZERO, b2 = ZERO, b3 = ZERO;
  const wb = <usize>w << 2;
  for (let u = 0; u < oh; u++) {
    const dr = at(d, u * ow);
    const xr = at(x, (u + p) * w + q);
    let v = 0;
    for (; v + 4 <= ow; v += 4) {
      const dv = v128.load(at(dr, v));
      const xa = at(xr, v);
      const xb = xa + wb;
      a0 = f32x4.add(a0, f32x4.mul(dv, v128.load(xa)));
      a1 = f32x4.add(a1, f32x4.mul(dv, v128.load(xa, 4)));
      a2 = f32x4.add(a2, f32x4.mul(dv, v128.load(xa, 8)));
      a3 = f32x4.add(a3, f32x4.mul(dv, v128.load(xa, 12)));
      b0 = f32x4.add(b0, f32x4.mul(dv, v128.load(xb)));
      b1 = f32x4.add(b1, f32x4.mul(dv, v128.load(xb, 4)));
      b2 = f32x4.add(b2, f32x4.mul(dv, v128.load(xb, 8)));
      b3 = f32x4.add(b3, f32x4.mul(dv, v128.load(xb, 12)));
    }
    if (rem) {
      const dv = v128.and(v128.load(at(dr, ow - 4)), mask);
      const xa = at(xr, ow - 4);
      const xb = xa + wb;
      a0 = f32x4.add(a0, f32x4.mul(dv, v128.load(xa)));
      a1 = f32x4.add(a1, f32x4.mul(dv, v128.load(xa, 4)));
      a2 = f32x4.add(a2, f32x4.mul(dv, v128.load(xa, 8)));
      a3 = f32x4.add(a3, f32x4.mul(dv, v128.load(xa, 12)));
      b0 = f32x4.add(b0, f32x4.mul(dv, v128.load(xb)));
      b1 = f32x4.add(b1, f32x4.mul(dv, v128.load(xb, 4)));
      b2 = f32x4.add(b2, f32x4.mul(dv, v128.load(xb, 8)));
      b3 = f32x4.add(b3, f32x4.mul(dv, v128.load(xb, 12)));
    }
  }
  // taps (p, q..q+3) → g at gEnd − 4(pK+q+3) … gEnd − 4(pK+q), i.e. reversed
  const ga = at(gEnd, -(p * K + q + 3));
  v128.store(ga, f32x4.add(v128.load(ga), rev(hsum4(a0, a1, a2, a3))));
  const gb = at(gEnd, -((p + 1) * K + q + 3));
  v128.store(gb, f32x4.add(v128.load(gb), rev(hsum4(b0, b1, b2, b3))));
}

/** Whether tap t = pK+q is left to the flat groups (not covered by kg8's 2×4 blocks). */
@inline function kgLeft(t: i32, K: i32, p2: i32, q4: i32): bool {
  return t < K * K && (t / K >= p2 || t % K >= q4);
}

/** The first tap ≥ t left to the flat groups (K² when none). */
@inline function kgNext(t: i32, K: i32, p2: i32, q4: i32): i32 {
  while (t < K * K && !kgLeft(t, K, p2, q4)) t++;
  return t;
}

/** Byte offset in x of tap t: (p·w + q)·4. */
@inline function kgOff(t: i32, K: i32, w: i32): usize {
  return <usize>((t / K) * w + t % K) << 2;
}

/** Eight taps at x offsets o0 … o7 (bytes), sharing each load of d; stores the first `count` of them to g[K²-1-t_i]. */
@inline function kgFlat8(
  x: usize, d: usize, oh: i32, ow: i32, w: i32, rem: i32, mask: v128,
  o0: usize, o1: usize, o2: usize, o3: usize, o4: usize, o5: usize, o6: usize, o7: usize,
  t0: i32, t1: i32, t2: i32, t3: i32, t4: i32, t5: i32, t6: i32, t7: i32, count: i32, gEnd: usize,
): void {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO, a4 = ZERO, a5 = ZERO, a6 = ZERO, a7 = ZERO;
  for (let u = 0; u < oh; u++) {
    const dr = at(d, u * ow);
    const xr = at(x, u * w);
    let v = 0;
    for (; ; v += 4) {
      let dv = ZERO;
      if (v + 4 <= ow) dv = v128.load(at(dr, v));
      else if (rem) {
        v = ow - 4;
        dv = v128.and(v128.load(at(dr, v)), mask);
      } else break;
      const xa = at(xr, v);
      a0 = f32x4.add(a0, f32x4.mul(dv, v128.load(xa + o0)));
      a1 = f32x4.add(a1, f32x4.mul(dv, v128.load(xa + o1)));
      a2 = f32x4.add(a2, f32x4.mul(dv, v128.load(xa + o2)));
      a3 = f32x4.add(a3, f32x4.mul(dv, v128.load(xa + o3)));
      a4 = f32x4.add(a4, f32x4.mul(dv, v128.load(xa + o4)));
      a5 = f32x4.add(a5, f32x4.mul(dv, v128.load(xa + o5)));
      a6 = f32x4.add(a6, f32x4.mul(dv, v128.load(xa + o6)));
      a7 = f32x4.add(a7, f32x4.mul(dv, v128.load(xa + o7)));
      if (v + 4 >= ow) break;
    }
  }
  const s0 = hsum4(a0, a1, a2, a3);
  const s1 = hsum4(a4, a5, a6, a7);
  // count ≥ 1; later entries may repeat t0 and are not stored
  let ga = at(gEnd, -t0);
  store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s0, 0));
  if (count > 1) { ga = at(gEnd, -t1); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s0, 1)); }
  if (count > 2) { ga = at(gEnd, -t2); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s0, 2)); }
  if (count > 3) { ga = at(gEnd, -t3); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s0, 3)); }
  if (count > 4) { ga = at(gEnd, -t4); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s1, 0)); }
  if (count > 5) { ga = at(gEnd, -t5); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s1, 1)); }
  if (count > 6) { ga = at(gEnd, -t6); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s1, 2)); }
  if (count > 7) { ga = at(gEnd, -t7); store<f32>(ga, load<f32>(ga) + f32x4.extract_lane(s1, 3)); }
}

/** One tap at x offset o (bytes), two accumulator chains. */
@inline function kgFlat1(x: usize, d: usize, oh: i32, ow: i32, w: i32, rem: i32, mask: v128, o: usize, t: i32, gEnd: usize): void {
  let a0 = ZERO, a1 = ZERO;
  for (let u = 0; u < oh; u++) {
    const dr = at(d, u * ow);
    const xr = at(x, u * w) + o;
    let v = 0;
    for (; v + 8 <= ow; v += 8) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(at(dr, v)), v128.load(at(xr, v))));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(at(dr, v), 16), v128.load(at(xr, v), 16)));
    }
    if (v + 4 <= ow) a0 = f32x4.add(a0, f32x4.mul(v128.load(at(dr, v)), v128.load(at(xr, v))));
    if (rem) a1 = f32x4.add(a1, f32x4.mul(v128.and(v128.load(at(dr, ow - 4)), mask), v128.load(at(xr, ow - 4))));
  }
  const ga = at(gEnd, -t);
  store<f32>(ga, load<f32>(ga) + hsum(f32x4.add(a0, a1)));
}

@inline export function kernel_gradient(x: usize, h: i32, w: i32, d: usize, K: i32, g: usize): void {
  const oh = h - K + 1;
  const ow = w - K + 1;
  if (K <= 0 || oh <= 0 || ow <= 0) return;
  const KK = K * K;
  const gEnd = at(g, KK - 1); // g[K-1-p][K-1-q] = at(gEnd, -(pK+q))
  if (ow >= 4) {
    const rem = ow & 3;
    const mask = i32x4.ge_s(LANES, i32x4.splat(4 - rem));
    // 2×4 blocks of taps
    const p2 = K & ~1;
    const q4 = K & ~3;
    for (let p = 0; p < p2; p += 2) {
      for (let q = 0; q < q4; q += 4) kg8(x, w, d, oh, ow, p, q, rem, mask, K, gEnd);
    }
    // the other taps, eight at a time (a short last group repeats its first tap, unstored), or singly
    let t = kgNext(0, K, p2, q4);
    while (t < KK) {
      const t0 = t;
      const t1 = kgNext(t0 + 1, K, p2, q4);
      if (t1 >= KK) {
        kgFlat1(x, d, oh, ow, w, rem, mask, kgOff(t0, K, w), t0, gEnd);
        break;
      }
      let count = 2;
      const t2 = kgNext(t1 + 1, K, p2, q4);
      if (t2 < KK) count++;
      const t3 = t2 < KK ? kgNext(t2 + 1, K, p2, q4) : KK;
      if (t3 < KK) count++;
      const t4 = t3 < KK ? kgNext(t3 + 1, K, p2, q4) : KK;
      if (t4 < KK) count++;
      const t5 = t4 < KK ? kgNext(t4 + 1, K, p2, q4) : KK;
      if (t5 < KK) count++;
      const t6 = t5 < KK ? kgNext(t5 + 1, K, p2, q4) : KK;
      if (t6 < KK) count++;
      const t7 = t6 < KK ? kgNext(t6 + 1, K, p2, q4) : KK;
      if (t7 < KK) count++;
      const o0 = kgOff(t0, K, w);
      kgFlat8(
        x, d, oh, ow, w, rem, mask,
        o0, kgOff(t1, K, w), t2 < KK ? kgOff(t2, K, w) : o0, t3 < KK ? kgOff(t3, K, w) : o0,
        t4 < KK ? kgOff(t4, K, w) : o0, t5 < KK ? kgOff(t5, K, w) : o0, t6 < KK ? kgOff(t6, K, w) : o0, t7 < KK ? kgOff(t7, K, w) : o0,
        t0, t1, t2, t3, t4, t5, t6, t7, count, gEnd,
      );
      t = t7 < KK ? kgNext(t7 + 1, K, p2, q4) : KK;
    }
    return;
  }
  if (w == K) {
    // ow = 1 and every patch is contiguous: g[K²-1-t] += Σ_u d[u] · x[u·K + t]
    let t = 0;
    for (; t + 8 <= KK; t += 8) {
      let a0 = ZERO, a1 = ZERO;
      for (let u = 0; u < oh; u++) {
        const dv = v128.load32_splat(at(d, u));
        const xa = at(x, u * K + t);
        a0 = f32x4.add(a0, f32x4.mul(dv, v128.load(xa)));
        a1 = f32x4.add(a1, f32x4.mul(dv, v128.load(xa, 16)));
      }
      const ga = at(gEnd, -(t + 7));
      v128.store(ga, f32x4.add(v128.load(ga), rev(a1)));
      v128.store(ga, f32x4.add(v128.load(ga, 16), rev(a0)), 16);
    }
    for (; t + 4 <= KK; t += 4) {
      let a0 = ZERO;
      for (let u = 0; u < oh; u++) a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(at(d, u)), v128.load(at(x, u * K + t))));
      const ga = at(gEnd, -(t + 3));
      v128.store(ga, f32x4.add(v128.load(ga), rev(a0)));
    }
    for (; t < KK; t++) {
      let s: f32 = 0;
      for (let u = 0; u < oh; u++) s += load<f32>(at(d, u)) * load<f32>(at(x, u * K + t));
      const ga = at(gEnd, -t);
      store<f32>(ga, load<f32>(ga) + s);
    }
    return;
  }
  for (let p = 0; p < K; p++) {
    let q = 0;
    for (; q + 4 <= K; q += 4) {
      let acc = ZERO;
      for (let u = 0; u < oh; u++) {
        const xr = at(x, (u + p) * w + q);
        const dr = at(d, u * ow);
        for (let v = 0; v < ow; v++) acc = f32x4.add(acc, f32x4.mul(v128.load32_splat(at(dr, v)), v128.load(at(xr, v))));
      }
      const ga = at(gEnd, -(p * K + q + 3));
      v128.store(ga, f32x4.add(v128.load(ga), rev(acc)));
    }
    for (; q < K; q++) {
      let s: f32 = 0;
      for (let u = 0; u < oh; u++) {
        const xr = at(x, (u + p) * w + q);
        const dr = at(d, u * ow);
        for (let v = 0; v < ow; v++) s += load<f32>(at(dr, v)) * load<f32>(at(xr, v));
      }
      const ga = at(gEnd, -(p * K + q));
      store<f32>(ga, load<f32>(ga) + s);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// §3.2 down() and up(), overwrite. n must divide h and w (for down). n = 2 is vectorised; other
// factors take straightforward loops. Overwriting kernels may recompute an overlapping last vector.

@inline export function down_sum(x: usize, h: i32, w: i32, n: i32, y: usize): void {
  if (n <= 0) return;
  const oh = h / n;
  const ow = w / n;
  if (n == 2 && ow >= 4) {
    for (let a = 0; a < oh; a++) {
      const r0 = at(x, 2 * a * w);
      const r1 = at(r0, w);
      const yr = at(y, a * ow);
      for (let b = 0; ; b += 4) {
        if (b + 4 > ow) b = ow - 4;
        const s0 = f32x4.add(v128.load(at(r0, 2 * b)), v128.load(at(r1, 2 * b)));
        const s1 = f32x4.add(v128.load(at(r0, 2 * b), 16), v128.load(at(r1, 2 * b), 16));
        v128.store(at(yr, b), f32x4.add(f32x4.shuffle(s0, s1, 0, 2, 4, 6), f32x4.shuffle(s0, s1, 1, 3, 5, 7)));
        if (b + 4 >= ow) break;
      }
    }
    return;
  }
  for (let a = 0; a < oh; a++) {
    for (let b = 0; b < ow; b++) {
      let s: f32 = 0;
      for (let r = 0; r < n; r++) {
        const xr = at(x, (a * n + r) * w + b * n);
        for (let c = 0; c < n; c++) s += load<f32>(at(xr, c));
      }
      store<f32>(at(y, a * ow + b), s);
    }
  }
}

@inline export function down_decimate(x: usize, h: i32, w: i32, n: i32, y: usize): void {
  if (n <= 0) return;
  const oh = h / n;
  const ow = w / n;
  if (n == 2 && ow >= 4) {
    for (let a = 0; a < oh; a++) {
      const r0 = at(x, 2 * a * w);
      const yr = at(y, a * ow);
      for (let b = 0; ; b += 4) {
        if (b + 4 > ow) b = ow - 4;
        const v0 = v128.load(at(r0, 2 * b));
        const v1 = v128.load(at(r0, 2 * b), 16);
        v128.store(at(yr, b), f32x4.shuffle(v0, v1, 0, 2, 4, 6));
        if (b + 4 >= ow) break;
      }
    }
    return;
  }
  for (let a = 0; a < oh; a++) {
    const xr = at(x, a * n * w);
    const yr = at(y, a * ow);
    for (let b = 0; b < ow; b++) store<f32>(at(yr, b), load<f32>(at(xr, b * n)));
  }
}

@inline export function up_sum(d: usize, h: i32, w: i32, n: i32, s: f32, y: usize): void {
  if (n <= 0) return;
  const yw = w * n;
  const sv = f32x4.splat(s);
  if (n == 2 && w >= 4) {
    for (let a = 0; a < h; a++) {
      const dr = at(d, a * w);
      const y0 = at(y, 2 * a * yw);
      const y1 = at(y0, yw);
      for (let b = 0; ; b += 4) {
        if (b + 4 > w) b = w - 4;
        const v = f32x4.mul(sv, v128.load(at(dr, b)));
        const lo = f32x4.shuffle(v, v, 0, 0, 1, 1);
        const hi = f32x4.shuffle(v, v, 2, 2, 3, 3);
        v128.store(at(y0, 2 * b), lo);
        v128.store(at(y0, 2 * b), hi, 16);
        v128.store(at(y1, 2 * b), lo);
        v128.store(at(y1, 2 * b), hi, 16);
        if (b + 4 >= w) break;
      }
    }
    return;
  }
  for (let a = 0; a < h; a++) {
    const y0 = at(y, a * n * yw);
    for (let b = 0; b < w; b++) {
      const v = s * load<f32>(at(d, a * w + b));
      const yb = at(y0, b * n);
      for (let c = 0; c < n; c++) store<f32>(at(yb, c), v);
    }
    for (let r = 1; r < n; r++) copyf(y0, at(y0, r * yw), yw);
  }
}

/** dst[i] = src[i] for i < n (no overlap). */
@inline function copyf(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(dst, i), v128.load(at(src, i)));
  for (; i < n; i++) store<f32>(at(dst, i), load<f32>(at(src, i)));
}

@inline function fillf(dst: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(dst, i), v);
  for (; i < n; i++) store<f32>(at(dst, i), value);
}

@inline export function up_decimate(d: usize, h: i32, w: i32, n: i32, s: f32, y: usize): void {
  if (n <= 0) return;
  const yw = w * n;
  if (n == 2 && w >= 4) {
    const sv = f32x4.splat(s);
    for (let a = 0; a < h; a++) {
      const dr = at(d, a * w);
      const y0 = at(y, 2 * a * yw);
      for (let b = 0; ; b += 4) {
        if (b + 4 > w) b = w - 4;
        const v = f32x4.mul(sv, v128.load(at(dr, b)));
        v128.store(at(y0, 2 * b), f32x4.shuffle(v, ZERO, 0, 4, 1, 4));
        v128.store(at(y0, 2 * b), f32x4.shuffle(v, ZERO, 2, 4, 3, 4), 16);
        if (b + 4 >= w) break;
      }
      fillf(at(y0, yw), yw, 0);
    }
    return;
  }
  fillf(y, h * n * yw, 0);
  for (let a = 0; a < h; a++) {
    const yr = at(y, a * n * yw);
    for (let b = 0; b < w; b++) store<f32>(at(yr, b * n), s * load<f32>(at(d, a * w + b)));
  }
}

// ---------------------------------------------------------------------------------------------
// §2 activations, vectorised through assembly/vmath.ts (≤ 2e-7 relative over the whole f32 range).
// The last count % 4 elements run the same vector code on one lane (so u = x, in place, is safe).

/** §2 x[count] = f(u[count]), f by code: 0 identity, 1 sigmoid, 2 tanh, 3 LeCun 1.7159·tanh(2u/3), 4 relu. u may be x. */
@inline export function activate(act: i32, u: usize, count: i32, x: usize): void {
  const n4 = count & ~3;
  switch (act) {
    case 0: {
      if (u != x) {
        if (x > u && x < at(u, count)) {
          for (let i = count - 1; i >= 0; i--) store<f32>(at(x, i), load<f32>(at(u, i)));
        } else copyf(u, x, count);
      }
      return;
    }
    case 1: {
      let i = 0;
      for (; i + 8 <= n4; i += 8) {
        const a = v128.load(at(u, i));
        const b = v128.load(at(u, i), 16);
        v128.store(at(x, i), vsigmoid(a));
        v128.store(at(x, i), vsigmoid(b), 16);
      }
      if (i < n4) v128.store(at(x, i), vsigmoid(v128.load(at(u, i))));
      for (let i = n4; i < count; i++) store<f32>(at(x, i), f32x4.extract_lane(vsigmoid(v128.load32_splat(at(u, i))), 0));
      return;
    }
    case 2: {
      let i = 0;
      for (; i + 8 <= n4; i += 8) {
        const a = v128.load(at(u, i));
        const b = v128.load(at(u, i), 16);
        v128.store(at(x, i), vtanh(a));
        v128.store(at(x, i), vtanh(b), 16);
      }
      if (i < n4) v128.store(at(x, i), vtanh(v128.load(at(u, i))));
      for (let i = n4; i < count; i++) store<f32>(at(x, i), f32x4.extract_lane(vtanh(v128.load32_splat(at(u, i))), 0));
      return;
    }
    case 3: {
      let i = 0;
      for (; i + 8 <= n4; i += 8) {
        const a = v128.load(at(u, i));
        const b = v128.load(at(u, i), 16);
        v128.store(at(x, i), vlecun(a));
        v128.store(at(x, i), vlecun(b), 16);
      }
      if (i < n4) v128.store(at(x, i), vlecun(v128.load(at(u, i))));
      for (let i = n4; i < count; i++) store<f32>(at(x, i), f32x4.extract_lane(vlecun(v128.load32_splat(at(u, i))), 0));
      return;
    }
    case 4: {
      // pmax(0, u) = 0 < u ? u : 0: NaN and −0 give +0, as `u > 0 ? u : 0` does
      for (let i = 0; i < n4; i += 4) v128.store(at(x, i), f32x4.pmax(ZERO, v128.load(at(u, i))));
      for (let i = n4; i < count; i++) {
        const v = load<f32>(at(u, i));
        store<f32>(at(x, i), v > 0 ? v : 0);
      }
      return;
    }
  }
}

/** §2 g[count] ∘= f'(u), written through x = f(u): σ' = x(1−x), tanh' = 1−x², LeCun S(A − x²/A), relu [x > 0]. */
@inline export function activation_backward(act: i32, x: usize, count: i32, g: usize): void {
  const n4 = count & ~3;
  switch (act) {
    case 1: {
      const one = f32x4.splat(1.0);
      for (let i = 0; i < n4; i += 4) {
        const y = v128.load(at(x, i));
        const ga = at(g, i);
        v128.store(ga, f32x4.mul(v128.load(ga), f32x4.mul(y, f32x4.sub(one, y))));
      }
      for (let i = n4; i < count; i++) {
        const y = load<f32>(at(x, i));
        const ga = at(g, i);
        store<f32>(ga, load<f32>(ga) * (y * (1 - y)));
      }
      return;
    }
    case 2: {
      const one = f32x4.splat(1.0);
      for (let i = 0; i < n4; i += 4) {
        const y = v128.load(at(x, i));
        const ga = at(g, i);
        v128.store(ga, f32x4.mul(v128.load(ga), f32x4.sub(one, f32x4.mul(y, y))));
      }
      for (let i = n4; i < count; i++) {
        const y = load<f32>(at(x, i));
        const ga = at(g, i);
        store<f32>(ga, load<f32>(ga) * (1 - y * y));
      }
      return;
    }
    case 3: {
      const av = f32x4.splat(LECUN_A);
      const sv = f32x4.splat(LECUN_S);
      for (let i = 0; i < n4; i += 4) {
        const y = v128.load(at(x, i));
        const ga = at(g, i);
        v128.store(ga, f32x4.mul(v128.load(ga), f32x4.mul(sv, f32x4.sub(av, f32x4.div(f32x4.mul(y, y), av)))));
      }
      for (let i = n4; i < count; i++) {
        const y = load<f32>(at(x, i));
        const ga = at(g, i);
        store<f32>(ga, load<f32>(ga) * (LECUN_S * (LECUN_A - (y * y) / LECUN_A)));
      }
      return;
    }
    case 4: {
      for (let i = 0; i < n4; i += 4) {
        const ga = at(g, i);
        v128.store(ga, v128.and(v128.load(ga), f32x4.gt(v128.load(at(x, i)), ZERO)));
      }
      for (let i = n4; i < count; i++) if (!(load<f32>(at(x, i)) > 0)) store<f32>(at(g, i), 0);
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// BLAS-1

/** y[n] += a · x[n]. */
@inline export function axpy(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const xa = at(x, i);
    const ya = at(y, i);
    const x0 = v128.load(xa);
    const x1 = v128.load(xa, 16);
    const y0 = v128.load(ya);
    const y1 = v128.load(ya, 16);
    v128.store(ya, f32x4.add(y0, f32x4.mul(av, x0)));
    v128.store(ya, f32x4.add(y1, f32x4.mul(av, x1)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const ya = at(y, i);
    v128.store(ya, f32x4.add(v128.load(ya), f32x4.mul(av, v128.load(at(x, i)))));
  }
  for (; i < n; i++) {
    const ya = at(y, i);
    store<f32>(ya, load<f32>(ya) + a * load<f32>(at(x, i)));
  }
}

/** y[n] += a. */
@inline export function add_scalar(n: i32, a: f32, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const ya = at(y, i);
    v128.store(ya, f32x4.add(v128.load(ya), av));
  }
  for (; i < n; i++) {
    const ya = at(y, i);
    store<f32>(ya, load<f32>(ya) + a);
  }
}

/** Σ x[n]. */
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

/** Σ a[n] b[n]. */
@inline export function dot(n: i32, a: usize, b: usize): f32 {
  let a0 = ZERO, a1 = ZERO, a2 = ZERO, a3 = ZERO;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const aa = at(a, i);
    const ba = at(b, i);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(aa), v128.load(ba)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(aa, 16), v128.load(ba, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(aa, 32), v128.load(ba, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(aa, 48), v128.load(ba, 48)));
  }
  for (; i + 4 <= n; i += 4) a0 = f32x4.add(a0, f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  let s = hsum(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += load<f32>(at(a, i)) * load<f32>(at(b, i));
  return s;
}

// ---------------------------------------------------------------------------------------------
// §2 gemm: C[M×N] = alpha · op(A) · op(B) + beta · C, row-major; op(A) is M×K (A stored K×M when
// transA), op(B) is K×N (B stored N×K when transB). Leading dimensions are the matrices' widths.
//
// Large products: the Goto/BLIS scheme. For each NC-wide column panel and KC-deep slice of op(B),
// the slice is packed into `scratch` as NR-wide slivers (k-major, zero-padded to a multiple of NR);
// for each MC-tall row block, the block of op(A) (times alpha) is packed as MR-tall slivers (k-major,
// zero-padded); an MR×NR register-blocked micro-kernel then multiplies sliver pairs, adding into C
// (beta applied on the first slice only). Partial edge tiles go through a small tile buffer.
// Small M (≤ GEMM_SMALL_M, the fully connected layers over a few patterns) without transB streams
// op(B)'s rows straight from memory, without packing; with transB (and not transA) it takes dot
// products of contiguous rows.
//
// Scratch (gemm_scratch_bytes): 16 (alignment) + 4·(mc·kc + kc·nc + MR·NR) bytes, where
// kc = min(K, KC), mc = min(M, MC) rounded up to MR, nc = min(N, NC) rounded up to NR. Never more
// than gemm_scratch_bytes(MC, NC, KC) ≈ 1.18 MB (1 179 792 bytes), whatever the sizes. The small-M
// paths use none of it. Threads running gemm at the same time need a scratch each.

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 128;
const NC = 1024;
const GEMM_SMALL_M = 8;

@inline function roundUp(a: i32, m: i32): i32 {
  return ((a + m - 1) / m) * m;
}

/** Bytes of scratch gemm(…, M, N, K, …) needs (its address need not be aligned). */
export function gemm_scratch_bytes(M: i32, N: i32, K: i32): i32 {
  if (M <= 0 || N <= 0 || K <= 0) return 16;
  const kc = imin(K, KC);
  const mc = roundUp(imin(M, MC), MR);
  const nc = roundUp(imin(N, NC), NR);
  return 16 + 4 * (mc * kc + kc * nc + MR * NR);
}


// --- packing

/** A block of op(A), rows m0 … m0+mc, columns k0 … k0+kc, times alpha → MR-row slivers at dst. */
function packA(transA: bool, M: i32, K: i32, alpha: f32, A: usize, m0: i32, mc: i32, k0: i32, kc: i32, dst: usize): void {
  const av = f32x4.splat(alpha);
  for (let i = 0; i < mc; i += MR) {
    const rows = imin(MR, mc - i);
    let out = at(dst, i * kc);
    if (transA) {
      // A stored K×M: op(A)[m][k] = A[k·M + m]; an MR-sliver column is contiguous
      let src = at(A, k0 * M + m0 + i);
      const ldb = <usize>M << 2;
      if (rows == MR) {
        for (let kk = 0; kk < kc; kk++) {
          v128.store(out, f32x4.mul(av, v128.load(src)));
          out += MR << 2;
          src += ldb;
        }
      } else {
        for (let kk = 0; kk < kc; kk++) {
          for (let r = 0; r < MR; r++) store<f32>(at(out, r), r < rows ? alpha * load<f32>(at(src, r)) : 0);
          out += MR << 2;
          src += ldb;
        }
      }
    } else {
      // A stored M×K: rows are contiguous; transpose 4×4 blocks
      const r0 = at(A, (m0 + i) * K + k0);
      if (rows == MR) {
        const r1 = at(r0, K);
        const r2 = at(r1, K);
        const r3 = at(r2, K);
        let kk = 0;
        for (; kk + 4 <= kc; kk += 4) {
          const v0 = v128.load(at(r0, kk));
          const v1 = v128.load(at(r1, kk));
          const v2 = v128.load(at(r2, kk));
          const v3 = v128.load(at(r3, kk));
          const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5);
          const t1 = f32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t2 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
          const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
          v128.store(out, f32x4.mul(av, f32x4.shuffle(t0, t2, 0, 1, 4, 5)));
          v128.store(out, f32x4.mul(av, f32x4.shuffle(t0, t2, 2, 3, 6, 7)), 16);
          v128.store(out, f32x4.mul(av, f32x4.shuffle(t1, t3, 0, 1, 4, 5)), 32);
          v128.store(out, f32x4.mul(av, f32x4.shuffle(t1, t3, 2, 3, 6, 7)), 48);
          out += 64;
        }
        for (; kk < kc; kk++) {
          store<f32>(out, alpha * load<f32>(at(r0, kk)));
          store<f32>(out, alpha * load<f32>(at(r1, kk)), 4);
          store<f32>(out, alpha * load<f32>(at(r2, kk)), 8);
          store<f32>(out, alpha * load<f32>(at(r3, kk)), 12);
          out += 16;
        }
      } else {
        for (let kk = 0; kk < kc; kk++) {
          for (let r = 0; r < MR; r++) store<f32>(at(out, r), r < rows ? alpha * load<f32>(at(r0, r * K + kk)) : 0);
          out += MR << 2;
        }
      }
    }
  }
}

/** A slice of op(B), rows k0 … k0+kc, columns n0 … n0+nc → NR-column slivers at dst. */
function packB(transB: bool, N: i32, K: i32, B: usize, k0: i32, kc: i32, n0: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const cols = imin(NR, nc - j);
    let out = at(dst, j * kc);
    if (!transB) {
      // B stored K×N: op(B)[k][n] = B[k·N + n]; a sliver row is contiguous
      let src = at(B, k0 * N + n0 + j);
      const ldb = <usize>N << 2;
      if (cols == NR) {
        for (let kk = 0; kk < kc; kk++) {
          v128.store(out, v128.load(src));
          v128.store(out, v128.load(src, 16), 16);
          out += NR << 2;
          src += ldb;
        }
      } else {
        for (let kk = 0; kk < kc; kk++) {
          for (let c = 0; c < NR; c++) store<f32>(at(out, c), c < cols ? load<f32>(at(src, c)) : 0);
          out += NR << 2;
          src += ldb;
        }
      }
    } else {
      // B stored N×K: op(B)[k][n] = B[n·K + k]; transpose 4×4 blocks of rows n
      const c0 = at(B, (n0 + j) * K + k0);
      if (cols == NR) {
        for (let half = 0; half < 2; half++) {
          const s0 = at(c0, half * 4 * K);
          const s1 = at(s0, K);
          const s2 = at(s1, K);
          const s3 = at(s2, K);
          let o = at(out, half * 4);
          let kk = 0;
          for (; kk + 4 <= kc; kk += 4) {
            const v0 = v128.load(at(s0, kk));
            const v1 = v128.load(at(s1, kk));
            const v2 = v128.load(at(s2, kk));
            const v3 = v128.load(at(s3, kk));
            const t0 = f32x4.shuffle(v0, v1, 0, 4, 1, 5);
            const t1 = f32x4.shuffle(v0, v1, 2, 6, 3, 7);
            const t2 = f32x4.shuffle(v2, v3, 0, 4, 1, 5);
            const t3 = f32x4.shuffle(v2, v3, 2, 6, 3, 7);
            v128.store(o, f32x4.shuffle(t0, t2, 0, 1, 4, 5));
            v128.store(o, f32x4.shuffle(t0, t2, 2, 3, 6, 7), NR * 4);
            v128.store(o, f32x4.shuffle(t1, t3, 0, 1, 4, 5), NR * 8);
            v128.store(o, f32x4.shuffle(t1, t3, 2, 3, 6, 7), NR * 12);
            o += NR * 16;
          }
          for (; kk < kc; kk++) {
            store<f32>(o, load<f32>(at(s0, kk)));
            store<f32>(o, load<f32>(at(s1, kk)), 4);
            store<f32>(o, load<f32>(at(s2, kk)), 8);
            store<f32>(o, load<f32>(at(s3, kk)), 12);
            o += NR * 4;
          }
        }
      } else {
        for (let kk = 0; kk < kc; kk++) {
          for (let c = 0; c < NR; c++) store<f32>(at(out, c), c < cols ? load<f32>(at(c0, c * K + kk)) : 0);
          out += NR << 2;
        }
      }
    }
  }
}

// --- the micro-kernel: an MR×NR (4×8) tile, C_tile = Σ_k pa[k][0..4) ⊗ pb[k][0..8) (+ beta·C_tile)

function micro(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, beta: f32): void {
  let c00 = ZERO, c01 = ZERO, c10 = ZERO, c11 = ZERO, c20 = ZERO, c21 = ZERO, c30 = ZERO, c31 = ZERO;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    let b0 = v128.load(pb);
    let b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    b0 = v128.load(pb, 32);
    b1 = v128.load(pb, 48);
    a = v128.load32_splat(pa, 16);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 20);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 24);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 28);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 32;
    pb += 64;
  }
  if (k < kc) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0));
    c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0));
    c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0));
    c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0));
    c31 = f32x4.add(c31, f32x4.mul(a, b1));
  }
  const c1 = c + ldc;
  const c2 = c1 + ldc;
  const c3 = c2 + ldc;
  if (beta == 0) {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c2, c20);
    v128.store(c2, c21, 16);
    v128.store(c3, c30);
    v128.store(c3, c31, 16);
  } else if (beta == 1) {
    v128.store(c, f32x4.add(c00, v128.load(c)));
    v128.store(c, f32x4.add(c01, v128.load(c, 16)), 16);
    v128.store(c1, f32x4.add(c10, v128.load(c1)));
    v128.store(c1, f32x4.add(c11, v128.load(c1, 16)), 16);
    v128.store(c2, f32x4.add(c20, v128.load(c2)));
    v128.store(c2, f32x4.add(c21, v128.load(c2, 16)), 16);
    v128.store(c3, f32x4.add(c30, v128.load(c3)));
    v128.store(c3, f32x4.add(c31, v128.load(c3, 16)), 16);
  } else {
    const bv = f32x4.splat(beta);
    v128.store(c, f32x4.add(c00, f32x4.mul(bv, v128.load(c))));
    v128.store(c, f32x4.add(c01, f32x4.mul(bv, v128.load(c, 16))), 16);
    v128.store(c1, f32x4.add(c10, f32x4.mul(bv, v128.load(c1))));
    v128.store(c1, f32x4.add(c11, f32x4.mul(bv, v128.load(c1, 16))), 16);
    v128.store(c2, f32x4.add(c20, f32x4.mul(bv, v128.load(c2))));
    v128.store(c2, f32x4.add(c21, f32x4.mul(bv, v128.load(c2, 16))), 16);
    v128.store(c3, f32x4.add(c30, f32x4.mul(bv, v128.load(c3))));
    v128.store(c3, f32x4.add(c31, f32x4.mul(bv, v128.load(c3, 16))), 16);
  }
}

/** C[rows×N] = beta·C (beta = 0 writes zeros). */
function scaleRows(M: i32, N: i32, beta: f32, C: usize): void {
  const count = M * N;
  if (beta == 0) fillf(C, count, 0);
  else if (beta != 1) {
    const bv = f32x4.splat(beta);
    let i = 0;
    for (; i + 4 <= count; i += 4) v128.store(at(C, i), f32x4.mul(bv, v128.load(at(C, i))));
    for (; i < count; i++) store<f32>(at(C, i), beta * load<f32>(at(C, i)));
  }
}

@inline function combine(acc: v128, av: v128, bv: v128, beta: f32, c: usize): v128 {
  // alpha·acc + beta·C, never reading C when beta = 0
  const r = f32x4.mul(av, acc);
  return beta == 0 ? r : f32x4.add(r, f32x4.mul(bv, v128.load(c)));
}

@inline function combine1(acc: f32, alpha: f32, beta: f32, c: usize): f32 {
  return beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(c);
}

/** Small M, B not transposed: C rows from op(B)'s rows streamed from memory, two rows of C at a time. */
function gemmSmallM(transA: bool, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize): void {
  // op(A)[m][k] at A + m·aRow + k·aCol
  const aRow: usize = transA ? 4 : <usize>K << 2;
  const aCol: usize = transA ? <usize>M << 2 : 4;
  const ldb = <usize>N << 2;
  const av = f32x4.splat(alpha);
  const bv = f32x4.splat(beta);
  let m = 0;
  for (; m + 2 <= M; m += 2) {
    const a0 = A + <usize>m * aRow;
    const a1 = a0 + aRow;
    const c0 = at(C, m * N);
    const c1 = at(c0, N);
    if (N < 4) {
      for (let n = 0; n < N; n++) {
        let s0: f32 = 0, s1: f32 = 0;
        let ap0 = a0, ap1 = a1, bp = at(B, n);
        for (let k = 0; k < K; k++) {
          const b = load<f32>(bp);
          s0 += load<f32>(ap0) * b;
          s1 += load<f32>(ap1) * b;
          ap0 += aCol;
          ap1 += aCol;
          bp += ldb;
        }
        const r1 = combine1(s1, alpha, beta, at(c1, n));
        const r0 = combine1(s0, alpha, beta, at(c0, n));
        store<f32>(at(c1, n), r1);
        store<f32>(at(c0, n), r0);
      }
      continue;
    }
    // the last, overlapping vector first (from the original C), stored last
    const tailN = N - 4;
    let T0 = ZERO, T1 = ZERO;
    if (N & 3) {
      let x0 = ZERO, x1 = ZERO;
      let ap0 = a0, ap1 = a1, bp = at(B, tailN);
      for (let k = 0; k < K; k++) {
        const b = v128.load(bp);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ap0), b));
        x1 = f32x4.add(x1, f32x4.mul(v128.load32_splat(ap1), b));
        ap0 += aCol;
        ap1 += aCol;
        bp += ldb;
      }
      T0 = combine(x0, av, bv, beta, at(c0, tailN));
      T1 = combine(x1, av, bv, beta, at(c1, tailN));
    }
    let n = 0;
    for (; n + 16 <= N; n += 16) {
      let x0 = ZERO, x1 = ZERO, x2 = ZERO, x3 = ZERO, y0 = ZERO, y1 = ZERO, y2 = ZERO, y3 = ZERO;
      let ap0 = a0, ap1 = a1, bp = at(B, n);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const b2 = v128.load(bp, 32);
        const b3 = v128.load(bp, 48);
        const s0 = v128.load32_splat(ap0);
        const s1 = v128.load32_splat(ap1);
        x0 = f32x4.add(x0, f32x4.mul(s0, b0));
        x1 = f32x4.add(x1, f32x4.mul(s0, b1));
        x2 = f32x4.add(x2, f32x4.mul(s0, b2));
        x3 = f32x4.add(x3, f32x4.mul(s0, b3));
        y0 = f32x4.add(y0, f32x4.mul(s1, b0));
        y1 = f32x4.add(y1, f32x4.mul(s1, b1));
        y2 = f32x4.add(y2, f32x4.mul(s1, b2));
        y3 = f32x4.add(y3, f32x4.mul(s1, b3));
        ap0 += aCol;
        ap1 += aCol;
        bp += ldb;
      }
      const cc1 = at(c1, n);
      const cc0 = at(c0, n);
      const r10 = combine(y0, av, bv, beta, cc1);
      const r11 = combine(y1, av, bv, beta, cc1 + 16);
      const r12 = combine(y2, av, bv, beta, cc1 + 32);
      const r13 = combine(y3, av, bv, beta, cc1 + 48);
      const r00 = combine(x0, av, bv, beta, cc0);
      const r01 = combine(x1, av, bv, beta, cc0 + 16);
      const r02 = combine(x2, av, bv, beta, cc0 + 32);
      const r03 = combine(x3, av, bv, beta, cc0 + 48);
      v128.store(cc1, r10);
      v128.store(cc1, r11, 16);
      v128.store(cc1, r12, 32);
      v128.store(cc1, r13, 48);
      v128.store(cc0, r00);
      v128.store(cc0, r01, 16);
      v128.store(cc0, r02, 32);
      v128.store(cc0, r03, 48);
    }
    for (; n + 4 <= N; n += 4) {
      let x0 = ZERO, y0 = ZERO;
      let ap0 = a0, ap1 = a1, bp = at(B, n);
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp);
        x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ap0), b0));
        y0 = f32x4.add(y0, f32x4.mul(v128.load32_splat(ap1), b0));
        ap0 += aCol;
        ap1 += aCol;
        bp += ldb;
      }
      const cc1 = at(c1, n);
      const cc0 = at(c0, n);
      const r1 = combine(y0, av, bv, beta, cc1);
      const r0 = combine(x0, av, bv, beta, cc0);
      v128.store(cc1, r1);
      v128.store(cc0, r0);
    }
    if (N & 3) {
      v128.store(at(c1, tailN), T1);
      v128.store(at(c0, tailN), T0);
    }
  }
  if (m < M) gemmSmallRow(N, K, alpha, A + <usize>m * aRow, aCol, B, beta, at(C, m * N));
}

/** One row of C: c[N] = alpha · Σ_k a[k·aCol] · B[k][·] + beta · c. */
function gemmSmallRow(N: i32, K: i32, alpha: f32, a0: usize, aCol: usize, B: usize, beta: f32, c0: usize): void {
  const ldb = <usize>N << 2;
  const av = f32x4.splat(alpha);
  const bv = f32x4.splat(beta);
  if (N < 4) {
    for (let n = 0; n < N; n++) {
      let s0: f32 = 0;
      let ap0 = a0, bp = at(B, n);
      for (let k = 0; k < K; k++) {
        s0 += load<f32>(ap0) * load<f32>(bp);
        ap0 += aCol;
        bp += ldb;
      }
      store<f32>(at(c0, n), combine1(s0, alpha, beta, at(c0, n)));
    }
    return;
  }
  const tailN = N - 4;
  let T0 = ZERO;
  if (N & 3) {
    let x0 = ZERO;
    let ap0 = a0, bp = at(B, tailN);
    for (let k = 0; k < K; k++) {
      x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ap0), v128.load(bp)));
      ap0 += aCol;
      bp += ldb;
    }
    T0 = combine(x0, av, bv, beta, at(c0, tailN));
  }
  let n = 0;
  for (; n + 16 <= N; n += 16) {
    let x0 = ZERO, x1 = ZERO, x2 = ZERO, x3 = ZERO;
    let ap0 = a0, bp = at(B, n);
    for (let k = 0; k < K; k++) {
      const s0 = v128.load32_splat(ap0);
      x0 = f32x4.add(x0, f32x4.mul(s0, v128.load(bp)));
      x1 = f32x4.add(x1, f32x4.mul(s0, v128.load(bp, 16)));
      x2 = f32x4.add(x2, f32x4.mul(s0, v128.load(bp, 32)));
      x3 = f32x4.add(x3, f32x4.mul(s0, v128.load(bp, 48)));
      ap0 += aCol;
      bp += ldb;
    }
    const cc0 = at(c0, n);
    v128.store(cc0, combine(x0, av, bv, beta, cc0));
    v128.store(cc0, combine(x1, av, bv, beta, cc0 + 16), 16);
    v128.store(cc0, combine(x2, av, bv, beta, cc0 + 32), 32);
    v128.store(cc0, combine(x3, av, bv, beta, cc0 + 48), 48);
  }
  for (; n + 4 <= N; n += 4) {
    let x0 = ZERO;
    let ap0 = a0, bp = at(B, n);
    for (let k = 0; k < K; k++) {
      x0 = f32x4.add(x0, f32x4.mul(v128.load32_splat(ap0), v128.load(bp)));
      ap0 += aCol;
      bp += ldb;
    }
    const cc0 = at(c0, n);
    v128.store(cc0, combine(x0, av, bv, beta, cc0));
  }
  if (N & 3) v128.store(at(c0, tailN), T0);
}

/** Σ_k a[k]·b[k] as a vector of partial sums plus a scalar remainder folded into lane 0. */
@inline function dotv(a: usize, b: usize, K: i32): f32 {
  let x0 = ZERO, x1 = ZERO;
  let k = 0;
  for (; k + 8 <= K; k += 8) {
    x0 = f32x4.add(x0, f32x4.mul(v128.load(at(a, k)), v128.load(at(b, k))));
    x1 = f32x4.add(x1, f32x4.mul(v128.load(at(a, k), 16), v128.load(at(b, k), 16)));
  }
  for (; k + 4 <= K; k += 4) x0 = f32x4.add(x0, f32x4.mul(v128.load(at(a, k)), v128.load(at(b, k))));
  let s = hsum(f32x4.add(x0, x1));
  for (; k < K; k++) s += load<f32>(at(a, k)) * load<f32>(at(b, k));
  return s;
}

/** Small M, op(A) = A (rows contiguous), op(B) = Bᵀ (B stored N×K, rows contiguous): dot products. */
function gemmSmallMDot(M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize): void {
  const av = f32x4.splat(alpha);
  const bv = f32x4.splat(beta);
  const rem = K & 3;
  const mask = i32x4.ge_s(LANES, i32x4.splat(4 - rem));
  const Kb = <usize>K << 2;
  for (let m = 0; m < M; m++) {
    const ar = at(A, m * K);
    const cr = at(C, m * N);
    let n = 0;
    if (K >= 4) {
      for (; n + 4 <= N; n += 4) {
        const b0 = at(B, n * K);
        const b1 = b0 + Kb;
        const b2 = b1 + Kb;
        const b3 = b2 + Kb;
        let x0 = ZERO, x1 = ZERO, x2 = ZERO, x3 = ZERO;
        let k = 0;
        for (; k + 4 <= K; k += 4) {
          const a = v128.load(at(ar, k));
          x0 = f32x4.add(x0, f32x4.mul(a, v128.load(at(b0, k))));
          x1 = f32x4.add(x1, f32x4.mul(a, v128.load(at(b1, k))));
          x2 = f32x4.add(x2, f32x4.mul(a, v128.load(at(b2, k))));
          x3 = f32x4.add(x3, f32x4.mul(a, v128.load(at(b3, k))));
        }
        if (rem) {
          const t = K - 4;
          const a = v128.and(v128.load(at(ar, t)), mask);
          x0 = f32x4.add(x0, f32x4.mul(a, v128.load(at(b0, t))));
          x1 = f32x4.add(x1, f32x4.mul(a, v128.load(at(b1, t))));
          x2 = f32x4.add(x2, f32x4.mul(a, v128.load(at(b2, t))));
          x3 = f32x4.add(x3, f32x4.mul(a, v128.load(at(b3, t))));
        }
        const cc = at(cr, n);
        v128.store(cc, combine(hsum4(x0, x1, x2, x3), av, bv, beta, cc));
      }
    }
    for (; n < N; n++) {
      const cc = at(cr, n);
      store<f32>(cc, combine1(dotv(ar, at(B, n * K), K), alpha, beta, cc));
    }
  }
}

export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, A: usize, B: usize, beta: f32, C: usize, scratch: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scaleRows(M, N, beta, C);
    return;
  }
  if (M <= GEMM_SMALL_M) {
    if (!transB) {
      gemmSmallM(transA != 0, M, N, K, alpha, A, B, beta, C);
      return;
    }
    if (!transA) {
      gemmSmallMDot(M, N, K, alpha, A, B, beta, C);
      return;
    }
  }
  const kcMax = imin(K, KC);
  const mcMax = roundUp(imin(M, MC), MR);
  const ncMax = roundUp(imin(N, NC), NR);
  const pa = (scratch + 15) & ~(<usize>15);
  const pb = at(pa, mcMax * kcMax);
  const tile = at(pb, kcMax * ncMax);
  const ldc = <usize>N << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = imin(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = imin(KC, K - pc);
      const betaEff: f32 = pc == 0 ? beta : 1;
      packB(transB != 0, N, K, B, pc, kc, jc, nc, pb);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = imin(MC, M - ic);
        packA(transA != 0, M, K, alpha, A, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = imin(NR, nc - jr);
          const pbj = at(pb, jr * kc);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = imin(MR, mc - ir);
            const c = at(C, (ic + ir) * N + jc + jr);
            const pai = at(pa, ir * kc);
            if (mr == MR && nr == NR) {
              micro(kc, pai, pbj, c, ldc, betaEff);
            } else {
              micro(kc, pai, pbj, tile, NR << 2, 0);
              for (let r = 0; r < mr; r++) {
                for (let cc = 0; cc < nr; cc++) {
                  const ca = at(c, r * N + cc);
                  const t = load<f32>(at(tile, r * NR + cc));
                  store<f32>(ca, betaEff == 0 ? t : t + betaEff * load<f32>(ca));
                }
              }
            }
          }
        }
      }
    }
  }
}
