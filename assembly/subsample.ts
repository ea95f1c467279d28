// §3.2 subsampling layer kernels over a range of patterns [b0, b1) of a batch. mode DOWN_SUM: down()
// sums n×n blocks; DOWN_DECIMATE: keeps every n-th sample; DOWN_MAX (beyond the notes, max pooling):
// takes each block's maximum (src/wasm/abi-constants.ts). Max pooling runs functions of its own, below,
// so the sum and decimate loops are untouched by it.

import { DOWN_DECIMATE, DOWN_MAX, DOWN_SUM } from '../src/wasm/abi-constants';
import { act_backward, act_forward } from './activation';
import { dotf, madd, sum } from './gemm';

// Beyond the notes: max pooling (docs/SPEC.md). Byte address of the largest value of n×n block (a, c)
// of the map at xm (row width W); ties go to the first maximum in row-major order (the strict >, as
// the reference's blockArgmax), so backward finds the forward's argmax again from x, with no index kept.
@inline function block_argmax(xm: usize, W: i32, n: i32, a: i32, c: i32): usize {
  let at = xm + (<usize>(a * n * W + c * n) << 2);
  let best = load<f32>(at);
  for (let r = 0; r < n; r++) {
    const xr = xm + (<usize>((a * n + r) * W + c * n) << 2);
    for (let q = 0; q < n; q++) {
      const v = load<f32>(xr + (<usize>q << 2));
      if (v > best) {
        best = v;
        at = xr + (<usize>q << 2);
      }
    }
  }
  return at;
}

// d[Ho×Wo] = down(x) = block maxima of one map x[H×W]; u = β d + b into y (f is applied by the caller).
function down_max(xm: usize, W: i32, n: i32, Ho: i32, Wo: i32, bt: f32, bs: f32, dm: usize, ym: usize): void {
  const vb = f32x4.splat(bt);
  const vs = f32x4.splat(bs);
  for (let a = 0; a < Ho; a++) {
    const dr = dm + (<usize>(a * Wo) << 2);
    const yr = ym + (<usize>(a * Wo) << 2);
    let c = 0;
    if (n == 2) {
      // two input rows, eight columns → four block maxima; pmax(p, q) = p < q ? q : p (the value is the
      // maximum whatever the order; backward recomputes the argmax with block_argmax's tie rule)
      const r0 = xm + (<usize>(2 * a * W) << 2);
      const r1 = r0 + (<usize>W << 2);
      for (; c + 4 <= Wo; c += 4) {
        const o = <usize>(2 * c) << 2;
        const m0 = f32x4.pmax(v128.load(r0 + o), v128.load(r1 + o));
        const m1 = f32x4.pmax(v128.load(r0 + o, 16), v128.load(r1 + o, 16));
        const dmax = f32x4.pmax(v128.shuffle<f32>(m0, m1, 0, 2, 4, 6), v128.shuffle<f32>(m0, m1, 1, 3, 5, 7));
        v128.store(dr + (<usize>c << 2), dmax);
        v128.store(yr + (<usize>c << 2), madd(vb, dmax, vs));
      }
    }
    for (; c < Wo; c++) {
      const s = load<f32>(block_argmax(xm, W, n, a, c));
      store<f32>(dr + (<usize>c << 2), s);
      store<f32>(yr + (<usize>c << 2), bt * s + bs);
    }
  }
}

// dx[H×W] = β δ[a][b] at the argmax of block (a, b) of x[H×W] (one map), 0 elsewhere: the routing of δ.
function up_max(xm: usize, H: i32, W: i32, n: i32, Ho: i32, Wo: i32, bt: f32, d: usize, dxm: usize): void {
  memory.fill(dxm, 0, <usize>(H * W) << 2);
  const vb = f32x4.splat(bt);
  for (let a = 0; a < Ho; a++) {
    const dr = d + (<usize>(a * Wo) << 2);
    let c = 0;
    if (n == 2) {
      // four blocks at a time: their samples x00, x01, x10, x11 as four vectors, the first (in that,
      // row-major, order) equal to the block's maximum takes β δ, the others 0: block_argmax's rule
      const r0 = xm + (<usize>(2 * a * W) << 2);
      const r1 = r0 + (<usize>W << 2);
      const g0 = dxm + (<usize>(2 * a * W) << 2);
      const g1 = g0 + (<usize>W << 2);
      for (; c + 4 <= Wo; c += 4) {
        const o = <usize>(2 * c) << 2;
        const t0 = v128.load(r0 + o);
        const t1 = v128.load(r0 + o, 16);
        const u0 = v128.load(r1 + o);
        const u1 = v128.load(r1 + o, 16);
        const x00 = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6);
        const x01 = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        const x10 = v128.shuffle<f32>(u0, u1, 0, 2, 4, 6);
        const x11 = v128.shuffle<f32>(u0, u1, 1, 3, 5, 7);
        const m = f32x4.pmax(f32x4.pmax(x00, x01), f32x4.pmax(x10, x11));
        const k00 = f32x4.eq(x00, m);
        const k01 = v128.andnot(f32x4.eq(x01, m), k00);
        const taken = v128.or(k00, k01);
        const k10 = v128.andnot(f32x4.eq(x10, m), taken);
        const k11 = v128.not(v128.or(taken, k10));
        const v = f32x4.mul(vb, v128.load(dr + (<usize>c << 2)));
        const y00 = v128.and(k00, v);
        const y01 = v128.and(k01, v);
        const y10 = v128.and(k10, v);
        const y11 = v128.and(k11, v);
        v128.store(g0 + o, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5));
        v128.store(g0 + o, v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), 16);
        v128.store(g1 + o, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5));
        v128.store(g1 + o, v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), 16);
      }
    }
    for (; c < Wo; c++) {
      store<f32>(dxm + (block_argmax(xm, W, n, a, c) - xm), bt * load<f32>(dr + (<usize>c << 2)));
    }
  }
}


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
      if (mode == DOWN_MAX) {
        down_max(xm, W, n, Ho, Wo, bt, bs, dm, ym);
        act_forward(act, ym, S);
        continue;
      }
      for (let a = 0; a < Ho; a++) {
        const dr = dm + (<usize>(a * Wo) << 2);
        const yr = ym + (<usize>(a * Wo) << 2);
        let c = 0;
        if (mode == DOWN_SUM && n == 2) {
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
          if (mode == DOWN_SUM) {
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
// its activation), so up(δ) is never a pass of its own; else dx_j = β_j up(δ_j). DOWN_MAX routes
// β_j δ_j to each block's argmax instead, found again in x (this layer's input, [batch][J][H][W]; read
// by DOWN_MAX only).
// dBeta, dBias, dx = 0: not wanted (fixed β, no b, first layer).
export function subsample_backward(
  b0: i32, b1: i32, x: usize, J: i32, H: i32, W: i32, n: i32, mode: i32,
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
      if (mode == DOWN_MAX) {
        up_max(x + (<usize>(m * H * W) << 2), H, W, n, Ho, Wo, bt, d, xm);
        if (prevY != 0) act_backward(prevAct, prevY + (<usize>(m * H * W) << 2), xm, H * W);
        continue;
      }
      if (mode == DOWN_DECIMATE) memory.fill(xm, 0, <usize>(H * W) << 2);
      for (let a = 0; a < Ho; a++) {
        const dr = d + (<usize>(a * Wo) << 2);
        let c = 0;
        if (mode == DOWN_SUM && n == 2) {
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
          if (mode == DOWN_SUM) {
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
