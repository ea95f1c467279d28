// The fast path's memory plan: where every tensor lives in the one WebAssembly memory. (The work of
// one chunk of a batch is in chunk.ts; the worker threads' loop in threads.ts.)
//
// Every tensor of a network (parameters, gradients, activations, sensitivities, scratch, per-chunk
// gradients, labels) is laid out once in one WebAssembly memory, sized from the description and the
// batch capacity. JS keeps only offsets; nothing is allocated per step.
//
// Every chunk of a batch (chunk.ts) has its own gradient buffer and scratch: MAX_CHUNKS of each.
//
// The plan is plain data (numbers and arrays), so it can be posted to worker threads.

import type { ResolvedDescription } from '../network/description.js';
import { activationCode } from '../network/activation.js';
import { compileConnections } from '../network/connections.js';
import { shapeSize } from '../network/description.js';
import { unitRatesOf, type ParamKind, type ParamView } from '../layers/layer.js';
import { paramOf } from '../model/views.js';
import { ACT_IDENTITY, DOWN_DECIMATE, DOWN_MAX, DOWN_SUM, LOSS_CROSS_ENTROPY, LOSS_MSE, PATTERN_WORDS, WINO_BYTES, WINO_MATS, WINO_U } from './abi-constants.js';
import { convScratchFloats, HEAP_BASE } from './abi.js';
import { chunkCount, MAX_CHUNKS } from './chunk.js';
import { chooseConvAlgorithm, winogradLayout, winogradTiles, type ConvAlgorithm, type ConvShape } from './conv-algorithm.js';
import { dropoutThreshold } from '../layers/dropout.js';

/** One layer as the wasm kernels see it: what it reads, where its gradients go (chunk-relative). */
export interface PlannedLayer {
  type: 'conv' | 'subsample' | 'full' | 'batchnorm' | 'dropout';
  /** For learned combinations (run as a convolution over effective kernels α_ij·k). */
  combination: boolean;
  /**
   * Convolutions read one dense kernel matrix [J][I·K²]. With the `all` table that is the parameters
   * themselves; otherwise (a sparse table, learned combinations) it is a copy the host keeps up to date,
   * and `denseIndex[c]` is where connection c's kernel sits in it (j·I + i).
   */
  denseCopy: boolean;
  denseIndex: Int32Array | null;
  /** ACT_* (abi-constants.ts). */
  act: number;
  inShape: [number, number, number];
  outShape: [number, number, number];
  /** Convolutions: K, the zero padding P on every side and the stride s (0 and 1: the notes' valid convolution). */
  kernelSize: number;
  pad: number;
  stride: number;
  /** Subsampling: n, and DOWN_SUM, DOWN_DECIMATE or DOWN_MAX. */
  factor: number;
  mode: number;
  /**
   * Byte addresses of what the kernels read as the layer's weights (kernel matrix, β or W: parameters,
   * effective kernels or constants) and biases.
   */
  weightsAt: number;
  biasesAt: number;
  /** Byte offsets, within a chunk's gradient buffer, of ∂E/∂weights and ∂E/∂biases (−1: none). */
  weightGradAt: number;
  biasGradAt: number;
  /** Element counts of weights and biases (for the reduction). */
  weightCount: number;
  biasCount: number;
  /** Subsampling: saved down(x). */
  downed: number;
  /** Batch normalisation's statistics (weights: γ, biases: β), or null. */
  norm: PlannedNorm | null;
  /** Dropout: draws below `threshold` (of 2^24) are dropped, kept values scaled by `keep`; or null. */
  dropout: { threshold: number; keep: number } | null;
  /** Convolutions: the algorithm they run (conv-algorithm.ts). */
  algorithm: ConvAlgorithm | null;
  /** A Winograd convolution's descriptor, or null. */
  winograd: PlannedWinograd | null;
}

/**
 * A Winograd convolution (WINO_* in abi-constants.ts): its descriptor (with float64 work after the
 * words), G and the transformed kernels U; within a chunk's gradients, where its ∂U [α²][J][I] is summed
 * (in place of ∂E/∂k, which the host makes from the batch's ∂U); what initialiseMemory writes.
 */
export interface PlannedWinograd {
  m: number;
  desc: number;
  mats: number;
  U: number;
  gradAt: number;
  transformedFloats: number;
  words: number[];
  transforms: number[];
}

/** Picks each convolution's algorithm (chooseConvAlgorithm by default; the tests force each one). */
export type AlgorithmChoice = (shape: ConvShape, layer: number) => ConvAlgorithm;

/**
 * Where a batch normalisation keeps its numbers (float64 [C][k] arrays): the batch's statistics
 * (mean, variance, 1/√(variance + ε)) and the running averages' (inference), each chunk's partial sums
 * (forward: mean and M2; backward: Σδ and Σδx̂), and the batch's totals of the backward ones.
 */
export interface PlannedNorm {
  epsilon: number;
  momentum: number;
  stats: number;
  inferStats: number;
  partials: number;
  totals: number;
  /** The running averages' addresses in the parameters (float32). */
  runningMean: number;
  runningVar: number;
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
  /** r_k = 1 for every parameter: the rates of a plain step θ ← θ − η g (trainStep). */
  unitRates: number;
  velocity: number;
  /** Adam's first and second moments m and v, same layout as params. */
  moment1: number;
  moment2: number;
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
  /** LOSS_MSE or LOSS_CROSS_ENTROPY (abi-constants.ts). */
  loss: number;
  targets: [number, number];
  /** Label smoothing ε of the cross-entropy (0: none). */
  labelSmoothing: number;
  /** Class codes [classes][outputs] (0: one output per class) and how many classes there are. */
  codes: number;
  classes: number;
  /** Written once into a fresh memory: constant β / b arrays. */
  constants: { at: number; value: number; count: number }[];
  /** Where the threads distort their own patterns (assembly/augment.ts), if laid out for it. */
  distort: DistortArena | null;
  /** Where the threads make their own patterns' input from staged bytes (assembly/dataset.ts), if laid out for it. */
  stage: StageArea | null;
  /** The batch normalisation layers, in order: a training job runs in 2·normLayers.length + 1 phases (chunk.ts). */
  normLayers: number[];
  /** Dropout's seed (the network's), and the uint32 word holding the update number the masks are drawn for. */
  seed: number;
  step: number;
}

/** rows×cols uint8 images of `channels` channels of a batch, staged for the threads, and the 256 input values of each channel's levels; the input's maps are height×width. */
export interface StageArea {
  channels: number;
  rows: number;
  cols: number;
  height: number;
  width: number;
  sources: number;
  table: number;
}

/** Patterns of rows×cols distorted with a Gaussian of radius R: what the arena is sized for. */
export interface DistortShape {
  rows: number;
  cols: number;
  radius: number;
}

/** The distortion arena (its header and per-pattern words: ARENA_*, PATTERN_* in abi-constants.ts): header, Gaussian taps, per-pattern draws, sources, per-chunk scratch. */
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
export const DISTORT_PARAM_BYTES = 4 * PATTERN_WORDS;

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

/** Lays out every tensor of `d`, whose parameters are `views` (paramViews), for batches of up to `batch` patterns. */
export function makePlan(
  d: ResolvedDescription, batch: number, views: readonly ParamView[], distortShape: DistortShape | null = null,
  stageShape: { rows: number; cols: number; channels?: number } | null = null, seed: number = d.seed, choose: AlgorithmChoice = chooseConvAlgorithm,
): Plan {
  let top = HEAP_BASE;
  const take = (bytes: number): number => {
    const p = align(top);
    top = p + bytes;
    return p;
  };
  const control = take(64);
  const paramCount = views.reduce((n, v) => n + v.length, 0);
  const params = take(4 * paramCount);
  const grads = take(4 * paramCount);
  const rates = take(4 * paramCount);
  const velocity = take(4 * paramCount);
  const moment1 = take(4 * paramCount);
  const moment2 = take(4 * paramCount);
  const unitRates = take(4 * paramCount);
  /** Byte address of layer ℓ's parameter of this kind. */
  const at = (l: number, kind: ParamKind): number => {
    const v = paramOf(views, l, kind);
    if (!v) throw new Error(`makePlan: layer ${l} has no ${kind} parameter`);
    return params + 4 * v.offset;
  };

  const layers: PlannedLayer[] = [];
  const constants: Plan['constants'] = [];
  let chunkFloats = 0;
  let scratchFloats = 4;
  const grad = (n: number): number => {
    const o = chunkFloats * 4;
    chunkFloats += (n + 15) & ~15;
    return o;
  };
  const normLayers: number[] = [];
  let shape = d.input;
  d.layers.forEach((spec, l) => {
    const inShape: [number, number, number] = [shape[0], shape[1], shape[2]];
    const outShape = d.shapes[l] as [number, number, number];
    const base = {
      act: ACT_IDENTITY as number, inShape, outShape, kernelSize: 0, pad: 0, stride: 1, factor: 0, mode: DOWN_SUM as number,
      weightsAt: 0, biasesAt: 0, weightGradAt: -1, biasGradAt: -1, weightCount: 0, biasCount: 0, downed: 0,
      combination: false, denseCopy: false, denseIndex: null, norm: null, dropout: null, algorithm: null, winograd: null,
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
        const weightCount = spec.maps * I * KK;
        const shape: ConvShape = { I, H: inShape[1], W: inShape[2], J: spec.maps, K: spec.kernel, pad: spec.pad, stride: spec.stride };
        const algorithm = choose(shape, l);
        if (algorithm.kind === 'winograd' && (shape.stride !== 1 || !winogradTiles(shape.K).includes(algorithm.m))) {
          throw new RangeError(`layers[${l}] (${spec.type} "${spec.name}"): convAlgorithm gave winograd F(${algorithm.m}×${algorithm.m}, ${shape.K}×${shape.K}); expected im2col, or winograd at stride 1 with m in ${JSON.stringify(winogradTiles(shape.K))}`);
        }
        let winograd: PlannedWinograd | null = null;
        if (algorithm.kind === 'winograd') {
          const layout = winogradLayout(shape, algorithm.m, Math.ceil(batch / chunkCount(batch)));
          winograd = {
            m: algorithm.m, desc: take(WINO_BYTES), mats: take(4 * layout.transforms.length), U: take(4 * layout.transformedFloats),
            gradAt: grad(layout.transformedFloats), transformedFloats: layout.transformedFloats, words: layout.words, transforms: layout.transforms,
          };
          scratchFloats = Math.max(scratchFloats, layout.scratchFloats);
        } else {
          scratchFloats = Math.max(scratchFloats, 2 * convScratchFloats(I, inShape[1], inShape[2], spec.kernel, spec.pad, spec.stride));
        }
        layers.push({
          ...base, type: 'conv', combination, act: activationCode(spec.activation), kernelSize: spec.kernel, pad: spec.pad, stride: spec.stride,
          weightsAt: all ? at(l, 'kernel') : take(4 * weightCount), biasesAt: at(l, 'convBias'),
          weightGradAt: grad(weightCount), biasGradAt: grad(spec.maps), weightCount, biasCount: spec.maps, denseCopy: !all, denseIndex,
          algorithm, winograd,
        });
        break;
      }
      case 'subsample': {
        const J = inShape[0];
        const trainable = spec.beta === 'trainable';
        // a fixed β, or no biases: constant arrays the same kernels read
        const weightsAt = trainable ? at(l, 'beta') : take(4 * J);
        const biasesAt = spec.bias ? at(l, 'subsampleBias') : take(4 * J);
        if (!trainable) constants.push({ at: weightsAt, value: spec.betaInit, count: J });
        if (!spec.bias) constants.push({ at: biasesAt, value: 0, count: J });
        layers.push({
          ...base, type: 'subsample', act: activationCode(spec.activation), factor: spec.factor,
          mode: spec.down === 'sum' ? DOWN_SUM : spec.down === 'max' ? DOWN_MAX : DOWN_DECIMATE, weightsAt, biasesAt,
          weightGradAt: trainable ? grad(J) : -1, biasGradAt: spec.bias ? grad(J) : -1,
          weightCount: trainable ? J : 0, biasCount: spec.bias ? J : 0,
          downed: take(4 * batch * shapeSize(outShape)),
        });
        break;
      }
      case 'full': {
        const N = shapeSize(inShape);
        layers.push({
          ...base, type: 'full', act: activationCode(spec.activation), weightsAt: at(l, 'weights'), biasesAt: at(l, 'bias'),
          weightGradAt: grad(N * spec.units), biasGradAt: grad(spec.units), weightCount: N * spec.units, biasCount: spec.units,
        });
        break;
      }
      case 'batchnorm': {
        const C = inShape[0];
        const norm: PlannedNorm = {
          epsilon: spec.epsilon, momentum: spec.momentum, stats: take(8 * 3 * C), inferStats: take(8 * 3 * C),
          partials: take(8 * 2 * C * MAX_CHUNKS), totals: take(8 * 2 * C),
          runningMean: at(l, 'runningMean'), runningVar: at(l, 'runningVar'),
        };
        normLayers.push(l);
        layers.push({
          ...base, type: 'batchnorm', act: activationCode(spec.activation), weightsAt: at(l, 'scale'), biasesAt: at(l, 'shift'),
          weightGradAt: grad(C), biasGradAt: grad(C), weightCount: C, biasCount: C, norm,
        });
        break;
      }
      case 'dropout':
        layers.push({ ...base, type: 'dropout', dropout: { threshold: dropoutThreshold(spec.rate), keep: Math.fround(1 / (1 - spec.rate)) } });
        break;
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
  const step = take(8);
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
  const stageChannels = stageShape?.channels ?? 1;
  const stage: StageArea | null = stageShape && d.input[0] === stageChannels && stageShape.rows <= d.input[1] && stageShape.cols <= d.input[2] ? {
    channels: stageChannels, rows: stageShape.rows, cols: stageShape.cols, height: d.input[1], width: d.input[2],
    sources: take(batch * stageChannels * stageShape.rows * stageShape.cols), table: take(4 * 256 * stageChannels),
  } : null;
  const plan: Plan = {
    bytes: align(top), batch, inputSize: shapeSize(d.input), outputSize: shapeSize(d.shapes[d.shapes.length - 1]),
    params, grads, paramCount, rates, velocity, moment1, moment2, unitRates, chunks, chunkStride, chunkFloats, reduced, scratch, scratchStride, acts, dActs, labels, losses, control,
    layers, loss: d.loss === 'mse' ? LOSS_MSE : LOSS_CROSS_ENTROPY, targets: d.targets, labelSmoothing: d.labelSmoothing ?? 0, codes, classes: d.codes ? d.codes.length : outputSize, constants, distort, stage,
    normLayers, seed, step,
  };
  return plan;
}

/** Writes the plan's constants into a fresh memory. */
export function initialiseMemory(plan: Plan, memory: WebAssembly.Memory, views: readonly ParamView[], codes: number[][] | null = null): void {
  if (codes && plan.codes) new Float32Array(memory.buffer, plan.codes, codes.length * plan.outputSize).set(codes.flat());
  unitRatesOf(views, new Float32Array(memory.buffer, plan.rates, plan.paramCount));
  unitRatesOf(views, new Float32Array(memory.buffer, plan.unitRates, plan.paramCount));
  for (const { at, value, count } of plan.constants) new Float32Array(memory.buffer, at, count).fill(value);
  for (const layer of plan.layers) {
    const w = layer.winograd;
    if (!w) continue;
    const words = new Int32Array(memory.buffer, w.desc, w.words.length);
    words.set(w.words);
    words[WINO_MATS] = w.mats;
    words[WINO_U] = w.U;
    new Float32Array(memory.buffer, w.mats, w.transforms.length).set(w.transforms);
  }
}
