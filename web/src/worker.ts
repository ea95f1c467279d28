// The playground's training worker: message handling around the library's Trainer, the one training
// loop (src/train/trainer.ts). It builds the network as `convnotes train` does (createTrainingNetwork:
// the same capacity, the engine's own distortions when the recipe has them, on every core when the page
// is cross-origin isolated), trains in slices of a few tens of milliseconds so that pause, reset,
// predictions and inspection requests are answered between them, and posts progress, curves and what
// the page draws. Same recipe, data and seed as the CLI: the same weights, bit for bit.
import {
  builtinNetworks, createTrainingNetwork, DescriptionError, initialState, normalisation, RecipeError, recipeToJson, resolveRecipe,
  Trainer, type Dataset, type Evaluation, type Recipe, type TrainableNetwork,
} from 'convnotes';
import { readMnist, readModel, writeModel } from './files.js';
import { evaluateHead, inspect, predictGrey, predictTest } from './inspect.js';
import type { FromWorker, Point, ToWorker } from './protocol.js';

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

let recipe: Recipe | null = null;
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
  post({
    type: 'ready', backend: n.backend, threads: n.threads, notice: n.notice, relaxedSimd: n.relaxedSimd,
    recipe: JSON.stringify(recipeToJson(r), null, 2), name: r.name, params: n.params.length,
    batch: r.training.batch, epochs: r.training.epochs, seed: r.network.seed, distortions: r.augment !== null,
  });
  postState();
  inspectAndPost(false);
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

async function loadData(files: Parameters<typeof readMnist>[0], limit: number, testLimit: number): Promise<void> {
  const { train, test } = await readMnist(files, limit, testLimit);
  trainSet = train;
  testSet = test;
  selected = Math.min(selected, (test ?? train).count - 1);
  // the engine distorts images of the size it was laid out for: laid out again (same weights) for these
  if (recipe && net && recipe.augment) await build(recipe, net.params.slice(), net.velocity.slice());
  else if (recipe && net) resetPosition();
  post({ type: 'data', train: train.count, test: test?.count ?? 0, source: files.map((f) => f.name).join(', ') });
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
    post({ type: 'inspect', inspection: inspect(net, norm(), testSet ?? trainSet, selected, confusion) });
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
  await build(m.recipe, m.params, m.velocity);
  post({ type: 'loaded', recipe: JSON.stringify(recipeToJson(recipe!), null, 2), name });
}

type Immediate = Extract<ToWorker, { type: 'pause' | 'select' | 'predict' | 'predictTest' | 'save' }>;

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
      return build(resolveRecipe(json, builtinNetworks));
    }
    case 'data':
      return loadData(m.files, m.limit, m.testLimit);
    case 'start':
      if (!net || !recipe) throw new Error('no network: choose a recipe first');
      if (!trainSet) throw new Error('no training data: drop the MNIST IDX files onto the page, pick them, or load the served folder');
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
  if (m.type === 'pause' || m.type === 'select' || m.type === 'predict' || m.type === 'predictTest' || m.type === 'save') return answer(m);
  queue = queue.then(() => change(m).catch((err) => fail(ABOUT[m.type], err)));
};
