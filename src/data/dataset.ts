// Image classification sets in IDX form: images kept as uint8 (60k MNIST images are 47 MB), turned
// into float64 network input one batch at a time.

// Browser-safe; reading the files from disk is src/data/files.ts.
import { DataError, type IdxArray } from './idx.js';

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

/** A dataset from parsed image ([count][rows][cols]) and label ([count]) arrays, checked against each other. */
export function datasetFromIdx(images: IdxArray, labels: IdxArray, imageFile: string, labelFile: string, classes = 10): Dataset {
  if (images.dims.length !== 3) throw new DataError(imageFile, `expected 3 dimensions (count, rows, cols), the header declares ${images.dims.length}`);
  if (labels.dims.length !== 1) throw new DataError(labelFile, `expected 1 dimension (count), the header declares ${labels.dims.length}`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataError(labelFile, `holds ${labels.dims[0]} labels but ${imageFile} holds ${count} images`);
  }
  for (let i = 0; i < count; i++) {
    if (labels.data[i] >= classes) throw new DataError(labelFile, `label ${i} is ${labels.data[i]}, expected a class in 0–${classes - 1}`);
  }
  return { images: images.data, labels: labels.data, count, rows, cols, source: imageFile };
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
  const size = height * width;
  for (let b = 0; b < batch; b++) {
    const n = order[start + b];
    labels[b] = data.labels[n];
    placePattern(data.images, n * rows * cols, rows, cols, height, width, norm, out, b * size);
  }
}

/**
 * One rows×cols image of grey levels (grey[src …]) normalised and centred in the height×width input
 * at out[o …], the margin filled with the background value.
 */
export function placePattern(
  grey: ArrayLike<number>, src: number, rows: number, cols: number, height: number, width: number,
  norm: Normalisation, out: Float64Array | Float32Array, o: number,
): void {
  const top = (height - rows) >> 1;
  const left = (width - cols) >> 1;
  const scale = (norm.foreground - norm.background) / 255;
  out.fill(norm.background, o, o + height * width);
  for (let r = 0; r < rows; r++) {
    const orow = o + (top + r) * width + left;
    const irow = src + r * cols;
    for (let c = 0; c < cols; c++) out[orow + c] = norm.background + scale * grey[irow + c];
  }
}
