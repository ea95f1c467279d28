// Image classification sets in IDX form: images kept as uint8 (60k MNIST images are 47 MB), turned
// into float64 network input one batch at a time.

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataError, readIdx } from './idx.js';

export interface Dataset {
  /** [count][rows][cols] grey levels 0–255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  /** Where it came from, for messages. */
  source: string;
}

export const IDX_FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** A file of the standard name in `dir`, gzipped or not. */
function findFile(dir: string, name: string): string {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(candidate)) return candidate;
  throw new DataError(join(dir, `${name}.gz`), `no such file (nor ${name} uncompressed)`);
}

/** Loads the train or test split from a folder holding the four standard IDX file names. */
export function loadSplit(dir: string, split: 'train' | 'test', classes = 10): Dataset {
  const [imageName, labelName] = IDX_FILES[split];
  const imageFile = findFile(dir, imageName);
  const labelFile = findFile(dir, labelName);
  const images = readIdx(imageFile, 3);
  const labels = readIdx(labelFile, 1);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(labelFile, `holds ${labels.dims[0]} labels but ${imageFile} holds ${count} images`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= classes) throw new DataError(labelFile, `label ${i} is ${labels.data[i]}, expected a class in 0–${classes - 1}`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols, source: imageFile };
}

/**
 * The data folder: `CONVNOTES_DATA`, else the shared MNIST copy beside a checkout
 * (../shared/datasets/mnist), else the per-user cache (~/.cache/convnotes/mnist).
 */
export function defaultDataDir(): string {
  if (process.env.CONVNOTES_DATA) return resolve(process.env.CONVNOTES_DATA);
  const shared = resolve('..', 'shared', 'datasets', 'mnist');
  if (existsSync(shared)) return shared;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'convnotes', 'mnist');
}

/** How grey levels become input values, and how a smaller image sits in a larger input. */
export interface Normalisation {
  /** Value of grey level 0 (background). */
  background: number;
  /** Value of grey level 255 (foreground). */
  foreground: number;
}

/** [0, 1]: grey / 255. */
export const UNIT: Normalisation = { background: 0, foreground: 1 };
/** LeCun et al. 1998: background −0.1, foreground 1.175 (mean ≈ 0, variance ≈ 1 on MNIST). */
export const LECUN: Normalisation = { background: -0.1, foreground: 1.175 };

/**
 * Writes patterns order[start .. start+batch) of `data` into `out` as [batch][1][height][width],
 * centred (an image smaller than the input is padded with the background value, so 28×28 digits
 * sit in LeNet-5's 32×32 field the way the paper placed them).
 */
export function fillBatch(
  data: Dataset, order: ArrayLike<number>, start: number, batch: number,
  height: number, width: number, norm: Normalisation, out: Float64Array | Float32Array, labels: Uint8Array,
): void {
  const { rows, cols } = data;
  if (rows > height || cols > width) {
    throw new DataError(data.source, `images are ${rows}×${cols}, larger than the network's ${height}×${width} input`);
  }
  const top = (height - rows) >> 1;
  const left = (width - cols) >> 1;
  const scale = (norm.foreground - norm.background) / 255;
  const size = height * width;
  for (let b = 0; b < batch; b++) {
    const n = order[start + b];
    labels[b] = data.labels[n];
    const o = b * size;
    out.fill(norm.background, o, o + size);
    const src = n * rows * cols;
    for (let r = 0; r < rows; r++) {
      const orow = o + (top + r) * width + left;
      const irow = src + r * cols;
      for (let c = 0; c < cols; c++) out[orow + c] = norm.background + scale * data.images[irow + c];
    }
  }
}
