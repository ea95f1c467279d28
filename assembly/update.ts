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
//   Nesterov (nesterov 1, m > 0): v_k ← m v_k − step;  θ_k ← θ_k + m v_k − step
export function sgd_update(i0: i32, i1: i32, params: usize, grads: usize, rates: usize, velocity: usize, rate: f32, momentum: f32, decay: f32, nesterov: i32): void {
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
  if (nesterov) {
    for (; i + 4 <= i1; i += 4) {
      const o = <usize>i << 2;
      const p = v128.load(params + o);
      const step = f32x4.mul(f32x4.mul(eta, v128.load(rates + o)), f32x4.add(v128.load(grads + o), f32x4.mul(lambda, p)));
      const v = f32x4.sub(f32x4.mul(m, v128.load(velocity + o)), step);
      v128.store(velocity + o, v);
      v128.store(params + o, f32x4.add(p, f32x4.sub(f32x4.mul(m, v), step)));
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const p = load<f32>(params + o);
      const step = rate * load<f32>(rates + o) * (load<f32>(grads + o) + decay * p);
      const v = momentum * load<f32>(velocity + o) - step;
      store<f32>(velocity + o, v);
      store<f32>(params + o, p + (momentum * v - step));
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

// Adam (decoupled 0) and AdamW (1) over params[i0, i1) (src/train/update.ts's adamUpdate is its float64
// twin); c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t), the bias corrections, computed by the host:
//   g' = g + λθ (Adam) or g (AdamW);  m ← β1 m + (1 − β1) g';  v ← β2 v + (1 − β2) g'²
//   θ ← θ − η r (c1 m / (√(c2 v) + ε) [+ λθ, AdamW])
export function adam_update(
  i0: i32, i1: i32, params: usize, grads: usize, rates: usize, moment1: usize, moment2: usize,
  rate: f32, decay: f32, beta1: f32, beta2: f32, epsilon: f32, c1: f32, c2: f32, decoupled: i32,
): void {
  const coupled: f32 = decoupled ? 0 : decay;
  const apart: f32 = decoupled ? decay : 0;
  const one1: f32 = 1 - beta1;
  const one2: f32 = 1 - beta2;
  const eta = f32x4.splat(rate);
  const lc = f32x4.splat(coupled);
  const ld = f32x4.splat(apart);
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const o1 = f32x4.splat(one1);
  const o2 = f32x4.splat(one2);
  const eps = f32x4.splat(epsilon);
  const k1 = f32x4.splat(c1);
  const k2 = f32x4.splat(c2);
  let i = i0;
  for (; i + 4 <= i1; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(params + o);
    const g = f32x4.add(v128.load(grads + o), f32x4.mul(lc, p));
    const m = f32x4.add(f32x4.mul(b1, v128.load(moment1 + o)), f32x4.mul(o1, g));
    const v = f32x4.add(f32x4.mul(b2, v128.load(moment2 + o)), f32x4.mul(f32x4.mul(o2, g), g));
    v128.store(moment1 + o, m);
    v128.store(moment2 + o, v);
    const dir = f32x4.add(f32x4.div(f32x4.mul(k1, m), f32x4.add(f32x4.sqrt(f32x4.mul(k2, v)), eps)), f32x4.mul(ld, p));
    v128.store(params + o, f32x4.sub(p, f32x4.mul(f32x4.mul(eta, v128.load(rates + o)), dir)));
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const p = load<f32>(params + o);
    const g = load<f32>(grads + o) + coupled * p;
    const m = beta1 * load<f32>(moment1 + o) + one1 * g;
    const v = beta2 * load<f32>(moment2 + o) + one2 * g * g;
    store<f32>(moment1 + o, m);
    store<f32>(moment2 + o, v);
    store<f32>(params + o, p - rate * load<f32>(rates + o) * ((c1 * m) / (Mathf.sqrt(c2 * v) + epsilon) + apart * p));
  }
}
