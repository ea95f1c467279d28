// `convnotes train`: a recipe on an IDX dataset, a model file out, a checkpoint at every epoch end,
// `--resume` to continue one exactly, a progress bar, a JSON summary with --json.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import type { BackendName, TrainableNetwork } from '../network/backend.js';
import { channelsOf, checkFits, classesOf, limitOf, type Dataset } from '../data/dataset.js';
import { loadTrainingData } from '../data/bundled.js';
import { cacheDir, defaultDataDir, holdsIdxSet } from '../data/files.js';
import { classCount } from '../network/loss.js';
import { resolveDescription } from '../network/description.js';
import { loadCheckpoint, restoreCheckpoint, saveCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import type { Recipe } from '../recipes/recipe.js';
import { createTrainingNetwork, train, type EpochLog, type Progress, type TrainingState } from '../train/trainer.js';
import { downloadDataset } from '../data/download.js';
import { loadRecipe } from '../recipes/load.js';
import { fitRecipe, withStatistics } from '../recipes/fit.js';
import { MAX_CLASSES } from '../data/image-folder.js';
import { holdOut } from '../data/split.js';
import { DataError } from '../data/idx.js';
import { CliError } from './errors.js';


export interface TrainCommandOptions {
  recipe: string;
  data?: string;
  epochs?: number;
  seed: number;
  /** Seed of the initial weights, in place of the recipe's network seed (a new run only). */
  initSeed?: number;
  threads?: number;
  out?: string;
  resume?: boolean;
  backend: BackendName;
  evalTrain?: number;
  limit?: number;
  /** Share of the training set held out for validation. */
  val?: number;
  /** Write <model>.best.safetensors at each epoch whose validation error is the lowest yet. */
  keepBest?: boolean;
  json: boolean;
  progress: boolean;
  /** Fetch MNIST into the cache when no data folder is found (npm start). */
  download?: boolean;
  /** An image folder's undecodable file: skip it (default) or stop. */
  onBadFile?: 'skip' | 'error';
  /** Resize an image folder's images of another size (default), or refuse them. */
  resize?: boolean;
}

/**
 * `--download` (what npm start passes): with no --data and no data in the default folder, fetch MNIST
 * into the per-user cache first. Returns why it could not (the caller then falls back), or ''.
 */
async function downloadIfMissing(dir: string | undefined, say: (s: string) => void): Promise<string> {
  if (dir !== undefined || process.env.CONVNOTES_DATA || holdsIdxSet(defaultDataDir())) return '';
  say(`no MNIST at ${defaultDataDir()}: downloading it into ${cacheDir('mnist')} …`);
  try {
    await downloadDataset({ name: 'mnist', fetch: (url) => fetch(url, { signal: AbortSignal.timeout(30_000) }), log: (l) => say(`  ${l}`) });
    return '';
  } catch (e) {
    return ` (the download failed: ${(e as Error).message})`;
  }
}

const percent = (x: number | null): string => (x === null ? '—' : `${(100 * x).toFixed(2)} %`);

export async function runTrain(o: TrainCommandOptions): Promise<number> {
  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  let recipe: Recipe;
  let state: TrainingState | undefined;
  let resumeFrom: Checkpoint | null = null;
  const out = resolve(o.out ?? `${o.resume ? o.recipe : (loadRecipe(o.recipe).name)}.safetensors`);
  if (o.resume) {
    // --resume continues the model file at --out (or the file --recipe names) from its last epoch end
    const file = o.out ? out : resolve(o.recipe);
    resumeFrom = loadCheckpoint(file);
    recipe = resumeFrom.recipe;
    state = resumeFrom.state;
    const run = resumeFrom.run as { limit: number | null; evalTrain: number | null; val?: number | null } | undefined;
    // the data the run was started on, unless told otherwise now
    if (run) {
      o.limit ??= run.limit ?? undefined;
      o.evalTrain ??= run.evalTrain ?? undefined;
      o.val ??= run.val ?? undefined;
    }
    if (o.initSeed !== undefined) throw new CliError('--init-seed: a resumed run goes on from its saved weights; leave --init-seed out');
  } else {
    recipe = loadRecipe(o.recipe);
    // the weights' seed is the description's, so the model file records the one it was made with
    if (o.initSeed !== undefined) {
      const { shapes: _derived, codes, ...stated } = recipe.network;
      recipe.network = resolveDescription({ ...stated, codes: codes ?? undefined, seed: o.initSeed });
    }
  }
  if (o.epochs !== undefined) recipe.training.epochs = o.epochs;
  const seed = state?.seed ?? o.seed;
  const modelFile = o.resume && !o.out ? resolve(o.recipe) : out;
  const logFile = modelFile.replace(/\.safetensors$/, '') + '.log.jsonl';
  const bestFile = modelFile.replace(/\.safetensors$/, '') + '.best.safetensors';

  const downloadNote = o.download ? await downloadIfMissing(o.data, say) : '';
  const outputs = recipe.network.shapes[recipe.network.shapes.length - 1].reduce((a, b) => a * b, 1);
  // a resumed run's recipe was fitted to its data when it started; a new one is fitted now
  const data = loadTrainingData(o.data, o.resume ? classCount(recipe.network, outputs) : MAX_CLASSES, downloadNote, { onBadFile: o.onBadFile, resize: o.resize, requireTest: false });
  if (o.resume && recipe.network.classNames && data.train.classNames && recipe.network.classNames.join('\n') !== data.train.classNames.join('\n')) {
    throw new DataError(o.data ?? data.origin, `its classes (${data.train.classNames.join(', ')}) are not those the run started with (${recipe.network.classNames.join(', ')})`);
  }
  if (!o.resume) {
    const fitted = fitRecipe(recipe, {
      channels: channelsOf(data.train), rows: data.train.rows, cols: data.train.cols,
      classes: Math.max(classesOf(data.train), data.test ? classesOf(data.test) : 0), classNames: data.train.classNames, source: data.origin,
    });
    recipe = fitted.recipe;
    for (const note of fitted.notes) say(`${recipe.name} fitted to the data: ${note}`);
  }
  // images that do not fit, named by their file (train() would name its argument)
  const [maps, height, width] = recipe.network.input;
  for (const d of [data.train, data.test]) if (d) checkFits(d, maps, height, width);
  // validation: the data's own val/ folder, or a seeded share of the training set (the same on --resume)
  let val = data.val ?? null;
  if (o.val !== undefined) {
    if (val) throw new CliError(`--val: ${data.origin} has a validation set of its own (val/); leave --val out`);
    ({ train: data.train, val } = holdOut(data.train, o.val, seed));
  }
  if (o.keepBest && !val) throw new CliError('--keep-best: keeps the epoch of the lowest validation error; give --val FRACTION (or data with a val/ folder)');
  if (o.limit !== undefined) data.train = limitOf(data.train, o.limit);
  if (!o.resume) {
    const measured = withStatistics(recipe, data.train);
    recipe = measured.recipe;
    for (const note of measured.notes) say(`${recipe.name}: ${note}`);
  }
  if (data.bundled && o.epochs === undefined && !o.resume) {
    // as many updates as one epoch of the full set would give, or the recipe cannot show what it does
    recipe.training.epochs = Math.ceil((recipe.training.epochs * 60_000) / data.train.count);
    say(`the shipped digits are ${data.train.count} training images: training ${recipe.training.epochs} epochs, as many images as the recipe's epochs of full MNIST`);
  }
  const t = recipe.training;
  const net: TrainableNetwork = await createTrainingNetwork(recipe, data.train, { backend: o.backend, threads: o.threads });
  try {
    if (resumeFrom) restoreCheckpoint(net, resumeFrom);
    mkdirSync(dirname(modelFile), { recursive: true });
    say(`training ${recipe.name} for ${t.epochs} epoch(s)${state ? `, resuming after epoch ${state.epoch}` : ''} on ${data.train.count} images from ${data.origin}${val ? `, validating on ${val.count}` : ''}${data.test ? '' : ' (no test set: the folder has no test/ split)'}`);
    say(`  ${net.backend} backend, ${net.threads} thread(s)${net.notice ? ` (${net.notice})` : ''}; batch ${t.batch === 0 ? 'full' : t.batch}${t.sdlm ? `, SDLM μ = ${t.sdlm.mu} on ${t.sdlm.samples} patterns per epoch` : ''}; model → ${modelFile}`);

    const bar = o.progress && process.stderr.isTTY ? new SingleBar({
      format: 'epoch {epoch}/{epochs} {phase} |{bar}| {percentage}% · {value}/{total} · {rate} img/s · loss {loss} · {eta_formatted} left',
      hideCursor: true, stream: process.stderr, etaBuffer: 50,
    }) : null;
    let barEpoch = 0;
    const onProgress = (p: Progress): void => {
      if (!bar) return;
      if (p.phase !== 'train') return;
      const payload = { epoch: p.epoch, epochs: p.epochs, phase: 'training', rate: Math.round(p.imagesPerSecond), loss: p.loss.toFixed(4) };
      if (barEpoch !== p.epoch) {
        if (barEpoch) bar.stop();
        bar.start(p.total, p.done, payload);
        barEpoch = p.epoch;
      } else bar.update(p.done, payload);
    };
    const onEpoch = (log: EpochLog, s: TrainingState): void => {
      if (bar && barEpoch) {
        bar.stop();
        barEpoch = 0;
      }
      const run = { limit: o.limit ?? null, evalTrain: o.evalTrain ?? null, ...(o.val === undefined ? {} : { val: o.val }) };
      saveCheckpoint(modelFile, net, recipe, s, run);
      appendFileSync(logFile, `${JSON.stringify({ recipe: recipe.name, ...log })}\n`);
      const valPart = log.valError === undefined ? '' : `  val error ${percent(log.valError)}`;
      say(`epoch ${String(log.epoch).padStart(2)}/${t.epochs}  rate ${Number(log.rate.toPrecision(3))}  loss ${log.trainLoss.toFixed(4)}  train error ${percent(log.trainError)}${valPart}  test error ${percent(log.testError)}  ${Math.round(log.imagesPerSecond)} img/s  ${log.seconds.toFixed(1)} s`);
      // the lowest validation error of the run so far (a resumed run's earlier epochs included)
      if (o.keepBest && log.valError !== undefined && s.history.every((h) => h.epoch === log.epoch || h.valError === undefined || log.valError! < h.valError)) {
        saveCheckpoint(bestFile, net, recipe, s, run);
        say(`  best validation error so far: saved to ${bestFile}`);
      }
    };
    const started = performance.now();
    const final = await train({
      net, recipe, train: data.train, test: data.test, val, seed, state, evalTrain: o.evalTrain, onProgress, onEpoch,
    });
    const seconds = (performance.now() - started) / 1000;
    const last = final.history[final.history.length - 1];
    const trained = final.history.slice(state ? state.epoch : 0);
    const images = trained.reduce((n, l) => n + l.imagesPerSecond * l.seconds, 0);
    const trainSeconds = trained.reduce((n, l) => n + l.seconds, 0);
    say(`test error ${percent(last?.testError ?? null)} after ${final.epoch} epoch(s); model saved to ${modelFile} (log: ${logFile})`);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({
        recipe: recipe.name, epochs: final.epoch, trainError: last?.trainError ?? null, testError: last?.testError ?? null, valError: last?.valError ?? null,
        seconds, imagesPerSecond: trainSeconds > 0 ? images / trainSeconds : 0, model: modelFile,
      })}\n`);
    }
    return 0;
  } finally {
    await net.dispose();
  }
}
