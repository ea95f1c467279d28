// The work of one chunk of a batch: each layer's forward and backward kernels over the chunk's
// patterns, its loss, and a thread's share of a job's chunks. Runs on the calling thread and on every
// worker (threads.ts) alike, over the memory plan.ts lays out.
//
// A batch of B patterns is cut into C = min(B, 8) chunks (chunkRange), whatever the number of threads.
// Each chunk runs its whole forward pass, loss and backward pass into its own gradient buffer; the
// buffers are then summed in chunk order. So the result is bit-identical at any thread count.
//
// Batch normalisation needs the whole batch's statistics in the middle of a pass, so a network with
// k batchnorm layers trains in 2k + 1 phases (trainPhase), every chunk finishing a phase before any
// starts the next: forward up to a batchnorm layer and its chunk's partial statistics; the host
// combines them in chunk order (engine.ts); the next phase normalises and goes on. Backward likewise
// stops at each batchnorm layer for the batch's Σδ and Σδx̂. Partial sums are combined in chunk order
// only, so the result stays bit-identical at any thread count. Without batchnorm there is one phase,
// which is the whole chunk.

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

/**
 * Layer l's forward pass over patterns [b0, b1), with scratch slot c. A training pass (`step` ≥ 0, the
 * update dropout's masks are drawn for) normalises with the batch's statistics; inference (step −1)
 * with the running averages', and keeps every value through dropout.
 */
export function forwardLayer(wasm: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number, step = -1): void {
  const layer = plan.layers[l];
  const [I, H, W] = layer.inShape;
  const [J] = layer.outShape;
  const x = plan.acts[l];
  const y = plan.acts[l + 1];
  switch (layer.type) {
    case 'batchnorm': {
      const norm = layer.norm!;
      wasm.batchnorm_forward(b0, b1, x, I, H * W, step >= 0 ? norm.stats : norm.inferStats, layer.weightsAt, layer.biasesAt, layer.act, y);
      break;
    }
    case 'dropout': {
      const drop = layer.dropout!;
      // inference: threshold 0 keeps every value, times 1
      if (step >= 0) wasm.dropout_forward(b0, b1, x, I * H * W, plan.seed, l, step, drop.threshold, drop.keep, y);
      else wasm.dropout_forward(b0, b1, x, I * H * W, 0, l, 0, 0, 1, y);
      break;
    }
    case 'conv':
      if (layer.winograd) {
        wasm.winograd_forward(b0, b1, x, I, H, W, J, layer.kernelSize, layer.pad, layer.biasesAt, layer.act, y, layer.winograd.desc, plan.scratch + c * plan.scratchStride);
        break;
      }
      wasm.conv_forward(b0, b1, x, I, H, W, J, layer.kernelSize, layer.pad, layer.stride, layer.weightsAt, layer.biasesAt, layer.act, y, plan.scratch + c * plan.scratchStride, plan.scratch + c * plan.scratchStride + plan.scratchStride / 2);
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
export function backwardLayer(wasm: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number, g: number, dx: boolean, dyHolds: number, step = 0): number {
  const layer = plan.layers[l];
  const [I, H, W] = layer.inShape;
  const [J] = layer.outShape;
  const dxAt = dx ? plan.dActs[l] : 0;
  const weightGrad = layer.weightGradAt >= 0 ? g + layer.weightGradAt : 0;
  const biasGrad = layer.biasGradAt >= 0 ? g + layer.biasGradAt : 0;
  switch (layer.type) {
    case 'conv': {
      const cols = plan.scratch + c * plan.scratchStride;
      if (layer.winograd) {
        // the kernel gradient in the tiles' domain (∂U), which the host sums and transforms (engine.ts)
        wasm.winograd_backward(b0, b1, plan.acts[l], I, H, W, J, layer.kernelSize, layer.pad, layer.act, plan.acts[l + 1], plan.dActs[l + 1], g + layer.winograd.gradAt, biasGrad, dxAt, layer.winograd.desc, cols, dyHolds);
        return DY_GRADIENT;
      }
      wasm.conv_backward(b0, b1, plan.acts[l], I, H, W, J, layer.kernelSize, layer.pad, layer.stride, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], weightGrad, biasGrad, dxAt, cols, cols + plan.scratchStride / 2, dyHolds);
      return DY_GRADIENT;
    }
    case 'subsample': {
      const below = dx && l > 0 && plan.layers[l - 1].type === 'conv' ? plan.layers[l - 1] : null;
      wasm.subsample_backward(b0, b1, plan.acts[l], I, H, W, layer.factor, layer.mode, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], layer.downed, weightGrad, biasGrad, dxAt, below ? below.act : 0, below ? plan.acts[l] : 0);
      return below !== null ? DY_SENSITIVITY : DY_GRADIENT;
    }
    case 'full':
      wasm.full_backward(b0, b1, plan.acts[l], I * H * W, J, layer.weightsAt, layer.act, plan.acts[l + 1], plan.dActs[l + 1], weightGrad, biasGrad, dxAt);
      return DY_GRADIENT;
    case 'dropout': {
      const drop = layer.dropout!;
      if (dx) wasm.dropout_backward(b0, b1, I * H * W, plan.seed, l, step, drop.threshold, drop.keep, plan.dActs[l + 1], dxAt);
      return DY_GRADIENT;
    }
    case 'batchnorm': {
      // both halves at once: only for a batch of one chunk (the bench's per-layer profile), else see trainPhase
      normPartialsBackward(wasm, plan, l, 0, b0, b1, g);
      wasm.batchnorm_sum_partials(layer.norm!.partials, 1, I, layer.norm!.totals);
      if (dx) normInputBackward(wasm, plan, l, b0, b1, b1 - b0);
      return DY_GRADIENT;
    }
  }
}

/** Batchnorm layer l, chunk c: δ = dy ∘ f' in place, the chunk's Σδ and Σδx̂ into its partials (and ∂E/∂γ, ∂E/∂β into g). */
function normPartialsBackward(wasm: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number, g: number): void {
  const layer = plan.layers[l];
  const norm = layer.norm!;
  const [C, H, W] = layer.inShape;
  wasm.batchnorm_backward_partials(
    b0, b1, plan.acts[l], C, H * W, norm.stats, layer.act, plan.acts[l + 1], plan.dActs[l + 1],
    norm.partials + c * 16 * C, g + layer.weightGradAt, g + layer.biasGradAt,
  );
}

/** Batchnorm layer l: ∂E/∂x of patterns [b0, b1) from δ and the batch's totals (B patterns). */
function normInputBackward(wasm: WasmExports, plan: Plan, l: number, b0: number, b1: number, B: number): void {
  const layer = plan.layers[l];
  const norm = layer.norm!;
  const [C, H, W] = layer.inShape;
  wasm.batchnorm_backward_input(b0, b1, plan.acts[l], C, H * W, norm.stats, layer.weightsAt, plan.dActs[l + 1], norm.totals, B * H * W, 1, plan.dActs[l]);
}

/** Forward pass of patterns [b0, b1) (chunk c, whose scratch it uses) through every layer (inference). */
export function forwardChunk(wasm: WasmExports, plan: Plan, c: number, b0: number, b1: number): void {
  for (let l = 0; l < plan.layers.length; l++) forwardLayer(wasm, plan, l, c, b0, b1);
}

/**
 * The views of the memory a training job writes from JavaScript: each chunk's loss sum, the chunks'
 * gradient buffers (zeroed per chunk), the update number of dropout's masks. Made once per thread
 * (the memory never grows), so a step allocates nothing.
 */
export interface ChunkViews {
  losses: Float64Array;
  grads: Float32Array;
  step: Uint32Array;
}

export function chunkViews(plan: Plan, memory: WebAssembly.Memory): ChunkViews {
  return {
    losses: new Float64Array(memory.buffer, plan.losses, MAX_CHUNKS),
    grads: new Float32Array(memory.buffer, plan.chunks, MAX_CHUNKS * plan.chunkFloats),
    step: new Uint32Array(memory.buffer, plan.step, 1),
  };
}

/** Phases of a training job (see the header): one, plus two per batchnorm layer. */
export function trainPhases(plan: Plan): number {
  return 2 * plan.normLayers.length + 1;
}

/**
 * Phase `phase` of a training job for chunk c (patterns [b0, b1) of a batch of B), drawing dropout's
 * masks for update `step`. With k batchnorm layers n_0 < … < n_{k−1}:
 *   phase p < k:   forward from n_{p−1} (normalised with the batch's statistics) up to n_p; n_p's partial statistics
 *   phase k:       forward to the end, the loss (into losses[c]), backward down to n_{k−1}'s Σδ, Σδx̂
 *   phase k + r:   n_{k−r}'s ∂E/∂x, backward down to n_{k−r−1}'s Σδ, Σδx̂ (r < k), or to the input
 * The gradients go to chunk c's buffer, zeroed in phase k.
 */
export function trainPhase(
  wasm: WasmExports, plan: Plan, views: ChunkViews, c: number, b0: number, b1: number, B: number,
  inputGradient: boolean, job: number, phase: number, step: number,
): void {
  const norms = plan.normLayers;
  const k = norms.length;
  const L = plan.layers.length;
  if (phase === 0) {
    // each thread makes its own chunk's input first, from what the host staged: distorted, or placed
    if (job === JOB.trainDistorted && plan.distort) wasm.distort_patterns(b0, b1, plan.distort.arena, plan.acts[0], c);
    if (job === JOB.trainStaged && plan.stage) {
      const s = plan.stage;
      wasm.place_patterns(b0, b1, s.sources, s.table, s.channels, s.rows, s.cols, s.height, s.width, plan.acts[0]);
    }
  }
  const g = plan.chunks + c * plan.chunkStride;
  if (phase < k) {
    const to = norms[phase];
    for (let l = phase === 0 ? 0 : norms[phase - 1]; l < to; l++) forwardLayer(wasm, plan, l, c, b0, b1, step);
    const [C, H, W] = plan.layers[to].inShape;
    wasm.batchnorm_partials(b0, b1, plan.acts[to], C, H * W, plan.layers[to].norm!.partials + c * 16 * C);
    return;
  }
  let from: number;
  if (phase === k) {
    for (let l = k === 0 ? 0 : norms[k - 1]; l < L; l++) forwardLayer(wasm, plan, l, c, b0, b1, step);
    const [off, on] = plan.targets;
    const loss = wasm.loss_forward_backward(b0, b1, plan.loss, plan.acts[L], plan.labels, plan.outputSize, off, on, 1 / B, plan.dActs[L], plan.codes, plan.labelSmoothing);
    views.losses[c] = loss;
    views.grads.fill(0, c * plan.chunkFloats, (c + 1) * plan.chunkFloats);
    from = L - 1;
  } else {
    const n = norms[2 * k - phase];
    if (n > 0 || inputGradient) normInputBackward(wasm, plan, n, b0, b1, B);
    from = n - 1;
  }
  const r = phase - k;
  const down = r < k ? norms[k - 1 - r] : -1;
  let dyHolds = DY_GRADIENT;
  for (let l = from; l > down; l--) dyHolds = backwardLayer(wasm, plan, l, c, b0, b1, g, l > 0 || inputGradient, dyHolds, step);
  if (down >= 0) normPartialsBackward(wasm, plan, down, c, b0, b1, g);
}

/** Jobs a thread runs (the control block's job word, threads.ts). */
export const JOB = { train: 1, trainWithInput: 2, infer: 3, exit: 4, trainDistorted: 5, trainStaged: 6 } as const;

/**
 * Patterns per chunk of an inference job. Inference has no gradients to sum, so its chunks can be
 * small: each runs all layers over a few patterns while they are still in cache.
 */
export const INFER_CHUNK = 8;

/**
 * Thread t of T's share of a job (a training job's phase `phase`) on a batch of B (T ≤ MAX_CHUNKS). With
 * T > 1 the threads claim chunks one at a time from the shared word `next[0]` (zeroed by the caller
 * before the job), so a thread slowed by anything else on the machine runs fewer of them. Which thread
 * runs a chunk changes nothing: a training chunk's scratch and gradient buffer are the chunk's own;
 * an inference chunk uses its thread's scratch slot t.
 */
export function runShare(wasm: WasmExports, plan: Plan, views: ChunkViews, job: number, B: number, t: number, T: number, next: Int32Array, phase = 0): void {
  const infer = job === JOB.infer;
  const n = infer ? Math.ceil(B / INFER_CHUNK) : chunkCount(B);
  const step = views.step[0];
  for (let c = T > 1 ? Atomics.add(next, 0, 1) : 0; c < n; c = T > 1 ? Atomics.add(next, 0, 1) : c + 1) {
    if (infer) {
      forwardChunk(wasm, plan, t, c * INFER_CHUNK, Math.min(B, (c + 1) * INFER_CHUNK));
    } else {
      const [b0, b1] = chunkRange(c, n, B);
      trainPhase(wasm, plan, views, c, b0, b1, B, job === JOB.trainWithInput, job, phase, step);
    }
  }
}
