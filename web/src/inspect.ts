// What the playground reads off a network (no training here: that is the library's Trainer, driven by
// worker.ts): kernels, the chosen image's maps, α, β and the confusion matrix the page draws, and class
// scores of a drawing or of the test images.
import {
  argmax, channelsOf, classScores as scoresOfRow, compileConnections, evaluate, fillBatch, range, shapeSize, softmaxRows,
  type Dataset, type Evaluation, type Normalisation, type TrainableNetwork,
} from 'convnotes';
import type { Inspection } from './protocol.js';

/** Images evaluated for the confusion matrix and the curves: the first this many. */
export const EVAL_COUNT = 1000;

/**
 * Per-class scores of output row `row` (the library's classScores): the outputs themselves, or, for a
 * network with class codes (LeCun's RBF output), −½‖y − code‖² per class, the nearest code scoring
 * highest. The class is the argmax either way.
 */
function classScores(n: TrainableNetwork, y: ArrayLike<number>, row: number): number[] {
  const scores = new Float64Array(n.classes);
  scoresOfRow(n.description.codes, y, row, n.outputSize, scores);
  return Array.from(scores);
}

/** Class scores of output row 0 and the class they choose. */
export function scoresOf(n: TrainableNetwork, y: ArrayLike<number>): { scores: number[]; classIndex: number } {
  const scores = classScores(n, y, 0);
  return { scores, classIndex: argmax(scores, 0, scores.length) };
}

/**
 * The first layer's kernels as colour images when the input has 3 maps (RGB): per output map, the
 * kernels from input maps 0, 1, 2 as its R, G, B planes ([count][3][K][K], 0 where a map is not read);
 * a combination layer's shared kernels (one per input map) as one image. Null otherwise.
 */
function rgbKernels(n: TrainableNetwork): NonNullable<Inspection['rgbKernels']> | null {
  const d = n.description;
  const spec = d.layers[0];
  if (d.input[0] !== 3 || (spec.type !== 'conv' && spec.type !== 'combination')) return null;
  const view = n.views.find((v) => v.kind === 'kernel' && v.layer === spec.name);
  if (!view) return null;
  const K = view.shape[1];
  const KK = K * K;
  const k = n.params.subarray(view.offset, view.offset + view.length);
  // for each output map, which kernel (index) is its slice of input map i, or -1
  const pick: number[][] = [];
  if (spec.type === 'conv') {
    const c = compileConnections(spec.connections, 3, spec.maps);
    for (let j = 0; j < spec.maps; j++) {
      const row = [-1, -1, -1];
      for (let q = c.start[j]; q < c.start[j + 1]; q++) row[c.input[q]] = q;
      pick.push(row);
    }
  } else if (spec.kernels === 'shared') pick.push([0, 1, 2]);
  else for (let j = 0; j < spec.maps; j++) pick.push([3 * j, 3 * j + 1, 3 * j + 2]);
  const values = new Float32Array(pick.length * 3 * KK);
  pick.forEach((row, j) => row.forEach((q, i) => {
    if (q >= 0) for (let t = 0; t < KK; t++) values[(3 * j + i) * KK + t] = k[q * KK + t];
  }));
  return { layer: spec.name, count: pick.length, size: K, values };
}

/** Error and loss on the first EVAL_COUNT images of `data`. */
export function evaluateHead(n: TrainableNetwork, data: Dataset, norm: Normalisation): Evaluation {
  return evaluate(n, data, range(Math.min(EVAL_COUNT, data.count)), norm, Math.min(250, n.maxBatch));
}

/**
 * Kernels, image `selected` of `data` and its feature maps, α, β and the confusion matrix on the first
 * EVAL_COUNT images (`confusion`: true to compute it, or an evaluation that has it; false: none).
 */
export function inspect(n: TrainableNetwork, norm: Normalisation, data: Dataset | null, selected: number, confusion: boolean | Evaluation | null): Inspection {
  const d = n.description;
  const kernels: Inspection['kernels'] = [];
  const alpha: Inspection['alpha'] = [];
  const beta: Inspection['beta'] = [];
  for (const v of n.views) {
    if (v.kind === 'kernel') kernels.push({ layer: v.layer, count: v.shape[0], size: v.shape[1], values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)) });
    if (v.kind === 'c') {
      const [J, I] = v.shape;
      const a = new Float64Array(J * I);
      softmaxRows(Float64Array.from(n.params.subarray(v.offset, v.offset + v.length)), J, I, a);
      alpha.push({ layer: v.layer, rows: J, cols: I, values: Float32Array.from(a) });
    }
    if (v.kind === 'beta') beta.push({ layer: v.layer, values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)), trainable: true });
    // batch normalisation's γ and β per map, shown as the subsampling β is
    if (v.kind === 'scale') beta.push({ layer: v.layer, values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)), trainable: true, what: 'batchnorm γ' });
    if (v.kind === 'shift') beta.push({ layer: v.layer, values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)), trainable: true, what: 'batchnorm β' });
  }
  d.layers.forEach((spec, l) => {
    if (spec.type === 'subsample' && spec.beta !== 'trainable') {
      beta.push({ layer: spec.name, values: new Float32Array(d.shapes[l][0]).fill(spec.betaInit), trainable: false });
    }
  });
  let image: Inspection['image'] = null;
  const maps: Inspection['maps'] = [];
  let scores: number[] | null = null;
  // images that do not fit the network (data loaded for another one) are not run through it
  const [maps0, h, w] = d.input;
  const fits = data !== null && channelsOf(data) === maps0 && data.rows <= h && data.cols <= w;
  if (data && fits && data.count > 0) {
    const index = Math.max(0, Math.min(selected, data.count - 1));
    const channels = channelsOf(data);
    const size = channels * data.rows * data.cols;
    image = { index, label: data.labels[index], channels, rows: data.rows, cols: data.cols, pixels: data.images.slice(index * size, (index + 1) * size) };
    const x = n.inputView(1);
    fillBatch(data, [index], 0, 1, h, w, norm, x, new Uint8Array(1));
    scores = classScores(n, n.forward(x, 1), 0);
    // a colour input's maps as the network sees them (normalised, centred in the input): one RGB image
    if (maps0 === 3) maps.push({ layer: 'input maps (R, G, B as the network sees them)', maps: 3, rows: h, cols: w, values: Float32Array.from(x.subarray(0, 3 * h * w)), rgb: true });
    d.layers.forEach((spec, l) => {
      const [m, r, c] = d.shapes[l];
      // max pooling's routing: where each block's maximum sat in the maps below, the only units its δ reaches
      if (spec.type === 'subsample' && spec.down === 'max') {
        const [, h, w] = l === 0 ? d.input : d.shapes[l - 1];
        const below = l === 0 ? x : n.activation(l - 1);
        maps.push({ layer: `${spec.name} routes δ to`, maps: m, rows: h, cols: w, values: maxRouting(below, m, h, w, spec.factor), rgb: l === 0 && m === 3 });
      }
      maps.push({ layer: spec.name, maps: m, rows: r, cols: c, values: Float32Array.from(n.activation(l).subarray(0, shapeSize(d.shapes[l]))) });
    });
  }
  let conf: Inspection['confusion'] = null;
  if (confusion && data && fits) {
    const e = confusion === true ? evaluateHead(n, data, norm) : confusion;
    conf = { classes: Math.round(Math.sqrt(e.confusion.length)), counts: e.confusion, count: e.count };
  }
  return { kernels, rgbKernels: rgbKernels(n), image, maps, scores, alpha, beta, confusion: conf };
}

/** 1 at the first maximum (row-major) of every distinct n×n block of m maps h×w, 0 elsewhere: where max pooling sends δ. */
function maxRouting(x: ArrayLike<number>, m: number, h: number, w: number, n: number): Float32Array {
  const out = new Float32Array(m * h * w);
  for (let j = 0; j < m; j++) {
    for (let a = 0; a + n <= h; a += n) {
      for (let b = 0; b + n <= w; b += n) {
        let best = j * h * w + a * w + b;
        for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (x[j * h * w + (a + r) * w + b + c] > x[best]) best = j * h * w + (a + r) * w + b + c;
        out[best] = 1;
      }
    }
  }
  return out;
}

/** Class scores of a 28×28 grey image (0–255, bright digit on dark), placed and normalised like the data. */
export function predictGrey(n: TrainableNetwork, norm: Normalisation, grey: Float32Array): { scores: number[]; classIndex: number } {
  if (n.description.input[0] !== 1) throw new Error(`the drawing is a grey digit; this network's input has ${n.description.input[0]} maps: classify a picture instead`);
  const side = Math.round(Math.sqrt(grey.length));
  const pixels = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(grey[i])));
  const data: Dataset = { images: pixels, labels: new Uint8Array(1), count: 1, rows: side, cols: side, source: 'the drawing' };
  const [, h, w] = n.description.input;
  const x = n.inputView(1);
  fillBatch(data, [0], 0, 1, h, w, norm, x, new Uint8Array(1));
  const scores = classScores(n, n.forward(x, 1), 0);
  return { scores, classIndex: argmax(scores, 0, scores.length) };
}

/** Classes and scores of the first `count` images of `data`. */
export function predictTest(n: TrainableNetwork, norm: Normalisation, data: Dataset, count: number): { classes: number[]; scores: number[][] } {
  const total = Math.min(count, data.count);
  const cap = Math.min(n.maxBatch, 500);
  const [, h, w] = n.description.input;
  const labels = new Uint8Array(cap);
  const classes: number[] = [];
  const scores: number[][] = [];
  const indices = range(total);
  for (let start = 0; start < total; start += cap) {
    const b = Math.min(cap, total - start);
    const x = n.inputView(b);
    fillBatch(data, indices, start, b, h, w, norm, x, labels);
    const y = n.forward(x, b);
    for (let k = 0; k < b; k++) {
      const sc = classScores(n, y, k);
      classes.push(argmax(sc, 0, sc.length));
      scores.push(sc);
    }
  }
  return { classes, scores };
}
