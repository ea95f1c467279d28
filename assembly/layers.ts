// Whole-layer kernels over a range of patterns [b0, b1) of a batch, fused the way §3.4 asks: bias and
// activation inside the forward convolution, f'(u) inside the backward pass, down() as a strided block
// sum, β·up(δ) written straight into the previous layer's gradient. float32, 128-bit SIMD, vectorised
// along output rows. Addresses are byte offsets into the one linear memory; sizes are in elements.
// Every function reads and writes only the patterns of its range (and, for gradients, the buffers it is
// given), so threads can run disjoint ranges at once.
//
// Conventions are those of src/kernels/kernels.ts: layout [batch][map][row][col], kernels stored for
// true convolution ((x * k)[u][v] = Σ x[u+p][v+q] k[K-1-p][K-1-q]).

// ---------------------------------------------------------------------------------------------------
// Activations (codes as src/kernels/kernels.ts: 0 identity, 1 sigmoid, 2 tanh, 3 LeCun, 4 ReLU).

const LECUN_A: f32 = 1.7159;
const LECUN_S: f32 = 2.0 / 3.0;

// §2  x = f(u) in place over n floats at p.
export function act_forward(act: i32, p: usize, n: i32): void {
  if (act == 0) return;
  let i = 0;
  if (act == 4) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const a = p + (<usize>i << 2);
      v128.store(a, f32x4.max(v128.load(a), z));
    }
    for (; i < n; i++) {
      const a = p + (<usize>i << 2);
      const v = load<f32>(a);
      store<f32>(a, v > 0 ? v : 0);
    }
    return;
  }
  for (; i < n; i++) {
    const a = p + (<usize>i << 2);
    const u = load<f32>(a);
    let y: f32;
    if (act == 1) y = sigmoid(u);
    else if (act == 2) y = tanhf(u);
    else y = LECUN_A * tanhf(LECUN_S * u);
    store<f32>(a, y);
  }
}

// §2  g ∘= f'(u), with f' written through the output x = f(u).
export function act_backward(act: i32, x: usize, g: usize, n: i32): void {
  if (act == 0) return;
  let i = 0;
  if (act == 1) { // σ' = σ(1 − σ)
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const y = v128.load(x + o);
      v128.store(g + o, f32x4.mul(v128.load(g + o), f32x4.mul(y, f32x4.sub(one, y))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const y = load<f32>(x + o);
      store<f32>(g + o, load<f32>(g + o) * y * (1 - y));
    }
  } else if (act == 2) { // tanh' = 1 − tanh²
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const y = v128.load(x + o);
      v128.store(g + o, f32x4.mul(v128.load(g + o), f32x4.sub(one, f32x4.mul(y, y))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const y = load<f32>(x + o);
      store<f32>(g + o, load<f32>(g + o) * (1 - y * y));
    }
  } else if (act == 3) { // S·(A − x²/A)
    const a = f32x4.splat(LECUN_A);
    const s = f32x4.splat(LECUN_S);
    const inv = f32x4.splat(1.0 / LECUN_A);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const y = v128.load(x + o);
      v128.store(g + o, f32x4.mul(v128.load(g + o), f32x4.mul(s, f32x4.sub(a, f32x4.mul(f32x4.mul(y, y), inv)))));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      const y = load<f32>(x + o);
      store<f32>(g + o, load<f32>(g + o) * LECUN_S * (LECUN_A - y * y * (1.0 / LECUN_A)));
    }
  } else { // ReLU
    for (; i < n; i++) {
      const o = <usize>i << 2;
      if (!(load<f32>(x + o) > 0)) store<f32>(g + o, 0);
    }
  }
}

// @ts-ignore: decorator
@inline function sigmoid(u: f32): f32 {
  return 1.0 / (1.0 + Mathf.exp(-u));
}

// @ts-ignore: decorator
@inline function tanhf(u: f32): f32 {
  // tanh(u) = 1 − 2/(e^{2u} + 1), saturating cleanly for large |u|.
  if (u > 15) return 1;
  if (u < -15) return -1;
  return 1.0 - 2.0 / (Mathf.exp(2 * u) + 1.0);
}

// ---------------------------------------------------------------------------------------------------
// §3.1 convolution layer.

// §3.1  u_j = Σ_{i∈M_j} x_i * k_ij + b_j,  x_j = f(u_j), for patterns [b0, b1).
// connStart: i32[J+1], connInput: i32[connections]; kernel c is K×K at kern + c·K²·4.
export function conv_forward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32,
  kern: usize, bias: usize, connStart: usize, connInput: usize, act: i32, y: usize,
): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const KK = K * K;
  const rowBytes = <usize>W << 2;
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < J; j++) {
      const yo = y + (<usize>((b * J + j) * Ho * Wo) << 2);
      const bj = load<f32>(bias + (<usize>j << 2));
      const cs = load<i32>(connStart + (<usize>j << 2));
      const ce = load<i32>(connStart + (<usize>(j + 1) << 2));
      for (let u = 0; u < Ho; u++) {
        const yr = yo + (<usize>(u * Wo) << 2);
        let v = 0;
        for (; v + 8 <= Wo; v += 8) {
          let acc0 = f32x4.splat(bj);
          let acc1 = acc0;
          for (let c = cs; c < ce; c++) {
            const i = load<i32>(connInput + (<usize>c << 2));
            const xb = x + (<usize>(((b * I + i) * H + u) * W + v) << 2);
            const kEnd = kern + (<usize>((c + 1) * KK - 1) << 2); // k[K-1][K-1]: flipped walk
            let t = 0;
            for (let p = 0; p < K; p++) {
              const xr = xb + <usize>p * rowBytes;
              for (let q = 0; q < K; q++) {
                const kv = v128.load32_splat(kEnd - (<usize>t << 2));
                const xa = xr + (<usize>q << 2);
                acc0 = f32x4.add(acc0, f32x4.mul(kv, v128.load(xa)));
                acc1 = f32x4.add(acc1, f32x4.mul(kv, v128.load(xa, 16)));
                t++;
              }
            }
          }
          v128.store(yr + (<usize>v << 2), acc0);
          v128.store(yr + (<usize>v << 2), acc1, 16);
        }
        for (; v + 4 <= Wo; v += 4) {
          let acc0 = f32x4.splat(bj);
          for (let c = cs; c < ce; c++) {
            const i = load<i32>(connInput + (<usize>c << 2));
            const xb = x + (<usize>(((b * I + i) * H + u) * W + v) << 2);
            const kEnd = kern + (<usize>((c + 1) * KK - 1) << 2);
            let t = 0;
            for (let p = 0; p < K; p++) {
              const xr = xb + <usize>p * rowBytes;
              for (let q = 0; q < K; q++) {
                acc0 = f32x4.add(acc0, f32x4.mul(v128.load32_splat(kEnd - (<usize>t << 2)), v128.load(xr + (<usize>q << 2))));
                t++;
              }
            }
          }
          v128.store(yr + (<usize>v << 2), acc0);
        }
        for (; v < Wo; v++) {
          let s: f32 = bj;
          for (let c = cs; c < ce; c++) {
            const i = load<i32>(connInput + (<usize>c << 2));
            const xb = x + (<usize>(((b * I + i) * H + u) * W + v) << 2);
            const kEnd = kern + (<usize>((c + 1) * KK - 1) << 2);
            let t = 0;
            // Four kernel taps per step along the kernel row when K allows (1×1 outputs: LeNet's C5).
            for (let p = 0; p < K; p++) {
              const xr = xb + <usize>p * rowBytes;
              let q = 0;
              for (; q + 4 <= K; q += 4) {
                // kernel taps t..t+3 are k[KK-1-t] … k[KK-4-t], i.e. reversed in memory
                const kv = v128.load(kEnd - (<usize>(t + 3) << 2));
                const kr = v128.shuffle<f32>(kv, kv, 3, 2, 1, 0);
                const m = f32x4.mul(kr, v128.load(xr + (<usize>q << 2)));
                s += f32x4.extract_lane(m, 0) + f32x4.extract_lane(m, 1) + f32x4.extract_lane(m, 2) + f32x4.extract_lane(m, 3);
                t += 4;
              }
              for (; q < K; q++) {
                s += load<f32>(kEnd - (<usize>t << 2)) * load<f32>(xr + (<usize>q << 2));
                t++;
              }
            }
          }
          store<f32>(yr + (<usize>v << 2), s);
        }
      }
      act_forward(act, yo, Ho * Wo);
    }
  }
}

// §3.1.1  δ_j = dy_j ∘ f'(u_j);  ∂E/∂b_j += Σ δ_j;  ∂E/∂k_ij += Σ_uv δ_j[u][v] x_i[u+p][v+q] (at the
// rotated index);  §3.2.1  dx_i = Σ_j conv2(δ_j, rot180(k_ij), 'full'), scattered without padding.
// dx = 0: no input gradient (first layer).
export function conv_backward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32,
  kern: usize, connStart: usize, connInput: usize, act: i32, y: usize, dy: usize,
  dKern: usize, dBias: usize, dx: usize,
): void {
  const Ho = H - K + 1;
  const Wo = W - K + 1;
  const KK = K * K;
  const S = Ho * Wo;
  const rowBytes = <usize>W << 2;
  const first = <usize>(b0 * J * S) << 2;
  act_backward(act, y + first, dy + first, (b1 - b0) * J * S);
  if (dx != 0) memory.fill(dx + (<usize>(b0 * I * H * W) << 2), 0, <usize>((b1 - b0) * I * H * W) << 2);
  for (let b = b0; b < b1; b++) {
    for (let j = 0; j < J; j++) {
      const d = dy + (<usize>((b * J + j) * S) << 2);
      store<f32>(dBias + (<usize>j << 2), load<f32>(dBias + (<usize>j << 2)) + sumf(d, S));
      const cs = load<i32>(connStart + (<usize>j << 2));
      const ce = load<i32>(connStart + (<usize>(j + 1) << 2));
      for (let c = cs; c < ce; c++) {
        const i = load<i32>(connInput + (<usize>c << 2));
        const xi = x + (<usize>((b * I + i) * H * W) << 2);
        const gEnd = dKern + (<usize>((c + 1) * KK - 1) << 2);
        // kernel gradient: tap (p, q) is the dot product of δ with the shifted input
        let t = 0;
        for (let p = 0; p < K; p++) {
          for (let q = 0; q < K; q++) {
            let acc = f32x4.splat(0);
            let s: f32 = 0;
            for (let u = 0; u < Ho; u++) {
              const dr = d + (<usize>(u * Wo) << 2);
              const xr = xi + <usize>(u + p) * rowBytes + (<usize>q << 2);
              let v = 0;
              for (; v + 4 <= Wo; v += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(dr + (<usize>v << 2)), v128.load(xr + (<usize>v << 2))));
              for (; v < Wo; v++) s += load<f32>(dr + (<usize>v << 2)) * load<f32>(xr + (<usize>v << 2));
            }
            s += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
            const ga = gEnd - (<usize>t << 2);
            store<f32>(ga, load<f32>(ga) + s);
            t++;
          }
        }
        if (dx == 0) continue;
        // input gradient: each δ row scatters through the kernel onto K rows of dx
        const dxi = dx + (<usize>((b * I + i) * H * W) << 2);
        const kEnd = kern + (<usize>((c + 1) * KK - 1) << 2);
        for (let u = 0; u < Ho; u++) {
          const dr = d + (<usize>(u * Wo) << 2);
          t = 0;
          for (let p = 0; p < K; p++) {
            const xr = dxi + <usize>(u + p) * rowBytes;
            for (let q = 0; q < K; q++) {
              const kv = load<f32>(kEnd - (<usize>t << 2));
              const ks = f32x4.splat(kv);
              const out = xr + (<usize>q << 2);
              let v = 0;
              for (; v + 4 <= Wo; v += 4) {
                const a = out + (<usize>v << 2);
                v128.store(a, f32x4.add(v128.load(a), f32x4.mul(ks, v128.load(dr + (<usize>v << 2)))));
              }
              for (; v < Wo; v++) {
                const a = out + (<usize>v << 2);
                store<f32>(a, load<f32>(a) + kv * load<f32>(dr + (<usize>v << 2)));
              }
              t++;
            }
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function sumf(p: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, v128.load(p + (<usize>i << 2)));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}

// @ts-ignore: decorator
@inline function dotf(a: usize, b: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(a + (<usize>i << 2)), v128.load(b + (<usize>i << 2))));
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
            v128.store(yr + (<usize>c << 2), f32x4.add(f32x4.mul(vb, dsum), vs));
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

// §3.2.1  δ_j = dy_j ∘ f'(u_j); ∂E/∂b_j += Σ δ_j; ∂E/∂β_j += Σ δ_j ∘ d_j;  §3.1.1 dx_j = β_j up(δ_j).
// dBeta, dBias, dx = 0: not wanted (fixed β, no b, first layer).
export function subsample_backward(
  b0: i32, b1: i32, J: i32, H: i32, W: i32, n: i32, mode: i32,
  beta: usize, act: i32, y: usize, dy: usize, downed: usize, dBeta: usize, dBias: usize, dx: usize,
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
      if (dBias != 0) store<f32>(dBias + (<usize>j << 2), load<f32>(dBias + (<usize>j << 2)) + sumf(d, S));
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
        a0 = f32x4.add(a0, f32x4.mul(wv, v128.load(x0 + off)));
        a1 = f32x4.add(a1, f32x4.mul(wv, v128.load(x1 + off)));
        a2 = f32x4.add(a2, f32x4.mul(wv, v128.load(x2 + off)));
        a3 = f32x4.add(a3, f32x4.mul(wv, v128.load(x3 + off)));
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
        g = f32x4.add(g, f32x4.mul(v0, v128.load(x0 + off)));
        g = f32x4.add(g, f32x4.mul(v1, v128.load(x1 + off)));
        g = f32x4.add(g, f32x4.mul(v2, v128.load(x2 + off)));
        g = f32x4.add(g, f32x4.mul(v3, v128.load(x3 + off)));
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
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

// @ts-ignore: decorator
@inline function axpyf(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(av, v128.load(x + o))));
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
  b0: i32, b1: i32, kind: i32, y: usize, labels: usize, classes: i32, off: f32, on: f32, invB: f32, dy: usize,
): f64 {
  let total: f64 = 0;
  for (let b = b0; b < b1; b++) {
    const label = <i32>load<u8>(labels + <usize>b);
    const yo = y + (<usize>(b * classes) << 2);
    const go = dy + (<usize>(b * classes) << 2);
    if (kind == 0) {
      let e: f64 = 0;
      for (let k = 0; k < classes; k++) {
        const r = load<f32>(yo + (<usize>k << 2)) - (k == label ? on : off);
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
