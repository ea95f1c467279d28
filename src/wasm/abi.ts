// What the host and the kernels agree on, apart from loading them (module.ts): the exports and their
// arguments, where the host's data starts, and (abi-constants.ts, compiled by both sides) the codes,
// modes and the distortion arena's layout. Kept apart so that the browser worker (worker-web.ts,
// bundled on its own by scripts/build-wasm.mjs) needs nothing of the loader.

export * from './abi-constants.js';
import { CONV_BAND_FLOATS } from './abi-constants.js';

type Address = number;

/**
 * The kernels' exports (assembly/index.ts; the file of each says what it computes). Every address is a
 * byte offset into the memory, every size an element count; [b0, b1) is a range of a batch's patterns.
 */
export interface WasmExports {
  conv_forward(b0: number, b1: number, x: Address, I: number, H: number, W: number, J: number, K: number, pad: number, stride: number, kmat: Address, bias: Address, act: number, y: Address, cols: Address, dcols: Address): void;
  conv_backward(
    b0: number, b1: number, x: Address, I: number, H: number, W: number, J: number, K: number, pad: number, stride: number,
    kmat: Address, act: number, y: Address, dy: Address, dK: Address, dBias: Address, dx: Address, cols: Address, dcols: Address, dyHolds: number,
  ): void;
  /** conv_forward by Winograd tiles (stride 1; assembly/winograd.ts): desc the plan's WINO_* words (U made by winograd_kernels), scratch this caller's. */
  winograd_forward(b0: number, b1: number, x: Address, I: number, H: number, W: number, J: number, K: number, pad: number, bias: Address, act: number, y: Address, desc: Address, scratch: Address): void;
  /** conv_backward by Winograd tiles: the kernel gradient accumulated into dU [α²][J][I], the tiles' domain. */
  winograd_backward(
    b0: number, b1: number, x: Address, I: number, H: number, W: number, J: number, K: number, pad: number,
    act: number, y: Address, dy: Address, dU: Address, dBias: Address, dx: Address, desc: Address, scratch: Address, dyHolds: number,
  ): void;
  /** U = G g Gᵀ of the kernels kmat [J][I·K²] into the descriptor's U: after every change of the kernels. */
  winograd_kernels(kmat: Address, I: number, J: number, K: number, desc: Address): void;
  /** ∂E/∂k [J][I·K²] (written) from the batch's ∂U [α²][J][I]. */
  winograd_kernel_gradient(dU: Address, I: number, J: number, K: number, desc: Address, dK: Address): void;
  subsample_forward(b0: number, b1: number, x: Address, J: number, H: number, W: number, n: number, mode: number, beta: Address, bias: Address, act: number, downed: Address, y: Address): void;
  /** x: the layer's input (DOWN_MAX finds each block's argmax in it again). */
  subsample_backward(
    b0: number, b1: number, x: Address, J: number, H: number, W: number, n: number, mode: number, beta: Address, act: number,
    y: Address, dy: Address, downed: Address, dBeta: Address, dBias: Address, dx: Address, prevAct: number, prevY: Address,
  ): void;
  full_forward(b0: number, b1: number, x: Address, N: number, O: number, w: Address, bias: Address, act: number, y: Address): void;
  full_backward(b0: number, b1: number, x: Address, N: number, O: number, w: Address, act: number, y: Address, dy: Address, dW: Address, dBias: Address, dx: Address): void;
  /** A chunk's per-map (mean, M2) in f64 [C][2] (assembly/batchnorm.ts, as are the five below). */
  batchnorm_partials(b0: number, b1: number, x: Address, C: number, S: number, partials: Address): void;
  /** The chunks' partials (chunk q at partials + q·C·16 bytes) combined in chunk order into stats [C][3] f64: mean, variance, invStd. */
  batchnorm_combine(partials: Address, chunks: number, B: number, S: number, C: number, epsilon: number, stats: Address): void;
  batchnorm_forward(b0: number, b1: number, x: Address, C: number, S: number, stats: Address, scale: Address, shift: Address, act: number, y: Address): void;
  /** dy ∘= f'(u); a chunk's per-map (Σδ, Σδx̂) in f64 [C][2], also added into dShift, dScale. */
  batchnorm_backward_partials(
    b0: number, b1: number, x: Address, C: number, S: number, stats: Address, act: number, y: Address, dy: Address,
    partials: Address, dScale: Address, dShift: Address,
  ): void;
  batchnorm_sum_partials(partials: Address, chunks: number, C: number, totals: Address): void;
  /** dx from δ (dy) and the batch's totals (training ≠ 0), or γ·invStd·δ (training = 0); dx = 0: none. */
  batchnorm_backward_input(b0: number, b1: number, x: Address, C: number, S: number, stats: Address, scale: Address, dy: Address, totals: Address, N: number, training: number, dx: Address): void;
  /** y = keep·x where the hashed draw ≥ threshold, else 0 (assembly/dropout.ts; seed and step as u32). */
  dropout_forward(b0: number, b1: number, x: Address, n: number, seed: number, layer: number, step: number, threshold: number, keep: number, y: Address): void;
  /** dx = keep·dy where kept (the mask recomputed), else 0; dx = 0: none. */
  dropout_backward(b0: number, b1: number, n: number, seed: number, layer: number, step: number, threshold: number, keep: number, dy: Address, dx: Address): void;
  /** Σ E^n over the range; ∂E/∂y into dy (0: none). */
  loss_forward_backward(b0: number, b1: number, kind: number, y: Address, labels: Address, classes: number, off: number, on: number, invB: number, dy: Address, codes: Address, smooth: number): number;
  reduce_chunks(i0: number, i1: number, chunks: Address, nChunks: number, stride: number, out: Address): void;
  sgd_update(i0: number, i1: number, params: Address, grads: Address, rates: Address, velocity: Address, rate: number, momentum: number, decay: number, nesterov: number): void;
  /** Adam (decoupled 0) or AdamW (1); c1, c2 the bias corrections 1/(1 − β^t) (assembly/update.ts). */
  adam_update(i0: number, i1: number, params: Address, grads: Address, rates: Address, moment1: Address, moment2: Address, rate: number, decay: number, beta1: number, beta2: number, epsilon: number, c1: number, c2: number, decoupled: number): void;
  distort_patterns(b0: number, b1: number, arena: Address, input: Address, chunk: number): void;
  /** The input of patterns [b0, b1) from their staged uint8 images through the host's 256-level table per channel (assembly/dataset.ts). */
  place_patterns(b0: number, b1: number, sources: Address, table: Address, channels: number, rows: number, cols: number, height: number, width: number, input: Address): void;
  activate(act: number, u: Address, count: number, x: Address): void;
  activation_backward(act: number, x: Address, count: number, g: Address): void;
  /** C[M×N] = A[M×K]·B[K×N]: the product the convolutions run (assembly/gemm.ts's mm_nn). */
  matmul(M: number, N: number, K: number, A: Address, B: Address, C: Address): void;
}

/** The export names, as the module must have them (test/math/wasm-abi.test.ts checks it does). */
export const WASM_EXPORTS: readonly (keyof WasmExports)[] = [
  'conv_forward', 'conv_backward', 'winograd_forward', 'winograd_backward', 'winograd_kernels', 'winograd_kernel_gradient', 'subsample_forward', 'subsample_backward', 'full_forward', 'full_backward',
  'batchnorm_partials', 'batchnorm_combine', 'batchnorm_forward', 'batchnorm_backward_partials', 'batchnorm_sum_partials',
  'batchnorm_backward_input', 'dropout_forward', 'dropout_backward',
  'loss_forward_backward', 'reduce_chunks', 'sgd_update', 'adam_update', 'distort_patterns', 'place_patterns', 'activate', 'activation_backward', 'matmul',
];

/**
 * Floats in each of conv_forward/conv_backward's two scratch areas (cols, dcols) for a convolution of
 * I maps of H×W by K×K kernels, padding P and stride s: an im2col band of I·K² rows × (output rows that
 * fit CONV_BAND_FLOATS, at least one, at most Ho) × Wo, rounded up to 16, then with P > 0 the padded maps
 * x̃ (in cols) and their gradient (in dcols), I·(H + 2P)·(W + 2P). assembly/conv.ts's convBandRows and
 * bandBytes lay the areas out by the same rule.
 */
export function convScratchFloats(I: number, H: number, W: number, K: number, pad: number, stride: number): number {
  const Ho = Math.floor((H + 2 * pad - K) / stride) + 1;
  const Wo = Math.floor((W + 2 * pad - K) / stride) + 1;
  const R = I * K * K;
  const rows = Math.max(1, Math.min(Ho, Math.floor(CONV_BAND_FLOATS / (R * Wo))));
  const band = Math.ceil((R * rows * Wo) / 16) * 16;
  const padded = pad > 0 ? I * (H + 2 * pad) * (W + 2 * pad) : 0;
  return band + padded;
}

/** A WebAssembly page, in bytes. */
export const PAGE = 65536;

/** First byte the host may lay tensors out from (below it: whatever static data the module has). */
export const HEAP_BASE = PAGE;

/**
 * Node's built-in module `node:NAME`, imported where bundlers do not look: a browser bundle must
 * neither include it nor split it off into a chunk (Vite builds a worker as one classic script by
 * default, which cannot have chunks). Only ever called in Node.
 */
export function nodeBuiltin<T>(name: string): Promise<T> {
  const specifier = `node:${name}`;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}
