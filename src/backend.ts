// Choosing how a network runs. `wasm` (the default): float32 WebAssembly SIMD kernels on every core
// (src/wasm/). `reference`: the float64 TypeScript kernels the gradient checks prove (src/network.ts),
// also the fallback where WebAssembly SIMD is missing. Both take the same description, hold parameters
// in the same flat layout and start from the same initial values.

import type { NetworkDescription, ResolvedDescription } from './description.js';
import type { ParamView } from './layers/layer.js';
import type { Labels } from './loss.js';
import type { Dataset, Normalisation } from './data/dataset.js';
import type { DistortShape } from './wasm/plan.js';
import type { Augmenter } from './data/augment.js';
import { Network } from './network.js';
import { applyUpdate } from './train/update.js';

export type BackendName = 'wasm' | 'reference';

/** What every backend offers a trainer. */
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
  /** Threads it runs on, and why fewer than asked for, if so. */
  readonly threads: number;
  readonly notice: string | null;
  forward(input: Float32Array | Float64Array, batch: number): Float32Array | Float64Array;
  computeGradients(input: Float32Array | Float64Array, labels: Labels, batch: number): number;
  trainStep(input: Float32Array | Float64Array, labels: Labels, batch: number, rate: number): number;
  /** θ_k ← θ_k − rate·rates_k·(g_k + decay·θ_k), through the velocities when momentum > 0. */
  update(rate: number, momentum?: number, decay?: number): void;
  /** Copies parameters in (and brings derived state, such as effective kernels, up to date). */
  setParams(p: ArrayLike<number>): void;
  dispose(): Promise<void>;
}

/** A backend whose threads distort the training patterns themselves (the wasm engine made with `distort`). */
export interface DistortingNetwork extends TrainableNetwork {
  readonly canDistort: boolean;
  stageDistortedBatch(
    data: Dataset, order: ArrayLike<number>, start: number, batch: number, norm: Normalisation,
    draws: Float64Array, augmenter: Augmenter,
  ): void;
  computeGradients(input: Float32Array | Float64Array | null, labels: Labels, batch: number): number;
}

export function distortsItself(net: TrainableNetwork): net is DistortingNetwork {
  return (net as Partial<DistortingNetwork>).canDistort === true;
}

export interface BackendOptions {
  backend?: BackendName;
  /** Largest batch (wasm lays its memory out for it). */
  batch: number;
  threads?: number;
  seed?: number;
  /** wasm: room for the threads to distort rows×cols patterns themselves (see DistortingNetwork). */
  distort?: DistortShape;
}

/** True where this engine runs 128-bit WebAssembly SIMD. */
export function wasmSimdSupported(): boolean {
  // (module (func (result v128) v128.const i32x4 0 0 0 0)) — the smallest SIMD module
  const probe = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  return typeof WebAssembly === 'object' && WebAssembly.validate(probe);
}

/** Builds a network on the chosen backend (wasm unless told otherwise or unavailable). */
export async function createNetwork(description: NetworkDescription | ResolvedDescription | unknown, options: BackendOptions): Promise<TrainableNetwork> {
  const wanted = options.backend ?? 'wasm';
  if (wanted === 'wasm' && wasmSimdSupported()) {
    const { FastNetwork } = await import('./wasm/engine.js');
    const net = await FastNetwork.create(description, options);
    return Object.assign(net, { backend: 'wasm' as const });
  }
  const net = new Network(description, options.seed === undefined ? {} : { seed: options.seed });
  const f64 = (a: Float32Array | Float64Array): Float64Array => (a instanceof Float64Array ? a : Float64Array.from(a));
  const notice = wanted === 'wasm' ? 'this engine has no WebAssembly SIMD: running the float64 reference kernels' : null;
  const rates = new Float64Array(net.params.length).fill(1);
  const velocity = new Float64Array(net.params.length);
  return Object.assign(net, {
    backend: 'reference' as const,
    threads: 1,
    notice,
    rates,
    velocity,
    maxBatch: Infinity,
    update: (rate: number, momentum = 0, decay = 0) => applyUpdate(net.params, net.grads, rates, velocity, rate, momentum, decay),
    setParams: (p: ArrayLike<number>) => {
      if (p.length !== net.params.length) throw new RangeError(`params: expected ${net.params.length} values, got ${p.length}`);
      net.params.set(p);
    },
    forward: (input: Float32Array | Float64Array, batch: number) => Network.prototype.forward.call(net, f64(input), batch),
    computeGradients: (input: Float32Array | Float64Array, labels: Labels, batch: number) => Network.prototype.computeGradients.call(net, f64(input), labels, batch),
    trainStep: (input: Float32Array | Float64Array, labels: Labels, batch: number, rate: number) => Network.prototype.trainStep.call(net, f64(input), labels, batch, rate),
    dispose: async () => {},
  });
}
