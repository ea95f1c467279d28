// The work of one chunk of a batch: each layer's forward and backward kernels over the chunk's
// patterns, its loss, and a thread's share of a job's chunks. Runs on the calling thread and on every
// worker (threads.ts) alike, over the memory plan.ts lays out.
//
// A batch of B patterns is cut into C = min(B, 8) chunks (chunkRange), whatever the number of threads.
// Each chunk runs its whole forward pass, loss and backward pass into its own gradient buffer; the
// buffers are then summed in chunk order. So the result is bit-identical at any thread count.

import { DY_GRADIENT, DY_SENSITIVITY } from './abi-constants.js';
import type { WasmExports } from './abi.js';
import type { Plan } from './plan.js';

/** Chunks a batch is cut into at most (each has its own gradient buffer and scratch slot). */
export const MAX_CHUNKS = 8;

/** Patterns of chunk c of a batch of B cut into n chunks. */
export function chunkRange(c: number, n: number, B: number): [number, number] {
  return [Math.floor((c * B) / n), Math.floor(((c + 1) * B) / n)];
}

export function chunkCount(B: number): number {
  return Math.min(B, MAX_CHUNKS);
}

/** Layer l's forward pass over patterns [b0, b1), with scratch slot c. */
export function forwardLayer(wasm: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number): void {
  const layer = plan.layers[l];
  const [I, H, W] = layer.inShape;
  const [J] = layer.outShape;
  const x = plan.acts[l];
  const y = plan.acts[l + 1];
  switch (layer.type) {
    case 'conv':
      wasm.conv_forward(b0, b1, x, I, H, W, J, layer.kernelSize, layer.weightsAt, layer.biasesAt, layer.act, y, plan.scratch + c * plan.scratchStride);
      break;
    case 'subsample':
      wasm.subsample_forward(b0, b1, x, I, H, W, layer.factor, layer.mode, layer.weightsAt, layer.biasesAt, layer.act, layer.downed, y);
      break;
    case 'full':
      wasm.full_forward(b0, b1, x, I * H * W, J, layer.weightsAt, layer.biasesAt, layer.act, y);
      break;
  }
}

/**
 * Layer l's backward pass over patterns [b0, b1) into the gradient buffer at g, with scratch slot c;
 * dx: whether to write ∂E/∂input. dyHolds: what the layer above left in this layer's output gradient,
 * DY_GRADIENT (∂E/∂y) or DY_SENSITIVITY (δ: it folded this layer's f' in). Returns what this layer
 * leaves in its input gradient: DY_SENSITIVITY where it folded the layer below's f' in (§3.1.1: a
 * subsampling layer over a convolution does).
 */
export function backwardLayer(wasm: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number, g: number, dx: boolean, dyHolds: number): number {
  const layer = plan.layers[l];
  const [I, H, W] = layer.inShape;
  const [J] = layer.outShape;
  const dxAt = dx ? plan.dActs[l] : 0;
  const weightGrad = layer.weightGradAt >= 0 ? g + layer.weightGradAt : 0;
  const biasGrad = layer.biasGradAt >= 0 ? g + layer.biasGradAt : 0;
  switch (layer.type) {
    case 'conv': {
      const cols = plan.scratch + c * plan.scratchStride;
      wasm.conv_backward(b0, b1, plan.acts[l], I, H, W, J, layer.kernelSize, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], weightGrad, biasGrad, dxAt, cols, cols + plan.scratchStride / 2, dyHolds);
      return DY_GRADIENT;
    }
    case 'subsample': {
      const below = dx && l > 0 && plan.layers[l - 1].type === 'conv' ? plan.layers[l - 1] : null;
      wasm.subsample_backward(b0, b1, I, H, W, layer.factor, layer.mode, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], layer.downed, weightGrad, biasGrad, dxAt, below ? below.act : 0, below ? plan.acts[l] : 0);
      return below !== null ? DY_SENSITIVITY : DY_GRADIENT;
    }
    case 'full':
      wasm.full_backward(b0, b1, plan.acts[l], I * H * W, J, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], weightGrad, biasGrad, dxAt);
      return DY_GRADIENT;
  }
}

/** Forward pass of patterns [b0, b1) (chunk c, whose scratch it uses) through every layer. */
export function forwardChunk(wasm: WasmExports, plan: Plan, c: number, b0: number, b1: number): void {
  for (let l = 0; l < plan.layers.length; l++) forwardLayer(wasm, plan, l, c, b0, b1);
}

/**
 * Forward, loss and backward of chunk c (patterns [b0, b1) of a batch of B) into chunk c's gradient
 * buffer, which it zeroes first. Returns nothing: the chunk's loss sum goes to losses[c].
 */
export function trainChunk(wasm: WasmExports, plan: Plan, memory: WebAssembly.Memory, c: number, b0: number, b1: number, B: number, inputGradient: boolean, job: number = JOB.train): void {
  // each thread makes its own chunk's input first, from what the host staged: distorted, or placed
  if (job === JOB.trainDistorted && plan.distort) wasm.distort_patterns(b0, b1, plan.distort.arena, plan.acts[0], c);
  if (job === JOB.trainStaged && plan.stage) {
    const s = plan.stage;
    wasm.place_patterns(b0, b1, s.sources, s.table, s.rows, s.cols, s.height, s.width, plan.acts[0]);
  }
  forwardChunk(wasm, plan, c, b0, b1);
  const layerCount = plan.layers.length;
  const [off, on] = plan.targets;
  const loss = wasm.loss_forward_backward(b0, b1, plan.loss, plan.acts[layerCount], plan.labels, plan.outputSize, off, on, 1 / B, plan.dActs[layerCount], plan.codes, plan.labelSmoothing);
  new Float64Array(memory.buffer, plan.losses, MAX_CHUNKS)[c] = loss;
  const g = plan.chunks + c * plan.chunkStride;
  new Float32Array(memory.buffer, g, plan.chunkFloats).fill(0);
  let dyHolds = DY_GRADIENT;
  for (let l = layerCount - 1; l >= 0; l--) dyHolds = backwardLayer(wasm, plan, l, c, b0, b1, g, l > 0 || inputGradient, dyHolds);
}

/** Jobs a thread runs (the control block's job word, threads.ts). */
export const JOB = { train: 1, trainWithInput: 2, infer: 3, exit: 4, trainDistorted: 5, trainStaged: 6 } as const;

/**
 * Patterns per chunk of an inference job. Inference has no gradients to sum, so its chunks can be
 * small: each runs all layers over a few patterns while they are still in cache.
 */
export const INFER_CHUNK = 8;

/** The chunks thread t of T runs for a job on a batch of B (T ≤ MAX_CHUNKS: a scratch slot each). */
export function runShare(wasm: WasmExports, plan: Plan, memory: WebAssembly.Memory, job: number, B: number, t: number, T: number): void {
  if (job === JOB.infer) {
    const n = Math.ceil(B / INFER_CHUNK);
    for (let c = t; c < n; c += T) forwardChunk(wasm, plan, t, c * INFER_CHUNK, Math.min(B, (c + 1) * INFER_CHUNK));
    return;
  }
  const n = chunkCount(B);
  for (let c = t; c < n; c += T) {
    const [b0, b1] = chunkRange(c, n, B);
    trainChunk(wasm, plan, memory, c, b0, b1, B, job === JOB.trainWithInput, job);
  }
}
