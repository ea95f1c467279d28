// Vector (f32x4) math for the kernels: exp, sigmoid, tanh, LeCun's tanh, horizontal sums.
//
// Not re-exported by assembly/index.ts, so none of this becomes a wasm export; import it from here
// (e.g. in assembly/activation.ts: `import { vsigmoid, vtanh } from './vmath'`). Everything is
// @inline: no calls in the loops that use it.
//
// Accuracy, measured against float64 over the whole float32 range: ≤ 2e-7 relative for sigmoid, tanh
// and LeCun's tanh, ≤ 1e-7 for exp (about 2 ulp). NaN stays NaN; large inputs saturate exactly
// (exp → +inf or 0 through the subnormals; sigmoid → 1 or e^u; tanh → ±1).
//
// Exp is Cephes's expf: n = round(x·log2 e) (by adding 1.5·2^23), a Cody–Waite reduction
// r = x − n·ln 2 in two parts, a degree-6 polynomial (evaluated by Estrin's scheme: the whole
// function is one long dependency chain, and a shorter chain lets the CPU overlap more vectors), and
// 2^n applied in two halves so that results reach the subnormals and overflow to +inf.

export const LECUN_A: f32 = 1.7159;
export const LECUN_S: f32 = <f32>(2.0 / 3.0);

const MAGIC: f32 = 12582912.0; // 1.5·2^23
const MAGIC_BITS: i32 = 0x4b400000;

/** Σ of the four lanes. */
@inline export function hsum(v: v128): f32 {
  const s = f32x4.add(v, f32x4.shuffle(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.add(s, f32x4.shuffle(s, s, 1, 0, 3, 2)), 0);
}

/** e^x for x already in [-104, 89] (or NaN). */
@inline function expCore(x: v128): v128 {
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(MAGIC));
  const fx = f32x4.sub(t, f32x4.splat(MAGIC));
  const n = i32x4.sub(t, i32x4.splat(MAGIC_BITS)); // round(x·log2 e), −150 … 128
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(fx, f32x4.splat(0.693359375))), f32x4.mul(fx, f32x4.splat(-2.12194440e-4)));
  // e^r ≈ 1 + r + r²·(c5 + c4 r + c3 r² + c2 r³ + c1 r⁴ + c0 r⁵), Estrin: (c5 + c4 r) + r²(c3 + c2 r) + r⁴(c1 + c0 r)
  const r2 = f32x4.mul(r, r);
  const r4 = f32x4.mul(r2, r2);
  const p01 = f32x4.add(f32x4.splat(5.0000001201e-1), f32x4.mul(f32x4.splat(1.6666665459e-1), r));
  const p23 = f32x4.add(f32x4.splat(4.1665795894e-2), f32x4.mul(f32x4.splat(8.3334519073e-3), r));
  const p45 = f32x4.add(f32x4.splat(1.3981999507e-3), f32x4.mul(f32x4.splat(1.9875691500e-4), r));
  const q = f32x4.add(f32x4.add(p01, f32x4.mul(r2, p23)), f32x4.mul(r4, p45));
  const p = f32x4.add(f32x4.add(f32x4.splat(1.0), r), f32x4.mul(r2, q));
  // 2^n = 2^n1 · 2^n2, each half a normal number
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

/** e^x, every lane (any f32; NaN stays NaN). */
@inline export function vexp(x: v128): v128 {
  // pmin/pmax with x first keep a NaN x
  return expCore(f32x4.pmin(f32x4.pmax(x, f32x4.splat(-104.0)), f32x4.splat(89.0)));
}

/** e^x for x ≤ 0 (or NaN): one clamp fewer. */
@inline export function vexpNeg(x: v128): v128 {
  return expCore(f32x4.pmax(x, f32x4.splat(-104.0)));
}

/** −|x|. */
@inline function negAbs(x: v128): v128 {
  return v128.or(x, i32x4.splat(<i32>0x80000000));
}

/** 1 / (1 + e^{−u}), computed from t = e^{−|u|} so that neither tail cancels: u ≥ 0: 1/(1+t), else t/(1+t). */
@inline export function vsigmoid(u: v128): v128 {
  const t = vexpNeg(negAbs(u));
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), t));
  return v128.bitselect(s, f32x4.mul(t, s), f32x4.ge(u, i32x4.splat(0)));
}

/** tanh x: Cephes tanhf's odd polynomial for |x| < 0.625, else ±(1 − t)/(1 + t) with t = e^{−2|x|}. */
@inline export function vtanh(x: v128): v128 {
  const z = f32x4.mul(x, x);
  let p = f32x4.add(f32x4.mul(f32x4.splat(-5.70498872745e-3), z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const t = vexpNeg(negAbs(f32x4.add(x, x)));
  const big = f32x4.div(f32x4.sub(f32x4.splat(1.0), t), f32x4.add(f32x4.splat(1.0), t));
  const signed = v128.or(big, v128.and(x, i32x4.splat(<i32>0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(f32x4.abs(x), f32x4.splat(0.625)));
}

/** LeCun's 1.7159 · tanh(2x/3). */
@inline export function vlecun(x: v128): v128 {
  return f32x4.mul(f32x4.splat(LECUN_A), vtanh(f32x4.mul(f32x4.splat(LECUN_S), x)));
}
