// The benchmark's data: the first `count` MNIST training images, scaled to [0, 1], as float32
// [count][28][28] (what TF.js, PyTorch and ConvNetJS read), plus the same images zero-padded to a larger
// side for the convnotes descriptions whose first convolution is padded (N2, lenet5: 32×32).

import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { datasetModule, ROOT } from './project.js';

export interface Pool {
  /** [count][side][side], [0, 1]. */
  images: Float32Array;
  labels: Uint8Array;
  count: number;
  side: number;
  source: string;
}

export async function loadPool(dir: string | undefined, count: number): Promise<Pool> {
  const ds = await datasetModule();
  const { devDataDir } = (await import(pathToFileURL(join(ROOT, 'scripts', 'dev-data.mjs')).href)) as { devDataDir(): string };
  const data = ds.loadSplit(dir ?? devDataDir(), 'train');
  const n = Math.min(count, data.count);
  if (data.rows !== data.cols) throw new Error(`${data.source}: expected square images, got ${data.rows}×${data.cols}`);
  const side = data.rows;
  const images = new Float32Array(n * side * side);
  for (let i = 0; i < images.length; i++) images[i] = data.images[i] / 255;
  return { images, labels: data.labels.slice(0, n), count: n, side, source: data.source };
}

/** The pool's images centred in side+2·pad squares of zeros (pad 0: the pool's own array). */
export function padded(pool: Pool, pad: number): Float32Array {
  if (pad === 0) return pool.images;
  const s = pool.side;
  const S = s + 2 * pad;
  const out = new Float32Array(pool.count * S * S);
  for (let n = 0; n < pool.count; n++) {
    for (let r = 0; r < s; r++) {
      out.set(pool.images.subarray((n * s + r) * s, (n * s + r + 1) * s), (n * S + r + pad) * S + pad);
    }
  }
  return out;
}

/** One-hot targets [count][classes] with values off/on. */
export function oneHot(labels: Uint8Array, classes: number, off = 0, on = 1): Float32Array {
  const t = new Float32Array(labels.length * classes).fill(off);
  for (let i = 0; i < labels.length; i++) t[i * classes + labels[i]] = on;
  return t;
}
