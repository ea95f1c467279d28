// `convnotes predict`: classifies images with a model file, from an IDX image file or a PNG.
//
// A PNG is made to look like an MNIST digit: grey (luminance; transparent pixels composited over
// white), box-averaged down to the data's 28×28 when larger than the network's input, inverted when
// its background is light (mean > 127) so that the digit is bright on dark, then normalised per the
// model's recipe and centred in the network's input exactly as fillBatch places training images.

import { readFileSync, statSync } from 'node:fs';
import { PNG } from 'pngjs';
import { createNetwork, type BackendName } from '../backend.js';
import { fillBatch, LECUN, UNIT, type Dataset } from '../data/dataset.js';
import { readIdx } from '../data/files.js';
import { DataError } from '../data/idx.js';
import { assertFiniteParams } from '../model/finite.js';
import { loadModel } from '../model/model-io.js';
import { classCount } from '../loss.js';
import { predict } from '../predict.js';
import { resolveRecipe } from '../train/recipe.js';
import { CliError } from './errors.js';

export interface PredictOptions {
  model: string;
  input?: string;
  index?: number;
  count?: number;
  png?: string;
  backend: BackendName;
  threads?: number;
  json: boolean;
}

export interface Prediction {
  index: number;
  class: number;
  scores: number[];
  probabilities?: number[];
}

/** The side of MNIST's images: larger PNGs are scaled down to it. */
const DATA_SIZE = 28;

/** Grey levels 0–255 of a decoded RGBA image: luminance, transparent pixels composited over white. */
export function luminance(rgba: Uint8Array, width: number, height: number): Float64Array {
  const grey = new Float64Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const a = rgba[4 * p + 3] / 255;
    const y = 0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2];
    grey[p] = a * y + (1 - a) * 255;
  }
  return grey;
}

/** Area-weighted box averaging of a w×h image down to ow×oh (each output pixel: the mean of what it covers). */
export function boxResize(src: Float64Array, w: number, h: number, ow: number, oh: number): Float64Array {
  const out = new Float64Array(ow * oh);
  const sx = w / ow;
  const sy = h / oh;
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sy;
    const y1 = y0 + sy;
    for (let ox = 0; ox < ow; ox++) {
      const x0 = ox * sx;
      const x1 = x0 + sx;
      let sum = 0;
      let area = 0;
      for (let y = Math.floor(y0); y < Math.min(h, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(w, Math.ceil(x1)); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += wx * wy * src[y * w + x];
          area += wx * wy;
        }
      }
      out[oy * ow + ox] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/** A PNG file as a one-image dataset of grey levels, bright digit on dark, at most the input's size. */
export function pngToDataset(file: string, inputHeight: number, inputWidth: number): Dataset {
  let png: PNG;
  try {
    if (statSync(file).isDirectory()) throw new DataError(file, 'is a directory, expected a PNG file');
    png = PNG.sync.read(readFileSync(file));
  } catch (e) {
    if (e instanceof DataError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(file, code === 'ENOENT' ? 'no such file' : `not a readable PNG (${code ?? (e as Error).message})`);
  }
  let { width: w, height: h } = png;
  let grey = luminance(png.data, w, h);
  if (w > inputWidth || h > inputHeight) {
    // down to the data's 28×28 (the longer side), keeping the aspect ratio
    const scale = Math.max(w, h) / DATA_SIZE;
    const ow = Math.max(1, Math.min(DATA_SIZE, Math.round(w / scale)));
    const oh = Math.max(1, Math.min(DATA_SIZE, Math.round(h / scale)));
    grey = boxResize(grey, w, h, ow, oh);
    w = ow;
    h = oh;
  }
  const mean = grey.reduce((a, b) => a + b, 0) / grey.length;
  const images = new Uint8Array(w * h);
  for (let p = 0; p < w * h; p++) images[p] = Math.max(0, Math.min(255, Math.round(mean > 127 ? 255 - grey[p] : grey[p])));
  return { images, labels: new Uint8Array(1), count: 1, rows: h, cols: w, source: file };
}

export async function runPredict(o: PredictOptions): Promise<number> {
  if ((o.input === undefined) === (o.png === undefined)) throw new CliError('predict: give either --input FILE.idx[.gz] or --png FILE.png');
  if (o.png !== undefined && (o.index !== undefined || o.count !== undefined)) throw new CliError('predict: --index and --count go with --input, not --png');
  const m = loadModel(o.model);
  assertFiniteParams(o.model, m.description, m.params);
  const normalise = m.recipe ? resolveRecipe(m.recipe).normalise : 'unit';
  const d = m.description;
  const [, height, width] = d.input;
  const outputs = d.shapes[d.shapes.length - 1].reduce((a, b) => a * b, 1);
  const classes = classCount(d, outputs);

  let data: Dataset;
  let indices: number[];
  if (o.input !== undefined) {
    const idx = readIdx(o.input, 3);
    const [n, rows, cols] = idx.dims;
    const first = o.index ?? 0;
    const count = o.count ?? 1;
    if (first + count > n) {
      throw new CliError(`${o.input}: holds ${n} images; --index ${first} --count ${count} asks for images ${first}–${first + count - 1}`);
    }
    data = { images: idx.data, labels: new Uint8Array(n), count: n, rows, cols, source: o.input };
    indices = Array.from({ length: count }, (_, k) => first + k);
  } else {
    data = pngToDataset(o.png!, height, width);
    indices = [0];
  }

  const capacity = Math.min(indices.length, 500);
  const net = await createNetwork(d, { backend: o.backend, batch: capacity, threads: o.threads });
  const predictions: Prediction[] = [];
  try {
    net.setParams(m.params);
    const x = net.params instanceof Float64Array ? new Float64Array(capacity * net.inputSize) : new Float32Array(capacity * net.inputSize);
    const labels = new Uint8Array(capacity);
    for (let start = 0; start < indices.length; start += capacity) {
      const b = Math.min(capacity, indices.length - start);
      fillBatch(data, indices, start, b, height, width, normalise === 'lecun' ? LECUN : UNIT, x, labels);
      // the library's predict: class scores (the outputs, or −½‖y − code‖² for a network with class
      // codes) and, for cross-entropy, their softmax
      const r = predict(net, x, b);
      for (let n = 0; n < b; n++) {
        const row = (a: Float64Array) => Array.from(a.subarray(n * classes, (n + 1) * classes));
        const p: Prediction = { index: indices[start + n], class: r.classes[n], scores: row(r.scores) };
        if (r.probabilities) p.probabilities = row(r.probabilities);
        predictions.push(p);
      }
    }
  } finally {
    await net.dispose();
  }

  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  say(`${o.model} on ${o.input ?? o.png}:`);
  for (const p of predictions) {
    const shown = (p.probabilities ?? p.scores).map((v) => v.toFixed(3)).join(' ');
    say(`  ${o.input !== undefined ? `image ${String(p.index).padStart(5)}` : 'image'}  class ${p.class}  ${p.probabilities ? 'probabilities' : 'scores'} ${shown}`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify({ predictions })}\n`);
  return 0;
}
