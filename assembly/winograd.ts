// §3.1 convolution, §3.1.1 kernel gradient and §3.2.1 input gradient by Winograd's minimal filtering
// F(m×m, K×K) (beyond the notes: docs/SPEC.md, "Beyond the notes: fast convolution"), for stride-1
// convolutions the plan gives it (src/wasm/plan.ts's convAlgorithm). The same arguments and results as
// conv.ts's conv_forward/conv_backward; the transforms and their derivation: src/kernels/winograd.ts.
//
// An α×α tile (α = m + K − 1) of the zero-bordered input x̃ gives m×m outputs. Per tile t and point ξ of
// the tile, over the maps (U = G g Gᵀ of each kernel, V = Bᵀ d B of each input tile):
//   forward         M[ξ][j][t]  = Σ_i U[ξ][j][i] V[ξ][i][t];   y = Aᵀ M A (+ b_j, then f)
//   kernel grad     ∂U[ξ][j][i] += Σ_t dM[ξ][j][t] V[ξ][i][t], dM = A δ Aᵀ;   ∂g = Gᵀ ∂U G
//   input grad      ∂V[ξ][i][t] = Σ_j U[ξ][j][i] dM[ξ][j][t];  ∂x̃ tile += B ∂V Bᵀ
// each a matrix product per ξ (gemm.ts). Tiles are taken a strip of at most `tiles` at a time (the plan's
// WINO_TILES), over a group of `group` patterns zero-bordered at once: memory per thread is bounded by the
// strip, not by the image (im2col's is K² times the image). The transforms run on four tiles at once, one
// per SIMD lane, skipping the transform matrices' zeros.
//
// The kernels' transforms U = G g Gᵀ are made once per update (winograd_kernels, run by the host), and the
// kernel gradient is summed over the chunks in the tiles' domain and transformed once per batch
// (winograd_kernel_gradient): per chunk, either would cost as much as a small layer's products.
//
// The plan's descriptor (words WINO_* of src/wasm/abi-constants.ts, laid out by src/wasm/plan.ts) says
// m, α, the strip and the group, where G and U are, and where in the caller's scratch each buffer is;
// after its words, the two host-run transforms' work area (two tiles of α² v128).

import {
  WINO_ALPHA, WINO_DXP, WINO_GROUP, WINO_M, WINO_MATS, WINO_PLANE_PAD, WINO_PRODUCT, WINO_TILES, WINO_U, WINO_V, WINO_WORDS, WINO_WORK, WINO_XP,
} from '../src/wasm/abi-constants';
import { act_forward } from './activation';
import { cropMaps, padMaps, sensitivities } from './conv';
import { mm_nn, mm_nt } from './gemm';
import { deltaTile, inputGradientTile, inputTile, kernelGradientTile, kernelTile, outputTile } from './generated/winograd-transforms';

// @ts-ignore: decorator
@inline function word(desc: usize, w: i32): i32 {
  return load<i32>(desc + (<usize>w << 2));
}

// The geometry every pass shares, from the layer's shape and the descriptor: module globals, which
// are each instance's own (every thread has its instance; linear memory is shared, globals are not).
let gM: i32 = 0;
let gAlpha: i32 = 0;
let gHo: i32 = 0;
let gWo: i32 = 0;
let gTilesW: i32 = 0;
let gPerPattern: i32 = 0;
let gHp: i32 = 0;
let gWp: i32 = 0;

function tiling(desc: usize, H: i32, W: i32, K: i32, pad: i32): void {
  const m = word(desc, WINO_M);
  gM = m;
  gAlpha = word(desc, WINO_ALPHA);
  gHo = H + 2 * pad - K + 1;
  gWo = W + 2 * pad - K + 1;
  const tilesH = (gHo + m - 1) / m;
  gTilesW = (gWo + m - 1) / m;
  gPerPattern = tilesH * gTilesW;
  // x̃: the input with P zeros before, and zeros after up to the last tile's reach
  gHp = tilesH * m + K - 1;
  gWp = gTilesW * m + K - 1;
}

// The strip's tile table (four i32 arrays of `ld` in the work area, after the three tiles of v128):
// per tile, the byte offset of its top-left corner in the group's x̃ (map 0) and of its first output in
// the group's output (map 0), and how many of its m rows and columns lie inside the Ho×Wo map (0 for the
// lanes past n, which the input transform fills with the last tile's values). Made once a strip, so that
// no transform divides.
function tileTable(t0: i32, n: i32, nPad: i32, I: i32, J: i32, table: usize, ld: i32): void {
  const ldBytes = <usize>ld << 2;
  for (let q = 0; q < nPad; q++) {
    const t = t0 + min(q, n - 1);
    const b = t / gPerPattern;
    const rest = t - b * gPerPattern;
    const tr = rest / gTilesW;
    const tc = rest - tr * gTilesW;
    const at = table + (<usize>q << 2);
    store<i32>(at, ((b * I * gHp + tr * gM) * gWp + tc * gM) << 2);
    store<i32>(at + ldBytes, ((b * J * gHo + tr * gM) * gWo + tc * gM) << 2);
    store<i32>(at + 2 * ldBytes, q < n ? min(gM, gHo - tr * gM) : 0);
    store<i32>(at + 3 * ldBytes, q < n ? min(gM, gWo - tc * gM) : 0);
  }
}

// A 4×4 transpose: lane l of column c is element c of row l (eight shuffles).
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(out, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 16);
  v128.store(out, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 32);
  v128.store(out, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 48);
}

// Whether the four tiles of quad q sit side by side in one row of tiles (their x̃ corners 4·m floats
// apart), and with m = 4: then a row of the four is one run of memory, moved by whole vectors and
// transposes instead of a float a lane.
// @ts-ignore: decorator
@inline function isRun4(table: usize): bool {
  const o0 = load<i32>(table);
  return gM == 4 && load<i32>(table, 4) == o0 + 16 && load<i32>(table, 8) == o0 + 32 && load<i32>(table, 12) == o0 + 48;
}

// Whether every tile of quad q has all its m×m outputs inside the map (tableBytes: one table array's bytes).
// @ts-ignore: decorator
@inline function isFull(table: usize, tableBytes: usize): bool {
  const rows = table + 2 * tableBytes;
  const cols = table + 3 * tableBytes;
  return min(min(load<i32>(rows), load<i32>(rows, 4)), min(load<i32>(rows, 8), load<i32>(rows, 12))) == gM
    && min(min(load<i32>(cols), load<i32>(cols, 4)), min(load<i32>(cols, 8), load<i32>(cols, 12))) == gM;
}

// V[ξ][i][t] = (Bᵀ d B)[ξ] for the strip's nPad tiles, four at a time (the lanes past n repeat the last
// tile; nobody reads their products). V: [α²][I][ld].
function inputTransform(xp: usize, I: i32, nPad: i32, V: usize, ld: i32, work: usize, table: usize): void {
  const alpha = gAlpha;
  const AA = alpha * alpha;
  const X = work;
  const tmp = work + (<usize>AA << 4);
  const mapBytes = <usize>(gHp * gWp) << 2;
  const rowBytes = <usize>gWp << 2;
  const planeBytes = <usize>(I * ld + WINO_PLANE_PAD) << 2;
  for (let q = 0; q < nPad; q += 4) {
    const o = table + (<usize>q << 2);
    const o0 = xp + <usize>load<i32>(o);
    const o1 = xp + <usize>load<i32>(o, 4);
    const o2 = xp + <usize>load<i32>(o, 8);
    const o3 = xp + <usize>load<i32>(o, 12);
    const run = isRun4(o);
    for (let i = 0; i < I; i++) {
      const ch = <usize>i * mapBytes;
      for (let a = 0; a < alpha; a++) {
        const row = ch + <usize>a * rowBytes;
        if (run) {
          // lanes l = 0…3 read the row's floats 4l + b: columns b < 4 and 4 ≤ b < 8 are two transposes
          const r = o0 + row;
          const r1 = v128.load(r, 16);
          const r2 = v128.load(r, 32);
          const r3 = v128.load(r, 48);
          const at = X + (<usize>(a * alpha) << 4);
          transpose4(v128.load(r), r1, r2, r3, at);
          if (alpha == 8) transpose4(r1, r2, r3, v128.load(r, 64), at + 64);
          else {
            // α < 8: columns 4 ≤ b < α, through tmp (free until the transform)
            transpose4(r1, r2, r3, v128.load(r, 64), tmp);
            for (let b = 4; b < alpha; b++) v128.store(at + (<usize>b << 4), v128.load(tmp + (<usize>(b - 4) << 4)));
          }
          continue;
        }
        for (let b = 0; b < alpha; b++) {
          const e = row + (<usize>b << 2);
          let v = v128.load32_zero(o0 + e);
          v = f32x4.replace_lane(v, 1, load<f32>(o1 + e));
          v = f32x4.replace_lane(v, 2, load<f32>(o2 + e));
          v = f32x4.replace_lane(v, 3, load<f32>(o3 + e));
          v128.store(X + (<usize>(a * alpha + b) << 4), v);
        }
      }
      inputTile(alpha, X, <usize>alpha << 4, 16, tmp, V + (<usize>(i * ld + q) << 2), <usize>alpha * planeBytes, planeBytes);
    }
  }
}

// y[j] of the strip's tiles = (Aᵀ M A) + b_j, the parts inside the map. M: [α²][J][ld]; y: the group's output.
function outputTransform(Mb: usize, J: i32, nPad: i32, bias: usize, y: usize, ld: i32, work: usize, table: usize): void {
  const alpha = gAlpha;
  const m = gM;
  const AA = alpha * alpha;
  const tmp = work + (<usize>AA << 4);
  const out = tmp + (<usize>AA << 4);
  const planeBytes = <usize>(J * ld + WINO_PLANE_PAD) << 2;
  const mapBytes = <usize>(gHo * gWo) << 2;
  const rowBytes = <usize>gWo << 2;
  const tableBytes = <usize>ld << 2;
  for (let q = 0; q < nPad; q += 4) {
    const quad = table + (<usize>q << 2);
    const run = isRun4(quad) && isFull(quad, tableBytes);
    for (let j = 0; j < J; j++) {
      outputTile(m, alpha, Mb + (<usize>(j * ld + q) << 2), <usize>alpha * planeBytes, planeBytes, tmp, out, <usize>m << 4, 16);
      const bj = load<f32>(bias + (<usize>j << 2));
      const yj = y + <usize>j * mapBytes;
      if (run) {
        // four 4×4 tiles side by side: each output row is 16 floats, the transpose of the lanes
        const b4 = f32x4.splat(bj);
        const base = yj + <usize>load<i32>(quad + tableBytes);
        for (let u = 0; u < 4; u++) {
          const o = out + (<usize>(u * 4) << 4);
          transpose4(f32x4.add(v128.load(o), b4), f32x4.add(v128.load(o, 16), b4), f32x4.add(v128.load(o, 32), b4), f32x4.add(v128.load(o, 48), b4), base + <usize>u * rowBytes);
        }
        continue;
      }
      for (let lane = 0; lane < 4; lane++) {
        const entry = table + (<usize>(q + lane) << 2);
        const rows = load<i32>(entry + 2 * tableBytes);
        const cols = load<i32>(entry + 3 * tableBytes);
        const base = yj + <usize>load<i32>(entry + tableBytes);
        const from = out + (<usize>lane << 2);
        for (let u = 0; u < rows; u++) {
          for (let v = 0; v < cols; v++) {
            store<f32>(base + <usize>u * rowBytes + (<usize>v << 2), bj + load<f32>(from + (<usize>(u * m + v) << 4)));
          }
        }
      }
    }
  }
}

// dM[ξ][j][t] = (A δ Aᵀ)[ξ] for the strip's tiles (δ past the map, and the lanes past n: zeros). dM: [α²][J][ld].
function deltaTransform(dy: usize, J: i32, nPad: i32, dM: usize, ld: i32, work: usize, table: usize): void {
  const alpha = gAlpha;
  const m = gM;
  const AA = alpha * alpha;
  const X = work;
  const tmp = work + (<usize>AA << 4);
  const planeBytes = <usize>(J * ld + WINO_PLANE_PAD) << 2;
  const mapBytes = <usize>(gHo * gWo) << 2;
  const rowBytes = <usize>gWo << 2;
  const tableBytes = <usize>ld << 2;
  for (let q = 0; q < nPad; q += 4) {
    const entry = table + (<usize>q << 2);
    // a tile cut by the map's edge (or a lane past n) leaves zeros in X where it has no δ
    let full = true;
    for (let lane = 0; lane < 4; lane++) {
      const e = entry + (<usize>lane << 2);
      full = full && load<i32>(e + 2 * tableBytes) == m && load<i32>(e + 3 * tableBytes) == m;
    }
    const run = full && isRun4(entry);
    for (let j = 0; j < J; j++) {
      const dj = dy + <usize>j * mapBytes;
      if (run) {
        // four 4×4 tiles side by side: each row of δ is 16 floats, transposed into the lanes
        const base = dj + <usize>load<i32>(entry + tableBytes);
        for (let u = 0; u < 4; u++) {
          const r = base + <usize>u * rowBytes;
          transpose4(v128.load(r), v128.load(r, 16), v128.load(r, 32), v128.load(r, 48), X + (<usize>(u * 4) << 4));
        }
        deltaTile(m, alpha, X, <usize>m << 4, 16, tmp, dM + (<usize>(j * ld + q) << 2), <usize>alpha * planeBytes, planeBytes);
        continue;
      }
      if (!full) memory.fill(X, 0, <usize>(m * m) << 4);
      for (let lane = 0; lane < 4; lane++) {
        const e = entry + (<usize>lane << 2);
        const rows = load<i32>(e + 2 * tableBytes);
        const cols = load<i32>(e + 3 * tableBytes);
        const base = dj + <usize>load<i32>(e + tableBytes);
        const to = X + (<usize>lane << 2);
        for (let u = 0; u < rows; u++) {
          for (let v = 0; v < cols; v++) {
            store<f32>(to + (<usize>(u * m + v) << 4), load<f32>(base + <usize>u * rowBytes + (<usize>v << 2)));
          }
        }
      }
      deltaTile(m, alpha, X, <usize>m << 4, 16, tmp, dM + (<usize>(j * ld + q) << 2), <usize>alpha * planeBytes, planeBytes);
    }
  }
}

// ∂x̃ tile += B ∂V Bᵀ for the strip's tiles. ∂V: [α²][I][ld].
function inputGradientTransform(dV: usize, I: i32, nPad: i32, dxp: usize, ld: i32, work: usize, table: usize): void {
  const alpha = gAlpha;
  const AA = alpha * alpha;
  const tmp = work + (<usize>AA << 4);
  const out = tmp + (<usize>AA << 4);
  const planeBytes = <usize>(I * ld + WINO_PLANE_PAD) << 2;
  const mapBytes = <usize>(gHp * gWp) << 2;
  const rowBytes = <usize>gWp << 2;
  const tableBytes = <usize>ld << 2;
  const zero = f32x4.splat(0);
  for (let q = 0; q < nPad; q += 4) {
    const quad = table + (<usize>q << 2);
    const run = isRun4(quad) && load<i32>(quad + 2 * tableBytes, 12) != 0;
    for (let i = 0; i < I; i++) {
      inputGradientTile(alpha, dV + (<usize>(i * ld + q) << 2), <usize>alpha * planeBytes, planeBytes, tmp, out, <usize>alpha << 4, 16);
      const di = dxp + <usize>i * mapBytes;
      if (run) {
        // four tiles side by side, overlapping by α − 4 columns: per row, the lanes transposed into
        // each tile's columns 0…3 (L0) and 4…7 (L1); the row's span 4k…4k+3 takes L0 of tile k and L1 of
        // tile k − 1. With α < 8 the last tile's columns past α − 1 are another tile's (or past the
        // buffer): they go one float at a time.
        const base = di + <usize>load<i32>(quad);
        for (let a = 0; a < alpha; a++) {
          const o = out + (<usize>(a * alpha) << 4);
          const L0 = tmp;
          const L1 = tmp + 64;
          transpose4(v128.load(o), v128.load(o, 16), v128.load(o, 32), v128.load(o, 48), L0);
          if (alpha == 8) transpose4(v128.load(o, 64), v128.load(o, 80), v128.load(o, 96), v128.load(o, 112), L1);
          else transpose4(v128.load(o, 64), alpha > 5 ? v128.load(o, 80) : zero, alpha > 6 ? v128.load(o, 96) : zero, zero, L1);
          const row = base + <usize>a * rowBytes;
          v128.store(row, f32x4.add(v128.load(row), v128.load(L0)));
          for (let k = 1; k < 4; k++) {
            const at = row + (<usize>k << 4);
            v128.store(at, f32x4.add(v128.load(at), f32x4.add(v128.load(L0 + (<usize>k << 4)), v128.load(L1 + (<usize>(k - 1) << 4)))));
          }
          const last = row + 64;
          if (alpha == 8) v128.store(last, f32x4.add(v128.load(last), v128.load(L1 + 48)));
          else for (let b = 0; b < alpha - 4; b++) store<f32>(last + (<usize>b << 2), load<f32>(last + (<usize>b << 2)) + load<f32>(L1 + 48 + (<usize>b << 2)));
        }
        continue;
      }
      for (let lane = 0; lane < 4; lane++) {
        const entry = table + (<usize>(q + lane) << 2);
        if (load<i32>(entry + 2 * tableBytes) == 0) break;
        const base = di + <usize>load<i32>(entry);
        const from = out + (<usize>lane << 2);
        for (let a = 0; a < alpha; a++) {
          const row = base + <usize>a * rowBytes;
          for (let b = 0; b < alpha; b++) {
            const at = row + (<usize>b << 2);
            store<f32>(at, load<f32>(at) + load<f32>(from + (<usize>(a * alpha + b) << 4)));
          }
        }
      }
    }
  }
}

// U[ξ][j][i] = (G g_ij Gᵀ)[ξ], g_ij[p][q] = k_ij[K−1−p][K−1−q] (kernels are stored for true
// convolution). kmat: [J][I·K²]; U (the descriptor's): [α²][J][I]. Four kernels at once, one a lane
// (the generated transform; the J·I mod 4 left over in float64 alone). The host runs it whenever the
// kernels change (FastNetwork's refresh after every update), once for all the chunks; its work area
// is after the descriptor's words.
export function winograd_kernels(kmat: usize, I: i32, J: i32, K: i32, desc: usize): void {
  const alpha = word(desc, WINO_ALPHA);
  const G = <usize>word(desc, WINO_MATS);
  const U = <usize>word(desc, WINO_U);
  const AA = alpha * alpha;
  const X = desc + (<usize>WINO_WORDS << 2);
  const tmp = X + (<usize>AA << 4);
  const KK = K * K;
  const kernels = J * I;
  const plane = <usize>kernels << 2;
  let c = 0;
  for (; c + 4 <= kernels; c += 4) {
    const k = kmat + (<usize>(c * KK) << 2);
    const stride = <usize>KK << 2;
    for (let p = 0; p < K; p++) {
      for (let q = 0; q < K; q++) {
        const e = k + (<usize>((K - 1 - p) * K + K - 1 - q) << 2);
        let v = v128.load32_zero(e);
        v = f32x4.replace_lane(v, 1, load<f32>(e + stride));
        v = f32x4.replace_lane(v, 2, load<f32>(e + 2 * stride));
        v = f32x4.replace_lane(v, 3, load<f32>(e + 3 * stride));
        v128.store(X + (<usize>(p * K + q) << 4), v);
      }
    }
    kernelTile(K, alpha, X, <usize>K << 4, 16, tmp, U + (<usize>c << 2), <usize>alpha * plane, plane);
  }
  for (; c < kernels; c++) {
    // T = G g (α×K, float64 at tmp), then U = T Gᵀ
    const k = kmat + (<usize>(c * KK) << 2);
    for (let a = 0; a < alpha; a++) {
      for (let q = 0; q < K; q++) {
        let sum: f64 = 0;
        for (let p = 0; p < K; p++) sum += <f64>load<f32>(G + (<usize>(a * K + p) << 2)) * <f64>load<f32>(k + (<usize>((K - 1 - p) * K + K - 1 - q) << 2));
        store<f64>(tmp + (<usize>(a * K + q) << 3), sum);
      }
    }
    const u = U + (<usize>c << 2);
    for (let a = 0; a < alpha; a++) {
      for (let b = 0; b < alpha; b++) {
        let sum: f64 = 0;
        for (let q = 0; q < K; q++) sum += load<f64>(tmp + (<usize>(a * K + q) << 3)) * <f64>load<f32>(G + (<usize>(b * K + q) << 2));
        store<f32>(u + <usize>(a * alpha + b) * plane, <f32>sum);
      }
    }
  }
}

// ∂k_ij[K−1−p][K−1−q] = (Gᵀ ∂U_ij G)[p][q]. dU: [α²][J][I], the batch's (the chunks' ∂U summed: the
// host runs it once after the reduction); dK: [J][I·K²], written. Four kernels at once, as above.
export function winograd_kernel_gradient(dU: usize, I: i32, J: i32, K: i32, desc: usize, dK: usize): void {
  const alpha = word(desc, WINO_ALPHA);
  const G = <usize>word(desc, WINO_MATS);
  const AA = alpha * alpha;
  const out = desc + (<usize>WINO_WORDS << 2);
  const tmp = out + (<usize>AA << 4);
  const KK = K * K;
  const kernels = J * I;
  const plane = <usize>kernels << 2;
  let c = 0;
  for (; c + 4 <= kernels; c += 4) {
    kernelGradientTile(K, alpha, dU + (<usize>c << 2), <usize>alpha * plane, plane, tmp, out, <usize>K << 4, 16);
    for (let lane = 0; lane < 4; lane++) {
      const dk = dK + (<usize>((c + lane) * KK) << 2);
      const from = out + (<usize>lane << 2);
      for (let p = 0; p < K; p++) {
        for (let q = 0; q < K; q++) store<f32>(dk + (<usize>((K - 1 - p) * K + K - 1 - q) << 2), load<f32>(from + (<usize>(p * K + q) << 4)));
      }
    }
  }
  for (; c < kernels; c++) {
    // T = Gᵀ ∂U (K×α, float64 at tmp), then ∂g = T G
    const du = dU + (<usize>c << 2);
    for (let p = 0; p < K; p++) {
      for (let b = 0; b < alpha; b++) {
        let sum: f64 = 0;
        for (let a = 0; a < alpha; a++) sum += <f64>load<f32>(G + (<usize>(a * K + p) << 2)) * <f64>load<f32>(du + <usize>(a * alpha + b) * plane);
        store<f64>(tmp + (<usize>(p * alpha + b) << 3), sum);
      }
    }
    const dk = dK + (<usize>(c * KK) << 2);
    for (let p = 0; p < K; p++) {
      for (let q = 0; q < K; q++) {
        let sum: f64 = 0;
        for (let b = 0; b < alpha; b++) sum += load<f64>(tmp + (<usize>(p * alpha + b) << 3)) * <f64>load<f32>(G + (<usize>(b * K + q) << 2));
        store<f32>(dk + (<usize>((K - 1 - p) * K + K - 1 - q) << 2), <f32>sum);
      }
    }
  }
}

// §3.1  u_j = Σ_i x_i * k_ij + b_j,  x_j = f(u_j), for patterns [b0, b1), by F(m×m, K×K) tiles; stride 1,
// pad P. desc: the plan's descriptor, its U made by winograd_kernels from the current kernels; scratch:
// this caller's (the buffers at the descriptor's offsets).
export function winograd_forward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32, pad: i32,
  bias: usize, act: i32, y: usize, desc: usize, scratch: usize,
): void {
  tiling(desc, H, W, K, pad);
  const alpha = gAlpha;
  const ld = word(desc, WINO_TILES);
  const group = word(desc, WINO_GROUP);
  const U = <usize>word(desc, WINO_U);
  const V = scratch + <usize>word(desc, WINO_V);
  const Mb = scratch + <usize>word(desc, WINO_PRODUCT);
  const work = scratch + <usize>word(desc, WINO_WORK);
  const table = work + (<usize>(3 * gAlpha * gAlpha) << 4);
  const xp = scratch + <usize>word(desc, WINO_XP);
  const S = gHo * gWo;
  for (let g0 = b0; g0 < b1; g0 += group) {
    const g1 = min(g0 + group, b1);
    padMaps(x + (<usize>(g0 * I * H * W) << 2), (g1 - g0) * I, H, W, pad, gHp, gWp, xp);
    const T = (g1 - g0) * gPerPattern;
    const yg = y + (<usize>(g0 * J * S) << 2);
    for (let t0 = 0; t0 < T; t0 += ld) {
      const n = min(ld, T - t0);
      const nPad = (n + 7) & ~7;
      tileTable(t0, n, nPad, I, J, table, ld);
      inputTransform(xp, I, nPad, V, ld, work, table);
      for (let xi = 0; xi < alpha * alpha; xi++) {
        mm_nn(J, nPad, I, U + (<usize>(xi * J * I) << 2), I, 1, V + (<usize>(xi * (I * ld + WINO_PLANE_PAD)) << 2), ld, Mb + (<usize>(xi * (J * ld + WINO_PLANE_PAD)) << 2), ld, false);
      }
      outputTransform(Mb, J, nPad, bias, yg, ld, work, table);
    }
    act_forward(act, yg, (g1 - g0) * J * S);
  }
}

// §3.1.1  δ_j = dy_j ∘ f'(u_j);  ∂E/∂b_j += Σ δ_j;  ∂U += Σ_t dM V (the kernel gradient in the tiles'
// domain: the host sums the chunks' and turns the sum into ∂E/∂k with winograd_kernel_gradient);
// §3.2.1  dx_i = Σ_j conv2(δ_j, rot180(k_ij), 'full') (with pad P: the interior of ∂x̃); all by F(m×m, K×K)
// tiles. dU: [α²][J][I], accumulated. dx = 0: no input gradient. dyHolds: as conv_backward's.
export function winograd_backward(
  b0: i32, b1: i32, x: usize, I: i32, H: i32, W: i32, J: i32, K: i32, pad: i32,
  act: i32, y: usize, dy: usize, dU: usize, dBias: usize, dx: usize, desc: usize, scratch: usize, dyHolds: i32,
): void {
  tiling(desc, H, W, K, pad);
  const alpha = gAlpha;
  const AA = alpha * alpha;
  const ld = word(desc, WINO_TILES);
  const group = word(desc, WINO_GROUP);
  const U = <usize>word(desc, WINO_U);
  const V = scratch + <usize>word(desc, WINO_V);
  const dM = scratch + <usize>word(desc, WINO_PRODUCT);
  const work = scratch + <usize>word(desc, WINO_WORK);
  const table = work + (<usize>(3 * gAlpha * gAlpha) << 4);
  const xp = scratch + <usize>word(desc, WINO_XP);
  const dxp = scratch + <usize>word(desc, WINO_DXP);
  const S = gHo * gWo;
  sensitivities(b0, b1, J, S, act, y, dy, dBias, dyHolds);
  for (let g0 = b0; g0 < b1; g0 += group) {
    const g1 = min(g0 + group, b1);
    padMaps(x + (<usize>(g0 * I * H * W) << 2), (g1 - g0) * I, H, W, pad, gHp, gWp, xp);
    if (dx != 0) memory.fill(dxp, 0, <usize>((g1 - g0) * I * gHp * gWp) << 2);
    const T = (g1 - g0) * gPerPattern;
    const dyg = dy + (<usize>(g0 * J * S) << 2);
    for (let t0 = 0; t0 < T; t0 += ld) {
      const n = min(ld, T - t0);
      const nPad = (n + 7) & ~7;
      tileTable(t0, n, nPad, I, J, table, ld);
      inputTransform(xp, I, nPad, V, ld, work, table);
      deltaTransform(dyg, J, nPad, dM, ld, work, table);
      for (let xi = 0; xi < AA; xi++) {
        mm_nt(J, I, nPad, dM + (<usize>(xi * (J * ld + WINO_PLANE_PAD)) << 2), ld, V + (<usize>(xi * (I * ld + WINO_PLANE_PAD)) << 2), ld, dU + (<usize>(xi * J * I) << 2), I);
      }
      if (dx == 0) continue;
      // ∂V over V, which the kernel gradient no longer needs
      for (let xi = 0; xi < AA; xi++) {
        mm_nn(I, nPad, J, U + (<usize>(xi * J * I) << 2), 1, I, dM + (<usize>(xi * (J * ld + WINO_PLANE_PAD)) << 2), ld, V + (<usize>(xi * (I * ld + WINO_PLANE_PAD)) << 2), ld, false);
      }
      inputGradientTransform(V, I, nPad, dxp, ld, work, table);
    }
    if (dx != 0) cropMaps(dxp, (g1 - g0) * I, H, W, pad, gHp, gWp, dx + (<usize>(g0 * I * H * W) << 2));
  }
}
