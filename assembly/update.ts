// Gradient reduction and the SGD update, over parameter range [i0, i1): g = Σ_c chunk_c (in chunk
// order, whatever thread runs it, so results never depend on the thread count), then θ's step.

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

// §4.1–4.2 the one SGD update (src/train/update.ts is its float64 twin) over params[i0, i1): every
// weight its own rate η·r_k (per-layer rates, LeCun's ε/(μ + h_kk), or all 1), weight decay λ and momentum m:
//   step = η r_k (g_k + λ θ_k);  v_k ← m v_k − step;  θ_k ← θ_k + v_k      (m = 0: θ_k ← θ_k − step)
export function sgd_update(i0: i32, i1: i32, params: usize, grads: usize, rates: usize, velocity: usize, rate: f32, momentum: f32, decay: f32): void {
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
