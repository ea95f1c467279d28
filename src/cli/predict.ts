// `convnotes predict`: classifies images with a model file, from an IDX image file or a PNG.
//
// A PNG is made into an MNIST digit by the library (data/images.ts: the same function as the
// playground's drawing), then placed and normalised by fillBatch exactly as IDX images are.

import { createNetwork, type BackendName } from '../network/backend.js';
import { UNIT, type Dataset } from '../data/dataset.js';
import { normalisation } from '../train/trainer.js';
import { readIdx } from '../data/files.js';
import { pngDigitDataset } from '../data/png.js';
import { imageFileDataset } from '../data/image-file.js';
import { assertFiniteParams } from '../model/finite.js';
import { loadModel } from '../model/model-io.js';
import { predictImages, type ImagePrediction } from '../network/predict.js';
import { resolveRecipe } from '../recipes/recipe.js';
import { CliError } from './errors.js';

export interface PredictOptions {
  model: string;
  input?: string;
  index?: number;
  count?: number;
  png?: string;
  /** A PNG or JPEG picture for the model's input (colour or grey, as the model takes). */
  image?: string;
  /** Show the k likeliest classes of each image. */
  top?: number;
  backend: BackendName;
  threads?: number;
  json: boolean;
}

export async function runPredict(o: PredictOptions): Promise<number> {
  const sources = [o.input, o.png, o.image].filter((s) => s !== undefined).length;
  if (sources !== 1) throw new CliError('predict: give one of --input FILE.idx[.gz], --png FILE.png (a digit) or --image FILE (a PNG or JPEG picture)');
  if (o.input === undefined && (o.index !== undefined || o.count !== undefined)) throw new CliError('predict: --index and --count go with --input, not --png or --image');
  const m = loadModel(o.model);
  assertFiniteParams(o.model, m.description, m.params);
  // the model's own input normalisation (its recipe's: unit, lecun or standard with its statistics)
  const norm = m.recipe ? normalisation(resolveRecipe(m.recipe)) : UNIT;
  const d = m.description;

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
  } else if (o.image !== undefined) {
    data = imageFileDataset(o.image, ...d.input);
    indices = [0];
  } else {
    data = pngDigitDataset(o.png!);
    indices = [0];
  }

  const net = await createNetwork(d, { backend: o.backend, batch: Math.min(indices.length, 500), threads: o.threads });
  let predictions: ImagePrediction[];
  try {
    net.setParams(m.params);
    // the library's predict over the images: class scores (the outputs, or −½‖y − code‖² for a network
    // with class codes) and, for cross-entropy, their softmax
    predictions = predictImages(net, data, indices, norm);
  } finally {
    await net.dispose();
  }

  const say = (s: string) => (o.json ? process.stderr : process.stdout).write(`${s}\n`);
  const names = d.classNames;
  const named = (c: number): string => (names ? `${c} (${names[c]})` : String(c));
  say(`${o.model} on ${o.input ?? o.png ?? o.image}:`);
  const shown = predictions.map((p) => {
    const values = p.probabilities ?? p.scores;
    const top = o.top === undefined ? undefined : topClasses(values, o.top).map((c) => ({ class: c, ...(names ? { name: names[c] } : {}), value: values[c] }));
    const image = o.input !== undefined ? `image ${String(p.index).padStart(5)}` : 'image';
    if (top) say(`  ${image}  ${top.map((t) => `${named(t.class)} ${t.value.toFixed(3)}`).join(', ')}`);
    else say(`  ${image}  class ${named(p.class)}  ${p.probabilities ? 'probabilities' : 'scores'} ${values.map((v) => v.toFixed(3)).join(' ')}`);
    return { ...p, ...(names ? { name: names[p.class] } : {}), ...(top ? { top } : {}) };
  });
  if (o.json) process.stdout.write(`${JSON.stringify({ predictions: shown })}\n`);
  return 0;
}

/** The k classes of the largest values, largest first (ties: the lower class first). */
function topClasses(values: readonly number[], k: number): number[] {
  return values.map((_, c) => c).sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
}
