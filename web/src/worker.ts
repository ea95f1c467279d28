// The playground's training worker: builds the network (the library's wasm fast path, on every core
// when the page is cross-origin isolated), holds the data, trains in slices of a few tens of
// milliseconds so that pause, reset, predictions and inspection requests are answered between them,
// and posts progress, curves and what the page draws. Every failure is posted back as an error.
import {
  argmax, builtinNetworks, classScores as scoresOfRow, createNetwork, datasetFromIdx, decodeModel, DescriptionError, encodeModel, estimateCurvature,
  evaluate, fillBatch, Network, normalisation, parseIdx, range, RecipeError, recipeToJson, resolveRecipe, Rng, scheduledRate,
  shapeSize, softmaxRows, type Dataset, type Evaluation, type Normalisation, type Recipe, type TrainableNetwork,
} from 'convnotes';
import type { FileBytes, FromWorker, Inspection, Point, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: string, f: (e: { reason?: unknown; message?: string; error?: unknown }) => void): void;
};
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

/** Slice of training between two looks at the message queue, and between two progress reports. */
const SLICE_MS = 40;
/**
 * Training time between two evaluations (test and train error on up to EVAL_COUNT images, and the
 * inspection the page draws): at least this, and at least 9× what the last one cost, so that they
 * (and the page's drawing of them, on another core or the same) take at most a tenth of the time.
 */
const EVAL_EVERY_MS = 600;
let evalEvery = EVAL_EVERY_MS;
const EVAL_COUNT = 1000;

let recipe: Recipe | null = null;
let net: TrainableNetwork | null = null;
let threads = 1;
let trainSet: Dataset | null = null;
let testSet: Dataset | null = null;
let running = false;
let selected = 0;

/** Training position: like the CLI's trainer, one Rng drawing every epoch's order and SDLM's sample. */
let rng = new Rng(1);
let epoch = 0; // completed epochs
let epochRng: [number, number, number, number] = rng.getState();
let order: Uint32Array = new Uint32Array(0);
let cursor = 0; // next pattern of the epoch
let step = 0;
let images = 0;
let lossSum = 0;
let lossCount = 0;
let trainMs = 0;
let sinceEval = 0;
let epochStarted = false;
let layerRate = new Float64Array(0);
let curvatureNet: Network | null = null;
let accumulated: Float64Array | null = null;
let points: Point[] = [];

function errorMessage(e: unknown): { message: string; path?: string } {
  if (e instanceof RecipeError || e instanceof DescriptionError) return { message: e.message, path: e.path };
  if (e instanceof Error) return { message: e.message };
  return { message: String(e) };
}

function fail(where: 'recipe' | 'data' | 'model' | 'training' | 'worker', e: unknown, id?: number): void {
  post({ type: 'error', where, ...errorMessage(e), ...(id === undefined ? {} : { id }) });
}

scope.addEventListener('error', (e) => post({ type: 'error', where: 'worker', message: e.message ?? String(e.error) }));
scope.addEventListener('unhandledrejection', (e) => post({ type: 'error', where: 'worker', ...errorMessage(e.reason) }));

function capacity(r: Recipe): number {
  const b = r.training.batch;
  return Math.max(b === 0 ? 1000 : b, 100);
}

function norm(): Normalisation {
  return normalisation(recipe!);
}

/** Builds the network of `r` (fresh parameters, or `params`), resetting the training position. */
async function build(r: Recipe, params?: ArrayLike<number>, velocity?: ArrayLike<number>): Promise<void> {
  running = false;
  const old = net;
  net = null;
  await old?.dispose();
  const n = await createNetwork(r.network, { batch: capacity(r), threads });
  if (params) n.setParams(params);
  if (velocity && velocity.length === n.velocity.length) n.velocity.set(velocity);
  recipe = r;
  net = n;
  resetPosition();
  post({
    type: 'ready', backend: n.backend, threads: n.threads, notice: n.notice,
    relaxedSimd: (n as { relaxedSimd?: boolean }).relaxedSimd ?? false,
    recipe: JSON.stringify(recipeToJson(r), null, 2), name: r.name, params: n.params.length,
    batch: r.training.batch, epochs: r.training.epochs,
  });
  postState();
  inspectAndPost(false);
}

function resetPosition(): void {
  const r = recipe!;
  const seed = r.network.seed;
  rng = new Rng(seed);
  epoch = 0;
  epochRng = rng.getState();
  cursor = 0;
  step = 0;
  images = 0;
  lossSum = 0;
  lossCount = 0;
  trainMs = 0;
  sinceEval = 0;
  evalEvery = EVAL_EVERY_MS;
  epochStarted = false;
  points = [];
  const t = r.training;
  layerRate = new Float64Array(net!.params.length).fill(1);
  for (const v of net!.views) {
    const m = t.layerRates[v.layer];
    if (m !== undefined) layerRate.fill(m, v.offset, v.offset + v.length);
  }
  if (!t.sdlm) net!.rates.set(layerRate);
  curvatureNet = t.sdlm ? new Network(r.network) : null;
  accumulated = t.batch === 0 ? new Float64Array(net!.params.length) : null;
}

function postState(): void {
  post({ type: 'state', running, done: recipe !== null && epoch >= recipe.training.epochs });
}

function readFile(f: FileBytes): Promise<Uint8Array> {
  const bytes = new Uint8Array(f.bytes);
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return Promise.resolve(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer().then((b) => new Uint8Array(b), (e) => {
    throw new Error(`${f.name}: not a readable gzip file (${(e as Error).message})`);
  });
}

/** The four MNIST files, told apart by name (train/t10k, images/labels) or else by header and size. */
async function loadData(files: FileBytes[], limit: number, testLimit: number): Promise<void> {
  const parsed = await Promise.all(files.map(async (f) => ({ name: f.name, idx: parseIdx(await readFile(f), f.name) })));
  const images = parsed.filter((p) => p.idx.dims.length === 3);
  const labels = parsed.filter((p) => p.idx.dims.length === 1);
  const others = parsed.filter((p) => p.idx.dims.length !== 3 && p.idx.dims.length !== 1);
  if (others.length) throw new Error(`${others[0].name}: an IDX file of ${others[0].idx.dims.length} dimensions; expected images (3) or labels (1)`);
  const isTest = (name: string) => /t10k|test/i.test(name);
  const isTrain = (name: string) => /train/i.test(name);
  const pick = (list: typeof parsed, test: boolean) => {
    const named = list.find((p) => (test ? isTest(p.name) : isTrain(p.name)));
    if (named) return named;
    if (list.length === 2) return [...list].sort((a, b) => b.idx.dims[0] - a.idx.dims[0])[test ? 1 : 0];
    return list.length === 1 && !test ? list[0] : undefined;
  };
  const trI = pick(images, false);
  const trL = pick(labels, false);
  const teI = pick(images, true);
  const teL = pick(labels, true);
  if (!trI || !trL) throw new Error(`expected MNIST IDX files: training images and labels (train-images-idx3-ubyte, train-labels-idx1-ubyte, gzipped or not), and optionally t10k-images/t10k-labels; got ${files.map((f) => f.name).join(', ') || 'none'}`);
  if ((teI === undefined) !== (teL === undefined)) throw new Error(`test set: got ${(teI ?? teL)!.name} without its ${teI ? 'labels' : 'images'}`);
  const cut = (d: Dataset, n: number): Dataset => {
    if (!(n > 0) || n >= d.count) return d;
    const size = d.rows * d.cols;
    return { ...d, count: n, images: d.images.subarray(0, n * size), labels: d.labels.subarray(0, n) };
  };
  const tr = cut(datasetFromIdx(trI.idx, trL.idx, trI.name, trL.name), limit);
  const te = teI && teL ? cut(datasetFromIdx(teI.idx, teL.idx, teI.name, teL.name), testLimit) : null;
  trainSet = tr;
  testSet = te;
  selected = Math.min(selected, (te ?? tr).count - 1);
  if (recipe && net) resetPosition();
  post({ type: 'data', train: tr.count, test: te?.count ?? 0, source: files.map((f) => f.name).join(', ') });
  postState();
  inspectAndPost(true);
}

/** Starts an epoch: its order and (SDLM) its rates, as the CLI's trainer does. */
function beginEpoch(): void {
  const r = recipe!;
  const t = r.training;
  const data = trainSet!;
  rng.setState(epochRng);
  if (order.length !== data.count) order = range(data.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (t.shuffle) rng.shuffle(order);
  if (t.sdlm && curvatureNet) {
    const [, h, w] = r.network.input;
    const hkk = estimateCurvature(curvatureNet, net!.params, data, rng, t.sdlm.samples, norm(), h, w);
    for (let k = 0; k < hkk.length; k++) net!.rates[k] = layerRate[k] / (t.sdlm.mu + hkk[k]);
  }
  cursor = 0;
  epochStarted = true;
}

/** One update; returns false at the end of the run. */
function trainOne(scratch: Float32Array | Float64Array, labels: Uint8Array): boolean {
  const r = recipe!;
  const t = r.training;
  const data = trainSet!;
  const n = net!;
  if (epoch >= t.epochs) return false;
  if (!epochStarted) beginEpoch();
  const cap = n.maxBatch === Infinity ? 1000 : n.maxBatch;
  const batch = t.batch === 0 ? Math.min(data.count, cap) : t.batch;
  const patterns = t.batch === 0 ? data.count : Math.floor(data.count / batch) * batch;
  if (patterns === 0) throw new Error(`the training set holds ${data.count} images, fewer than a batch of ${batch}`);
  const [, h, w] = r.network.input;
  const rate = scheduledRate(t.schedule, epoch);
  const b = Math.min(batch, patterns - cursor);
  const inputView = (n as { inputView?: (b: number) => Float32Array }).inputView?.bind(n);
  const input = inputView ? inputView(b) : scratch;
  fillBatch(data, order, cursor, b, h, w, norm(), input, labels);
  const loss = n.computeGradients(input, labels.subarray(0, b), b);
  if (!Number.isFinite(loss)) throw new Error(`training diverged in epoch ${epoch + 1}, update ${step + 1}: the loss is ${loss} (lower the rate)`);
  cursor += b;
  images += b;
  lossSum += loss;
  lossCount++;
  if (accumulated) {
    const g = n.grads;
    for (let k = 0; k < g.length; k++) accumulated[k] += g[k] * b;
    if (cursor < patterns) return true;
    for (let k = 0; k < g.length; k++) g[k] = accumulated[k] / patterns;
    accumulated.fill(0);
  }
  n.update(rate, t.momentum, t.weightDecay);
  step++;
  if (cursor >= patterns) {
    epoch++;
    epochRng = rng.getState();
    epochStarted = false;
  }
  return true;
}

let looping = false;

async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (running && net && recipe && trainSet) {
      const n = net;
      const cap = n.maxBatch === Infinity ? 1000 : n.maxBatch;
      const scratch = n.params instanceof Float64Array ? new Float64Array(cap * n.inputSize) : new Float32Array(cap * n.inputSize);
      const labels = new Uint8Array(cap);
      const started = performance.now();
      let more = true;
      while (performance.now() - started < SLICE_MS && (more = trainOne(scratch, labels)));
      const ms = performance.now() - started;
      trainMs += ms;
      sinceEval += ms;
      let point: Point | null = null;
      const loss = lossCount ? lossSum / lossCount : points.length ? points[points.length - 1].loss : NaN;
      let evaluation: Evaluation | null = null;
      const evalStarted = performance.now();
      if (sinceEval >= evalEvery || !more) {
        sinceEval = 0;
        ({ point, evaluation } = measure());
      }
      post({
        type: 'progress', step, epoch, epochs: recipe.training.epochs, images, loss,
        imagesPerSecond: trainMs > 0 ? images / (trainMs / 1000) : 0, point,
      });
      if (point) {
        inspectAndPost(evaluation ?? true);
        evalEvery = Math.max(EVAL_EVERY_MS, 9 * (performance.now() - evalStarted));
      }
      if (!more) {
        running = false;
        postState();
      }
      await yieldToMessages();
    }
  } catch (e) {
    running = false;
    fail('training', e);
    postState();
  } finally {
    looping = false;
  }
}

const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
/** Lets queued messages (pause, predict, …) run: a macrotask without setTimeout's clamping. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(0);
  });
}

/** A point of the curves: the mean training loss since the last one, train and test error on up to EVAL_COUNT images. */
function measure(): { point: Point; evaluation: Evaluation | null } {
  const n = net!;
  const evalBatch = Math.min(250, n.maxBatch);
  const trainError = trainSet ? evaluate(n, trainSet, range(Math.min(EVAL_COUNT, trainSet.count)), norm(), evalBatch).error : null;
  const test = testSet ? evaluate(n, testSet, range(Math.min(EVAL_COUNT, testSet.count)), norm(), evalBatch) : null;
  const testError = test ? test.error : null;
  const p: Point = { step, images, epoch: epoch + cursor / Math.max(1, trainSet?.count ?? 1), loss: lossCount ? lossSum / lossCount : NaN, trainError, testError };
  lossSum = 0;
  lossCount = 0;
  points.push(p);
  return { point: p, evaluation: test };
}

/**
 * Kernels, the chosen image's feature maps, α, β and the confusion matrix on the first EVAL_COUNT test
 * images (`confusion`: true to compute it, or an evaluation that has it; false: none).
 */
function inspect(confusion: boolean | Evaluation | null): Inspection {
  const n = net!;
  const d = n.description;
  const kernels: Inspection['kernels'] = [];
  const alpha: Inspection['alpha'] = [];
  const beta: Inspection['beta'] = [];
  for (const v of n.views) {
    const spec = d.layers[v.layerIndex];
    if (v.kind === 'kernel') kernels.push({ layer: v.layer, count: v.shape[0], size: v.shape[1], values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)) });
    if (v.kind === 'c') {
      const [J, I] = v.shape;
      const a = new Float64Array(J * I);
      softmaxRows(Float64Array.from(n.params.subarray(v.offset, v.offset + v.length)), J, I, a);
      alpha.push({ layer: v.layer, rows: J, cols: I, values: Float32Array.from(a) });
    }
    if (v.kind === 'beta') beta.push({ layer: v.layer, values: Float32Array.from(n.params.subarray(v.offset, v.offset + v.length)), trainable: true });
  }
  d.layers.forEach((spec, l) => {
    if (spec.type === 'subsample' && spec.beta !== 'trainable') {
      beta.push({ layer: spec.name, values: new Float32Array(d.shapes[l][0]).fill(spec.betaInit), trainable: false });
    }
  });
  const data = testSet ?? trainSet;
  let image: Inspection['image'] = null;
  const maps: Inspection['maps'] = [];
  let scores: number[] | null = null;
  if (data && data.count > 0) {
    const index = Math.max(0, Math.min(selected, data.count - 1));
    const [, h, w] = d.input;
    const size = data.rows * data.cols;
    image = { index, label: data.labels[index], rows: data.rows, cols: data.cols, pixels: data.images.slice(index * size, (index + 1) * size) };
    const x = n.params instanceof Float64Array ? new Float64Array(n.inputSize) : new Float32Array(n.inputSize);
    fillBatch(data, [index], 0, 1, h, w, norm(), x, new Uint8Array(1));
    const y = n.forward(x, 1);
    scores = classScores(y, 0);
    const activation = (n as { activation?: (l: number) => Float32Array | Float64Array }).activation?.bind(n);
    if (activation) {
      d.layers.forEach((spec, l) => {
        const [m, r, c] = d.shapes[l];
        maps.push({ layer: spec.name, maps: m, rows: r, cols: c, values: Float32Array.from(activation(l).subarray(0, shapeSize(d.shapes[l]))) });
      });
    }
  }
  let conf: Inspection['confusion'] = null;
  if (confusion && data) {
    const e = confusion === true ? evaluate(n, data, range(Math.min(EVAL_COUNT, data.count)), norm(), Math.min(250, n.maxBatch)) : confusion;
    conf = { classes: Math.round(Math.sqrt(e.confusion.length)), counts: e.confusion, count: e.count };
  }
  return { kernels, image, maps, scores, alpha, beta, confusion: conf };
}

function inspectAndPost(confusion: boolean | Evaluation | null): void {
  if (!net || !recipe) return;
  try {
    post({ type: 'inspect', inspection: inspect(confusion) });
  } catch (e) {
    fail('worker', e);
  }
}

/**
 * Per-class scores of output row `row` (the library's classScores): the outputs themselves, or, for a
 * network with class codes (LeCun's RBF output), −½‖y − code‖² per class, the nearest code scoring
 * highest. The class is the argmax either way.
 */
function classScores(y: ArrayLike<number>, row: number): number[] {
  const n = net!;
  const scores = new Float64Array(n.classes);
  scoresOfRow(n.description.codes, y, row, n.outputSize, scores);
  return Array.from(scores);
}

/** Class scores of a 28×28 grey image (0–255, bright digit on dark), placed and normalised like the data. */
function predict(grey: Float32Array): { scores: number[]; classIndex: number } {
  const n = net!;
  const side = Math.round(Math.sqrt(grey.length));
  const pixels = new Uint8Array(grey.length);
  for (let i = 0; i < grey.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round(grey[i])));
  const data: Dataset = { images: pixels, labels: new Uint8Array(1), count: 1, rows: side, cols: side, source: 'the drawing' };
  const [, h, w] = n.description.input;
  const x = n.params instanceof Float64Array ? new Float64Array(n.inputSize) : new Float32Array(n.inputSize);
  fillBatch(data, [0], 0, 1, h, w, norm(), x, new Uint8Array(1));
  const y = n.forward(x, 1);
  const scores = classScores(y, 0);
  return { scores, classIndex: argmax(scores, 0, scores.length) };
}

function predictTest(count: number): { classes: number[]; scores: number[][] } {
  const n = net!;
  const data = testSet;
  if (!data) throw new Error('no test set loaded');
  const total = Math.min(count, data.count);
  const cap = Math.min(n.maxBatch, 500);
  const [, h, w] = n.description.input;
  const x = n.params instanceof Float64Array ? new Float64Array(cap * n.inputSize) : new Float32Array(cap * n.inputSize);
  const labels = new Uint8Array(cap);
  const classes: number[] = [];
  const scores: number[][] = [];
  const indices = range(total);
  for (let start = 0; start < total; start += cap) {
    const b = Math.min(cap, total - start);
    fillBatch(data, indices, start, b, h, w, norm(), x, labels);
    const y = n.forward(x, b);
    for (let k = 0; k < b; k++) {
      const sc = classScores(y, k);
      classes.push(argmax(sc, 0, sc.length));
      scores.push(sc);
    }
  }
  return { classes, scores };
}

function save(): { bytes: Uint8Array; name: string } {
  const n = net!;
  const r = recipe!;
  // The state of the last epoch end, as the CLI's trainer saves it (`convnotes train --resume` continues from it).
  const training = {
    seed: r.network.seed, epoch, rng: epochRng, history: [],
    playground: { step, images, midEpoch: epochStarted && cursor > 0, curve: points },
  };
  const bytes = encodeModel({ description: r.network, params: n.params, views: n.views, recipe: recipeToJson(r), training, state: { velocity: n.velocity } });
  return { bytes, name: `${r.name}.safetensors` };
}

async function load(name: string, bytes: ArrayBuffer): Promise<void> {
  const m = decodeModel(new Uint8Array(bytes), name);
  const r = m.recipe
    ? resolveRecipe(m.recipe, builtinNetworks)
    : resolveRecipe({ name: m.description.name ?? 'model', network: m.description, training: { epochs: 1, batch: 50, rate: 1 } });
  const velocity = m.state.velocity;
  await build({ ...r, network: m.description }, m.params, velocity);
  post({ type: 'loaded', recipe: JSON.stringify(recipeToJson(recipe!), null, 2), name });
}

let queue: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const m = e.data;
  // messages that change the network run one after another; the rest are answered at once
  switch (m.type) {
    case 'pause':
      running = false;
      postState();
      return;
    case 'select':
      selected = m.index;
      inspectAndPost(false);
      return;
    case 'predict':
      if (!net) return fail('model', new Error('no network yet'), m.id);
      try {
        const p = predict(m.grey);
        post({ type: 'prediction', id: m.id, scores: p.scores, classIndex: p.classIndex, grey: m.grey });
      } catch (err) {
        fail('model', err, m.id);
      }
      return;
    case 'predictTest':
      try {
        if (!net) throw new Error('no network yet');
        post({ type: 'testPredictions', id: m.id, ...predictTest(m.count) });
      } catch (err) {
        fail('model', err, m.id);
      }
      return;
    case 'save':
      try {
        if (!net) throw new Error('no network yet');
        const s = save();
        const copy = s.bytes.slice().buffer;
        post({ type: 'saved', id: m.id, bytes: copy, name: s.name }, [copy]);
      } catch (err) {
        fail('model', err, m.id);
      }
      return;
  }
  queue = queue.then(async () => {
    switch (m.type) {
      case 'configure': {
        let r: Recipe;
        try {
          r = resolveRecipe(JSON.parse(m.recipe), builtinNetworks);
        } catch (err) {
          if (err instanceof SyntaxError) return fail('recipe', new Error(`not valid JSON: ${err.message}`));
          return fail('recipe', err);
        }
        threads = m.threads;
        try {
          await build(r);
        } catch (err) {
          fail('recipe', err);
        }
        return;
      }
      case 'data':
        try {
          await loadData(m.files, m.limit, m.testLimit);
        } catch (err) {
          fail('data', err);
        }
        return;
      case 'start':
        if (!net || !recipe) return fail('training', new Error('no network: choose a recipe first'));
        if (!trainSet) return fail('training', new Error('no training data: drop the MNIST IDX files onto the page, pick them, or load the served folder'));
        if (epoch >= recipe.training.epochs) return fail('training', new Error(`the recipe's ${recipe.training.epochs} epoch(s) are done: reset, or raise training.epochs`));
        running = true;
        postState();
        void loop();
        return;
      case 'reset':
        if (!recipe) return;
        try {
          await build(recipe);
        } catch (err) {
          fail('training', err);
        }
        return;
      case 'load':
        threads = m.threads;
        try {
          await load(m.name, m.bytes);
        } catch (err) {
          fail('model', err);
        }
        return;
    }
  });
};
