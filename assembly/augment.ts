// Distortions of training patterns, run by each thread on its own chunk so that they cost no time on
// a thread of their own (src/data/augment.ts is the float64 original, and says what is drawn):
//
//   elastic: a field of uniform(−1, 1) values per pixel and direction, smoothed by a Gaussian and
//            scaled by α (Simard, Steinkraus & Platt 2003);
//   affine:  the pattern's 2×2 map A and translation t, drawn by the host;
//   then every output pixel p reads the source at A(p − c) + c − t + elastic(p), bilinearly, with
//   grey level 0 outside; normalised and centred in the network's input as fillBatch places it.
//
// The host writes an arena (DistortArena in src/wasm/plan.ts) and, per pattern, the source image
// (uint8), the affine map and the 128-bit xoshiro128** state its noise is drawn from: the same
// numbers src/data/augment.ts draws, so both paths give the same distortion up to float32 rounding.
//
// The arena's header words and a pattern's draws (PATTERN_WORDS words each): ARENA_* and PATTERN_* in
// src/wasm/abi-constants.ts, the one definition the host writes them by.
// Chunk scratch, f32: Nx, Ny [rows + 2R][Sc] (noise, zero rows above and below, zero columns ≥ cols),
//   T [rows][St = Sc + 2R rounded to 4] (vertical pass, data at columns R … R+Sc−1, zero elsewhere),
//   Fx, Fy [rows][Sc] (the smoothed, scaled fields).

import {
  ARENA_BACKGROUND, ARENA_COLS, ARENA_ELASTIC, ARENA_HEIGHT, ARENA_KERNEL, ARENA_LEFT, ARENA_PADDED_COLS, ARENA_PARAMS,
  ARENA_RADIUS, ARENA_ROWS, ARENA_SCALE, ARENA_SCRATCH, ARENA_SCRATCH_STRIDE, ARENA_SOURCES, ARENA_TOP, ARENA_WIDTH,
  PATTERN_A00, PATTERN_A01, PATTERN_A10, PATTERN_A11, PATTERN_ALPHA, PATTERN_STATE, PATTERN_TX, PATTERN_TY, PATTERN_WORDS,
} from '../src/wasm/abi-constants';

// @ts-ignore: decorator
@inline function word(arena: usize, i: i32): i32 {
  return load<i32>(arena + (<usize>i << 2));
}

// §(data) one separable Gaussian pass pair over a zero-padded noise field N into F, times α:
// T = K_vertical N (vectorised along rows), F = α · K_horizontal T (vectorised along rows too, with
// unaligned loads of T at the tap's shift).
function smooth_field(N: usize, T: usize, F: usize, rows: i32, Sc: i32, St: i32, kernel: usize, R: i32, alpha: f32): void {
  const taps = 2 * R + 1;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < Sc; c += 4) {
      let acc = f32x4.splat(0);
      let p = N + ((<usize>(r * Sc + c)) << 2);
      for (let k = 0; k < taps; k++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(kernel + (<usize>k << 2))), v128.load(p)));
        p += <usize>Sc << 2;
      }
      v128.store(T + ((<usize>(r * St + R + c)) << 2), acc);
    }
  }
  const a = f32x4.splat(alpha);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < Sc; c += 4) {
      let acc = f32x4.splat(0);
      const p = T + ((<usize>(r * St + c)) << 2);
      for (let k = 0; k < taps; k++) {
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(load<f32>(kernel + (<usize>k << 2))), v128.load(p + (<usize>k << 2))));
      }
      v128.store(F + ((<usize>(r * Sc + c)) << 2), f32x4.mul(acc, a));
    }
  }
}

/**
 * Distorts patterns [b0, b1) of the staged batch into `input` ([batch][1][height][width], float32),
 * using chunk c's scratch.
 */
export function distort_patterns(b0: i32, b1: i32, arena: usize, input: usize, c: i32): void {
  const rows = word(arena, ARENA_ROWS);
  const cols = word(arena, ARENA_COLS);
  const H = word(arena, ARENA_HEIGHT);
  const W = word(arena, ARENA_WIDTH);
  const top = word(arena, ARENA_TOP);
  const left = word(arena, ARENA_LEFT);
  const R = word(arena, ARENA_RADIUS);
  const elastic = word(arena, ARENA_ELASTIC);
  const background = load<f32>(arena + (<usize>ARENA_BACKGROUND << 2));
  const scale = load<f32>(arena + (<usize>ARENA_SCALE << 2));
  const kernel = <usize>word(arena, ARENA_KERNEL);
  const params = <usize>word(arena, ARENA_PARAMS);
  const sources = <usize>word(arena, ARENA_SOURCES);
  const scratch = <usize>word(arena, ARENA_SCRATCH) + <usize>c * <usize>word(arena, ARENA_SCRATCH_STRIDE);
  const Sc = word(arena, ARENA_PADDED_COLS);
  const St = (Sc + 2 * R + 3) & ~3;
  const Nx = scratch;
  const Ny = Nx + ((<usize>((rows + 2 * R) * Sc)) << 2);
  const T = Ny + ((<usize>((rows + 2 * R) * Sc)) << 2);
  const Fx = T + ((<usize>(rows * St)) << 2);
  const Fy = Fx + ((<usize>(rows * Sc)) << 2);
  const cy = <f64>(rows - 1) / 2;
  const cx = <f64>(cols - 1) / 2;
  const size = H * W;

  for (let b = b0; b < b1; b++) {
    const p = params + (<usize>(b * PATTERN_WORDS) << 2);
    const src = sources + <usize>(b * rows * cols);
    if (elastic) {
      // xoshiro128** from the pattern's state, two draws per pixel (x, then y), as the host's Rng
      let s0 = load<u32>(p, PATTERN_STATE << 2);
      let s1 = load<u32>(p, (PATTERN_STATE + 1) << 2);
      let s2 = load<u32>(p, (PATTERN_STATE + 2) << 2);
      let s3 = load<u32>(p, (PATTERN_STATE + 3) << 2);
      for (let r = 0; r < rows; r++) {
        const row = (<usize>((r + R) * Sc)) << 2;
        for (let k = 0; k < cols; k++) {
          let v = rotl<u32>(s1 * 5, 7) * 9;
          let t = s1 << 9;
          s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
          store<f32>(Nx + row + (<usize>k << 2), <f32>(<f64>v * 4.656612873077393e-10 - 1.0));
          v = rotl<u32>(s1 * 5, 7) * 9;
          t = s1 << 9;
          s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl<u32>(s3, 11);
          store<f32>(Ny + row + (<usize>k << 2), <f32>(<f64>v * 4.656612873077393e-10 - 1.0));
        }
      }
      const alpha = load<f32>(p, PATTERN_ALPHA << 2);
      smooth_field(Nx, T, Fx, rows, Sc, St, kernel, R, alpha);
      smooth_field(Ny, T, Fy, rows, Sc, St, kernel, R, alpha);
    }
    const a00 = <f64>load<f32>(p, PATTERN_A00 << 2);
    const a01 = <f64>load<f32>(p, PATTERN_A01 << 2);
    const a10 = <f64>load<f32>(p, PATTERN_A10 << 2);
    const a11 = <f64>load<f32>(p, PATTERN_A11 << 2);
    const tx = <f64>load<f32>(p, PATTERN_TX << 2);
    const ty = <f64>load<f32>(p, PATTERN_TY << 2);
    const out = input + ((<usize>(b * size)) << 2);
    if (rows != H || cols != W) {
      const bg = f32x4.splat(background);
      let i = 0;
      for (; i + 4 <= size; i += 4) v128.store(out + (<usize>i << 2), bg);
      for (; i < size; i++) store<f32>(out + (<usize>i << 2), background);
    }
    for (let r = 0; r < rows; r++) {
      const oy = <f64>r - cy;
      const orow = out + ((<usize>((top + r) * W + left)) << 2);
      for (let k = 0; k < cols; k++) {
        const ox = <f64>k - cx;
        let sx = a00 * ox + a01 * oy + cx - tx;
        let sy = a10 * ox + a11 * oy + cy - ty;
        if (elastic) {
          const f = (<usize>(r * Sc + k)) << 2;
          sx += <f64>load<f32>(Fx + f);
          sy += <f64>load<f32>(Fy + f);
        }
        const fx0 = Math.floor(sx);
        const fy0 = Math.floor(sy);
        const x0 = <i32>fx0;
        const y0 = <i32>fy0;
        const fx = sx - fx0;
        const fy = sy - fy0;
        // the four neighbours, grey level 0 outside the image
        const inX0 = x0 >= 0 && x0 < cols;
        const inX1 = x0 + 1 >= 0 && x0 + 1 < cols;
        const inY0 = y0 >= 0 && y0 < rows;
        const inY1 = y0 + 1 >= 0 && y0 + 1 < rows;
        const row0 = src + <usize>(y0 * cols);
        const row1 = row0 + <usize>cols;
        const v00: f64 = inY0 && inX0 ? <f64>load<u8>(row0 + <usize>x0) : 0;
        const v01: f64 = inY0 && inX1 ? <f64>load<u8>(row0 + <usize>(x0 + 1)) : 0;
        const v10: f64 = inY1 && inX0 ? <f64>load<u8>(row1 + <usize>x0) : 0;
        const v11: f64 = inY1 && inX1 ? <f64>load<u8>(row1 + <usize>(x0 + 1)) : 0;
        const grey = (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
        store<f32>(orow + (<usize>k << 2), background + scale * <f32>grey);
      }
    }
  }
}
