// The page's files: the four MNIST IDX files (gzipped or not), told apart by name (train/t10k,
// images/labels) or else by header and size, as datasets (cut to the page's limits by `cut`); model
// files. Class folders of pictures and zips: images.ts.
import {
  builtinNetworks, datasetFromIdx, decodeModel, encodeModel, limitOf, MAX_CLASSES, parseIdx, recipeToJson, resolveRecipe,
  type Dataset, type ParamArray, type Recipe, type TrainableNetwork,
} from 'convnotes';
import type { FileBytes } from './protocol.js';

function readFile(f: FileBytes): Promise<Uint8Array> {
  const bytes = new Uint8Array(f.bytes);
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return Promise.resolve(bytes);
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Response(stream).arrayBuffer().then((b) => new Uint8Array(b), (e) => {
    throw new Error(`${f.name}: not a readable gzip file (${(e as Error).message})`);
  });
}

/** At most `n` patterns of `d` (all of them when n ≤ 0) by limitOf: what `convnotes train --limit n` trains on. */
export function cut(d: Dataset, n: number): Dataset {
  return n > 0 && n < d.count ? limitOf(d, n) : d;
}

/** The MNIST-style IDX files among `files` as a training set and, when given, a test set (labels of up to MAX_CLASSES classes, as the CLI reads them). */
export async function readMnist(files: FileBytes[]): Promise<{ train: Dataset; test: Dataset | null }> {
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
  return {
    train: datasetFromIdx(trI.idx, trL.idx, trI.name, trL.name, MAX_CLASSES),
    test: teI && teL ? datasetFromIdx(teI.idx, teL.idx, teI.name, teL.name, MAX_CLASSES) : null,
  };
}

/** A model file of `net` trained by `recipe`: weights, momentum velocities (Adam's moments too), and where training stands. */
export function writeModel(net: TrainableNetwork, recipe: Recipe, training: unknown): Uint8Array {
  const adam = recipe.training.optimizer !== undefined && recipe.training.optimizer.type !== 'sgd';
  const state: Record<string, ParamArray> = adam ? { velocity: net.velocity, moment1: net.moment1, moment2: net.moment2 } : { velocity: net.velocity };
  return encodeModel({ description: recipe.network, params: net.params, views: net.views, recipe: recipeToJson(recipe), training, state });
}

/** A model file's recipe (its own, or a one-epoch one around its network), weights and velocities. */
export function readModel(name: string, bytes: ArrayBuffer): { recipe: Recipe; params: ParamArray; velocity: ParamArray | undefined } {
  const m = decodeModel(new Uint8Array(bytes), name);
  const r = m.recipe
    ? resolveRecipe(m.recipe, builtinNetworks)
    : resolveRecipe({ name: m.description.name ?? 'model', network: m.description, training: { epochs: 1, batch: 50, rate: 1 } });
  return { recipe: { ...r, network: m.description }, params: m.params, velocity: m.state.velocity };
}
