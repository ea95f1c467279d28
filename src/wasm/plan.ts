// The fast path's memory plan and the work of one chunk of a batch.
//
// Every tensor of a network (parameters, gradients, activations, sensitivities, scratch, per-chunk
// gradients, labels) is laid out once in one WebAssembly memory, sized from the description and the
// batch capacity. JS keeps only offsets; nothing is allocated per step.
//
// A batch of B patterns is cut into C = min(B, 8) chunks (chunk c is patterns ⌊cB/C⌋ … ⌊(c+1)B/C⌋−1),
// whatever the number of threads. Each chunk runs its whole forward pass, loss and backward pass into
// its own gradient buffer; the buffers are then summed in chunk order. So the result is bit-identical
// at any thread count: threads only decide who computes which chunk.
//
// The plan is plain data (numbers and arrays), so it can be posted to worker threads.

import type { ResolvedDescription } from '../description.js';
import { Act } from '../kernels/kernels.js';
import { activationCode } from '../activation.js';
import { compileConnections } from '../connections.js';
import { shapeSize } from '../description.js';
import { HEAP_BASE, type WasmExports } from './abi.js';

export const MAX_CHUNKS = 8;

/** One layer as the wasm kernels see it: what it reads, where its gradients go (chunk-relative). */
export interface PlannedLayer {
  type: 'conv' | 'subsample' | 'full';
  /** For learned combinations (run as a convolution over effective kernels α_ij·k). */
  combination: boolean;
  /**
   * Convolutions read one dense kernel matrix [J][I·K²]. With the `all` table that is the parameters
   * themselves; otherwise (a sparse table, learned combinations) it is a copy the host keeps up to date,
   * and `denseIndex[c]` is where connection c's kernel sits in it (j·I + i).
   */
  denseCopy: boolean;
  denseIndex: Int32Array | null;
  act: number;
  inShape: [number, number, number];
  outShape: [number, number, number];
  kernel: number;
  factor: number;
  mode: number;
  /** Byte addresses of parameters (or effective kernels / constants) the kernels read. */
  w: number;
  b: number;
  /** Byte offsets, within a chunk's gradient buffer, of ∂E/∂w and ∂E/∂b (−1: none). */
  gw: number;
  gb: number;
  /** Element counts of w and b (for the reduction). */
  nw: number;
  nb: number;
  /** Subsampling: saved down(x). */
  downed: number;
}

export interface Plan {
  bytes: number;
  batch: number;
  inputSize: number;
  outputSize: number;
  /** Parameters (same flat layout as Network.params) and their gradients. */
  params: number;
  grads: number;
  paramCount: number;
  /** Per-parameter rate multipliers (§4.2) and momentum velocities, same layout as params. */
  rates: number;
  velocity: number;
  /** Per-chunk gradient buffers: chunk c at chunks + c·chunkStride bytes, chunkFloats floats each. */
  chunks: number;
  chunkStride: number;
  chunkFloats: number;
  /** Reduced chunk gradients (the kernels' layout). */
  reduced: number;
  /** Per-chunk scratch (im2col): chunk c at scratch + c·scratchStride bytes. */
  scratch: number;
  scratchStride: number;
  /** acts[ℓ]: input (ℓ = 0) and outputs of each layer; dActs[ℓ]: their gradients. */
  acts: number[];
  dActs: number[];
  labels: number;
  /** Per-chunk loss sums (float64). */
  losses: number;
  /** Int32 control block for the worker threads (16 words). */
  control: number;
  layers: PlannedLayer[];
  loss: number;
  targets: [number, number];
  /** Class codes [classes][outputs] (0: one output per class) and how many classes there are. */
  codes: number;
  classes: number;
  /** Written once into a fresh memory: constant β / b arrays. */
  constants: { at: number; value: number; count: number }[];
  /** Where the threads distort their own patterns (assembly/augment.ts), if laid out for it. */
  distort: DistortArena | null;
}

/** Patterns of rows×cols distorted with a Gaussian of radius R: what the arena is sized for. */
export interface DistortShape {
  rows: number;
  cols: number;
  radius: number;
}

/** The distortion arena (layout in assembly/augment.ts): header, Gaussian taps, per-pattern draws, sources, per-chunk scratch. */
export interface DistortArena extends DistortShape {
  arena: number;
  kernel: number;
  params: number;
  sources: number;
  scratch: number;
  scratchStride: number;
  /** cols rounded up to a multiple of 4. */
  paddedCols: number;
}

/** Bytes of one pattern's draws in the arena. */
export const DISTORT_PARAM_BYTES = 64;

// arithmetic, not `(n + 63) & ~63`: bitwise operators wrap at 2^31 and made plans over 2 GiB overlap
const align = (n: number): number => Math.ceil(n / 64) * 64;

/** wasm32's address space: 65536 pages of 64 KiB, 4 GiB. */
export const MAX_WASM_BYTES = 65536 * 65536;

/** Refuses, before any memory is asked for, a plan that cannot fit in one wasm32 memory; the message gives the estimate. */
export function checkPlanFits(plan: Plan, name: string): void {
  if (plan.bytes <= MAX_WASM_BYTES) return;
  const mb = (n: number): string => String(Math.ceil(n / 2 ** 20));
  throw new RangeError(
    `network "${name}" with batch ${plan.batch}: its memory plan needs an estimated ${mb(plan.bytes)} MB of WebAssembly memory, ` +
    `more than wasm32's limit of ${mb(MAX_WASM_BYTES)} MB (65536 pages); use a smaller batch or smaller layers`,
  );
}

/** Lays out every tensor of `d` for batches of up to `batch` patterns. */
export function makePlan(d: ResolvedDescription, batch: number, paramOffsets: { offset: number; length: number }[][], distortShape: DistortShape | null = null): Plan {
  let top = HEAP_BASE;
  const take = (bytes: number): number => {
    const p = align(top);
    top = p + bytes;
    return p;
  };
  const control = take(64);
  const paramCount = paramOffsets.flat().reduce((n, v) => n + v.length, 0);
  const params = take(4 * paramCount);
  const grads = take(4 * paramCount);
  const rates = take(4 * paramCount);
  const velocity = take(4 * paramCount);
  const at = (layer: number, k: number): number => params + 4 * paramOffsets[layer][k].offset;

  const layers: PlannedLayer[] = [];
  const constants: Plan['constants'] = [];
  let chunkFloats = 0;
  let scratchFloats = 4;
  const grad = (n: number): number => {
    const o = chunkFloats * 4;
    chunkFloats += (n + 15) & ~15;
    return o;
  };
  let shape = d.input;
  d.layers.forEach((spec, l) => {
    const inShape: [number, number, number] = [shape[0], shape[1], shape[2]];
    const outShape = d.shapes[l] as [number, number, number];
    const base = {
      act: Act.Identity as number, inShape, outShape, kernel: 0, factor: 0, mode: 0,
      w: 0, b: 0, gw: -1, gb: -1, nw: 0, nb: 0, downed: 0, combination: false, denseCopy: false, denseIndex: null,
    };
    switch (spec.type) {
      case 'conv':
      case 'combination': {
        const combination = spec.type === 'combination';
        const I = inShape[0];
        const KK = spec.kernel * spec.kernel;
        const all = !combination && spec.connections === 'all';
        let denseIndex: Int32Array | null = null;
        if (!combination && !all) {
          const conn = compileConnections(spec.connections, I, spec.maps);
          denseIndex = new Int32Array(conn.count);
          for (let j = 0; j < spec.maps; j++) for (let c = conn.start[j]; c < conn.start[j + 1]; c++) denseIndex[c] = j * I + conn.input[c];
        }
        const nw = spec.maps * I * KK;
        layers.push({
          ...base, type: 'conv', combination, act: activationCode(spec.activation), kernel: spec.kernel,
          w: all ? at(l, 0) : take(4 * nw), b: combination ? at(l, 2) : at(l, 1),
          gw: grad(nw), gb: grad(spec.maps), nw, nb: spec.maps, denseCopy: !all, denseIndex,
        });
        scratchFloats = Math.max(scratchFloats, 2 * I * KK * outShape[1] * outShape[2]);
        break;
      }
      case 'subsample': {
        const J = inShape[0];
        let p = 0;
        const w = spec.beta === 'trainable' ? at(l, p++) : take(4 * J);
        const b = spec.bias ? at(l, p++) : take(4 * J);
        if (spec.beta !== 'trainable') constants.push({ at: w, value: spec.betaInit, count: J });
        if (!spec.bias) constants.push({ at: b, value: 0, count: J });
        layers.push({
          ...base, type: 'subsample', act: activationCode(spec.activation), factor: spec.factor,
          mode: spec.down === 'sum' ? 0 : 1, w, b,
          gw: spec.beta === 'trainable' ? grad(J) : -1, gb: spec.bias ? grad(J) : -1,
          nw: spec.beta === 'trainable' ? J : 0, nb: spec.bias ? J : 0,
          downed: take(4 * batch * shapeSize(outShape)),
        });
        break;
      }
      case 'full': {
        const N = shapeSize(inShape);
        layers.push({
          ...base, type: 'full', act: activationCode(spec.activation), w: at(l, 0), b: at(l, 1),
          gw: grad(N * spec.units), gb: grad(spec.units), nw: N * spec.units, nb: spec.units,
        });
        break;
      }
    }
    shape = outShape;
  });

  const acts = [take(4 * batch * shapeSize(d.input))];
  const dActs = [take(4 * batch * shapeSize(d.input))];
  for (const s of d.shapes) {
    acts.push(take(4 * batch * shapeSize(s)));
    dActs.push(take(4 * batch * shapeSize(s)));
  }
  const chunkStride = chunkFloats * 4;
  const chunks = take(chunkStride * MAX_CHUNKS);
  const reduced = take(chunkStride);
  const scratchStride = align(4 * scratchFloats);
  const scratch = take(scratchStride * MAX_CHUNKS);
  const labels = take(batch);
  const losses = take(8 * MAX_CHUNKS);
  const outputSize = shapeSize(d.shapes[d.shapes.length - 1]);
  const codes = d.codes ? take(4 * d.codes.length * outputSize) : 0;
  let distort: DistortArena | null = null;
  if (distortShape) {
    const { rows, cols, radius } = distortShape;
    const paddedCols = Math.ceil(cols / 4) * 4;
    const stride = (paddedCols + 2 * radius + 3) & ~3;
    // noise Nx, Ny with R zero rows each side; the vertical pass T with R zero columns each side; fields Fx, Fy
    const floats = 2 * (rows + 2 * radius) * paddedCols + rows * stride + 2 * rows * paddedCols;
    const perChunk = align(4 * floats);
    distort = {
      rows, cols, radius, paddedCols, arena: take(64), kernel: take(4 * (2 * radius + 1)),
      params: take(DISTORT_PARAM_BYTES * batch), sources: take(batch * rows * cols),
      scratch: take(perChunk * MAX_CHUNKS), scratchStride: perChunk,
    };
  }
  const plan: Plan = {
    bytes: align(top), batch, inputSize: shapeSize(d.input), outputSize: shapeSize(d.shapes[d.shapes.length - 1]),
    params, grads, paramCount, rates, velocity, chunks, chunkStride, chunkFloats, reduced, scratch, scratchStride, acts, dActs, labels, losses, control,
    layers, loss: d.loss === 'mse' ? 0 : 1, targets: d.targets, codes, classes: d.codes ? d.codes.length : outputSize, constants, distort,
  };
  return plan;
}

/** Writes the plan's constants into a fresh memory. */
export function initialiseMemory(plan: Plan, memory: WebAssembly.Memory, codes: number[][] | null = null): void {
  if (codes && plan.codes) new Float32Array(memory.buffer, plan.codes, codes.length * plan.outputSize).set(codes.flat());
  new Float32Array(memory.buffer, plan.rates, plan.paramCount).fill(1);
  for (const { at, value, count } of plan.constants) new Float32Array(memory.buffer, at, count).fill(value);
}

/** Patterns of chunk c of a batch of B cut into n chunks. */
export function chunkRange(c: number, n: number, B: number): [number, number] {
  return [Math.floor((c * B) / n), Math.floor(((c + 1) * B) / n)];
}

export function chunkCount(B: number): number {
  return Math.min(B, MAX_CHUNKS);
}

/** Layer l's forward pass over patterns [b0, b1), with scratch slot c. */
export function forwardLayer(x: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number): void {
  const L = plan.layers[l];
  const [I, H, W] = L.inShape;
  const [J] = L.outShape;
  const inp = plan.acts[l];
  const out = plan.acts[l + 1];
  switch (L.type) {
    case 'conv':
      x.conv_forward(b0, b1, inp, I, H, W, J, L.kernel, L.w, L.b, L.act, out, plan.scratch + c * plan.scratchStride);
      break;
    case 'subsample':
      x.subsample_forward(b0, b1, inp, I, H, W, L.factor, L.mode, L.w, L.b, L.act, L.downed, out);
      break;
    case 'full':
      x.full_forward(b0, b1, inp, I * H * W, J, L.w, L.b, L.act, out);
      break;
  }
}

/**
 * Layer l's backward pass over patterns [b0, b1) into the gradient buffer at g, with scratch slot c;
 * dx: whether to write ∂E/∂input. deltaReady: the layer above already folded this layer's f' in.
 * Returns whether this layer folded the layer below's f' into its input gradient (§3.1.1: a
 * subsampling layer over a convolution does).
 */
export function backwardLayer(x: WasmExports, plan: Plan, l: number, c: number, b0: number, b1: number, g: number, dx: boolean, deltaReady: boolean): boolean {
  const L = plan.layers[l];
  const [I, H, W] = L.inShape;
  const [J] = L.outShape;
  const dxAt = dx ? plan.dActs[l] : 0;
  const gw = L.gw >= 0 ? g + L.gw : 0;
  const gb = L.gb >= 0 ? g + L.gb : 0;
  switch (L.type) {
    case 'conv': {
      const cols = plan.scratch + c * plan.scratchStride;
      x.conv_backward(b0, b1, plan.acts[l], I, H, W, J, L.kernel, L.w, L.act, plan.acts[l + 1], plan.dActs[l + 1], gw, gb, dxAt, cols, cols + plan.scratchStride / 2, deltaReady ? 1 : 0);
      return false;
    }
    case 'subsample': {
      const prev = dx && l > 0 && plan.layers[l - 1].type === 'conv' ? plan.layers[l - 1] : null;
      x.subsample_backward(b0, b1, I, H, W, L.factor, L.mode, L.w, L.act, plan.acts[l + 1], plan.dActs[l + 1], L.downed, gw, gb, dxAt, prev ? prev.act : 0, prev ? plan.acts[l] : 0);
      return prev !== null;
    }
    case 'full':
      x.full_backward(b0, b1, plan.acts[l], I * H * W, J, L.w, L.act, plan.acts[l + 1], plan.dActs[l + 1], gw, gb, dxAt);
      return false;
  }
}

/** Forward pass of patterns [b0, b1) (chunk c, whose scratch it uses) through every layer. */
export function forwardChunk(x: WasmExports, plan: Plan, c: number, b0: number, b1: number): void {
  for (let l = 0; l < plan.layers.length; l++) forwardLayer(x, plan, l, c, b0, b1);
}

/**
 * Forward, loss and backward of chunk c (patterns [b0, b1) of a batch of B) into chunk c's gradient
 * buffer, which it zeroes first. Returns nothing: the chunk's loss sum goes to losses[c].
 */
export function trainChunk(x: WasmExports, plan: Plan, memory: WebAssembly.Memory, c: number, b0: number, b1: number, B: number, inputGradient: boolean, distort = false): void {
  // each thread distorts its own chunk's patterns into the input first (the host staged their draws)
  if (distort && plan.distort) x.distort_patterns(b0, b1, plan.distort.arena, plan.acts[0], c);
  forwardChunk(x, plan, c, b0, b1);
  const L = plan.layers.length;
  const [off, on] = plan.targets;
  const loss = x.loss_forward_backward(b0, b1, plan.loss, plan.acts[L], plan.labels, plan.outputSize, off, on, 1 / B, plan.dActs[L], plan.codes);
  new Float64Array(memory.buffer, plan.losses, 8)[c] = loss;
  const g = plan.chunks + c * plan.chunkStride;
  new Float32Array(memory.buffer, g, plan.chunkFloats).fill(0);
  let deltaReady = false;
  for (let l = L - 1; l >= 0; l--) deltaReady = backwardLayer(x, plan, l, c, b0, b1, g, l > 0 || inputGradient, deltaReady);
}

/** Job codes of the control block. */
export const JOB = { train: 1, trainWithInput: 2, infer: 3, exit: 4, trainDistorted: 5 } as const;
/** Control block words. */
export const CTRL = { generation: 0, job: 1, batch: 2, threads: 3, done: 4, error: 5 } as const;

/**
 * Patterns per chunk of an inference job. Inference has no gradients to sum, so its chunks can be
 * small: each runs all layers over a few patterns while they are still in cache.
 */
export const INFER_CHUNK = 8;

/** The chunks thread t of T runs for a job on a batch of B (T ≤ MAX_CHUNKS: a scratch slot each). */
export function runShare(x: WasmExports, plan: Plan, memory: WebAssembly.Memory, job: number, B: number, t: number, T: number): void {
  if (job === JOB.infer) {
    const n = Math.ceil(B / INFER_CHUNK);
    for (let c = t; c < n; c += T) forwardChunk(x, plan, t, c * INFER_CHUNK, Math.min(B, (c + 1) * INFER_CHUNK));
    return;
  }
  const n = chunkCount(B);
  for (let c = t; c < n; c += T) {
    const [b0, b1] = chunkRange(c, n, B);
    trainChunk(x, plan, memory, c, b0, b1, B, job === JOB.trainWithInput, job === JOB.trainDistorted);
  }
}

/**
 * A worker thread's life: wait for the control block's generation to change, run this thread's share
 * of the chunks, count itself done; until the exit job. Shared by the Node (worker_threads) and
 * browser (Web Worker) entry points. `ready` is called once the generation it waits on is read, so the
 * first job cannot slip in between (the caller starts jobs only after every worker is ready).
 */
export function workerLoop(x: WasmExports, plan: Plan, memory: WebAssembly.Memory, t: number, ready: () => void, report: (e: unknown) => void): void {
  const ctrl = new Int32Array(memory.buffer, plan.control, 16);
  let generation = Atomics.load(ctrl, CTRL.generation);
  ready();
  for (;;) {
    Atomics.wait(ctrl, CTRL.generation, generation);
    const g = Atomics.load(ctrl, CTRL.generation);
    if (g === generation) continue;
    generation = g;
    const job = Atomics.load(ctrl, CTRL.job);
    if (job === JOB.exit) break;
    // a job may use fewer threads than exist (a batch with fewer chunks): the others sit it out,
    // and do not count themselves done, which would release the caller early
    const T = Atomics.load(ctrl, CTRL.threads);
    if (t >= T) continue;
    try {
      runShare(x, plan, memory, job, Atomics.load(ctrl, CTRL.batch), t, T);
    } catch (e) {
      report(e);
      Atomics.store(ctrl, CTRL.error, 1);
    }
    Atomics.add(ctrl, CTRL.done, 1);
    Atomics.notify(ctrl, CTRL.done);
  }
}
