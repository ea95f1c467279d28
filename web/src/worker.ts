// The playground's training worker: message handling around the library's Trainer, the one training
// loop (src/train/trainer.ts). It builds the network as `convnotes train` does (createTrainingNetwork:
// the same capacity, the engine's own distortions when the recipe has them, on every core when the page
// is cross-origin isolated), trains in slices of a few tens of milliseconds so that pause, reset,
// predictions and inspection requests are answered between them, and posts progress, curves and what
// the page draws. Same recipe, data and seed as the CLI: the same weights, bit for bit.
//
// Data (images.ts): MNIST's IDX files, or class folders of pictures (a folder or a zip). As `convnotes
// train` does, the recipe the page configured is fitted to the data (fitRecipe: the input takes the
// data's channels and size, the output its classes and names; withStatistics for "standard"), each
// change said in the page's log; a network whose layout that changes is built afresh.
import {
  builtinNetworks, channelsOf, classesOf, createTrainingNetwork, DescriptionError, fillBatch, fitRecipe, initialState, normalisation, RecipeError,
  recipeToJson, resolveRecipe, Trainer, UNIT, withStatistics, type Dataset, type DataShape, type Evaluation, type Recipe, type TrainableNetwork,
} from 'convnotes';
import { cut, readMnist, readModel, writeModel } from './files.js';
import { expand, idxFiles, kindOf, pictureInput, readImageSet } from './images.js';
import { evaluateHead, inspect, predictGrey, predictTest, scoresOf } from './inspect.js';
import type { DataFile, DataInfo, FromWorker, Point, ToWorker } from './protocol.js';

const scope = globalThis as unknown as {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  addEventListener(type: string, f: (e: { reason?: unknown; message?: string; error?: unknown }) => void): void;
};
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

/** Slice of training between two looks at the message queue, and between two progress reports. */
const SLICE_MS = 40;
/** Training time between two evaluations and inspections: at least this, and 9× what the last cost (≤ a tenth of the time). */
const EVAL_EVERY_MS = 600;
let evalEvery = EVAL_EVERY_MS;

/** The recipe as configured (or a model file's), before it is fitted to the data. */
let base: Recipe | null = null;
/** The recipe the network trains: `base` fitted to the loaded data. */
let recipe: Recipe | null = null;
/** The loaded data's shape and classes (before the page's limits cut it), what recipes are fitted to. */
let shape: DataShape | null = null;
let net: TrainableNetwork | null = null;
/** The training position (null until there are a network and data; a fresh one on reset or new data). */
let trainer: Trainer | null = null;
let threads = 1;
let trainSet: Dataset | null = null;
let testSet: Dataset | null = null;
let running = false;
let selected = 0;
let trainMs = 0;
let sinceEval = 0;
let points: Point[] = [];

const errorMessage = (e: unknown): { message: string; path?: string } =>
  (e instanceof RecipeError || e instanceof DescriptionError ? { message: e.message, path: e.path } : { message: e instanceof Error ? e.message : String(e) });

function fail(where: 'recipe' | 'data' | 'model' | 'training' | 'worker', e: unknown, id?: number): void {
  post({ type: 'error', where, ...errorMessage(e), ...(id === undefined ? {} : { id }) });
}

scope.addEventListener('error', (e) => post({ type: 'error', where: 'worker', message: e.message ?? String(e.error) }));
scope.addEventListener('unhandledrejection', (e) => post({ type: 'error', where: 'worker', ...errorMessage(e.reason) }));

const norm = () => normalisation(recipe!);
const log = (...lines: string[]): void => {
  if (lines.length) post({ type: 'log', lines });
};

/** `r` fitted to the loaded data (as it is when there is none), and what changed, as `convnotes train` says it. */
function fitted(r: Recipe): { recipe: Recipe; notes: string[] } {
  if (!shape || !trainSet) return { recipe: r, notes: [] };
  const f = fitRecipe(r, shape);
  const s = withStatistics(f.recipe, trainSet);
  return { recipe: s.recipe, notes: [...f.notes.map((n) => `${r.name} fitted to the data: ${n}`), ...s.notes.map((n) => `${r.name}: ${n}`)] };
}

/** Whether two recipes' networks have the same parameters (input, layers, outputs): weights carry over. */
const sameLayout = (a: Recipe, b: Recipe): boolean => JSON.stringify([a.network.input, a.network.layers]) === JSON.stringify([b.network.input, b.network.layers]);

/** Builds the network of `r` for the loaded images (fresh parameters, or `params`), resetting the training position. */
async function build(r: Recipe, params?: ArrayLike<number>, velocity?: ArrayLike<number>): Promise<void> {
  running = false;
  const old = net;
  net = null;
  await old?.dispose();
  // laid out to distort the loaded images (MNIST's 28×28 until there are some)
  const n = await createTrainingNetwork(r, trainSet ?? { rows: 28, cols: 28 }, { threads });
  if (params) n.setParams(params);
  if (velocity && velocity.length === n.velocity.length) n.velocity.set(velocity);
  recipe = r;
  net = n;
  resetPosition();
  postReady();
  postState();
  inspectAndPost(false);
}

function postReady(): void {
  const n = net!;
  const r = recipe!;
  post({
    type: 'ready', backend: n.backend, threads: n.threads, notice: n.notice, relaxedSimd: n.relaxedSimd,
    recipe: JSON.stringify(recipeToJson(r), null, 2), name: r.name, params: n.params.length,
    batch: r.training.batch, epochs: r.training.epochs, seed: r.network.seed, distortions: r.augment !== null,
    input: [...r.network.input] as [number, number, number], classNames: r.network.classNames ? [...r.network.classNames] : null,
  });
}

/** A fresh Trainer over the loaded data, seeded as `convnotes train --seed <the network's seed>`. */
function resetPosition(): void {
  trainer = null;
  // a recipe the data does not suit (a batch larger than the set, …) says why at Start
  if (net && recipe && trainSet) try { trainer = newTrainer(net, recipe, trainSet); } catch { /* at Start */ }
  trainMs = 0;
  sinceEval = 0;
  evalEvery = EVAL_EVERY_MS;
  points = [];
}

const newTrainer = (n: TrainableNetwork, r: Recipe, data: Dataset) => new Trainer({ net: n, recipe: r, train: data, seed: r.network.seed, evalTrain: 0 });

function postState(): void {
  post({ type: 'state', running, done: trainer?.done ?? false });
}

async function loadData(files: DataFile[], limit: number, testLimit: number): Promise<void> {
  const { files: given, zips } = await expand(files);
  log(...zips.map((z) => `opened ${z}`));
  const kind = kindOf(given);
  let train: Dataset;
  let test: Dataset | null;
  let source: string;
  let counted = { files: 0, skipped: 0 };
  if (kind === 'idx') {
    ({ train, test } = await readMnist(await idxFiles(given)));
    source = files.map((f) => f.path).join(', ');
  } else {
    const lines: string[] = [];
    try {
      const set = await readImageSet(given, (l) => lines.push(l));
      ({ train, source } = set);
      test = set.test ?? set.val;
      if (!set.test && set.val) lines.push(`${source}: no test/ split; the page's test curve and confusion matrix are val/'s`);
      if (!set.test && !set.val) lines.push(`${source}: no test/ split (class folders alone are training data); the page shows no test error`);
      counted = { files: set.files, skipped: set.skipped };
    } finally {
      log(...lines);
    }
  }
  const classes = Math.max(classesOf(train), test ? classesOf(test) : 0);
  shape = { channels: channelsOf(train), rows: train.rows, cols: train.cols, classes, classNames: train.classNames, source };
  trainSet = cut(train, limit);
  testSet = test ? cut(test, testLimit) : null;
  selected = Math.min(selected, (testSet ?? trainSet).count - 1);
  const info: DataInfo = {
    train: trainSet.count, test: testSet?.count ?? 0, source, kind, channels: shape.channels, rows: train.rows, cols: train.cols,
    classNames: train.classNames ? [...train.classNames] : null, classes, ...counted,
  };
  log(`read ${source}: ${info.train} training and ${info.test} test images, ${info.rows}×${info.cols} ${info.channels === 3 ? 'colour (3 channels)' : 'grey'}, ${classes} classes${info.classNames ? ` (${info.classNames.join(', ')})` : ''}`);
  if (base && net && recipe) {
    let f: { recipe: Recipe; notes: string[] } | null = null;
    try {
      f = fitted(base);
    } catch (e) {
      fail('recipe', e);
    }
    if (f) {
      log(...f.notes);
      if (!sameLayout(recipe, f.recipe)) {
        log(`a new ${f.recipe.name} network for this data (${f.recipe.network.input.join('×')} input, ${shape.classes} classes): fresh weights`);
        await build(f.recipe);
      } else if (f.recipe.augment) {
        // the engine distorts images of the size it was laid out for: laid out again (same weights) for these
        await build(f.recipe, net.params.slice(), net.velocity.slice());
      } else {
        recipe = f.recipe;
        resetPosition();
        postReady();
      }
    } else resetPosition();
  }
  post({ type: 'data', ...info });
  postState();
  inspectAndPost(true);
}

let looping = false;
async function loop(): Promise<void> {
  if (looping) return;
  looping = true;
  try {
    while (running && trainer) {
      const t = trainer;
      const started = performance.now();
      t.runFor(SLICE_MS);
      const ms = performance.now() - started;
      [trainMs, sinceEval] = [trainMs + ms, sinceEval + ms];
      const evalStarted = performance.now();
      const { point, evaluation } = sinceEval >= evalEvery || t.done ? measure(t) : { point: null, evaluation: null };
      post({
        type: 'progress', step: t.updates, epoch: t.epoch, epochs: t.recipe.training.epochs, images: t.images, loss: t.loss,
        imagesPerSecond: trainMs > 0 ? t.images / (trainMs / 1000) : 0, point,
      });
      if (point) {
        inspectAndPost(evaluation ?? true);
        evalEvery = Math.max(EVAL_EVERY_MS, 9 * (performance.now() - evalStarted));
      }
      if (t.done) {
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

/** A point of the curves: the epoch's mean training loss so far, train and test error on up to EVAL_COUNT images. */
function measure(t: Trainer): { point: Point; evaluation: Evaluation | null } {
  sinceEval = 0;
  const trainError = evaluateHead(t.net, trainSet!, norm()).error;
  const evaluation = testSet ? evaluateHead(t.net, testSet, norm()) : null;
  const p: Point = { step: t.updates, images: t.images, epoch: t.epoch + t.position / trainSet!.count, loss: t.loss, trainError, testError: evaluation ? evaluation.error : null };
  points.push(p);
  return { point: p, evaluation };
}

function inspectAndPost(confusion: boolean | Evaluation | null): void {
  if (!net || !recipe) return;
  try {
    const data = testSet ?? trainSet;
    // no data, nothing to normalise (a "standard" recipe has no statistics before it has a training set)
    post({ type: 'inspect', inspection: inspect(net, data ? norm() : UNIT, data, selected, confusion) });
  } catch (e) {
    fail('worker', e);
  }
}

/** Weights, velocities and the last epoch end's state as the CLI saves it (`convnotes train --resume` continues it); never NaN weights. */
function save(): { bytes: Uint8Array; name: string } {
  trainer?.checkWeights();
  const playground = { step: trainer?.updates ?? 0, images: trainer?.images ?? 0, midEpoch: (trainer?.position ?? 0) > 0, curve: points };
  return { bytes: writeModel(net!, recipe!, { ...(trainer ? trainer.state() : initialState(recipe!.network.seed)), playground }), name: `${recipe!.name}.safetensors` };
}

async function load(name: string, bytes: ArrayBuffer): Promise<void> {
  const m = readModel(name, bytes);
  // a model opens as it was trained: its own recipe, not fitted (data it does not fit is refused at Start)
  base = m.recipe;
  await build(m.recipe, m.params, m.velocity);
  post({ type: 'loaded', recipe: JSON.stringify(recipeToJson(recipe!), null, 2), name });
}

type Immediate = Extract<ToWorker, { type: 'pause' | 'select' | 'predict' | 'predictTest' | 'save' | 'picture' | 'images' }>;

/** A picture classified as `convnotes predict --image` does: the input's channels, centred, or resized to the input. */
async function classifyPicture(m: Extract<ToWorker, { type: 'picture' }>): Promise<void> {
  try {
    if (!net || !recipe) throw new Error('no network yet');
    const n = net;
    const [maps, h, w] = n.description.input;
    const d = await pictureInput(m.blob, m.name, maps, h, w);
    const x = n.inputView(1);
    fillBatch(d, [0], 0, 1, h, w, norm(), x, new Uint8Array(1));
    const { scores, classIndex } = scoresOf(n, n.forward(x, 1));
    post({ type: 'prediction', id: m.id, scores, classIndex, picture: { name: m.name, channels: maps, rows: d.rows, cols: d.cols, levels: d.images } });
  } catch (err) {
    fail('data', err, m.id);
  }
}

/** Messages answered at once, between two training slices. */
function answer(m: Immediate): void {
  if (m.type === 'pause') {
    running = false;
    return postState();
  }
  if (m.type === 'select') {
    selected = m.index;
    return inspectAndPost(false);
  }
  if (m.type === 'picture') return void classifyPicture(m);
  if (m.type === 'images') {
    const d = m.split === 'test' ? testSet : trainSet;
    if (!d) return fail('data', new Error(`no ${m.split === 'test' ? 'test' : 'training'} set loaded`), m.id);
    const channels = channelsOf(d);
    const size = channels * d.rows * d.cols;
    const from = Math.max(0, Math.min(m.start, d.count));
    const to = Math.max(from, Math.min(from + m.count, d.count));
    return post({ type: 'images', id: m.id, channels, rows: d.rows, cols: d.cols, levels: d.images.slice(from * size, to * size), labels: Array.from(d.labels.subarray(from, to)) });
  }
  try {
    if (!net) throw new Error('no network yet');
    if (m.type === 'predict') post({ type: 'prediction', id: m.id, ...predictGrey(net, norm(), m.grey), grey: m.grey });
    else if (m.type === 'predictTest') {
      if (!testSet) throw new Error('no test set loaded');
      post({ type: 'testPredictions', id: m.id, ...predictTest(net, norm(), testSet, m.count) });
    } else {
      const s = save();
      const copy = s.bytes.slice().buffer;
      post({ type: 'saved', id: m.id, bytes: copy, name: s.name }, [copy]);
    }
  } catch (err) {
    fail('model', err, m.id);
  }
}

/** Messages that change the network or the data, one after another; what each failure is about. */
const ABOUT = { configure: 'recipe', data: 'data', start: 'training', reset: 'training', load: 'model' } as const;
async function change(m: Exclude<ToWorker, Immediate>): Promise<void> {
  switch (m.type) {
    case 'configure': {
      let json: unknown;
      try {
        json = JSON.parse(m.recipe);
      } catch (err) {
        throw new Error(`not valid JSON: ${(err as Error).message}`);
      }
      threads = m.threads;
      const configured = resolveRecipe(json, builtinNetworks);
      const f = fitted(configured);
      base = configured;
      log(...f.notes);
      return build(f.recipe);
    }
    case 'data':
      return loadData(m.files, m.limit, m.testLimit);
    case 'start':
      if (!net || !recipe) throw new Error('no network: choose a recipe first');
      if (!trainSet) throw new Error('no training data: drop the MNIST IDX files or a folder (or a zip) of class folders of pictures onto the page, pick them, or load the served folder');
      trainer ??= newTrainer(net, recipe, trainSet);
      if (trainer.done) throw new Error(`the recipe's ${recipe.training.epochs} epoch(s) are done: reset, or raise training.epochs`);
      running = true;
      postState();
      void loop();
      return;
    case 'reset':
      return recipe ? build(recipe) : undefined;
    case 'load':
      threads = m.threads;
      return load(m.name, m.bytes);
  }
}

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'pause' || m.type === 'select' || m.type === 'predict' || m.type === 'predictTest' || m.type === 'save' || m.type === 'picture' || m.type === 'images') return answer(m);
  queue = queue.then(() => change(m).catch((err) => fail(ABOUT[m.type], err)));
};
