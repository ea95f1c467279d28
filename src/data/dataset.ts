// Image classification sets in IDX form: images kept as uint8 (60k MNIST images are 47 MB), turned
// into float64 network input one batch at a time.

// Browser-safe; reading the files from disk is src/data/files.ts.
import { DataError, type IdxArray } from './idx.js';
import * as check from '../util/validate.js';

export interface Dataset {
  /** [count][channels][rows][cols] levels 0–255 (one channel: grey; three: red, green, blue). */
  images: Uint8Array;
  /** [count] class indices. */
  labels: Uint8Array;
  count: number;
  /** Channels (input maps) per image: 1 (grey, the default when absent) or 3 (RGB). */
  channels?: number;
  rows: number;
  cols: number;
  /** Class c's name (an image folder's class folders, CIFAR's batches.meta.txt); absent: the class numbers. */
  classNames?: string[];
  /** Where it came from, for messages. */
  source: string;
}

/** The channels of a dataset's images (1 when it does not say). */
export function channelsOf(data: Dataset): number {
  return data.channels ?? 1;
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

/** How levels become input values, and how a smaller image sits in a larger input. */
export interface Normalisation {
  /** Value of level 0 (background). */
  background: number;
  /** Value of level 255 (foreground). */
  foreground: number;
  /**
   * Channel c's own values, where channels differ (a standardisation by the training set's per-channel
   * mean and deviation); absent: every channel as `background`/`foreground`, which then are channel 0's.
   */
  channels?: readonly { background: number; foreground: number }[];
}

/** Channel c's levels 0 and 255 as input values. */
export function channelNormalisation(norm: Normalisation, c: number): { background: number; foreground: number } {
  return norm.channels?.[c] ?? norm;
}

/** [0, 1]: grey / 255. */
export const UNIT: Normalisation = { background: 0, foreground: 1 };
/** LeCun et al. 1998: background −0.1, foreground 1.175 (mean ≈ 0, variance ≈ 1 on MNIST). */
export const LECUN: Normalisation = { background: -0.1, foreground: 1.175 };

/** Checks that `v` is a Dataset whose arrays hold what its counts say (ArgumentError naming `path`). */
export function checkDataset(v: unknown, path: string): Dataset {
  const d = check.object(v, path, 'a Dataset {images, labels, count, channels?, rows, cols, classNames?, source}');
  const count = check.integer(d.count, `${path}.count`, 0);
  const channels = d.channels === undefined ? 1 : check.integer(d.channels, `${path}.channels`, 1);
  const rows = check.integer(d.rows, `${path}.rows`, 1);
  const cols = check.integer(d.cols, `${path}.cols`, 1);
  const levels = count * channels * rows * cols;
  if (!(d.images instanceof Uint8Array) || d.images.length < levels) {
    check.fail(`${path}.images`, `a Uint8Array of count × channels × rows × cols = ${levels} levels`, d.images);
  }
  if (!(d.labels instanceof Uint8Array) || d.labels.length < count) check.fail(`${path}.labels`, `a Uint8Array of ${count} labels (count)`, d.labels);
  if (d.classNames !== undefined && (!Array.isArray(d.classNames) || !d.classNames.every((n) => typeof n === 'string'))) {
    check.fail(`${path}.classNames`, 'an array of strings (class c\'s name)', d.classNames);
  }
  return v as Dataset;
}

/** The classes a dataset's labels tell apart: its class names' count, else its largest label + 1. */
export function classesOf(data: Dataset): number {
  if (data.classNames) return data.classNames.length;
  let top = -1;
  for (let i = 0; i < data.count; i++) if (data.labels[i] > top) top = data.labels[i];
  return top + 1;
}

/**
 * At most n patterns of a dataset, what `--limit n` and the playground's limits train on: the first n
 * (a view: no copy), unless the set is ordered by class (labels never decreasing: an image folder's
 * order), where the first n would hold only the first classes; then the first images of every class
 * in turn (one of each class, then a second of each, …), kept in the set's order (a copy).
 */
export function limitOf(data: Dataset, n: number): Dataset {
  if (n >= data.count) return data;
  let sorted = true;
  for (let i = 1; i < data.count && sorted; i++) sorted = data.labels[i] >= data.labels[i - 1];
  if (!sorted) return headOf(data, n);
  // each class's first index (classes are runs), then take round by round
  const starts: number[] = [];
  for (let i = 0; i < data.count; i++) if (i === 0 || data.labels[i] !== data.labels[i - 1]) starts.push(i);
  const ends = [...starts.slice(1), data.count];
  const keep = new Uint8Array(data.count);
  let taken = 0;
  for (let round = 0; taken < n; round++) {
    for (let c = 0; c < starts.length && taken < n; c++) {
      if (starts[c] + round < ends[c]) {
        keep[starts[c] + round] = 1;
        taken++;
      }
    }
  }
  const size = channelsOf(data) * data.rows * data.cols;
  const images = new Uint8Array(n * size);
  const labels = new Uint8Array(n);
  let j = 0;
  for (let i = 0; i < data.count; i++) {
    if (!keep[i]) continue;
    images.set(data.images.subarray(i * size, (i + 1) * size), j * size);
    labels[j++] = data.labels[i];
  }
  return { ...data, images, labels, count: n };
}

/** The first n patterns of a dataset (a view: no copy). */
export function headOf(data: Dataset, n: number): Dataset {
  const count = Math.min(n, data.count);
  const size = channelsOf(data) * data.rows * data.cols;
  return { ...data, images: data.images.subarray(0, count * size), labels: data.labels.subarray(0, count), count };
}

/** Checks that the labels of `data` (of patterns `indices`, default all) are class indices below `classes`. */
export function checkLabels(data: Dataset, path: string, classes: number, indices?: ArrayLike<number>): void {
  const n = indices ? indices.length : data.count;
  for (let k = 0; k < n; k++) {
    const i = indices ? indices[k] : k;
    if (data.labels[i] >= classes) check.fail(`${path}.labels[${i}]`, `a class index in [0, ${classes - 1}] (the network tells ${classes} classes apart)`, data.labels[i]);
  }
}

/** Checks that `v` is a Normalisation of two finite values. */
export function checkNormalisation(v: unknown, path: string): Normalisation {
  const n = check.object(v, path, 'a Normalisation {background, foreground, channels?} such as UNIT or LECUN');
  check.finite(n.background, `${path}.background`);
  check.finite(n.foreground, `${path}.foreground`);
  if (n.channels !== undefined) {
    if (!Array.isArray(n.channels) || n.channels.length === 0) check.fail(`${path}.channels`, 'a list of {background, foreground}, one per channel', n.channels);
    n.channels.forEach((c, k) => {
      const o = check.object(c, `${path}.channels[${k}]`, 'an object {background, foreground}');
      check.finite(o.background, `${path}.channels[${k}].background`);
      check.finite(o.foreground, `${path}.channels[${k}].foreground`);
    });
  }
  return v as Normalisation;
}

/** Checks that `v` lists pattern indices of a dataset of `count` patterns. */
export function checkIndices(v: unknown, path: string, count: number): ArrayLike<number> {
  const a = check.numbers(v, path, 0, 'an array of pattern indices');
  for (let i = 0; i < a.length; i++) {
    if (!Number.isInteger(a[i]) || a[i] < 0 || a[i] >= count) check.fail(`${path}[${i}]`, `a pattern index in [0, ${count - 1}]`, a[i]);
  }
  return a;
}

/** Refuses, naming the dataset's source, images that do not fit a network input of maps × height × width. */
export function checkFits(data: Dataset, maps: number, height: number, width: number): void {
  const channels = channelsOf(data);
  if (maps !== channels) {
    throw new DataError(data.source, `holds ${channels === 1 ? 'one grey channel' : `${channels} channels`} per image; the network's input has ${maps} map${maps === 1 ? '' : 's'}`);
  }
  if (data.rows > height || data.cols > width) {
    throw new DataError(data.source, `images are ${data.rows}×${data.cols}, larger than the network's ${height}×${width} input`);
  }
}

/** The arguments fillBatch and fillDistortedBatch share, checked once per call (not per pattern). */
export function checkBatchArguments(
  data: Dataset, order: ArrayLike<number>, start: number, batch: number,
  height: number, width: number, norm: Normalisation, out: Float64Array | Float32Array, labels: Uint8Array,
): void {
  checkDataset(data, 'data');
  check.numbers(order, 'order', 0, 'an array of pattern indices');
  check.integer(start, 'start', 0);
  check.integer(batch, 'batch', 0);
  if (start + batch > order.length) check.fail('batch', `at most ${order.length - start} (order holds ${order.length} indices, from start ${start})`, batch);
  check.integer(height, 'height', 1);
  check.integer(width, 'width', 1);
  checkNormalisation(norm, 'norm');
  const channels = channelsOf(data);
  if (norm.channels && norm.channels.length !== channels) check.fail('norm.channels', `one {background, foreground} per channel of the data (${channels})`, norm.channels);
  const values = batch * channels * height * width;
  check.floats(out, 'out', values, `a Float32Array or Float64Array of batch × channels × height × width = ${values} values`);
  if (!(labels instanceof Uint8Array) || labels.length < batch) check.fail('labels', `a Uint8Array of ${batch} labels (batch)`, labels);
  checkFits(data, channels, height, width);
}

/**
 * Writes patterns order[start .. start+batch) of `data` into `out` as [batch][channels][height][width],
 * each channel centred (an image smaller than the input is padded with the background value, so 28×28
 * digits sit in LeNet-5's 32×32 field the way the paper placed them).
 */
export function fillBatch(
  data: Dataset, order: ArrayLike<number>, start: number, batch: number,
  height: number, width: number, norm: Normalisation, out: Float64Array | Float32Array, labels: Uint8Array,
): void {
  checkBatchArguments(data, order, start, batch, height, width, norm, out, labels);
  const { rows, cols } = data;
  const channels = channelsOf(data);
  const size = height * width;
  for (let b = 0; b < batch; b++) {
    const n = order[start + b];
    if (!(n >= 0 && n < data.count && Number.isInteger(n))) check.fail(`order[${start + b}]`, `a pattern index in [0, ${data.count - 1}]`, n);
    labels[b] = data.labels[n];
    for (let c = 0; c < channels; c++) {
      placePattern(data.images, (n * channels + c) * rows * cols, rows, cols, height, width, channelNormalisation(norm, c), out, (b * channels + c) * size);
    }
  }
}

/** The input value of each level 0–255 of one channel, into out[256]: placePattern's expression, for the engine's threads (stageBatch: a table per channel). */
export function levelValues(norm: { background: number; foreground: number }, out: Float32Array | Float64Array): void {
  const scale = (norm.foreground - norm.background) / 255;
  for (let g = 0; g < 256; g++) out[g] = norm.background + scale * g;
}

/**
 * One rows×cols map of levels (one channel of an image: grey[src …]) normalised and centred in the
 * height×width input map at out[o …], the margin filled with the background value.
 */
export function placePattern(
  grey: ArrayLike<number>, src: number, rows: number, cols: number, height: number, width: number,
  norm: { background: number; foreground: number }, out: Float64Array | Float32Array, o: number,
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
