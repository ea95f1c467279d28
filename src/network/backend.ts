// Choosing how a network runs. `wasm` (the default): float32 WebAssembly SIMD kernels on every core
// (src/wasm/). `reference`: the float64 TypeScript kernels the gradient checks prove (src/network/network.ts),
// also the fallback where WebAssembly SIMD is missing. Both take the same description, hold parameters
// in the same flat layout and start from the same initial values.

import type { NetworkDescription, ResolvedDescription } from './description.js';
import { unitRatesOf, type ParamView } from '../layers/layer.js';
import type { Labels } from './loss.js';
import type { Dataset, Normalisation } from '../data/dataset.js';
import type { AlgorithmChoice, DistortShape } from '../wasm/plan.js';
import type { Augmenter } from '../data/augment.js';
import { Network } from './network.js';
import { adamUpdate, checkAdam, checkUpdate, sgdUpdate, type AdamSettings } from '../train/update.js';
import * as check from '../util/validate.js';
// Static (engine.ts imports this module back; neither uses the other at load): a dynamic import would be
// a chunk of its own in a bundle, which a worker bundled as one classic script (Vite's default) cannot have.
import { FastNetwork } from '../wasm/engine.js';

export type BackendName = 'wasm' | 'reference';

/** What every backend offers a trainer, the CLI and the playground (nothing else to cast to). */
export interface TrainableNetwork {
  readonly backend: BackendName;
  readonly description: ResolvedDescription;
  readonly views: ParamView[];
  readonly inputSize: number;
  readonly outputSize: number;
  /** Classes it tells apart: its outputs, or its class codes. */
  readonly classes: number;
  /** The largest batch it takes (the wasm engine lays its memory out for one; the reference grows). */
  readonly maxBatch: number;
  /** Flat parameters, their gradients, per-parameter rate multipliers (§4.2) and momentum velocities. */
  readonly params: Float32Array | Float64Array;
  readonly grads: Float32Array | Float64Array;
  readonly rates: Float32Array | Float64Array;
  readonly velocity: Float32Array | Float64Array;
  /** Adam's first and second moments m and v, same layout as params (zero until the first Adam update). */
  readonly moment1: Float32Array | Float64Array;
  readonly moment2: Float32Array | Float64Array;
  /**
   * The update whose dropout masks the training passes draw (masks are a hash of the network's seed,
   * the layer, this number, the pattern's place in the batch and the unit; see layers/dropout.ts). The
   * trainer sets it to its update count before each step, so a resumed run draws the same masks.
   */
  step: number;
  /** Threads it runs on, and why fewer than asked for, if so. */
  readonly threads: number;
  readonly notice: string | null;
  /** Whether fused multiply-add (relaxed SIMD) kernels run (false for the reference). */
  readonly relaxedSimd: boolean;
  /** Whether stageDistortedBatch can be used (see DistortingNetwork). */
  readonly canDistort: boolean;
  /** Whether stageBatch can be used (see StagingNetwork). */
  readonly canStage: boolean;
  /**
   * An input buffer for `batch` patterns [batch][maps][h][w] that forward/computeGradients take without
   * a copy (the wasm engine's input slot; the reference's own float64 buffer). Valid until the next call.
   */
  inputView(batch: number): Float32Array | Float64Array;
  /** The last layer's values [batch][outputs]: logits for cross-entropy (predict() gives probabilities). */
  forward(input: Float32Array | Float64Array, batch: number): Float32Array | Float64Array;
  computeGradients(input: Float32Array | Float64Array, labels: Labels, batch: number): number;
  trainStep(input: Float32Array | Float64Array, labels: Labels, batch: number, rate: number): number;
  /** Output of layer ℓ for the last forward pass, [batch][maps][h][w]. */
  activation(layer: number): Float32Array | Float64Array;
  /** θ_k ← θ_k − rate·rates_k·(g_k + decay·θ_k), through the velocities when momentum > 0 (Nesterov's look-ahead when nesterov). */
  update(rate: number, momentum?: number, decay?: number, nesterov?: boolean): void;
  /**
   * Adam update t (1-based; AdamW when settings.decoupled) from the last gradients, through moment1 and
   * moment2: m ← β1 m + (1 − β1) g', v ← β2 v + (1 − β2) g'², θ ← θ − η r (m̂/(√v̂ + ε) [+ λθ]).
   */
  adamUpdate(t: number, rate: number, decay: number, settings: AdamSettings): void;
  /** Copies parameters in (and brings derived state, such as effective kernels, up to date). */
  setParams(p: ArrayLike<number>): void;
  dispose(): Promise<void>;
}

/** A backend whose threads distort the training patterns themselves (the wasm engine made with `distort`). */
export interface DistortingNetwork extends TrainableNetwork {
  stageDistortedBatch(
    data: Dataset, order: ArrayLike<number>, start: number, batch: number, norm: Normalisation,
    draws: Float64Array, augmenter: Augmenter,
  ): void;
  computeGradients(input: Float32Array | Float64Array | null, labels: Labels, batch: number): number;
}

export function distortsItself(net: TrainableNetwork): net is DistortingNetwork {
  return net.canDistort;
}

/** A backend whose threads make their own patterns' input from the batch's bytes (the wasm engine made with `stage`). */
export interface StagingNetwork extends TrainableNetwork {
  /** The images' size and channels the staging area was laid out for. */
  readonly stagedImages: { rows: number; cols: number; channels: number };
  stageBatch(data: Dataset, order: ArrayLike<number>, start: number, batch: number, norm: Normalisation): void;
  computeGradients(input: Float32Array | Float64Array | null, labels: Labels, batch: number): number;
}

/** Whether `net` can make the input of batches of rows×cols images of `channels` channels itself. */
export function stagesItself(net: TrainableNetwork, rows: number, cols: number, channels = 1): net is StagingNetwork {
  if (net.canStage !== true) return false;
  const s = (net as StagingNetwork).stagedImages;
  return s.rows === rows && s.cols === cols && s.channels === channels;
}

export interface BackendOptions {
  backend?: BackendName;
  /** Largest batch (wasm lays its memory out for it). */
  batch: number;
  threads?: number;
  seed?: number;
  /** wasm: room for the threads to distort rows×cols patterns themselves (see DistortingNetwork). */
  distort?: DistortShape;
  /** wasm: room for the threads to make their own patterns' input from rows×cols bytes (see StagingNetwork). */
  stage?: { rows: number; cols: number; channels?: number };
  /** wasm: each convolution's algorithm (default: the cost model's; FastNetworkOptions.convAlgorithm). */
  convAlgorithm?: AlgorithmChoice;
}

/** Checks that `v` is a network a trainer can drive (createNetwork's, or a FastNetwork). */
export function checkTrainable(v: unknown, path: string): TrainableNetwork {
  const what = 'a network made by createNetwork (or a FastNetwork)';
  const n = check.object(v, path, what);
  for (const f of ['forward', 'computeGradients', 'update', 'setParams', 'inputView', 'activation'] as const) if (typeof n[f] !== 'function') check.fail(path, what, v);
  if (!check.isObject(n.description) || typeof n.maxBatch !== 'number' || !Array.isArray(n.views)
    || !(n.rates instanceof Float32Array || n.rates instanceof Float64Array)) check.fail(path, what, v);
  return v as unknown as TrainableNetwork;
}

/** Checks createNetwork's and FastNetwork.create's options (ArgumentError naming the field). */
export function checkBackendOptions(v: unknown, path = 'options'): void {
  const options = check.object(v, path, 'an object {batch, backend?, threads?, seed?}');
  check.batchSize(options.batch, `${path}.batch`);
  if (options.backend !== undefined) check.oneOf(options.backend, `${path}.backend`, ['wasm', 'reference'] as const);
  if (options.threads !== undefined) check.integer(options.threads, `${path}.threads`, 1);
  if (options.seed !== undefined) check.integer(options.seed, `${path}.seed`, 0, 0xffffffff);
  if (options.relaxedSimd !== undefined && typeof options.relaxedSimd !== 'boolean') check.fail(`${path}.relaxedSimd`, 'true or false', options.relaxedSimd);
  if (options.distort !== undefined) {
    const distort = check.object(options.distort, `${path}.distort`, 'an object {rows, cols, radius} (the images and the Gaussian\'s smoothingRadius)');
    check.integer(distort.rows, `${path}.distort.rows`, 1);
    check.integer(distort.cols, `${path}.distort.cols`, 1);
    check.integer(distort.radius, `${path}.distort.radius`, 1);
  }
  if (options.stage !== undefined) {
    const stage = check.object(options.stage, `${path}.stage`, 'an object {rows, cols, channels?} (the training images\' size)');
    check.integer(stage.rows, `${path}.stage.rows`, 1);
    check.integer(stage.cols, `${path}.stage.cols`, 1);
    if (stage.channels !== undefined) check.integer(stage.channels, `${path}.stage.channels`, 1);
  }
  if (options.convAlgorithm !== undefined && typeof options.convAlgorithm !== 'function') check.fail(`${path}.convAlgorithm`, 'a function (shape, layer) => algorithm', options.convAlgorithm);
}

/** True where this engine runs 128-bit WebAssembly SIMD. */
export function wasmSimdSupported(): boolean {
  // (module (func (result v128) v128.const i32x4 0 0 0 0)) — the smallest SIMD module
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
}

/**
 * The float64 reference backend: the reference `Network` (whose kernels the gradient checks prove)
 * with what a trainer needs of every backend. Takes float32 or float64 input (float32 is widened).
 */
export class ReferenceNetwork extends Network implements TrainableNetwork {
  readonly backend = 'reference' as const;
  readonly threads = 1;
  readonly notice: string | null;
  readonly relaxedSimd = false;
  readonly canDistort = false;
  readonly canStage = false;
  readonly maxBatch = Infinity;
  readonly rates: Float64Array;
  readonly velocity: Float64Array;
  readonly moment1: Float64Array;
  readonly moment2: Float64Array;
  /** inputView's buffer, grown to the largest batch asked for, and its last view (no allocation per step). */
  private inputBuffer = new Float64Array(0);
  private inputSlice = new Float64Array(0);

  constructor(description: NetworkDescription | ResolvedDescription | unknown, options: { seed?: number; notice?: string | null } = {}) {
    super(description, options.seed === undefined ? {} : { seed: options.seed });
    this.notice = options.notice ?? null;
    this.rates = unitRatesOf(this.views, new Float64Array(this.params.length)) as Float64Array;
    this.velocity = new Float64Array(this.params.length);
    this.moment1 = new Float64Array(this.params.length);
    this.moment2 = new Float64Array(this.params.length);
  }

  inputView(batch: number): Float64Array {
    check.batchSize(batch, 'batch');
    const n = batch * this.inputSize;
    if (this.inputBuffer.length < n) this.inputBuffer = new Float64Array(n);
    if (this.inputSlice.length !== n || this.inputSlice.buffer !== this.inputBuffer.buffer) this.inputSlice = this.inputBuffer.subarray(0, n);
    return this.inputSlice;
  }

  // the input is checked before it is converted to float64 (Network checks the rest)
  private widen(input: Float32Array | Float64Array, batch: number): Float64Array {
    check.batchSize(batch, 'batch');
    const x = check.floats(input, 'input', batch * this.inputSize, `a Float32Array or Float64Array of batch × ${this.inputShape.join('×')} = ${batch * this.inputSize} values`);
    return x instanceof Float64Array ? x : Float64Array.from(x);
  }

  override forward(input: Float32Array | Float64Array, batch: number, options: { training?: boolean } = {}): Float64Array {
    return super.forward(this.widen(input, batch), batch, options);
  }

  override computeGradients(input: Float32Array | Float64Array, labels: Labels, batch: number, options: { inputGradient?: boolean } = {}): number {
    return super.computeGradients(this.widen(input, batch), labels, batch, options);
  }

  override trainStep(input: Float32Array | Float64Array, labels: Labels, batch: number, rate: number): number {
    return super.trainStep(this.widen(input, batch), labels, batch, rate);
  }

  update(rate: number, momentum = 0, decay = 0, nesterov = false): void {
    checkUpdate(rate, momentum, decay, nesterov);
    sgdUpdate(this.params, this.grads, this.rates, this.velocity, rate, momentum, decay, nesterov);
  }

  adamUpdate(t: number, rate: number, decay: number, settings: AdamSettings): void {
    checkAdam(t, rate, decay, settings);
    adamUpdate(this.params, this.grads, this.rates, this.moment1, this.moment2, t, rate, decay, settings);
  }

  setParams(p: ArrayLike<number>): void {
    check.numbers(p, 'params', 0, `${this.params.length} parameter values`);
    if (p.length !== this.params.length) check.fail('params', `${this.params.length} parameter values`, p);
    this.params.set(p);
  }

  async dispose(): Promise<void> {}
}

/** Builds a network on the chosen backend (wasm unless told otherwise or unavailable). */
export async function createNetwork(description: NetworkDescription | ResolvedDescription | unknown, options: BackendOptions): Promise<TrainableNetwork> {
  checkBackendOptions(options);
  const wanted = options.backend ?? 'wasm';
  if (wanted === 'wasm' && wasmSimdSupported()) return FastNetwork.create(description, options);
  const notice = wanted === 'wasm' ? 'this engine has no WebAssembly SIMD: running the float64 reference kernels' : null;
  return new ReferenceNetwork(description, { seed: options.seed, notice });
}

