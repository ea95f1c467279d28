// Inverted dropout kernels (src/layers/dropout.ts is their float64 twin; docs/SPEC.md, "Beyond the notes:
// dropout") over patterns [b0, b1) of a batch, n values a pattern. The mask is not stored: it is a hash
// of (seed, layer, update, pattern, unit), the same u32 arithmetic as dropoutKey and dropoutDraw there,
// so backward recomputes what forward drew, on any thread.

import { at } from './gemm';

const GOLDEN: u32 = 0x9e3779b9;
const MIX1: u32 = 0x85ebca6b;
const MIX2: u32 = 0xc2b2ae35;

/** murmur3's 32-bit finaliser (dropout.ts's mix32). */
// @ts-ignore: decorator
@inline function mix32(h: u32): u32 {
  h ^= h >>> 16;
  h *= MIX1;
  h ^= h >>> 13;
  h *= MIX2;
  h ^= h >>> 16;
  return h;
}

/** mix32 on four u32 lanes. */
// @ts-ignore: decorator
@inline function vmix32(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(MIX1));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(MIX2));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

// key = mix32(mix32(mix32(mix32(seed ^ φ) ^ layer) ^ step) ^ pattern),  draw_i = mix32(key ^ (i + 1)·φ) >> 8,
// φ = 0x9e3779b9; unit i is kept iff draw_i ≥ threshold:  dst_i = keep·src_i if kept, else 0.
// @ts-ignore: decorator
@inline function keepScaled(key: u32, n: i32, threshold: i32, keep: f32, src: usize, dst: usize): void {
  const kv = i32x4.splat(key);
  const gv = i32x4.splat(GOLDEN);
  const tv = i32x4.splat(threshold);
  const sv = f32x4.splat(keep);
  let units = i32x4(1, 2, 3, 4);
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const draw = i32x4.shr_u(vmix32(v128.xor(kv, i32x4.mul(units, gv))), 8);
    // draws are < 2^24, so a signed comparison is exact
    const kept = i32x4.ge_s(draw, tv);
    v128.store(at(dst, i), v128.and(f32x4.mul(sv, v128.load(at(src, i))), kept));
    units = i32x4.add(units, four);
  }
  for (; i < n; i++) {
    const draw = <i32>(mix32(key ^ ((<u32>i + 1) * GOLDEN)) >>> 8);
    store<f32>(at(dst, i), draw >= threshold ? keep * load<f32>(at(src, i)) : 0);
  }
}

/** The key of pattern b's mask, from the pattern-independent part mix32(mix32(mix32(seed ^ φ) ^ layer) ^ step). */
// @ts-ignore: decorator
@inline function baseKey(seed: u32, layer: i32, step: u32): u32 {
  return mix32(mix32(mix32(seed ^ GOLDEN) ^ <u32>layer) ^ step);
}

// y = m x/(1 − p): keep = 1/(1 − p) (f32), threshold = round(p·2^24).
export function dropout_forward(b0: i32, b1: i32, x: usize, n: i32, seed: u32, layer: i32, step: u32, threshold: i32, keep: f32, y: usize): void {
  const base = baseKey(seed, layer, step);
  for (let b = b0; b < b1; b++) keepScaled(mix32(base ^ <u32>b), n, threshold, keep, at(x, b * n), at(y, b * n));
}

// no activation: ∂E/∂x = m/(1 − p) · ∂E/∂y, the mask recomputed.
export function dropout_backward(b0: i32, b1: i32, n: i32, seed: u32, layer: i32, step: u32, threshold: i32, keep: f32, dy: usize, dx: usize): void {
  if (dx == 0) return;
  const base = baseKey(seed, layer, step);
  for (let b = b0; b < b1; b++) keepScaled(mix32(base ^ <u32>b), n, threshold, keep, at(dy, b * n), at(dx, b * n));
}
