// §2 activations f and f' over arrays: the layer kernels apply them once per map or chunk, never per
// pixel. The vector math (exp, sigmoid, tanh) is in assembly/vmath.ts. Codes: ACT_* in
// src/wasm/abi-constants.ts (the same as Act in src/kernels/kernels.ts).

import { ACT_IDENTITY, ACT_LECUN, ACT_RELU, ACT_SIGMOID, ACT_TANH } from '../src/wasm/abi-constants';
import { at, copyf, ZERO } from './gemm';
import { LECUN_A, LECUN_S, vlecun, vsigmoid, vtanh } from './vmath';

// §2 activations, vectorised through assembly/vmath.ts (≤ 2e-7 relative over the whole f32 range).
// The last count % 4 elements run the same vector code on one lane (so u = x, in place, is safe).

/** §2 x[count] = f(u[count]), f by code: identity, sigmoid, tanh, LeCun 1.7159·tanh(2u/3), relu. u may be x. */
// @ts-ignore: decorator
@inline export function activate(act: i32, u: usize, count: i32, x: usize): void {
  const n4 = count & ~3;
  switch (act) {
    case ACT_IDENTITY: {
      if (u != x) {
        if (x > u && x < at(u, count)) {
          for (let i = count - 1; i >= 0; i--) store<f32>(at(x, i), load<f32>(at(u, i)));
        } else copyf(u, x, count);
      }
      return;
    }
    case ACT_SIGMOID: {
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
    case ACT_TANH: {
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
    case ACT_LECUN: {
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
    case ACT_RELU: {
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
// @ts-ignore: decorator
@inline export function activation_backward(act: i32, x: usize, count: i32, g: usize): void {
  const n4 = count & ~3;
  switch (act) {
    case ACT_SIGMOID: {
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
    case ACT_TANH: {
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
    case ACT_LECUN: {
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
    case ACT_RELU: {
      for (let i = 0; i < n4; i += 4) {
        const ga = at(g, i);
        v128.store(ga, v128.and(v128.load(ga), f32x4.gt(v128.load(at(x, i)), ZERO)));
      }
      for (let i = n4; i < count; i++) if (!(load<f32>(at(x, i)) > 0)) store<f32>(at(g, i), 0);
      return;
    }
  }
}

// §2  x = f(u) in place, and g ∘= f'(u) written through x = f(u): the vectorised activations
// above, called once per map or chunk, never per pixel.
export function act_forward(act: i32, p: usize, n: i32): void {
  activate(act, p, n, p);
}

export function act_backward(act: i32, x: usize, g: usize, n: i32): void {
  activation_backward(act, x, n, g);
}
