// §2 fully connected layer kernels over a range of patterns [b0, b1) of a batch: weights [O][N], row
// o = weights into unit o; inputs [batch][N].

import { act_backward, act_forward } from './activation';
import { axpyf, dotf, madd } from './gemm';
import { hsum } from './vmath';


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
