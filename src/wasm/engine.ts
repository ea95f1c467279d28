// The fast path: a network run by the float32 WebAssembly SIMD kernels over one memory, on one or
// more threads. Same description, same flat parameter layout and same initial values as the float64
// reference `Network` (from which it takes them), so the two can be compared number by number.

import { resolveDescription, isResolvedDescription, type NetworkDescription, type PenaltySpec, type ResolvedDescription } from '../network/description.js';
import type { ParamView } from '../layers/layer.js';
import { combinationPenalty, softmaxBackwardRow, softmaxRows } from '../layers/combination.js';
import { checkStatisticsCount } from '../layers/batchnorm.js';
import type { Labels } from '../network/loss.js';
import { Network } from '../network/network.js';
import { createMemory, instantiate, loadKernelsModule, sharedMemorySupported, type WasmExports, type WasmKernelsModule } from './module.js';
import { nodeBuiltin } from './abi.js';
import workerSource from '../../wasm/worker-web.js';
import { checkPlanFits, DISTORT_PARAM_BYTES, initialiseMemory, makePlan, type AlgorithmChoice, type DistortShape, type Plan, type PlannedLayer } from './plan.js';
import { backwardLayer, chunkCount, chunkViews, forwardLayer, INFER_CHUNK, JOB, MAX_CHUNKS, runShare, trainPhases, type ChunkViews } from './chunk.js';
import { CTRL } from './threads.js';
import { paramOf } from '../model/views.js';
import type { ParamKind } from '../layers/layer.js';
import {
  ARENA_BACKGROUND, ARENA_COLS, ARENA_ELASTIC, ARENA_HEIGHT, ARENA_KERNEL, ARENA_LEFT, ARENA_PADDED_COLS, ARENA_PARAMS, ARENA_RADIUS,
  ARENA_ROWS, ARENA_SCALE, ARENA_SCRATCH, ARENA_SCRATCH_STRIDE, ARENA_SOURCES, ARENA_TOP, ARENA_WIDTH, ARENA_WORDS,
  DY_GRADIENT, PATTERN_A00, PATTERN_ALPHA, PATTERN_STATE, PATTERN_WORDS,
} from './abi-constants.js';
import { Augmenter } from '../data/augment.js';
import { channelNormalisation, channelsOf, levelValues, type Dataset, type Normalisation } from '../data/dataset.js';
import { DataError } from '../data/idx.js';
import { checkBackendOptions, type DistortingNetwork, type StagingNetwork } from '../network/backend.js';
import { adamCorrections, checkAdam, checkUpdate, type AdamSettings } from '../train/update.js';
import * as check from '../util/validate.js';

export interface FastNetworkOptions {
  /** Largest batch the network will be given (memory is laid out for it once). */
  batch: number;
  /** Threads, the calling one included (default: the available cores; 1 without shared memory). */
  threads?: number;
  /** Overrides the description's seed for initialisation. */
  seed?: number;
  /** Use the relaxed-SIMD (fused multiply-add) kernels where the engine has them (default true). */
  relaxedSimd?: boolean;
  /** Lay out room for the threads to distort rows×cols patterns themselves (stageDistortedBatch). */
  distort?: DistortShape;
  /** Lay out room for the threads to make their own patterns' input from channels×rows×cols bytes (stageBatch; channels default 1). */
  stage?: { rows: number; cols: number; channels?: number };
  /**
   * Each convolution's algorithm, im2col or Winograd tiles (default: chooseConvAlgorithm's cost model;
   * conv-algorithm.ts). The tests force each one; a stride other than 1 always runs im2col.
   */
  convAlgorithm?: AlgorithmChoice;
}

interface CombinationState {
  layer: number;
  I: number;
  J: number;
  KK: number;
  shared: boolean;
  kernel: ParamView;
  c: ParamView;
  penalty: Required<PenaltySpec>;
  /** α_j = softmax(c_j) per output map, [J][I], and ∂E/∂α (then the penalty's ∂Ω/∂α), [J][I]. */
  alpha: Float64Array;
  gAlpha: Float64Array;
  /** Preallocated once: c in float64, ∂E/∂k and ∂E/∂c in float64, views of the wasm buffers. */
  c64: Float64Array;
  dk: Float64Array;
  dc: Float64Array;
  /** Effective kernels α_ij·k_src(i,j), [J][I][K][K], read by the convolution kernels; their gradient. */
  eff: Float32Array;
  gEff: Float32Array;
}

/** A convolution with a sparse connection table: its kernels scattered into a dense matrix. */
interface SparseState {
  kernel: ParamView;
  KK: number;
  denseIndex: Int32Array;
  /** Views of the dense kernel matrix and of its reduced gradient. */
  dense: Float32Array;
  gDense: Float32Array;
}

interface Segment {
  /** Byte offset within a chunk buffer, element count, destination address. */
  from: number;
  count: number;
  to: number;
}

/** A batch normalisation layer's numbers, as the host reads and writes them. */
interface NormState {
  layer: number;
  name: string;
  /** Maps, and values per map of one pattern. */
  C: number;
  S: number;
  momentum: number;
  epsilon: number;
  /** The batch's (mean, variance, 1/√(variance + ε)) per map, and the running averages' for inference. */
  stats: Float64Array;
  inferStats: Float64Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

type WorkerLike = { terminate(): Promise<number> | void; postMessage(m: unknown): void };

export class FastNetwork implements DistortingNetwork, StagingNetwork {
  readonly backend = 'wasm' as const;
  readonly description: ResolvedDescription;
  readonly views: ParamView[];
  readonly plan: Plan;
  readonly memory: WebAssembly.Memory;
  readonly threads: number;
  /** Why fewer threads than asked for run, if so. */
  readonly notice: string | null;
  /** Whether the fused multiply-add (relaxed SIMD) kernels run. */
  readonly relaxedSimd: boolean;
  /** Parameters, same layout as Network.params (a view of the wasm memory). */
  readonly params: Float32Array;
  /** ∂Ẽ/∂params of the last computeGradients / trainStep. */
  readonly grads: Float32Array;
  /** §4.2 per-parameter rate multipliers (1 until set: per-layer rates, SDLM's 1/(μ + h_kk)). */
  readonly rates: Float32Array;
  /** Momentum velocities (zero until the first update with momentum). */
  readonly velocity: Float32Array;
  /** Adam's first and second moments m and v (zero until the first Adam update). */
  readonly moment1: Float32Array;
  readonly moment2: Float32Array;
  private readonly wasm: WasmExports;
  private readonly combinations: CombinationState[];
  private readonly sparse: SparseState[];
  /** Winograd convolutions: their layer, and where the batch's ∂U is summed and its ∂E/∂k goes. */
  private readonly winograds: { layer: PlannedLayer; dU: number; dK: number }[];
  private readonly segments: Segment[];
  private readonly norms: NormState[];
  /** The update whose dropout masks the training passes draw (the trainer sets it before each step). */
  step = 0;
  private readonly control: Int32Array;
  /** The control block's next-chunk word, which the threads claim chunks from. */
  private readonly nextChunk: Int32Array;
  private readonly chunkMemory: ChunkViews;
  /** Full-capacity views of the input, output and label slots (made once: no allocation per step). */
  private readonly inputSlot: Float32Array;
  private readonly outputSlot: Float32Array;
  private readonly labelSlot: Uint8Array;
  private workers: WorkerLike[] = [];
  private lastBatch = 0;
  private distortStaged = false;
  private batchStaged = false;
  /** The staged bytes and the 256-level table (null: no room laid out), and the normalisation the table holds. */
  private readonly stageViews: { sources: Uint8Array; table: Float32Array } | null;
  /** The distortion arena's header, taps, sources and per-pattern draws (null: no arena). */
  private readonly distortViews: {
    head: Int32Array; headF: Float32Array; taps: Float32Array; sources: Uint8Array; pf: Float32Array; pu: Uint32Array;
  } | null;

  private constructor(
    d: ResolvedDescription, views: ParamView[], plan: Plan, memory: WebAssembly.Memory,
    wasm: WasmExports, threads: number, notice: string | null, relaxedSimd: boolean,
  ) {
    this.relaxedSimd = relaxedSimd;
    this.description = d;
    this.views = views;
    this.plan = plan;
    this.memory = memory;
    this.wasm = wasm;
    this.threads = threads;
    this.notice = notice;
    this.params = new Float32Array(memory.buffer, plan.params, plan.paramCount);
    this.grads = new Float32Array(memory.buffer, plan.grads, plan.paramCount);
    this.rates = new Float32Array(memory.buffer, plan.rates, plan.paramCount);
    this.velocity = new Float32Array(memory.buffer, plan.velocity, plan.paramCount);
    this.moment1 = new Float32Array(memory.buffer, plan.moment1, plan.paramCount);
    this.moment2 = new Float32Array(memory.buffer, plan.moment2, plan.paramCount);
    this.control = new Int32Array(memory.buffer, plan.control, 16);
    this.nextChunk = this.control.subarray(CTRL.next, CTRL.next + 1);
    // the chunks' losses and gradient buffers, and the word of dropout's update number (chunk.ts)
    this.chunkMemory = chunkViews(plan, memory);
    this.inputSlot = new Float32Array(memory.buffer, plan.acts[0], plan.batch * plan.inputSize);
    this.outputSlot = new Float32Array(memory.buffer, plan.acts[plan.layers.length], plan.batch * plan.outputSize);
    this.labelSlot = new Uint8Array(memory.buffer, plan.labels, plan.batch);
    const A = plan.distort;
    this.distortViews = A && {
      head: new Int32Array(memory.buffer, A.arena, ARENA_WORDS),
      headF: new Float32Array(memory.buffer, A.arena, ARENA_WORDS),
      taps: new Float32Array(memory.buffer, A.kernel, 2 * A.radius + 1),
      sources: new Uint8Array(memory.buffer, A.sources, plan.batch * A.rows * A.cols),
      pf: new Float32Array(memory.buffer, A.params, (plan.batch * DISTORT_PARAM_BYTES) / 4),
      pu: new Uint32Array(memory.buffer, A.params, (plan.batch * DISTORT_PARAM_BYTES) / 4),
    };
    const S = plan.stage;
    this.stageViews = S && {
      sources: new Uint8Array(memory.buffer, S.sources, plan.batch * S.channels * S.rows * S.cols),
      table: new Float32Array(memory.buffer, S.table, 256 * S.channels),
    };
    this.norms = plan.normLayers.map((l) => {
      const layer = plan.layers[l];
      const norm = layer.norm!;
      const [C, H, W] = layer.inShape;
      return {
        layer: l, name: d.layers[l].name, C, S: H * W, momentum: norm.momentum, epsilon: norm.epsilon,
        stats: new Float64Array(memory.buffer, norm.stats, 3 * C), inferStats: new Float64Array(memory.buffer, norm.inferStats, 3 * C),
        runningMean: new Float32Array(memory.buffer, norm.runningMean, C), runningVar: new Float32Array(memory.buffer, norm.runningVar, C),
      };
    });
    this.combinations = [];
    this.sparse = [];
    this.segments = [];
    const param = (l: number, kind: ParamKind): ParamView => {
      const v = paramOf(views, l, kind);
      if (!v) throw new Error(`FastNetwork: layer ${l} has no ${kind} parameter`);
      return v;
    };
    // where each layer's reduced gradients go: its parameters' slices of grads, or (kernels the host
    // derives: effective, dense) a buffer the host maps back
    plan.layers.forEach((layer, l) => {
      const spec = d.layers[l];
      if (layer.combination) {
        if (spec.type !== 'combination') throw new Error('plan and description disagree');
        const I = layer.inShape[0];
        const J = layer.outShape[0];
        const kernel = param(l, 'kernel');
        const KK = layer.kernelSize * layer.kernelSize;
        this.combinations.push({
          layer: l, I, J, KK, shared: spec.kernels === 'shared',
          kernel, c: param(l, 'c'),
          penalty: spec.penalty, alpha: new Float64Array(I * J), gAlpha: new Float64Array(I * J),
          c64: new Float64Array(I * J), dk: new Float64Array(kernel.length), dc: new Float64Array(I * J),
          eff: new Float32Array(memory.buffer, layer.weightsAt, J * I * KK),
          gEff: new Float32Array(memory.buffer, plan.reduced + layer.weightGradAt, J * I * KK),
        });
        this.segments.push({ from: layer.weightGradAt, count: layer.weightCount, to: plan.reduced + layer.weightGradAt });
        this.segments.push({ from: layer.biasGradAt, count: layer.biasCount, to: plan.grads + 4 * param(l, 'convBias').offset });
        return;
      }
      if (layer.denseCopy && layer.denseIndex) {
        this.sparse.push({
          kernel: param(l, 'kernel'), KK: layer.kernelSize * layer.kernelSize, denseIndex: layer.denseIndex,
          dense: new Float32Array(memory.buffer, layer.weightsAt, layer.weightCount),
          gDense: new Float32Array(memory.buffer, plan.reduced + layer.weightGradAt, layer.weightCount),
        });
        this.segments.push({ from: layer.weightGradAt, count: layer.weightCount, to: plan.reduced + layer.weightGradAt });
        this.segments.push({ from: layer.biasGradAt, count: layer.biasCount, to: plan.grads + 4 * param(l, 'convBias').offset });
        return;
      }
      const [weightKind, biasKind]: [ParamKind, ParamKind] = spec.type === 'conv' ? ['kernel', 'convBias']
        : spec.type === 'subsample' ? ['beta', 'subsampleBias'] : spec.type === 'batchnorm' ? ['scale', 'shift'] : ['weights', 'bias'];
      if (layer.weightGradAt >= 0) this.segments.push({ from: layer.weightGradAt, count: layer.weightCount, to: plan.grads + 4 * param(l, weightKind).offset });
      if (layer.biasGradAt >= 0) this.segments.push({ from: layer.biasGradAt, count: layer.biasCount, to: plan.grads + 4 * param(l, biasKind).offset });
    });
    // a Winograd convolution's chunks leave ∂U (the tiles' domain), not ∂E/∂k: the chunks' ∂U are
    // summed, then transformed once into where ∂E/∂k would have been summed
    this.winograds = [];
    for (const layer of plan.layers) {
      const w = layer.winograd;
      if (!w) continue;
      const segment = this.segments.find((g) => g.from === layer.weightGradAt)!;
      this.winograds.push({ layer, dU: plan.reduced + w.gradAt, dK: segment.to });
      segment.from = w.gradAt;
      segment.count = w.transformedFloats;
      segment.to = plan.reduced + w.gradAt;
    }
  }

  /** Builds the fast network of a description: memory laid out, parameters initialised, threads started. */
  static async create(description: NetworkDescription | ResolvedDescription | unknown, options: FastNetworkOptions): Promise<FastNetwork> {
    const d = isResolvedDescription(description) ? description : resolveDescription(description);
    checkBackendOptions(options);
    const reference = new Network(d, options.seed === undefined ? {} : { seed: options.seed });
    const plan = makePlan(d, options.batch, reference.views, options.distort ?? null, options.stage ?? null, d.seed, options.convAlgorithm);
    checkPlanFits(plan, d.name);

    const wanted = options.threads ?? (await defaultThreads());
    check.integer(wanted, 'threads', 1);
    const shared = sharedMemorySupported();
    // More threads than chunks would idle (and each thread owns one scratch slot). The calling thread
    // waits for the others with Atomics.wait, which a browser's main thread may not do: there the
    // network must run inside a Web Worker to use threads.
    const canWait = isNode() || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
    const threads = shared && canWait ? Math.min(wanted, MAX_CHUNKS) : 1;
    const notice = wanted <= 1 ? null
      : !shared ? 'shared memory is unavailable here (no cross-origin isolation): running on one thread'
      : !canWait ? 'a page\'s main thread cannot wait for workers: running on one thread (run the network in a Web Worker to use threads)'
      : null;
    const module = await loadKernelsModule(shared, options.relaxedSimd ?? true);
    const memory = createMemory(plan.bytes, shared);
    initialiseMemory(plan, memory, reference.views, d.codes);
    const net = new FastNetwork(d, reference.views, plan, memory, instantiate(module, memory), threads, notice, module.relaxed);
    net.setParams(reference.params);
    if (threads > 1) await net.startWorkers(module);
    return net;
  }

  private async startWorkers(module: WasmKernelsModule): Promise<void> {
    const ready: Promise<void>[] = [];
    if (isNode()) {
      const { Worker } = await nodeBuiltin<typeof import('node:worker_threads')>('worker_threads');
      const url = new URL(/* @vite-ignore */ '../../dist/wasm/worker.js', import.meta.url);
      // Not the parent's --input-type/--eval flags: they would apply to the worker's file too.
      const execArgv = process.execArgv.filter((a) => !/^--(input-type|eval|print)\b|^-[ep]$/.test(a));
      for (let t = 1; t < this.threads; t++) {
        const w = new Worker(url, { workerData: { module: module.module, memory: this.memory, plan: this.plan, t }, execArgv });
        ready.push(new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }));
        this.workers.push(w);
      }
      await Promise.all(ready);
      // Idle workers wait inside Atomics.wait; they must not keep the process alive.
      for (const w of this.workers) (w as unknown as { unref(): void }).unref();
      return;
    }
    // Browsers: Web Workers running wasm/worker-web.js, src/wasm/worker-web.ts bundled into one script
    // (scripts/build-wasm.mjs), started from a Blob URL. Its source is an ordinary import, so it is found
    // wherever the package ends up (a Vite dev server's .vite/deps/, a bundle, a CDN on another origin),
    // which a worker file beside this one, located with `new URL(…, import.meta.url)`, is not.
    const url = URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' }));
    try {
      for (let t = 1; t < this.threads; t++) {
        const w = new Worker(url, { name: `convnotes ${t}` });
        ready.push(new Promise((resolve, reject) => {
          w.onmessage = () => resolve();
          w.onerror = (e) => reject(new Error(`convnotes worker ${t}: ${e.message}`));
        }));
        w.postMessage({ module: module.module, memory: this.memory, plan: this.plan, t });
        this.workers.push(w);
      }
      await Promise.all(ready);
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  /** Values per pattern of input and of output; the largest batch the memory was laid out for. */
  get inputSize(): number {
    return this.plan.inputSize;
  }

  get outputSize(): number {
    return this.plan.outputSize;
  }

  /** Classes the network tells apart: its outputs, or its class codes. */
  get classes(): number {
    return this.plan.classes;
  }

  /** The largest batch the memory was laid out for. */
  get maxBatch(): number {
    return this.plan.batch;
  }

  /** Copies parameters in (from a reference Network's params, a saved model, …). */
  setParams(p: ArrayLike<number>): void {
    check.numbers(p, 'params', 0, `${this.params.length} parameter values`);
    if (p.length !== this.params.length) throw new check.ArgumentError('params', `expected ${this.params.length} values, got ${p.length}`);
    this.params.set(p);
    this.refreshEffectiveKernels();
  }

  /** The input slot of the memory, [batch][maps][h][w]: fill it in place to avoid a copy. */
  inputView(batch = this.plan.batch): Float32Array {
    check.batchSize(batch, 'batch', this.plan.batch);
    return batch === this.plan.batch ? this.inputSlot : this.inputSlot.subarray(0, batch * this.plan.inputSize);
  }

  /** Output of layer ℓ for the last pass. */
  activation(layer: number): Float32Array {
    check.integer(layer, 'layer', 0, this.plan.layers.length - 1);
    const size = this.plan.layers[layer].outShape.reduce((a, b) => a * b, 1);
    return new Float32Array(this.memory.buffer, this.plan.acts[layer + 1], this.lastBatch * size);
  }

  /** Whether stageDistortedBatch can be used (the network was created with `distort`). */
  get canDistort(): boolean {
    return this.plan.distort !== null;
  }

  /**
   * Stages patterns order[start … start+batch) of `data` with their distortions' draws
   * (draws[b·Augmenter.DRAW …], see Augmenter.draw) and the augmenter's Gaussian taps and α: the next
   * computeGradients with input null has every thread distort its own chunk into the input
   * (assembly/augment.ts) before its forward pass. Normalised and centred as fillBatch does.
   */
  stageDistortedBatch(
    data: Dataset, order: ArrayLike<number>, start: number, batch: number, norm: Normalisation,
    draws: Float64Array, augmenter: Augmenter,
  ): void {
    const A = this.plan.distort;
    const views = this.distortViews;
    if (!A || !views) throw new Error('stageDistortedBatch: this network was not laid out for distortions (create it with the distort option)');
    const [maps, height, width] = this.description.input;
    const { rows, cols } = data;
    if (rows !== A.rows || cols !== A.cols) throw new DataError(data.source, `images are ${rows}×${cols}; the network's distortion arena was laid out for ${A.rows}×${A.cols}`);
    if (maps !== 1 || rows > height || cols > width) throw new DataError(data.source, `images are 1×${rows}×${cols}, which do not fit the network's ${maps}×${height}×${width} input`);
    const { kernel } = augmenter;
    if (kernel.length !== 2 * A.radius + 1) throw new RangeError(`the augmenter's Gaussian has ${kernel.length} taps; the arena was laid out for ${2 * A.radius + 1}`);
    check.batchSize(batch, 'batch', this.plan.batch);
    const alpha = augmenter.spec.elastic?.alpha ?? 0;
    const { head, headF, taps, sources, pf, pu } = views;
    head[ARENA_ROWS] = rows; head[ARENA_COLS] = cols; head[ARENA_HEIGHT] = height; head[ARENA_WIDTH] = width;
    head[ARENA_TOP] = (height - rows) >> 1; head[ARENA_LEFT] = (width - cols) >> 1;
    head[ARENA_RADIUS] = A.radius; head[ARENA_ELASTIC] = alpha !== 0 ? 1 : 0;
    headF[ARENA_BACKGROUND] = norm.background; headF[ARENA_SCALE] = (norm.foreground - norm.background) / 255;
    head[ARENA_KERNEL] = A.kernel; head[ARENA_PARAMS] = A.params; head[ARENA_SOURCES] = A.sources;
    head[ARENA_SCRATCH] = A.scratch; head[ARENA_SCRATCH_STRIDE] = A.scratchStride; head[ARENA_PADDED_COLS] = A.paddedCols;
    taps.set(kernel);
    const size = rows * cols;
    const D = Augmenter.DRAW;
    for (let b = 0; b < batch; b++) {
      const n = order[start + b];
      const at = b * PATTERN_WORDS;
      sources.set(data.images.subarray(n * size, (n + 1) * size), b * size);
      // draws: A (a00 a01 a10 a11) and t (tx ty), then the noise's four state words (Augmenter.draw)
      for (let k = 0; k < 6; k++) pf[at + PATTERN_A00 + k] = draws[b * D + k];
      pf[at + PATTERN_ALPHA] = alpha;
      for (let k = 0; k < 4; k++) pu[at + PATTERN_STATE + k] = draws[b * D + 6 + k];
    }
    this.distortStaged = true;
  }

  /** Whether stageBatch can be used (the network was created with `stage` for images that fit its input, channel for channel). */
  get canStage(): boolean {
    return this.plan.stage !== null;
  }

  /** The images' size and channels the staging area was laid out for (0×0: none). */
  get stagedImages(): { rows: number; cols: number; channels: number } {
    const S = this.plan.stage;
    return S ? { rows: S.rows, cols: S.cols, channels: S.channels } : { rows: 0, cols: 0, channels: 0 };
  }

  /**
   * Stages patterns order[start … start+batch) of `data` as bytes: the next computeGradients with input
   * null has every thread make its own chunk's input (assembly/dataset.ts) before its forward pass,
   * the same values fillBatch writes (through a table of the 256 levels' placePattern values per channel).
   */
  stageBatch(data: Dataset, order: ArrayLike<number>, start: number, batch: number, norm: Normalisation): void {
    const S = this.plan.stage;
    const views = this.stageViews;
    if (!S || !views) throw new Error('stageBatch: this network was not laid out for staged batches (create it with the stage option)');
    const channels = channelsOf(data);
    if (data.rows !== S.rows || data.cols !== S.cols || channels !== S.channels) {
      throw new DataError(data.source, `images are ${channels}×${data.rows}×${data.cols}; the network's staging area was laid out for ${S.channels}×${S.rows}×${S.cols}`);
    }
    check.batchSize(batch, 'batch', this.plan.batch);
    // 256 values a channel: cheaper to write than to compare with the last batch's
    for (let c = 0; c < channels; c++) levelValues(channelNormalisation(norm, c), views.table.subarray(256 * c, 256 * (c + 1)));
    const size = channels * S.rows * S.cols;
    for (let b = 0; b < batch; b++) {
      const n = order[start + b];
      views.sources.set(data.images.subarray(n * size, (n + 1) * size), b * size);
    }
    this.batchStaged = true;
  }

  /** ∂Ẽ/∂input of the last computeGradients({inputGradient: true}). */
  inputGradient(): Float32Array {
    return new Float32Array(this.memory.buffer, this.plan.dActs[0], this.lastBatch * this.plan.inputSize);
  }

  private load(input: ArrayLike<number> | null, batch: number): void {
    if (!Number.isInteger(batch) || batch <= 0 || batch > this.plan.batch) {
      throw new check.ArgumentError('batch', `expected 1 … ${this.plan.batch} (the capacity this network was laid out for), got ${check.show(batch)}`);
    }
    if (input !== null) {
      const n = batch * this.plan.inputSize;
      check.numbers(input, 'input', 0, `an array of batch × ${this.description.input.join('×')} = ${n} values, or null (a staged batch)`);
      if (input.length < n) throw new check.ArgumentError('input', `expected ${n} values, got ${input.length}`);
      const slot = this.inputSlot;
      const inPlace = input instanceof Float32Array && input.buffer === slot.buffer && input.byteOffset === slot.byteOffset;
      if (!inPlace) {
        if (input.length === n) slot.set(input);
        else for (let i = 0; i < n; i++) slot[i] = input[i];
      }
    }
    this.lastBatch = batch;
  }

  /**
   * Forward pass; returns the outputs [batch][outputs] (a view, valid until the next pass): the last
   * layer's values, logits for a cross-entropy network (predict() in network/predict.ts gives probabilities).
   */
  forward(input: ArrayLike<number> | null, batch: number): Float32Array {
    this.load(input, batch);
    // inference normalises with the running averages, as they stand now
    for (const s of this.norms) {
      for (let c = 0; c < s.C; c++) {
        const variance = s.runningVar[c];
        s.inferStats[3 * c] = s.runningMean[c];
        s.inferStats[3 * c + 1] = variance;
        s.inferStats[3 * c + 2] = 1 / Math.sqrt(variance + s.epsilon);
      }
    }
    this.run(JOB.infer, batch);
    return batch === this.plan.batch ? this.outputSlot : this.outputSlot.subarray(0, batch * this.plan.outputSize);
  }

  /** Forward and backward: fills `grads` with ∂Ẽ/∂params and returns Ẽ (mean loss + penalties). */
  computeGradients(input: ArrayLike<number> | null, labels: Labels, batch: number, options: { inputGradient?: boolean } = {}): number {
    this.load(input, batch);
    const classes = this.plan.classes;
    const slot = this.labelSlot;
    if (!((ArrayBuffer.isView(labels) && !(labels instanceof DataView)) || Array.isArray(labels)) || labels.length < batch) {
      check.fail('labels', `${batch} class labels (one per pattern of the batch)`, labels);
    }
    for (let b = 0; b < batch; b++) {
      const label = labels[b];
      if (!Number.isInteger(label) || label < 0 || label >= classes) throw new check.ArgumentError(`labels[${b}]`, `expected a class index in [0, ${classes - 1}], got ${label}`);
      slot[b] = label;
    }
    const staged = this.distortStaged || this.batchStaged;
    if (staged && (input !== null || options.inputGradient)) throw new Error('computeGradients: a staged batch takes input null and no input gradient');
    for (const s of this.norms) checkStatisticsCount(s.layer, s.name, batch * s.S);
    check.integer(this.step, 'step', 0, 0xffffffff);
    this.chunkMemory.step[0] = this.step;
    this.run(this.distortStaged ? JOB.trainDistorted : this.batchStaged ? JOB.trainStaged : options.inputGradient ? JOB.trainWithInput : JOB.train, batch);
    this.distortStaged = false;
    this.batchStaged = false;
    // the running averages take in this batch's statistics: r ← (1 − m) r + m · (batch's), σ² unbiased
    for (const s of this.norms) {
      const N = batch * s.S;
      for (let c = 0; c < s.C; c++) {
        s.runningMean[c] = (1 - s.momentum) * s.runningMean[c] + s.momentum * s.stats[3 * c];
        s.runningVar[c] = (1 - s.momentum) * s.runningVar[c] + s.momentum * s.stats[3 * c + 1] * (N / (N - 1));
      }
    }
    const n = chunkCount(batch);
    let loss = 0;
    for (let c = 0; c < n; c++) loss += this.chunkMemory.losses[c];
    loss /= batch;
    for (const s of this.segments) this.wasm.reduce_chunks(0, s.count, this.plan.chunks + s.from, n, this.plan.chunkStride / 4, s.to);
    for (const w of this.winograds) {
      const { layer } = w;
      this.wasm.winograd_kernel_gradient(w.dU, layer.inShape[0], layer.outShape[0], layer.kernelSize, layer.winograd!.desc, w.dK);
    }
    for (const cs of this.combinations) loss += this.combinationGradients(cs);
    for (const sp of this.sparse) {
      const g = sp.gDense;
      const out = this.grads;
      const at = sp.kernel.offset;
      for (let c = 0; c < sp.denseIndex.length; c++) {
        const from = sp.denseIndex[c] * sp.KK;
        for (let t = 0; t < sp.KK; t++) out[at + c * sp.KK + t] = g[from + t];
      }
    }
    return loss;
  }

  /** One step of gradient descent: θ ← θ − rate·∂Ẽ/∂θ (the one update, with unit rates). Returns Ẽ before the step. */
  trainStep(input: ArrayLike<number> | null, labels: Labels, batch: number, rate: number): number {
    check.finite(rate, 'rate');
    const loss = this.computeGradients(input, labels, batch);
    this.wasm.sgd_update(0, this.plan.paramCount, this.plan.params, this.plan.grads, this.plan.unitRates, this.plan.velocity, rate, 0, 0, 0);
    this.refreshEffectiveKernels();
    return loss;
  }

  /**
   * §4.1–4.2 applies the gradients of the last computeGradients: θ_k ← θ_k − rate·rates_k·(g_k + decay·θ_k),
   * through the velocities when momentum > 0 (v ← m·v − step; θ ← θ + v; Nesterov: θ ← θ + m·v − step).
   */
  update(rate: number, momentum = 0, decay = 0, nesterov = false): void {
    checkUpdate(rate, momentum, decay, nesterov);
    this.wasm.sgd_update(0, this.plan.paramCount, this.plan.params, this.plan.grads, this.plan.rates, this.plan.velocity, rate, momentum, decay, nesterov ? 1 : 0);
    this.refreshEffectiveKernels();
  }

  /**
   * Adam (or AdamW, settings.decoupled) update t (1-based) from the gradients of the last computeGradients,
   * through moment1 and moment2 (assembly/update.ts's adam_update; the bias corrections in float64 here).
   */
  adamUpdate(t: number, rate: number, decay: number, settings: AdamSettings): void {
    checkAdam(t, rate, decay, settings);
    const [c1, c2] = adamCorrections(t, settings.beta1, settings.beta2);
    const p = this.plan;
    this.wasm.adam_update(0, p.paramCount, p.params, p.grads, p.rates, p.moment1, p.moment2, rate, decay, settings.beta1, settings.beta2, settings.epsilon, c1, c2, settings.decoupled ? 1 : 0);
    this.refreshEffectiveKernels();
  }

  /**
   * Runs a job on every thread. A training job runs phase by phase (chunk.ts's trainPhase): between
   * them, this thread combines each batchnorm layer's partial sums in chunk order.
   */
  private run(job: number, batch: number): void {
    if (job === JOB.infer) {
      this.runPhase(job, batch, 0);
      return;
    }
    const norms = this.plan.normLayers;
    const k = norms.length;
    const n = chunkCount(batch);
    for (let phase = 0; phase < trainPhases(this.plan); phase++) {
      this.runPhase(job, batch, phase);
      if (phase < k) {
        const layer = this.plan.layers[norms[phase]];
        const [C, H, W] = layer.inShape;
        this.wasm.batchnorm_combine(layer.norm!.partials, n, batch, H * W, C, layer.norm!.epsilon, layer.norm!.stats);
      } else if (phase < 2 * k) {
        const layer = this.plan.layers[norms[2 * k - 1 - phase]];
        this.wasm.batchnorm_sum_partials(layer.norm!.partials, n, layer.inShape[0], layer.norm!.totals);
      }
    }
  }

  /** Runs one job (or phase of one) on every thread, this one included; the threads claim the chunks in turn. */
  private runPhase(job: number, batch: number, phase: number): void {
    // threads with no chunk to run stay asleep (online training: one pattern, one chunk, one thread)
    const chunks = job === JOB.infer ? Math.ceil(batch / INFER_CHUNK) : chunkCount(batch);
    const T = Math.min(this.threads, chunks);
    const ctrl = this.control;
    if (T > 1) {
      Atomics.store(ctrl, CTRL.job, job);
      Atomics.store(ctrl, CTRL.batch, batch);
      Atomics.store(ctrl, CTRL.phase, phase);
      Atomics.store(ctrl, CTRL.threads, T);
      Atomics.store(ctrl, CTRL.done, 0);
      Atomics.store(ctrl, CTRL.error, 0);
      Atomics.store(ctrl, CTRL.next, 0);
      Atomics.add(ctrl, CTRL.generation, 1);
      Atomics.notify(ctrl, CTRL.generation);
    }
    runShare(this.wasm, this.plan, this.chunkMemory, job, batch, 0, T, this.nextChunk, phase);
    if (T > 1) {
      for (let d = Atomics.load(ctrl, CTRL.done); d < T - 1; d = Atomics.load(ctrl, CTRL.done)) Atomics.wait(ctrl, CTRL.done, d, 10_000);
      if (Atomics.load(ctrl, CTRL.error) !== 0) throw new Error('a worker thread failed while running the network (see its message above)');
    }
  }

  // §3.3 effective kernels k̃_ij = α_ij · k_src(i,j): the combination runs as a convolution over all
  // input maps, since Σ_i α_ij (x_i * k) = Σ_i x_i * (α_ij k). α = softmax(c) runs here in float64,
  // through the reference's one softmaxRows: J·I values once per update (e.g. 16·6), nothing a
  // thread or a kernel would win back; the products with the kernels are J·I·K² more.
  private refreshEffectiveKernels(): void {
    this.refreshDenseKernels();
    // U = G g Gᵀ of the kernels, once for every chunk (assembly/winograd.ts)
    for (const { layer } of this.winograds) this.wasm.winograd_kernels(layer.weightsAt, layer.inShape[0], layer.outShape[0], layer.kernelSize, layer.winograd!.desc);
  }

  private refreshDenseKernels(): void {
    for (const sp of this.sparse) {
      const dense = sp.dense;
      const k = this.params;
      const at = sp.kernel.offset;
      dense.fill(0);
      for (let c = 0; c < sp.denseIndex.length; c++) {
        const to = sp.denseIndex[c] * sp.KK;
        for (let t = 0; t < sp.KK; t++) dense[to + t] = k[at + c * sp.KK + t];
      }
    }
    for (const s of this.combinations) {
      for (let q = 0; q < s.c64.length; q++) s.c64[q] = this.params[s.c.offset + q];
      softmaxRows(s.c64, s.J, s.I, s.alpha);
      const k = this.params;
      const ko = s.kernel.offset;
      const eff = s.eff;
      for (let j = 0; j < s.J; j++) {
        for (let i = 0; i < s.I; i++) {
          const a = s.alpha[j * s.I + i];
          const src = (s.shared ? i : j * s.I + i) * s.KK;
          const dst = (j * s.I + i) * s.KK;
          for (let t = 0; t < s.KK; t++) eff[dst + t] = a * k[ko + src + t];
        }
      }
    }
  }

  // From ∂E/∂k̃_ij: ∂E/∂k_src += α_ij ∂E/∂k̃_ij;  ∂E/∂α_ij = ⟨∂E/∂k̃_ij, k_src⟩ = Σ_uv δ_j ∘ (x_i * k_src);
  // ∂E/∂c through the softmax (§3.3), plus the penalty Ω (§3.3.1), whose value is returned.
  private combinationGradients(s: CombinationState): number {
    const k = this.params;
    const ko = s.kernel.offset;
    const gEff = s.gEff;
    const dk = s.dk;
    dk.fill(0);
    const gAlpha = s.gAlpha;
    for (let j = 0; j < s.J; j++) {
      for (let i = 0; i < s.I; i++) {
        const a = s.alpha[j * s.I + i];
        const src = (s.shared ? i : j * s.I + i) * s.KK;
        const e = (j * s.I + i) * s.KK;
        let dot = 0;
        for (let t = 0; t < s.KK; t++) {
          dk[src + t] += a * gEff[e + t];
          dot += gEff[e + t] * k[ko + src + t];
        }
        gAlpha[j * s.I + i] = a * dot;
      }
    }
    const dc = s.dc;
    dc.fill(0);
    for (let j = 0; j < s.J; j++) softmaxBackwardRow(s.alpha, gAlpha, j * s.I, s.I, dc);
    let omega = 0;
    if (s.penalty.type !== 'none') {
      omega = combinationPenalty(s.penalty, s.alpha, s.I * s.J, gAlpha);
      for (let j = 0; j < s.J; j++) softmaxBackwardRow(s.alpha, gAlpha, j * s.I, s.I, dc);
    }
    this.grads.set(dk, s.kernel.offset);
    this.grads.set(dc, s.c.offset);
    return omega;
  }

  /**
   * Times every layer's kernels on this thread, over a whole batch of the last computeGradients'
   * patterns, and reports their speed: where the time goes, and how close to the machine's peak.
   * Operation counts: a convolution 2·J·I·K²·(output pixels) per pattern for its forward pass and
   * for each of its kernel and input gradients (dense: a sparse table's absent kernels count); a fully
   * connected layer 2·N·O likewise; a subsampling layer one per input pixel.
   */
  profileLayers(seconds = 0.2): { layer: string; phase: 'forward' | 'backward'; gflops: number; microsecondsPerImage: number }[] {
    const B = this.lastBatch;
    if (B === 0) throw new Error('profileLayers: run computeGradients first (its patterns are what is timed)');
    const g = this.plan.chunks;
    const out: { layer: string; phase: 'forward' | 'backward'; gflops: number; microsecondsPerImage: number }[] = [];
    const time = (f: () => void): number => {
      f();
      let n = 0;
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < seconds * 1000) {
        f();
        n++;
        t = performance.now();
      }
      return (t - t0) / 1000 / n;
    };
    this.plan.layers.forEach((layer, l) => {
      const [I, H, W] = layer.inShape;
      const [J, Ho, Wo] = layer.outShape;
      const dx = l > 0;
      const per = layer.type === 'conv' ? 2 * J * I * layer.kernelSize * layer.kernelSize * Ho * Wo
        : layer.type === 'full' ? 2 * I * H * W * J
        : I * H * W;
      const name = this.description.layers[l].name;
      const fwd = time(() => forwardLayer(this.wasm, this.plan, l, 0, 0, B));
      // The backward pass turns ∂E/∂y into δ in place: restore ∂E/∂y before every call (else δ
      // shrinks into subnormals), and take the copy's own time off.
      const dy = new Float32Array(this.memory.buffer, this.plan.dActs[l + 1], B * J * Ho * Wo);
      const saved = Float32Array.from(dy);
      const copy = time(() => dy.set(saved));
      const bwd = Math.max(1e-9, time(() => {
        dy.set(saved);
        backwardLayer(this.wasm, this.plan, l, 0, 0, B, g, dx, DY_GRADIENT);
      }) - copy);
      dy.set(saved);
      const bwdOps = layer.type === 'subsample' ? per : per * (dx ? 2 : 1);
      out.push({ layer: name, phase: 'forward', gflops: (per * B) / fwd / 1e9, microsecondsPerImage: (fwd / B) * 1e6 });
      out.push({ layer: name, phase: 'backward', gflops: (bwdOps * B) / bwd / 1e9, microsecondsPerImage: (bwd / B) * 1e6 });
    });
    return out;
  }

  /** Stops the worker threads. */
  async dispose(): Promise<void> {
    if (this.workers.length > 0) {
      Atomics.store(this.control, CTRL.job, JOB.exit);
      Atomics.add(this.control, CTRL.generation, 1);
      Atomics.notify(this.control, CTRL.generation);
      await Promise.all(this.workers.map((w) => w.terminate()));
      this.workers = [];
    }
  }
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

/** The cores available: os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers. */
export async function defaultThreads(): Promise<number> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const os = await nodeBuiltin<typeof import('node:os')>('os');
    return Math.max(1, os.availableParallelism());
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** Convenience: `FastNetwork.create`. */
export function createFastNetwork(description: NetworkDescription | ResolvedDescription, options: FastNetworkOptions): Promise<FastNetwork> {
  return FastNetwork.create(description, options);
}
