// The parts of convnotes the harness loads at run time from the built package (dist/): the data
// loaders (not exported from the package's entry point), the fast engine and the WebAssembly kernels
// (both optional: they may not be built yet). The harness itself compiles to bench/dist/, so modules
// are found from the package root, not by relative import.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { NetworkDescription, ResolvedDescription } from 'convnotes';
import type { BenchKernels } from './kernels.js';
import type * as DatasetModule from '../dist/data/files.js';

/** The convnotes package root: the nearest folder above this file whose package.json is convnotes'. */
export const ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'convnotes') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`${fileURLToPath(import.meta.url)}: not inside the convnotes package`);
    dir = up;
  }
})();

/** Imports dist/<path> (a module of the built package), or returns null when that file does not exist. */
async function importDist<T>(path: string): Promise<T | null> {
  const file = join(ROOT, 'dist', path);
  if (!existsSync(file)) return null;
  return (await import(pathToFileURL(file).href)) as T;
}

export async function datasetModule(): Promise<typeof DatasetModule> {
  const m = await importDist<typeof DatasetModule>('data/files.js');
  if (!m) throw new Error(`${join(ROOT, 'dist/data/files.js')}: missing; run \`npm run build\``);
  return m;
}

// ---------------------------------------------------------------------------------------------------
// The fast engine (src/wasm/engine.ts), as its author specified it.

export interface FastNetwork {
  /** Same flat layout as Network.params. */
  readonly params: Float32Array;
  setParams(p: Float64Array | Float32Array): void;
  /** Output [batch][classes]. */
  forward(input: Float32Array, batch: number): Float32Array;
  /** Forward + backward + SGD update; returns the loss (before the update). */
  trainStep(input: Float32Array, labels: Uint8Array, batch: number, rate: number): number;
  dispose(): Promise<void>;
  /** Threads actually running (the engine may run fewer than asked), and why, if so. */
  readonly threads?: number;
  readonly notice?: string | null;
  computeGradients?(input: Float32Array, labels: Uint8Array, batch: number): number;
  /** Per-layer speed of the engine's own whole-layer kernels (src/wasm/engine.ts). */
  profileLayers?(seconds?: number): { layer: string; phase: 'forward' | 'backward'; gflops: number; microsecondsPerImage: number }[];
}

export interface EngineModule {
  createFastNetwork(
    description: NetworkDescription | ResolvedDescription,
    options: { batch: number; threads?: number },
  ): Promise<FastNetwork>;
}

/** The engine module, or the reason there is none. */
export async function engineModule(): Promise<EngineModule | string> {
  try {
    const m = await importDist<Partial<EngineModule>>('wasm/engine.js');
    if (!m) return 'dist/wasm/engine.js does not exist (src/wasm/engine.ts not written or not built)';
    if (typeof m.createFastNetwork !== 'function') return 'dist/wasm/engine.js exports no createFastNetwork';
    return m as EngineModule;
  } catch (e) {
    return `dist/wasm/engine.js failed to load: ${(e as Error).message}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// The float32 WebAssembly kernels (src/kernels/wasm.ts): the module's exports over a memory of their
// own, whose arrays alloc(n) hands out.

export type AllocKernels = BenchKernels;

/** The WebAssembly kernels, or the reason they are not available. */
export async function wasmKernels(): Promise<AllocKernels | string> {
  let m: { createWasmKernels?: (o?: { bytes?: number }) => AllocKernels | Promise<AllocKernels> } | null;
  try {
    m = await importDist('kernels/wasm.js');
  } catch (e) {
    return `dist/kernels/wasm.js failed to load: ${(e as Error).message}`;
  }
  if (!m) return 'dist/kernels/wasm.js does not exist (src/kernels/wasm.ts not written or not built)';
  if (typeof m.createWasmKernels !== 'function') return 'dist/kernels/wasm.js exports no createWasmKernels';
  try {
    // room for the colour nets' largest layers at the table's batches (bench/kernels.ts)
    const k = await m.createWasmKernels({ bytes: 512 * 2 ** 20 });
    if (typeof k.alloc !== 'function' || typeof k.addressOf !== 'function' || !k.exports || !k.abi) return 'createWasmKernels() returned kernels without alloc, addressOf, exports and abi';
    return k;
  } catch (e) {
    return `createWasmKernels() failed: ${(e as Error).message}`;
  }
}
