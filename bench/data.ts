// The benchmark's data pools, float32 [count][channels][side][side] in [0, 1] (what TF.js, PyTorch and
// ConvNetJS read):
//
// - 'mnist': the first `count` MNIST training images, grey 28×28, for the nets whose input is a digit;
// - 'random': seeded pseudo-random pixels for the colour nets (L32, L64, L128, C32), which have no
//   colour data set to read. Speed does not depend on pixel values, and the same-function check
//   compares losses on whatever the batches hold, so random pixels time and check these nets as
//   well as photographs would. Every level is a byte / 255, as MNIST's are: convnotes' trainer reads
//   the pool back as bytes (runners/convnotes.ts), and k / 255 rounds back to k exactly, so every
//   system sees the same float32 values.
//
// Plus the same images zero-padded to a larger side for the convnotes descriptions whose first
// convolution is padded (N2, lenet5: 32×32), and their channels-last copy for TF.js.

import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Rng } from 'convnotes';
import type { BenchNet } from './nets.js';
import { datasetModule, ROOT } from './project.js';

export interface Pool {
  /** [count][channels][side][side], [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  channels: number;
  side: number;
  /** Where the images come from, for messages and the output's header. */
  source: string;
  kind: PoolSpec['kind'];
}

/** How to make a pool: plain data, so that a child process (bench/memory.ts) makes the same one. */
export type PoolSpec =
  /** The first `count` MNIST training images from `dir` (default: scripts/dev-data.mjs's folder). */
  | { kind: 'mnist'; dir?: string; count: number }
  /** `count` images of random levels and random labels 0–9 from RANDOM_SEED. */
  | { kind: 'random'; channels: number; side: number; count: number };

/** The random pools' seed: fixed, so every run (and every child process) times the same pixels. */
export const RANDOM_SEED = 1;
/** A random pool holds at least this many images, and at least two inference batches of every net it feeds. */
export const RANDOM_IMAGES = 256;

export function loadPool(spec: PoolSpec): Promise<Pool> {
  return spec.kind === 'mnist' ? loadMnist(spec.dir, spec.count) : Promise.resolve(randomPool(spec.channels, spec.side, spec.count));
}

async function loadMnist(dir: string | undefined, count: number): Promise<Pool> {
  const ds = await datasetModule();
  const { devDataDir } = (await import(pathToFileURL(join(ROOT, 'scripts', 'dev-data.mjs')).href)) as { devDataDir(): string };
  const data = ds.loadSplit(dir ?? devDataDir(), 'train');
  const n = Math.min(count, data.count);
  if (data.rows !== data.cols) throw new Error(`${data.source}: expected square images, got ${data.rows}×${data.cols}`);
  const channels = data.channels ?? 1;
  const side = data.rows;
  const images = new Float32Array(n * channels * side * side);
  for (let i = 0; i < images.length; i++) images[i] = data.images[i] / 255;
  return { images, labels: data.labels.slice(0, n), count: n, channels, side, source: data.source, kind: 'mnist' };
}

/** `count` images of uniformly random levels k / 255 (k in 0–255) and uniformly random labels 0–9, image by
 *  image from one Rng(RANDOM_SEED): a larger pool begins with a smaller one's images and labels. */
export function randomPool(channels: number, side: number, count: number): Pool {
  const rng = new Rng(RANDOM_SEED);
  const size = channels * side * side;
  const images = new Float32Array(count * size);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    for (let i = n * size; i < (n + 1) * size; i++) images[i] = rng.int(256) / 255;
    labels[n] = rng.int(10);
  }
  return { images, labels, count, channels, side, source: `random levels, seed ${RANDOM_SEED}`, kind: 'random' };
}

/** The pool a net is fed: one MNIST pool for every digit net, one random pool per channels × side. */
export function poolKey(net: BenchNet): string {
  return net.data === 'mnist' ? 'mnist' : `random ${net.channels}×${net.image}×${net.image}`;
}

/** The pools `nets` need, by poolKey; a random pool is sized for the largest inference batch it feeds. */
export function poolSpecs(nets: BenchNet[], mnist: { dir?: string; count: number }): Map<string, PoolSpec> {
  const specs = new Map<string, PoolSpec>();
  for (const net of nets) {
    const key = poolKey(net);
    const had = specs.get(key);
    if (net.data === 'mnist') specs.set(key, { kind: 'mnist', dir: mnist.dir, count: mnist.count });
    else {
      const count = Math.max(RANDOM_IMAGES, 2 * net.inferBatch, 2 * net.trainBatch, had?.count ?? 0);
      specs.set(key, { kind: 'random', channels: net.channels, side: net.image, count });
    }
  }
  return specs;
}

/** One line about a pool, for the output's header. */
export function describePool(pool: Pool): string {
  const shape = `${pool.channels}×${pool.side}×${pool.side}`;
  return pool.kind === 'mnist' ? `${pool.count} MNIST training images (${shape}) from ${pool.source}` : `${pool.count} images of ${shape} ${pool.source} (random labels)`;
}

/** The pool's images, every channel centred in side+2·pad squares of zeros (pad 0: the pool's own array). */
export function padded(pool: Pool, pad: number): Float32Array {
  if (pad === 0) return pool.images;
  const s = pool.side;
  const S = s + 2 * pad;
  const maps = pool.count * pool.channels;
  const out = new Float32Array(maps * S * S);
  for (let m = 0; m < maps; m++) {
    for (let r = 0; r < s; r++) {
      out.set(pool.images.subarray((m * s + r) * s, (m * s + r + 1) * s), (m * S + r + pad) * S + pad);
    }
  }
  return out;
}

const channelsLastCopies = new WeakMap<Pool, Float32Array>();

/** The pool's images as [count][side][side][channels] (TF.js's NHWC), made once per pool, before any timing
 *  (a TF.js user would hold the data in that layout already); one channel: the pool's own array. */
export function channelsLast(pool: Pool): Float32Array {
  const C = pool.channels;
  if (C === 1) return pool.images;
  let out = channelsLastCopies.get(pool);
  if (out) return out;
  const size = pool.side * pool.side;
  out = new Float32Array(pool.images.length);
  for (let n = 0; n < pool.count; n++) {
    for (let c = 0; c < C; c++) {
      const src = (n * C + c) * size;
      for (let i = 0; i < size; i++) out[(n * size + i) * C + c] = pool.images[src + i];
    }
  }
  channelsLastCopies.set(pool, out);
  return out;
}

/** One-hot targets [count][classes] with values off/on. */
export function oneHot(labels: Uint8Array, classes: number, off = 0, on = 1): Float32Array {
  const t = new Float32Array(labels.length * classes).fill(off);
  for (let i = 0; i < labels.length; i++) t[i * classes + labels[i]] = on;
  return t;
}
